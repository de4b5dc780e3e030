// `sharechain-net start|stop|status`: the node processes of a cluster folder.
#include <chrono>
#include <optional>
#include <thread>

#include "tools/common/client.hpp"
#include "tools/common/files.hpp"
#include "tools/net/commands.hpp"
#include "tools/net/doctor_plan.hpp"
#include "tools/net/process.hpp"

namespace sharechain::net {
namespace {

using Clock = std::chrono::steady_clock;
using tools::Failure;
using tools::Json;

constexpr std::size_t kLogLinesOnFailure = 15;

tools::Outcome<std::vector<NodeLayout>> load_cluster(const std::filesystem::path& dir) {
  if (dir.empty()) return Failure::usage("--dir is required");
  Result<std::vector<NodeLayout>> nodes = discover_nodes(ClusterPaths(dir));
  // A folder that is not a cluster is the caller's mistake.
  if (!nodes) return Failure::usage(nodes.status().message());
  return std::move(nodes).value();
}

std::string log_excerpt(const NodeLayout& n) {
  const std::string tail = tail_lines(n.log_file(), kLogLinesOnFailure);
  if (tail.empty()) return "";
  return "\nlast lines of " + n.log_file().string() + ":\n" + tail;
}

// What one poll of a node's GetStatus found.
struct Probe {
  std::optional<api::NodeStatus> status;
  std::string error;
};

Probe probe(client::Node& client) {
  Probe p;
  tools::Outcome<api::NodeStatus> s = client.status();
  if (s) {
    p.status = *s;
  } else {
    p.error = s.failure().message;
  }
  return p;
}

struct StartingNode {
  NodeLayout layout;
  pid_t pid = 0;
  bool started_now = false;  // spawned by this call (so its exit can be observed)
  std::optional<api::NodeStatus> status;
  std::string last_error;
};

}  // namespace

int run_start(const CommandContext& ctx, const StartOptions& options) {
  tools::Outcome<std::vector<NodeLayout>> layouts = load_cluster(options.dir);
  if (!layouts) return ctx.fail(layouts.failure());

  std::optional<std::filesystem::path> daemon;
  std::vector<StartingNode> nodes;
  for (const NodeLayout& n : *layouts) {
    StartingNode s;
    s.layout = n;
    if (const auto pid = running_pid(n)) {
      s.pid = *pid;
    } else {
      if (!daemon) {
        Result<std::filesystem::path> found = find_daemon(options.bin, self_executable());
        if (!found) return ctx.fail(Failure::usage(found.status().message()));
        daemon = *found;
      }
      if (Status st = tools::make_dirs(n.data_dir(), 0700); !st) return ctx.fail(Failure::from_local(st));
      Result<pid_t> spawned = spawn_node(*daemon, n);
      if (!spawned) return ctx.fail(Failure::refused(spawned.status().message()));
      s.pid = *spawned;
      s.started_now = true;
    }
    nodes.push_back(std::move(s));
  }

  // Every node this call started must answer before the cluster counts as started. One that was
  // already running is asked too, but one that does not answer (frozen, or busy restoring) is
  // not this call's failure: it gets a warning, and `status` or the doctor tells more.
  const auto deadline = Clock::now() + std::chrono::seconds(options.wait_s);
  for (;;) {
    bool all_ready = true;
    for (StartingNode& s : nodes) {
      if (s.status) continue;
      std::string how;
      if (s.started_now && child_exited(s.pid, &how)) {
        std::error_code ec;
        std::filesystem::remove(s.layout.pid_file(), ec);
        return ctx.fail(Failure::refused(s.layout.name + " (pid " + std::to_string(s.pid) + ") " + how +
                                         " while starting; nodes already up keep running (`sharechain-net stop --dir " +
                                         options.dir.string() + "` stops them)" + log_excerpt(s.layout)));
      }
      if (!s.started_now && !process_alive(s.pid)) {
        return ctx.fail(Failure::refused(s.layout.name + " (pid " + std::to_string(s.pid) +
                                         ") stopped while the cluster was starting" + log_excerpt(s.layout)));
      }
      // A fresh connection for every attempt: a channel that failed while the node was still
      // starting backs off before trying again, and would notice the node only seconds later.
      client::Node client(s.layout.api_address, std::chrono::seconds(1),
                          client::Node::Connection::kPrivate);
      Probe p = probe(client);
      // Another program answering on this node's port is not this node.
      if (p.status && !p.status->node_name().empty() && p.status->node_name() != s.layout.name) {
        s.last_error = s.layout.api_address + " is served by '" + p.status->node_name() + "', not " + s.layout.name;
        p.status.reset();
      }
      if (p.status) {
        s.status = std::move(p.status);
      } else {
        if (!p.error.empty()) s.last_error = p.error;
        if (s.started_now) all_ready = false;
      }
    }
    if (all_ready) break;
    if (Clock::now() >= deadline) {
      for (const StartingNode& s : nodes) {
        if (s.status || !s.started_now) continue;
        return ctx.fail(Failure::refused(s.layout.name + " (pid " + std::to_string(s.pid) +
                                         ") did not answer at " + s.layout.api_address + " within " +
                                         std::to_string(options.wait_s) + " s: " + s.last_error +
                                         log_excerpt(s.layout)));
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (const StartingNode& s : nodes) {
    if (s.status) continue;
    ctx.err << "warning: " << s.layout.name << " (pid " << s.pid << ") was already running but does not answer at "
            << s.layout.api_address << ": " << s.last_error << "; `sharechain-net status --dir "
            << options.dir.string() << "` shows how it is\n";
  }

  // Answering is not enough to take transactions: each node must also learn from a quorum of
  // its peers how far the chain is (and catch up to it). Wait for that too, but a cluster that
  // cannot form a quorum (some nodes down on purpose) still counts as started. A follower (a
  // node `add-node` made, not yet admitted) takes no transactions and is never synced: it is
  // not waited for.
  // (A running node that did not answer is not waited for either: its warning is out.)
  auto settled = [](const StartingNode& s) {
    return !s.status || s.status->synced() || s.status->follower();
  };
  const auto sync_deadline = std::min(deadline, Clock::now() + std::chrono::seconds(20));
  for (;;) {
    bool all_synced = true;
    for (StartingNode& s : nodes) {
      if (settled(s)) continue;
      client::Node client(s.layout.api_address, std::chrono::seconds(1),
                          client::Node::Connection::kPrivate);
      Probe p = probe(client);
      if (p.status) s.status = std::move(p.status);
      all_synced = all_synced && settled(s);
    }
    if (all_synced) break;
    if (Clock::now() >= sync_deadline) {
      for (const StartingNode& s : nodes) {
        if (settled(s)) continue;
        ctx.err << "warning: " << s.layout.name << " answers but is not synced yet (height "
                << s.status->height() << " of " << s.status->certified_height()
                << "); it refuses transactions until it is\n";
      }
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }

  if (ctx.json) {
    Json list = Json::array();
    for (const StartingNode& s : nodes) {
      list.push_back({{"name", s.layout.name},
                      {"client_address", s.layout.api_address},
                      {"pid", s.pid},
                      {"started", s.started_now},
                      {"answering", s.status.has_value()},
                      {"height", s.status ? s.status->height() : 0},
                      {"synced", s.status && s.status->synced()},
                      {"follower", s.status && s.status->follower()}});
    }
    ctx.print_json({{"nodes", std::move(list)}});
  } else {
    for (const StartingNode& s : nodes) {
      ctx.out << s.layout.name << "  " << s.layout.api_address << "  pid " << s.pid << "  "
              << (s.started_now ? "started" : "already running")
              << (!s.status ? " (not answering)"
                  : s.status->follower() ? " (follower: votes on nothing until the chain admits its key)"
                                         : "")
              << "\n";
    }
  }
  return tools::kExitOk;
}

int run_stop(const CommandContext& ctx, const StopOptions& options) {
  tools::Outcome<std::vector<NodeLayout>> layouts = load_cluster(options.dir);
  if (!layouts) return ctx.fail(layouts.failure());
  Json list = Json::array();
  int exit_code = tools::kExitOk;
  for (const NodeLayout& n : *layouts) {
    const std::optional<pid_t> pid = running_pid(n);
    std::string result = "not running";
    if (pid) {
      Result<StopOutcome> stopped = stop_process(*pid, std::chrono::seconds(options.grace_s));
      if (!stopped) {
        ctx.err << "error: " << n.name << ": " << stopped.status().message() << "\n";
        exit_code = tools::kExitRefused;
        result = "still running";
      } else {
        result = *stopped == StopOutcome::kKilled ? "killed" : "stopped";
      }
    }
    if (result != "still running") {
      std::error_code ec;
      std::filesystem::remove(n.pid_file(), ec);
    }
    if (ctx.json) {
      list.push_back({{"name", n.name}, {"pid", pid ? Json(*pid) : Json(nullptr)}, {"result", result}});
    } else {
      ctx.out << n.name << "  " << result;
      if (pid) ctx.out << " (pid " << *pid << ")";
      if (result == "killed") ctx.out << " after " << options.grace_s << " s grace";
      ctx.out << "\n";
    }
  }
  if (ctx.json) ctx.print_json({{"nodes", std::move(list)}});
  return exit_code;
}

int run_status(const CommandContext& ctx, const StatusOptions& options) {
  if (options.dir.empty()) return ctx.fail(Failure::usage("--dir is required"));
  Result<DoctorPlan> plan = doctor_plan(ClusterPaths(options.dir));
  // A folder that is not a cluster is the caller's mistake.
  if (!plan) return ctx.fail(Failure::usage(plan.status().message()));
  // One look at every node at once (a node without a live process is not asked: it cannot
  // answer, so there is no timeout to wait for), judged by the same checks as `sharechain doctor`.
  tools::doctor::ProbeOptions probe;
  probe.timeout = std::chrono::milliseconds(options.timeout_ms);
  probe.sample = std::chrono::milliseconds(options.sample_ms);
  const std::string dir_arg = ClusterPaths(options.dir).dir.string();
  tools::doctor::Collected seen = tools::doctor::collect(plan->targets, plan->expected, dir_arg, probe);
  const tools::doctor::Report report = tools::doctor::diagnose(seen.facts);

  Json list = Json::array();
  for (std::size_t i = 0; i < plan->layouts.size(); ++i) {
    const NodeLayout& n = plan->layouts[i];
    const tools::doctor::NodeFacts& f = seen.facts.nodes[i];
    const std::optional<api::NodeStatus>& status = f.reach == tools::doctor::Reach::kAnswered
                                                       ? seen.statuses[i]
                                                       : std::optional<api::NodeStatus>();
    Json j;
    j["name"] = n.name;
    j["client_address"] = n.api_address;
    j["p2p_address"] = n.p2p_address;
    j["metrics_address"] = n.metrics_address;
    j["explorer_url"] = explorer_url(n.metrics_address, n.ops_https);
    j["pid"] = f.pid ? Json(*f.pid) : Json(nullptr);
    j["running"] = f.pid.has_value();
    j["serving"] = status.has_value();
    if (status) {
      const api::NodeStatus& s = *status;
      j["chain_id"] = s.chain_id();
      j["height"] = s.height();
      j["view"] = s.view();
      j["primary"] = s.primary();
      j["validator"] = s.node_id();
      j["synced"] = s.synced();
      j["follower"] = s.follower();
      j["certified_height"] = s.certified_height();
      j["history_complete"] = s.history_complete();
      Json peers = Json::array();
      std::size_t connected = 0;
      for (const api::PeerStatus& peer : s.peers()) {
        connected += peer.connected() ? 1 : 0;
        peers.push_back({{"validator", peer.validator()}, {"address", peer.address()}, {"connected", peer.connected()}});
      }
      j["peers_connected"] = connected;
      j["peers"] = std::move(peers);
    } else {
      j["height"] = nullptr;
      j["view"] = nullptr;
      j["peers"] = Json::array();
      j["error"] = f.reach == tools::doctor::Reach::kNotRunning ? std::string("not running")
                   : f.process_stopped                           ? "stopped (SIGSTOP): " + f.error
                                                                 : f.error;
    }
    list.push_back(std::move(j));
  }
  if (ctx.json) {
    ctx.print_json({{"nodes", std::move(list)}, {"verdict", tools::doctor::report_json(report)}});
    return tools::kExitOk;
  }
  auto pad = [](std::string s, std::size_t w) {
    if (s.size() < w) s.append(w - s.size(), ' ');
    return s;
  };
  ctx.out << pad("node", 8) << pad("client address", 18) << pad("pid", 9) << pad("state", 9)
          << pad("height", 9) << pad("view", 6) << "peers\n";
  for (const Json& j : list) {
    const bool serving = j["serving"].get<bool>();
    // "behind": serving, but not synced (catching up, or out of touch with a quorum);
    // "follower": serving the chain it follows, voting on nothing, never synced.
    const std::string state = !serving                    ? j["running"].get<bool>() ? "silent" : "stopped"
                              : j["follower"].get<bool>() ? "follower"
                              : j["synced"].get<bool>()   ? "serving"
                                                          : "behind";
    ctx.out << pad(j["name"].get<std::string>(), 8) << pad(j["client_address"].get<std::string>(), 18)
            << pad(j["pid"].is_null() ? "-" : std::to_string(j["pid"].get<pid_t>()), 9) << pad(state, 9)
            << pad(serving ? std::to_string(j["height"].get<std::uint64_t>()) : "-", 9)
            << pad(serving ? std::to_string(j["view"].get<std::uint64_t>()) : "-", 6)
            << (serving ? std::to_string(j["peers_connected"].get<std::size_t>()) + "/" +
                              std::to_string(j["peers"].size()) + " connected"
                        : "-")
            << "\n";
    if (j["running"].get<bool>() && !serving) ctx.out << "        " << j["error"].get<std::string>() << "\n";
  }
  ctx.out << "verdict: " << report.verdict << "\n";
  if (report.critical + report.warnings > 0) {
    ctx.out << "         (sharechain doctor --dir " << dir_arg << " lists every finding and its fix)\n";
  }
  return tools::kExitOk;
}

}  // namespace sharechain::net
