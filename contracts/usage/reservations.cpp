// Reservations: a time window and service items under an active agreement, with the deposit
// held in escrow; cancelled (free until the cancellation window) or expired when unused.
#include <algorithm>
#include <map>
#include <set>

#include "contracts/amounts.hpp"
#include "contracts/assets/assets.hpp"
#include "contracts/encoding.hpp"
#include "contracts/ledger/ledger.hpp"
#include "contracts/usage/usage.hpp"

namespace sharechain::contracts::usage::detail {

namespace {

constexpr std::uint64_t kMinuteMs = 60'000;
constexpr std::uint64_t kDayMs = 24 * 60 * kMinuteMs;

std::string minutes_text(std::uint64_t minute_of_day) {
  std::string h = std::to_string(minute_of_day / 60);
  std::string m = std::to_string(minute_of_day % 60);
  return (h.size() < 2 ? "0" : "") + h + ":" + (m.size() < 2 ? "0" : "") + m;
}

Outcome check_window(const pb::ReservationRules& rules, std::uint64_t start, std::uint64_t end,
                     std::uint64_t now) {
  if (end <= start) return Refusal::invalid("a reservation ends after it starts");
  if (start % rules.slot_ms() != 0 || end % rules.slot_ms() != 0) {
    return Refusal::invalid("a reservation starts and ends on a slot boundary: slots are " +
                            std::to_string(rules.slot_ms() / kMinuteMs) + " minutes long");
  }
  if (end - start > rules.max_length_ms()) {
    return Refusal::invalid("the reservation lasts " + std::to_string((end - start) / kMinuteMs) +
                            " minutes; the agreement allows at most " +
                            std::to_string(rules.max_length_ms() / kMinuteMs));
  }
  // The current slot may still be booked (a walk-in); an earlier one may not.
  if (start < now - now % rules.slot_ms()) {
    return Refusal::invalid("the reservation starts in the past (block time " +
                            std::to_string(now) + " ms)");
  }
  bool around_the_clock =
      rules.open_minute() == 0 && (rules.close_minute() == 0 || rules.close_minute() == 1440);
  if (!around_the_clock) {
    std::uint64_t day = start - start % kDayMs;
    std::uint64_t open = day + rules.open_minute() * kMinuteMs;
    std::uint64_t close = day + rules.close_minute() * kMinuteMs;
    if (start < open || end > close) {
      return Refusal::invalid("the reservation lies outside the bookable hours " +
                              minutes_text(rules.open_minute()) + "-" +
                              minutes_text(rules.close_minute()) + " UTC");
    }
  }
  return Outcome::ok();
}

// The most reservations of the asset in use at any instant of [start, end).
std::uint32_t peak_overlap(const StateReader& state, std::string_view asset_id, std::uint64_t start,
                           std::uint64_t end) {
  std::map<std::uint64_t, std::int64_t> delta;
  std::string prefix = slot_prefix(asset_id);
  state.scan(prefix, [&](std::string_view k, std::string_view v) {
    auto s = read_be64(k.substr(prefix.size(), 8));
    auto e = read_be64(v);
    if (!s || !e) halt("a reservation slot entry is malformed");
    if (*s >= end) return false;  // ascending by start: nothing later overlaps
    if (*e > start) {
      delta[std::max(*s, start)] += 1;
      delta[std::min(*e, end)] -= 1;
    }
    return true;
  });
  std::int64_t depth = 0;
  std::int64_t peak = 0;
  for (const auto& [t, d] : delta) {
    depth += d;
    peak = std::max(peak, depth);
  }
  return static_cast<std::uint32_t>(peak);
}

// Pays a forfeited deposit to the partners as income of the agreement.
Outcome forfeit_deposit(TxContext& ctx, pb::Reservation& r, pb::Agreement& a, std::uint64_t& fee) {
  fee = 0;
  if (r.deposit_hold().empty()) return Outcome::ok();
  auto released = ledger::release_all(ctx, r.deposit_hold(), "a reservation");
  if (!released.is_ok()) return released.refusal();
  r.clear_deposit_hold();
  if (a.status() != pb::ACTIVE) return Outcome::ok();  // the user could not have used it
  fee = *released;
  auto payouts = take_income(ctx, a, r.user(), fee, "", a.terms().partners(), true);
  if (!payouts.is_ok()) return payouts.refusal();
  save_agreement(ctx.state(), a);
  return Outcome::ok();
}

}  // namespace

Outcome reserve(TxContext& ctx, const pb::Reserve& r) {
  std::string user;
  bool by_data_server = false;
  if (!r.user().empty() && r.user() != ctx.sender()) {
    SC_TRY(ledger::require_role(ctx.state(), ctx.sender(), ledger::kDataServer,
                                "reserving on a user's behalf"));
    if (!is_address(r.user())) return Refusal::invalid("the user must be a 20-byte address");
    user = r.user();
    by_data_server = true;
  } else {
    user = ctx.sender();
  }
  auto a = require_agreement(ctx.state(), r.agreement_id());
  if (!a.is_ok()) return a.refusal();
  if (a->status() != pb::ACTIVE) {
    return Refusal::precondition("agreement " + show_id(a->id()) + " is not active (it is " +
                                 status_name(a->status()) + ")");
  }
  auto asset = assets::require_asset(ctx.state(), a->asset_id());
  if (!asset.is_ok()) return asset.refusal();
  const pb::Terms& terms = a->terms();
  SC_TRY(check_window(terms.rules(), r.start_ms(), r.end_ms(), ctx.now_ms()));

  if (r.item_ids_size() == 0) {
    return Refusal::invalid("a reservation names at least one service item");
  }
  std::set<std::string> items;
  for (const auto& id : r.item_ids()) {
    bool offered = std::any_of(terms.items().begin(), terms.items().end(),
                               [&](const pb::ServiceItem& i) { return i.id() == id; });
    if (!offered) {
      return Refusal::invalid("agreement " + show_id(a->id()) + " offers no service item \"" + id +
                              "\"");
    }
    if (!items.insert(id).second) {
      return Refusal::invalid("service item \"" + id + "\" is named twice");
    }
  }
  const std::string& qual = terms.rules().required_qualification();
  if (!qual.empty() && !ledger::has_qualification(ctx.state(), user, qual, ctx.now_ms())) {
    return Refusal::denied("this agreement requires the qualification \"" + qual + "\"; " +
                           show_address(user) + " does not hold it (or it expired)");
  }

  std::uint32_t capacity = assets::capacity_of(*asset);
  std::uint32_t peak = peak_overlap(ctx.state(), a->asset_id(), r.start_ms(), r.end_ms());
  if (peak >= capacity) {
    return Refusal::precondition("the window overlaps " + std::to_string(peak) +
                                 " existing reservation(s) of asset " + show_id(a->asset_id()) +
                                 ", which serves " + std::to_string(capacity) +
                                 " user(s) at a time; choose another window");
  }

  pb::Reservation res;
  res.set_id(ctx.new_id("reservation"));
  res.set_agreement_id(a->id());
  res.set_asset_id(a->asset_id());
  res.set_user(user);
  res.set_start_ms(r.start_ms());
  res.set_end_ms(r.end_ms());
  for (const auto& id : r.item_ids()) res.add_item_ids(id);
  res.set_deposit(terms.deposit());
  res.set_status(pb::RESERVED);
  res.set_created_at_ms(ctx.now_ms());
  res.set_created_by(ctx.sender());
  if (terms.deposit() > 0 && !by_data_server) {
    auto hold = ledger::hold(ctx, user, terms.deposit(), kContract,
                             "deposit for reservation " + show_id(res.id()));
    if (!hold.is_ok()) return hold.refusal();
    res.set_deposit_hold(*hold);
  }
  ctx.state().put(slot_key(res.asset_id(), res.start_ms(), res.id()), be64(res.end_ms()));
  save_reservation(ctx.state(), res);
  ctx.emit(kContract, "Reserved",
           {{"reservation", id_value(res.id())},
            {"agreement", id_value(a->id())},
            {"asset", id_value(a->asset_id())},
            {"user", address_value(user)},
            {"start_ms", number(res.start_ms())},
            {"end_ms", number(res.end_ms())},
            {"deposit", number(res.deposit())},
            {"deposit_held", res.deposit_hold().empty() ? "false" : "true"}});
  return Outcome::ok();
}

Outcome pay_deposit(TxContext& ctx, const pb::PayDeposit& p) {
  auto r = require_reservation(ctx.state(), p.reservation_id());
  if (!r.is_ok()) return r.refusal();
  if (r->user() != ctx.sender()) {
    return Refusal::denied("only the reservation's user " + show_address(r->user()) +
                           " pays its deposit");
  }
  if (r->status() != pb::RESERVED) {
    return Refusal::precondition("reservation " + show_id(r->id()) + " is no longer waiting");
  }
  if (r->deposit() == 0) return Refusal::precondition("this reservation needs no deposit");
  if (!r->deposit_hold().empty()) {
    return Refusal::exists("the deposit of reservation " + show_id(r->id()) + " is already held");
  }
  auto hold = ledger::hold(ctx, r->user(), r->deposit(), kContract,
                           "deposit for reservation " + show_id(r->id()));
  if (!hold.is_ok()) return hold.refusal();
  r->set_deposit_hold(*hold);
  save_reservation(ctx.state(), *r);
  ctx.emit(kContract, "DepositPaid",
           {{"reservation", id_value(r->id())},
            {"user", address_value(r->user())},
            {"amount", number(r->deposit())}});
  return Outcome::ok();
}

Outcome cancel(TxContext& ctx, const pb::CancelReservation& c) {
  auto r = require_reservation(ctx.state(), c.reservation_id());
  if (!r.is_ok()) return r.refusal();
  if (r->user() != ctx.sender() &&
      !ledger::has_role(ctx.state(), ctx.sender(), ledger::kDataServer)) {
    return Refusal::denied("only the reservation's user or a data_server may cancel it");
  }
  if (r->status() != pb::RESERVED) {
    return Refusal::precondition("reservation " + show_id(r->id()) +
                                 " cannot be cancelled: it is in use or already closed");
  }
  auto a = require_agreement(ctx.state(), r->agreement_id());
  if (!a.is_ok()) return a.refusal();
  std::uint64_t window = a->terms().rules().cancellation_window_ms();
  bool free = r->start_ms() >= window && ctx.now_ms() <= r->start_ms() - window;
  std::uint64_t fee = 0;
  if (free) {
    if (!r->deposit_hold().empty()) {
      SC_TRY(ledger::release_all(ctx, r->deposit_hold(), "a reservation"));
      r->clear_deposit_hold();
    }
  } else {
    SC_TRY(forfeit_deposit(ctx, *r, *a, fee));
  }
  r->set_status(pb::CANCELLED);
  free_slot(ctx.state(), *r);
  save_reservation(ctx.state(), *r);
  ctx.emit(kContract, "ReservationCancelled",
           {{"reservation", id_value(r->id())},
            {"user", address_value(r->user())},
            {"fee", number(fee)},
            {"reason", free ? "cancelled in time" : "cancelled inside the cancellation window"}});
  return Outcome::ok();
}

Outcome expire(TxContext& ctx, const pb::ExpireReservation& e) {
  auto r = require_reservation(ctx.state(), e.reservation_id());
  if (!r.is_ok()) return r.refusal();
  if (r->status() != pb::RESERVED) {
    return Refusal::precondition("reservation " + show_id(r->id()) +
                                 " is in use or already closed");
  }
  if (ctx.now_ms() < r->end_ms()) {
    return Refusal::precondition("reservation " + show_id(r->id()) + " runs until " +
                                 std::to_string(r->end_ms()) + " ms; it has not expired");
  }
  auto a = require_agreement(ctx.state(), r->agreement_id());
  if (!a.is_ok()) return a.refusal();
  std::uint64_t fee = 0;
  SC_TRY(forfeit_deposit(ctx, *r, *a, fee));
  r->set_status(pb::EXPIRED);
  free_slot(ctx.state(), *r);
  save_reservation(ctx.state(), *r);
  ctx.emit(kContract, "ReservationExpired",
           {{"reservation", id_value(r->id())},
            {"user", address_value(r->user())},
            {"fee", number(fee)}});
  return Outcome::ok();
}

}  // namespace sharechain::contracts::usage::detail
