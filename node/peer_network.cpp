#include "node/peer_network.hpp"

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <fstream>
#include <sstream>
#include <utility>

namespace sharechain::node {

std::string hello_signing_bytes(const std::string& chain_id, const std::string& genesis,
                                const std::string& public_key, std::uint64_t nonce) {
  // Length-prefixed fields written by hand: signed bytes never come from a re-serialisation.
  std::string out;
  auto put_u64 = [&out](std::uint64_t v) {
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  put_u64(chain_id.size());
  out += chain_id;
  put_u64(genesis.size());
  out += genesis;
  put_u64(public_key.size());
  out += public_key;
  put_u64(nonce);
  return out;
}

namespace {

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// How logs name a peer: its number here and the start of its key.
std::string peer_name(std::uint32_t id, const std::string& public_key) {
  return std::to_string(id) + " (" + crypto::to_hex(public_key).substr(0, 8) + ")";
}

std::uint64_t steady_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

grpc::ChannelArguments channel_args(const Config& config) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(static_cast<int>(config.max_message_bytes));
  args.SetMaxSendMessageSize(static_cast<int>(config.max_message_bytes));
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 5000);
  // A separate TCP connection per link keeps one peer's backlog off the others' sockets.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return args;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Outbound links: one stream and one bounded queue each, and no thread of their own. A link's
// writes are started by whoever finds it ready: enqueue() when the stream is idle, the reactor's
// OnWriteDone when more is queued, the keepalive timer when nothing was. The timers (reconnect
// back-off and idle keepalive) of every link run on the one LinkTimers thread.
constexpr std::chrono::seconds kIdleKeepalive{1};
// Longer than the default view timeout: a blip keeps its queue, an absence does not.
constexpr std::chrono::seconds kStaleAfter{3};
constexpr std::uint64_t kFirstBackoffMs = 100;
constexpr std::uint64_t kMaxBackoffMs = 5000;

class PeerNetwork::LinkTimers {
 public:
  LinkTimers() : work_(boost::asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}
  ~LinkTimers() { halt(); }
  LinkTimers(const LinkTimers&) = delete;
  LinkTimers& operator=(const LinkTimers&) = delete;

  boost::asio::io_context& io() { return io_; }

  // Handlers still waiting are dropped unrun; the links' timers must be destroyed after this
  // and before the io_context.
  void halt() {
    work_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
};

class PeerNetwork::Link {
 public:
  Link(PeerNetwork& net, std::uint32_t id, std::string public_key, std::string address,
       boost::asio::io_context& timers)
      : net_(net), id_(id), public_key_(std::move(public_key)), address_(std::move(address)),
        name_(peer_name(id_, public_key_)),
        dropped_(net.metrics_.counter("sharechain_peer_dropped_messages_total",
                                      "Outbound peer messages dropped because a send queue was full")),
        sent_(net.metrics_.counter("sharechain_peer_sent_messages_total", "Messages sent to peers")),
        stale_(net.metrics_.counter("sharechain_peer_stale_dropped_messages_total",
                                    "Messages queued for a peer that was away longer than 3 s, "
                                    "dropped when it came back (it catches up by state transfer)")),
        timers_(timers), retry_timer_(timers), keepalive_timer_(timers) {}

  void start() {
    if (address_.empty()) return;  // only inbound: nobody said where it listens
    boost::asio::post(timers_, [this] { connect(); });
  }

  // Cancels the stream and returns once its reactor is done; nothing is started after this.
  void stop() {
    std::unique_lock lock(mu_);
    stopping_ = true;
    if (session_ != nullptr) {
      session_->context.TryCancel();
      // A write in flight ends the session from OnWriteDone; an idle one is ended here.
      if (!writing_ && !released_) {
        released_ = true;
        Session* idle = session_;
        lock.unlock();
        idle->RemoveHold();
        lock.lock();
      }
    }
    done_cv_.wait(lock, [this] { return session_ == nullptr; });
  }

  // Gossip and consensus wait in separate queues, together at most [p2p] send_queue_messages.
  // When full, the oldest gossip goes first (a transaction a peer misses reaches it in a
  // proposal); consensus messages are never dropped one by one. A link whose queue is full of
  // consensus messages alone has a peer that stopped reading: the queue is cleared (counted in
  // sharechain_peer_dropped_messages_total) and the peer catches up by state transfer.
  void enqueue(PeerMessage msg) {
    Session* write_on = nullptr;
    {
      std::lock_guard lock(mu_);
      const std::size_t limit = net_.config_.peer_queue_messages;
      if (consensus_.size() + gossip_.size() >= limit) {
        if (!gossip_.empty()) {
          gossip_.pop_front();
          dropped_.Increment();
        } else {
          // Expected while the peer is down; worth a warning when it is up but not reading.
          spdlog::log(connected_ ? spdlog::level::warn : spdlog::level::debug,
                      "peer {} at {}: {} consensus messages wait unsent; dropping them (the peer "
                      "will catch up by state transfer)",
                      name_, address_, consensus_.size());
          dropped_.Increment(static_cast<double>(consensus_.size()));
          consensus_.clear();
        }
      }
      (msg.kind_case() == PeerMessage::kTxs ? gossip_ : consensus_).push_back(std::move(msg));
      if (writable_locked() && prepare_write_locked(/*keepalive_due=*/false)) write_on = session_;
    }
    // Started outside the lock, which OnWriteDone takes: gRPC may run that reaction before
    // StartWrite returns.
    if (write_on != nullptr) write_on->StartWrite(&write_on->outgoing);
  }

  std::uint32_t id() const { return id_; }
  const std::string& public_key() const { return public_key_; }
  const std::string& address() const { return address_; }
  bool connected() const { return connected_.load(); }
  // Listed by the last set_peers(), and a validator of the epoch in force.
  bool listed() const { return listed_.load(std::memory_order_acquire); }
  bool validating() const { return validating_.load(std::memory_order_acquire); }
  // A key no longer listed is not dialled any more: its stream ends (at the latest when its next
  // keepalive write fails) and what waits for it is dropped; listed again, it is dialled again.
  void set_role(bool listed, bool validating) {
    validating_.store(validating, std::memory_order_release);
    if (listed_.exchange(listed, std::memory_order_acq_rel) == listed) return;
    std::lock_guard lock(mu_);
    if (!listed) {
      if (session_ != nullptr) session_->context.TryCancel();
      consensus_.clear();
      gossip_.clear();
    } else if (dormant_ && !stopping_) {
      dormant_ = false;
      boost::asio::post(timers_, [this] { connect(); });
    }
  }

  std::shared_ptr<grpc::Channel> channel() {
    std::lock_guard lock(mu_);
    if (!channel_) {
      channel_ = grpc::CreateCustomChannel(address_, net_.channel_credentials(),
                                           channel_args(net_.config_));
    }
    return channel_;
  }

 private:
  // One Peer.Connect call. It holds a hold from before StartCall until the link lets the call end
  // (a failed write, or stop()): without it gRPC could finish the call between two writes while
  // enqueue() is about to start one on it.
  class Session final : public grpc::ClientWriteReactor<PeerMessage> {
   public:
    explicit Session(Link& link) : link_(link), stub_(Peer::NewStub(link.channel())) {}

    void begin() {
      stub_->async()->Connect(&context, &ack_, this);
      AddHold();
      StartWrite(&outgoing);
      StartCall();
    }

    void OnWriteDone(bool ok) override { link_.on_write_done(*this, ok); }
    void OnDone(const grpc::Status& status) override {
      link_.on_session_done(std::unique_ptr<Session>(this), status);
    }

    grpc::ClientContext context;
    // The message being written: untouched from StartWrite until OnWriteDone.
    PeerMessage outgoing;
    std::size_t outgoing_messages = 0;  // 0 for the Hello and the idle keepalive

   private:
    Link& link_;
    std::unique_ptr<Peer::Stub> stub_;  // keeps the channel the call runs on
    Ack ack_;
  };

  // Runs on the timer thread: first at start(), then after each back-off.
  void connect() {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      if (!listed()) {
        dormant_ = true;  // set_role() dials again if the key is listed again
        return;
      }
    }
    auto session = std::make_unique<Session>(*this);
    session->outgoing = net_.make_hello();
    Session* started = nullptr;
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      session_ = session.get();
      session_up_ = false;
      writing_ = true;  // the Hello
      released_ = false;
      started = session.release();  // owned by gRPC until OnDone hands it back
    }
    started->begin();
  }

  void on_write_done(Session& session, bool ok) {
    bool write_next = false;
    bool release = false;
    {
      std::lock_guard lock(mu_);
      writing_ = false;
      if (ok) {
        if (!session_up_) {
          session_up_ = true;
          refusal_reported_ = false;
          if (!connected_.exchange(true)) {
            spdlog::info("peer {} at {}: connected", name_, address_);
            drop_stale_locked();
          }
        } else if (session.outgoing_messages > 0) {
          // An empty message is the idle keepalive: not traffic, so not counted.
          sent_.Increment(static_cast<double>(session.outgoing_messages));
        }
      }
      // A failed write means the call is over; its status arrives in OnDone once the hold goes.
      if (!ok || stopping_) {
        release = !released_;
        released_ = true;
      } else {
        write_next = prepare_write_locked(/*keepalive_due=*/false);
      }
    }
    if (write_next) session.StartWrite(&session.outgoing);
    if (release) session.RemoveHold();
  }

  void on_session_done(std::unique_ptr<Session> ended, const grpc::Status& status) {
    std::lock_guard lock(mu_);
    session_ = nullptr;
    session_up_ = false;
    writing_ = false;
    released_ = false;
    const bool was_connected = connected_.exchange(false);
    if (was_connected) down_since_ = std::chrono::steady_clock::now();
    if (!stopping_ && !listed()) {
      // The key left every set: not dialled again until set_role() lists it again.
      spdlog::debug("peer {} at {}: stream closed ({}); not linked any more", name_, address_, status.error_message());
      dormant_ = true;
    } else if (!stopping_) {
      if (status.error_code() == grpc::StatusCode::FAILED_PRECONDITION ||
          status.error_code() == grpc::StatusCode::PERMISSION_DENIED) {
        // Often passing (a peer that has not yet executed the change admitting this node's key),
        // so said once per refusal spell, then at debug on every retry.
        spdlog::log(refusal_reported_ ? spdlog::level::debug : spdlog::level::warn,
                    "peer {} at {} refused this node: {}", name_, address_, status.error_message());
        refusal_reported_ = true;
      } else if (was_connected) {
        spdlog::warn("peer {} at {}: stream closed ({}), reconnecting", name_, address_,
                     status.error_message());
      } else {
        spdlog::debug("peer {} at {}: not reachable ({})", name_, address_,
                      status.error_message());
      }
      if (was_connected) backoff_ms_ = kFirstBackoffMs;
      const std::chrono::milliseconds delay(backoff_ms_);
      backoff_ms_ = std::min(backoff_ms_ * 2, kMaxBackoffMs);
      boost::asio::post(timers_, [this, delay] {
        retry_timer_.expires_after(delay);
        retry_timer_.async_wait([this](const boost::system::error_code& ec) {
          if (!ec) connect();
        });
      });
    }
    // The call's context goes before stop() may return and the link with it.
    ended.reset();
    done_cv_.notify_all();
  }

  // Runs on the timer thread when the stream has been idle for kIdleKeepalive.
  void on_keepalive(std::uint64_t idle_epoch) {
    Session* write_on = nullptr;
    {
      std::lock_guard lock(mu_);
      if (idle_epoch != idle_epoch_ || !writable_locked()) return;
      if (prepare_write_locked(/*keepalive_due=*/true)) write_on = session_;
    }
    if (write_on != nullptr) write_on->StartWrite(&write_on->outgoing);
  }

  // True when a write may start now: the Hello went through, none is in flight, and the
  // session is not ending (so its hold keeps it alive until that write completes).
  bool writable_locked() const {
    return session_ != nullptr && session_up_ && !writing_ && !released_ && !stopping_;
  }

  // Fills the session's outgoing message with what is queued and marks a write in flight; with
  // nothing queued, that is an empty message if `keepalive_due`, else the link goes idle and
  // the keepalive timer starts. True if the caller is to start the write.
  bool prepare_write_locked(bool keepalive_due) {
    PeerMessage& out = session_->outgoing;
    out.Clear();
    const std::size_t messages = take_locked(out);
    ++idle_epoch_;  // whatever keepalive was armed is now stale
    if (messages == 0 && !keepalive_due) {
      // An idle stream still carries an empty message every second: a write is the only way
      // this side learns that the listener refused or dropped the stream.
      boost::asio::post(timers_, [this, epoch = idle_epoch_] {
        keepalive_timer_.expires_after(kIdleKeepalive);
        keepalive_timer_.async_wait([this, epoch](const boost::system::error_code& ec) {
          if (!ec) on_keepalive(epoch);
        });
      });
      return false;
    }
    session_->outgoing_messages = messages;
    writing_ = true;
    return true;
  }

  // A peer that was away longer than kStaleAfter finds the chain moved on: what was queued for it
  // is about heights it will fetch by state transfer (certified blocks, no signatures to check
  // twice), and replaying the queue first only delays that. Dropping it is what a lossy network
  // does, which the protocol tolerates (the engine re-sends what still matters).
  void drop_stale_locked() {
    const auto away = std::chrono::steady_clock::now() - down_since_;
    const std::size_t queued = consensus_.size() + gossip_.size();
    if (away < kStaleAfter || queued == 0) return;
    spdlog::info("peer {} at {}: back after {} ms; dropping the {} messages queued meanwhile "
                 "(it catches up by state transfer)",
                 name_, address_,
                 std::chrono::duration_cast<std::chrono::milliseconds>(away).count(), queued);
    dropped_.Increment(static_cast<double>(queued));
    stale_.Increment(static_cast<double>(queued));
    consensus_.clear();
    gossip_.clear();
  }

  // Moves what is queued into `out`: a lone message as it is, several as one Bundle (gossip
  // first), at most about half the peer's message limit in bytes. Returns how many messages.
  std::size_t take_locked(PeerMessage& out) {
    const std::size_t total = consensus_.size() + gossip_.size();
    if (total == 0) return 0;
    if (total == 1) {
      auto& q = gossip_.empty() ? consensus_ : gossip_;
      out = std::move(q.front());
      q.pop_front();
      return 1;
    }
    const std::size_t budget = net_.config_.max_message_bytes / 2;
    std::size_t bytes = 0, taken = 0;
    peer::Bundle* bundle = out.mutable_bundle();
    while (!gossip_.empty() && (taken == 0 || bytes + gossip_.front().ByteSizeLong() <= budget)) {
      bytes += gossip_.front().ByteSizeLong();
      *bundle->add_txs() = std::move(*gossip_.front().mutable_txs());
      gossip_.pop_front();
      ++taken;
    }
    while (!consensus_.empty() && (taken == 0 || bytes + consensus_.front().ByteSizeLong() <= budget)) {
      bytes += consensus_.front().ByteSizeLong();
      *bundle->add_consensus() = std::move(*consensus_.front().mutable_consensus());
      consensus_.pop_front();
      ++taken;
    }
    return taken;
  }

  PeerNetwork& net_;
  const std::uint32_t id_;
  const std::string public_key_;
  const std::string address_;
  const std::string name_;
  std::atomic<bool> listed_{false};
  std::atomic<bool> validating_{false};
  prometheus::Counter& dropped_;
  prometheus::Counter& sent_;
  prometheus::Counter& stale_;
  std::mutex mu_;
  std::condition_variable done_cv_;  // session_ became null
  std::deque<PeerMessage> consensus_;
  std::deque<PeerMessage> gossip_;
  bool stopping_ = false;
  std::shared_ptr<grpc::Channel> channel_;
  std::atomic<bool> connected_{false};
  std::chrono::steady_clock::time_point down_since_ = std::chrono::steady_clock::now();
  std::uint64_t backoff_ms_ = kFirstBackoffMs;
  bool refusal_reported_ = false;  // since the last time the stream was up
  bool dormant_ = false;           // not dialling: the key is not listed

  // The current call, from connect() until its OnDone; at most one at a time.
  Session* session_ = nullptr;
  bool session_up_ = false;  // its Hello was written
  bool writing_ = false;     // a write is in flight on it
  bool released_ = false;    // its hold is gone: it is ending, nothing more is written
  // Counts the link's transitions between idle and writing; a keepalive armed in one idle spell
  // does nothing in a later one.
  std::uint64_t idle_epoch_ = 0;

  // Touched only on the timer thread.
  boost::asio::io_context& timers_;
  boost::asio::steady_timer retry_timer_;
  boost::asio::steady_timer keepalive_timer_;
};

// ---------------------------------------------------------------------------------------------
// Inbound side.

// One peer's inbound stream, as a gRPC callback reactor: no thread waits on an open
// stream. A message is taken apart on a gRPC callback thread; gossiped transactions go to the
// verification pool, and only once they are in does the stream hand on the consensus envelopes
// that came after them and read its next message. So gossip reaches the mempool before the
// proposal that carries it (that proposal's transactions are then not verified again), a
// callback thread never waits for verification, and a peer that gossips faster than this node
// verifies is slowed by HTTP/2 flow control instead of growing this node's memory.
//
// At most one read or one verification is outstanding at a time, so the reactions never run
// concurrently with each other. A cancelled stream (penalize(), shutdown, the peer gone) ends at
// its next read, which fails; the stream is finished exactly once, and deletes itself in OnDone.
class PeerNetwork::InboundStream final : public grpc::ServerReadReactor<PeerMessage> {
 public:
  InboundStream(PeerNetwork& net, grpc::CallbackServerContext* context, prometheus::Counter& rejected,
                prometheus::Counter& received)
      : net_(net), context_(context), rejected_(rejected), received_(received) {
    StartRead(&msg_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status::OK);
      return;
    }
    if (!from_) {
      if (grpc::Status s = accept(msg_.kind_case() == PeerMessage::kHello ? &msg_.hello() : nullptr); !s.ok()) {
        rejected_.Increment();
        Finish(std::move(s));
        return;
      }
      spdlog::debug("peer {} connected from {}", *from_, context_->peer());
      StartRead(&msg_);
      return;
    }
    if (msg_.kind_case() != PeerMessage::KIND_NOT_SET) received_.Increment();  // else a keepalive
    if (grpc::Status s = take(msg_); !s.ok()) {
      rejected_.Increment();
      Finish(std::move(s));
    }
  }

