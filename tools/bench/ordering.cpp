#include "tools/bench/ordering.hpp"

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>  // Boost 1.74 awaitable.hpp uses std::exchange without including it
#include <boost/asio.hpp>
#include <vector>

#include "consensus/driver.hpp"
#include "consensus/engine.hpp"
#include "consensus/signing.hpp"
#include "node/config.hpp"
#include "node/engine_timers.hpp"
#include "node/metrics.hpp"
#include "node/peer_network.hpp"

namespace sharechain::bench {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

constexpr char kChainId[] = "sharechain-bench-ordering";
// The load thread hands requests to the engines in batches of at most this many, so one post
// per validator carries many requests without holding back the pipeline.
constexpr std::size_t kSubmitBatch = 500;

struct Options {
  std::uint32_t validators = 4;
  std::uint16_t base_port = 29400;
  std::size_t payload_bytes = 32;
  double rate = 0;
  std::size_t inflight = 4000;
  double duration = 10;
  bool json = false;
  bool verbose = false;
  // The daemon's and the chain's defaults (node/config.hpp; the engine's are the chain's), so
  // the figures describe the engine as deployed.
  std::uint32_t max_block_txs = node::Config{}.max_block_txs;
  std::uint64_t batch_delay_ms = node::Config{}.batch_delay_ms;
  std::uint64_t checkpoint_interval = consensus::Config{}.checkpoint_interval;
  std::uint64_t window = consensus::Config{}.window;
  std::uint64_t view_timeout_ms = node::Config{}.view_timeout_ms;
};

std::uint64_t now_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const std::size_t i =
      std::min(sorted.size() - 1, static_cast<std::size_t>(p * (sorted.size() - 1) + 0.5));
  return sorted[i];
}

// The engine only needs a SignedTransaction whose hash is SHA-256 of its body; the body is the
// request number followed by padding, so every request is distinct and exactly
// `payload_bytes` long, and nobody signs or checks anything about it.
consensus::Tx dummy_request(std::uint64_t number, std::size_t payload_bytes) {
  std::string body(payload_bytes, '\0');
  for (int i = 0; i < 8; ++i) body[i] = static_cast<char>(number >> (56 - 8 * i));
  SignedTransaction tx;
  tx.set_body(std::move(body));
  consensus::Tx out;
  out.hash = crypto::sha256(tx.body());
  tx.SerializeToString(&out.bytes);
  return out;
}

class AcceptAll final : public consensus::Application {
 public:
  Status validate_proposal(const BlockHeader&, const Block&) override { return Status::ok(); }
};

// What every validator reports to the run: the first halt stops it.
struct RunState {
  std::atomic<bool> halted{false};
  std::mutex mu;
  std::string halt_reason;
};

// One validator: its engine, owned by its own io_context thread, and its peer network. Requests
// and peer messages are posted onto that thread, as node/node.cpp does.
class Validator final : private consensus::Host {
 public:
  Validator(const Options& options, std::uint32_t self, const std::vector<crypto::PrivateKey>& keys,
            const std::string& genesis_hash, RunState& run)
      : run_(run), self_(self), track_latency_(self == 0), signer_(keys[self]),
        verifier_(validator_infos(keys)) {
    for (std::uint32_t i = 0; i < keys.size(); ++i) {
      keys_.push_back(keys[i].public_key());
      if (i != self) peers_.push_back(node::PeerEntry{keys[i].public_key(), address_of(options, i), true});
    }
    net_config_.name = "bench-" + std::to_string(self);
    net_config_.p2p_listen = address_of(options, self);
    consensus::Config cc;
    cc.chain_id = kChainId;
    cc.validators = validator_infos(keys);
    cc.self = self;
    cc.max_block_txs = options.max_block_txs;
    cc.batch_delay_ms = options.batch_delay_ms;
    cc.checkpoint_interval = options.checkpoint_interval;
    cc.window = options.window;
    cc.view_timeout_ms = options.view_timeout_ms;
    config_error_ = consensus::validate_config(cc);
    engine_ = std::make_unique<consensus::Engine>(cc, signer_, verifier_, app_,
                                                  std::map<std::string, std::string>{}, 0,
                                                  crypto::Hash{}, state_root(), 0);
    identity_ = node::PeerIdentity{kChainId, genesis_hash};
    key_.emplace(keys[self]);
  }

  ~Validator() { stop(); }

