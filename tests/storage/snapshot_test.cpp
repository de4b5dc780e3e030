// State snapshots and restore (state transfer).
//   round trip        - snapshot of a store restored into a fresh store (same genesis) gives the
//                       same root, state, head and block; the restored store keeps committing
//   chunks            - paging by size covers every entry once, in order, from any start key
//   isolation         - commits after a snapshot do not show through it
//   tampering         - a changed value, a dropped entry, an extra entry, a wrong root, keys out
//                       of order: INVALID_ARGUMENT and nothing written
//   preconditions     - no genesis; height not above the current one; block hash not of header
//   replaces state    - a store with its own state, restored, holds only the snapshot's entries
#include <catch2/catch.hpp>

#include "store_test_util.hpp"

using namespace storage_test;
using sharechain::Code;
using sharechain::contracts::WriteSet;
using storage::Store;

namespace {

using Entries = std::vector<std::pair<std::string, std::string>>;

struct Chain {
  std::map<std::string, std::string> genesis;
  std::vector<BuiltBlock> blocks{1};  // index = height; [0] unused
  std::vector<WriteSet> writes{1};
};

Chain make_chain(std::uint64_t n) {
  Chain c;
  for (int i = 0; i < 50; ++i) c.genesis["acct/" + std::to_string(i)] = std::string(40, 'g');
  crypto::Hash prev{};
  for (std::uint64_t h = 1; h <= n; ++h) {
    WriteSet w;
    for (int j = 0; j < 6; ++j) {
      w["acct/" + std::to_string((h * 7 + j) % 60)] = "h" + std::to_string(h) + std::string(30, 'v');
    }
    w["acct/" + std::to_string((h * 11) % 60)] = std::nullopt;
    c.blocks.push_back(make_block(h, prev, 1000 + h, static_cast<int>(h % 2)));
    c.writes.push_back(std::move(w));
    prev = c.blocks.back().hash;
  }
  return c;
}

std::unique_ptr<Store> store_with(const TempDir& tmp, const Chain& c, std::uint64_t upto) {
  auto store = open_store(tmp.db());
  WriteSet g;
  for (const auto& [k, v] : c.genesis) g.emplace(k, v);
  REQUIRE(store->init_genesis(genesis_hash("snap"), g).is_ok());
  for (std::uint64_t h = 1; h <= upto; ++h) {
    const auto& b = c.blocks[h];
    REQUIRE(store->commit_block(h, b.hash, b.block, 1000 + h, b.receipts, c.writes[h]).is_ok());
  }
  return store;
}

Entries all_entries(const Store::Snapshot& s) {
  Entries out;
  s.for_each("", [&](std::string_view k, std::string_view v) {
    out.emplace_back(std::string(k), std::string(v));
    return true;
  });
  return out;
}

}  // namespace

TEST_CASE("snapshot restored into a fresh store gives the same root", "[snapshot]") {
  const Chain chain = make_chain(12);
  TempDir src_dir;
  TempDir dst_dir;
  auto src = store_with(src_dir, chain, 10);
  auto dst = store_with(dst_dir, chain, 0);

  auto snap = src->snapshot();
  CHECK(snap->height() == 10);
  CHECK(snap->block_hash() == chain.blocks[10].hash);
  CHECK(snap->state_root() == src->state_root());
  CHECK(snap->timestamp_ms() == 1010);
  auto block = snap->block();
  REQUIRE(block.has_value());

  // Transfer in small pages, as a peer would serve them.
  Entries received;
  std::string from;
  int pages = 0;
  while (true) {
    auto page = snap->chunk(from, 256);
    ++pages;
    received.insert(received.end(), page.entries.begin(), page.entries.end());
    if (!page.next) break;
    from = *page.next;
  }
  CHECK(pages > 3);
  CHECK(received == all_entries(*snap));

  REQUIRE(dst->restore_snapshot(snap->height(), snap->block_hash(), *block, snap->timestamp_ms(),
                                snap->state_root(), received)
              .is_ok());
  CHECK(dst->height() == 10);
  CHECK(dst->state_root() == src->state_root());
  CHECK(dst->last_block_hash() == src->last_block_hash());
  CHECK(dst->last_timestamp_ms() == 1010);
  CHECK(dst->state_root_at(10) == src->state_root());
  CHECK_FALSE(dst->state_root_at(5).has_value());  // skipped by the transfer
  CHECK(dst->height_of(chain.blocks[10].hash) == 10u);
  CHECK(read_all(*dst) == read_all(*src));
  CHECK(dst->verify_state().is_ok());

  // Both continue identically; a reopened restored store too.
  for (std::uint64_t h = 11; h <= 12; ++h) {
    const auto& b = chain.blocks[h];
    auto r1 = src->commit_block(h, b.hash, b.block, 1000 + h, b.receipts, chain.writes[h]);
    auto r2 = dst->commit_block(h, b.hash, b.block, 1000 + h, b.receipts, chain.writes[h]);
    REQUIRE(r1.is_ok());
    REQUIRE(r2.is_ok());
    CHECK(*r1 == *r2);
  }
  dst.reset();
  auto reopened = open_store(dst_dir.db());
  CHECK(reopened->height() == 12);
  CHECK(reopened->state_root() == src->state_root());
}

