// Consensus persistence (Store::write_consensus) under power failures, injected through the
// FaultInjector seam. Every trial works on a fresh copy of a prepared store.
//   power failure at every operation - what a replica persists for two heights (its PREPARE,
//                                      the prepared certificate with its COMMIT, the delivered
//                                      block and certificate, the block's commit, then garbage
//                                      collection whose deletes trigger a compaction): the
//                                      power fails after each file operation in turn. After the
//                                      restart the consensus records are exactly those of the
//                                      calls whose WAL sync completed, which include every call
//                                      that returned OK; each record is whole; the chain is at a
//                                      whole block, and both take writes again
//   deferred writes                  - the daemon's writes that wait for the next sync: readable
//                                      at once, lost to a power failure until a sync or a later
//                                      synced write covers them, and a failed sync says so
//   deferred persistence, power fails
//   at every operation               - the same steps with the daemon's syncs (after each vote):
//                                      what survives is always the state after a prefix of the
//                                      steps, holding every step a completed sync covered
//   a failed compaction              - an injected error in the compaction a consensus write
//                                      triggers: the write still returns OK, the failure is
//                                      counted, the next write is refused (RocksDB stops after a
//                                      failed flush), and the write survives a power failure
#include <algorithm>
#include <optional>
#include <set>
#include <utility>

#include "fault_test_util.hpp"

using namespace storage_test;
using namespace storage_test::fault;
using Outcome = FileEvent::Outcome;

namespace {

using Puts = std::vector<std::pair<std::string, std::string>>;
using Records = std::map<std::string, std::string>;

// A record whose every byte depends on its key and height, so a record cut short or mixed with
// another one never compares equal to what was written.
std::string record(const std::string& key, std::uint64_t h, std::size_t size) {
  std::string v = key + "@" + std::to_string(h) + ":";
  std::uint64_t x = h * 0x9e3779b97f4a7c15ULL + key.size();
  while (v.size() < size) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    v.push_back(static_cast<char>('a' + x % 26));
  }
  return v;
}

std::string at(const std::string& prefix, std::uint64_t h) { return prefix + std::to_string(h); }

// One call a replica makes on its store.
struct Step {
  bool commit = false;  // commit_block of the next block; otherwise write_consensus
  Puts puts;
  std::vector<std::string> deletes;
};

// What the engine persists around heights 6 and 7, in its order.
std::vector<Step> replica_steps() {
  std::vector<Step> steps;
  for (std::uint64_t h = 6; h <= 7; ++h) {
    steps.push_back({false, {{at("pv/", h), record("pv", h, 120)}}, {}});
    steps.push_back(
        {false,
         {{"prepared", record("prepared", h, 3000)}, {at("cv/", h), record("cv", h, 120)}},
         {}});
    steps.push_back(
        {false, {{at("blk/", h), record("blk", h, 6000)}, {"cert", record("cert", h, 800)}}, {}});
    steps.push_back({true, {}, {}});
    steps.push_back({false, {}, {at("pv/", h - 1), at("cv/", h - 1), at("blk/", h - 1)}});
  }
  return steps;
}

// The consensus records after the first `n` steps.
Records records_after(const std::vector<Step>& steps, std::size_t n) {
  Records r;
  for (std::size_t i = 0; i < n; ++i) {
    for (const auto& [k, v] : steps[i].puts) r[k] = v;
    for (const auto& k : steps[i].deletes) r.erase(k);
  }
  return r;
}

std::size_t commits_in(const std::vector<Step>& steps, std::size_t n) {
  return static_cast<std::size_t>(std::count_if(steps.begin(),
                                                steps.begin() + static_cast<std::ptrdiff_t>(n),
                                                [](const Step& s) { return s.commit; }));
}

// Runs the steps until one fails; returns how many returned OK.
std::size_t run(storage::Store& store, const std::vector<Step>& steps) {
  std::size_t acked = 0;
  for (const auto& s : steps) {
    const bool ok =
        s.commit ? commit_next(store).is_ok() : store.write_consensus(s.puts, s.deletes).is_ok();
    if (!ok) break;
    ++acked;
  }
  return acked;
}

storage::Options compacting() {
  storage::Options o;
  o.consensus_compact_after_deletes = 3;  // every garbage collection compacts
  return o;
}

}  // namespace

