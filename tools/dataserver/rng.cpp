#include "tools/dataserver/rng.hpp"

namespace sharechain::dataserver {

namespace {
std::uint64_t finalise(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
}  // namespace

std::uint64_t Rng::next() {
  state_ += 0x9e3779b97f4a7c15ULL;
  return finalise(state_);
}

std::uint64_t Rng::below(std::uint64_t bound) {
  if (bound == 0) return 0;
  // Values at or above the largest multiple of `bound` would favour the low residues.
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  std::uint64_t v = next();
  while (v >= limit) v = next();
  return v % bound;
}

std::uint64_t Rng::between(std::uint64_t lo, std::uint64_t hi) {
  if (hi - lo == UINT64_MAX) return next();
  return lo + below(hi - lo + 1);
}

bool Rng::chance(std::uint32_t per_mille) { return below(1000) < per_mille; }

std::size_t Rng::weighted(const std::vector<std::uint32_t>& weights) {
  std::uint64_t total = 0;
  for (std::uint32_t w : weights) total += w;
  std::uint64_t r = below(total);
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (r < weights[i]) return i;
    r -= weights[i];
  }
  return weights.empty() ? 0 : weights.size() - 1;
}

double Rng::unit() {
  // 53 bits fill a double's mantissa exactly; +1 keeps zero out, so log(unit()) is finite.
  return static_cast<double>((next() >> 11) + 1) * (1.0 / 9007199254740992.0);
}

std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t stream, std::uint64_t index) {
  return finalise(finalise(seed ^ 0x5ca1ab1e00000000ULL) + finalise(stream * 0x9e3779b97f4a7c15ULL + 1) +
                  index * 0xd1b54a32d192ed03ULL);
}

}  // namespace sharechain::dataserver
