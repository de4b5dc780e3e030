#include "tools/bench/proc_stats.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace sharechain::bench {

namespace {

namespace fs = std::filesystem;

// "voluntary_ctxt_switches:\t12" → 12, from a /proc status file; 0 when absent.
std::uint64_t status_field(const fs::path& file, const std::string& key) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) return std::stoull(line.substr(key.size()));
  }
  return 0;
}

}  // namespace

std::vector<pid_t> processes_named(const char* name) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string pid = entry.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream comm(entry.path() / "comm");
    std::string command;
    if (std::getline(comm, command) && command == name) out.push_back(static_cast<pid_t>(std::stol(pid)));
  }
  return out;
}

ProcSample sample(const std::vector<pid_t>& pids) {
  ProcSample s;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  for (pid_t pid : pids) {
    const fs::path dir = fs::path("/proc") / std::to_string(pid);
    std::ifstream stat(dir / "stat");
    std::string text;
    if (!std::getline(stat, text)) continue;  // gone
    // Fields after the command (which may hold spaces) start after the last ')'; utime and
    // stime are fields 14 and 15, i.e. the 12th and 13th after it.
    std::istringstream rest(text.substr(text.rfind(')') + 2));
    std::string field;
    double utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
      if (i == 14) utime = std::stod(field);
      if (i == 15) stime = std::stod(field);
    }
    ++s.processes;
    s.cpu_s += (utime + stime) / ticks;
    s.peak_rss_kib = std::max(s.peak_rss_kib, status_field(dir / "status", "VmHWM:"));
    std::error_code ec;
    for (const auto& task : fs::directory_iterator(dir / "task", ec)) {
      s.context_switches += status_field(task.path() / "status", "voluntary_ctxt_switches:") +
                            status_field(task.path() / "status", "nonvoluntary_ctxt_switches:");
    }
  }
  return s;
}

}  // namespace sharechain::bench
