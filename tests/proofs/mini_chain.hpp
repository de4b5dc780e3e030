// A three-block chain built by hand for proof tests: block 5 holds three transfers, block 6 one,
// and block 7 certifies history(6). Every header is certified by three of four validators with
// real BIP340 signatures; history values below 5 are arbitrary but fixed, as a verifier cannot
// tell them from real ones (they are bound by hashing alone).
#pragma once

#include <vector>

#include "../consensus/harness.hpp"
#include "proofs/verify.hpp"
#include "sharechain/api.pb.h"

namespace sharechain::proofs::testing {

class MiniChain {
 public:
  MiniChain();

  const Trust& trust() const { return trust_; }
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

  consensus::testing::Keys keys_{4};
  Trust trust_;
  std::vector<crypto::Hash> tx_hashes_;
  BuiltBlock b5_, b6_, b7_;
  crypto::Hash root5_{};
};

}  // namespace sharechain::proofs::testing
