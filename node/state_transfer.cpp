// State transfer: bringing a node that was down or partitioned back to the head of the chain.
//
// The engine says how far behind the node is (FetchBlocks). Blocks are fetched from peers with
// their commit certificates, each certificate is checked against the validator set, and the
// blocks are executed in order, so a node never takes a peer's word for anything. When the gap
// is more than two checkpoint intervals, the node first asks for a snapshot of the state at a
// peer's latest stable checkpoint, which it trusts only through the checkpoint proof (a quorum of
// signed CHECKPOINT votes on height, block hash and state root), the certified block at that
// height, and a state root it recomputes from the entries; then it fetches the remaining blocks.
//
// Network waits happen on the fetch thread; every store write happens on the consensus thread.
//
// Fetched blocks go through a pipeline, so a node far behind catches up at the speed of its
// disk and CPUs rather than of one round trip and one fsync per block: the fetch thread checks
// the certificates of a fetched range on all cores, hands the consensus thread runs of blocks
// (each executed in one task and written with one synced WriteBatch, Store::BlockRun), and
// fetches and checks the next range while those execute. Every block is still certified before
// it executes, executed strictly in height order, and checked against the state root its
// header certifies; nothing is published (mempool, waiters, consensus) before its run is
// durable.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <deque>
#include <future>
#include <thread>

#include "node/node.hpp"

namespace sharechain::node {
namespace {

// How many checkpoint snapshots a node keeps at most (the stable one plus newer ones that are
// waiting for a quorum).
constexpr std::size_t kMaxCheckpointSnapshots = 4;

// A run of fetched blocks is executed in one consensus-thread task and written with one synced
// write. The bounds keep the consensus thread from being held for long (20,000 transfers take
// well under a second) and bound what a crash can lose (only a run not yet written).
constexpr std::size_t kRunBlocks = 512;
constexpr std::size_t kRunTransactions = 20000;
// Runs handed to the consensus thread and not yet done: while they execute, the fetch thread
// fetches and verifies the next range; more would only hold more blocks in memory.
constexpr std::size_t kRunsInFlight = 2;
// The engine asks for the blocks up to the height it knows is certified, which right after a
// restart is often far below the peers' head (it learns the head from their queued messages).
// Past that height the fetch goes on towards the peer's head, for as long as a fetch still
// brings this many blocks or more (fewer means this node is at the head, and consensus carries
// on), but never further than two checkpoint intervals past where it started: a node further
// behind than that restores a snapshot first, which the engine's next FetchBlocks triggers.
// Without it the rest would arrive as consensus messages, each block a synced write of its own.
constexpr std::size_t kChaseBlocks = 16;

// Checks the commit certificate of each of `blocks` (heights first, first+1, ...) on up to one
// thread per core; returns how many leading blocks are certified at the height they claim.
// Every block is checked; only the order of the checks is parallel.
std::size_t verify_certified(const std::vector<Block>& blocks, std::uint64_t first,
                             const consensus::Config& config, consensus::Verifier& verifier,
                             std::uint32_t source) {
  std::vector<Status> results(blocks.size(), Status::ok());
  const auto check = [&](std::size_t i) {
    BlockHeader header;
    if (!header.ParseFromString(blocks[i].header()) || header.height() != first + i) {
      results[i] = Status::invalid_argument("its header does not decode or names another height");
      return;
    }
    results[i] = consensus::verify_commit_certificate(config, blocks[i], verifier);
  };
  const std::size_t threads =
      std::min<std::size_t>(std::max(1u, std::thread::hardware_concurrency()), (blocks.size() + 15) / 16);
  if (threads <= 1) {
    for (std::size_t i = 0; i < blocks.size(); ++i) check(i);
  } else {
    std::vector<std::thread> pool;
    for (std::size_t t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        for (std::size_t i = t; i < blocks.size(); i += threads) check(i);
      });
    }
    for (auto& th : pool) th.join();
  }
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    if (!results[i]) {
      // The first block of the next epoch is certified by a set this node learns by executing
      // the blocks before it: expected at every switch height, not a fault of the peer.
      BlockHeader header;
      const bool next_epoch = header.ParseFromString(blocks[i].header()) && header.epoch() > config.epoch;
      spdlog::log(next_epoch ? spdlog::level::debug : spdlog::level::warn,
                  "state transfer: block {} from peer {} is not certified by epoch {}'s set: {}", first + i,
                  source, config.epoch, results[i].message());
      return i;
    }
  }
  return blocks.size();
}

}  // namespace

