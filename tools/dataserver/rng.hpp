// The data server's only source of scenario randomness: SplitMix64, seeded from --seed. The
// standard library's distributions are implementation-defined, so every draw below is written
// out here and the same seed gives the same scenario with any compiler or library.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sharechain::dataserver {

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}

  std::uint64_t next();
  // Uniform in [0, bound); bound 0 gives 0. Unbiased (rejection of the short last interval).
  std::uint64_t below(std::uint64_t bound);
  // Uniform in [lo, hi]; requires lo <= hi.
  std::uint64_t between(std::uint64_t lo, std::uint64_t hi);
  // True with probability per_mille / 1000.
  bool chance(std::uint32_t per_mille);
  // An index drawn with probability weights[i] / sum(weights); requires a positive sum.
  std::size_t weighted(const std::vector<std::uint32_t>& weights);
  // A real in (0, 1] with 53 random bits, for the arrival process (never consensus-relevant).
  double unit();

 private:
  std::uint64_t state_;
};

// Mixes two words into a seed, so that each visit has its own independent stream: visit i is
// the same whatever was drawn for the visits before it.
std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t stream, std::uint64_t index);

}  // namespace sharechain::dataserver
