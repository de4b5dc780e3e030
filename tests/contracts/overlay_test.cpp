// Overlay and MemoryState:
//  - get: own writes shadow the base, a buffered delete hides a base key
//  - scan: merges base and buffered writes in byte order, honours deletes, prefixes, early stop
//  - nested overlays: a child merge is all-or-nothing, discard leaves the parent untouched
//  - randomised: an overlay over a random base scans exactly like the equivalent map
#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "contracts/memory_state.hpp"
#include "contracts/overlay.hpp"

using sharechain::contracts::MemoryState;
using sharechain::contracts::Overlay;
using sharechain::contracts::StateReader;
using sharechain::contracts::WriteSet;

namespace {

std::vector<std::pair<std::string, std::string>> collect(const StateReader& s,
                                                         const std::string& prefix,
                                                         std::size_t limit = 1000) {
  std::vector<std::pair<std::string, std::string>> out;
  s.scan(prefix, [&](std::string_view k, std::string_view v) {
    out.emplace_back(std::string(k), std::string(v));
    return out.size() < limit;
  });
  return out;
}

MemoryState base_with(std::initializer_list<std::pair<std::string, std::string>> kv) {
  MemoryState m;
  WriteSet w;
  for (const auto& [k, v] : kv) w[k] = v;
  m.apply(w);
  return m;
}

}  // namespace

TEST_CASE("overlay reads its own writes and deletes before the base", "[contracts][overlay]") {
  MemoryState base = base_with({{"a", "1"}, {"b", "2"}});
  Overlay o(base);
  o.put("a", "10");
  o.erase("b");
  o.put("c", "3");
  CHECK(o.get("a") == std::optional<std::string>("10"));
  CHECK_FALSE(o.get("b").has_value());
  CHECK(o.get("c") == std::optional<std::string>("3"));
  CHECK_FALSE(o.get("d").has_value());
  // The base never changes.
  CHECK(base.get("a") == std::optional<std::string>("1"));
  CHECK(base.get("b") == std::optional<std::string>("2"));
}

TEST_CASE("overlay scan merges writes and base in byte order", "[contracts][overlay]") {
  MemoryState base = base_with({{"p/1", "b1"}, {"p/3", "b3"}, {"p/5", "b5"}, {"q/1", "x"}});
  Overlay o(base);
  o.put("p/0", "w0");
  o.put("p/3", "w3");
  o.erase("p/5");
  o.put("p/6", "w6");
  o.put("q/0", "other");
  using KV = std::vector<std::pair<std::string, std::string>>;
  CHECK(collect(o, "p/") == KV{{"p/0", "w0"}, {"p/1", "b1"}, {"p/3", "w3"}, {"p/6", "w6"}});
  CHECK(collect(o, "p/", 2) == KV{{"p/0", "w0"}, {"p/1", "b1"}});
  CHECK(collect(o, "q/") == KV{{"q/0", "other"}, {"q/1", "x"}});
  CHECK(collect(o, "z").empty());
  // A delete of a key the base does not hold is invisible.
  o.erase("p/9");
  CHECK(collect(o, "p/9").empty());
}

TEST_CASE("a child overlay merges all of its writes or none", "[contracts][overlay]") {
  MemoryState base = base_with({{"k1", "v1"}});
  Overlay block(base);
  block.put("k2", "v2");

  {
    Overlay tx(static_cast<const StateReader&>(block));
    tx.put("k3", "v3");
    tx.erase("k1");
    CHECK(tx.get("k2") == std::optional<std::string>("v2"));
    tx.discard();
    CHECK(tx.writes().empty());
  }
  CHECK(block.get("k1") == std::optional<std::string>("v1"));
  CHECK_FALSE(block.get("k3").has_value());

  Overlay tx(static_cast<const StateReader&>(block));
  tx.put("k3", "v3");
  tx.erase("k1");
  block.merge_from(tx);
  CHECK(tx.writes().empty());
  CHECK_FALSE(block.get("k1").has_value());
  CHECK(block.get("k3") == std::optional<std::string>("v3"));

  WriteSet w = block.take_writes();
  CHECK(w.size() == 3);
  CHECK_FALSE(w.at("k1").has_value());
  base.apply(w);
  CHECK(base.size() == 2);
  CHECK(base.get("k2") == std::optional<std::string>("v2"));
}

TEST_CASE("overlay scan equals the merged map on random data", "[contracts][overlay]") {
  std::mt19937_64 rng(20240611);
  auto random_key = [&] {
    static const char* kPrefixes[] = {"a/", "a/b", "b/", "ab"};
    std::string k = kPrefixes[rng() % 4];
    k.push_back(static_cast<char>('0' + rng() % 10));
    if (rng() % 2) k.push_back(static_cast<char>(rng() % 256));
    return k;
  };
  for (int round = 0; round < 50; ++round) {
    MemoryState base;
    WriteSet init;
    for (int i = 0; i < 40; ++i) init[random_key()] = std::to_string(rng() % 1000);
    base.apply(init);
    std::map<std::string, std::string> expected(base.entries().begin(), base.entries().end());

    Overlay o(base);
    for (int i = 0; i < 40; ++i) {
      std::string k = random_key();
      if (rng() % 3 == 0) {
        o.erase(k);
        expected.erase(k);
      } else {
        std::string v = "w" + std::to_string(rng() % 1000);
        o.put(k, v);
        expected[k] = v;
      }
    }
    for (const std::string prefix : {"", "a", "a/", "a/b", "b/", "ab", "c"}) {
      std::vector<std::pair<std::string, std::string>> want;
      for (const auto& [k, v] : expected) {
        if (k.compare(0, prefix.size(), prefix) == 0) want.emplace_back(k, v);
      }
      REQUIRE(collect(o, prefix) == want);
    }
  }
}
