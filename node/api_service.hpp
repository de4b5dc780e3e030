// The client gRPC API (proto/sharechain/api.proto), on the callback API so that clients waiting
// for a commit or streaming blocks hold no server thread.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <mutex>
#include <optional>
#include <set>

#include "node/admission.hpp"
#include "node/chain.hpp"
#include "node/config.hpp"
#include "proto/crypto.hpp"
#include "proto/status.hpp"
#include "sharechain/api.grpc.pb.h"

namespace sharechain::node {

grpc::Status to_grpc(const Status& status);

// What the client API needs of a node, and no more: the service depends on this, not on Node.
class ClientBackend {
 public:
  virtual ~ClientBackend() = default;
  virtual Chain& chain() = 0;
  virtual Mempool& mempool() = 0;
  virtual Admission& admission() = 0;
  virtual const Config& config() const = 0;
  // See Node::synced(): a node behind the chain refuses transactions and says so on reads.
  virtual bool synced() const = 0;
  virtual api::NodeStatus status() = 0;
};

class ClientService final : public api::Client::CallbackService {
 public:
  explicit ClientService(ClientBackend& node) : node_(node) {}

  grpc::ServerUnaryReactor* SubmitTransaction(grpc::CallbackServerContext* ctx,
                                              const api::SubmitRequest* request,
                                              api::SubmitResponse* response) override;
  // node/api_submit.cpp
  grpc::ServerBidiReactor<api::SubmitBatchRequest, api::SubmitBatchResponse>* SubmitTransactions(
      grpc::CallbackServerContext* ctx) override;
  grpc::ServerUnaryReactor* GetTransaction(grpc::CallbackServerContext* ctx,
                                           const api::GetTransactionRequest* request,
                                           api::TransactionInfo* response) override;
  grpc::ServerUnaryReactor* GetProof(grpc::CallbackServerContext* ctx,
                                     const api::GetProofRequest* request,
                                     api::TransactionProof* response) override;
  grpc::ServerUnaryReactor* GetBlock(grpc::CallbackServerContext* ctx,
                                     const api::GetBlockRequest* request,
                                     api::BlockInfo* response) override;
  grpc::ServerUnaryReactor* GetAccount(grpc::CallbackServerContext* ctx,
                                       const api::GetAccountRequest* request,
                                       ledger::Account* response) override;
  grpc::ServerUnaryReactor* GetStatus(grpc::CallbackServerContext* ctx,
                                      const api::GetStatusRequest* request,
                                      api::NodeStatus* response) override;
  grpc::ServerUnaryReactor* Query(grpc::CallbackServerContext* ctx, const api::QueryRequest* request,
                                  api::QueryResponse* response) override;
  grpc::ServerWriteReactor<api::BlockInfo>* SubscribeBlocks(
      grpc::CallbackServerContext* ctx, const api::SubscribeRequest* request) override;
  // node/api_events.cpp
  grpc::ServerWriteReactor<api::EventBatch>* SubscribeEvents(
      grpc::CallbackServerContext* ctx, const api::SubscribeEventsRequest* request) override;

  // Wakes every block and event subscriber (called after each commit).
  void notify_subscribers();
  // Ends every subscription (shutdown).
  void close_subscribers();

  class BlockStream;
  class EventStream;
  class SubmitStream;

 private:
  // Finishes a unary call with `status`, adding the sharechain-height and sharechain-synced
  // initial metadata every answer carries.
  grpc::ServerUnaryReactor* finish(grpc::CallbackServerContext* ctx, const Status& status);
  // The reactor of a unary answer, with that metadata added.
  grpc::ServerUnaryReactor* answer(grpc::CallbackServerContext* ctx);
  // ALREADY_EXISTS for a transaction that is pending or committed, `details` in the status.
  grpc::ServerUnaryReactor* already_in(grpc::CallbackServerContext* ctx, const std::string& message,
                                       const api::SubmitResponse& details);
  // The answer to a transaction that is already in a block (SubmitTransaction answers it with
  // ALREADY_EXISTS, these details and message), or nothing.
  std::optional<api::SubmitResponse> committed_before(const crypto::Hash& hash) const;
  static std::string committed_message(const crypto::Hash& hash, std::uint64_t height);
  // UNAVAILABLE for a read of `height` inside a hole that backfill has not filled yet.
  Status not_backfilled(std::uint64_t height) const;

  // Whether another subscription fits under [api] max_subscriptions (block and event streams
  // together); with subscribers_mu_ held.
  bool subscription_fits_locked() const;
  grpc::Status too_many_subscriptions() const;
  // node/api_events.cpp; with subscribers_mu_ held.
  void notify_event_subscribers_locked();
  void close_event_subscribers_locked();

  friend class BlockStream;
  friend class EventStream;
  friend class SubmitStream;
  ClientBackend& node_;
  std::mutex subscribers_mu_;
  std::set<BlockStream*> subscribers_;
  std::set<EventStream*> event_subscribers_;
};

}  // namespace sharechain::node