  void OnDone() override {
    if (from_) {
      std::lock_guard lock(net_.penalty_mu_);
      net_.inbound_[*from_].erase(context_);
    }
    delete this;
  }

 private:
  // The Hello: chain id, genesis, the dialer's key and its signature. On success the stream is
  // registered with penalize(), under the same lock that checks for a ban.
  grpc::Status accept(const Hello* hello) {
    if (hello == nullptr) {
      return {grpc::StatusCode::INVALID_ARGUMENT, "the first message on a peer stream must be Hello"};
    }
    const PeerIdentity& id = net_.identity_;
    if (hello->chain_id() != id.chain_id) {
      spdlog::warn("refused a peer from {}: chain '{}' is not ours ('{}')", context_->peer(),
                   hello->chain_id(), id.chain_id);
      return {grpc::StatusCode::FAILED_PRECONDITION,
              "chain id mismatch: this node serves '" + id.chain_id + "', you sent '" + hello->chain_id() + "'"};
    }
    const std::string key_hex = crypto::to_hex(hello->public_key());
    if (hello->genesis_hash() != id.genesis_hash) {
      spdlog::warn("refused key {} from {}: genesis {} is not ours ({})", key_hex, context_->peer(),
                   crypto::to_hex(hello->genesis_hash()), crypto::to_hex(id.genesis_hash));
      return {grpc::StatusCode::FAILED_PRECONDITION,
              "genesis mismatch: this node's genesis hash is " + crypto::to_hex(id.genesis_hash) +
                  ", yours is " + crypto::to_hex(hello->genesis_hash()) +
                  "; every validator must start from the same genesis.json"};
    }
    if (hello->public_key().size() != 32) {
      return {grpc::StatusCode::INVALID_ARGUMENT, "hello carries no 32-byte public key"};
    }
    const auto digest = crypto::tagged_hash(
        crypto::kHelloTag,
        hello_signing_bytes(hello->chain_id(), hello->genesis_hash(), hello->public_key(), hello->nonce()));
    if (!crypto::verify(hello->public_key(), digest, hello->signature())) {
      spdlog::warn("refused a peer from {} claiming key {}: bad hello signature", context_->peer(), key_hex);
      return {grpc::StatusCode::PERMISSION_DENIED, "hello is not signed by the key it names (" + key_hex + ")"};
    }
    auto from = net_.admit(hello->public_key());
    if (!from) {
      spdlog::debug("refused key {} from {}: {}", key_hex, context_->peer(), from.status().message());
      return {grpc::StatusCode::PERMISSION_DENIED, from.status().message()};
    }
    std::lock_guard lock(net_.penalty_mu_);
    if (auto left = net_.penalties_.banned_for(*from, steady_ms())) {
      return {grpc::StatusCode::PERMISSION_DENIED,
              "validator " + key_hex + " is disconnected for another " +
                  std::to_string((*left + 999) / 1000) + " s after provable misbehaviour: " +
                  net_.penalties_.reason(*from)};
    }
    net_.inbound_[*from].insert(context_);
    from_ = *from;
    return grpc::Status::OK;
  }

