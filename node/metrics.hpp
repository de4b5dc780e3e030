// Prometheus metrics and the operations HTTP endpoint (/metrics, /health).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "proto/status.hpp"

namespace sharechain::node {

// Counters and gauges are plain atomics owned by the registry; handing out references keeps the
// hot path to one relaxed atomic add.
class Metrics {
 public:
  std::atomic<std::uint64_t>& counter(const std::string& name, const std::string& help);
  // One series of a labelled counter family: counter("x_total", help, "reason", "stale") is
  // rendered as x_total{reason="stale"}, under one HELP and TYPE for the family. The value must
  // be a Prometheus label value (no quotes, backslashes or newlines).
  std::atomic<std::uint64_t>& counter(const std::string& name, const std::string& help,
                                      const std::string& label, const std::string& value);
  std::atomic<std::int64_t>& gauge(const std::string& name, const std::string& help);
  // Latency histogram in milliseconds with fixed buckets.
  void observe_ms(const std::string& name, const std::string& help, double ms);
  // A callback sampled at scrape time (e.g. mempool size), for values owned elsewhere.
  void sampled(const std::string& name, const std::string& help, std::function<double()> fn);
  // Lines of Prometheus text made elsewhere (the store's statistics), appended at scrape time.
  void text_source(std::function<std::string()> fn);
  std::string render() const;  // Prometheus text exposition format

 private:
  struct Histogram {
    std::string help;
    std::vector<std::uint64_t> buckets;
    std::uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::string, std::pair<std::string, std::unique_ptr<std::atomic<std::uint64_t>>>> counters_;
  std::map<std::string, std::pair<std::string, std::unique_ptr<std::atomic<std::int64_t>>>> gauges_;
  std::map<std::string, Histogram> histograms_;
  std::map<std::string, std::pair<std::string, std::function<double()>>> sampled_;
  std::vector<std::function<std::string()>> text_sources_;
};

// A number as Prometheus text, exactly (integers up to 2^53 without an exponent).
std::string prometheus_number(double v);

// Whether a PUT /logspec from `peer` (an IP address as text) may change the log level: always
// with `remote_allowed`, otherwise only from loopback, IPv4 (127.0.0.0/8), IPv6 (::1) or IPv4
// loopback mapped into IPv6 (::ffff:127.0.0.1, how a dual-stack listener sees a local IPv4
// client). An address that does not parse is refused.
bool log_level_change_allowed(std::string_view peer, bool remote_allowed);

// Serves, on its own thread until stop():
//   GET /metrics  Prometheus text
//   GET /healthz  liveness: 200 {"status":"ok"}, or 503 {"status":"halted","reason":...}
//                 (/health is the same, in plain text, for older probes)
//   GET /readyz   readiness: 200 when the node is synced (caught up and in touch with a quorum),
//                 else 503 with the reason, both as JSON
//   GET /version  the build and the node's identity, as JSON
//   GET /logspec  {"level":"info"}; PUT /logspec with a level name (or {"level":"debug"}) sets
//                 the log level at run time: 400 for an unknown level, 403 for a caller that is
//                 not on loopback unless `remote_logspec` allows it
//   anything else: the route set with set_route() (the explorer, node/explorer_route.hpp) if it
//                 answers, else 404. A connection that sends no complete request within a few
//                 seconds is closed, so an idle browser socket never holds the port.
//
// What a route answers.
struct HttpAnswer {
  unsigned status = 200;
  std::string content_type;
  std::string body;
};
// Called on the ops server's thread with the request's method ("GET"), path (the target up to
// '?') and query (after '?', undecoded); nullopt to decline the path.
using OpsRoute = std::function<std::optional<HttpAnswer>(std::string_view method, std::string_view path,
                                                         std::string_view query)>;

struct OpsOptions {
  std::string version_json;     // the body of /version
  bool remote_logspec = false;  // [metrics] remote_logspec
};

class OpsServer {
 public:
  // `health` returns OK, or the reason the node is not healthy; `ready` likewise for readiness.
  OpsServer(Metrics& metrics, std::function<Status()> health, std::function<Status()> ready,
            OpsOptions options = {});
  ~OpsServer();
  Status start(const std::string& listen);  // host:port; fails with a clear message if taken
  void stop();
  // Adds (or replaces) the route asked for every path the server does not serve itself; safe
  // while the server runs.
  void set_route(OpsRoute route);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sharechain::node
