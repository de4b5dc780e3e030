// Proposing, approving and executing committee actions.
#include <algorithm>
#include <charconv>
#include <set>

#include "contracts/encoding.hpp"
#include "contracts/executor.hpp"
#include "contracts/governance/detail.hpp"
#include "contracts/governance/governance.hpp"
#include "contracts/ledger/ledger.hpp"
#include "contracts/ledger/validator_set.hpp"
#include "proto/crypto.hpp"

namespace sharechain::contracts::governance {

namespace {

constexpr std::string_view kNextIdKey = "governance/next_id";
constexpr std::size_t kMaxMemo = 256;

// Consensus-parameter changes (and validator-set changes on a host that runs no epochs,
// BlockContext::validator_changes) must reach the engine at the same height on every replica,
// through an epoch boundary; recording one nothing would apply is refused.
Refusal needs_epochs(std::string_view what) {
  return Refusal::precondition(std::string(what) +
                               " takes effect at an epoch boundary, where this release switches "
                               "validator sets only; nothing was recorded");
}

std::string show_key(std::string_view key32) { return crypto::to_hex(key32); }

// Validator-set actions are checked against the set the chain will have once every change
// already executed is in force, and build on it.
using ValidatorSet = std::vector<Validator>;

ValidatorSet::const_iterator find_key(const ValidatorSet& set, std::string_view public_key) {
  return std::find_if(set.begin(), set.end(),
                      [&](const Validator& v) { return v.public_key() == public_key; });
}

bool holds_key(const ValidatorSet& set, std::string_view public_key) {
  return find_key(set, public_key) != set.end();
}

Outcome check_public_key(std::string_view key, std::string_view field) {
  if (!crypto::is_valid_public_key(key)) {
    return Refusal::invalid(std::string(field) + " is not a valid 32-byte x-only public key");
  }
  return Outcome::ok();
}

// HOST:PORT with a port of 1..65535 and a host of printable characters.
bool valid_peer_address(std::string_view a) {
  if (a.size() > 255) return false;
  const auto colon = a.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  for (char c : a.substr(0, colon)) {
    if (c <= ' ' || c > '~') return false;
  }
  const std::string_view port = a.substr(colon + 1);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  return ec == std::errc() && end == port.data() + port.size() && value >= 1 && value <= 65535;
}

Outcome check_committee(const StateReader& state, const pb::SetCommittee& s) {
  if (s.members_size() == 0) return Refusal::invalid("a committee needs at least one member");
  if (s.members_size() > kMaxCommitteeMembers) {
    return Refusal::invalid("a committee has at most " + std::to_string(kMaxCommitteeMembers) +
                            " members");
  }
  std::set<std::string> seen;
  for (const std::string& m : s.members()) {
    if (!is_address(m)) return Refusal::invalid("a committee member must be a 20-byte address");
    if (!seen.insert(m).second) {
      return Refusal::invalid(show_address(m) + " is listed twice in the committee");
    }
    // A mistyped address would be a seat nobody can ever use.
    if (!ledger::find_account(state, m)) {
      return Refusal::not_found("no account " + show_address(m) +
                                ": a committee member must be an account that has held funds or "
                                "sent a transaction");
    }
  }
  if (s.threshold() < 1 || s.threshold() > static_cast<std::uint32_t>(s.members_size())) {
    return Refusal::precondition("a committee of " + std::to_string(s.members_size()) +
                                 " members cannot have threshold " + std::to_string(s.threshold()) +
                                 ": it must be 1 to " + std::to_string(s.members_size()) +
                                 ", or no proposal could ever pass");
  }
  return Outcome::ok();
}

// The checks a proposal passes before it is recorded. They are repeated when it executes,
// because state may have changed in between.
Outcome check_action(const StateReader& state, const pb::Action& a, bool validator_changes) {
  switch (a.kind_case()) {
    case pb::Action::kAddValidator: {
      const auto& v = a.add_validator();
      SC_TRY(check_public_key(v.public_key(), "public_key"));
      if (!valid_peer_address(v.peer_address())) {
        return Refusal::invalid("peer_address \"" + v.peer_address() + "\" is not HOST:PORT");
      }
      if (v.name().size() > 64) return Refusal::invalid("a validator name is at most 64 bytes");
      const ValidatorSet set = ledger::upcoming_validators(state);
      if (holds_key(set, v.public_key())) {
        return Refusal::exists("validator " + show_key(v.public_key()) + " is already in the set");
      }
      for (const Validator& other : set) {
        if (!v.name().empty() && other.name() == v.name()) {
          return Refusal::exists("the name \"" + v.name() + "\" belongs to validator " +
                                 show_key(other.public_key()));
        }
        if (other.peer_address() == v.peer_address()) {
          return Refusal::exists("peer_address " + v.peer_address() + " belongs to validator " +
                                 show_key(other.public_key()) +
                                 ": two validators cannot listen on one address");
        }
      }
      if (!validator_changes) return needs_epochs("adding a validator");
      return Outcome::ok();
    }
    case pb::Action::kRemoveValidator: {
      const auto& v = a.remove_validator();
      SC_TRY(check_public_key(v.public_key(), "public_key"));
      const ValidatorSet set = ledger::upcoming_validators(state);
      if (!holds_key(set, v.public_key())) {
        return Refusal::not_found("no validator has public key " + show_key(v.public_key()));
      }
      if (set.size() <= 1) {
        return Refusal::precondition("removing validator " + show_key(v.public_key()) +
                                     " would leave the chain without a validator");
      }
      if (!validator_changes) return needs_epochs("removing a validator");
      return Outcome::ok();
    }
    case pb::Action::kRotateKey: {
      const auto& r = a.rotate_key();
      SC_TRY(check_public_key(r.public_key(), "public_key"));
      SC_TRY(check_public_key(r.new_public_key(), "new_public_key"));
      const ValidatorSet set = ledger::upcoming_validators(state);
      if (!holds_key(set, r.public_key())) {
        return Refusal::not_found("no validator has public key " + show_key(r.public_key()));
      }
      if (holds_key(set, r.new_public_key())) {
        return Refusal::exists("the new key " + show_key(r.new_public_key()) +
                               " already belongs to a validator");
      }
      if (!validator_changes) return needs_epochs("rotating a validator's key");
      return Outcome::ok();
    }
    case pb::Action::kSetParameter: {
      const auto& p = a.set_parameter();
      const ParameterRule* rule = find_parameter(p.name());
      if (!rule) {
        return Refusal::invalid("unknown parameter \"" + p.name() + "\": the parameters are " +
                                parameter_names());
      }
      if (p.value() < rule->min || p.value() > rule->max) {
        return Refusal::range(p.name() + " must be " + std::to_string(rule->min) + " to " +
                              std::to_string(rule->max) + "; got " + std::to_string(p.value()));
      }
      if (!rule->contract_parameter && !validator_changes) return needs_epochs("changing " + p.name());
      return Outcome::ok();
    }
    case pb::Action::kSetCommittee:
      return check_committee(state, a.set_committee());
    case pb::Action::kGrantRole:
      return ledger::check_grant(a.grant_role());
    case pb::Action::kRevokeRole:
      return ledger::check_revoke(a.revoke_role());
    case pb::Action::KIND_NOT_SET: break;
  }
  return Refusal::invalid("the proposal names no action");
}

Outcome set_parameter(TxContext& ctx, const pb::SetParameter& p) {
  if (ledger::is_consensus_parameter(p.name())) {
    // The engine holds these for its epoch: the change ends the epoch and the next one runs with it.
    const std::uint64_t at = ledger::schedule_parameter_change(ctx.state(), ctx.height(), p.name(), p.value());
    ctx.emit(kContract, "ParameterChangeScheduled",
             {{"name", p.name()}, {"value", number(p.value())}, {"switch_height", number(at)}});
    return Outcome::ok();
  }
  ChainParams params = chain_params(ctx.state());
  if (p.name() == "attestation_threshold") {
    params.set_attestation_threshold(static_cast<std::uint32_t>(p.value()));
  } else if (p.name() == "proposal_expiry_blocks") {
    params.set_proposal_expiry_blocks(p.value());
  } else {
    halt("a parameter passed its checks but has no setter");
  }
  save(ctx.state(), "chain/params", params);
  ctx.emit(kContract, "ParameterChanged", {{"name", p.name()}, {"value", number(p.value())}});
  return Outcome::ok();
}

Outcome set_committee(TxContext& ctx, const pb::SetCommittee& s) {
  std::vector<std::string> members(s.members().begin(), s.members().end());
  std::sort(members.begin(), members.end());
  pb::Committee c;
  for (auto& m : members) c.add_members(std::move(m));
  c.set_threshold(s.threshold());
  c.set_since_height(ctx.height());
  save(ctx.state(), std::string(kCommitteeKey), c);
  ctx.emit(kContract, "CommitteeChanged",
           {{"members", number(c.members_size())}, {"threshold", number(c.threshold())}});
  return Outcome::ok();
}

// The set after the change, scheduled for the switch height (contracts/ledger/validator_set.hpp).
Outcome change_validators(TxContext& ctx, const pb::Action& a) {
  ValidatorSet set = ledger::upcoming_validators(ctx.state());
  std::string what;
  std::string key;
  switch (a.kind_case()) {
    case pb::Action::kAddValidator: {
      const auto& add = a.add_validator();
      Validator v;
      v.set_name(add.name());
      v.set_public_key(add.public_key());
      v.set_address(crypto::address_of(add.public_key()));
      v.set_peer_address(add.peer_address());
      set.push_back(std::move(v));
      what = "added";
      key = add.public_key();
      break;
    }
    case pb::Action::kRemoveValidator:
      set.erase(find_key(set, a.remove_validator().public_key()));
      what = "removed";
      key = a.remove_validator().public_key();
      break;
    case pb::Action::kRotateKey: {
      const auto& r = a.rotate_key();
      Validator& v = set[static_cast<std::size_t>(find_key(set, r.public_key()) - set.cbegin())];
      v.set_public_key(r.new_public_key());
      v.set_address(crypto::address_of(r.new_public_key()));
      what = "rotated";
      key = r.new_public_key();
      break;
    }
    default: halt("change_validators was given another action");
  }
  const std::uint64_t size = set.size();
  const std::uint64_t at = ledger::schedule_validator_change(ctx.state(), ctx.height(), std::move(set));
  ctx.emit(kContract, "ValidatorSetChangeScheduled",
           {{"change", what},
            {"public_key", show_key(key)},
            {"switch_height", number(at)},
            {"validators", number(size)}});
  return Outcome::ok();
}

Outcome run_action(TxContext& ctx, const pb::Action& a) {
  SC_TRY(check_action(ctx.state(), a, ctx.block().validator_changes));
  switch (a.kind_case()) {
    case pb::Action::kAddValidator:
    case pb::Action::kRemoveValidator:
    case pb::Action::kRotateKey: return change_validators(ctx, a);
    case pb::Action::kSetParameter: return set_parameter(ctx, a.set_parameter());
    case pb::Action::kSetCommittee: return set_committee(ctx, a.set_committee());
    case pb::Action::kGrantRole: return ledger::grant_role(ctx, a.grant_role());
    case pb::Action::kRevokeRole: return ledger::revoke_role(ctx, a.revoke_role());
    default: break;
  }
  halt("a governance action passed its checks but has no executor");
}

// Approvals that count: those of the committee's members now.
std::uint32_t counted_approvals(const pb::Committee& c, const pb::Proposal& p) {
  std::uint32_t n = 0;
  for (const auto& a : p.approvals()) n += is_member(c, a) ? 1 : 0;
  return n;
}

// Executes `p` when its approvals reach the threshold, then stores it.
Outcome settle(TxContext& ctx, const pb::Committee& c, pb::Proposal& p) {
  if (counted_approvals(c, p) >= c.threshold()) {
    Outcome done = run_action(ctx, p.action());
    if (!done.is_ok()) {
      Refusal r = done.refusal();
      r.message = "proposal " + std::to_string(p.id()) + " has its approvals but cannot execute: " +
                  r.message;
      return r;
    }
    p.set_status(pb::PROPOSAL_EXECUTED);
    p.set_executed_height(ctx.height());
    ctx.state().erase(open_key(p.id()));
    ctx.emit(kContract, "ProposalExecuted",
             {{"proposal", number(p.id())}, {"kind", std::string(kind_name(p.action()))}});
  }
  save(ctx.state(), proposal_key(p.id()), p);
  return Outcome::ok();
}

Checked<pb::Committee> member_committee(const TxContext& ctx, std::string_view action) {
  auto c = committee(ctx.state());
  if (!c) {
    return Refusal::precondition("this chain has no operator committee: its genesis named none "
                                 "and no account holds the operator role");
  }
  if (!is_member(*c, ctx.sender())) {
    return Refusal::denied(std::string(action) + " needs a seat on the operator committee; " +
                           show_address(ctx.sender()) + " is not a member");
  }
  return *c;
}

Outcome do_propose(TxContext& ctx, const pb::Propose& p) {
  auto c = member_committee(ctx, "proposing");
  if (!c.is_ok()) return c.refusal();
  if (p.memo().size() > kMaxMemo) return Refusal::invalid("the memo is longer than 256 bytes");
  SC_TRY(check_action(ctx.state(), p.action(), ctx.block().validator_changes));

  Overlay& state = ctx.state();
  const std::uint64_t id = read_be64(state.get(kNextIdKey).value_or(be64(1))).value_or(0);
  if (id == 0) halt("the next proposal id does not decode");
  state.put(std::string(kNextIdKey), be64(id + 1));

  pb::Proposal proposal;
  proposal.set_id(id);
  *proposal.mutable_action() = p.action();
  proposal.set_proposer(ctx.sender());
  proposal.add_approvals(ctx.sender());
  proposal.set_created_height(ctx.height());
  proposal.set_expires_at_height(ctx.height() + proposal_expiry_blocks(state));
  proposal.set_status(pb::PROPOSAL_OPEN);
  proposal.set_tx_hash(ctx.tx_hash());
  proposal.set_memo(p.memo());
  state.put(open_key(id), "");
  ctx.emit(kContract, "ProposalCreated",
           {{"proposal", number(id)},
            {"kind", std::string(kind_name(p.action()))},
            {"by", address_value(ctx.sender())},
            {"expires_at_height", number(proposal.expires_at_height())}});
  return settle(ctx, *c, proposal);
}

Outcome do_approve(TxContext& ctx, const pb::Approve& a) {
  auto c = member_committee(ctx, "approving a proposal");
  if (!c.is_ok()) return c.refusal();
  auto p = load<pb::Proposal>(ctx.state(), proposal_key(a.proposal_id()));
  if (!p) return Refusal::not_found("no proposal " + std::to_string(a.proposal_id()));
  const std::string name = "proposal " + std::to_string(p->id());
  if (p->status() == pb::PROPOSAL_EXECUTED) {
    return Refusal::precondition(name + " was already executed at height " +
                                 std::to_string(p->executed_height()));
  }
  if (status_at(*p, ctx.height()) == pb::PROPOSAL_EXPIRED) {
    return Refusal::precondition(name + " expired after height " +
                                 std::to_string(p->expires_at_height()) + "; propose it again");
  }
  if (std::find(p->approvals().begin(), p->approvals().end(), ctx.sender()) != p->approvals().end()) {
    return Refusal::exists(show_address(ctx.sender()) + " has already approved " + name);
  }
  p->add_approvals(ctx.sender());
  ctx.emit(kContract, "ProposalApproved",
           {{"proposal", number(p->id())},
            {"by", address_value(ctx.sender())},
            {"approvals", number(counted_approvals(*c, *p))},
            {"threshold", number(c->threshold())}});
  return settle(ctx, *c, *p);
}

}  // namespace

Outcome execute(TxContext& ctx, const pb::Call& call) {
  switch (call.action_case()) {
    case pb::Call::kPropose: return do_propose(ctx, call.propose());
    case pb::Call::kApprove: return do_approve(ctx, call.approve());
    case pb::Call::ACTION_NOT_SET: break;
  }
  return Refusal::invalid("the governance call names no action");
}

}  // namespace sharechain::contracts::governance
