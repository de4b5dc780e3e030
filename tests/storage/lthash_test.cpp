// LtHash16 accumulator.
//   known answers       - expansion, accumulator and root pinned from an independent SHAKE-128
//                         computation (Python hashlib), so the encoding cannot drift silently
//   empty set           - all-zero lanes, pinned root
//   order independence  - any insertion order of the same pairs gives the same accumulator
//   add/remove commute  - interleaved adds and removes land where the set says
//   absent removal      - removing a pair that was never added gives a value matching no set:
//                         the accumulator cannot catch it, which is why the Store reads old values
//   encoding            - length prefixes separate ("ab","c") from ("a","bc"); key vs value
//   lane arithmetic     - 16-bit lanes: 2^16 copies of any accumulator sum to zero
//   serialisation       - bytes()/from_bytes() round trip; wrong sizes refused
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "storage/lthash.hpp"

using sharechain::crypto::Hash;
using sharechain::crypto::to_hex;
using sharechain::storage::LtHash;

namespace {

std::string hex_prefix(const std::string& raw, std::size_t n) {
  return to_hex(std::string_view(raw).substr(0, n));
}

std::vector<std::pair<std::string, std::string>> sample_pairs(int n) {
  std::vector<std::pair<std::string, std::string>> out;
  for (int i = 0; i < n; ++i) {
    out.emplace_back("key/" + std::to_string(i), "value-" + std::to_string(i * 31));
  }
  return out;
}

}  // namespace

TEST_CASE("LtHash known answers match an independent SHAKE-128 computation", "[lthash]") {
  const auto e = LtHash::expand("key", "value");
  const std::string e_raw(reinterpret_cast<const char*>(e.data()), e.size());
  CHECK(hex_prefix(e_raw, 16) == "3b39211f920b2907505c0de2382eb2d1");
  CHECK(to_hex(sharechain::crypto::sha256(e_raw)) ==
        "4ce76908a97b21f17ce0433855f35075c7f8596253e7ec3491c5ca66fff84f3f");

  LtHash acc;
  acc.add("ledger/acct/alice", "balance=100");
  acc.add("ledger/acct/bob", "balance=250");
  acc.add("", "");
  CHECK(hex_prefix(acc.bytes(), 16) == "01ddb6fd55d797fd36491b50cdaba1ca");
  CHECK(to_hex(acc.root()) == "4bd75b309fbc9de6a6e6dd6b0b45b8842a446b9490ec746ee361e20e439d1adb");
}

TEST_CASE("LtHash of the empty set", "[lthash]") {
  LtHash empty;
  CHECK(empty.is_empty());
  CHECK(empty.bytes() == std::string(LtHash::kBytes, '\0'));
  CHECK(to_hex(empty.root()) ==
        "c6a2f253633a6d5c2571fc7ea17fac4c2d10416a912510e62a2286aae19f2109");
  LtHash one;
  one.add("k", "v");
  CHECK_FALSE(one.is_empty());
  one.remove("k", "v");
  CHECK(one.is_empty());
  CHECK(one == empty);
}

TEST_CASE("LtHash does not depend on insertion order", "[lthash]") {
  auto pairs = sample_pairs(50);
  LtHash reference;
  for (const auto& [k, v] : pairs) reference.add(k, v);

  std::mt19937 rng(20240601);
  for (int round = 0; round < 10; ++round) {
    std::shuffle(pairs.begin(), pairs.end(), rng);
    LtHash h;
    for (const auto& [k, v] : pairs) h.add(k, v);
    REQUIRE(h == reference);
    REQUIRE(h.root() == reference.root());
  }
}

