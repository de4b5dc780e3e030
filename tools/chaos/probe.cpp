#include "tools/chaos/probe.hpp"

#include <cstdio>
#include <future>
#include <thread>

#include "tools/common/client.hpp"
#include "tools/net/layout.hpp"

namespace sharechain::chaos {
namespace {

using Clock = std::chrono::steady_clock;

std::optional<std::vector<net::NodeLayout>> layouts_of(const std::filesystem::path& dir,
                                                       std::ostream& err) {
  Result<std::vector<net::NodeLayout>> nodes = net::discover_nodes(net::ClusterPaths(dir));
  if (!nodes) {
    err << "error: " << nodes.status().message() << "\n";
    return std::nullopt;
  }
  return std::move(nodes).value();
}

std::vector<std::optional<std::uint64_t>> heights_of(const std::vector<net::NodeLayout>& nodes,
                                                     std::chrono::milliseconds timeout) {
  std::vector<std::future<std::optional<std::uint64_t>>> probes;
  for (const net::NodeLayout& n : nodes) {
    probes.push_back(
        std::async(std::launch::async, [&n, timeout]() -> std::optional<std::uint64_t> {
          // A fresh connection each time: one that failed while the node was down would otherwise
          // back off and miss the moment it is back.
          client::Node c(n.api_address, timeout, client::Node::Connection::kPrivate);
          auto s = c.status();
          if (!s) return std::nullopt;
          return s->height();
        }));
  }
  std::vector<std::optional<std::uint64_t>> out;
  for (auto& p : probes) out.push_back(p.get());
  return out;
}

}  // namespace

std::vector<std::optional<std::uint64_t>> probe_heights(const std::filesystem::path& dir,
                                                        std::chrono::milliseconds timeout) {
  Result<std::vector<net::NodeLayout>> nodes = net::discover_nodes(net::ClusterPaths(dir));
  if (!nodes) return {};
  return heights_of(*nodes, timeout);
}

std::optional<double> await_height(const AwaitOptions& options) {
  Result<std::vector<net::NodeLayout>> all = net::discover_nodes(net::ClusterPaths(options.dir));
  if (!all) return std::nullopt;
  std::vector<net::NodeLayout> watched;
  for (std::uint32_t i : options.nodes) {
    if (i < all->size()) watched.push_back((*all)[i]);
  }
  const auto started = Clock::now();
  const auto deadline = started + options.timeout;
  const auto probe_timeout = std::chrono::milliseconds(1000);
  for (;;) {
    const auto round = Clock::now();
    std::size_t reached = 0;
    for (const auto& h : heights_of(watched, probe_timeout))
      reached += h && *h >= options.height ? 1 : 0;
    const bool done = options.any ? reached > 0 : reached == watched.size();
    if (done && !watched.empty())
      return std::chrono::duration<double>(Clock::now() - started).count();
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_until(round + options.poll);
  }
}

int run_heights(const std::filesystem::path& dir, std::chrono::milliseconds timeout,
                std::ostream& out, std::ostream& err) {
  auto nodes = layouts_of(dir, err);
  if (!nodes) return 2;
  std::string line;
  for (const auto& h : heights_of(*nodes, timeout)) {
    line += (line.empty() ? "" : " ") + (h ? std::to_string(*h) : std::string("-"));
  }
  out << line << "\n";
  return 0;
}

int run_await(const AwaitOptions& options, std::ostream& out, std::ostream& err) {
  if (!layouts_of(options.dir, err)) return 2;
  if (options.nodes.empty()) {
    err << "error: --nodes names no node\n";
    return 2;
  }
  const std::optional<double> took = await_height(options);
  if (!took) {
    out << "timeout\n";
    return 1;
  }
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", *took);
  out << text << "\n";
  return 0;
}

}  // namespace sharechain::chaos
