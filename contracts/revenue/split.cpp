#include "contracts/revenue/split.hpp"

#include <algorithm>
#include <numeric>
#include <string>

#include "contracts/amounts.hpp"

namespace sharechain::contracts::revenue {

namespace {
// 128-bit intermediates: amount * weight never overflows them for 64-bit operands.
__extension__ using U128 = unsigned __int128;
}  // namespace

Checked<std::vector<std::uint64_t>> split_by_weights(std::uint64_t amount,
                                                     const std::vector<std::uint64_t>& weights) {
  if (weights.empty()) return Refusal::invalid("a split needs at least one party");
  std::uint64_t total = 0;
  for (std::uint64_t w : weights) {
    auto t = checked_add(total, w);
    if (!t) return Refusal::range("the split weights overflow");
    total = *t;
  }
  if (total == 0) return Refusal::invalid("the split weights sum to zero");

  std::vector<std::uint64_t> parts(weights.size());
  std::vector<std::uint64_t> remainders(weights.size());
  std::uint64_t assigned = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    U128 product = static_cast<U128>(amount) * weights[i];
    parts[i] = static_cast<std::uint64_t>(product / total);  // <= amount, fits
    remainders[i] = static_cast<std::uint64_t>(product % total);
    assigned += parts[i];  // sum of floors <= amount
  }
  std::uint64_t left = amount - assigned;  // < number of parties
  std::vector<std::size_t> order(weights.size());
  std::iota(order.begin(), order.end(), 0);
  // Largest fractional part first; equal fractions keep party order (stable sort).
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return remainders[a] > remainders[b];
  });
  for (std::size_t k = 0; k < left; ++k) ++parts[order[k]];
  return parts;
}

Outcome check_shares(const std::vector<std::uint32_t>& shares_bps) {
  if (shares_bps.empty()) return Refusal::invalid("a sharing rule needs at least one party");
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < shares_bps.size(); ++i) {
    if (shares_bps[i] == 0) {
      return Refusal::invalid("party " + std::to_string(i + 1) + " has a share of zero");
    }
    sum += shares_bps[i];
  }
  if (sum != kBasisPoints) {
    return Refusal::invalid("the shares sum to " + std::to_string(sum) +
                            " basis points; they must sum to 10,000 (100%)");
  }
  return Outcome::ok();
}

Checked<std::vector<std::uint64_t>> split_by_shares(std::uint64_t amount,
                                                    const std::vector<std::uint32_t>& shares_bps) {
  SC_TRY(check_shares(shares_bps));
  return split_by_weights(amount, std::vector<std::uint64_t>(shares_bps.begin(), shares_bps.end()));
}

}  // namespace sharechain::contracts::revenue
