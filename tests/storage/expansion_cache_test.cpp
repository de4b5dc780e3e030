// ExpansionCache: the LtHash expansions of pairs written, kept for the key's next change.
//   hit      - the expansion of exactly the pair put, once (taking drops it)
//   stale    - another value for the key is a miss, and drops the entry
//   bounded  - past the capacity the least recently written key goes; a rewrite refreshes it
//   off      - capacity 0 keeps nothing
#include <catch2/catch.hpp>

#include "storage/expansion_cache.hpp"

using sharechain::storage::ExpansionCache;
using sharechain::storage::LtHash;
constexpr auto kC = sharechain::storage::StateCommitment::kLtHash16Aes256Ctr;

TEST_CASE("a remembered expansion is returned only for its exact pair, once", "[lthash]") {
  ExpansionCache cache(8);
  CHECK_FALSE(cache.take("k", "v"));
  cache.put("k", "v", LtHash::expand(kC, "k", "v"));
  cache.put("j", "w", LtHash::expand(kC, "j", "w"));
  auto e = cache.take("k", "v");
  REQUIRE(e);
  CHECK(*e == LtHash::expand(kC, "k", "v"));
  CHECK_FALSE(cache.take("k", "v"));  // the pair left the state
  CHECK_FALSE(cache.take("j", "other"));
  CHECK_FALSE(cache.take("j", "w"));  // the stale entry went with the miss
  CHECK(cache.size() == 0);
  CHECK(cache.hits() == 1);
  CHECK(cache.misses() == 4);
}

TEST_CASE("the cache forgets the least recently written key first", "[lthash]") {
  ExpansionCache cache(2);
  cache.put("a", "1", LtHash::expand(kC, "a", "1"));
  cache.put("b", "1", LtHash::expand(kC, "b", "1"));
  cache.put("a", "2", LtHash::expand(kC, "a", "2"));  // a is now the most recent
  cache.put("c", "1", LtHash::expand(kC, "c", "1"));  // b goes
  CHECK(cache.size() == 2);
  CHECK_FALSE(cache.take("b", "1"));
  CHECK_FALSE(cache.take("a", "1"));  // replaced by a=2 (and dropped by this miss)
  auto c = cache.take("c", "1");
  REQUIRE(c);
  CHECK(*c == LtHash::expand(kC, "c", "1"));

  ExpansionCache off(0);
  off.put("a", "1", LtHash::expand(kC, "a", "1"));
  CHECK(off.size() == 0);
  CHECK_FALSE(off.take("a", "1"));
}
