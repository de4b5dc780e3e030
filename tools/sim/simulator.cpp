#include "tools/sim/simulator.hpp"

#include <algorithm>
#include <memory>
#include <queue>
#include <set>
#include <variant>

#include "consensus/driver.hpp"
#include "consensus/engine.hpp"
#include "consensus/epochs.hpp"
#include "consensus/messages.hpp"
#include "consensus/quorum.hpp"
#include "consensus/signing.hpp"
#include "tools/sim/checker.hpp"
#include "tools/sim/fake_crypto.hpp"
#include "tools/sim/scenario.hpp"

namespace sharechain::sim {
namespace {

// The simulated history value beside a simulated root (the node's is storage/history.hpp's hash
// chain over receipts): replicas that executed the same blocks agree, and the engine's history
// checks compare real values. Zero at genesis, as on a node.
crypto::Hash simulated_history(uint64_t height, const crypto::Hash& root) {
  if (height == 0) return crypto::Hash{};
  return crypto::sha256("sharechain-sim/history" + crypto::hash_bytes(root));
}

using consensus::Action;
using consensus::Actions;
using consensus::Envelope;

// Simulated wall clocks start at a realistic epoch so timestamps look like the real thing.
constexpr uint64_t kEpochMs = 1'700'000'000'000;
constexpr std::string_view kChainId = "sharechain-sim";

// Small limits so that short runs still cross many checkpoints, fill the watermark window and
// cut several blocks per client batch.
consensus::Config base_config(const std::vector<consensus::ValidatorInfo>& validators) {
  consensus::Config c;
  c.chain_id = std::string(kChainId);
  c.validators = validators;
  c.max_block_txs = 8;
  c.max_block_bytes = 2048;
  c.batch_delay_ms = 20;
  c.checkpoint_interval = 8;
  c.window = 32;
  c.view_timeout_ms = 400;
  c.resend_interval_ms = 150;
  return c;
}

// The application hook: a proposal may hold only transactions that some client submitted
// (standing in for the node's signature and nonce checks).
class SimApp final : public consensus::Application {
 public:
  explicit SimApp(const std::set<crypto::Hash>& submitted) : submitted_(submitted) {}
  Status validate_proposal(const BlockHeader& header, const Block& block) override {
    auto hashes = consensus::transaction_hashes(block);
    if (!hashes) return hashes.status();
    for (const crypto::Hash& h : *hashes) {
      if (submitted_.count(h) == 0) {
        return Status::invalid_argument("block " + std::to_string(header.height()) +
                                        " holds an unknown transaction");
      }
    }
    return Status::ok();
  }

 private:
  const std::set<crypto::Hash>& submitted_;
};

// What a replica's executed chain says about validator sets (reconfiguration): a node keeps it
// in its state.
struct EpochState {
  uint64_t epoch = 0;
  std::vector<uint32_t> keys;  // the current set, by key, in validator-index order
  uint64_t start = 0;
  crypto::Hash start_hash{};
  // Changes executed but not yet in effect: (switch height, the set after it), ascending.
  std::vector<std::pair<uint64_t, std::vector<uint32_t>>> pending;
  uint32_t changes = 0;  // reconfiguration plans executed so far
};

constexpr uint32_t kNoIndex = UINT32_MAX;
constexpr std::string_view kReconfigPrefix = "sim-reconfig/";

struct StoredBlock {
  Block block;
  crypto::Hash hash{};
  crypto::Hash root{};
  uint64_t timestamp_ms = 0;
};

struct Replica {
  uint32_t index = 0;  // the validator
  uint32_t node = 0;   // its place in the network: the index, or n + j for a twin's second
  bool twin = false;   // either instance of a twinned validator
  std::optional<Behaviour> byzantine;
  bool up = false;
  uint64_t incarnation = 0;
  int64_t clock_offset_ms = 0;
  consensus::Config config;
  std::unique_ptr<consensus::Signer> signer;
  std::unique_ptr<consensus::Verifier> verifier;
  std::unique_ptr<SimApp> app;
  std::unique_ptr<consensus::Engine> engine;
  // Durable state: what the engine persisted, and the executed chain (the node's store).
  std::map<std::string, std::string> persisted;
  std::vector<StoredBlock> chain;
  std::set<crypto::Hash> chain_txs;
  // Per incarnation.
  std::map<consensus::TimerId, uint64_t> timer_generation;
  bool fetching = false;
  uint64_t last_delivered = 0;
  std::optional<uint64_t> crash_after_actions;
  std::unique_ptr<Rng> rng;
  uint64_t seen_rejections = 0;
  // Reconfiguration (durable, from the executed chain): the epoch state and the key this node
  // signs with. index is kNoIndex while the node is outside the set.
  EpochState es;
  uint32_t key = 0;
  bool switch_due = false;  // the epoch's last height executed: start the next engine
};

struct MessageEvent {  // between nodes
  uint32_t from = 0;
  uint32_t to = 0;
  Envelope envelope;
};
struct TimerEvent {
  uint32_t node = 0;
  uint64_t incarnation = 0;
  consensus::TimerId id{};
  uint64_t generation = 0;
};
struct BatchEvent {
  size_t index = 0;
};
struct CrashEvent {
  size_t index = 0;
};
struct RestartEvent {
  uint32_t node = 0;
};
struct PartitionEvent {
  std::vector<uint32_t> group;           // per node
  std::vector<uint8_t> second_receives;  // per twin
};
struct FetchEvent {
  uint32_t node = 0;
  uint64_t incarnation = 0;
  consensus::FetchBlocks fetch;
  size_t turn = 0;  // which source to ask first
  std::vector<uint32_t> nodes;  // reconfiguration: the sources as nodes (indices change)
};
struct HealEvent {};
struct FollowEvent {  // a follower (no engine) asks for blocks now and then
  uint32_t node = 0;
  uint64_t incarnation = 0;
};
struct ReconfigEvent {
  size_t index = 0;
};
struct LoadEvent {};  // clients keep a trickle going until every change is in effect
// Clients re-send what is not committed to every validator of the current set: a validator that
// joined missed the earlier requests, and one that left takes its queue with it (the node's
// mempool gossip does this for real).
struct RetryEvent {};
using EventKind = std::variant<MessageEvent, TimerEvent, BatchEvent, CrashEvent, RestartEvent,
                               PartitionEvent, FetchEvent, HealEvent, FollowEvent, ReconfigEvent,
                               LoadEvent, RetryEvent>;

struct Event {
  uint64_t at = 0;
  uint64_t seq = 0;
  EventKind what;
};
struct Later {
  bool operator()(const Event& a, const Event& b) const {
    return a.at != b.at ? a.at > b.at : a.seq > b.seq;
  }
};

class Simulation {
 public:
  explicit Simulation(const Options& options);
  Outcome run();

 private:
  // Carries out one replica's actions for consensus::perform().
  class ReplicaHost;