  // Hands one message on and reads the next one, now or once its transactions are verified.
  grpc::Status take(PeerMessage& msg) {
    const std::uint32_t from = *from_;
    std::vector<SignedTransaction> txs;
    std::vector<consensus::Envelope> envelopes;
    switch (msg.kind_case()) {
      case PeerMessage::kConsensus:
        envelopes.push_back(std::move(*msg.mutable_consensus()));
        break;
      case PeerMessage::kTxs:
        for (auto& t : *msg.mutable_txs()->mutable_transactions()) txs.push_back(std::move(t));
        break;
      case PeerMessage::kBundle:
        for (auto& batch : *msg.mutable_bundle()->mutable_txs()) {
          for (auto& t : *batch.mutable_transactions()) txs.push_back(std::move(t));
        }
        for (auto& e : *msg.mutable_bundle()->mutable_consensus()) envelopes.push_back(std::move(e));
        break;
      default:
        break;  // a keepalive, or a kind this version does not know
    }
    for (const auto& e : envelopes) {
      // The stream is one key's, and in one epoch a key has one index: an envelope naming another
      // index than the stream's earlier ones is forged, and nothing of its message is handed on.
      // (The node checks that the index is the key's.)
      auto [named, fresh] = named_.emplace(e.epoch(), e.validator());
      if (!fresh && named->second != e.validator()) {
        return {grpc::StatusCode::PERMISSION_DENIED,
                "a consensus message names validator " + std::to_string(e.validator()) + " on validator " +
                    std::to_string(named->second) + "'s stream (epoch " + std::to_string(e.epoch()) + ")"};
      }
      if (named_.size() > 4) named_.erase(named_.begin());
    }
    if (txs.empty()) {
      hand_on(std::move(envelopes));
      return grpc::Status::OK;
    }
    // The shared_ptr keeps the callable copyable, as std::function wants, without copying them.
    auto after = std::make_shared<std::vector<consensus::Envelope>>(std::move(envelopes));
    net_.handlers_.on_transactions(from, std::move(txs), [this, after] { hand_on(std::move(*after)); });
    return grpc::Status::OK;
  }

