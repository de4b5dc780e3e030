#include "storage/db.hpp"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace sharechain::storage {

rocksdb::Slice slice(std::string_view s) { return {s.data(), s.size()}; }

std::optional<std::string> Db::get(Cf c, std::string_view key,
                                   const rocksdb::Snapshot* snap) const {
  rocksdb::ReadOptions ro;
  ro.snapshot = snap;
  std::string value;
  const auto s = db->Get(ro, cf[c], slice(key), &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) halt(std::string("read from ") + kCfNames[c], s);
  return value;
}

void put_meta(const Db& db, rocksdb::WriteBatch& batch, std::uint64_t height,
              const crypto::Hash& block_hash, std::uint64_t timestamp_ms, const LtHash& acc,
              const crypto::Hash& root) {
  auto* meta = db.h(kMetaCf);
  batch.Put(meta, slice(keys::kMetaHeight), keys::u64(height));
  batch.Put(meta, slice(keys::kMetaLastBlockHash), crypto::hash_bytes(block_hash));
  batch.Put(meta, slice(keys::kMetaLastTimestamp), keys::u64(timestamp_ms));
  batch.Put(meta, slice(keys::kMetaStateRoot), crypto::hash_bytes(root));
  batch.Put(meta, slice(keys::kMetaAccumulator), acc.bytes());
  batch.Put(meta, keys::root_key(height), crypto::hash_bytes(root));
}

Status from_rocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::ok();
  std::string msg = std::string(what) + ": " + s.ToString();
  if (s.IsNotFound()) return Status::not_found(std::move(msg));
  if (s.IsInvalidArgument()) return Status::invalid_argument(std::move(msg));
  // Freeing disk space is what brings the node back, not a retry.
  if (s.IsNoSpace()) return Status::resource_exhausted(std::move(msg));
  if (s.IsIOError() || s.IsBusy() || s.IsTimedOut() || s.IsTryAgain() || s.IsIncomplete() ||
      s.IsShutdownInProgress()) {
    return Status::unavailable(std::move(msg));
  }
  return Status::internal(std::move(msg));
}

void NoAutoResume::OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason, rocksdb::Status bg_error,
                                        bool* auto_recovery) {
  bg_error.PermitUncheckedError();
  *auto_recovery = false;
}

SinkLogger::SinkLogger(LogSink sink) : sink_(std::move(sink)) {}

void SinkLogger::Logv(const char* format, va_list ap) { Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap); }

void SinkLogger::Logv(rocksdb::InfoLogLevel level, const char* format, va_list ap) {
  if (level < GetInfoLogLevel()) return;
  char small[512];
  va_list again;
  va_copy(again, ap);
  const int n = std::vsnprintf(small, sizeof small, format, ap);
  std::string text;
  if (n < 0) {
    text = format;
  } else if (static_cast<std::size_t>(n) < sizeof small) {
    text.assign(small, static_cast<std::size_t>(n));
  } else {
    text.resize(static_cast<std::size_t>(n) + 1);
    std::vsnprintf(text.data(), text.size(), format, again);
    text.resize(static_cast<std::size_t>(n));
  }
  va_end(again);
  const LogLevel mapped = level <= rocksdb::InfoLogLevel::DEBUG_LEVEL  ? LogLevel::kDebug
                          : level == rocksdb::InfoLogLevel::INFO_LEVEL  ? LogLevel::kInfo
                          : level == rocksdb::InfoLogLevel::WARN_LEVEL  ? LogLevel::kWarn
                          : level == rocksdb::InfoLogLevel::HEADER_LEVEL ? LogLevel::kDebug
                                                                         : LogLevel::kError;
  sink_(mapped, text);
}

LogSink stderr_log_sink() {
  return [](LogLevel level, std::string_view text) {
    if (level < LogLevel::kWarn) return;
    std::fprintf(stderr, "rocksdb %s: %.*s\n", level == LogLevel::kWarn ? "warning" : "error",
                 static_cast<int>(text.size()), text.data());
  };
}

void halt(std::string_view what, const rocksdb::Status& s) {
  std::fprintf(stderr, "sharechain storage: %.*s failed: %s; halting\n",
               static_cast<int>(what.size()), what.data(), s.ToString().c_str());
  std::abort();
}

}  // namespace sharechain::storage