  Status start_network() {
    if (!config_error_) return config_error_;
    node::PeerHandlers handlers;
    handlers.on_consensus = [this](std::uint32_t, consensus::Envelope env) {
      asio::post(io_, [this, env = std::move(env)] { perform(engine_->on_message(env, now_ms())); });
    };
    handlers.on_transactions = [](std::uint32_t, std::vector<SignedTransaction>, std::function<void()> done) {
      done();
    };
    // Nothing is stored, so there is nothing to serve; a healthy run never asks.
    handlers.block_at = [](std::uint64_t) { return std::optional<Block>{}; };
    handlers.height = [] { return std::uint64_t{0}; };
    handlers.history_entry = [](std::uint64_t) { return std::optional<storage::HistoryEntry>{}; };
    handlers.snapshot = [] { return std::shared_ptr<const node::ServedSnapshot>{}; };
    network_ = std::make_unique<node::PeerNetwork>(net_config_, identity_, *key_, metrics_,
                                                   std::move(handlers));
    if (Status s = network_->start(); !s) return s;
    network_->set_peers(peers_);
    // The engine names validators by index, the network peers by number.
    for (const std::string& key : keys_) peer_of_.push_back(network_->peer_id(key).value_or(UINT32_MAX));
    return Status::ok();
  }

  void start_engine() {
    work_.emplace(asio::make_work_guard(io_));
    thread_ = std::thread([this] { io_.run(); });
    asio::post(io_, [this] { perform(engine_->start(now_ms())); });
  }

  std::size_t connected_peers() const { return network_ ? network_->connected_peers() : 0; }

  // From any thread. `at` is when the requests were made, for the latency of their delivery.
  void submit(std::vector<consensus::Tx> txs, Clock::time_point at) {
    asio::post(io_, [this, txs = std::move(txs), at]() mutable {
      if (track_latency_) {
        for (const auto& tx : txs) submitted_at_.emplace(tx.hash, at);
      }
      perform(engine_->on_request(std::move(txs), now_ms()));
    });
  }

  std::uint64_t committed() const { return committed_.load(std::memory_order_acquire); }
  std::uint64_t blocks() const { return blocks_.load(std::memory_order_acquire); }
  std::uint64_t fetches() const { return fetches_.load(); }
  std::uint64_t evidence() const { return evidence_.load(); }

  // Runs `fn` on this validator's thread and waits for it: how the load thread reads what only
  // that thread may touch (the engine, the latencies).
  template <typename Fn>
  auto on_thread(Fn fn) -> decltype(fn()) {
    std::packaged_task<decltype(fn())()> task(std::move(fn));
    auto result = task.get_future();
    asio::post(io_, [&task] { task(); });
    return result.get();
  }

  std::vector<double> latencies_ms() {
    return on_thread([this] { return latencies_ms_; });
  }
  std::uint64_t view_changes() {
    return on_thread([this] { return engine_->view_changes_started(); });
  }

  // After stop(): the engine's thread no longer sends through the network.
  void stop_network() {
    if (network_) network_->stop();
  }

  // Stops the engine's thread; the engine sees no input after the handler running now.
  void stop() {
    if (!thread_.joinable()) return;
    work_.reset();
    asio::post(io_, [this] {
      timers_.cancel_all();
      io_.stop();
    });
    thread_.join();
  }

 private:
  static std::vector<consensus::ValidatorInfo> validator_infos(
      const std::vector<crypto::PrivateKey>& keys) {
    std::vector<consensus::ValidatorInfo> out;
    for (const auto& k : keys) out.push_back(consensus::ValidatorInfo{k.public_key()});
    return out;
  }
  static std::string address_of(const Options& options, std::uint32_t validator) {
    return "127.0.0.1:" + std::to_string(options.base_port + validator);
  }
  // Nothing executes, so the state never changes; any fixed value shared by all will do.
  static const crypto::Hash& state_root() {
    static const crypto::Hash root = crypto::sha256(std::string("sharechain-bench ordering state"));
    return root;
  }

  void perform(consensus::Actions actions) { consensus::perform(*this, std::move(actions)); }

  // consensus::Host
  void do_send(const consensus::Send& s) override {
    if (s.to < peer_of_.size()) network_->send(peer_of_[s.to], s.envelope);
  }
  void do_broadcast(const consensus::Broadcast& b) override { network_->broadcast(b.envelope); }