TEST_CASE("a power failure at any point of consensus persistence loses nothing acknowledged",
          "[fault]") {
  TempDir base;
  build_chain(base.db(), 5);
  const auto steps = replica_steps();

  std::vector<FileEvent> trace;
  {
    Trial dry(base.db(), compacting());
    const auto mark = dry.injector().ops();
    REQUIRE(run(dry.store(), steps) == steps.size());
    trace = dry.injector().events(mark);
    CHECK(dry.store().collect_stats().consensus_compactions == 2);
  }
  INFO("the steps as done:\n" << describe(trace));
  const auto wal_syncs = [](const std::vector<FileEvent>& events, std::size_t n) {
    return static_cast<std::size_t>(std::count_if(
        events.begin(), events.begin() + static_cast<std::ptrdiff_t>(n),
        [](const FileEvent& e) { return e.op == FileOp::kSync && e.kind == FileKind::kWal; }));
  };
  // Every call is one synced WAL write; the compactions add tables, MANIFEST edits and a new WAL.
  REQUIRE(wal_syncs(trace, trace.size()) == steps.size());
  REQUIRE(std::count_if(trace.begin(), trace.end(), [](const FileEvent& e) {
            return e.op == FileOp::kCreate && e.kind == FileKind::kSst;
          }) >= 4);

  std::size_t in_flight_kept = 0;
  std::size_t in_flight_lost = 0;
  std::set<std::pair<FileOp, FileKind>> crashed_after;
  for (std::size_t n = 0; n <= trace.size(); ++n) {
    INFO("the power fails after " << n << " of " << trace.size() << " operations");
    Trial t(base.db(), compacting());
    const auto mark = t.injector().ops();
    t.injector().crash_after(n);
    const std::size_t acked = run(t.store(), steps);
    t.injector().crash();
    const auto seen = t.injector().events(mark);
    INFO("this trial saw:\n" << describe(seen));
    // The power failed after exactly n operations. Their order is the dry run's but for the
    // compaction's background work (closing the old WAL races with the compaction's table), so
    // what was durable is read from this trial's own events.
    REQUIRE(seen.size() >= n);
    for (std::size_t k = 0; k < seen.size(); ++k) {
      REQUIRE(seen[k].outcome == (k < n ? Outcome::kDone : Outcome::kRefused));
    }
    if (n > 0) crashed_after.emplace(seen[n - 1].op, seen[n - 1].kind);
    t.restart();

    // A call's records are on the disk exactly when the sync of its WAL write completed.
    const std::size_t durable = wal_syncs(seen, n);
    CHECK(durable >= acked);
    CHECK(durable <= acked + 1);
    if (durable > acked) ++in_flight_kept;
    if (durable == acked && acked < steps.size()) ++in_flight_lost;
    CHECK(t.store().load_consensus() == records_after(steps, durable));
    CHECK(t.store().height() == 5 + commits_in(steps, durable));
    crash::Reference ref;
    crash::check_exactly_at(t.store(), ref);

    // The replica goes on from there.
    REQUIRE(t.store().write_consensus({{"view", "2"}}, {"prepared"}).is_ok());
    REQUIRE(commit_next(t.store()));
    auto expected = records_after(steps, durable);
    expected["view"] = "2";
    expected.erase("prepared");
    CHECK(t.store().load_consensus() == expected);
    CHECK(t.store().verify_state().is_ok());
  }
  // Calls were caught in flight both before and after their sync, and the power failed after
  // every kind of operation the steps do.
  CHECK(in_flight_kept > 0);
  CHECK(in_flight_lost > 0);
  std::set<std::pair<FileOp, FileKind>> done_by_steps;
  for (const auto& e : trace) done_by_steps.emplace(e.op, e.kind);
  CHECK(crashed_after == done_by_steps);
}

