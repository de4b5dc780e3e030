// Internal to storage/: the RocksDB handles and the helpers every storage file shares. Nothing
// outside storage/ includes this, so RocksDB stays an implementation detail of the module.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/listener.h>
#include <rocksdb/status.h>
#include <rocksdb/write_batch.h>

#include <array>
#include <cstdint>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "proto/status.hpp"
#include "storage/keys.hpp"
#include "storage/store.hpp"
#include "storage/lthash.hpp"

namespace sharechain::storage {

enum Cf : std::size_t { kBlocksCf, kIndexCf, kReceiptsCf, kStateCf, kConsensusCf, kMetaCf, kCfCount };
inline constexpr std::array<const char*, kCfCount> kCfNames = {
    keys::kBlocks, keys::kIndex, keys::kReceipts, keys::kState, keys::kConsensus, keys::kMeta};

struct Db {
  // The Env of a store opened with a fault injector (null otherwise). Declared first so it is
  // destroyed last: the database uses it until it is closed.
  std::unique_ptr<rocksdb::Env> env;
  std::unique_ptr<rocksdb::DB> db;
  std::array<rocksdb::ColumnFamilyHandle*, kCfCount> cf{};
  rocksdb::ColumnFamilyHandle* default_cf = nullptr;
  rocksdb::WriteOptions write_options;

  Db() = default;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  // Handles must be destroyed before the DB they belong to.
  ~Db() {
    if (!db) return;
    for (auto* h : cf) {
      if (h != nullptr) db->DestroyColumnFamilyHandle(h);
    }
    if (default_cf != nullptr) db->DestroyColumnFamilyHandle(default_cf);
    db->Close().PermitUncheckedError();
  }

  rocksdb::ColumnFamilyHandle* h(Cf c) const { return cf[c]; }

  // Point read; nullopt when absent. A read error is not an expected condition for a local
  // database (it means a failing disk or corrupted files), and a reader that treated it as
  // "absent" would make wrong decisions, so it halts.
  std::optional<std::string> get(Cf c, std::string_view key,
                                 const rocksdb::Snapshot* snap = nullptr) const;
};

rocksdb::Slice slice(std::string_view s);
inline std::string_view view(const rocksdb::Slice& s) { return {s.data(), s.size()}; }

// Maps a RocksDB failure to a Status with the operation named: a full disk is
// RESOURCE_EXHAUSTED, other IO errors and a held lock are UNAVAILABLE (retry or operator action),
// corruption is INTERNAL.
Status from_rocks(const rocksdb::Status& s, std::string_view what);

// Adds to `batch` the meta of a store whose last block is `height`: head fields, accumulator,
// root and the per-height root record.
void put_meta(const Db& db, rocksdb::WriteBatch& batch, std::uint64_t height,
              const crypto::Hash& block_hash, std::uint64_t timestamp_ms, const LtHash& acc,
              const crypto::Hash& root);

[[noreturn]] void halt(std::string_view what, const rocksdb::Status& s);

// Keeps RocksDB stopped after a failed write instead of letting it resume on its own. Its resume
// (after ENOSPC, once space is free) flushes the column families one at a time, after syncing
// the WAL with the failed write's partial record in it; a crash between two of those flushes
// leaves a store that refuses to open ("SST file is ahead of WALs", shown by
// tests/storage/fault_error_test.cpp). The store's contract is already that a failed write
// needs a reopen, and recovery at open flushes every family in one MANIFEST edit.
class NoAutoResume final : public rocksdb::EventListener {
 public:
  const char* Name() const override { return "ShareChainNoAutoResume"; }
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason reason, rocksdb::Status bg_error,
                            bool* auto_recovery) override;
};

// RocksDB's info log, sent to a LogSink instead of the LOG file RocksDB would keep in the data
// directory. That file is written through RocksDB's WritableFileWriter, which in Debian's 7.8
// (built with assertions) aborts on the next append once one append has failed: on a full disk
// the first background-error message then killed the process before the store could report the
// error (reproduced on a 6 MB tmpfs; the trace ends in EnvLogger::Logv).
class SinkLogger final : public rocksdb::Logger {
 public:
  explicit SinkLogger(LogSink sink);
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override;
  void Logv(rocksdb::InfoLogLevel level, const char* format, va_list ap) override;

 private:
  LogSink sink_;
};

// Warnings and errors to stderr: the sink of a store whose owner named none.
LogSink stderr_log_sink();

}  // namespace sharechain::storage
