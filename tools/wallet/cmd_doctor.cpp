// `sharechain doctor`: why is nothing committing, why is this node behind? Looks at every
// validator of a cluster folder (--dir) or at the nodes given with --node and the peers they
// name, twice --sample-ms apart, and prints one line per finding and a verdict
// (tools/common/doctor.hpp holds the checks). Exit 0 when healthy (warnings allowed unless
// --strict), 1 when not, 2 for a usage error.
#include <memory>

#include "tools/common/cli.hpp"
#include "tools/common/doctor.hpp"
#include "tools/common/doctor_probe.hpp"
#include "tools/net/doctor_plan.hpp"
#include "tools/wallet/context.hpp"

namespace sharechain::wallet {
namespace {

struct DoctorOptions {
  std::string dir;
  unsigned sample_ms = 1000;
  unsigned timeout_ms = 800;
  bool strict = false;
  std::string tls_ca;
};

int run_doctor(Context& ctx, const DoctorOptions& o) {
  namespace doctor = tools::doctor;
  doctor::ProbeOptions probe;
  probe.timeout = std::chrono::milliseconds(o.timeout_ms);
  probe.sample = std::chrono::milliseconds(o.sample_ms);
  probe.ops_tls_ca = o.tls_ca;
  std::vector<doctor::ProbeTarget> targets;
  std::optional<doctor::Expectation> expected;
  std::string cluster_dir;
  if (!o.dir.empty()) {
    if (!ctx.options.node.empty())
      return ctx.fail(Failure::usage("give either --dir or --node, not both"));
    const net::ClusterPaths paths(o.dir);
    Result<net::DoctorPlan> plan = net::doctor_plan(paths);
    if (!plan) return ctx.fail(Failure::usage(plan.status().message()));
    targets = std::move(plan->targets);
    expected = std::move(plan->expected);
    cluster_dir = paths.dir.string();
  } else {
    Outcome<std::vector<std::string>> nodes =
        tools::parse_node_list(tools::resolve_node_address(ctx.options.node));
    if (!nodes) return ctx.fail(nodes.failure());
    for (const std::string& address : *nodes) {
      doctor::ProbeTarget t;
      t.client_address = address;
      targets.push_back(std::move(t));
    }
    probe.follow_peers = true;
  }
  const doctor::Collected seen = doctor::collect(targets, std::move(expected), cluster_dir, probe);
  doctor::Report report = doctor::diagnose(seen.facts);
  const bool healthy = report.healthy && (!o.strict || report.warnings == 0);
  if (ctx.json()) {
    tools::Json j = doctor::report_json(report);
    j["healthy"] = healthy;
    ctx.print_json(j);
  } else {
    doctor::print_report(ctx.out(), report);
  }
  return healthy ? tools::kExitOk : tools::kExitRefused;
}

}  // namespace

void register_doctor_commands(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<DoctorOptions>();
  CLI::App* cmd = app.add_subcommand(
      "doctor",
      "why is nothing committing, why is a node behind: checks every validator (reachable, "
      "advancing, "
      "quorum, primary and views, lag and catch-up rate, mempool, disk, identity) and says what to "
      "do. "
      "Exit 0 when healthy (warnings allowed unless --strict), 1 when not, 2 for a usage error");
  cmd->add_option("--dir", o->dir,
                  "a cluster folder made by `sharechain-net init`: check each of its nodes, their "
                  "processes, data folders and keys (default: --node and the peers it names)");
  cmd->add_option(
         "--sample-ms", o->sample_ms,
         "milliseconds between the two looks at each node that measure progress (0: one look)")
      ->capture_default_str()
      ->check(tools::decimal(0, 60'000));
  cmd->add_option("--probe-timeout-ms", o->timeout_ms,
                  "deadline of each call to a node, in milliseconds")
      ->capture_default_str()
      ->check(tools::decimal(50, 60'000));
  cmd->add_flag("--strict", o->strict, "warnings count as unhealthy too (exit 1)");
  cmd->add_option("--tls-ca", o->tls_ca,
                  "CA certificate (PEM) of operations ports that serve HTTPS ([metrics] tls): a "
                  "cluster folder's tls/ca.pem (with --dir, each node's config names its own)")
      ->check(CLI::ExistingFile);
  on_run(cmd, ctx, [&ctx, o] { return run_doctor(ctx, *o); });
}

}  // namespace sharechain::wallet