  void hand_on(std::vector<consensus::Envelope> envelopes) {
    for (auto& e : envelopes) net_.handlers_.on_consensus(*from_, std::move(e));
    StartRead(&msg_);
  }

  PeerNetwork& net_;
  grpc::CallbackServerContext* const context_;
  prometheus::Counter& rejected_;
  prometheus::Counter& received_;
  PeerMessage msg_;
  std::optional<std::uint32_t> from_;  // set once its Hello is accepted
  std::map<std::uint64_t, std::uint32_t> named_;  // epoch -> the validator index its envelopes name
};

class PeerNetwork::Service final : public Peer::WithCallbackMethod_Connect<Peer::Service> {
 public:
  explicit Service(PeerNetwork& net)
      : net_(net),
        rejected_(net.metrics_.counter("sharechain_peer_rejected_streams_total",
                                       "Inbound peer streams refused (bad hello, wrong chain or genesis)")),
        received_(net.metrics_.counter("sharechain_peer_received_messages_total",
                                       "Messages received from peers")) {}

  grpc::ServerReadReactor<PeerMessage>* Connect(grpc::CallbackServerContext* context, Ack*) override {
    return new InboundStream(net_, context, rejected_, received_);
  }

  grpc::Status GetBlocks(grpc::ServerContext* context, const GetBlocksRequest* request,
                         grpc::ServerWriter<Block>* writer) override {
    constexpr std::uint64_t kMaxPerCall = 1000;
    const std::uint64_t top = net_.handlers_.height();
    std::uint64_t to = request->to_height() == 0 ? top : std::min(request->to_height(), top);
    if (request->from_height() == 0) {
      return {grpc::StatusCode::INVALID_ARGUMENT, "from_height starts at 1"};
    }
    to = std::min(to, request->from_height() + kMaxPerCall - 1);
    for (std::uint64_t h = request->from_height(); h <= to && !context->IsCancelled(); ++h) {
      auto block = net_.handlers_.block_at(h);
      if (!block) break;
      if (!writer->Write(*block)) break;
    }
    return grpc::Status::OK;
  }

