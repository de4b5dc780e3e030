// The history chain: one 32-byte value per height that commits to every receipt and every state
// root of the chain below it, kept inside the state so the certified state root covers it, and
// certified directly by each block header's history_root (for its state_height). The hashing
// rule is proto/history_chain.hpp; receipts are hashed serialized once, as the store keeps them.
//
// Why: a node that restores a state snapshot at height S trusts the state through the
// checkpoint proof, but the blocks and receipts below S come from peers afterwards. Block
// headers chain by prev_hash, so blocks can be checked downwards from S's certified hash; the
// receipts and per-height state roots cannot, because a header is ordered before its block is
// executed. history(S) sits in the certified state, so walking down from it — each peer-supplied
// (history(h-1), state_root(h-1)) must hash with block h's receipts to the history(h) already
// trusted — checks every receipt and root of the backfilled range with nothing but hashing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proto/crypto.hpp"
#include "proto/history_chain.hpp"
#include "sharechain/types.pb.h"

namespace sharechain::storage {

// The state key holding history(h) after block h (absent at genesis: history(0) is zero).
inline constexpr std::string_view kHistoryStateKey = "chain/history";
inline constexpr std::string_view kHistoryTag = history::kTag;

using history::receipts_root;
inline crypto::Hash next_history(const crypto::Hash& previous, std::uint64_t height,
                                 const crypto::Hash& receipts_root, const crypto::Hash& previous_state_root) {
  return history::next(previous, height, receipts_root, previous_state_root);
}

// An inclusive range of heights.
struct HeightRange {
  std::uint64_t from = 0;
  std::uint64_t to = 0;
};

// A hole in the stored history left by a snapshot restore: heights [low, high] lack their
// receipts, and all of them but possibly `high` (the snapshot's own block) lack their blocks.
// The anchors say what the missing data must hash to: block `high` hashes to high_hash and
// history(high) is high_history (both certified); the block below the hole, low-1, is this
// store's own, with hash below_hash, history(low-1) below_history and state root below_root.
// Backfilling fills a hole from the top down, moving `high` (and its anchors) down.
struct HistoryGap {
  std::uint64_t low = 0;
  std::uint64_t high = 0;
  crypto::Hash high_hash{};
  crypto::Hash high_history{};
  crypto::Hash below_hash{};
  crypto::Hash below_history{};
  crypto::Hash below_root{};
};

// One height of history as a peer serves it, checked by Store::backfill before it is kept:
// block `height` with its certificate, its receipts in block order, and the history value and
// state root after the height below it.
struct HistoryEntry {
  std::uint64_t height = 0;
  Block block;
  // Serialized Receipts exactly as the sender stores them: their hashes are what the history
  // chain commits to, so they are never re-serialized on the way.
  std::vector<std::string> receipts;
  crypto::Hash previous_history{};
  crypto::Hash previous_state_root{};
};

}  // namespace sharechain::storage
