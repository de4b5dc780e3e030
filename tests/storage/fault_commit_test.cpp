// Power failures and torn writes in the block commit path, injected through the FaultInjector
// seam (storage/fault_injector.hpp). Every trial works on a fresh copy of a prepared store.
//   the seam sees every file       - reopening (recovery flushes, a new MANIFEST, CURRENT renamed,
//                                    OPTIONS), a commit, a consensus compaction and closing all
//                                    reach the injector, each operation counted under its file's
//                                    kind; file names map to kinds
//   power failure in two commits   - the first commit after a reopen (which also syncs the
//                                    directory) and the next: the power fails after each of
//                                    their file operations in turn. The store restarts exactly at
//                                    the last block whose WAL sync completed, never below an
//                                    acknowledged one, with that block's state, root and meta; its
//                                    state verifies and it commits the next block
//   power failure in a restore     - the same for restore_snapshot: the old height, or the whole
//                                    snapshot once its WAL sync completed
//   power failure in recovery      - reopening a store whose WAL holds five blocks, the power
//                                    failing after each of its operations: CURRENT names the old
//                                    MANIFEST until the directory sync after its rename, the new
//                                    one after; a clean open then finds the same five blocks and
//                                    commits the sixth
//   torn WAL tail                  - the WAL append of a block torn after 0, 1, ... bytes, at and
//                                    around the 32 KiB log block boundary it crosses, and after
//                                    all of them: the previous block, unless every byte made it
#include <algorithm>
#include <fstream>
#include <set>

#include "fault_test_util.hpp"

using namespace storage_test;
using namespace storage_test::fault;
using Outcome = FileEvent::Outcome;

namespace {

std::uint64_t count_in(const std::vector<FileEvent>& events, std::size_t first_n, FileOp op,
                       FileKind kind) {
  return static_cast<std::uint64_t>(
      std::count_if(events.begin(), events.begin() + static_cast<std::ptrdiff_t>(first_n),
                    [&](const FileEvent& e) { return e.op == op && e.kind == kind; }));
}

// The power failed after exactly `n` operations of the dry run's `trace`, and refused the next.
void check_crashed_after(const std::vector<FileEvent>& seen, const std::vector<FileEvent>& trace,
                         std::size_t n) {
  INFO("this trial saw:\n" << describe(seen));
  REQUIRE(seen.size() >= n);
  for (std::size_t k = 0; k < n; ++k) {
    REQUIRE(same_op(seen[k], trace[k]));
    REQUIRE(seen[k].outcome == Outcome::kDone);
  }
  if (n < trace.size()) {
    REQUIRE(seen.size() > n);
    REQUIRE(same_op(seen[n], trace[n]));
    REQUIRE(seen[n].outcome == Outcome::kRefused);
  }
  for (std::size_t k = n; k < seen.size(); ++k) REQUIRE(seen[k].outcome == Outcome::kRefused);
}

}  // namespace

TEST_CASE("file names map to kinds", "[fault]") {
  using storage::classify;
  CHECK(classify("000012.log") == FileKind::kWal);
  CHECK(classify("MANIFEST-000005") == FileKind::kManifest);
  CHECK(classify("000031.sst") == FileKind::kSst);
  CHECK(classify("CURRENT") == FileKind::kCurrent);
  CHECK(classify("000026.dbtmp") == FileKind::kCurrent);
  CHECK(classify("000000.dbtmp") == FileKind::kOther);  // IDENTITY's temporary file
  CHECK(classify("OPTIONS-000017") == FileKind::kOptions);
  CHECK(classify("OPTIONS-000027.dbtmp") == FileKind::kOptions);
  CHECK(classify("IDENTITY") == FileKind::kOther);
  CHECK(classify("LOCK") == FileKind::kOther);
  CHECK(classify("LOG") == FileKind::kOther);
  CHECK(classify("LOG.old.1796438750322744") == FileKind::kOther);
}

