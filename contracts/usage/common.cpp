// What the usage actions share: keys, record access, the validation of terms, and the one
// path by which agreement income reaches its partners.
#include <algorithm>
#include <set>

#include "contracts/amounts.hpp"
#include "contracts/assets/assets.hpp"
#include "contracts/encoding.hpp"
#include "contracts/ledger/ledger.hpp"
#include "contracts/revenue/split.hpp"
#include "contracts/usage/usage.hpp"
#include "contracts/vehicles/vin.hpp"

namespace sharechain::contracts::usage {

namespace detail {

namespace {

constexpr std::uint64_t kMinuteMs = 60'000;
constexpr std::uint64_t kDayMs = 24 * 60 * kMinuteMs;
constexpr std::uint64_t kMaxSpanMs = 30 * kDayMs;
constexpr int kMaxPartners = 32;
constexpr int kMaxItems = 64;

bool valid_item_id(std::string_view s) {
  if (s.empty() || s.size() > 32) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

bool valid_qualification(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

Outcome validate_rules(const pb::ReservationRules& r) {
  bool around_the_clock =
      r.open_minute() == 0 && (r.close_minute() == 0 || r.close_minute() == 1440);
  if (!around_the_clock && (r.open_minute() >= r.close_minute() || r.close_minute() > 1440)) {
    return Refusal::invalid(
        "bookable hours must satisfy open < close <= 1440 minutes after "
        "midnight UTC (0 and 1440 for around the clock)");
  }
  // Slots tile every day exactly, so a slot never straddles midnight.
  if (r.slot_ms() < kMinuteMs || r.slot_ms() > kDayMs || kDayMs % r.slot_ms() != 0 ||
      r.slot_ms() % kMinuteMs != 0) {
    return Refusal::invalid(
        "the slot length must be a whole number of minutes that divides a "
        "day (for example 15, 30 or 60 minutes)");
  }
  if (r.max_length_ms() < r.slot_ms() || r.max_length_ms() > kMaxSpanMs) {
    return Refusal::invalid(
        "the maximum reservation length must be at least one slot and at "
        "most 30 days");
  }
  if (r.cancellation_window_ms() > kMaxSpanMs) {
    return Refusal::invalid("the cancellation window is at most 30 days");
  }
  if (!r.required_qualification().empty() && !valid_qualification(r.required_qualification())) {
    return Refusal::invalid(
        "a required qualification is 1 to 64 lower-case letters, digits or "
        "'_'");
  }
  if (r.payment_due_ms() != 0 &&
      (r.payment_due_ms() < kMinuteMs || r.payment_due_ms() > kMaxSpanMs)) {
    return Refusal::invalid("the payment period is 0 (24 hours) or one minute to 30 days");
  }
  return Outcome::ok();
}

}  // namespace

std::string agreement_key(std::string_view id) {
  return key(std::string_view("usage/agreement/"), id);
}
std::string asset_agreement_key(std::string_view asset_id, std::string_view agreement_id) {
  return key(std::string_view("usage/asset_agreement/"), asset_id, agreement_id);
}
std::string reservation_key(std::string_view id) {
  return key(std::string_view("usage/reservation/"), id);
}
std::string slot_prefix(std::string_view asset_id) {
  return key(std::string_view("usage/slot/"), asset_id);
}
std::string slot_key(std::string_view asset_id, std::uint64_t start_ms,
                     std::string_view reservation_id) {
  return key(slot_prefix(asset_id), be64(start_ms), reservation_id);
}
std::string session_key(std::string_view id) { return key(std::string_view("usage/session/"), id); }
std::string user_session_prefix(std::string_view user) {
  return key(std::string_view("usage/user_session/"), user);
}
std::string user_session_key(std::string_view user, std::uint64_t start_ms,
                             std::string_view session_id) {
  return key(user_session_prefix(user), be64(start_ms), session_id);
}
std::string unsettled_prefix(std::string_view user) {
  return key(std::string_view("usage/unsettled/"), user);
}
std::string unsettled_key(std::string_view user, std::string_view session_id) {
  return key(unsettled_prefix(user), session_id);
}
std::string vehicle_key(std::string_view vin, std::uint64_t end_ms, std::string_view session_id) {
  return key(std::string_view("usage/vehicle/"), vin, be64(end_ms), session_id);
}

Checked<pb::Agreement> require_agreement(const StateReader& state, std::string_view id) {
  if (!is_id(id)) return Refusal::invalid("an agreement id is 16 bytes (32 hex digits)");
  auto a = load<pb::Agreement>(state, agreement_key(id));
  if (!a) return Refusal::not_found("no usage agreement " + show_id(id));
  return *a;
}

Checked<pb::Reservation> require_reservation(const StateReader& state, std::string_view id) {
  if (!is_id(id)) return Refusal::invalid("a reservation id is 16 bytes (32 hex digits)");
  auto r = load<pb::Reservation>(state, reservation_key(id));
  if (!r) return Refusal::not_found("no reservation " + show_id(id));
  return *r;
}

Checked<pb::Session> require_session(const StateReader& state, std::string_view id) {
  if (!is_id(id)) return Refusal::invalid("a session id is 16 bytes (32 hex digits)");
  auto s = load<pb::Session>(state, session_key(id));
  if (!s) return Refusal::not_found("no session " + show_id(id));
  return *s;
}

void save_agreement(Overlay& state, const pb::Agreement& a) {
  save(state, agreement_key(a.id()), a);
}
void save_reservation(Overlay& state, const pb::Reservation& r) {
  save(state, reservation_key(r.id()), r);
}
void save_session(Overlay& state, const pb::Session& s) { save(state, session_key(s.id()), s); }

bool is_partner(const pb::Terms& terms, std::string_view account) {
  return std::any_of(terms.partners().begin(), terms.partners().end(),
                     [&](const pb::Partner& p) { return p.account() == account; });
}

std::vector<revenue::Recipient> recipients_of(
    const google::protobuf::RepeatedPtrField<pb::Partner>& partners) {
  std::vector<revenue::Recipient> out;
  out.reserve(static_cast<std::size_t>(partners.size()));
  for (const auto& p : partners) out.push_back({p.account(), "", p.share_bps()});
  return out;
}

std::string status_name(pb::AgreementStatus s) {
  switch (s) {
    case pb::PROPOSED:
      return "proposed (waiting for every partner to confirm)";
    case pb::ACTIVE:
      return "active";
    case pb::SUSPENDED:
      return "suspended";
    case pb::TERMINATED:
      return "terminated";
    default:
      return "unknown";
  }
}

std::uint64_t payment_due_ms(const pb::Terms& terms) {
  return terms.rules().payment_due_ms() == 0 ? kDefaultPaymentDueMs
                                             : terms.rules().payment_due_ms();
}

Outcome validate_terms(const StateReader& state, std::string_view asset_id,
                       const pb::Terms& terms) {
  auto asset = assets::require_asset(state, asset_id);
  if (!asset.is_ok()) return asset.refusal();
  if (asset->status() != ::sharechain::assets::ASSET_ACTIVE) {
    return Refusal::precondition("asset " + show_id(asset_id) + " is retired");
  }
  if (asset->spec().kind() == ::sharechain::assets::PARKING_SPACE && !asset->owner_verified()) {
    return Refusal::precondition("parking space " + show_id(asset_id) +
                                 " cannot be offered before the data server verifies its "
                                 "owner's proof of ownership");
  }

  if (terms.partners_size() == 0 || terms.partners_size() > kMaxPartners) {
    return Refusal::invalid("the sharing rule has 1 to 32 partners");
  }
  std::set<std::string> seen;
  std::vector<std::uint32_t> shares;
  for (const auto& p : terms.partners()) {
    if (!is_address(p.account())) return Refusal::invalid("a partner must be a 20-byte address");
    if (!seen.insert(p.account()).second) {
      return Refusal::invalid("partner " + show_address(p.account()) + " is listed twice");
    }
    if (p.label().size() > 64) return Refusal::invalid("a partner label exceeds 64 bytes");
    shares.push_back(p.share_bps());
  }
  SC_TRY(revenue::check_shares(shares));
  if (seen.count(asset->owner()) == 0) {
    return Refusal::invalid("the sharing rule must include the asset's owner " +
                            show_address(asset->owner()) + " (its investor)");
  }

  if (terms.items_size() == 0 || terms.items_size() > kMaxItems) {
    return Refusal::invalid("an agreement offers 1 to 64 service items");
  }
  std::set<std::string> ids;
  for (const auto& item : terms.items()) {
    if (!valid_item_id(item.id())) {
      return Refusal::invalid("service item id \"" + item.id() +
                              "\" must be 1 to 32 characters of a-z, 0-9, '_' or '-'");
    }
    if (!ids.insert(item.id()).second) {
      return Refusal::invalid("service item \"" + item.id() + "\" is listed twice");
    }
    if (item.name().size() > 128) return Refusal::invalid("a service item name exceeds 128 bytes");
    // An empty equipment type means the asset itself (a parking bay, the station floor).
    if (!item.equipment_type().empty() &&
        !assets::has_equipment_type(*asset, item.equipment_type())) {
      return Refusal::invalid("service item \"" + item.id() + "\" uses equipment type \"" +
                              item.equipment_type() + "\", which asset " + show_id(asset_id) +
                              " does not list");
    }
    if (item.basis() != pb::PER_MINUTE && item.basis() != pb::PER_KWH &&
        item.basis() != pb::FIXED) {
      return Refusal::invalid("service item \"" + item.id() +
                              "\" needs a charging rule: per minute, per kWh or fixed");
    }
    if (item.price() == 0) {
      return Refusal::invalid("service item \"" + item.id() + "\" has a price of zero");
    }
  }

  SC_TRY(validate_rules(terms.rules()));

  switch (terms.settlement()) {
    case pb::SETTLEMENT_UNSPECIFIED:
    case pb::PER_PAYMENT:
      if (terms.settlement_period_ms() != 0) {
        return Refusal::invalid("a settlement period only applies to PERIODIC settlement");
      }
      break;
    case pb::PERIODIC:
      if (terms.settlement_period_ms() < kMinuteMs) {
        return Refusal::invalid("PERIODIC settlement needs a period of at least one minute");
      }
      break;
    default:
      return Refusal::invalid("unknown settlement kind");
  }
  return Outcome::ok();
}

Checked<std::vector<pb::Payout>> take_income(
    TxContext& ctx, pb::Agreement& agreement, std::string_view from, std::uint64_t amount,
    std::string_view session_id, const google::protobuf::RepeatedPtrField<pb::Partner>& partners,
    bool same_version) {
  std::vector<pb::Payout> payouts;
  if (amount == 0) return payouts;
  auto total = checked_add(agreement.income_total(), amount);
  if (!total) return Refusal::range("the agreement's income total would overflow");
  agreement.set_income_total(*total);

  // Income agreed under an earlier version is split by the rule it was agreed under, and a
  // terminated agreement has no more settlements, so only current PERIODIC income waits.
  bool into_pot = agreement.terms().settlement() == pb::PERIODIC &&
                  agreement.status() != pb::TERMINATED && same_version;
  if (into_pot) {
    if (from != agreement.pot()) {
      SC_TRY(ledger::transfer(ctx, from, agreement.pot(), amount,
                              "income of agreement " + show_id(agreement.id())));
    }
    ctx.emit(kContract, "IncomeAccrued",
             {{"agreement", id_value(agreement.id())},
              {"session", session_id.empty() ? "" : show_id(session_id)},
              {"amount", number(amount)},
              {"pot", number(ledger::balance_of(ctx.state(), agreement.pot()))}});
    return payouts;
  }
  revenue::IncomeSource source{"agreement", agreement.id(), agreement.asset_id(),
                               std::string(session_id)};
  auto parts = revenue::distribute(ctx, from, amount, recipients_of(partners), source);
  if (!parts.is_ok()) return parts.refusal();
  for (int i = 0; i < partners.size(); ++i) {
    pb::Payout& p = payouts.emplace_back();
    p.set_party(partners[i].account());
    p.set_amount((*parts)[static_cast<std::size_t>(i)]);
  }
  return payouts;
}

Outcome settle_pot(TxContext& ctx, pb::Agreement& agreement) {
  std::uint64_t amount = ledger::balance_of(ctx.state(), agreement.pot());
  if (amount == 0) return Outcome::ok();
  revenue::IncomeSource source{"agreement", agreement.id(), agreement.asset_id(), ""};
  auto parts = revenue::distribute(ctx, agreement.pot(), amount,
                                   recipients_of(agreement.terms().partners()), source);
  if (!parts.is_ok()) return parts.refusal();
  agreement.set_last_settled_at_ms(ctx.now_ms());
  ctx.emit(kContract, "AgreementSettled",
           {{"agreement", id_value(agreement.id())},
            {"version", number(agreement.version())},
            {"amount", number(amount)}});
  return Outcome::ok();
}

void free_slot(Overlay& state, const pb::Reservation& r) {
  state.erase(slot_key(r.asset_id(), r.start_ms(), r.id()));
}

Outcome return_deposit(TxContext& ctx, pb::Session& session) {
  if (session.deposit_hold().empty()) return Outcome::ok();
  SC_TRY(ledger::release_all(ctx, session.deposit_hold(), "a session"));
  session.clear_deposit_hold();
  return Outcome::ok();
}

void mark_settled(TxContext& ctx, pb::Session& session) {
  ctx.state().erase(unsettled_key(session.user(), session.id()));
  session.set_status(pb::PAID);
  session.set_paid_at_ms(ctx.now_ms());
  session.set_completed_height(ctx.height());
}

std::optional<pb::Session> first_unsettled(const StateReader& state, std::string_view user) {
  std::optional<pb::Session> found;
  std::string prefix = unsettled_prefix(user);
  state.scan(prefix, [&](std::string_view k, std::string_view) {
    found = load<pb::Session>(state, session_key(k.substr(prefix.size())));
    if (!found) halt("an unsettled-session index entry names a missing session");
    return false;
  });
  return found;
}

}  // namespace detail

}  // namespace sharechain::contracts::usage
