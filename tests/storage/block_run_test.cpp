// Store::BlockRun: blocks staged in memory and committed with one synced WriteBatch (state
// transfer's batched commit), against commit_block one block at a time.
//   same as one by one            - runs of 1, 2, 3, 5, 8 and 13 blocks of the crash chain (keys
//                                   rewritten and deleted by later blocks of the same run) leave
//                                   the state, every height's state root and history value, the
//                                   blocks, receipts and indexes of one-by-one commits
//   staged, not visible           - reads through the run see the staged blocks; the store's
//                                   height, head and reads see none of them until commit()
//   a failing block               - a wrong height, a wrong parent, a receipt count that differs
//                                   and a transaction that does not parse (after an earlier one
//                                   of the block was indexed) each stage nothing; the blocks
//                                   before it commit exactly
//   an abandoned run              - a run destroyed without commit() writes nothing, and the
//                                   writer lock is free again
//   power failure in a run        - a run of blocks 10..17 after a committed run 6..9, the power
//                                   failing after each file operation of its write: the store
//                                   restarts at 9 (the last durable block) or 17, never between,
//                                   never below an acknowledged run; a torn WAL append of the
//                                   run keeps none of it unless every byte made it
#include <algorithm>

#include "fault_test_util.hpp"

using namespace storage_test;
using namespace storage_test::fault;

namespace {

sharechain::Result<crypto::Hash> add_next(storage::Store::BlockRun& run) {
  const std::uint64_t h = run.height() + 1;
  crash::Reference ref;
  ref.advance_to(h - 1);
  auto b = crash::block_for(h, ref.hash(h - 1));
  return run.add(h, b.hash, b.block, 1000 + h, b.receipts, crash::writes_for(h));
}

// Stages blocks up to `to` in a new run and commits it.
sharechain::Status run_to(storage::Store& store, std::uint64_t to) {
  auto run = store.begin_run();
  while (run->height() < to) {
    auto r = add_next(*run);
    if (!r) return r.status();
  }
  return run->commit();
}

void check_same(storage::Store& a, storage::Store& b) {
  REQUIRE(a.height() == b.height());
  REQUIRE(a.state_root() == b.state_root());
  REQUIRE(a.last_block_hash() == b.last_block_hash());
  REQUIRE(a.last_timestamp_ms() == b.last_timestamp_ms());
  REQUIRE(read_all(a) == read_all(b));
  for (std::uint64_t h = 0; h <= a.height(); ++h) {
    INFO("height " << h);
    REQUIRE(a.state_root_at(h) == b.state_root_at(h));
    REQUIRE(a.history_at(h) == b.history_at(h));
    if (h == 0) continue;
    auto ba = a.block_at(h);
    auto bb = b.block_at(h);
    REQUIRE(ba.has_value());
    REQUIRE(bb.has_value());
    REQUIRE(ba->SerializeAsString() == bb->SerializeAsString());
    REQUIRE(a.height_of(crypto::sha256(ba->header())) == std::optional<std::uint64_t>(h));
    REQUIRE(b.height_of(crypto::sha256(bb->header())) == std::optional<std::uint64_t>(h));
    const auto ra = a.receipts_at(h);
    const auto rb = b.receipts_at(h);
    REQUIRE(ra.size() == rb.size());
    for (std::size_t i = 0; i < ra.size(); ++i) {
      REQUIRE(ra[i].SerializeAsString() == rb[i].SerializeAsString());
      auto hash = crypto::hash_from_bytes(ra[i].tx_hash());
      REQUIRE(hash.has_value());
      auto la = a.find_tx(*hash);
      auto lb = b.find_tx(*hash);
      REQUIRE(la.has_value());
      REQUIRE(lb.has_value());
      REQUIRE(la->height == lb->height);
      REQUIRE(la->index == lb->index);
    }
    auto ea = a.history_entry(h);
    auto eb = b.history_entry(h);
    REQUIRE(ea.has_value());
    REQUIRE(eb.has_value());
    REQUIRE(ea->receipts == eb->receipts);
    REQUIRE(ea->previous_history == eb->previous_history);
    REQUIRE(ea->previous_state_root == eb->previous_state_root);
  }
  REQUIRE(a.verify_state().is_ok());
  REQUIRE(b.verify_state().is_ok());
}

std::unique_ptr<storage::Store> fresh(const TempDir& dir) {
  auto store = open_store(dir.db());
  REQUIRE(store->init_genesis(genesis_hash(crash::kGenesisName), crash::genesis_writes()).is_ok());
  return store;
}

}  // namespace

