#include "tools/bench/state_tree.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

#include "proto/state_tree_path.hpp"
#include "storage/state_tree.hpp"
#include "tools/bench/timing.hpp"

namespace sharechain::bench {
namespace {


// Resident memory of this process, from /proc/self/statm.
double rss_mib() {
  std::ifstream in("/proc/self/statm");
  std::uint64_t size = 0, resident = 0;
  in >> size >> resident;
  return static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

crypto::Hash key_hash(std::uint64_t i) { return crypto::sha256("ledger/acct/" + std::to_string(i)); }

}  // namespace

int run_state_tree(int argc, char** argv) {
  CLI::App app{"sharechain-bench state-tree — the state tree's cost per block, in memory and per proof",
               "sharechain-bench state-tree"};
  std::vector<std::uint64_t> sizes{10'000, 100'000, 1'000'000};
  std::uint64_t changes = 1500, blocks = 200, seed = 1;
  bool json = false;
  app.add_option("--entries", sizes, "state sizes to measure (entries in the tree)")->delimiter(',');
  app.add_option("--changes", changes, "entries each block changes (a block of 500 transfers changes about 1,500)")
      ->check(CLI::Range(1, 1'000'000));
  app.add_option("--blocks", blocks, "blocks applied per size")->check(CLI::Range(1, 100'000));
  app.add_option("--seed", seed, "random seed");
  app.add_flag("--json", json, "print one JSON object");
  CLI11_PARSE(app, argc, argv);

  nlohmann::json runs = nlohmann::json::array();
  for (const std::uint64_t n : sizes) {
    std::mt19937_64 rng(seed);
    std::vector<storage::StateTree::Entry> entries;
    entries.reserve(n);
    for (std::uint64_t i = 0; i < n; ++i) entries.push_back({key_hash(i), crypto::sha256(std::to_string(i))});
    const double rss_before = rss_mib();
    auto t = Clock::now();
    storage::StateTree tree = storage::StateTree::build(entries);
    const double build_ms = us_since(t) / 1000.0;
    const double rss_growth_mib = rss_mib() - rss_before;
    const storage::StateTree::Footprint footprint = tree.footprint();

    // Blocks: most changes rewrite existing entries (balances, nonces), one in ten adds one.
    std::vector<std::vector<storage::StateTree::Change>> batches(blocks);
    std::uint64_t next_new = n;
    for (std::uint64_t b = 0; b < blocks; ++b) {
      batches[b].reserve(changes);
      for (std::uint64_t c = 0; c < changes; ++c) {
        const std::uint64_t i = rng() % 10 == 0 ? next_new++ : rng() % n;
        batches[b].push_back({key_hash(i), crypto::sha256("block " + std::to_string(b) + "/" + std::to_string(c))});
      }
    }
    // As a node that keeps each height's tree for proofs: every changed path copied.
    std::vector<double> block_ms;
    for (std::uint64_t b = 0; b < blocks; ++b) {
      t = Clock::now();
      tree = tree.apply(batches[b]);
      block_ms.push_back(us_since(t) / 1000.0);
    }
    // As a catching-up node between the heights it keeps: the same blocks on a tree of the same
    // entries that nothing else holds, changed in place.
    std::vector<double> in_place_ms;
    {
      storage::StateTree own = storage::StateTree::build(entries);
      for (std::uint64_t b = 0; b < blocks; ++b) {
        t = Clock::now();
        own = std::move(own).apply(batches[b]);
        in_place_ms.push_back(us_since(t) / 1000.0);
      }
      if (own.root() != tree.root()) {
        std::cerr << "error: the tree updated in place differs from the one updated by copying\n";
        return 1;
      }
    }
    entries.clear();
    entries.shrink_to_fit();
    batches.clear();

    // Proofs of present and absent keys: their length, their size as StateProof fields (siblings
    // and the end of the path, without the key, the value and the anchor), and the check.
    std::vector<double> depth, path_bytes, check_us;
    for (int i = 0; i < 2000; ++i) {
      const crypto::Hash kh = i % 2 == 0 ? key_hash(rng() % n) : crypto::sha256("absent " + std::to_string(i));
      const storage::StateTreePath p = tree.path(kh);
      depth.push_back(static_cast<double>(p.siblings.size()));
      double bytes = 0;
      for (const auto& s : p.siblings) bytes += 2 + (s == state_tree::kEmpty ? 0 : 32);
      if (p.end == storage::StateTreePath::End::kOtherLeaf) bytes += 68;
      path_bytes.push_back(bytes);
      crypto::Hash node = state_tree::kEmpty;
      if (p.end == storage::StateTreePath::End::kKey) node = state_tree::leaf(kh, p.value_hash);
      if (p.end == storage::StateTreePath::End::kOtherLeaf) node = state_tree::leaf(p.other_key_hash, p.other_value_hash);
      t = Clock::now();
      const crypto::Hash root = state_tree::fold(node, kh, p.siblings);
      check_us.push_back(us_since(t));
      if (root != tree.root()) {
        std::cerr << "error: a path does not fold to the root\n";
        return 1;
      }
    }
    const double p50 = pct(block_ms, 0.5);
    runs.push_back({{"entries", n},
                    {"build_ms", build_ms},
                    {"rss_growth_mib", rss_growth_mib},
                    {"node_bytes_per_entry", static_cast<double>(footprint.bytes) / static_cast<double>(n)},
                    {"branches_per_entry", static_cast<double>(footprint.branches) / static_cast<double>(n)},
                    {"changes_per_block", changes},
                    {"block_ms_p50", p50},
                    {"block_ms_p99", pct(block_ms, 0.99)},
                    {"us_per_change_p50", p50 * 1000.0 / static_cast<double>(changes)},
                    {"block_ms_in_place_p50", pct(in_place_ms, 0.5)},
                    {"block_ms_in_place_p99", pct(in_place_ms, 0.99)},
                    {"proof_depth_p50", pct(depth, 0.5)},
                    {"proof_depth_max", pct(depth, 1.0)},
                    {"proof_path_bytes_p50", pct(path_bytes, 0.5)},
                    {"check_us_p50", pct(check_us, 0.5)}});
    if (!json) {
      const auto& r = runs.back();
      std::cout << n << " entries: build " << r["build_ms"].get<double>() << " ms, "
                << r["node_bytes_per_entry"].get<double>() << " bytes/entry of nodes ("
                << r["branches_per_entry"].get<double>() << " branches per entry; RSS grew "
                << r["rss_growth_mib"].get<double>() << " MiB while building); block of " << changes
                << " changes p50 " << p50 << " ms (" << r["us_per_change_p50"].get<double>() << " us/change), p99 "
                << r["block_ms_p99"].get<double>() << " ms, in place p50 " << r["block_ms_in_place_p50"].get<double>()
                << " ms (p99 " << r["block_ms_in_place_p99"].get<double>() << "); proof depth p50 " << pct(depth, 0.5) << ", path "
                << pct(path_bytes, 0.5) << " bytes, check " << pct(check_us, 0.5) << " us\n";
    }
  }
  if (json) std::cout << nlohmann::json{{"mode", "state-tree"}, {"runs", runs}}.dump(2) << "\n";
  return 0;
}

}  // namespace sharechain::bench
