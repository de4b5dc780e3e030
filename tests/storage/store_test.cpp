// Store: commits, reads, checks and reopening.
//   round trip            - genesis then a block: height, hashes, timestamp, block, index,
//                           receipts, state and roots read back (synced and unsynced WAL)
//   refusals              - before genesis, wrong height, wrong prev_hash, hash not of the header,
//                           header for another height, receipts/transactions count, bad tx bytes;
//                           each leaves the store untouched
//   genesis               - idempotent with the same hash and state; mismatch names both hashes
//                           (or both roots); malformed hash
//   reopen                - same height, last hash, timestamp, roots, state, genesis hash
//   incremental root      - random puts/updates/deletes (present and absent keys, unchanged
//                           values) over many blocks: root equals a from-scratch LtHash each time,
//                           with no expansion cache, a tiny one and the default one
//   state commitment      - a store keeps the commitment it was created with: reopening it for the
//                           other is refused naming both; a store from before the record is
//                           lthash16-shake128
//   scan                  - prefix bounds, 0xff prefixes, early stop, full scan
//   concurrency           - readers take snapshots and read while a writer commits: every view
//                           is exactly some height's state with that height's root
//   open errors           - a second open of a held store; create_if_missing=false
//   damage                - state changed behind the store's back is found by verify_state; a
//                           meta root that disagrees with the accumulator refuses to open
//   stats                 - Prometheus lines for every column family
#include <catch2/catch.hpp>

#include <rocksdb/db.h>

#include <atomic>
#include <random>
#include <thread>

#include "store_test_util.hpp"

using namespace storage_test;
using sharechain::Code;
using sharechain::contracts::WriteSet;
using storage::Store;

namespace {

std::map<std::string, std::string> genesis_state() {
  return {{"ledger/acct/alice", "100"}, {"ledger/acct/bob", "250"}, {"params/threshold", "3"}};
}

WriteSet as_writes(const std::map<std::string, std::string>& m) {
  WriteSet w;
  for (const auto& [k, v] : m) w.emplace(k, v);
  return w;
}

// Opens the raw RocksDB of a closed store, to damage it the way a faulty disk or a careless
// operator would.
void with_raw_db(const std::filesystem::path& dir,
                 const std::function<void(rocksdb::DB*, std::vector<rocksdb::ColumnFamilyHandle*>&)>&
                     fn) {
  std::vector<std::string> names;
  REQUIRE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir.string(), &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  for (const auto& n : names) descs.emplace_back(n, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  REQUIRE(rocksdb::DB::Open(rocksdb::DBOptions(), dir.string(), descs, &handles, &db).ok());
  std::vector<rocksdb::ColumnFamilyHandle*> by_name;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == "state" || names[i] == "meta") by_name.push_back(handles[i]);
  }
  REQUIRE(by_name.size() == 2);  // state, meta in creation order
  fn(db, by_name);
  for (auto* h : handles) REQUIRE(db->DestroyColumnFamilyHandle(h).ok());
  delete db;
}

}  // namespace