TEST_CASE("snapshot chunks cover every entry once from any start", "[snapshot]") {
  const Chain chain = make_chain(5);
  TempDir tmp;
  auto store = store_with(tmp, chain, 5);
  auto snap = store->snapshot();
  const Entries all = all_entries(*snap);
  REQUIRE(all.size() > 10);

  // One entry per page at the smallest size; a page never splits an entry.
  auto tiny = snap->chunk("", 1);
  CHECK(tiny.entries.size() == 1);
  REQUIRE(tiny.next.has_value());
  CHECK(*tiny.next == all[1].first);

  // Starting in the middle of the key space (at a key that does not exist).
  const std::string mid = all[5].first + std::string(1, '\0');
  auto rest = snap->chunk(mid, 1 << 20);
  CHECK_FALSE(rest.next.has_value());
  CHECK(rest.entries == Entries(all.begin() + 6, all.end()));

  auto none = snap->chunk("\xff", 1 << 20);
  CHECK(none.entries.empty());
  CHECK_FALSE(none.next.has_value());
}

TEST_CASE("a snapshot does not see later commits", "[snapshot]") {
  const Chain chain = make_chain(6);
  TempDir tmp;
  auto store = store_with(tmp, chain, 3);
  auto snap = store->snapshot();
  const Entries before = all_entries(*snap);
  const auto root = snap->state_root();
  for (std::uint64_t h = 4; h <= 6; ++h) {
    const auto& b = chain.blocks[h];
    REQUIRE(store->commit_block(h, b.hash, b.block, 1000 + h, b.receipts, chain.writes[h]).is_ok());
  }
  CHECK(store->state_root() != root);
  CHECK(snap->height() == 3);
  CHECK(snap->state_root() == root);
  CHECK(all_entries(*snap) == before);
  auto blk = snap->block();
  REQUIRE(blk.has_value());
  CHECK(crypto::sha256(blk->header()) == chain.blocks[3].hash);

  // The snapshot stays valid after the store is closed.
  store.reset();
  CHECK(all_entries(*snap) == before);
}

TEST_CASE("a tampered snapshot is refused and nothing is written", "[snapshot]") {
  const Chain chain = make_chain(8);
  TempDir src_dir;
  TempDir dst_dir;
  auto src = store_with(src_dir, chain, 8);
  auto dst = store_with(dst_dir, chain, 2);
  const auto dst_root = dst->state_root();
  const auto dst_state = read_all(*dst);

  auto snap = src->snapshot();
  const Entries good = all_entries(*snap);
  const auto block = *snap->block();
  Entries bad = good;
  crypto::Hash root = snap->state_root();
  Code expected = Code::kInvalidArgument;
  std::string says = "not to the expected state root";

  SECTION("a changed value") { bad[3].second += "x"; }
  SECTION("a dropped entry") { bad.erase(bad.begin() + 4); }
  SECTION("an extra entry") { bad.emplace_back("zzz/extra", "1"); }
  SECTION("an entry moved to another key") {
    bad[2].first += "!";
    REQUIRE(bad[2].first < bad[3].first);
  }
  SECTION("a wrong expected root") { root = crypto::sha256("some other root"); }
  SECTION("keys out of order") {
    std::swap(bad[1], bad[2]);
    says = "strictly ascending";
  }
  SECTION("a duplicated entry") {
    bad.insert(bad.begin() + 1, bad[1]);
    says = "strictly ascending";
  }

  auto s = dst->restore_snapshot(8, snap->block_hash(), block, snap->timestamp_ms(), root, bad);
  CHECK(s.code() == expected);
  CHECK_THAT(s.message(), Catch::Contains(says));
  CHECK(dst->height() == 2);
  CHECK(dst->state_root() == dst_root);
  CHECK(read_all(*dst) == dst_state);
  CHECK_FALSE(dst->block_at(8).has_value());
  CHECK(dst->verify_state().is_ok());
}

