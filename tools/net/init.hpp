// `sharechain-net init`: everything a local cluster needs on disk (see layout.hpp for where).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "proto/crypto.hpp"
#include "sharechain/types.pb.h"
#include "tools/common/keystore.hpp"
#include "tools/common/outcome.hpp"
#include "tools/net/layout.hpp"
#include "tools/net/tls.hpp"

namespace sharechain::net {

inline constexpr std::string_view kDefaultChainId = "sharechain-local";
// 1,000,000 credits: enough for any local demo or load test to never run dry.
inline constexpr std::uint64_t kUserBalance = 100'000'000;

struct InitOptions {
  std::filesystem::path dir;
  std::uint32_t nodes = 4;
  std::uint32_t base_port = kDefaultBasePort;
  // One host per node (node i listens on hosts[i] with the usual ports, and its peers dial it
  // there); empty puts every node on 127.0.0.1. For nodes in separate network namespaces or on
  // separate machines.
  std::vector<std::string> hosts;
  std::string chain_id = std::string(kDefaultChainId);
  bool force = false;  // replace an existing cluster in `dir` (its nodes must be stopped)
  bool tls = false;    // mutual TLS between peers, with a CA made for this cluster
  std::uint64_t scrypt_n = tools::kLightScryptN;  // cost of the keystore files
  // The operator committee: keys operator, operator2, ... operator<committee>, each holding the
  // operator role; a proposal needs `threshold` of their approvals.
  std::uint32_t committee = 3;
  std::uint32_t threshold = 2;
  // Genesis params.checkpoint_interval and params.window; 0 leaves the chain's defaults (64 and
  // 256). A checkpoint interval without a window gets four intervals, as the defaults do.
  std::uint64_t checkpoint_interval = 0;
  std::uint64_t window = 0;
  // Genesis state_commitment: how state roots hash each pair (storage/lthash.hpp).
  std::string state_commitment = "lthash16-aes256ctr";
  // Genesis state_tree: "sparse-merkle-sha256" (state proofs, docs/proofs.md) or "none".
  std::string state_tree = "sparse-merkle-sha256";
};
inline constexpr std::uint32_t kMaxCommittee = 16;

// One key of the cluster keystore as the genesis names it.
struct ClusterAccount {
  std::string name;          // key name, e.g. "user1"
  std::vector<std::string> roles;
  std::string organisation;  // attesters only
  std::uint64_t balance = 0;
};

// The keystore accounts a cluster starts with, in genesis order: operator, dataserver,
// attester1..4 (with their organisations), user1..4 (funded), then operator2..operator<committee>.
std::vector<ClusterAccount> cluster_accounts(std::uint32_t committee = 1);

struct InitReport {
  ClusterPaths paths;
  std::string chain_id;
  std::vector<NodeLayout> nodes;
  std::vector<std::string> validator_addresses;  // formatted, by validator index
  std::vector<tools::KeyInfo> keys;               // the keystore, in cluster_accounts() order
  bool tls = false;
};

// The genesis of a cluster: `validators` are node keys by index (named node<i>, each also an
// account with the validator role), `keys` are the keystore keys matching `accounts` one to one.
// With `committee_threshold` above 0 the genesis names a committee: every account holding the
// operator role, with that threshold; with 0 it names none (the operators then act alone).
Genesis build_genesis(std::string_view chain_id, std::uint64_t genesis_time_ms,
                      const std::vector<crypto::PrivateKey>& validators,
                      const std::vector<ClusterAccount>& accounts,
                      const std::vector<tools::KeyInfo>& keys, std::uint32_t committee_threshold = 0);

// The protobuf JSON mapping of `genesis`, proto field names kept (what sharechaind parses).
std::string genesis_to_json(const Genesis& genesis);

// node<i>/config.toml: `node` listens where its layout says and dials every other node.
std::string render_config(const NodeLayout& node, const std::vector<NodeLayout>& all, bool tls);

// The same config with the peers given as [p2p] peers entries ("<validator index>@host:port",
// or "<public key hex>@host:port" for a node that is not a genesis validator), and `command`
// (`init`, `add-node`) named as its writer.
std::string render_config(const NodeLayout& node, const std::vector<std::string>& peers, bool tls,
                          std::string_view command);

// node<i>/node_key.json: name, public_key, address, secret_key (hex).
std::string render_node_key(std::string_view name, const crypto::PrivateKey& key);

// node<i>/tls/: node.pem (0644) and node.key (0600), a fresh certificate for node `name` signed by
// the cluster's `ca`, naming `host` too when it is not loopback (peers verify the name they dial).
Status write_node_certificate(const Pem& ca, std::string_view name, std::string_view host,
                              const std::filesystem::path& tls_dir);

// Writes the cluster. Refuses (usage error) when `dir` already holds one, unless options.force,
// in which case the old cluster's generated files and node folders (with their data) are
// removed first; refuses even with force while one of its nodes is running.
tools::Outcome<InitReport> init_cluster(const InitOptions& options);

}  // namespace sharechain::net