TEST_CASE("the seam sees every kind of file operation", "[fault]") {
  TempDir base;
  build_chain(base.db(), 5);
  storage::Options o;
  o.consensus_compact_after_deletes = 2;
  Trial t(base.db(), o);  // recovers five blocks from the WAL
  REQUIRE(commit_next(t.store()));
  REQUIRE(t.store().write_consensus({{"view", "1"}}, {"a", "b"}).is_ok());  // compacts
  t.close();

  const auto& inj = t.injector();
  const auto events = inj.events();
  INFO(describe(events));
  const std::pair<FileOp, FileKind> expected[] = {
      {FileOp::kCreate, FileKind::kWal},      {FileOp::kAppend, FileKind::kWal},
      {FileOp::kSync, FileKind::kWal},        {FileOp::kTruncate, FileKind::kWal},
      {FileOp::kClose, FileKind::kWal},       {FileOp::kDelete, FileKind::kWal},
      {FileOp::kCreate, FileKind::kManifest}, {FileOp::kAppend, FileKind::kManifest},
      {FileOp::kSync, FileKind::kManifest},   {FileOp::kDelete, FileKind::kManifest},
      {FileOp::kCreate, FileKind::kSst},      {FileOp::kAppend, FileKind::kSst},
      {FileOp::kSync, FileKind::kSst},        {FileOp::kClose, FileKind::kSst},
      {FileOp::kDelete, FileKind::kSst},      {FileOp::kCreate, FileKind::kCurrent},
      {FileOp::kSync, FileKind::kCurrent},    {FileOp::kRename, FileKind::kCurrent},
      {FileOp::kRename, FileKind::kOptions},  {FileOp::kDirSync, FileKind::kDirectory},
  };
  for (const auto& [op, kind] : expected) {
    INFO(name(op) << " " << name(kind));
    CHECK(inj.count(op, kind) > 0);
  }
  std::uint64_t total = 0;
  for (std::size_t op = 0; op < storage::kFileOpCount; ++op) {
    for (std::size_t kind = 0; kind < storage::kFileKindCount; ++kind) {
      total += inj.count(static_cast<FileOp>(op), static_cast<FileKind>(kind));
    }
  }
  CHECK(total == inj.ops());
  CHECK(total == events.size());
  CHECK(std::all_of(events.begin(), events.end(),
                    [](const FileEvent& e) { return e.outcome == Outcome::kDone; }));
  CHECK(inj.faults_fired() == 0);
}

TEST_CASE("a power failure after any file operation of a commit leaves a whole block", "[fault]") {
  TempDir base;
  build_chain(base.db(), 5);
  const auto commit_two = [](storage::Store& store) {
    std::uint64_t acked = 0;
    for (int i = 0; i < 2 && commit_next(store); ++i) ++acked;
    return acked;
  };

  std::vector<FileEvent> trace;
  {
    Trial dry(base.db());
    const auto mark = dry.injector().ops();
    REQUIRE(commit_two(dry.store()) == 2);
    trace = dry.injector().events(mark);
  }
  INFO("blocks 6 and 7 as committed:\n" << describe(trace));
  // Each commit is one WAL append and its sync; the first after opening also syncs the
  // directory. Nothing else is written.
  REQUIRE(count_in(trace, trace.size(), FileOp::kAppend, FileKind::kWal) == 2);
  REQUIRE(count_in(trace, trace.size(), FileOp::kSync, FileKind::kWal) == 2);
  REQUIRE(count_in(trace, trace.size(), FileOp::kDirSync, FileKind::kDirectory) == 1);
  REQUIRE(trace.size() == 5);

  std::vector<std::uint64_t> heights;
  for (std::size_t n = 0; n <= trace.size(); ++n) {
    INFO("the power fails after " << n << " of " << trace.size() << " operations");
    Trial t(base.db());
    const auto mark = t.injector().ops();
    t.injector().crash_after(n);
    const std::uint64_t acked = commit_two(t.store());
    t.injector().crash();  // after the last operation, too
    check_crashed_after(t.injector().events(mark), trace, n);
    const auto restart = t.restart();
    CHECK(restart.power_lost);
    // An append that was never synced is what the power failure takes.
    if (n > 0 && trace[n - 1].op == FileOp::kAppend) {
      CHECK(restart.bytes_dropped == trace[n - 1].bytes);
    } else {
      CHECK(restart.bytes_dropped == 0);
    }

    // The WAL itself was made durable when the store opened (its directory was synced), so a
    // block is on the disk exactly when the sync of its WAL append has completed.
    const std::uint64_t h = t.store().height();
    CHECK(h >= 5 + acked);
    CHECK(h == 5 + count_in(trace, n, FileOp::kSync, FileKind::kWal));
    crash::Reference ref;
    crash::check_exactly_at(t.store(), ref);
    REQUIRE(commit_next(t.store()));
    CHECK(t.store().height() == h + 1);
    CHECK(t.store().verify_state().is_ok());
    heights.push_back(h);
  }
  CHECK(heights.front() == 5);
  CHECK(heights.back() == 7);
  CHECK(std::is_sorted(heights.begin(), heights.end()));
}

