// A shared maintenance station for usage, revenue and scenario tests: an investor's station,
// four partners (investor 50%, equipment owner 40%, operations 5%, platform 5%), a certified
// technician, and builders for every usage call.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "harness.hpp"
#include "sharechain/assets.pb.h"
#include "sharechain/ledger.pb.h"
#include "sharechain/revenue.pb.h"
#include "sharechain/usage.pb.h"

namespace sharechain::contracts::testing {

namespace apb = ::sharechain::assets;
namespace upb = ::sharechain::usage;
namespace rpb = ::sharechain::revenue;
namespace lpb = ::sharechain::ledger;

inline constexpr std::uint64_t kMinute = 60'000;
inline constexpr std::uint64_t kHour = 60 * kMinute;
inline constexpr std::uint64_t kDay = 24 * kHour;
// Midnight UTC of the day after the harness's start time.
inline constexpr std::uint64_t kDay1 = kStartMs - kStartMs % kDay + kDay;

inline const std::vector<std::string> kPartners = {"investor", "equipment", "operations",
                                                   "platform"};

inline std::vector<Actor> station_actors() {
  return {{"operator", 0, {"operator"}, ""}, {"dataserver", 0, {"data_server"}, ""},
          {"investor", 1'000, {}, ""},       {"equipment", 1'000, {}, ""},
          {"operations", 1'000, {}, ""},     {"platform", 1'000, {}, ""},
          {"tech", 20'000, {}, ""},          {"driver", 5'000, {}, ""}};
}

// Throws with the receipt's reason unless it is OK: setup steps must not fail silently.
inline Receipt must(Receipt r) {
  if (r.status() != RECEIPT_OK) {
    throw std::runtime_error("expected success, got " + ReceiptStatus_Name(r.status()) + ": " +
                             r.error());
  }
  return r;
}

inline bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

// --- assets -----------------------------------------------------------------------------
inline apb::AssetSpec station_spec() {
  apb::AssetSpec s;
  s.set_kind(apb::MAINTENANCE_STATION);
  s.set_name("Bay Road shared station");
  s.set_location("12 Bay Road, Shenzhen");
  s.set_capacity(1);
  s.set_size_m2(240);
  auto* lift = s.add_equipment();
  lift->set_type("lift");
  lift->set_name("two-post lift");
  lift->set_count(2);
  auto* diag = s.add_equipment();
  diag->set_type("diagnostic");
  diag->set_name("OBD diagnostic set");
  diag->set_count(1);
  s.set_purchase_price(800'000);
  s.set_investment_cost(1'000'000);
  return s;
}

inline apb::AssetSpec pile_spec() {
  apb::AssetSpec s;
  s.set_kind(apb::CHARGING_PILE);
  s.set_name("Pile 7");
  s.set_location("Car park B, level 2");
  s.set_capacity(1);
  auto* dc = s.add_equipment();
  dc->set_type("dc_charger");
  dc->set_name("60 kW DC charger");
  dc->set_count(1);
  s.set_max_power_kw(60);
  s.set_investment_cost(300'000);
  return s;
}

inline apb::AssetSpec parking_spec() {
  apb::AssetSpec s;
  s.set_kind(apb::PARKING_SPACE);
  s.set_name("Space 14");
  s.set_location("Residence car park, space 14");
  s.set_capacity(1);
  s.set_investment_cost(50'000);
  return s;
}

inline apb::Call register_call(const apb::AssetSpec& spec) {
  apb::Call c;
  *c.mutable_register_()->mutable_spec() = spec;
  return c;
}

inline apb::Call verify_call(const std::string& asset) {
  apb::Call c;
  c.mutable_verify_ownership()->set_asset_id(asset);
  c.mutable_verify_ownership()->set_proof_hash(std::string(32, '\x42'));
  return c;
}

// --- ledger -----------------------------------------------------------------------------
inline lpb::Call certify_call(const std::string& who, const std::string& qualification) {
  lpb::Call c;
  c.mutable_certify()->set_account(address_for(who));
  c.mutable_certify()->set_qualification(qualification);
  return c;
}

inline lpb::Call transfer_call(const std::string& to, std::uint64_t amount) {
  lpb::Call c;
  c.mutable_transfer()->set_to(address_for(to));
  c.mutable_transfer()->set_amount(amount);
  return c;
}

// --- usage ------------------------------------------------------------------------------
inline upb::ServiceItem item(const std::string& id, const std::string& equipment,
                             upb::ChargeBasis basis, std::uint64_t price) {
  upb::ServiceItem i;
  i.set_id(id);
  i.set_name(id);
  i.set_equipment_type(equipment);
  i.set_basis(basis);
  i.set_price(price);
  return i;
}

inline void set_partners(upb::Terms& t, const std::vector<std::string>& who,
                         const std::vector<std::uint32_t>& bps) {
  t.clear_partners();
  for (std::size_t i = 0; i < who.size(); ++i) {
    auto* p = t.add_partners();
    p->set_account(address_for(who[i]));
    p->set_share_bps(bps[i]);
    p->set_label(who[i]);
  }
}

// Lift 10 units per minute, diagnostics 500 units per use; 30-minute slots, at most 4 hours,
// free cancellation until an hour before, certified technicians only, deposit 1,000 units.
inline upb::Terms station_terms() {
  upb::Terms t;
  auto* r = t.mutable_rules();
  r->set_open_minute(0);
  r->set_close_minute(1440);
  r->set_slot_ms(30 * kMinute);
  r->set_max_length_ms(4 * kHour);
  r->set_cancellation_window_ms(kHour);
  r->set_required_qualification("certified_technician");
  *t.add_items() = item("lift", "lift", upb::PER_MINUTE, 10);
  *t.add_items() = item("diagnostic", "diagnostic", upb::FIXED, 500);
  t.set_deposit(1'000);
  set_partners(t, kPartners, {5'000, 4'000, 500, 500});
  t.set_settlement(upb::PER_PAYMENT);
  return t;
}

inline upb::Call propose_call(const std::string& asset, const upb::Terms& terms) {
  upb::Call c;
  c.mutable_propose()->set_asset_id(asset);
  *c.mutable_propose()->mutable_terms() = terms;
  return c;
}
inline upb::Call amend_call(const std::string& agreement, std::uint64_t base,
                            const upb::Terms& terms) {
  upb::Call c;
  c.mutable_amend()->set_agreement_id(agreement);
  c.mutable_amend()->set_base_version(base);
  *c.mutable_amend()->mutable_terms() = terms;
  return c;
}
inline upb::Call confirm_call(const std::string& agreement, std::uint64_t version) {
  upb::Call c;
  c.mutable_confirm()->set_agreement_id(agreement);
  c.mutable_confirm()->set_version(version);
  return c;
}
inline upb::Call suspend_call(const std::string& agreement, const std::string& reason = "") {
  upb::Call c;
  c.mutable_suspend()->set_agreement_id(agreement);
  c.mutable_suspend()->set_reason(reason);
  return c;
}
inline upb::Call terminate_call(const std::string& agreement) {
  upb::Call c;
  c.mutable_terminate()->set_agreement_id(agreement);
  c.mutable_terminate()->set_reason("end of cooperation");
  return c;
}
inline upb::Call settle_call(const std::string& agreement) {
  upb::Call c;
  c.mutable_settle()->set_agreement_id(agreement);
  return c;
}
inline upb::Call reserve_call(const std::string& agreement, std::uint64_t start, std::uint64_t end,
                              const std::vector<std::string>& items, const std::string& user = "") {
  upb::Call c;
  auto* r = c.mutable_reserve();
  r->set_agreement_id(agreement);
  r->set_start_ms(start);
  r->set_end_ms(end);
  for (const auto& i : items) r->add_item_ids(i);
  if (!user.empty()) r->set_user(address_for(user));
  return c;
}
inline upb::Call pay_deposit_call(const std::string& reservation) {
  upb::Call c;
  c.mutable_pay_deposit()->set_reservation_id(reservation);
  return c;
}
inline upb::Call cancel_call(const std::string& reservation) {
  upb::Call c;
  c.mutable_cancel()->set_reservation_id(reservation);
  return c;
}
inline upb::Call expire_call(const std::string& reservation) {
  upb::Call c;
  c.mutable_expire()->set_reservation_id(reservation);
  return c;
}
inline upb::Call access_call(const std::string& reservation, const std::string& vin = "",
                             upb::ChargingMode mode = upb::CHARGING_MODE_UNSPECIFIED,
                             std::uint64_t limit = 0) {
  upb::Call c;
  auto* a = c.mutable_access();
  a->set_reservation_id(reservation);
  a->set_vehicle_vin(vin);
  a->set_mode(mode);
  a->set_limit(limit);
  a->set_credential("qr");
  return c;
}
struct Meter {
  std::string item;
  std::uint64_t minutes = 0;
  std::uint64_t energy_wh = 0;
};
inline upb::Call end_call(const std::string& session, upb::EndKind kind,
                          const std::vector<Meter>& metered) {
  upb::Call c;
  auto* e = c.mutable_end_session();
  e->set_session_id(session);
  e->set_kind(kind);
  for (const auto& m : metered) {
    auto* x = e->add_metered();
    x->set_item_id(m.item);
    x->set_minutes(m.minutes);
    x->set_energy_wh(m.energy_wh);
  }
  return c;
}
inline upb::Call pay_call(const std::string& session) {
  upb::Call c;
  c.mutable_pay()->set_session_id(session);
  return c;
}
inline upb::Call record_call(const std::string& session, const std::string& reference,
                             std::uint64_t amount) {
  upb::Call c;
  c.mutable_record_payment()->set_session_id(session);
  c.mutable_record_payment()->set_reference(reference);
  c.mutable_record_payment()->set_amount(amount);
  return c;
}
inline upb::Call overdue_call(const std::string& session) {
  upb::Call c;
  c.mutable_report_overdue()->set_session_id(session);
  return c;
}
inline upb::Call dispute_call(const std::string& session, const std::string& reason) {
  upb::Call c;
  c.mutable_dispute()->set_session_id(session);
  c.mutable_dispute()->set_reason(reason);
  return c;
}
inline upb::Call resolve_call(const std::string& session, const std::string& at_fault, bool adjust,
                              std::uint64_t adjusted) {
  upb::Call c;
  auto* r = c.mutable_resolve_dispute();
  r->set_session_id(session);
  if (!at_fault.empty()) r->set_at_fault(address_for(at_fault));
  r->set_adjust(adjust);
  r->set_adjusted_charge(adjusted);
  return c;
}

// --- queries ----------------------------------------------------------------------------
inline upb::Agreement agreement_of(const Chain& chain, const std::string& id) {
  api::QueryRequest q;
  q.mutable_usage()->mutable_agreement()->set_agreement_id(id);
  auto r = chain.query(q);
  if (!r.is_ok()) throw std::runtime_error(r.status().to_string());
  return r->usage().agreement();
}
inline upb::Session session_of(const Chain& chain, const std::string& id) {
  api::QueryRequest q;
  q.mutable_usage()->mutable_session()->set_session_id(id);
  auto r = chain.query(q);
  if (!r.is_ok()) throw std::runtime_error(r.status().to_string());
  return r->usage().session();
}
inline upb::Reservation reservation_of(const Chain& chain, const std::string& id) {
  api::QueryRequest q;
  q.mutable_usage()->mutable_reservation()->set_reservation_id(id);
  auto r = chain.query(q);
  if (!r.is_ok()) throw std::runtime_error(r.status().to_string());
  return r->usage().reservation();
}
inline apb::Asset asset_of(const Chain& chain, const std::string& id) {
  api::QueryRequest q;
  q.mutable_assets()->mutable_asset()->set_asset_id(id);
  auto r = chain.query(q);
  if (!r.is_ok()) throw std::runtime_error(r.status().to_string());
  return r->assets().asset();
}

// --- the station world ------------------------------------------------------------------
// The chain at 08:00 UTC on kDay1 with the station registered by the investor, the technician
// certified, and the usage agreement ACTIVE (proposed by the investor, confirmed by the other
// three partners).
struct StationWorld {
  Chain chain{station_actors()};
  std::string asset;
  std::string agreement;

  explicit StationWorld(const upb::Terms& terms = station_terms(),
                        const apb::AssetSpec& spec = station_spec()) {
    chain.set_time(kDay1 + 8 * kHour);
    asset =
        event_id(must(chain.assets("investor", register_call(spec))), "AssetRegistered", "asset");
    must(chain.ledger("dataserver", certify_call("tech", "certified_technician")));
    agreement = event_id(must(chain.usage("investor", propose_call(asset, terms))),
                         "AgreementProposed", "agreement");
    for (const auto& p : {"equipment", "operations", "platform"}) {
      must(chain.usage(p, confirm_call(agreement, 1)));
    }
  }

  // Reserves [start, end) for `user` with the given items; returns the reservation id.
  std::string reserve(const std::string& user, std::uint64_t start, std::uint64_t end,
                      const std::vector<std::string>& items = {"lift", "diagnostic"}) {
    return event_id(must(chain.usage(user, reserve_call(agreement, start, end, items))), "Reserved",
                    "reservation");
  }
  // Moves time into the reservation's window and requests access; returns the session id.
  std::string start_session(const std::string& user, const std::string& reservation,
                            const std::string& vin = "") {
    auto r = reservation_of(chain, reservation);
    if (chain.time_ms() < r.start_ms()) chain.set_time(r.start_ms());
    return event_id(must(chain.usage(user, access_call(reservation, vin))), "AccessGranted",
                    "session");
  }
};

}  // namespace sharechain::contracts::testing