TEST_CASE("commit_block round trip", "[store]") {
  const bool sync = GENERATE(true, false);
  INFO("sync=" << sync);
  TempDir tmp;
  storage::Options o;
  o.sync = sync;
  auto store = open_store(tmp.db(), o);

  CHECK_FALSE(store->genesis_hash().has_value());
  auto state = genesis_state();
  REQUIRE(store->init_genesis(genesis_hash("a"), as_writes(state), 5000).is_ok());
  CHECK(store->genesis_hash() == genesis_hash("a"));
  CHECK(store->height() == 0);
  CHECK(store->last_block_hash() == crypto::Hash{});
  CHECK(store->last_timestamp_ms() == 5000);
  CHECK(store->state_root() == root_of(state));
  CHECK(store->state_root_at(0) == root_of(state));
  CHECK(read_all(*store) == state);

  auto b = make_block(1, crypto::Hash{}, 6000, 3);
  WriteSet w{{"ledger/acct/alice", "90"},
             {"ledger/acct/bob", std::nullopt},
             {"ledger/acct/carol", "10"},
             {"never/existed", std::nullopt}};
  auto root = store->commit_block(1, b.hash, b.block, 6000, b.receipts, w);
  REQUIRE(root.is_ok());
  apply_block(state, 1, w, b.receipts);
  CHECK(*root == root_of(state));
  CHECK(store->state_root() == *root);
  CHECK(store->state_root_at(1) == *root);
  CHECK(store->state_root_at(0) == root_of(genesis_state()));
  CHECK_FALSE(store->state_root_at(2).has_value());
  CHECK(store->height() == 1);
  CHECK(store->last_block_hash() == b.hash);
  CHECK(store->last_timestamp_ms() == 6000);

  auto stored = store->block_at(1);
  REQUIRE(stored.has_value());
  CHECK(stored->SerializeAsString() == b.block.SerializeAsString());
  CHECK_FALSE(store->block_at(0).has_value());
  CHECK_FALSE(store->block_at(2).has_value());
  CHECK(store->height_of(b.hash) == 1u);
  CHECK_FALSE(store->height_of(crypto::sha256("other")).has_value());

  for (std::uint32_t i = 0; i < 3; ++i) {
    auto loc = store->find_tx(b.tx_hashes[i]);
    REQUIRE(loc.has_value());
    CHECK(loc->height == 1);
    CHECK(loc->index == i);
    auto r = store->receipt_at(1, i);
    REQUIRE(r.has_value());
    CHECK(r->height() == 1);
    CHECK(r->index() == i);
    CHECK(r->tx_hash() == crypto::hash_bytes(b.tx_hashes[i]));
    CHECK(r->status() == b.receipts[i].status());
    CHECK(r->error() == b.receipts[i].error());
  }
  CHECK_FALSE(store->find_tx(crypto::sha256("unknown tx")).has_value());
  CHECK_FALSE(store->receipt_at(1, 3).has_value());
  auto all = store->receipts_at(1);
  REQUIRE(all.size() == 3);
  for (std::uint32_t i = 0; i < 3; ++i) CHECK(all[i].index() == i);
  CHECK(store->receipts_at(0).empty());
  CHECK(store->receipts_at(2).empty());

  CHECK(store->get("ledger/acct/alice") == "90");
  CHECK_FALSE(store->get("ledger/acct/bob").has_value());
  CHECK(store->get("ledger/acct/carol") == "10");
  CHECK(read_all(*store) == state);
  CHECK(store->verify_state().is_ok());

  // An empty block with no writes changes only the history value.
  auto b2 = make_block(2, b.hash, 7000, 0);
  auto root2 = store->commit_block(2, b2.hash, b2.block, 7000, {}, {});
  REQUIRE(root2.is_ok());
  apply_block(state, 2, {}, {});
  CHECK(*root2 == root_of(state));
  CHECK(read_all(*store) == state);
  CHECK(store->height() == 2);
}

TEST_CASE("commit_block before genesis is refused", "[store]") {
  TempDir tmp;
  auto store = open_store(tmp.db());
  auto b1 = make_block(1, crypto::Hash{}, 1000, 1);
  auto r = store->commit_block(1, b1.hash, b1.block, 1000, b1.receipts, {{"k", "v"}});
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.status().code() == Code::kFailedPrecondition);
  CHECK_THAT(r.status().message(), Catch::Contains("genesis is not initialised"));
  CHECK(store->height() == 0);
  CHECK_FALSE(store->get("k").has_value());
  CHECK_FALSE(store->block_at(1).has_value());
}

