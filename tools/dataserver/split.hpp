// The exact split of DOMAIN.md, written again here on purpose: the audit recomputes every
// session's split with it and compares with what the chain recorded, so a mistake in the
// contract's split cannot hide behind the same code checking itself.
//
// part_i = floor(amount x share_i / 10,000); the units left over go one each to the parties
// with the largest remainders (amount x share_i mod 10,000), ties to the party listed first.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace sharechain::dataserver {

// The same rule for any weights: part_i = floor(amount x w_i / W) with W the sum of the
// weights, the left-over units to the largest remainders (amount x w_i mod W), ties to the
// first. nullopt for no weights or weights summing to zero. (Financing pro-rata payouts.)
std::optional<std::vector<std::uint64_t>> exact_split_by_weights(std::uint64_t amount,
                                                                 const std::vector<std::uint64_t>& weights);

// nullopt unless every share is positive and they sum to exactly 10,000.
std::optional<std::vector<std::uint64_t>> exact_split(std::uint64_t amount,
                                                      const std::vector<std::uint32_t>& shares_bps);

}  // namespace sharechain::dataserver
