#include "tools/net/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "tools/common/cli.hpp"
#include "tools/common/files.hpp"

namespace sharechain::net {
namespace fs = std::filesystem;

namespace {

bool is_executable_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
}

// The process's argv as recorded by the kernel; nullopt when /proc does not have it.
std::optional<std::vector<std::string>> command_line(pid_t pid) {
  Result<std::string> raw = tools::read_file("/proc/" + std::to_string(pid) + "/cmdline");
  if (!raw) return std::nullopt;
  std::vector<std::string> args;
  std::string_view rest = *raw;
  while (!rest.empty()) {
    const auto nul = rest.find('\0');
    args.emplace_back(rest.substr(0, nul));
    if (nul == std::string_view::npos) break;
    rest.remove_prefix(nul + 1);
  }
  return args;
}

}  // namespace

fs::path self_executable() {
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : p;
}

Result<fs::path> find_daemon(std::string_view flag, const fs::path& self) {
  if (!flag.empty()) {
    const fs::path p = fs::absolute(fs::path(flag));
    if (!is_executable_file(p)) {
      return Status::invalid_argument("--bin " + p.string() + " is not an executable file");
    }
    return p;
  }
  if (const char* env = std::getenv(std::string(kDaemonEnv).c_str()); env != nullptr && *env != '\0') {
    const fs::path p = fs::absolute(fs::path(env));
    if (!is_executable_file(p)) {
      return Status::invalid_argument("$" + std::string(kDaemonEnv) + "=" + p.string() +
                                      " is not an executable file");
    }
    return p;
  }
  std::vector<fs::path> looked;
  if (!self.empty()) {
    const fs::path dir = self.parent_path();
    for (const fs::path& p : {dir / kDaemonName, (dir / ".." / ".." / "node" / kDaemonName).lexically_normal()}) {
      if (is_executable_file(p)) return p;
      looked.push_back(p);
    }
  }
  if (const char* path = std::getenv("PATH"); path != nullptr) {
    std::string_view rest = path;
    while (true) {
      const auto colon = rest.find(':');
      const std::string_view entry = rest.substr(0, colon);
      if (!entry.empty()) {
        const fs::path p = fs::path(entry) / kDaemonName;
        if (is_executable_file(p)) return fs::absolute(p);
      }
      if (colon == std::string_view::npos) break;
      rest.remove_prefix(colon + 1);
    }
    looked.emplace_back("$PATH");
  }
  std::string where;
  for (const fs::path& p : looked) where += (where.empty() ? "" : ", ") + p.string();
  return Status::not_found("cannot find " + std::string(kDaemonName) + " (looked in " + where +
                           "); pass --bin PATH or set $" + std::string(kDaemonEnv));
}

bool process_alive(pid_t pid) {
  if (pid <= 0) return false;
  if (::kill(pid, 0) != 0 && errno != EPERM) return false;
  // kill() succeeds on a zombie too; its state letter in /proc/PID/stat is 'Z'. The command
  // name in parentheses may itself hold spaces or ')', so read the state after the last ')'.
  Result<std::string> stat = tools::read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return true;
  const auto close = stat->rfind(')');
  if (close == std::string::npos || close + 2 >= stat->size()) return true;
  const char state = (*stat)[close + 2];
  return state != 'Z' && state != 'X';
}

std::optional<pid_t> running_pid(const NodeLayout& node) {
  Result<std::string> text = tools::read_file(node.pid_file());
  if (!text) return std::nullopt;
  std::string s = *text;
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  const auto value = tools::parse_decimal(s, 1, 4'194'304);  // Linux's pid_max limit
  if (!value) return std::nullopt;
  const pid_t pid = static_cast<pid_t>(*value);
  if (!process_alive(pid)) return std::nullopt;
  if (auto args = command_line(pid)) {
    const std::string config = node.config_file().string();
    bool names_config = false;
    for (const std::string& a : *args) names_config = names_config || a == config;
    if (!names_config) return std::nullopt;
  }
  return pid;
}