TEST_CASE("commit_block refusals leave the store untouched", "[store]") {
  TempDir tmp;
  auto store = open_store(tmp.db());
  auto b1 = make_block(1, crypto::Hash{}, 1000, 1);
  const WriteSet w{{"k", "v"}};
  REQUIRE(store->init_genesis(genesis_hash("a"), {{"g", "1"}}).is_ok());
  const auto root0 = store->state_root();
  auto expect_untouched = [&] {
    CHECK(store->height() == 0);
    CHECK(store->state_root() == root0);
    CHECK(store->last_block_hash() == crypto::Hash{});
    CHECK_FALSE(store->get("k").has_value());
    CHECK_FALSE(store->block_at(1).has_value());
    CHECK_FALSE(store->height_of(b1.hash).has_value());
    CHECK(store->receipts_at(1).empty());
  };

  SECTION("wrong height") {
    auto b2 = make_block(2, crypto::Hash{}, 1000, 1);
    auto r = store->commit_block(2, b2.hash, b2.block, 1000, b2.receipts, w);
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().code() == Code::kFailedPrecondition);
    CHECK_THAT(r.status().message(), Catch::Contains("at height 0") && Catch::Contains("is 1"));
    auto r0 = store->commit_block(0, b1.hash, b1.block, 1000, b1.receipts, w);
    CHECK(r0.status().code() == Code::kFailedPrecondition);
    expect_untouched();
  }
  SECTION("prev_hash is not the last block") {
    auto bad = make_block(1, crypto::sha256("elsewhere"), 1000, 1);
    auto r = store->commit_block(1, bad.hash, bad.block, 1000, bad.receipts, w);
    CHECK(r.status().code() == Code::kFailedPrecondition);
    CHECK_THAT(r.status().message(), Catch::Contains("builds on"));
    expect_untouched();
  }
  SECTION("block hash is not the hash of the header") {
    auto r = store->commit_block(1, crypto::sha256("not it"), b1.block, 1000, b1.receipts, w);
    CHECK(r.status().code() == Code::kInvalidArgument);
    expect_untouched();
  }
  SECTION("header names another height") {
    auto b5 = make_block(5, crypto::Hash{}, 1000, 1);
    auto r = store->commit_block(1, b5.hash, b5.block, 1000, b5.receipts, w);
    CHECK(r.status().code() == Code::kInvalidArgument);
    CHECK_THAT(r.status().message(), Catch::Contains("for height 5"));
    expect_untouched();
  }
  SECTION("header does not parse") {
    sharechain::Block junk = b1.block;
    junk.set_header("\xff\xff\xff");
    auto r = store->commit_block(1, crypto::sha256(junk.header()), junk, 1000, b1.receipts, w);
    CHECK(r.status().code() == Code::kInvalidArgument);
    expect_untouched();
  }
  SECTION("receipt count differs from transaction count") {
    auto r = store->commit_block(1, b1.hash, b1.block, 1000, {}, w);
    CHECK(r.status().code() == Code::kInvalidArgument);
    CHECK_THAT(r.status().message(), Catch::Contains("1 transactions but 0 receipts"));
    expect_untouched();
  }
  SECTION("a transaction does not parse") {
    sharechain::Block bad = b1.block;
    bad.set_transactions(0, "\xff\xff\xff");
    auto r = store->commit_block(1, b1.hash, bad, 1000, b1.receipts, w);
    CHECK(r.status().code() == Code::kInvalidArgument);
    expect_untouched();
  }
}

TEST_CASE("init_genesis is idempotent and refuses another genesis", "[store]") {
  TempDir tmp;
  const auto state = genesis_state();
  {
    auto store = open_store(tmp.db());
    CHECK(store->init_genesis("short", {}).code() == Code::kInvalidArgument);
    REQUIRE(store->init_genesis(genesis_hash("a"), as_writes(state)).is_ok());
    CHECK(store->init_genesis(genesis_hash("a"), as_writes(state)).is_ok());
    // Commit a block so the current state differs from genesis: idempotence still holds.
    auto b = make_block(1, crypto::Hash{}, 10, 0);
    REQUIRE(store->commit_block(1, b.hash, b.block, 10, {}, {{"ledger/acct/alice", "1"}}).is_ok());
    CHECK(store->init_genesis(genesis_hash("a"), as_writes(state)).is_ok());
    CHECK(store->height() == 1);
  }
  auto store = open_store(tmp.db());
  auto s = store->init_genesis(genesis_hash("b"), as_writes(state));
  REQUIRE(s.code() == Code::kFailedPrecondition);
  CHECK_THAT(s.message(), Catch::Contains(crypto::to_hex(genesis_hash("a"))));
  CHECK_THAT(s.message(), Catch::Contains(crypto::to_hex(genesis_hash("b"))));

  auto other = state;
  other["ledger/acct/alice"] = "101";
  auto s2 = store->init_genesis(genesis_hash("a"), as_writes(other));
  REQUIRE(s2.code() == Code::kFailedPrecondition);
  CHECK_THAT(s2.message(), Catch::Contains(crypto::to_hex(root_of(state))));
  CHECK_THAT(s2.message(), Catch::Contains(crypto::to_hex(root_of(other))));
  CHECK(store->genesis_hash() == genesis_hash("a"));
  CHECK(store->height() == 1);
}

