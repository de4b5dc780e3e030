// Epochs: validator-set changes taking effect at the switch height, with real engines.
//
// A small cluster plays the node's part for each member: it executes delivered blocks, treats a
// transaction "set:K,K,..." as a validator-set change (the keys of the next set, by their index in
// a pool of keys), tells the engine where its epoch ends, and once the engine has executed the
// last height starts the next epoch's engine, or none for a member outside the new set. Members
// outside the set (followers) fetch certified blocks, checking each certificate with the set of
// the block's epoch, exactly as a catching-up node must.
#include <catch2/catch.hpp>

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <set>

#include "consensus/driver.hpp"
#include "consensus/epochs.hpp"
#include "harness.hpp"

namespace sharechain::consensus {
namespace {

using testing::Keys;
using testing::kChain;
using testing::kGenesisTs;

constexpr uint64_t kNow = 5'000'000;
constexpr uint32_t kPool = 8;  // keys 0..7; the genesis set is 0..3

Config epoch_config() {
  Config c;
  c.chain_id = kChain;
  c.max_block_txs = 4;
  c.max_block_bytes = 4096;
  c.batch_delay_ms = 0;  // a primary proposes as soon as a request arrives
  c.checkpoint_interval = 4;
  c.window = 8;
  c.view_timeout_ms = 1000;
  c.resend_interval_ms = 100;
  return c;
}

Tx change_tx(const std::vector<uint32_t>& keys, int salt) {
  std::string body = "set:";
  for (uint32_t k : keys) body += std::to_string(k) + ",";
  body += "#" + std::to_string(salt);
  SignedTransaction tx;
  tx.set_body(body);
  Tx t;
  t.hash = crypto::sha256(body);
  tx.SerializeToString(&t.bytes);
  return t;
}

// What a member's store knows of epochs: the state its executed blocks produced.
struct EpochState {
  uint64_t epoch = 0;
  std::vector<uint32_t> set{0, 1, 2, 3};  // pool keys, in validator-index order
  uint64_t start = 0;
  crypto::Hash start_hash{};
  std::optional<std::pair<uint64_t, std::vector<uint32_t>>> pending;  // switch height, next set
};

struct Member {
  std::vector<uint32_t> keys;  // every pool key this member has held; back() is current
  bool up = true;
  // Durable: the executed chain, the epoch state it produced, the engine's records.
  std::vector<Block> chain;
  std::vector<crypto::Hash> hashes;
  std::vector<crypto::Hash> roots;
  EpochState es;
  std::map<std::string, std::string> persisted;
  // Per incarnation.
  std::unique_ptr<KeyVerifier> verifier;
  std::unique_ptr<Engine> engine;
  testing::AcceptAll app;
  uint64_t wrong_epoch_seen = 0;

  crypto::Hash root() const { return roots.empty() ? testing::genesis_root() : roots.back(); }
  uint64_t height() const { return chain.size(); }
};

class EpochCluster {
 public:
  explicit EpochCluster(uint32_t members) : pool_(kPool) {
    for (uint32_t i = 0; i < members; ++i) {
      auto m = std::make_unique<Member>();
      m->keys = {i};
      members_.push_back(std::move(m));
    }
  }

  Keys& pool() { return pool_; }
  Member& member(uint32_t i) { return *members_.at(i); }
  uint32_t size() const { return static_cast<uint32_t>(members_.size()); }

  std::vector<ValidatorInfo> infos(const std::vector<uint32_t>& keys) {
    std::vector<ValidatorInfo> out;
    for (uint32_t k : keys) out.push_back(pool_.validators().at(k));
    return out;
  }

  Config config_for(const Member& m) {
    Config c = epoch_config();
    c.validators = infos(m.es.set);
    c.epoch = m.es.epoch;
    c.epoch_start = m.es.start;
    c.epoch_start_hash = m.es.start_hash;
    const auto it = std::find(m.es.set.begin(), m.es.set.end(), m.keys.back());
    c.self = static_cast<uint32_t>(it - m.es.set.begin());
    if (m.es.pending) {
      c.epoch_end = EpochEnd{m.es.pending->first, validator_set_hash(infos(m.es.pending->second))};
    }
    return c;
  }

