// `sharechain doctor`'s checks (tools/common/doctor.hpp) on made-up facts about a 4-validator
// cluster: each case breaks the healthy facts the way a real fault would, so none of the checks
// can pass by construction.
//   healthy: four nodes that answer, advance together and agree -> healthy, no warning, exit 0
//   stalled: one node answers but stays behind while the others advance -> critical, named
//   paused: one node SIGSTOPped -> critical, named, fix `kill -CONT PID`; quorum still held
//   not running: fix `sharechain-net start --dir D`
//   one address refusing, no folder: named, and no quorum arithmetic on an unknown count
//   quorum: two of four gone -> quorum lost naming both, and one `kill -CONT` for both pids
//   lag: a node behind but catching up -> warning with its rate (still healthy); a single look
//     -> warning; falling behind -> critical
//   identity: a mismatched chain id, genesis hash, validator index or key file -> critical; a
//     genesis.json that no node agrees with is the file's fault, one cluster finding
//   without a genesis: the odd chain out of the nodes' majority -> critical
//   halted, not synced, views storming, commits stalled with a full mempool, a nearly full
//     mempool, low disk, a node that stopped voting
//   follower (an added node not yet admitted): not counted in the quorum, not flagged as not
//     synced, out of view or not voting; still named when it stays behind
//   prometheus: the text format the node writes parses, labelled series keep their labels
//   json: healthy, verdict and findings with severity, node, message, fix
#include "tools/common/doctor.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <sstream>

using namespace sharechain::tools;
using namespace sharechain::tools::doctor;

namespace {

constexpr std::uint32_t kNodes = 4;

StatusSample status(std::uint32_t i, std::uint64_t height, std::uint64_t view = 1) {
  StatusSample s;
  s.chain_id = "sharechain-local";
  s.node_name = "node" + std::to_string(i);
  s.node_id = i;
  s.validators = kNodes;
  s.height = height;
  s.view = view;
  s.primary = static_cast<std::uint32_t>(view % kNodes);
  s.synced = true;
  s.certified_height = height;
  for (std::uint32_t p = 0; p < kNodes; ++p) {
    if (p != i) s.peers.push_back({p, "127.0.0.1:" + std::to_string(33001 + 10 * p), true});
  }
  return s;
}

MetricSample metrics(double sent, double received) {
  return {{"sharechain_peer_sent_messages_total", sent},
          {"sharechain_peer_received_messages_total", received},
          {"sharechain_mempool_bytes", 0}};
}

// Four nodes at heights 100 -> 110 over one second, each with a live process, metrics, a
// healthy ops port, the right genesis and key, and plenty of disk.
ClusterFacts healthy() {
  ClusterFacts c;
  c.cluster_dir = "/tmp/sc";
  Expectation e;
  e.chain_id = "sharechain-local";
  e.genesis_hash = std::string(64, 'a');
  for (std::uint32_t i = 0; i < kNodes; ++i) {
    e.validator_keys.push_back(std::string(63, 'b') + static_cast<char>('0' + i));
    e.validator_names.push_back("node" + std::to_string(i));
  }
  for (std::uint32_t i = 0; i < kNodes; ++i) {
    NodeFacts n;
    n.name = "node" + std::to_string(i);
    n.validator = i;
    n.client_address = "127.0.0.1:" + std::to_string(33000 + 10 * i);
    n.ops_address = "127.0.0.1:" + std::to_string(33002 + 10 * i);
    n.process_known = true;
    n.pid = 1000 + static_cast<int>(i);
    n.reach = Reach::kAnswered;
    n.first = status(i, 100);
    n.second = status(i, 110);
    n.sample_seconds = 1.0;
    n.metrics_first = metrics(500, 500);
    n.metrics_second = metrics(540, 540);
    n.healthz = HttpAnswer{200, R"({"status":"ok"})"};
    n.readyz = HttpAnswer{200, R"({"status":"ready"})"};
    n.version = VersionInfo{"sharechain-local", e.genesis_hash, i, n.name};
    n.disk = DiskSpace{"/tmp/sc/" + n.name + "/data", 50ull << 30, 200ull << 30};
    n.key_file_public_key = e.validator_keys[i];
    n.log_file = "/tmp/sc/" + n.name + "/node.log";
    c.nodes.push_back(std::move(n));
  }
  c.expected = std::move(e);
  return c;
}

// Copies, so a report made in the call's argument may go.
std::vector<Finding> with(const Report& r, Severity s, const std::string& check = "") {
  std::vector<Finding> out;
  for (const Finding& f : r.findings) {
    if (f.severity == s && (check.empty() || f.check == check)) out.push_back(f);
  }
  return out;
}

bool names(const Finding& f, const std::string& node) {
  return std::find(f.nodes.begin(), f.nodes.end(), node) != f.nodes.end();
}

void pause(NodeFacts& n) {
  n.reach = Reach::kTimedOut;
  n.error = "no answer within 800 ms";
  n.process_stopped = true;
  n.first.reset();
  n.second.reset();
  n.metrics_first.reset();
  n.metrics_second.reset();
  n.healthz.reset();
  n.readyz.reset();
  n.version.reset();
}

}  // namespace

