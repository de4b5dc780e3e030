// The mempool: admission checks, bounded storage, per-account nonce order.
//
// A transaction is admitted only if it verifies statelessly (tx::verify), is not already
// pending, and its nonce is the sender's next one after the committed nonce and the sender's
// pending transactions (at most `max_nonce_gap` beyond). So every admitted transaction can
// execute when its turn comes, and a replayed or gapped nonce is refused at the door with a
// reason. Admitted transactions are released for proposal strictly in nonce order per sender.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>
#include <cstring>

#include "proto/transaction.hpp"

namespace sharechain::node {

struct PendingTx {
  crypto::Hash hash;
  std::string bytes;  // serialized SignedTransaction
};

class Mempool {
 public:
  struct Limits {
    std::uint64_t max_txs = 50000;
    std::uint64_t max_bytes = 64 << 20;
    std::uint64_t max_nonce_gap = 0;
    // Pending transactions one account may hold: a client pipelines up to this many nonces,
    // and one account alone cannot fill the mempool.
    std::uint64_t max_pending_per_account = 1000;
  };
  // `committed_nonce(address)` returns the next nonce of an account in committed state.
  Mempool(Limits limits, std::string chain_id,
          std::function<std::uint64_t(std::string_view)> committed_nonce);

  // Verifies and admits. Thread-safe; signature verification runs outside the lock, so
  // several API threads verify in parallel. Errors:
  //   INVALID_ARGUMENT / RESOURCE_EXHAUSTED from tx::verify;
  //   ALREADY_EXISTS     the same transaction is pending;
  //   FAILED_PRECONDITION nonce already used (committed, or taken by another pending transaction),
  //                      or leaves a gap;
  //   RESOURCE_EXHAUSTED the mempool is full, or the sender has max_pending_per_account pending.
  Result<crypto::Hash> add(const SignedTransaction& tx);
  // Admits a transaction whose signature this node already verified.
  Result<crypto::Hash> add_verified(tx::VerifiedTransaction vtx);

  // Transactions that became ready (next in their sender's nonce order) since the last call.
  std::vector<PendingTx> take_ready();

  // A block committed: forget its transactions, refresh the senders' committed nonces and drop
  // pending transactions that can no longer execute. Returns the hashes dropped that were not in
  // the block (they were released to consensus and must be withdrawn there too).
  std::vector<crypto::Hash> on_committed(const std::vector<crypto::Hash>& tx_hashes,
                                         const std::vector<std::string>& senders);

  bool contains(const crypto::Hash& hash) const;
  // The nonce `sender`'s next new transaction takes here: the committed one, moved past the
  // sender's pending transactions that follow it without a hole.
  std::uint64_t next_nonce(std::string_view sender) const;
  std::size_t size() const;
  std::uint64_t bytes() const;

 private:
  struct Entry {
    std::string bytes;
    std::string sender;
    std::uint64_t nonce = 0;
  };
  struct SenderQueue {
    std::uint64_t committed_next = 0;
    std::uint64_t released_next = 0;            // first nonce not yet handed to take_ready
    std::map<std::uint64_t, crypto::Hash> by_nonce;
  };
  void release_ready_locked(SenderQueue& q);
  std::uint64_t next_free_locked(const SenderQueue& q, std::uint64_t from = 0) const;
  void erase_locked(const crypto::Hash& hash);

  const Limits limits_;
  const std::string chain_id_;
  const std::function<std::uint64_t(std::string_view)> committed_nonce_;
  mutable std::mutex mu_;
  std::unordered_map<crypto::Hash, Entry, crypto::HashHasher> by_hash_;
  std::unordered_map<std::string, SenderQueue> senders_;
  std::vector<PendingTx> ready_;
  std::uint64_t bytes_ = 0;
};

}  // namespace sharechain::node
