#include "node/api_service.hpp"

#include "node/api_bytes.hpp"

#include <spdlog/spdlog.h>

#include "contracts/executor.hpp"
#include "node/proof_builder.hpp"

namespace sharechain::node {

grpc::Status to_grpc(const Status& status) {
  using grpc::StatusCode;
  StatusCode code = StatusCode::UNKNOWN;
  switch (status.code()) {
    case Code::kOk: return grpc::Status::OK;
    case Code::kInvalidArgument: code = StatusCode::INVALID_ARGUMENT; break;
    case Code::kFailedPrecondition: code = StatusCode::FAILED_PRECONDITION; break;
    case Code::kNotFound: code = StatusCode::NOT_FOUND; break;
    case Code::kPermissionDenied: code = StatusCode::PERMISSION_DENIED; break;
    case Code::kAlreadyExists: code = StatusCode::ALREADY_EXISTS; break;
    case Code::kResourceExhausted: code = StatusCode::RESOURCE_EXHAUSTED; break;
    case Code::kUnavailable: code = StatusCode::UNAVAILABLE; break;
    case Code::kDeadlineExceeded: code = StatusCode::DEADLINE_EXCEEDED; break;
    case Code::kInternal: code = StatusCode::INTERNAL; break;
  }
  return {code, status.message()};
}

namespace {

std::string range_text(std::uint64_t from, std::uint64_t to) {
  return from == to ? std::to_string(from) : std::to_string(from) + "–" + std::to_string(to);
}

std::string holes_text(const std::vector<storage::HistoryGap>& gaps) {
  std::string out;
  for (const auto& g : gaps) out += (out.empty() ? "" : ", ") + range_text(g.low, g.high);
  return out;
}

}  // namespace

Status ClientService::not_backfilled(std::uint64_t height) const {
  const auto& store = node_.chain().store();
  return Status::unavailable("block " + std::to_string(height) +
                             " is not yet backfilled on this node (backfilling " +
                             holes_text(store.history_gaps()) + "); another node has it");
}

grpc::ServerUnaryReactor* ClientService::answer(grpc::CallbackServerContext* ctx) {
  // Every answer says which height it was read at and whether this node is synced, so a
  // client can tell a possibly stale answer from a current one.
  ctx->AddInitialMetadata("sharechain-height", std::to_string(node_.chain().store().height()));
  ctx->AddInitialMetadata("sharechain-synced", node_.synced() ? "true" : "false");
  return ctx->DefaultReactor();
}

void ClientService::complete(grpc::CallbackServerContext* ctx, grpc::ServerUnaryReactor* reactor,
                             const grpc::Status& status) {
  UnaryCall call;
  {
    std::lock_guard lock(calls_mu_);
    auto it = calls_.find(ctx);
    if (it != calls_.end()) {
      call = std::move(it->second);
      calls_.erase(it);
    }
  }
  if (status.ok() && call.out != nullptr) *call.out = to_bytes(*call.response);
  reactor->Finish(status);
}

template <class Request, class Response>
grpc::ServerUnaryReactor* ClientService::unary(grpc::CallbackServerContext* ctx,
                                               const grpc::ByteBuffer* in, grpc::ByteBuffer* out,
                                               Handler<Request, Response> handler) {
  auto request = std::make_unique<Request>();
  if (!parse_bytes(*in, *request)) {
    auto* reactor = answer(ctx);
    reactor->Finish(unparsable<Request>("the request", *in));
    return reactor;
  }
  auto response = std::make_unique<Response>();
  Request* req = request.get();
  Response* resp = response.get();
  {
    std::lock_guard lock(calls_mu_);
    calls_[ctx] = UnaryCall{out, std::move(request), std::move(response)};
  }
  return (this->*handler)(ctx, req, resp);
}

grpc::ServerUnaryReactor* ClientService::SubmitTransaction(grpc::CallbackServerContext* ctx,
                                                           const grpc::ByteBuffer* in,
                                                           grpc::ByteBuffer* out) {
  return unary(ctx, in, out, &ClientService::submit_transaction);
}
grpc::ServerUnaryReactor* ClientService::GetTransaction(grpc::CallbackServerContext* ctx,
                                                        const grpc::ByteBuffer* in, grpc::ByteBuffer* out) {
  return unary(ctx, in, out, &ClientService::get_transaction);
}
grpc::ServerUnaryReactor* ClientService::GetProof(grpc::CallbackServerContext* ctx,
                                                  const grpc::ByteBuffer* in, grpc::ByteBuffer* out) {
  return unary(ctx, in, out, &ClientService::get_proof);
}
grpc::ServerUnaryReactor* ClientService::GetStateProof(grpc::CallbackServerContext* ctx,
                                                       const grpc::ByteBuffer* in, grpc::ByteBuffer* out) {
  return unary(ctx, in, out, &ClientService::get_state_proof);
}
grpc::ServerUnaryReactor* ClientService::GetBlock(grpc::CallbackServerContext* ctx,
                                                  const grpc::ByteBuffer* in, grpc::ByteBuffer* out) {
  return unary(ctx, in, out, &ClientService::get_block);
}
grpc::ServerUnaryReactor* ClientService::GetAccount(grpc::CallbackServerContext* ctx,
                                                    const grpc::ByteBuffer* in, grpc::ByteBuffer* out) {
  return unary(ctx, in, out, &ClientService::get_account);
}
grpc::ServerUnaryReactor* ClientService::GetStatus(grpc::CallbackServerContext* ctx,
                                                   const grpc::ByteBuffer* in, grpc::ByteBuffer* out) {
  return unary(ctx, in, out, &ClientService::get_status);
}
grpc::ServerUnaryReactor* ClientService::Query(grpc::CallbackServerContext* ctx,
                                               const grpc::ByteBuffer* in, grpc::ByteBuffer* out) {
  return unary(ctx, in, out, &ClientService::query);
}

grpc::ServerUnaryReactor* ClientService::finish(grpc::CallbackServerContext* ctx,
                                                const Status& status) {
  auto* reactor = answer(ctx);
  complete(ctx, reactor, to_grpc(status));
  return reactor;
}

grpc::ServerUnaryReactor* ClientService::already_in(grpc::CallbackServerContext* ctx,
                                                    const std::string& message,
                                                    const api::SubmitResponse& details) {
  auto* reactor = answer(ctx);
  complete(ctx, reactor,
           grpc::Status(grpc::StatusCode::ALREADY_EXISTS, message, details.SerializeAsString()));
  return reactor;
}

std::optional<api::SubmitResponse> ClientService::committed_before(const crypto::Hash& hash) const {
  const auto& store = node_.chain().store();
  auto loc = store.find_tx(hash);
  if (!loc) return std::nullopt;
  api::SubmitResponse earlier;
  earlier.set_tx_hash(crypto::hash_bytes(hash));
  earlier.set_status(api::TX_COMMITTED);
  earlier.set_height(loc->height);
  if (auto receipt = store.receipt_at(loc->height, loc->index)) {
    *earlier.mutable_receipt() = std::move(*receipt);
  }
  return earlier;
}

std::string ClientService::committed_message(const crypto::Hash& hash, std::uint64_t height) {
  return "transaction " + crypto::to_hex(hash) + " was already committed at height " +
         std::to_string(height) +
         "; sending the same signed transaction again does not repeat it (a new payment needs a "
         "new nonce)";
}

grpc::ServerUnaryReactor* ClientService::submit_transaction(grpc::CallbackServerContext* ctx,
                                                           const api::SubmitRequest* request,
                                                           api::SubmitResponse* response) {
  if (!request->has_transaction()) {
    return finish(ctx, Status::invalid_argument("SubmitRequest.transaction is missing"));
  }
  // The same signed bytes again: say so with the earlier commit, never as a fresh one.
  const crypto::Hash hash = tx::hash_of(request->transaction());
  if (auto earlier = committed_before(hash)) {
    return already_in(ctx, committed_message(hash, earlier->height()), *earlier);
  }
  auto admitted = node_.admission().submit(request->transaction());
  if (!admitted && admitted.status().code() == Code::kAlreadyExists && node_.mempool().contains(hash)) {
    // Pending already: the hash and TX_PENDING in the details, as a committed one carries its
    // height and receipt.
    api::SubmitResponse pending;
    pending.set_tx_hash(crypto::hash_bytes(hash));
    pending.set_status(api::TX_PENDING);
    return already_in(ctx, admitted.status().message(), pending);
  }
  if (!admitted) return finish(ctx, admitted.status());
  response->set_tx_hash(crypto::hash_bytes(*admitted));
  response->set_status(api::TX_PENDING);
  if (!request->wait_for_commit()) return finish(ctx, Status::ok());

  auto* reactor = answer(ctx);
  const std::uint32_t wait_ms =
      request->wait_timeout_ms() != 0 ? request->wait_timeout_ms() : node_.config().api_wait_timeout_ms;
  node_.chain().wait_for(
      *admitted, std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms),
      [this, ctx, reactor, response](Result<Receipt> receipt) {
        if (!receipt) {
          complete(ctx, reactor, to_grpc(receipt.status()));
          return;
        }
        response->set_status(api::TX_COMMITTED);
        response->set_height(receipt->height());
        *response->mutable_receipt() = std::move(receipt).value();
        complete(ctx, reactor, grpc::Status::OK);
      });
  return reactor;
}

