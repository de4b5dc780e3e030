// Outbound peer links between two in-process PeerNetworks (validators 0 and 1 of a two-key
// identity), with no node around them:
//   - what validator 0 queues while validator 1 is not up yet reaches it once it is (away less
//     than 3 s), then everything sent arrives complete and in order, gossip included
//   - when validator 1 stops, the link notices without any traffic (its idle keepalive fails) and
//     shows disconnected; messages queued for a peer that is away longer than 3 s are dropped
//     when it comes back, and what is sent afterwards arrives
//   - stop() returns promptly whether the peer is connected or was never reachable
//   - on the receiving side, what follows gossip on a stream waits until the gossip is taken
//     (verified into the mempool): nothing after it is handed on or read before; a stream
//     cancelled meanwhile (a penalty) ends cleanly once the gossip is taken
#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "node/config.hpp"
#include "node/metrics.hpp"
#include "node/peer_network.hpp"
#include "proto/crypto.hpp"

using namespace sharechain;
using namespace std::chrono_literals;

namespace {

constexpr int kFirstPort = 27300;

std::string address(int port) { return "127.0.0.1:" + std::to_string(port); }

// One validator's peer network and what reached it.
class PeerEnd {
 public:
  PeerEnd(std::uint32_t self, const std::vector<crypto::PrivateKey>& keys, int listen_port,
            std::vector<node::PeerAddress> peers)
      : key_(keys.at(self)) {
    config_.p2p_listen = address(listen_port);
    // Every other key is listed: dialled where `peers` says it listens, else only let in.
    for (std::uint32_t v = 0; v < keys.size(); ++v) {
      if (v == self) continue;
      node::PeerEntry entry{keys[v].public_key(), "", true};
      for (const auto& p : peers) {
        if (p.validator == v) entry.address = p.address;
      }
      entries_.push_back(std::move(entry));
      keys_.push_back(keys[v].public_key());
    }
    keys_.insert(keys_.begin() + self, key_.public_key());
    node::PeerIdentity identity{"link-test", std::string(32, '\x07')};
    node::PeerHandlers handlers;
    handlers.on_consensus = [this](std::uint32_t, consensus::Envelope envelope) {
      std::lock_guard lock(mu_);
      payloads_.push_back(envelope.payload());
    };
    handlers.on_transactions = [this](std::uint32_t, std::vector<SignedTransaction> txs,
                                      std::function<void()> done) {
      {
        std::lock_guard lock(mu_);
        transactions_ += txs.size();
        if (holding_) {
          held_.push_back(std::move(done));  // as if verification were slow
          return;
        }
      }
      done();
    };
    handlers.block_at = [](std::uint64_t) { return std::optional<Block>{}; };
    handlers.height = [] { return std::uint64_t{0}; };
    handlers.history_entry = [](std::uint64_t) { return std::optional<storage::HistoryEntry>{}; };
    handlers.snapshot = [] { return std::shared_ptr<const node::ServedSnapshot>{}; };
    network_ = std::make_unique<node::PeerNetwork>(config_, identity, key_, metrics_, std::move(handlers));
  }

  // A stream waiting for held gossip would keep the server's shutdown waiting for it.
  ~PeerEnd() { release_gossip(); }

  node::PeerNetwork& network() { return *network_; }
  Status start() {
    if (Status s = network_->start(); !s) return s;
    network_->set_peers(entries_);
    return Status::ok();
  }
  // The peer number this end's network gives validator `v`.
  std::uint32_t id(std::uint32_t v) { return network_->peer_id(keys_.at(v)).value(); }
  std::vector<std::string> payloads() {
    std::lock_guard lock(mu_);
    return payloads_;
  }
  std::size_t transactions() {
    std::lock_guard lock(mu_);
    return transactions_;
  }
  // While holding, gossiped transactions are counted but not yet taken.
  void hold_gossip() {
    std::lock_guard lock(mu_);
    holding_ = true;
  }
  void release_gossip() {
    std::vector<std::function<void()>> held;
    {
      std::lock_guard lock(mu_);
      holding_ = false;
      held.swap(held_);
    }
    for (auto& done : held) done();
  }

