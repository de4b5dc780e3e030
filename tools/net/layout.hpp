// Where a local cluster keeps its files and which ports its nodes use.
//
//   DIR/genesis.json            the chain's genesis (shared by every node)
//   DIR/passphrase              the keystore passphrase (0600)
//   DIR/keystore/               operator, dataserver, attester1..3, user1..4 (0700)
//   DIR/tls/ca.pem, ca.key      the cluster CA (with --tls)
//   DIR/node<i>/config.toml     what sharechaind reads; paths in it are relative to node<i>/
//   DIR/node<i>/node_key.json   the validator secret (0600)
//   DIR/node<i>/data/           the node's database
//   DIR/node<i>/tls/            node.pem, node.key (with --tls)
//   DIR/node<i>/sharechaind.pid and node.log, written by `sharechain-net start`
//
// Node i listens on base+10i (client API), base+10i+1 (peers) and base+10i+2 (metrics), on
// 127.0.0.1 unless `init --hosts` gave it a host of its own (the same ports on that host).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "proto/status.hpp"

namespace sharechain::net {

inline constexpr std::uint32_t kDefaultBasePort = 26600;
inline constexpr std::uint32_t kPortStride = 10;
inline constexpr std::uint32_t kMaxNodes = 100;
inline constexpr std::string_view kLoopbackHost = "127.0.0.1";

struct NodeLayout {
  std::uint32_t index = 0;
  std::string name;                     // "node<i>"
  std::filesystem::path dir;            // DIR/node<i>
  std::string api_address;              // host:port of the client API
  std::string p2p_address;
  std::string metrics_address;
  // Whether the operations port speaks HTTPS ([metrics] tls, by default [p2p] tls), and the CA
  // certificate ([p2p] tls_ca) that checks the node's certificate then.
  bool ops_https = false;
  std::filesystem::path ops_tls_ca;

  std::filesystem::path config_file() const { return dir / "config.toml"; }
  std::filesystem::path key_file() const { return dir / "node_key.json"; }
  std::filesystem::path data_dir() const { return dir / "data"; }
  std::filesystem::path pid_file() const { return dir / "sharechaind.pid"; }
  std::filesystem::path log_file() const { return dir / "node.log"; }
  std::filesystem::path tls_dir() const { return dir / "tls"; }
};

// The explorer a node serves on its operations port: "http://HOST:PORT/explorer/" (https when
// the port speaks TLS), with a wildcard listen address (0.0.0.0, ::) shown as loopback, where a
// browser on this host finds it.
std::string explorer_url(const std::string& metrics_address, bool https = false);

struct ClusterPaths {
  std::filesystem::path dir;  // absolute and normalised

  explicit ClusterPaths(const std::filesystem::path& cluster_dir);

  std::filesystem::path genesis() const { return dir / "genesis.json"; }
  std::filesystem::path passphrase() const { return dir / "passphrase"; }
  std::filesystem::path keystore() const { return dir / "keystore"; }
  std::filesystem::path tls_dir() const { return dir / "tls"; }
  std::filesystem::path node_dir(std::uint32_t index) const;
};

// The layout `init` gives node i of a cluster in `paths.dir` on `host`.
NodeLayout planned_node(const ClusterPaths& paths, std::uint32_t index, std::uint32_t base_port,
                        std::string_view host = kLoopbackHost);

// INVALID_ARGUMENT unless `host` can stand before ":port" in a listen or peer address: a name
// or IPv4 address of letters, digits, '.', '-' and '_', or an IPv6 address (bare or in
// brackets; planned_node puts it in brackets).
Status check_host(std::string_view host);

// INVALID_ARGUMENT unless 1 <= nodes <= kMaxNodes and every port of every node fits in 1..65535.
Status check_port_plan(std::uint32_t nodes, std::uint32_t base_port);

// The nodes an existing cluster folder holds: node0, node1, ... up to the first index without a
// config.toml, with the addresses read from each config.toml (so a hand-edited port is
// honoured). FAILED_PRECONDITION naming DIR when there is no node0/config.toml;
// INVALID_ARGUMENT when a config does not parse. Nodes added by `add-node` are found like the
// others: what the commands enumerate is the folders, not the genesis validators.
Result<std::vector<NodeLayout>> discover_nodes(const ClusterPaths& paths);

// How many validators DIR/genesis.json names. node<j> with j below it is genesis validator j;
// a node folder beyond it was added later (`add-node`) and is a validator only once the chain
// admits its key. NOT_FOUND when the file is missing, INVALID_ARGUMENT when it does not parse.
Result<std::uint32_t> genesis_validator_count(const ClusterPaths& paths);

// How another node's [p2p] peers name `node`: its index when it is genesis validator
// node.index (below `genesis_validators`; what init writes), else the 64-hex public key of its
// node_key.json (a node added later). INVALID_ARGUMENT naming the file when that key is needed
// and cannot be read.
Result<std::string> peer_id(const NodeLayout& node, std::uint32_t genesis_validators);

}  // namespace sharechain::net
