// The history chain and backfilling the holes a snapshot restore leaves.
//   chain value          - every commit moves history(h) exactly as history.hpp defines it, and
//                          it lives in the state (so the state root covers it)
//   gap after restore    - a restore from height 3 to 20 leaves the hole 4..20 with anchors
//                          taken from the snapshot and from the store's own tip; reads see it
//   serving              - history_entry() gives a full store's heights, nothing inside a hole
//   backfill             - filling the hole in three batches, top down, leaves blocks, receipts,
//                          the tx index, per-height roots and history equal to a full store's;
//                          a restored store can then serve every height itself
//   persistence          - a half-filled hole survives a reopen and is finished afterwards
//   refusals             - a block from elsewhere, a changed receipt, a wrong history value, a
//                          wrong state root, a break in the heights, an unknown hole: refused
//                          with INVALID_ARGUMENT / NOT_FOUND and nothing changes
//   divergence           - a certified history that does not join the store's own below the
//                          hole is INTERNAL, and the hole stays
#include <catch2/catch.hpp>

#include "store_test_util.hpp"
#include "storage/history.hpp"

using namespace storage_test;
using sharechain::Code;
using sharechain::contracts::WriteSet;
using storage::HistoryEntry;
using storage::Store;

namespace {

constexpr std::uint64_t kTip = 20;

struct Chain {
  std::map<std::string, std::string> genesis;
  std::vector<BuiltBlock> blocks{1};  // index = height
  std::vector<WriteSet> writes{1};
};

Chain make_chain(std::uint64_t n, const std::string& flavour = "") {
  Chain c;
  for (int i = 0; i < 20; ++i) c.genesis["acct/" + std::to_string(i)] = std::string(20, 'g');
  crypto::Hash prev{};
  for (std::uint64_t h = 1; h <= n; ++h) {
    WriteSet w;
    w["acct/" + std::to_string(h % 25)] = flavour + "v" + std::to_string(h);
    c.blocks.push_back(make_block(h, prev, 1000 + h, static_cast<int>(1 + h % 3)));
    c.writes.push_back(std::move(w));
    prev = c.blocks.back().hash;
  }
  return c;
}

void commit_up_to(Store& store, const Chain& c, std::uint64_t from, std::uint64_t to) {
  for (std::uint64_t h = from; h <= to; ++h) {
    const auto& b = c.blocks[h];
    REQUIRE(store.commit_block(h, b.hash, b.block, 1000 + h, b.receipts, c.writes[h]).is_ok());
  }
}

std::unique_ptr<Store> fresh(const std::filesystem::path& dir, const Chain& c) {
  auto store = open_store(dir);
  WriteSet g;
  for (const auto& [k, v] : c.genesis) g.emplace(k, v);
  REQUIRE(store->init_genesis(genesis_hash("history"), g).is_ok());
  return store;
}

std::vector<std::pair<std::string, std::string>> entries_of(const Store& s) {
  std::vector<std::pair<std::string, std::string>> out;
  s.snapshot()->for_each("", [&](std::string_view k, std::string_view v) {
    out.emplace_back(std::string(k), std::string(v));
    return true;
  });
  return out;
}

// `target` (at `own` blocks of `c`) restores `source`'s state at its tip.
void restore_from(Store& target, const Store& source) {
  auto snap = source.snapshot();
  REQUIRE(target
              .restore_snapshot(snap->height(), snap->block_hash(), *snap->block(),
                                snap->timestamp_ms(), snap->state_root(), entries_of(source))
              .is_ok());
}

std::vector<HistoryEntry> entries_from(const Store& source, std::uint64_t top, std::uint64_t low) {
  std::vector<HistoryEntry> out;
  for (std::uint64_t h = top; h >= low; --h) {
    auto e = source.history_entry(h);
    REQUIRE(e);
    out.push_back(std::move(*e));
  }
  return out;
}

void require_same_history(const Store& a, const Store& b, std::uint64_t upto) {
  for (std::uint64_t h = 1; h <= upto; ++h) {
    INFO("height " << h);
    auto ba = a.block_at(h);
    auto bb = b.block_at(h);
    REQUIRE(ba);
    REQUIRE(bb);
    CHECK(ba->header() == bb->header());
    auto ra = a.receipts_at(h);
    auto rb = b.receipts_at(h);
    REQUIRE(ra.size() == rb.size());
    for (std::size_t i = 0; i < ra.size(); ++i) {
      CHECK(ra[i].SerializeAsString() == rb[i].SerializeAsString());
      auto hash = crypto::hash_from_bytes(ra[i].tx_hash());
      REQUIRE(hash);
      auto loc = a.find_tx(*hash);
      REQUIRE(loc);
      CHECK(loc->height == h);
      CHECK(loc->index == i);
    }
    CHECK(a.state_root_at(h) == b.state_root_at(h));
    CHECK(a.history_at(h) == b.history_at(h));
    CHECK(a.height_of(crypto::sha256(ba->header())) == h);
  }
}

}  // namespace

