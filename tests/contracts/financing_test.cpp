// The financing contract:
//  - calendar months from block timestamps (leap years, century rules, the far future)
//  - return on investment per asset: 10,000 units of income at 50% to the investor of a
//    1,000,000-unit station is 1/200 = 50 bps; per calendar month; agrees with the asset record
//  - a round that meets its minimum activates at the deadline: 35,000 raised from 25,000 and
//    10,000; a 10,000 payment gives the investor 5,000, of which 20% (1,000) goes to the
//    financiers pro rata by the exact split: 714 and 286; each financier's ROI and payouts
//  - a round below its minimum refunds every subscriber exactly (top-ups and a withdrawal too)
//  - many top-ups by one financier are folded into few escrow holds, and still return exactly
//  - a fully subscribed round closes at once; the first distribution after the deadline closes
//    a round nobody closed; after the term nothing is shared and the financing completes
//  - the projected return for an amount from the asset's history (worked numbers)
//  - every refusal: offers, subscriptions, withdrawals, closes, cancels, completion, and an
//    asset under financing can be neither transferred nor retired; at most 100 financiers
//  - total supply never changes through any of it
#include "contracts/financing/financing.hpp"

#include <catch2/catch.hpp>

#include "contracts/financing/calendar.hpp"
#include "finance_fixture.hpp"

using namespace sharechain;
using namespace sharechain::contracts;
using namespace sharechain::contracts::testing;

namespace {

namespace cf = ::sharechain::contracts::financing;

void expect(const Receipt& r, ReceiptStatus status, const std::string& words) {
  INFO(r.error());
  CHECK(r.status() == status);
  CHECK(contains(r.error(), words));
}

std::vector<const Event*> events_named(const Receipt& r, const std::string& name) {
  std::vector<const Event*> out;
  for (const auto& e : r.events()) {
    if (e.name() == name) out.push_back(&e);
  }
  return out;
}

// The station world with three funded financiers and a well-funded technician.
struct FinanceWorld {
  StationWorld w{lift_and_diagnostic_terms()};
  Chain& chain = w.chain;
  std::uint64_t supply = 0;
  int refs = 0;

