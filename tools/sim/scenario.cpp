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

// Which instance of each twin takes the messages addressed to its index, where both share a
// group: "a" the first (node v), "b" the second (node n + j).
std::string receivers(const std::vector<uint8_t>& second) {
  std::string out;
  for (uint8_t b : second) out += b ? 'b' : 'a';
  return out;
}

// The Twins schedule: the fault phase cut into consecutive phases of 150 ms to 1 s, each with a
// partition of the n + K nodes drawn from a few families and, per twin, the instance that
// answers to its index. Uniformly random partitions rarely put the two instances of every twin
// on opposite sides with a quorum of indices on each, which is the shape that makes twins
// dangerous (each side can decide on its own), so the split family draws exactly that shape
// for half of the phases; the others keep some groups twin-free or lump twins together, the
// states from which view changes have to reconcile what the instances did apart.
void draw_twins(uint32_t n, const std::vector<uint32_t>& twinned, Rng& rng, Scenario& s) {
  TwinsPlan& plan = s.twins;
  const uint32_t k = static_cast<uint32_t>(twinned.size());
  const uint32_t nodes = n + k;
  plan.validators = twinned;
  for (uint32_t j = 0; j < k; ++j) {
    plan.clock_offset_ms.push_back(static_cast<int64_t>(rng.below(101)) - 50);
  }
  auto draw_receivers = [&]() {
    std::vector<uint8_t> second(k);
    for (uint8_t& b : second) b = static_cast<uint8_t>(rng.below(2));
    return second;
  };
  uint64_t t = rng.between(0, 100);
  while (t + 100 < s.fault_ms) {
    TwinsPhase p;
    p.start_ms = t;
    p.end_ms = std::min(s.fault_ms, t + rng.between(200, 1500));
    if (p.end_ms + 100 >= s.fault_ms) p.end_ms = s.fault_ms;  // no sliver of a phase at the end
    p.cut = rng.pick(std::vector<TwinsCut>{TwinsCut::kSplit, TwinsCut::kSplit, TwinsCut::kSplit,
                                           TwinsCut::kTwoGroups, TwinsCut::kThreeGroups,
                                           TwinsCut::kConnected});
    p.group.assign(nodes, 0);
    switch (p.cut) {
      case TwinsCut::kConnected: break;
      case TwinsCut::kSplit: {
        // The other validators alternate sides in a random order, so the sides differ by at
        // most one: both hold a quorum of indices when the twins are more than f, and one of
        // them does otherwise.
        std::vector<uint32_t> others;
        for (uint32_t v = 0; v < n; ++v) {
          if (std::find(twinned.begin(), twinned.end(), v) == twinned.end()) others.push_back(v);
        }
        for (size_t i = others.size(); i > 1; --i) std::swap(others[i - 1], others[rng.below(i)]);
        const uint32_t first_side = static_cast<uint32_t>(rng.below(2));
        for (size_t i = 0; i < others.size(); ++i) {
          p.group[others[i]] = (first_side + static_cast<uint32_t>(i)) % 2;
        }
        for (uint32_t j = 0; j < k; ++j) {
          p.group[twinned[j]] = static_cast<uint32_t>(rng.below(2));
          p.group[n + j] = 1 - p.group[twinned[j]];
        }
        break;
      }
      case TwinsCut::kTwoGroups:
        for (uint32_t& g : p.group) g = static_cast<uint32_t>(rng.below(2));
        break;
      case TwinsCut::kThreeGroups:
        for (uint32_t& g : p.group) g = static_cast<uint32_t>(rng.below(3));
        break;
    }
    p.second_receives = draw_receivers();
    plan.phases.push_back(std::move(p));
    t = plan.phases.back().end_ms;
  }
  plan.heal_second_receives = draw_receivers();
}

}  // namespace

const char* twins_cut_name(TwinsCut cut) {
  switch (cut) {
    case TwinsCut::kConnected: return "connected";
    case TwinsCut::kSplit: return "split";
    case TwinsCut::kTwoGroups: return "two groups";
    case TwinsCut::kThreeGroups: return "three groups";
  }
  return "unknown";
}

