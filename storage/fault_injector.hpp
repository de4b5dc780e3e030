// FaultInjector: the storage fault seam for tests.
//
// Set in Options::fault_injector, it makes Store::open install a file system between RocksDB and
// the disk (fault_fs.cpp) that reports every file operation here before doing it, so a test can
// count what a store call does to its files and make any one of those operations fail. Without
// an injector RocksDB's own file system is used directly and none of this code runs.
//
// The injector also keeps what a power failure would keep: for every file written through it,
// how many bytes were synced and whether its directory entry was synced. After crash() (or a
// crash_after() countdown, or a torn write) every further mutating operation is refused, as if
// the machine had stopped; once the stores using it are closed, restart() makes the files what
// the disk would hold after the power came back, and clears every fault.
//
// The model of the disk (what survives a power failure):
//   - bytes appended to a file survive only up to its last completed sync;
//   - a file created, or a rename done, survives only if its directory was synced afterwards;
//     otherwise the file disappears and the rename is undone (the old target comes back);
//   - a deletion is durable at once (the harsher choice: a file deleted too early is gone);
//   - a torn append puts the first `keep` bytes on the disk and then the power fails;
//   - files the injector never saw being written (older than it, or RocksDB's info log) are
//     taken as durable.
//
// Thread-safe: RocksDB's foreground and background threads report here, one operation at a time.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proto/status.hpp"

namespace sharechain::storage {

// The files of a store's directory, by the role RocksDB gives them.
enum class FileKind : std::uint8_t {
  kWal,        // NNNNNN.log: every write batch lands here first
  kManifest,   // MANIFEST-NNNNNN: the log of which table files make up the database
  kSst,        // NNNNNN.sst: sorted tables written by flushes and compactions
  kCurrent,    // CURRENT, written as NNNNNN.dbtmp and renamed: names the live MANIFEST
  kOptions,    // OPTIONS-NNNNNN (and its .dbtmp)
  kDirectory,  // a directory, for kDirSync
  kOther,      // IDENTITY, LOCK, anything else
};
inline constexpr std::size_t kFileKindCount = 7;

enum class FileOp : std::uint8_t {
  kCreate,    // a file opened for writing, created or emptied
  kAppend,    // bytes written at the end of a file
  kSync,      // a file's bytes made durable (fsync / fdatasync)
  kClose,     // a file closed after writing
  kTruncate,  // a file's length set
  kRename,    // a file renamed, replacing the target (counted under the target's kind)
  kDelete,    // a file removed
  kDirSync,   // a directory's entries made durable: creations and renames in it survive
};
inline constexpr std::size_t kFileOpCount = 8;

std::string_view name(FileKind kind);
std::string_view name(FileOp op);
// The kind of a file from its name in a store directory ("000012.log" -> kWal).
FileKind classify(std::string_view file_name);

struct FileEvent {
  enum class Outcome : std::uint8_t {
    kDone,     // reached the file system (and it said OK)
    kFailed,   // an injected error, a full disk, or a real error from the file system
    kTorn,     // an append of which only a prefix was written, then the power failed
    kRefused,  // after the crash: nothing happened
  };
  std::uint64_t seq = 0;  // 1, 2, ... in the order operations reached the injector
  FileOp op = FileOp::kCreate;
  FileKind kind = FileKind::kOther;
  std::string file;          // name inside its directory; for kRename the new name
  std::string from;          // kRename: the old name
  std::uint64_t offset = 0;  // kAppend: file length before; kTruncate: the new length
  std::uint64_t bytes = 0;   // kAppend: bytes asked to write
  Outcome outcome = Outcome::kDone;

  // "#12 append WAL 000004.log @4096 +512", "#20 rename CURRENT 000009.dbtmp -> CURRENT", with
  // " FAILED", " TORN" or " REFUSED" when it did not simply happen.
  std::string to_string() const;
};

class FaultInjector {
 public:
  FaultInjector();
  ~FaultInjector();
  FaultInjector(const FaultInjector&) = delete;
  FaultInjector& operator=(const FaultInjector&) = delete;

  // ---- What the stores did. Every attempt counts, refused and failed ones too.
  std::uint64_t ops() const;  // operations so far; the seq of the latest event
  std::uint64_t count(FileOp op, FileKind kind) const;
  // The events with seq > after, oldest first.
  std::vector<FileEvent> events(std::uint64_t after = 0) const;
  std::uint64_t faults_fired() const;  // injected errors, full-disk refusals and tears

  // ---- Faults. `nth` counts matching operations from this call on: 1 is the next one. Several
  // may be pending; each fires once.

