// Submission through SubmitTransactions for clients with many concurrent senders (the data
// management server): each caller hands over one transaction and waits for its own answer,
// while one thread per node sends whatever callers have queued as one message on a long-lived
// stream. Under load a message carries many transactions; alone, a transaction waits for no
// one.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "sharechain/api.grpc.pb.h"

namespace sharechain::client {

class BatchSubmitter {
 public:
  // `max_batch` transactions per message at most (keep it within the node's [api]
  // max_batch_txs); a message unanswered after `timeout` counts as DEADLINE_EXCEEDED.
  BatchSubmitter(api::Client::Stub& stub, std::size_t max_batch, std::chrono::milliseconds timeout);
  ~BatchSubmitter();  // answers queued callers with UNAVAILABLE, then joins
  BatchSubmitter(const BatchSubmitter&) = delete;
  BatchSubmitter& operator=(const BatchSubmitter&) = delete;

  // Blocks until the node judged `tx`: OK when admitted, else the status SubmitTransaction
  // would have answered (code and message). A broken stream answers every transaction that was
  // in it with the stream's status.
  grpc::Status submit(const SignedTransaction& tx);

 private:
  struct Pending;
  void run();
  // Sends `batch` on the stream (opening it when needed) and answers each one.
  void send(std::vector<std::shared_ptr<Pending>>& batch);

  api::Client::Stub& stub_;
  const std::size_t max_batch_;
  const std::chrono::milliseconds timeout_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Pending>> queue_;
  bool stopping_ = false;
  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<grpc::ClientReaderWriter<api::SubmitBatchRequest, api::SubmitBatchResponse>> stream_;
  std::thread thread_;
};

}  // namespace sharechain::client
