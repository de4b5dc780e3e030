// The audit's own exact split:
//  - DOMAIN.md's examples: 10,000 at 50/40/5/5 % -> 5,000/4,000/500/500; 100 at
//    3,334/3,333/3,333 -> 34/33/33; 950 at 50/40/5/5 % -> 475/380/48/47; ties to the first
//  - refusals: no parties, a zero share, shares not summing to 10,000
//  - seeded random amounts and shares: the parts sum to the amount, each is the floor or the
//    floor plus one, and they equal the contract's split_by_shares exactly (two independent
//    implementations of one rule agree), up to the largest uint64 amount
//  - any weights (financing pro-rata payouts) agree with the contract's split_by_weights
#include "tools/dataserver/split.hpp"

#include <algorithm>
#include <catch2/catch.hpp>

#include "contracts/revenue/split.hpp"
#include "tools/dataserver/rng.hpp"

using namespace sharechain;
using sharechain::dataserver::exact_split;
using sharechain::dataserver::exact_split_by_weights;

namespace {
__extension__ using U128 = unsigned __int128;
}  // namespace

TEST_CASE("the worked examples of the domain rules") {
  using V = std::vector<std::uint64_t>;
  CHECK(exact_split(10'000, {5000, 4000, 500, 500}) == V{5000, 4000, 500, 500});
  CHECK(exact_split(100, {3334, 3333, 3333}) == V{34, 33, 33});
  CHECK(exact_split(950, {5000, 4000, 500, 500}) == V{475, 380, 48, 47});
  // 1 unit among four equal parties: all remainders tie, the first party gets it.
  CHECK(exact_split(1, {2500, 2500, 2500, 2500}) == V{1, 0, 0, 0});
  CHECK(exact_split(0, {10'000}) == V{0});
}

TEST_CASE("shares that are not a sharing rule are refused") {
  CHECK_FALSE(exact_split(100, {}).has_value());
  CHECK_FALSE(exact_split(100, {10'000, 0}).has_value());
  CHECK_FALSE(exact_split(100, {5000, 4999}).has_value());
  CHECK_FALSE(exact_split(100, {5000, 5001}).has_value());
}

TEST_CASE("random splits are exact and agree with the contract's split") {
  dataserver::Rng rng(20240601);
  for (int round = 0; round < 5000; ++round) {
    const std::size_t n = static_cast<std::size_t>(rng.between(1, 8));
    // n positive shares summing to 10,000: cut points in 1..9,999.
    std::vector<std::uint32_t> cuts;
    while (cuts.size() + 1 < n) {
      const auto c = static_cast<std::uint32_t>(rng.between(1, 9'999));
      if (std::find(cuts.begin(), cuts.end(), c) == cuts.end()) cuts.push_back(c);
    }
    std::sort(cuts.begin(), cuts.end());
    std::vector<std::uint32_t> shares;
    std::uint32_t prev = 0;
    for (auto c : cuts) {
      shares.push_back(c - prev);
      prev = c;
    }
    shares.push_back(10'000 - prev);
    const std::uint64_t amount = round % 10 == 0 ? UINT64_MAX - rng.below(1000) : rng.below(10'000'000);

    auto mine = exact_split(amount, shares);
    auto theirs = contracts::revenue::split_by_shares(amount, shares);
    REQUIRE(mine.has_value());
    REQUIRE(theirs.is_ok());
    CHECK(*mine == *theirs);
    U128 sum = 0;
    for (std::size_t i = 0; i < shares.size(); ++i) {
      sum += (*mine)[i];
      const U128 floor = static_cast<U128>(amount) * shares[i] / 10'000;
      CHECK(((*mine)[i] == floor || (*mine)[i] == floor + 1));
    }
    const bool sums_to_amount = sum == amount;
    CHECK(sums_to_amount);
  }
}

TEST_CASE("splits by any weights agree with the contract's") {
  using V = std::vector<std::uint64_t>;
  CHECK(exact_split_by_weights(100, {1, 1, 1}) == V{34, 33, 33});
  CHECK(exact_split_by_weights(10, {3, 0, 7}) == V{3, 0, 7});
  CHECK_FALSE(exact_split_by_weights(10, {}).has_value());
  CHECK_FALSE(exact_split_by_weights(10, {0, 0}).has_value());
  dataserver::Rng rng(77);
  for (int round = 0; round < 3000; ++round) {
    V weights;
    const auto n = rng.between(1, 6);
    for (std::uint64_t i = 0; i < n; ++i) weights.push_back(rng.below(round % 3 == 0 ? 5 : 5'000'000) + (i == 0 ? 1 : 0));
    const std::uint64_t amount = round % 7 == 0 ? UINT64_MAX - rng.below(100) : rng.below(1'000'000'000);
    auto mine = exact_split_by_weights(amount, weights);
    auto theirs = contracts::revenue::split_by_weights(amount, weights);
    REQUIRE(mine.has_value());
    REQUIRE(theirs.is_ok());
    CHECK(*mine == *theirs);
  }
}
