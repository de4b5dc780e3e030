// `sharechain-chaos check`: reads every node of a cluster (collect.hpp), runs every check of
// checks.hpp against the acknowledgement ledger, adds the recovery figures of the fault log, and
// reports: a few lines per check, or one JSON object with --json. Exit 1 on any violation.
#pragma once

#include <chrono>
#include <filesystem>
#include <ostream>

#include "tools/chaos/checks.hpp"
#include "tools/chaos/collect.hpp"
#include "tools/chaos/record.hpp"
#include "tools/common/render.hpp"

namespace sharechain::chaos {

struct CheckOptions {
  std::filesystem::path dir;
  std::filesystem::path ledger;
  std::filesystem::path faults;  // optional
  std::chrono::seconds settle{120};
  bool json = false;
};

// The report of one check run over what was collected: "ok", "violations", "checks" (each
// check's status and what it covered), "nodes", "ledger", "supply", "history_complete",
// "faults". Pure, so the tests can read the report of a corrupted view.
tools::Json build_report(const Collected& collected, const LedgerFile& ledger,
                         const std::vector<FaultRecord>& faults);

int run_check(const CheckOptions& options, std::ostream& out, std::ostream& err);

}  // namespace sharechain::chaos
