// Usage contract (a maintenance station with four partners at 50/40/5/5 %, and a charging pile):
//  - agreements: ACTIVE only when every partner confirmed the current version; refusals for
//    a proposer that is not a partner, shares not summing to 10,000, the owner missing from the
//    sharing rule, unknown equipment, bad slots, settlement without a period, stale versions,
//    double confirmation; amendments clear confirmations; suspension and re-confirmation
//  - reservations: bookable hours, slot boundaries, maximum length, the past, unknown items,
//    missing qualification, overlap refusal at capacity 1 and the capacity-2 sweep, deposits
//    held, free cancellation before the window and forfeiture inside it, expiry forfeits
//  - access: refused when the agreement is not active, outside the window (both sides), without
//    the deposit, for an unregistered user, without the qualification, while an open-amount
//    session is unpaid (at any asset), twice, by a stranger, with a bad VIN or a charging mode
//    on a station; granted with a session id and an 8-digit access code
//  - end of session: data server meters (normal/abnormal), user stops then meter follows,
//    zero charge closes at once; charging-pile modes stop at the agreed limit; BY_AMOUNT
//    sessions never block the next one
//  - payment: on chain with the deposit applied first (smaller and larger than the charge),
//    insufficient funds (both numbers, nothing applied), double payment, off-chain payment
//    minted under a unique reference; each partner receives its exact share
//  - overdue reports, disputes (raise, resolve, lower the charge, party at fault), credit score
//  - PERIODIC settlement through the agreement's pot; termination refunds unused reservations
//  - vehicle maintenance record and event; queries by asset, user, vehicle
#include <catch2/catch.hpp>

#include "contracts/ledger/ledger.hpp"
#include "usage_fixture.hpp"

using namespace sharechain;
using namespace sharechain::contracts;
using namespace sharechain::contracts::testing;

