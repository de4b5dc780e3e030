// The daemon's wiring: storage, chain execution, mempool, consensus driver, peer network,
// client API and operations endpoint.
//
// Threads: one consensus thread (an Asio io_context) owns the engine, its timers and block
// execution; gRPC threads verify transactions and read the store; the outbound peer links write
// from gRPC callbacks, with one timer thread for all of them; the ops server has one thread. The
// engine is only ever touched on the consensus thread.
#pragma once

#include <atomic>
#include <future>
#include <utility>  // Boost 1.74 awaitable.hpp uses std::exchange without including it
#include <boost/asio.hpp>
#include <map>
#include <memory>
#include <thread>

#include "consensus/driver.hpp"
#include "consensus/engine.hpp"
#include "consensus/signing.hpp"
#include "consensus/trace.hpp"
#include "node/admission.hpp"
#include "node/api_service.hpp"
#include "node/backfill.hpp"
#include "node/chain.hpp"
#include "node/chain_epoch.hpp"
#include "node/config.hpp"
#include "node/engine_timers.hpp"
#include "node/genesis.hpp"
#include "node/mempool.hpp"
#include "node/metrics.hpp"
#include "node/reflection_v1.hpp"
#include "node/peer_network.hpp"
#include "node/verify_pool.hpp"
#include "node/wall_clock.hpp"

namespace sharechain::node {

// The node is the consensus::Host of its engine; privately, since only the node itself hands
// actions to consensus::perform(). The client API sees it as a ClientBackend.
class Node final : public ClientBackend, private consensus::Host {
 public:
  // Loads key and genesis, opens the store (initialising genesis on first start) and builds the
  // engine from its persisted state. Errors name the file and the fix.
  static Result<std::unique_ptr<Node>> create(const Config& config);
  // The same with a test build's execution seams (chain.hpp says which program uses them).
  static Result<std::unique_ptr<Node>> create(const Config& config, const ExecutionSeams& seams);
  ~Node();

  Status start();
  // Blocks until stop() or a halt; returns OK after a clean stop, the halt reason otherwise.
  Status wait();
  void stop();  // idempotent; safe from a signal-watching thread
  // Makes wait() return, so that the thread that called it stops the node: a signal-watching
  // thread uses this rather than stop(), so that exactly one thread tears the node down.
  void request_stop();

  // For the API services.
  // The way in for transactions (node/admission.hpp). It refuses with UNAVAILABLE while the
  // node is not synced (see synced()): a node behind the chain would judge nonces and balances
  // on stale state.
  Admission& admission() override { return *admission_; }
  // True when this node is in touch with a quorum of validators, not behind the height they
  // certified (beyond a block or two in flight), and its consensus thread has confirmed this
  // recently (a process frozen and resumed is not synced until its peers answer again).
  bool synced() const override;
  api::NodeStatus status() override;
  Chain& chain() override { return *chain_; }
  Mempool& mempool() override { return *mempool_; }
  const Config& config() const override { return config_; }

 private:
  class App;
  explicit Node(const Config& config);

  std::uint64_t now_ms() const;
  void post(std::function<void()> fn);
  // Performs the engine's actions (consensus::perform); unless a halt stopped them, then
  // refreshes the status, metrics and sync state read from the engine.
  void perform(consensus::Actions actions);
  // A peer's consensus message through the engine; provable misbehaviour costs the sender its
  // connection for a while (PeerNetwork::penalize).
  void on_peer_message(std::uint32_t from, const consensus::Envelope& envelope);
  // consensus::Host
  void do_send(const consensus::Send& s) override;
  void do_broadcast(const consensus::Broadcast& b) override;
  void do_set_timer(const consensus::SetTimer& t) override;
  void do_cancel_timer(const consensus::CancelTimer& c) override;
  Status do_persist(const consensus::Persist& p) override;
  bool make_durable();  // false: halted
  void do_deliver(const consensus::Deliver& d, consensus::Actions& follow_up) override;
  void do_fetch(const consensus::FetchBlocks& f) override;
  void do_evidence(const consensus::Evidence& e) override;
  void do_halt(const consensus::Halt& h) override;
  bool halted() override;
  void schedule_drain();
  void drain_requests();
  void start_fetch(const consensus::FetchBlocks& f);
  // state_transfer.cpp
  // After a block is executed and stored: the mempool drops its transactions, then waiters
  // and subscribers hear of it, metrics move and a checkpoint height keeps a snapshot. Returns
  // the pending transactions dropped that the block did not carry (they can no longer execute).
  std::vector<crypto::Hash> finish_commit(const ExecutedBlock& executed);
  void serve_stable_snapshot();
  std::uint64_t fetch_snapshot_from(const std::vector<std::uint32_t>& sources, std::uint64_t target);
  // (blocks, transactions) it executed; nullopt when the transfer must stop.
  std::future<std::optional<std::pair<std::uint64_t, std::uint64_t>>> execute_fetched(std::vector<Block> blocks,
                                                                                       std::uint64_t first);
  void halt(const std::string& reason);
  // Epochs (docs/governance.md). build_engine() makes the engine of the epoch the store is in,
  // or none when this node's key is not in its set (a follower); start_engine() starts it and
  // links to the epoch's peers. After a block executes, note_epoch_changes() tells the engine
  // where its epoch ends once a change waits, and marks a switch due once the block promoted one;
  // enter_epoch() then replaces the engine, carrying its pending requests over.
  Status build_engine();
  Status open_trace(const consensus::Config& cc, const std::map<std::string, std::string>& persisted,
                    const std::optional<consensus::TipFacts>& tip);
  void start_engine();
  consensus::Actions note_epoch_changes();
  void enter_epoch();
  void update_peers();
  std::shared_ptr<const EpochKeys> epoch_keys() const;
  // A follower asks its peers for blocks now and then; so does a validator that heard of a newer
  // epoch than its own.
  void follow(const std::vector<std::uint32_t>& sources = {});
  void tick();
  // Recomputes synced() and its reason from the engine and the store (consensus thread).
  void update_sync(std::uint64_t now);
  Status sync_refusal() const;
  // OK when transactions may be admitted, else why not (stopping, not synced).
  Status may_admit() const;
  void flush_gossip();
  // [debug] trace_inputs: writes what the recorder buffered (at most once a second unless
  // `force` or a megabyte is waiting); close_trace() writes the rest and closes the file.
  void flush_trace(bool force);
  void close_trace();