 private:
  node::Config config_;
  crypto::PrivateKey key_;
  std::vector<node::PeerEntry> entries_;
  std::vector<std::string> keys_;  // by validator index
  node::Metrics metrics_;
  std::mutex mu_;
  std::vector<std::string> payloads_;
  std::size_t transactions_ = 0;
  bool holding_ = false;
  std::vector<std::function<void()>> held_;
  std::unique_ptr<node::PeerNetwork> network_;
};

consensus::Envelope envelope(const std::string& payload) {
  consensus::Envelope e;
  e.set_validator(0);
  e.set_payload(payload);
  return e;
}

template <class Predicate>
bool eventually(Predicate done, std::chrono::milliseconds within) {
  const auto until = std::chrono::steady_clock::now() + within;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

std::vector<std::string> numbered(const std::string& prefix, int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

}  // namespace

TEST_CASE("a link delivers in order, notices a peer leave, and drops what went stale") {
  const std::vector<crypto::PrivateKey> keys{crypto::PrivateKey::generate(), crypto::PrivateKey::generate()};
  const int port0 = kFirstPort, port1 = kFirstPort + 1;
  PeerEnd sender(0, keys, port0, {{1, address(port1)}});
  REQUIRE(sender.start().is_ok());
  // Queued before the peer listens: kept, since it shows up well within 3 s.
  for (const auto& p : numbered("early-", 0, 5)) sender.network().send(sender.id(1), envelope(p));

  auto receiver = std::make_unique<PeerEnd>(1, keys, port1, std::vector<node::PeerAddress>{});
  REQUIRE(receiver->start().is_ok());
  REQUIRE(eventually([&] { return sender.network().connected_peers() == 1; }, 5s));
  REQUIRE(eventually([&] { return receiver->payloads().size() == 5; }, 5s));
  CHECK(receiver->payloads() == numbered("early-", 0, 5));

  // A burst much faster than one write each: all of it arrives, in order.
  for (const auto& p : numbered("burst-", 0, 2000)) sender.network().broadcast(envelope(p));
  sender.network().gossip(std::vector<SignedTransaction>(3));
  REQUIRE(eventually([&] { return receiver->payloads().size() == 2005; }, 10s));
  auto expected = numbered("early-", 0, 5);
  for (const auto& p : numbered("burst-", 0, 2000)) expected.push_back(p);
  CHECK(receiver->payloads() == expected);
  CHECK(eventually([&] { return receiver->transactions() == 3; }, 5s));
  // Idle for longer than the keepalive period: the link stays up.
  std::this_thread::sleep_for(2500ms);
  CHECK(sender.network().connected_peers() == 1);

  // The peer leaves while the link is idle: its keepalive write fails, nothing else tells it.
  receiver->network().stop();
  receiver.reset();
  REQUIRE(eventually([&] { return sender.network().connected_peers() == 0; }, 5s));
  for (const auto& p : numbered("stale-", 0, 3)) sender.network().send(sender.id(1), envelope(p));
  std::this_thread::sleep_for(3500ms);

  receiver = std::make_unique<PeerEnd>(1, keys, port1, std::vector<node::PeerAddress>{});
  REQUIRE(receiver->start().is_ok());
  REQUIRE(eventually([&] { return sender.network().connected_peers() == 1; }, 10s));
  sender.network().send(sender.id(1), envelope("fresh"));
  REQUIRE(eventually([&] { return !receiver->payloads().empty(); }, 5s));
  std::this_thread::sleep_for(200ms);
  CHECK(receiver->payloads() == std::vector<std::string>{"fresh"});

  const auto stopping = std::chrono::steady_clock::now();
  sender.network().stop();
  CHECK(std::chrono::steady_clock::now() - stopping < 1s);
  receiver->network().stop();
}

TEST_CASE("stop() returns promptly with a peer that never answered") {
  const std::vector<crypto::PrivateKey> keys{crypto::PrivateKey::generate(), crypto::PrivateKey::generate()};
  PeerEnd lonely(0, keys, kFirstPort + 2, {{1, address(kFirstPort + 3)}});
  REQUIRE(lonely.start().is_ok());
  for (const auto& p : numbered("unsent-", 0, 10)) lonely.network().send(lonely.id(1), envelope(p));
  std::this_thread::sleep_for(700ms);  // a few attempts and back-offs
  CHECK(lonely.network().connected_peers() == 0);
  const auto stopping = std::chrono::steady_clock::now();
  lonely.network().stop();
  CHECK(std::chrono::steady_clock::now() - stopping < 1s);
}

TEST_CASE("what follows gossip on a stream waits until the gossip is taken") {
  const std::vector<crypto::PrivateKey> keys{crypto::PrivateKey::generate(), crypto::PrivateKey::generate()};
  const int port0 = kFirstPort + 4, port1 = kFirstPort + 5;
  PeerEnd receiver(1, keys, port1, {});
  REQUIRE(receiver.start().is_ok());
  PeerEnd sender(0, keys, port0, {{1, address(port1)}});
  REQUIRE(sender.start().is_ok());
  REQUIRE(eventually([&] { return sender.network().connected_peers() == 1; }, 5s));

  receiver.hold_gossip();
  sender.network().gossip(std::vector<SignedTransaction>(3));
  REQUIRE(eventually([&] { return receiver.transactions() == 3; }, 5s));
  sender.network().send(sender.id(1), envelope("after-gossip"));
  sender.network().send(sender.id(1), envelope("later"));
  std::this_thread::sleep_for(500ms);
  CHECK(receiver.payloads().empty());  // held back behind the gossip
  receiver.release_gossip();
  REQUIRE(eventually([&] { return receiver.payloads().size() == 2; }, 5s));
  CHECK(receiver.payloads() == std::vector<std::string>{"after-gossip", "later"});

  // Cancelled while its gossip is being taken: the stream ends once it is, nothing more arrives.
  receiver.hold_gossip();
  sender.network().gossip(std::vector<SignedTransaction>(2));
  REQUIRE(eventually([&] { return receiver.transactions() == 5; }, 5s));
  sender.network().send(sender.id(1), envelope("never"));
  receiver.network().penalize(receiver.id(0), "a test penalty");
  receiver.release_gossip();
  std::this_thread::sleep_for(300ms);
  CHECK(receiver.payloads().size() == 2);
  sender.network().stop();
  receiver.network().stop();
}