TEST_CASE("doctor: a healthy cluster is healthy") {
  const Report r = diagnose(healthy());
  CHECK(r.healthy);
  CHECK(r.critical == 0);
  CHECK(r.warnings == 0);
  CHECK(r.verdict.rfind("healthy: 4 of 4 validators respond", 0) == 0);
  CHECK(r.verdict.find("height 110") != std::string::npos);
  // The primary and the quorum are reported as facts.
  REQUIRE(with(r, Severity::kOk, "primary").size() == 1);
  CHECK(with(r, Severity::kOk, "primary")[0].message.find("node1 (validator 1) in view 1") !=
        std::string::npos);
  REQUIRE(with(r, Severity::kOk, "quorum").size() == 1);
  CHECK(with(r, Severity::kOk, "quorum")[0].message.find("4 of 4 validators respond (3 needed)") !=
        std::string::npos);
  CHECK(with(r, Severity::kOk, "node").size() == 4);
}

TEST_CASE("doctor: a node that answers but does not advance is named") {
  ClusterFacts c = healthy();
  c.nodes[2].first = status(2, 60);
  c.nodes[2].second = status(2, 60);
  const Report r = diagnose(c);
  CHECK_FALSE(r.healthy);
  const auto lag = with(r, Severity::kCritical, "lag");
  REQUIRE(lag.size() == 1);
  CHECK(names(lag[0], "node2"));
  CHECK(lag[0].message.find("50 blocks behind") != std::string::npos);
  CHECK(lag[0].message.find("did not advance") != std::string::npos);
  CHECK(lag[0].fix.find("sharechain status --node 127.0.0.1:33020") != std::string::npos);
  CHECK(r.verdict.find("node2") != std::string::npos);
  // Three others still form a quorum.
  CHECK(with(r, Severity::kOk, "quorum").size() == 1);
}

TEST_CASE("doctor: a paused node is named with kill -CONT") {
  ClusterFacts c = healthy();
  pause(c.nodes[3]);
  const Report r = diagnose(c);
  CHECK_FALSE(r.healthy);
  const auto down = with(r, Severity::kCritical, "reachable");
  REQUIRE(down.size() == 1);
  CHECK(names(down[0], "node3"));
  CHECK(down[0].message.find("SIGSTOP") != std::string::npos);
  CHECK(down[0].fix == "kill -CONT 1003");
  CHECK(r.verdict.find("node3") != std::string::npos);
  const auto quorum = with(r, Severity::kOk, "quorum");
  REQUIRE(quorum.size() == 1);
  CHECK(quorum[0].message.find("one more failure stops commits") != std::string::npos);
}

TEST_CASE("doctor: a node that is not running is started with sharechain-net") {
  ClusterFacts c = healthy();
  pause(c.nodes[0]);
  c.nodes[0].reach = Reach::kNotRunning;
  c.nodes[0].pid.reset();
  c.nodes[0].process_stopped = false;
  const Report r = diagnose(c);
  const auto down = with(r, Severity::kCritical, "reachable");
  REQUIRE(down.size() == 1);
  CHECK(names(down[0], "node0"));
  CHECK(down[0].fix == "sharechain-net start --dir /tmp/sc");
  // node0 is the primary of view 4: the others move on.
  for (NodeFacts& n : c.nodes) {
    if (n.first) n.first = status(static_cast<std::uint32_t>(&n - &c.nodes[0]), 100, 4);
    if (n.second) n.second = status(static_cast<std::uint32_t>(&n - &c.nodes[0]), 110, 4);
  }
  const Report r2 = diagnose(c);
  const auto primary = with(r2, Severity::kWarning, "primary");
  REQUIRE(primary.size() == 1);
  CHECK(names(primary[0], "node0"));
}

