// The metrics registry's text: numbers exact (a 64 MiB gauge is 67108864, never 6.71089e+07),
// sampled values and text sources (the store's statistics) in the scrape; who may change the log
// level through PUT /logspec (a 403 for everyone else).
#include <catch2/catch.hpp>

#include "node/metrics.hpp"

using sharechain::node::Metrics;
using sharechain::node::log_level_change_allowed;
using sharechain::node::prometheus_number;

TEST_CASE("numbers are written exactly") {
  CHECK(prometheus_number(67108864) == "67108864");
  CHECK(prometheus_number(9007199254740992.0) == "9007199254740992");
  CHECK(prometheus_number(0) == "0");
  CHECK(prometheus_number(0.25) == "0.25");
  CHECK(prometheus_number(-3) == "-3");
  CHECK(prometheus_number(1.0 / 0.0) == "+Inf");
}

TEST_CASE("a scrape holds sampled values exactly and the text sources") {
  Metrics m;
  m.sampled("sharechain_mempool_bytes", "Bytes held by the mempool", [] { return 67108864.0; });
  m.text_source([] { return std::string("# TYPE sharechain_storage_height gauge\nsharechain_storage_height 12\n"); });
  m.observe_ms("sharechain_commit_ms", "Commit latency", 1.5);
  const std::string text = m.render();
  CHECK_THAT(text, Catch::Contains("sharechain_mempool_bytes 67108864\n"));
  CHECK_THAT(text, Catch::Contains("sharechain_storage_height 12\n"));
  CHECK_THAT(text, Catch::Contains("sharechain_commit_ms_sum 1.5\n"));
}

TEST_CASE("only loopback callers change the log level unless remote_logspec allows it") {
  for (const char* local : {"127.0.0.1", "127.3.4.5", "::1", "::ffff:127.0.0.1"}) {
    CAPTURE(local);
    CHECK(log_level_change_allowed(local, false));
  }
  for (const char* remote : {"10.0.0.7", "192.168.1.20", "::ffff:10.0.0.7", "fe80::1", "2001:db8::5", "0.0.0.0",
                             "", "not-an-address"}) {
    CAPTURE(remote);
    CHECK_FALSE(log_level_change_allowed(remote, false));
  }
  CHECK(log_level_change_allowed("10.0.0.7", true));
  CHECK(log_level_change_allowed("2001:db8::5", true));
}
