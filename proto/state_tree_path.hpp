// The sparse Merkle tree over the state (docs/proofs.md, "State proofs"): its hashing rules and
// the walk from the end of a key's path up to the root, on their own so that the store that
// keeps the tree (storage/state_tree.hpp) and an offline verifier (proofs/) share one definition.
//
//   key_hash = SHA-256(key), read most-significant bit first; bit 0 = left
//   leaf     = SHA-256(0x02 || key_hash || SHA-256(value))
//   branch   = SHA-256(0x03 || left || right)
//   empty    = 32 zero bytes
//   state_root = tagged_hash("sharechain/state-root", lthash_root || tree_root)
//
// The prefixes differ from the transaction tree's 0x00 and 0x01 (crypto::merkle_root), so a node
// of one tree never stands for a node of the other.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "proto/crypto.hpp"

namespace sharechain::state_tree {

// The genesis `state_tree` value of chains whose state root commits to the tree.
inline constexpr std::string_view kSparseMerkleSha256 = "sparse-merkle-sha256";
inline constexpr std::string_view kRootTag = "sharechain/state-root";
// Two different key hashes part within 256 bits, so no path is longer.
inline constexpr std::size_t kMaxDepth = 256;

inline bool bit(const crypto::Hash& key_hash, std::size_t i) {
  return ((key_hash[i / 8] >> (7 - i % 8)) & 1) != 0;
}

crypto::Hash leaf(const crypto::Hash& key_hash, const crypto::Hash& value_hash);
crypto::Hash branch(const crypto::Hash& left, const crypto::Hash& right);
inline constexpr crypto::Hash kEmpty{};

crypto::Hash combined_root(const crypto::Hash& lthash_root, const crypto::Hash& tree_root);

// The root reached from `node`, the end of key_hash's path at depth siblings.size(); siblings run
// from the root down, kEmpty for an empty subtree. The caller bounds the depth by kMaxDepth.
crypto::Hash fold(crypto::Hash node, const crypto::Hash& key_hash, const std::vector<crypto::Hash>& siblings);

// Whether a and b agree in their first `bits` bits.
bool same_prefix(const crypto::Hash& a, const crypto::Hash& b, std::size_t bits);

}  // namespace sharechain::state_tree