TEST_CASE("doctor: one address that does not answer, no cluster folder") {
  NodeFacts n;
  n.name = "127.0.0.1:33000";
  n.client_address = n.name;
  n.reach = Reach::kRefused;
  n.error = "failed to connect";
  ClusterFacts c;
  c.nodes.push_back(n);
  const Report r = diagnose(c);
  CHECK_FALSE(r.healthy);
  REQUIRE(with(r, Severity::kCritical, "reachable").size() == 1);
  CHECK(with(r, Severity::kCritical, "reachable")[0].message.find(
            "127.0.0.1:33000 refuses connections: ") != std::string::npos);
  // How many validators there are is unknown: no quorum arithmetic on a guess.
  CHECK(with(r, Severity::kCritical, "quorum").empty());
  CHECK(with(r, Severity::kOk, "quorum").empty());
}

TEST_CASE("doctor: two of four gone is a lost quorum naming both") {
  ClusterFacts c = healthy();
  pause(c.nodes[1]);
  pause(c.nodes[2]);
  // The two left neither advance nor count as synced.
  for (int i : {0, 3}) {
    c.nodes[i].first->synced = false;
    c.nodes[i].second = c.nodes[i].first;
  }
  const Report r = diagnose(c);
  CHECK_FALSE(r.healthy);
  const auto quorum = with(r, Severity::kCritical, "quorum");
  REQUIRE(quorum.size() == 1);
  CHECK(names(quorum[0], "node1"));
  CHECK(names(quorum[0], "node2"));
  CHECK_FALSE(names(quorum[0], "node0"));
  CHECK(quorum[0].message.find("quorum lost: 2 of 4 validators respond, 3 needed") !=
        std::string::npos);
  CHECK(quorum[0].message.find("bring back at least 1 of node1 and node2") != std::string::npos);
  CHECK(quorum[0].fix == "kill -CONT 1001 1002");
  // The verdict leads with the quorum, and the findings with it.
  CHECK(r.verdict.rfind("unhealthy: quorum lost", 0) == 0);
  CHECK(r.findings.front().check == "quorum");
  // Each lost node has its own line too; the survivors' "not synced" is the quorum's doing.
  CHECK(with(r, Severity::kCritical, "reachable").size() == 2);
  CHECK(with(r, Severity::kCritical, "synced").empty());
}

TEST_CASE("doctor: lag and catch-up rate") {
  ClusterFacts c = healthy();
  SECTION("catching up is a warning with its rate") {
    c.nodes[1].first = status(1, 20);
    c.nodes[1].second = status(1, 70);  // 50 blocks/s against the chain's 10
    const Report r = diagnose(c);
    CHECK(r.healthy);
    const auto lag = with(r, Severity::kWarning, "lag");
    REQUIRE(lag.size() == 1);
    CHECK(names(lag[0], "node1"));
    CHECK(lag[0].message.find("40 blocks behind (height 70 of 110), catching up at 50.0 blocks/s "
                              "(about 1 s to go)") != std::string::npos);
    CHECK(r.verdict.find("1 warning") != std::string::npos);
  }
  SECTION("falling behind is critical") {
    c.nodes[1].first = status(1, 20);
    c.nodes[1].second = status(1, 25);
    const Report r = diagnose(c);
    CHECK_FALSE(r.healthy);
    const auto lag = with(r, Severity::kCritical, "lag");
    REQUIRE(lag.size() == 1);
    CHECK(lag[0].message.find("falling further behind") != std::string::npos);
  }
  SECTION("one look cannot tell the rate") {
    for (NodeFacts& n : c.nodes) {
      n.second.reset();
      n.sample_seconds = 0;
    }
    c.nodes[1].first = status(1, 50);
    const Report r = diagnose(c);
    CHECK(r.healthy);
    REQUIRE(with(r, Severity::kWarning, "lag").size() == 1);
  }
  SECTION("two blocks behind is in step") {
    c.nodes[1].second = status(1, 108);
    CHECK(diagnose(c).warnings == 0);
  }
}

