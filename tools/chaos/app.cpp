#include "tools/chaos/app.hpp"

#include <CLI/CLI.hpp>
#include <functional>

#include "tools/chaos/check.hpp"
#include "tools/chaos/ledger.hpp"
#include "tools/chaos/probe.hpp"
#include "tools/common/cli.hpp"

namespace sharechain::chaos {

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CLI::App app{"The acknowledgement ledger and the checks of a chaos run (scripts/chaos.sh).",
               "sharechain-chaos"};
  app.require_subcommand(1);
  int exit_code = 0;
  auto on_run = [&exit_code](CLI::App* cmd, std::function<int()> body) {
    cmd->callback([&exit_code, body = std::move(body)] { exit_code = body(); });
  };

  LedgerOptions ledger;
  std::uint64_t ledger_wait_ms = 10'000, ledger_pause_ms = 100;
  {
    CLI::App* cmd = app.add_subcommand(
        "ledger", "send transfers with wait-for-commit and record every command");
    cmd->add_option("--dir", ledger.dir, "cluster folder")->required();
    cmd->add_option("--out", ledger.out, "ledger file to write (JSONL; replaced)")->required();
    cmd->add_option("--senders", ledger.senders, "sender keys chaos1..K")
        ->capture_default_str()
        ->check(tools::decimal(2, 64));
    cmd->add_option("--funder", ledger.funder, "key that funds the senders")->capture_default_str();
    cmd->add_option("--fund", ledger.fund, "units each sender receives")
        ->capture_default_str()
        ->check(tools::decimal(1));
    cmd->add_option("--seed", ledger.seed, "seed of the node choices and amounts")
        ->capture_default_str()
        ->check(tools::decimal());
    cmd->add_option("--repeat-percent", ledger.repeat_percent,
                    "share of commands that repeat the previous payment")
        ->capture_default_str()
        ->check(tools::decimal(0, 100));
    cmd->add_option("--wait-timeout-ms", ledger_wait_ms,
                    "how long a node may take to commit a transfer")
        ->capture_default_str()
        ->check(tools::decimal(100, 600'000));
    cmd->add_option("--pause-ms", ledger_pause_ms, "pause between one sender's commands")
        ->capture_default_str()
        ->check(tools::decimal(0, 60'000));
    cmd->add_option("--duration", ledger.duration_s,
                    "seconds to run (default: until SIGINT or SIGTERM)");
    on_run(cmd, [&] {
      ledger.wait_timeout = std::chrono::milliseconds(ledger_wait_ms);
      ledger.pause = std::chrono::milliseconds(ledger_pause_ms);
      return run_ledger(ledger, err);
    });
  }
  CheckOptions check;
  std::uint64_t check_settle_s = 120;
  {
    CLI::App* cmd =
        app.add_subcommand("check", "compare every node against each other and against the ledger");
    cmd->add_option("--dir", check.dir, "cluster folder")->required();
    cmd->add_option("--ledger", check.ledger, "the ledger file `ledger` wrote")->required();
    cmd->add_option("--faults", check.faults,
                    "the fault log scripts/chaos.sh wrote (for recovery figures)");
    cmd->add_option("--settle", check_settle_s,
                    "seconds to wait for the nodes to agree on a height")
        ->capture_default_str()
        ->check(tools::decimal(0, 3600));
    cmd->add_flag("--json", check.json, "print one JSON object");
    on_run(cmd, [&] {
      check.settle = std::chrono::seconds(check_settle_s);
      return run_check(check, out, err);
    });
  }
  std::filesystem::path heights_dir;
  std::uint64_t heights_timeout_ms = 1000;
  {
    CLI::App* cmd =
        app.add_subcommand("heights", "print every node's height on one line ('-': no answer)");
    cmd->add_option("--dir", heights_dir, "cluster folder")->required();
    cmd->add_option("--timeout-ms", heights_timeout_ms, "how long to wait for each node")
        ->capture_default_str()
        ->check(tools::decimal(1, 600'000));
    on_run(cmd, [&] {
      return run_heights(heights_dir, std::chrono::milliseconds(heights_timeout_ms), out, err);
    });
  }
  AwaitOptions await;
  std::uint64_t await_timeout_s = 60;
  {
    CLI::App* cmd =
        app.add_subcommand("await", "wait until nodes reach a height; print the seconds it took");
    cmd->add_option("--dir", await.dir, "cluster folder")->required();
    cmd->add_option("--nodes", await.nodes, "node indexes, comma-separated")
        ->required()
        ->delimiter(',');
    cmd->add_option("--height", await.height, "height to reach")
        ->required()
        ->check(tools::decimal());
    cmd->add_flag("--any", await.any, "one of the nodes reaching it is enough");
    cmd->add_option("--timeout", await_timeout_s, "seconds to wait at most")
        ->capture_default_str()
        ->check(tools::decimal(1, 86'400));
    on_run(cmd, [&] {
      await.timeout = std::chrono::seconds(await_timeout_s);
      return run_await(await, out, err);
    });
  }

  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 consumes from the back
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e, out, err);
    return code == 0 ? 0 : 2;
  }
  return exit_code;
}

}  // namespace sharechain::chaos
