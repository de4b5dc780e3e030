// The explorer (explorer/explorer.hpp) as a route of the operations server: it answers every
// path under /explorer from the node's store and status, and declines the rest.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "node/metrics.hpp"
#include "sharechain/api.pb.h"
#include "storage/store.hpp"

namespace sharechain::node {

// `store` must outlive the route; `status` and `now_ms` (the node's wall clock) are called on
// the ops server's thread.
OpsRoute explorer_route(const storage::Store& store, std::string chain_id,
                        std::function<api::NodeStatus()> status,
                        std::function<std::uint64_t()> now_ms);

}  // namespace sharechain::node
