// Test fixtures for the consensus engine: deterministic BIP340 validator keys, message and
// block builders that let a test play any validator (including a lying one), and a small
// in-memory cluster that routes engine actions the way the node does (Persist applied, Deliver
// executed and reported, messages queued FIFO so a test can drop or hold any of them).
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "consensus/engine.hpp"
#include "consensus/messages.hpp"
#include "consensus/quorum.hpp"
#include "consensus/signing.hpp"
#include "consensus/trace.hpp"

namespace sharechain::consensus::testing {

inline constexpr const char* kChain = "test-chain";
inline constexpr uint64_t kGenesisTs = 1'000'000;
inline constexpr uint64_t kStart = 2'000'000;  // first `now` of a test

crypto::Hash genesis_root();
crypto::Hash next_root(const crypto::Hash& root, const crypto::Hash& block);

// Small limits so tests reach checkpoints and window edges quickly.
Config make_config(uint32_t n, uint32_t self);

Tx make_tx(const std::string& label);
// Transactions labelled first, first + 1, ... (count of them).
std::vector<Tx> txs(int first, int count);

class Keys {
 public:
  explicit Keys(uint32_t n);
  uint32_t n() const { return n_; }
  Signer& signer(uint32_t v) { return *signers_.at(v); }
  Verifier& verifier() { return verifier_; }
  const std::vector<ValidatorInfo>& validators() const { return validators_; }
  Envelope seal(uint32_t v, const Message& m);
  std::string vote(uint32_t v, VoteKind kind, uint64_t view, uint64_t height,
                   const crypto::Hash& hash);
  std::string checkpoint_vote(uint32_t v, uint64_t height, const crypto::Hash& hash,
                              const crypto::Hash& root);

 private:
  uint32_t n_;
  std::vector<ValidatorInfo> validators_;
  std::vector<std::unique_ptr<KeySigner>> signers_;
  KeyVerifier verifier_;
};

struct BlockSpec {
  uint64_t height = 1;
  uint64_t view = 0;
  crypto::Hash prev{};
  uint64_t timestamp_ms = kStart;
  std::vector<Tx> txs;
  uint64_t state_height = 0;
  crypto::Hash state_root = genesis_root();
  std::optional<uint32_t> proposer;  // default: primary of `view`
  // history_root: default zero at state height 0 and history_for(state_root) above, what an
  // honest harness replica reports.
  std::optional<crypto::Hash> history;
};
// The history value a harness replica reports beside `root` (zero at genesis).
crypto::Hash history_for(const crypto::Hash& root);
Block make_block(uint32_t n, const BlockSpec& spec);
// A block of a 4-validator set on genesis, proposed by `proposer` (default: the view's primary).
Block simple_block(uint64_t height, uint64_t view, std::vector<Tx> txs,
                   std::optional<uint32_t> proposer = std::nullopt);

// Messages signed by validator `v` (votes inside signed by `v` too).
Envelope pre_prepare(Keys& keys, uint32_t v, uint64_t view, uint64_t height, const Block& block);
Envelope prepare(Keys& keys, uint32_t v, uint64_t view, uint64_t height, const crypto::Hash& hash);
Envelope commit(Keys& keys, uint32_t v, uint64_t view, uint64_t height, const crypto::Hash& hash);
CommitCertificate commit_certificate(Keys& keys, const std::vector<uint32_t>& voters,
                                     uint64_t view, uint64_t height, const crypto::Hash& hash);
PreparedCertificate prepared_certificate(Keys& keys, const std::vector<uint32_t>& voters,
                                         uint64_t view, uint64_t height, const Block& block);

class AcceptAll final : public Application {
 public:
  Status validate_proposal(const BlockHeader&, const Block&) override { return Status::ok(); }
};

// Accepts every proposal unless `judge` is set, which then decides.
class Judge final : public Application {
 public:
  std::function<Status(const BlockHeader&, const Block&)> judge;
  Status validate_proposal(const BlockHeader& header, const Block& block) override {
    return judge ? judge(header, block) : Status::ok();
  }
};

// Every action kind in `actions`, for assertions: "Persist", "Broadcast", ...
std::vector<std::string> kinds(const Actions& actions);
template <typename T>
std::vector<T> all_of(const Actions& actions) {
  std::vector<T> out;
  for (const Action& a : actions) {
    if (const T* t = std::get_if<T>(&a)) out.push_back(*t);
  }
  return out;
}
// Decoded messages of every Send and Broadcast in `actions`.
std::vector<Message> messages(const Actions& actions);

// One engine with the node's part played in memory.
class Node {
 public:
  Node(Keys& keys, uint32_t self, Config config);
  // (Re)creates the engine from what survived: the persisted map and the executed chain.
  void boot();
  Actions start(uint64_t now);
  // Applies Persist, executes Deliver (and reports on_executed), records everything; returns
  // every action seen, follow-ups included.
  Actions run(Actions actions, uint64_t now);