TEST_CASE("a run of blocks stores exactly what one-by-one commits store", "[block_run]") {
  TempDir da, db;
  auto one = fresh(da);
  auto runs = fresh(db);
  std::uint64_t to = 0;
  for (std::uint64_t size : {1, 2, 3, 5, 8, 13}) {
    to += size;
    while (one->height() < to) REQUIRE(commit_next(*one));
    REQUIRE(run_to(*runs, to).is_ok());
    check_same(*one, *runs);
  }
  crash::Reference ref;
  crash::check_exactly_at(*runs, ref);
  // And the store goes on normally after runs.
  REQUIRE(commit_next(*runs));
  REQUIRE(commit_next(*one));
  check_same(*one, *runs);
}

TEST_CASE("staged blocks are visible through the run only, until it commits", "[block_run]") {
  TempDir dir;
  auto store = fresh(dir);
  while (store->height() < 3) REQUIRE(commit_next(*store));
  const auto before = read_all(*store);
  const auto root = store->state_root();

  auto run = store->begin_run();
  crash::Reference ref;
  for (std::uint64_t h = 4; h <= 9; ++h) {
    auto r = add_next(*run);
    REQUIRE(r);
    ref.advance_to(h);
    CHECK(*r == ref.root(h));
    CHECK(run->height() == h);
    CHECK(run->get("height") == std::optional<std::string>(std::to_string(h)));
    CHECK(read_all(*run) == ref.state());
  }
  for (std::uint64_t h = 0; h <= 9; ++h) CHECK(run->state_root_at(h) == ref.root(h));
  CHECK(run->blocks() == 6);
  // The store itself has not moved.
  CHECK(store->height() == 3);
  CHECK(store->state_root() == root);
  CHECK(read_all(*store) == before);
  CHECK_FALSE(store->block_at(4).has_value());
  CHECK_FALSE(store->state_root_at(4).has_value());

  REQUIRE(run->commit().is_ok());
  CHECK(store->height() == 9);
  crash::check_exactly_at(*store, ref);
  // A committed run takes no more blocks.
  auto late = add_next(*run);
  CHECK(late.status().code() == sharechain::Code::kFailedPrecondition);
  CHECK(store->height() == 9);
}

TEST_CASE("a block that fails in a run stages nothing; the blocks before it commit", "[block_run]") {
  TempDir dir;
  auto store = fresh(dir);
  REQUIRE(run_to(*store, 2).is_ok());
  crash::Reference ref;
  ref.advance_to(6);

  auto run = store->begin_run();
  for (std::uint64_t h = 3; h <= 5; ++h) REQUIRE(add_next(*run));
  auto b6 = crash::block_for(6, ref.hash(5));

  SECTION("wrong height") {
    auto r = run->add(7, b6.hash, b6.block, 1006, b6.receipts, crash::writes_for(6));
    CHECK(r.status().code() == sharechain::Code::kFailedPrecondition);
  }
  SECTION("wrong parent") {
    auto other = crash::block_for(6, ref.hash(4));
    auto r = run->add(6, other.hash, other.block, 1006, other.receipts, crash::writes_for(6));
    CHECK(r.status().code() == sharechain::Code::kFailedPrecondition);
  }
  SECTION("receipts do not match the transactions") {
    auto receipts = b6.receipts;
    receipts.emplace_back();
    auto r = run->add(6, b6.hash, b6.block, 1006, receipts, crash::writes_for(6));
    CHECK(r.status().code() == sharechain::Code::kInvalidArgument);
  }
  SECTION("a transaction does not parse after another one was indexed") {
    // Rebuild block 6 with a second transaction that is not a SignedTransaction.
    auto bad = make_block(6, ref.hash(5), 1006, 2);
    bad.block.set_transactions(1, std::string("\xff\xff\xff", 3));
    auto r = run->add(6, bad.hash, bad.block, 1006, bad.receipts, crash::writes_for(6));
    CHECK(r.status().code() == sharechain::Code::kInvalidArgument);
    REQUIRE(run->commit().is_ok());
    // The first transaction's index entry was rolled back with the rest of the block.
    CHECK_FALSE(store->find_tx(bad.tx_hashes[0]).has_value());
  }
  CHECK(run->height() == 5);
  REQUIRE(run->commit().is_ok());
  CHECK(store->height() == 5);
  crash::Reference check;
  crash::check_exactly_at(*store, check);
  // Block 6 itself, done right, follows.
  REQUIRE(commit_next(*store));
  crash::check_exactly_at(*store, check);
}

