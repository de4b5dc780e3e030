#include "node/verify_pool.hpp"

#include <algorithm>
#include <future>

namespace sharechain::node {

namespace {

// Small enough that a batch spreads over every worker, large enough that claiming a chunk (one
// atomic add) is noise next to verifying it (tens of microseconds per signature).
constexpr std::size_t kChunk = 16;

crypto::Hash digest_of(const SignedTransaction& tx) { return crypto::sha256(tx.SerializeAsString()); }

}  // namespace

struct VerifyPool::Job {
  std::vector<SignedTransaction> txs;
  Results results;
  std::size_t chunks = 0;
  std::atomic<std::size_t> next_chunk{0};
  std::atomic<std::size_t> chunks_done{0};
  std::function<void(Results)> done;
};

VerifyPool::VerifyPool(std::string chain_id, unsigned threads, std::size_t max_queued,
                       std::size_t remembered)
    : chain_id_(std::move(chain_id)), max_queued_(max_queued), remembered_(remembered) {
  for (unsigned i = 0; i < std::max(1u, threads); ++i) workers_.emplace_back([this] { work(); });
}

VerifyPool::~VerifyPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
}

bool VerifyPool::submit(std::vector<SignedTransaction> txs, std::function<void(Results)> done) {
  const std::size_t n = txs.size();
  if (n == 0) {
    done({});
    return true;
  }
  // Claim room first: two callers racing for the last room cannot both get it.
  std::size_t before = queued_.load(std::memory_order_relaxed);
  do {
    if (before + n > max_queued_ && before > 0) return false;
  } while (!queued_.compare_exchange_weak(before, before + n, std::memory_order_relaxed));
  auto job = std::make_shared<Job>();
  job->txs = std::move(txs);
  job->results.resize(n, Status::internal("not verified"));
  job->chunks = (n + kChunk - 1) / kChunk;
  job->done = std::move(done);
  {
    std::lock_guard lock(mu_);
    jobs_.push_back(std::move(job));
  }
  cv_.notify_all();
  return true;
}

VerifyPool::Results VerifyPool::verify(std::vector<SignedTransaction> txs) {
  auto finished = std::make_shared<std::promise<Results>>();
  auto result = finished->get_future();
  const std::size_t n = txs.size();
  queued_.fetch_add(n, std::memory_order_relaxed);
  auto job = std::make_shared<Job>();
  job->txs = std::move(txs);
  job->results.resize(n, Status::internal("not verified"));
  job->chunks = (n + kChunk - 1) / kChunk;
  job->done = [finished](Results r) { finished->set_value(std::move(r)); };
  if (n == 0) return {};
  if (job->chunks > 1) {
    std::lock_guard lock(mu_);
    jobs_.push_back(job);
  }
  if (job->chunks > 1) cv_.notify_all();
  run_chunks(*job);
  return result.get();
}

bool VerifyPool::run_chunks(Job& job) {
  bool finished = false;
  for (;;) {
    const std::size_t c = job.next_chunk.fetch_add(1, std::memory_order_relaxed);
    if (c >= job.chunks) break;
    const std::size_t end = std::min(job.txs.size(), (c + 1) * kChunk);
    for (std::size_t i = c * kChunk; i < end; ++i) job.results[i] = tx::verify(job.txs[i], chain_id_);
    verifications_.fetch_add(end - c * kChunk, std::memory_order_relaxed);
    // acq_rel: the thread that completes the last chunk sees every other chunk's results.
    if (job.chunks_done.fetch_add(1, std::memory_order_acq_rel) + 1 == job.chunks) finished = true;
  }
  if (finished) {
    queued_.fetch_sub(job.txs.size(), std::memory_order_relaxed);
    remember(job.results);
    job.done(std::move(job.results));
  }
  return finished;
}

void VerifyPool::work() {
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, and nothing left to do
      job = jobs_.front();
      // Once a job's chunks are all claimed it leaves the queue; its last chunks finish on the
      // threads that claimed them.
      if (job->next_chunk.load(std::memory_order_relaxed) + 1 >= job->chunks) jobs_.pop_front();
    }
    run_chunks(*job);
  }
}

void VerifyPool::remember(const Results& results) {
  std::vector<crypto::Hash> digests;
  digests.reserve(results.size());
  for (const auto& r : results) {
    if (r) digests.push_back(digest_of(r->signed_tx));
  }
  std::lock_guard lock(seen_mu_);
  for (const auto& d : digests) {
    if (!seen_.insert(d).second) continue;
    seen_order_.push_back(d);
    if (seen_order_.size() > remembered_) {
      seen_.erase(seen_order_.front());
      seen_order_.pop_front();
    }
  }
}

bool VerifyPool::verified_before(std::string_view signed_bytes) const {
  const crypto::Hash d = crypto::sha256(signed_bytes);
  std::lock_guard lock(seen_mu_);
  return seen_.contains(d);
}

}  // namespace sharechain::node