namespace {

// Node n joins; then, in either order, a validator leaves (a Byzantine one when there is one:
// the operators found it out) and an honest validator's key is replaced by key n + 1. The
// changes come during the faults (racing view changes, crashes and partitions) or just after.
void draw_reconfigs(uint32_t n, const std::vector<uint32_t>& honest, Rng& rng, Scenario& s) {
  std::vector<uint32_t> keys(n);
  for (uint32_t v = 0; v < n; ++v) keys[v] = v;
  uint64_t at = rng.between(s.fault_ms / 10, s.fault_ms / 2);
  ReconfigPlan add{at, "add", n, keys};
  add.keys.push_back(n);
  s.reconfigs.push_back(add);
  keys = add.keys;
  const bool remove_first = rng.chance(500);
  for (int step = 0; step < 2; ++step) {
    at = std::min(s.fault_ms + 300, at + rng.between(100, s.fault_ms / 2));
    if ((step == 0) == remove_first) {
      uint32_t leaving = 0;
      if (!s.byzantine.empty()) {
        leaving = s.byzantine.begin()->first;
      } else {
        std::vector<uint32_t> members;
        for (uint32_t k : keys) members.push_back(k == n + 1 ? s.reconfigs.back().node : k);
        leaving = rng.pick(members);
      }
      ReconfigPlan remove{at, "remove", leaving, {}};
      for (uint32_t k : keys) {
        const uint32_t holder = k == n + 1 ? s.reconfigs.back().node : k;
        if (holder != leaving) remove.keys.push_back(k);
      }
      s.reconfigs.push_back(remove);
      keys = remove.keys;
    } else {
      std::vector<uint32_t> candidates;  // honest current validators, the joiner included
      for (uint32_t k : keys) {
        if (k <= n && (k == n || std::find(honest.begin(), honest.end(), k) != honest.end())) {
          candidates.push_back(k);
        }
      }
      if (candidates.empty()) continue;
      const uint32_t rotated = rng.pick(candidates);
      ReconfigPlan rotate{at, "rotate", rotated, keys};
      for (uint32_t& k : rotate.keys) {
        if (k == rotated) k = n + 1;
      }
      s.reconfigs.push_back(rotate);
      keys = rotate.keys;
    }
  }
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
  std::vector<uint32_t> twinned;
  for (uint32_t i = req.byzantine; i < req.byzantine + req.twins && i < n; ++i) {
    twinned.push_back(order[i]);
  }
  std::sort(twinned.begin(), twinned.end());
  std::vector<uint32_t> honest;
  for (uint32_t i = 0; i < n; ++i) {
    if (s.byzantine.count(i) == 0 &&
        std::find(twinned.begin(), twinned.end(), i) == twinned.end()) {
      honest.push_back(i);
    }
  }

  // Partitions: up to three, one after another, each isolating a random subset (a minority,
  // a majority split, or the current primary's neighbourhood: all are just random subsets).
  // With twins the partitions are of nodes, drawn by draw_twins() instead.
  uint64_t t = rng.between(0, s.fault_ms / 4);
  const uint64_t partitions = twinned.empty() ? rng.below(4) : 0;
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
  if (!twinned.empty()) draw_twins(n, twinned, rng, s);
  if (req.reconfigure) draw_reconfigs(n, honest, rng, s);
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
  if (!s.twins.validators.empty()) {
    const size_t n = s.clock_offset_ms.size();
    std::string seconds;
    for (size_t j = 0; j < s.twins.validators.size(); ++j) {
      seconds += (seconds.empty() ? "" : ",") + std::to_string(n + j);
    }
    out += "twins: validators " + list(s.twins.validators) + ", second instances are nodes " +
           seconds + "\n";
    for (const TwinsPhase& p : s.twins.phases) {
      out += "twins phase: " + std::to_string(p.start_ms) + ".." + std::to_string(p.end_ms) +
             " ms, " + twins_cut_name(p.cut) + ", groups " + list(p.group) + ", receivers " +
             receivers(p.second_receives) + "\n";
    }
    out += "twins after the heal: receivers " + receivers(s.twins.heal_second_receives) + "\n";
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
  for (const ReconfigPlan& r : s.reconfigs) {
    out += "reconfigure: " + std::to_string(r.at_ms) + " ms, " + r.kind + " node " +
           std::to_string(r.node) + ", next set of keys " + list(r.keys) + "\n";
  }
  uint64_t txs = 0;
  for (const BatchPlan& b : s.batches) txs += b.count;
  out += "clients: " + std::to_string(s.batches.size()) + " batches, " + std::to_string(txs) +
         " transactions\n";
  return out;
}

}  // namespace sharechain::sim
