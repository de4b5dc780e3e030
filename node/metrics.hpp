// Prometheus metrics and the operations HTTP endpoint (/metrics, /health).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "proto/status.hpp"

namespace sharechain::node {

// The node's metrics, on prometheus-cpp: counters, gauges and histograms live in its registry
// and are written by its text serializer; values owned elsewhere are sampled at scrape time.
// Handing out references keeps the hot path to one atomic update.
class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  prometheus::Counter& counter(const std::string& name, const std::string& help);
  // One series of a labelled counter family: counter("x_total", help, "reason", "stale") is
  // x_total{reason="stale"}, under one HELP and TYPE for the family.
  prometheus::Counter& counter(const std::string& name, const std::string& help,
                               const std::string& label, const std::string& value);
  prometheus::Gauge& gauge(const std::string& name, const std::string& help);
  // A duration histogram in seconds (Prometheus's unit), buckets from 1 ms to 10 s.
  void observe_seconds(const std::string& name, const std::string& help, double seconds);
  // A callback sampled at scrape time (e.g. mempool size), for values owned elsewhere.
  void sampled(const std::string& name, const std::string& help, std::function<double()> fn);
  // Lines of Prometheus text made elsewhere (the store's statistics), appended at scrape time.
  void text_source(std::function<std::string()> fn);
  std::string render() const;  // Prometheus text exposition format

 private:
  class Sampled;
  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<Sampled> sampled_;
  mutable std::mutex mu_;  // the maps below; the registry and its families lock themselves
  std::map<std::string, prometheus::Family<prometheus::Counter>*> counters_;
  std::map<std::string, prometheus::Gauge*> gauges_;
  std::map<std::string, prometheus::Histogram*> histograms_;
  std::vector<std::function<std::string()>> text_sources_;
};

// Adds `to` minus what `counter` holds, when positive: a counter that mirrors a monotonic count
// kept elsewhere (the engine's rejections).
void advance_to(prometheus::Counter& counter, double to);

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
  // Both set: the port serves HTTPS only ([metrics] tls), with this certificate chain and key
  // (PEM); a plain HTTP request gets a 400 that says so.
  std::filesystem::path tls_cert, tls_key;
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
