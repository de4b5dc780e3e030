#include "harness.hpp"

#include "consensus/driver.hpp"

namespace sharechain::consensus::testing {

crypto::Hash genesis_root() { return crypto::sha256("test-genesis-state"); }

crypto::Hash next_root(const crypto::Hash& root, const crypto::Hash& block) {
  return crypto::sha256(crypto::hash_bytes(root) + crypto::hash_bytes(block));
}

Config make_config(uint32_t n, uint32_t self) {
  Keys keys(n);
  Config c;
  c.chain_id = kChain;
  c.validators = keys.validators();
  c.self = self;
  c.max_block_txs = 4;
  c.max_block_bytes = 4096;
  c.batch_delay_ms = 10;
  c.checkpoint_interval = 4;
  c.window = 8;
  c.view_timeout_ms = 1000;
  c.resend_interval_ms = 100;
  return c;
}

Tx make_tx(const std::string& label) {
  SignedTransaction tx;
  tx.set_body("test-tx/" + label);
  Tx t;
  t.hash = crypto::sha256(tx.body());
  tx.SerializeToString(&t.bytes);
  return t;
}

std::vector<Tx> txs(int first, int count) {
  std::vector<Tx> out;
  for (int i = first; i < first + count; ++i) out.push_back(make_tx(std::to_string(i)));
  return out;
}

Keys::Keys(uint32_t n) : n_(n), verifier_({}) {
  for (uint32_t i = 0; i < n; ++i) {
    auto key = crypto::PrivateKey::from_bytes(
        crypto::hash_bytes(crypto::sha256("test-validator-" + std::to_string(i))));
    validators_.push_back(ValidatorInfo{key->public_key()});
    signers_.push_back(std::make_unique<KeySigner>(*key, /*deterministic=*/true));
  }
  verifier_ = KeyVerifier(validators_);
}

Envelope Keys::seal(uint32_t v, const Message& m) {
  return consensus::seal(m, v, kChain, *signers_.at(v));
}

std::string Keys::vote(uint32_t v, VoteKind kind, uint64_t view, uint64_t height,
                       const crypto::Hash& hash) {
  return signers_.at(v)->sign(vote_digest(kind, kChain, view, height, hash));
}

std::string Keys::checkpoint_vote(uint32_t v, uint64_t height, const crypto::Hash& hash,
                                  const crypto::Hash& root) {
  return signers_.at(v)->sign(checkpoint_digest(kChain, height, hash, root));
}

Block make_block(uint32_t n, const BlockSpec& s) {
  BlockHeader h;
  h.set_chain_id(kChain);
  h.set_height(s.height);
  h.set_view(s.view);
  h.set_prev_hash(crypto::hash_bytes(s.prev));
  h.set_timestamp_ms(s.timestamp_ms);
  std::vector<crypto::Hash> hashes;
  Block b;
  for (const Tx& t : s.txs) {
    hashes.push_back(t.hash);
    b.add_transactions(t.bytes);
  }
  h.set_tx_root(crypto::hash_bytes(crypto::merkle_root(hashes)));
  h.set_signed_tx_root(crypto::hash_bytes(signed_transactions_root(b)));
  h.set_state_height(s.state_height);
  h.set_state_root(crypto::hash_bytes(s.state_root));
  h.set_history_root(crypto::hash_bytes(s.history ? *s.history
                                                  : s.state_height == 0 ? crypto::Hash{} : history_for(s.state_root)));
  h.set_proposer(s.proposer ? *s.proposer : primary_of(s.view, n));
  h.SerializeToString(b.mutable_header());
  return b;
}

crypto::Hash history_for(const crypto::Hash& root) { return crypto::sha256("history " + crypto::to_hex(root)); }

Block simple_block(uint64_t height, uint64_t view, std::vector<Tx> txs,
                   std::optional<uint32_t> proposer) {
  BlockSpec s;
  s.height = height;
  s.view = view;
  s.txs = std::move(txs);
  s.proposer = proposer;
  return make_block(4, s);
}

Envelope pre_prepare(Keys& keys, uint32_t v, uint64_t view, uint64_t height, const Block& block) {
  Message m;
  PrePrepare* pp = m.mutable_pre_prepare();
  pp->set_view(view);
  pp->set_height(height);
  *pp->mutable_block() = block;
  pp->set_prepare_signature(keys.vote(v, VoteKind::kPrepare, view, height, block_hash(block)));
  return keys.seal(v, m);
}

Envelope prepare(Keys& keys, uint32_t v, uint64_t view, uint64_t height, const crypto::Hash& hash) {
  Message m;
  Prepare* p = m.mutable_prepare();
  p->set_view(view);
  p->set_height(height);
  p->set_block_hash(crypto::hash_bytes(hash));
  p->set_signature(keys.vote(v, VoteKind::kPrepare, view, height, hash));
  return keys.seal(v, m);
}

Envelope commit(Keys& keys, uint32_t v, uint64_t view, uint64_t height, const crypto::Hash& hash) {
  Message m;
  Commit* c = m.mutable_commit();
  c->set_view(view);
  c->set_height(height);
  c->set_block_hash(crypto::hash_bytes(hash));
  c->set_signature(keys.vote(v, VoteKind::kCommit, view, height, hash));
  return keys.seal(v, m);
}

CommitCertificate commit_certificate(Keys& keys, const std::vector<uint32_t>& voters,
                                     uint64_t view, uint64_t height, const crypto::Hash& hash) {
  CommitCertificate c;
  c.set_height(height);
  c.set_view(view);
  c.set_block_hash(crypto::hash_bytes(hash));
  for (uint32_t v : voters) {
    CommitVote* vote = c.add_votes();
    vote->set_validator(v);
    vote->set_signature(keys.vote(v, VoteKind::kCommit, view, height, hash));
  }
  return c;
}

PreparedCertificate prepared_certificate(Keys& keys, const std::vector<uint32_t>& voters,
                                         uint64_t view, uint64_t height, const Block& block) {
  PreparedCertificate c;
  c.set_view(view);
  c.set_height(height);
  *c.mutable_block() = block;
  for (uint32_t v : voters) {
    Vote* vote = c.add_votes();
    vote->set_validator(v);
    vote->set_signature(keys.vote(v, VoteKind::kPrepare, view, height, block_hash(block)));
  }
  return c;
}

std::vector<std::string> kinds(const Actions& actions) {
  static const char* const names[] = {"Send",    "Broadcast", "SetTimer",    "CancelTimer", "Persist",
                                      "Deliver", "FetchBlocks", "Evidence", "Halt"};
  std::vector<std::string> out;
  for (const Action& a : actions) out.push_back(names[a.index()]);
  return out;
}

std::vector<Message> messages(const Actions& actions) {
  std::vector<Message> out;
  for (const Action& a : actions) {
    const Envelope* env = nullptr;
    if (const auto* s = std::get_if<Send>(&a)) env = &s->envelope;
    if (const auto* b = std::get_if<Broadcast>(&a)) env = &b->envelope;
    if (env == nullptr) continue;
    if (auto m = decode(*env)) out.push_back(*m);
  }
  return out;
}

Node::Node(Keys& keys, uint32_t self, Config config)
    : keys_(keys), self_(self), config_(std::move(config)), genesis_root_(genesis_root()) {
  config_.self = self;
  boot();
}

void Node::boot() {
  timers_.clear();
  const uint64_t h = chain_.size();
  uint64_t ts = kGenesisTs;
  std::optional<TipFacts> tip;
  if (h > 0) {
    BlockHeader header;
    header.ParseFromString(chain_.back().header());
    ts = header.timestamp_ms();
    tip = TipFacts{header.state_height(), chain_.back().transactions_size() > 0};
  }
  const crypto::Hash last_hash = h == 0 ? crypto::Hash{} : hashes_.back();
  // What run() reported for the tip (a faulty node's corrupt history is not kept).
  const crypto::Hash history = h == 0 ? crypto::Hash{} : history_for(root());
  Signer* signer = &keys_.signer(self_);
  Application* judge = &app;
  if (trace_) {
    trace_->header(config_, persisted_, h, last_hash, root(), ts, "harness", history, tip);
    signer = &trace_->signer();
    judge = &trace_->application();
  }
  engine_.reset();
  engine_ = std::make_unique<Engine>(config_, *signer, keys_.verifier(), *judge, persisted_, h,
                                     last_hash, root(), ts, history, tip);
  input_ = TracedEngine(*engine_, trace_.get());
}

TraceRecorder& Node::record_trace() {
  trace_ = std::make_unique<TraceRecorder>(keys_.signer(self_), app);
  boot();
  return *trace_;
}

Actions Node::start(uint64_t now) { return run(input_.start(now), now); }

namespace {

// The node's part in memory. Sends and broadcasts are only recorded: the Cluster routes them
// from what run() returns.
class MemoryHost final : public Host {
 public:
  using Execute = std::function<void(const Deliver&, Actions&)>;
  MemoryHost(std::map<std::string, std::string>& persisted, std::map<TimerId, uint64_t>& timers,
             Execute execute)
      : persisted_(persisted), timers_(timers), execute_(std::move(execute)) {}