  grpc::Status GetHistory(grpc::ServerContext* context, const GetHistoryRequest* request,
                          grpc::ServerWriter<peer::HistoryEntry>* writer) override {
    // Bounded per call so one backfilling peer cannot hold a serving thread for long; it asks
    // again from where this stopped.
    constexpr std::uint64_t kMaxEntries = 512;
    constexpr std::size_t kMaxBytes = 32 << 20;
    if (request->from_height() == 0 || request->to_height() < request->from_height()) {
      return {grpc::StatusCode::INVALID_ARGUMENT,
              "GetHistory wants 1 <= from_height <= to_height, got " +
                  std::to_string(request->from_height()) + ".." +
                  std::to_string(request->to_height())};
    }
    std::size_t bytes = 0;
    std::uint64_t sent = 0;
    for (std::uint64_t h = request->to_height();
         h >= request->from_height() && sent < kMaxEntries && bytes < kMaxBytes &&
         !context->IsCancelled();
         --h) {
      auto entry = net_.handlers_.history_entry(h);
      if (!entry) break;
      peer::HistoryEntry out;
      out.set_height(entry->height);
      *out.mutable_block() = std::move(entry->block);
      for (auto& r : entry->receipts) out.add_receipts(std::move(r));
      out.set_previous_history(crypto::hash_bytes(entry->previous_history));
      out.set_previous_state_root(crypto::hash_bytes(entry->previous_state_root));
      bytes += out.ByteSizeLong();
      if (!writer->Write(out)) break;
      ++sent;
    }
    return grpc::Status::OK;
  }

