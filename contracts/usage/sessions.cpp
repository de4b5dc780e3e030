// Access and the end of a session: every check of a transaction request at the asset, the
// access code, and the charge computed from the metered use.
#include <algorithm>

#include "contracts/amounts.hpp"
#include "contracts/assets/assets.hpp"
#include "contracts/encoding.hpp"
#include "contracts/ledger/ledger.hpp"
#include "contracts/usage/charging.hpp"
#include "contracts/usage/usage.hpp"
#include "contracts/vehicles/vehicles.hpp"
#include "proto/crypto.hpp"

namespace sharechain::contracts::usage::detail {

namespace {

namespace apb = ::sharechain::assets;

// Eight decimal digits derived from the transaction and the session: every node computes the
// same code, and nobody can choose it.
std::string access_code(const std::string& tx_hash, const std::string& session_id) {
  crypto::Hash h = crypto::tagged_hash("sharechain/access-code", tx_hash + session_id);
  std::string raw = crypto::hash_bytes(h);
  auto v = read_be64(std::string_view(raw).substr(0, 8));
  std::string digits = std::to_string(*v % 100'000'000);
  return std::string(8 - digits.size(), '0') + digits;
}

std::string mode_name(pb::ChargingMode m) {
  switch (m) {
    case pb::BY_AMOUNT:
      return "by_amount";
    case pb::BY_TIME:
      return "by_time";
    case pb::BY_ENERGY:
      return "by_energy";
    case pb::UNTIL_FULL:
      return "until_full";
    default:
      return "none";
  }
}

std::string end_kind_name(pb::EndKind k) {
  switch (k) {
    case pb::END_NORMAL:
      return "normal";
    case pb::END_BY_USER:
      return "by_user";
    case pb::END_ABNORMAL:
      return "abnormal";
    default:
      return "unspecified";
  }
}

Outcome check_mode(const apb::Asset& asset, const pb::RequestAccess& a) {
  if (asset.spec().kind() != apb::CHARGING_PILE) {
    if (a.mode() != pb::CHARGING_MODE_UNSPECIFIED || a.limit() != 0) {
      return Refusal::invalid("a charging mode and limit apply to charging piles only");
    }
    return Outcome::ok();
  }
  switch (a.mode()) {
    case pb::BY_AMOUNT:
    case pb::BY_TIME:
    case pb::BY_ENERGY:
      if (a.limit() == 0) {
        return Refusal::invalid("charging " + mode_name(a.mode()) +
                                " needs a limit greater than zero (units, minutes or Wh)");
      }
      return Outcome::ok();
    case pb::UNTIL_FULL:
      if (a.limit() != 0) return Refusal::invalid("charging until full takes no limit");
      return Outcome::ok();
    default:
      return Refusal::invalid(
          "a charging pile needs a charging mode: by amount, by time, by "
          "energy or until full");
  }
}

// The reservation is done with once its session is no longer in progress: the asset is free.
void complete_reservation(TxContext& ctx, const pb::Session& s) {
  auto r = load<pb::Reservation>(ctx.state(), reservation_key(s.reservation_id()));
  if (!r) halt("a session names a missing reservation");
  if (r->status() != pb::IN_USE) return;
  r->set_status(pb::COMPLETED);
  free_slot(ctx.state(), *r);
  save_reservation(ctx.state(), *r);
}

}  // namespace

Outcome request_access(TxContext& ctx, const pb::RequestAccess& a) {
  auto r = require_reservation(ctx.state(), a.reservation_id());
  if (!r.is_ok()) return r.refusal();
  const std::string& user = r->user();
  if (ctx.sender() != user && !ledger::has_role(ctx.state(), ctx.sender(), ledger::kDataServer)) {
    return Refusal::denied("access under reservation " + show_id(r->id()) +
                           " is requested by its user or a data_server");
  }
  if (r->status() == pb::IN_USE) {
    return Refusal::exists("access was already granted under reservation " + show_id(r->id()) +
                           ": session " + show_id(r->session_id()));
  }
  if (r->status() != pb::RESERVED) {
    return Refusal::precondition("reservation " + show_id(r->id()) +
                                 " is closed (completed, cancelled or expired)");
  }
  auto ag = require_agreement(ctx.state(), r->agreement_id());
  if (!ag.is_ok()) return ag.refusal();
  if (ag->status() != pb::ACTIVE) {
    return Refusal::precondition("access refused: agreement " + show_id(ag->id()) +
                                 " is not active (it is " + status_name(ag->status()) + ")");
  }
  auto asset = assets::require_asset(ctx.state(), r->asset_id());
  if (!asset.is_ok()) return asset.refusal();
  if (asset->status() != apb::ASSET_ACTIVE) {
    return Refusal::precondition("access refused: asset " + show_id(asset->id()) + " is retired");
  }
  if (asset->spec().kind() == apb::PARKING_SPACE && !asset->owner_verified()) {
    return Refusal::precondition("access refused: the ownership of parking space " +
                                 show_id(asset->id()) + " is not verified");
  }
  if (!ledger::find_account(ctx.state(), user)) {
    return Refusal::precondition("access refused: " + show_address(user) +
                                 " is not registered on the chain");
  }
  const pb::Terms& terms = ag->terms();
  const std::string& qual = terms.rules().required_qualification();
  if (!qual.empty() && !ledger::has_qualification(ctx.state(), user, qual, ctx.now_ms())) {
    return Refusal::denied("access refused: the agreement requires the qualification \"" + qual +
                           "\"; " + show_address(user) + " does not hold it (or it expired)");
  }
  if (ctx.now_ms() < r->start_ms()) {
    return Refusal::precondition("access refused: the reserved window opens at " +
                                 std::to_string(r->start_ms()) + " ms, the block time is " +
                                 std::to_string(ctx.now_ms()));
  }
  if (ctx.now_ms() >= r->end_ms()) {
    return Refusal::precondition("access refused: the reserved window closed at " +
                                 std::to_string(r->end_ms()) + " ms, the block time is " +
                                 std::to_string(ctx.now_ms()));
  }
  if (r->deposit() > 0 && r->deposit_hold().empty()) {
    return Refusal::precondition("access refused: the deposit of " + format_units(r->deposit()) +
                                 " for reservation " + show_id(r->id()) + " has not been paid");
  }
  if (auto blocking = first_unsettled(ctx.state(), user)) {
    std::string what = blocking->status() == pb::AWAITING_PAYMENT
                           ? "awaits payment of " + format_units(blocking->charge())
                           : "is still in progress";
    return Refusal::precondition("access refused: session " + show_id(blocking->id()) + " of " +
                                 show_address(user) + " at asset " + show_id(blocking->asset_id()) +
                                 " " + what + "; settle it before starting another");
  }
  SC_TRY(check_mode(*asset, a));
  if (!a.vehicle_vin().empty()) {
    if (auto problem = vehicles::vin_problem(a.vehicle_vin()); !problem.empty()) {
      return Refusal::invalid(problem);
    }
  }
  if (a.credential().size() > 32) return Refusal::invalid("the credential exceeds 32 bytes");

  pb::Session s;
  s.set_id(ctx.new_id("session"));
  for (const auto& id : r->item_ids()) {
    auto it = std::find_if(terms.items().begin(), terms.items().end(),
                           [&](const pb::ServiceItem& i) { return i.id() == id; });
    if (it == terms.items().end()) {
      return Refusal::precondition("access refused: service item \"" + id +
                                   "\" was removed from the agreement by an amendment; "
                                   "cancel and reserve again");
    }
    *s.add_items() = *it;
  }
  s.set_agreement_id(ag->id());
  s.set_agreement_version(ag->version());
  s.set_asset_id(asset->id());
  s.set_user(user);
  s.set_reservation_id(r->id());
  s.set_status(pb::OPEN);
  s.set_started_at_ms(ctx.now_ms());
  s.set_mode(a.mode());
  s.set_limit(a.limit());
  s.set_vehicle_vin(a.vehicle_vin());
  s.set_access_code(access_code(ctx.tx_hash(), s.id()));
  s.set_credential(a.credential());
  *s.mutable_partners() = terms.partners();
  // Only a session whose amount was agreed in advance never blocks the user's next one.
  s.set_amount_fixed(a.mode() == pb::BY_AMOUNT);
  s.set_deposit(r->deposit());
  s.set_deposit_hold(r->deposit_hold());

  r->set_status(pb::IN_USE);
  r->set_session_id(s.id());
  r->clear_deposit_hold();  // the session owns the deposit from now on
  save_reservation(ctx.state(), *r);
  auto sessions = checked_add(ag->sessions(), 1);
  if (!sessions) return Refusal::range("the agreement's session counter would overflow");
  ag->set_sessions(*sessions);
  save_agreement(ctx.state(), *ag);
  if (!s.amount_fixed()) ctx.state().put(unsettled_key(user, s.id()), "");
  ctx.state().put(user_session_key(user, s.started_at_ms(), s.id()), "");
  save_session(ctx.state(), s);
  ctx.emit(kContract, "AccessGranted",
           {{"session", id_value(s.id())},
            {"reservation", id_value(r->id())},
            {"agreement", id_value(ag->id())},
            {"asset", id_value(asset->id())},
            {"user", address_value(user)},
            {"access_code", s.access_code()},
            {"valid_until_ms", number(r->end_ms())},
            {"mode", mode_name(s.mode())},
            {"limit", number(s.limit())},
            {"vehicle_vin", s.vehicle_vin()}});
  return Outcome::ok();
}

Outcome end_session(TxContext& ctx, const pb::EndSession& e) {
  auto s = require_session(ctx.state(), e.session_id());
  if (!s.is_ok()) return s.refusal();
  if (e.reason().size() > 256) return Refusal::invalid("the reason exceeds 256 bytes");
  bool data_server = ledger::has_role(ctx.state(), ctx.sender(), ledger::kDataServer);

  if (!data_server) {
    if (ctx.sender() != s->user()) {
      return Refusal::denied(
          "a session is ended by its user or by a data_server reporting the "
          "meter");
    }
    if (e.kind() != pb::END_BY_USER || e.metered_size() != 0) {
      return Refusal::invalid(
          "a user stops a session with kind END_BY_USER and no metering; "
          "the data server reports the meter");
    }
    if (s->status() != pb::OPEN) {
      return Refusal::precondition("session " + show_id(s->id()) + " is not in progress");
    }
    s->set_status(pb::STOPPED);
    s->set_ended_at_ms(ctx.now_ms());
    s->set_end_kind(pb::END_BY_USER);
    s->set_end_reason(e.reason());
    complete_reservation(ctx, *s);
    save_session(ctx.state(), *s);
    ctx.emit(kContract, "SessionStopped",
             {{"session", id_value(s->id())},
              {"user", address_value(s->user())},
              {"ended_at_ms", number(ctx.now_ms())}});
    return Outcome::ok();
  }

  if (s->status() == pb::OPEN) {
    if (e.kind() != pb::END_NORMAL && e.kind() != pb::END_BY_USER && e.kind() != pb::END_ABNORMAL) {
      return Refusal::invalid("say how the session ended: normal, by the user, or abnormal");
    }
    s->set_ended_at_ms(ctx.now_ms());
    s->set_end_kind(e.kind());
    s->set_end_reason(e.reason());
  } else if (s->status() == pb::STOPPED) {
    if (e.kind() != pb::END_KIND_UNSPECIFIED && e.kind() != pb::END_BY_USER) {
      return Refusal::invalid("the user already stopped session " + show_id(s->id()) +
                              "; report its meter with kind END_BY_USER");
    }
    if (!e.reason().empty()) s->set_end_reason(e.reason());
  } else {
    return Refusal::precondition("session " + show_id(s->id()) + " has already ended");
  }

  std::vector<pb::ServiceItem> items(s->items().begin(), s->items().end());
  std::vector<pb::Metered> metered(e.metered().begin(), e.metered().end());
  auto charge =
      compute_charge(items, metered, s->mode(), s->limit(), s->ended_at_ms() - s->started_at_ms());
  if (!charge.is_ok()) return charge.refusal();
  s->clear_lines();
  for (const auto& l : charge->lines) *s->add_lines() = l;
  s->set_charge(charge->total);
  complete_reservation(ctx, *s);

  auto asset = assets::require_asset(ctx.state(), s->asset_id());
  if (!asset.is_ok()) return asset.refusal();
  ctx.emit(kContract, "SessionEnded",
           {{"session", id_value(s->id())},
            {"user", address_value(s->user())},
            {"kind", end_kind_name(s->end_kind())},
            {"reason", s->end_reason()},
            {"started_at_ms", number(s->started_at_ms())},
            {"ended_at_ms", number(s->ended_at_ms())},
            {"charge", number(s->charge())},
            {"limit_reached", charge->capped ? "true" : "false"}});
  if (!s->vehicle_vin().empty() && asset->spec().kind() == apb::MAINTENANCE_STATION) {
    // A maintenance session names the vehicle it served: VehicleMaintained tells subscribers at
    // once, and the vehicles contract keeps it as a MAINTENANCE record for attesters to endorse.
    std::string equipment;
    for (const auto& l : s->lines()) {
      if (!equipment.empty()) equipment += ",";
      equipment += l.equipment_type().empty() ? l.item_id() : l.equipment_type();
    }
    ctx.state().put(vehicle_key(s->vehicle_vin(), s->ended_at_ms(), s->id()), "");
    ctx.emit(kContract, "VehicleMaintained",
             {{"vin", s->vehicle_vin()},
              {"session", id_value(s->id())},
              {"asset", id_value(s->asset_id())},
              {"technician", address_value(s->user())},
              {"started_at_ms", number(s->started_at_ms())},
              {"ended_at_ms", number(s->ended_at_ms())},
              {"equipment", equipment},
              {"end_kind", end_kind_name(s->end_kind())}});
    SC_TRY(vehicles::record_maintenance_session(
        ctx, {s->vehicle_vin(), s->id(), s->asset_id(), s->user(), s->started_at_ms(),
              s->ended_at_ms(), equipment, end_kind_name(s->end_kind())}));
  }

  if (s->charge() == 0) {
    // Nothing was used: the session closes at once and the deposit goes back.
    SC_TRY(return_deposit(ctx, *s));
    mark_settled(ctx, *s);
    save_session(ctx.state(), *s);
    ctx.emit(kContract, "SessionCompleted", {{"session", id_value(s->id())}, {"charge", "0"}});
    return Outcome::ok();
  }
  auto ag = require_agreement(ctx.state(), s->agreement_id());
  if (!ag.is_ok()) return ag.refusal();
  std::uint64_t due_in = payment_due_ms(ag->terms());
  auto due = checked_add(ctx.now_ms(), due_in);
  if (!due) return Refusal::range("the payment due time overflows");
  s->set_status(pb::AWAITING_PAYMENT);
  s->set_payment_requested_at_ms(ctx.now_ms());
  s->set_payment_due_at_ms(*due);
  save_session(ctx.state(), *s);
  ctx.emit(kContract, "PaymentRequested",
           {{"session", id_value(s->id())},
            {"user", address_value(s->user())},
            {"amount", number(s->charge())},
            {"deposit", number(s->deposit_hold().empty() ? 0 : s->deposit())},
            {"due_at_ms", number(*due)}});
  return Outcome::ok();
}

}  // namespace sharechain::contracts::usage::detail
