// `sharechain-net add-node`: one more node folder for an existing cluster, with a fresh node key.
// The new node is not a validator: genesis does not name its key, so it starts as a follower
// and becomes a validator only when the committee admits its key (`sharechain governance
// propose add-validator`, docs/governance.md).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "tools/common/outcome.hpp"
#include "tools/net/layout.hpp"

namespace sharechain::net {

struct AddNodeReport {
  ClusterPaths paths;
  NodeLayout node;         // DIR/node<M>, where it now is
  std::string public_key;  // hex, x-only: what add-validator names
  bool tls = false;        // a certificate from the cluster's CA was issued
  // The client address of node0, for the wallet commands that admit the node, and the
  // committee's threshold in genesis (0 when genesis names no committee).
  std::string node0_api_address;
  std::uint32_t committee_threshold = 0;
};

// Writes DIR/node<M>, M the number of node folders DIR holds, as `init` would have written it:
// node_key.json (0600), config.toml listening on base+10M, +1, +2 on node0's host (base being
// node0's client port), data/, and with TLS tls/node.pem and node.key from DIR/tls/ca.*. Its
// peers are every existing node: "j@HOST:PORT" for genesis validator j, "<public key>@HOST:PORT"
// for a node added earlier. Everything is written into a hidden folder first and renamed into
// place, so a failure leaves no node folder behind.
//
// Usage error (exit 2) when `dir` is not a cluster (no genesis.json or node0/config.toml);
// refused (exit 1) when the node folders are not node0..node<M-1> each with a config, when a
// port of the new node would pass 65535 or is used by another node, when the cluster has
// kMaxNodes nodes already, or when a file cannot be read or written.
tools::Outcome<AddNodeReport> add_node(const std::filesystem::path& dir);

}  // namespace sharechain::net
