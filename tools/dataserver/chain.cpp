#include "tools/dataserver/chain.hpp"

#include "proto/transaction.hpp"

namespace sharechain::dataserver {

namespace {

constexpr int kMaxAttempts = 6;
// Transactions per SubmitTransactions message; within every node's default [api] max_batch_txs.
constexpr std::size_t kMaxBatch = 256;
// Extra waits, each of a commit timeout, for a transaction the node still holds as pending.
constexpr int kPendingExtensions = 2;

Status from_grpc(const grpc::Status& st) {
  std::string m = st.error_message();
  switch (st.error_code()) {
    case grpc::StatusCode::OK: return Status::ok();
    case grpc::StatusCode::INVALID_ARGUMENT: return Status::invalid_argument(m);
    case grpc::StatusCode::FAILED_PRECONDITION: return Status::failed_precondition(m);
    case grpc::StatusCode::NOT_FOUND: return Status::not_found(m);
    case grpc::StatusCode::PERMISSION_DENIED: return Status::permission_denied(m);
    case grpc::StatusCode::ALREADY_EXISTS: return Status::already_exists(m);
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return Status::resource_exhausted(m);
    case grpc::StatusCode::UNAVAILABLE: return Status::unavailable(m);
    case grpc::StatusCode::DEADLINE_EXCEEDED: return Status(Code::kDeadlineExceeded, m);
    default: return Status::internal(m.empty() ? "the node failed the call" : m);
  }
}

Status from_failure(const tools::Failure& f) {
  return f.exit_code == tools::kExitUnreachable ? Status::unavailable(f.message)
                                                : Status::failed_precondition(f.message);
}

}  // namespace

Signer::Signer(std::string name, crypto::PrivateKey key, std::size_t node)
    : name_(std::move(name)), key_(std::move(key)), address_(key_.address()), node_(node) {}

Chain::Chain(Options options) : options_(std::move(options)) {
  for (const std::string& address : options_.nodes) {
    clients_.push_back(std::make_unique<client::Node>(address, options_.call_timeout));
    submitters_.push_back(std::make_unique<client::BatchSubmitter>(clients_.back()->stub(), kMaxBatch,
                                                                  options_.call_timeout));
  }
}

Chain::~Chain() { stop(); }

Status Chain::start() {
  if (clients_.empty()) return Status::invalid_argument("no node address given");
  std::string errors;
  for (std::size_t i = 0; i < clients_.size(); ++i) {
    tools::Outcome<api::NodeStatus> st = clients_[i]->status();
    if (!st) {
      errors += (errors.empty() ? "" : "; ") + st.failure().message;
      continue;
    }
    chain_id_ = st->chain_id();
    watch_node_ = i;
    height_ = st->height();
    next_height_ = st->height() + 1;
    if (auto latest = clients_[i]->latest_block()) {
      last_block_time_ms_ = latest->header().timestamp_ms();
    }
    watcher_ = std::thread([this] { watch(); });
    return Status::ok();
  }
  return Status::unavailable("no node answered: " + errors);
}

void Chain::stop() {
  {
    std::lock_guard lock(watch_mu_);
    stopping_ = true;
    if (watch_context_ != nullptr) watch_context_->TryCancel();
  }
  watch_cv_.notify_all();
  if (watcher_.joinable()) watcher_.join();
}

std::shared_ptr<Signer> Chain::make_signer(std::string name, crypto::PrivateKey key) {
  const std::size_t node = next_signer_node_++ % std::max<std::size_t>(1, clients_.size());
  return std::make_shared<Signer>(std::move(name), std::move(key), node);
}

TxCounters Chain::counters() const {
  std::lock_guard lock(counters_mu_);
  return counters_;
}

Result<Committed> Chain::submit(Signer& s, const std::function<void(TransactionBody&)>& set_call) {
  Status last = Status::unavailable("not submitted");
  // Everything this submission may depend on committed at or below this height.
  const std::uint64_t causal_height = height_.load();
  bool judged_late = false;
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    if (attempt > 0) {
      std::lock_guard lock(counters_mu_);
      ++counters_.retried;
    }
    Retry retry = Retry::kNo;
    Result<Admitted> admitted = admit(s, set_call, retry);
    if (!admitted) {
      last = admitted.status();
      if (retry == Retry::kRefused && !judged_late) {
        // The node may have judged it on a state older than the flow's: ask again once it
        // has committed everything the flow has seen.
        judged_late = true;
        std::size_t node;
        {
          std::lock_guard lane(s.lane_);
          node = s.node_;
        }
        catch_up(node, causal_height);
        continue;
      }
      if (retry == Retry::kNo || retry == Retry::kRefused) break;
      if (retry == Retry::kAfterPause) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100 << std::min(attempt, 4)));
      }
      continue;
    }
    Result<Committed> committed = await(s, *admitted);
    if (!committed) return committed.status();
    const ReceiptStatus rs = committed->receipt.status();
    if (rs == RECEIPT_BAD_NONCE || rs == RECEIPT_EXPIRED) {
      // Nothing was applied and the nonce was not consumed: the local nonce is off.
      last = Status::failed_precondition(committed->receipt.error());
      forget_nonce(s);
      continue;
    }
    return committed;
  }
  std::lock_guard lock(counters_mu_);
  ++counters_.rejected;
  return last;
}

