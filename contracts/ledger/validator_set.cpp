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
constexpr std::string_view kParamChangePrefix = "chain/param_change/";
constexpr std::string_view kEpochSetPrefix = "chain/epoch_set/";

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

// Every record under `prefix`, in key order; a record that does not decode halts the node
// (`what` names it): state the executor wrote itself cannot be malformed.
template <typename Record>
std::vector<Record> records_under(const StateReader& state, std::string_view prefix, const char* what) {
  std::vector<Record> out;
  state.scan(prefix, [&](std::string_view, std::string_view raw) {
    Record r;
    if (!r.ParseFromString(std::string(raw))) halt(std::string(what) + " does not decode");
    out.push_back(std::move(r));
    return true;
  });
  return out;
}

}  // namespace

std::vector<pb::EpochSet> ended_epochs(const StateReader& state) {
  return records_under<pb::EpochSet>(state, kEpochSetPrefix, "an ended epoch's validator set");
}

pb::ValidatorInfo to_info(const Validator& v) { return convert<pb::ValidatorInfo>(v); }

pb::EpochRecord current_epoch(const StateReader& state) {
  return load<pb::EpochRecord>(state, kEpochKey).value_or(pb::EpochRecord{});
}

std::vector<pb::ValidatorChange> pending_changes(const StateReader& state) {
  return records_under<pb::ValidatorChange>(state, kChangePrefix, "a waiting validator-set change");
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

bool is_consensus_parameter(std::string_view name) {
  return name == "max_block_txs" || name == "max_block_bytes" || name == "batch_delay_ms" ||
         name == "view_timeout_ms";
}

std::uint64_t schedule_parameter_change(Overlay& state, std::uint64_t executed_at, const std::string& name,
                                        std::uint64_t value) {
  if (!is_consensus_parameter(name)) halt("not a consensus parameter: " + name);
  const std::uint64_t at = schedule_validator_change(state, executed_at, upcoming_validators(state));
  state.put(key(kParamChangePrefix, be64(at), "/", name), be64(value));
  return at;
}

std::vector<ParameterChange> pending_parameter_changes(const StateReader& state) {
  std::vector<ParameterChange> out;
  state.scan(kParamChangePrefix, [&](std::string_view k, std::string_view v) {
    const std::string_view rest = k.substr(kParamChangePrefix.size());
    if (rest.size() < 9 || rest[8] != '/' || v.size() != 8) halt("a waiting parameter change is malformed");
    out.push_back(ParameterChange{*read_be64(rest.substr(0, 8)), std::string(rest.substr(9)), *read_be64(v)});
    return true;
  });
  return out;
}

namespace {

void apply_parameter(ChainParams& params, std::string_view name, std::uint64_t value) {
  if (name == "max_block_txs") {
    params.set_max_block_txs(static_cast<std::uint32_t>(value));
  } else if (name == "max_block_bytes") {
    params.set_max_block_bytes(value);
  } else if (name == "batch_delay_ms") {
    params.set_batch_delay_ms(value);
  } else if (name == "view_timeout_ms") {
    params.set_view_timeout_ms(value);
  } else {
    halt("a waiting parameter change names an unknown parameter");
  }
}

}  // namespace

bool promote_due_validator_change(Overlay& state, std::uint64_t height) {
  const auto change = load<pb::ValidatorChange>(state, change_key(height));
  if (!change) return false;
  const std::string due = key(kParamChangePrefix, be64(height), "/");
  std::vector<std::pair<std::string, std::uint64_t>> parameters;
  state.scan(due, [&](std::string_view k, std::string_view v) {
    const auto value = read_be64(v);
    if (!value) halt("a waiting parameter change is malformed");
    parameters.emplace_back(std::string(k), *value);
    return true;
  });
  if (!parameters.empty()) {
    ChainParams params = chain_params(state);
    for (const auto& [k, value] : parameters) {
      apply_parameter(params, std::string_view(k).substr(due.size()), value);
      state.erase(k);
    }
    save(state, "chain/params", params);
  }
  const std::vector<Validator> before = validators(state);
  pb::EpochRecord epoch = current_epoch(state);
  // The outgoing set is kept: a proof of one of its blocks needs it long after (docs/proofs.md).
  pb::EpochSet ended;
  ended.set_epoch(epoch.epoch());
  ended.set_start_height(epoch.start_height());
  ended.set_end_height(height);
  for (const Validator& v : before) *ended.add_validators() = to_info(v);
  save(state, key(kEpochSetPrefix, be64(epoch.epoch())), ended);
  for (const Validator& v : before) state.erase(validator_key(v.index()));
  for (const auto& info : change->validators()) {
    save(state, validator_key(info.index()), convert<Validator>(info));
  }
  epoch.set_epoch(epoch.epoch() + 1);
  epoch.set_start_height(height);
  save(state, std::string(kEpochKey), epoch);
  state.erase(change_key(height));
  return true;
}

}  // namespace sharechain::contracts::ledger