  // The nth (op, kind) operation fails with an I/O error and changes nothing: a failed append
  // writes nothing, a failed sync makes nothing durable (what was written stays written).
  void fail(FileOp op, FileKind kind, std::uint64_t nth = 1);
  // The nth append to a file of `kind` writes only its first `keep` bytes, which reach the disk,
  // and then the power fails (see crash()).
  void tear(FileKind kind, std::uint64_t nth, std::uint64_t keep);
  // Only `bytes` more fit on the disk: an append that does not fit writes what does and fails
  // with ENOSPC, and once nothing is left creating a file fails too. nullopt lifts the limit.
  void set_space_left(std::optional<std::uint64_t> bytes);
  void set_disk_full(bool full) {
    set_space_left(full ? std::optional<std::uint64_t>(0) : std::nullopt);
  }

  // The power fails just before the (n+1)th operation from now: n more operations happen, then
  // that one and every later one is refused. crash_after(0) stops at the very next operation.
  void crash_after(std::uint64_t n);
  // The power fails now.
  void crash();
  bool crashed() const;
  // The last operation that completed before the power failed; nullopt while the power is on,
  // or when it failed before any operation.
  std::optional<FileEvent> last_before_crash() const;

  // Removes pending faults and the space limit; the crash, if any, stays until restart().
  void clear_faults();

  // With `skip`, the waits a test of simulated failures has no use for are skipped: file and
  // directory syncs are recorded (and make data durable in the model) but not passed to the disk,
  // and RocksDB's back-off sleeps (a second after each failed flush or compaction) return at
  // once. The model alone then decides what a simulated power failure keeps; a real one is no
  // longer covered. Off by default.
  void skip_waits(bool skip);
  bool skipping_waits() const { return skip_waits_.load(); }

  // ---- Coming back.
  struct Restart {
    bool power_lost = false;            // crashed() was true
    std::uint64_t files_truncated = 0;  // cut back to their synced length
    std::uint64_t bytes_dropped = 0;
    std::uint64_t files_removed = 0;  // created but their directory never synced
    std::uint64_t renames_undone = 0;
  };
  // With every store using this injector closed: applies the power failure to the files if
  // there was one (with none, a clean shutdown, the files stay as written), clears all faults
  // and the crash, and starts tracking afresh (everything on disk now counts as durable).
  // FAILED_PRECONDITION while a file written through the injector is still open; UNAVAILABLE
  // if a file cannot be cut back or removed.
  Result<Restart> restart();

 private:
  friend class FaultFs;
  friend class FaultFile;
  friend class FaultDirectory;

  enum class Action : std::uint8_t { kProceed, kFail, kNoSpace, kTear, kRefuse };

  // One operation on its way to the disk. It holds the injector's lock from begin() to end(), so
  // operations are applied in the order of the event log.
  struct Pending {
    std::unique_lock<std::mutex> lock;
    Action action = Action::kProceed;
    std::uint64_t keep = 0;  // kTear, kNoSpace: bytes of the append still written
    std::string why;         // for the error the file system returns
    std::size_t event = 0;   // index in log_
    FileOp op = FileOp::kCreate;
    std::string path;
    std::string to;                // kRename
    bool existed_durable = false;  // kCreate: the file was there, and durable, before
  };
  // `arg`: kAppend the byte count; kTruncate the new length; otherwise unused.
  Pending begin(FileOp op, const std::string& path, std::uint64_t arg, const std::string& to = {});
  // Records what the file system did: `ok` whether it succeeded, `written` the bytes an append
  // put in the file (also on failure: a partial write).
  void end(Pending& p, bool ok, std::uint64_t written = 0);
  // A file opened to append to what it holds (RocksDB's ReopenWritableFile): tracked from its
  // present length, all of it durable, unless tracked already.
  void adopt(const std::string& path);
  void file_opened() { ++live_files_; }
  void file_closed() { --live_files_; }

  struct FileState {
    FileKind kind = FileKind::kOther;
    std::uint64_t size = 0;    // bytes in the file as the OS has it
    std::uint64_t synced = 0;  // bytes that survive a power failure
    bool entry_durable = false;
  };
  struct PendingRename {
    std::string from;
    std::string to;
    std::optional<std::string> old_content;  // of `to`, when it existed
    std::optional<FileState> old_state;      // of `to`, when it was tracked
  };
  struct Rule {
    FileOp op;
    FileKind kind;
    std::uint64_t remaining;
    Action action;
    std::uint64_t keep;
  };

  mutable std::mutex mu_;
  std::vector<FileEvent> log_;
  std::array<std::array<std::uint64_t, kFileKindCount>, kFileOpCount> counts_{};
  std::uint64_t fired_ = 0;
  std::vector<Rule> rules_;
  std::optional<std::uint64_t> space_left_;
  std::optional<std::uint64_t> crash_countdown_;
  bool crashed_ = false;
  std::optional<std::size_t> last_before_crash_;  // index in log_
  std::map<std::string, FileState> files_;        // by full path
  std::vector<PendingRename> renames_;            // not yet made durable by a directory sync
  std::atomic<int> live_files_{0};
  std::atomic<bool> skip_waits_{false};
};

}  // namespace sharechain::storage
