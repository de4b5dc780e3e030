// Collects the facts `sharechain doctor` judges (tools/common/doctor.hpp) from live nodes: each
// node's GetStatus twice, `sample` apart, its operations port (/metrics twice, /healthz,
// /readyz, /version), whether its process is stopped, and its data folder's free space. Every
// call has a short deadline and the nodes are asked in parallel, so a collection takes about
// 2 x timeout + sample however many nodes are paused.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "sharechain/api.pb.h"
#include "tools/common/doctor.hpp"

namespace sharechain::tools::doctor {

// One node to look at, as far as it is known before asking it.
struct ProbeTarget {
  std::string name;
  std::optional<std::uint32_t> validator;
  std::string client_address;
  std::string ops_address;     // empty: client port + 2 on the same host, checked by /version
  std::string ops_tls_ca;      // set: the operations port speaks HTTPS, its certificate from this CA
  bool process_known = false;  // a cluster folder tells whether its process runs...
  std::optional<int> pid;      // ...and which one; known but absent = not running, not asked
  std::string data_dir;        // free space is checked when set
  std::string key_file_public_key;
  std::optional<std::uint64_t> mempool_max_txs;
  std::optional<std::uint64_t> mempool_max_bytes;
  std::string log_file;
};

struct ProbeOptions {
  std::chrono::milliseconds timeout{800};  // each call's deadline
  std::chrono::milliseconds sample{1000};  // between the two looks; 0 = one look
  // Also look at the validators the answering nodes name as peers (with --node): their client
  // address is guessed as their peer port - 1 on the peer's host (sharechain-net's layout and
  // every `export` target) and believed only if the node there says it is that validator.
  bool follow_peers = false;
  // The CA (PEM file) of operations ports that speak HTTPS, for targets that name none (--tls-ca).
  std::string ops_tls_ca;
};

struct Collected {
  ClusterFacts facts;
  // The last GetStatus answer of each node, in facts.nodes order (for status tables).
  std::vector<std::optional<api::NodeStatus>> statuses;
};

Collected collect(const std::vector<ProbeTarget>& targets, std::optional<Expectation> expected,
                  std::string cluster_dir, const ProbeOptions& options);

// HOST:PORT with the port moved by `delta`; empty when `address` has no numeric port.
std::string shift_port(const std::string& address, int delta);

}  // namespace sharechain::tools::doctor
