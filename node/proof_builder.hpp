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

}  // namespace sharechain::node