  bool in_set(const Member& m) const {
    return std::find(m.es.set.begin(), m.es.set.end(), m.keys.back()) != m.es.set.end();
  }

  // (Re)builds member i's engine from what survived, if it is a validator of its epoch.
  void boot(uint32_t i) {
    Member& m = member(i);
    m.engine.reset();
    if (!in_set(m)) return;
    m.verifier = std::make_unique<KeyVerifier>(infos(m.es.set));
    uint64_t ts = kGenesisTs;
    std::optional<TipFacts> tip;
    if (!m.chain.empty()) {
      BlockHeader header;
      header.ParseFromString(m.chain.back().header());
      ts = header.timestamp_ms();
      tip = TipFacts{header.state_height(), m.chain.back().transactions_size() > 0};
    }
    const crypto::Hash last = m.chain.empty() ? crypto::Hash{} : m.hashes.back();
    const crypto::Hash history = m.chain.empty() ? crypto::Hash{} : testing::history_for(m.root());
    m.engine = std::make_unique<Engine>(config_for(m), pool_.signer(m.keys.back()), *m.verifier,
                                        m.app, m.persisted, m.height(), last, m.root(), ts, history,
                                        tip);
    run(i, m.engine->start(kNow));
  }

  void start() {
    for (uint32_t i = 0; i < size(); ++i) boot(i);
  }

  // Executes one committed block on member i's store; returns the engine inputs it causes.
  Actions execute(uint32_t i, const Block& block, const crypto::Hash& hash) {
    Member& m = member(i);
    m.chain.push_back(block);
    m.hashes.push_back(hash);
    m.roots.push_back(testing::next_root(m.root(), hash));
    const uint64_t h = m.height();
    Actions out;
    for (const std::string& bytes : block.transactions()) {
      SignedTransaction tx;
      tx.ParseFromString(bytes);
      if (tx.body().rfind("set:", 0) != 0 || m.es.pending) continue;
      std::vector<uint32_t> next;
      const std::string list = tx.body().substr(4, tx.body().find('#') - 4);
      for (size_t p = 0; p < list.size();) {
        const size_t comma = list.find(',', p);
        next.push_back(static_cast<uint32_t>(std::stoul(list.substr(p, comma - p))));
        p = comma + 1;
      }
      m.es.pending = {switch_height(h, epoch_config().checkpoint_interval, epoch_config().window),
                      next};
      // Before on_executed(h): the engine must know where its epoch ends before its window can
      // reach that height.
      if (m.engine) {
        Actions more = m.engine->set_epoch_end(
            EpochEnd{m.es.pending->first, validator_set_hash(infos(next))}, kNow);
        out.insert(out.end(), more.begin(), more.end());
      }
    }
    if (m.es.pending && h == m.es.pending->first) {
      m.es.epoch += 1;
      m.es.set = m.es.pending->second;
      m.es.start = h;
      m.es.start_hash = hash;
      m.es.pending.reset();
      switched_.insert(i);
    }
    if (m.engine) {
      Actions more = m.engine->on_executed(h, m.root(), testing::history_for(m.root()), kNow);
      out.insert(out.end(), more.begin(), more.end());
    }
    return out;
  }

  // Performs actions of member i, routes its messages, and starts its next epoch once due.
  void run(uint32_t i, Actions actions) {
    Member& m = member(i);
    Host host(*this, i);
    perform(host, std::move(actions));
    if (!host.fetches.empty() && m.up) {
      // State transfer from the member furthest ahead.
      uint32_t best = i;
      for (uint32_t j = 0; j < size(); ++j) {
        if (member(j).up && member(j).height() > member(best).height()) best = j;
      }
      if (best != i) sync(i, best);
      return;
    }
    if (switched_.erase(i) != 0) {
      REQUIRE((!m.engine || m.engine->epoch_finished()));
      std::vector<Tx> pending = m.engine ? m.engine->pending_transactions() : std::vector<Tx>{};
      boot(i);
      if (m.engine && !pending.empty()) run(i, m.engine->on_request(pending, kNow));
    }
  }