TEST_CASE("restore_snapshot preconditions", "[snapshot]") {
  const Chain chain = make_chain(6);
  TempDir src_dir;
  auto src = store_with(src_dir, chain, 6);
  auto snap = src->snapshot();
  const Entries entries = all_entries(*snap);
  const auto block = *snap->block();

  SECTION("no genesis") {
    TempDir tmp;
    auto dst = open_store(tmp.db());
    auto s = dst->restore_snapshot(6, snap->block_hash(), block, 0, snap->state_root(), entries);
    CHECK(s.code() == Code::kFailedPrecondition);
  }
  SECTION("not above the current height") {
    TempDir tmp;
    auto dst = store_with(tmp, chain, 6);
    auto s = dst->restore_snapshot(6, snap->block_hash(), block, 0, snap->state_root(), entries);
    CHECK(s.code() == Code::kFailedPrecondition);
    CHECK_THAT(s.message(), Catch::Contains("already at height 6"));
  }
  SECTION("block hash is not the hash of the header") {
    TempDir tmp;
    auto dst = store_with(tmp, chain, 0);
    auto s = dst->restore_snapshot(6, crypto::sha256("x"), block, 0, snap->state_root(), entries);
    CHECK(s.code() == Code::kInvalidArgument);
    CHECK(dst->height() == 0);
  }
  SECTION("header for another height") {
    TempDir tmp;
    auto dst = store_with(tmp, chain, 0);
    auto s = dst->restore_snapshot(7, snap->block_hash(), block, 0, snap->state_root(), entries);
    CHECK(s.code() == Code::kInvalidArgument);
  }
}

TEST_CASE("restore replaces the whole state", "[snapshot]") {
  const Chain chain = make_chain(9);
  TempDir src_dir;
  TempDir dst_dir;
  auto src = store_with(src_dir, chain, 9);
  auto dst = store_with(dst_dir, chain, 3);
  // State the snapshot does not have, at both ends of the key space.
  auto b4 = make_block(4, chain.blocks[3].hash, 5000, 0);
  REQUIRE(dst->commit_block(4, b4.hash, b4.block, 5000, {},
                            {{"\x01only-here", "1"}, {"\xff\xff\xffonly-here", "2"}})
              .is_ok());

  auto snap = src->snapshot();
  Store::EntrySource source;
  std::string from;
  Entries buffer;
  std::size_t pos = 0;
  // Pull entries page by page through the source interface.
  source = [&](std::string& k, std::string& v) {
    if (pos == buffer.size()) {
      if (pos != 0 && from.empty()) return false;
      auto page = snap->chunk(from, 200);
      buffer = std::move(page.entries);
      pos = 0;
      from = page.next.value_or("");
      if (buffer.empty()) return false;
    }
    k = buffer[pos].first;
    v = buffer[pos].second;
    ++pos;
    return true;
  };
  REQUIRE(dst->restore_snapshot(9, snap->block_hash(), *snap->block(), snap->timestamp_ms(),
                                snap->state_root(), source)
              .is_ok());
  CHECK_FALSE(dst->get("\x01only-here").has_value());
  CHECK_FALSE(dst->get("\xff\xff\xffonly-here").has_value());
  CHECK(read_all(*dst) == read_all(*src));
  CHECK(dst->state_root() == src->state_root());
  CHECK(dst->verify_state().is_ok());
  // Blocks from before the restore are kept.
  CHECK(dst->block_at(4).has_value());
}
