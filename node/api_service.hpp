// The client gRPC API (proto/sharechain/api.proto), on the callback API so that clients waiting
// for a commit or streaming blocks hold no server thread.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <unordered_map>

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

// Every method is registered raw: the service reads each request from its bytes itself, so a
// request that does not parse is answered INVALID_ARGUMENT with the message type named (gRPC's
// own parsing would answer a bare UNIMPLEMENTED, before any handler ran).
using RawClientService = api::Client::WithRawCallbackMethod_SubmitTransaction<
    api::Client::WithRawCallbackMethod_SubmitTransactions<
        api::Client::WithRawCallbackMethod_GetTransaction<
            api::Client::WithRawCallbackMethod_GetBlock<
                api::Client::WithRawCallbackMethod_GetAccount<
                    api::Client::WithRawCallbackMethod_GetStatus<
                        api::Client::WithRawCallbackMethod_Query<
                            api::Client::WithRawCallbackMethod_SubscribeBlocks<
                                api::Client::WithRawCallbackMethod_SubscribeEvents<
                                    api::Client::WithRawCallbackMethod_GetProof<
                                        api::Client::WithRawCallbackMethod_GetStateProof<api::Client::Service>>>>>>>>>>>;

class ClientService final : public RawClientService {
 public:
  explicit ClientService(ClientBackend& node) : node_(node) {}

  // The raw entry points: each parses its request (or refuses it) and calls the handler below.
  grpc::ServerUnaryReactor* SubmitTransaction(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* in,
                                              grpc::ByteBuffer* out) override;
  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* SubmitTransactions(
      grpc::CallbackServerContext* ctx) override;
  grpc::ServerUnaryReactor* GetTransaction(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* in,
                                           grpc::ByteBuffer* out) override;
  grpc::ServerUnaryReactor* GetProof(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* in,
                                     grpc::ByteBuffer* out) override;
  grpc::ServerUnaryReactor* GetStateProof(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* in,
                                          grpc::ByteBuffer* out) override;
  grpc::ServerUnaryReactor* GetBlock(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* in,
                                     grpc::ByteBuffer* out) override;
  grpc::ServerUnaryReactor* GetAccount(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* in,
                                       grpc::ByteBuffer* out) override;
  grpc::ServerUnaryReactor* GetStatus(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* in,
                                      grpc::ByteBuffer* out) override;
  grpc::ServerUnaryReactor* Query(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* in,
                                  grpc::ByteBuffer* out) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* SubscribeBlocks(grpc::CallbackServerContext* ctx,
                                                              const grpc::ByteBuffer* in) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* SubscribeEvents(grpc::CallbackServerContext* ctx,
                                                              const grpc::ByteBuffer* in) override;

  // Wakes every block and event subscriber (called after each commit).
  void notify_subscribers();
  // Ends every subscription (shutdown).
  void close_subscribers();

  class BlockStream;
  class EventStream;
  class SubmitStream;

 private:
  template <class Request, class Response>
  using Handler = grpc::ServerUnaryReactor* (ClientService::*)(grpc::CallbackServerContext*,
                                                                const Request*, Response*);
  // Parses `in` as a Request and runs `handler`, whose response is serialized into `out` when
  // the call finishes; refuses bytes that do not parse.
  template <class Request, class Response>
  grpc::ServerUnaryReactor* unary(grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* in,
                                  grpc::ByteBuffer* out, Handler<Request, Response> handler);

  // The handlers, on parsed requests. node/api_service.cpp, node/api_events.cpp.
  grpc::ServerUnaryReactor* submit_transaction(grpc::CallbackServerContext* ctx,
                                               const api::SubmitRequest* request,
                                               api::SubmitResponse* response);
  grpc::ServerUnaryReactor* get_transaction(grpc::CallbackServerContext* ctx,
                                            const api::GetTransactionRequest* request,
                                            api::TransactionInfo* response);
  grpc::ServerUnaryReactor* get_proof(grpc::CallbackServerContext* ctx, const api::GetProofRequest* request,
                                      api::TransactionProof* response);
  grpc::ServerUnaryReactor* get_state_proof(grpc::CallbackServerContext* ctx, const api::GetStateProofRequest* request,
                                            api::StateProof* response);
  grpc::ServerUnaryReactor* get_block(grpc::CallbackServerContext* ctx, const api::GetBlockRequest* request,
                                      api::BlockInfo* response);
  grpc::ServerUnaryReactor* get_account(grpc::CallbackServerContext* ctx,
                                        const api::GetAccountRequest* request, ledger::Account* response);
  grpc::ServerUnaryReactor* get_status(grpc::CallbackServerContext* ctx, const api::GetStatusRequest* request,
                                       api::NodeStatus* response);
  grpc::ServerUnaryReactor* query(grpc::CallbackServerContext* ctx, const api::QueryRequest* request,
                                  api::QueryResponse* response);
  grpc::ServerWriteReactor<grpc::ByteBuffer>* subscribe_blocks(grpc::CallbackServerContext* ctx,
                                                               const api::SubscribeRequest& request);
  grpc::ServerWriteReactor<grpc::ByteBuffer>* subscribe_events(grpc::CallbackServerContext* ctx,
                                                               const api::SubscribeEventsRequest& request);

  // Ends a unary call: serializes its response when `status` is OK, then finishes `reactor`.
  void complete(grpc::CallbackServerContext* ctx, grpc::ServerUnaryReactor* reactor,
                const grpc::Status& status);
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
  // The unary calls in progress, until their handler finishes them: the parsed request, the
  // response the handler fills, and the bytes the response goes out as.
  struct UnaryCall {
    grpc::ByteBuffer* out = nullptr;
    std::unique_ptr<google::protobuf::Message> request;
    std::unique_ptr<google::protobuf::Message> response;
  };
  std::mutex calls_mu_;
  std::unordered_map<grpc::CallbackServerContext*, UnaryCall> calls_;
  std::mutex subscribers_mu_;
  std::set<BlockStream*> subscribers_;
  std::set<EventStream*> event_subscribers_;
};

}  // namespace sharechain::node
