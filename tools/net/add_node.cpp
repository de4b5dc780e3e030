#include "tools/net/add_node.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <system_error>
#include <toml.hpp>
#include <utility>

#include "proto/crypto.hpp"
#include "tools/common/files.hpp"
#include "tools/net/init.hpp"

namespace sharechain::net {
namespace fs = std::filesystem;
using tools::Failure;
using tools::Outcome;

namespace {

// The index of a folder named like init names node folders ("node0", "node12"); nullopt for
// anything else, "node01" included, so a stray folder is never mistaken for a node.
std::optional<std::uint32_t> node_index(const std::string& name) {
  if (name.size() < 5 || name.size() > 13 || name.compare(0, 4, "node") != 0) return std::nullopt;
  const std::string_view digits(name.data() + 4, name.size() - 4);
  if (digits.size() > 1 && digits.front() == '0') return std::nullopt;
  std::uint32_t index = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return index;
}

// The node folders in `paths.dir`, which must be node0..node<M-1> with nothing missing, each
// with the config discover_nodes reads; `start`, `stop` and `status` see exactly those nodes.
Outcome<std::vector<NodeLayout>> contiguous_nodes(const ClusterPaths& paths) {
  std::set<std::uint32_t> on_disk;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(paths.dir, ec)) {
    if (const auto i = node_index(e.path().filename().string())) on_disk.insert(*i);
  }
  if (ec) return Failure::refused("cannot list " + paths.dir.string() + ": " + ec.message());
  std::uint32_t expected = 0;
  for (const std::uint32_t i : on_disk) {
    if (i != expected) {
      return Failure::refused(paths.dir.string() + " has node" + std::to_string(i) + " but no node" +
                              std::to_string(expected) +
                              ": node folders must be numbered from node0 without gaps; restore or "
                              "rename them before adding a node");
    }
    ++expected;
  }
  Result<std::vector<NodeLayout>> nodes = discover_nodes(paths);
  if (!nodes) return Failure::usage(nodes.status().message());
  if (nodes->size() != on_disk.size()) {
    const std::string missing = paths.node_dir(static_cast<std::uint32_t>(nodes->size())).string();
    return Failure::refused(missing +
                            " has no config.toml; restore it or remove the folder before adding a node");
  }
  return std::move(nodes).value();
}

// "HOST:PORT" split at its last ':' (an IPv6 host stays in its brackets).
std::optional<std::pair<std::string, std::uint32_t>> split_address(const std::string& address) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  std::uint32_t port = 0;
  const char* first = address.data() + colon + 1;
  const char* last = address.data() + address.size();
  const auto [end, ec] = std::from_chars(first, last, port);
  if (ec != std::errc() || end != last || first == last) return std::nullopt;
  return std::pair{address.substr(0, colon), port};
}

// [p2p] tls of a config, as the daemon reads it (absent: off).
Outcome<bool> uses_tls(const NodeLayout& n) {
  try {
    const toml::value root = toml::parse(n.config_file().string());
    if (!root.contains("p2p") || !root.at("p2p").contains("tls")) return false;
    return toml::get<bool>(root.at("p2p").at("tls"));
  } catch (const std::exception& e) {
    return Failure::refused("cannot read [p2p] tls of " + n.config_file().string() + ": " + e.what());
  }
}

// genesis.json's committee threshold, 0 when it names no committee or cannot be read (it only
// shapes the printed next steps).
std::uint32_t committee_threshold(const ClusterPaths& paths) {
  Result<std::string> text = tools::read_file(paths.genesis());
  if (!text) return 0;
  try {
    const nlohmann::json j = nlohmann::json::parse(*text);
    if (!j.contains("committee") || !j["committee"].contains("threshold")) return 0;
    return j["committee"]["threshold"].get<std::uint32_t>();
  } catch (const std::exception&) {
    return 0;
  }
}

