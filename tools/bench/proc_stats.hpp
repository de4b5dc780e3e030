// What the node processes on this machine spent, read from /proc: CPU time, context switches
// and peak resident memory. The load generator samples it before and after a run, so the cost
// of each committed transaction in CPU and in wake-ups is printed next to the throughput.
#pragma once

#include <cstdint>
#include <sys/types.h>
#include <vector>

namespace sharechain::bench {

struct ProcSample {
  std::size_t processes = 0;
  double cpu_s = 0;                  // user + system, every thread, since each process started
  std::uint64_t context_switches = 0;  // voluntary + involuntary, summed over live threads
  std::uint64_t peak_rss_kib = 0;    // the largest VmHWM among the processes
};

// Every process on this machine whose command is `name` (e.g. "sharechaind").
std::vector<pid_t> processes_named(const char* name);
ProcSample sample(const std::vector<pid_t>& pids);

}  // namespace sharechain::bench
