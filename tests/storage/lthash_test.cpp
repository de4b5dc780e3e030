// LtHash16 accumulator.
//   known answers       - expansion, accumulator and root pinned, for each state commitment,
//                         from an independent computation (Python hashlib for SHAKE-128; hashlib
//                         and the cryptography package's AES-256-CTR), so the encoding cannot
//                         drift silently
//   commitments differ  - the two commitments expand the same pair differently; names parse
//   every property below holds under both commitments
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
using sharechain::storage::StateCommitment;

constexpr StateCommitment kShake = StateCommitment::kLtHash16Shake128;
constexpr StateCommitment kAes = StateCommitment::kLtHash16Aes256Ctr;

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

TEST_CASE("LtHash known answers match an independent computation, for each state commitment", "[lthash]") {
  struct Known {
    StateCommitment commitment;
    const char* expansion_prefix;  // expand("key", "value"): first 16 bytes, SHA-256 of all
    const char* expansion_sha256;
    const char* accumulator_prefix;  // the three pairs below: first 16 bytes, state root
    const char* root;
  };
  const Known k = GENERATE(
      Known{kShake, "3b39211f920b2907505c0de2382eb2d1",
            "4ce76908a97b21f17ce0433855f35075c7f8596253e7ec3491c5ca66fff84f3f",
            "01ddb6fd55d797fd36491b50cdaba1ca",
            "4bd75b309fbc9de6a6e6dd6b0b45b8842a446b9490ec746ee361e20e439d1adb"},
      Known{kAes, "611287817ce401fe9300af2264eb0939",
            "690f65f36b765a8cc7050f28176d920e6875b99a829d59a5256bc72bdb48b29b",
            "3c9023a72a324720911bfa449e8ae65e",
            "cb20a7765a27084f5cd4460acfc75fb5eaa89c0e612586b0e8e1fa99414a20f2"});
  CAPTURE(sharechain::storage::state_commitment_name(k.commitment));
  const auto e = LtHash::expand(k.commitment, "key", "value");
  const std::string e_raw(reinterpret_cast<const char*>(e.data()), e.size());
  CHECK(hex_prefix(e_raw, 16) == k.expansion_prefix);
  CHECK(to_hex(sharechain::crypto::sha256(e_raw)) == k.expansion_sha256);

  LtHash acc;
  acc.add(k.commitment, "ledger/acct/alice", "balance=100");
  acc.add(k.commitment, "ledger/acct/bob", "balance=250");
  acc.add(k.commitment, "", "");
  CHECK(hex_prefix(acc.bytes(), 16) == k.accumulator_prefix);
  CHECK(to_hex(acc.root()) == k.root);
}

TEST_CASE("The two state commitments differ and are named as genesis files spell them", "[lthash]") {
  CHECK_FALSE(LtHash::expand(kShake, "key", "value") == LtHash::expand(kAes, "key", "value"));
  // The same expansion on every call and thread-local state reused correctly across pairs.
  CHECK(LtHash::expand(kAes, "a", "1") == LtHash::expand(kAes, "a", "1"));
  CHECK_FALSE(LtHash::expand(kAes, "a", "1") == LtHash::expand(kAes, "a", "2"));

  using sharechain::storage::parse_state_commitment;
  using sharechain::storage::state_commitment_name;
  CHECK(parse_state_commitment("") == kShake);  // a genesis written before the field existed
  CHECK(parse_state_commitment("lthash16-shake128") == kShake);
  CHECK(parse_state_commitment("lthash16-aes256ctr") == kAes);
  CHECK_FALSE(parse_state_commitment("lthash16-AES256CTR").has_value());
  CHECK_FALSE(parse_state_commitment("sha256").has_value());
  CHECK(state_commitment_name(kShake) == "lthash16-shake128");
  CHECK(state_commitment_name(kAes) == "lthash16-aes256ctr");
  // The numbers a store's meta records them under.
  using sharechain::storage::state_commitment_from_code;
  CHECK(state_commitment_from_code(1) == kShake);
  CHECK(state_commitment_from_code(2) == kAes);
  CHECK_FALSE(state_commitment_from_code(0).has_value());
  CHECK_FALSE(state_commitment_from_code(3).has_value());
}

TEST_CASE("LtHash of the empty set", "[lthash]") {
  const StateCommitment c = GENERATE(kShake, kAes);
  LtHash empty;
  CHECK(empty.is_empty());
  CHECK(empty.bytes() == std::string(LtHash::kBytes, '\0'));
  CHECK(to_hex(empty.root()) ==
        "c6a2f253633a6d5c2571fc7ea17fac4c2d10416a912510e62a2286aae19f2109");
  LtHash one;
  one.add(c, "k", "v");
  CHECK_FALSE(one.is_empty());
  one.remove(c, "k", "v");
  CHECK(one.is_empty());
  CHECK(one == empty);
}

