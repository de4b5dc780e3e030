// What consensus signatures cover, and the checks that make certificates verifiable by anyone
// holding the validator set.
//
// Two kinds of signature exist:
//  - the envelope signature authenticates a whole message as sent:
//      tagged_hash("sharechain/consensus", be32(len(chain_id)) || chain_id || payload)
//    (with the epoch in front under its own tag above epoch 0; see envelope_digest)
//  - a vote signature (PREPARE, COMMIT, CHECKPOINT) covers a canonical encoding written here by
//    hand, never a protobuf re-serialisation, so a vote lifted out of its envelope into a
//    certificate still verifies:
//      tagged_hash("sharechain/consensus/vote",
//                  kind(1 byte) || be32(len(chain_id)) || chain_id || body)
//    where body is be64(view) || be64(height) || block_hash(32) for PREPARE and COMMIT, and
//    be64(height) || block_hash(32) || state_root(32) for CHECKPOINT.
// The chain id is length-prefixed so no two (chain_id, rest) pairs share an encoding; the kind
// byte keeps a PREPARE from ever standing in for a COMMIT; the tag keeps consensus signatures
// apart from transaction and handshake signatures made with the same key.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "consensus/types.hpp"

namespace sharechain::consensus {

inline constexpr std::string_view kVoteTag = "sharechain/consensus/vote";
inline constexpr std::string_view kEpochEnvelopeTag = "sharechain/consensus/epoch";
inline constexpr std::string_view kValidatorSetTag = "sharechain/validator-set";

enum class VoteKind : uint8_t { kPrepare = 1, kCommit = 2, kCheckpoint = 3 };

crypto::Hash envelope_digest(std::string_view chain_id, std::string_view payload);
// The digest an envelope of `epoch` is signed over: envelope_digest(chain_id, payload) for epoch
// 0, and tagged_hash("sharechain/consensus/epoch", be64(epoch) || be32(len(chain_id)) ||
// chain_id || payload) above it, so that no envelope verifies in an epoch it was not sent in.
crypto::Hash envelope_digest(std::string_view chain_id, uint64_t epoch, std::string_view payload);
crypto::Hash vote_digest(VoteKind kind, std::string_view chain_id, uint64_t view, uint64_t height,
                         const crypto::Hash& block_hash);
crypto::Hash checkpoint_digest(std::string_view chain_id, uint64_t height,
                               const crypto::Hash& block_hash, const crypto::Hash& state_root);

// tagged_hash("sharechain/validator-set", be32(n) || key_0 || ... || key_{n-1}): the keys in
// index order, since a validator's index is its position (headers carry it, consensus/epochs.hpp).
// Peer addresses are not part of it: they are where to reach a validator, not who certifies.
crypto::Hash validator_set_hash(const std::vector<ValidatorInfo>& validators);

// SHA-256 of the header bytes exactly as the proposer serialized them.
crypto::Hash block_hash(const Block& block);

// Signs with a validator key. `deterministic` derives BIP340's auxiliary randomness from the
// digest instead of the OS (still a valid BIP340 signature); the simulator uses it so that a run
// replays byte for byte. Nodes leave it off.
class KeySigner final : public Signer {
 public:
  explicit KeySigner(crypto::PrivateKey key, bool deterministic = false);
  std::string sign(const crypto::Hash& digest) override;

 private:
  crypto::PrivateKey key_;
  bool deterministic_;
};

// Verifies BIP340 signatures against the validator set's x-only keys.
class KeyVerifier final : public Verifier {
 public:
  explicit KeyVerifier(std::vector<ValidatorInfo> validators);
  bool verify(uint32_t validator, const crypto::Hash& digest, std::string_view sig) override;

 private:
  std::vector<ValidatorInfo> validators_;
};

// OK when `certificate` holds at least a quorum of valid COMMIT votes, from distinct validators
// of a set of `n`, for (chain_id, certificate.view, height, block_hash). Any vote that is
// invalid, repeated or from outside the set makes the whole certificate invalid: a certificate
// is either clean or rejected.
Status verify_commit_certificate(std::string_view chain_id, uint32_t n,
                                 const CommitCertificate& certificate, uint64_t height,
                                 const crypto::Hash& block_hash, Verifier& verifier);

// The same for a block: its header must name `config.chain_id` and `config.epoch` (with
// that set's validator_set_hash when the header carries one), its transactions must decode
// and hash to the header's tx_root, and its certificate must be for the header's height and for
// block_hash(block). OK means the whole block, transactions included, is what a quorum committed.
Status verify_commit_certificate(const Config& config, const Block& block, Verifier& verifier);

// Merkle root of SHA-256 of each transaction's bytes as the block carries them (the header's
// signed_tx_root).
crypto::Hash signed_transactions_root(const Block& block);

// OK when the block's transactions match its header: tx_root over the bodies' hashes, and
// signed_tx_root over the whole signed transactions when the header has one (always, with
// `require_signed_root`; a block certified before the field existed has none). `what` starts
// the error message.
Status check_transaction_roots(const BlockHeader& header, const Block& block, bool require_signed_root,
                               const std::string& what);

// A quorum of valid PREPARE votes for the certificate's block at (view, height); the block's
// header must decode, carry that height, and its transactions must match its tx_root.
Status verify_prepared_certificate(std::string_view chain_id, uint32_t n,
                                   const PreparedCertificate& certificate, Verifier& verifier);

// A quorum of valid CHECKPOINT votes for (height, block_hash, state_root).
Status verify_checkpoint_proof(std::string_view chain_id, uint32_t n, const CheckpointProof& proof,
                               Verifier& verifier);

// Hashes of a block's transactions (SHA-256 of each SignedTransaction body), or INVALID_ARGUMENT
// if one does not decode.
Result<std::vector<crypto::Hash>> transaction_hashes(const Block& block);

}  // namespace sharechain::consensus
