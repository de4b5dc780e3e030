// The fault plan of one simulated run, drawn entirely from its seed: network quality, clock
// offsets, partitions, crashes, Byzantine validators, twins and the client load. Faults happen
// only in the fault phase [0, fault_ms); at fault_ms the network heals, crashed validators
// restart and clients re-submit, and from then on liveness is required.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tools/sim/byzantine.hpp"
#include "tools/sim/rng.hpp"

namespace sharechain::sim {

struct PartitionPlan {
  uint64_t start_ms = 0;
  uint64_t end_ms = 0;
  std::vector<uint32_t> group;  // group id per validator; messages cross no group boundary
};

struct CrashPlan {
  uint32_t node = 0;
  uint64_t at_ms = 0;
  uint64_t restart_ms = 0;  // no later than the heal
  bool mid_step = false;    // strikes in the middle of the node's next action list
};

// For a while, messages of one kind from some validators to some others are mostly lost:
// PREPAREs (only some replicas prepare), COMMITs (blocks prepare but do not commit, so view
// changes must carry prepared certificates), VIEW-CHANGEs (a NEW-VIEW forms without some
// replicas' proofs), NEW-VIEWs or CHECKPOINTs. Uniform loss rarely builds these states.
struct DroughtPlan {
  uint64_t start_ms = 0;
  uint64_t end_ms = 0;
  int kind = 0;  // consensus::Message::KindCase
  uint32_t per_mille = 0;
  std::vector<uint32_t> senders;  // whose messages are lost
  std::vector<uint32_t> victims;  // towards whom
};

// Twins (after DiemBFT's Twins): a twinned validator runs as two engines sharing its key and
// index, each with its own persisted state. The network then has n + K nodes: node v < n is
// validator v (for a twinned validator, its first instance) and node n + j is the second
// instance of validators[j]. Peers address validators, not nodes, so where both instances of a
// twin share a group the plan says which one takes the messages sent to their index.
enum class TwinsCut : uint8_t {
  kConnected,    // one group
  kSplit,        // each twin's instances on opposite sides; every other node on either side
  kTwoGroups,    // every node on either of two sides
  kThreeGroups,  // every node in one of three groups
};
const char* twins_cut_name(TwinsCut cut);

struct TwinsPhase {
  uint64_t start_ms = 0;
  uint64_t end_ms = 0;
  TwinsCut cut = TwinsCut::kConnected;
  std::vector<uint32_t> group;           // group id per node
  std::vector<uint8_t> second_receives;  // per twin: its second instance takes its messages
};

struct TwinsPlan {
  std::vector<uint32_t> validators;      // twinned, in node order of their second instances
  std::vector<int64_t> clock_offset_ms;  // per second instance: twins are separate machines
  std::vector<TwinsPhase> phases;        // consecutive, covering the fault phase
  std::vector<uint8_t> heal_second_receives;
};

struct BatchPlan {
  uint64_t at_ms = 0;
  uint32_t count = 0;              // new transactions
  std::vector<uint32_t> receivers;  // validators the client reaches (both instances of a twin);
                                    // empty = all
};

// A validator-set change (--reconfigure): a client submits it at `at_ms`; it takes effect at the
// switch height after it executes (consensus/epochs.hpp). Keys are numbered: validator v of
// genesis holds key v, node n (the joiner) key n, and the rotated validator gets key n + 1.
struct ReconfigPlan {
  uint64_t at_ms = 0;
  std::string kind;            // "add", "remove" or "rotate"
  uint32_t node = 0;           // who joins, leaves, or gets the new key
  std::vector<uint32_t> keys;  // the set after the change, by key, in validator-index order
};

struct Scenario {
  uint64_t fault_ms = 0;
  uint32_t loss_per_mille = 0;
  uint32_t duplicate_per_mille = 0;
  uint64_t min_delay_ms = 1;
  uint64_t max_delay_ms = 1;
  // Short timeouts (below a round trip) make view changes frequent, and frequent view changes
  // while blocks are half-committed are where PBFT's safety argument does its work.
  uint64_t view_timeout_ms = 400;
  std::vector<int64_t> clock_offset_ms;    // per validator
  std::map<uint32_t, Behaviour> byzantine;  // validator -> behaviour
  std::vector<PartitionPlan> partitions;    // disjoint in time, in order; none with twins
  std::vector<CrashPlan> crashes;           // honest validators only
  std::vector<DroughtPlan> droughts;
  std::vector<BatchPlan> batches;           // in time order; some after the heal
  TwinsPlan twins;                          // empty without twins
  std::vector<ReconfigPlan> reconfigs;      // in order; each assumes the ones before it ran
};

struct ScenarioRequest {
  uint32_t nodes = 4;
  uint32_t byzantine = 0;
  uint32_t twins = 0;                  // twinned validators, disjoint from the Byzantine ones
  std::optional<Behaviour> behaviour;  // every Byzantine validator's; drawn when absent
  uint64_t fault_ms = 3000;
  bool reconfigure = false;  // add node n, remove a validator (a Byzantine one if any), rotate a key
};

// Without twins the draws, and so every existing seed's run, are those of the generator before
// twins existed; twins add their draws at the end and replace the validator partitions with
// node partitions.
Scenario draw_scenario(const ScenarioRequest& request, Rng& rng);

// One line per fault, for reports and replay.
std::string describe(const Scenario& s);

}  // namespace sharechain::sim
