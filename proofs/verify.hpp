// Checking a transaction proof (api.proto TransactionProof) with nothing but the validator set:
// no node, no store, no network. docs/proofs.md states every step.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "consensus/types.hpp"
#include "proto/crypto.hpp"
#include "proto/genesis.hpp"
#include "proto/status.hpp"
#include "sharechain/api.pb.h"
#include "sharechain/types.pb.h"

namespace sharechain::proofs {

// What a verifier trusts: the genesis file, and through it the chain id and the validator set
// that certifies blocks. (The validator set changes only through governance epochs; until the
// engine runs them, every block of a chain is certified by its genesis set.)
struct Trust {
  std::string chain_id;
  std::string genesis_hash;  // SHA-256 of the genesis file, 32 raw bytes
  std::vector<consensus::ValidatorInfo> validators;
};
Trust trust_from(const LoadedGenesis& genesis);

// What a verified proof establishes.
struct ProvenTransaction {
  std::uint64_t height = 0;
  std::uint32_t index = 0;
  crypto::Hash tx_hash{};
  crypto::Hash block_hash{};
  std::uint64_t timestamp_ms = 0;   // the block's, as its proposer stamped it
  std::string transaction;          // serialized SignedTransaction, as the block carries it
  TransactionBody body;
  std::string sender;               // 20-byte address
  Receipt receipt;
  std::uint64_t anchor_height = 0;  // the block whose certificate covers the receipt
};

// OK with what was proven, or INVALID_ARGUMENT whose message names the first check that failed:
// the part ("block certificate", "transaction path", "receipt", "history link at height 58",
// "anchor certificate", ...), the height, and for a certificate the validator whose vote failed.
Result<ProvenTransaction> verify_transaction_proof(const api::TransactionProof& proof, const Trust& trust);

}  // namespace sharechain::proofs
