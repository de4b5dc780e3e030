#include "tools/net/layout.hpp"

#include <nlohmann/json.hpp>
#include <optional>
#include <system_error>
#include <toml.hpp>

#include "proto/crypto.hpp"
#include "tools/common/files.hpp"

namespace sharechain::net {
namespace fs = std::filesystem;

namespace {

std::string on_host(std::string_view host, std::uint32_t port) {
  // Addresses are split at their last ':', so an IPv6 host goes in brackets.
  if (host.find(':') != std::string_view::npos && host.front() != '[') {
    return "[" + std::string(host) + "]:" + std::to_string(port);
  }
  return std::string(host) + ":" + std::to_string(port);
}

// One "host:port" string of a config table; `fallback` when the table or key is absent, which
// is also what the daemon does.
std::string listen_of(const toml::value& root, const char* table, const std::string& fallback) {
  if (!root.contains(table)) return fallback;
  const toml::value& t = root.at(table);
  if (!t.is_table() || !t.contains("listen")) return fallback;
  return toml::get<std::string>(t.at("listen"));
}

// [TABLE] tls of a config, when it is given as a boolean.
std::optional<bool> tls_flag(const toml::value& root, const char* table) {
  if (!root.contains(table) || !root.at(table).is_table()) return std::nullopt;
  const toml::value& t = root.at(table);
  if (!t.contains("tls") || !t.at("tls").is_boolean()) return std::nullopt;
  return t.at("tls").as_boolean();
}

// The operations port's TLS as the daemon decides it ([metrics] tls, else [p2p] tls), and the
// CA to check it with ([p2p] tls_ca, relative to the config's folder).
void read_ops_tls(const toml::value& root, NodeLayout& n) {
  n.ops_https = tls_flag(root, "metrics").value_or(tls_flag(root, "p2p").value_or(false));
  if (!n.ops_https || !root.contains("p2p") || !root.at("p2p").contains("tls_ca")) return;
  const fs::path ca = toml::get<std::string>(root.at("p2p").at("tls_ca"));
  n.ops_tls_ca = (ca.is_absolute() ? ca : n.dir / ca).lexically_normal();
}

}  // namespace

ClusterPaths::ClusterPaths(const fs::path& cluster_dir)
    // absolute() rather than canonical(): the folder may not exist yet, and the daemons' command
    // lines should show the path the operator typed, not one with symlinks resolved.
    : dir(fs::absolute(cluster_dir).lexically_normal()) {
  // "/tmp/x/" normalises to "/tmp/x/"; drop the empty last element so joins read "/tmp/x/node0".
  if (dir.has_parent_path() && dir.filename().empty()) dir = dir.parent_path();
}

fs::path ClusterPaths::node_dir(std::uint32_t index) const {
  return dir / ("node" + std::to_string(index));
}

NodeLayout planned_node(const ClusterPaths& paths, std::uint32_t index, std::uint32_t base_port,
                        std::string_view host) {
  NodeLayout n;
  n.index = index;
  n.name = "node" + std::to_string(index);
  n.dir = paths.node_dir(index);
  const std::uint32_t port = base_port + kPortStride * index;
  n.api_address = on_host(host, port);
  n.p2p_address = on_host(host, port + 1);
  n.metrics_address = on_host(host, port + 2);
  return n;
}

Status check_host(std::string_view host) {
  auto bad = [&](std::string_view why) {
    return Status::invalid_argument("host '" + std::string(host) + "' " + std::string(why));
  };
  if (host.empty()) return bad("is empty");
  if (host.size() > 253) return bad("is longer than 253 characters");
  if (host.front() == '[' || host.find(':') != std::string_view::npos) {
    // An IPv6 address, bare or in brackets: hex digits, ':' and '.' (an embedded IPv4) only.
    const bool bracketed = host.front() == '[';
    const std::string_view inner = bracketed ? host.substr(1, host.size() - 2) : host;
    if ((bracketed && (host.size() < 4 || host.back() != ']')) ||
        inner.find_first_not_of("0123456789abcdefABCDEF:.") != std::string_view::npos) {
      return bad("is not an IPv6 address such as fd00::1");
    }
    return Status::ok();
  }
  if (host.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") !=
      std::string_view::npos) {
    return bad("must be a host name, an IPv4 address or an IPv6 address");
  }
  return Status::ok();
}

Status check_port_plan(std::uint32_t nodes, std::uint32_t base_port) {
  if (nodes < 1 || nodes > kMaxNodes) {
    return Status::invalid_argument("--nodes must be from 1 to " + std::to_string(kMaxNodes) + ", got " +
                                    std::to_string(nodes));
  }
  const std::uint64_t highest = std::uint64_t{base_port} + std::uint64_t{kPortStride} * (nodes - 1) + 2;
  if (base_port < 1 || highest > 65535) {
    return Status::invalid_argument("--base-port " + std::to_string(base_port) + " with " +
                                    std::to_string(nodes) + " nodes needs ports up to " +
                                    std::to_string(highest) + "; ports end at 65535");
  }
  return Status::ok();
}

Result<std::vector<NodeLayout>> discover_nodes(const ClusterPaths& paths) {
  std::vector<NodeLayout> nodes;
  std::error_code ec;
  for (std::uint32_t i = 0; i < kMaxNodes; ++i) {
    NodeLayout n = planned_node(paths, i, kDefaultBasePort);
    if (!fs::exists(n.config_file(), ec)) break;
    try {
      const toml::value root = toml::parse(n.config_file().string());
      n.api_address = listen_of(root, "api", n.api_address);
      n.p2p_address = listen_of(root, "p2p", n.p2p_address);
      n.metrics_address = listen_of(root, "metrics", n.metrics_address);
      read_ops_tls(root, n);
      if (root.contains("node") && root.at("node").contains("name")) {
        n.name = toml::get<std::string>(root.at("node").at("name"));
      }
    } catch (const std::exception& e) {
      return Status::invalid_argument("cannot read " + n.config_file().string() + ": " + e.what());
    }
    nodes.push_back(std::move(n));
  }
  if (nodes.empty()) {
    return Status::failed_precondition(paths.dir.string() +
                                       " is not a cluster folder (no node0/config.toml); create one "
                                       "with `sharechain-net init --nodes N --dir " +
                                       paths.dir.string() + "`");
  }
  return nodes;
}

Result<std::uint32_t> genesis_validator_count(const ClusterPaths& paths) {
  Result<std::string> text = tools::read_file(paths.genesis());
  if (!text) return text.status();
  try {
    const nlohmann::json j = nlohmann::json::parse(*text);
    const nlohmann::json& validators = j.at("validators");
    if (!validators.is_array()) throw std::runtime_error("\"validators\" is not a list");
    return static_cast<std::uint32_t>(validators.size());
  } catch (const std::exception& e) {
    return Status::invalid_argument("cannot read the validators of " + paths.genesis().string() + ": " +
                                    e.what());
  }
}

Result<std::string> peer_id(const NodeLayout& node, std::uint32_t genesis_validators) {
  if (node.index < genesis_validators) return std::to_string(node.index);
  Result<std::string> text = tools::read_file(node.key_file());
  if (!text) return Status::invalid_argument("cannot read " + node.name + "'s key: " + text.status().message());
  try {
    std::string hex = nlohmann::json::parse(*text).at("public_key").get<std::string>();
    const auto raw = crypto::from_hex(hex);
    if (raw && crypto::is_valid_public_key(*raw)) return hex;
  } catch (const std::exception&) {
  }
  return Status::invalid_argument(node.key_file().string() + " holds no valid public_key (64 hex digits)");
}

std::string explorer_url(const std::string& metrics_address, bool https) {
  const auto colon = metrics_address.rfind(':');
  std::string host = colon == std::string::npos ? metrics_address : metrics_address.substr(0, colon);
  const std::string port = colon == std::string::npos ? "" : metrics_address.substr(colon);
  if (host == "0.0.0.0" || host.empty()) host = std::string(kLoopbackHost);
  if (host == "::" || host == "[::]") host = "[::1]";
  return (https ? "https://" : "http://") + host + port + "/explorer/";
}

}  // namespace sharechain::net
