#include "tools/sim/scenario.hpp"

#include <algorithm>

#include "consensus/types.hpp"

namespace sharechain::sim {
namespace {

std::vector<uint32_t> shuffled(uint32_t n, Rng& rng) {
  std::vector<uint32_t> v(n);
  for (uint32_t i = 0; i < n; ++i) v[i] = i;
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng.below(i)]);
  return v;
}

std::string list(const std::vector<uint32_t>& v) {
  std::string out;
  for (uint32_t x : v) out += (out.empty() ? "" : ",") + std::to_string(x);
  return out;
}

}  // namespace

Scenario draw_scenario(const ScenarioRequest& req, Rng& rng) {
  Scenario s;
  const uint32_t n = req.nodes;
  s.fault_ms = req.fault_ms;
  s.loss_per_mille = static_cast<uint32_t>(rng.pick(std::vector<uint64_t>{0, 0, 10, 50, 150}));
  s.duplicate_per_mille = static_cast<uint32_t>(rng.pick(std::vector<uint64_t>{0, 20, 100}));
  s.min_delay_ms = rng.between(1, 5);
  s.max_delay_ms = s.min_delay_ms + rng.pick(std::vector<uint64_t>{2, 20, 60, 150});
  s.view_timeout_ms = rng.pick(std::vector<uint64_t>{60, 150, 400, 400});
  for (uint32_t i = 0; i < n; ++i) s.clock_offset_ms.push_back(static_cast<int64_t>(rng.below(101)) - 50);

  const std::vector<uint32_t> order = shuffled(n, rng);
  for (uint32_t i = 0; i < req.byzantine && i < n; ++i) {
    const Behaviour b = req.behaviour ? *req.behaviour
                                      : kAllBehaviours[rng.below(std::size(kAllBehaviours))];
    s.byzantine[order[i]] = b;
  }
  std::vector<uint32_t> honest;
  for (uint32_t i = 0; i < n; ++i) {
    if (s.byzantine.count(i) == 0) honest.push_back(i);
  }

  // Partitions: up to three, one after another, each isolating a random subset (a minority,
  // a majority split, or the current primary's neighbourhood: all are just random subsets).
  uint64_t t = rng.between(0, s.fault_ms / 4);
  const uint64_t partitions = rng.below(4);
  for (uint64_t i = 0; i < partitions && t + 100 < s.fault_ms && n > 1; ++i) {
    PartitionPlan p;
    p.start_ms = t;
    p.end_ms = std::min(s.fault_ms, t + rng.between(100, s.fault_ms / 2));
    p.group.assign(n, 0);
    const uint64_t kind = rng.below(3);
    if (kind == 0) {
      p.group[rng.below(n)] = 1;  // one validator cut off
    } else if (kind == 1) {
      for (uint32_t v = 0; v < n; ++v) p.group[v] = static_cast<uint32_t>(rng.below(2));
    } else {
      for (uint32_t v = 0; v < n; ++v) p.group[v] = static_cast<uint32_t>(rng.below(3));
    }
    s.partitions.push_back(p);
    t = p.end_ms + rng.between(50, s.fault_ms / 4);
  }

  // Crashes of honest validators; any number may be down at once (safety must hold anyway).
  const uint64_t crashes = rng.pick(std::vector<uint64_t>{0, 0, 1, 2, 4});
  for (uint64_t i = 0; i < crashes && !honest.empty(); ++i) {
    CrashPlan c;
    c.node = rng.pick(honest);
    c.at_ms = rng.between(0, s.fault_ms - 1);
    c.restart_ms = std::min(s.fault_ms, c.at_ms + rng.between(10, s.fault_ms / 2));
    c.mid_step = rng.chance(500);
    s.crashes.push_back(c);
  }
  std::sort(s.crashes.begin(), s.crashes.end(),
            [](const CrashPlan& a, const CrashPlan& b) { return a.at_ms < b.at_ms; });

  const uint64_t droughts = rng.pick(std::vector<uint64_t>{0, 1, 2, 4});
  for (uint64_t i = 0; i < droughts; ++i) {
    DroughtPlan d;
    d.start_ms = rng.between(0, s.fault_ms - 1);
    d.end_ms = std::min(s.fault_ms, d.start_ms + rng.between(50, 1500));
    d.kind = static_cast<int>(rng.pick(std::vector<uint64_t>{
        consensus::Message::kPrepare, consensus::Message::kCommit, consensus::Message::kCommit,
        consensus::Message::kNewView, consensus::Message::kCheckpoint,
        consensus::Message::kPrePrepare, consensus::Message::kViewChange,
        consensus::Message::kViewChange}));
    d.per_mille = static_cast<uint32_t>(rng.pick(std::vector<uint64_t>{500, 900, 1000}));
    const std::vector<uint32_t> from = shuffled(n, rng);
    d.senders.assign(from.begin(), from.begin() + rng.between(1, n));
    std::sort(d.senders.begin(), d.senders.end());
    const std::vector<uint32_t> to = shuffled(n, rng);
    d.victims.assign(to.begin(), to.begin() + rng.between(1, n));
    std::sort(d.victims.begin(), d.victims.end());
    s.droughts.push_back(d);
  }

  // Client load through the fault phase and a little beyond the heal.
  const uint64_t gap_max = rng.pick(std::vector<uint64_t>{60, 150, 400});
  for (uint64_t at = rng.between(0, 50); at < s.fault_ms + 600; at += rng.between(10, gap_max)) {
    BatchPlan b;
    b.at_ms = at;
    b.count = static_cast<uint32_t>(rng.between(1, 12));
    if (at < s.fault_ms && rng.chance(200)) {
      const uint32_t reach = static_cast<uint32_t>(rng.between(1, n));
      const std::vector<uint32_t> who = shuffled(n, rng);
      b.receivers.assign(who.begin(), who.begin() + reach);
      std::sort(b.receivers.begin(), b.receivers.end());
    }
    s.batches.push_back(b);
  }
  return s;
}