Result<Chain::Admitted> Chain::admit(Signer& s, const std::function<void(TransactionBody&)>& set_call,
                                     Retry& retry) {
  std::unique_lock lane(s.lane_);
  if (!s.next_nonce_) {
    // The committed nonce counts this account's transactions only once they have settled, and
    // only on a node that has committed what the run has seen.
    wait_until_idle(s);
    catch_up(s.node_, height_.load());
    Result<std::optional<ledger::Account>> account = account_at(s.node_, s.address());
    if (!account) {
      s.node_ = (s.node_ + 1) % clients_.size();
      retry = Retry::kAfterPause;
      return account.status();
    }
    s.next_nonce_ = *account ? (*account)->nonce() : 0;
    if (s.nonce_fetched_) {
      std::lock_guard lock(counters_mu_);
      ++counters_.resyncs;
    }
    s.nonce_fetched_ = true;
  }

  TransactionBody body;
  body.set_chain_id(chain_id_);
  body.set_nonce(*s.next_nonce_);
  body.set_sender(s.address());
  set_call(body);
  const SignedTransaction signed_tx = tx::sign(body, s.key());
  Admitted a;
  a.hash = tx::hash_of(signed_tx);
  a.node = s.node_;
  a.waiter = std::make_shared<Waiter>();
  const std::string key = crypto::hash_bytes(a.hash);
  {
    // Registered before the node sees the transaction, so no block can be missed.
    std::lock_guard lock(waiters_mu_);
    waiters_[key] = a.waiter;
  }

  const grpc::Status st = submitters_[s.node_]->submit(signed_tx);
  if (st.ok()) {
    ++*s.next_nonce_;
    {
      std::lock_guard lock(s.flight_mu_);
      ++s.in_flight_;
    }
    std::lock_guard lock(counters_mu_);
    ++counters_.submitted;
    return a;
  }

  {
    std::lock_guard lock(waiters_mu_);
    waiters_.erase(key);
  }
  switch (st.error_code()) {
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::ALREADY_EXISTS:
      // "nonce N was already used", "leaves a gap", "another transaction ... is pending".
      if (st.error_message().find("nonce") != std::string::npos) {
        s.next_nonce_.reset();
        retry = Retry::kNow;
      }
      break;
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      // The node is down or stuck: move the account to the next node. What it had pending
      // there may be lost, so the nonce comes from the chain again.
      s.node_ = (s.node_ + 1) % clients_.size();
      s.next_nonce_.reset();
      retry = Retry::kAfterPause;
      break;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      // A full mempool drains as blocks commit.
      retry = Retry::kAfterPause;
      break;
    default: break;
  }
  if (retry == Retry::kNo) retry = Retry::kRefused;
  return from_grpc(st);
}

bool Chain::catch_up(std::size_t node, std::uint64_t height) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    tools::Outcome<api::NodeStatus> st = clients_[node]->status();
    if (!st) return false;
    if (st->height() >= height) return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

Result<Committed> Chain::await(Signer& s, const Admitted& a) {
  const std::string key = crypto::hash_bytes(a.hash);
  int extensions = 0;
  auto deadline = std::chrono::steady_clock::now() + options_.commit_timeout;
  for (;;) {
    std::optional<Committed> result;
    {
      std::unique_lock lock(a.waiter->mu);
      a.waiter->cv.wait_until(lock, deadline, [&] { return a.waiter->result.has_value(); });
      result = a.waiter->result;
    }
    if (!result) {
      // No block seen in time: ask the node that admitted it.
      tools::Outcome<api::TransactionInfo> info = clients_[a.node]->transaction(key);
      if (info && info->status() == api::TX_COMMITTED) {
        Committed c;
        c.hash = a.hash;
        c.height = info->height();
        c.block_time_ms = info->timestamp_ms();
        c.receipt = info->receipt();
        result = std::move(c);
      } else if (info && info->status() == api::TX_PENDING && extensions < kPendingExtensions) {
        ++extensions;
        deadline = std::chrono::steady_clock::now() + options_.commit_timeout;
        continue;
      }
    }
    {
      std::lock_guard lock(waiters_mu_);
      waiters_.erase(key);
    }
    settled(s);
    if (!result) {
      forget_nonce(s);
      std::lock_guard lock(counters_mu_);
      ++counters_.lost;
      return Status::unavailable("transaction " + crypto::to_hex(a.hash) + " did not commit within " +
                                 std::to_string(options_.commit_timeout.count() / 1000) + " s");
    }
    {
      std::lock_guard lock(counters_mu_);
      ++counters_.committed;
      const ReceiptStatus rs = result->receipt.status();
      if (rs != RECEIPT_OK && rs != RECEIPT_BAD_NONCE && rs != RECEIPT_EXPIRED) ++counters_.refused;
    }
    if (observer_) observer_(result->receipt);
    return std::move(*result);
  }
}

