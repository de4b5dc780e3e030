// Quick looks at a running cluster for scripts/chaos.sh: every node's height at once, and
// waiting until chosen nodes reach a height (how recovery times are measured).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <vector>

namespace sharechain::chaos {

// Each node's height, asked of all nodes at once; nullopt for a node that does not answer
// within `timeout` (a stopped or partitioned node costs one timeout, not one per node).
std::vector<std::optional<std::uint64_t>> probe_heights(const std::filesystem::path& dir,
                                                        std::chrono::milliseconds timeout);

struct AwaitOptions {
  std::filesystem::path dir;
  std::vector<std::uint32_t> nodes;  // node indexes
  std::uint64_t height = 0;
  bool any = false;  // one of `nodes` reaching `height` is enough
  std::chrono::milliseconds timeout{60'000};
  std::chrono::milliseconds poll{200};
};

// Seconds until the nodes reached the height; nullopt when `timeout` passed first.
std::optional<double> await_height(const AwaitOptions& options);

// `sharechain-chaos heights`: prints "H0 H1 ..." ('-' for a node that did not answer).
int run_heights(const std::filesystem::path& dir, std::chrono::milliseconds timeout,
                std::ostream& out, std::ostream& err);
// `sharechain-chaos await`: prints the seconds it took (e.g. "3.42"), or "timeout" and exit 1.
int run_await(const AwaitOptions& options, std::ostream& out, std::ostream& err);

}  // namespace sharechain::chaos