  grpc::Status GetSnapshot(grpc::ServerContext* context, const GetSnapshotRequest* request,
                           grpc::ServerWriter<SnapshotChunk>* writer) override {
    // Pages stay well under the peer message limit.
    constexpr std::size_t kChunkBytes = 1 << 20;
    auto served = net_.handlers_.snapshot ? net_.handlers_.snapshot() : nullptr;
    if (!served) {
      return {grpc::StatusCode::NOT_FOUND, "this node holds no stable-checkpoint snapshot yet"};
    }
    if (served->state->height() < request->min_height()) {
      return {grpc::StatusCode::NOT_FOUND,
              "this node's latest snapshot is at height " + std::to_string(served->state->height()) +
                  ", below the requested " + std::to_string(request->min_height())};
    }
    SnapshotChunk first;
    first.set_height(served->state->height());
    first.set_state_root(crypto::hash_bytes(served->state->state_root()));
    first.set_block(served->block.SerializeAsString());
    first.set_checkpoint_proof(served->checkpoint_proof);
    first.set_timestamp_ms(served->state->timestamp_ms());
    std::optional<std::string> from = std::string();
    bool wrote_first = false;
    while (from && !context->IsCancelled()) {
      auto page = served->state->chunk(*from, kChunkBytes);
      SnapshotChunk chunk = wrote_first ? SnapshotChunk() : first;
      chunk.set_height(served->state->height());
      for (auto& [k, v] : page.entries) {
        auto* e = chunk.add_entries();
        e->set_key(std::move(k));
        e->set_value(std::move(v));
      }
      from = std::move(page.next);
      chunk.set_last(!from);
      if (!writer->Write(chunk)) break;
      wrote_first = true;
    }
    return grpc::Status::OK;
  }

 private:
  PeerNetwork& net_;
  prometheus::Counter& rejected_;
  prometheus::Counter& received_;
};

// ---------------------------------------------------------------------------------------------

PeerNetwork::PeerNetwork(const Config& config, PeerIdentity identity, const crypto::PrivateKey& key,
                         Metrics& metrics, PeerHandlers handlers)
    : config_(config), identity_(std::move(identity)), key_(key), public_key_(key.public_key()),
      metrics_(metrics),
      handlers_(std::move(handlers)) {}

PeerNetwork::~PeerNetwork() { stop(); }

std::shared_ptr<grpc::ChannelCredentials> PeerNetwork::channel_credentials() const {
  if (!config_.tls) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = read_text(config_.tls_ca);
  options.pem_cert_chain = read_text(config_.tls_cert);
  options.pem_private_key = read_text(config_.tls_key);
  return grpc::SslCredentials(options);
}

PeerMessage PeerNetwork::make_hello() {
  PeerMessage msg;
  Hello* hello = msg.mutable_hello();
  hello->set_chain_id(identity_.chain_id);
  hello->set_genesis_hash(identity_.genesis_hash);
  hello->set_public_key(public_key_);
  hello->set_nonce(++hello_nonce_);
  hello->set_signature(key_.sign(crypto::tagged_hash(
      crypto::kHelloTag,
      hello_signing_bytes(identity_.chain_id, identity_.genesis_hash, public_key_, hello->nonce()))));
  return msg;
}

Status PeerNetwork::start() {
  service_ = std::make_unique<Service>(*this);
  grpc::ServerBuilder builder;
  std::shared_ptr<grpc::ServerCredentials> creds = grpc::InsecureServerCredentials();
  if (config_.tls) {
    for (const auto& p : {config_.tls_ca, config_.tls_cert, config_.tls_key}) {
      if (!std::filesystem::exists(p)) {
        return Status::not_found("TLS file " + p.string() + " does not exist (see [p2p] in " +
                                 config_.config_file.string() + ")");
      }
    }
    grpc::SslServerCredentialsOptions options(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    options.pem_root_certs = read_text(config_.tls_ca);
    options.pem_key_cert_pairs.push_back({read_text(config_.tls_key), read_text(config_.tls_cert)});
    creds = grpc::SslServerCredentials(options);
  }
  int port = 0;
  builder.AddListeningPort(config_.p2p_listen, creds, &port);
  builder.RegisterService(service_.get());
  builder.SetMaxReceiveMessageSize(static_cast<int>(config_.max_message_bytes));
  builder.SetMaxSendMessageSize(static_cast<int>(config_.max_message_bytes));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 5000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  server_ = builder.BuildAndStart();
  if (!server_ || port == 0) {
    return Status::unavailable("cannot listen for peers on " + config_.p2p_listen +
                               " (address in use or not local?)");
  }
  return Status::ok();
}

void PeerNetwork::stop() {
  std::vector<Link*> links;
  {
    std::lock_guard lock(links_mu_);
    stopped_ = true;
    for (auto& link : links_) links.push_back(link.get());
  }
  for (Link* link : links) link->stop();
  if (link_timers_) link_timers_->halt();
  // The links themselves stay until the network is destroyed: the consensus thread may still
  // send while the node shuts down (a stopped link queues and never writes). Their timers go
  // before the io_context they belong to (links_ is declared after link_timers_).
  if (server_) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    server_.reset();
  }
}