std::string describe(const Scenario& s) {
  std::string out = "network: loss " + std::to_string(s.loss_per_mille) + "/1000, duplicates " +
                    std::to_string(s.duplicate_per_mille) + "/1000, delay " +
                    std::to_string(s.min_delay_ms) + ".." + std::to_string(s.max_delay_ms) +
                    " ms; view timeout " + std::to_string(s.view_timeout_ms) + " ms; faults until " + std::to_string(s.fault_ms) + " ms\n";
  for (const auto& [v, b] : s.byzantine) {
    out += "byzantine: validator " + std::to_string(v) + " " + behaviour_name(b) + "\n";
  }
  for (const PartitionPlan& p : s.partitions) {
    out += "partition: " + std::to_string(p.start_ms) + ".." + std::to_string(p.end_ms) +
           " ms, groups " + list(p.group) + "\n";
  }
  for (const CrashPlan& c : s.crashes) {
    out += "crash: validator " + std::to_string(c.node) + " at " + std::to_string(c.at_ms) +
           " ms" + (c.mid_step ? " (mid-step)" : "") + ", restart at " +
           std::to_string(c.restart_ms) + " ms\n";
  }
  for (const DroughtPlan& d : s.droughts) {
    out += "drought: " + std::to_string(d.start_ms) + ".." + std::to_string(d.end_ms) +
           " ms, message kind " + std::to_string(d.kind) + " lost " + std::to_string(d.per_mille) +
           "/1000 from " + list(d.senders) + " to " + list(d.victims) + "\n";
  }
  uint64_t txs = 0;
  for (const BatchPlan& b : s.batches) txs += b.count;
  out += "clients: " + std::to_string(s.batches.size()) + " batches, " + std::to_string(txs) +
         " transactions\n";
  return out;
}

}  // namespace sharechain::sim