TEST_CASE("a power failure after any file operation of a restore keeps one whole state",
          "[fault]") {
  TempDir base;
  build_chain(base.db(), 3);
  crash::Reference target;
  target.advance_to(40);
  const std::vector<std::pair<std::string, std::string>> entries(target.state().begin(),
                                                                 target.state().end());
  const auto block = crash::block_for(40, target.hash(39));
  const auto restore = [&](storage::Store& store) {
    return store.restore_snapshot(40, block.hash, block.block, 1040, target.root(40), entries);
  };

  std::vector<FileEvent> trace;
  {
    Trial dry(base.db());
    const auto mark = dry.injector().ops();
    REQUIRE(restore(dry.store()).is_ok());
    trace = dry.injector().events(mark);
  }
  INFO("the restore as done:\n" << describe(trace));
  REQUIRE(count_in(trace, trace.size(), FileOp::kSync, FileKind::kWal) == 1);

  std::set<std::uint64_t> seen;
  for (std::size_t n = 0; n <= trace.size(); ++n) {
    INFO("the power fails after " << n << " of " << trace.size() << " operations");
    Trial t(base.db());
    const auto mark = t.injector().ops();
    t.injector().crash_after(n);
    const bool acked = restore(t.store()).is_ok();
    t.injector().crash();
    check_crashed_after(t.injector().events(mark), trace, n);
    t.restart();

    const std::uint64_t h = t.store().height();
    const bool synced = count_in(trace, n, FileOp::kSync, FileKind::kWal) == 1;
    CHECK(h == (synced ? 40u : 3u));
    CHECK((!acked || h == 40));
    seen.insert(h);
    if (h == 3) {
      crash::Reference ref;
      crash::check_exactly_at(t.store(), ref);
    } else {
      CHECK(read_all(t.store()) == target.state());
      CHECK(t.store().state_root() == target.root(40));
      CHECK(t.store().last_block_hash() == target.hash(40));
      CHECK(t.store().state_root_at(3) == target.root(3));
      CHECK_FALSE(t.store().state_root_at(20).has_value());
      CHECK(t.store().verify_state().is_ok());
    }
    REQUIRE(commit_next(t.store()));
    CHECK(t.store().verify_state().is_ok());
  }
  CHECK(seen == std::set<std::uint64_t>{3, 40});
}

TEST_CASE("a power failure during recovery leaves the store recoverable", "[fault]") {
  // Built and closed cleanly: its five blocks are in the WAL only, so the next open flushes
  // them to tables, writes a new MANIFEST, renames CURRENT and deletes the old files.
  TempDir base;
  build_chain(base.db(), 5);
  const auto open_copy = [&](const TempDir& tmp, const std::shared_ptr<FaultInjector>& injector) {
    std::filesystem::copy(base.db(), tmp.db(), std::filesystem::copy_options::recursive);
    injector->skip_waits(true);
    storage::Options o;
    o.fault_injector = injector;
    return storage::Store::open(tmp.db(), o);
  };

  // CURRENT names the live MANIFEST.
  const auto current_of = [](const std::filesystem::path& dir) {
    std::ifstream in(dir / "CURRENT");
    std::string line;
    std::getline(in, line);
    return line;
  };
  const std::string old_manifest = current_of(base.db());

  std::vector<FileEvent> trace;
  std::string new_manifest;
  {
    TempDir tmp;
    auto injector = std::make_shared<FaultInjector>();
    auto opened = open_copy(tmp, injector);
    REQUIRE(opened.is_ok());
    trace = injector->events();
    new_manifest = current_of(tmp.db());
  }
  INFO("the recovery as done:\n" << describe(trace));
  REQUIRE(count_in(trace, trace.size(), FileOp::kRename, FileKind::kCurrent) == 1);
  REQUIRE(count_in(trace, trace.size(), FileOp::kCreate, FileKind::kSst) > 0);
  REQUIRE(old_manifest != new_manifest);
  // The new MANIFEST is live once the directory sync after CURRENT's rename completed.
  const auto renamed = std::find_if(trace.begin(), trace.end(), [](const FileEvent& e) {
    return e.op == FileOp::kRename && e.kind == FileKind::kCurrent;
  });
  const auto made_durable = std::find_if(
      renamed, trace.end(), [](const FileEvent& e) { return e.op == FileOp::kDirSync; });
  REQUIRE(made_durable != trace.end());
  const auto durable_after = static_cast<std::size_t>(made_durable - trace.begin()) + 1;

  std::size_t failed_opens = 0;
  std::size_t current_undone = 0;
  for (std::size_t n = 0; n <= trace.size(); ++n) {
    INFO("the power fails after " << n << " of " << trace.size() << " operations");
    TempDir tmp;
    auto injector = std::make_shared<FaultInjector>();
    injector->crash_after(n);
    {
      auto opened = open_copy(tmp, injector);
      if (!opened) ++failed_opens;
      injector->crash();
    }
    check_crashed_after(injector->events(), trace, n);
    auto restart = injector->restart();
    REQUIRE(restart.is_ok());
    const std::string current = current_of(tmp.db());
    CHECK(current == (n >= durable_after ? new_manifest : old_manifest));
    if (n > 0 && same_op(trace[n - 1], *renamed)) {
      CHECK(restart->renames_undone > 0);
      ++current_undone;
    }

    storage::Options o;
    o.fault_injector = injector;
    auto store = open_store(tmp.db(), o);
    crash::Reference ref;
    CHECK(store->height() == 5);
    crash::check_exactly_at(*store, ref);
    REQUIRE(commit_next(*store));
    CHECK(store->verify_state().is_ok());
  }
  // Most crash points stop the open half-way; one undoes CURRENT's rename.
  CHECK(failed_opens >= trace.size() / 2);
  CHECK(current_undone == 1);
}

