#include "tools/common/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "proto/crypto.hpp"

namespace sharechain::tools {
namespace fs = std::filesystem;
namespace {

Status errno_status(std::string_view what, const fs::path& path, int err) {
  std::string msg = std::string(what) + " " + path.string() + ": " + std::strerror(err);
  if (err == ENOENT) return Status::not_found(std::move(msg));
  if (err == EEXIST) return Status::already_exists(std::move(msg));
  if (err == EACCES || err == EPERM) return Status::permission_denied(std::move(msg));
  return Status::internal(std::move(msg));
}

Status write_all(int fd, std::string_view data, const fs::path& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_status("cannot write", path, errno);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return Status::ok();
}

// A rename or link is only durable once the folder holding the entry is synced too.
void sync_dir(const fs::path& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

Status write_file_atomic(const fs::path& path, std::string_view content, mode_t mode,
                         Overwrite overwrite) {
  std::uint8_t rnd[8];
  crypto::random_bytes(rnd, sizeof rnd);
  const fs::path dir = path.parent_path();
  const fs::path tmp =
      dir / ("." + path.filename().string() + ".tmp-" +
             crypto::to_hex(std::string_view(reinterpret_cast<const char*>(rnd), sizeof rnd)));
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return errno_status("cannot create", tmp, errno);
  // open(2) applies the umask; fchmod makes the mode exactly what the caller asked for.
  Status st = ::fchmod(fd, mode) == 0 ? Status::ok() : errno_status("cannot chmod", tmp, errno);
  if (st) st = write_all(fd, content, tmp);
  if (st && ::fsync(fd) != 0) st = errno_status("cannot sync", tmp, errno);
  ::close(fd);
  if (st) {
    if (overwrite == Overwrite::kYes) {
      if (::rename(tmp.c_str(), path.c_str()) != 0) st = errno_status("cannot replace", path, errno);
    } else {
      if (::link(tmp.c_str(), path.c_str()) != 0) {
        st = errno == EEXIST ? Status::already_exists(path.string() + " already exists")
                             : errno_status("cannot create", path, errno);
      }
    }
  }
  ::unlink(tmp.c_str());  // after rename it is already gone; ENOENT is expected then
  if (st) sync_dir(dir);
  return st;
}

Result<std::string> read_file(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_status("cannot read", path, errno);
  std::string out;
  char buf[8192];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return errno_status("cannot read", path, err);
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

Status make_dirs(const fs::path& dir, mode_t mode) {
  if (dir.empty()) return Status::ok();
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return Status::ok();
  const fs::path parent = dir.parent_path();
  if (!parent.empty() && parent != dir) {
    if (Status st = make_dirs(parent, 0755); !st) return st;
  }
  if (::mkdir(dir.c_str(), mode) != 0) {
    if (errno == EEXIST && fs::is_directory(dir, ec)) return Status::ok();
    return errno_status("cannot create folder", dir, errno);
  }
  if (::chmod(dir.c_str(), mode) != 0) return errno_status("cannot chmod", dir, errno);
  return Status::ok();
}

Result<mode_t> file_mode(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return errno_status("cannot stat", path, errno);
  return static_cast<mode_t>(st.st_mode & 07777);
}

}  // namespace sharechain::tools
