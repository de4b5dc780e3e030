// Usage agreements: proposed by a partner, amended by any partner, ACTIVE only once every
// partner has confirmed the current version; suspended, terminated and settled.
#include <algorithm>

#include "contracts/amounts.hpp"
#include "contracts/assets/assets.hpp"
#include "contracts/encoding.hpp"
#include "contracts/ledger/ledger.hpp"
#include "contracts/usage/usage.hpp"

namespace sharechain::contracts::usage::detail {

namespace {

std::string describe_partners(const pb::Terms& t) {
  std::string out;
  for (const auto& p : t.partners()) {
    if (!out.empty()) out += ";";
    out += show_address(p.account()) + "=" + std::to_string(p.share_bps());
  }
  return out;
}

bool confirmed_by(const pb::Agreement& a, std::string_view who) {
  return std::any_of(a.confirmations().begin(), a.confirmations().end(),
                     [&](const std::string& c) { return c == who; });
}

void add_confirmation(pb::Agreement& a, const std::string& who) {
  std::vector<std::string> c(a.confirmations().begin(), a.confirmations().end());
  c.push_back(who);
  std::sort(c.begin(), c.end());
  a.clear_confirmations();
  for (auto& x : c) a.add_confirmations(x);
}

Outcome require_partner(const pb::Agreement& a, std::string_view who, std::string_view action) {
  if (is_partner(a.terms(), who)) return Outcome::ok();
  return Refusal::denied(std::string(action) + " needs a partner of agreement " + show_id(a.id()) +
                         "; " + show_address(who) + " is not one");
}

// Activates the agreement when every partner has confirmed its current version. The terms are
// checked again against the asset as it is now (it may have been retired or changed hands).
Outcome activate_if_confirmed(TxContext& ctx, pb::Agreement& a) {
  for (const auto& p : a.terms().partners()) {
    if (!confirmed_by(a, p.account())) return Outcome::ok();
  }
  SC_TRY(validate_terms(ctx.state(), a.asset_id(), a.terms()));
  a.set_status(pb::ACTIVE);
  a.set_activated_at_ms(ctx.now_ms());
  a.clear_status_reason();
  if (!a.ever_activated()) {
    a.set_ever_activated(true);
    a.set_last_settled_at_ms(ctx.now_ms());
    SC_TRY(assets::note_agreement_live(ctx, a.asset_id(), a.id()));
  }
  ctx.emit(kContract, "AgreementActivated",
           {{"agreement", id_value(a.id())},
            {"asset", id_value(a.asset_id())},
            {"version", number(a.version())},
            {"partners", describe_partners(a.terms())}});
  return Outcome::ok();
}

Outcome check_reason(std::string_view reason) {
  if (reason.size() > 256) return Refusal::invalid("the reason exceeds 256 bytes");
  return Outcome::ok();
}

}  // namespace

Outcome propose(TxContext& ctx, const pb::ProposeAgreement& p) {
  if (!is_partner(p.terms(), ctx.sender())) {
    return Refusal::denied("the proposer of a usage agreement must be one of its partners; " +
                           show_address(ctx.sender()) + " is not in the sharing rule");
  }
  SC_TRY(validate_terms(ctx.state(), p.asset_id(), p.terms()));
  pb::Agreement a;
  a.set_id(ctx.new_id("usage-agreement"));
  a.set_asset_id(p.asset_id());
  a.set_proposer(ctx.sender());
  a.set_version(1);
  a.set_status(pb::PROPOSED);
  *a.mutable_terms() = p.terms();
  a.set_created_at_ms(ctx.now_ms());
  a.set_pot(ledger::derived_address("agreement", a.id()));
  add_confirmation(a, ctx.sender());
  ctx.state().put(asset_agreement_key(a.asset_id(), a.id()), "");
  ctx.emit(kContract, "AgreementProposed",
           {{"agreement", id_value(a.id())},
            {"asset", id_value(a.asset_id())},
            {"proposer", address_value(ctx.sender())},
            {"version", "1"},
            {"deposit", number(p.terms().deposit())},
            {"partners", describe_partners(p.terms())}});
  SC_TRY(activate_if_confirmed(ctx, a));
  save_agreement(ctx.state(), a);
  return Outcome::ok();
}

Outcome amend(TxContext& ctx, const pb::AmendAgreement& m) {
  auto a = require_agreement(ctx.state(), m.agreement_id());
  if (!a.is_ok()) return a.refusal();
  SC_TRY(require_partner(*a, ctx.sender(), "amending a usage agreement"));
  if (a->status() == pb::TERMINATED) {
    return Refusal::precondition("agreement " + show_id(a->id()) + " is terminated");
  }
  if (m.base_version() != a->version()) {
    return Refusal::precondition(
        "the amendment is based on version " + std::to_string(m.base_version()) +
        " but agreement " + show_id(a->id()) + " is at version " + std::to_string(a->version()));
  }
  SC_TRY(validate_terms(ctx.state(), a->asset_id(), m.terms()));
  // Income accumulated under the old sharing rule is split by that rule before it changes.
  SC_TRY(settle_pot(ctx, *a));
  *a->mutable_terms() = m.terms();
  a->set_version(a->version() + 1);
  a->set_status(pb::PROPOSED);
  a->set_status_reason("amended by " + show_address(ctx.sender()));
  a->clear_confirmations();
  if (is_partner(m.terms(), ctx.sender())) add_confirmation(*a, ctx.sender());
  ctx.emit(kContract, "AgreementAmended",
           {{"agreement", id_value(a->id())},
            {"version", number(a->version())},
            {"by", address_value(ctx.sender())},
            {"deposit", number(m.terms().deposit())},
            {"partners", describe_partners(m.terms())}});
  SC_TRY(activate_if_confirmed(ctx, *a));
  save_agreement(ctx.state(), *a);
  return Outcome::ok();
}

Outcome confirm(TxContext& ctx, const pb::ConfirmAgreement& c) {
  auto a = require_agreement(ctx.state(), c.agreement_id());
  if (!a.is_ok()) return a.refusal();
  SC_TRY(require_partner(*a, ctx.sender(), "confirming a usage agreement"));
  if (a->status() == pb::TERMINATED) {
    return Refusal::precondition("agreement " + show_id(a->id()) + " is terminated");
  }
  if (c.version() != a->version()) {
    return Refusal::precondition("version " + std::to_string(c.version()) +
                                 " is not the current version " + std::to_string(a->version()) +
                                 " of agreement " + show_id(a->id()) +
                                 "; review the latest amendment");
  }
  if (a->status() == pb::ACTIVE) {
    return Refusal::exists("agreement " + show_id(a->id()) + " is already active");
  }
  if (confirmed_by(*a, ctx.sender())) {
    return Refusal::exists(show_address(ctx.sender()) + " already confirmed version " +
                           std::to_string(a->version()));
  }
  add_confirmation(*a, ctx.sender());
  ctx.emit(kContract, "AgreementConfirmed",
           {{"agreement", id_value(a->id())},
            {"version", number(a->version())},
            {"partner", address_value(ctx.sender())},
            {"confirmed", std::to_string(a->confirmations_size()) + " of " +
                              std::to_string(a->terms().partners_size())}});
  SC_TRY(activate_if_confirmed(ctx, *a));
  save_agreement(ctx.state(), *a);
  return Outcome::ok();
}

Outcome suspend(TxContext& ctx, const pb::SuspendAgreement& s) {
  auto a = require_agreement(ctx.state(), s.agreement_id());
  if (!a.is_ok()) return a.refusal();
  if (!is_partner(a->terms(), ctx.sender()) &&
      !ledger::has_role(ctx.state(), ctx.sender(), ledger::kDataServer)) {
    return Refusal::denied("suspending agreement " + show_id(a->id()) +
                           " needs one of its partners or a data_server");
  }
  SC_TRY(check_reason(s.reason()));
  if (a->status() != pb::ACTIVE) {
    return Refusal::precondition("only an active agreement can be suspended; agreement " +
                                 show_id(a->id()) + " is " + status_name(a->status()));
  }
  a->set_status(pb::SUSPENDED);
  a->set_status_reason(s.reason());
  a->clear_confirmations();
  ctx.emit(kContract, "AgreementSuspended",
           {{"agreement", id_value(a->id())},
            {"by", address_value(ctx.sender())},
            {"reason", s.reason()}});
  save_agreement(ctx.state(), *a);
  return Outcome::ok();
}

Outcome terminate(TxContext& ctx, const pb::TerminateAgreement& t) {
  auto a = require_agreement(ctx.state(), t.agreement_id());
  if (!a.is_ok()) return a.refusal();
  SC_TRY(require_partner(*a, ctx.sender(), "terminating a usage agreement"));
  SC_TRY(check_reason(t.reason()));
  if (a->status() == pb::TERMINATED) {
    return Refusal::precondition("agreement " + show_id(a->id()) + " is already terminated");
  }
  // Reservations not yet used are cancelled with their deposits returned in full: the users
  // did nothing wrong. A session in progress must end first, so its charge has a rule.
  std::vector<std::string> reservation_ids;
  ctx.state().scan(slot_prefix(a->asset_id()), [&](std::string_view k, std::string_view) {
    reservation_ids.emplace_back(k.substr(k.size() - kIdSize));
    return true;
  });
  std::vector<pb::Reservation> to_cancel;
  for (const auto& id : reservation_ids) {
    auto r = load<pb::Reservation>(ctx.state(), reservation_key(id));
    if (!r) halt("a slot index entry names a missing reservation");
    if (r->agreement_id() != a->id()) continue;
    if (r->status() == pb::IN_USE) {
      return Refusal::precondition("session " + show_id(r->session_id()) +
                                   " is in progress under agreement " + show_id(a->id()) +
                                   "; end it before terminating");
    }
    to_cancel.push_back(*r);
  }
  for (auto& r : to_cancel) {
    if (!r.deposit_hold().empty()) {
      SC_TRY(ledger::release_all(ctx, r.deposit_hold(), "a reservation"));
      r.clear_deposit_hold();
    }
    r.set_status(pb::CANCELLED);
    free_slot(ctx.state(), r);
    save_reservation(ctx.state(), r);
    ctx.emit(kContract, "ReservationCancelled",
             {{"reservation", id_value(r.id())},
              {"user", address_value(r.user())},
              {"fee", "0"},
              {"reason", "agreement terminated"}});
  }
  SC_TRY(settle_pot(ctx, *a));
  bool was_live = a->ever_activated();
  a->set_status(pb::TERMINATED);
  a->set_status_reason(t.reason());
  if (was_live) SC_TRY(assets::note_agreement_ended(ctx, a->asset_id(), a->id()));
  ctx.emit(kContract, "AgreementTerminated",
           {{"agreement", id_value(a->id())},
            {"by", address_value(ctx.sender())},
            {"reason", t.reason()},
            {"reservations_cancelled", number(to_cancel.size())}});
  save_agreement(ctx.state(), *a);
  return Outcome::ok();
}

Outcome settle(TxContext& ctx, const pb::SettleAgreement& s) {
  auto a = require_agreement(ctx.state(), s.agreement_id());
  if (!a.is_ok()) return a.refusal();
  if (!is_partner(a->terms(), ctx.sender()) &&
      !ledger::has_role(ctx.state(), ctx.sender(), ledger::kDataServer)) {
    return Refusal::denied("settling agreement " + show_id(a->id()) +
                           " needs one of its partners or a data_server");
  }
  if (a->terms().settlement() != pb::PERIODIC) {
    return Refusal::precondition("agreement " + show_id(a->id()) +
                                 " splits every payment at once; there is nothing to settle");
  }
  if (a->status() == pb::TERMINATED) {
    return Refusal::precondition("agreement " + show_id(a->id()) +
                                 " is terminated; its income was settled then");
  }
  auto due = checked_add(a->last_settled_at_ms(), a->terms().settlement_period_ms());
  if (!due || ctx.now_ms() < *due) {
    return Refusal::precondition(
        "the settlement period has not passed: the next settlement of "
        "agreement " +
        show_id(a->id()) + " is due at " + (due ? std::to_string(*due) : std::string("never")) +
        " ms, the block time is " + std::to_string(ctx.now_ms()));
  }
  if (ledger::balance_of(ctx.state(), a->pot()) == 0) {
    return Refusal::precondition("no income of agreement " + show_id(a->id()) +
                                 " awaits settlement");
  }
  SC_TRY(settle_pot(ctx, *a));
  save_agreement(ctx.state(), *a);
  return Outcome::ok();
}

}  // namespace sharechain::contracts::usage::detail
