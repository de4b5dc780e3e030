#include "tools/common/client.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>

namespace sharechain::tools {

std::string resolve_node_address(std::string_view flag) {
  if (!flag.empty()) return std::string(flag);
  if (const char* env = std::getenv(std::string(kNodeEnv).c_str()); env != nullptr && *env != '\0') {
    return env;
  }
  return std::string(kDefaultNodeAddress);
}

Outcome<std::string> check_node_address(std::string_view address) {
  const auto colon = address.rfind(':');
  auto bad = [&] {
    return Failure::usage("node address '" + std::string(address) +
                          "' is not HOST:PORT (for example 127.0.0.1:26600)");
  };
  if (colon == std::string_view::npos || colon == 0) return bad();
  const std::string_view host = address.substr(0, colon);
  const std::string_view port = address.substr(colon + 1);
  if (host.front() == '[' && host.back() != ']') return bad();
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
    return bad();
  }
  return std::string(address);
}

Outcome<std::vector<std::string>> parse_node_list(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = text.find(',', start);
    const std::string_view one =
        text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    Outcome<std::string> address = check_node_address(one);
    if (!address) return address.failure();
    out.push_back(*address);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

Failure failure_from_grpc(const grpc::Status& status, std::string_view node_address,
                          std::chrono::milliseconds timeout, bool node_answered) {
  const std::string addr(node_address);
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      if (node_answered) {
        return Failure::unreachable("the node at " + addr + " cannot serve this now: " +
                                    status.error_message());
      }
      return Failure::unreachable("cannot reach the node at " + addr + ": " + status.error_message());
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return Failure::unreachable("cannot reach the node at " + addr + ": no answer within " +
                                  std::to_string(timeout.count()) + " ms");
    case grpc::StatusCode::UNIMPLEMENTED:
      return Failure::refused("the node at " + addr + " does not support this call: " +
                              status.error_message());
    default:
      break;
  }
  std::string message = status.error_message();
  if (message.empty()) message = "the node refused the request";
  return Failure::refused(message);
}

NodeClient::NodeClient(std::string address, std::chrono::milliseconds timeout,
                       Connection connection)
    : address_(std::move(address)), timeout_(timeout) {
  grpc::ChannelArguments args;
  if (connection == Connection::kPrivate) {
    // Channels to one address share their connection process-wide, and with it its retry
    // back-off; a private one starts afresh and tries to connect at once.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  }
  // A wallet talks to one node directly; an http_proxy set for other programs must not apply.
  args.SetInt(GRPC_ARG_ENABLE_HTTP_PROXY, 0);
  // Blocks of up to 4 MiB travel with their receipts; leave generous room.
  args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  channel_ = grpc::CreateCustomChannel(address_, grpc::InsecureChannelCredentials(), args);
  stub_ = api::Client::NewStub(channel_);
}

std::unique_ptr<grpc::ClientContext> NodeClient::context(std::chrono::milliseconds timeout) const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + timeout);
  return ctx;
}

Failure NodeClient::failure(const grpc::Status& status) const {
  return failure_from_grpc(status, address_, timeout_, node_answered_);
}

Failure NodeClient::failure(const grpc::Status& status, const grpc::ClientContext& ctx) {
  note_answer(ctx);
  return failure(status);
}

