#include "tools/net/app.hpp"

#include <CLI/CLI.hpp>
#include <exception>
#include <functional>
#include <memory>

#include "proto/state_tree_path.hpp"
#include "storage/lthash.hpp"
#include "tools/common/cli.hpp"
#include "tools/common/outcome.hpp"
#include "tools/common/render.hpp"
#include "tools/net/commands.hpp"

#ifndef SHARECHAIN_VERSION
#define SHARECHAIN_VERSION "unknown"
#endif

namespace sharechain::net {

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CommandContext ctx{out, err};
  CLI::App app{"Generate, start, stop and inspect a local ShareChain cluster.", "sharechain-net"};
  app.fallthrough();
  app.require_subcommand(1);
  app.set_version_flag("--version", "sharechain-net " SHARECHAIN_VERSION);
  app.add_flag("--json", ctx.json, "print one JSON object on stdout");
  int exit_code = tools::kExitOk;
  auto on_run = [&exit_code](CLI::App* cmd, std::function<int()> body) {
    cmd->callback([&exit_code, body = std::move(body)] { exit_code = body(); });
  };

  InitOptions init;
  {
    CLI::App* cmd = app.add_subcommand(
        "init", "write genesis, node configs and keys, and a keystore for an N-node cluster");
    cmd->add_option("--nodes", init.nodes, "number of validators")
        ->capture_default_str()
        ->check(tools::decimal(1, kMaxNodes));
    cmd->add_option("--dir", init.dir, "cluster folder (created if missing)")->required();
    cmd->add_option("--base-port", init.base_port,
                    "node i listens on P+10i (client API), P+10i+1 (peers), P+10i+2 (metrics)")
        ->capture_default_str()
        ->check(tools::decimal(1, 65535));
    cmd->add_option("--hosts", init.hosts,
                    "one host per node, comma-separated (node i listens on the i-th host with the "
                    "same ports); default: every node on 127.0.0.1")
        ->delimiter(',');
    cmd->add_option("--chain-id", init.chain_id, "chain id")->capture_default_str();
    cmd->add_flag("--force", init.force,
                  "replace a cluster already in --dir (deletes its keys and its nodes' data)");
    cmd->add_flag("--tls", init.tls, "mutual TLS between peers, with a CA made for this cluster");
    cmd->add_option("--committee", init.committee,
                    "operator keys on the governance committee (operator, operator2, ...)")
        ->capture_default_str()
        ->check(tools::decimal(1, kMaxCommittee));
    cmd->add_option("--threshold", init.threshold, "committee approvals a proposal needs")
        ->capture_default_str()
        ->check(tools::decimal(1, kMaxCommittee));
    cmd->add_option("--checkpoint-interval", init.checkpoint_interval,
                    "chain parameter: heights between checkpoints (default 64)")
        ->check(tools::decimal(1, 1'000'000));
    cmd->add_option("--window", init.window,
                    "chain parameter: heights in flight above the stable checkpoint, at least "
                    "twice the interval (default four intervals)")
        ->check(tools::decimal(2, 16'000'000));
    cmd->add_option("--state-commitment", init.state_commitment,
                    "how state roots hash each entry, fixed for the chain's life: "
                    "lthash16-aes256ctr or lthash16-shake128")
        ->capture_default_str()
        ->check(CLI::Validator(
            [](const std::string& name) -> std::string {
              if (!name.empty() && storage::parse_state_commitment(name)) return "";
              return "must be one of " + std::string(storage::kStateCommitmentNames);
            },
            "NAME"));
    cmd->add_option("--state-tree", init.state_tree,
                    "whether the state root also commits to a sparse Merkle tree, so that nodes can prove "
                    "one entry's value or absence (docs/proofs.md); fixed for the chain's life: "
                    "sparse-merkle-sha256 or none")
        ->capture_default_str()
        ->check(CLI::IsMember({std::string(state_tree::kSparseMerkleSha256), std::string("none")}));
    on_run(cmd, [&] { return run_init(ctx, init); });
  }
  AddNodeOptions add_node;
  {
    CLI::App* cmd = app.add_subcommand(
        "add-node", "add one node folder (fresh key, next ports) to a cluster; it follows the chain "
                    "until the committee admits it as a validator");
    cmd->add_option("--dir", add_node.dir, "cluster folder (from `init`)")->required();
    on_run(cmd, [&] { return run_add_node(ctx, add_node); });
  }
  StartOptions start;
  {
    CLI::App* cmd = app.add_subcommand("start", "start every node that is not running and wait until each serves");
    cmd->add_option("--dir", start.dir, "cluster folder")->required();
    cmd->add_option("--bin", start.bin,
                    "sharechaind to run (default: $SHARECHAIND, next to this program, the build "
                    "tree's node/sharechaind, then $PATH)");
    cmd->add_option("--wait", start.wait_s, "seconds to wait for the nodes to answer")
        ->capture_default_str()
        ->check(tools::decimal(1, 3600));
    on_run(cmd, [&] { return run_start(ctx, start); });
  }
  StopOptions stop;
  {
    CLI::App* cmd = app.add_subcommand("stop", "stop every running node (SIGTERM, then SIGKILL)");
    cmd->add_option("--dir", stop.dir, "cluster folder")->required();
    cmd->add_option("--grace", stop.grace_s, "seconds between SIGTERM and SIGKILL")
        ->capture_default_str()
        ->check(tools::decimal(0, 3600));
    on_run(cmd, [&] { return run_stop(ctx, stop); });
  }
  StatusOptions status;
  {
    CLI::App* cmd = app.add_subcommand(
        "status", "show each node's address, process, height, view and peers, and a one-line verdict (as sharechain doctor)");
    cmd->add_option("--dir", status.dir, "cluster folder")->required();
    cmd->add_option("--timeout", status.timeout_ms, "milliseconds to wait for each node's answer")
        ->capture_default_str()
        ->check(tools::decimal(1, 600'000));
    cmd->add_option("--sample-ms", status.sample_ms,
                    "look at the nodes twice this many milliseconds apart, so the verdict also sees "
                    "whether they advance (0: one look)")
        ->capture_default_str()
        ->check(tools::decimal(0, 60'000));
    on_run(cmd, [&] { return run_status(ctx, status); });
  }
  ExportOptions exp;
  {
    CLI::App* cmd = app.add_subcommand(
        "export", "write Kubernetes manifests, systemd units or a compose project for a cluster, keys included");
    cmd->add_option("--dir", exp.dir, "cluster folder (from `init`)")->required();
    cmd->add_option("--format", exp.format, "kubernetes, systemd or compose")->required();
    cmd->add_option("--out", exp.out, "folder to write (created if missing; must be empty or an earlier export)")
        ->required();
    cmd->add_option("--image", exp.image, "container image (kubernetes, compose)")->capture_default_str();
    cmd->add_option("--bin", exp.bin, "where sharechaind is installed on the hosts (systemd)")
        ->capture_default_str();
    cmd->add_flag("--force", exp.force, "replace an earlier export in --out (only the files it wrote)");
    on_run(cmd, [&] { return run_export(ctx, exp); });
  }

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
  return exit_code;
}

}  // namespace sharechain::net
