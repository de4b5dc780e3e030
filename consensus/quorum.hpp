// The safety arithmetic of PBFT, kept in small pure functions so each has its own tests.
#pragma once

#include <cstdint>

namespace sharechain::consensus {

// f: how many Byzantine validators n validators tolerate, floor((n - 1) / 3). 0 for n <= 3.
uint32_t max_faulty(uint32_t n);

// Votes that make a quorum: ceil((n + f + 1) / 2), which is 2f+1 when n = 3f+1. Any two quorums
// share at least f+1 validators, so at least one honest one, for every n >= 1 (n = 2 needs both
// validators; n = 1 needs itself).
uint32_t quorum_size(uint32_t n);

// Votes that contain at least one honest validator: f+1.
uint32_t weak_quorum_size(uint32_t n);

// The primary of `view` is validator view mod n.
uint32_t primary_of(uint64_t view, uint32_t n);

// Base timeout doubled once per consecutive failed view, capped at 2^kMaxBackoffDoublings times
// the base so it can neither overflow nor grow without bound.
inline constexpr uint32_t kMaxBackoffDoublings = 6;
uint64_t backoff_timeout(uint64_t base_ms, uint64_t failed_views);

// The heights a replica accepts proposals and votes for: (low, low + window], where low is its
// stable checkpoint.
bool in_window(uint64_t height, uint64_t low, uint64_t window);

}  // namespace sharechain::consensus
