// Shared by the renderers of `sharechain-net export` (export_kubernetes.cpp, export_systemd.cpp,
// export_compose.cpp): the cluster as read from its folder, the files a renderer returns, and
// the text helpers they use. Not part of the tool's interface.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proto/status.hpp"
#include "tools/net/export.hpp"
#include "tools/net/layout.hpp"
#include "tools/net/tls.hpp"

namespace sharechain::net {

// Inside a container every node uses the same ports: each pod or container has an address of
// its own, and one Service port then reaches any node.
inline constexpr std::uint32_t kContainerApiPort = kDefaultBasePort;
inline constexpr std::uint32_t kContainerP2pPort = kDefaultBasePort + 1;
inline constexpr std::uint32_t kContainerMetricsPort = kDefaultBasePort + 2;
// The container image's user (deploy/container/Dockerfile creates it with this id).
inline constexpr std::uint32_t kImageUid = 999;

struct ExportNode {
  NodeLayout layout;        // addresses as the node's config.toml has them
  std::string peer_id;      // how the others' peers name it: its genesis index, or its key (peer_id())
  std::string config;       // node<i>/config.toml, as it is
  std::string key;          // node<i>/node_key.json, byte for byte
  std::optional<Pem> tls;   // node<i>/tls/node.pem and node.key, when the cluster has TLS
  bool ops_https = false;   // the operations port serves HTTPS ([metrics] tls, else [p2p] tls)
};

struct ExportCluster {
  ClusterPaths paths;
  std::vector<ExportNode> nodes;
  std::string genesis;         // genesis.json, byte for byte (its hash identifies the chain)
  std::uint32_t validators = 0;  // genesis validators: node0.. below it; nodes after were added
  std::optional<Pem> tls_ca;   // DIR/tls/ca.pem and ca.key, when the cluster has TLS
};

struct ExportedFile {
  std::filesystem::path path;  // relative to the output folder
  std::string content;
  mode_t mode = 0644;
  bool folder = false;  // an empty folder the target needs (content unused)
};

using Rendered = Result<std::vector<ExportedFile>>;

Rendered render_kubernetes(const ExportCluster& cluster, const ExportOptions& options);
Rendered render_systemd(const ExportCluster& cluster, const ExportOptions& options);
Rendered render_compose(const ExportCluster& cluster, const ExportOptions& options);

// The node's config.toml for `placement` (placed_config on its source); the source was read
// and parsed once already, so this fails only on a broken invariant.
Result<std::string> node_config(const ExportNode& node, const Placement& placement);

// A TLS certificate for `node` that names `host`, the name its peers dial in the target, signed
// by the cluster's CA.
Result<Pem> certificate_for(const ExportCluster& cluster, const ExportNode& node, std::string_view host);

// The largest number of faulty validators n validators tolerate: floor((n - 1) / 3).
std::uint32_t tolerated_faults(std::size_t validators);

// Text helpers.
std::string base64(std::string_view bytes);
// A YAML double-quoted scalar (JSON string syntax, which YAML reads the same way).
std::string yaml_quote(std::string_view s);
// `text` as the value of a YAML mapping key whose children are indented by `indent` spaces:
// a literal block scalar that gives back exactly `text`, or a quoted scalar when a block
// cannot (carriage returns, other control characters).
std::string yaml_text(std::string_view text, std::size_t indent);
// A shell word that the shell reads back as `s`.
std::string shell_quote(std::string_view s);

}  // namespace sharechain::net
