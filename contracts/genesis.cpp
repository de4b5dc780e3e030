// The initial state of a chain, from its genesis file.
#include <set>

#include "contracts/amounts.hpp"
#include "contracts/encoding.hpp"
#include "contracts/executor.hpp"
#include "contracts/governance/governance.hpp"
#include "contracts/ledger/ledger.hpp"
#include "contracts/memory_state.hpp"
#include "proto/address.hpp"
#include "proto/crypto.hpp"
#include "proto/epoch_spacing.hpp"

namespace sharechain::contracts {

namespace {

constexpr std::uint32_t kDefaultAttestationThreshold = 3;

}  // namespace

Result<WriteSet> genesis_state(const Genesis& genesis) {
  if (genesis.chain_id().empty()) return Status::invalid_argument("genesis: chain_id is empty");
  if (genesis.chain_id().size() > 64) {
    return Status::invalid_argument("genesis: chain_id is longer than 64 characters");
  }
  if (genesis.validators().empty()) {
    return Status::invalid_argument("genesis: at least one validator is needed");
  }

  MemoryState empty;
  Overlay state(empty);
  state.put("chain/id", genesis.chain_id());
  state.put("chain/genesis_time", be64(genesis.genesis_time_ms()));
  ChainParams params = genesis.params();
  if (params.attestation_threshold() == 0) {
    params.set_attestation_threshold(kDefaultAttestationThreshold);
  }
  // 0 stays 0 and reads as the default, so a genesis file written before governance existed
  // still gives the same state root.
  if (params.proposal_expiry_blocks() > governance::kMaxProposalExpiryBlocks) {
    return Status::invalid_argument("genesis: params.proposal_expiry_blocks is above " +
                                    std::to_string(governance::kMaxProposalExpiryBlocks));
  }
  // 0 stays 0 here too. The bounds keep switch_height (first multiple of K at or above h + W)
  // far from overflow and the window a few checkpoints wide.
  const std::uint64_t k = checkpoint_interval(params), w = consensus_window(params);
  if (k > kMaxCheckpointInterval) {
    return Status::invalid_argument("genesis: params.checkpoint_interval (" + std::to_string(k) +
                                    ") is above " + std::to_string(kMaxCheckpointInterval));
  }
  if (w < 2 * k || w > kMaxWindow) {
    return Status::invalid_argument("genesis: params.window (" + std::to_string(w) +
                                    ") must be at least twice params.checkpoint_interval (" +
                                    std::to_string(k) + ") and at most " + std::to_string(kMaxWindow));
  }
  save(state, "chain/params", params);

  std::set<std::string> keys;
  std::set<std::string> names;
  for (int i = 0; i < genesis.validators_size(); ++i) {
    const auto& gv = genesis.validators(i);
    std::string where = "genesis: validator " + std::to_string(i) + " (\"" + gv.name() + "\")";
    auto pubkey = crypto::from_hex(gv.public_key());
    if (!pubkey || !crypto::is_valid_public_key(*pubkey)) {
      return Status::invalid_argument(where +
                                      ": public_key is not a valid 32-byte x-only key in hex");
    }
    if (!keys.insert(*pubkey).second) {
      return Status::invalid_argument(where + ": the same public key appears twice");
    }
    if (!gv.name().empty() && !names.insert(gv.name()).second) {
      return Status::invalid_argument(where + ": the name is used by another validator");
    }
    Validator v;
    v.set_index(static_cast<std::uint32_t>(i));
    v.set_name(gv.name());
    v.set_public_key(*pubkey);
    v.set_address(crypto::address_of(*pubkey));
    v.set_peer_address(gv.peer_address());
    save(state, ledger::validator_key(static_cast<std::uint32_t>(i)), v);
  }

  std::set<std::string> seen;
  std::uint64_t total = 0;
  for (int i = 0; i < genesis.accounts_size(); ++i) {
    const auto& ga = genesis.accounts(i);
    std::string where = "genesis: account " + std::to_string(i) + " (\"" + ga.name() + "\")";
    Result<std::string> address = crypto::read_address(ga.address());
    if (!address) return Status::invalid_argument(where + ": " + address.status().message());
    if (!seen.insert(*address).second) {
      return Status::invalid_argument(where + ": " + show_address(*address) +
                                      " is listed twice");
    }
    auto sum = checked_add(total, ga.balance());
    if (!sum) return Status::invalid_argument(where + ": the total supply overflows");
    total = *sum;

    ::sharechain::ledger::Account a;
    a.set_address(*address);
    a.set_balance(ga.balance());
    std::set<std::string> roles;
    for (const auto& role : ga.roles()) {
      if (!ledger::is_known_role(role)) {
        return Status::invalid_argument(where + ": unknown role \"" + role +
                                        "\" (roles: operator, data_server, attester, validator)");
      }
      if (!roles.insert(role).second) {
        return Status::invalid_argument(where + ": role \"" + role + "\" is listed twice");
      }
    }
    bool attester = roles.count(std::string(ledger::kAttester)) != 0;
    if (attester && ga.organisation().empty()) {
      return Status::invalid_argument(where + ": an attester needs an organisation");
    }
    if (!attester && !ga.organisation().empty()) {
      return Status::invalid_argument(where + ": only attesters carry an organisation");
    }
    for (const auto& role : roles) {
      a.add_roles(role);  // std::set iterates in sorted order
      state.put(ledger::role_key(role, *address), "");
    }
    a.set_organisation(ga.organisation());
    ledger::save_account(state, a);
  }
  state.put(std::string(ledger::kIssuedKey), be64(total));

  // Without a committee section nothing is stored: the committee is then the operator-role
  // holders with threshold 1 (governance/committee.hpp), as on chains made before committees.
  if (genesis.has_committee()) {
    auto committee = governance::genesis_committee(genesis);
    if (!committee) return committee.status();
    save(state, std::string(governance::kCommitteeKey), *committee);
  }
  return state.take_writes();
}

}  // namespace sharechain::contracts