  void do_set_timer(const consensus::SetTimer& t) override {
    timers_.set(t, [this](consensus::TimerId id) { perform(engine_->on_timer(id, now_ms())); });
  }
  void do_cancel_timer(const consensus::CancelTimer& c) override { timers_.cancel(c.id); }

  // Kept in memory only: the ordering figures leave storage out, and the engine deletes what it
  // no longer needs, so this stays a few records per height in the window.
  Status do_persist(const consensus::Persist& p) override {
    for (const auto& [key, value] : p.puts) persisted_[key] = value;
    for (const auto& key : p.deletes) persisted_.erase(key);
    return Status::ok();
  }

  void do_deliver(const consensus::Deliver& d, consensus::Actions& follow_up) override {
    const auto now = Clock::now();
    if (track_latency_) {
      SignedTransaction tx;
      for (const std::string& bytes : d.block.transactions()) {
        if (!tx.ParseFromString(bytes)) continue;
        auto it = submitted_at_.find(crypto::sha256(tx.body()));
        if (it == submitted_at_.end()) continue;
        latencies_ms_.push_back(std::chrono::duration<double, std::milli>(now - it->second).count());
        submitted_at_.erase(it);
      }
    }
    committed_.fetch_add(static_cast<std::uint64_t>(d.block.transactions_size()),
                         std::memory_order_release);
    blocks_.fetch_add(1, std::memory_order_release);
    auto more = engine_->on_executed(d.height, state_root(), now_ms());
    follow_up.insert(follow_up.end(), std::make_move_iterator(more.begin()),
                     std::make_move_iterator(more.end()));
  }

  // Nothing is stored, so nothing can be fetched. Every validator starts together and stays up;
  // the one benign case is a quorum's COMMITs overtaking a large PRE-PREPARE on another stream,
  // and the engine commits that block itself once it arrives. A run whose validators keep asking
  // has a validator that fell behind, and its figures are suspect: hence the count and the log.
  void do_fetch(const consensus::FetchBlocks& f) override {
    fetches_.fetch_add(1);
    spdlog::info("validator {} asked to fetch blocks {}..{}; ignored (no storage in ordering mode)",
                 self_, f.from_height, f.to_height);
  }

  void do_evidence(const consensus::Evidence& e) override {
    evidence_.fetch_add(1);
    spdlog::warn("validator {}: equivocation by validator {} ({} at view {} height {})", self_,
                 e.validator, e.kind, e.view, e.height);
  }

  void do_halt(const consensus::Halt& h) override {
    halted_ = true;
    std::lock_guard lock(run_.mu);
    if (!run_.halted.exchange(true)) {
      run_.halt_reason = "validator " + std::to_string(self_) + " halted: " + h.reason;
    }
  }

  bool halted() override { return halted_; }

  RunState& run_;
  const std::uint32_t self_;
  const bool track_latency_;
  node::Config net_config_;
  node::PeerIdentity identity_;
  std::vector<std::string> keys_;         // by validator index
  std::vector<node::PeerEntry> peers_;    // every other validator
  std::vector<std::uint32_t> peer_of_;    // validator index -> peer number
  std::optional<crypto::PrivateKey> key_;
  node::Metrics metrics_;
  consensus::KeySigner signer_;
  consensus::KeyVerifier verifier_;
  AcceptAll app_;
  Status config_error_;
  std::unique_ptr<consensus::Engine> engine_;

  // Declared before what posts to it or waits on it, so it is destroyed after them.
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::thread thread_;
  node::EngineTimers timers_{io_};
  std::unique_ptr<node::PeerNetwork> network_;

  // This validator's thread only.
  bool halted_ = false;
  std::map<std::string, std::string> persisted_;
  std::unordered_map<crypto::Hash, Clock::time_point, crypto::HashHasher> submitted_at_;
  std::vector<double> latencies_ms_;

  std::atomic<std::uint64_t> committed_{0};
  std::atomic<std::uint64_t> blocks_{0};
  std::atomic<std::uint64_t> fetches_{0};
  std::atomic<std::uint64_t> evidence_{0};
};

[[noreturn]] void fail(const std::string& message, int code) {
  std::cerr << "sharechain-bench: " << message << '\n';
  std::exit(code);
}

}  // namespace