grpc::ServerUnaryReactor* ClientService::get_transaction(grpc::CallbackServerContext* ctx,
                                                        const api::GetTransactionRequest* request,
                                                        api::TransactionInfo* response) {
  auto hash = crypto::hash_from_bytes(request->tx_hash());
  if (!hash) return finish(ctx, Status::invalid_argument("tx_hash must be 32 bytes"));
  response->set_tx_hash(request->tx_hash());
  const auto& store = node_.chain().store();
  if (auto loc = store.find_tx(*hash)) {
    auto block = store.block_at(loc->height);
    if (!block || loc->index >= static_cast<std::uint32_t>(block->transactions_size())) {
      return finish(ctx, Status::internal("transaction index points at a missing block"));
    }
    response->set_status(api::TX_COMMITTED);
    response->set_height(loc->height);
    response->set_block_hash(crypto::hash_bytes(crypto::sha256(block->header())));
    response->mutable_transaction()->ParseFromString(block->transactions(static_cast<int>(loc->index)));
    response->mutable_body()->ParseFromString(response->transaction().body());
    BlockHeader header;
    header.ParseFromString(block->header());
    response->set_timestamp_ms(header.timestamp_ms());
    if (auto receipt = store.receipt_at(loc->height, loc->index)) *response->mutable_receipt() = *receipt;
    return finish(ctx, Status::ok());
  }
  if (node_.mempool().contains(*hash)) {
    response->set_status(api::TX_PENDING);
    return finish(ctx, Status::ok());
  }
  if (const auto gaps = store.history_gaps(); !gaps.empty()) {
    return finish(ctx, Status::unavailable("transaction " + crypto::to_hex(*hash) +
                                           " is not in the blocks this node holds, but heights " +
                                           holes_text(gaps) +
                                           " are not yet backfilled here; another node can tell "
                                           "whether it was committed there"));
  }
  return finish(ctx, Status::not_found("no transaction " + crypto::to_hex(*hash) +
                                       " is pending or committed on this node"));
}