namespace {

constexpr std::uint64_t k10 = kDay1 + 10 * kHour;  // 10:00 UTC on day 1
constexpr std::uint64_t k11 = kDay1 + 11 * kHour;
constexpr std::uint64_t k12 = kDay1 + 12 * kHour;
constexpr const char* kVin = "LSVAX4182E2123456";

std::map<std::string, std::uint64_t> partner_balances(const Chain& chain) {
  std::map<std::string, std::uint64_t> out;
  for (const auto& p : kPartners) out[p] = chain.balance(p);
  return out;
}

// The gain of each partner since `before`.
std::vector<std::uint64_t> gains(const Chain& chain,
                                 const std::map<std::string, std::uint64_t>& before) {
  std::vector<std::uint64_t> out;
  for (const auto& p : kPartners) out.push_back(chain.balance(p) - before.at(p));
  return out;
}

// Ends a session with `minutes` on the lift and one diagnostic run: 10 x minutes + 500.
Receipt finish(StationWorld& w, const std::string& session, std::uint64_t minutes,
               upb::EndKind kind = upb::END_NORMAL) {
  w.chain.advance(minutes * kMinute);
  return w.chain.usage("dataserver",
                       end_call(session, kind, {{"lift", minutes, 0}, {"diagnostic", 0, 0}}));
}

// A charging pile owned by the investor, with a single-partner agreement (active at once):
// energy 150 units per kWh, parking 2 units per minute, 15-minute slots, no deposit.
std::pair<std::string, std::string> add_pile(Chain& chain) {
  std::string pile = event_id(must(chain.assets("investor", register_call(pile_spec()))),
                              "AssetRegistered", "asset");
  upb::Terms t;
  t.mutable_rules()->set_slot_ms(15 * kMinute);
  t.mutable_rules()->set_max_length_ms(2 * kHour);
  *t.add_items() = item("energy", "dc_charger", upb::PER_KWH, 150);
  *t.add_items() = item("parking", "", upb::PER_MINUTE, 2);
  set_partners(t, {"investor"}, {10'000});
  auto r = must(chain.usage("investor", propose_call(pile, t)));
  REQUIRE(find_event(r, "AgreementActivated") != nullptr);
  return {pile, event_id(r, "AgreementProposed", "agreement")};
}

api::QueryRequest usage_query() { return {}; }

}  // namespace

TEST_CASE("an agreement is active only when every partner confirmed", "[contracts][usage]") {
  Chain chain(station_actors());
  std::string asset = event_id(must(chain.assets("investor", register_call(station_spec()))),
                               "AssetRegistered", "asset");
  auto r = must(chain.usage("investor", propose_call(asset, station_terms())));
  std::string id = event_id(r, "AgreementProposed", "agreement");
  auto a = agreement_of(chain, id);
  CHECK(a.status() == upb::PROPOSED);
  CHECK(a.version() == 1);
  CHECK(a.confirmations_size() == 1);

  must(chain.usage("equipment", confirm_call(id, 1)));
  must(chain.usage("operations", confirm_call(id, 1)));
  CHECK(agreement_of(chain, id).status() == upb::PROPOSED);

  auto stranger = chain.usage("driver", confirm_call(id, 1));
  CHECK(stranger.status() == RECEIPT_PERMISSION_DENIED);
  CHECK(contains(stranger.error(), "is not one"));
  auto twice = chain.usage("equipment", confirm_call(id, 1));
  CHECK(twice.status() == RECEIPT_ALREADY_EXISTS);
  auto stale = chain.usage("platform", confirm_call(id, 2));
  CHECK(stale.status() == RECEIPT_FAILED_PRECONDITION);
  CHECK(contains(stale.error(), "not the current version 1"));

  auto last = must(chain.usage("platform", confirm_call(id, 1)));
  const Event* e = find_event(last, "AgreementActivated");
  REQUIRE(e != nullptr);
  CHECK(contains(attr(*e, "partners"), "=5000"));
  a = agreement_of(chain, id);
  CHECK(a.status() == upb::ACTIVE);
  CHECK(a.confirmations_size() == 4);
  CHECK(asset_of(chain, asset).live_agreements() == 1);
  CHECK(chain.usage("investor", confirm_call(id, 1)).status() == RECEIPT_ALREADY_EXISTS);
}

TEST_CASE("agreement proposals are validated", "[contracts][usage]") {
  Chain chain(station_actors());
  std::string asset = event_id(must(chain.assets("investor", register_call(station_spec()))),
                               "AssetRegistered", "asset");
  auto refused = [&](const std::string& who, const upb::Terms& t, ReceiptStatus status,
                     const std::string& message) {
    auto r = chain.usage(who, propose_call(asset, t));
    INFO(message << " / got: " << r.error());
    CHECK(r.status() == status);
    CHECK(contains(r.error(), message));
  };
  refused("driver", station_terms(), RECEIPT_PERMISSION_DENIED, "must be one of its partners");

  upb::Terms t = station_terms();
  t.mutable_partners(3)->set_share_bps(0);
  refused("investor", t, RECEIPT_INVALID_ARGUMENT, "share of zero");
  t = station_terms();
  set_partners(t, kPartners, {5'000, 4'000, 500, 400});
  refused("investor", t, RECEIPT_INVALID_ARGUMENT, "sum to 9900 basis points");
  t = station_terms();
  set_partners(t, {"equipment", "operations", "platform"}, {9'000, 500, 500});
  refused("equipment", t, RECEIPT_INVALID_ARGUMENT, "must include the asset's owner");
  t = station_terms();
  set_partners(t, {"investor", "investor"}, {5'000, 5'000});
  refused("investor", t, RECEIPT_INVALID_ARGUMENT, "listed twice");
  t = station_terms();
  *t.add_items() = item("paint", "paint_booth", upb::PER_MINUTE, 30);
  refused("investor", t, RECEIPT_INVALID_ARGUMENT, "does not list");
  t = station_terms();
  t.mutable_items(0)->set_price(0);
  refused("investor", t, RECEIPT_INVALID_ARGUMENT, "price of zero");
  t = station_terms();
  t.mutable_items(0)->set_basis(upb::CHARGE_BASIS_UNSPECIFIED);
  refused("investor", t, RECEIPT_INVALID_ARGUMENT, "needs a charging rule");
  t = station_terms();
  t.clear_items();
  refused("investor", t, RECEIPT_INVALID_ARGUMENT, "1 to 64 service items");
  t = station_terms();
  t.mutable_rules()->set_slot_ms(7 * kMinute);
  refused("investor", t, RECEIPT_INVALID_ARGUMENT, "divides a day");
  t = station_terms();
  t.mutable_rules()->set_open_minute(1'000);
  t.mutable_rules()->set_close_minute(900);
  refused("investor", t, RECEIPT_INVALID_ARGUMENT, "bookable hours");
  t = station_terms();
  t.set_settlement(upb::PERIODIC);
  refused("investor", t, RECEIPT_INVALID_ARGUMENT, "period of at least one minute");
  t = station_terms();
  t.set_settlement_period_ms(kDay);
  refused("investor", t, RECEIPT_INVALID_ARGUMENT, "only applies to PERIODIC");

  auto unknown = chain.usage("investor", propose_call(std::string(16, '\x07'), station_terms()));
  CHECK(unknown.status() == RECEIPT_NOT_FOUND);

  api::QueryRequest q;
  q.mutable_usage()->mutable_agreements_of_asset()->set_asset_id(asset);
  CHECK(chain.query(q)->usage().agreements().agreements_size() == 0);
}

TEST_CASE("an amendment clears confirmations until all confirm again", "[contracts][usage]") {
  StationWorld w;
  upb::Terms t = station_terms();
  t.set_deposit(2'000);
  auto r = must(w.chain.usage("equipment", amend_call(w.agreement, 1, t)));
  CHECK(find_event(r, "AgreementAmended") != nullptr);
  auto a = agreement_of(w.chain, w.agreement);
  CHECK(a.version() == 2);
  CHECK(a.status() == upb::PROPOSED);
  REQUIRE(a.confirmations_size() == 1);
  CHECK(a.confirmations(0) == address_for("equipment"));
  CHECK(a.terms().deposit() == 2'000);

  auto reserve = w.chain.usage("tech", reserve_call(w.agreement, k10, k11, {"lift"}));
  CHECK(reserve.status() == RECEIPT_FAILED_PRECONDITION);
  CHECK(contains(reserve.error(), "not active"));
  CHECK(w.chain.usage("investor", amend_call(w.agreement, 1, t)).status() ==
        RECEIPT_FAILED_PRECONDITION);
  CHECK(w.chain.usage("investor", confirm_call(w.agreement, 1)).status() ==
        RECEIPT_FAILED_PRECONDITION);
  CHECK(w.chain.usage("driver", amend_call(w.agreement, 2, t)).status() ==
        RECEIPT_PERMISSION_DENIED);

  for (const auto& p : {"investor", "operations", "platform"}) {
    must(w.chain.usage(p, confirm_call(w.agreement, 2)));
  }
  CHECK(agreement_of(w.chain, w.agreement).status() == upb::ACTIVE);
  CHECK(asset_of(w.chain, w.asset).live_agreements() == 1);  // counted once
  w.reserve("tech", k10, k11);
  CHECK(w.chain.escrow("tech") == 2'000);
}

TEST_CASE("suspension stops access until every partner confirms again", "[contracts][usage]") {
  StationWorld w;
  std::string res = w.reserve("tech", k10, k11);
  CHECK(w.chain.usage("driver", suspend_call(w.agreement)).status() == RECEIPT_PERMISSION_DENIED);
  auto r = must(w.chain.usage("dataserver", suspend_call(w.agreement, "fire inspection")));
  CHECK(find_event(r, "AgreementSuspended") != nullptr);
  auto a = agreement_of(w.chain, w.agreement);
  CHECK(a.status() == upb::SUSPENDED);
  CHECK(a.status_reason() == "fire inspection");
  CHECK(w.chain.usage("investor", suspend_call(w.agreement)).status() ==
        RECEIPT_FAILED_PRECONDITION);

  w.chain.set_time(k10);
  auto refused = w.chain.usage("tech", access_call(res));
  CHECK(refused.status() == RECEIPT_FAILED_PRECONDITION);
  CHECK(contains(refused.error(), "is not active (it is suspended)"));

  for (const auto& p : kPartners) must(w.chain.usage(p, confirm_call(w.agreement, 1)));
  CHECK(agreement_of(w.chain, w.agreement).status() == upb::ACTIVE);
  must(w.chain.usage("tech", access_call(res)));
}

TEST_CASE("reservation rules are enforced", "[contracts][usage]") {
  upb::Terms terms = station_terms();
  terms.mutable_rules()->set_open_minute(8 * 60);
  terms.mutable_rules()->set_close_minute(18 * 60);
  StationWorld w(terms);
  auto refused = [&](const std::string& who, std::uint64_t start, std::uint64_t end,
                     const std::vector<std::string>& items, ReceiptStatus status,
                     const std::string& message) {
    auto r = w.chain.usage(who, reserve_call(w.agreement, start, end, items));
    INFO(message << " / got: " << r.error());
    CHECK(r.status() == status);
    CHECK(contains(r.error(), message));
  };
  refused("tech", kDay1 + 17 * kHour, kDay1 + 19 * kHour, {"lift"}, RECEIPT_INVALID_ARGUMENT,
          "outside the bookable hours 08:00-18:00 UTC");
  refused("tech", kDay1 + 6 * kHour + kDay, kDay1 + 7 * kHour + kDay, {"lift"},
          RECEIPT_INVALID_ARGUMENT, "outside the bookable hours");
  refused("tech", k10 + 10 * kMinute, k11, {"lift"}, RECEIPT_INVALID_ARGUMENT, "slot boundary");
  refused("tech", k10, k10 + 5 * kHour, {"lift"}, RECEIPT_INVALID_ARGUMENT, "at most 240");
  refused("tech", k10, k10, {"lift"}, RECEIPT_INVALID_ARGUMENT, "ends after it starts");
  refused("tech", kDay1 + 7 * kHour, kDay1 + 8 * kHour, {"lift"}, RECEIPT_INVALID_ARGUMENT,
          "in the past");
  refused("tech", k10, k11, {"paint"}, RECEIPT_INVALID_ARGUMENT, "offers no service item");
  refused("tech", k10, k11, {}, RECEIPT_INVALID_ARGUMENT, "at least one service item");
  refused("tech", k10, k11, {"lift", "lift"}, RECEIPT_INVALID_ARGUMENT, "named twice");
  refused("driver", k10, k11, {"lift"}, RECEIPT_PERMISSION_DENIED,
          "requires the qualification \"certified_technician\"");

  // The current slot can still be booked (08:00-08:30 while it is 08:00:0x).
  w.reserve("tech", kDay1 + 8 * kHour, kDay1 + 8 * kHour + 30 * kMinute, {"lift"});
  // Capacity 1: overlapping windows are refused, adjacent ones are fine.
  must(w.chain.ledger("dataserver", certify_call("driver", "certified_technician")));
  w.reserve("tech", k10, k11, {"lift"});
  refused("driver", k10 + 30 * kMinute, k11 + 30 * kMinute, {"lift"}, RECEIPT_FAILED_PRECONDITION,
          "overlaps 1 existing reservation(s)");
  refused("driver", k10 - kHour, k10 + 30 * kMinute, {"lift"}, RECEIPT_FAILED_PRECONDITION,
          "serves 1 user(s) at a time");
  w.reserve("driver", k11, k12, {"lift"});
  w.reserve("driver", k10 - kHour, k10, {"lift"});

  // A user who cannot cover the deposit gets INSUFFICIENT_FUNDS with both numbers.
  must(w.chain.ledger("dataserver", certify_call("poor", "certified_technician")));
  must(w.chain.ledger("tech", transfer_call("poor", 300)));
  auto poor = w.chain.usage("poor", reserve_call(w.agreement, k12, k12 + kHour, {"lift"}));
  CHECK(poor.status() == RECEIPT_INSUFFICIENT_FUNDS);
  CHECK(contains(poor.error(), "holds 300 units"));
  CHECK(contains(poor.error(), "needs 1,000 units"));
}

TEST_CASE("capacity allows as many overlapping reservations as users served",
          "[contracts][usage]") {
  apb::AssetSpec spec = station_spec();
  spec.set_capacity(2);
  StationWorld w(station_terms(), spec);
  w.reserve("tech", k10, k11, {"lift"});
  w.reserve("tech", k10 + 30 * kMinute, k11 + 30 * kMinute, {"lift"});
  // [10:30, 11:00) already has two users.
  auto third = w.chain.usage("tech", reserve_call(w.agreement, k10 + 30 * kMinute, k11, {"lift"}));
  CHECK(third.status() == RECEIPT_FAILED_PRECONDITION);
  CHECK(contains(third.error(), "serves 2 user(s) at a time"));
  // [11:00, 12:00) overlaps only the second one.
  w.reserve("tech", k11, k12, {"lift"});
  // [09:00, 10:00) overlaps nothing.
  w.reserve("tech", k10 - kHour, k10, {"lift"});

  api::QueryRequest q;
  q.mutable_usage()->mutable_reservations_of_asset()->set_asset_id(w.asset);
  auto live = w.chain.query(q);
  REQUIRE(live.is_ok());
  CHECK(live->usage().reservations().reservations_size() == 4);
}

TEST_CASE("deposits: free cancellation before the window, forfeited inside it",
          "[contracts][usage]") {
  StationWorld w;
  std::uint64_t supply = w.chain.supply();
  std::string res = w.reserve("tech", k10, k11);
  CHECK(w.chain.escrow("tech") == 1'000);
  CHECK(w.chain.balance("tech") == 19'000);
  CHECK(reservation_of(w.chain, res).deposit_hold().size() == 16);

  CHECK(w.chain.usage("driver", cancel_call(res)).status() == RECEIPT_PERMISSION_DENIED);
  auto r = must(w.chain.usage("tech", cancel_call(res)));  // 08:00, window closes at 09:00
  const Event* e = find_event(r, "ReservationCancelled");
  REQUIRE(e != nullptr);
  CHECK(attr(*e, "fee") == "0");
  CHECK(w.chain.escrow("tech") == 0);
  CHECK(w.chain.balance("tech") == 20'000);
  CHECK(reservation_of(w.chain, res).status() == upb::CANCELLED);
  CHECK(w.chain.usage("tech", cancel_call(res)).status() == RECEIPT_FAILED_PRECONDITION);

  // The slot is free again; a late cancellation forfeits the deposit to the partners.
  std::string late = w.reserve("tech", k10, k11);
  auto before = partner_balances(w.chain);
  w.chain.set_time(k10 - 30 * kMinute);
  r = must(w.chain.usage("dataserver", cancel_call(late)));
  CHECK(attr(*find_event(r, "ReservationCancelled"), "fee") == "1000");
  CHECK(gains(w.chain, before) == std::vector<std::uint64_t>{500, 400, 50, 50});
  CHECK(w.chain.balance("tech") == 19'000);
  CHECK(w.chain.escrow("tech") == 0);
  CHECK(w.chain.supply() == supply);
}

TEST_CASE("an unused reservation expires and forfeits its deposit", "[contracts][usage]") {
  StationWorld w;
  std::string res = w.reserve("tech", k10, k11);
  auto early = w.chain.usage("driver", expire_call(res));
  CHECK(early.status() == RECEIPT_FAILED_PRECONDITION);
  CHECK(contains(early.error(), "has not expired"));
  auto before = partner_balances(w.chain);
  w.chain.set_time(k11);
  auto r = must(w.chain.usage("driver", expire_call(res)));
  CHECK(attr(*find_event(r, "ReservationExpired"), "fee") == "1000");
  CHECK(gains(w.chain, before) == std::vector<std::uint64_t>{500, 400, 50, 50});
  CHECK(reservation_of(w.chain, res).status() == upb::EXPIRED);
  CHECK(w.chain.usage("driver", expire_call(res)).status() == RECEIPT_FAILED_PRECONDITION);
}

TEST_CASE("a data server reserves for a user, who then pays the deposit", "[contracts][usage]") {
  StationWorld w;
  auto r = must(w.chain.usage("dataserver", reserve_call(w.agreement, k10, k11, {"lift"}, "tech")));
  std::string res = event_id(r, "Reserved", "reservation");
  CHECK(attr(*find_event(r, "Reserved"), "deposit_held") == "false");
  CHECK(reservation_of(w.chain, res).user() == address_for("tech"));
  // Only a data server may name another user.
  CHECK(w.chain.usage("driver", reserve_call(w.agreement, k11, k12, {"lift"}, "tech")).status() ==
        RECEIPT_PERMISSION_DENIED);

  w.chain.set_time(k10);
  auto no_deposit = w.chain.usage("tech", access_call(res));
  CHECK(no_deposit.status() == RECEIPT_FAILED_PRECONDITION);
  CHECK(contains(no_deposit.error(), "deposit of 1,000 units (10.00 credits)"));
  CHECK(contains(no_deposit.error(), "has not been paid"));

  CHECK(w.chain.usage("driver", pay_deposit_call(res)).status() == RECEIPT_PERMISSION_DENIED);
  must(w.chain.usage("tech", pay_deposit_call(res)));
  CHECK(w.chain.escrow("tech") == 1'000);
  CHECK(w.chain.usage("tech", pay_deposit_call(res)).status() == RECEIPT_ALREADY_EXISTS);
  // The data server may request access for the user.
  must(w.chain.usage("dataserver", access_call(res)));
}

TEST_CASE("access checks every rule before granting", "[contracts][usage]") {
  StationWorld w;
  std::string res = w.reserve("tech", k10, k11);

  auto early = w.chain.usage("tech", access_call(res));
  CHECK(early.status() == RECEIPT_FAILED_PRECONDITION);
  CHECK(contains(early.error(), "window opens at"));

  w.chain.set_time(k10 + 5 * kMinute);
  CHECK(w.chain.usage("driver", access_call(res)).status() == RECEIPT_PERMISSION_DENIED);
  auto vin = w.chain.usage("tech", access_call(res, "LSVAX4182E212345O"));
  CHECK(vin.status() == RECEIPT_INVALID_ARGUMENT);
  CHECK(contains(vin.error(), "vehicle identification number"));
  auto mode = w.chain.usage("tech", access_call(res, "", upb::BY_TIME, 30));
  CHECK(mode.status() == RECEIPT_INVALID_ARGUMENT);
  CHECK(contains(mode.error(), "charging piles only"));

  // The qualification is checked again at the gate.
  lpb::Call decertify;
  decertify.mutable_decertify()->set_account(address_for("tech"));
  decertify.mutable_decertify()->set_qualification("certified_technician");
  must(w.chain.ledger("dataserver", decertify));
  auto unqualified = w.chain.usage("tech", access_call(res));
  CHECK(unqualified.status() == RECEIPT_PERMISSION_DENIED);
  CHECK(contains(unqualified.error(), "requires the qualification"));
  must(w.chain.ledger("dataserver", certify_call("tech", "certified_technician")));

  auto r = must(w.chain.usage("tech", access_call(res, kVin)));
  const Event* e = find_event(r, "AccessGranted");
  REQUIRE(e != nullptr);
  std::string code = attr(*e, "access_code");
  CHECK(code.size() == 8);
  CHECK(code.find_first_not_of("0123456789") == std::string::npos);
  CHECK(attr(*e, "valid_until_ms") == std::to_string(k11));
  std::string session = event_id(r, "AccessGranted", "session");
  auto s = session_of(w.chain, session);
  CHECK(s.status() == upb::OPEN);
  CHECK(s.access_code() == code);
  CHECK(s.items_size() == 2);
  CHECK(s.partners_size() == 4);
  CHECK(s.deposit() == 1'000);
  CHECK(reservation_of(w.chain, res).status() == upb::IN_USE);

  auto again = w.chain.usage("tech", access_call(res));
  CHECK(again.status() == RECEIPT_ALREADY_EXISTS);
  CHECK(contains(again.error(), "already granted"));

  // After the window closes an unused reservation cannot be entered.
  std::string later = w.reserve("tech", k12, k12 + kHour);
  w.chain.set_time(k12 + kHour);
  auto closed = w.chain.usage("tech", access_call(later));
  CHECK(closed.status() == RECEIPT_FAILED_PRECONDITION);
  CHECK(contains(closed.error(), "window closed at"));
}

TEST_CASE("access refuses users the chain does not know", "[contracts][usage]") {
  upb::Terms t = station_terms();
  t.mutable_rules()->clear_required_qualification();
  t.set_deposit(0);
  StationWorld w(t);
  auto r =
      must(w.chain.usage("dataserver", reserve_call(w.agreement, k10, k11, {"lift"}, "ghost")));
  std::string res = event_id(r, "Reserved", "reservation");
  w.chain.set_time(k10);
  auto refused = w.chain.usage("dataserver", access_call(res));
  CHECK(refused.status() == RECEIPT_FAILED_PRECONDITION);
  CHECK(contains(refused.error(), "is not registered on the chain"));
}

TEST_CASE("ending a session computes the charge and requests payment", "[contracts][usage]") {
  StationWorld w;
  std::string session = w.start_session("tech", w.reserve("tech", k10, k11));

  CHECK(w.chain.usage("driver", end_call(session, upb::END_BY_USER, {})).status() ==
        RECEIPT_PERMISSION_DENIED);
  auto user_meter = w.chain.usage("tech", end_call(session, upb::END_BY_USER, {{"lift", 5, 0}}));
  CHECK(user_meter.status() == RECEIPT_INVALID_ARGUMENT);
  CHECK(contains(user_meter.error(), "data server reports the meter"));
  CHECK(w.chain.usage("dataserver", end_call(session, upb::END_KIND_UNSPECIFIED, {})).status() ==
        RECEIPT_INVALID_ARGUMENT);

  auto r = finish(w, session, 45, upb::END_ABNORMAL);
  REQUIRE(r.status() == RECEIPT_OK);
  const Event* ended = find_event(r, "SessionEnded");
  REQUIRE(ended != nullptr);
  CHECK(attr(*ended, "kind") == "abnormal");
  CHECK(attr(*ended, "charge") == "950");
  const Event* pay = find_event(r, "PaymentRequested");
  REQUIRE(pay != nullptr);
  CHECK(attr(*pay, "amount") == "950");
  CHECK(attr(*pay, "deposit") == "1000");
  auto s = session_of(w.chain, session);
  CHECK(s.status() == upb::AWAITING_PAYMENT);
  CHECK(s.charge() == 950);
  REQUIRE(s.lines_size() == 2);
  CHECK(s.lines(0).amount() == 450);
  CHECK(s.lines(1).amount() == 500);
  CHECK(s.payment_due_at_ms() == s.payment_requested_at_ms() + kDay);
  CHECK(reservation_of(w.chain, s.reservation_id()).status() == upb::COMPLETED);
  CHECK(w.chain.usage("dataserver", end_call(session, upb::END_NORMAL, {})).status() ==
        RECEIPT_FAILED_PRECONDITION);

  api::QueryRequest q;
  q.mutable_usage()->mutable_unsettled_of_user()->set_user(address_for("tech"));
  CHECK(w.chain.query(q)->usage().sessions().sessions_size() == 1);
}

TEST_CASE("a user stops a session and the data server meters it", "[contracts][usage]") {
  StationWorld w;
  std::string session = w.start_session("tech", w.reserve("tech", k10, k11));
  w.chain.advance(20 * kMinute);
  auto stop = must(w.chain.usage("tech", end_call(session, upb::END_BY_USER, {})));
  CHECK(find_event(stop, "SessionStopped") != nullptr);
  CHECK(session_of(w.chain, session).status() == upb::STOPPED);
  // The asset is free for others at once.
  CHECK(reservation_of(w.chain, session_of(w.chain, session).reservation_id()).status() ==
        upb::COMPLETED);

  // The meter arrives later but cannot bill beyond the stop.
  w.chain.advance(30 * kMinute);
  auto too_much =
      w.chain.usage("dataserver", end_call(session, upb::END_KIND_UNSPECIFIED, {{"lift", 40, 0}}));
  CHECK(too_much.status() == RECEIPT_INVALID_ARGUMENT);
  CHECK(contains(too_much.error(), "started minutes"));
  must(w.chain.usage("dataserver", end_call(session, upb::END_BY_USER, {{"lift", 20, 0}})));
  auto s = session_of(w.chain, session);
  CHECK(s.status() == upb::AWAITING_PAYMENT);
  CHECK(s.end_kind() == upb::END_BY_USER);
  CHECK(s.charge() == 200);
}

TEST_CASE("a session that used nothing closes at once", "[contracts][usage]") {
  StationWorld w;
  std::string session = w.start_session("tech", w.reserve("tech", k10, k11));
  auto r = must(w.chain.usage("dataserver", end_call(session, upb::END_ABNORMAL, {})));
  CHECK(find_event(r, "PaymentRequested") == nullptr);
  CHECK(find_event(r, "SessionCompleted") != nullptr);
  CHECK(session_of(w.chain, session).status() == upb::PAID);
  CHECK(w.chain.escrow("tech") == 0);
  CHECK(w.chain.balance("tech") == 20'000);
}

TEST_CASE("on-chain payment applies the deposit first and splits exactly", "[contracts][usage]") {
  StationWorld w;
  std::uint64_t supply = w.chain.supply();
  std::string session = w.start_session("tech", w.reserve("tech", k10, k11));
  REQUIRE(finish(w, session, 45).status() == RECEIPT_OK);  // 950 units

  CHECK(w.chain.usage("driver", pay_call(session)).status() == RECEIPT_PERMISSION_DENIED);
  auto before = partner_balances(w.chain);
  auto r = must(w.chain.usage("tech", pay_call(session)));
  const Event* paid = find_event(r, "SessionPaid");
  REQUIRE(paid != nullptr);
  CHECK(attr(*paid, "from_deposit") == "950");
  CHECK(attr(*paid, "on_time") == "true");
  // 950 at 50/40/5/5 %: 475 / 380 / 47.5 / 47.5 -> the tie goes to operations (listed first).
  CHECK(gains(w.chain, before) == std::vector<std::uint64_t>{475, 380, 48, 47});
  CHECK(w.chain.balance("tech") == 20'000 - 950);
  CHECK(w.chain.escrow("tech") == 0);
  CHECK(w.chain.supply() == supply);
  auto s = session_of(w.chain, session);
  CHECK(s.status() == upb::PAID);
  CHECK(s.paid_on_chain());
  REQUIRE(s.split_size() == 4);
  CHECK(s.split(0).amount() == 475);
  CHECK(s.split(3).amount() == 47);
  CHECK(agreement_of(w.chain, w.agreement).income_total() == 950);
  CHECK(asset_of(w.chain, w.asset).investor_income() == 475);

  auto twice = w.chain.usage("tech", pay_call(session));
  CHECK(twice.status() == RECEIPT_ALREADY_EXISTS);
  CHECK(contains(twice.error(), "already paid"));
  CHECK(w.chain.usage("dataserver", record_call(session, "bank-1", 950)).status() ==
        RECEIPT_ALREADY_EXISTS);
}

TEST_CASE("a charge above the deposit takes the rest from the balance", "[contracts][usage]") {
  StationWorld w;
  std::string session = w.start_session("tech", w.reserve("tech", k10, k10 + 4 * kHour));
  REQUIRE(finish(w, session, 200).status() == RECEIPT_OK);  // 2,000 + 500 = 2,500 units
  auto before = partner_balances(w.chain);
  must(w.chain.usage("tech", pay_call(session)));
  CHECK(w.chain.balance("tech") == 20'000 - 2'500);
  CHECK(gains(w.chain, before) == std::vector<std::uint64_t>{1'250, 1'000, 125, 125});
}

TEST_CASE("a payment the user cannot cover changes nothing", "[contracts][usage]") {
  StationWorld w;
  std::string session = w.start_session("tech", w.reserve("tech", k10, k10 + 4 * kHour));
  REQUIRE(finish(w, session, 200).status() == RECEIPT_OK);        // 2,500 units
  must(w.chain.ledger("tech", transfer_call("driver", 18'500)));  // 500 left + 1,000 deposit
  auto r = w.chain.usage("tech", pay_call(session));
  CHECK(r.status() == RECEIPT_INSUFFICIENT_FUNDS);
  CHECK(contains(r.error(), "holds 1,500 units"));
  CHECK(contains(r.error(), "costs 2,500 units"));
  CHECK(w.chain.escrow("tech") == 1'000);  // the deposit is still held
  CHECK(w.chain.balance("tech") == 500);
  CHECK(session_of(w.chain, session).status() == upb::AWAITING_PAYMENT);
}

TEST_CASE("off-chain payments are issued once under their reference", "[contracts][usage]") {
  StationWorld w;
  std::uint64_t supply = w.chain.supply();
  std::string session = w.start_session("tech", w.reserve("tech", k10, k11));
  REQUIRE(finish(w, session, 45).status() == RECEIPT_OK);  // 950

  CHECK(w.chain.usage("tech", record_call(session, "bank-1", 950)).status() ==
        RECEIPT_PERMISSION_DENIED);
  auto wrong = w.chain.usage("dataserver", record_call(session, "bank-1", 900));
  CHECK(wrong.status() == RECEIPT_INVALID_ARGUMENT);
  CHECK(contains(wrong.error(), "does not equal the charge of 950 units"));

  auto before = partner_balances(w.chain);
  auto r = must(w.chain.usage("dataserver", record_call(session, "bank-1", 950)));
  CHECK(find_event(r, "Issued") != nullptr);
  CHECK(attr(*find_event(r, "SessionPaid"), "on_chain") == "false");
  CHECK(gains(w.chain, before) == std::vector<std::uint64_t>{475, 380, 48, 47});
  CHECK(w.chain.balance("tech") == 20'000);  // deposit returned, nothing charged on chain
  CHECK(w.chain.escrow("tech") == 0);
  CHECK(w.chain.supply() == supply + 950);
  CHECK(contracts::ledger::issued_total(w.chain.state()) == w.chain.supply());
  CHECK(session_of(w.chain, session).payment_reference() == "bank-1");

  // The same reference cannot pay a second session.
  std::string second = w.start_session("tech", w.reserve("tech", k12, k12 + kHour));
  REQUIRE(finish(w, second, 10).status() == RECEIPT_OK);  // 600
  auto repeated = w.chain.usage("dataserver", record_call(second, "bank-1", 600));
  CHECK(repeated.status() == RECEIPT_ALREADY_EXISTS);
  CHECK(contains(repeated.error(), "already turned into credits"));
}

TEST_CASE("an unpaid open-amount session blocks the next session anywhere", "[contracts][usage]") {
  StationWorld w;
  auto [pile, pile_agreement] = add_pile(w.chain);
  std::string session = w.start_session("tech", w.reserve("tech", k10, k11));
  REQUIRE(finish(w, session, 30).status() == RECEIPT_OK);  // 800, unpaid

  std::string pile_res = event_id(
      must(w.chain.usage("tech", reserve_call(pile_agreement, k12, k12 + kHour, {"energy"}))),
      "Reserved", "reservation");
  w.chain.set_time(k12);
  auto blocked = w.chain.usage("tech", access_call(pile_res, "", upb::UNTIL_FULL, 0));
  CHECK(blocked.status() == RECEIPT_FAILED_PRECONDITION);
  CHECK(contains(blocked.error(), "awaits payment of 800 units"));
  CHECK(contains(blocked.error(), "settle it before starting another"));

  must(w.chain.usage("tech", pay_call(session)));
  must(w.chain.usage("tech", access_call(pile_res, "", upb::UNTIL_FULL, 0)));
}

TEST_CASE("charging-pile sessions stop at the agreed limit", "[contracts][usage]") {
  Chain chain(station_actors());
  chain.set_time(kDay1 + 8 * kHour);
  auto [pile, agreement] = add_pile(chain);
  auto reserve = [&](std::uint64_t start, std::uint64_t end) {
    return event_id(
        must(chain.usage("driver", reserve_call(agreement, start, end, {"energy", "parking"}))),
        "Reserved", "reservation");
  };
  std::string r1 = reserve(k10, k10 + 30 * kMinute);
  chain.set_time(k10);
  CHECK(chain.usage("driver", access_call(r1)).status() == RECEIPT_INVALID_ARGUMENT);
  CHECK(chain.usage("driver", access_call(r1, "", upb::BY_ENERGY, 0)).status() ==
        RECEIPT_INVALID_ARGUMENT);
  CHECK(chain.usage("driver", access_call(r1, "", upb::UNTIL_FULL, 5)).status() ==
        RECEIPT_INVALID_ARGUMENT);
  auto granted = must(chain.usage("driver", access_call(r1, "", upb::BY_ENERGY, 10'000)));
  CHECK(attr(*find_event(granted, "AccessGranted"), "mode") == "by_energy");
  std::string s1 = event_id(granted, "AccessGranted", "session");
  chain.advance(25 * kMinute);
  auto end = must(chain.usage(
      "dataserver", end_call(s1, upb::END_NORMAL, {{"energy", 0, 12'500}, {"parking", 25, 0}})));
  CHECK(attr(*find_event(end, "SessionEnded"), "limit_reached") == "true");
  // 10 kWh x 150 + 25 min x 2
  CHECK(session_of(chain, s1).charge() == 1'500 + 50);
  must(chain.usage("driver", pay_call(s1)));

  // BY_AMOUNT: fixed in advance, capped at the limit, and it does not block the next session.
  std::string r2 = reserve(k11, k11 + 30 * kMinute);
  chain.set_time(k11);
  std::string s2 = event_id(must(chain.usage("driver", access_call(r2, "", upb::BY_AMOUNT, 900))),
                            "AccessGranted", "session");
  CHECK(session_of(chain, s2).amount_fixed());
  chain.advance(20 * kMinute);
  must(chain.usage("dataserver", end_call(s2, upb::END_NORMAL, {{"energy", 0, 9'000}})));
  CHECK(session_of(chain, s2).charge() == 900);
  std::string r3 = reserve(k12, k12 + 30 * kMinute);
  chain.set_time(k12);
  must(chain.usage("driver", access_call(r3, "", upb::BY_TIME, 15)));
}

TEST_CASE("overdue payments and disputes feed the credit history", "[contracts][usage]") {
  StationWorld w;
  std::string session = w.start_session("tech", w.reserve("tech", k10, k11));
  REQUIRE(finish(w, session, 45).status() == RECEIPT_OK);  // 950

  auto early = w.chain.usage("driver", overdue_call(session));
  CHECK(early.status() == RECEIPT_FAILED_PRECONDITION);
  CHECK(contains(early.error(), "not overdue yet"));

  // Disputes: raised by the user, a partner or the data server, one at a time.
  CHECK(w.chain.usage("driver", dispute_call(session, "too much")).status() ==
        RECEIPT_PERMISSION_DENIED);
  CHECK(w.chain.usage("tech", dispute_call(session, "")).status() == RECEIPT_INVALID_ARGUMENT);
  must(w.chain.usage("tech", dispute_call(session, "the lift failed after 20 minutes")));
  CHECK(w.chain.usage("investor", dispute_call(session, "again")).status() ==
        RECEIPT_ALREADY_EXISTS);
  CHECK(w.chain.usage("tech", resolve_call(session, "", false, 0)).status() ==
        RECEIPT_PERMISSION_DENIED);
  CHECK(w.chain.usage("dataserver", resolve_call(session, "driver", false, 0)).status() ==
        RECEIPT_INVALID_ARGUMENT);
  auto raise = w.chain.usage("dataserver", resolve_call(session, "", true, 2'000));
  CHECK(raise.status() == RECEIPT_INVALID_ARGUMENT);
  CHECK(contains(raise.error(), "may only lower the charge"));
  auto resolved = must(w.chain.usage("dataserver", resolve_call(session, "equipment", true, 700)));
  const Event* e = find_event(resolved, "DisputeResolved");
  REQUIRE(e != nullptr);
  CHECK(attr(*e, "charge_before") == "950");
  CHECK(attr(*e, "charge_after") == "700");
  CHECK(session_of(w.chain, session).charge() == 700);
  CHECK(w.chain.usage("dataserver", resolve_call(session, "", false, 0)).status() ==
        RECEIPT_FAILED_PRECONDITION);

  // Overdue after the due time, reported once.
  w.chain.advance(kDay + kMinute);
  auto r = must(w.chain.usage("driver", overdue_call(session)));
  CHECK(find_event(r, "PaymentOverdue") != nullptr);
  CHECK(w.chain.usage("driver", overdue_call(session)).status() == RECEIPT_ALREADY_EXISTS);
  auto paid = must(w.chain.usage("tech", pay_call(session)));
  CHECK(attr(*find_event(paid, "SessionPaid"), "on_time") == "false");
  CHECK(w.chain.balance("tech") == 20'000 - 700);

  api::QueryRequest q;
  q.mutable_revenue()->mutable_credit_score()->set_party(address_for("tech"));
  auto score = w.chain.query(q);
  REQUIRE(score.is_ok());
  const auto& cs = score->revenue().credit_score();
  CHECK(cs.stats().overdue_sessions() == 1);
  CHECK(cs.stats().payments_late() == 1);
  CHECK(cs.stats().disputes_raised() == 1);
  CHECK(cs.score() == 500 - 40 - 100);
  q.mutable_revenue()->mutable_credit_score()->set_party(address_for("equipment"));
  auto equipment = w.chain.query(q);
  REQUIRE(equipment.is_ok());
  const auto& eq = equipment->revenue().credit_score();
  CHECK(eq.stats().disputes_lost() == 1);
  CHECK(eq.stats().income_entries() == 1);
  CHECK(eq.score() == 500 + 5 - 150);
}

TEST_CASE("periodic settlement accumulates income in the agreement's pot", "[contracts][usage]") {
  upb::Terms t = station_terms();
  t.set_settlement(upb::PERIODIC);
  t.set_settlement_period_ms(7 * kDay);
  StationWorld w(t);
  std::uint64_t supply = w.chain.supply();
  auto before = partner_balances(w.chain);
  std::string pot = agreement_of(w.chain, w.agreement).pot();

  std::string s1 = w.start_session("tech", w.reserve("tech", k10, k11));
  REQUIRE(finish(w, s1, 45).status() == RECEIPT_OK);  // 950
  auto r = must(w.chain.usage("tech", pay_call(s1)));
  CHECK(find_event(r, "IncomeAccrued") != nullptr);
  CHECK(session_of(w.chain, s1).split_size() == 0);
  std::string s2 = w.start_session("tech", w.reserve("tech", k12, k12 + kHour));
  REQUIRE(finish(w, s2, 5).status() == RECEIPT_OK);  // 550
  must(w.chain.usage("dataserver", record_call(s2, "bank-77", 550)));
  CHECK(w.chain.balance_of_address(pot) == 1'500);
  CHECK(gains(w.chain, before) == std::vector<std::uint64_t>{0, 0, 0, 0});

  auto early = w.chain.usage("investor", settle_call(w.agreement));
  CHECK(early.status() == RECEIPT_FAILED_PRECONDITION);
  CHECK(contains(early.error(), "has not passed"));
  CHECK(w.chain.usage("driver", settle_call(w.agreement)).status() == RECEIPT_PERMISSION_DENIED);

  w.chain.advance(7 * kDay);
  r = must(w.chain.usage("dataserver", settle_call(w.agreement)));
  CHECK(attr(*find_event(r, "AgreementSettled"), "amount") == "1500");
  CHECK(gains(w.chain, before) == std::vector<std::uint64_t>{750, 600, 75, 75});
  CHECK(w.chain.balance_of_address(pot) == 0);
  CHECK(w.chain.supply() == supply + 550);
  auto empty = w.chain.usage("investor", settle_call(w.agreement));
  CHECK(empty.status() == RECEIPT_FAILED_PRECONDITION);
}

TEST_CASE("termination refunds unused reservations and is final", "[contracts][usage]") {
  StationWorld w;
  std::string in_use = w.reserve("tech", k10, k11);
  std::string waiting = w.reserve("tech", k12, k12 + kHour);
  CHECK(w.chain.escrow("tech") == 2'000);
  std::string session = w.start_session("tech", in_use);

  CHECK(w.chain.usage("driver", terminate_call(w.agreement)).status() == RECEIPT_PERMISSION_DENIED);
  auto busy = w.chain.usage("investor", terminate_call(w.agreement));
  CHECK(busy.status() == RECEIPT_FAILED_PRECONDITION);
  CHECK(contains(busy.error(), "in progress"));

  REQUIRE(finish(w, session, 45).status() == RECEIPT_OK);  // 950, unpaid
  auto r = must(w.chain.usage("investor", terminate_call(w.agreement)));
  CHECK(attr(*find_event(r, "AgreementTerminated"), "reservations_cancelled") == "1");
  CHECK(reservation_of(w.chain, waiting).status() == upb::CANCELLED);
  CHECK(w.chain.escrow("tech") == 1'000);  // the session's deposit stays until payment
  CHECK(agreement_of(w.chain, w.agreement).status() == upb::TERMINATED);
  CHECK(asset_of(w.chain, w.asset).live_agreements() == 0);

  CHECK(w.chain.usage("tech", reserve_call(w.agreement, k12, k12 + kHour, {"lift"})).status() ==
        RECEIPT_FAILED_PRECONDITION);
  CHECK(w.chain.usage("investor", confirm_call(w.agreement, 1)).status() ==
        RECEIPT_FAILED_PRECONDITION);
  CHECK(w.chain.usage("investor", terminate_call(w.agreement)).status() ==
        RECEIPT_FAILED_PRECONDITION);
  // The earlier session is still paid, and split by the rule it was agreed under.
  auto before = partner_balances(w.chain);
  must(w.chain.usage("tech", pay_call(session)));
  CHECK(gains(w.chain, before) == std::vector<std::uint64_t>{475, 380, 48, 47});
}

TEST_CASE("a maintenance session records the vehicle it served", "[contracts][usage]") {
  StationWorld w;
  std::string session = w.start_session("tech", w.reserve("tech", k10, k11), kVin);
  auto r = finish(w, session, 30);
  REQUIRE(r.status() == RECEIPT_OK);
  const Event* e = find_event(r, "VehicleMaintained");
  REQUIRE(e != nullptr);
  CHECK(e->contract() == "usage");
  CHECK(attr(*e, "vin") == kVin);
  CHECK(attr(*e, "equipment") == "lift,diagnostic");
  CHECK(attr(*e, "technician") == crypto::format_address(address_for("tech")));

  api::QueryRequest q;
  q.mutable_usage()->mutable_vehicle_sessions()->set_vin(kVin);
  auto list = w.chain.query(q);
  REQUIRE(list.is_ok());
  REQUIRE(list->usage().sessions().sessions_size() == 1);
  CHECK(list->usage().sessions().sessions(0).id() == session);
  CHECK(list->usage().sessions().sessions(0).vehicle_vin() == kVin);

  q.mutable_usage()->mutable_vehicle_sessions()->set_vin("SHORT");
  CHECK(w.chain.query(q).status().code() == Code::kInvalidArgument);
}

TEST_CASE("usage queries", "[contracts][usage]") {
  StationWorld w;
  std::string s1 = w.start_session("tech", w.reserve("tech", k10, k11));
  REQUIRE(finish(w, s1, 10).status() == RECEIPT_OK);
  must(w.chain.usage("tech", pay_call(s1)));
  w.reserve("tech", k12, k12 + kHour);

  api::QueryRequest q;
  q.mutable_usage()->mutable_agreements_of_asset()->set_asset_id(w.asset);
  auto agreements = w.chain.query(q);
  REQUIRE(agreements.is_ok());
  REQUIRE(agreements->usage().agreements().agreements_size() == 1);
  CHECK(agreements->usage().agreements().agreements(0).id() == w.agreement);

  q.mutable_usage()->mutable_reservations_of_asset()->set_asset_id(w.asset);
  CHECK(w.chain.query(q)->usage().reservations().reservations_size() == 1);  // live only

  q.mutable_usage()->mutable_sessions_of_user()->set_user(address_for("tech"));
  CHECK(w.chain.query(q)->usage().sessions().sessions_size() == 1);
  q.mutable_usage()->mutable_unsettled_of_user()->set_user(address_for("tech"));
  CHECK(w.chain.query(q)->usage().sessions().sessions_size() == 0);

  q.mutable_usage()->mutable_session()->set_session_id(std::string(16, '\x09'));
  CHECK(w.chain.query(q).status().code() == Code::kNotFound);
  q.mutable_usage()->mutable_agreement()->set_agreement_id("bad");
  CHECK(w.chain.query(q).status().code() == Code::kInvalidArgument);
  q.mutable_usage()->mutable_sessions_of_user()->set_user("bad");
  CHECK(w.chain.query(q).status().code() == Code::kInvalidArgument);
  CHECK(w.chain.query(usage_query()).status().code() == Code::kInvalidArgument);
}
