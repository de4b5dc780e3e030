// The exact split and the charge computation:
//  - DOMAIN.md's worked examples: 10,000 units at 50/40/5/5 % -> 5,000/4,000/500/500;
//    100 units at 1/3 each -> 34/33/33; remainders go to the largest fractional parts, ties by
//    party order; 1 unit among 4 equal parties goes to the first
//  - random amounts and shares (seeded): parts always sum to the amount, each part is the floor
//    or the floor plus one, and never more than one unit off the exact share
//  - refusals: no parties, a zero share, shares not summing to 10,000, weights summing to zero
//  - the PreviewSplit query answers the same parts and refuses bad shares
//  - compute_charge: per minute, per kWh (rounded down), fixed; BY_TIME / BY_ENERGY / BY_AMOUNT
//    caps; meter reports of unknown or repeated items, wrong units, minutes beyond the session
#include "contracts/revenue/split.hpp"

#include <catch2/catch.hpp>
#include <numeric>
#include <random>

#include "contracts/usage/charging.hpp"
#include "harness.hpp"
#include "usage_fixture.hpp"

using namespace sharechain;
using namespace sharechain::contracts;
using namespace sharechain::contracts::testing;
using sharechain::contracts::revenue::split_by_shares;
using sharechain::contracts::revenue::split_by_weights;

namespace {

__extension__ using U128 = unsigned __int128;

std::vector<std::uint64_t> split_ok(std::uint64_t amount, const std::vector<std::uint32_t>& bps) {
  auto r = split_by_shares(amount, bps);
  REQUIRE(r.is_ok());
  return r.value();
}

}  // namespace