TEST_CASE("LtHash adds and removes commute", "[lthash]") {
  const auto pairs = sample_pairs(20);
  // Target set: pairs 0..9. Reach it by adding all 20 then removing 10..19, or by interleaving
  // removals before the additions they cancel (lanes may pass through "negative" values).
  LtHash direct;
  for (int i = 0; i < 10; ++i) direct.add(pairs[i].first, pairs[i].second);

  LtHash add_then_remove;
  for (const auto& [k, v] : pairs) add_then_remove.add(k, v);
  for (int i = 10; i < 20; ++i) add_then_remove.remove(pairs[i].first, pairs[i].second);
  CHECK(add_then_remove == direct);

  LtHash remove_first;
  for (int i = 19; i >= 10; --i) remove_first.remove(pairs[i].first, pairs[i].second);
  for (int i = 0; i < 20; ++i) remove_first.add(pairs[i].first, pairs[i].second);
  CHECK(remove_first == direct);

  // An update of one key = remove the old pair, add the new one, in either order.
  LtHash updated_a = direct;
  updated_a.remove(pairs[3].first, pairs[3].second);
  updated_a.add(pairs[3].first, "new value");
  LtHash updated_b = direct;
  updated_b.add(pairs[3].first, "new value");
  updated_b.remove(pairs[3].first, pairs[3].second);
  CHECK(updated_a == updated_b);
  CHECK_FALSE(updated_a == direct);

  // Set union and difference of accumulators.
  LtHash low;
  LtHash high;
  for (int i = 0; i < 10; ++i) low.add(pairs[i].first, pairs[i].second);
  for (int i = 10; i < 20; ++i) high.add(pairs[i].first, pairs[i].second);
  LtHash all = low;
  all.add(high);
  LtHash each;
  for (const auto& [k, v] : pairs) each.add(k, v);
  CHECK(all == each);
  all.remove(high);
  CHECK(all == low);
}

TEST_CASE("Removing an absent pair is not caught by the accumulator", "[lthash]") {
  LtHash set;
  set.add("a", "1");
  set.add("b", "2");
  LtHash before = set;

  // Wrong old value: the caller believed b = 3. The result is neither {a} nor {a, b}, nor the
  // set after a correct update; only knowing the true old value avoids this.
  set.remove("b", "3");
  LtHash only_a;
  only_a.add("a", "1");
  CHECK_FALSE(set == before);
  CHECK_FALSE(set == only_a);
  set.add("b", "4");
  LtHash correct_update;
  correct_update.add("a", "1");
  correct_update.add("b", "4");
  CHECK_FALSE(set == correct_update);

  // A multiset: adding a present pair again is also invisible to the accumulator itself.
  LtHash twice;
  twice.add("a", "1");
  twice.add("a", "1");
  CHECK_FALSE(twice == only_a);
}

TEST_CASE("LtHash encoding separates key from value", "[lthash]") {
  LtHash a;
  a.add("ab", "c");
  LtHash b;
  b.add("a", "bc");
  LtHash c;
  c.add("c", "ab");
  LtHash d;
  d.add("abc", "");
  CHECK_FALSE(a == b);
  CHECK_FALSE(a == c);
  CHECK_FALSE(a == d);
  CHECK_FALSE(b == d);
  // Binary keys and values with zero bytes are hashed in full.
  LtHash z1;
  z1.add(std::string("k\0x", 3), std::string("\0", 1));
  LtHash z2;
  z2.add(std::string("k\0y", 3), std::string("\0", 1));
  CHECK_FALSE(z1 == z2);
}

TEST_CASE("LtHash lanes are 16-bit words", "[lthash]") {
  LtHash x;
  x.add("some", "pair");
  // Doubling 16 times multiplies every lane by 2^16, which is 0 modulo 2^16 (and would not be
  // with wider lanes).
  LtHash acc = x;
  for (int i = 0; i < 15; ++i) {
    LtHash copy = acc;
    acc.add(copy);
    REQUIRE_FALSE(acc.is_empty());  // still 2^(i+1) * x, not yet zero in every lane
  }
  LtHash copy = acc;
  acc.add(copy);
  CHECK(acc.is_empty());
}

TEST_CASE("LtHash serialisation round trip", "[lthash]") {
  LtHash h;
  for (const auto& [k, v] : sample_pairs(5)) h.add(k, v);
  const std::string raw = h.bytes();
  REQUIRE(raw.size() == LtHash::kBytes);
  auto back = LtHash::from_bytes(raw);
  REQUIRE(back.has_value());
  CHECK(*back == h);
  CHECK(back->root() == h.root());
  CHECK_FALSE(LtHash::from_bytes(raw.substr(1)).has_value());
  CHECK_FALSE(LtHash::from_bytes(raw + "x").has_value());
  CHECK_FALSE(LtHash::from_bytes("").has_value());
}
