// The spacing of checkpoints and epochs: the chain parameters K (checkpoint interval) and W
// (window) with their defaults and bounds, and the height at which a validator-set change takes
// effect. The contracts (which record a change and read K and W from genesis), the consensus
// engine (which ends an epoch there) and the tools (which write genesis) must agree on every one
// of these numbers, so they are defined once, here.
#pragma once

#include <cstdint>

namespace sharechain {

// What a genesis K or W of 0 reads as.
inline constexpr std::uint64_t kDefaultCheckpointInterval = 64;
inline constexpr std::uint64_t kDefaultWindow = 256;
// The largest a genesis may name; W must also be at least 2K (a replica must be able to vote
// past one checkpoint while the next is being certified).
inline constexpr std::uint64_t kMaxCheckpointInterval = 1'000'000;
inline constexpr std::uint64_t kMaxWindow = 16'000'000;

// The last height certified by the set that executed a change at `executed_at`: the first
// multiple of `checkpoint_interval` at or above executed_at + window. Saturates at UINT64_MAX
// (and is UINT64_MAX for an interval of 0). consensus/epochs.hpp says why that is early enough.
std::uint64_t switch_height(std::uint64_t executed_at, std::uint64_t checkpoint_interval,
                            std::uint64_t window);

}  // namespace sharechain
