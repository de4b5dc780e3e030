#include "proto/epoch_spacing.hpp"

#include <limits>

namespace sharechain {

std::uint64_t switch_height(std::uint64_t executed_at, std::uint64_t checkpoint_interval,
                            std::uint64_t window) {
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  if (checkpoint_interval == 0) return kMax;
  if (executed_at > kMax - window) return kMax;
  const std::uint64_t earliest = executed_at + window;
  const std::uint64_t rest = earliest % checkpoint_interval;
  if (rest == 0) return earliest;
  const std::uint64_t up = checkpoint_interval - rest;
  return earliest > kMax - up ? kMax : earliest + up;
}

}  // namespace sharechain
