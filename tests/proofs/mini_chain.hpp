// A three-block chain built by hand for proof tests: block 5 holds three transfers, block 6 one,
// and block 7 certifies history(6). Every header is certified by three of four validators with
// real BIP340 signatures; history values below 5 are arbitrary but fixed, as a verifier cannot
// tell them from real ones (they are bound by hashing alone).
//
// With Epochs::kSwitchAt6 the validator set changes after block 6: blocks 5 and 6 name the
// genesis set (epoch 0), block 6 names the next set, and block 7 is of epoch 1, certified by four
// of a new set of five (two genesis keys kept, three new ones).
#pragma once

#include <vector>

#include "../consensus/harness.hpp"
#include "proofs/verify.hpp"
#include "sharechain/api.pb.h"

namespace sharechain::proofs::testing {

class MiniChain {
 public:
  enum class Epochs { kGenesisOnly, kSwitchAt6 };
  explicit MiniChain(Epochs epochs = Epochs::kGenesisOnly);

  // The genesis set alone, as a reader's genesis file gives it.
  const Trust& trust() const { return trust_; }
  // kSwitchAt6: the trust extended with epoch 1's set, as a bundle writer holds it.
  Trust spanning_trust() const;
  // kSwitchAt6: epoch 1's set and the switch block (block 6) that certifies it.
  const std::vector<consensus::ValidatorInfo>& next_set() const { return next_set_; }
  api::CertifiedHeader switch_block() const;
  // Certifies `header` (serialized) by the set of the epoch it names, with the usual voters.
  CommitCertificate certify(const std::string& header, std::uint64_t epoch, std::uint64_t view, std::uint64_t height);
  // The proof of transaction `index` of block 5 (0..2), or of block 6's only one (index 3).
  api::TransactionProof proof(std::uint32_t which) const;
  // Transaction hashes, in the order above.
  const std::vector<crypto::Hash>& tx_hashes() const { return tx_hashes_; }
  consensus::testing::Keys& keys() { return keys_; }

 private:
  struct BuiltBlock {
    Block block;
    std::vector<std::string> receipts;
    crypto::Hash previous_history{};
    crypto::Hash previous_root{};
  };
  BuiltBlock build(std::uint64_t height, const std::vector<std::string>& txs, std::uint64_t state_height,
                   const crypto::Hash& history_root, const crypto::Hash& previous_history,
                   const crypto::Hash& previous_root, std::uint32_t first_tx);

  Epochs epochs_;
  consensus::testing::Keys keys_{4};
  consensus::testing::Keys more_keys_{7};  // keys 0..3 are keys_'s; epoch 1 takes 1, 3, 4, 5, 6
  std::vector<consensus::ValidatorInfo> next_set_;
  Trust trust_;
  std::vector<crypto::Hash> tx_hashes_;
  BuiltBlock b5_, b6_, b7_;
  crypto::Hash root5_{};
};

}  // namespace sharechain::proofs::testing
