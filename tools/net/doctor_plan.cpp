#include "tools/net/doctor_plan.hpp"

#include <nlohmann/json.hpp>
#include <toml.hpp>

#include "proto/crypto.hpp"
#include "tools/common/files.hpp"
#include "tools/net/process.hpp"

namespace sharechain::net {
namespace {

namespace fs = std::filesystem;

std::optional<tools::doctor::Expectation> read_genesis(const fs::path& file) {
  Result<std::string> text = tools::read_file(file);
  if (!text) return std::nullopt;
  try {
    const nlohmann::json j = nlohmann::json::parse(*text);
    tools::doctor::Expectation e;
    e.chain_id = j.value("chain_id", "");
    e.genesis_hash = crypto::to_hex(crypto::sha256(*text));
    for (const nlohmann::json& v : j.value("validators", nlohmann::json::array())) {
      e.validator_keys.push_back(v.value("public_key", ""));
      e.validator_names.push_back(v.value("name", ""));
    }
    return e;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// The public half of node_key.json only; the secret is not looked at.
std::string public_key_of(const fs::path& key_file) {
  Result<std::string> text = tools::read_file(key_file);
  if (!text) return "";
  try {
    return nlohmann::json::parse(*text).value("public_key", "");
  } catch (const std::exception&) {
    return "";
  }
}

// [node] data_dir and the [mempool] limits, where the config sets them.
void read_config(const NodeLayout& n, tools::doctor::ProbeTarget& t) {
  t.data_dir = n.data_dir().string();
  try {
    const toml::value root = toml::parse(n.config_file().string());
    if (root.contains("node") && root.at("node").contains("data_dir")) {
      const fs::path d = toml::get<std::string>(root.at("node").at("data_dir"));
      t.data_dir = (d.is_absolute() ? d : n.dir / d).lexically_normal().string();
    }
    if (root.contains("mempool")) {
      const toml::value& m = root.at("mempool");
      if (m.contains("max_txs")) t.mempool_max_txs = toml::get<std::uint64_t>(m.at("max_txs"));
      if (m.contains("max_bytes"))
        t.mempool_max_bytes = toml::get<std::uint64_t>(m.at("max_bytes"));
    }
  } catch (const std::exception&) {
    // discover_nodes already parsed it; a limit of another type is the daemon's to refuse.
  }
}

}  // namespace

Result<DoctorPlan> doctor_plan(const ClusterPaths& paths) {
  Result<std::vector<NodeLayout>> layouts = discover_nodes(paths);
  if (!layouts) return layouts.status();
  DoctorPlan plan;
  plan.layouts = std::move(layouts).value();
  plan.expected = read_genesis(paths.genesis());
  for (const NodeLayout& n : plan.layouts) {
    tools::doctor::ProbeTarget t;
    t.name = n.name;
    // Genesis validator i is node<i> (or the node genesis names so). A node beyond them was added
    // later (`add-node`): genesis gives it no index, so none is expected of it.
    t.validator = n.index;
    if (plan.expected) {
      const auto& names = plan.expected->validator_names;
      if (n.index >= names.size()) t.validator.reset();
      for (std::size_t v = 0; v < names.size(); ++v) {
        if (names[v] == n.name) t.validator = static_cast<std::uint32_t>(v);
      }
    }
    t.client_address = n.api_address;
    t.ops_address = n.metrics_address;
    t.ops_tls_ca = n.ops_tls_ca.string();
    t.process_known = true;
    if (const auto pid = running_pid(n)) t.pid = *pid;
    t.key_file_public_key = public_key_of(n.key_file());
    t.log_file = n.log_file().string();
    read_config(n, t);
    plan.targets.push_back(std::move(t));
  }
  return plan;
}

}  // namespace sharechain::net
