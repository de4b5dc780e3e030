// Signature verification on a fixed pool of threads, and the memory of what verified.
//
// Verifying a transaction's BIP340 signature is the one expensive step of admitting it, and a
// node should pay it once per transaction: when a client or a peer hands it over. The pool
// splits each batch into chunks that every worker (and a caller that waits) takes in turn, so a
// batch of a thousand uses all cores while a batch of one costs a single hand-off. What verified
// is remembered by the digest of the exact signed bytes, so a proposal that carries a
// transaction this node already checked (in its mempool or refused there for its nonce) is not
// checked again; a proposal's unseen transactions are verified here, in parallel.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "node/mempool.hpp"
#include "proto/transaction.hpp"

namespace sharechain::node {

class VerifyPool {
 public:
  using Results = std::vector<Result<tx::VerifiedTransaction>>;

  // `threads` workers (at least one); at most `max_queued` transactions waiting at once (a batch
  // beyond that is refused by submit()); remembers the last `remembered` verified transactions.
  VerifyPool(std::string chain_id, unsigned threads, std::size_t max_queued, std::size_t remembered);
  ~VerifyPool();  // finishes the queued work, then joins the workers
  VerifyPool(const VerifyPool&) = delete;
  VerifyPool& operator=(const VerifyPool&) = delete;

  // Verifies `txs` in the background; `done` runs on a worker with one result per transaction,
  // in order. False (and `done` never runs) when the queue holds max_queued already: the caller
  // answers RESOURCE_EXHAUSTED rather than letting memory grow.
  bool submit(std::vector<SignedTransaction> txs, std::function<void(Results)> done);
  // Verifies and waits; the calling thread verifies chunks too. Never refused.
  Results verify(std::vector<SignedTransaction> txs);

  // True when these exact signed bytes verified here before (and are still remembered).
  bool verified_before(std::string_view signed_bytes) const;

  std::size_t queued() const { return queued_.load(std::memory_order_relaxed); }
  std::size_t max_queued() const { return max_queued_; }
  std::uint64_t verifications() const { return verifications_.load(std::memory_order_relaxed); }
  unsigned threads() const { return static_cast<unsigned>(workers_.size()); }

 private:
  struct Job;
  void work();
  // Runs chunks of `job` until none is left unclaimed; true if this call finished the job.
  bool run_chunks(Job& job);
  void remember(const Results& results);

  const std::string chain_id_;
  const std::size_t max_queued_;
  const std::size_t remembered_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> jobs_;  // jobs with chunks not yet claimed
  bool stopping_ = false;
  std::vector<std::thread> workers_;
  std::atomic<std::size_t> queued_{0};
  std::atomic<std::uint64_t> verifications_{0};

  mutable std::mutex seen_mu_;
  std::unordered_set<crypto::Hash, crypto::HashHasher> seen_;
  std::deque<crypto::Hash> seen_order_;  // oldest first, for forgetting
};

}  // namespace sharechain::node
