// GetProof's answer, read from the store: a committed transaction, its receipt and the hashes
// that tie both to commit certificates (api.proto TransactionProof, docs/proofs.md).
#pragma once

#include "proto/crypto.hpp"
#include "proto/status.hpp"
#include "sharechain/api.pb.h"
#include "storage/store.hpp"

namespace sharechain::node {

// How far above the transaction's block the anchor is looked for. A proposal certifies the
// history of the latest height its primary executed, which trails the block being proposed by
// the pipeline depth (a few blocks); this bound only keeps a request on an old chain without
// history roots from reading the whole chain.
inline constexpr std::uint64_t kMaxAnchorDistance = 1024;

// NOT_FOUND: no committed transaction with that hash. UNAVAILABLE: its block or one of the
// heights up to the anchor is in a hole of this store's history. FAILED_PRECONDITION: no block
// committed here certifies the receipt's history yet (retry after the next block), or none within
// kMaxAnchorDistance carries a history root (a chain certified before history roots existed).
Result<api::TransactionProof> build_transaction_proof(const storage::Store& store, const crypto::Hash& tx_hash);

// State keys are short (a prefix and an address, id or VIN); this bounds what a request may ask
// the node to hash.
inline constexpr std::size_t kMaxStateKeyBytes = 1024;
// How many of the newest blocks are tried as the anchor of a state proof, newest first.
inline constexpr std::uint64_t kStateAnchorsTried = 16;

// GetStateProof's answer: `key` in the newest state that a committed block here certifies and
// whose tree the store keeps, anchored by that block. INVALID_ARGUMENT: an empty or oversized key,
// or chain/history. FAILED_PRECONDITION: the chain has no state tree, or none of the newest
// blocks certifies a state whose tree is kept (right after a restart or a snapshot restore; the
// next block does).
Result<api::StateProof> build_state_proof(const storage::Store& store, std::string_view key);

}  // namespace sharechain::node
