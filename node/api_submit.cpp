// SubmitTransactions: batched submission on one bidirectional stream.
//
// A stream has at most one message being judged at a time: the next message is read only once
// the answer to the previous one is written. That is the back-pressure: a client that sends
// faster than the node verifies waits in its own send buffer, not in this node's memory.
#include <spdlog/spdlog.h>

#include "node/api_bytes.hpp"
#include "node/api_service.hpp"

namespace sharechain::node {

class ClientService::SubmitStream final
    : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  SubmitStream(ClientService& service, grpc::CallbackServerContext* ctx) : service_(service) {
    ctx->AddInitialMetadata("sharechain-height",
                            std::to_string(service_.node_.chain().store().height()));
    ctx->AddInitialMetadata("sharechain-synced", service_.node_.synced() ? "true" : "false");
    StartSendInitialMetadata();
    StartRead(&in_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status::OK);  // the client has sent everything (or went away)
      return;
    }
    ++received_;
    request_.Clear();
    if (!parse_bytes(in_, request_)) {
      Finish(unparsable<api::SubmitBatchRequest>(
          "message " + std::to_string(received_) + " of this stream", in_));
      return;
    }
    judge();
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the client went away"));
      return;
    }
    StartRead(&in_);
  }

  void OnDone() override { delete this; }

 private:
  void judge() {
    const Config& config = service_.node_.config();
    const auto n = static_cast<std::size_t>(request_.transactions_size());
    if (n > config.api_max_batch_txs) {
      Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                          "this message holds " + std::to_string(n) +
                              " transactions; the limit per message is " +
                              std::to_string(config.api_max_batch_txs) +
                              " ([api] max_batch_txs): split it"));
      return;
    }
    if (const std::size_t bytes = request_.ByteSizeLong(); bytes > config.api_max_batch_bytes) {
      Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                          "this message is " + std::to_string(bytes) +
                              " bytes; the limit per message is " +
                              std::to_string(config.api_max_batch_bytes) +
                              " bytes ([api] max_batch_bytes): split it"));
      return;
    }
    response_.Clear();
    std::vector<SignedTransaction> fresh;
    fresh_index_.clear();
    for (std::size_t i = 0; i < n; ++i) {
      SignedTransaction& tx = *request_.mutable_transactions(static_cast<int>(i));
      const crypto::Hash hash = tx::hash_of(tx);
      api::SubmitResult* r = response_.add_results();
      r->set_tx_hash(crypto::hash_bytes(hash));
      if (auto earlier = service_.committed_before(hash)) {
        r->set_status(api::TX_COMMITTED);
        r->set_code(grpc::StatusCode::ALREADY_EXISTS);
        r->set_message(committed_message(hash, earlier->height()));
        r->set_height(earlier->height());
        continue;
      }
      fresh_index_.push_back(i);
      fresh.push_back(std::move(tx));
    }
    service_.node_.admission().submit_batch(
        std::move(fresh), [this](Admission::BatchResults results) {
          for (std::size_t k = 0; k < results.size(); ++k) {
            api::SubmitResult* r = response_.mutable_results(static_cast<int>(fresh_index_[k]));
            if (results[k]) {
              r->set_status(api::TX_PENDING);
              continue;
            }
            const grpc::Status s = to_grpc(results[k].status());
            r->set_code(static_cast<std::uint32_t>(s.error_code()));
            r->set_message(s.error_message());
            if (s.error_code() == grpc::StatusCode::ALREADY_EXISTS &&
                service_.node_.mempool().contains(*crypto::hash_from_bytes(r->tx_hash()))) {
              r->set_status(api::TX_PENDING);  // the same transaction, pending already
            }
          }
          out_ = to_bytes(response_);
          StartWrite(&out_);
        });
  }

  ClientService& service_;
  std::uint64_t received_ = 0;  // messages read so far
  grpc::ByteBuffer in_;
  grpc::ByteBuffer out_;
  api::SubmitBatchRequest request_;
  api::SubmitBatchResponse response_;
  std::vector<std::size_t> fresh_index_;  // where each transaction sent for admission answers
};

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* ClientService::SubmitTransactions(
    grpc::CallbackServerContext* ctx) {
  return new SubmitStream(*this, ctx);
}

}  // namespace sharechain::node