Result<pid_t> spawn_node(const fs::path& daemon, const NodeLayout& node) {
  const std::string bin = daemon.string();
  const std::string config = node.config_file().string();
  const std::string log = node.log_file().string();
  const std::string dir = node.dir.string();
  // Everything the child needs is prepared before fork(): between fork and exec only
  // async-signal-safe calls are allowed, and gRPC may already run threads in this process.
  std::vector<char*> argv = {const_cast<char*>(bin.c_str()), const_cast<char*>("--config"),
                             const_cast<char*>(config.c_str()), nullptr};
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) {
    return Status::internal(std::string("cannot create a pipe: ") + std::strerror(errno));
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    ::close(report[0]);
    ::close(report[1]);
    return Status::internal(std::string("cannot fork: ") + std::strerror(err));
  }
  if (pid == 0) {
    ::close(report[0]);
    auto fail = [&](int stage) {
      const int info[2] = {stage, errno};
      [[maybe_unused]] ssize_t n = ::write(report[1], info, sizeof info);
      ::_exit(127);
    };
    // Its own session: the terminal's Ctrl-C and the end of the shell that ran us do not reach it.
    if (::setsid() < 0) fail(0);
    const int null_fd = ::open("/dev/null", O_RDONLY);
    const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (null_fd < 0 || log_fd < 0) fail(1);
    if (::dup2(null_fd, STDIN_FILENO) < 0 || ::dup2(log_fd, STDOUT_FILENO) < 0 ||
        ::dup2(log_fd, STDERR_FILENO) < 0) {
      fail(1);
    }
    // Descriptors this process holds (sockets, files) must not leak into a long-lived daemon.
    ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    if (::chdir(dir.c_str()) != 0) fail(2);
    // A shell starts background jobs with SIGINT ignored, and ignored signals survive exec;
    // the daemon must see the signals it waits for.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE}) ::signal(sig, SIG_DFL);
    ::execv(bin.c_str(), argv.data());
    fail(3);
  }
  ::close(report[1]);
  int info[2] = {0, 0};
  ssize_t n;
  do {
    n = ::read(report[0], info, sizeof info);
  } while (n < 0 && errno == EINTR);
  ::close(report[0]);
  if (n == static_cast<ssize_t>(sizeof info)) {
    ::waitpid(pid, nullptr, 0);
    const std::string what = info[0] == 1   ? "open /dev/null or " + log
                             : info[0] == 2 ? "enter " + dir
                             : info[0] == 3 ? "execute " + bin
                                            : std::string("start a new session");
    return Status::failed_precondition("cannot start " + node.name + ": cannot " + what + ": " +
                                       std::strerror(info[1]));
  }
  if (Status st = tools::write_file_atomic(node.pid_file(), std::to_string(pid) + "\n", 0644,
                                           tools::Overwrite::kYes);
      !st) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return Status(st.code(), "cannot record the pid of " + node.name + ": " + st.message());
  }
  return pid;
}

bool child_exited(pid_t pid, std::string* how) {
  int status = 0;
  const pid_t r = ::waitpid(pid, &status, WNOHANG);
  if (r != pid) return false;
  if (WIFEXITED(status)) {
    *how = "exited with status " + std::to_string(WEXITSTATUS(status));
  } else if (WIFSIGNALED(status)) {
    *how = std::string("was killed by signal ") + ::strsignal(WTERMSIG(status));
  } else {
    *how = "ended";
  }
  return true;
}

Result<StopOutcome> stop_process(pid_t pid, std::chrono::milliseconds grace) {
  using Clock = std::chrono::steady_clock;
  constexpr auto kPoll = std::chrono::milliseconds(50);
  auto wait_gone = [&](Clock::duration limit) {
    const auto end = Clock::now() + limit;
    while (process_alive(pid)) {
      // A process we started ourselves stays a zombie until reaped; reap it if it is ours.
      ::waitpid(pid, nullptr, WNOHANG);
      if (Clock::now() >= end) return false;
      std::this_thread::sleep_for(kPoll);
    }
    return true;
  };
  if (!process_alive(pid)) return StopOutcome::kNotRunning;
  ::kill(pid, SIGTERM);
  ::kill(pid, SIGCONT);
  if (wait_gone(grace)) return StopOutcome::kTerminated;
  ::kill(pid, SIGKILL);
  if (wait_gone(std::chrono::seconds(5))) return StopOutcome::kKilled;
  return Status::failed_precondition("process " + std::to_string(pid) +
                                     " is still alive 5 s after SIGKILL");
}

std::string tail_lines(const fs::path& file, std::size_t lines) {
  std::ifstream in(file);
  if (!in) return "";
  std::deque<std::string> last;
  std::string line;
  while (std::getline(in, line)) {
    last.push_back(std::move(line));
    if (last.size() > lines) last.pop_front();
  }
  std::ostringstream out;
  for (const std::string& l : last) out << l << "\n";
  return out.str();
}

}  // namespace sharechain::net
