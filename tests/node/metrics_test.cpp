// The metrics registry's text: numbers exact (a 64 MiB gauge is 67108864, never 6.71089e+07),
// sampled values and text sources (the store's statistics) in the scrape.
#include <catch2/catch.hpp>

#include "node/metrics.hpp"

using sharechain::node::Metrics;
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