void PeerNetwork::set_peers(const std::vector<PeerEntry>& peers) {
  std::vector<Link*> started;
  {
    std::lock_guard lock(links_mu_);
    if (stopped_) return;
    std::vector<bool> listed(links_.size(), false);
    for (const PeerEntry& p : peers) {
      if (p.public_key == public_key_) continue;
      auto it = ids_.find(p.public_key);
      if (it == ids_.end()) {
        if (!link_timers_) link_timers_ = std::make_unique<LinkTimers>();
        const auto id = static_cast<std::uint32_t>(links_.size());
        links_.push_back(std::make_unique<Link>(*this, id, p.public_key, p.address, link_timers_->io()));
        ids_.emplace(p.public_key, id);
        listed.push_back(false);
        started.push_back(links_.back().get());
        spdlog::info("peer {}: {} at {}", peer_name(id, p.public_key), p.validating ? "validator" : "joining validator",
                     p.address.empty() ? std::string("(no address)") : p.address);
        it = ids_.find(p.public_key);
      }
      listed[it->second] = true;
      links_[it->second]->set_role(true, p.validating);
    }
    for (std::size_t i = 0; i < links_.size(); ++i) {
      if (!listed[i] && links_[i]->listed()) {
        spdlog::info("peer {} is in no validator set any more: its streams are closed",
                     peer_name(links_[i]->id(), links_[i]->public_key()));
        links_[i]->set_role(false, false);
        // Its open streams go too: reconnecting, it hears why it is refused.
        std::lock_guard penalty_lock(penalty_mu_);
        for (grpc::ServerContextBase* context : inbound_[links_[i]->id()]) context->TryCancel();
      }
    }
  }
  for (Link* link : started) link->start();
}