  void schedule(uint64_t at, EventKind what) {
    queue_.push(Event{at, next_seq_++, std::move(what)});
  }
  uint64_t clock(const Replica& r) const {
    return static_cast<uint64_t>(static_cast<int64_t>(kEpochMs + now_) + r.clock_offset_ms);
  }
  void trace(const std::string& line) {
    if (opt_.trace != nullptr) *opt_.trace << "[" << now_ << "] " << line << "\n";
  }
  std::string name(const Replica& r) const { return checker_->name(r.node); }

  void dispatch(Event& e);
  void on_batch(const BatchPlan& b);
  void on_heal();
  void start_replica(Replica& r);
  void crash(Replica& r);
  void input(Replica& r, Actions actions, const std::string& cause);
  void send(Replica& r, std::vector<uint32_t> destinations, const Envelope& env);
  void deliver_block(Replica& r, const consensus::Deliver& d, Actions& follow);
  void fetch(Replica& r, const FetchEvent& ev);
  void store(Replica& r, const Block& block, const crypto::Hash& hash);
  void submit(Replica& r, const std::vector<consensus::Tx>& txs);
  bool reachable(uint32_t a, uint32_t b) const { return group_[a] == group_[b]; }
  // The node that takes what `from` sends to validator `to`, if any is in `from`'s group.
  std::optional<uint32_t> route(uint32_t from, uint32_t to) const;
  bool all_committed() const;
  // Every honest member of the latest set has executed every change and switched for each.
  bool reconfigured() const;
  // Whether r's node holds a key of the latest epoch's set (as the first replica to reach it saw).
  bool in_latest_set(const Replica& r) const;
  bool in_drought(uint32_t from, uint32_t to, const std::optional<consensus::Message>& m);
  void note_engine(const Replica& r);

  // Reconfiguration.
  std::vector<consensus::ValidatorInfo> infos(const std::vector<uint32_t>& keys) const;
  std::unique_ptr<consensus::Verifier> verifier_for(const std::vector<uint32_t>& keys) const;
  std::unique_ptr<consensus::Signer> signer_for(uint32_t key) const;
  // The epoch's config as replica r's store determines it (self: its index, or 0 outside).
  consensus::Config epoch_config(const Replica& r) const;
  // Where the epoch ends once a change is pending: its switch height and the next set's hash.
  std::optional<consensus::EpochEnd> epoch_end_of(const EpochState& es) const;
  // The node holding validator `index` of r's epoch (nullopt for an index outside the set).
  std::optional<uint32_t> node_of_index(const Replica& r, uint32_t index) const;
  // Executes the reconfiguration transactions of r's newly stored block at `height`; returns
  // the epoch end to tell r's engine when the change ending its epoch was recorded or changed.
  std::optional<consensus::EpochEnd> execute_changes(Replica& r, const Block& block,
                                                     uint64_t height, const crypto::Hash& hash);
  // Starts the next epoch's engine on r (or none, outside the set), carrying its requests over.
  void switch_epoch(Replica& r, bool transferred = false);
  void on_reconfig(size_t index);
  // A transaction a client submits with `body`, known to the checker and to re-submission.
  consensus::Tx client_transaction(const std::string& body);
  void start_fetch(Replica& r, std::vector<uint32_t> nodes);

  Options opt_;
  Rng net_rng_;
  Scenario scenario_;
  uint32_t n_ = 0;        // validators
  uint32_t nodes_ = 0;    // engines: n plus one per twin
  bool within_f_ = true;  // Byzantine plus twinned validators at most f
  std::vector<consensus::ValidatorInfo> validators_;
  std::vector<uint64_t> fake_secrets_;
  std::vector<std::optional<crypto::PrivateKey>> keys_;
  std::unique_ptr<consensus::Verifier> check_verifier_;
  std::unique_ptr<Checker> checker_;
  std::vector<Replica> replicas_;
  std::set<crypto::Hash> submitted_;
  std::vector<consensus::Tx> all_txs_;
  std::vector<uint32_t> group_;           // per node
  std::vector<int> twin_slot_;            // per validator: j for a twin, -1 otherwise
  std::vector<uint8_t> second_receives_;  // per twin
  uint32_t loss_per_mille_ = 0;
  bool healed_ = false;
  uint64_t last_batch_ms_ = 0;
  uint64_t now_ = 0;
  uint64_t next_seq_ = 0;
  uint64_t tx_counter_ = 0;
  // Reconfiguration: keys 0..n+1 (the genesis set, the joiner's, the rotation's), who holds
  // each, and each epoch's set as the first replica to reach it computed it.
  std::vector<consensus::ValidatorInfo> key_infos_;
  std::vector<uint64_t> key_secrets_;
  std::vector<crypto::PrivateKey> key_privates_;
  std::vector<uint32_t> key_holder_;
  std::map<uint64_t, std::vector<uint32_t>> epoch_sets_;
  std::priority_queue<Event, std::vector<Event>, Later> queue_;
  Stats stats_;
};

class Simulation::ReplicaHost final : public consensus::Host {
 public:
  ReplicaHost(Simulation& sim, Replica& r) : sim_(sim), r_(r) {}

  void do_send(const consensus::Send& a) override { sim_.send(r_, {a.to}, a.envelope); }
  void do_broadcast(const consensus::Broadcast& a) override {
    std::vector<uint32_t> others;
    const auto n = static_cast<uint32_t>(r_.config.validators.size());
    for (uint32_t i = 0; i < n; ++i) {
      if (i != r_.index) others.push_back(i);
    }
    sim_.send(r_, std::move(others), a.envelope);
  }
  void do_set_timer(const consensus::SetTimer& a) override {
    const uint64_t gen = ++r_.timer_generation[a.id];
    sim_.schedule(sim_.now_ + a.delay_ms, TimerEvent{r_.node, r_.incarnation, a.id, gen});
  }
  void do_cancel_timer(const consensus::CancelTimer& a) override {
    ++r_.timer_generation[a.id];
  }
  Status do_persist(const consensus::Persist& a) override {
    for (const auto& [k, v] : a.puts) r_.persisted[k] = v;
    for (const std::string& k : a.deletes) r_.persisted.erase(k);
    sim_.stats_.max_persisted_keys =
        std::max<uint64_t>(sim_.stats_.max_persisted_keys, r_.persisted.size());
    // At most three records (proposal, vote, committed block) per height between the executed
    // height and the top of the window, plus five single records.
    if (r_.persisted.size() > 3 * r_.config.window + 6) {
      sim_.checker_->fail("replica " + sim_.name(r_) + " persists " +
                          std::to_string(r_.persisted.size()) + " records: not bounded");
    }
    return Status::ok();
  }
  void do_deliver(const consensus::Deliver& a, Actions& follow_up) override {
    sim_.deliver_block(r_, a, follow_up);
  }
  void do_fetch(const consensus::FetchBlocks& a) override {
    if (!r_.fetching) {
      r_.fetching = true;
      std::vector<uint32_t> nodes;
      if (sim_.opt_.reconfigure) {
        for (uint32_t v : a.sources) {
          if (auto node = sim_.node_of_index(r_, v)) nodes.push_back(*node);
        }
        if (nodes.empty()) {
          for (uint32_t j = 0; j < sim_.nodes_; ++j) {
            if (j != r_.node) nodes.push_back(j);
          }
        }
      }
      sim_.schedule(sim_.now_ + sim_.net_rng_.between(5, 60),
                    FetchEvent{r_.node, r_.incarnation, a, 0, std::move(nodes)});
    }
  }
  void do_evidence(const consensus::Evidence& a) override {
    ++sim_.stats_.evidence;
    consensus::Evidence e = a;
    if (sim_.opt_.reconfigure) e.validator = sim_.node_of_index(r_, a.validator).value_or(kNoIndex);
    sim_.checker_->on_evidence(r_.node, e);
  }
  void do_halt(const consensus::Halt& a) override {
    ++sim_.stats_.halts;
    sim_.checker_->on_halt(r_.node, a.reason);
  }
  // A replica that halts keeps running: beyond f faults that is allowed, and within f the
  // checker has failed the run, which stops it here.
  bool halted() override { return !r_.up || sim_.checker_->failed(); }
  // A crash planned in the middle of a step strikes between two actions.
  void before_action(const Action& a) override {
    if (r_.crash_after_actions) {
      if (*r_.crash_after_actions == 0) {
        sim_.crash(r_);
        return;
      }
      *r_.crash_after_actions -= 1;
    }
    if (sim_.opt_.trace != nullptr) {
      sim_.trace("  " + sim_.name(r_) + ": " + consensus::describe(a));
    }
  }