TEST_CASE("doctor: a node of another chain, genesis or key") {
  ClusterFacts c = healthy();
  SECTION("chain id") {
    c.nodes[2].first->chain_id = "other-chain";
    c.nodes[2].second->chain_id = "other-chain";
    const Report r = diagnose(c);
    CHECK_FALSE(r.healthy);
    const auto id = with(r, Severity::kCritical, "identity");
    REQUIRE(id.size() == 1);
    CHECK(names(id[0], "node2"));
    CHECK(id[0].message.find("'other-chain'") != std::string::npos);
    CHECK(id[0].message.find("'sharechain-local'") != std::string::npos);
    // A node of another chain is no part of this one's quorum.
    CHECK(with(r, Severity::kOk, "quorum")[0].message.find("3 of 4") != std::string::npos);
  }
  SECTION("genesis hash") {
    c.nodes[1].version->genesis_hash = std::string(64, 'c');
    const auto id = with(diagnose(c), Severity::kCritical, "identity");
    REQUIRE(id.size() == 1);
    CHECK(id[0].message.find("genesis") != std::string::npos);
  }
  SECTION("a genesis file changed after the start: every node differs from it") {
    c.expected->genesis_hash = std::string(64, 'd');
    const Report r = diagnose(c);
    CHECK_FALSE(r.healthy);
    const auto id = with(r, Severity::kCritical, "identity");
    REQUIRE(id.size() == 1);
    CHECK(id[0].nodes.empty());
    CHECK(id[0].message.find("/tmp/sc/genesis.json") != std::string::npos);
    // The nodes themselves still form a quorum.
    CHECK(with(r, Severity::kOk, "quorum").size() == 1);
  }
  SECTION("another validator's key") {
    c.nodes[3].first->node_id = 0;
    c.nodes[3].second->node_id = 0;
    const auto id = with(diagnose(c), Severity::kCritical, "identity");
    REQUIRE_FALSE(id.empty());
    CHECK(names(id[0], "node3"));
    CHECK(id[0].message.find("answers as validator 0") != std::string::npos);
  }
  SECTION("key file") {
    c.nodes[0].key_file_public_key = std::string(64, 'f');
    const auto id = with(diagnose(c), Severity::kCritical, "identity");
    REQUIRE(id.size() == 1);
    CHECK(id[0].message.find("key file") != std::string::npos);
  }
  SECTION("without a genesis, the odd one out") {
    c.expected.reset();
    c.nodes[2].first->chain_id = "other-chain";
    c.nodes[2].second->chain_id = "other-chain";
    const auto id = with(diagnose(c), Severity::kCritical, "identity");
    REQUIRE(id.size() == 1);
    CHECK(names(id[0], "node2"));
  }
}

TEST_CASE("doctor: halted, not synced, storming views, stalled commits") {
  ClusterFacts c = healthy();
  SECTION("halted") {
    c.nodes[1].healthz =
        HttpAnswer{503, R"({"status":"halted","reason":"state root mismatch at 42"})"};
    const auto h = with(diagnose(c), Severity::kCritical, "halted");
    REQUIRE(h.size() == 1);
    CHECK(h[0].message.find("state root mismatch at 42") != std::string::npos);
    CHECK(h[0].fix.find("tail -n 50 /tmp/sc/node1/node.log") == 0);
  }
  SECTION("not synced though a quorum is up") {
    c.nodes[1].second->synced = false;
    c.nodes[1].readyz = HttpAnswer{
        503, R"({"status":"not_ready","reason":"not in touch with a quorum of validators"})"};
    const auto s = with(diagnose(c), Severity::kCritical, "synced");
    REQUIRE(s.size() == 1);
    CHECK(names(s[0], "node1"));
    CHECK(s[0].fix.find("curl -s http://127.0.0.1:33012/readyz") == 0);
  }
  SECTION("views storming without commits") {
    for (std::uint32_t i = 0; i < kNodes; ++i) {
      c.nodes[i].first = status(i, 100, 3);
      c.nodes[i].second = status(i, 100, 6);
    }
    const Report r = diagnose(c);
    const auto v = with(r, Severity::kWarning, "views");
    REQUIRE(v.size() == 1);
    CHECK(v[0].message.find("from view 3 to 6") != std::string::npos);
  }
  SECTION("nothing commits while transactions wait") {
    for (std::uint32_t i = 0; i < kNodes; ++i) {
      c.nodes[i].first = status(i, 100);
      c.nodes[i].second = status(i, 100);
      c.nodes[i].first->mempool_size = 30;
      c.nodes[i].second->mempool_size = 30;
    }
    const Report r = diagnose(c);
    CHECK_FALSE(r.healthy);
    const auto s = with(r, Severity::kCritical, "commits");
    REQUIRE(s.size() == 1);
    CHECK(s[0].message.find("30 transactions wait") != std::string::npos);
    CHECK(names(s[0], "node1"));  // the primary of view 1
  }
  SECTION("an idle chain is not stalled") {
    for (std::uint32_t i = 0; i < kNodes; ++i) {
      c.nodes[i].first = status(i, 100);
      c.nodes[i].second = status(i, 100);
    }
    CHECK(diagnose(c).healthy);
    CHECK(diagnose(c).warnings == 0);
  }
}