TEST_CASE("reopening gives the same head and state", "[store]") {
  TempDir tmp;
  std::map<std::string, std::string> state = genesis_state();
  std::vector<crypto::Hash> roots{root_of(state)};
  crypto::Hash last{};
  {
    auto store = open_store(tmp.db());
    REQUIRE(store->init_genesis(genesis_hash("a"), as_writes(state), 100).is_ok());
    for (std::uint64_t h = 1; h <= 5; ++h) {
      auto b = make_block(h, last, 100 + h, static_cast<int>(h % 3));
      WriteSet w{{"counter", std::to_string(h)}, {"k/" + std::to_string(h), "v"}};
      if (h == 4) w["k/2"] = std::nullopt;
      auto r = store->commit_block(h, b.hash, b.block, 100 + h, b.receipts, w);
      REQUIRE(r.is_ok());
      apply_block(state, h, w, b.receipts);
      roots.push_back(*r);
      last = b.hash;
    }
  }
  auto store = open_store(tmp.db());
  CHECK(store->genesis_hash() == genesis_hash("a"));
  CHECK(store->height() == 5);
  CHECK(store->last_block_hash() == last);
  CHECK(store->last_timestamp_ms() == 105);
  CHECK(store->state_root() == root_of(state));
  CHECK(read_all(*store) == state);
  for (std::uint64_t h = 0; h <= 5; ++h) CHECK(store->state_root_at(h) == roots[h]);
  CHECK(store->verify_state().is_ok());
  // And it carries on from there.
  auto b6 = make_block(6, last, 200, 1);
  CHECK(store->commit_block(6, b6.hash, b6.block, 200, b6.receipts, {}).is_ok());
}

TEST_CASE("incremental root equals a from-scratch hash of the state", "[store]") {
  // With no expansion cache, one smaller than the keys written (entries evicted and reused) and
  // the default: the roots are the same, because a remembered expansion is used only for the
  // exact pair it was computed for.
  const std::size_t cache = GENERATE(std::size_t{0}, std::size_t{3}, storage::Options{}.expansion_cache_entries);
  const auto commitment = GENERATE(storage::StateCommitment::kLtHash16Shake128,
                                   storage::StateCommitment::kLtHash16Aes256Ctr);
  CAPTURE(cache, storage::state_commitment_name(commitment));
  TempDir tmp;
  storage::Options options;
  options.expansion_cache_entries = cache;
  options.state_commitment = commitment;
  auto store = open_store(tmp.db(), options);
  std::map<std::string, std::string> state;
  for (int i = 0; i < 20; ++i) state["acct/" + std::to_string(i)] = std::to_string(i * 7);
  REQUIRE(store->init_genesis(genesis_hash("rand"), as_writes(state)).is_ok());

  std::mt19937 rng(7);
  crypto::Hash last{};
  for (std::uint64_t h = 1; h <= 40; ++h) {
    WriteSet w;
    const int n = static_cast<int>(rng() % 12);
    for (int j = 0; j < n; ++j) {
      const std::string key = "acct/" + std::to_string(rng() % 40);  // half the keys absent
      switch (rng() % 4) {
        case 0: w[key] = std::nullopt; break;                          // delete, maybe absent
        case 1: if (state.count(key)) w[key] = state[key]; break;      // rewrite same value
        default: w[key] = "v" + std::to_string(rng() % 1000); break;   // insert or update
      }
    }
    auto b = make_block(h, last, h, 0);
    auto r = store->commit_block(h, b.hash, b.block, h, {}, w);
    REQUIRE(r.is_ok());
    apply_block(state, h, w, {}, commitment);
    REQUIRE(*r == root_of(state, commitment));
    last = b.hash;
  }
  CHECK(read_all(*store) == state);
  CHECK(store->verify_state().is_ok());
  const std::string stats = store->stats();
  const bool no_hits = stats.find("sharechain_storage_lthash_cache_hits_total 0\n") != std::string::npos;
  CHECK(no_hits == (cache == 0));
}