  void request(const std::vector<Tx>& txs) {
    for (uint32_t i = 0; i < size(); ++i) {
      Member& m = member(i);
      if (m.up && m.engine) run(i, m.engine->on_request(txs, kNow));
    }
  }

  void fire(uint32_t i, TimerId id) {
    Member& m = member(i);
    if (m.up && m.engine) run(i, m.engine->on_timer(id, kNow));
  }

  // Delivers queued messages until none are left. A member that hears from a later epoch, or
  // that has no engine and hears anything, fetches blocks from the sender: it is behind.
  void pump() {
    for (size_t steps = 0; !network_.empty() && steps < 200000; ++steps) {
      auto [from, to, env] = std::move(network_.front());
      network_.pop_front();
      Member& m = member(to);
      if (!m.up) continue;
      if (!m.engine) {
        sync(to, from);
        continue;
      }
      const uint64_t before = m.engine->rejections(Rejection::kWrongEpoch);
      run(to, m.engine->on_message(env, kNow));
      if (m.engine && m.engine->rejections(Rejection::kWrongEpoch) > before) {
        ++m.wrong_epoch_seen;
        if (env.epoch() > m.es.epoch) sync(to, from);
      }
    }
    REQUIRE(network_.empty());
  }

  // State transfer: member `to` takes `from`'s blocks above its own height, each checked against
  // the set of the epoch it belongs to (which the blocks before it determine).
  void sync(uint32_t to, uint32_t from) {
    Member& m = member(to);
    const Member& src = member(from);
    const uint64_t epoch_before = m.es.epoch;
    const bool had_engine = m.engine != nullptr;
    while (m.height() < src.height()) {
      const Block& block = src.chain.at(m.height());
      Config c = config_for(m);
      KeyVerifier verifier(infos(m.es.set));
      REQUIRE(verify_commit_certificate(c, block, verifier).is_ok());
      BlockHeader header;
      header.ParseFromString(block.header());
      const bool last = c.epoch_end && header.height() == c.epoch_end->last_height;
      CHECK(header.next_validator_set_hash() ==
            (last ? crypto::hash_bytes(c.epoch_end->next_set_hash) : std::string()));
      // Executed as state transfer does: the engine hears of it through on_state_transferred.
      std::unique_ptr<Engine> engine = std::move(m.engine);
      execute(to, block, block_hash(block));
      m.engine = std::move(engine);
    }
    switched_.erase(to);
    if (!had_engine || m.es.epoch != epoch_before) {
      boot(to);  // a follower, or an engine of an epoch this member has left behind
      return;
    }
    BlockHeader tip;
    tip.ParseFromString(m.chain.back().header());
    run(to, m.engine->on_state_transferred(m.height(), m.hashes.back(), m.root(),
                                           tip.timestamp_ms(), kNow,
                                           testing::history_for(m.root())));
  }

  // Every member's chain agrees with every other on the heights both hold.
  void check_agreement() {
    for (uint32_t a = 0; a < size(); ++a) {
      for (uint32_t b = a + 1; b < size(); ++b) {
        const size_t common = std::min(member(a).hashes.size(), member(b).hashes.size());
        for (size_t h = 0; h < common; ++h) {
          INFO("members " << a << " and " << b << " at height " << h + 1);
          REQUIRE(member(a).hashes[h] == member(b).hashes[h]);
          REQUIRE(member(a).roots[h] == member(b).roots[h]);
        }
      }
    }
  }

  // Submits `count` filler transactions one at a time, so each makes a block.
  void fill(int first, int count) {
    for (int k = first; k < first + count; ++k) {
      request({testing::make_tx("fill-" + std::to_string(k))});
      pump();
    }
  }
  // Fills until member i's chain reaches `height`.
  void fill_until(uint32_t i, uint64_t height) {
    for (int k = 0; member(i).height() < height; ++k) {
      REQUIRE(k < 1000);
      request({testing::make_tx("until-" + std::to_string(height) + "-" + std::to_string(k))});
      pump();
    }
  }
  // The height of the block holding transaction `hash` in member i's chain (0 if none).
  uint64_t height_of(uint32_t i, const crypto::Hash& hash) {
    const Member& m = member(i);
    for (size_t h = 0; h < m.chain.size(); ++h) {
      auto hashes = transaction_hashes(m.chain[h]);
      if (hashes && std::find(hashes->begin(), hashes->end(), hash) != hashes->end()) return h + 1;
    }
    return 0;
  }