TEST_CASE("doctor: mempool, disk and voting warnings") {
  ClusterFacts c = healthy();
  SECTION("mempool nearly full against the configured limit") {
    c.nodes[2].mempool_max_txs = 100;
    c.nodes[2].second->mempool_size = 90;
    const auto m = with(diagnose(c), Severity::kWarning, "mempool");
    REQUIRE(m.size() == 1);
    CHECK(m[0].message.find("90 of 100 transactions") != std::string::npos);
  }
  SECTION("disk low, then nearly full") {
    c.nodes[0].disk->total_bytes = 4ull << 30;
    c.nodes[0].disk->available_bytes = 512ull << 20;
    auto d = with(diagnose(c), Severity::kWarning, "disk");
    REQUIRE(d.size() == 1);
    CHECK(d[0].fix == "df -h /tmp/sc/node0/data");
    c.nodes[0].disk->available_bytes = 100ull << 20;
    CHECK(with(diagnose(c), Severity::kCritical, "disk").size() == 1);
  }
  SECTION("a node that sends nothing while the chain advances") {
    c.nodes[3].metrics_second = metrics(500, 540);
    const auto v = with(diagnose(c), Severity::kWarning, "voting");
    REQUIRE(v.size() == 1);
    CHECK(names(v[0], "node3"));
    CHECK(v[0].message.find("not voting") != std::string::npos);
  }
  SECTION("an ops port that gives nothing") {
    c.nodes[1].metrics_first.reset();
    c.nodes[1].metrics_second.reset();
    c.nodes[1].healthz.reset();
    c.nodes[1].ops_error = "connection refused";
    REQUIRE(with(diagnose(c), Severity::kWarning, "ops").size() == 1);
  }
}

namespace {

// node4, made by `sharechain-net add-node` and not admitted yet: it answers at the validators'
// heights, in view 0, never synced, and sends no votes. Its node_id means nothing (0 here,
// which is also a validator's).
NodeFacts follower_node() {
  NodeFacts n;
  n.name = "node4";
  n.client_address = "127.0.0.1:33040";
  n.ops_address = "127.0.0.1:33042";
  n.process_known = true;
  n.pid = 1004;
  n.reach = Reach::kAnswered;
  auto sample = [](std::uint64_t height) {
    StatusSample s = status(0, height, 0);
    s.node_name = "node4";
    s.synced = false;
    s.follower = true;
    return s;
  };
  n.first = sample(100);
  n.second = sample(110);
  n.sample_seconds = 1.0;
  n.metrics_first = metrics(0, 500);
  n.metrics_second = metrics(0, 540);
  n.healthz = HttpAnswer{200, R"({"status":"ok"})"};
  n.readyz = HttpAnswer{503, R"({"status":"not_ready","reason":"this node is a follower"})"};
  return n;
}

}  // namespace

TEST_CASE("doctor: a follower is no part of the quorum and is not held to a validator's checks") {
  ClusterFacts c = healthy();
  c.nodes.push_back(follower_node());
  SECTION("with the cluster's genesis") {
    const Report r = diagnose(c);
    CHECK(r.healthy);
    CHECK(r.warnings == 0);
    CHECK(r.verdict.rfind("healthy: 4 of 4 validators respond", 0) == 0);
    CHECK(with(r, Severity::kOk, "primary")[0].message.find("node1 (validator 1) in view 1") !=
          std::string::npos);
    const auto summaries = with(r, Severity::kOk, "node");
    REQUIRE(summaries.size() == 5);
    CHECK(summaries[4].message.find("node4: height 110, view 0, follower") == 0);
  }
  SECTION("without a genesis, the validators' own count") {
    c.expected.reset();
    for (NodeFacts& n : c.nodes) n.validator.reset();
    const Report r = diagnose(c);
    CHECK(r.healthy);
    CHECK(r.verdict.rfind("healthy: 4 of 4 validators respond", 0) == 0);
  }
  SECTION("a follower that stays behind is still named") {
    c.nodes[4].first->height = 60;
    c.nodes[4].second->height = 60;
    const auto lag = with(diagnose(c), Severity::kCritical, "lag");
    REQUIRE(lag.size() == 1);
    CHECK(names(lag[0], "node4"));
  }
}