std::vector<crypto::Hash> Node::finish_commit(const ExecutedBlock& executed) {
  auto dropped = mempool_->on_committed(executed.tx_hashes, executed.senders);
  chain_->publish(executed);
  m_blocks_.Increment();
  m_committed_txs_.Increment(static_cast<double>(executed.tx_hashes.size()));
  m_height_.Set(static_cast<double>(executed.height));
  if (executed.height % config_.checkpoint_interval == 0) {
    std::shared_ptr<const storage::Store::Snapshot> snap = chain_->store().snapshot();
    // State transfer ends its runs at checkpoint heights, so the store is at this block; a
    // snapshot of any other height would be served as the wrong checkpoint's.
    if (snap->height() != executed.height) return dropped;
    std::lock_guard lock(snapshot_mu_);
    checkpoint_snapshots_[snap->height()] = std::move(snap);
    while (checkpoint_snapshots_.size() > kMaxCheckpointSnapshots) {
      checkpoint_snapshots_.erase(checkpoint_snapshots_.begin());
    }
  }
  return dropped;
}

void Node::serve_stable_snapshot() {
  const std::uint64_t stable = stable_checkpoint_.load();
  const auto persisted = chain_->store().load_consensus();
  const auto proof_bytes = persisted.find("ckpt");
  consensus::CheckpointProof proof;
  if (proof_bytes == persisted.end() || !proof.ParseFromString(proof_bytes->second) ||
      proof.height() != stable) {
    return;
  }
  std::lock_guard lock(snapshot_mu_);
  auto it = checkpoint_snapshots_.find(stable);
  if (it == checkpoint_snapshots_.end()) return;  // stable before this node executed it
  auto block = chain_->store().block_at(stable);
  if (!block) return;
  auto served = std::make_shared<ServedSnapshot>();
  served->state = it->second;
  served->checkpoint_proof = proof_bytes->second;
  served->block = std::move(*block);
  served_snapshot_ = std::move(served);
  checkpoint_snapshots_.erase(checkpoint_snapshots_.begin(), it);
  spdlog::debug("serving the state snapshot at stable checkpoint {}", stable);
}

