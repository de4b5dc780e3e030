// Builders and queries for the financing and vehicles contracts, on top of the station world.
#pragma once

#include <string>

#include "sharechain/financing.pb.h"
#include "sharechain/vehicles.pb.h"
#include "usage_fixture.hpp"

namespace sharechain::contracts::testing {

namespace fpb = ::sharechain::financing;
namespace vpb = ::sharechain::vehicles;

// --- financing --------------------------------------------------------------------------
// Lift 100 units a minute and a diagnostic run at 4,000: a 60-minute session earns 10,000.
inline upb::Terms lift_and_diagnostic_terms() {
  upb::Terms t = station_terms();
  t.clear_items();
  *t.add_items() = item("lift", "lift", upb::PER_MINUTE, 100);
  *t.add_items() = item("diagnostic", "diagnostic", upb::FIXED, 4'000);
  return t;
}

// The operator's mint of `amount` units to `to`, recorded under `reference`.
inline ::sharechain::ledger::Call issue_call(const std::string& to, std::uint64_t amount, const std::string& reference) {
  ::sharechain::ledger::Call c;
  c.mutable_issue()->set_to(address_for(to));
  c.mutable_issue()->set_amount(amount);
  c.mutable_issue()->set_reference(reference);
  return c;
}

inline fpb::FinancingTerms financing_terms(std::uint64_t sought, std::uint64_t minimum,
                                           std::uint32_t share_bps, std::uint64_t min_sub,
                                           std::uint64_t deadline_ms, std::uint64_t term_ends_ms) {
  fpb::FinancingTerms t;
  t.set_amount_sought(sought);
  t.set_minimum_raise(minimum);
  t.set_share_bps(share_bps);
  t.set_min_subscription(min_sub);
  t.set_deadline_ms(deadline_ms);
  t.set_term_ends_ms(term_ends_ms);
  t.set_note("a second lift bay");
  return t;
}
inline fpb::Call offer_call(const std::string& asset, const fpb::FinancingTerms& terms) {
  fpb::Call c;
  c.mutable_offer()->set_asset_id(asset);
  *c.mutable_offer()->mutable_terms() = terms;
  return c;
}
inline fpb::Call subscribe_call(const std::string& financing, std::uint64_t amount) {
  fpb::Call c;
  c.mutable_subscribe()->set_financing_id(financing);
  c.mutable_subscribe()->set_amount(amount);
  return c;
}
inline fpb::Call withdraw_call(const std::string& financing) {
  fpb::Call c;
  c.mutable_withdraw()->set_financing_id(financing);
  return c;
}
inline fpb::Call close_round_call(const std::string& financing) {
  fpb::Call c;
  c.mutable_close_round()->set_financing_id(financing);
  return c;
}
inline fpb::Call cancel_offer_call(const std::string& financing) {
  fpb::Call c;
  c.mutable_cancel()->set_financing_id(financing);
  c.mutable_cancel()->set_reason("plans changed");
  return c;
}
inline fpb::Call complete_call(const std::string& financing) {
  fpb::Call c;
  c.mutable_complete()->set_financing_id(financing);
  return c;
}

inline fpb::QueryResult financing_query(const Chain& chain, const fpb::Query& q) {
  api::QueryRequest r;
  *r.mutable_financing() = q;
  auto res = chain.query(r);
  if (!res.is_ok()) throw std::runtime_error(res.status().to_string());
  return res->financing();
}
inline fpb::Financing financing_of(const Chain& chain, const std::string& id) {
  fpb::Query q;
  q.mutable_financing()->set_financing_id(id);
  return financing_query(chain, q).financing().financing();
}
inline fpb::ReturnReport return_of(const Chain& chain, const std::string& asset) {
  fpb::Query q;
  q.mutable_asset_return()->set_asset_id(asset);
  return financing_query(chain, q).asset_return();
}
inline fpb::Position position_of(const Chain& chain, const std::string& financing,
                                 const std::string& financier) {
  fpb::Query q;
  q.mutable_financier()->set_financing_id(financing);
  q.mutable_financier()->set_financier(address_for(financier));
  return financing_query(chain, q).position();
}

// --- vehicles ---------------------------------------------------------------------------
inline vpb::Call submit_call(const std::string& vin, vpb::RecordKind kind, std::uint64_t km = 0,
                             std::uint64_t occurred_ms = 0, const std::string& new_owner = "") {
  vpb::Call c;
  auto* s = c.mutable_submit();
  s->set_vin(vin);
  s->set_kind(kind);
  s->set_odometer_km(km);
  s->set_occurred_at_ms(occurred_ms);
  s->set_summary("record of " + vin);
  s->set_evidence_hash(std::string(32, '\x5a'));
  if (!new_owner.empty()) s->set_new_owner(address_for(new_owner));
  return c;
}
inline vpb::Call endorse_call(const std::string& record, bool agrees) {
  vpb::Call c;
  c.mutable_endorse()->set_record_id(record);
  c.mutable_endorse()->set_verdict(agrees ? vpb::VERDICT_TRUE : vpb::VERDICT_FALSE);
  return c;
}
inline vpb::Call offer_transfer_call(const std::string& vin, const std::string& buyer,
                                     std::uint64_t km = 0) {
  vpb::Call c;
  auto* o = c.mutable_offer_transfer();
  o->set_vin(vin);
  o->set_buyer(address_for(buyer));
  o->set_price(1'500'000);
  o->set_evidence_hash(std::string(32, '\x33'));
  o->set_odometer_km(km);
  return c;
}
inline vpb::Call accept_transfer_call(const std::string& record) {
  vpb::Call c;
  c.mutable_accept_transfer()->set_record_id(record);
  return c;
}
inline vpb::Call cancel_transfer_call(const std::string& record) {
  vpb::Call c;
  c.mutable_cancel_transfer()->set_record_id(record);
  return c;
}

inline vpb::QueryResult vehicles_query(const Chain& chain, const vpb::Query& q) {
  api::QueryRequest r;
  *r.mutable_vehicles() = q;
  auto res = chain.query(r);
  if (!res.is_ok()) throw std::runtime_error(res.status().to_string());
  return res->vehicles();
}
inline vpb::Record record_of(const Chain& chain, const std::string& id) {
  vpb::Query q;
  q.mutable_record()->set_record_id(id);
  return vehicles_query(chain, q).record();
}
inline vpb::Report report_of(const Chain& chain, const std::string& vin) {
  vpb::Query q;
  q.mutable_report()->set_vin(vin);
  return vehicles_query(chain, q).report();
}

}  // namespace sharechain::contracts::testing