grpc::ServerUnaryReactor* ClientService::get_proof(grpc::CallbackServerContext* ctx,
                                                  const api::GetProofRequest* request,
                                                  api::TransactionProof* response) {
  auto hash = crypto::hash_from_bytes(request->tx_hash());
  if (!hash) return finish(ctx, Status::invalid_argument("tx_hash must be 32 bytes"));
  auto proof = build_transaction_proof(node_.chain().store(), *hash);
  if (!proof) return finish(ctx, proof.status());
  *response = std::move(proof).value();
  return finish(ctx, Status::ok());
}

grpc::ServerUnaryReactor* ClientService::get_state_proof(grpc::CallbackServerContext* ctx,
                                                        const api::GetStateProofRequest* request,
                                                        api::StateProof* response) {
  auto proof = build_state_proof(node_.chain().store(), request->key());
  if (!proof) return finish(ctx, proof.status());
  *response = std::move(proof).value();
  return finish(ctx, Status::ok());
}

grpc::ServerUnaryReactor* ClientService::get_block(grpc::CallbackServerContext* ctx,
                                                  const api::GetBlockRequest* request,
                                                  api::BlockInfo* response) {
  const auto& store = node_.chain().store();
  std::uint64_t height = 0;
  if (request->latest() || request->by_case() == api::GetBlockRequest::BY_NOT_SET) {
    height = store.height();
    if (height == 0) return finish(ctx, Status::not_found("no block has been committed yet"));
  } else if (request->by_case() == api::GetBlockRequest::kHeight) {
    height = request->height();
    if (height == 0) return finish(ctx, Status::invalid_argument("block heights start at 1 (0 is genesis state)"));
  } else {
    auto hash = crypto::hash_from_bytes(request->hash());
    if (!hash) return finish(ctx, Status::invalid_argument("block hash must be 32 bytes"));
    auto h = store.height_of(*hash);
    if (!h) return finish(ctx, Status::not_found("no block with hash " + crypto::to_hex(*hash)));
    height = *h;
  }
  if (store.gap_at(height)) return finish(ctx, not_backfilled(height));
  auto info = node_.chain().block_info(height);
  if (!info) {
    return finish(ctx, Status::not_found("no block at height " + std::to_string(height) +
                                         "; the chain is at height " + std::to_string(store.height())));
  }
  *response = std::move(*info);
  return finish(ctx, Status::ok());
}

