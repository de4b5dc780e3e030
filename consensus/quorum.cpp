#include "consensus/quorum.hpp"

namespace sharechain::consensus {

uint32_t max_faulty(uint32_t n) { return n == 0 ? 0 : (n - 1) / 3; }

uint32_t quorum_size(uint32_t n) {
  // Two quorums of size q overlap in 2q - n validators; we need that to be at least f + 1.
  // The smallest q with 2q >= n + f + 1 is (n + f) / 2 + 1 in integer arithmetic.
  return (n + max_faulty(n)) / 2 + 1;
}

uint32_t weak_quorum_size(uint32_t n) { return max_faulty(n) + 1; }

uint32_t primary_of(uint64_t view, uint32_t n) {
  return n == 0 ? 0 : static_cast<uint32_t>(view % n);
}

uint64_t backoff_timeout(uint64_t base_ms, uint64_t failed_views) {
  const uint64_t doublings = failed_views < kMaxBackoffDoublings ? failed_views : kMaxBackoffDoublings;
  return base_ms << doublings;
}

bool in_window(uint64_t height, uint64_t low, uint64_t window) {
  return height > low && height - low <= window;
}

}  // namespace sharechain::consensus