// Returns the height the store reached (unchanged if no peer had a usable snapshot).
std::uint64_t Node::fetch_snapshot_from(const std::vector<std::uint32_t>& sources, std::uint64_t target) {
  const std::uint64_t start_height = chain_->store().height();
  for (std::uint32_t source : sources) {
    const auto started = std::chrono::steady_clock::now();
    auto fetched = network_->fetch_snapshot(source, start_height + 1);
    if (!fetched) {
      spdlog::info("no snapshot from validator {}: {}", source, fetched.status().message());
      continue;
    }
    const auto reject = [&](const std::string& why) {
      spdlog::warn("snapshot at height {} from validator {} refused: {}", fetched->height, source, why);
    };
    const crypto::Hash block_hash = crypto::sha256(fetched->block.header());
    BlockHeader header;
    if (fetched->proof.height() != fetched->height || fetched->proof.state_root() != fetched->state_root ||
        fetched->proof.block_hash() != crypto::hash_bytes(block_hash)) {
      reject("its checkpoint proof is for another height, block or state root");
      continue;
    }
    // Checked against this node's epoch: a snapshot of a later epoch is signed by a set this node
    // does not know yet, and the blocks up to it are fetched instead (each switch certified by
    // the set before it).
    const std::shared_ptr<const EpochKeys> keys = epoch_keys();
    if (Status s = consensus::verify_checkpoint_proof(chain_->chain_id(),
                                                      static_cast<std::uint32_t>(keys->config.validators.size()),
                                                      fetched->proof, *keys->verifier);
        !s) {
      reject(s.message());
      continue;
    }
    if (Status s = consensus::verify_commit_certificate(keys->config, fetched->block, *keys->verifier); !s) {
      reject("the block's commit certificate: " + s.message());
      continue;
    }
    if (!header.ParseFromString(fetched->block.header()) || header.height() != fetched->height) {
      reject("its block header does not decode or names another height");
      continue;
    }
    auto root = crypto::hash_from_bytes(fetched->state_root);
    if (!root) {
      reject("its state root is not 32 bytes");
      continue;
    }
    const std::size_t entries = fetched->entries.size();
    auto done = std::make_shared<std::promise<Status>>();
    auto result = done->get_future();
    post([this, snap = std::move(*fetched), block_hash, root = *root, done]() {
      auto& store = chain_->store();
      if (snap.height <= store.height()) {
        done->set_value(Status::ok());
        return;
      }
      Status s = store.restore_snapshot(snap.height, block_hash, snap.block, snap.timestamp_ms, root,
                                        snap.entries);
      if (s) {
        m_height_.Set(static_cast<double>(snap.height));
        consensus::Actions actions = note_epoch_changes();
        if (engine_) {
          auto more = input_.on_state_transferred(snap.height, block_hash, root, snap.timestamp_ms, now_ms(),
                                                  store.history());
          actions.insert(actions.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
        }
        perform(std::move(actions));
      } else if (s.code() == Code::kUnavailable || s.code() == Code::kResourceExhausted ||
                 s.code() == Code::kInternal) {
        // This node's own disk failed, not the peer's snapshot: trying another peer would fail
        // the same way, and the store takes no writes until it is reopened (storage-faults.md).
        halt("cannot restore the state snapshot at height " + std::to_string(snap.height) + ": " +
             s.to_string());
      }
      done->set_value(s);
    });
    while (result.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
      std::lock_guard lock(stop_mu_);
      if (stop_requested_) return chain_->store().height();
    }
    if (Status s = result.get(); !s) {
      {
        std::lock_guard lock(stop_mu_);
        if (!halt_status_.is_ok()) return chain_->store().height();
      }
      reject(s.message());
      continue;
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    spdlog::info("restored the state snapshot at height {} from validator {}: {} entries in {:.2f} s "
                 "(target height {})",
                 header.height(), source, entries, secs, target);
    metrics_.counter("sharechain_snapshots_restored_total", "State snapshots restored from peers").Increment();
    backfill_->wake();
    return chain_->store().height();
  }
  return start_height;
}

// Verified already: executes the run of blocks at heights first, first+1, ... on the consensus
// thread in one task, writes them with one synced write, and only then publishes them. The
// future holds how many blocks and transactions it executed (heights consensus committed
// meanwhile are skipped), or nothing when a block does not follow the store, the node diverged
// or halted.
std::future<std::optional<std::pair<std::uint64_t, std::uint64_t>>> Node::execute_fetched(std::vector<Block> blocks,
                                                                                          std::uint64_t first) {
  using Done = std::optional<std::pair<std::uint64_t, std::uint64_t>>;
  auto done = std::make_shared<std::promise<Done>>();
  auto ok = done->get_future();
  post([this, blocks = std::move(blocks), first, done]() mutable {
    const auto started = std::chrono::steady_clock::now();
    // Where the run ends: trees are kept for its last heights only, which the store keeps for
    // proofs anyway (Store::begin_run).
    auto run = chain_->store().begin_run(blocks.empty() ? 0 : first + blocks.size() - 1);
    std::vector<ExecutedBlock> executed;
    executed.reserve(blocks.size());
    bool follows = true;
    for (std::size_t i = 0; i < blocks.size(); ++i) {
      const std::uint64_t height = first + i;
      if (height <= run->height()) continue;  // consensus committed it meanwhile
      if (height != run->height() + 1) {
        follows = false;
        break;
      }
      const Block& block = blocks[i];
      // The header certifies the state root the proposer had after state_height; this node
      // must have computed the same one (in the store or earlier in this run), or it has
      // diverged and must not go on signing.
      BlockHeader header;
      header.ParseFromString(block.header());
      if (header.state_height() > 0 && header.state_height() <= run->height()) {
        auto ours = run->state_root_at(header.state_height());
        if (ours && crypto::hash_bytes(*ours) != header.state_root()) {
          halt("state divergence: certified block " + std::to_string(height) + " says the state root after height " +
               std::to_string(header.state_height()) + " is " + crypto::to_hex(header.state_root()) +
               ", this node computed " + crypto::to_hex(*ours));
          done->set_value(std::nullopt);
          return;
        }
      }
      auto e = chain_->execute_in(*run, block, crypto::sha256(block.header()), height);
      if (!e) {
        halt(e.status().message());
        done->set_value(std::nullopt);
        return;
      }
      executed.push_back(std::move(e).value());
    }
    if (Status s = run->commit(); !s) {
      halt("cannot write fetched blocks: " + s.to_string());
      done->set_value(std::nullopt);
      return;
    }
    // Durable now: only from here may the mempool, waiters and consensus hear of them.
    std::vector<crypto::Hash> committed;
    std::uint64_t transactions = 0;
    for (const ExecutedBlock& e : executed) {
      transactions += e.tx_hashes.size();
      auto dropped = finish_commit(e);
      committed.insert(committed.end(), dropped.begin(), dropped.end());
      committed.insert(committed.end(), e.tx_hashes.begin(), e.tx_hashes.end());
    }
    if (!executed.empty()) {
      const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
      metrics_.observe_seconds("sharechain_state_transfer_run_seconds",
                               "Execute and commit time per run of fetched blocks (one synced write)", ms / 1000);
      metrics_.counter("sharechain_state_transfer_blocks_total", "Blocks executed by state transfer")
          .Increment(static_cast<double>(executed.size()));
      spdlog::debug("state transfer: executed blocks {}..{} in one write ({:.1f} ms)", executed.front().height,
                    executed.back().height, ms);
    }
    // A change these blocks executed ends this epoch (the engine hears where), or the run ended
    // at the switch height and the next epoch's engine takes over (runs end at checkpoint
    // heights, and a switch height is one).
    consensus::Actions actions = note_epoch_changes();
    if (engine_) {
      auto more = input_.on_transactions_committed(committed, now_ms());
      actions.insert(actions.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
    }
    perform(std::move(actions));
    done->set_value(follows ? Done(std::make_pair(executed.size(), transactions)) : Done());
  });
  return ok;
}

void Node::start_fetch(const consensus::FetchBlocks& f) {
  if (fetching_.exchange(true)) return;
  if (fetch_thread_.joinable()) fetch_thread_.join();
  // A follower asks for the next block every few hundred milliseconds: only what it gets is news.
  const bool polling = !engine_;
  spdlog::log(polling ? spdlog::level::debug : spdlog::level::info, "behind: fetching blocks {}..{} from peers",
              f.from_height, f.to_height);
  fetch_thread_ = std::thread([this, f, polling] {
    const auto started = std::chrono::steady_clock::now();
    const std::uint64_t start_height = chain_->store().height();
    std::vector<std::uint32_t> sources = f.sources;
    if (sources.empty()) {
      for (const auto& l : network_->status()) sources.push_back(l.peer);
    }
    if (!sources.empty() && f.to_height > start_height + 2 * config_.checkpoint_interval) {
      fetch_snapshot_from(sources, f.to_height);
    }
    const auto stopping = [this] {
      std::lock_guard lock(stop_mu_);
      return stop_requested_;
    };
    std::uint64_t next = std::max<std::uint64_t>(f.from_height, chain_->store().height() + 1);
    std::uint64_t executed_blocks = 0;
    std::uint64_t transactions = 0;
    bool failed = false;
    struct Pending {
      std::future<std::optional<std::pair<std::uint64_t, std::uint64_t>>> done;
    };
    std::deque<Pending> in_flight;
    // Waits for the oldest runs until at most `keep` are in flight. The consensus thread may
    // stop before it runs a task; never wait past a stop.
    const auto settle = [&](std::size_t keep) {
      while (in_flight.size() > keep) {
        Pending& p = in_flight.front();
        bool stopped = false;
        while (p.done.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
          if (stopping()) {
            stopped = true;
            break;
          }
        }
        const auto counts = stopped ? std::nullopt : p.done.get();
        if (!counts) {
          failed = true;
          in_flight.clear();  // the consensus thread owns the tasks; their promises outlive this
          return;
        }
        executed_blocks += counts->first;
        transactions += counts->second;
        in_flight.pop_front();
      }
    };
    // A source that fails or sends uncertified blocks costs an attempt; progress does not.
    std::size_t failures = 0;
    std::size_t source_index = 0;
    const std::uint64_t chase_to = std::max(f.to_height, next - 1 + 2 * config_.checkpoint_interval);
    bool chasing = true;
    while (!sources.empty() && !failed && (next <= f.to_height || (chasing && next <= chase_to)) &&
           failures < sources.size() * 2 && !stopping()) {
      const std::uint32_t source = sources[source_index % sources.size()];
      // The peer sends what it has of the range, at most 1,000 blocks per call.
      auto blocks = network_->fetch_blocks(source, next, chase_to);
      if (!blocks || blocks->empty()) {
        if (!blocks) spdlog::warn("state transfer from validator {}: {}", source, blocks.status().message());
        if (next > f.to_height) break;  // at this peer's head, beyond what the engine asked for
        ++failures;
        ++source_index;
        continue;
      }
      chasing = blocks->size() >= kChaseBlocks;
      const std::shared_ptr<const EpochKeys> keys = epoch_keys();
      const std::size_t good = verify_certified(*blocks, next, keys->config, *keys->verifier, source);
      // Runs end at checkpoint heights (finish_commit keeps a snapshot of the store there) and
      // at the size bounds.
      std::size_t i = 0;
      while (i < good && !failed) {
        std::vector<Block> run;
        std::uint64_t txs = 0;
        const std::uint64_t first = next;
        while (i < good && run.size() < kRunBlocks &&
               (run.empty() || txs + static_cast<std::uint64_t>((*blocks)[i].transactions_size()) <= kRunTransactions)) {
          txs += static_cast<std::uint64_t>((*blocks)[i].transactions_size());
          run.push_back(std::move((*blocks)[i]));
          ++i;
          if (next++ % config_.checkpoint_interval == 0) break;
        }
        in_flight.push_back(Pending{execute_fetched(std::move(run), first)});
        settle(kRunsInFlight);
      }
      if (good < blocks->size()) {
        // The first block of the next epoch is certified by the next set: once the blocks before
        // it have executed, the switch they made gives this node that set, and the fetch goes on.
        BlockHeader header;
        if (!failed && header.ParseFromString((*blocks)[good].header()) && header.epoch() > keys->config.epoch) {
          settle(0);
          if (!failed && epoch_keys()->config.epoch > keys->config.epoch) continue;
        }
        ++failures;
        ++source_index;
      }
    }
    settle(0);
    // Blocks consensus committed meanwhile (from messages queued while this node was away) are
    // not counted: the rate is this path's own.
    const std::uint64_t fetched = executed_blocks;
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    spdlog::log(polling && fetched == 0 ? spdlog::level::debug : spdlog::level::info,
                "state transfer: {} -> {}: {} blocks executed in {:.3f} s ({:.0f} blocks/s, {} transactions, "
                 "{:.0f} tx/s)",
                 start_height, chain_->store().height(), fetched, secs, secs > 0 ? fetched / secs : 0.0, transactions,
                 secs > 0 ? transactions / secs : 0.0);
    post([this] {
      const auto& st = chain_->store();
      fetching_ = false;
      if (!engine_) return;
      perform(input_.on_state_transferred(st.height(), st.last_block_hash(), st.state_root(),
                                            st.last_timestamp_ms(), now_ms(), st.history()));
    });
  });
}

}  // namespace sharechain::node
