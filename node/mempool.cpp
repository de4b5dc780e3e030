#include "node/mempool.hpp"

namespace sharechain::node {

Mempool::Mempool(Limits limits, std::string chain_id,
                 std::function<std::uint64_t(std::string_view)> committed_nonce)
    : limits_(limits), chain_id_(std::move(chain_id)), committed_nonce_(std::move(committed_nonce)) {}

Result<crypto::Hash> Mempool::add(const SignedTransaction& tx) {
  auto verified = tx::verify(tx, chain_id_);
  if (!verified) return verified.status();
  return add_verified(std::move(verified).value());
}

Result<crypto::Hash> Mempool::add_verified(tx::VerifiedTransaction vtx) {
  const crypto::Hash hash = vtx.hash;
  const std::uint64_t nonce = vtx.body.nonce();
  std::string bytes = vtx.signed_tx.SerializeAsString();
  const std::string who = crypto::format_address(vtx.sender);
  auto used = [&](std::uint64_t next) {
    return Status::failed_precondition("nonce " + std::to_string(nonce) + " of " + who +
                                       " was already used; the next nonce is " + std::to_string(next));
  };
  // A block may be in the store already while its transactions are still here (the mempool
  // hears of a commit just after it): a duplicate is judged against the store, so a client that
  // saw its transaction commit and sends it again hears "already used", never "pending".
  auto duplicate = [&](std::string what) -> Status {
    if (const std::uint64_t next = committed_nonce_(vtx.sender); nonce < next) return used(next);
    return Status::already_exists(std::move(what));
  };
  std::lock_guard lock(mu_);
  if (by_hash_.contains(hash)) {
    return duplicate("transaction " + crypto::to_hex(hash) + " is already pending");
  }
  auto [it, fresh] = senders_.try_emplace(vtx.sender);
  SenderQueue& q = it->second;
  if (fresh) {
    q.committed_next = committed_nonce_(vtx.sender);
    q.released_next = q.committed_next;
  }
  if (nonce < q.committed_next) {
    if (fresh && q.by_nonce.empty()) senders_.erase(it);
    return used(q.committed_next);
  }
  if (auto taken = q.by_nonce.find(nonce); taken != q.by_nonce.end()) {
    // Not ALREADY_EXISTS: that answer means "your transaction is in", and this one is not.
    if (const std::uint64_t next = committed_nonce_(vtx.sender); nonce < next) return used(next);
    return Status::failed_precondition(
        "nonce " + std::to_string(nonce) + " of " + who + " is taken by pending transaction " +
        crypto::to_hex(taken->second) + "; the next free nonce is " +
        std::to_string(next_free_locked(q)) + " (GetAccount's next_nonce)");
  }
  const std::uint64_t expected = next_free_locked(q);
  if (nonce > expected + limits_.max_nonce_gap) {
    if (fresh && q.by_nonce.empty()) senders_.erase(it);
    return Status::failed_precondition("nonce " + std::to_string(nonce) + " of " + who +
                                       " leaves a gap: the next nonce is " + std::to_string(expected));
  }
  if (q.by_nonce.size() >= limits_.max_pending_per_account) {
    if (fresh && q.by_nonce.empty()) senders_.erase(it);
    return Status::resource_exhausted(
        who + " has " + std::to_string(q.by_nonce.size()) +
        " transactions pending, the most one account may have ([mempool] max_pending_per_account); "
        "send more once some have committed");
  }
  if (by_hash_.size() >= limits_.max_txs || bytes_ + bytes.size() > limits_.max_bytes) {
    if (fresh && q.by_nonce.empty()) senders_.erase(it);
    return Status::resource_exhausted("mempool is full (" + std::to_string(by_hash_.size()) +
                                      " transactions, " + std::to_string(bytes_) +
                                      " bytes); retry later");
  }
  bytes_ += bytes.size();
  q.by_nonce.emplace(nonce, hash);
  by_hash_.emplace(hash, Entry{std::move(bytes), vtx.sender, nonce});
  release_ready_locked(q);
  return hash;
}

// The sender's next nonce is the first one from the committed nonce on that is not pending.
// Counting the pending transactions instead let a sender stack transactions ever further beyond a
// hole, each one widening the allowance (found by the api_submit fuzz target).
std::uint64_t Mempool::next_free_locked(const SenderQueue& q, std::uint64_t from) const {
  std::uint64_t next = std::max(from, q.committed_next);
  for (auto n = q.by_nonce.find(next); n != q.by_nonce.end() && n->first == next; ++n) ++next;
  return next;
}

std::uint64_t Mempool::next_nonce(std::string_view sender) const {
  // The store may be a commit ahead of what this queue has heard.
  const std::uint64_t committed = committed_nonce_(sender);
  std::lock_guard lock(mu_);
  auto it = senders_.find(std::string(sender));
  return it == senders_.end() ? committed : next_free_locked(it->second, committed);
}

void Mempool::release_ready_locked(SenderQueue& q) {
  for (auto it = q.by_nonce.find(q.released_next); it != q.by_nonce.end() && it->first == q.released_next;
       it = q.by_nonce.find(q.released_next)) {
    ready_.push_back(PendingTx{it->second, by_hash_.at(it->second).bytes});
    ++q.released_next;
  }
}

std::vector<PendingTx> Mempool::take_ready() {
  std::lock_guard lock(mu_);
  std::vector<PendingTx> out;
  out.swap(ready_);
  return out;
}

void Mempool::erase_locked(const crypto::Hash& hash) {
  auto it = by_hash_.find(hash);
  if (it == by_hash_.end()) return;
  bytes_ -= it->second.bytes.size();
  by_hash_.erase(it);
}

std::vector<crypto::Hash> Mempool::on_committed(const std::vector<crypto::Hash>& tx_hashes,
                                                const std::vector<std::string>& senders) {
  std::lock_guard lock(mu_);
  for (const auto& h : tx_hashes) erase_locked(h);
  std::vector<crypto::Hash> dropped;
  for (const std::string& sender : senders) {
    auto it = senders_.find(sender);
    if (it == senders_.end()) continue;
    SenderQueue& q = it->second;
    q.committed_next = committed_nonce_(sender);
    // Everything below the committed nonce is either in the block or can never execute.
    while (!q.by_nonce.empty() && q.by_nonce.begin()->first < q.committed_next) {
      const crypto::Hash h = q.by_nonce.begin()->second;
      if (by_hash_.contains(h)) {
        dropped.push_back(h);
        erase_locked(h);
      }
      q.by_nonce.erase(q.by_nonce.begin());
    }
    // Pending nonces must stay contiguous from the committed one; anything after a hole can
    // only wait forever, so it goes.
    std::uint64_t next = q.committed_next;
    for (auto n = q.by_nonce.begin(); n != q.by_nonce.end();) {
      if (n->first != next) {
        dropped.push_back(n->second);
        erase_locked(n->second);
        n = q.by_nonce.erase(n);
      } else {
        ++next;
        ++n;
      }
    }
    q.released_next = std::max(q.released_next, q.committed_next);
    if (q.released_next > next) q.released_next = next;
    release_ready_locked(q);
    if (q.by_nonce.empty()) senders_.erase(it);
  }
  return dropped;
}

bool Mempool::contains(const crypto::Hash& hash) const {
  std::lock_guard lock(mu_);
  return by_hash_.contains(hash);
}

std::size_t Mempool::size() const {
  std::lock_guard lock(mu_);
  return by_hash_.size();
}

std::uint64_t Mempool::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

}  // namespace sharechain::node