 private:
  Simulation& sim_;
  Replica& r_;
};

Simulation::Simulation(const Options& options) : opt_(options), net_rng_(options.seed) {
  n_ = opt_.nodes;
  Rng plan_rng = net_rng_.fork();
  scenario_ = draw_scenario(ScenarioRequest{n_, opt_.byzantine, opt_.twins, opt_.behaviour,
                                            opt_.fault_ms, opt_.reconfigure},
                            plan_rng);
  const std::vector<uint32_t>& twins = scenario_.twins.validators;
  // With reconfiguration node n is the joiner, a follower until the chain admits it.
  nodes_ = n_ + static_cast<uint32_t>(twins.size()) + (opt_.reconfigure ? 1 : 0);
  within_f_ = opt_.byzantine + twins.size() <= consensus::max_faulty(n_);
  twin_slot_.assign(n_, -1);
  for (size_t j = 0; j < twins.size(); ++j) twin_slot_[twins[j]] = static_cast<int>(j);
  for (uint32_t i = 0; i < n_; ++i) {
    const std::string name = "sharechain-sim/validator/" + std::to_string(i);
    if (opt_.real_crypto) {
      keys_.push_back(crypto::PrivateKey::from_bytes(crypto::hash_bytes(crypto::sha256(name))));
      validators_.push_back(consensus::ValidatorInfo{keys_.back()->public_key()});
    } else {
      keys_.emplace_back(std::nullopt);
      uint64_t s = opt_.seed * 1000003 + i;
      fake_secrets_.push_back(splitmix64(s));
      validators_.push_back(consensus::ValidatorInfo{crypto::hash_bytes(crypto::sha256(name))});
    }
  }
  if (opt_.reconfigure) {
    for (uint32_t k = 0; k < n_ + 2; ++k) {
      const std::string name = "sharechain-sim/key/" + std::to_string(k);
      if (k < n_) {
        key_infos_.push_back(validators_[k]);
        if (opt_.real_crypto) {
          key_privates_.push_back(*keys_[k]);
        } else {
          key_secrets_.push_back(fake_secrets_[k]);
        }
      } else if (opt_.real_crypto) {
        key_privates_.push_back(
            *crypto::PrivateKey::from_bytes(crypto::hash_bytes(crypto::sha256(name))));
        key_infos_.push_back(consensus::ValidatorInfo{key_privates_.back().public_key()});
      } else {
        uint64_t x = opt_.seed * 1000003 + 500 + k;
        key_secrets_.push_back(splitmix64(x));
        key_infos_.push_back(consensus::ValidatorInfo{crypto::hash_bytes(crypto::sha256(name))});
      }
      key_holder_.push_back(k <= n_ ? k : n_);
    }
    for (const ReconfigPlan& plan : scenario_.reconfigs) {
      if (plan.kind == "rotate") key_holder_[n_ + 1] = plan.node;
    }
    std::vector<uint32_t> genesis(n_);
    for (uint32_t k = 0; k < n_; ++k) genesis[k] = k;
    epoch_sets_[0] = genesis;
    for (PartitionPlan& p : scenario_.partitions) p.group.resize(nodes_, 0);
  }
  auto make_verifier = [&]() -> std::unique_ptr<consensus::Verifier> {
    if (opt_.real_crypto) return std::make_unique<consensus::KeyVerifier>(validators_);
    return std::make_unique<FakeVerifier>(fake_secrets_);
  };
  check_verifier_ = make_verifier();
  std::set<uint32_t> byzantine;
  for (const auto& [v, b] : scenario_.byzantine) byzantine.insert(v);
  checker_ = std::make_unique<Checker>(base_config(validators_), *check_verifier_, byzantine,
                                       CheckedFaults{twins, within_f_});

  // A twin's second instance is built exactly like the first: same key, same index, its own
  // store, persisted state and clock.
  replicas_.resize(nodes_);
  for (uint32_t node = 0; node < nodes_; ++node) {
    Replica& r = replicas_[node];
    if (opt_.reconfigure) {
      r.node = node;
      r.key = node;
      for (uint32_t k = 0; k < n_; ++k) r.es.keys.push_back(k);
      r.index = node < n_ ? node : kNoIndex;
      if (auto it = scenario_.byzantine.find(node); it != scenario_.byzantine.end()) {
        r.byzantine = it->second;
      }
      r.clock_offset_ms = node < n_ ? scenario_.clock_offset_ms[node] : 0;
      r.config = epoch_config(r);
      r.app = std::make_unique<SimApp>(submitted_);
      r.rng = std::make_unique<Rng>(net_rng_.fork());
      continue;  // signer and verifier: at each start, for the epoch
    }
    const uint32_t i = node < n_ ? node : twins[node - n_];
    r.index = i;
    r.node = node;
    r.twin = twin_slot_[i] >= 0;
    if (auto it = scenario_.byzantine.find(i); it != scenario_.byzantine.end()) r.byzantine = it->second;
    r.clock_offset_ms =
        node < n_ ? scenario_.clock_offset_ms[i] : scenario_.twins.clock_offset_ms[node - n_];
    r.config = base_config(validators_);
    r.config.view_timeout_ms = scenario_.view_timeout_ms;
    r.config.self = i;
    if (opt_.real_crypto) {
      r.signer = std::make_unique<consensus::KeySigner>(*keys_[i], /*deterministic=*/true);
    } else {
      r.signer = std::make_unique<FakeSigner>(fake_secrets_[i]);
    }
    r.verifier = make_verifier();
    r.app = std::make_unique<SimApp>(submitted_);
    r.rng = std::make_unique<Rng>(net_rng_.fork());
  }
  group_.assign(nodes_, 0);
  second_receives_.assign(twins.size(), 0);
  loss_per_mille_ = scenario_.loss_per_mille;
}

Outcome Simulation::run() {
  Outcome out;
  out.scenario = describe(scenario_);
  for (size_t i = 0; i < scenario_.batches.size(); ++i) {
    schedule(scenario_.batches[i].at_ms, BatchEvent{i});
    last_batch_ms_ = std::max(last_batch_ms_, scenario_.batches[i].at_ms);
  }
  for (size_t i = 0; i < scenario_.crashes.size(); ++i) {
    schedule(scenario_.crashes[i].at_ms, CrashEvent{i});
    schedule(scenario_.crashes[i].restart_ms, RestartEvent{scenario_.crashes[i].node});
  }
  for (const PartitionPlan& p : scenario_.partitions) {
    schedule(p.start_ms, PartitionEvent{p.group, {}});
    schedule(p.end_ms, PartitionEvent{std::vector<uint32_t>(nodes_, 0), {}});
  }
  for (const TwinsPhase& p : scenario_.twins.phases) {
    schedule(p.start_ms, PartitionEvent{p.group, p.second_receives});
  }
  for (size_t i = 0; i < scenario_.reconfigs.size(); ++i) {
    schedule(scenario_.reconfigs[i].at_ms, ReconfigEvent{i});
    last_batch_ms_ = std::max(last_batch_ms_, scenario_.reconfigs[i].at_ms);
  }
  if (opt_.reconfigure) {
    schedule(last_batch_ms_ + 50, LoadEvent{});
    schedule(500, RetryEvent{});
  }
  schedule(scenario_.fault_ms, HealEvent{});
  for (Replica& r : replicas_) start_replica(r);

  const uint64_t deadline = scenario_.fault_ms + opt_.liveness_bound_ms;
  bool done = false;
  while (!queue_.empty() && !checker_->failed()) {
    // The top is moved out before pop() discards it: events carry whole envelopes.
    Event e = std::move(const_cast<Event&>(queue_.top()));
    queue_.pop();
    if (e.at > deadline) break;
    now_ = e.at;
    ++stats_.events;
    dispatch(e);
    if (healed_ && now_ >= last_batch_ms_ && !checker_->failed() && all_committed() &&
        (!opt_.reconfigure || reconfigured())) {
      done = true;
      stats_.recovered_ms = now_ - scenario_.fault_ms;
      break;
    }
  }
  // Beyond f nothing promises progress: an honest replica that met the fork may have halted.
  if (!checker_->failed() && !done && within_f_) {
    std::string who;
    for (const Replica& r : replicas_) {
      if (r.byzantine || r.twin) continue;
      who += " replica " + name(r) + " has " + std::to_string(r.chain_txs.size()) + "/" +
             std::to_string(submitted_.size()) + " txs at height " +
             std::to_string(r.chain.size()) +
             (r.engine ? " view " + std::to_string(r.engine->view()) +
                             (r.engine->view_active() ? "" : " (changing)") +
                             (opt_.reconfigure ? " epoch " + std::to_string(r.es.epoch) : "")
                       : std::string(r.up ? " (follower)" : " (down)")) +
             ";";
    }
    if (opt_.reconfigure && !reconfigured()) {
      for (const Replica& r : replicas_) {
        who += " replica " + name(r) + " executed " + std::to_string(r.es.changes) + "/" +
               std::to_string(scenario_.reconfigs.size()) + " changes, " +
               std::to_string(r.es.pending.size()) + " pending, epoch " +
               std::to_string(r.es.epoch) + ";";
      }
    }
    checker_->fail("LIVENESS violated: " +
                   std::string(queue_.empty() ? "no event left" : "bound passed") + " " +
                   std::to_string(queue_.empty() ? now_ - scenario_.fault_ms
                                                 : opt_.liveness_bound_ms) +
                   " ms after the heal;" + who);
  }
  for (const Replica& r : replicas_) {
    if (r.engine && !r.byzantine && !r.twin)
      stats_.view_changes += r.engine->view_changes_started();
    stats_.epochs = std::max(stats_.epochs, r.es.epoch);
  }
  stats_.blocks = checker_->highest_height();
  stats_.new_views = checker_->coverage().new_views;
  stats_.reproposals = checker_->coverage().reproposals;
  stats_.contested = checker_->coverage().contested;
  stats_.transactions = submitted_.size();
  stats_.heal_ms = scenario_.fault_ms;
  stats_.end_ms = now_;
  out.ok = !checker_->failed();
  out.agreement_violated = checker_->agreement_violated();
  out.violation = checker_->violation();
  out.violation_ms = now_;
  out.stats = stats_;
  return out;
}

void Simulation::dispatch(Event& e) {
  std::visit(
      [&](auto& ev) {
        using E = std::decay_t<decltype(ev)>;
        if constexpr (std::is_same_v<E, MessageEvent>) {
          Replica& r = replicas_[ev.to];
          if (!r.up || !reachable(ev.from, ev.to)) {
            ++stats_.dropped;
            return;
          }
          if (!r.engine) {  // a follower: someone is ahead of it
            ++stats_.dropped;
            if (!r.fetching) start_fetch(r, {ev.from});
            return;
          }
          input(r, r.engine->on_message(ev.envelope, clock(r)),
                opt_.trace ? "message from " + checker_->name(ev.from) : std::string());
          if (r.engine && r.engine->newer_epoch_seen() > r.es.epoch && !r.fetching) {
            start_fetch(r, {ev.from});  // the sender switched epochs before this replica
          }
        } else if constexpr (std::is_same_v<E, TimerEvent>) {
          Replica& r = replicas_[ev.node];
          if (!r.up || r.incarnation != ev.incarnation ||
              r.timer_generation[ev.id] != ev.generation) {
            return;
          }
          input(r, r.engine->on_timer(ev.id, clock(r)),
                opt_.trace ? std::string("timer ") + consensus::timer_name(ev.id) : std::string());
        } else if constexpr (std::is_same_v<E, BatchEvent>) {
          on_batch(scenario_.batches[ev.index]);
        } else if constexpr (std::is_same_v<E, CrashEvent>) {
          const CrashPlan& c = scenario_.crashes[ev.index];
          Replica& r = replicas_[c.node];
          if (!r.up || healed_) return;
          if (c.mid_step) {
            r.crash_after_actions = r.rng->below(4);
          } else {
            crash(r);
          }
        } else if constexpr (std::is_same_v<E, RestartEvent>) {
          Replica& r = replicas_[ev.node];
          r.crash_after_actions.reset();
          if (!r.up) start_replica(r);
        } else if constexpr (std::is_same_v<E, PartitionEvent>) {
          if (!healed_) {
            group_ = ev.group;
            if (!ev.second_receives.empty()) second_receives_ = ev.second_receives;
          }
          trace("partition groups changed");
        } else if constexpr (std::is_same_v<E, FetchEvent>) {
          Replica& r = replicas_[ev.node];
          if (!r.up || r.incarnation != ev.incarnation) return;
          fetch(r, ev);
        } else if constexpr (std::is_same_v<E, HealEvent>) {
          on_heal();
        } else if constexpr (std::is_same_v<E, FollowEvent>) {
          Replica& r = replicas_[ev.node];
          if (!r.up || r.incarnation != ev.incarnation || r.engine) return;
          if (!r.fetching) {
            std::vector<uint32_t> all;
            for (uint32_t j = 0; j < nodes_; ++j) {
              if (j != r.node) all.push_back(j);
            }
            start_fetch(r, std::move(all));
          }
          schedule(now_ + net_rng_.between(100, 300), FollowEvent{r.node, r.incarnation});
        } else if constexpr (std::is_same_v<E, ReconfigEvent>) {
          on_reconfig(ev.index);
        } else if constexpr (std::is_same_v<E, RetryEvent>) {
          for (Replica& r : replicas_) {
            if (!r.up || !r.engine) continue;
            std::vector<consensus::Tx> missing;
            for (const consensus::Tx& t : all_txs_) {
              if (r.chain_txs.count(t.hash) == 0) missing.push_back(t);
            }
            if (!missing.empty()) submit(r, missing);
          }
          schedule(now_ + 500, RetryEvent{});
        } else if constexpr (std::is_same_v<E, LoadEvent>) {
          if (reconfigured()) return;
          on_batch(BatchPlan{now_, 1, {}});
          schedule(now_ + 50, LoadEvent{});
        }
      },
      e.what);
}

void Simulation::on_batch(const BatchPlan& b) {
  std::vector<consensus::Tx> txs;
  for (uint32_t i = 0; i < b.count; ++i) {
    std::string body = "sim/" + std::to_string(opt_.seed) + "/tx/" + std::to_string(tx_counter_++);
    body.append(net_rng_.below(120), 'x');
    txs.push_back(client_transaction(body));
  }
  for (Replica& r : replicas_) {
    const uint32_t who = opt_.reconfigure ? r.node : r.index;
    if (!b.receivers.empty() &&
        std::find(b.receivers.begin(), b.receivers.end(), who) == b.receivers.end()) {
      continue;
    }
    submit(r, txs);
  }
}

void Simulation::on_reconfig(size_t index) {
  // Operators propose a change once the one before it has executed somewhere: each names the
  // set after the one before.
  uint32_t executed = 0;
  for (const Replica& r : replicas_) executed = std::max(executed, r.es.changes);
  if (executed < index) {
    schedule(now_ + 100, ReconfigEvent{index});
    return;
  }
  const ReconfigPlan& plan = scenario_.reconfigs[index];
  std::string body = std::string(kReconfigPrefix) + std::to_string(index) + ":";
  for (uint32_t k : plan.keys) body += std::to_string(k) + ",";
  body += "seed" + std::to_string(opt_.seed);
  const consensus::Tx t = client_transaction(body);
  trace("client submits " + plan.kind + " of node " + std::to_string(plan.node));
  for (Replica& r : replicas_) submit(r, {t});
}

consensus::Tx Simulation::client_transaction(const std::string& body) {
  SignedTransaction tx;
  tx.set_body(body);
  consensus::Tx t;
  t.hash = crypto::sha256(body);
  tx.SerializeToString(&t.bytes);
  submitted_.insert(t.hash);
  checker_->on_submitted(t.hash);
  all_txs_.push_back(t);
  return t;
}

void Simulation::on_heal() {
  healed_ = true;
  group_.assign(nodes_, 0);
  if (!second_receives_.empty()) second_receives_ = scenario_.twins.heal_second_receives;
  loss_per_mille_ = 0;
  trace("heal");
  for (Replica& r : replicas_) {
    r.crash_after_actions.reset();
    if (!r.up) start_replica(r);
  }
  // Clients re-submit what each validator has not committed (their requests may have been lost
  // with a crash or a partition).
  for (Replica& r : replicas_) {
    std::vector<consensus::Tx> missing;
    for (const consensus::Tx& t : all_txs_) {
      if (r.chain_txs.count(t.hash) == 0) missing.push_back(t);
    }
    if (!missing.empty()) submit(r, missing);
  }
}

void Simulation::submit(Replica& r, const std::vector<consensus::Tx>& txs) {
  if (!r.up || !r.engine) return;
  input(r, r.engine->on_request(txs, clock(r)),
        opt_.trace ? "request of " + std::to_string(txs.size()) + " txs" : std::string());
}

void Simulation::start_replica(Replica& r) {
  r.incarnation += 1;
  r.up = true;
  r.fetching = false;
  r.timer_generation.clear();
  r.crash_after_actions.reset();
  r.switch_due = false;
  if (opt_.reconfigure) {
    // The node signs with whichever of its keys the current set holds.
    r.key = r.node;
    if (key_holder_[n_ + 1] == r.node &&
        std::find(r.es.keys.begin(), r.es.keys.end(), n_ + 1) != r.es.keys.end()) {
      r.key = n_ + 1;
    }
    const auto it = std::find(r.es.keys.begin(), r.es.keys.end(), r.key);
    r.index = it == r.es.keys.end() ? kNoIndex : static_cast<uint32_t>(it - r.es.keys.begin());
    r.config = epoch_config(r);
    r.verifier = verifier_for(r.es.keys);
    if (r.index == kNoIndex) {
      r.engine.reset();
      trace("replica " + name(r) + " follows at height " + std::to_string(r.chain.size()) +
            " (epoch " + std::to_string(r.es.epoch) + ")");
      schedule(now_ + net_rng_.between(50, 200), FollowEvent{r.node, r.incarnation});
      return;
    }
    r.signer = signer_for(r.key);
  }
  const uint64_t height = r.chain.size();
  const crypto::Hash last_hash = height == 0 ? crypto::Hash{} : r.chain.back().hash;
  const crypto::Hash last_root =
      height == 0 ? crypto::sha256("sharechain-sim/genesis-state") : r.chain.back().root;
  const uint64_t last_ts = height == 0 ? kEpochMs - 1000 : r.chain.back().timestamp_ms;
  r.last_delivered = height;
  r.seen_rejections = 0;
  // What a node's store tells its engine about the tip (the node reads the tip block's header).
  std::optional<consensus::TipFacts> tip;
  if (height > 0) {
    BlockHeader header;
    header.ParseFromString(r.chain.back().block.header());
    tip = consensus::TipFacts{header.state_height(), r.chain.back().block.transactions_size() > 0};
  }
  r.engine = std::make_unique<consensus::Engine>(r.config, *r.signer, *r.verifier, *r.app,
                                                 r.persisted, height, last_hash, last_root,
                                                 last_ts, simulated_history(height, last_root), tip);
  trace("replica " + name(r) + " starts at height " + std::to_string(height));
  input(r, r.engine->start(clock(r)), opt_.trace ? "start" : std::string());
}

void Simulation::crash(Replica& r) {
  trace("replica " + name(r) + " crashes");
  if (!r.byzantine && !r.twin && r.engine) stats_.view_changes += r.engine->view_changes_started();
  r.engine.reset();
  r.up = false;
  r.fetching = false;
  r.crash_after_actions.reset();
  r.incarnation += 1;
  ++stats_.crashes;
}

void Simulation::note_engine(const Replica& r) {
  if (r.byzantine || r.twin || !r.engine) return;
  stats_.views = std::max(stats_.views, r.engine->view());
}

void Simulation::input(Replica& r, Actions actions, const std::string& cause) {
  if (r.engine) {
    const uint64_t rejected = r.engine->rejections_total();
    const bool new_rejection = rejected != r.seen_rejections;
    if (new_rejection) {
      consensus::RejectedInput rej = *r.engine->last_rejection();
      if (opt_.reconfigure && rej.validator) {
        rej.validator = node_of_index(r, *rej.validator).value_or(kNoIndex);
      }
      checker_->on_rejected(r.node, rej);
    }
    if (opt_.trace != nullptr && (!actions.empty() || new_rejection)) {
      trace("replica " + name(r) + " <- " + cause);
    }
    if (opt_.trace != nullptr && new_rejection) {
      trace("  " + name(r) + " rejected " + r.engine->last_rejection()->text());
    }
    r.seen_rejections = rejected;
  }
  // A switch this step's delivery made due happens once its actions are done; one already due
  // (state transfer) is the transfer's to make.
  const bool due_before = r.switch_due;
  ReplicaHost host(*this, r);
  if (consensus::perform(host, std::move(actions)) && r.up) note_engine(r);
  if (!due_before && r.switch_due && r.up && !checker_->failed()) switch_epoch(r);
}

void Simulation::switch_epoch(Replica& r, bool transferred) {
  r.switch_due = false;
  std::vector<consensus::Tx> pending;
  if (r.engine) {
    // Delivered blocks reach the engine's execution report first; transferred ones do not.
    if (!transferred && !r.engine->epoch_finished()) {
      checker_->fail("replica " + name(r) + " switched epochs before its engine finished epoch " +
                     std::to_string(r.engine->epoch()));
      return;
    }
    for (consensus::Tx& t : r.engine->pending_transactions()) {
      if (r.chain_txs.count(t.hash) == 0) pending.push_back(std::move(t));
    }
    if (!r.byzantine) stats_.view_changes += r.engine->view_changes_started();
  }
  trace("replica " + name(r) + " enters epoch " + std::to_string(r.es.epoch) + " at height " +
        std::to_string(r.chain.size()));
  r.engine.reset();
  start_replica(r);
  if (r.engine && !pending.empty()) submit(r, pending);
}

std::vector<consensus::ValidatorInfo> Simulation::infos(const std::vector<uint32_t>& keys) const {
  std::vector<consensus::ValidatorInfo> out;
  for (uint32_t k : keys) out.push_back(key_infos_.at(k));
  return out;
}

std::unique_ptr<consensus::Verifier> Simulation::verifier_for(
    const std::vector<uint32_t>& keys) const {
  if (opt_.real_crypto) return std::make_unique<consensus::KeyVerifier>(infos(keys));
  std::vector<uint64_t> secrets;
  for (uint32_t k : keys) secrets.push_back(key_secrets_.at(k));
  return std::make_unique<FakeVerifier>(secrets);
}

std::unique_ptr<consensus::Signer> Simulation::signer_for(uint32_t key) const {
  if (opt_.real_crypto) {
    return std::make_unique<consensus::KeySigner>(key_privates_.at(key), /*deterministic=*/true);
  }
  return std::make_unique<FakeSigner>(key_secrets_.at(key));
}

consensus::Config Simulation::epoch_config(const Replica& r) const {
  consensus::Config c = base_config(infos(r.es.keys));
  c.view_timeout_ms = scenario_.view_timeout_ms;
  c.epoch = r.es.epoch;
  c.epoch_start = r.es.start;
  c.epoch_start_hash = r.es.start_hash;
  c.self = r.index == kNoIndex ? 0 : r.index;
  c.epoch_end = epoch_end_of(r.es);
  return c;
}

std::optional<consensus::EpochEnd> Simulation::epoch_end_of(const EpochState& es) const {
  if (es.pending.empty()) return std::nullopt;
  const auto& [last, keys] = es.pending.front();
  return consensus::EpochEnd{last, consensus::validator_set_hash(infos(keys))};
}

std::optional<uint32_t> Simulation::node_of_index(const Replica& r, uint32_t index) const {
  if (index >= r.es.keys.size()) return std::nullopt;
  return key_holder_.at(r.es.keys[index]);
}

std::optional<consensus::EpochEnd> Simulation::execute_changes(Replica& r, const Block& block,
                                                               uint64_t height,
                                                               const crypto::Hash& hash) {
  bool changed = false;
  const consensus::Config base = base_config({});
  for (const std::string& bytes : block.transactions()) {
    SignedTransaction tx;
    if (!tx.ParseFromString(bytes) || tx.body().rfind(kReconfigPrefix, 0) != 0) continue;
    // Change k runs only after change k - 1, once: what the governance contract's checks do.
    const size_t colon = tx.body().find(':');
    const uint32_t k = static_cast<uint32_t>(
        std::stoul(tx.body().substr(kReconfigPrefix.size(), colon - kReconfigPrefix.size())));
    if (k != r.es.changes || k >= scenario_.reconfigs.size()) continue;
    r.es.changes += 1;
    const uint64_t last = consensus::switch_height(height, base.checkpoint_interval, base.window);
    const std::vector<uint32_t>& next = scenario_.reconfigs[k].keys;
    if (!r.es.pending.empty() && r.es.pending.back().first == last) {
      r.es.pending.back().second = next;  // the same switch height: the later change wins
    } else {
      r.es.pending.emplace_back(last, next);
    }
    changed = true;
    trace("replica " + name(r) + " executed " + scenario_.reconfigs[k].kind + " at height " +
          std::to_string(height) + ": epoch " + std::to_string(r.es.epoch + r.es.pending.size()) +
          " from height " + std::to_string(last + 1));
  }
  r.config.epoch_end = epoch_end_of(r.es);
  const std::optional<consensus::EpochEnd> told = changed ? r.config.epoch_end : std::nullopt;
  if (!r.es.pending.empty() && r.es.pending.front().first == height) {
    r.es.epoch += 1;
    r.es.keys = r.es.pending.front().second;
    r.es.start = height;
    r.es.start_hash = hash;
    r.es.pending.erase(r.es.pending.begin());
    stats_.epochs = std::max(stats_.epochs, r.es.epoch);
    auto [it, fresh] = epoch_sets_.emplace(r.es.epoch, r.es.keys);
    if (!fresh && it->second != r.es.keys) {
      checker_->fail("replica " + name(r) + " computed another validator set for epoch " +
                     std::to_string(r.es.epoch) + " than the replicas before it");
    }
    r.switch_due = true;
  }
  return told;
}

void Simulation::send(Replica& r, std::vector<uint32_t> destinations, const Envelope& env) {
  // Decoded once here for the checker and the drought filter; the engine decodes on receipt.
  const std::optional<consensus::Message> decoded = consensus::decode(env);
  std::vector<Wire> wire;
  if (r.byzantine) {
    ByzantineContext ctx{r.config, *r.signer, *r.rng, r.engine->view(),
                         r.engine->committed_height()};
    misbehave(*r.byzantine, ctx, destinations, env, wire);
  } else {
    checker_->on_honest_send(r.node, decoded, r.es.epoch);
    for (uint32_t d : destinations) wire.push_back(Wire{d, env});
  }
  const Envelope* last = nullptr;
  std::optional<consensus::Message> m;
  for (Wire& w : wire) {
    ++stats_.messages;
    if (last == nullptr || last->payload() != w.envelope.payload()) {
      m = w.envelope.payload() == env.payload() ? decoded : consensus::decode(w.envelope);
      checker_->on_wire(w.envelope, m);
    }
    last = &w.envelope;
    std::optional<uint32_t> to;
    if (opt_.reconfigure) {
      to = w.to == r.index ? std::nullopt : node_of_index(r, w.to);
      if (to && (*to == r.node || !reachable(r.node, *to))) to.reset();
    } else {
      to = w.to >= n_ || w.to == r.index ? std::nullopt : route(r.node, w.to);
    }
    if (!to || net_rng_.chance(loss_per_mille_) ||
        in_drought(opt_.reconfigure ? r.node : r.index, opt_.reconfigure ? *to : w.to, m)) {
      ++stats_.dropped;
      continue;
    }
    const int copies = net_rng_.chance(scenario_.duplicate_per_mille) ? 2 : 1;
    for (int c = 0; c < copies; ++c) {
      const uint64_t delay = net_rng_.between(scenario_.min_delay_ms, scenario_.max_delay_ms);
      schedule(now_ + delay, MessageEvent{r.node, *to, w.envelope});
    }
  }
}

void Simulation::store(Replica& r, const Block& block, const crypto::Hash& hash) {
  const uint64_t height = r.chain.size() + 1;
  BlockHeader header;
  header.ParseFromString(block.header());
  if (opt_.reconfigure) {
    const uint32_t proposer = node_of_index(r, header.proposer()).value_or(kNoIndex);
    checker_->on_stored(r.node, height, block, hash, r.chain_txs,
                        Checker::EpochView{r.config, *r.verifier, proposer});
  } else {
    checker_->on_stored(r.node, height, block, hash, r.chain_txs);
  }
  const crypto::Hash prev_root =
      r.chain.empty() ? crypto::sha256("sharechain-sim/genesis-state") : r.chain.back().root;
  // The simulated state root: a hash chain over executed blocks, so replicas that executed the
  // same blocks agree and any divergence shows.
  StoredBlock s{block, hash, crypto::sha256(crypto::hash_bytes(prev_root) + crypto::hash_bytes(hash)),
                header.timestamp_ms()};
  r.chain.push_back(std::move(s));
  if (auto txs = consensus::transaction_hashes(block)) r.chain_txs.insert(txs->begin(), txs->end());
}

void Simulation::deliver_block(Replica& r, const consensus::Deliver& d, Actions& follow) {
  if (d.height <= r.last_delivered) {
    checker_->fail("replica " + name(r) + " delivered height " + std::to_string(d.height) +
                   " after " + std::to_string(r.last_delivered));
    return;
  }
  r.last_delivered = d.height;
  if (d.height <= r.chain.size()) {
    // State transfer got there first (as in the node): it must be the same block, or this
    // replica has two certified blocks at one height.
    if (r.chain[d.height - 1].hash != d.hash && checker_->counts(r.node)) {
      checker_->fail_agreement("replica " + name(r) + " delivered a block at height " +
                               std::to_string(d.height) + " other than the one it fetched");
    }
    return;
  }
  if (d.height != r.chain.size() + 1) {
    checker_->fail("replica " + name(r) + " delivered height " + std::to_string(d.height) +
                   " with its store at " + std::to_string(r.chain.size()));
    return;
  }
  store(r, d.block, d.hash);
  if (checker_->failed()) return;
  if (opt_.reconfigure) {
    // Before on_executed: the engine must know where its epoch ends before its window can
    // reach that height.
    if (auto end = execute_changes(r, d.block, d.height, d.hash)) {
      Actions told = r.engine->set_epoch_end(*end, clock(r));
      follow.insert(follow.end(), std::make_move_iterator(told.begin()),
                    std::make_move_iterator(told.end()));
    }
  }
  Actions more = r.engine->on_executed(d.height, r.chain.back().root,
                                       simulated_history(d.height, r.chain.back().root), clock(r));
  follow.insert(follow.end(), std::make_move_iterator(more.begin()),
                std::make_move_iterator(more.end()));
}

void Simulation::fetch(Replica& r, const FetchEvent& ev) {
  // Like the node, one block per step: the engine keeps running (and may commit the same
  // heights itself) while the transfer is under way.
  const consensus::FetchBlocks& f = ev.fetch;
  std::vector<uint32_t> sources = opt_.reconfigure ? ev.nodes : f.sources;
  if (sources.empty() && !opt_.reconfigure) {
    for (uint32_t i = 0; i < n_; ++i) {
      if (i != r.index) sources.push_back(i);
    }
  }
  const uint64_t h = std::max<uint64_t>(f.from_height, r.chain.size() + 1);
  const Replica* source = nullptr;
  size_t turn = ev.turn;
  for (size_t i = 0; i < sources.size() && source == nullptr && h <= f.to_height; ++i) {
    // A source is asked by its index; which node answers is the network's business.
    const uint32_t v = sources[(ev.turn + i) % sources.size()];
    std::optional<uint32_t> node;
    if (opt_.reconfigure) {
      if (v != r.node && reachable(r.node, v)) node = v;
    } else {
      node = v < n_ ? route(r.node, v) : std::nullopt;
    }
    if (!node) continue;
    const Replica& s = replicas_[*node];
    if (s.up && (opt_.reconfigure || s.index != r.index) && s.chain.size() >= h) {
      source = &s;
      turn = (ev.turn + i) % sources.size();
    }
  }
  bool stored = false;
  if (source != nullptr) {
    Block block = source->chain[h - 1].block;
    if (source->byzantine && r.rng->chance(300) && block.certificate().votes_size() > 0) {
      block.mutable_certificate()->mutable_votes()->RemoveLast();  // a Byzantine source lies
    }
    BlockHeader header;
    const crypto::Hash hash = consensus::block_hash(block);
    const crypto::Hash prev = r.chain.empty() ? crypto::Hash{} : r.chain.back().hash;
    // The node drops a block that fails verification and ends this transfer.
    if (header.ParseFromString(block.header()) && header.height() == h &&
        header.prev_hash() == crypto::hash_bytes(prev) &&
        consensus::verify_commit_certificate(r.config, block, *r.verifier)) {
      store(r, block, hash);
      if (checker_->failed()) return;
      stored = true;
      ++stats_.fetched_blocks;
      if (opt_.reconfigure) {
        if (auto end = execute_changes(r, block, h, hash); end && r.engine) {
          input(r, r.engine->set_epoch_end(*end, clock(r)),
                opt_.trace ? "epoch end" : std::string());
        }
        if (!r.up) return;
      }
      if (auto t = consensus::transaction_hashes(block); t && !t->empty() && r.engine) {
        input(r, r.engine->on_transactions_committed(*t, clock(r)),
              opt_.trace ? "transactions committed" : std::string());
      }
      if (!r.up) return;
      if (r.switch_due) {
        // The old epoch's engine goes; the transfer goes on under the next one.
        switch_epoch(r, /*transferred=*/true);
        if (!r.up) return;
        r.fetching = true;
        schedule(now_ + net_rng_.between(1, 10), FetchEvent{r.node, r.incarnation, f, turn, ev.nodes});
        return;
      }
    }
  }
  if (!r.up) return;
  if (stored && h < f.to_height) {
    schedule(now_ + net_rng_.between(1, 10), FetchEvent{r.node, r.incarnation, f, turn, ev.nodes});
    return;
  }
  r.fetching = false;
  trace("replica " + name(r) + " state transfer to height " + std::to_string(r.chain.size()));
  if (!r.engine) return;  // a follower: its next tick asks again
  const StoredBlock* last = r.chain.empty() ? nullptr : &r.chain.back();
  input(r,
        r.engine->on_state_transferred(
            r.chain.size(), last ? last->hash : crypto::Hash{},
            last ? last->root : crypto::sha256("sharechain-sim/genesis-state"),
            last ? last->timestamp_ms : kEpochMs - 1000, clock(r),
            simulated_history(r.chain.size(), last ? last->root : crypto::Hash{})),
        opt_.trace ? "state transferred" : std::string());
}

void Simulation::start_fetch(Replica& r, std::vector<uint32_t> nodes) {
  r.fetching = true;
  consensus::FetchBlocks f;
  f.from_height = r.chain.size() + 1;
  f.to_height = UINT64_MAX;  // as far as the source has certified blocks
  schedule(now_ + net_rng_.between(5, 60), FetchEvent{r.node, r.incarnation, f, 0, std::move(nodes)});
}

bool Simulation::in_drought(uint32_t from, uint32_t to,
                            const std::optional<consensus::Message>& m) {
  if (healed_ || !m) return false;
  for (const DroughtPlan& d : scenario_.droughts) {
    if (now_ < d.start_ms || now_ >= d.end_ms) continue;
    if (static_cast<int>(m->kind_case()) != d.kind) continue;
    if (std::find(d.victims.begin(), d.victims.end(), to) == d.victims.end() ||
        std::find(d.senders.begin(), d.senders.end(), from) == d.senders.end()) {
      continue;
    }
    if (net_rng_.chance(d.per_mille)) return true;
  }
  return false;
}

std::optional<uint32_t> Simulation::route(uint32_t from, uint32_t to) const {
  const int j = twin_slot_[to];
  const bool first = group_[from] == group_[to];
  if (j < 0) return first ? std::optional<uint32_t>(to) : std::nullopt;
  const uint32_t second_node = n_ + static_cast<uint32_t>(j);
  const bool second = group_[from] == group_[second_node];
  if (first && second) return second_receives_[j] ? second_node : to;
  if (first) return to;
  if (second) return second_node;
  return std::nullopt;
}

bool Simulation::in_latest_set(const Replica& r) const {
  const std::vector<uint32_t>& latest = epoch_sets_.rbegin()->second;
  return std::any_of(latest.begin(), latest.end(),
                     [&](uint32_t k) { return key_holder_[k] == r.node; });
}

bool Simulation::reconfigured() const {
  for (const Replica& r : replicas_) {
    if (r.byzantine || !in_latest_set(r)) continue;
    if (!r.up || r.es.changes < scenario_.reconfigs.size() || !r.es.pending.empty()) return false;
  }
  return true;
}

bool Simulation::all_committed() const {
  for (const Replica& r : replicas_) {
    if (r.byzantine || r.twin) continue;
    // With reconfiguration: the honest members of the latest set (a removed node may lag).
    if (opt_.reconfigure && !in_latest_set(r)) continue;
    if (!r.up || r.chain_txs.size() < submitted_.size()) return false;
  }
  return true;
}

}  // namespace

Outcome simulate(const Options& options) {
  Simulation sim(options);
  return sim.run();
}

std::string replay_command(const Options& o) {
  std::string cmd = "sharechain-sim --nodes " + std::to_string(o.nodes) + " --seeds " +
                    std::to_string(o.seed) + ":1";
  if (o.byzantine > 0) cmd += " --byzantine " + std::to_string(o.byzantine);
  if (o.twins > 0) cmd += " --twins " + std::to_string(o.twins);
  if (o.expect_violation) cmd += " --expect-violation";
  if (o.behaviour) cmd += " --behaviour " + std::string(behaviour_name(*o.behaviour));
  if (o.real_crypto) cmd += " --real-crypto";
  if (o.reconfigure) cmd += " --reconfigure";
  if (o.fault_ms != Options{}.fault_ms) cmd += " --fault-ms " + std::to_string(o.fault_ms);
  if (o.liveness_bound_ms != Options{}.liveness_bound_ms) {
    cmd += " --liveness-bound-ms " + std::to_string(o.liveness_bound_ms);
  }
  return cmd;
}

std::string check_options(const Options& o) {
  if (o.nodes == 0 || o.nodes > 64) return "--nodes must be between 1 and 64";
  const uint32_t f = consensus::max_faulty(o.nodes);
  const uint32_t faulty = o.byzantine + o.twins;
  if (faulty > o.nodes) return "--byzantine plus --twins exceeds --nodes";
  if (o.expect_violation) {
    if (faulty <= f) {
      return "--expect-violation needs more than f = " + std::to_string(f) +
             " faulty validators (--byzantine plus --twins): within f no seed may violate "
             "agreement";
    }
  } else if (o.twins == 0 && o.byzantine > f) {
    return "--byzantine " + std::to_string(o.byzantine) + " exceeds f = " + std::to_string(f) +
           " for " + std::to_string(o.nodes) + " validators: PBFT promises nothing then";
  } else if (faulty > f) {
    return "--byzantine " + std::to_string(o.byzantine) + " and --twins " +
           std::to_string(o.twins) + " make " + std::to_string(faulty) +
           " faulty validators, above f = " + std::to_string(f) + " for " +
           std::to_string(o.nodes) +
           " validators: PBFT promises nothing then (--expect-violation searches such runs for "
           "a fork)";
  }
  if (o.fault_ms < 100) return "--fault-ms must be at least 100";
  if (o.reconfigure && (o.twins > 0 || o.expect_violation)) {
    return "--reconfigure runs with --byzantine only (twins share an index, which epochs renumber)";
  }
  return {};
}

}  // namespace sharechain::sim