 private:
  class Host final : public consensus::Host {
   public:
    Host(EpochCluster& c, uint32_t i) : c_(c), i_(i) {}
    void do_send(const Send& s) override { c_.route(i_, {s.to}, s.envelope); }
    void do_broadcast(const Broadcast& b) override {
      std::vector<uint32_t> all;
      const Member& m = c_.member(i_);
      for (uint32_t v = 0; v < m.es.set.size(); ++v) all.push_back(v);
      c_.route(i_, all, b.envelope);
    }
    void do_set_timer(const SetTimer&) override {}
    void do_cancel_timer(const CancelTimer&) override {}
    Status do_persist(const Persist& p) override {
      Member& m = c_.member(i_);
      for (const auto& [k, v] : p.puts) m.persisted[k] = v;
      for (const std::string& k : p.deletes) m.persisted.erase(k);
      return Status::ok();
    }
    void do_deliver(const Deliver& d, Actions& follow_up) override {
      Member& m = c_.member(i_);
      if (d.height != m.height() + 1) return;
      Actions more = c_.execute(i_, d.block, d.hash);
      follow_up.insert(follow_up.end(), more.begin(), more.end());
    }
    void do_fetch(const FetchBlocks& f) override { fetches.push_back(f); }
    void do_evidence(const Evidence&) override { FAIL("evidence among honest members"); }
    void do_halt(const Halt& h) override { FAIL("member halted: " << h.reason); }
    bool halted() override { return !c_.member(i_).up; }
    std::vector<FetchBlocks> fetches;

   private:
    EpochCluster& c_;
    uint32_t i_;
  };

  // Messages of member i's engine go to the members holding the keys of its epoch's set
  // (`indexes` into that set; the sender itself is skipped).
  void route(uint32_t i, const std::vector<uint32_t>& indexes, const Envelope& env) {
    const Member& sender = member(i);
    for (uint32_t v : indexes) {
      if (v >= sender.es.set.size()) continue;
      const uint32_t key = sender.es.set[v];
      for (uint32_t j = 0; j < size(); ++j) {
        const auto& keys = member(j).keys;
        if (j != i && std::find(keys.begin(), keys.end(), key) != keys.end()) {
          network_.push_back({i, j, env});
        }
      }
    }
  }