TEST_CASE("doctor: prometheus text") {
  const MetricSample m = parse_prometheus(
      "# HELP sharechain_height Height\n# TYPE sharechain_height gauge\nsharechain_height 42\n"
      "sharechain_consensus_rejections_total{reason=\"stale\"} 7\n"
      "sharechain_mempool_bytes 67108864\r\n"
      "sharechain_block_execution_seconds{quantile=\"0.5\"} 1.25\n"
      "broken line\n");
  CHECK(metric(m, "sharechain_height") == 42.0);
  CHECK(metric(m, "sharechain_mempool_bytes") == 67108864.0);
  CHECK(metric(m, "sharechain_consensus_rejections_total{reason=\"stale\"}") == 7.0);
  CHECK(metric(m, "sharechain_block_execution_seconds{quantile=\"0.5\"}") == 1.25);
  CHECK_FALSE(metric(m, "broken").has_value());
  CHECK(m.size() == 4);
}

TEST_CASE("doctor: json and text") {
  ClusterFacts c = healthy();
  pause(c.nodes[2]);
  const Report r = diagnose(c);
  const Json j = report_json(r);
  CHECK(j["healthy"] == false);
  CHECK(j["verdict"].get<std::string>().find("node2") != std::string::npos);
  REQUIRE(j["findings"].is_array());
  const Json& first = j["findings"][0];
  CHECK(first["severity"] == "critical");
  CHECK(first["node"] == "node2");
  CHECK(first["fix"] == "kill -CONT 1002");
  CHECK(first.contains("message"));
  std::ostringstream text;
  print_report(text, r);
  CHECK(text.str().find("critical node2") != std::string::npos);
  CHECK(text.str().find("verdict: unhealthy: ") != std::string::npos);
}

TEST_CASE("doctor: clocks compared among the nodes, and how long the view has lasted") {
  ClusterFacts c = healthy();
  // The doctor's own machine is 50 s off: every node looks 50 s away, and none is blamed.
  for (std::size_t i = 0; i < c.nodes.size(); ++i) c.nodes[i].clock_offset_seconds = 50.0 + 0.1 * static_cast<double>(i);
  Report r = diagnose(c);
  CHECK(r.healthy);
  CHECK(with(r, Severity::kWarning, "clock").empty());
  REQUIRE(with(r, Severity::kOk, "clock").size() == 1);
  CHECK(with(r, Severity::kOk, "clock")[0].message.find("4 nodes that answered are within 0.15 s") != std::string::npos);

  // One node 4 s ahead: a warning naming it, still healthy.
  c.nodes[2].clock_offset_seconds = 54.2;
  r = diagnose(c);
  CHECK(r.healthy);
  REQUIRE(with(r, Severity::kWarning, "clock").size() == 1);
  const Finding ahead = with(r, Severity::kWarning, "clock")[0];
  CHECK(names(ahead, "node2"));
  CHECK(ahead.message.find("node2's clock is 4.0 s ahead of the other nodes'") != std::string::npos);
  CHECK(ahead.fix.find("chronyc tracking") != std::string::npos);
  CHECK(with(r, Severity::kOk, "clock").empty());

  // 25 s behind: critical, it cannot vote for the others' proposals.
  c.nodes[2].clock_offset_seconds = 25.02;
  r = diagnose(c);
  CHECK_FALSE(r.healthy);
  REQUIRE(with(r, Severity::kCritical, "clock").size() == 1);
  CHECK(with(r, Severity::kCritical, "clock")[0].message.find("25.0 s behind the other nodes': it refuses") !=
        std::string::npos);

  // A node that does not export its clock, or did not answer, is left out; one left is no
  // comparison at all.
  ClusterFacts few = healthy();
  few.nodes[0].clock_offset_seconds = 0.0;
  few.nodes[1].clock_offset_seconds = 30.0;
  pause(few.nodes[1]);
  r = diagnose(few);
  CHECK(with(r, Severity::kCritical, "clock").empty());
  CHECK(with(r, Severity::kOk, "clock").empty());

  // The view's age, from the primary's metrics.
  ClusterFacts v = healthy();
  v.nodes[1].metrics_second->insert({"sharechain_view_duration_seconds", 185.4});
  r = diagnose(v);
  REQUIRE(with(r, Severity::kOk, "primary").size() == 1);
  CHECK(with(r, Severity::kOk, "primary")[0].message.find("in view 1 for 3 min 5 s") != std::string::npos);
}
