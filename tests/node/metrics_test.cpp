// The metrics registry's text (prometheus-cpp's serializer): numbers exact (a 64 MiB gauge is
// 67108864, never 6.71089e+07), labelled families, histogram buckets, sampled values and text
// sources (the store's statistics) in the scrape; who may change the log
// level through PUT /logspec (a 403 for everyone else).
#include <catch2/catch.hpp>

#include "node/metrics.hpp"

using sharechain::node::Metrics;
using sharechain::node::log_level_change_allowed;

TEST_CASE("numbers are written exactly") {
  Metrics m;
  m.gauge("sharechain_mempool_limit_bytes", "Limit").Set(67108864);
  m.gauge("sharechain_big", "Largest exact double").Set(9007199254740992.0);
  m.gauge("sharechain_quarter", "A fraction").Set(0.25);
  m.gauge("sharechain_negative", "Below zero").Set(-3);
  const std::string text = m.render();
  CHECK_THAT(text, Catch::Contains("sharechain_mempool_limit_bytes 67108864\n"));
  CHECK_THAT(text, Catch::Contains("sharechain_big 9007199254740992\n"));
  CHECK_THAT(text, Catch::Contains("sharechain_quarter 0.25\n"));
  CHECK_THAT(text, Catch::Contains("sharechain_negative -3\n"));
}

TEST_CASE("a labelled counter family has one HELP and TYPE and a series per label value") {
  Metrics m;
  m.counter("sharechain_rejections_total", "Dropped inputs", "reason", "stale").Increment(2);
  m.counter("sharechain_rejections_total", "Dropped inputs", "reason", "wrong_view").Increment();
  m.counter("sharechain_rejections_total", "Dropped inputs", "reason", "stale").Increment();
  auto& plain = m.counter("sharechain_blocks_total", "Blocks");
  plain.Increment(5);
  sharechain::node::advance_to(plain, 9);
  sharechain::node::advance_to(plain, 7);  // never backwards
  const std::string text = m.render();
  CHECK_THAT(text, Catch::Contains("# HELP sharechain_rejections_total Dropped inputs\n"
                                   "# TYPE sharechain_rejections_total counter\n"));
  CHECK_THAT(text, Catch::Contains("sharechain_rejections_total{reason=\"stale\"} 3\n"));
  CHECK_THAT(text, Catch::Contains("sharechain_rejections_total{reason=\"wrong_view\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("sharechain_blocks_total 9\n"));
}

TEST_CASE("a scrape holds sampled values exactly and the text sources") {
  Metrics m;
  m.sampled("sharechain_mempool_bytes", "Bytes held by the mempool", [] { return 67108864.0; });
  m.text_source([] { return std::string("# TYPE sharechain_storage_height gauge\nsharechain_storage_height 12\n"); });
  m.observe_seconds("sharechain_commit_seconds", "Commit latency", 0.0015);
  const std::string text = m.render();
  CHECK_THAT(text, Catch::Contains("sharechain_mempool_bytes 67108864\n"));
  CHECK_THAT(text, Catch::Contains("sharechain_storage_height 12\n"));
  CHECK_THAT(text, Catch::Contains("sharechain_commit_seconds_sum 0.0015\n"));
  CHECK_THAT(text, Catch::Contains("sharechain_commit_seconds_bucket{le=\"0.001\"} 0\n"));
  CHECK_THAT(text, Catch::Contains("sharechain_commit_seconds_bucket{le=\"0.002\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("sharechain_commit_seconds_bucket{le=\"+Inf\"} 1\n"));
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