// A folder made with mkdtemp and removed again unless it was moved into place.
class StagingDir {
 public:
  static Outcome<StagingDir> create(const fs::path& parent, const std::string& stem) {
    std::string pattern = (parent / ("." + stem + ".adding-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      return Failure::refused("cannot create a folder in " + parent.string() + ": " + std::strerror(errno));
    }
    return StagingDir(fs::path(pattern));
  }
  StagingDir(StagingDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}
  StagingDir& operator=(StagingDir&&) = delete;
  ~StagingDir() {
    if (path_.empty()) return;
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

  // Renames the folder to `target`, which must not exist: RENAME_NOREPLACE, so a node folder
  // created meanwhile (a second add-node) is never replaced.
  Status move_to(const fs::path& target) {
    int rc = ::renameat2(AT_FDCWD, path_.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE);
    if (rc != 0 && (errno == EINVAL || errno == ENOSYS)) {
      // A file system without RENAME_NOREPLACE: rename(2) still refuses a non-empty target.
      std::error_code ec;
      if (fs::exists(target, ec)) return Status::already_exists(target.string() + " already exists");
      rc = ::rename(path_.c_str(), target.c_str());
    }
    if (rc != 0) {
      const int err = errno;
      if (err == EEXIST || err == ENOTEMPTY)
        return Status::already_exists(target.string() + " already exists");
      return Status::internal("cannot rename " + path_.string() + " to " + target.string() + ": " +
                              std::strerror(err));
    }
    path_.clear();
    return Status::ok();
  }

 private:
  explicit StagingDir(fs::path path) : path_(std::move(path)) {}
  fs::path path_;
};

}  // namespace

Outcome<AddNodeReport> add_node(const fs::path& dir) {
  if (dir.empty()) return Failure::usage("--dir is required");
  const ClusterPaths paths(dir);
  std::error_code ec;
  for (const fs::path& need : {paths.genesis(), paths.node_dir(0) / "config.toml"}) {
    if (!fs::exists(need, ec)) {
      return Failure::usage(
          paths.dir.string() + " is not a cluster folder (no " + need.lexically_relative(paths.dir).string() +
          "); create one with `sharechain-net init --nodes N --dir " + paths.dir.string() + "`");
    }
  }
  Outcome<std::vector<NodeLayout>> existing = contiguous_nodes(paths);
  if (!existing) return existing.failure();
  const auto index = static_cast<std::uint32_t>(existing->size());
  if (index >= kMaxNodes) {
    return Failure::refused("the cluster in " + paths.dir.string() + " has " + std::to_string(index) +
                            " nodes, the most sharechain-net manages");
  }
  Result<std::uint32_t> validators = genesis_validator_count(paths);
  if (!validators) return Failure::refused(validators.status().message());

  // node0 sets the plan, as init made it: its client port is the base, its host every node's
  // unless `init --hosts` spread them (then the new node shares node0's host).
  const NodeLayout& node0 = existing->front();
  const auto base = split_address(node0.api_address);
  if (!base) {
    return Failure::refused("cannot tell the base port from node0's [api] listen '" + node0.api_address +
                            "'");
  }
  const auto& [host, base_port] = *base;
  const std::uint64_t first_port = std::uint64_t{base_port} + std::uint64_t{kPortStride} * index;
  if (first_port + 2 > 65535) {
    return Failure::refused("node" + std::to_string(index) + " would listen on ports " +
                            std::to_string(first_port) + "-" + std::to_string(first_port + 2) + " (base " +
                            std::to_string(base_port) + " + " + std::to_string(kPortStride) + " x " +
                            std::to_string(index) + "), past 65535; this cluster cannot grow further");
  }
  const crypto::PrivateKey node_key = crypto::PrivateKey::generate();
  AddNodeReport report{.paths = paths,
                       .node = planned_node(paths, index, base_port, host),
                       .public_key = crypto::to_hex(node_key.public_key()),
                       .node0_api_address = node0.api_address,
                       .committee_threshold = committee_threshold(paths)};
  const NodeLayout& node = report.node;
  for (const NodeLayout& other : *existing) {
    for (const std::string& address : {node.api_address, node.p2p_address, node.metrics_address}) {
      if (address == other.api_address || address == other.p2p_address || address == other.metrics_address) {
        return Failure::refused(node.name + " would listen on " + address + ", which " + other.name +
                                "'s config.toml already uses; move that node's ports back to base+" +
                                std::to_string(kPortStride) + "i first");
      }
    }
  }

  // A genesis validator is dialled by its index, as init writes it; a node added earlier has
  // no index in genesis, so it is named by its key.
  std::vector<std::string> peers;
  for (const NodeLayout& other : *existing) {
    Result<std::string> id = peer_id(other, *validators);
    if (!id) return Failure::refused(id.status().message());
    peers.push_back(*id + "@" + other.p2p_address);
  }
  Outcome<bool> tls = uses_tls(node0);
  if (!tls) return tls.failure();
  report.tls = *tls;
  std::optional<Pem> ca;
  if (report.tls) {
    Result<std::string> cert = tools::read_file(paths.tls_dir() / "ca.pem");
    Result<std::string> key = tools::read_file(paths.tls_dir() / "ca.key");
    if (!cert || !key) {
      return Failure::refused("node0 uses TLS but the cluster's CA cannot be read (" +
                              (!cert ? cert.status() : key.status()).message() +
                              "); the new node's certificate must come from it");
    }
    ca = Pem{std::move(*cert), std::move(*key)};
  }

  Outcome<StagingDir> staging = StagingDir::create(paths.dir, node.name);
  if (!staging) return staging.failure();
  const fs::path& s = staging->path();
  for (const Status& st :
       {tools::make_dirs(s / "data", 0700),
        tools::write_file_atomic(s / "node_key.json", render_node_key(node.name, node_key), 0600,
                                 tools::Overwrite::kNo),
        tools::write_file_atomic(s / "config.toml", render_config(node, peers, report.tls, "add-node"), 0644,
                                 tools::Overwrite::kNo),
        ca ? write_node_certificate(*ca, node.name, host, s / "tls") : Status::ok()}) {
    if (!st) return Failure::refused(st.message());
  }
  // mkdtemp made it 0700; a node folder is 0755 like init's (its secrets are private files).
  fs::permissions(s, fs::perms(0755), fs::perm_options::replace, ec);
  if (ec) return Failure::refused("cannot chmod " + s.string() + ": " + ec.message());
  if (Status st = staging->move_to(node.dir); !st) {
    const bool raced = st.code() == Code::kAlreadyExists;
    return Failure::refused(st.message() +
                            (raced ? "; another add-node ran at the same time, try again" : ""));
  }
  return report;
}

}  // namespace sharechain::net
