#include "tools/dataserver/split.hpp"

#include <algorithm>
#include <numeric>

namespace sharechain::dataserver {

namespace {
__extension__ using U128 = unsigned __int128;
}  // namespace

std::optional<std::vector<std::uint64_t>> exact_split_by_weights(std::uint64_t amount,
                                                                 const std::vector<std::uint64_t>& weights) {
  U128 total = 0;
  for (std::uint64_t w : weights) total += w;
  if (weights.empty() || total == 0) return std::nullopt;
  // amount x w < 2^64 x 2^64 and the sum of weights stays far below 2^64 x n: 128 bits hold it.
  std::vector<std::uint64_t> parts(weights.size());
  std::vector<U128> remainder(weights.size());
  U128 given = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const U128 product = static_cast<U128>(amount) * weights[i];
    parts[i] = static_cast<std::uint64_t>(product / total);
    remainder[i] = product % total;
    given += parts[i];
  }
  std::vector<std::size_t> order(weights.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return remainder[a] > remainder[b]; });
  for (std::size_t k = 0; given < amount; ++k, ++given) ++parts[order[k]];
  return parts;
}

std::optional<std::vector<std::uint64_t>> exact_split(std::uint64_t amount,
                                                      const std::vector<std::uint32_t>& shares_bps) {
  std::uint64_t sum = 0;
  for (std::uint32_t s : shares_bps) {
    if (s == 0) return std::nullopt;
    sum += s;
  }
  if (shares_bps.empty() || sum != 10'000) return std::nullopt;
  return exact_split_by_weights(amount, std::vector<std::uint64_t>(shares_bps.begin(), shares_bps.end()));
}

}  // namespace sharechain::dataserver