void Chain::settled(Signer& s) {
  {
    std::lock_guard lock(s.flight_mu_);
    if (s.in_flight_ > 0) --s.in_flight_;
  }
  s.flight_cv_.notify_all();
}

void Chain::forget_nonce(Signer& s) {
  std::lock_guard lane(s.lane_);
  s.next_nonce_.reset();
}

void Chain::wait_until_idle(Signer& s) {
  // Each admitted transaction settles within its commit wait and extensions; the bound is
  // only a safety net against a wait that can never end.
  const auto limit = options_.commit_timeout * (kPendingExtensions + 2);
  std::unique_lock lock(s.flight_mu_);
  s.flight_cv_.wait_for(lock, limit, [&] { return s.in_flight_ == 0; });
}

Result<std::optional<ledger::Account>> Chain::account_at(std::size_t node, std::string_view address20) {
  tools::Outcome<std::optional<ledger::Account>> a = clients_[node]->account(address20);
  if (!a) return from_failure(a.failure());
  return std::move(a).value();
}

Result<std::optional<ledger::Account>> Chain::account(std::string_view address20) {
  const std::size_t first = watch_node_;
  Status last;
  for (std::size_t k = 0; k < clients_.size(); ++k) {
    auto a = account_at((first + k) % clients_.size(), address20);
    if (a || a.status().code() != Code::kUnavailable) return a;
    last = a.status();
  }
  return last;
}

Result<api::QueryResponse> Chain::query(const api::QueryRequest& request) {
  const std::size_t first = watch_node_;
  Status last;
  for (std::size_t k = 0; k < clients_.size(); ++k) {
    client::Node& node = *clients_[(first + k) % clients_.size()];
    auto ctx = node.context(options_.call_timeout);
    api::QueryResponse resp;
    const grpc::Status st = node.stub().Query(ctx.get(), request, &resp);
    if (st.ok()) return resp;
    last = from_grpc(st);
    if (st.error_code() != grpc::StatusCode::UNAVAILABLE &&
        st.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED) {
      return last;
    }
  }
  return last;
}

void Chain::watch() {
  std::size_t node = watch_node_;
  while (true) {
    grpc::ClientContext ctx;
    {
      std::lock_guard lock(watch_mu_);
      if (stopping_) return;
      watch_context_ = &ctx;
    }
    api::SubscribeRequest req;
    req.set_from_height(next_height_);
    auto reader = clients_[node]->stub().SubscribeBlocks(&ctx, req);
    api::BlockInfo info;
    while (reader->Read(&info)) on_block(info);
    reader->Finish();
    std::unique_lock lock(watch_mu_);
    watch_context_ = nullptr;
    if (stopping_) return;
    // The stream broke (the node stopped or restarts): follow the next node from where this
    // one left off, after a short pause so a dead cluster is not hammered.
    node = (node + 1) % clients_.size();
    watch_node_ = node;
    watch_cv_.wait_for(lock, std::chrono::milliseconds(300), [&] { return stopping_; });
  }
}

void Chain::on_block(const api::BlockInfo& info) {
  if (info.height() < next_height_) return;  // already seen from another node
  const std::uint64_t time = info.header().timestamp_ms();
  last_block_time_ms_ = std::max<std::uint64_t>(last_block_time_ms_, time);
  height_ = info.height();
  next_height_ = info.height() + 1;
  std::vector<std::pair<std::shared_ptr<Waiter>, Committed>> ready;
  {
    std::lock_guard lock(waiters_mu_);
    for (const Receipt& r : info.receipts()) {
      auto it = waiters_.find(r.tx_hash());
      if (it == waiters_.end()) continue;
      Committed c;
      if (auto h = crypto::hash_from_bytes(r.tx_hash())) c.hash = *h;
      c.height = info.height();
      c.block_time_ms = time;
      c.receipt = r;
      ready.emplace_back(it->second, std::move(c));
      waiters_.erase(it);
    }
  }
  for (auto& [waiter, c] : ready) {
    {
      std::lock_guard lock(waiter->mu);
      waiter->result = std::move(c);
    }
    waiter->cv.notify_all();
  }
}

}  // namespace sharechain::dataserver