TEST_CASE("a torn WAL tail restarts at the last whole block", "[fault]") {
  TempDir base;
  build_chain(base.db(), 5);
  constexpr std::uint64_t kLogBlock = 32 * 1024;  // RocksDB's WAL is framed in 32 KiB blocks

  // Find a block whose WAL record crosses a log block boundary, so the tears below also cut
  // between the record's fragments.
  struct Append {
    std::uint64_t height = 0;
    std::uint64_t offset = 0;
    std::uint64_t bytes = 0;
  };
  std::optional<Append> record;
  {
    Trial dry(base.db());
    while (!record && dry.store().height() < 20) {
      const auto mark = dry.injector().ops();
      REQUIRE(commit_next(dry.store()));
      const auto events = dry.injector().events(mark);
      REQUIRE(events.front().op == FileOp::kAppend);
      REQUIRE(count_in(events, events.size(), FileOp::kAppend, FileKind::kWal) == 1);
      const auto& a = events.front();
      if (a.offset / kLogBlock != (a.offset + a.bytes - 1) / kLogBlock) {
        record = Append{dry.store().height(), a.offset, a.bytes};
      }
    }
  }
  REQUIRE(record.has_value());
  const std::uint64_t boundary = kLogBlock - record->offset % kLogBlock;
  INFO("block " << record->height << ": " << record->bytes << " bytes at WAL offset "
                << record->offset << ", " << boundary << " of them before the boundary");

  std::set<std::uint64_t> keeps = {0, 1, 6, 7, 8, 100};
  for (std::uint64_t k : {boundary - 1, boundary, boundary + 1, boundary + 7, boundary + 8}) {
    keeps.insert(k);
  }
  for (std::uint64_t k = 0; k < record->bytes; k += record->bytes / 4) keeps.insert(k);
  keeps.insert(record->bytes - 1);
  keeps.insert(record->bytes);
  std::erase_if(keeps, [&](std::uint64_t k) { return k > record->bytes; });

  for (const std::uint64_t keep : keeps) {
    INFO("torn after " << keep << " of " << record->bytes << " bytes");
    Trial t(base.db());
    while (t.store().height() + 1 < record->height) REQUIRE(commit_next(t.store()));
    const auto mark = t.injector().ops();
    t.injector().tear(FileKind::kWal, 1, keep);
    CHECK_FALSE(commit_next(t.store()));
    REQUIRE(t.injector().crashed());
    const auto events = t.injector().events(mark);
    REQUIRE(events.front().outcome == Outcome::kTorn);
    REQUIRE(events.front().offset == record->offset);
    REQUIRE(events.front().bytes == record->bytes);
    CHECK(t.injector().faults_fired() == 1);

    const auto restart = t.restart();
    CHECK(restart.power_lost);
    CHECK(restart.bytes_dropped == 0);  // the torn prefix is on the disk
    const std::uint64_t expected = keep == record->bytes ? record->height : record->height - 1;
    CHECK(t.store().height() == expected);
    crash::Reference ref;
    crash::check_exactly_at(t.store(), ref);
    REQUIRE(commit_next(t.store()));
    t.restart();  // and again, cleanly: the torn bytes must not trouble a later recovery
    CHECK(t.store().height() == expected + 1);
    crash::Reference again;
    crash::check_exactly_at(t.store(), again);
  }
}
