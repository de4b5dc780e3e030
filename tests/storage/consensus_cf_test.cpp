// Consensus column family.
//   write/load/delete   - puts and deletes in one call; a key both put and deleted is deleted;
//                         deleting an absent key is harmless; binary keys and values
//   persistence         - what was written is loaded after reopening
//   separation          - consensus keys never show in the contract state or its root
//   bounded disk        - a log written and garbage collected many times over: the automatic
//                         compaction leaves disk use in proportion to what is live
#include <catch2/catch.hpp>

#include <random>

#include "store_test_util.hpp"

using namespace storage_test;
using storage::Store;

TEST_CASE("consensus keys are written, loaded and deleted", "[consensus]") {
  TempDir tmp;
  {
    auto store = open_store(tmp.db());
    CHECK(store->load_consensus().empty());
    REQUIRE(store->write_consensus({{"view", "3"}, {"vote/7", "abc"}, {"vote/8", "def"}}, {})
                .is_ok());
    REQUIRE(store
                ->write_consensus({{"view", "4"}, {std::string("bin\0key", 7), std::string("\0\xff", 2)}},
                                  {"vote/7", "never-written"})
                .is_ok());
    // A key both put and deleted in one call ends deleted.
    REQUIRE(store->write_consensus({{"vote/9", "x"}}, {"vote/9"}).is_ok());

    const std::map<std::string, std::string> expected{
        {"view", "4"}, {"vote/8", "def"}, {std::string("bin\0key", 7), std::string("\0\xff", 2)}};
    CHECK(store->load_consensus() == expected);
    // The consensus family is not contract state.
    CHECK_FALSE(store->get("view").has_value());
    CHECK(read_all(*store).empty());
    CHECK(store->state_root() == storage::LtHash().root());
  }
  auto store = open_store(tmp.db());
  const auto loaded = store->load_consensus();
  CHECK(loaded.size() == 3);
  CHECK(loaded.at("view") == "4");
  CHECK(loaded.at("vote/8") == "def");
}

TEST_CASE("a garbage-collected consensus log keeps disk use bounded", "[consensus]") {
  TempDir tmp;
  storage::Options o;
  o.consensus_compact_after_deletes = 500;
  auto store = open_store(tmp.db(), o);

  // Each round writes 400 entries of 1 KiB (as votes and certificates of a window of heights)
  // and deletes the previous round's (the checkpoint moved on). Written in total: 4 MiB; live at
  // the end: 400 KiB.
  // Incompressible values, so file sizes measure entries rather than the compressor.
  std::mt19937 rng(1);
  auto value = [&rng] {
    std::string v(1024, '\0');
    for (auto& c : v) c = static_cast<char>(rng());
    return v;
  };
  auto key = [](int round, int i) { return "r/" + std::to_string(round) + "/" + std::to_string(i); };
  constexpr int kRounds = 10;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<std::pair<std::string, std::string>> puts;
    std::vector<std::string> dels;
    for (int i = 0; i < 400; ++i) {
      puts.emplace_back(key(round, i), value());
      if (round > 0) dels.push_back(key(round - 1, i));
    }
    REQUIRE(store->write_consensus(puts, dels).is_ok());
  }
  const auto loaded = store->load_consensus();
  REQUIRE(loaded.size() == 400);
  CHECK(loaded.begin()->first.rfind("r/9/", 0) == 0);

  const auto st = store->collect_stats();
  CHECK(st.consensus_compactions == 4);  // after rounds 2, 4, 6, 8 (800 deletes each)
  CHECK(st.consensus_compaction_failures == 0);
  const auto& cf = st.column_families[4];
  REQUIRE(cf.name == "consensus");
  // Everything on disk or in memory is at most a small multiple of the live 400 KiB, far below
  // the 4 MiB written.
  INFO("sst=" << cf.sst_bytes << " memtable=" << cf.memtable_bytes);
  CHECK(cf.sst_bytes + cf.memtable_bytes < 1600u * 1024u);

  // An explicit compaction after deleting everything leaves no consensus files at all.
  std::vector<std::string> all;
  for (const auto& [k, v] : loaded) all.push_back(k);
  REQUIRE(store->write_consensus({}, all).is_ok());
  REQUIRE(store->compact_consensus().is_ok());
  CHECK(store->load_consensus().empty());
  CHECK(store->collect_stats().column_families[4].sst_bytes == 0);
}
