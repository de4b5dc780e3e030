// Admission: how a transaction gets from a client or a peer into the mempool.
//
//   client (SubmitTransaction / SubmitTransactions) or peer gossip
//     → sync check (a node behind the chain would judge nonces and balances on stale state)
//     → signature verification (inline for one, on the VerifyPool for a batch or gossip)
//     → dry run of a sender's next transaction against committed state (immediate errors)
//     → mempool (nonce order, limits) → gossip buffer → the consensus thread proposes it.
//
// Every step is thread-safe; none touches the consensus engine.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <vector>

#include "node/chain.hpp"
#include "node/mempool.hpp"
#include "node/metrics.hpp"
#include "node/verify_pool.hpp"

namespace sharechain::node {

// What a dry run's receipt means for the submitter: OK when it may be admitted (a bad nonce
// there is a race with a commit, and the mempool judges nonces), else the refusal to answer.
Status dry_run_verdict(const Receipt& receipt);

// The message of ALREADY_EXISTS for a transaction that is pending here (its status details, from
// the client API, hold a SubmitResponse with status TX_PENDING and the hash).
std::string pending_message(const crypto::Hash& hash);

class Admission {
 public:
  struct Deps {
    Chain& chain;
    Mempool& mempool;
    VerifyPool& pool;
    Metrics& metrics;
    // OK when this node may admit transactions, else the UNAVAILABLE to answer.
    std::function<Status()> may_admit;
    // The proposer to assume for a dry run (the current primary).
    std::function<std::uint32_t()> primary;
    // Something entered the mempool: the consensus thread should look at it.
    std::function<void()> on_admitted;
    // The node's wall clock (ms since the Unix epoch), for the dry run's block timestamp.
    std::function<std::uint64_t()> wall_ms;
  };
  explicit Admission(Deps deps);

  // One transaction from a client, verified on the calling thread (no hand-off for one).
  Result<crypto::Hash> submit(const SignedTransaction& tx);
  // Many, verified on the pool; `done` runs on a pool thread with one result per transaction,
  // in order. Transactions are admitted in order, so one sender's consecutive nonces in one
  // batch are all accepted. A full verification queue refuses the whole batch with
  // RESOURCE_EXHAUSTED.
  using BatchResults = std::vector<Result<crypto::Hash>>;
  void submit_batch(std::vector<SignedTransaction> txs, std::function<void(BatchResults)> done);
  // Transactions a peer gossiped (it verified and admitted them; this node checks again), on the
  // verification pool: returns at once, and `done` runs once they are in the mempool (on a pool
  // worker), or at once when the pool's queue is full and they are dropped (counted; a proposal
  // that carries them has them verified then).
  void admit_gossip(std::vector<SignedTransaction> txs, std::function<void()> done);

  // What was admitted from clients since the last call, to gossip to the peers.
  std::vector<SignedTransaction> take_gossip();

 private:
  // After verification: dry run, mempool, gossip buffer, metrics.
  Result<crypto::Hash> admit_verified(tx::VerifiedTransaction vtx, bool from_client);
  Status dry_run(const tx::VerifiedTransaction& vtx);
  Result<crypto::Hash> refused(Status why);

  Deps deps_;
  std::mutex gossip_mu_;
  std::vector<SignedTransaction> gossip_buffer_;
  prometheus::Counter& m_rejected_;
  prometheus::Counter& m_admitted_;
  prometheus::Counter& m_batches_;
  prometheus::Counter& m_gossip_dropped_;
};

}  // namespace sharechain::node
