// Prometheus metrics and the operations HTTP endpoint (/metrics, /health).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "proto/status.hpp"

namespace sharechain::node {

// Counters and gauges are plain atomics owned by the registry; handing out references keeps the
// hot path to one relaxed atomic add.
class Metrics {
 public:
  std::atomic<std::uint64_t>& counter(const std::string& name, const std::string& help);
  std::atomic<std::int64_t>& gauge(const std::string& name, const std::string& help);
  // Latency histogram in milliseconds with fixed buckets.
  void observe_ms(const std::string& name, const std::string& help, double ms);
  // A callback sampled at scrape time (e.g. mempool size), for values owned elsewhere.
  void sampled(const std::string& name, const std::string& help, std::function<double()> fn);
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
};

// Serves GET /metrics and GET /health on its own thread until stop().
class OpsServer {
 public:
  // `health` returns OK, or the reason the node is not healthy (served as HTTP 503).
  OpsServer(Metrics& metrics, std::function<Status()> health);
  ~OpsServer();
  Status start(const std::string& listen);  // host:port; fails with a clear message if taken
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sharechain::node