TEST_CASE("DOMAIN.md worked examples of the exact split", "[contracts][split]") {
  CHECK(split_ok(10'000, {5'000, 4'000, 500, 500}) ==
        std::vector<std::uint64_t>{5'000, 4'000, 500, 500});
  CHECK(split_ok(100, {3'334, 3'333, 3'333}) == std::vector<std::uint64_t>{34, 33, 33});
  // Equal weights: 100 / 3 leaves one unit; all fractions tie, so the first party takes it.
  auto equal = split_by_weights(100, {1, 1, 1});
  REQUIRE(equal.is_ok());
  CHECK(equal.value() == std::vector<std::uint64_t>{34, 33, 33});
  // 1 unit among four equal parties goes to the first.
  CHECK(split_ok(1, {2'500, 2'500, 2'500, 2'500}) == std::vector<std::uint64_t>{1, 0, 0, 0});
  // Largest fractional part wins even when it is not first: 7 units at 10/30/60 %:
  // exact 0.7 / 2.1 / 4.2 -> floors 0/2/4, one unit left, largest fraction is party 1.
  CHECK(split_ok(7, {1'000, 3'000, 6'000}) == std::vector<std::uint64_t>{1, 2, 4});
  // Two units left: 5 units at 1/3, 1/3, 1/3 (3,334 / 3,333 / 3,333 bps):
  // exact 1.667 / 1.6665 / 1.6665 -> 2 / 2 / 1 (ties broken by order).
  CHECK(split_ok(5, {3'334, 3'333, 3'333}) == std::vector<std::uint64_t>{2, 2, 1});
  CHECK(split_ok(0, {5'000, 5'000}) == std::vector<std::uint64_t>{0, 0});
  // The largest amount splits without overflow.
  auto big = split_ok(UINT64_MAX, {5'000, 5'000});
  CHECK(big[0] + big[1] == UINT64_MAX);
  CHECK(big[0] == big[1] + 1);
}

TEST_CASE("random splits always sum to the income", "[contracts][split]") {
  std::mt19937_64 rng(20240501);
  for (int round = 0; round < 2'000; ++round) {
    std::size_t n = 1 + rng() % 12;
    // Random positive shares summing to 10,000.
    std::vector<std::uint32_t> bps(n, 1);
    for (std::uint32_t left = 10'000 - static_cast<std::uint32_t>(n); left > 0; --left) {
      ++bps[rng() % n];
    }
    std::uint64_t amount = (round % 3 == 0) ? rng() : rng() % 1'000'000;
    auto parts = split_ok(amount, bps);
    REQUIRE(parts.size() == n);
    U128 sum = 0;
    for (std::size_t i = 0; i < n; ++i) {
      sum += parts[i];
      U128 exact_floor = static_cast<U128>(amount) * bps[i] / 10'000;
      INFO("round " << round << " party " << i);
      REQUIRE((parts[i] == exact_floor || parts[i] == exact_floor + 1));
    }
    REQUIRE(sum == amount);
  }
}

TEST_CASE("split refusals", "[contracts][split]") {
  auto r = split_by_shares(100, {});
  REQUIRE_FALSE(r.is_ok());
  CHECK(contains(r.refusal().message, "at least one party"));

  r = split_by_shares(100, {5'000, 0, 5'000});
  REQUIRE_FALSE(r.is_ok());
  CHECK(contains(r.refusal().message, "party 2 has a share of zero"));

  r = split_by_shares(100, {5'000, 4'000, 500});
  REQUIRE_FALSE(r.is_ok());
  CHECK(contains(r.refusal().message, "sum to 9500 basis points"));

  r = split_by_shares(100, {5'000, 5'001});
  REQUIRE_FALSE(r.is_ok());
  CHECK(contains(r.refusal().message, "must sum to 10,000"));

  auto w = split_by_weights(100, {0, 0});
  REQUIRE_FALSE(w.is_ok());
  CHECK(contains(w.refusal().message, "sum to zero"));
}

TEST_CASE("the PreviewSplit query", "[contracts][split]") {
  Chain chain(station_actors());
  api::QueryRequest q;
  auto* p = q.mutable_revenue()->mutable_preview_split();
  p->set_amount(10'000);
  for (std::uint32_t s : {5'000u, 4'000u, 500u, 500u}) p->add_shares_bps(s);
  auto r = chain.query(q);
  REQUIRE(r.is_ok());
  const auto& parts = r->revenue().preview_split().parts();
  CHECK(std::vector<std::uint64_t>(parts.begin(), parts.end()) ==
        std::vector<std::uint64_t>{5'000, 4'000, 500, 500});

  p->set_shares_bps(0, 4'000);
  r = chain.query(q);
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.status().code() == Code::kInvalidArgument);
  CHECK(contains(r.status().message(), "9000"));
}

namespace {

using sharechain::contracts::usage::compute_charge;

std::vector<upb::ServiceItem> items() {
  return {item("lift", "lift", upb::PER_MINUTE, 10), item("dc", "dc_charger", upb::PER_KWH, 150),
          item("wash", "", upb::FIXED, 700)};
}

std::vector<upb::Metered> meter(const std::vector<Meter>& ms) {
  std::vector<upb::Metered> out;
  for (const auto& m : ms) {
    upb::Metered x;
    x.set_item_id(m.item);
    x.set_minutes(m.minutes);
    x.set_energy_wh(m.energy_wh);
    out.push_back(x);
  }
  return out;
}

}  // namespace

TEST_CASE("charges per minute, per kWh and fixed", "[contracts][charging]") {
  auto c = compute_charge(items(), meter({{"lift", 45, 0}, {"dc", 0, 12'345}, {"wash", 0, 0}}),
                          upb::CHARGING_MODE_UNSPECIFIED, 0, 50 * kMinute);
  REQUIRE(c.is_ok());
  REQUIRE(c->lines.size() == 3);
  CHECK(c->lines[0].amount() == 450);
  CHECK(c->lines[0].equipment_type() == "lift");
  CHECK(c->lines[1].amount() == 150 * 12'345 / 1000);  // 1,851: rounded down
  CHECK(c->lines[1].quantity() == 12'345);
  CHECK(c->lines[2].amount() == 700);
  CHECK(c->total == 450 + 1'851 + 700);
  CHECK_FALSE(c->capped);

  // Nothing metered costs nothing.
  auto none = compute_charge(items(), {}, upb::CHARGING_MODE_UNSPECIFIED, 0, kMinute);
  REQUIRE(none.is_ok());
  CHECK(none->total == 0);
}

TEST_CASE("charging modes stop at the agreed limit", "[contracts][charging]") {
  // BY_TIME: 30 minutes agreed, 40 metered -> 30 charged.
  auto t = compute_charge(items(), meter({{"lift", 40, 0}}), upb::BY_TIME, 30, 41 * kMinute);
  REQUIRE(t.is_ok());
  CHECK(t->total == 300);
  CHECK(t->capped);
  // BY_ENERGY: 10 kWh agreed, 12 kWh metered -> 10 kWh charged.
  auto e = compute_charge(items(), meter({{"dc", 0, 12'000}}), upb::BY_ENERGY, 10'000, kHour);
  REQUIRE(e.is_ok());
  CHECK(e->total == 1'500);
  CHECK(e->lines[0].quantity() == 10'000);
  CHECK(e->capped);
  // BY_AMOUNT: at most 1,000 units whatever the meter says.
  auto a = compute_charge(items(), meter({{"dc", 0, 20'000}}), upb::BY_AMOUNT, 1'000, kHour);
  REQUIRE(a.is_ok());
  CHECK(a->total == 1'000);
  CHECK(a->capped);
  // UNTIL_FULL: no limit.
  auto f = compute_charge(items(), meter({{"dc", 0, 20'000}}), upb::UNTIL_FULL, 0, kHour);
  REQUIRE(f.is_ok());
  CHECK(f->total == 3'000);
  CHECK_FALSE(f->capped);
  // Under the limit nothing is capped.
  auto under = compute_charge(items(), meter({{"dc", 0, 5'000}}), upb::BY_ENERGY, 10'000, kHour);
  REQUIRE(under.is_ok());
  CHECK(under->total == 750);
  CHECK_FALSE(under->capped);
}

TEST_CASE("meter reports that do not fit the session are refused", "[contracts][charging]") {
  auto unknown =
      compute_charge(items(), meter({{"paint", 1, 0}}), upb::CHARGING_MODE_UNSPECIFIED, 0, kHour);
  REQUIRE_FALSE(unknown.is_ok());
  CHECK(contains(unknown.refusal().message, "did not reserve"));

  auto twice = compute_charge(items(), meter({{"lift", 1, 0}, {"lift", 2, 0}}),
                              upb::CHARGING_MODE_UNSPECIFIED, 0, kHour);
  REQUIRE_FALSE(twice.is_ok());
  CHECK(contains(twice.refusal().message, "twice"));

  auto units =
      compute_charge(items(), meter({{"lift", 0, 500}}), upb::CHARGING_MODE_UNSPECIFIED, 0, kHour);
  REQUIRE_FALSE(units.is_ok());
  CHECK(contains(units.refusal().message, "report minutes"));

  auto kwh =
      compute_charge(items(), meter({{"dc", 5, 0}}), upb::CHARGING_MODE_UNSPECIFIED, 0, kHour);
  REQUIRE_FALSE(kwh.is_ok());
  CHECK(contains(kwh.refusal().message, "report energy"));

  // A session of 10.5 minutes has 11 started minutes; 12 cannot have been used.
  auto too_long = compute_charge(items(), meter({{"lift", 12, 0}}), upb::CHARGING_MODE_UNSPECIFIED,
                                 0, 10 * kMinute + 30'000);
  REQUIRE_FALSE(too_long.is_ok());
  CHECK(contains(too_long.refusal().message, "11 started minutes"));
  auto fits = compute_charge(items(), meter({{"lift", 11, 0}}), upb::CHARGING_MODE_UNSPECIFIED, 0,
                             10 * kMinute + 30'000);
  CHECK(fits.is_ok());

  auto overflow = compute_charge({item("lift", "lift", upb::PER_MINUTE, UINT64_MAX / 2)},
                                 meter({{"lift", 3, 0}}), upb::CHARGING_MODE_UNSPECIFIED, 0, kHour);
  REQUIRE_FALSE(overflow.is_ok());
  CHECK(overflow.refusal().status == RECEIPT_OUT_OF_RANGE);
}