TEST_CASE("each commit moves the history chain as history.hpp defines it", "[history]") {
  TempDir tmp;
  const Chain c = make_chain(5);
  auto store = fresh(tmp.db(), c);
  CHECK(store->history_at(0) == crypto::Hash{});
  crypto::Hash expected{};
  for (std::uint64_t h = 1; h <= 5; ++h) {
    const crypto::Hash root_before = store->state_root();
    commit_up_to(*store, c, h, h);
    std::vector<std::string> serialized;
    for (std::size_t i = 0; i < c.blocks[h].receipts.size(); ++i) {
      sharechain::Receipt r = c.blocks[h].receipts[i];
      r.set_height(h);
      r.set_index(static_cast<std::uint32_t>(i));
      serialized.push_back(r.SerializeAsString());
    }
    expected = storage::next_history(expected, h, storage::receipts_root(serialized), root_before);
    CHECK(store->history_at(h) == expected);
    CHECK(store->get(storage::kHistoryStateKey) == crypto::hash_bytes(expected));
  }
  CHECK(store->verify_state().is_ok());
  CHECK(store->history_gaps().empty());
  CHECK(store->history_from() == 1);

  WriteSet sneaky;
  sneaky.emplace(std::string(storage::kHistoryStateKey), std::string(32, 'x'));
  const Chain more = make_chain(6);
  auto refused = store->commit_block(6, more.blocks[6].hash, more.blocks[6].block, 1006,
                                     more.blocks[6].receipts, sneaky);
  CHECK(refused.status().code() == Code::kInvalidArgument);
}

TEST_CASE("a restore leaves a hole that backfill fills from the top down", "[history]") {
  TempDir src_dir, dst_dir;
  const Chain c = make_chain(kTip);
  auto source = fresh(src_dir.db(), c);
  commit_up_to(*source, c, 1, kTip);
  auto target = fresh(dst_dir.db(), c);
  commit_up_to(*target, c, 1, 3);
  const crypto::Hash own_hash = target->last_block_hash();
  const crypto::Hash own_root = target->state_root();
  const auto own_history = target->history_at(3);
  restore_from(*target, *source);

  SECTION("the hole and its anchors") {
    auto gaps = target->history_gaps();
    REQUIRE(gaps.size() == 1);
    const auto& g = gaps[0];
    CHECK(g.low == 4);
    CHECK(g.high == kTip);
    CHECK(g.high_hash == c.blocks[kTip].hash);
    CHECK(g.high_history == source->history_at(kTip));
    CHECK(g.below_hash == own_hash);
    CHECK(g.below_root == own_root);
    CHECK(g.below_history == own_history);
    CHECK(target->history_from() == kTip + 1);
    CHECK(target->gap_at(4));
    CHECK(target->gap_at(kTip));  // its block is here, its receipts are not
    CHECK_FALSE(target->gap_at(3));
    CHECK_FALSE(target->block_at(10));
    CHECK(target->block_at(kTip));
    CHECK_FALSE(target->history_entry(kTip));
    CHECK_FALSE(target->history_entry(10));
    CHECK(target->history_entry(3));
    CHECK(target->history_at(kTip) == source->history_at(kTip));
    CHECK_FALSE(target->find_tx(c.blocks[kTip].tx_hashes[0]));
  }

  SECTION("three batches close it, and then the store serves every height") {
    REQUIRE(target->backfill(4, entries_from(*source, kTip, 15)).is_ok());
    auto gaps = target->history_gaps();
    REQUIRE(gaps.size() == 1);
    CHECK(gaps[0].high == 14);
    CHECK(target->history_from() == 15);
    CHECK(target->history_entry(15));
    REQUIRE(target->backfill(4, entries_from(*source, 14, 9)).is_ok());
    REQUIRE(target->backfill(4, entries_from(*source, 8, 4)).is_ok());
    CHECK(target->history_gaps().empty());
    CHECK(target->history_from() == 1);
    require_same_history(*target, *source, kTip);
    for (std::uint64_t h = 1; h <= kTip; ++h) CHECK(target->history_entry(h));
    CHECK(target->verify_state().is_ok());
    CHECK(target->backfill(4, entries_from(*source, 3, 3)).code() == Code::kNotFound);
  }

  SECTION("a half-filled hole survives a reopen") {
    REQUIRE(target->backfill(4, entries_from(*source, kTip, 12)).is_ok());
    target.reset();
    target = open_store(dst_dir.db());
    auto gaps = target->history_gaps();
    REQUIRE(gaps.size() == 1);
    CHECK(gaps[0].low == 4);
    CHECK(gaps[0].high == 11);
    CHECK(gaps[0].high_hash == c.blocks[11].hash);
    REQUIRE(target->backfill(4, entries_from(*source, 11, 4)).is_ok());
    target.reset();
    target = open_store(dst_dir.db());
    CHECK(target->history_gaps().empty());
    require_same_history(*target, *source, kTip);
  }

  SECTION("bad entries are refused and change nothing") {
    auto good = entries_from(*source, kTip, 10);
    auto before = target->history_gaps();
    auto refuse = [&](std::vector<HistoryEntry> bad, Code code) {
      CHECK(target->backfill(4, bad).code() == code);
      auto after = target->history_gaps();
      REQUIRE(after.size() == 1);
      CHECK(after[0].high == before[0].high);
      CHECK_FALSE(target->block_at(kTip - 1));
    };
    SECTION("a block from another chain") {
      // Same height and parent, another timestamp: a different block.
      auto bad = good;
      bad[1].block = make_block(kTip - 1, c.blocks[kTip - 2].hash, 5555, 2).block;
      refuse(bad, Code::kInvalidArgument);
    }
    SECTION("a receipt changed") {
      auto bad = good;
      sharechain::Receipt r;
      REQUIRE(r.ParseFromString(bad[2].receipts[0]));
      r.set_error("something else");
      bad[2].receipts[0] = r.SerializeAsString();
      refuse(bad, Code::kInvalidArgument);
    }
    SECTION("a receipt dropped") {
      auto bad = good;
      bad[0].receipts.pop_back();
      refuse(bad, Code::kInvalidArgument);
    }
    SECTION("a wrong history value below") {
      auto bad = good;
      bad[3].previous_history[0] ^= 1;
      refuse(bad, Code::kInvalidArgument);
    }
    SECTION("a wrong state root below") {
      auto bad = good;
      bad[0].previous_state_root[5] ^= 1;
      refuse(bad, Code::kInvalidArgument);
    }
    SECTION("a height skipped") {
      auto bad = good;
      bad.erase(bad.begin() + 2);
      refuse(bad, Code::kInvalidArgument);
    }
    SECTION("not starting at the top of the hole") {
      refuse(entries_from(*source, kTip - 1, 10), Code::kInvalidArgument);
    }
    SECTION("running below the hole") {
      auto all = entries_from(*source, kTip, 3);
      refuse(all, Code::kInvalidArgument);
    }
    SECTION("an unknown hole") {
      CHECK(target->backfill(5, good).code() == Code::kNotFound);
      CHECK(target->history_gaps()[0].high == kTip);
    }
  }
}

