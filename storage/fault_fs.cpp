#include "storage/fault_fs.hpp"

#include <rocksdb/file_system.h>
#include <rocksdb/io_status.h>
#include <rocksdb/system_clock.h>

#include <string>
#include <utility>

namespace sharechain::storage {

using rocksdb::IODebugContext;
using rocksdb::IOOptions;
using rocksdb::IOStatus;
using rocksdb::Slice;

// Asks the injector about every operation that changes a file and does it only if allowed; opens
// files and directories wrapped the same way. Reads and everything else go straight through.
class FaultFs final : public rocksdb::FileSystemWrapper {
 public:
  FaultFs(const std::shared_ptr<rocksdb::FileSystem>& base, std::shared_ptr<FaultInjector> injector)
      : FileSystemWrapper(base), injector_(std::move(injector)) {}

  static const char* kClassName() { return "ShareChainFaultFs"; }
  const char* Name() const override { return kClassName(); }

  // The error RocksDB sees for an operation the injector did not let through.
  static IOStatus refusal(const FaultInjector::Pending& p) {
    if (p.action == FaultInjector::Action::kNoSpace) return IOStatus::NoSpace(p.why);
    return IOStatus::IOError(p.why);
  }

  // Runs an operation that either happens whole or not at all, if the injector lets it.
  template <typename Op>
  static IOStatus gate(FaultInjector& injector, FileOp op, const std::string& path,
                       std::uint64_t arg, const std::string& to, Op&& run) {
    auto p = injector.begin(op, path, arg, to);
    if (p.action != FaultInjector::Action::kProceed) {
      injector.end(p, false);
      return refusal(p);
    }
    IOStatus s = run();
    injector.end(p, s.ok());
    return s;
  }

  IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                           std::unique_ptr<rocksdb::FSWritableFile>* r,
                           IODebugContext* dbg) override;
  IOStatus ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                              std::unique_ptr<rocksdb::FSWritableFile>* r,
                              IODebugContext* dbg) override;
  IOStatus NewDirectory(const std::string& name, const IOOptions& o,
                        std::unique_ptr<rocksdb::FSDirectory>* r, IODebugContext* dbg) override;
  IOStatus RenameFile(const std::string& from, const std::string& to, const IOOptions& o,
                      IODebugContext* dbg) override;
  IOStatus DeleteFile(const std::string& f, const IOOptions& o, IODebugContext* dbg) override;
  IOStatus Truncate(const std::string& f, size_t size, const IOOptions& o,
                    IODebugContext* dbg) override;

  // Ways to change files that the store never uses. Refused rather than forwarded: forwarded,
  // they would write behind the injector's back and its model of the disk would be wrong.
  IOStatus ReuseWritableFile(const std::string&, const std::string&, const rocksdb::FileOptions&,
                             std::unique_ptr<rocksdb::FSWritableFile>*, IODebugContext*) override {
    return IOStatus::NotSupported("the fault injecting file system does not recycle WAL files");
  }
  IOStatus NewRandomRWFile(const std::string&, const rocksdb::FileOptions&,
                           std::unique_ptr<rocksdb::FSRandomRWFile>*, IODebugContext*) override {
    return IOStatus::NotSupported("the fault injecting file system has no read-write files");
  }
  IOStatus NewMemoryMappedFileBuffer(const std::string&,
                                     std::unique_ptr<rocksdb::MemoryMappedFileBuffer>*) override {
    return IOStatus::NotSupported("the fault injecting file system has no mapped buffers");
  }
  IOStatus LinkFile(const std::string&, const std::string&, const IOOptions&,
                    IODebugContext*) override {
    return IOStatus::NotSupported("the fault injecting file system does not link files");
  }

 private:
  std::shared_ptr<FaultInjector> injector_;
};

