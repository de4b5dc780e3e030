// The exact split: how an income is divided among parties without losing or creating a unit.
//
// part_i = floor(amount * w_i / W), W = sum of weights; the units left over (fewer than the
// number of parties) go one each to the parties with the largest fractional parts
// (amount * w_i mod W), ties to the earlier party. The parts always sum to `amount`.
// Example: 10,000 units at 5,000/4,000/500/500 bps -> 5,000/4,000/500/500;
//          100 units at equal weights 1/1/1 -> 34/33/33.
#pragma once

#include <cstdint>
#include <vector>

#include "contracts/outcome.hpp"

namespace sharechain::contracts::revenue {

// Refuses an empty list, weights summing to zero, and a sum that overflows.
Checked<std::vector<std::uint64_t>> split_by_weights(std::uint64_t amount,
                                                     const std::vector<std::uint64_t>& weights);

// Refuses shares that are zero or do not sum to exactly 10,000 basis points.
Outcome check_shares(const std::vector<std::uint32_t>& shares_bps);
Checked<std::vector<std::uint64_t>> split_by_shares(std::uint64_t amount,
                                                    const std::vector<std::uint32_t>& shares_bps);

}  // namespace sharechain::contracts::revenue
