// sharechain-dataserver: the reference data management server. See docs/dataserver.md.
//
//   sharechain-dataserver --node A[,B...] --keystore DIR --passphrase-file F
//                         [--duration S] [--seed N] [--rate R] [--json]
//   sharechain-dataserver audit --node A[,B...] --genesis FILE [--json]
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "tools/common/cli.hpp"
#include "tools/common/client.hpp"
#include "tools/dataserver/audit.hpp"
#include "tools/dataserver/runner.hpp"

namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_signal(int) {
  // The first signal asks for a clean stop (drain, then report); a second one ends at once.
  if (g_stop.exchange(true)) _exit(130);
}

// Every address HOST:PORT, usage error otherwise.
bool check_nodes(std::vector<std::string>& nodes) {
  if (nodes.empty()) nodes.push_back(sharechain::tools::resolve_node_address(""));
  for (const std::string& n : nodes) {
    auto ok = sharechain::tools::check_node_address(n);
    if (!ok) {
      std::cerr << "sharechain-dataserver: " << ok.failure().message << "\n";
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace sharechain;
  CLI::App app{"sharechain-dataserver: the reference data management server. It sets up assets, usage "
               "agreements and split models on a cluster, then plays customers' visits (reservations, "
               "access, metered sessions, payments on and off chain, settlements) and reports what it did.",
               "sharechain-dataserver"};
  dataserver::RunOptions run;
  std::vector<std::string> nodes;
  app.add_option("--node,--nodes", nodes,
                 "client API addresses HOST:PORT, comma-separated; accounts are dealt to them round robin "
                 "(default: $SHARECHAIN_NODE, else 127.0.0.1:26600)")
      ->delimiter(',');
  app.add_option("--keystore", run.keystore, "keystore folder with operator, dataserver, attester1..3, user1..4 "
                                             "(a `sharechain-net init` folder's keystore)");
  app.add_option("--passphrase-file", run.passphrase_file,
                 "file holding the keystore passphrase (default: $SHARECHAIN_PASSPHRASE, else a prompt)");
  app.add_option("--duration", run.duration_s, "seconds of visits after the set-up; 0 = until SIGINT or SIGTERM")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 31'536'000.0));
  app.add_option("--seed", run.seed, "scenario seed: the same seed plans the same assets and visits")
      ->capture_default_str()
      ->check(tools::decimal());
  app.add_option("--rate", run.rate, "target visits (sessions) per second")
      ->capture_default_str()
      ->check(CLI::Range(0.01, 1000.0));
  app.add_flag("--json", run.json, "print the report as one JSON object");
  app.add_option("--users", run.scenario.users, "customers in the run's pool")
      ->capture_default_str()
      ->check(tools::decimal(1, 100'000));
  app.add_option("--stations", run.scenario.stations, "maintenance stations to set up")
      ->capture_default_str()
      ->check(tools::decimal(0, 1000));
  app.add_option("--parking", run.scenario.parking, "parking spaces to set up")
      ->capture_default_str()
      ->check(tools::decimal(0, 1000));
  app.add_option("--piles", run.scenario.piles, "charging piles to set up")
      ->capture_default_str()
      ->check(tools::decimal(0, 1000));
  app.add_option("--concurrency", run.concurrency, "visits in progress at most")
      ->capture_default_str()
      ->check(tools::decimal(1, 4096));
  app.add_option("--drain", run.drain_s, "seconds a stop waits for visits in progress")
      ->capture_default_str()
      ->check(tools::decimal(1, 3600));

  dataserver::AuditOptions audit;
  std::vector<std::string> audit_nodes;
  CLI::App* audit_cmd = app.add_subcommand(
      "audit", "check a cluster's books through the client API: nodes agree, money is conserved, every "
               "party's income matches its shares of paid sessions and routed income");
  audit_cmd->add_option("--node,--nodes", audit_nodes, "client API addresses, comma-separated; all are compared")
      ->delimiter(',');
  audit_cmd->add_option("--genesis", audit.genesis, "the cluster's genesis.json")->required();
  audit_cmd->add_option("--settle", audit.settle_s, "seconds to wait for the nodes to reach one height")
      ->capture_default_str()
      ->check(tools::decimal(0, 3600));
  audit_cmd->add_flag("--json", audit.json, "print one JSON object");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? tools::kExitOk : tools::kExitUsage;
  }

  if (audit_cmd->parsed()) {
    if (!check_nodes(audit_nodes)) return tools::kExitUsage;
    audit.nodes = audit_nodes;
    return dataserver::audit(audit, std::cout, std::cerr);
  }

  if (run.keystore.empty()) {
    std::cerr << "sharechain-dataserver: --keystore is required (the keystore of a `sharechain-net init` folder)\n";
    return tools::kExitUsage;
  }
  if (!check_nodes(nodes)) return tools::kExitUsage;
  run.nodes = nodes;

  struct sigaction sa = {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  return dataserver::run(run, g_stop, std::cout, std::cerr);
}
