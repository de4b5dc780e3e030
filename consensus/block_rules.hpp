// The rules a proposed block must satisfy, as pure functions: first the checks a replica can
// make on the message alone (when the PRE-PREPARE arrives), then the checks against the
// committed parent (before the replica sends PREPARE).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "consensus/types.hpp"

namespace sharechain::consensus {

// A block whose header decoded and whose transactions hash to its tx_root.
struct CheckedBlock {
  BlockHeader header;
  crypto::Hash hash{};
  std::vector<crypto::Hash> tx_hashes;
};

enum class ProposalKind {
  kFresh,       // proposed in this view by its primary: header.view == view
  kReproposal,  // carried over by a NEW-VIEW from an earlier view's prepared certificate
};

// INVALID_ARGUMENT unless `block` is a well-formed proposal for `height` in `view`:
// header decodes; chain id; height; view and proposer (fresh: this view and its primary;
// re-proposal: an earlier view and that view's primary); 32-byte prev_hash, tx_root and
// state_root; state_height < height; tx_root = merkle_root of the transactions' hashes; at most
// max_block_txs distinct transactions of at most max_block_bytes in total; and, for a fresh
// proposal, a timestamp no more than max_clock_skew_ms ahead of `now_ms`. An empty fresh
// proposal must also pass check_certifying() against its parent.
Result<CheckedBlock> check_proposal(const Config& config, ProposalKind kind, uint64_t view,
                                    uint64_t height, const Block& block, uint64_t now_ms);

// What a replica knows about the committed parent of the height it is about to vote on.
struct Parent {
  uint64_t height = 0;
  crypto::Hash hash{};
  uint64_t timestamp_ms = 0;
  std::optional<uint64_t> state_height;  // the parent header's state_height, when known
};

// FAILED_PRECONDITION unless `header` extends `parent`: height = parent + 1, prev_hash = its
// hash, a strictly later timestamp, and a state_height no lower than the parent's.
Status check_extends(const BlockHeader& header, const Parent& parent);

// A fresh proposal without transactions exists only to certify the state after the last block
// that had some: on an idle chain nothing else would (a header certifies the state at its
// state_height, below its own height). FAILED_PRECONDITION unless the parent's certified state
// is below `last_tx_height` and `header` certifies a later one. Otherwise a primary could add
// empty blocks for ever, each certifying the one before.
Status check_certifying(const BlockHeader& header, const Parent& parent, uint64_t last_tx_height);

}  // namespace sharechain::consensus
