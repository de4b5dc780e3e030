#include "client/node.hpp"

#include <algorithm>
#include <charconv>

namespace sharechain::client {

Error error_from_grpc(const grpc::Status& status, std::string_view node_address,
                      std::chrono::milliseconds timeout, bool node_answered) {
  const std::string addr(node_address);
  Error e{status.error_code(), {}, node_answered, {}};
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      e.message = node_answered ? "the node at " + addr + " cannot serve this now: " + status.error_message()
                                : "cannot reach the node at " + addr + ": " + status.error_message();
      return e;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      e.message = "cannot reach the node at " + addr + ": no answer within " + std::to_string(timeout.count()) + " ms";
      return e;
    case grpc::StatusCode::UNIMPLEMENTED:
      e.message = "the node at " + addr + " does not support this call: " + status.error_message();
      return e;
    default:
      break;
  }
  e.message = status.error_message().empty() ? "the node refused the request" : status.error_message();
  if (status.error_code() == grpc::StatusCode::ALREADY_EXISTS && !status.error_details().empty()) {
    api::SubmitResponse earlier;
    if (earlier.ParseFromString(status.error_details()) && earlier.status() == api::TX_COMMITTED) {
      e.committed = std::move(earlier);
    }
  }
  return e;
}

Node::Node(std::string address, std::chrono::milliseconds timeout, Connection connection)
    : address_(std::move(address)), timeout_(timeout) {
  grpc::ChannelArguments args;
  if (connection == Connection::kPrivate) {
    // Channels to one address share their connection process-wide, and with it its retry
    // back-off; a private one starts afresh and tries to connect at once.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  }
  // A client talks to its nodes directly; an http_proxy set for other programs must not apply.
  args.SetInt(GRPC_ARG_ENABLE_HTTP_PROXY, 0);
  // Blocks of up to 4 MiB travel with their receipts; leave generous room.
  args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  channel_ = grpc::CreateCustomChannel(address_, grpc::InsecureChannelCredentials(), args);
  stub_ = api::Client::NewStub(channel_);
}

std::unique_ptr<grpc::ClientContext> Node::context(std::chrono::milliseconds timeout) const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + timeout);
  return ctx;
}

Error Node::error(const grpc::Status& status) const {
  return error_from_grpc(status, address_, timeout_, node_answered_);
}

Error Node::error(const grpc::Status& status, const grpc::ClientContext& ctx) {
  note_answer(ctx);
  return error(status);
}

void Node::note_answer(const grpc::ClientContext& ctx) {
  // A failed call comes back trailers-only, so look in both places.
  const auto find = [&ctx](const char* key) -> std::optional<std::string> {
    for (const auto* md : {&ctx.GetServerInitialMetadata(), &ctx.GetServerTrailingMetadata()}) {
      auto it = md->find(key);
      if (it != md->end()) return std::string(it->second.data(), it->second.size());
    }
    return std::nullopt;
  };
  const auto synced = find("sharechain-synced");
  const auto height = find("sharechain-height");
  node_answered_ = synced.has_value();
  if (synced) synced_ = *synced == "true";
  if (height) {
    std::uint64_t h = 0;
    const auto [end, ec] = std::from_chars(height->data(), height->data() + height->size(), h);
    if (ec == std::errc() && end == height->data() + height->size()) answered_at_ = h;
  }
}

namespace {

// One unary call: deadline, metadata noted, the answer or the Error.
template <typename Response, typename Request, typename Call>
Reply<Response> unary(Node& node, const Request& request, Call call) {
  auto ctx = node.context(node.timeout());
  Response out;
  const grpc::Status st = (node.stub().*call)(ctx.get(), request, &out);
  node.note_answer(*ctx);
  if (!st.ok()) return node.error(st);
  return out;
}

}  // namespace

Reply<api::NodeStatus> Node::status() {
  return unary<api::NodeStatus>(*this, api::GetStatusRequest(), &api::Client::Stub::GetStatus);
}

Reply<ledger::Account> Node::account_or_zero(std::string_view address20) {
  api::GetAccountRequest req;
  req.set_address(std::string(address20));
  Reply<ledger::Account> got = unary<ledger::Account>(*this, req, &api::Client::Stub::GetAccount);
  if (!got && got.error().code == grpc::StatusCode::NOT_FOUND) {
    ledger::Account zero;
    zero.set_address(std::string(address20));
    return zero;
  }
  return got;
}

Reply<std::optional<ledger::Account>> Node::account(std::string_view address20) {
  Reply<ledger::Account> got = account_or_zero(address20);
  if (!got) return got.error();
  const ledger::Account& a = *got;
  const bool looks_untouched = a.balance() == 0 && a.nonce() == 0 && a.next_nonce() == 0 && a.escrow() == 0 &&
                               a.roles().empty() && a.qualifications().empty();
  if (looks_untouched) {
    // GetAccount answers a zero account for an address the chain never saw; the ledger query
    // still says whether the account exists.
    api::QueryRequest q;
    q.mutable_ledger()->mutable_account()->set_address(std::string(address20));
    Reply<api::QueryResponse> exists = query(q);
    if (!exists && exists.error().code == grpc::StatusCode::NOT_FOUND) return std::optional<ledger::Account>();
    if (!exists) return exists.error();
  }
  return std::optional<ledger::Account>(std::move(got).value());
}

