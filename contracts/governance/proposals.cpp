// The committee, the parameter table, genesis and the governance queries.
#include <algorithm>
#include <set>

#include "contracts/encoding.hpp"
#include "contracts/executor.hpp"
#include "contracts/governance/detail.hpp"
#include "contracts/governance/governance.hpp"
#include "contracts/ledger/ledger.hpp"
#include "proto/address.hpp"
#include "proto/crypto.hpp"

namespace sharechain::contracts::governance {

namespace {

// Consensus parameters (false) are the engine's for a whole epoch: a change to one ends the epoch
// at its switch height like a validator-set change (ledger/validator_set.hpp).
constexpr ParameterRule kParameters[] = {
    {"attestation_threshold", 1, 100, true},
    {"proposal_expiry_blocks", 1, kMaxProposalExpiryBlocks, true},
    {"max_block_txs", 1, 100'000, false},
    {"max_block_bytes", 1024, 64ull << 20, false},
    {"batch_delay_ms", 0, 10'000, false},
    {"view_timeout_ms", 100, 600'000, false},
};

constexpr std::uint32_t kMaxListLimit = 1000;
constexpr std::uint32_t kDefaultListLimit = 100;

}  // namespace

std::string proposal_key(std::uint64_t id) { return key(std::string_view("governance/proposal/"), be64(id)); }
std::string open_key(std::uint64_t id) { return key(std::string_view("governance/open/"), be64(id)); }

const ParameterRule* find_parameter(std::string_view name) {
  for (const ParameterRule& p : kParameters) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::string parameter_names() {
  std::string out;
  for (const ParameterRule& p : kParameters) out += (out.empty() ? "" : ", ") + std::string(p.name);
  return out;
}

std::optional<pb::Committee> committee(const StateReader& state) {
  if (auto c = load<pb::Committee>(state, kCommitteeKey)) return c;
  pb::Committee legacy;
  state.scan(ledger::role_key(ledger::kOperator, ""), [&](std::string_view k, std::string_view) {
    legacy.add_members(std::string(k.substr(k.size() - 20)));
    return true;
  });
  if (legacy.members_size() == 0) return std::nullopt;
  legacy.set_threshold(1);
  return legacy;
}

bool is_member(const pb::Committee& c, std::string_view address) {
  return std::find(c.members().begin(), c.members().end(), address) != c.members().end();
}

Outcome require_sole_authority(const StateReader& state, std::string_view sender,
                               std::string_view action, std::string_view kind) {
  auto c = committee(state);
  if (!c || !is_member(*c, sender)) {
    return Refusal::denied(std::string(action) + " needs a seat on the operator committee; " +
                           show_address(sender) + " is not a member");
  }
  if (c->threshold() != 1) {
    return Refusal::denied(std::string(action) + " needs " + std::to_string(c->threshold()) +
                           " committee approvals: propose it with `sharechain governance propose " +
                           std::string(kind) + "` and have other members approve");
  }
  return Outcome::ok();
}

Result<pb::Committee> genesis_committee(const Genesis& genesis) {
  const GenesisCommittee& gc = genesis.committee();
  if (gc.members_size() == 0) {
    return Status::invalid_argument("genesis: the committee section names no member");
  }
  if (gc.members_size() > kMaxCommitteeMembers) {
    return Status::invalid_argument("genesis: the committee has more than " +
                                    std::to_string(kMaxCommitteeMembers) + " members");
  }
  std::set<std::string> accounts;
  for (const auto& a : genesis.accounts()) {
    if (auto address = crypto::parse_address(a.address())) accounts.insert(*address);
  }
  std::set<std::string> members;
  for (const std::string& text : gc.members()) {
    Result<std::string> address = crypto::read_address(text);
    if (!address) return Status::invalid_argument("genesis: committee member: " + address.status().message());
    if (!accounts.count(*address)) {
      return Status::invalid_argument("genesis: committee member " + text +
                                      " is not one of the genesis accounts");
    }
    if (!members.insert(*address).second) {
      return Status::invalid_argument("genesis: committee member " + text + " is listed twice");
    }
  }
  if (gc.threshold() < 1 || gc.threshold() > members.size()) {
    return Status::invalid_argument("genesis: the committee threshold is " +
                                    std::to_string(gc.threshold()) + "; it must be 1 to " +
                                    std::to_string(members.size()) + " (the number of members)");
  }
  pb::Committee c;
  for (const auto& m : members) c.add_members(m);  // std::set: ascending byte order
  c.set_threshold(gc.threshold());
  return c;
}

pb::ProposalStatus status_at(const pb::Proposal& p, std::uint64_t height) {
  if (p.status() == pb::PROPOSAL_OPEN && height > p.expires_at_height()) return pb::PROPOSAL_EXPIRED;
  return p.status();
}

std::string_view status_name(pb::ProposalStatus s) {
  switch (s) {
    case pb::PROPOSAL_OPEN: return "open";
    case pb::PROPOSAL_EXECUTED: return "executed";
    case pb::PROPOSAL_EXPIRED: return "expired";
    default: return "unknown";
  }
}

std::string_view kind_name(const pb::Action& a) {
  switch (a.kind_case()) {
    case pb::Action::kAddValidator: return "add-validator";
    case pb::Action::kRemoveValidator: return "remove-validator";
    case pb::Action::kRotateKey: return "rotate-key";
    case pb::Action::kSetParameter: return "set-parameter";
    case pb::Action::kSetCommittee: return "set-committee";
    case pb::Action::kGrantRole: return "grant-role";
    case pb::Action::kRevokeRole: return "revoke-role";
    case pb::Action::KIND_NOT_SET: break;
  }
  return "none";
}

std::uint64_t proposal_expiry_blocks(const StateReader& state) {
  const std::uint64_t v = chain_params(state).proposal_expiry_blocks();
  return v == 0 ? kDefaultProposalExpiryBlocks : v;
}

Result<pb::QueryResult> query(const StateReader& state, const pb::Query& q) {
  pb::QueryResult out;
  switch (q.query_case()) {
    case pb::Query::kCommittee: {
      auto c = committee(state);
      if (!c) return Status::not_found("this chain has no operator committee (and no operator)");
      *out.mutable_committee() = *c;
      return out;
    }
    case pb::Query::kProposal: {
      auto p = load<pb::Proposal>(state, proposal_key(q.proposal().id()));
      if (!p) return Status::not_found("no proposal " + std::to_string(q.proposal().id()));
      *out.mutable_proposal() = *p;
      return out;
    }
    case pb::Query::kProposals: {
      const auto& l = q.proposals();
      if (l.limit() > kMaxListLimit) {
        return Status::invalid_argument("a proposal list holds at most " + std::to_string(kMaxListLimit) +
                                        " entries; page with after_id");
      }
      const std::uint32_t limit = l.limit() == 0 ? kDefaultListLimit : l.limit();
      auto* list = out.mutable_proposals();
      const std::string_view prefix = l.open_only() ? "governance/open/" : "governance/proposal/";
      state.scan(prefix, [&](std::string_view k, std::string_view) {
        auto id = read_be64(k.substr(prefix.size()));
        if (!id) halt("a governance key does not end in a proposal id");
        if (*id <= l.after_id()) return true;
        auto p = load<pb::Proposal>(state, proposal_key(*id));
        if (!p) halt("the open-proposal index names a missing proposal");
        *list->add_proposals() = std::move(*p);
        return static_cast<std::uint32_t>(list->proposals_size()) < limit;
      });
      return out;
    }
    case pb::Query::QUERY_NOT_SET: break;
  }
  return Status::invalid_argument("the governance query names no query");
}

}  // namespace sharechain::contracts::governance