std::optional<std::uint32_t> PeerNetwork::peer_id(const std::string& public_key) const {
  std::lock_guard lock(links_mu_);
  auto it = ids_.find(public_key);
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

std::string PeerNetwork::public_key_of(std::uint32_t peer) const {
  std::lock_guard lock(links_mu_);
  return peer < links_.size() ? links_[peer]->public_key() : std::string();
}

Result<std::uint32_t> PeerNetwork::admit(const std::string& public_key) const {
  if (public_key == public_key_) {
    return Status::permission_denied("that is this node's own key: two nodes run with the same node key");
  }
  std::lock_guard lock(links_mu_);
  auto it = ids_.find(public_key);
  if (it == ids_.end() || !links_[it->second]->listed()) {
    return Status::permission_denied(
        "public key " + crypto::to_hex(public_key) +
        " is not a validator of this chain as this node knows it (neither in the set in force nor in "
        "one waiting for its switch height); a validator whose key was rotated must restart with its "
        "new key, a removed one no longer takes part, and a new one connects once the chain admits it");
  }
  return it->second;
}

void PeerNetwork::penalize(std::uint32_t peer, const std::string& reason) {
  std::uint64_t ban = 0;
  {
    std::lock_guard lock(penalty_mu_);
    const std::uint64_t now = steady_ms();
    if (penalties_.banned_for(peer, now)) return;  // already disconnected
    ban = penalties_.penalize(peer, now, reason);
    any_penalty_.store(true, std::memory_order_release);
    for (grpc::ServerContextBase* context : inbound_[peer]) context->TryCancel();
  }
  metrics_.counter("sharechain_peer_penalties_total",
                   "Validators disconnected for provable misbehaviour")
      .Increment();
  spdlog::warn("disconnected peer {} for {} s: {}", peer_name(peer, public_key_of(peer)), ban / 1000, reason);
}

std::optional<std::uint64_t> PeerNetwork::banned_for(std::uint32_t peer) const {
  if (!any_penalty_.load(std::memory_order_acquire)) return std::nullopt;
  std::lock_guard lock(penalty_mu_);
  return penalties_.banned_for(peer, steady_ms());
}

std::string PeerNetwork::ban_reason(std::uint32_t peer) const {
  std::lock_guard lock(penalty_mu_);
  return penalties_.reason(peer);
}

void PeerNetwork::send(std::uint32_t to, const consensus::Envelope& envelope) {
  Link* link = link_to(to);
  if (link == nullptr || !link->listed() || banned_for(to)) return;
  PeerMessage msg;
  *msg.mutable_consensus() = envelope;
  link->enqueue(std::move(msg));
}

void PeerNetwork::broadcast(const consensus::Envelope& envelope) {
  PeerMessage msg;
  *msg.mutable_consensus() = envelope;
  std::lock_guard lock(links_mu_);
  for (auto& link : links_) {
    if (link->validating() && !banned_for(link->id())) link->enqueue(msg);
  }
}

void PeerNetwork::gossip(const std::vector<SignedTransaction>& txs) {
  if (txs.empty()) return;
  PeerMessage msg;
  for (const auto& tx : txs) *msg.mutable_txs()->add_transactions() = tx;
  std::lock_guard lock(links_mu_);
  for (auto& link : links_) {
    if (link->validating() && !banned_for(link->id())) link->enqueue(msg);
  }
}

std::vector<PeerNetwork::LinkStatus> PeerNetwork::status() const {
  std::vector<LinkStatus> out;
  std::lock_guard lock(links_mu_);
  for (const auto& link : links_) {
    if (!link->listed()) continue;
    out.push_back({link->id(), link->public_key(), link->address(), link->connected(), link->validating()});
  }
  return out;
}

std::size_t PeerNetwork::connected_peers() const {
  std::size_t n = 0;
  std::lock_guard lock(links_mu_);
  for (const auto& link : links_) n += link->listed() && link->connected() ? 1 : 0;
  return n;
}

PeerNetwork::Link* PeerNetwork::link_to(std::uint32_t peer) const {
  std::lock_guard lock(links_mu_);
  return peer < links_.size() ? links_[peer].get() : nullptr;
}

Result<std::vector<Block>> PeerNetwork::fetch_blocks(std::uint32_t peer, std::uint64_t from,
                                                     std::uint64_t to) {
  Link* link = link_to(peer);
  if (link == nullptr) return Status::not_found("no link to peer " + std::to_string(peer));
  auto stub = Peer::NewStub(link->channel());
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  GetBlocksRequest request;
  request.set_from_height(from);
  request.set_to_height(to);
  auto reader = stub->GetBlocks(&context, request);
  std::vector<Block> out;
  Block block;
  while (reader->Read(&block)) out.push_back(std::move(block));
  const grpc::Status status = reader->Finish();
  if (!status.ok() && out.empty()) {
    return Status::unavailable("fetching blocks from peer " + std::to_string(peer) +
                               " failed: " + status.error_message());
  }
  return out;
}


Result<std::size_t> PeerNetwork::fetch_history(
    std::uint32_t peer, std::uint64_t from, std::uint64_t to,
    const std::function<bool(storage::HistoryEntry)>& on_entry) {
  Link* link = link_to(peer);
  if (link == nullptr) return Status::not_found("no link to peer " + std::to_string(peer));
  auto stub = Peer::NewStub(link->channel());
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  GetHistoryRequest request;
  request.set_from_height(from);
  request.set_to_height(to);
  auto reader = stub->GetHistory(&context, request);
  std::size_t count = 0;
  peer::HistoryEntry in;
  while (reader->Read(&in)) {
    storage::HistoryEntry e;
    e.height = in.height();
    e.block = std::move(*in.mutable_block());
    e.receipts.assign(std::make_move_iterator(in.mutable_receipts()->begin()),
                      std::make_move_iterator(in.mutable_receipts()->end()));
    auto previous_history = crypto::hash_from_bytes(in.previous_history());
    auto previous_root = crypto::hash_from_bytes(in.previous_state_root());
    if (!previous_history || !previous_root) {
      context.TryCancel();
      return Status::invalid_argument("peer " + std::to_string(peer) +
                                      " sent a history entry whose anchors are not 32 bytes");
    }
    e.previous_history = *previous_history;
    e.previous_state_root = *previous_root;
    ++count;
    if (!on_entry(std::move(e))) {
      context.TryCancel();
      break;
    }
  }
  const grpc::Status status = reader->Finish();
  if (!status.ok() && count == 0 && status.error_code() != grpc::StatusCode::CANCELLED) {
    return Status::unavailable("fetching history from peer " + std::to_string(peer) +
                               " failed: " + status.error_message());
  }
  return count;
}

Result<FetchedSnapshot> PeerNetwork::fetch_snapshot(std::uint32_t peer, std::uint64_t min_height) {
  Link* link = link_to(peer);
  if (link == nullptr) return Status::not_found("no link to peer " + std::to_string(peer));
  auto stub = Peer::NewStub(link->channel());
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(5));
  GetSnapshotRequest request;
  request.set_min_height(min_height);
  auto reader = stub->GetSnapshot(&context, request);
  FetchedSnapshot out;
  SnapshotChunk chunk;
  bool first = true;
  bool complete = false;
  while (reader->Read(&chunk)) {
    if (first) {
      out.height = chunk.height();
      out.timestamp_ms = chunk.timestamp_ms();
      out.state_root = chunk.state_root();
      if (!out.block.ParseFromString(chunk.block()) || !out.proof.ParseFromString(chunk.checkpoint_proof())) {
        context.TryCancel();
        return Status::invalid_argument("peer " + std::to_string(peer) +
                                        " sent a snapshot whose block or checkpoint proof does not decode");
      }
      first = false;
    } else if (chunk.height() != out.height) {
      context.TryCancel();
      return Status::invalid_argument("peer " + std::to_string(peer) +
                                      " changed the snapshot height mid-stream");
    }
    for (auto& e : *chunk.mutable_entries()) {
      out.entries.emplace_back(std::move(*e.mutable_key()), std::move(*e.mutable_value()));
    }
    complete = chunk.last();
  }
  const grpc::Status status = reader->Finish();
  if (!status.ok()) {
    return Status::unavailable("snapshot from peer " + std::to_string(peer) + ": " +
                               status.error_message());
  }
  if (first || !complete) {
    return Status::unavailable("snapshot from peer " + std::to_string(peer) + " ended early");
  }
  return out;
}

}  // namespace sharechain::node
