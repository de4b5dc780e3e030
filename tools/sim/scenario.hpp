// The fault plan of one simulated run, drawn entirely from its seed: network quality, clock
// offsets, partitions, crashes, Byzantine validators and the client load. Faults happen only in
// the fault phase [0, fault_ms); at fault_ms the network heals, crashed validators restart and
// clients re-submit, and from then on liveness is required.
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

struct BatchPlan {
  uint64_t at_ms = 0;
  uint32_t count = 0;              // new transactions
  std::vector<uint32_t> receivers;  // validators the client reaches; empty = all
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
  std::vector<PartitionPlan> partitions;    // disjoint in time, in order
  std::vector<CrashPlan> crashes;           // honest validators only
  std::vector<DroughtPlan> droughts;
  std::vector<BatchPlan> batches;           // in time order; some after the heal
};

struct ScenarioRequest {
  uint32_t nodes = 4;
  uint32_t byzantine = 0;
  std::optional<Behaviour> behaviour;  // every Byzantine validator's; drawn when absent
  uint64_t fault_ms = 3000;
};

Scenario draw_scenario(const ScenarioRequest& request, Rng& rng);

// One line per fault, for reports and replay.
std::string describe(const Scenario& s);

}  // namespace sharechain::sim
