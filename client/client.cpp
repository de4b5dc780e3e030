#include "client/client.hpp"

#include <algorithm>
#include <charconv>
#include <thread>

#include "proto/transaction.hpp"

namespace sharechain::client {

Result<std::string> check_node_address(std::string_view address) {
  const auto colon = address.rfind(':');
  auto bad = [&] {
    return Status::invalid_argument("node address '" + std::string(address) +
                                    "' is not HOST:PORT (for example 127.0.0.1:26600)");
  };
  if (colon == std::string_view::npos || colon == 0) return bad();
  const std::string_view host = address.substr(0, colon);
  const std::string_view port = address.substr(colon + 1);
  if (host.front() == '[' && host.back() != ']') return bad();
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) return bad();
  return std::string(address);
}

Result<std::vector<std::string>> parse_node_list(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = text.find(',', start);
    const std::string_view one =
        text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    Result<std::string> address = check_node_address(one);
    if (!address) return address.status();
    out.push_back(*address);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

// One node of the list: its connection, made afresh after a transport failure (so the next
// attempt does not wait out the old connection's back-off), and what it last said of itself.
struct Client::Slot {
  std::string address;
  std::unique_ptr<Node> node;
  std::optional<bool> synced;

  Node& connect(std::chrono::milliseconds timeout) {
    if (!node) node = std::make_unique<Node>(address, timeout, Node::Connection::kPrivate);
    return *node;
  }
  void reset() { node.reset(); }
};

namespace {

std::string summary(const std::vector<Error>& attempts, const std::vector<std::string>& where) {
  if (attempts.size() == 1) return attempts.front().message;  // it names its node
  std::string out = where.empty() ? "no node is configured" : "no node could serve the call:";
  for (std::size_t i = 0; i < attempts.size(); ++i) out += "\n  " + where[i] + ": " + attempts[i].message;
  return out;
}

}  // namespace

Client::Client(Options options) : options_(std::move(options)) {
  for (const std::string& a : options_.nodes) slots_.push_back(std::make_unique<Slot>(Slot{a, nullptr, {}}));
}
Client::~Client() = default;
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;

std::string Client::current_address() const { return current_ ? slots_[*current_]->address : std::string(); }

Reply<std::size_t> Client::select() {
  std::vector<Error> attempts;
  std::vector<std::string> where;
  std::optional<std::size_t> fallback;
  const std::size_t start = current_.value_or(0);
  for (std::size_t k = 0; k < slots_.size(); ++k) {
    const std::size_t i = (start + k) % slots_.size();
    Slot& slot = *slots_[i];
    Node& node = slot.connect(options_.timeout);
    Reply<api::NodeStatus> status = node.status();
    if (!status) {
      attempts.push_back(status.error());
      where.push_back(slot.address);
      if (!status.error().node_answered) slot.reset();
      continue;
    }
    slot.synced = status->synced();
    if (status->synced()) {
      current_ = i;
      return i;
    }
    if (!fallback) fallback = i;
  }
  if (fallback) {
    current_ = *fallback;
    return *fallback;
  }
  return Error::local(grpc::StatusCode::UNAVAILABLE, summary(attempts, where));
}

Reply<Node*> Client::node() {
  // One node leaves nothing to choose: no probe, the call itself says whether it answers.
  if (slots_.size() == 1) {
    current_ = 0;
    return &slots_[0]->connect(options_.timeout);
  }
  if (!current_ || slots_[*current_]->synced == false || !slots_[*current_]->node) {
    Reply<std::size_t> i = select();
    if (!i) return i.error();
  }
  return &slots_[*current_]->connect(options_.timeout);
}

void Client::leave_current() {
  if (!current_) return;
  slots_[*current_]->reset();
  current_ = (*current_ + 1) % slots_.size();
  slots_[*current_]->synced.reset();
}

template <typename T, typename Attempt>
Reply<T> Client::round(Attempt&& attempt) {
  const auto deadline = std::chrono::steady_clock::now() + options_.retry_for;
  std::vector<Error> attempts;
  std::vector<std::string> where;
  while (true) {
    if (slots_.empty()) return Error::local(grpc::StatusCode::UNAVAILABLE, summary({}, {}));
    Reply<Node*> first = node();
    if (first) {
      for (std::size_t k = 0; k < slots_.size(); ++k) {
        Slot& slot = *slots_[*current_];
        Reply<T> r = attempt(slot.connect(options_.timeout));
        if (slot.node && slot.node->synced()) slot.synced = slot.node->synced();
        if (r || !r.error().moves_on()) return r;
        attempts.push_back(r.error());
        where.push_back(slot.address);
        leave_current();  // whatever the next call finds, it starts from the next node
      }
    } else {
      attempts.push_back(first.error());
      where.push_back("every node");
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return Error::local(grpc::StatusCode::UNAVAILABLE, summary(attempts, where));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
}

Reply<api::NodeStatus> Client::status() {
  return round<api::NodeStatus>([](Node& n) { return n.status(); });
}

Reply<std::string> Client::chain_id() {
  if (!options_.chain_id.empty()) return options_.chain_id;
  if (chain_id_) return *chain_id_;
  Reply<api::NodeStatus> s = status();
  if (!s) return s.error();
  chain_id_ = s->chain_id();
  return *chain_id_;
}

Reply<ledger::Account> Client::account(std::string_view address20) {
  return round<ledger::Account>([&](Node& n) { return n.account_or_zero(address20); });
}

Reply<std::uint64_t> Client::next_nonce(std::string_view address20) {
  Reply<ledger::Account> a = account(address20);
  if (!a) return a.error();
  std::uint64_t next = std::max(a->nonce(), a->next_nonce());
  if (auto it = sent_next_.find(std::string(address20)); it != sent_next_.end()) next = std::max(next, it->second);
  return next;
}

Reply<api::BlockInfo> Client::block_at(std::uint64_t height) {
  return round<api::BlockInfo>([&](Node& n) { return n.block_at(height); });
}

Reply<api::BlockInfo> Client::latest_block() {
  return round<api::BlockInfo>([](Node& n) { return n.latest_block(); });
}

Reply<api::TransactionInfo> Client::transaction(std::string_view hash32) {
  return round<api::TransactionInfo>([&](Node& n) { return n.transaction(hash32); });
}

Reply<api::TransactionProof> Client::proof(std::string_view hash32) {
  return round<api::TransactionProof>([&](Node& n) { return n.proof(hash32); });
}

Reply<api::StateProof> Client::state_proof(std::string_view key) {
  return round<api::StateProof>([&](Node& n) { return n.state_proof(key); });
}

Reply<api::QueryResponse> Client::query(const api::QueryRequest& request) {
  return round<api::QueryResponse>([&](Node& n) { return n.query(request); });
}

Reply<api::SubmitResponse> Client::submit(const SignedTransaction& tx, bool wait,
                                          std::chrono::milliseconds wait_timeout) {
  const std::string hash = crypto::hash_bytes(tx::hash_of(tx));
  int tries = 0;
  Reply<api::SubmitResponse> r = round<api::SubmitResponse>([&](Node& n) -> Reply<api::SubmitResponse> {
    ++tries;
    Reply<api::SubmitResponse> got = n.submit(tx, wait, wait_timeout);
    // A retry that finds the transaction already in: the first attempt got through.
    if (!got && tries > 1 && got.error().code == grpc::StatusCode::ALREADY_EXISTS) {
      if (got.error().committed) return *got.error().committed;
      api::SubmitResponse pending;
      pending.set_tx_hash(hash);
      pending.set_status(api::TX_PENDING);
      return pending;
    }
    return got;
  });
  if (!r || !wait || r->status() == api::TX_COMMITTED) return r;
  // Admitted on a retry, or the node answered before the commit: wait for it here.
  Reply<api::TransactionInfo> info = wait_for_commit(hash, wait_timeout);
  if (!info) return info.error();
  api::SubmitResponse out;
  out.set_tx_hash(hash);
  out.set_status(info->status());
  out.set_height(info->height());
  *out.mutable_receipt() = info->receipt();
  return out;
}

Reply<std::vector<api::SubmitResult>> Client::submit_many(const std::vector<SignedTransaction>& txs,
                                                          std::size_t batch_size) {
  std::vector<api::SubmitResult> results;
  results.reserve(txs.size());
  batch_size = std::max<std::size_t>(batch_size, 1);
  for (std::size_t at = 0; at < txs.size(); at += batch_size) {
    const std::vector<SignedTransaction> batch(txs.begin() + static_cast<std::ptrdiff_t>(at),
                                               txs.begin() + static_cast<std::ptrdiff_t>(std::min(txs.size(), at + batch_size)));
    Reply<std::vector<api::SubmitResult>> answered =
        round<std::vector<api::SubmitResult>>([&](Node& n) { return n.submit_batch(batch); });
    if (!answered) return answered.error();
    results.insert(results.end(), answered->begin(), answered->end());
  }
  return results;
}

Reply<api::TransactionInfo> Client::wait_for_commit(std::string_view hash32, std::chrono::milliseconds timeout,
                                                    std::chrono::milliseconds poll) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (true) {
    Reply<api::TransactionInfo> info = transaction(hash32);
    if (info && info->status() == api::TX_COMMITTED) return info;
    if (!info && info.error().code != grpc::StatusCode::NOT_FOUND) return info.error();
    if (std::chrono::steady_clock::now() >= end) {
      return Error{grpc::StatusCode::DEADLINE_EXCEEDED,
                   "transaction " + crypto::to_hex(hash32) + " was not committed within " +
                       std::to_string(timeout.count()) + " ms; it may still commit",
                   true,
                   {}};
    }
    std::this_thread::sleep_for(poll);
  }
}

Reply<TransactionBody> Client::body_for(const crypto::PrivateKey& key, std::optional<std::uint64_t> nonce,
                                        std::uint64_t expires_at_height) {
  Reply<std::string> chain = chain_id();
  if (!chain) return chain.error();
  if (!nonce) {
    Reply<std::uint64_t> next = next_nonce(key.address());
    if (!next) return next.error();
    nonce = *next;
  }
  TransactionBody body;
  body.set_chain_id(*chain);
  body.set_sender(key.address());
  body.set_nonce(*nonce);
  body.set_expires_at_height(expires_at_height);
  return body;
}

SignedTransaction Client::sign(const crypto::PrivateKey& key, const TransactionBody& body) const {
  return tx::sign(body, key);
}

Reply<api::SubmitResponse> Client::send_signed(const SignedTransaction& tx, bool wait,
                                               std::chrono::milliseconds wait_timeout) {
  Reply<api::SubmitResponse> r = submit(tx, wait, wait_timeout);
  const bool consumed = r || r.error().code == grpc::StatusCode::DEADLINE_EXCEEDED;
  if (consumed) {
    TransactionBody body;
    if (body.ParseFromString(tx.body())) {
      std::uint64_t& next = sent_next_[body.sender()];
      next = std::max(next, body.nonce() + 1);
    }
  }
  return r;
}

// --- events ---------------------------------------------------------------------------------------

struct EventStream::Open {
  grpc::ClientContext ctx;
  std::unique_ptr<grpc::ClientReader<api::EventBatch>> reader;
  std::string address;
};

EventStream Client::events(api::EventFilter filter, std::optional<api::EventCursor> from) {
  api::EventCursor cursor;
  if (from) {
    cursor = *from;
    if (cursor.height() == 0) cursor.set_height(1);  // height 0 or 1: from the first block
  }
  // No cursor: the next block, read from the chain when the stream first opens (height 0 marks
  // it), so opening a stream costs no call and fails only where next() can say why.
  return EventStream(*this, std::move(filter), std::move(cursor));
}

EventStream::EventStream(Client& client, api::EventFilter filter, api::EventCursor cursor)
    : client_(&client), filter_(std::move(filter)), cursor_(std::move(cursor)) {}
EventStream::EventStream(EventStream&&) noexcept = default;
EventStream& EventStream::operator=(EventStream&&) noexcept = default;
EventStream::~EventStream() { close(); }

void EventStream::close() {
  if (open_) open_->ctx.TryCancel();
}

Reply<api::EventBatch> EventStream::next() {
  const auto deadline = std::chrono::steady_clock::now() + client_->options_.retry_for;
  std::vector<Error> attempts;
  std::vector<std::string> where;
  std::size_t failed_in_a_row = 0;
  if (cursor_.height() == 0) {
    Reply<api::NodeStatus> status = client_->status();
    if (!status) return status.error();
    cursor_.set_height(status->height() + 1);
  }
  while (true) {
    if (!open_) {
      Reply<Node*> node = client_->node();
      if (!node) return node.error();
      open_ = std::make_unique<Open>();
      open_->address = (*node)->address();
      api::SubscribeEventsRequest req;
      *req.mutable_filter() = filter_;
      *req.mutable_cursor() = cursor_;
      open_->reader = (*node)->stub().SubscribeEvents(&open_->ctx, req);
    }
    api::EventBatch batch;
    if (open_->reader->Read(&batch)) {
      if (batch.has_next()) cursor_ = batch.next();
      return batch;
    }
    const grpc::Status st = open_->reader->Finish();
    const std::string address = open_->address;
    open_.reset();
    Error e = error_from_grpc(st, address, client_->options_.timeout, false);
    if (st.ok()) e = Error{grpc::StatusCode::UNAVAILABLE, "the node at " + address + " ended the event stream", false, {}};
    if (st.error_code() == grpc::StatusCode::CANCELLED) return e;
    if (!e.moves_on()) return e;
    // The node went away: resume from the cursor on the next one.
    attempts.push_back(e);
    where.push_back(address);
    client_->leave_current();
    if (++failed_in_a_row >= client_->slots_.size() && std::chrono::steady_clock::now() >= deadline) {
      return Error::local(grpc::StatusCode::UNAVAILABLE, summary(attempts, where));
    }
    if (failed_in_a_row >= client_->slots_.size()) std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
}

}  // namespace sharechain::client
