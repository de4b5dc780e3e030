// `sharechain-dataserver run`: set up assets, agreements and split models, then play visits
// at the target rate until the duration ends or a signal asks to stop, then drain and report.
#pragma once

#include <atomic>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "tools/dataserver/scenario.hpp"

namespace sharechain::dataserver {

struct RunOptions {
  std::vector<std::string> nodes;
  std::string keystore;
  std::string passphrase_file;
  double duration_s = 60;  // 0 = until SIGINT or SIGTERM
  std::uint64_t seed = 1;
  double rate = 2.0;       // visits (sessions) per second
  bool json = false;
  ScenarioOptions scenario;
  unsigned concurrency = 64;   // visits in progress at most
  unsigned drain_s = 120;      // how long a stop waits for visits in progress
  unsigned commit_timeout_s = 30;
};

// Runs the data server. `stop` is set by the signal handler (or a test); progress and errors
// go to `err`, the report to `out` (one JSON object with `json`). Exit codes: 0 the run
// completed (refused transactions are part of the report, not an error), 2 usage or keystore
// error, 3 no node reachable, 1 the set-up could not make a single asset usable.
int run(const RunOptions& options, const std::atomic<bool>& stop, std::ostream& out, std::ostream& err);

}  // namespace sharechain::dataserver