// A file open for writing: appends, syncs, truncation and close go through the injector.
class FaultFile final : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FaultFile(std::unique_ptr<rocksdb::FSWritableFile> base, std::shared_ptr<FaultInjector> injector,
            std::string path)
      : FSWritableFileOwnerWrapper(std::move(base)),
        injector_(std::move(injector)),
        path_(std::move(path)) {
    injector_->file_opened();
  }
  ~FaultFile() override { injector_->file_closed(); }

  IOStatus Append(const Slice& data, const IOOptions& o, IODebugContext* dbg) override {
    return append(data, [&](const Slice& d) { return target()->Append(d, o, dbg); });
  }
  IOStatus Append(const Slice& data, const IOOptions& o, const rocksdb::DataVerificationInfo& v,
                  IODebugContext* dbg) override {
    // The verification info describes all of `data`, so a prefix goes without it.
    return append(data, [&](const Slice& d) {
      return d.size() == data.size() ? target()->Append(d, o, v, dbg) : target()->Append(d, o, dbg);
    });
  }
  // Only direct I/O appends by position, and the store does not use it; RocksDB still appends
  // at the end of the file, so the model counts these as appends too.
  IOStatus PositionedAppend(const Slice& data, uint64_t offset, const IOOptions& o,
                            IODebugContext* dbg) override {
    return append(data,
                  [&](const Slice& d) { return target()->PositionedAppend(d, offset, o, dbg); });
  }
  IOStatus PositionedAppend(const Slice& data, uint64_t offset, const IOOptions& o,
                            const rocksdb::DataVerificationInfo& v, IODebugContext* dbg) override {
    return append(data, [&](const Slice& d) {
      return d.size() == data.size() ? target()->PositionedAppend(d, offset, o, v, dbg)
                                     : target()->PositionedAppend(d, offset, o, dbg);
    });
  }
  IOStatus Truncate(uint64_t size, const IOOptions& o, IODebugContext* dbg) override {
    return gated(FileOp::kTruncate, size, [&] { return target()->Truncate(size, o, dbg); });
  }
  IOStatus Close(const IOOptions& o, IODebugContext* dbg) override {
    return gated(FileOp::kClose, 0, [&] { return target()->Close(o, dbg); });
  }
  IOStatus Sync(const IOOptions& o, IODebugContext* dbg) override {
    return gated(FileOp::kSync, 0, [&] {
      return injector_->skipping_waits() ? IOStatus::OK() : target()->Sync(o, dbg);
    });
  }
  IOStatus Fsync(const IOOptions& o, IODebugContext* dbg) override {
    return gated(FileOp::kSync, 0, [&] {
      return injector_->skipping_waits() ? IOStatus::OK() : target()->Fsync(o, dbg);
    });
  }

 private:
  template <typename Write>
  IOStatus append(const Slice& data, Write&& write) {
    auto p = injector_->begin(FileOp::kAppend, path_, data.size());
    switch (p.action) {
      case FaultInjector::Action::kProceed: {
        IOStatus s = write(data);
        injector_->end(p, s.ok(), s.ok() ? data.size() : 0);
        return s;
      }
      case FaultInjector::Action::kTear:
      case FaultInjector::Action::kNoSpace: {
        // What fits (or what the tear keeps) is written, then the call fails, as a short
        // write(2) followed by ENOSPC or a power failure would leave it.
        IOStatus s = p.keep > 0 ? write(Slice(data.data(), p.keep)) : IOStatus::OK();
        injector_->end(p, false, s.ok() ? p.keep : 0);
        return FaultFs::refusal(p);
      }
      case FaultInjector::Action::kFail:
      case FaultInjector::Action::kRefuse:
        break;
    }
    injector_->end(p, false);
    return FaultFs::refusal(p);
  }

  template <typename Op>
  IOStatus gated(FileOp op, std::uint64_t arg, Op&& run) {
    return FaultFs::gate(*injector_, op, path_, arg, {}, std::forward<Op>(run));
  }

  std::shared_ptr<FaultInjector> injector_;
  std::string path_;
};

// A directory: its syncs are what make creations and renames in it durable.
class FaultDirectory final : public rocksdb::FSDirectoryWrapper {
 public:
  FaultDirectory(std::unique_ptr<rocksdb::FSDirectory> base,
                 std::shared_ptr<FaultInjector> injector, std::string path)
      : FSDirectoryWrapper(std::move(base)),
        injector_(std::move(injector)),
        path_(std::move(path)) {}

  IOStatus Fsync(const IOOptions& o, IODebugContext* dbg) override {
    return gated([&] {
      return injector_->skipping_waits() ? IOStatus::OK() : FSDirectoryWrapper::Fsync(o, dbg);
    });
  }
  IOStatus FsyncWithDirOptions(const IOOptions& o, IODebugContext* dbg,
                               const rocksdb::DirFsyncOptions& d) override {
    return gated([&] {
      return injector_->skipping_waits() ? IOStatus::OK()
                                         : FSDirectoryWrapper::FsyncWithDirOptions(o, dbg, d);
    });
  }

