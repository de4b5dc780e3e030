#include "client/batch_submitter.hpp"

#include <future>

namespace sharechain::client {

struct BatchSubmitter::Pending {
  SignedTransaction tx;
  std::promise<grpc::Status> answer;
};

BatchSubmitter::BatchSubmitter(api::Client::Stub& stub, std::size_t max_batch,
                               std::chrono::milliseconds timeout)
    : stub_(stub), max_batch_(std::max<std::size_t>(1, max_batch)), timeout_(timeout) {
  thread_ = std::thread([this] { run(); });
}

BatchSubmitter::~BatchSubmitter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    if (context_) context_->TryCancel();
  }
  cv_.notify_all();
  thread_.join();
}

grpc::Status BatchSubmitter::submit(const SignedTransaction& tx) {
  auto p = std::make_shared<Pending>();
  p->tx = tx;
  auto answer = p->answer.get_future();
  {
    std::lock_guard lock(mu_);
    if (stopping_) return {grpc::StatusCode::UNAVAILABLE, "the client is shutting down"};
    queue_.push_back(p);
  }
  cv_.notify_one();
  return answer.get();
}

void BatchSubmitter::run() {
  for (;;) {
    std::vector<std::shared_ptr<Pending>> batch;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) {
        for (auto& p : queue_) p->answer.set_value({grpc::StatusCode::UNAVAILABLE, "the client is shutting down"});
        queue_.clear();
        break;
      }
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    send(batch);
  }
  if (stream_) {
    stream_->WritesDone();
    stream_->Finish();
  }
}

void BatchSubmitter::send(std::vector<std::shared_ptr<Pending>>& batch) {
  {
    std::lock_guard lock(mu_);
    if (!stream_) {
      context_ = std::make_unique<grpc::ClientContext>();
      stream_ = stub_.SubmitTransactions(context_.get());
    }
  }
  api::SubmitBatchRequest req;
  for (const auto& p : batch) *req.add_transactions() = p->tx;
  api::SubmitBatchResponse resp;
  // The stream has no deadline of its own (it lives across messages); a message the node does
  // not answer in time cancels the stream instead.
  std::atomic<bool> answered{false};
  std::mutex timer_mu;
  std::condition_variable timer_cv;
  std::thread watchdog([&] {
    std::unique_lock lock(timer_mu);
    if (!timer_cv.wait_for(lock, timeout_, [&] { return answered.load(); })) context_->TryCancel();
  });
  const bool ok = stream_->Write(req) && stream_->Read(&resp);
  {
    std::lock_guard lock(timer_mu);
    answered = true;
  }
  timer_cv.notify_all();
  watchdog.join();
  if (ok && resp.results_size() == req.transactions_size()) {
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const api::SubmitResult& r = resp.results(static_cast<int>(i));
      batch[i]->answer.set_value(r.code() == 0 ? grpc::Status::OK
                                               : grpc::Status(static_cast<grpc::StatusCode>(r.code()), r.message()));
    }
    return;
  }
  stream_->WritesDone();
  grpc::Status s = stream_->Finish();
  if (s.ok() || s.error_code() == grpc::StatusCode::CANCELLED) {
    s = grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                     ok ? "the node answered a message with the wrong number of results"
                        : "the node did not answer within " + std::to_string(timeout_.count()) + " ms");
  }
  {
    std::lock_guard lock(mu_);
    stream_.reset();
    context_.reset();
  }
  for (auto& p : batch) p->answer.set_value(s);
}

}  // namespace sharechain::client
