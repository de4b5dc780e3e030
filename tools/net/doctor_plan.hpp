// What `sharechain doctor --dir` and `sharechain-net status` look at in a cluster folder: each
// node's addresses, process, data folder, key and mempool limits, and what the genesis says
// every node must run with.
#pragma once

#include <vector>

#include "proto/status.hpp"
#include "tools/common/doctor_probe.hpp"
#include "tools/net/layout.hpp"

namespace sharechain::net {

struct DoctorPlan {
  std::vector<NodeLayout> layouts;
  std::vector<tools::doctor::ProbeTarget> targets;     // in layouts order
  std::optional<tools::doctor::Expectation> expected;  // absent when genesis.json is unreadable
};

// FAILED_PRECONDITION / INVALID_ARGUMENT as discover_nodes for a folder that is not a cluster.
// A missing or unreadable genesis or key file is not an error here: the checks then skip what
// they would have compared it with.
Result<DoctorPlan> doctor_plan(const ClusterPaths& paths);

}  // namespace sharechain::net