void NodeClient::note_answer(const grpc::ClientContext& ctx) {
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

Outcome<api::NodeStatus> NodeClient::status() {
  auto ctx = context(timeout_);
  api::NodeStatus out;
  const grpc::Status st = stub_->GetStatus(ctx.get(), api::GetStatusRequest(), &out);
  note_answer(*ctx);
  if (!st.ok()) return failure(st);
  return out;
}

Outcome<std::optional<ledger::Account>> NodeClient::account(std::string_view address20) {
  auto ctx = context(timeout_);
  api::GetAccountRequest req;
  req.set_address(std::string(address20));
  ledger::Account out;
  const grpc::Status st = stub_->GetAccount(ctx.get(), req, &out);
  note_answer(*ctx);
  // Nodes before API v1 answered NOT_FOUND for an address nothing has touched; now GetAccount
  // answers a zero account, and the tools (which tell "no such account" apart, and count the
  // accounts the ledger holds) ask the ledger query, which still says whether the account exists.
  if (st.error_code() == grpc::StatusCode::NOT_FOUND) return std::optional<ledger::Account>();
  if (!st.ok()) return failure(st);
  const bool looks_untouched = out.balance() == 0 && out.nonce() == 0 && out.next_nonce() == 0 &&
                               out.escrow() == 0 && out.roles().empty() && out.qualifications().empty();
  if (looks_untouched) {
    auto qctx = context(timeout_);
    api::QueryRequest q;
    q.mutable_ledger()->mutable_account()->set_address(std::string(address20));
    api::QueryResponse resp;
    const grpc::Status qs = stub_->Query(qctx.get(), q, &resp);
    note_answer(*qctx);
    if (qs.error_code() == grpc::StatusCode::NOT_FOUND) return std::optional<ledger::Account>();
    if (!qs.ok()) return failure(qs);
  }
  return std::optional<ledger::Account>(std::move(out));
}

namespace {
Outcome<api::BlockInfo> get_block(NodeClient& c, const api::GetBlockRequest& req) {
  auto ctx = c.context(c.timeout());
  api::BlockInfo out;
  const grpc::Status st = c.stub().GetBlock(ctx.get(), req, &out);
  c.note_answer(*ctx);
  if (!st.ok()) return c.failure(st);
  return out;
}
}  // namespace

Outcome<api::BlockInfo> NodeClient::block_at(std::uint64_t height) {
  api::GetBlockRequest req;
  req.set_height(height);
  return get_block(*this, req);
}

Outcome<api::BlockInfo> NodeClient::block_by_hash(std::string_view hash32) {
  api::GetBlockRequest req;
  req.set_hash(std::string(hash32));
  return get_block(*this, req);
}

Outcome<api::BlockInfo> NodeClient::latest_block() {
  api::GetBlockRequest req;
  req.set_latest(true);
  return get_block(*this, req);
}

Outcome<api::TransactionInfo> NodeClient::transaction(std::string_view hash32) {
  auto ctx = context(timeout_);
  api::GetTransactionRequest req;
  req.set_tx_hash(std::string(hash32));
  api::TransactionInfo out;
  const grpc::Status st = stub_->GetTransaction(ctx.get(), req, &out);
  note_answer(*ctx);
  if (!st.ok()) return failure(st);
  return out;
}

Outcome<api::TransactionProof> NodeClient::proof(std::string_view hash32) {
  auto ctx = context(timeout_);
  api::GetProofRequest req;
  req.set_tx_hash(std::string(hash32));
  api::TransactionProof out;
  const grpc::Status st = stub_->GetProof(ctx.get(), req, &out);
  note_answer(*ctx);
  if (!st.ok()) return failure(st);
  return out;
}

Outcome<std::vector<api::EventBatch>> NodeClient::events(const api::EventFilter& filter, std::uint64_t from,
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
  if (!done && !st.ok() && st.error_code() != grpc::StatusCode::CANCELLED) return failure(st);
  return out;
}

Outcome<api::QueryResponse> NodeClient::query(const api::QueryRequest& request) {
  auto ctx = context(timeout_);
  api::QueryResponse out;
  const grpc::Status st = stub_->Query(ctx.get(), request, &out);
  note_answer(*ctx);
  if (!st.ok()) return failure(st);
  return out;
}

Outcome<api::SubmitResponse> NodeClient::submit(const SignedTransaction& tx, bool wait,
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
      return Failure::refused("the transaction was not committed within " +
                              std::to_string(wait_timeout.count()) +
                              " ms; it may still commit: " + st.error_message());
    }
    return failure(st);
  }
  return out;
}

}  // namespace sharechain::tools