TEST_CASE("a store keeps the state commitment of its chain", "[store]") {
  TempDir tmp;
  const auto shake = storage::StateCommitment::kLtHash16Shake128;
  const auto aes = storage::StateCommitment::kLtHash16Aes256Ctr;
  storage::Options with_shake;
  with_shake.state_commitment = shake;
  crypto::Hash root_after_1{};
  {
    auto store = open_store(tmp.db(), with_shake);
    REQUIRE(store->init_genesis(genesis_hash("a"), as_writes(genesis_state())).is_ok());
    CHECK(store->state_root() == root_of(genesis_state(), shake));
    CHECK_FALSE(store->state_root() == root_of(genesis_state(), aes));
    auto b = make_block(1, crypto::Hash{}, 1, 1);
    auto r = store->commit_block(1, b.hash, b.block, 1, b.receipts, {{"k", "v"}});
    REQUIRE(r.is_ok());
    root_after_1 = *r;
  }
  // Opened for the other commitment: refused before anything is read or written.
  auto wrong = Store::open(tmp.db(), storage::Options{});
  REQUIRE_FALSE(wrong.is_ok());
  CHECK(wrong.status().code() == Code::kFailedPrecondition);
  CHECK_THAT(wrong.status().message(),
             Catch::Contains("state commitment is lthash16-shake128, but it was opened for lthash16-aes256ctr"));
  {
    auto store = open_store(tmp.db(), with_shake);
    CHECK(store->state_root() == root_after_1);
    CHECK(store->verify_state().is_ok());
  }

  // A store written before the record existed (no meta entry) holds lthash16-shake128.
  with_raw_db(tmp.db(), [](rocksdb::DB* db, std::vector<rocksdb::ColumnFamilyHandle*>& cfs) {
    REQUIRE(db->Delete(rocksdb::WriteOptions(), cfs[1], "state_commitment").ok());
  });
  CHECK_FALSE(Store::open(tmp.db(), storage::Options{}).is_ok());
  auto old = Store::open(tmp.db(), with_shake);
  REQUIRE(old.is_ok());
  CHECK((*old)->verify_state().is_ok());

  // A new store records the default commitment with its genesis.
  TempDir fresh;
  {
    auto store = open_store(fresh.db());
    REQUIRE(store->init_genesis(genesis_hash("b"), as_writes(genesis_state())).is_ok());
    CHECK(store->state_root() == root_of(genesis_state(), aes));
  }
  CHECK_FALSE(Store::open(fresh.db(), with_shake).is_ok());
}

TEST_CASE("scan visits exactly the keys with the prefix, in order", "[store]") {
  TempDir tmp;
  auto store = open_store(tmp.db());
  const std::map<std::string, std::string> state{
      {"a", "0"},          {"ab", "1"},          {"ab\x01", "2"},      {"abc", "3"},
      {"ac", "4"},         {"b", "5"},           {"\xff", "6"},        {"\xff\xff", "7"},
      {std::string("\xff\x00", 2), "8"},   {std::string("a\0", 2), "9"}};
  REQUIRE(store->init_genesis(genesis_hash("scan"), as_writes(state)).is_ok());

  auto collect = [&](std::string_view prefix) {
    std::vector<std::string> keys;
    store->scan(prefix, [&](std::string_view k, std::string_view) {
      keys.emplace_back(k);
      return true;
    });
    return keys;
  };
  CHECK(collect("ab") == std::vector<std::string>{"ab", "ab\x01", "abc"});
  CHECK(collect("a") ==
        std::vector<std::string>{"a", std::string("a\0", 2), "ab", "ab\x01", "abc", "ac"});
  CHECK(collect("\xff") ==
        std::vector<std::string>{"\xff", std::string("\xff\x00", 2), "\xff\xff"});
  CHECK(collect("\xff\xff") == std::vector<std::string>{"\xff\xff"});
  CHECK(collect("zz").empty());
  CHECK(collect("").size() == state.size());

  std::vector<std::string> first_two;
  store->scan("a", [&](std::string_view k, std::string_view) {
    first_two.emplace_back(k);
    return first_two.size() < 2;
  });
  CHECK(first_two.size() == 2);
}

