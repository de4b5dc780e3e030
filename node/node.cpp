#include "node/node.hpp"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <future>
#include <tuple>

#include "contracts/executor.hpp"
#include "proto/state_tree_path.hpp"
#include "node/explorer_route.hpp"

namespace sharechain::node {

namespace asio = boost::asio;

namespace {

// Sync: a probe goes to every peer this often; answers count for this long; a tick later than
// kPauseMs means the process was frozen or starved, and its picture of the chain may be old.
constexpr std::uint64_t kProbeIntervalMs = 1000;
constexpr std::uint64_t kTouchWindowMs = 3000;
constexpr std::int64_t kSyncLeaseMs = 3000;
constexpr std::int64_t kPauseMs = 2000;
// Blocks a synced node may trail the certified height by: commit votes for the next block can
// arrive a moment before the block itself is executed.
constexpr std::uint64_t kSyncSlackBlocks = 2;
// [debug] trace_inputs: the recorder's buffer goes to the file at least this often, or sooner
// once it holds this much. A crash loses at most that tail.
constexpr std::uint64_t kTraceFlushMs = 1000;
constexpr std::size_t kTraceFlushBytes = 1 << 20;
// A follower asks its peers for new blocks this often.
constexpr std::uint64_t kFollowIntervalMs = 300;

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Engine hooks.

// Judges a proposal's payload: every transaction must verify on its own (signature, chain id,
// size). Transactions whose exact bytes this node verified before (on admission, from gossip,
// or in an earlier proposal) are not verified again; the rest are verified on the pool, in
// parallel.
class Node::App final : public consensus::Application {
 public:
  App(Node& node) : node_(node) {}
  Status validate_proposal(const BlockHeader& header, const Block& block) override {
    // The epoch's limit: the committee's, once it set one, is the same on every validator.
    const std::uint64_t limit = node_.engine_ ? node_.engine_->config().max_block_txs : node_.config_.max_block_txs;
    if (static_cast<std::uint64_t>(block.transactions_size()) > limit) {
      return Status::invalid_argument("block " + std::to_string(header.height()) + " holds " +
                                      std::to_string(block.transactions_size()) +
                                      " transactions; the limit is " + std::to_string(limit));
    }
    std::vector<SignedTransaction> unseen;
    std::vector<int> unseen_index;
    for (int i = 0; i < block.transactions_size(); ++i) {
      const std::string& bytes = block.transactions(i);
      if (node_.verify_pool_->verified_before(bytes)) continue;
      SignedTransaction tx;
      if (!tx.ParseFromString(bytes)) {
        return Status::invalid_argument("transaction " + std::to_string(i) + " does not decode");
      }
      unseen.push_back(std::move(tx));
      unseen_index.push_back(i);
    }
    if (unseen.empty()) return Status::ok();
    const auto verified = node_.verify_pool_->verify(std::move(unseen));
    for (std::size_t k = 0; k < verified.size(); ++k) {
      if (!verified[k]) {
        return Status::invalid_argument("transaction " + std::to_string(unseen_index[k]) + ": " +
                                        verified[k].status().message());
      }
    }
    return Status::ok();
  }

