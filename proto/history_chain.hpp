// The history chain's hashing rule, on its own so that a node (storage/history.hpp keeps the
// values) and an offline verifier (proofs/) compute it with the same code:
//
//   history(0) = 32 zero bytes
//   history(h) = tagged_hash("sharechain/history",
//                            history(h-1) || be64(h) || receipts_root(h) || state_root(h-1))
//   receipts_root(h) = merkle_root(SHA-256 of each stored receipt of block h, in block order)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proto/crypto.hpp"

namespace sharechain::history {

inline constexpr std::string_view kTag = "sharechain/history";

// The leaves of receipts_root: SHA-256 of each serialized receipt, in block order. A receipt's
// Merkle path (GetProof) is taken over these.
std::vector<crypto::Hash> receipt_leaves(const std::vector<std::string>& serialized_receipts);
// Over serialized receipts, in block order.
crypto::Hash receipts_root(const std::vector<std::string>& serialized_receipts);
crypto::Hash next(const crypto::Hash& previous, std::uint64_t height, const crypto::Hash& receipts_root,
                  const crypto::Hash& previous_state_root);

}  // namespace sharechain::history
