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
#include <spdlog/spdlog.h>

#include <future>

#include "node/node.hpp"

namespace sharechain::node {
namespace {

// How many checkpoint snapshots a node keeps at most (the stable one plus newer ones that are
// waiting for a quorum).
constexpr std::size_t kMaxCheckpointSnapshots = 4;

}  // namespace

std::vector<crypto::Hash> Node::finish_commit(const ExecutedBlock& executed) {
  auto dropped = mempool_->on_committed(executed.tx_hashes, executed.senders);
  chain_->publish(executed);
  m_blocks_.fetch_add(1, std::memory_order_relaxed);
  m_committed_txs_.fetch_add(executed.tx_hashes.size(), std::memory_order_relaxed);
  m_height_.store(static_cast<std::int64_t>(executed.height), std::memory_order_relaxed);
  if (executed.height % config_.checkpoint_interval == 0) {
    std::shared_ptr<const storage::Store::Snapshot> snap = chain_->store().snapshot();
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
    if (Status s = consensus::verify_checkpoint_proof(chain_->chain_id(),
                                                      static_cast<std::uint32_t>(consensus_config_.validators.size()),
                                                      fetched->proof, *verifier_);
        !s) {
      reject(s.message());
      continue;
    }
    if (Status s = consensus::verify_commit_certificate(consensus_config_, fetched->block, *verifier_); !s) {
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
        m_height_.store(static_cast<std::int64_t>(snap.height), std::memory_order_relaxed);
        perform(input_.on_state_transferred(snap.height, block_hash, root, snap.timestamp_ms, now_ms()));
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
    metrics_.counter("sharechain_snapshots_restored_total", "State snapshots restored from peers").fetch_add(1);
    backfill_->wake();
    return chain_->store().height();
  }
  return start_height;
}

// Verified already; runs the block on the consensus thread and waits. False when the block does
// not follow the store, the node diverged, or the node is stopping.
bool Node::execute_fetched(Block block, std::uint64_t height) {
  const crypto::Hash hash = crypto::sha256(block.header());
  auto done = std::make_shared<std::promise<bool>>();
  auto ok = done->get_future();
  post([this, block = std::move(block), hash, height, done]() mutable {
    auto& store = chain_->store();
    if (height != store.height() + 1) {
      done->set_value(height <= store.height());
      return;
    }
    // The header certifies the state root the proposer had after state_height; this node must
    // have computed the same one, or it has diverged and must not go on signing.
    BlockHeader header;
    header.ParseFromString(block.header());
    if (header.state_height() > 0 && header.state_height() <= store.height()) {
      auto ours = store.state_root_at(header.state_height());
      if (ours && crypto::hash_bytes(*ours) != header.state_root()) {
        halt("state divergence: certified block " + std::to_string(height) + " says the state root after height " +
             std::to_string(header.state_height()) + " is " + crypto::to_hex(header.state_root()) +
             ", this node computed " + crypto::to_hex(*ours));
        done->set_value(false);
        return;
      }
    }
    auto executed = chain_->execute(block, hash, height);
    if (!executed) {
      halt(executed.status().message());
      done->set_value(false);
      return;
    }
    auto dropped = finish_commit(*executed);
    dropped.insert(dropped.end(), executed->tx_hashes.begin(), executed->tx_hashes.end());
    perform(input_.on_transactions_committed(dropped, now_ms()));
    done->set_value(true);
  });
  // The consensus thread may stop before it runs the task; never wait past a stop.
  while (ok.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
    std::lock_guard lock(stop_mu_);
    if (stop_requested_) return false;
  }
  return ok.get();
}

void Node::start_fetch(const consensus::FetchBlocks& f) {
  if (fetching_.exchange(true)) return;
  if (fetch_thread_.joinable()) fetch_thread_.join();
  spdlog::info("behind: fetching blocks {}..{} from peers", f.from_height, f.to_height);
  fetch_thread_ = std::thread([this, f] {
    const auto started = std::chrono::steady_clock::now();
    const std::uint64_t start_height = chain_->store().height();
    std::vector<std::uint32_t> sources = f.sources;
    if (sources.empty()) {
      for (const auto& l : network_->status()) sources.push_back(l.validator);
    }
    if (!sources.empty() && f.to_height > start_height + 2 * config_.checkpoint_interval) {
      fetch_snapshot_from(sources, f.to_height);
    }
    std::uint64_t next = std::max<std::uint64_t>(f.from_height, chain_->store().height() + 1);
    const std::uint64_t after_snapshot = next - 1;
    for (std::size_t attempt = 0; attempt < sources.size() * 2 && next <= f.to_height; ++attempt) {
      {
        std::lock_guard lock(stop_mu_);
        if (stop_requested_) break;
      }
      const std::uint32_t source = sources[attempt % sources.size()];
      auto blocks = network_->fetch_blocks(source, next, f.to_height);
      if (!blocks) {
        spdlog::warn("state transfer from validator {}: {}", source, blocks.status().message());
        continue;
      }
      for (Block& block : *blocks) {
        BlockHeader header;
        if (!header.ParseFromString(block.header()) || header.height() != next) break;
        if (Status s = consensus::verify_commit_certificate(consensus_config_, block, *verifier_); !s) {
          spdlog::warn("state transfer: block {} from validator {} is not certified: {}", next,
                       source, s.message());
          break;
        }
        if (!execute_fetched(std::move(block), next)) break;
        ++next;
      }
    }
    const std::uint64_t fetched = next - 1 - after_snapshot;
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    spdlog::info("state transfer: {} -> {}: {} blocks executed in {:.2f} s ({:.0f} blocks/s)", start_height,
                 chain_->store().height(), fetched, secs, secs > 0 ? fetched / secs : 0.0);
    post([this] {
      const auto& st = chain_->store();
      fetching_ = false;
      perform(input_.on_state_transferred(st.height(), st.last_block_hash(), st.state_root(),
                                            st.last_timestamp_ms(), now_ms()));
    });
  });
}

}  // namespace sharechain::node
