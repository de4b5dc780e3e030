// Payment of a session (on chain with the deposit applied first, or recorded off chain),
// overdue reports and disputes, which feed the parties' credit history.
#include "contracts/amounts.hpp"
#include "contracts/encoding.hpp"
#include "contracts/ledger/ledger.hpp"
#include "contracts/revenue/revenue.hpp"
#include "contracts/usage/usage.hpp"

namespace sharechain::contracts::usage::detail {

namespace {

Outcome require_awaiting_payment(const pb::Session& s) {
  switch (s.status()) {
    case pb::AWAITING_PAYMENT:
      return Outcome::ok();
    case pb::PAID:
      return Refusal::exists("session " + show_id(s.id()) + " is already paid (at " +
                             std::to_string(s.paid_at_ms()) + " ms)");
    default:
      return Refusal::precondition("session " + show_id(s.id()) +
                                   " has not ended yet: the data server reports the meter first");
  }
}

bool is_session_partner(const pb::Session& s, std::string_view who) {
  for (const auto& p : s.partners()) {
    if (p.account() == who) return true;
  }
  return false;
}

void set_split(pb::Session& s, const std::vector<pb::Payout>& payouts) {
  s.clear_split();
  for (const auto& p : payouts) *s.add_split() = p;
}

std::string describe_split(const std::vector<pb::Payout>& payouts) {
  std::string out;
  for (const auto& p : payouts) {
    if (!out.empty()) out += ";";
    out += show_address(p.party()) + "=" + std::to_string(p.amount());
  }
  return out;
}

}  // namespace

Outcome pay_session(TxContext& ctx, const pb::PaySession& p) {
  auto s = require_session(ctx.state(), p.session_id());
  if (!s.is_ok()) return s.refusal();
  if (ctx.sender() != s->user()) {
    return Refusal::denied("only the session's user " + show_address(s->user()) +
                           " pays it on chain; a data_server records off-chain payments");
  }
  SC_TRY(require_awaiting_payment(*s));
  auto ag = require_agreement(ctx.state(), s->agreement_id());
  if (!ag.is_ok()) return ag.refusal();

  // The deposit is applied first: it returns to the user's balance, which then pays the charge.
  std::uint64_t from_deposit = 0;
  if (!s->deposit_hold().empty()) {
    auto h = ledger::find_hold(ctx.state(), s->deposit_hold());
    if (!h) halt("a session names a deposit hold that does not exist");
    from_deposit = std::min(h->amount(), s->charge());
  }
  SC_TRY(return_deposit(ctx, *s));
  std::uint64_t have = ledger::balance_of(ctx.state(), s->user());
  if (have < s->charge()) {
    return Refusal::funds("insufficient funds: " + show_address(s->user()) + " holds " +
                          format_units(have) +
                          " including the returned deposit, the session "
                          "costs " +
                          format_units(s->charge()));
  }
  auto payouts = take_income(ctx, *ag, s->user(), s->charge(), s->id(), s->partners(),
                             s->agreement_version() == ag->version());
  if (!payouts.is_ok()) return payouts.refusal();
  set_split(*s, *payouts);
  s->set_paid_on_chain(true);
  bool on_time = ctx.now_ms() <= s->payment_due_at_ms();
  mark_settled(ctx, *s);
  revenue::record_payment(ctx.state(), s->user(), on_time);
  save_agreement(ctx.state(), *ag);
  save_session(ctx.state(), *s);
  ctx.emit(kContract, "SessionPaid",
           {{"session", id_value(s->id())},
            {"user", address_value(s->user())},
            {"amount", number(s->charge())},
            {"from_deposit", number(from_deposit)},
            {"on_chain", "true"},
            {"on_time", on_time ? "true" : "false"},
            {"split", describe_split(*payouts)}});
  return Outcome::ok();
}

Outcome record_payment(TxContext& ctx, const pb::RecordExternalPayment& p) {
  SC_TRY(ledger::require_role(ctx.state(), ctx.sender(), ledger::kDataServer,
                              "recording an off-chain payment"));
  auto s = require_session(ctx.state(), p.session_id());
  if (!s.is_ok()) return s.refusal();
  SC_TRY(require_awaiting_payment(*s));
  if (p.amount() != s->charge()) {
    return Refusal::invalid("the recorded payment of " + format_units(p.amount()) +
                            " does not equal the charge of " + format_units(s->charge()));
  }
  auto ag = require_agreement(ctx.state(), s->agreement_id());
  if (!ag.is_ok()) return ag.refusal();
  // The off-chain money becomes credits in the agreement's pot, and is shared from there.
  SC_TRY(ledger::mint(ctx, ag->pot(), s->charge(), p.reference(),
                      "usage payment for session " + show_id(s->id())));
  SC_TRY(return_deposit(ctx, *s));
  auto payouts = take_income(ctx, *ag, ag->pot(), s->charge(), s->id(), s->partners(),
                             s->agreement_version() == ag->version());
  if (!payouts.is_ok()) return payouts.refusal();
  set_split(*s, *payouts);
  s->set_paid_on_chain(false);
  s->set_payment_reference(p.reference());
  bool on_time = ctx.now_ms() <= s->payment_due_at_ms();
  mark_settled(ctx, *s);
  revenue::record_payment(ctx.state(), s->user(), on_time);
  save_agreement(ctx.state(), *ag);
  save_session(ctx.state(), *s);
  ctx.emit(kContract, "SessionPaid",
           {{"session", id_value(s->id())},
            {"user", address_value(s->user())},
            {"amount", number(s->charge())},
            {"from_deposit", "0"},
            {"on_chain", "false"},
            {"reference", p.reference()},
            {"on_time", on_time ? "true" : "false"},
            {"split", describe_split(*payouts)}});
  return Outcome::ok();
}

Outcome report_overdue(TxContext& ctx, const pb::ReportOverdue& r) {
  auto s = require_session(ctx.state(), r.session_id());
  if (!s.is_ok()) return s.refusal();
  SC_TRY(require_awaiting_payment(*s));
  if (ctx.now_ms() <= s->payment_due_at_ms()) {
    return Refusal::precondition("session " + show_id(s->id()) + " is due at " +
                                 std::to_string(s->payment_due_at_ms()) +
                                 " ms; it is not overdue yet");
  }
  if (s->overdue_reported()) {
    return Refusal::exists("session " + show_id(s->id()) + " was already reported overdue");
  }
  s->set_overdue_reported(true);
  revenue::record_overdue(ctx.state(), s->user());
  save_session(ctx.state(), *s);
  ctx.emit(kContract, "PaymentOverdue",
           {{"session", id_value(s->id())},
            {"user", address_value(s->user())},
            {"amount", number(s->charge())},
            {"due_at_ms", number(s->payment_due_at_ms())},
            {"reported_by", address_value(ctx.sender())}});
  return Outcome::ok();
}

Outcome raise_dispute(TxContext& ctx, const pb::RaiseDispute& d) {
  auto s = require_session(ctx.state(), d.session_id());
  if (!s.is_ok()) return s.refusal();
  if (ctx.sender() != s->user() && !is_session_partner(*s, ctx.sender()) &&
      !ledger::has_role(ctx.state(), ctx.sender(), ledger::kDataServer)) {
    return Refusal::denied("a dispute over session " + show_id(s->id()) +
                           " is raised by its user, one of its partners or a data_server");
  }
  if (d.reason().empty() || d.reason().size() > 256) {
    return Refusal::invalid("a dispute states its reason in 1 to 256 bytes");
  }
  if (s->status() != pb::AWAITING_PAYMENT && s->status() != pb::PAID) {
    return Refusal::precondition("session " + show_id(s->id()) +
                                 " has not ended; a dispute concerns an ended session's charge");
  }
  if (s->disputed()) {
    return Refusal::exists("a dispute over session " + show_id(s->id()) + " is already open");
  }
  s->set_disputed(true);
  s->set_disputes(s->disputes() + 1);
  revenue::record_dispute_raised(ctx.state(), ctx.sender());
  save_session(ctx.state(), *s);
  ctx.emit(
      kContract, "DisputeRaised",
      {{"session", id_value(s->id())}, {"by", address_value(ctx.sender())}, {"reason", d.reason()}});
  return Outcome::ok();
}

Outcome resolve_dispute(TxContext& ctx, const pb::ResolveDispute& d) {
  SC_TRY(ledger::require_either_role(ctx.state(), ctx.sender(), ledger::kDataServer,
                                     ledger::kOperator, "resolving a dispute"));
  auto s = require_session(ctx.state(), d.session_id());
  if (!s.is_ok()) return s.refusal();
  if (!s->disputed()) {
    return Refusal::precondition("no dispute over session " + show_id(s->id()) + " is open");
  }
  if (d.note().size() > 256) return Refusal::invalid("the note exceeds 256 bytes");
  if (!d.at_fault().empty() && d.at_fault() != s->user() && !is_session_partner(*s, d.at_fault())) {
    return Refusal::invalid(
        "the party at fault must be the session's user or one of its "
        "partners");
  }
  std::uint64_t before = s->charge();
  if (d.adjust()) {
    if (s->status() != pb::AWAITING_PAYMENT) {
      return Refusal::precondition("session " + show_id(s->id()) +
                                   " is paid; its charge can no longer be adjusted (the partners "
                                   "refund by transfer)");
    }
    if (d.adjusted_charge() > s->charge()) {
      return Refusal::invalid(
          "a resolution may only lower the charge: " + format_units(d.adjusted_charge()) +
          " exceeds " + format_units(s->charge()));
    }
    s->set_charge(d.adjusted_charge());
  }
  s->set_disputed(false);
  if (!d.at_fault().empty()) revenue::record_dispute_lost(ctx.state(), d.at_fault());
  ctx.emit(kContract, "DisputeResolved",
           {{"session", id_value(s->id())},
            {"by", address_value(ctx.sender())},
            {"at_fault", d.at_fault().empty() ? "" : show_address(d.at_fault())},
            {"charge_before", number(before)},
            {"charge_after", number(s->charge())},
            {"note", d.note()}});
  if (s->status() == pb::AWAITING_PAYMENT && s->charge() == 0) {
    SC_TRY(return_deposit(ctx, *s));
    mark_settled(ctx, *s);
    ctx.emit(kContract, "SessionCompleted", {{"session", id_value(s->id())}, {"charge", "0"}});
  }
  save_session(ctx.state(), *s);
  return Outcome::ok();
}

}  // namespace sharechain::contracts::usage::detail