  Engine& engine() { return *engine_; }
  // The engine's inputs, recorded once record_trace() was called.
  TracedEngine& input() { return input_; }
  // From now on (and across restarts) records every input of this node's engine; reboots it,
  // so call it before start().
  TraceRecorder& record_trace();
  TraceRecorder* trace() { return trace_.get(); }
  const Config& config() const { return config_; }
  uint32_t self() const { return self_; }
  std::map<std::string, std::string>& persisted() { return persisted_; }
  const std::vector<Deliver>& delivered() const { return delivered_; }
  uint64_t height() const { return chain_.size(); }
  const crypto::Hash& root() const { return roots_.empty() ? genesis_root_ : roots_.back(); }
  std::map<TimerId, uint64_t>& timers() { return timers_; }
  // When set, executing a block yields this root instead of the honest one (a faulty node).
  std::optional<crypto::Hash> corrupt_root;
  // The history value reported with each execution: by default derived from the root (so honest
  // replicas agree), or this one (a replica whose receipts differ).
  std::optional<crypto::Hash> corrupt_history;
  // When false, delivered blocks are recorded but not executed (the node crashed first).
  bool execute = true;
  // The node's judgement of proposals (Application::validate_proposal); accepts all by default.
  Judge app;

 private:
  Keys& keys_;
  uint32_t self_;
  Config config_;
  std::unique_ptr<TraceRecorder> trace_;
  std::unique_ptr<Engine> engine_;
  TracedEngine input_;
  std::map<std::string, std::string> persisted_;
  std::vector<Block> chain_;
  std::vector<crypto::Hash> hashes_;
  std::vector<crypto::Hash> roots_;
  crypto::Hash genesis_root_;
  std::vector<Deliver> delivered_;
  std::map<TimerId, uint64_t> timers_;
};

struct InFlight {
  uint32_t from = 0;
  uint32_t to = 0;
  Envelope envelope;
};

// n nodes over a FIFO network.
class Cluster {
 public:
  explicit Cluster(uint32_t n, std::function<void(Config&)> tweak = {});
  Keys& keys() { return keys_; }
  Node& node(uint32_t i) { return *nodes_.at(i); }
  uint32_t size() const { return static_cast<uint32_t>(nodes_.size()); }
  std::deque<InFlight>& network() { return network_; }

  void start(uint64_t now);
  void request(const std::vector<Tx>& txs, uint64_t now);
  void fire(uint32_t i, TimerId id, uint64_t now);
  void crash(uint32_t i) { down_.insert(i); }
  void restart(uint32_t i, uint64_t now);
  // Routes `actions` of node `i` into the network.
  void route(uint32_t i, const Actions& actions);
  // Delivers queued messages until the network is empty; `drop` may discard any of them.
  void pump(uint64_t now,
            const std::function<bool(const InFlight&, const Message&)>& drop = {});

 private:
  Keys keys_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::deque<InFlight> network_;
  std::set<uint32_t> down_;
};

}  // namespace sharechain::consensus::testing