Reply<api::BlockInfo> Node::block_at(std::uint64_t height) {
  api::GetBlockRequest req;
  req.set_height(height);
  return unary<api::BlockInfo>(*this, req, &api::Client::Stub::GetBlock);
}

Reply<api::BlockInfo> Node::block_by_hash(std::string_view hash32) {
  api::GetBlockRequest req;
  req.set_hash(std::string(hash32));
  return unary<api::BlockInfo>(*this, req, &api::Client::Stub::GetBlock);
}

Reply<api::BlockInfo> Node::latest_block() {
  api::GetBlockRequest req;
  req.set_latest(true);
  return unary<api::BlockInfo>(*this, req, &api::Client::Stub::GetBlock);
}

Reply<api::TransactionInfo> Node::transaction(std::string_view hash32) {
  api::GetTransactionRequest req;
  req.set_tx_hash(std::string(hash32));
  return unary<api::TransactionInfo>(*this, req, &api::Client::Stub::GetTransaction);
}

Reply<api::TransactionProof> Node::proof(std::string_view hash32) {
  api::GetProofRequest req;
  req.set_tx_hash(std::string(hash32));
  return unary<api::TransactionProof>(*this, req, &api::Client::Stub::GetProof);
}

Reply<api::StateProof> Node::state_proof(std::string_view key) {
  api::GetStateProofRequest req;
  req.set_key(std::string(key));
  return unary<api::StateProof>(*this, req, &api::Client::Stub::GetStateProof);
}

Reply<api::QueryResponse> Node::query(const api::QueryRequest& request) {
  return unary<api::QueryResponse>(*this, request, &api::Client::Stub::Query);
}

Reply<std::vector<api::EventBatch>> Node::events(const api::EventFilter& filter, std::uint64_t from,
                                                 std::uint64_t to) {
  // A range of committed history is read at disk speed; the deadline only bounds a stuck stream.
  auto ctx = context(std::max<std::chrono::milliseconds>(timeout_, std::chrono::minutes(5)));
  api::SubscribeEventsRequest req;
  *req.mutable_filter() = filter;
  req.mutable_cursor()->set_height(std::max<std::uint64_t>(from, 1));
  auto reader = stub_->SubscribeEvents(ctx.get(), req);
  std::vector<api::EventBatch> out;
  api::EventBatch batch;
  bool done = false;
  while (!done && reader->Read(&batch)) {
    if (batch.height() > to) break;
    if (!batch.events().empty()) out.push_back(batch);
    // Batches are whole blocks: the one of block `to`, or a mark past it, ends the range.
    done = batch.height() >= to || batch.next().height() > to;
  }
  ctx->TryCancel();
  const grpc::Status st = reader->Finish();
  if (!done && !st.ok() && st.error_code() != grpc::StatusCode::CANCELLED) return error(st);
  return out;
}

Reply<api::SubmitResponse> Node::submit(const SignedTransaction& tx, bool wait,
                                        std::chrono::milliseconds wait_timeout) {
  auto ctx = context(wait ? wait_timeout + timeout_ : timeout_);
  api::SubmitRequest req;
  *req.mutable_transaction() = tx;
  req.set_wait_for_commit(wait);
  if (wait) req.set_wait_timeout_ms(static_cast<std::uint32_t>(wait_timeout.count()));
  api::SubmitResponse out;
  const grpc::Status st = stub_->SubmitTransaction(ctx.get(), req, &out);
  note_answer(*ctx);
  if (!st.ok()) {
    if (wait && st.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
      // The node accepted the call; it is the commit that did not come in time.
      return Error{grpc::StatusCode::DEADLINE_EXCEEDED,
                   "the transaction was not committed within " + std::to_string(wait_timeout.count()) +
                       " ms; it may still commit: " + st.error_message(),
                   true,
                   {}};
    }
    return error(st);
  }
  return out;
}

Reply<std::vector<api::SubmitResult>> Node::submit_batch(const std::vector<SignedTransaction>& txs) {
  auto ctx = context(timeout_);
  auto stream = stub_->SubmitTransactions(ctx.get());
  api::SubmitBatchRequest req;
  for (const SignedTransaction& tx : txs) *req.add_transactions() = tx;
  api::SubmitBatchResponse answer;
  const bool sent = stream->Write(req) && stream->WritesDone();
  const bool read = sent && stream->Read(&answer);
  const grpc::Status st = stream->Finish();
  note_answer(*ctx);
  if (read && answer.results_size() == static_cast<int>(txs.size())) {
    return std::vector<api::SubmitResult>(answer.results().begin(), answer.results().end());
  }
  if (!st.ok()) return error(st);
  return Error{grpc::StatusCode::UNAVAILABLE,
               "the node at " + address_ + " ended the submission stream without answering all " +
                   std::to_string(txs.size()) + " transactions",
               false,
               {}};
}

}  // namespace sharechain::client
