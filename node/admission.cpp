#include "node/admission.hpp"

#include <spdlog/spdlog.h>

#include "contracts/executor.hpp"

namespace sharechain::node {

Status dry_run_verdict(const Receipt& r) {
  // A nonce the dry run finds wrong is the mempool's to judge (used, taken, gap), not a refusal.
  if (r.status() == RECEIPT_OK || r.status() == RECEIPT_BAD_NONCE) return Status::ok();
  return contracts::status_of(r.status(), r.error());
}

std::string pending_message(const crypto::Hash& hash) {
  return "transaction " + crypto::to_hex(hash) +
         " is already pending on this node; sending the same signed transaction again does not "
         "repeat it (a new payment needs a new nonce)";
}

Admission::Admission(Deps deps)
    : deps_(std::move(deps)),
      m_rejected_(deps_.metrics.counter("sharechain_rejected_transactions_total",
                                        "Transactions refused at admission")),
      m_admitted_(deps_.metrics.counter("sharechain_admitted_transactions_total",
                                        "Transactions admitted to the mempool")),
      m_batches_(deps_.metrics.counter("sharechain_submit_batches_total",
                                       "SubmitTransactions messages judged")),
      m_gossip_dropped_(deps_.metrics.counter(
          "sharechain_gossip_dropped_transactions_total",
          "Gossiped transactions dropped on arrival because the verification queue was full")) {
  deps_.metrics.sampled("sharechain_verify_queue_transactions",
                        "Transactions waiting for signature verification",
                        [this] { return static_cast<double>(deps_.pool.queued()); });
  deps_.metrics.sampled("sharechain_signature_verifications",
                        "Transaction signatures this node verified since it started",
                        [this] { return static_cast<double>(deps_.pool.verifications()); });
}

Result<crypto::Hash> Admission::refused(Status why) {
  m_rejected_.Increment();
  spdlog::debug("refused transaction: {}", why.to_string());
  return why;
}

Result<crypto::Hash> Admission::submit(const SignedTransaction& tx) {
  if (Status s = deps_.may_admit(); !s) return refused(std::move(s));
  // A batch of one runs on this thread; the pool remembers it verified.
  auto verified = std::move(deps_.pool.verify({tx}).front());
  if (!verified) return refused(verified.status());
  return admit_verified(std::move(verified).value(), true);
}

void Admission::submit_batch(std::vector<SignedTransaction> txs,
                             std::function<void(BatchResults)> done) {
  m_batches_.Increment();
  if (Status s = deps_.may_admit(); !s) {
    BatchResults results;
    for (std::size_t i = 0; i < txs.size(); ++i) results.push_back(refused(s));
    done(std::move(results));
    return;
  }
  const std::size_t n = txs.size();
  auto admit = [this, done](VerifyPool::Results verified) {
    BatchResults results;
    results.reserve(verified.size());
    for (auto& v : verified) {
      results.push_back(v ? admit_verified(std::move(v).value(), true) : refused(v.status()));
    }
    done(std::move(results));
  };
  if (!deps_.pool.submit(std::move(txs), admit)) {
    const Status busy = Status::resource_exhausted(
        "this node is verifying " + std::to_string(deps_.pool.queued()) +
        " transactions already (its limit is " + std::to_string(deps_.pool.max_queued()) +
        "); retry in a moment or send to another node");
    BatchResults results;
    for (std::size_t i = 0; i < n; ++i) results.push_back(refused(busy));
    done(std::move(results));
  }
}

void Admission::admit_gossip(std::vector<SignedTransaction> txs, std::function<void()> done) {
  const std::size_t count = txs.size();
  const bool queued = deps_.pool.submit(std::move(txs), [this, done](VerifyPool::Results results) {
    bool any = false;
    for (auto& v : results) {
      if (!v) continue;  // the sender verified it; a peer that sends bad ones is not believed
      if (deps_.mempool.add_verified(std::move(v).value())) {
        any = true;
        m_admitted_.Increment();
      }
    }
    if (any) deps_.on_admitted();
    done();
  });
  if (!queued) {
    m_gossip_dropped_.Increment(static_cast<double>(count));
    done();
  }
}

std::vector<SignedTransaction> Admission::take_gossip() {
  std::vector<SignedTransaction> batch;
  std::lock_guard lock(gossip_mu_);
  batch.swap(gossip_buffer_);
  return batch;
}

Result<crypto::Hash> Admission::admit_verified(tx::VerifiedTransaction vtx, bool from_client) {
  // The same transaction again: it is in, and the answer says so without admitting, judging or
  // gossiping it twice. ALREADY_EXISTS, not OK: a client that meant a second payment and built
  // the same bytes (a stale nonce) must not hear "admitted"; one that retries knows it is in.
  if (deps_.mempool.contains(vtx.hash)) return refused(Status::already_exists(pending_message(vtx.hash)));
  if (Status s = dry_run(vtx); !s) return refused(std::move(s));
  SignedTransaction copy = from_client ? vtx.signed_tx : SignedTransaction{};
  auto admitted = deps_.mempool.add_verified(std::move(vtx));
  if (!admitted) return refused(admitted.status());
  m_admitted_.Increment();
  if (from_client) {
    std::lock_guard lock(gossip_mu_);
    gossip_buffer_.push_back(std::move(copy));
  }
  deps_.on_admitted();
  return admitted;
}

// A transaction whose nonce is the sender's next committed one is executed alone against the
// committed state before admission. If it would fail there (more than the balance, a missing
// role, an unknown asset, ...), the submitter hears why at once with a gRPC status, and nothing
// enters the mempool. Later transactions of a sender with pending ones skip this: their outcome
// depends on the pending ones, so they are judged when they execute, in their receipts.
Status Admission::dry_run(const tx::VerifiedTransaction& vtx) {
  const auto& store = deps_.chain.store();
  if (vtx.body.nonce() != contracts::next_nonce(store, vtx.sender)) return Status::ok();
  contracts::BlockContext ctx{deps_.chain.chain_id(), store.height() + 1, deps_.wall_ms(), deps_.primary(),
                              /*validator_changes=*/true};
  const auto result = contracts::execute_block(store, ctx, {vtx});
  if (result.receipts.empty()) return Status::ok();
  return dry_run_verdict(result.receipts.front());
}

}  // namespace sharechain::node
