#include "tools/wallet/app.hpp"

#include <CLI/CLI.hpp>
#include <exception>

#include "tools/common/cli.hpp"
#include "tools/wallet/context.hpp"

#ifndef SHARECHAIN_VERSION
#define SHARECHAIN_VERSION "unknown"
#endif

namespace sharechain::wallet {

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Context ctx(out, err);
  CLI::App app{"The ShareChain wallet: keys, transactions and queries against a node.", "sharechain"};
  // Global options may follow the command too: `sharechain keys show user1 --json`.
  app.fallthrough();
  app.require_subcommand(1);
  app.set_version_flag("--version", "sharechain " SHARECHAIN_VERSION);
  GlobalOptions& o = ctx.options;
  app.add_option("--node", o.node,
                 "node client API address HOST:PORT, or several separated by commas (the first synced one is used) (default: $SHARECHAIN_NODE, else 127.0.0.1:26600)");
  app.add_option("--keystore", o.keystore,
                 "keystore folder (default: $SHARECHAIN_KEYSTORE, else ~/.sharechain/keystore)");
  app.add_option("--passphrase-file", o.passphrase_file,
                 "file holding the keystore passphrase (default: $SHARECHAIN_PASSPHRASE, else a "
                 "prompt on a terminal)");
  app.add_option("--chain-id", o.chain_id, "chain id for signing (default: the node's)");
  app.add_flag("--json", o.json, "print one JSON object (one per line for streams) on stdout");
  app.add_option("--timeout", o.timeout_s, "seconds to wait for each answer from the node")
      ->capture_default_str()
      ->check(tools::decimal(1, 3600));

  register_key_commands(app, ctx);
  register_query_commands(app, ctx);
  register_ledger_commands(app, ctx);
  register_asset_commands(app, ctx);
  register_agreement_commands(app, ctx);
  register_session_commands(app, ctx);
  register_split_commands(app, ctx);
  register_finance_commands(app, ctx);
  register_vehicle_commands(app, ctx);
  register_portfolio_commands(app, ctx);
  register_doctor_commands(app, ctx);
  register_audit_commands(app, ctx);
  register_governance_commands(app, ctx);
  register_proof_commands(app, ctx);

  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 consumes from the back
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e, out, err);
    return code == 0 ? tools::kExitOk : tools::kExitUsage;
  } catch (const std::exception& e) {
    err << "error: " << e.what() << "\n";
    return tools::kExitRefused;
  }
  return ctx.exit_code;
}

}  // namespace sharechain::wallet