  FinanceWorld() {
    for (const auto& who : {"alice", "bob", "carol"}) fund(who, 50'000);
    fund("tech", 100'000);
    supply = chain.supply();
  }
  void fund(const std::string& who, std::uint64_t amount) {
    must(chain.ledger("dataserver", issue_call(who, amount, "fund-" + std::to_string(refs++))));
  }
  // A one-hour reservation at `start` used for `minutes` on the lift plus one diagnostic run
  // (income 100 x minutes + 4,000), paid on chain by the technician, at `pay_at` if given.
  Receipt paid_session(std::uint64_t start, std::uint64_t minutes, std::uint64_t pay_at = 0) {
    std::string session = w.start_session("tech", w.reserve("tech", start, start + kHour));
    chain.advance(minutes * kMinute);
    must(chain.usage("dataserver", end_call(session, upb::END_NORMAL,
                                            {{"lift", minutes, 0}, {"diagnostic", 0, 0}})));
    if (pay_at != 0) chain.set_time(pay_at);
    return must(chain.usage("tech", pay_call(session)));
  }
  std::string offer(const fpb::FinancingTerms& t) {
    return event_id(must(chain.financing("investor", offer_call(w.asset, t))), "FinancingOffered",
                    "financing");
  }
};

}  // namespace

TEST_CASE("calendar months from block timestamps", "[contracts][financing]") {
  auto ym = [](std::uint64_t ms) {
    auto m = cf::month_of(ms);
    return std::to_string(m.year) + "-" + std::to_string(m.month);
  };
  CHECK(ym(0) == "1970-1");
  CHECK(ym(kStartMs) == "2023-11");
  CHECK(ym(1'701'388'800'000 - 1) == "2023-11");
  CHECK(ym(1'701'388'800'000) == "2023-12");
  CHECK(ym(1'709'208'000'000) == "2024-2");  // 29 February 2024, a leap day
  CHECK(ym(1'709'251'200'000) == "2024-3");
  CHECK(ym(951'782'400'000) == "2000-2");  // 2000 is a leap year (divisible by 400)
  CHECK(ym(946'684'799'999) == "1999-12");
  CHECK(ym(946'684'800'000) == "2000-1");
  CHECK(ym(4'107'542'400'000 - 1) == "2100-2");  // 2100 is not a leap year
  CHECK(ym(4'107'542'400'000) == "2100-3");
  CHECK(ym(UINT64_MAX) == "9999-12");
  CHECK(cf::period_index({2023, 11}) == 2023 * 12 + 10);
  CHECK(cf::period_index({2024, 1}) == cf::period_index({2023, 12}) + 1);

  CHECK(cf::ratio(714, 25'000).numerator() == 357);
  CHECK(cf::ratio(714, 25'000).denominator() == 12'500);
  CHECK(cf::ratio(0, 7).denominator() == 1);
  CHECK(cf::basis_points(714, 25'000) == 285);
  CHECK(cf::basis_points(UINT64_MAX, 1) == UINT64_MAX);
}

TEST_CASE("return on investment per asset and per calendar month", "[contracts][financing]") {
  FinanceWorld f;
  Chain& c = f.chain;
  auto r0 = return_of(c, f.w.asset);
  CHECK(r0.asset_return().investment_cost() == 1'000'000);
  CHECK(r0.asset_return().cumulative_income() == 0);
  CHECK(r0.asset_return().roi().numerator() == 0);
  CHECK(r0.asset_return().roi().denominator() == 1);
  CHECK(r0.periods_size() == 0);

  // 10,000 units of income; the investor's 50% is 5,000: ROI 5,000 / 1,000,000 = 1/200.
  auto paid = f.paid_session(kDay1 + 9 * kHour, 60);
  const Event* updated = find_event(paid, "ReturnUpdated");
  REQUIRE(updated != nullptr);
  CHECK(attr(*updated, "amount") == "5000");
  CHECK(attr(*updated, "roi_bps") == "50");
  CHECK(attr(*updated, "period") == "2023-11");
  auto r1 = return_of(c, f.w.asset).asset_return();
  CHECK(r1.cumulative_income() == 5'000);
  CHECK(r1.distributions() == 1);
  CHECK(r1.roi().numerator() == 1);
  CHECK(r1.roi().denominator() == 200);
  CHECK(r1.roi_bps() == 50);
  CHECK(r1.investor() == address_for("investor"));

  // 30 minutes: 7,000 of income, 3,500 to the investor: 8,500 / 1,000,000 = 17/2000.
  f.paid_session(kDay1 + 11 * kHour, 30);
  // A session in December 2023.
  const std::uint64_t dec1 = kDay1 + 16 * kDay;
  c.set_time(dec1 + 8 * kHour);
  f.paid_session(dec1 + 9 * kHour, 60);

  auto report = return_of(c, f.w.asset);
  const auto& r = report.asset_return();
  CHECK(r.cumulative_income() == 13'500);
  CHECK(r.distributions() == 3);
  CHECK(r.roi().numerator() == 27);
  CHECK(r.roi().denominator() == 2'000);
  CHECK(r.roi_bps() == 135);
  CHECK(r.passed_to_financiers() == 0);
  REQUIRE(report.periods_size() == 2);
  CHECK(report.periods(0).year() == 2023);
  CHECK(report.periods(0).month() == 11);
  CHECK(report.periods(0).period() == 2023 * 12 + 10);
  CHECK(report.periods(0).income() == 8'500);
  CHECK(report.periods(0).distributions() == 2);
  CHECK(report.periods(0).roi().numerator() == 17);
  CHECK(report.periods(0).roi().denominator() == 2'000);
  CHECK(report.periods(0).roi_bps() == 85);
  CHECK(report.periods(1).month() == 12);
  CHECK(report.periods(1).income() == 5'000);
  CHECK(report.periods(1).roi_bps() == 50);

  // The asset record agrees.
  auto asset = asset_of(c, f.w.asset);
  CHECK(asset.investor_income() == 13'500);
  CHECK(asset.roi_bps() == 135);

  // Period selection.
  fpb::Query q;
  q.mutable_asset_return()->set_asset_id(f.w.asset);
  q.mutable_asset_return()->set_from_period(2023 * 12 + 11);
  auto later = financing_query(c, q).asset_return();
  REQUIRE(later.periods_size() == 1);
  CHECK(later.periods(0).month() == 12);
  q.mutable_asset_return()->set_from_period(0);
  q.mutable_asset_return()->set_limit(1);
  CHECK(financing_query(c, q).asset_return().periods_size() == 1);
  q.mutable_asset_return()->set_limit(5'000);
  api::QueryRequest bad;
  *bad.mutable_financing() = q;
  CHECK(c.query(bad).status().code() == Code::kInvalidArgument);
  q.mutable_asset_return()->set_limit(0);
  q.mutable_asset_return()->set_asset_id(std::string(16, '\x01'));
  *bad.mutable_financing() = q;
  CHECK(c.query(bad).status().code() == Code::kNotFound);

  CHECK(c.supply() == f.supply);
}

TEST_CASE("a round that meets its minimum activates; financiers are paid pro rata",
          "[contracts][financing]") {
  FinanceWorld f;
  Chain& c = f.chain;
  const std::uint64_t deadline = kDay1 + 20 * kHour;
  const std::uint64_t term_ends = deadline + 90 * kDay;
  std::string id = f.offer(financing_terms(40'000, 30'000, 2'000, 5'000, deadline, term_ends));
  auto fin = financing_of(c, id);
  CHECK(fin.status() == fpb::FINANCING_OPEN);
  CHECK(fin.investor() == address_for("investor"));

  must(c.financing("alice", subscribe_call(id, 25'000)));
  auto sub = must(c.financing("bob", subscribe_call(id, 10'000)));
  CHECK(attr(*find_event(sub, "Subscribed"), "remaining") == "5000");
  CHECK(c.escrow("alice") == 25'000);
  CHECK(c.escrow("bob") == 10'000);
  fin = financing_of(c, id);
  CHECK(fin.subscribed() == 35'000);
  CHECK(fin.subscribers() == 2);

  expect(c.financing("driver", close_round_call(id)), RECEIPT_FAILED_PRECONDITION, "runs until");

  const std::uint64_t investor_before = c.balance("investor");
  c.set_time(deadline);
  auto closed = must(c.financing("driver", close_round_call(id)));  // anyone may close it
  REQUIRE(find_event(closed, "RoundClosed") != nullptr);
  CHECK(attr(*find_event(closed, "RoundClosed"), "outcome") == "succeeded");
  REQUIRE(find_event(closed, "FinancingActivated") != nullptr);
  CHECK(attr(*find_event(closed, "FinancingActivated"), "raised") == "35000");
  CHECK(c.balance("investor") == investor_before + 35'000);
  CHECK(c.escrow("alice") == 0);
  CHECK(c.escrow("bob") == 0);
  CHECK(c.balance("alice") == 25'000);
  CHECK(c.balance("bob") == 40'000);
  fin = financing_of(c, id);
  CHECK(fin.status() == fpb::FINANCING_ACTIVE);
  CHECK(fin.raised() == 35'000);

  // A payment of 10,000: the investor's part is 5,000, 20% of it (1,000) goes to the financiers
  // pro rata 25,000 : 10,000 = 714.28.. : 285.71..; the spare unit goes to the larger
  // remainder (bob's), so 714 and 286.
  std::map<std::string, std::uint64_t> before;
  for (const auto& p : kPartners) before[p] = c.balance(p);
  auto paid = f.paid_session(kDay1 + 21 * kHour, 60);
  const Event* dist = find_event(paid, "FinancingDistributed");
  REQUIRE(dist != nullptr);
  CHECK(attr(*dist, "investor_part") == "5000");
  CHECK(attr(*dist, "pool") == "1000");
  auto payouts = events_named(paid, "FinancierPaid");
  REQUIRE(payouts.size() == 2);
  CHECK(c.balance("alice") == 25'000 + 714);
  CHECK(c.balance("bob") == 40'000 + 286);
  CHECK(c.balance("investor") - before["investor"] == 4'000);
  CHECK(c.balance("equipment") - before["equipment"] == 4'000);
  CHECK(c.balance("operations") - before["operations"] == 500);
  CHECK(c.balance("platform") - before["platform"] == 500);

  auto alice = position_of(c, id, "alice");
  CHECK(alice.subscription().amount() == 25'000);
  CHECK(alice.subscription().paid_out() == 714);
  CHECK(alice.roi().numerator() == 357);
  CHECK(alice.roi().denominator() == 12'500);
  CHECK(alice.roi_bps() == 285);
  REQUIRE(alice.payouts_size() == 1);
  CHECK(alice.payouts(0).amount() == 714);
  CHECK(alice.payouts(0).investor_part() == 5'000);
  CHECK(alice.payouts(0).pool() == 1'000);
  CHECK(alice.payouts(0).source_kind() == "agreement");
  CHECK(alice.payouts(0).source_id() == f.w.agreement);
  CHECK(alice.payouts(0).tx_hash() == paid.tx_hash());
  auto bob = position_of(c, id, "bob");
  CHECK(bob.subscription().paid_out() == 286);
  CHECK(bob.roi().numerator() == 143);
  CHECK(bob.roi().denominator() == 5'000);
  CHECK(bob.roi_bps() == 286);

  fin = financing_of(c, id);
  CHECK(fin.paid_out() == 1'000);
  CHECK(fin.distributions() == 1);
  auto ret = return_of(c, f.w.asset).asset_return();
  CHECK(ret.cumulative_income() == 5'000);  // the whole part, before the financiers' share
  CHECK(ret.passed_to_financiers() == 1'000);

  // The investor's income history shows the part and what was passed on.
  rpb::Query iq;
  iq.mutable_income()->set_party(address_for("investor"));
  api::QueryRequest req;
  *req.mutable_revenue() = iq;
  auto inc = c.query(req);
  REQUIRE(inc.is_ok());
  const auto& entries = inc->revenue().income().entries();
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].amount() == 5'000);
  CHECK(entries[0].passed_on() == 1'000);

  // Listings.
  fpb::Query q;
  q.mutable_of_financier()->set_financier(address_for("alice"));
  auto positions = financing_query(c, q).positions();
  REQUIRE(positions.positions_size() == 1);
  CHECK(positions.positions(0).roi_bps() == 285);
  q.mutable_of_asset()->set_asset_id(f.w.asset);
  REQUIRE(financing_query(c, q).financings().financings_size() == 1);
  q.mutable_financing()->set_financing_id(id);
  auto view = financing_query(c, q).financing();
  CHECK(view.asset_return().cumulative_income() == 5'000);
  CHECK(view.subscriptions_size() == 2);

  CHECK(c.supply() == f.supply);
}

TEST_CASE("many top-ups by one financier fold into a bounded number of holds",
          "[contracts][financing]") {
  FinanceWorld f;
  Chain& c = f.chain;
  const std::uint64_t deadline = kDay1 + 20 * kHour;
  std::string id =
      f.offer(financing_terms(40'000, 30'000, 2'000, 5'000, deadline, deadline + kDay));
  const std::uint64_t supply = c.supply();
  for (int i = 0; i < 7; ++i) {
    must(c.financing("alice", subscribe_call(id, 5'000)));
    CHECK(position_of(c, id, "alice").subscription().holds_size() <= cf::kMaxHoldsPerSubscription);
  }
  CHECK(position_of(c, id, "alice").subscription().amount() == 35'000);
  CHECK(c.escrow("alice") == 35'000);
  CHECK(c.balance("alice") == 15'000);
  must(c.financing("alice", withdraw_call(id)));
  CHECK(c.escrow("alice") == 0);
  CHECK(c.balance("alice") == 50'000);
  CHECK(c.supply() == supply);
}

TEST_CASE("a round below its minimum refunds every subscriber exactly", "[contracts][financing]") {
  FinanceWorld f;
  Chain& c = f.chain;
  const std::uint64_t deadline = kDay1 + 20 * kHour;
  std::string id =
      f.offer(financing_terms(40'000, 30'000, 2'000, 5'000, deadline, deadline + kDay));
  must(c.financing("alice", subscribe_call(id, 5'000)));
  must(c.financing("alice", subscribe_call(id, 5'000)));  // a top-up: a second hold
  must(c.financing("bob", subscribe_call(id, 5'000)));
  must(c.financing("carol", subscribe_call(id, 7'000)));
  auto withdrawn = must(c.financing("carol", withdraw_call(id)));
  CHECK(attr(*find_event(withdrawn, "SubscriptionWithdrawn"), "amount") == "7000");
  CHECK(c.balance("carol") == 50'000);
  CHECK(position_of(c, id, "alice").subscription().holds_size() == 2);
  CHECK(financing_of(c, id).subscribed() == 15'000);
  const std::uint64_t investor_before = c.balance("investor");

  c.set_time(deadline + kHour);
  auto closed = must(c.financing("carol", close_round_call(id)));
  CHECK(attr(*find_event(closed, "RoundClosed"), "outcome") == "failed");
  CHECK(contains(attr(*find_event(closed, "RoundClosed"), "reason"), "did not reach"));
  CHECK(events_named(closed, "SubscriptionRefunded").size() == 2);
  for (const auto& who : {"alice", "bob", "carol"}) {
    CHECK(c.balance(who) == 50'000);
    CHECK(c.escrow(who) == 0);
  }
  CHECK(c.balance("investor") == investor_before);
  auto fin = financing_of(c, id);
  CHECK(fin.status() == fpb::FINANCING_FAILED);
  CHECK(position_of(c, id, "alice").subscription().refunded());
  CHECK(position_of(c, id, "alice").subscription().holds_size() == 0);

  // The asset is free: its history shows the lien come and go, and a new offer is accepted.
  apb::Query hq;
  hq.mutable_history()->set_asset_id(f.w.asset);
  api::QueryRequest req;
  *req.mutable_assets() = hq;
  auto hist = c.query(req);
  REQUIRE(hist.is_ok());
  std::vector<std::string> kinds;
  for (const auto& e : hist->assets().history().entries()) kinds.push_back(e.kind());
  CHECK(std::count(kinds.begin(), kinds.end(), "lien_added") == 1);
  CHECK(std::count(kinds.begin(), kinds.end(), "lien_released") == 1);

  // Income after a failed round is the investor's alone.
  auto paid = f.paid_session(kDay1 + 22 * kHour, 60);
  CHECK(find_event(paid, "FinancierPaid") == nullptr);
  CHECK(return_of(c, f.w.asset).asset_return().passed_to_financiers() == 0);
  f.offer(financing_terms(10'000, 0, 1'000, 1, c.time_ms() + kDay, c.time_ms() + 2 * kDay));
  CHECK(c.supply() == f.supply);
}

TEST_CASE("full rounds close at once, late rounds close on the first distribution, terms end",
          "[contracts][financing]") {
  SECTION("a fully subscribed round activates with its last subscription") {
    FinanceWorld f;
    Chain& c = f.chain;
    std::string id =
        f.offer(financing_terms(20'000, 0, 1'000, 5'000, kDay1 + 20 * kHour, kDay1 + 30 * kDay));
    must(c.financing("alice", subscribe_call(id, 15'000)));
    auto last = must(c.financing("bob", subscribe_call(id, 5'000)));
    CHECK(find_event(last, "FinancingActivated") != nullptr);
    CHECK(financing_of(c, id).status() == fpb::FINANCING_ACTIVE);
    CHECK(financing_of(c, id).closed_at_ms() < kDay1 + 20 * kHour);
    CHECK(c.supply() == f.supply);
  }
  SECTION("the first distribution after the deadline closes the round, then shares") {
    FinanceWorld f;
    Chain& c = f.chain;
    std::string id = f.offer(
        financing_terms(40'000, 10'000, 2'000, 5'000, kDay1 + 20 * kHour, kDay1 + 30 * kDay));
    must(c.financing("alice", subscribe_call(id, 20'000)));
    auto paid = f.paid_session(kDay1 + 21 * kHour, 60);  // nobody sent CloseRound
    CHECK(find_event(paid, "RoundClosed") != nullptr);
    CHECK(find_event(paid, "FinancingActivated") != nullptr);
    REQUIRE(events_named(paid, "FinancierPaid").size() == 1);
    CHECK(c.balance("alice") == 30'000 + 1'000);
    CHECK(c.supply() == f.supply);
  }
  SECTION("after the term nothing is shared; the financing completes") {
    FinanceWorld f;
    Chain& c = f.chain;
    const std::uint64_t term_ends = kDay1 + 10 * kDay;
    std::string id = f.offer(financing_terms(20'000, 0, 5'000, 1, kDay1 + 20 * kHour, term_ends));
    must(c.financing("alice", subscribe_call(id, 20'000)));
    f.paid_session(kDay1 + 21 * kHour, 60);
    CHECK(c.balance("alice") == 30'000 + 2'500);
    expect(c.financing("bob", complete_call(id)), RECEIPT_FAILED_PRECONDITION, "runs until");

    c.set_time(term_ends);
    const std::uint64_t investor_before = c.balance("investor");
    auto paid = f.paid_session(term_ends + kHour, 60);
    CHECK(find_event(paid, "FinancingCompleted") != nullptr);
    CHECK(find_event(paid, "FinancierPaid") == nullptr);
    CHECK(c.balance("investor") - investor_before == 5'000);
    CHECK(c.balance("alice") == 30'000 + 2'500);
    auto fin = financing_of(c, id);
    CHECK(fin.status() == fpb::FINANCING_COMPLETED);
    CHECK(fin.paid_out() == 2'500);
    expect(c.financing("bob", complete_call(id)), RECEIPT_FAILED_PRECONDITION, "completed");
    CHECK(c.supply() == f.supply);
  }
  SECTION("a new offer completes a financing whose term has ended") {
    FinanceWorld f;
    Chain& c = f.chain;
    const std::uint64_t term_ends = kDay1 + 10 * kDay;
    std::string id = f.offer(financing_terms(20'000, 0, 5'000, 1, kDay1 + 20 * kHour, term_ends));
    must(c.financing("alice", subscribe_call(id, 20'000)));
    c.set_time(term_ends);
    auto next = must(c.financing(
        "investor", offer_call(f.w.asset, financing_terms(5'000, 0, 100, 1, term_ends + kDay,
                                                          term_ends + 2 * kDay))));
    CHECK(find_event(next, "FinancingCompleted") != nullptr);
    CHECK(find_event(next, "FinancingOffered") != nullptr);
    CHECK(financing_of(c, id).status() == fpb::FINANCING_COMPLETED);
  }
  SECTION("CompleteFinancing ends a term nobody's income touched") {
    FinanceWorld f;
    Chain& c = f.chain;
    const std::uint64_t term_ends = kDay1 + 10 * kDay;
    std::string id = f.offer(financing_terms(20'000, 0, 5'000, 1, kDay1 + 20 * kHour, term_ends));
    must(c.financing("alice", subscribe_call(id, 20'000)));
    c.set_time(term_ends + 5);
    auto done = must(c.financing("bob", complete_call(id)));
    const Event* e = find_event(done, "FinancingCompleted");
    REQUIRE(e != nullptr);
    CHECK(attr(*e, "paid_out") == "0");
    CHECK(financing_of(c, id).status() == fpb::FINANCING_COMPLETED);
    // A new financing can be offered on the asset.
    f.offer(financing_terms(1'000, 0, 100, 1, c.time_ms() + kDay, c.time_ms() + 2 * kDay));
  }
  SECTION("a round closed after its term fails and refunds") {
    FinanceWorld f;
    Chain& c = f.chain;
    const std::uint64_t term_ends = kDay1 + 2 * kDay;
    std::string id =
        f.offer(financing_terms(20'000, 5'000, 5'000, 1, kDay1 + 20 * kHour, term_ends));
    must(c.financing("alice", subscribe_call(id, 10'000)));  // above the minimum raise
    c.set_time(term_ends + kHour);
    auto closed = must(c.financing("bob", close_round_call(id)));
    CHECK(attr(*find_event(closed, "RoundClosed"), "outcome") == "failed");
    CHECK(contains(attr(*find_event(closed, "RoundClosed"), "reason"), "after its term"));
    CHECK(c.balance("alice") == 50'000);
  }
}

TEST_CASE("the projected return of a subscription from the asset's history",
          "[contracts][financing]") {
  FinanceWorld f;
  Chain& c = f.chain;
  const std::uint64_t registered = asset_of(c, f.w.asset).registered_at_ms();
  CHECK(registered == kDay1 + 8 * kHour);
  // 5,000 to the investor, paid exactly one day after the registration: 5,000 a day.
  f.paid_session(kDay1 + 9 * kHour, 60, registered + kDay);
  const std::uint64_t deadline = c.time_ms() + kDay;
  std::string id =
      f.offer(financing_terms(40'000, 0, 2'000, 1'000, deadline, deadline + 90 * kDay));

  fpb::Query q;
  q.mutable_project()->set_financing_id(id);
  q.mutable_project()->set_amount(10'000);
  auto p = financing_query(c, q).projection();
  // 90 days at 5,000 a day = 450,000 to the investor; 20% = 90,000 for the financiers; a
  // 10,000 subscription of the 40,000 sought gets a quarter: 22,500, ROI 9/4 = 22,500 bps.
  CHECK(p.historic_income() == 5'000);
  CHECK(p.history_ms() == kDay);
  CHECK(p.term_ms() == 90 * kDay);
  CHECK(p.projected_investor_income() == 450'000);
  CHECK(p.projected_pool() == 90'000);
  CHECK(p.pool_basis() == 40'000);
  CHECK(p.projected_payout() == 22'500);
  CHECK(p.projected_roi().numerator() == 9);
  CHECK(p.projected_roi().denominator() == 4);
  CHECK(p.projected_roi_bps() == 22'500);
  CHECK_FALSE(p.capped());

  api::QueryRequest req;
  q.mutable_project()->set_amount(0);
  *req.mutable_financing() = q;
  CHECK(c.query(req).status().code() == Code::kInvalidArgument);
  q.mutable_project()->set_amount(40'001);
  *req.mutable_financing() = q;
  CHECK(c.query(req).status().code() == Code::kInvalidArgument);

  // A pile with no income yet projects nothing.
  std::string pile =
      event_id(must(c.assets("investor", register_call(pile_spec()))), "AssetRegistered", "asset");
  std::string pile_fin = event_id(
      must(c.financing("investor",
                       offer_call(pile, financing_terms(10'000, 0, 1'000, 1, c.time_ms() + kDay,
                                                        c.time_ms() + 30 * kDay)))),
      "FinancingOffered", "financing");
  q.mutable_project()->set_financing_id(pile_fin);
  q.mutable_project()->set_amount(1'000);
  auto none = financing_query(c, q).projection();
  CHECK(none.historic_income() == 0);
  CHECK(none.projected_payout() == 0);
  CHECK(none.projected_roi().numerator() == 0);

  // Only open rounds are projected.
  must(c.financing("investor", cancel_offer_call(id)));
  q.mutable_project()->set_financing_id(id);
  *req.mutable_financing() = q;
  CHECK(c.query(req).status().code() == Code::kFailedPrecondition);
}

TEST_CASE("financing refusals", "[contracts][financing]") {
  FinanceWorld f;
  Chain& c = f.chain;
  const std::uint64_t deadline = kDay1 + 20 * kHour;
  const std::uint64_t term = deadline + 30 * kDay;
  auto terms = [&](auto edit) {
    fpb::FinancingTerms t = financing_terms(40'000, 30'000, 2'000, 5'000, deadline, term);
    edit(t);
    return t;
  };
  auto offer_as = [&](const std::string& who, const fpb::FinancingTerms& t) {
    return c.financing(who, offer_call(f.w.asset, t));
  };
  auto same = [](fpb::FinancingTerms&) {};

  // Offers.
  expect(offer_as("alice", terms(same)), RECEIPT_PERMISSION_DENIED, "only the owner");
  expect(offer_as("investor", terms([](auto& t) { t.set_amount_sought(0); })),
         RECEIPT_INVALID_ARGUMENT, "amount sought");
  expect(offer_as("investor", terms([](auto& t) { t.set_share_bps(0); })), RECEIPT_INVALID_ARGUMENT,
         "basis points");
  expect(offer_as("investor", terms([](auto& t) { t.set_share_bps(10'001); })),
         RECEIPT_INVALID_ARGUMENT, "basis points");
  expect(offer_as("investor", terms([](auto& t) { t.set_minimum_raise(40'001); })),
         RECEIPT_INVALID_ARGUMENT, "minimum raise");
  expect(offer_as("investor", terms([](auto& t) { t.set_min_subscription(40'001); })),
         RECEIPT_INVALID_ARGUMENT, "minimum subscription");
  expect(offer_as("investor", terms([&](auto& t) { t.set_deadline_ms(c.time_ms() - 1); })),
         RECEIPT_INVALID_ARGUMENT, "deadline");
  expect(offer_as("investor", terms([&](auto& t) { t.set_deadline_ms(c.time_ms() + 400 * kDay); })),
         RECEIPT_INVALID_ARGUMENT, "366 days");
  expect(offer_as("investor", terms([&](auto& t) { t.set_term_ends_ms(deadline); })),
         RECEIPT_INVALID_ARGUMENT, "after the subscription deadline");
  expect(offer_as("investor", terms([&](auto& t) { t.set_note(std::string(300, 'n')); })),
         RECEIPT_INVALID_ARGUMENT, "note");
  fpb::Call unknown = offer_call(std::string(16, '\x07'), terms(same));
  CHECK(c.financing("investor", unknown).status() == RECEIPT_NOT_FOUND);
  fpb::Call empty;
  CHECK(c.financing("investor", empty).status() == RECEIPT_INVALID_ARGUMENT);

  std::string id = f.offer(terms(same));
  expect(offer_as("investor", terms(same)), RECEIPT_FAILED_PRECONDITION, "one financing at a time");

  // Subscriptions.
  expect(c.financing("investor", subscribe_call(id, 10'000)), RECEIPT_INVALID_ARGUMENT,
         "its own financing");
  expect(c.financing("alice", subscribe_call(id, 0)), RECEIPT_INVALID_ARGUMENT,
         "greater than zero");
  expect(c.financing("alice", subscribe_call(id, 40'001)), RECEIPT_FAILED_PRECONDITION,
         "at most 40,000 units");
  expect(c.financing("alice", subscribe_call(id, 4'999)), RECEIPT_INVALID_ARGUMENT,
         "minimum subscription is 5,000 units");
  expect(c.financing("driver", subscribe_call(id, 10'000)), RECEIPT_INSUFFICIENT_FUNDS,
         "insufficient funds");
  CHECK(c.financing("alice", subscribe_call(std::string(16, '\x09'), 10'000)).status() ==
        RECEIPT_NOT_FOUND);
  CHECK(c.financing("alice", subscribe_call("short", 10'000)).status() == RECEIPT_INVALID_ARGUMENT);
  must(c.financing("alice", subscribe_call(id, 37'000)));
  // The last 3,000 may be below the minimum subscription: it fills the round.
  expect(c.financing("bob", subscribe_call(id, 2'000)), RECEIPT_INVALID_ARGUMENT,
         "exactly the 3,000 units");
  expect(c.financing("bob", withdraw_call(id)), RECEIPT_NOT_FOUND, "has not subscribed");
  auto filled = must(c.financing("bob", subscribe_call(id, 3'000)));
  CHECK(find_event(filled, "FinancingActivated") != nullptr);

  // An active financing.
  expect(c.financing("carol", subscribe_call(id, 5'000)), RECEIPT_FAILED_PRECONDITION,
         "takes no subscriptions");
  expect(c.financing("alice", withdraw_call(id)), RECEIPT_FAILED_PRECONDITION,
         "no longer be withdrawn");
  expect(c.financing("carol", close_round_call(id)), RECEIPT_FAILED_PRECONDITION, "already closed");
  expect(c.financing("investor", cancel_offer_call(id)), RECEIPT_FAILED_PRECONDITION,
         "only an open round");
  expect(c.financing("carol", complete_call(id)), RECEIPT_FAILED_PRECONDITION, "runs until");

  // A pile under an open financing can be neither transferred nor retired; cancelling frees it.
  std::string pile =
      event_id(must(c.assets("investor", register_call(pile_spec()))), "AssetRegistered", "asset");
  std::string pile_fin = event_id(
      must(c.financing("investor", offer_call(pile, terms([&](auto& t) {
                                                t.set_deadline_ms(c.time_ms() + kDay);
                                                t.set_term_ends_ms(c.time_ms() + 10 * kDay);
                                              })))),
      "FinancingOffered", "financing");
  must(c.financing("carol", subscribe_call(pile_fin, 6'000)));
  apb::Call transfer;
  transfer.mutable_transfer()->set_asset_id(pile);
  transfer.mutable_transfer()->set_new_owner(address_for("carol"));
  expect(c.assets("investor", transfer), RECEIPT_FAILED_PRECONDITION, "pledges its investor");
  apb::Call retire;
  retire.mutable_retire()->set_asset_id(pile);
  expect(c.assets("investor", retire), RECEIPT_FAILED_PRECONDITION, "cannot be retired");
  expect(c.financing("carol", cancel_offer_call(pile_fin)), RECEIPT_PERMISSION_DENIED,
         "only the investor");
  expect(c.financing("carol", close_round_call(pile_fin)), RECEIPT_FAILED_PRECONDITION,
         "runs until");
  c.set_time(c.time_ms() + kDay);
  expect(c.financing("carol", subscribe_call(pile_fin, 5'000)), RECEIPT_FAILED_PRECONDITION,
         "send CloseRound");
  expect(c.financing("carol", withdraw_call(pile_fin)), RECEIPT_FAILED_PRECONDITION,
         "CloseRound decides");
  expect(c.financing("investor", offer_call(pile, terms(same))), RECEIPT_FAILED_PRECONDITION,
         "CloseRound settles it");
  auto cancelled = must(c.financing("investor", cancel_offer_call(pile_fin)));
  CHECK(find_event(cancelled, "SubscriptionRefunded") != nullptr);
  CHECK(c.balance("carol") == 50'000);
  CHECK(financing_of(c, pile_fin).status() == fpb::FINANCING_CANCELLED);
  must(c.assets("investor", transfer));

  CHECK(c.supply() == f.supply);
}

TEST_CASE("a financing has at most 100 financiers", "[contracts][financing]") {
  FinanceWorld f;
  Chain& c = f.chain;
  std::string id =
      f.offer(financing_terms(1'000'000, 0, 1'000, 1, kDay1 + 20 * kHour, kDay1 + 30 * kDay));
  for (int i = 0; i < cf::kMaxFinanciers; ++i) {
    std::string who = "financier" + std::to_string(i);
    f.fund(who, 10);
    must(c.financing(who, subscribe_call(id, 10)));
  }
  f.fund("latecomer", 10);
  expect(c.financing("latecomer", subscribe_call(id, 10)), RECEIPT_FAILED_PRECONDITION,
         "100 financiers");
  // An existing financier may still add to its subscription.
  f.fund("financier0", 10);
  must(c.financing("financier0", subscribe_call(id, 10)));
  CHECK(financing_of(c, id).subscribers() == 100);
  CHECK(financing_of(c, id).subscribed() == 1'010);
}
