// Reads, from every node of a cluster folder, what the end-of-run checks compare (NodeView):
// each node's height and history fields, every block 1..height, each acknowledged transaction,
// every account the genesis and the blocks name, and the ledger's supply. One thread per node,
// over the client API.
#pragma once

#include <chrono>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "tools/chaos/checks.hpp"
#include "tools/chaos/record.hpp"
#include "tools/common/outcome.hpp"

namespace sharechain::chaos {

struct CollectOptions {
  std::filesystem::path dir;                  // the cluster folder
  std::chrono::seconds settle{120};           // how long to wait for equal, stable heights
  std::chrono::milliseconds timeout{10'000};  // of each call
};

// Acked transactions proven per node at most: spread over the run, and always the last one
// acknowledged, whose receipt only the primary's certifying block certifies once the load
// stops (docs/proofs.md).
inline constexpr std::size_t kProofSample = 60;

struct Collected {
  std::vector<NodeView> nodes;
  SupplyExpectation supply;
  bool settled = false;  // the heights were equal and stable before the settle time ran out
  double settle_s = 0;
  std::uint64_t tip = 0;  // the highest height any node reported
};

// Usage error when `dir` is not a cluster folder or its genesis does not parse. Nodes that do
// not answer are reported in their NodeView, not as a failure.
tools::Outcome<Collected> collect(const CollectOptions& options,
                                  const std::vector<LedgerRecord>& ledger, std::ostream& progress);

}  // namespace sharechain::chaos
