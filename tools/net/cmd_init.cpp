// `sharechain-net init`: writes the cluster and tells the operator where everything is.
#include "tools/net/commands.hpp"

#include <algorithm>

namespace sharechain::net {

int run_init(const CommandContext& ctx, const InitOptions& options) {
  tools::Outcome<InitReport> report = init_cluster(options);
  if (!report) return ctx.fail(report.failure());
  const InitReport& r = *report;
  const std::vector<ClusterAccount> accounts = cluster_accounts(options.committee);
  const std::string dir = r.paths.dir.string();

  if (ctx.json) {
    tools::Json keys = tools::Json::array();
    for (std::size_t i = 0; i < r.keys.size(); ++i) {
      tools::Json roles = tools::Json::array();
      for (const std::string& role : accounts[i].roles) roles.push_back(role);
      keys.push_back({{"name", r.keys[i].name},
                      {"address", crypto::format_address(r.keys[i].address)},
                      {"roles", std::move(roles)},
                      {"balance", accounts[i].balance}});
    }
    tools::Json nodes = tools::Json::array();
    for (const NodeLayout& n : r.nodes) {
      nodes.push_back({{"name", n.name},
                       {"dir", n.dir.string()},
                       {"config", n.config_file().string()},
                       {"client_address", n.api_address},
                       {"p2p_address", n.p2p_address},
                       {"metrics_address", n.metrics_address},
                       {"validator_address", r.validator_addresses[n.index]}});
    }
    tools::Json j;
    j["dir"] = dir;
    j["chain_id"] = r.chain_id;
    j["genesis"] = r.paths.genesis().string();
    j["keystore"] = r.paths.keystore().string();
    j["passphrase_file"] = r.paths.passphrase().string();
    j["tls"] = r.tls;
    j["state_commitment"] = options.state_commitment;
    j["state_tree"] = options.state_tree;
    j["keys"] = std::move(keys);
    tools::Json members = tools::Json::array();
    for (std::size_t i = 0; i < r.keys.size(); ++i) {
      const auto& roles = accounts[i].roles;
      if (std::find(roles.begin(), roles.end(), "operator") != roles.end()) members.push_back(r.keys[i].name);
    }
    j["committee"] = {{"members", std::move(members)}, {"threshold", options.threshold}};
    j["nodes"] = std::move(nodes);
    ctx.print_json(j);
    return tools::kExitOk;
  }

  std::ostream& out = ctx.out;
  out << "initialised chain '" << r.chain_id << "' with " << r.nodes.size() << " validator"
      << (r.nodes.size() == 1 ? "" : "s") << " in " << dir << "\n\n"
      << "genesis     " << r.paths.genesis().string() << "\n"
      << "keystore    " << r.paths.keystore().string() << "\n"
      << "passphrase  " << r.paths.passphrase().string() << "\n"
      << "state root  " << options.state_commitment
      << (options.state_tree == "none" ? std::string() : " + " + options.state_tree + " state tree") << "\n";
  if (r.tls) out << "tls CA      " << (r.paths.tls_dir() / "ca.pem").string() << "\n";
  out << "\nkeys\n";
  for (std::size_t i = 0; i < r.keys.size(); ++i) {
    std::string what;
    for (const std::string& role : accounts[i].roles) what += (what.empty() ? "" : ", ") + role;
    if (!accounts[i].organisation.empty()) what += " (" + accounts[i].organisation + ")";
    if (accounts[i].balance != 0) what += (what.empty() ? "" : "; ") + tools::format_amount(accounts[i].balance);
    out << "  " << r.keys[i].name << std::string(12 - std::min<std::size_t>(11, r.keys[i].name.size()), ' ')
        << crypto::format_address(r.keys[i].address) << "  " << what << "\n";
  }
  out << "\ncommittee   " << options.committee << " operator key" << (options.committee == 1 ? "" : "s")
      << ", " << options.threshold << " approval" << (options.threshold == 1 ? "" : "s")
      << " per proposal (sharechain governance)\n";
  out << "\nnodes\n";
  for (const NodeLayout& n : r.nodes) {
    out << "  " << n.name << "  " << n.dir.string() << "  api " << n.api_address << "  p2p "
        << n.p2p_address << "  metrics " << n.metrics_address << "\n";
  }
  out << "\nstart the cluster:  sharechain-net start --dir " << dir << "\n"
      << "use the wallet:     sharechain --node " << r.nodes.front().api_address << " --keystore "
      << r.paths.keystore().string() << " --passphrase-file " << r.paths.passphrase().string()
      << " status\n";
  return tools::kExitOk;
}

}  // namespace sharechain::net
