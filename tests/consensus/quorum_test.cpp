// Quorum arithmetic:
//  - max_faulty: floor((n-1)/3), 0 for n <= 3
//  - quorum_size: 2f+1 when n = 3f+1; n = 1 needs itself, n = 2 needs both
//  - any two quorums share at least f+1 validators (so an honest one) for n = 1..200
//  - a quorum of honest validators exists with f faulty (liveness) for n = 1..200
//  - weak quorum f+1; primary rotates with the view
//  - back-off doubles per failed view and stops doubling at the cap, without overflow
//  - the watermark window is (low, low + window]
#include "consensus/quorum.hpp"

#include <catch2/catch.hpp>

using namespace sharechain::consensus;

TEST_CASE("max_faulty and quorum sizes for the usual cluster sizes") {
  CHECK(max_faulty(1) == 0);
  CHECK(max_faulty(3) == 0);
  CHECK(max_faulty(4) == 1);
  CHECK(max_faulty(6) == 1);
  CHECK(max_faulty(7) == 2);
  CHECK(max_faulty(10) == 3);
  CHECK(quorum_size(1) == 1);
  CHECK(quorum_size(2) == 2);
  CHECK(quorum_size(3) == 2);
  CHECK(quorum_size(4) == 3);
  CHECK(quorum_size(7) == 5);
  CHECK(quorum_size(10) == 7);
  CHECK(weak_quorum_size(4) == 2);
  CHECK(weak_quorum_size(7) == 3);
}

TEST_CASE("quorums intersect in an honest validator and honest validators form a quorum") {
  for (uint32_t n = 1; n <= 200; ++n) {
    const uint32_t f = max_faulty(n);
    const uint32_t q = quorum_size(n);
    INFO("n=" << n);
    CHECK(3 * f < n);                 // f is the most n tolerates
    CHECK(2 * q >= n + f + 1);        // two quorums overlap in at least f + 1
    CHECK(q <= n - f);                // the honest validators alone are a quorum
    if (n == 3 * f + 1) CHECK(q == 2 * f + 1);
  }
}

TEST_CASE("the primary rotates through the validators") {
  CHECK(primary_of(0, 4) == 0);
  CHECK(primary_of(5, 4) == 1);
  CHECK(primary_of(7, 7) == 0);
  CHECK(primary_of(UINT64_MAX, 4) == 3);
}

TEST_CASE("view-change back-off doubles and is capped") {
  CHECK(backoff_timeout(2000, 0) == 2000);
  CHECK(backoff_timeout(2000, 1) == 4000);
  CHECK(backoff_timeout(2000, 3) == 16000);
  CHECK(backoff_timeout(2000, kMaxBackoffDoublings) == 2000u << kMaxBackoffDoublings);
  CHECK(backoff_timeout(2000, kMaxBackoffDoublings + 1) == 2000u << kMaxBackoffDoublings);
  CHECK(backoff_timeout(3'600'000, UINT64_MAX) == uint64_t{3'600'000} << kMaxBackoffDoublings);
}

TEST_CASE("the watermark window excludes its low end and includes its high end") {
  CHECK_FALSE(in_window(0, 0, 8));
  CHECK(in_window(1, 0, 8));
  CHECK(in_window(8, 0, 8));
  CHECK_FALSE(in_window(9, 0, 8));
  CHECK_FALSE(in_window(64, 64, 256));
  CHECK(in_window(320, 64, 256));
  CHECK_FALSE(in_window(321, 64, 256));
  CHECK_FALSE(in_window(UINT64_MAX, 64, 256));
}