  Config config_;
  // Fills config_'s checkpoint interval and window from genesis, refusing a config that
  // disagrees with the chain.
  Status take_chain_spacing();
  WallClock clock_;
  LoadedGenesis genesis_;
  std::unique_ptr<crypto::PrivateKey> key_;
  std::string public_key_;
  Metrics metrics_;
  std::unique_ptr<Chain> chain_;
  std::unique_ptr<Mempool> mempool_;
  std::unique_ptr<VerifyPool> verify_pool_;
  std::unique_ptr<Admission> admission_;
  std::unique_ptr<consensus::KeySigner> signer_;
  std::unique_ptr<App> app_;
  // The epoch the store is in and its engine (null on a follower): consensus thread only, after
  // create(). epoch_keys_ is the same epoch's set for other threads, under epoch_mu_.
  ChainEpoch chain_epoch_;
  EpochMarks epoch_marks_;
  std::unique_ptr<consensus::Engine> engine_;
  mutable std::mutex epoch_mu_;
  std::shared_ptr<const EpochKeys> epoch_keys_;
  bool switch_due_ = false;
  int engines_built_ = 0;
  std::uint64_t last_follow_ms_ = 0;
  // Every engine input goes through input_, which records it when [debug] trace_inputs is on.
  std::unique_ptr<consensus::TraceRecorder> trace_;
  consensus::TracedEngine input_;
  std::mutex trace_mu_;  // the file: the consensus thread writes, stop() closes
  std::FILE* trace_file_ = nullptr;
  std::uint64_t trace_flushed_ms_ = 0;
  std::unique_ptr<PeerNetwork> network_;
  std::unique_ptr<Backfill> backfill_;
  std::unique_ptr<ClientService> client_service_;
  std::unique_ptr<ReflectionV1> reflection_v1_;
  std::unique_ptr<grpc::Server> api_server_;
  std::unique_ptr<OpsServer> ops_;

  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread core_thread_;
  boost::asio::steady_timer tick_timer_{io_};
  EngineTimers timers_{io_};
  std::atomic<bool> drain_scheduled_{false};
  std::atomic<bool> fetching_{false};
  std::thread fetch_thread_;

  // State at executed checkpoint heights, kept until a later checkpoint is stable, so the
  // stable one can be served to peers that are far behind.
  std::mutex snapshot_mu_;
  std::map<std::uint64_t, std::shared_ptr<const storage::Store::Snapshot>> checkpoint_snapshots_;
  std::shared_ptr<const ServedSnapshot> served_snapshot_;

  mutable std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_requested_ = false;
  bool stopped_ = false;
  Status halt_status_;

  // Sync state, written by the consensus thread, read by API threads. synced_ is a lease: it
  // counts only while synced_at_ms_ (steady clock) is recent.
  std::atomic<bool> synced_{false};
  std::atomic<std::int64_t> synced_at_ms_{0};
  std::atomic<std::uint64_t> certified_height_{0};
  std::atomic<std::uint64_t> checked_height_{0};  // the store's height when synced_ was decided
  std::atomic<std::uint32_t> peers_heard_{0};
  std::atomic<bool> in_touch_{false};
  // Consensus thread only: when the tick last ran (steady ms), when the last probe went out,
  // and since when (system ms) peers' answers count: the start, or the end of a pause.
  std::int64_t last_tick_ms_ = 0;
  std::uint64_t last_probe_ms_ = 0;
  std::uint64_t touch_since_ms_ = 0;

  // Status snapshot written by the consensus thread, read by API threads.
  std::atomic<std::uint64_t> view_{0};
  std::atomic<std::uint32_t> primary_{0};
  std::atomic<std::uint64_t> stable_checkpoint_{0};
  std::atomic<std::uint32_t> self_index_{0};
  std::atomic<bool> follower_{false};
  std::atomic<std::uint64_t> epoch_number_{0};
  std::atomic<std::uint32_t> set_size_{0};
  std::atomic<std::uint32_t> peers_needed_{0};

  prometheus::Counter& m_committed_txs_;
  prometheus::Counter& m_blocks_;
  prometheus::Gauge& m_height_;
  prometheus::Gauge& m_view_;
  // When m_view_ last changed (steady clock, ms): sharechain_view_duration_seconds.
  std::atomic<std::int64_t> view_since_steady_ms_{0};
  // sharechain_consensus_rejections_total{reason=...}, by consensus::Rejection.
  std::vector<prometheus::Counter*> m_rejections_;
};

}  // namespace sharechain::node
