// `sharechain-net add-node`: writes the node folder and tells the operator how to start it and
// how the committee admits it as a validator.
#include "tools/net/add_node.hpp"
#include "tools/net/commands.hpp"

namespace sharechain::net {

int run_add_node(const CommandContext& ctx, const AddNodeOptions& options) {
  tools::Outcome<AddNodeReport> report = add_node(options.dir);
  if (!report) return ctx.fail(report.failure());
  const AddNodeReport& r = *report;
  const NodeLayout& n = r.node;

  if (ctx.json) {
    // These four names are the interface (INTERFACES.md); nothing else is printed.
    ctx.print_json({{"node", n.name},
                    {"public_key", r.public_key},
                    {"peer_address", n.p2p_address},
                    {"client_address", n.api_address}});
    return tools::kExitOk;
  }

  const std::string dir = r.paths.dir.string();
  const std::string wallet = "sharechain --node " + r.node0_api_address + " --keystore " +
                             r.paths.keystore().string() + " --passphrase-file " +
                             r.paths.passphrase().string();
  std::ostream& out = ctx.out;
  out << "added " << n.name << " to the cluster in " << dir << " (a follower: not a validator yet)\n\n"
      << "folder          " << n.dir.string() << "\n"
      << "public key      " << r.public_key << "\n"
      << "client address  " << n.api_address << "\n"
      << "peer address    " << n.p2p_address << "\n"
      << "metrics         " << n.metrics_address << "\n";
  if (r.tls) out << "tls             certificate from " << (r.paths.tls_dir() / "ca.pem").string() << "\n";
  out << "\nstart it (nodes already running are left alone):\n"
      << "  sharechain-net start --dir " << dir << "\n"
      << "it follows the chain without voting until the chain admits its key.\n\n"
      << "admit it as a validator (the operator committee, docs/governance.md):\n"
      << "  " << wallet << " governance propose add-validator --public-key " << r.public_key
      << " --peer-address " << n.p2p_address << " --name " << n.name << " --from operator --json\n";
  // The proposer's approval counts; the committee's other operators (operator2, ...) add theirs.
  for (std::uint32_t i = 2; i <= r.committee_threshold; ++i) {
    out << "  " << wallet << " governance approve ID --from operator" << i << "\n";
  }
  if (r.committee_threshold >= 2) out << "(ID: the proposal_id the propose command prints)\n";
  out << "it votes from the switch height of that change on; `sharechain validators --json` shows it pending "
         "until then.\n";
  return tools::kExitOk;
}

}  // namespace sharechain::net