  Keys pool_;
  std::vector<std::unique_ptr<Member>> members_;
  std::deque<std::tuple<uint32_t, uint32_t, Envelope>> network_;
  std::set<uint32_t> switched_;
};

BlockHeader header_at(const Member& m, uint64_t height) {
  BlockHeader h;
  REQUIRE(h.ParseFromString(m.chain.at(height - 1).header()));
  return h;
}

}  // namespace

TEST_CASE("switch_height is the first checkpoint at least a window after the change") {
  CHECK(switch_height(1, 4, 8) == 12);
  CHECK(switch_height(4, 4, 8) == 12);
  CHECK(switch_height(5, 4, 8) == 16);
  CHECK(switch_height(0, 64, 256) == 256);
  CHECK(switch_height(UINT64_MAX - 3, 4, 8) == UINT64_MAX);
  CHECK(switch_height(10, 0, 8) == UINT64_MAX);
}

TEST_CASE("the validator-set hash covers every key in index order") {
  Keys keys(3);
  const auto& v = keys.validators();
  const crypto::Hash abc = validator_set_hash({v[0], v[1], v[2]});
  CHECK(abc != validator_set_hash({v[1], v[0], v[2]}));
  CHECK(abc != validator_set_hash({v[0], v[1]}));
  CHECK(abc == validator_set_hash({v[0], v[1], v[2]}));
}

TEST_CASE("an envelope of one epoch never verifies in another") {
  const std::string payload = "payload";
  CHECK(envelope_digest(kChain, 0, payload) == envelope_digest(kChain, payload));
  CHECK(envelope_digest(kChain, 1, payload) != envelope_digest(kChain, payload));
  CHECK(envelope_digest(kChain, 1, payload) != envelope_digest(kChain, 2, payload));
}

TEST_CASE("a validator joins, a validator leaves and a key is rotated, each at its switch height") {
  EpochCluster c(6);  // members 0..3 validate; 4 and 5 are followers until admitted
  c.start();
  c.fill(0, 3);
  REQUIRE(c.member(0).height() >= 3);

  // Epoch 1 adds key 4 (member 4), from the first multiple of 4 at least 8 heights after the
  // change executed.
  const Tx add = change_tx({0, 1, 2, 3, 4}, 1);
  c.request({add});
  c.pump();
  const uint64_t executed = c.height_of(0, add.hash);
  REQUIRE(executed > 0);
  REQUIRE(c.member(0).es.pending);
  const uint64_t last = c.member(0).es.pending->first;
  CHECK(last == switch_height(executed, 4, 8));
  CHECK(last >= executed + 8);
  CHECK(last % 4 == 0);
  c.fill_until(0, last + 1);
  for (uint32_t i = 0; i < 4; ++i) {
    INFO("member " << i);
    CHECK(c.member(i).es.epoch == 1);
    REQUIRE(c.member(i).engine);
    CHECK(c.member(i).engine->epoch() == 1);
    CHECK(c.member(i).engine->config().validators.size() == 5);
  }
  const BlockHeader end = header_at(c.member(0), last);
  CHECK(end.epoch() == 0);
  CHECK(end.next_validator_set_hash() ==
        crypto::hash_bytes(validator_set_hash(c.infos({0, 1, 2, 3, 4}))));
  CHECK(header_at(c.member(0), last - 1).next_validator_set_hash().empty());
  const BlockHeader first = header_at(c.member(0), last + 1);
  CHECK(first.epoch() == 1);
  CHECK(first.validator_set_hash() ==
        crypto::hash_bytes(validator_set_hash(c.infos({0, 1, 2, 3, 4}))));
  CHECK(first.next_validator_set_hash().empty());
  // The new member heard from epoch 1, fetched the blocks and now votes.
  REQUIRE(c.member(4).engine);
  CHECK(c.member(4).es.epoch == 1);
  CHECK(c.member(4).engine->config().self == 4);
  c.fill(30, 3);
  CHECK(c.member(4).height() == c.member(0).height());
  c.check_agreement();

  // With five validators one may fail: stop member 1 and blocks still commit.
  c.member(1).up = false;
  const uint64_t before = c.member(0).height();
  c.fill(40, 3);
  CHECK(c.member(0).height() >= before + 3);
  CHECK(c.member(4).height() == c.member(0).height());
  c.member(1).up = true;
  c.boot(1);
  c.fill(45, 2);
  CHECK(c.member(1).height() == c.member(0).height());
  c.check_agreement();

  // Epoch 2 removes key 0, the primary of epoch 1's view 0.
  c.request({change_tx({1, 2, 3, 4}, 2)});
  c.pump();
  REQUIRE(c.member(1).es.pending);
  c.fill_until(1, c.member(1).es.pending->first + 1);
  CHECK(c.member(1).es.epoch == 2);
  CHECK(!c.member(0).engine);  // a follower now
  REQUIRE(c.member(2).engine);
  CHECK(c.member(2).engine->config().validators.size() == 4);
  const uint64_t follower_height = c.member(0).height();
  c.fill(60, 2);
  CHECK(c.member(0).height() == follower_height);  // it gets no more messages

  // Epoch 3 rotates member 2's key from 2 to 6 (its operator installed the new key).
  c.member(2).keys.push_back(6);
  c.request({change_tx({1, 6, 3, 4}, 3)});
  c.pump();
  REQUIRE(c.member(1).es.pending);
  c.fill_until(1, c.member(1).es.pending->first + 2);
  for (uint32_t i = 1; i <= 4; ++i) {
    INFO("member " << i);
    CHECK(c.member(i).es.epoch == 3);
    REQUIRE(c.member(i).engine);
    CHECK(c.member(i).height() == c.member(1).height());
  }
  CHECK(c.member(2).engine->config().self == 1);
  c.check_agreement();

  // The old key's messages are refused: key 2 signing as validator 1 of epoch 3.
  Message m;
  m.mutable_committed()->set_probe(true);
  const Envelope old_key = consensus::seal(m, 1, kChain, c.pool().signer(2), 3);
  Engine& e1 = *c.member(1).engine;
  const uint64_t bad = e1.rejections(Rejection::kBadSignature);
  e1.on_message(old_key, kNow);
  CHECK(e1.rejections(Rejection::kBadSignature) == bad + 1);
  // So are messages signed for an earlier epoch, even by a current key.
  const Envelope stale = consensus::seal(m, 2, kChain, c.pool().signer(3), 2);
  const uint64_t wrong = e1.rejections(Rejection::kWrongEpoch);
  e1.on_message(stale, kNow);
  CHECK(e1.rejections(Rejection::kWrongEpoch) == wrong + 1);
  // The follower that left catches up from the chain, checking each epoch's certificates.
  c.sync(0, 1);
  CHECK(c.member(0).height() == c.member(1).height());
  CHECK(c.member(0).es.epoch == 3);
  c.check_agreement();
}

TEST_CASE("a replica restarted after the switch drops the old epoch's records") {
  EpochCluster c(4);
  c.start();
  c.request({change_tx({0, 1, 2, 3}, 1)});  // the same keys: a new epoch all the same
  c.pump();
  const uint64_t last = c.member(0).es.pending->first;
  c.fill_until(0, last + 1);
  REQUIRE(c.member(3).es.epoch == 1);
  // The new engine deleted every record of epoch 0 and wrote its epoch first.
  PersistedEpoch record;
  REQUIRE(record.ParseFromString(c.member(3).persisted.at("epoch")));
  CHECK(record.epoch() == 1);
  c.fill(10, 2);
  c.member(3).up = false;
  c.fill(20, 2);
  c.member(3).up = true;
  c.boot(3);
  REQUIRE(c.member(3).engine);
  CHECK(c.member(3).engine->epoch() == 1);
  c.fill(30, 2);
  c.check_agreement();
  CHECK(c.member(3).height() == c.member(0).height());
}

TEST_CASE("a second switch keeps the epoch record, so a restart keeps the epoch's votes") {
  // From epoch 1 on the old engine has an "epoch" record of its own; the new engine overwrites
  // it. Deleting it as one of the old epoch's records dropped the new one too (a host applies
  // deletes after puts), and after a restart every record of the epoch looked stale: the
  // simulator saw a restarted primary propose one height twice.
  EpochCluster c(4);
  c.start();
  for (int epoch = 1; epoch <= 2; ++epoch) {
    c.request({change_tx({0, 1, 2, 3}, epoch)});  // the same keys: a new epoch all the same
    c.pump();
    REQUIRE(c.member(0).es.pending);
    c.fill_until(0, c.member(0).es.pending->first + 1);
    REQUIRE(c.member(3).es.epoch == static_cast<uint64_t>(epoch));
    PersistedEpoch record;
    REQUIRE(c.member(3).persisted.count("epoch") == 1);
    REQUIRE(record.ParseFromString(c.member(3).persisted.at("epoch")));
    CHECK(record.epoch() == static_cast<uint64_t>(epoch));
  }
  c.fill(40, 2);
  // What a crash now would leave: the epoch record, the view, the checkpoint, the certificate.
  const std::map<std::string, std::string> before = c.member(3).persisted;
  REQUIRE(before.size() > 1);
  c.member(3).up = false;
  c.member(3).up = true;
  c.boot(3);
  REQUIRE(c.member(3).engine);
  CHECK(c.member(3).engine->epoch() == 2);
  CHECK_FALSE(c.member(3).engine->halted());
  // The restarted engine took them as its epoch's: nothing was deleted as stale.
  for (const auto& [key, value] : before) {
    INFO(key);
    CHECK(c.member(3).persisted.count(key) == 1);
  }
  c.fill(50, 2);
  c.check_agreement();
  CHECK(c.member(3).height() == c.member(0).height());
}

TEST_CASE("records from a later epoch than the store halt the engine") {
  EpochCluster c(4);
  Member& m = c.member(0);
  PersistedEpoch record;
  record.set_epoch(5);
  m.persisted["epoch"] = record.SerializeAsString();
  KeyVerifier verifier(c.infos(m.es.set));
  Engine engine(c.config_for(m), c.pool().signer(0), verifier, m.app, m.persisted, 0, {},
                testing::genesis_root(), kGenesisTs);
  const Actions out = engine.start(kNow);
  REQUIRE(engine.halted());
  CHECK_THAT(engine.halt_reason(), Catch::Contains("epoch 5"));
}

TEST_CASE("a view change in a new epoch starts from the epoch's first block") {
  EpochCluster c(5);
  c.start();
  c.request({change_tx({1, 2, 3, 4}, 1)});  // drop key 0, add key 4
  c.pump();
  const uint64_t last = c.member(1).es.pending->first;
  c.fill_until(1, last + 1);
  REQUIRE(c.member(1).es.epoch == 1);
  REQUIRE(c.member(4).engine);
  // The primary of epoch 1's view 0 is key 1 (member 1). It fails; the others change view.
  c.member(1).up = false;
  const uint64_t height = c.member(2).height();
  c.request({testing::make_tx("after-crash")});
  for (uint32_t i = 2; i <= 4; ++i) c.fire(i, TimerId::kRequest);
  c.pump();
  for (uint32_t i = 2; i <= 4; ++i) c.fire(i, TimerId::kViewChange);
  c.pump();
  for (uint32_t i = 2; i <= 4; ++i) {
    INFO("member " << i);
    CHECK(c.member(i).engine->view() >= 1);
    CHECK(c.member(i).engine->view_active());
    CHECK(c.member(i).height() > height);
  }
  c.check_agreement();
}

TEST_CASE("a proposal naming the wrong epoch or next set gets no vote") {
  EpochCluster c(4);
  c.start();
  Member& m = c.member(1);
  // Epoch 0's block claiming to be epoch 1's.
  BlockHeader h;
  Block b = testing::simple_block(1, 0, {testing::make_tx("x")});
  REQUIRE(h.ParseFromString(b.header()));
  h.set_epoch(1);
  h.SerializeToString(b.mutable_header());
  Message pp;
  pp.mutable_pre_prepare()->set_view(0);
  pp.mutable_pre_prepare()->set_height(1);
  *pp.mutable_pre_prepare()->mutable_block() = b;
  pp.mutable_pre_prepare()->set_prepare_signature(
      c.pool().vote(0, VoteKind::kPrepare, 0, 1, block_hash(b)));
  const uint64_t invalid = m.engine->rejections(Rejection::kInvalidProposal) +
                           m.engine->rejections(Rejection::kMalformed);
  m.engine->on_message(c.pool().seal(0, pp), kNow);
  CHECK(m.engine->rejections(Rejection::kInvalidProposal) +
            m.engine->rejections(Rejection::kMalformed) ==
        invalid + 1);
  CHECK_THAT(m.engine->last_rejection()->detail, Catch::Contains("epoch 1"));

  // A next-set hash on a block where the epoch does not end.
  Block n = testing::simple_block(1, 0, {testing::make_tx("y")});
  REQUIRE(h.ParseFromString(n.header()));
  h.set_next_validator_set_hash(std::string(32, 'x'));
  h.SerializeToString(n.mutable_header());
  *pp.mutable_pre_prepare()->mutable_block() = n;
  pp.mutable_pre_prepare()->set_prepare_signature(
      c.pool().vote(0, VoteKind::kPrepare, 0, 1, block_hash(n)));
  m.engine->on_message(c.pool().seal(0, pp), kNow);
  CHECK_THAT(m.engine->last_rejection()->detail, Catch::Contains("next validator set"));
}

}  // namespace sharechain::consensus
