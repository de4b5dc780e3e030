#include "tools/dataserver/split.hpp"

#include <algorithm>
#include <numeric>

namespace sharechain::dataserver {

std::optional<std::vector<std::uint64_t>> exact_split(std::uint64_t amount,
                                                      const std::vector<std::uint32_t>& shares_bps) {
  constexpr std::uint64_t kWhole = 10'000;
  std::uint64_t sum = 0;
  for (std::uint32_t s : shares_bps) {
    if (s == 0) return std::nullopt;
    sum += s;
  }
  if (shares_bps.empty() || sum != kWhole) return std::nullopt;

  // amount = q x 10,000 + r: the q part splits exactly, only r x share needs care, and
  // r x share < 10,000 x 10,000 fits easily in 64 bits.
  const std::uint64_t q = amount / kWhole;
  const std::uint64_t r = amount % kWhole;
  std::vector<std::uint64_t> parts(shares_bps.size());
  std::vector<std::uint64_t> remainder(shares_bps.size());
  std::uint64_t given = 0;
  for (std::size_t i = 0; i < shares_bps.size(); ++i) {
    parts[i] = q * shares_bps[i] + r * shares_bps[i] / kWhole;
    remainder[i] = r * shares_bps[i] % kWhole;
    given += parts[i];
  }
  std::vector<std::size_t> order(shares_bps.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return remainder[a] > remainder[b]; });
  for (std::size_t k = 0; given < amount; ++k, ++given) ++parts[order[k]];
  return parts;
}

}  // namespace sharechain::dataserver
