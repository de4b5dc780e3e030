// `sharechain doctor`'s checks: pure functions from what was collected about a cluster's nodes
// (their GetStatus answers, operations-port metrics and probes, process and disk facts) to a
// list of findings and a verdict. Nothing here opens a socket or reads a clock, so every check
// runs in unit tests on made-up facts; tools/common/doctor_probe.hpp collects the real ones.
//
// A finding has a severity: `ok` (a fact worth showing: the primary, the quorum), `warning`
// (worth a look, commits still flow) or `critical` (something an operator must fix: a validator
// down, the quorum lost, a node not following the chain, a node of another chain). A report is
// healthy when it holds no critical finding.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "tools/common/render.hpp"

namespace sharechain::tools::doctor {

enum class Severity { kOk, kWarning, kCritical };
std::string_view severity_name(Severity severity);  // "ok", "warning", "critical"

struct PeerLink {
  std::uint32_t validator = 0;
  std::string address;  // the peer's peer-port address
  bool connected = false;
};

// What one GetStatus answer said (the fields the checks read).
struct StatusSample {
  std::string chain_id;
  std::string node_name;
  std::uint32_t node_id = 0;  // the validator index the node serves as
  std::uint32_t validators = 0;
  std::uint64_t height = 0;
  std::uint64_t view = 0;
  std::uint32_t primary = 0;
  std::uint64_t mempool_size = 0;
  bool synced = false;
  std::uint64_t certified_height = 0;
  std::vector<PeerLink> peers;
  // Its key is in no set in force (a node `sharechain-net add-node` made, not yet admitted): it
  // executes certified blocks and votes on nothing, so it is never synced (it takes no
  // transactions), its node_id and view mean nothing, and it is no part of the quorum.
  bool follower = false;
};

// Prometheus series by their full name (`x_total` or `x_total{reason="stale"}`).
using MetricSample = std::map<std::string, double>;
// Parses Prometheus text exposition; comment lines and lines that do not parse are skipped.
MetricSample parse_prometheus(std::string_view text);
// The value of an unlabelled series, nullopt when absent.
std::optional<double> metric(const MetricSample& sample, std::string_view name);

// How the node's client API answered the latest attempt.
enum class Reach {
  kAnswered,    // GetStatus answered
  kRefused,     // connection refused / not listening (UNAVAILABLE before any answer)
  kTimedOut,    // no answer before the deadline (a paused, stuck or overloaded process)
  kNotRunning,  // the cluster folder says no process runs for it: not probed
  kError,       // answered with an error
};

struct HttpAnswer {
  int code = 0;
  std::string body;
};

// What /version said: the identity the node runs with.
struct VersionInfo {
  std::string chain_id;
  std::string genesis_hash;  // hex
  std::optional<std::uint32_t> validator;
  std::string node;
};

struct DiskSpace {
  std::string path;
  std::uint64_t available_bytes = 0;  // for an unprivileged user (statvfs f_bavail)
  std::uint64_t total_bytes = 0;
};

// Everything collected about one validator.
struct NodeFacts {
  std::string name;                        // "node2", or what the node calls itself
  std::optional<std::uint32_t> validator;  // the index it should serve as, when known
  std::string client_address;
  std::string ops_address;       // empty when unknown
  std::string ops_tls_ca;        // set when the operations port speaks HTTPS: the CA to trust
  bool address_guessed = false;  // client address derived from a peer address
  // Process, known with a cluster folder (its pid file) only.
  bool process_known = false;
  std::optional<int> pid;        // a live process (process_known)
  bool process_stopped = false;  // that process is stopped (SIGSTOP, state T)
  // Client API: two samples `sample_seconds` apart (second absent with a single look).
  Reach reach = Reach::kNotRunning;
  std::string error;  // why the latest attempt failed
  std::optional<StatusSample> first;
  std::optional<StatusSample> second;
  double sample_seconds = 0;
  // Operations port.
  std::optional<MetricSample> metrics_first;
  std::optional<MetricSample> metrics_second;
  // The node's clock minus this machine's, from sharechain_clock_seconds against the middle of
  // the scrape that read it (absent when the node does not export it).
  std::optional<double> clock_offset_seconds;
  std::optional<HttpAnswer> healthz;
  std::optional<HttpAnswer> readyz;
  std::optional<VersionInfo> version;
  std::string ops_error;  // why the operations port gave nothing
  // Local files, with a cluster folder.
  std::optional<DiskSpace> disk;
  std::string key_file_public_key;               // hex, from node_key.json; empty when unread
  std::optional<std::uint64_t> mempool_max_txs;  // [mempool] limits when configured
  std::optional<std::uint64_t> mempool_max_bytes;
  std::string log_file;  // the node's log, when known
};

// What the cluster folder's genesis says every node must run with.
struct Expectation {
  std::string chain_id;
  std::string genesis_hash;                  // hex SHA-256 of the genesis file
  std::vector<std::string> validator_keys;   // hex, by validator index
  std::vector<std::string> validator_names;  // by validator index
};

struct ClusterFacts {
  std::vector<NodeFacts> nodes;
  std::optional<Expectation> expected;
  std::string cluster_dir;  // set with --dir: fixes then name sharechain-net commands
};

struct Thresholds {
  std::uint64_t lag_blocks = 2;  // a node further behind is "behind" (as /readyz)
  double disk_warning_fraction = 0.10;
  std::uint64_t disk_warning_bytes = 1ull << 30;  // warn below 10% or 1 GiB free
  double disk_critical_fraction = 0.01;
  std::uint64_t disk_critical_bytes = 256ull << 20;  // critical below 1% or 256 MiB free
  double mempool_warning_fraction = 0.8;
  std::uint64_t default_mempool_max_txs = 50'000;  // the daemon's defaults ([mempool])
  std::uint64_t default_mempool_max_bytes = 64ull << 20;
  std::uint64_t view_storm_views = 2;  // views passed in one sample without a commit
  // A node's clock this far from the others' (the median) is a warning; at the consensus rule's
  // max_clock_skew_ms (10 s by default) its proposals as primary are refused: critical.
  double clock_warning_seconds = 2.0;
  double clock_critical_seconds = 10.0;
};

struct Finding {
  Severity severity = Severity::kOk;
  std::string check;               // "reachable", "quorum", "primary", "lag", ... (stable names)
  std::vector<std::string> nodes;  // the node(s) it concerns; empty = the whole cluster
  std::string message;
  std::string fix;  // a command that fixes or investigates it; may be empty
};

struct Report {
  bool healthy = true;  // no critical finding
  std::size_t critical = 0;
  std::size_t warnings = 0;
  std::string verdict;            // one line
  std::vector<Finding> findings;  // critical first, then warnings, then ok
};

// The checks. Validators are counted from the expectation (genesis) when there is one, else
// from what the nodes report; quorum is consensus::quorum_size of that count.
Report diagnose(const ClusterFacts& facts, const Thresholds& thresholds = {});

// {"healthy", "verdict", "critical", "warnings", "findings": [{"severity", "check", "node",
// "nodes", "message", "fix"}]}; `node` names the nodes comma-separated ("cluster" for none).
Json report_json(const Report& report);
// One line per finding, then "verdict: ...".
void print_report(std::ostream& out, const Report& report);

}  // namespace sharechain::tools::doctor