 private:
  Node& node_;
};

// ---------------------------------------------------------------------------------------------

Node::Node(const Config& config)
    : config_(config),
      clock_(config.clock_offset_file),
      m_committed_txs_(metrics_.counter("sharechain_committed_transactions_total",
                                        "Transactions in committed blocks")),
      m_blocks_(metrics_.counter("sharechain_committed_blocks_total", "Blocks committed by this node")),
      m_height_(metrics_.gauge("sharechain_height", "Last committed height")),
      m_view_(metrics_.gauge("sharechain_view", "Current consensus view")) {
  view_since_steady_ms_.store(steady_ms(), std::memory_order_relaxed);
  for (std::size_t i = 0; i < consensus::kRejectionKinds; ++i) {
    m_rejections_.push_back(&metrics_.counter(
        "sharechain_consensus_rejections_total",
        "Inputs the consensus engine dropped, by reason (consensus/rejection.hpp)", "reason",
        consensus::rejection_name(static_cast<consensus::Rejection>(i))));
  }
}

Node::~Node() {
  stop();
  if (core_thread_.joinable()) core_thread_.join();
  if (fetch_thread_.joinable()) fetch_thread_.join();
  close_trace();
}

Status Node::take_chain_spacing() {
  const ChainParams& params = genesis_.genesis.params();
  const std::uint64_t chain_k = contracts::checkpoint_interval(params);
  const std::uint64_t chain_w = contracts::consensus_window(params);
  for (const auto& [key, local, chain] : {std::tuple{"checkpoint_interval", config_.checkpoint_interval, chain_k},
                                          std::tuple{"window", config_.window, chain_w}}) {
    if (local != 0 && local != chain) {
      return Status::invalid_argument(
          config_.config_file.string() + ": [consensus] " + key + " = " + std::to_string(local) +
          " differs from this chain's " + std::to_string(chain) + " (params." + key + " in " +
          config_.genesis_file.string() + "); every validator must use the chain's value, because "
          "the height at which a validator-set change takes effect is computed from it: remove the key");
    }
  }
  config_.checkpoint_interval = chain_k;
  config_.window = chain_w;
  return Status::ok();
}

Result<std::unique_ptr<Node>> Node::create(const Config& config) {
  return create(config, ExecutionSeams{});
}

Result<std::unique_ptr<Node>> Node::create(const Config& config, const ExecutionSeams& seams) {
  std::unique_ptr<Node> node(new Node(config));
  auto key = load_node_key(config.key_file);
  if (!key) return key.status();
  node->key_ = std::make_unique<crypto::PrivateKey>(*key);
  auto genesis = load_genesis(config.genesis_file);
  if (!genesis) return genesis.status();
  node->genesis_ = std::move(genesis).value();
  node->public_key_ = key->public_key();
  if (Status s = node->take_chain_spacing(); !s) return s;

  auto state = contracts::genesis_state(node->genesis_.genesis);
  if (!state) {
    return Status::invalid_argument("genesis " + config.genesis_file.string() + ": " + state.status().message());
  }
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  storage::Options options;
  const auto commitment = storage::parse_state_commitment(node->genesis_.genesis.state_commitment());
  if (!commitment) {
    return Status::invalid_argument("genesis " + config.genesis_file.string() + ": state_commitment \"" +
                                    node->genesis_.genesis.state_commitment() + "\" is not one this build knows (" +
                                    std::string(storage::kStateCommitmentNames) + ")");
  }
  options.state_commitment = *commitment;
  const std::string& tree = node->genesis_.genesis.state_tree();
  if (!tree.empty() && tree != state_tree::kSparseMerkleSha256) {
    return Status::invalid_argument("genesis " + config.genesis_file.string() + ": state_tree \"" + tree +
                                    "\" is not one this build knows (" + std::string(state_tree::kSparseMerkleSha256) +
                                    ", or none)");
  }
  options.state_tree = !tree.empty();
  // RocksDB's own messages join the node's log: its flushes and compactions at debug, its
  // background errors (a full disk, a failing device) where an operator looks first.
  options.log = [](storage::LogLevel level, std::string_view text) {
    switch (level) {
      case storage::LogLevel::kDebug:
      case storage::LogLevel::kInfo: spdlog::debug("rocksdb: {}", text); break;
      case storage::LogLevel::kWarn: spdlog::warn("rocksdb: {}", text); break;
      case storage::LogLevel::kError: spdlog::error("rocksdb: {}", text); break;
    }
  };
  auto store = storage::Store::open(config.data_dir, options);
  if (!store) return Status(store.status().code(), "data directory " + config.data_dir.string() + ": " + store.status().message());
  if (Status s = (*store)->init_genesis(node->genesis_.hash, *state, node->genesis_.genesis.genesis_time_ms()); !s) {
    return Status(s.code(), "data directory " + config.data_dir.string() +
                                " was created from a different genesis: " + s.message() +
                                " (remove the data directory or use the matching genesis.json)");
  }
  const std::string chain_id = node->genesis_.genesis.chain_id();
  node->chain_ = std::make_unique<Chain>(chain_id, std::move(store).value(), seams);
  Chain* chain = node->chain_.get();
  // sharechain_invariant_violations_total{invariant=...}: every series from 0, so an alert can
  // fire on the first increase.
  static constexpr const char* kInvariantHelp =
      "Blocks whose execution broke a money invariant (the node halts before storing them)";
  for (std::string_view name : {contracts::kInvariantSupply, contracts::kInvariantSplitSum,
                                contracts::kInvariantFinancingCap, contracts::kInvariantNegativeBalance}) {
    node->metrics_.counter("sharechain_invariant_violations_total", kInvariantHelp, "invariant", std::string(name));
  }
  chain->on_invariant_violation([metrics = &node->metrics_](const contracts::Violation& v) {
    spdlog::critical("{}", v.describe());
    metrics->counter("sharechain_invariant_violations_total", kInvariantHelp, "invariant", v.invariant)
        .Increment();
  });
  node->mempool_ = std::make_unique<Mempool>(
      Mempool::Limits{config.mempool_max_txs, config.mempool_max_bytes, config.mempool_max_nonce_gap,
                      config.mempool_max_pending_per_account},
      chain_id, [chain](std::string_view address) { return contracts::next_nonce(chain->store(), address); });
  // Verification gets every core; the queue holds a few full batches per core before clients
  // hear RESOURCE_EXHAUSTED; what verified is remembered for twice the mempool's capacity.
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  node->verify_pool_ = std::make_unique<VerifyPool>(
      chain_id, cores, std::max<std::size_t>(std::size_t{4} * cores * config.api_max_batch_txs, 16384),
      std::min<std::size_t>(2 * config.mempool_max_txs, 1 << 20));
  Node* self_node = node.get();
  node->admission_ = std::make_unique<Admission>(Admission::Deps{
      *chain, *node->mempool_, *node->verify_pool_, node->metrics_,
      [self_node] { return self_node->may_admit(); },
      [self_node] { return self_node->primary_.load(); },
      [self_node] { self_node->schedule_drain(); },
      [self_node] { return self_node->now_ms(); }});

  node->signer_ = std::make_unique<consensus::KeySigner>(*node->key_);
  node->app_ = std::make_unique<App>(*node);
  if (Status s = node->build_engine(); !s) return s;
  return node;
}

std::uint64_t Node::now_ms() const { return clock_.now_ms(); }

Status Node::build_engine() {
  const auto& st = chain_->store();
  chain_epoch_ = read_chain_epoch(st);
  epoch_marks_ = marks_of(chain_epoch_);
  consensus::Config cc;
  cc.chain_id = chain_->chain_id();
  cc.validators = chain_epoch_.infos();
  // The limits the committee set, where it set them (the same on every validator from the switch
  // height on); the validator's own [consensus] values otherwise.
  const ChainParams params = contracts::chain_params(st);
  cc.max_block_txs = params.max_block_txs() != 0 ? params.max_block_txs() : config_.max_block_txs;
  cc.max_block_bytes = params.max_block_bytes() != 0 ? params.max_block_bytes() : config_.max_block_bytes;
  cc.batch_delay_ms = params.batch_delay_ms() != 0 ? params.batch_delay_ms() : config_.batch_delay_ms;
  cc.checkpoint_interval = config_.checkpoint_interval;
  cc.window = config_.window;
  cc.view_timeout_ms = params.view_timeout_ms() != 0 ? params.view_timeout_ms() : config_.view_timeout_ms;
  cc.epoch = chain_epoch_.epoch;
  cc.epoch_start = chain_epoch_.start;
  if (cc.epoch > 0) {
    // The epoch's first block follows this one; a view change with nothing prepared above it
    // starts from it. A node that restored a snapshot above it holds no such block yet, and
    // then starts from its snapshot's checkpoint instead.
    if (st.height() == cc.epoch_start) {
      cc.epoch_start_hash = st.last_block_hash();
    } else if (auto block = st.block_at(cc.epoch_start)) {
      cc.epoch_start_hash = crypto::sha256(block->header());
    }
  }
  cc.epoch_end = chain_epoch_.end();
  const std::optional<std::uint32_t> self = chain_epoch_.index_of(public_key_);
  cc.self = self.value_or(0);
  auto keys = std::make_shared<EpochKeys>(EpochKeys{cc, std::make_shared<consensus::KeyVerifier>(cc.validators)});
  input_ = consensus::TracedEngine();  // nothing reaches the old engine from here on
  engine_.reset();
  {
    std::lock_guard lock(epoch_mu_);
    epoch_keys_ = keys;
  }
  self_index_ = cc.self;
  follower_ = !self;
  epoch_number_ = cc.epoch;
  set_size_ = static_cast<std::uint32_t>(cc.validators.size());
  peers_needed_ = 0;
  if (!self) {
    spdlog::info("this node's key {} is not in the validator set of epoch {} ({} validators): it follows "
                 "the chain, executing certified blocks and voting on nothing{}",
                 crypto::to_hex(public_key_), cc.epoch, cc.validators.size(),
                 chain_epoch_.holds(public_key_) ? "; a waiting change admits it at its switch height"
                                                 : "; the committee admits it with `sharechain governance "
                                                   "propose add-validator`");
    return Status::ok();
  }
  if (Status s = consensus::validate_config(cc); !s) {
    return Status::invalid_argument(config_.config_file.string() + ": " + s.message());
  }
  const auto persisted = st.load_consensus();
  // The tip's header, when this node holds the block (not after a snapshot restore).
  std::optional<consensus::TipFacts> tip;
  if (st.height() > 0) {
    if (auto block = st.block_at(st.height())) {
      BlockHeader header;
      if (header.ParseFromString(block->header())) {
        tip = consensus::TipFacts{header.state_height(), block->transactions_size() > 0};
      }
    }
  }
  consensus::Signer* signer = signer_.get();
  consensus::Application* app = app_.get();
  if (trace_ && engines_built_ > 0) {
    // A trace replays one engine from its header; the next epoch's engine is not in it.
    spdlog::warn("consensus input tracing stops at the switch to epoch {}: a trace covers one epoch",
                 cc.epoch);
    close_trace();
    trace_.reset();
  } else if (config_.trace_inputs && !trace_) {
    if (Status s = open_trace(cc, persisted, tip); !s) return s;
  }
  if (trace_) {
    signer = &trace_->signer();
    app = &trace_->application();
  }
  engine_ = std::make_unique<consensus::Engine>(cc, *signer, *keys->verifier, *app, persisted, st.height(),
                                                st.last_block_hash(), st.state_root(), st.last_timestamp_ms(),
                                                st.history(), tip);
  input_ = consensus::TracedEngine(*engine_, trace_.get());
  peers_needed_ = static_cast<std::uint32_t>(engine_->peers_needed());
  ++engines_built_;
  return Status::ok();
}

Status Node::open_trace(const consensus::Config& cc, const std::map<std::string, std::string>& persisted,
                        const std::optional<consensus::TipFacts>& tip) {
  // Keep the previous life's trace: an incident before a restart is often the interesting one.
  const std::filesystem::path& file = config_.trace_file;
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  if (std::filesystem::exists(file, ec)) {
    std::filesystem::rename(file, std::filesystem::path(file.string() + ".prev"), ec);
  }
  trace_file_ = std::fopen(file.c_str(), "wb");
  if (trace_file_ == nullptr) {
    return Status::unavailable(config_.config_file.string() + ": [debug] trace_file " + file.string() +
                               " cannot be written: " + std::strerror(errno));
  }
  const auto& st = chain_->store();
  trace_ = std::make_unique<consensus::TraceRecorder>(*signer_, *app_);
  trace_->header(cc, persisted, st.height(), st.last_block_hash(), st.state_root(), st.last_timestamp_ms(),
                 config_.name, st.history(), tip);
  spdlog::info("tracing consensus inputs to {} ([debug] trace_inputs; replay with `sharechain-sim --replay {}`)",
               file.string(), file.string());
  return Status::ok();
}

std::shared_ptr<const EpochKeys> Node::epoch_keys() const {
  std::lock_guard lock(epoch_mu_);
  return epoch_keys_;
}

void Node::update_peers() {
  std::vector<std::string> unreachable;
  network_->set_peers(peer_entries(chain_epoch_, config_.peers, genesis_.validator_keys, &unreachable));
  for (const std::string& key : unreachable) {
    spdlog::warn("validator {} has no peer address (none recorded on the chain, none in [p2p] peers): "
                 "add \"{}@HOST:PORT\" to [p2p] peers in {}",
                 crypto::to_hex(key), crypto::to_hex(key), config_.config_file.string());
  }
}

void Node::start_engine() {
  update_peers();
  if (!engine_) return;
  const std::uint64_t now = now_ms();
  perform(input_.start(now));
}

consensus::Actions Node::note_epoch_changes() {
  const EpochMarks marks = read_epoch_marks(chain_->store());
  if (marks == epoch_marks_) return {};
  if (marks.epoch != epoch_marks_.epoch) {
    // This block promoted a change: the next block belongs to the next epoch's set.
    switch_due_ = true;
    return {};
  }
  chain_epoch_ = read_chain_epoch(chain_->store());
  epoch_marks_ = marks;
  update_peers();  // a joining validator is dialled before it has to vote
  const auto end = chain_epoch_.end();
  if (!end) return {};
  spdlog::info("validator-set change executed: epoch {} ends at height {}, the next set has {} validators",
               chain_epoch_.epoch, end->last_height, chain_epoch_.pending.front().validators_size());
  if (!engine_) return {};
  return input_.set_epoch_end(*end, now_ms());
}

void Node::enter_epoch() {
  switch_due_ = false;
  std::vector<consensus::Tx> carried;
  if (engine_) {
    for (consensus::Tx& t : engine_->pending_transactions()) {
      if (mempool_->contains(t.hash)) carried.push_back(std::move(t));
    }
  }
  timers_.cancel_all();
  const std::uint64_t before = chain_epoch_.epoch;
  if (Status s = build_engine(); !s) {
    halt("cannot start the engine of the next epoch: " + s.message());
    return;
  }
  const auto& st = chain_->store();
  // The old set's quorum certified the new set in the block at the switch height; the set this
  // node's execution put in force must be that one, or its state diverged.
  if (auto block = st.block_at(chain_epoch_.start)) {
    BlockHeader header;
    const std::string computed = crypto::hash_bytes(consensus::validator_set_hash(chain_epoch_.infos()));
    if (header.ParseFromString(block->header()) && header.next_validator_set_hash() != computed) {
      halt("state divergence: the certified block " + std::to_string(chain_epoch_.start) +
           " hands over to the validator set " + crypto::to_hex(header.next_validator_set_hash()) +
           ", this node's execution put " + crypto::to_hex(computed) + " in force");
      return;
    }
  }
  const consensus::Config& cc = epoch_keys()->config;
  spdlog::info("entered epoch {} (from epoch {}) at height {}: {} of {} validators; max_block_txs={} "
               "max_block_bytes={} batch_delay_ms={} view_timeout_ms={}",
               chain_epoch_.epoch, before, st.height(),
               engine_ ? "validator " + std::to_string(self_index_.load()) : std::string("follower, not one"),
               chain_epoch_.validators.size(), cc.max_block_txs, cc.max_block_bytes, cc.batch_delay_ms,
               cc.view_timeout_ms);
  metrics_.counter("sharechain_epoch_switches_total", "Validator-set epochs this node entered").Increment();
  start_engine();
  if (engine_ && !carried.empty()) perform(input_.on_request(std::move(carried), now_ms()));
}

Status Node::start() {
  const auto& st = chain_->store();
  spdlog::info("node {} ({} of {} in epoch {}) chain '{}' at height {} state root {} ({})", config_.name,
               engine_ ? "validator " + std::to_string(self_index_.load()) : std::string("follower, not one"),
               set_size_.load(), epoch_number_.load(), chain_->chain_id(), st.height(),
               crypto::to_hex(st.state_root()).substr(0, 16),
               std::string(storage::state_commitment_name(st.state_commitment())) +
                   (st.has_state_tree() ? " + " + std::string(state_tree::kSparseMerkleSha256) + " state tree, " +
                                              std::to_string(st.state_tree_entries()) + " entries"
                                        : std::string()));

  ops_ = std::make_unique<OpsServer>(
      metrics_,
      [this]() -> Status {
        std::lock_guard lock(stop_mu_);
        if (!halt_status_.is_ok()) return halt_status_;
        return Status::ok();
      },
      [this]() -> Status {
        {
          std::lock_guard lock(stop_mu_);
          if (!halt_status_.is_ok()) return halt_status_;
          if (stop_requested_) return Status::unavailable("the node is shutting down");
        }
        return synced() ? Status::ok() : sync_refusal();
      },
      OpsOptions{nlohmann::json{{"version", SHARECHAIN_VERSION},
                                {"node", config_.name},
                                {"validator", self_index_.load()},  // at start; epochs may move it
                                {"public_key", crypto::to_hex(public_key_)},
                                {"chain_id", chain_->chain_id()},
                                {"genesis_hash", crypto::to_hex(genesis_.hash)}}
                     .dump(),
                 config_.remote_logspec,
                 config_.metrics_tls ? config_.tls_cert : std::filesystem::path(),
                 config_.metrics_tls ? config_.tls_key : std::filesystem::path()});
  if (Status s = ops_->start(config_.metrics_listen); !s) return s;
  metrics_.sampled("sharechain_mempool_transactions", "Transactions waiting in the mempool",
                   [this] { return static_cast<double>(mempool_->size()); });
  metrics_.sampled("sharechain_mempool_bytes", "Bytes held by the mempool",
                   [this] { return static_cast<double>(mempool_->bytes()); });
  metrics_.text_source([this] { return chain_->store().stats(); });
  // For `sharechain doctor`: nodes' clocks compared with each other (a primary whose clock leads
  // the others by more than max_clock_skew_ms has its proposals refused), and how long the
  // current view has lasted.
  metrics_.sampled("sharechain_clock_seconds", "This node's wall clock when scraped, in Unix seconds",
                   [this] { return static_cast<double>(now_ms()) / 1000.0; });
  metrics_.sampled("sharechain_view_duration_seconds", "Seconds since this node entered its current view",
                   [this] {
                     const std::int64_t since = view_since_steady_ms_.load(std::memory_order_relaxed);
                     return static_cast<double>(steady_ms() - since) / 1000.0;
                   });

  PeerIdentity identity{chain_->chain_id(), genesis_.hash};
  PeerHandlers handlers;
  handlers.on_consensus = [this](std::uint32_t from, consensus::Envelope env) {
    post([this, from, env = std::move(env)] { on_peer_message(from, env); });
  };
  handlers.on_transactions = [this](std::uint32_t, std::vector<SignedTransaction> txs, std::function<void()> done) {
    admission_->admit_gossip(std::move(txs), std::move(done));
  };
  handlers.block_at = [this](std::uint64_t h) { return chain_->store().block_at(h); };
  handlers.height = [this] { return chain_->store().height(); };
  handlers.history_entry = [this](std::uint64_t h) { return chain_->store().history_entry(h); };
  handlers.snapshot = [this] {
    std::lock_guard lock(snapshot_mu_);
    return served_snapshot_;
  };
  network_ = std::make_unique<PeerNetwork>(config_, identity, *key_, metrics_, std::move(handlers));
  if (Status s = network_->start(); !s) return s;
  metrics_.sampled("sharechain_peers_connected", "Other validators (in force or joining) this node has a live link with",
                   [this] { return static_cast<double>(network_->connected_peers()); });
  backfill_ = std::make_unique<Backfill>(Backfill::Deps{
      chain_->store(), *network_, [this] { return epoch_keys(); }, metrics_,
      config_.backfill_blocks_per_s, [this](const std::string& reason) { halt(reason); }});
  backfill_->start();

  client_service_ = std::make_unique<ClientService>(*this);
  chain_->on_commit([this](const ExecutedBlock&) { client_service_->notify_subscribers(); });
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(config_.api_listen, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(client_service_.get());
  reflection_v1_ = std::make_unique<ReflectionV1>(std::vector<std::string>{
      api::Client::service_full_name(), "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection"});
  builder.RegisterService(reflection_v1_.get());
  // A SubmitTransactions message up to [api] max_batch_bytes reaches the handler, which names
  // the limit when a message passes it; beyond this size gRPC refuses it itself.
  builder.SetMaxReceiveMessageSize(static_cast<int>(
      std::max<std::uint64_t>(tx::kMaxTransactionBytes * 4, config_.api_max_batch_bytes + tx::kMaxTransactionBytes)));
  api_server_ = builder.BuildAndStart();
  if (!api_server_ || port == 0) {
    return Status::unavailable("cannot serve the client API on " + config_.api_listen +
                               " (address in use? another sharechaind running?)");
  }
  // Health answers for the empty name (the server) and for the client API by name, as probes
  // and load balancers ask; both turn NOT_SERVING when the node shuts down.
  if (auto* health = api_server_->GetHealthCheckService()) {
    health->SetServingStatus(api::Client::service_full_name(), true);
  }

  work_.emplace(asio::make_work_guard(io_));
  core_thread_ = std::thread([this] { io_.run(); });
  // start() returns once the engine has started and the node has judged whether it is synced,
  // so the first request after start() is answered from that judgement, not from none.
  auto started = std::make_shared<std::promise<void>>();
  auto engine_started = started->get_future();
  post([this, started] {
    const std::uint64_t now = now_ms();
    touch_since_ms_ = now;
    last_tick_ms_ = steady_ms();
    start_engine();
    tick();
    started->set_value();
  });
  engine_started.wait();
  // The explorer (docs/explorer.md) on the ops port, once everything it reads exists.
  ops_->set_route(explorer_route(chain_->store(), chain_->chain_id(), [this] { return status(); },
                                [this] { return now_ms(); }));
  spdlog::info("serving client API on {}, peers on {}, metrics on {}://{}/", config_.api_listen,
               config_.p2p_listen, config_.metrics_tls ? "https" : "http", config_.metrics_listen);
  return Status::ok();
}

Status Node::wait() {
  std::unique_lock lock(stop_mu_);
  stop_cv_.wait(lock, [this] { return stop_requested_; });
  return halt_status_;
}

void Node::stop() {
  {
    std::lock_guard lock(stop_mu_);
    if (stopped_) return;
    stopped_ = true;
    stop_requested_ = true;
  }
  stop_cv_.notify_all();
  spdlog::info("shutting down");
  // Stop taking new work first, then let the consensus thread finish what it is doing.
  if (api_server_) {
    if (auto* health = api_server_->GetHealthCheckService()) health->Shutdown();
  }
  if (client_service_) client_service_->close_subscribers();
  if (api_server_) api_server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  if (backfill_) backfill_->stop();
  if (network_) network_->stop();
  if (chain_) {
    post([this] { chain_->fail_all_waiters(Status::unavailable("the node is shutting down")); });
  }
  work_.reset();
  post([this] {
    tick_timer_.cancel();
    timers_.cancel_all();
    close_trace();  // the engine sees no input after this handler
    if (Status s = chain_ ? chain_->store().sync() : Status::ok(); !s) {
      spdlog::error("the last consensus records may not survive a power failure: {}", s.to_string());
    }
    io_.stop();
  });
  if (core_thread_.joinable() && core_thread_.get_id() != std::this_thread::get_id()) core_thread_.join();
  if (fetch_thread_.joinable()) fetch_thread_.join();
  if (ops_) ops_->stop();
  spdlog::info("stopped at height {}", chain_ ? chain_->store().height() : 0);
}

void Node::request_stop() {
  // Notified under the lock: once wait() can return, the caller may destroy this node.
  std::lock_guard lock(stop_mu_);
  stop_requested_ = true;
  stop_cv_.notify_all();
}

void Node::post(std::function<void()> fn) { asio::post(io_, std::move(fn)); }

// ---------------------------------------------------------------------------------------------
// Transactions in.

Status Node::may_admit() const {
  {
    std::lock_guard lock(stop_mu_);
    if (stop_requested_) return Status::unavailable("the node is shutting down");
  }
  return synced() ? Status::ok() : sync_refusal();
}

void Node::flush_gossip() {
  auto batch = admission_->take_gossip();
  if (!batch.empty()) network_->gossip(batch);
}

void Node::schedule_drain() {
  if (drain_scheduled_.exchange(true)) return;
  post([this] { drain_requests(); });
}

void Node::drain_requests() {
  drain_scheduled_ = false;
  // Gossip before proposing, so backups hold the transactions when the proposal arrives.
  flush_gossip();
  if (!engine_) return;
  auto ready = mempool_->take_ready();
  if (ready.empty()) return;
  std::vector<consensus::Tx> txs;
  txs.reserve(ready.size());
  for (auto& p : ready) txs.push_back(consensus::Tx{p.hash, std::move(p.bytes)});
  perform(input_.on_request(std::move(txs), now_ms()));
}

// ---------------------------------------------------------------------------------------------
// Engine actions.

void Node::on_peer_message(std::uint32_t from, const consensus::Envelope& envelope) {
  if (envelope.epoch() > chain_epoch_.epoch) {
    // The sender switched epochs before this node: the blocks up to its switch are to fetch.
    // The engine only counts it (an index names another validator in another epoch's set).
    if (engine_) perform(input_.on_message(envelope, now_ms()));
    follow({from});
    return;
  }
  if (!engine_) return;  // a follower votes on nothing and needs no votes
  if (envelope.epoch() == chain_epoch_.epoch) {
    // The stream is authenticated as a key; the envelope must name that key's index.
    const auto index = chain_epoch_.index_of(network_->public_key_of(from));
    if (!index || *index != envelope.validator()) {
      network_->penalize(from, "its consensus messages name validator " + std::to_string(envelope.validator()) +
                                   " of epoch " + std::to_string(chain_epoch_.epoch) + ", its key is " +
                                   (index ? "validator " + std::to_string(*index) : std::string("no validator")));
      return;
    }
  }
  const std::uint64_t rejected_before = engine_->rejections_total();
  consensus::Actions actions = input_.on_message(envelope, now_ms());
  if (engine_->rejections_total() != rejected_before && engine_->last_rejection()) {
    const consensus::RejectedInput& r = *engine_->last_rejection();
    // The stream was authenticated as `from` and every envelope on it must name `from`, so
    // the validator the engine blames is the one that sent it.
    if (consensus::is_provable_misbehaviour(r.reason) && r.validator && *r.validator == envelope.validator()) {
      network_->penalize(from, r.text());
    } else {
      spdlog::debug("dropped a message from validator {}: {}", from, r.text());
    }
  }
  perform(std::move(actions));
}

void Node::perform(consensus::Actions actions) {
  if (!consensus::perform(*this, std::move(actions))) return;
  if (switch_due_) {
    enter_epoch();
    return;
  }
  if (!engine_) {
    update_sync(now_ms());
    return;
  }
  view_ = engine_->view();
  primary_ = engine_->primary();
  update_sync(now_ms());
  if (engine_->stable_checkpoint() != stable_checkpoint_) {
    stable_checkpoint_ = engine_->stable_checkpoint();
    serve_stable_snapshot();
  }
  // Only this thread sets the view gauge, so reading it back tells whether the view moved.
  if (const auto view = static_cast<double>(engine_->view()); m_view_.Value() != view) {
    m_view_.Set(view);
    view_since_steady_ms_.store(steady_ms(), std::memory_order_relaxed);
  }
  if (trace_ && trace_->buffered() >= kTraceFlushBytes) flush_trace(true);
  for (std::size_t i = 0; i < m_rejections_.size(); ++i) {
    advance_to(*m_rejections_[i], static_cast<double>(engine_->rejections(static_cast<consensus::Rejection>(i))));
  }
}

// Consensus records and executed blocks are written without waiting for the disk (do_persist,
// do_deliver) and made durable here, in one sync, before anything leaves for a peer: what this
// replica tells others never rests on a record a power failure could take back, and the two or
// three writes of a block share one fsync instead of one each. A power failure loses at most the
// newest writes that no message followed, the state of a crash just before them (storage's
// Durability); the tick syncs those of a quiet chain within 50 ms.
bool Node::make_durable() {
  if (Status s = chain_->store().sync(); !s) {
    halt("cannot make consensus state durable: " + s.to_string());
    return false;
  }
  return true;
}

void Node::do_send(const consensus::Send& s) {
  if (!make_durable()) return;
  if (s.to >= chain_epoch_.validators.size()) return;
  if (auto peer = network_->peer_id(chain_epoch_.validators[s.to].public_key())) network_->send(*peer, s.envelope);
}

void Node::do_broadcast(const consensus::Broadcast& b) {
  if (!make_durable()) return;
  network_->broadcast(b.envelope);
}

void Node::do_set_timer(const consensus::SetTimer& t) {
  timers_.set(t, [this](consensus::TimerId id) {
    if (engine_) perform(input_.on_timer(id, now_ms()));
  });
}

void Node::do_cancel_timer(const consensus::CancelTimer& c) { timers_.cancel(c.id); }

Status Node::do_persist(const consensus::Persist& p) {
  return chain_->store().write_consensus(p.puts, p.deletes, storage::Durability::kDeferred);
}

void Node::do_deliver(const consensus::Deliver& d, consensus::Actions& follow_up) {
  auto& store = chain_->store();
  if (d.height <= store.height()) {
    // Already have it (state transfer got there first): it must be the same block.
    auto ours = store.block_at(d.height);
    if (!ours || crypto::sha256(ours->header()) != d.hash) {
      halt("consensus delivered block " + std::to_string(d.height) + " " + crypto::to_hex(d.hash) +
           " but this node committed a different block at that height");
    }
    return;
  }
  if (d.height != store.height() + 1) {
    halt("consensus delivered block " + std::to_string(d.height) + " but the store is at " +
         std::to_string(store.height()));
    return;
  }
  const auto started = std::chrono::steady_clock::now();
  auto executed = chain_->execute(d.block, d.hash, d.height, storage::Durability::kDeferred);
  if (!executed) {
    halt(executed.status().message());
    return;
  }
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  metrics_.observe_seconds("sharechain_block_execution_seconds", "Execute and commit time per block", ms / 1000);
  auto dropped = finish_commit(*executed);
  spdlog::log(executed->tx_hashes.empty() ? spdlog::level::debug : spdlog::level::info,
              "committed block {} {} txs={} root={} ({:.1f} ms)", d.height,
              crypto::to_hex(d.hash).substr(0, 16), executed->tx_hashes.size(),
              crypto::to_hex(executed->state_root).substr(0, 16), ms);
  if (!dropped.empty()) {
    auto more = input_.on_transactions_committed(dropped, now_ms());
    follow_up.insert(follow_up.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  }
  // Before on_executed: the engine learns where its epoch ends when the change executes.
  {
    auto more = note_epoch_changes();
    follow_up.insert(follow_up.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  }
  auto more = input_.on_executed(d.height, executed->state_root, executed->history, now_ms());
  follow_up.insert(follow_up.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  schedule_drain();
}

void Node::do_fetch(const consensus::FetchBlocks& f) {
  consensus::FetchBlocks by_peer = f;
  by_peer.sources.clear();
  for (std::uint32_t index : f.sources) {
    if (index >= chain_epoch_.validators.size()) continue;
    if (auto peer = network_->peer_id(chain_epoch_.validators[index].public_key())) by_peer.sources.push_back(*peer);
  }
  start_fetch(by_peer);
}

void Node::follow(const std::vector<std::uint32_t>& sources) {
  const std::uint64_t now = now_ms();
  if (fetching_ || now < last_follow_ms_ + kFollowIntervalMs) return;
  last_follow_ms_ = now;
  const std::uint64_t next = chain_->store().height() + 1;
  consensus::FetchBlocks f;
  f.from_height = next;
  f.to_height = next;
  f.sources = sources;
  start_fetch(f);
}

void Node::do_evidence(const consensus::Evidence& e) {
  spdlog::warn("equivocation by validator {}: two {} messages for view {} height {}", e.validator,
               e.kind, e.view, e.height);
  metrics_.counter("sharechain_equivocation_evidence_total", "Equivocations detected").Increment();
}

void Node::do_halt(const consensus::Halt& h) { halt(h.reason); }

bool Node::halted() {
  std::lock_guard lock(stop_mu_);
  return !halt_status_.is_ok();
}

void Node::halt(const std::string& reason) {
  spdlog::critical("HALTING: {}", reason);
  {
    std::lock_guard lock(stop_mu_);
    if (!halt_status_.is_ok()) return;
    halt_status_ = Status::internal(reason);
    stop_requested_ = true;
  }
  stop_cv_.notify_all();
}

bool Node::synced() const {
  return synced_.load() && steady_ms() - synced_at_ms_.load() < kSyncLeaseMs;
}

void Node::update_sync(std::uint64_t now) {
  if (!engine_) {
    // A follower takes no transactions: what it would admit no set it belongs to orders.
    if (synced_.exchange(false)) spdlog::info("not synced: this node follows the chain and validates nothing");
    certified_height_ = chain_->store().height();
    in_touch_ = false;
    synced_at_ms_ = steady_ms();
    return;
  }
  const std::uint64_t window =
      std::min<std::uint64_t>(kTouchWindowMs, now > touch_since_ms_ ? now - touch_since_ms_ : 0);
  const bool touch = engine_->in_touch(now, window);
  const std::uint64_t height = chain_->store().height();
  const std::uint64_t certified = std::max(engine_->certified_height(), height);
  in_touch_ = touch;
  peers_heard_ = static_cast<std::uint32_t>(engine_->peers_heard(now, window));
  certified_height_ = certified;
  checked_height_ = height;
  // Whether a fetch is running does not matter: a node that fell a few blocks behind under load
  // fetches them while it is already back within the slack, and refusing then ("catching up:
  // height 812 of 812") turned away clients of a current node. One that is really behind is
  // caught by the height test alone.
  const bool synced = touch && certified <= height + kSyncSlackBlocks;
  if (synced != synced_.load()) {
    if (synced) {
      spdlog::info("synced: at height {} of {}, in touch with {} other validators", height,
                   certified, peers_heard_.load());
    } else {
      spdlog::info("not synced: at height {} of {}, in touch with {} other validators; refusing "
                   "new transactions until synced",
                   height, certified, peers_heard_.load());
    }
  }
  synced_ = synced;
  synced_at_ms_ = steady_ms();
}

Status Node::sync_refusal() const {
  const std::uint64_t height = chain_->store().height();
  const std::uint64_t certified = certified_height_.load();
  if (synced_at_ms_.load() == 0) {
    return Status::unavailable("this node is starting; try again in a moment or another node");
  }
  if (follower_.load()) {
    return Status::unavailable("this node is a follower: its key is not in the validator set of epoch " +
                               std::to_string(epoch_number_.load()) +
                               ", so it takes no transactions; submit to a validator");
  }
  if (steady_ms() - synced_at_ms_.load() >= kSyncLeaseMs) {
    return Status::unavailable(
        "this node has not confirmed for " + std::to_string(steady_ms() - synced_at_ms_.load()) +
        " ms that it is current (it may have been paused); try again in a moment or another "
        "node");
  }
  if (!in_touch_.load()) {
    return Status::unavailable(
        "not in touch with a quorum of validators (heard from " +
        std::to_string(peers_heard_.load()) + " of the " +
        std::to_string(peers_needed_.load()) +
        " other validators needed); this node refuses new transactions until it is; try another "
        "node");
  }
  // The heights the decision was made on (the last tick), not the current ones: by the time a
  // client is answered the node may have executed the blocks it lacked.
  return Status::unavailable("catching up: height " + std::to_string(checked_height_.load()) + " of " +
                             std::to_string(certified) + " when last checked (now " + std::to_string(height) +
                             "); try another node");
}

void Node::tick() {
  const std::int64_t steady = steady_ms();
  const std::uint64_t now = now_ms();
  if (steady - last_tick_ms_ > kPauseMs) {
    // Frozen (SIGSTOP) or starved: the chain may have moved on meanwhile. Only answers that
    // arrive from now on say where it is.
    spdlog::warn("this node was paused for {} ms; checking with its peers how far the chain has "
                 "moved before it accepts transactions again",
                 steady - last_tick_ms_);
    touch_since_ms_ = now;
    last_probe_ms_ = 0;
  }
  last_tick_ms_ = steady;
  if (engine_ && now >= last_probe_ms_ + kProbeIntervalMs) {
    last_probe_ms_ = now;
    perform(input_.probe_peers(now));
  }
  if (!engine_) follow();
  if (trace_) flush_trace(false);
  update_sync(now);
  if (!make_durable()) return;  // nothing to do unless a deferred write waits
  chain_->expire_waiters(std::chrono::steady_clock::now());
  flush_gossip();
  tick_timer_.expires_after(std::chrono::milliseconds(50));
  tick_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) tick();
  });
}

void Node::flush_trace(bool force) {
  const std::uint64_t now = now_ms();
  std::lock_guard lock(trace_mu_);
  if (!force && now < trace_flushed_ms_ + kTraceFlushMs) return;
  trace_flushed_ms_ = now;
  if (trace_file_ == nullptr) return;
  const std::string bytes = trace_->take();
  if (bytes.empty()) return;
  if (std::fwrite(bytes.data(), 1, bytes.size(), trace_file_) != bytes.size() ||
      std::fflush(trace_file_) != 0) {
    spdlog::error("cannot write the consensus trace {}: {}; tracing stops here",
                  config_.trace_file.string(), std::strerror(errno));
    std::fclose(trace_file_);
    trace_file_ = nullptr;
  }
}

void Node::close_trace() {
  if (!trace_) return;
  flush_trace(true);
  std::lock_guard lock(trace_mu_);
  if (trace_file_ == nullptr) return;
  std::fclose(trace_file_);
  trace_file_ = nullptr;
  spdlog::info("consensus trace {}: {} inputs, {} bytes", config_.trace_file.string(),
               trace_->inputs(), trace_->bytes());
}

api::NodeStatus Node::status() {
  api::NodeStatus s;
  const auto& st = chain_->store();
  s.set_chain_id(chain_->chain_id());
  if (auto genesis = chain_->store().genesis_hash()) s.set_genesis_hash(*genesis);
  s.set_height(st.height());
  s.set_view(view_.load());
  s.set_validators(set_size_.load());
  s.set_node_id(self_index_.load());
  s.set_epoch(epoch_number_.load());
  s.set_follower(follower_.load());
  s.set_node_name(config_.name);
  s.set_last_block_hash(crypto::hash_bytes(st.last_block_hash()));
  s.set_state_root(crypto::hash_bytes(st.state_root()));
  s.set_primary(primary_.load());
  s.set_mempool_size(mempool_->size());
  s.set_version(SHARECHAIN_VERSION);
  s.set_stable_checkpoint(stable_checkpoint_.load());
  s.set_synced(synced());
  s.set_certified_height(std::max(certified_height_.load(), st.height()));
  const auto gaps = st.history_gaps();
  s.set_history_complete(gaps.empty());
  s.set_history_from(st.history_from());
  for (const auto& g : gaps) {
    auto* r = s.add_history_missing();
    r->set_from(g.low);
    r->set_to(g.high);
  }
  if (network_) {
    std::shared_ptr<const EpochKeys> keys = epoch_keys();
    for (const auto& l : network_->status()) {
      auto* p = s.add_peers();
      const auto& set = keys->config.validators;
      auto at = std::find_if(set.begin(), set.end(), [&](const auto& v) { return v.public_key == l.public_key; });
      p->set_validator(at != set.end() ? static_cast<std::uint32_t>(at - set.begin()) : 0);
      p->set_address(l.address);
      p->set_connected(l.connected);
      p->set_public_key(l.public_key);
      p->set_validating(l.validating);
    }
  }
  return s;
}

}  // namespace sharechain::node