TEST_CASE("a failed compaction does not undo the consensus write that triggered it", "[fault]") {
  const FileOp op = GENERATE(FileOp::kAppend, FileOp::kSync);
  INFO("failing the first table " << name(op));
  TempDir base;
  build_chain(base.db(), 5);
  storage::Options o;
  o.consensus_compact_after_deletes = 2;
  Trial t(base.db(), o);
  REQUIRE(t.store().write_consensus({{"cv/6", "six"}, {"cv/7", "seven"}}, {}).is_ok());

  const auto mark = t.injector().ops();
  t.injector().fail(op, FileKind::kSst);
  // The write is durable before the compaction starts, so the call reports it done.
  REQUIRE(t.store().write_consensus({{"cv/8", "eight"}}, {"cv/6", "cv/7"}).is_ok());
  CHECK(t.injector().faults_fired() == 1);
  const auto events = t.injector().events(mark);
  INFO(describe(events));
  CHECK(std::any_of(events.begin(), events.end(), [&](const FileEvent& e) {
    return e.op == op && e.kind == FileKind::kSst && e.outcome == Outcome::kFailed;
  }));
  const auto stats = t.store().collect_stats();
  CHECK(stats.consensus_compaction_failures == 1);
  CHECK(stats.consensus_compactions == 0);
  const Records expected{{"cv/8", "eight"}};
  CHECK(t.store().load_consensus() == expected);
  // RocksDB takes no more writes after a failed flush, so the next persist fails.
  const auto next = t.store().write_consensus({{"cv/9", "nine"}}, {});
  INFO(next.to_string());
  CHECK_FALSE(next.is_ok());
  CHECK(t.store().load_consensus() == expected);

  t.injector().crash();
  t.restart();
  CHECK(t.store().load_consensus() == expected);
  CHECK(t.store().height() == 5);
  CHECK(t.store().verify_state().is_ok());
  REQUIRE(t.store().write_consensus({{"cv/9", "nine"}}, {}).is_ok());
  REQUIRE(t.store().compact_consensus().is_ok());
}

namespace {

// Commits the crash chain's next block as the daemon's consensus path does: without a sync.
sharechain::Status commit_next_deferred(storage::Store& store) {
  const std::uint64_t h = store.height() + 1;
  auto b = crash::block_for(h, store.last_block_hash());
  auto run = store.begin_run(0, storage::Durability::kDeferred);
  if (auto root = run->add(h, b.hash, b.block, 1000 + h, b.receipts, crash::writes_for(h)); !root) {
    return root.status();
  }
  return run->commit();
}

std::size_t wal_syncs_since(const FaultInjector& injector, std::uint64_t mark) {
  const auto events = injector.events(mark);
  return static_cast<std::size_t>(std::count_if(events.begin(), events.end(), [](const FileEvent& e) {
    return e.op == FileOp::kSync && e.kind == FileKind::kWal && e.outcome == Outcome::kDone;
  }));
}

}  // namespace

TEST_CASE("deferred writes wait for a sync, and a power failure takes the newest of them only",
          "[fault]") {
  TempDir base;
  build_chain(base.db(), 5);
  const Puts vote{{"pv/6", record("pv", 6, 120)}};

  SECTION("without a sync they are readable at once and lost to a power failure") {
    Trial t(base.db());
    const auto mark = t.injector().ops();
    REQUIRE(t.store().write_consensus(vote, {}, storage::Durability::kDeferred).is_ok());
    REQUIRE(commit_next_deferred(t.store()).is_ok());
    CHECK(wal_syncs_since(t.injector(), mark) == 0);
    CHECK(t.store().sync_pending());
    CHECK(t.store().load_consensus() == Records(vote.begin(), vote.end()));
    CHECK(t.store().height() == 6);
    t.injector().crash();
    t.restart();
    CHECK(t.store().load_consensus().empty());
    CHECK(t.store().height() == 5);
    CHECK(t.store().verify_state().is_ok());
  }
  SECTION("one sync makes all of them durable, and a second has nothing to do") {
    Trial t(base.db());
    REQUIRE(t.store().write_consensus(vote, {}, storage::Durability::kDeferred).is_ok());
    REQUIRE(commit_next_deferred(t.store()).is_ok());
    const auto mark = t.injector().ops();
    REQUIRE(t.store().sync().is_ok());
    CHECK(wal_syncs_since(t.injector(), mark) == 1);
    CHECK_FALSE(t.store().sync_pending());
    const auto second = t.injector().ops();
    REQUIRE(t.store().sync().is_ok());
    CHECK(t.injector().ops() == second);
    t.injector().crash();
    t.restart();
    CHECK(t.store().load_consensus() == Records(vote.begin(), vote.end()));
    CHECK(t.store().height() == 6);
    CHECK(t.store().verify_state().is_ok());
  }
  SECTION("a later synced write keeps the deferred ones before it") {
    Trial t(base.db());
    REQUIRE(commit_next_deferred(t.store()).is_ok());
    REQUIRE(t.store().write_consensus(vote, {}, storage::Durability::kDeferred).is_ok());
    REQUIRE(t.store().write_consensus({{"cv/6", "six"}}, {}).is_ok());
    t.injector().crash();
    t.restart();
    CHECK(t.store().load_consensus() == Records{{"cv/6", "six"}, {"pv/6", record("pv", 6, 120)}});
    CHECK(t.store().height() == 6);
  }
  SECTION("a failed sync leaves them pending and says so") {
    Trial t(base.db());
    REQUIRE(t.store().write_consensus(vote, {}, storage::Durability::kDeferred).is_ok());
    t.injector().fail(FileOp::kSync, FileKind::kWal);
    const auto failed = t.store().sync();
    INFO(failed.to_string());
    CHECK_FALSE(failed.is_ok());
    CHECK(failed.message().find("sync deferred writes") != std::string::npos);
    CHECK(t.store().sync_pending());
  }
  SECTION("a store that never syncs has nothing pending") {
    storage::Options o;
    o.sync = false;
    Trial t(base.db(), o);
    REQUIRE(t.store().write_consensus(vote, {}, storage::Durability::kDeferred).is_ok());
    CHECK_FALSE(t.store().sync_pending());
  }
}