std::string parse_mode(int argc, char** argv) {
  CLI::App pre;
  pre.allow_extras();
  pre.set_help_flag();  // --help belongs to the mode's own parser
  std::string mode = "load";
  pre.add_option("--mode", mode)->check(CLI::IsMember({"load", "ordering"}));
  try {
    pre.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::exit(pre.exit(e));
  }
  return mode;
}

int ordering_main(int argc, char** argv) {
  CLI::App app{
      "sharechain-bench --mode ordering — ordering alone: N validators in this process, real "
      "engines and peer network on loopback, dummy payloads, no execution, no storage"};
  Options o;
  std::string mode;
  app.add_option("--mode", mode, "ordering (this mode) or load (the load generator)");
  app.add_option("--validators", o.validators, "validators to run in this process")
      ->check(CLI::Range(1, 64));
  app.add_option("--base-port", o.base_port, "validator i listens for peers on 127.0.0.1:(base + i)")
      ->check(CLI::Range(1024, 65000));
  app.add_option("--payload-bytes", o.payload_bytes, "bytes per request (at least 8)")
      ->check(CLI::Range(8, 1 << 20));
  app.add_option("--rate", o.rate, "requests per second offered (0 = as fast as ordered)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--inflight", o.inflight, "submitted but not yet delivered requests at most")
      ->check(CLI::Range(1, 10000000));
  app.add_option("--duration", o.duration, "seconds of load")->check(CLI::PositiveNumber);
  app.add_option("--max-block-txs", o.max_block_txs, "requests per block at most");
  app.add_option("--batch-delay-ms", o.batch_delay_ms, "the primary cuts a block after this delay");
  app.add_option("--checkpoint-interval", o.checkpoint_interval, "heights between checkpoints");
  app.add_option("--window", o.window, "watermark window (at least twice the checkpoint interval)");
  app.add_option("--view-timeout-ms", o.view_timeout_ms, "base request/view-change timeout");
  app.add_flag("--json", o.json, "print one JSON object");
  app.add_flag("--verbose", o.verbose, "log the peer network and engines at info level");
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(o.verbose ? spdlog::level::info : spdlog::level::warn);
  if (static_cast<std::uint32_t>(o.base_port) + o.validators > 65535) {
    fail("--base-port + --validators passes port 65535", 2);
  }

  std::vector<crypto::PrivateKey> keys;
  for (std::uint32_t i = 0; i < o.validators; ++i) keys.push_back(crypto::PrivateKey::generate());
  const crypto::Hash genesis = crypto::sha256(std::string("sharechain-bench ordering genesis"));
  const std::string genesis_hash(reinterpret_cast<const char*>(genesis.data()), genesis.size());
  RunState run;
  std::vector<std::unique_ptr<Validator>> validators;
  for (std::uint32_t i = 0; i < o.validators; ++i) {
    validators.push_back(std::make_unique<Validator>(o, i, keys, genesis_hash, run));
  }
  // The engines' threads stop first, since they send through the networks (PeerNetwork::stop()
  // frees the links); messages that arrive after that are posted to a stopped io_context and
  // dropped. Then every network stops at once: each server waits for its peers' streams to
  // close, so one at a time would take that wait n times.
  const auto shut_down = [&] {
    for (auto& v : validators) v->stop();
    std::vector<std::thread> stoppers;
    for (auto& v : validators) stoppers.emplace_back([&v] { v->stop_network(); });
    for (auto& t : stoppers) t.join();
  };
  for (std::uint32_t i = 0; i < o.validators; ++i) {
    if (Status s = validators[i]->start_network(); !s) {
      shut_down();
      fail("validator " + std::to_string(i) + ": " + s.message() +
               " (another run on these ports? try --base-port)",
           2);
    }
  }
  for (auto& v : validators) v->start_engine();

  // Load starts once every link is up, so the figures do not include connection set-up.
  const auto connect_deadline = Clock::now() + std::chrono::seconds(20);
  const auto all_connected = [&] {
    return std::all_of(validators.begin(), validators.end(),
                       [&](const auto& v) { return v->connected_peers() + 1 == o.validators; });
  };
  while (!all_connected()) {
    if (Clock::now() > connect_deadline) {
      shut_down();
      fail("the validators did not all connect to each other within 20 s", 3);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!o.json) {
    std::fprintf(stderr, "%u validators connected; ordering %zu-byte requests for %.0f s at %s...\n",
                 o.validators, o.payload_bytes, o.duration,
                 o.rate > 0 ? (std::to_string(static_cast<long long>(o.rate)) + "/s").c_str()
                            : "max rate");
  }

  // Every request goes to every validator, as the daemon's gossip does: whoever is primary, now
  // or after a view change, holds it, and the backups' request timers watch it. Latency and
  // ops/s are measured at validator 0 (the primary of view 0).
  Validator& measured = *validators[0];
  std::uint64_t submitted = 0;
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration_cast<Clock::duration>(
                               std::chrono::duration<double>(o.duration));
  while (!run.halted.load()) {
    const auto now = Clock::now();
    if (now >= end) break;
    const std::uint64_t outstanding = submitted - std::min(submitted, measured.committed());
    std::uint64_t allowed = o.inflight > outstanding ? o.inflight - outstanding : 0;
    if (o.rate > 0) {
      const auto due = static_cast<std::uint64_t>(
          o.rate * std::chrono::duration<double>(now - start).count());
      allowed = std::min(allowed, due > submitted ? due - submitted : 0);
    }
    allowed = std::min<std::uint64_t>(allowed, kSubmitBatch);
    if (allowed == 0) {
      std::this_thread::sleep_for(std::chrono::microseconds(500));
      continue;
    }
    std::vector<consensus::Tx> batch;
    batch.reserve(allowed);
    for (std::uint64_t k = 0; k < allowed; ++k) batch.push_back(dummy_request(submitted + k, o.payload_bytes));
    submitted += allowed;
    for (std::size_t i = 1; i < validators.size(); ++i) validators[i]->submit(batch, now);
    measured.submit(std::move(batch), now);
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  const std::uint64_t committed = measured.committed();
  const std::uint64_t blocks = measured.blocks();
  std::vector<double> latencies = measured.latencies_ms();
  const std::uint64_t view_changes = measured.view_changes();
  std::uint64_t fetches = 0, evidence = 0;
  for (const auto& v : validators) {
    fetches += v->fetches();
    evidence += v->evidence();
  }
  shut_down();

  std::sort(latencies.begin(), latencies.end());
  std::string halt_reason;
  {
    std::lock_guard lock(run.mu);
    halt_reason = run.halt_reason;
  }
  const double ops = static_cast<double>(committed) / elapsed;
  const double blocks_per_s = static_cast<double>(blocks) / elapsed;
  const double max_ms = latencies.empty() ? 0.0 : latencies.back();
  if (o.json) {
    nlohmann::json out = {
        {"mode", "ordering"},
        {"validators", o.validators},
        {"payload_bytes", o.payload_bytes},
        {"target_rate", o.rate},
        {"inflight", o.inflight},
        {"duration_s", elapsed},
        {"submitted", submitted},
        {"committed", committed},
        {"blocks", blocks},
        {"ops_per_s", ops},
        {"blocks_per_s", blocks_per_s},
        {"latency_ms",
         {{"p50", percentile(latencies, 0.50)},
          {"p90", percentile(latencies, 0.90)},
          {"p99", percentile(latencies, 0.99)},
          {"max", max_ms}}},
        {"view_changes", view_changes},
        {"fetches", fetches},
        {"evidence", evidence},
        {"max_block_txs", o.max_block_txs},
        {"batch_delay_ms", o.batch_delay_ms},
    };
    if (!halt_reason.empty()) out["halted"] = halt_reason;
    std::cout << out.dump() << '\n';
  } else {
    std::printf("%u validators, %zu-byte requests: submitted %llu, ordered %llu in %llu blocks "
                "over %.1f s (%llu view changes)\n",
                o.validators, o.payload_bytes, static_cast<unsigned long long>(submitted),
                static_cast<unsigned long long>(committed), static_cast<unsigned long long>(blocks),
                elapsed, static_cast<unsigned long long>(view_changes));
    std::printf("throughput: %.0f ops/s, %.1f blocks/s\n", ops, blocks_per_s);
    std::printf("latency ms (submission to delivery at validator 0): p50 %.1f  p90 %.1f  p99 %.1f  "
                "max %.1f\n",
                percentile(latencies, 0.5), percentile(latencies, 0.9), percentile(latencies, 0.99),
                max_ms);
    if (!halt_reason.empty()) std::printf("%s\n", halt_reason.c_str());
  }
  if (!halt_reason.empty()) return 1;
  return committed > 0 ? 0 : 1;
}

}  // namespace sharechain::bench
