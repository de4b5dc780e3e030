// The deterministic discrete-event simulator for the consensus engine. One seed fixes the whole
// run: the fault plan (scenario.hpp), every message delay, loss and duplicate, every Byzantine
// lie. Real engines run unmodified; the simulator plays the node's part for them (performing
// their actions in order, persisting, executing delivered blocks, transferring state) and checks
// the invariants of checker.hpp after every event.
//
// Liveness: after the heal (all honest validators up, no partitions, no loss, at most f
// Byzantine), every transaction any client submitted must be committed by every honest
// validator within `liveness_bound_ms` of simulated time.
//
// Reconfiguration (`reconfigure`): validator-set changes are transactions, and each replica
// plays the node's part for epochs (consensus/epochs.hpp): it tells its engine where the epoch
// ends when a change executes, starts the next epoch's engine after the switch height, and runs
// no engine while outside the set (a follower, fetching certified blocks and checking each with
// its epoch's set). Every set must be the same on every replica, and liveness is asked of the
// honest members of the latest set.
//
// Twins (`twins` > 0): that many validators run as two engines each, sharing key and index
// (scenario.hpp describes the network of n + K nodes). Twins count as faulty validators: with
// twins plus Byzantine validators at most f every invariant must hold; beyond f (allowed only
// with `expect_violation`) PBFT promises nothing, and the run is a search for two honest
// validators that commit different blocks at one height (Outcome::agreement_violated).
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "tools/sim/byzantine.hpp"

namespace sharechain::sim {

struct Options {
  uint32_t nodes = 4;
  uint32_t byzantine = 0;         // at most f = (nodes - 1) / 3, with the twins
  uint32_t twins = 0;             // validators run as two engines with one key
  bool expect_violation = false;  // faults beyond f allowed: searching for a fork
  uint64_t seed = 1;
  bool real_crypto = false;            // BIP340 keys instead of the fake signatures
  std::optional<Behaviour> behaviour;  // of every Byzantine validator; drawn from the seed if unset
  uint64_t fault_ms = 3000;
  uint64_t liveness_bound_ms = 60000;
  // Validator-set changes mid-run: node n joins as a follower and is added, a validator (the
  // first Byzantine one, if any) is removed, an honest validator's key is rotated.
  bool reconfigure = false;
  std::ostream* trace = nullptr;       // every event and action, when set
};

struct Stats {
  uint64_t events = 0;
  uint64_t messages = 0;           // put on the wire
  uint64_t dropped = 0;            // lost, partitioned or addressed to a crashed validator
  uint64_t blocks = 0;             // highest height any replica stored
  uint64_t transactions = 0;       // submitted by clients
  uint64_t views = 0;              // highest view any honest replica reached
  uint64_t view_changes = 0;       // started, summed over honest replicas and incarnations
  uint64_t halts = 0;              // replicas that halted (a violation unless beyond f)
  uint64_t crashes = 0;
  uint64_t fetched_blocks = 0;     // stored through state transfer
  uint64_t epochs = 0;             // the highest epoch any replica reached
  uint64_t evidence = 0;
  uint64_t new_views = 0;          // distinct NEW-VIEW messages sent
  uint64_t reproposals = 0;        // ... whose proofs held a prepared certificate
  uint64_t contested = 0;          // ... whose proofs held prepared certificates for two blocks
  uint64_t max_persisted_keys = 0;
  uint64_t heal_ms = 0;
  uint64_t recovered_ms = 0;       // from the heal until every transaction was everywhere
  uint64_t end_ms = 0;
};

struct Outcome {
  bool ok = true;
  bool agreement_violated = false;  // the violation is two blocks committed at one height
  std::string violation;
  uint64_t violation_ms = 0;
  std::string scenario;
  Stats stats;
};

Outcome simulate(const Options& options);

// The command line that replays `options` (one seed).
std::string replay_command(const Options& options);

// Sanity limits on options; an error message, or empty when usable.
std::string check_options(const Options& options);

}  // namespace sharechain::sim
