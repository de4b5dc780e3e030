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

// One epoch's validator set as a verifier trusts it: the genesis set, or a set certified by the
// one before it (docs/proofs.md, "Each later set").
struct TrustedSet {
  std::uint64_t from_height = 0;  // the last height of the epoch before: this set certifies above it
  std::vector<consensus::ValidatorInfo> validators;  // in index order
  std::string hash;               // validator_set_hash(validators), 32 raw bytes
  // Epochs above 0: the last block of the epoch before (height from_height), certified by its
  // set, whose header names this set as the next one.
  api::CertifiedHeader switch_block;
};

// What a verifier trusts: the genesis file, and through it the chain id and the first validator
// set; then each later set only once the set before has certified it.
struct Trust {
  std::string chain_id;
  std::string genesis_hash;      // SHA-256 of the genesis file, 32 raw bytes
  std::vector<TrustedSet> sets;  // sets[e] certifies epoch e; sets[0] is the genesis set
  // The genesis names a state tree (docs/proofs.md, "State proofs"): only then do its state roots
  // prove single entries.
  bool state_tree = false;

  // Empty for a Trust made by hand without sets: nothing is certified then.
  const std::vector<consensus::ValidatorInfo>& genesis_validators() const {
    static const std::vector<consensus::ValidatorInfo> kNone;
    return sets.empty() ? kNone : sets.front().validators;
  }
};
Trust trust_from(const LoadedGenesis& genesis);
// A trust whose genesis set is `validators` (what a node reports, or a test's keys).
Trust trust_of(std::string chain_id, std::string genesis_hash, std::vector<consensus::ValidatorInfo> validators);

// Appends the set of epoch trust.sets.size() once it is proven: its switch block is a block of the
// last trusted epoch at height `from_height` (above that epoch's start), certified by that set, and
// its header's next_validator_set_hash is the hash of `validators` (non-empty, no key twice).
// INVALID_ARGUMENT naming the check that failed ("validator set of epoch 2: ...", "switch block of
// epoch 2 (height 40): ..."); the trust is unchanged then.
Status extend_trust(Trust& trust, std::uint64_t from_height, std::vector<consensus::ValidatorInfo> validators,
                    api::CertifiedHeader switch_block);

// The epoch a certified header names (0 when it does not decode: the check will say so).
std::uint64_t header_epoch(const api::CertifiedHeader& certified);

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

// What a verified state proof establishes: the entry's value, or its absence, in the state after
// `height`.
struct ProvenState {
  std::string key;
  bool present = false;
  std::string value;                // when present
  std::uint64_t height = 0;
  std::uint64_t anchor_height = 0;  // the block whose certificate covers that state
};

// docs/proofs.md S1-S5: OK with what was proven, or INVALID_ARGUMENT naming the first check that
// failed ("anchor (height 12): ...", "state path (height 11): ...", "state (height 11): ...").
// A trust whose genesis names no state tree proves no entry.
Result<ProvenState> verify_state_proof(const api::StateProof& proof, const Trust& trust);

}  // namespace sharechain::proofs