TEST_CASE("a certified history that does not join the store's own is INTERNAL", "[history]") {
  TempDir src_dir, dst_dir;
  const Chain c = make_chain(kTip);
  const Chain fork = make_chain(3, "fork");
  auto source = fresh(src_dir.db(), c);
  commit_up_to(*source, c, 1, kTip);
  // The target's own state after blocks 1..3 differs (other writes): so do its roots and its
  // history below the hole.
  auto target = fresh(dst_dir.db(), c);
  commit_up_to(*target, fork, 1, 3);
  restore_from(*target, *source);
  REQUIRE(target->backfill(4, entries_from(*source, kTip, 5)).is_ok());
  const sharechain::Status s = target->backfill(4, entries_from(*source, 4, 4));
  CHECK(s.code() == Code::kInternal);
  CHECK_THAT(s.message(), Catch::Contains("does not join"));
  auto gaps = target->history_gaps();
  REQUIRE(gaps.size() == 1);
  CHECK(gaps[0].high == 4);
}

TEST_CASE("two restores leave two holes, each filled on its own", "[history]") {
  TempDir src_dir, dst_dir;
  const Chain c = make_chain(kTip);
  auto source = fresh(src_dir.db(), c);
  commit_up_to(*source, c, 1, 8);
  auto target = fresh(dst_dir.db(), c);
  commit_up_to(*target, c, 1, 2);
  restore_from(*target, *source);  // hole 3..8
  commit_up_to(*source, c, 9, kTip);
  commit_up_to(*target, c, 9, 12);
  restore_from(*target, *source);  // hole 13..20
  auto gaps = target->history_gaps();
  REQUIRE(gaps.size() == 2);
  CHECK(gaps[0].low == 13);
  CHECK(gaps[0].high == kTip);
  CHECK(gaps[1].low == 3);
  CHECK(gaps[1].high == 8);
  CHECK(target->history_from() == kTip + 1);
  CHECK_FALSE(target->gap_at(10));
  REQUIRE(target->backfill(3, entries_from(*source, 8, 3)).is_ok());
  CHECK(target->history_gaps().size() == 1);
  REQUIRE(target->backfill(13, entries_from(*source, kTip, 13)).is_ok());
  CHECK(target->history_gaps().empty());
  require_same_history(*target, *source, kTip);
}