grpc::ServerUnaryReactor* ClientService::get_account(grpc::CallbackServerContext* ctx,
                                                    const api::GetAccountRequest* request,
                                                    ledger::Account* response) {
  if (request->address().size() != crypto::kAddressSize) {
    return finish(ctx, Status::invalid_argument("address must be 20 bytes"));
  }
  auto account = contracts::get_account(node_.chain().store(), request->address());
  if (account) {
    *response = std::move(account).value();
  } else if (account.status().code() == Code::kNotFound) {
    // An address nothing has touched holds nothing and starts at nonce 0: a zero account, so a
    // client treats a new account like any other.
    response->set_address(request->address());
  } else {
    return finish(ctx, account.status());
  }
  response->set_next_nonce(std::max(response->nonce(), node_.mempool().next_nonce(request->address())));
  return finish(ctx, Status::ok());
}

grpc::ServerUnaryReactor* ClientService::get_status(grpc::CallbackServerContext* ctx,
                                                   const api::GetStatusRequest*,
                                                   api::NodeStatus* response) {
  *response = node_.status();
  return finish(ctx, Status::ok());
}

grpc::ServerUnaryReactor* ClientService::query(grpc::CallbackServerContext* ctx,
                                               const api::QueryRequest* request,
                                               api::QueryResponse* response) {
  const auto& store = node_.chain().store();
  const std::uint64_t height = store.height();
  auto result = contracts::query(store, *request);
  if (!result) return finish(ctx, result.status());
  *response = std::move(result).value();
  response->set_height(height);
  return finish(ctx, Status::ok());
}