TEST_CASE("readers see whole blocks while a writer commits", "[store]") {
  TempDir tmp;
  auto store = open_store(tmp.db());
  // Precompute every height's state and root; readers match what they see against these.
  constexpr std::uint64_t kBlocks = 60;
  std::vector<std::map<std::string, std::string>> states(1);
  for (int i = 0; i < 30; ++i) states[0]["k/" + std::to_string(i)] = "0";
  std::vector<WriteSet> writes(1);
  for (std::uint64_t h = 1; h <= kBlocks; ++h) {
    WriteSet w;
    for (int j = 0; j < 5; ++j) w["k/" + std::to_string((h * 5 + j) % 30)] = std::to_string(h);
    w["k/" + std::to_string((h * 3) % 30)] = std::nullopt;
    w["height"] = std::to_string(h);
    states.push_back(states.back());
    // Blocks of this test hold one transaction each (make_block(h, ..., 1) below).
    apply_block(states.back(), h, w, make_block(h, crypto::Hash{}, h, 1).receipts);
    writes.push_back(w);
  }
  std::vector<crypto::Hash> roots;
  for (const auto& s : states) roots.push_back(root_of(s));
  REQUIRE(store->init_genesis(genesis_hash("conc"), as_writes(states[0])).is_ok());

  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::atomic<int> views{0};
  auto reader = [&] {
    std::uint64_t last_seen = 0;
    std::uint64_t last_get = 0;
    while (!done.load()) {
      auto snap = store->snapshot();
      const auto h = snap->height();
      std::map<std::string, std::string> seen;
      snap->for_each("", [&](std::string_view k, std::string_view v) {
        seen.emplace(std::string(k), std::string(v));
        return true;
      });
      if (h < last_seen || h > kBlocks || seen != states[h] || snap->state_root() != roots[h] ||
          root_of(seen) != snap->state_root()) {
        ++failures;
      }
      last_seen = h;
      // Plain reads move forwards only.
      if (auto hv = store->get("height")) {
        const auto at = std::stoull(*hv);
        if (at < last_get) ++failures;
        last_get = at;
      }
      ++views;
    }
  };
  std::thread r1(reader);
  std::thread r2(reader);
  crypto::Hash last{};
  for (std::uint64_t h = 1; h <= kBlocks; ++h) {
    auto b = make_block(h, last, h, 1);
    auto r = store->commit_block(h, b.hash, b.block, h, b.receipts, writes[h]);
    REQUIRE(r.is_ok());
    REQUIRE(*r == roots[h]);
    last = b.hash;
  }
  done = true;
  r1.join();
  r2.join();
  CHECK(failures.load() == 0);
  CHECK(views.load() >= 2);
}

TEST_CASE("open errors are reported, not thrown", "[store]") {
  TempDir tmp;
  auto store = open_store(tmp.db());
  auto second = Store::open(tmp.db(), {});
  REQUIRE_FALSE(second.is_ok());
  CHECK(second.status().code() == Code::kUnavailable);
  CHECK_THAT(second.status().message(), Catch::Contains(tmp.db().string()));

  storage::Options no_create;
  no_create.create_if_missing = false;
  auto missing = Store::open(tmp.path() / "absent", no_create);
  REQUIRE_FALSE(missing.is_ok());
  CHECK_THAT(missing.status().message(), Catch::Contains("absent"));
}

TEST_CASE("damage behind the store's back is detected", "[store]") {
  TempDir tmp;
  {
    auto store = open_store(tmp.db());
    REQUIRE(store->init_genesis(genesis_hash("d"), as_writes(genesis_state())).is_ok());
    REQUIRE(store->verify_state().is_ok());
  }
  SECTION("a state value changed") {
    with_raw_db(tmp.db(), [](rocksdb::DB* db, std::vector<rocksdb::ColumnFamilyHandle*>& cf) {
      REQUIRE(db->Put(rocksdb::WriteOptions(), cf[0], "ledger/acct/alice", "1000000").ok());
    });
    auto store = open_store(tmp.db());
    auto s = store->verify_state();
    CHECK(s.code() == Code::kInternal);
    CHECK_THAT(s.message(), Catch::Contains(crypto::to_hex(store->state_root())));
  }
  SECTION("the recorded root disagrees with the accumulator") {
    with_raw_db(tmp.db(), [](rocksdb::DB* db, std::vector<rocksdb::ColumnFamilyHandle*>& cf) {
      REQUIRE(db->Put(rocksdb::WriteOptions(), cf[1], "state_root",
                      crypto::hash_bytes(crypto::sha256("forged")))
                  .ok());
    });
    auto r = Store::open(tmp.db(), {});
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().code() == Code::kInternal);
  }
}

TEST_CASE("stats reports every column family", "[store]") {
  TempDir tmp;
  auto store = open_store(tmp.db());
  REQUIRE(store->init_genesis(genesis_hash("s"), as_writes(genesis_state())).is_ok());
  auto b = make_block(1, crypto::Hash{}, 1, 2);
  REQUIRE(store->commit_block(1, b.hash, b.block, 1, b.receipts, {{"x", "y"}}).is_ok());
  const auto text = store->stats();
  CHECK_THAT(text, Catch::Contains("sharechain_storage_height 1\n"));
  for (const char* cf : {"blocks", "index", "receipts", "state", "consensus", "meta"}) {
    CHECK_THAT(text, Catch::Contains(std::string("sharechain_storage_keys_estimate{cf=\"") + cf +
                                     "\"}"));
  }
  const auto st = store->collect_stats();
  CHECK(st.height == 1);
  REQUIRE(st.column_families.size() == 6);
  CHECK(st.column_families[3].name == "state");
  CHECK(st.column_families[3].keys_estimate >= 1);  // memtable entries are counted
}
