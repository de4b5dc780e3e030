#include "node/chain.hpp"

#include "contracts/executor.hpp"

namespace sharechain::node {

Result<tx::VerifiedTransaction> decode_certified(const std::string& bytes) {
  tx::VerifiedTransaction out;
  if (!out.signed_tx.ParseFromString(bytes) || !out.body.ParseFromString(out.signed_tx.body())) {
    return Status::internal("a certified block holds a transaction that does not decode");
  }
  out.hash = tx::hash_of(out.signed_tx);
  // The sender the body names, not the address of the key beside it. The certificate covers the
  // bodies through the header's tx_root, and the keys and signatures through signed_tx_root, but
  // blocks certified before signed_tx_root existed have only the first; a peer serving such a
  // block during state transfer could change its keys. In an honest block the two are equal
  // (tx::verify admitted nothing else), so execution depends on certified bytes only. Found by
  // the block_range fuzz target.
  if (out.body.sender().size() != crypto::kAddressSize) {
    return Status::internal("a certified block holds a transaction whose sender is not an address");
  }
  out.sender = out.body.sender();
  return out;
}

Chain::Chain(std::string chain_id, std::unique_ptr<storage::Store> store, ExecutionSeams seams)
    : chain_id_(std::move(chain_id)), store_(std::move(store)), seams_(seams) {}

Result<ExecutedBlock> Chain::execute(const Block& block, const crypto::Hash& hash, std::uint64_t height,
                                     storage::Durability durability) {
  auto run = store_->begin_run(0, durability);
  auto executed = execute_in(*run, block, hash, height);
  if (!executed) return executed;
  if (Status s = run->commit(); !s) {
    return Status::internal("commit of block " + std::to_string(height) + " failed: " + s.to_string());
  }
  return executed;
}

Result<ExecutedBlock> Chain::execute_in(storage::Store::BlockRun& run, const Block& block,
                                        const crypto::Hash& hash, std::uint64_t height) {
  BlockHeader header;
  if (!header.ParseFromString(block.header())) {
    return Status::internal("certified block " + std::to_string(height) + " has an undecodable header");
  }
  std::vector<tx::VerifiedTransaction> txs;
  txs.reserve(block.transactions_size());
  ExecutedBlock out;
  for (const std::string& bytes : block.transactions()) {
    auto vtx = decode_certified(bytes);
    if (!vtx) return vtx.status();
    out.tx_hashes.push_back(vtx->hash);
    out.senders.push_back(vtx->sender);
    txs.push_back(std::move(vtx).value());
  }
  // Validator-set changes are recorded: the node switches engines at their switch heights.
  contracts::BlockContext ctx{chain_id_, height, header.timestamp_ms(), header.proposer(),
                              /*validator_changes=*/true};
  contracts::BlockResult result = contracts::execute_block(run, ctx, txs, *seams_.hooks);
  // Before anything of the block is staged: a node whose execution creates or loses money must
  // stop here rather than store, serve or certify that state.
  if (const contracts::InvariantReport inv =
          seams_.check_invariants ? contracts::check_block(height, result) : contracts::InvariantReport{};
      !inv.ok()) {
    contracts::Violation v = *inv.violation;
    if (v.tx_hash.empty() && v.tx_index < out.tx_hashes.size()) v.tx_hash = crypto::hash_bytes(out.tx_hashes[v.tx_index]);
    if (on_violation_) on_violation_(v);
    return Status::internal("money invariant broken, refusing to store block " + std::to_string(height) + ": " +
                            v.describe());
  }
  for (std::size_t i = 0; i < result.receipts.size(); ++i) {
    Receipt& r = result.receipts[i];
    r.set_height(height);
    r.set_index(static_cast<std::uint32_t>(i));
    if (r.tx_hash().empty()) r.set_tx_hash(crypto::hash_bytes(out.tx_hashes[i]));
  }
  auto root = run.add(height, hash, block, header.timestamp_ms(), result.receipts, result.writes);
  if (!root) return Status::internal("commit of block " + std::to_string(height) + " failed: " + root.status().to_string());
  out.height = height;
  out.hash = hash;
  out.state_root = *root;
  out.history = run.history();
  out.timestamp_ms = header.timestamp_ms();
  out.receipts = std::move(result.receipts);
  return out;
}

std::optional<api::BlockInfo> Chain::block_info(std::uint64_t height) const {
  auto block = store_->block_at(height);
  if (!block) return std::nullopt;
  api::BlockInfo info;
  info.set_height(height);
  info.set_hash(crypto::hash_bytes(crypto::sha256(block->header())));
  info.mutable_header()->ParseFromString(block->header());
  for (auto& r : store_->receipts_at(height)) *info.add_receipts() = std::move(r);
  if (auto root = store_->state_root_at(height)) info.set_state_root(crypto::hash_bytes(*root));
  *info.mutable_block() = std::move(*block);
  return info;
}

void Chain::on_invariant_violation(std::function<void(const contracts::Violation&)> listener) {
  on_violation_ = std::move(listener);
}

void Chain::wait_for(const crypto::Hash& tx_hash, std::chrono::steady_clock::time_point deadline,
                     WaitCallback done) {
  // The transaction may have committed between admission and this call.
  if (auto loc = store_->find_tx(tx_hash)) {
    if (auto receipt = store_->receipt_at(loc->height, loc->index)) {
      done(*receipt);
      return;
    }
  }
  std::lock_guard lock(waiters_mu_);
  waiters_[tx_hash].push_back(Waiter{deadline, std::move(done)});
}

void Chain::expire_waiters(std::chrono::steady_clock::time_point now) {
  std::vector<WaitCallback> expired;
  {
    std::lock_guard lock(waiters_mu_);
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      auto& list = it->second;
      for (auto w = list.begin(); w != list.end();) {
        if (w->deadline <= now) {
          expired.push_back(std::move(w->done));
          w = list.erase(w);
        } else {
          ++w;
        }
      }
      it = list.empty() ? waiters_.erase(it) : std::next(it);
    }
  }
  for (auto& done : expired) {
    done(Status(Code::kDeadlineExceeded,
                "the transaction was accepted but had not committed when the wait ended; "
                "query it later with its hash"));
  }
}

void Chain::fail_all_waiters(const Status& why) {
  std::unordered_map<crypto::Hash, std::vector<Waiter>, crypto::HashHasher> all;
  {
    std::lock_guard lock(waiters_mu_);
    all.swap(waiters_);
  }
  for (auto& [hash, list] : all) {
    for (auto& w : list) w.done(why);
  }
}

void Chain::on_commit(std::function<void(const ExecutedBlock&)> listener) {
  listeners_.push_back(std::move(listener));
}

void Chain::publish(const ExecutedBlock& block) {
  std::vector<std::pair<WaitCallback, Receipt>> ready;
  {
    std::lock_guard lock(waiters_mu_);
    for (std::size_t i = 0; i < block.tx_hashes.size(); ++i) {
      auto it = waiters_.find(block.tx_hashes[i]);
      if (it == waiters_.end()) continue;
      for (auto& w : it->second) ready.emplace_back(std::move(w.done), block.receipts[i]);
      waiters_.erase(it);
    }
  }
  for (auto& [done, receipt] : ready) done(std::move(receipt));
  for (const auto& listener : listeners_) listener(block);
}

}  // namespace sharechain::node
