// `sharechain-net export`: turns a cluster folder written by `init` into files a deployment
// applies as they are (Kubernetes manifests, systemd units in an install layout, or a compose
// project). Every node's key, certificate and config travel inside what is written, so a
// deployment needs no key copied by hand.
//
// What each format writes (paths relative to the output folder):
//   kubernetes  sharechain.yaml      headless Service `sharechain` (peer DNS), Service
//                                    `sharechain-api` (clients), PodDisruptionBudget
//               genesis.yaml         ConfigMap `sharechain-genesis`
//               node<i>.yaml         Secret `sharechain-node<i>-keys`, ConfigMap
//                                    `sharechain-node<i>-config`, StatefulSet `sharechain-node<i>`
//   systemd     install.sh, etc/systemd/system/sharechaind@.service,
//               etc/sharechain/genesis.json, etc/sharechain/node<i>/{config.toml,node_key.json,tls/}
//   compose     compose.yaml, .env, genesis.json, node<i>/{config.toml,keys/,data/}
// and `.sharechain-export`, the list of those files, which is what lets --force replace an
// earlier export without touching anything else.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "tools/common/outcome.hpp"

namespace sharechain::net {

inline constexpr std::string_view kDefaultImage = "sharechain:latest";
inline constexpr std::string_view kDefaultDaemonPath = "/usr/local/bin/sharechaind";

struct ExportOptions {
  std::filesystem::path dir;  // a cluster folder written by `init`
  std::string format;         // "kubernetes", "systemd" or "compose"
  std::filesystem::path out;  // created if missing; must be empty or an earlier export
  std::string image = std::string(kDefaultImage);     // kubernetes, compose
  std::string bin = std::string(kDefaultDaemonPath);  // systemd: the daemon's installed path
  bool force = false;  // replace an earlier export in `out`
};

// The formats, in the order --help lists them.
const std::vector<std::string>& export_formats();

struct ExportReport {
  std::filesystem::path out;                // absolute
  std::vector<std::filesystem::path> files;  // absolute, in the order written
};

// Reads the cluster and writes the files of options.format. Usage errors (exit 2): an unknown
// format, a folder that is not a cluster, an output folder that holds files an earlier export
// did not write, or an earlier export without options.force. Nothing is written unless
// everything could be rendered.
tools::Outcome<ExportReport> export_cluster(const ExportOptions& options);

// Where one node's files are in a target, and the addresses it listens on and dials.
struct Placement {
  std::string key_file, genesis_file, data_dir;
  std::string tls_ca, tls_cert, tls_key;  // written only when the config has [p2p] tls = true
  std::string api_listen, p2p_listen, metrics_listen;
  std::vector<std::string> peers;  // "<validator index or public key>@host:port" of every other node
};

// `source`, a node's config.toml, with the paths, addresses and peers of `placement` (absolute
// paths, since the target's folders differ from the cluster's) and every other setting kept.
// INVALID_ARGUMENT when `source` is not TOML.
Result<std::string> placed_config(std::string_view source, std::string_view source_name,
                                  const Placement& placement);

}  // namespace sharechain::net
