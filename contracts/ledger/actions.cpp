// The ledger's user-visible actions and queries.
#include <algorithm>

#include "contracts/amounts.hpp"
#include "contracts/encoding.hpp"
#include "contracts/governance/committee.hpp"
#include "contracts/ledger/ledger.hpp"
#include "contracts/ledger/validator_set.hpp"

namespace sharechain::contracts::ledger {

namespace {

// Qualification names are identifiers: lower-case letters, digits and '_', 1..64 long.
bool valid_qualification_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string unknown_role_message(std::string_view role) {
  return "unknown role \"" + std::string(role) +
         "\": the roles are operator, data_server, attester and validator";
}

std::size_t count_holders(const StateReader& state, std::string_view role) {
  std::size_t n = 0;
  state.scan(key(std::string_view("ledger/role/"), role, std::string_view("/")),
             [&](std::string_view, std::string_view) {
               ++n;
               return true;
             });
  return n;
}

Outcome do_transfer(TxContext& ctx, const pb::Transfer& t) {
  return transfer(ctx, ctx.sender(), t.to(), t.amount(), t.memo());
}

Outcome do_issue(TxContext& ctx, const pb::Issue& i) {
  SC_TRY(require_either_role(ctx.state(), ctx.sender(), kDataServer, kOperator,
                             "issuing credits"));
  if (i.memo().size() > 256) return Refusal::invalid("the memo is longer than 256 bytes");
  return mint(ctx, i.to(), i.amount(), i.reference(), "issue");
}

}  // namespace

Outcome check_grant(const pb::GrantRole& g) {
  if (!is_address(g.account())) return Refusal::invalid("the account must be a 20-byte address");
  if (!is_known_role(g.role())) return Refusal::invalid(unknown_role_message(g.role()));
  if (g.role() == kAttester && g.organisation().empty()) {
    return Refusal::invalid("an attester needs the name of its organisation");
  }
  if (g.role() != kAttester && !g.organisation().empty()) {
    return Refusal::invalid("only the attester role carries an organisation");
  }
  if (g.organisation().size() > 128) {
    return Refusal::invalid("the organisation name is longer than 128 bytes");
  }
  return Outcome::ok();
}

Outcome grant_role(TxContext& ctx, const pb::GrantRole& g) {
  SC_TRY(check_grant(g));
  Overlay& state = ctx.state();
  pb::Account a = account_or_new(state, g.account());
  if (has_role(a, g.role())) {
    return Refusal::exists(show_address(g.account()) + " already holds the " + g.role() +
                           " role");
  }
  std::vector<std::string> roles(a.roles().begin(), a.roles().end());
  roles.push_back(g.role());
  std::sort(roles.begin(), roles.end());
  a.clear_roles();
  for (auto& r : roles) a.add_roles(r);
  if (g.role() == kAttester) a.set_organisation(g.organisation());
  save_account(state, a);
  state.put(role_key(g.role(), g.account()), "");
  ctx.emit(kContract, "RoleGranted",
           {{"account", address_value(g.account())},
            {"role", g.role()},
            {"organisation", g.organisation()},
            {"by", address_value(ctx.sender())}});
  return Outcome::ok();
}

Outcome check_revoke(const pb::RevokeRole& r) {
  if (!is_address(r.account())) return Refusal::invalid("the account must be a 20-byte address");
  if (!is_known_role(r.role())) return Refusal::invalid(unknown_role_message(r.role()));
  return Outcome::ok();
}

Outcome revoke_role(TxContext& ctx, const pb::RevokeRole& r) {
  SC_TRY(check_revoke(r));
  Overlay& state = ctx.state();
  auto a = find_account(state, r.account());
  if (!a || !has_role(*a, r.role())) {
    return Refusal::not_found(show_address(r.account()) + " does not hold the " + r.role() +
                              " role");
  }
  if (r.role() == kOperator && count_holders(state, kOperator) <= 1) {
    return Refusal::precondition(
        "cannot revoke the last operator: grant the operator role to another account first");
  }
  std::vector<std::string> roles;
  for (const auto& x : a->roles()) {
    if (x != r.role()) roles.push_back(x);
  }
  a->clear_roles();
  for (auto& x : roles) a->add_roles(x);
  if (r.role() == kAttester) a->clear_organisation();
  save_account(state, *a);
  state.erase(role_key(r.role(), r.account()));
  ctx.emit(kContract, "RoleRevoked",
           {{"account", address_value(r.account())},
            {"role", r.role()},
            {"by", address_value(ctx.sender())}});
  return Outcome::ok();
}

namespace {

// Granting and revoking belong to the operator committee; a member acts alone only when the
// committee's threshold is 1, and otherwise proposes through the governance contract.
Outcome do_grant(TxContext& ctx, const pb::GrantRole& g) {
  SC_TRY(governance::require_sole_authority(ctx.state(), ctx.sender(), "granting a role",
                                            "grant-role"));
  return grant_role(ctx, g);
}

Outcome do_revoke(TxContext& ctx, const pb::RevokeRole& r) {
  SC_TRY(governance::require_sole_authority(ctx.state(), ctx.sender(), "revoking a role",
                                            "revoke-role"));
  return revoke_role(ctx, r);
}

Outcome do_certify(TxContext& ctx, const pb::Certify& c) {
  SC_TRY(require_either_role(ctx.state(), ctx.sender(), kDataServer, kOperator,
                             "certifying a qualification"));
  if (!is_address(c.account())) return Refusal::invalid("the account must be a 20-byte address");
  if (!valid_qualification_name(c.qualification())) {
    return Refusal::invalid("a qualification name is 1 to 64 lower-case letters, digits or '_'");
  }
  if (c.expires_at_ms() != 0 && c.expires_at_ms() <= ctx.now_ms()) {
    return Refusal::invalid("the qualification would already be expired");
  }
  if (c.evidence_hash().size() > 64) return Refusal::invalid("the evidence hash is too long");
  Overlay& state = ctx.state();
  pb::Account a = account_or_new(state, c.account());
  std::vector<pb::Qualification> quals;
  for (const auto& q : a.qualifications()) {
    if (q.name() != c.qualification()) quals.push_back(q);  // re-certifying renews
  }
  pb::Qualification q;
  q.set_name(c.qualification());
  q.set_certified_by(ctx.sender());
  q.set_certified_at_ms(ctx.now_ms());
  q.set_expires_at_ms(c.expires_at_ms());
  q.set_evidence_hash(c.evidence_hash());
  quals.push_back(q);
  std::sort(quals.begin(), quals.end(),
            [](const pb::Qualification& x, const pb::Qualification& y) {
              return x.name() < y.name();
            });
  a.clear_qualifications();
  for (auto& x : quals) *a.add_qualifications() = x;
  save_account(state, a);
  ctx.emit(kContract, "Certified",
           {{"account", address_value(c.account())},
            {"qualification", c.qualification()},
            {"expires_at_ms", number(c.expires_at_ms())},
            {"by", address_value(ctx.sender())}});
  return Outcome::ok();
}

Outcome do_decertify(TxContext& ctx, const pb::Decertify& d) {
  SC_TRY(require_either_role(ctx.state(), ctx.sender(), kDataServer, kOperator,
                             "withdrawing a qualification"));
  if (!is_address(d.account())) return Refusal::invalid("the account must be a 20-byte address");
  Overlay& state = ctx.state();
  auto a = find_account(state, d.account());
  std::vector<pb::Qualification> kept;
  bool found = false;
  if (a) {
    for (const auto& q : a->qualifications()) {
      if (q.name() == d.qualification()) {
        found = true;
      } else {
        kept.push_back(q);
      }
    }
  }
  if (!found) {
    return Refusal::not_found(show_address(d.account()) + " does not hold the qualification " +
                              d.qualification());
  }
  a->clear_qualifications();
  for (auto& x : kept) *a->add_qualifications() = x;
  save_account(state, *a);
  ctx.emit(kContract, "Decertified",
           {{"account", address_value(d.account())},
            {"qualification", d.qualification()},
            {"by", address_value(ctx.sender())}});
  return Outcome::ok();
}

}  // namespace

Outcome execute(TxContext& ctx, const pb::Call& call) {
  switch (call.action_case()) {
    case pb::Call::kTransfer: return do_transfer(ctx, call.transfer());
    case pb::Call::kIssue: return do_issue(ctx, call.issue());
    case pb::Call::kGrantRole: return do_grant(ctx, call.grant_role());
    case pb::Call::kRevokeRole: return do_revoke(ctx, call.revoke_role());
    case pb::Call::kCertify: return do_certify(ctx, call.certify());
    case pb::Call::kDecertify: return do_decertify(ctx, call.decertify());
    case pb::Call::ACTION_NOT_SET: break;
  }
  return Refusal::invalid("the ledger call names no action");
}

Result<pb::QueryResult> query(const StateReader& state, const pb::Query& q) {
  pb::QueryResult out;
  switch (q.query_case()) {
    case pb::Query::kAccount: {
      if (!is_address(q.account().address())) {
        return Status::invalid_argument("an account address is 20 bytes");
      }
      auto a = find_account(state, q.account().address());
      if (!a) {
        return Status::not_found("no account " + show_address(q.account().address()) +
                                 ": it has never held funds or sent a transaction");
      }
      *out.mutable_account() = *a;
      return out;
    }
    case pb::Query::kRoleHolders: {
      const std::string& role = q.role_holders().role();
      if (!is_known_role(role)) return Status::invalid_argument(unknown_role_message(role));
      auto* holders = out.mutable_role_holders();
      holders->set_role(role);
      std::string prefix = key(std::string_view("ledger/role/"), role, std::string_view("/"));
      state.scan(prefix, [&](std::string_view k, std::string_view) {
        holders->add_accounts(std::string(k.substr(prefix.size())));
        return true;
      });
      return out;
    }
    case pb::Query::kIssue: {
      auto rec = load<pb::IssueRecord>(state, issue_key(q.issue().reference()));
      if (!rec) {
        return Status::not_found("no issuance with reference \"" + q.issue().reference() + "\"");
      }
      *out.mutable_issue() = *rec;
      return out;
    }
    case pb::Query::kSupply:
      *out.mutable_supply() = supply(state);
      return out;
    case pb::Query::kHolds: {
      const std::string& owner = q.holds().owner();
      if (!is_address(owner)) return Status::invalid_argument("an account address is 20 bytes");
      auto* holds = out.mutable_holds();
      std::string prefix = key(std::string_view("ledger/holds_of/"), owner);
      state.scan(prefix, [&](std::string_view k, std::string_view) {
        auto h = find_hold(state, k.substr(prefix.size()));
        if (!h) halt("an escrow index entry names a missing hold");
        *holds->add_holds() = *h;
        return true;
      });
      return out;
    }
    case pb::Query::kValidators: {
      auto* vs = out.mutable_validators();
      for (const Validator& v : validators(state)) *vs->add_validators() = to_info(v);
      const pb::EpochRecord epoch = current_epoch(state);
      vs->set_epoch(epoch.epoch());
      vs->set_epoch_start(epoch.start_height());
      for (auto& change : pending_changes(state)) *vs->add_pending() = std::move(change);
      if (q.validators().history()) {
        for (auto& ended : ended_epochs(state)) *vs->add_history() = std::move(ended);
      }
      return out;
    }
    case pb::Query::QUERY_NOT_SET: break;
  }
  return Status::invalid_argument("the ledger query names no query");
}

}  // namespace sharechain::contracts::ledger
