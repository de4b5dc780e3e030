#include "contracts/ledger/validator_set.hpp"

#include <algorithm>
#include <string>

#include "contracts/context.hpp"
#include "contracts/encoding.hpp"
#include "contracts/executor.hpp"
#include "contracts/ledger/ledger.hpp"
#include "proto/epoch_spacing.hpp"

namespace sharechain::contracts::ledger {

namespace {

constexpr std::string_view kEpochKey = "chain/epoch";
constexpr std::string_view kChangePrefix = "chain/validator_change/";

std::string change_key(std::uint64_t switch_height) {
  return key(kChangePrefix, be64(switch_height));
}

// ledger.ValidatorInfo and Validator carry the same fields under the same numbers and types
// (proto/sharechain/ledger.proto and types.proto say so), so the bytes of one parse as the other.
template <typename To, typename From>
To convert(const From& from) {
  To to;
  if (!to.ParseFromString(from.SerializeAsString())) halt("a validator record does not convert");
  return to;
}

}  // namespace

pb::ValidatorInfo to_info(const Validator& v) { return convert<pb::ValidatorInfo>(v); }

pb::EpochRecord current_epoch(const StateReader& state) {
  return load<pb::EpochRecord>(state, kEpochKey).value_or(pb::EpochRecord{});
}

std::vector<pb::ValidatorChange> pending_changes(const StateReader& state) {
  std::vector<pb::ValidatorChange> out;
  state.scan(kChangePrefix, [&](std::string_view, std::string_view raw) {
    pb::ValidatorChange c;
    if (!c.ParseFromString(std::string(raw))) halt("a waiting validator-set change does not decode");
    out.push_back(std::move(c));
    return true;
  });
  return out;
}

std::vector<Validator> upcoming_validators(const StateReader& state) {
  const std::vector<pb::ValidatorChange> waiting = pending_changes(state);
  if (waiting.empty()) return validators(state);
  std::vector<Validator> set;
  for (const auto& i : waiting.back().validators()) set.push_back(convert<Validator>(i));
  return set;
}

std::uint64_t schedule_validator_change(Overlay& state, std::uint64_t executed_at,
                                        std::vector<Validator> next) {
  const ChainParams params = chain_params(state);
  pb::ValidatorChange change;
  change.set_switch_height(
      switch_height(executed_at, checkpoint_interval(params), consensus_window(params)));
  change.set_executed_height(executed_at);
  // A key already in the set keeps the height it has certified since; a new one (added, or a
  // rotation's new key) certifies from the block after the switch.
  const std::vector<Validator> before = upcoming_validators(state);
  for (std::size_t i = 0; i < next.size(); ++i) {
    Validator& v = next[i];
    v.set_index(static_cast<std::uint32_t>(i));
    const auto kept = std::find_if(before.begin(), before.end(), [&](const Validator& b) {
      return b.public_key() == v.public_key();
    });
    v.set_since_height(kept != before.end() ? kept->since_height() : change.switch_height() + 1);
    *change.add_validators() = to_info(v);
  }
  save(state, change_key(change.switch_height()), change);
  return change.switch_height();
}

bool promote_due_validator_change(Overlay& state, std::uint64_t height) {
  const auto change = load<pb::ValidatorChange>(state, change_key(height));
  if (!change) return false;
  const std::vector<Validator> before = validators(state);
  for (const Validator& v : before) state.erase(validator_key(v.index()));
  for (const auto& info : change->validators()) {
    save(state, validator_key(info.index()), convert<Validator>(info));
  }
  pb::EpochRecord epoch = current_epoch(state);
  epoch.set_epoch(epoch.epoch() + 1);
  epoch.set_start_height(height);
  save(state, std::string(kEpochKey), epoch);
  state.erase(change_key(height));
  return true;
}

}  // namespace sharechain::contracts::ledger