// Streams committed blocks from `next_` on. It reads each block from the store when the client
// is ready for it, so a slow subscriber only falls behind; it never makes the node buffer.
class ClientService::BlockStream final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  BlockStream(ClientService& service, grpc::CallbackServerContext* ctx, std::uint64_t from)
      : service_(service), ctx_(ctx), next_(from) {}

  void pump() {
    {
      std::lock_guard lock(mu_);
      if (writing_ || finished_) return;
      if (service_.node_.chain().store().gap_at(next_)) {
        // A gap-free stream cannot go on here; the client resumes here on another node.
        finished_ = true;
        ctx_->AddTrailingMetadata("sharechain-synced", service_.node_.synced() ? "true" : "false");
        Finish(to_grpc(service_.not_backfilled(next_)));
        return;
      }
      auto info = service_.node_.chain().block_info(next_);
      if (!info) return;
      current_ = to_bytes(*info);
      writing_ = true;
    }
    // Outside the lock: a reaction may run before StartWrite returns.
    StartWrite(&current_);
  }

  // Ends the stream before it starts.
  void refuse(const grpc::Status& status) {
    std::lock_guard lock(mu_);
    finished_ = true;
    Finish(status);
  }

  void close() {
    std::lock_guard lock(mu_);
    if (finished_) return;
    finished_ = true;
    Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the node is shutting down"));
  }

  void OnWriteDone(bool ok) override {
    {
      std::lock_guard lock(mu_);
      writing_ = false;
      if (!ok) {
        if (!finished_) {
          finished_ = true;
          Finish(grpc::Status::CANCELLED);
        }
        return;
      }
      ++next_;
    }
    pump();
  }

  void OnCancel() override {
    std::lock_guard lock(mu_);
    if (!finished_ && !writing_) {
      finished_ = true;
      Finish(grpc::Status::CANCELLED);
    }
  }

  void OnDone() override {
    {
      std::lock_guard lock(service_.subscribers_mu_);
      service_.subscribers_.erase(this);
    }
    delete this;
  }

 private:
  ClientService& service_;
  grpc::CallbackServerContext* ctx_;
  std::mutex mu_;
  std::uint64_t next_;
  bool writing_ = false;
  bool finished_ = false;
  grpc::ByteBuffer current_;  // the block being written
};

grpc::ServerWriteReactor<grpc::ByteBuffer>* ClientService::SubscribeBlocks(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* in) {
  api::SubscribeRequest request;
  if (!parse_bytes(*in, request)) {
    auto* stream = new BlockStream(*this, ctx, 0);
    stream->refuse(unparsable<api::SubscribeRequest>("the request", *in));
    return stream;
  }
  return subscribe_blocks(ctx, request);
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* ClientService::subscribe_blocks(
    grpc::CallbackServerContext* ctx, const api::SubscribeRequest& request) {
  const std::uint64_t top = node_.chain().store().height();
  const std::uint64_t from = request.from_height() == 0 ? top + 1 : request.from_height();
  auto* stream = new BlockStream(*this, ctx, from);
  {
    std::lock_guard lock(subscribers_mu_);
    if (!subscription_fits_locked()) {
      stream->refuse(too_many_subscriptions());
      return stream;
    }
    // Tells the client at once that the subscription was accepted (a refused one ends instead)
    // rather than at the next block; before any pump() can start a write.
    stream->StartSendInitialMetadata();
    subscribers_.insert(stream);
  }
  stream->pump();
  return stream;
}

// Each stream holds a reactor and a block in flight; without a bound, one client opening
// streams in a loop would take the node's memory.
bool ClientService::subscription_fits_locked() const {
  return subscribers_.size() + event_subscribers_.size() < node_.config().api_max_subscriptions;
}

grpc::Status ClientService::too_many_subscriptions() const {
  return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                      "this node already serves " + std::to_string(node_.config().api_max_subscriptions) +
                          " block and event subscriptions, its limit ([api] max_subscriptions); close "
                          "one, or subscribe on another node");
}

void ClientService::notify_subscribers() {
  std::lock_guard lock(subscribers_mu_);
  for (BlockStream* s : subscribers_) s->pump();
  notify_event_subscribers_locked();
}

void ClientService::close_subscribers() {
  std::lock_guard lock(subscribers_mu_);
  for (BlockStream* s : subscribers_) s->close();
  close_event_subscribers_locked();
}

}  // namespace sharechain::node