  void do_send(const Send&) override {}
  void do_broadcast(const Broadcast&) override {}
  void do_set_timer(const SetTimer& t) override { timers_[t.id] = t.delay_ms; }
  void do_cancel_timer(const CancelTimer& c) override { timers_.erase(c.id); }
  Status do_persist(const Persist& p) override {
    for (const auto& [k, v] : p.puts) persisted_[k] = v;
    for (const std::string& k : p.deletes) persisted_.erase(k);
    return Status::ok();
  }
  void do_deliver(const Deliver& d, Actions& follow_up) override { execute_(d, follow_up); }
  void do_fetch(const FetchBlocks&) override {}
  void do_evidence(const Evidence&) override {}
  void do_halt(const Halt&) override {}
  // Tests look at everything the engine returned, a Halt and what follows it included; the
  // engine itself ignores every input after a Halt.
  bool halted() override { return false; }
  void before_action(const Action& a) override { seen.push_back(a); }

  Actions seen;

 private:
  std::map<std::string, std::string>& persisted_;
  std::map<TimerId, uint64_t>& timers_;
  Execute execute_;
};

}  // namespace

Actions Node::run(Actions actions, uint64_t now) {
  MemoryHost host(persisted_, timers_, [&](const Deliver& d, Actions& follow_up) {
    delivered_.push_back(d);
    if (execute && d.height == chain_.size() + 1) {
      chain_.push_back(d.block);
      hashes_.push_back(d.hash);
      roots_.push_back(corrupt_root ? *corrupt_root : next_root(root(), d.hash));
      const crypto::Hash history = corrupt_history ? *corrupt_history : history_for(roots_.back());
      Actions more = input_.on_executed(d.height, roots_.back(), history, now);
      follow_up.insert(follow_up.end(), more.begin(), more.end());
    }
  });
  perform(host, std::move(actions));
  return std::move(host.seen);
}

Cluster::Cluster(uint32_t n, std::function<void(Config&)> tweak) : keys_(n) {
  for (uint32_t i = 0; i < n; ++i) {
    Config c = make_config(n, i);
    if (tweak) tweak(c);
    nodes_.push_back(std::make_unique<Node>(keys_, i, c));
  }
}

void Cluster::route(uint32_t i, const Actions& actions) {
  for (const Action& a : actions) {
    if (const auto* s = std::get_if<Send>(&a)) network_.push_back(InFlight{i, s->to, s->envelope});
    if (const auto* b = std::get_if<Broadcast>(&a)) {
      for (uint32_t to = 0; to < size(); ++to) {
        if (to != i) network_.push_back(InFlight{i, to, b->envelope});
      }
    }
  }
}

void Cluster::start(uint64_t now) {
  for (uint32_t i = 0; i < size(); ++i) route(i, node(i).start(now));
}

void Cluster::request(const std::vector<Tx>& txs, uint64_t now) {
  for (uint32_t i = 0; i < size(); ++i) {
    if (down_.count(i) == 0) route(i, node(i).run(node(i).input().on_request(txs, now), now));
  }
}

void Cluster::fire(uint32_t i, TimerId id, uint64_t now) {
  node(i).timers().erase(id);
  route(i, node(i).run(node(i).input().on_timer(id, now), now));
}

void Cluster::restart(uint32_t i, uint64_t now) {
  down_.erase(i);
  node(i).boot();
  route(i, node(i).start(now));
}

void Cluster::pump(uint64_t now, const std::function<bool(const InFlight&, const Message&)>& drop) {
  for (size_t steps = 0; !network_.empty() && steps < 100000; ++steps) {
    InFlight f = std::move(network_.front());
    network_.pop_front();
    if (down_.count(f.to) != 0) continue;
    if (drop) {
      const auto m = decode(f.envelope);
      if (m && drop(f, *m)) continue;
    }
    route(f.to, node(f.to).run(node(f.to).input().on_message(f.envelope, now), now));
  }
}

}  // namespace sharechain::consensus::testing