TEST_CASE("LtHash does not depend on insertion order", "[lthash]") {
  const StateCommitment c = GENERATE(kShake, kAes);
  auto pairs = sample_pairs(50);
  LtHash reference;
  for (const auto& [k, v] : pairs) reference.add(c, k, v);

  std::mt19937 rng(20240601);
  for (int round = 0; round < 10; ++round) {
    std::shuffle(pairs.begin(), pairs.end(), rng);
    LtHash h;
    for (const auto& [k, v] : pairs) h.add(c, k, v);
    REQUIRE(h == reference);
    REQUIRE(h.root() == reference.root());
  }
}

TEST_CASE("LtHash adds and removes commute", "[lthash]") {
  const StateCommitment c = GENERATE(kShake, kAes);
  const auto pairs = sample_pairs(20);
  // Target set: pairs 0..9. Reach it by adding all 20 then removing 10..19, or by interleaving
  // removals before the additions they cancel (lanes may pass through "negative" values).
  LtHash direct;
  for (int i = 0; i < 10; ++i) direct.add(c, pairs[i].first, pairs[i].second);

  LtHash add_then_remove;
  for (const auto& [k, v] : pairs) add_then_remove.add(c, k, v);
  for (int i = 10; i < 20; ++i) add_then_remove.remove(c, pairs[i].first, pairs[i].second);
  CHECK(add_then_remove == direct);

  LtHash remove_first;
  for (int i = 19; i >= 10; --i) remove_first.remove(c, pairs[i].first, pairs[i].second);
  for (int i = 0; i < 20; ++i) remove_first.add(c, pairs[i].first, pairs[i].second);
  CHECK(remove_first == direct);

  // An update of one key = remove the old pair, add the new one, in either order.
  LtHash updated_a = direct;
  updated_a.remove(c, pairs[3].first, pairs[3].second);
  updated_a.add(c, pairs[3].first, "new value");
  LtHash updated_b = direct;
  updated_b.add(c, pairs[3].first, "new value");
  updated_b.remove(c, pairs[3].first, pairs[3].second);
  CHECK(updated_a == updated_b);
  CHECK_FALSE(updated_a == direct);

  // Set union and difference of accumulators.
  LtHash low;
  LtHash high;
  for (int i = 0; i < 10; ++i) low.add(c, pairs[i].first, pairs[i].second);
  for (int i = 10; i < 20; ++i) high.add(c, pairs[i].first, pairs[i].second);
  LtHash all = low;
  all.add(high);
  LtHash each;
  for (const auto& [k, v] : pairs) each.add(c, k, v);
  CHECK(all == each);
  all.remove(high);
  CHECK(all == low);
}

TEST_CASE("Removing an absent pair is not caught by the accumulator", "[lthash]") {
  const StateCommitment c = GENERATE(kShake, kAes);
  LtHash set;
  set.add(c, "a", "1");
  set.add(c, "b", "2");
  LtHash before = set;

  // Wrong old value: the caller believed b = 3. The result is neither {a} nor {a, b}, nor the
  // set after a correct update; only knowing the true old value avoids this.
  set.remove(c, "b", "3");
  LtHash only_a;
  only_a.add(c, "a", "1");
  CHECK_FALSE(set == before);
  CHECK_FALSE(set == only_a);
  set.add(c, "b", "4");
  LtHash correct_update;
  correct_update.add(c, "a", "1");
  correct_update.add(c, "b", "4");
  CHECK_FALSE(set == correct_update);

  // A multiset: adding a present pair again is also invisible to the accumulator itself.
  LtHash twice;
  twice.add(c, "a", "1");
  twice.add(c, "a", "1");
  CHECK_FALSE(twice == only_a);
}

TEST_CASE("LtHash encoding separates key from value", "[lthash]") {
  const StateCommitment c = GENERATE(kShake, kAes);
  LtHash a;
  a.add(c, "ab", "c");
  LtHash b;
  b.add(c, "a", "bc");
  LtHash e;
  e.add(c, "c", "ab");
  LtHash d;
  d.add(c, "abc", "");
  CHECK_FALSE(a == b);
  CHECK_FALSE(a == e);
  CHECK_FALSE(a == d);
  CHECK_FALSE(b == d);
  // Binary keys and values with zero bytes are hashed in full.
  LtHash z1;
  z1.add(c, std::string("k\0x", 3), std::string("\0", 1));
  LtHash z2;
  z2.add(c, std::string("k\0y", 3), std::string("\0", 1));
  CHECK_FALSE(z1 == z2);
}

TEST_CASE("LtHash lanes are 16-bit words", "[lthash]") {
  const StateCommitment c = GENERATE(kShake, kAes);
  LtHash x;
  x.add(c, "some", "pair");
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
  const StateCommitment c = GENERATE(kShake, kAes);
  LtHash h;
  for (const auto& [k, v] : sample_pairs(5)) h.add(c, k, v);
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
