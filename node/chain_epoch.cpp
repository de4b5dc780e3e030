#include "node/chain_epoch.hpp"

#include <algorithm>
#include <map>

#include "consensus/signing.hpp"
#include "consensus/validator_keys.hpp"
#include "contracts/ledger/ledger.hpp"
#include "contracts/ledger/validator_set.hpp"

namespace sharechain::node {

std::vector<consensus::ValidatorInfo> ChainEpoch::infos() const { return consensus::validator_keys(validators); }

std::optional<consensus::EpochEnd> ChainEpoch::end() const {
  if (pending.empty()) return std::nullopt;
  return consensus::EpochEnd{pending.front().switch_height(),
                             consensus::validator_set_hash(consensus::validator_keys(pending.front().validators()))};
}

std::optional<std::uint32_t> ChainEpoch::index_of(const std::string& public_key) const {
  for (std::size_t i = 0; i < validators.size(); ++i) {
    if (validators[i].public_key() == public_key) return static_cast<std::uint32_t>(i);
  }
  return std::nullopt;
}

bool ChainEpoch::holds(const std::string& public_key) const {
  if (index_of(public_key)) return true;
  for (const auto& change : pending) {
    for (const auto& v : change.validators()) {
      if (v.public_key() == public_key) return true;
    }
  }
  return false;
}

ChainEpoch read_chain_epoch(const contracts::StateReader& state) {
  ChainEpoch out;
  const ledger::EpochRecord record = contracts::ledger::current_epoch(state);
  out.epoch = record.epoch();
  out.start = record.start_height();
  out.validators = contracts::ledger::validators(state);
  out.pending = contracts::ledger::pending_changes(state);
  return out;
}

EpochMarks read_epoch_marks(const contracts::StateReader& state) {
  EpochMarks m;
  m.epoch = contracts::ledger::current_epoch(state).epoch();
  for (const auto& c : contracts::ledger::pending_changes(state)) {
    m.pending.emplace_back(c.switch_height(), c.executed_height());
  }
  return m;
}

EpochMarks marks_of(const ChainEpoch& epoch) {
  EpochMarks m;
  m.epoch = epoch.epoch;
  for (const auto& c : epoch.pending) m.pending.emplace_back(c.switch_height(), c.executed_height());
  return m;
}

std::vector<PeerEntry> peer_entries(const ChainEpoch& epoch, const std::vector<PeerAddress>& configured,
                                    const std::vector<std::string>& genesis_keys,
                                    std::vector<std::string>* unreachable) {
  std::map<std::string, std::string> override_address;
  for (const PeerAddress& p : configured) {
    if (!p.public_key.empty()) {
      override_address[p.public_key] = p.address;
    } else if (p.validator < genesis_keys.size()) {
      override_address[genesis_keys[p.validator]] = p.address;
    }
  }
  std::vector<PeerEntry> out;
  const auto add = [&](const std::string& key, const std::string& chain_address, bool validating) {
    auto known = std::find_if(out.begin(), out.end(), [&](const PeerEntry& e) { return e.public_key == key; });
    if (known != out.end()) {
      known->validating = known->validating || validating;
      return;
    }
    auto o = override_address.find(key);
    std::string address = o != override_address.end() ? o->second : chain_address;
    if (address.empty() && unreachable != nullptr) unreachable->push_back(key);
    out.push_back(PeerEntry{key, std::move(address), validating});
  };
  for (const Validator& v : epoch.validators) add(v.public_key(), v.peer_address(), true);
  for (const auto& change : epoch.pending) {
    for (const auto& v : change.validators()) add(v.public_key(), v.peer_address(), false);
  }
  return out;
}

}  // namespace sharechain::node