 private:
  template <typename Op>
  IOStatus gated(Op&& run) {
    return FaultFs::gate(*injector_, FileOp::kDirSync, path_, 0, {}, std::forward<Op>(run));
  }

  std::shared_ptr<FaultInjector> injector_;
  std::string path_;
};

IOStatus FaultFs::NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                  std::unique_ptr<rocksdb::FSWritableFile>* r,
                                  IODebugContext* dbg) {
  std::unique_ptr<rocksdb::FSWritableFile> base;
  IOStatus s = gate(*injector_, FileOp::kCreate, f, 0, {},
                    [&] { return target()->NewWritableFile(f, o, &base, dbg); });
  if (s.ok()) *r = std::make_unique<FaultFile>(std::move(base), injector_, f);
  return s;
}

IOStatus FaultFs::ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                     std::unique_ptr<rocksdb::FSWritableFile>* r,
                                     IODebugContext* dbg) {
  std::unique_ptr<rocksdb::FSWritableFile> base;
  IOStatus s = target()->ReopenWritableFile(f, o, &base, dbg);
  if (!s.ok()) return s;
  injector_->adopt(f);
  *r = std::make_unique<FaultFile>(std::move(base), injector_, f);
  return s;
}

IOStatus FaultFs::NewDirectory(const std::string& name, const IOOptions& o,
                               std::unique_ptr<rocksdb::FSDirectory>* r, IODebugContext* dbg) {
  std::unique_ptr<rocksdb::FSDirectory> base;
  IOStatus s = target()->NewDirectory(name, o, &base, dbg);
  if (s.ok()) *r = std::make_unique<FaultDirectory>(std::move(base), injector_, name);
  return s;
}

IOStatus FaultFs::RenameFile(const std::string& from, const std::string& to, const IOOptions& o,
                             IODebugContext* dbg) {
  return gate(*injector_, FileOp::kRename, from, 0, to,
              [&] { return target()->RenameFile(from, to, o, dbg); });
}

IOStatus FaultFs::DeleteFile(const std::string& f, const IOOptions& o, IODebugContext* dbg) {
  return gate(*injector_, FileOp::kDelete, f, 0, {},
              [&] { return target()->DeleteFile(f, o, dbg); });
}

IOStatus FaultFs::Truncate(const std::string& f, size_t size, const IOOptions& o,
                           IODebugContext* dbg) {
  return gate(*injector_, FileOp::kTruncate, f, size, {},
              [&] { return target()->Truncate(f, size, o, dbg); });
}

namespace {

// RocksDB waits a second after a failed background flush or compaction before it tries again;
// after a simulated power failure there is nothing to wait for.
class FaultClock final : public rocksdb::SystemClockWrapper {
 public:
  FaultClock(const std::shared_ptr<rocksdb::SystemClock>& base,
             std::shared_ptr<FaultInjector> injector)
      : SystemClockWrapper(base), injector_(std::move(injector)) {}
  static const char* kClassName() { return "ShareChainFaultClock"; }
  const char* Name() const override { return kClassName(); }
  void SleepForMicroseconds(int micros) override {
    if (!injector_->skipping_waits()) SystemClockWrapper::SleepForMicroseconds(micros);
  }

 private:
  std::shared_ptr<FaultInjector> injector_;
};

// The default Env (threads, clock) with the fault file system. RocksDB takes the file system and
// the clock from these two members; the composite Env underneath sends the older Env-level file
// calls to the same file system.
class FaultEnv final : public rocksdb::EnvWrapper {
 public:
  FaultEnv(const std::shared_ptr<FaultFs>& fs, const std::shared_ptr<FaultInjector>& injector)
      : EnvWrapper(rocksdb::NewCompositeEnv(fs)) {
    file_system_ = fs;
    system_clock_ = std::make_shared<FaultClock>(target()->GetSystemClock(), injector);
  }
  static const char* kClassName() { return "ShareChainFaultEnv"; }
  const char* Name() const override { return kClassName(); }
};

}  // namespace

std::unique_ptr<rocksdb::Env> make_fault_env(const std::shared_ptr<FaultInjector>& injector) {
  if (!injector) return nullptr;
  return std::make_unique<FaultEnv>(
      std::make_shared<FaultFs>(rocksdb::FileSystem::Default(), injector), injector);
}

}  // namespace sharechain::storage