TEST_CASE("an abandoned run writes nothing and frees the writer", "[block_run]") {
  TempDir dir;
  auto store = fresh(dir);
  REQUIRE(run_to(*store, 4).is_ok());
  {
    auto run = store->begin_run();
    for (int i = 0; i < 3; ++i) REQUIRE(add_next(*run));
  }
  CHECK(store->height() == 4);
  crash::Reference ref;
  crash::check_exactly_at(*store, ref);
  REQUIRE(commit_next(*store));  // would wait for ever if the run still held the lock
  store.reset();
  auto reopened = open_store(dir.db());
  CHECK(reopened->height() == 5);
  crash::check_exactly_at(*reopened, ref);
}

TEST_CASE("a power failure in a run's write leaves the last durable block", "[block_run][fault]") {
  TempDir base;
  build_chain(base.db(), 5);

  std::vector<FileEvent> trace;
  {
    Trial dry(base.db());
    REQUIRE(run_to(dry.store(), 9).is_ok());
    const auto mark = dry.injector().ops();
    REQUIRE(run_to(dry.store(), 17).is_ok());
    trace = dry.injector().events(mark);
  }
  INFO("the run of blocks 10..17 as written:\n" << describe(trace));
  // One WAL append for the eight blocks, and one sync: that is the point of a run.
  REQUIRE(std::count_if(trace.begin(), trace.end(), [](const FileEvent& e) {
            return e.op == FileOp::kAppend && e.kind == FileKind::kWal;
          }) == 1);
  REQUIRE(std::count_if(trace.begin(), trace.end(), [](const FileEvent& e) {
            return e.op == FileOp::kSync && e.kind == FileKind::kWal;
          }) == 1);

  std::vector<std::uint64_t> heights;
  for (std::size_t n = 0; n <= trace.size(); ++n) {
    INFO("the power fails after " << n << " of " << trace.size() << " operations");
    Trial t(base.db());
    REQUIRE(run_to(t.store(), 9).is_ok());
    t.injector().crash_after(n);
    const bool acked = run_to(t.store(), 17).is_ok();
    t.injector().crash();
    t.restart();
    const std::uint64_t h = t.store().height();
    CHECK((h == 9 || h == 17));
    if (acked) CHECK(h == 17);
    crash::Reference ref;
    crash::check_exactly_at(t.store(), ref);
    REQUIRE(commit_next(t.store()));
    heights.push_back(h);
  }
  CHECK(heights.front() == 9);
  CHECK(heights.back() == 17);

  // A tear anywhere in the run's one WAL append keeps none of the run.
  const auto append = std::find_if(trace.begin(), trace.end(), [](const FileEvent& e) {
    return e.op == FileOp::kAppend && e.kind == FileKind::kWal;
  });
  REQUIRE(append != trace.end());
  for (std::uint64_t keep : {std::uint64_t{0}, std::uint64_t{1}, append->bytes / 3, append->bytes / 2,
                             append->bytes - 1, append->bytes}) {
    INFO("torn after " << keep << " of " << append->bytes << " bytes");
    Trial t(base.db());
    REQUIRE(run_to(t.store(), 9).is_ok());
    t.injector().tear(FileKind::kWal, 1, keep);
    (void)run_to(t.store(), 17);
    t.restart();
    CHECK(t.store().height() == (keep == append->bytes ? 17u : 9u));
    crash::Reference ref;
    crash::check_exactly_at(t.store(), ref);
  }
}
