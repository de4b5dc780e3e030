#include "storage/fault_injector.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

namespace sharechain::storage {
namespace {

namespace fs = std::filesystem;

// Renames replace small files only (CURRENT, OPTIONS, IDENTITY); the old target is kept in
// memory to undo the rename, so a bigger one is taken as durable at once rather than copied.
constexpr std::uint64_t kMaxUndoBytes = 4 << 20;

// RocksDB names a directory and the files in it with the same prefix, but a trailing separator
// or a "." would make equal directories compare unequal.
std::string normal_dir(const fs::path& dir) {
  std::string s = dir.lexically_normal().string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

std::string parent_of(const std::string& path) { return normal_dir(fs::path(path).parent_path()); }

std::string base_of(const std::string& path) { return fs::path(path).filename().string(); }

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
}

bool mutates_space(FileOp op) { return op == FileOp::kCreate || op == FileOp::kAppend; }

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

std::string_view name(FileKind kind) {
  switch (kind) {
    case FileKind::kWal:
      return "WAL";
    case FileKind::kManifest:
      return "MANIFEST";
    case FileKind::kSst:
      return "SST";
    case FileKind::kCurrent:
      return "CURRENT";
    case FileKind::kOptions:
      return "OPTIONS";
    case FileKind::kDirectory:
      return "directory";
    case FileKind::kOther:
      break;
  }
  return "other";
}

std::string_view name(FileOp op) {
  switch (op) {
    case FileOp::kCreate:
      return "create";
    case FileOp::kAppend:
      return "append";
    case FileOp::kSync:
      return "sync";
    case FileOp::kClose:
      return "close";
    case FileOp::kTruncate:
      return "truncate";
    case FileOp::kRename:
      return "rename";
    case FileOp::kDelete:
      return "delete";
    case FileOp::kDirSync:
      break;
  }
  return "dirsync";
}

FileKind classify(std::string_view file) {
  if (file == "CURRENT") return FileKind::kCurrent;
  if (file.rfind("MANIFEST-", 0) == 0) return FileKind::kManifest;
  if (file.rfind("OPTIONS-", 0) == 0) return FileKind::kOptions;
  const auto dot = file.find('.');
  if (dot == std::string_view::npos || !all_digits(file.substr(0, dot))) return FileKind::kOther;
  const std::string_view ext = file.substr(dot + 1);
  if (ext == "log") return FileKind::kWal;
  if (ext == "sst") return FileKind::kSst;
  // RocksDB writes CURRENT as <manifest number>.dbtmp and renames it; number 0 is the temporary
  // file of IDENTITY, written once when the database is created.
  if (ext == "dbtmp") {
    return std::all_of(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(dot),
                       [](char c) { return c == '0'; })
               ? FileKind::kOther
               : FileKind::kCurrent;
  }
  return FileKind::kOther;
}

std::string FileEvent::to_string() const {
  std::string s = "#" + std::to_string(seq) + " " + std::string(name(op)) + " " +
                  std::string(name(kind)) + " " + file;
  if (op == FileOp::kAppend) s += " @" + std::to_string(offset) + " +" + std::to_string(bytes);
  if (op == FileOp::kTruncate) s += " to " + std::to_string(offset);
  if (op == FileOp::kRename) s = s.substr(0, s.size() - file.size()) + from + " -> " + file;
  switch (outcome) {
    case Outcome::kDone:
      break;
    case Outcome::kFailed:
      s += " FAILED";
      break;
    case Outcome::kTorn:
      s += " TORN";
      break;
    case Outcome::kRefused:
      s += " REFUSED";
      break;
  }
  return s;
}

FaultInjector::FaultInjector() = default;
void FaultInjector::adopt(const std::string& path) {
  std::lock_guard lock(mu_);
  if (files_.count(path) != 0) return;
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) return;
  files_[path] = FileState{classify(base_of(path)), size, size, true};
}
FaultInjector::~FaultInjector() = default;

std::uint64_t FaultInjector::ops() const {
  std::lock_guard lock(mu_);
  return log_.size();
}

std::uint64_t FaultInjector::count(FileOp op, FileKind kind) const {
  std::lock_guard lock(mu_);
  return counts_[static_cast<std::size_t>(op)][static_cast<std::size_t>(kind)];
}

std::vector<FileEvent> FaultInjector::events(std::uint64_t after) const {
  std::lock_guard lock(mu_);
  if (after >= log_.size()) return {};
  return {log_.begin() + static_cast<std::ptrdiff_t>(after), log_.end()};
}

std::uint64_t FaultInjector::faults_fired() const {
  std::lock_guard lock(mu_);
  return fired_;
}

void FaultInjector::fail(FileOp op, FileKind kind, std::uint64_t nth) {
  std::lock_guard lock(mu_);
  rules_.push_back(Rule{op, kind, std::max<std::uint64_t>(nth, 1), Action::kFail, 0});
}

void FaultInjector::tear(FileKind kind, std::uint64_t nth, std::uint64_t keep) {
  std::lock_guard lock(mu_);
  rules_.push_back(
      Rule{FileOp::kAppend, kind, std::max<std::uint64_t>(nth, 1), Action::kTear, keep});
}

void FaultInjector::set_space_left(std::optional<std::uint64_t> bytes) {
  std::lock_guard lock(mu_);
  space_left_ = bytes;
}

void FaultInjector::crash_after(std::uint64_t n) {
  std::lock_guard lock(mu_);
  crash_countdown_ = n;
}

void FaultInjector::crash() {
  std::lock_guard lock(mu_);
  if (crashed_) return;
  crashed_ = true;
  if (!log_.empty()) last_before_crash_ = log_.size() - 1;
}

bool FaultInjector::crashed() const {
  std::lock_guard lock(mu_);
  return crashed_;
}

std::optional<FileEvent> FaultInjector::last_before_crash() const {
  std::lock_guard lock(mu_);
  if (!last_before_crash_) return std::nullopt;
  return log_[*last_before_crash_];
}

void FaultInjector::skip_waits(bool skip) { skip_waits_ = skip; }

void FaultInjector::clear_faults() {
  std::lock_guard lock(mu_);
  rules_.clear();
  space_left_.reset();
  crash_countdown_.reset();
}

FaultInjector::Pending FaultInjector::begin(FileOp op, const std::string& path, std::uint64_t arg,
                                            const std::string& to) {
  Pending p;
  p.lock = std::unique_lock(mu_);
  p.op = op;
  p.path = path;
  p.to = to;

  FileEvent e;
  e.seq = log_.size() + 1;
  e.op = op;
  if (op == FileOp::kDirSync) {
    e.kind = FileKind::kDirectory;
    e.file = base_of(path);
  } else if (op == FileOp::kRename) {
    e.file = base_of(to);
    e.from = base_of(path);
    e.kind = classify(e.file);
  } else {
    e.file = base_of(path);
    e.kind = classify(e.file);
  }
  if (op == FileOp::kAppend) {
    const auto it = files_.find(path);
    e.offset = it == files_.end() ? 0 : it->second.size;
    e.bytes = arg;
  } else if (op == FileOp::kTruncate) {
    e.offset = arg;
  }
  ++counts_[static_cast<std::size_t>(op)][static_cast<std::size_t>(e.kind)];

  const std::string what = std::string(name(op)) + " " + std::string(name(e.kind)) + " " + e.file;
  if (!crashed_ && crash_countdown_) {
    if (*crash_countdown_ == 0) {
      crashed_ = true;
      crash_countdown_.reset();
      if (!log_.empty()) last_before_crash_ = log_.size() - 1;
    } else {
      --*crash_countdown_;
    }
  }
  if (crashed_) {
    p.action = Action::kRefuse;
    p.why = "simulated power failure: " + what + " never reached the disk";
  } else {
    for (auto it = rules_.begin(); it != rules_.end(); ++it) {
      if (it->op != op || it->kind != e.kind || --it->remaining != 0) continue;
      p.action = it->action;
      p.keep = std::min(it->keep, arg);
      p.why = it->action == Action::kTear
                  ? "simulated torn write: " + std::to_string(p.keep) + " of " +
                        std::to_string(arg) + " bytes of " + what + " reached the disk"
                  : "injected I/O error in " + what;
      rules_.erase(it);
      ++fired_;
      break;
    }
    if (p.action == Action::kProceed && space_left_ && mutates_space(op) &&
        (op == FileOp::kCreate ? *space_left_ == 0 : arg > *space_left_)) {
      p.action = Action::kNoSpace;
      p.keep = op == FileOp::kAppend ? *space_left_ : 0;
      p.why = "injected full disk in " + what;
      ++fired_;
    }
  }
  switch (p.action) {
    case Action::kProceed:
      e.outcome = FileEvent::Outcome::kDone;
      break;
    case Action::kTear:
      e.outcome = FileEvent::Outcome::kTorn;
      break;
    case Action::kRefuse:
      e.outcome = FileEvent::Outcome::kRefused;
      break;
    case Action::kFail:
    case Action::kNoSpace:
      e.outcome = FileEvent::Outcome::kFailed;
      break;
  }
  p.event = log_.size();
  log_.push_back(std::move(e));

  // A file that existed before this injector saw it was durable; opening it for writing again
  // does not make its directory entry any less so.
  if (p.action == Action::kProceed && op == FileOp::kCreate) {
    const auto it = files_.find(path);
    std::error_code ec;
    p.existed_durable = it != files_.end() ? it->second.entry_durable : fs::exists(path, ec);
  }
  // A rename's undo needs the target as it was; read it before the file system replaces it.
  if (p.action == Action::kProceed && op == FileOp::kRename) {
    PendingRename r{path, to, std::nullopt, std::nullopt};
    std::error_code ec;
    const auto size = fs::file_size(to, ec);
    if (!ec && size <= kMaxUndoBytes) r.old_content = read_file(to);
    if (const auto it = files_.find(to); it != files_.end()) r.old_state = it->second;
    if (ec || r.old_content) renames_.push_back(std::move(r));
  }
  return p;
}

void FaultInjector::end(Pending& p, bool ok, std::uint64_t written) {
  FileEvent& e = log_[p.event];
  if (!ok && e.outcome == FileEvent::Outcome::kDone) e.outcome = FileEvent::Outcome::kFailed;

  switch (p.op) {
    case FileOp::kCreate:
      // A file opened for writing again keeps the directory entry it had; its bytes start over.
      if (ok) files_[p.path] = FileState{e.kind, 0, 0, p.existed_durable};
      break;
    case FileOp::kAppend:
      if (space_left_) *space_left_ -= std::min(written, *space_left_);
      if (const auto it = files_.find(p.path); it != files_.end()) {
        it->second.size += written;
        if (p.action == Action::kTear) it->second.synced = it->second.size;  // reached the disk
      }
      break;
    case FileOp::kSync:
      if (const auto it = files_.find(p.path); ok && it != files_.end()) {
        it->second.synced = it->second.size;
      }
      break;
    case FileOp::kTruncate:
      if (const auto it = files_.find(p.path); ok && it != files_.end()) {
        it->second.size = e.offset;
        it->second.synced = std::min(it->second.synced, it->second.size);
      }
      break;
    case FileOp::kRename:
      if (ok) {
        if (const auto it = files_.find(p.path); it != files_.end()) {
          FileState moved = it->second;
          moved.kind = e.kind;
          files_.erase(it);
          files_[p.to] = moved;
        }
      } else if (p.action == Action::kProceed && !renames_.empty() &&
                 renames_.back().from == p.path && renames_.back().to == p.to) {
        renames_.pop_back();  // pushed by begin() for this very rename
      }
      break;
    case FileOp::kDelete:
      if (ok) files_.erase(p.path);
      break;
    case FileOp::kDirSync:
      if (ok) {
        const std::string dir = normal_dir(p.path);
        for (auto& [path, f] : files_) {
          if (parent_of(path) == dir) f.entry_durable = true;
        }
        std::erase_if(renames_, [&](const PendingRename& r) { return parent_of(r.to) == dir; });
      }
      break;
    case FileOp::kClose:
      break;
  }
  if (p.action == Action::kTear && !crashed_) {
    crashed_ = true;
    last_before_crash_ = p.event;
  }
  p.lock.unlock();
}

Result<FaultInjector::Restart> FaultInjector::restart() {
  std::lock_guard lock(mu_);
  if (live_files_.load() != 0) {
    return Status::failed_precondition(std::to_string(live_files_.load()) +
                                       " files written through the fault injector are still "
                                       "open; close the store before restart()");
  }
  Restart r;
  r.power_lost = crashed_;
  if (crashed_) {
    std::error_code ec;
    // Undo the renames no directory sync made durable, newest first, so a chain of renames
    // unwinds to the oldest durable name.
    for (auto it = renames_.rbegin(); it != renames_.rend(); ++it) {
      if (fs::exists(it->to, ec)) {
        fs::rename(it->to, it->from, ec);
        if (ec) return Status::unavailable("undo rename of " + it->to + ": " + ec.message());
        if (const auto f = files_.find(it->to); f != files_.end()) {
          files_[it->from] = f->second;
          files_.erase(f);
        }
      }
      if (it->old_content) {
        std::ofstream out(it->to, std::ios::binary | std::ios::trunc);
        out.write(it->old_content->data(), static_cast<std::streamsize>(it->old_content->size()));
        if (!out) return Status::unavailable("restore " + it->to + " after an undone rename");
        FileState restored{classify(base_of(it->to)), it->old_content->size(),
                           it->old_content->size(), true};
        files_[it->to] = it->old_state.value_or(restored);
      }
      ++r.renames_undone;
    }
    for (const auto& [path, f] : files_) {
      if (!fs::exists(path, ec)) continue;
      if (!f.entry_durable) {
        fs::remove(path, ec);
        if (ec) return Status::unavailable("remove " + path + ": " + ec.message());
        ++r.files_removed;
        continue;
      }
      const auto size = fs::file_size(path, ec);
      if (ec) return Status::unavailable("size of " + path + ": " + ec.message());
      if (size > f.synced) {
        fs::resize_file(path, f.synced, ec);
        if (ec) return Status::unavailable("truncate " + path + ": " + ec.message());
        ++r.files_truncated;
        r.bytes_dropped += size - f.synced;
      }
    }
  }
  files_.clear();
  renames_.clear();
  rules_.clear();
  space_left_.reset();
  crash_countdown_.reset();
  crashed_ = false;
  last_before_crash_.reset();
  return r;
}

}  // namespace sharechain::storage