TEST_CASE("a power failure anywhere in the daemon's deferred persistence keeps a prefix of its writes, "
          "and every write a sync covered", "[fault]") {
  // The daemon's order for each height: PREPARE record (sync, send), prepared certificate and
  // COMMIT record (sync, send), then the delivered block, its execution and the garbage collection
  // without a sync; the next height's first sync covers them.
  TempDir base;
  build_chain(base.db(), 5);
  const auto steps = replica_steps();
  const auto synced_after = [&](std::size_t i) {  // a vote: it is sent
    return std::any_of(steps[i].puts.begin(), steps[i].puts.end(), [](const auto& put) {
      return put.first.rfind("pv/", 0) == 0 || put.first.rfind("cv/", 0) == 0;
    });
  };
  // Runs the steps; returns how many a completed sync covered.
  const auto run_deferred = [&](storage::Store& store) {
    std::size_t covered = 0;
    for (std::size_t i = 0; i < steps.size(); ++i) {
      const auto& s = steps[i];
      const bool ok = s.commit ? commit_next_deferred(store).is_ok()
                               : store.write_consensus(s.puts, s.deletes, storage::Durability::kDeferred).is_ok();
      if (!ok) break;
      if (synced_after(i)) {
        if (!store.sync().is_ok()) break;
        covered = i + 1;
      }
    }
    return covered;
  };

  std::size_t total_ops = 0;
  {
    Trial dry(base.db(), compacting());
    const auto mark = dry.injector().ops();
    CHECK(run_deferred(dry.store()) == steps.size() - 3);  // the last block, its commit and GC wait
    total_ops = dry.injector().events(mark).size();
  }
  REQUIRE(total_ops > 0);
  std::set<std::size_t> prefixes_seen;
  for (std::size_t n = 0; n <= total_ops; ++n) {
    INFO("the power fails after " << n << " of " << total_ops << " operations");
    Trial t(base.db(), compacting());
    t.injector().crash_after(n);
    const std::size_t covered = run_deferred(t.store());
    t.injector().crash();
    t.restart();
    // What survived is the state after some prefix of the steps, records and chain alike, and
    // that prefix holds every step a completed sync covered.
    const auto records = t.store().load_consensus();
    std::optional<std::size_t> prefix;
    for (std::size_t k = covered; k <= steps.size() && !prefix; ++k) {
      if (records == records_after(steps, k) && t.store().height() == 5 + commits_in(steps, k)) prefix = k;
    }
    REQUIRE(prefix);
    prefixes_seen.insert(*prefix);
    crash::Reference ref;
    crash::check_exactly_at(t.store(), ref);
    CHECK(t.store().verify_state().is_ok());
  }
  // The power failed both between syncs and right after them.
  CHECK(prefixes_seen.size() >= 3);
}
