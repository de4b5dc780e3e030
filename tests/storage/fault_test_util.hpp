// Helpers for the fault tests: a prepared store copied afresh for every trial, opened through a
// FaultInjector, and the power cycle (close, lose what was not synced, reopen).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "crash_checks.hpp"
#include "storage/fault_injector.hpp"

namespace storage_test::fault {

using storage::FaultInjector;
using storage::FileEvent;
using storage::FileKind;
using storage::FileOp;

// The crash chain committed up to `height` in `dir`, then closed: the starting point every
// trial copies. Every file in it counts as durable for the injectors of the trials.
inline void build_chain(const std::filesystem::path& dir, std::uint64_t height) {
  auto injector = std::make_shared<FaultInjector>();
  injector->skip_waits(true);  // only simulated power failures follow
  storage::Options o;
  o.fault_injector = injector;
  auto store = open_store(dir, o);
  REQUIRE(store->init_genesis(genesis_hash(crash::kGenesisName), crash::genesis_writes()).is_ok());
  while (store->height() < height) {
    const std::uint64_t h = store->height() + 1;
    auto b = crash::block_for(h, store->last_block_hash());
    REQUIRE(store->commit_block(h, b.hash, b.block, 1000 + h, b.receipts, crash::writes_for(h)));
  }
}

// Commits the crash chain's next block.
inline sharechain::Result<crypto::Hash> commit_next(storage::Store& store) {
  const std::uint64_t h = store.height() + 1;
  auto b = crash::block_for(h, store.last_block_hash());
  return store.commit_block(h, b.hash, b.block, 1000 + h, b.receipts, crash::writes_for(h));
}

// One trial: a private copy of a prepared store, open through its own injector.
class Trial {
 public:
  explicit Trial(const std::filesystem::path& prepared, storage::Options options = {})
      : injector_(std::make_shared<FaultInjector>()), options_(std::move(options)) {
    std::filesystem::copy(prepared, tmp_.db(), std::filesystem::copy_options::recursive);
    options_.fault_injector = injector_;
    injector_->skip_waits(true);  // the injector's model is the disk here
    store_ = open_store(tmp_.db(), options_);
  }

  storage::Store& store() { return *store_; }
  FaultInjector& injector() { return *injector_; }
  std::filesystem::path dir() const { return tmp_.db(); }

  // Closes the store, makes the files what the disk holds after the power comes back (or, with
  // no crash, after a clean shutdown), clears the faults and opens the store again.
  FaultInjector::Restart restart() {
    store_.reset();
    auto r = injector_->restart();
    REQUIRE(r.is_ok());
    store_ = open_store(tmp_.db(), options_);
    return *r;
  }
  // Closes the store and restarts the injector without reopening.
  FaultInjector::Restart close() {
    store_.reset();
    auto r = injector_->restart();
    REQUIRE(r.is_ok());
    return *r;
  }
  void reopen() { store_ = open_store(tmp_.db(), options_); }

 private:
  TempDir tmp_;
  std::shared_ptr<FaultInjector> injector_;
  storage::Options options_;
  std::unique_ptr<storage::Store> store_;
};

inline std::string describe(const std::vector<FileEvent>& events) {
  std::string s;
  for (const auto& e : events) s += "  " + e.to_string() + "\n";
  return s;
}

// The same operation on the same file: what a trial's crash point is compared with in the dry
// run's trace. RocksDB names an old info log after the time it is moved aside, so any two of
// those match.
inline bool same_op(const FileEvent& a, const FileEvent& b) {
  const auto info_log = [](const std::string& f) { return f.rfind("LOG", 0) == 0; };
  return a.op == b.op && a.kind == b.kind && a.from == b.from &&
         (a.file == b.file || (info_log(a.file) && info_log(b.file)));
}

}  // namespace storage_test::fault
