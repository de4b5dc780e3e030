// The validator set in state and its epochs.
//
// Key space:
//   chain/validator/<be32 index>            -> Validator (the set in force, index order)
//   chain/epoch                             -> ledger.EpochRecord (absent: epoch 0 from height 0)
//   chain/validator_change/<be64 switch>    -> ledger.ValidatorChange (executed, not yet in force)
//   chain/param_change/<be64 switch>/<name> -> be64 value (a consensus parameter, not yet in force)
//   chain/epoch_set/<be64 epoch>            -> ledger.EpochSet (an ended epoch's set, kept for proofs)
//
// A change executed at height h takes effect after its switch height c = switch_height(h, K, W)
// (proto/epoch_spacing.hpp, K and W from the chain's parameters): blocks up to c are certified by
// the set before, blocks above c by the new one. The executor promotes a waiting change at the
// end of block c, in that block's writes, so the state after c names the set that certifies
// c + 1 (docs/governance.md, "Epochs").
#pragma once

#include <cstdint>
#include <vector>

#include "contracts/overlay.hpp"
#include "contracts/state.hpp"
#include "sharechain/ledger.pb.h"
#include "sharechain/types.pb.h"

namespace sharechain::contracts::ledger {

// A validator as queries and waiting changes show it.
::sharechain::ledger::ValidatorInfo to_info(const Validator& v);

// The epoch in force.
::sharechain::ledger::EpochRecord current_epoch(const StateReader& state);
// The sets of the epochs that have ended, epoch 0 first.
std::vector<::sharechain::ledger::EpochSet> ended_epochs(const StateReader& state);
// Changes waiting for their switch height, in ascending switch height.
std::vector<::sharechain::ledger::ValidatorChange> pending_changes(const StateReader& state);
// The set the chain will have once every waiting change is in force (the current set when none
// waits): what a new change is checked against and builds on.
std::vector<Validator> upcoming_validators(const StateReader& state);

// Records that the set becomes `next` after c = switch_height(executed_at, K, W) and returns c.
// `next` is renumbered in its order; keys of upcoming_validators() keep their since_height, new
// keys get c + 1. A change already waiting at c is replaced (it is folded into `next`).
std::uint64_t schedule_validator_change(Overlay& state, std::uint64_t executed_at,
                                        std::vector<Validator> next);
// Records that consensus parameter `name` (max_block_txs, max_block_bytes, batch_delay_ms,
// view_timeout_ms) becomes `value` after c = switch_height(executed_at, K, W), and returns c.
// The engine takes these limits from its epoch, so the change ends the epoch at c like a set
// change: a change with the upcoming set unchanged is scheduled there too.
std::uint64_t schedule_parameter_change(Overlay& state, std::uint64_t executed_at, const std::string& name,
                                        std::uint64_t value);
// Consensus parameters waiting for their switch height: (switch height, name, value), ascending.
struct ParameterChange {
  std::uint64_t switch_height = 0;
  std::string name;
  std::uint64_t value = 0;
};
std::vector<ParameterChange> pending_parameter_changes(const StateReader& state);
// Whether `name` is a consensus parameter the epochs carry.
bool is_consensus_parameter(std::string_view name);

// At the end of block `height`: when a change waits at exactly this height, its set becomes the
// set in force, the parameters waiting there are set in chain/params, the epoch advances with
// start_height = height, the outgoing set is kept as an ended epoch, and the change is removed.
// Returns whether a change took effect.
bool promote_due_validator_change(Overlay& state, std::uint64_t height);

}  // namespace sharechain::contracts::ledger
