// The history chain and the holes a snapshot restore leaves in it: computing history values,
// the gap/ records in meta, and backfilling a hole from the top down.
#include "storage/history.hpp"

#include <rocksdb/write_batch.h>

#include <algorithm>

#include "proto/transaction.hpp"
#include "storage/db.hpp"
#include "storage/history_codec.hpp"
#include "storage/store.hpp"

namespace sharechain::storage {
namespace {

void put_hash(std::string& out, const crypto::Hash& h) {
  out.append(reinterpret_cast<const char*>(h.data()), h.size());
}

crypto::Hash take_hash(std::string_view raw, std::size_t at) {
  crypto::Hash h{};
  std::copy_n(reinterpret_cast<const std::uint8_t*>(raw.data() + at), h.size(), h.begin());
  return h;
}

constexpr std::size_t kGapRecordSize = 8 + 5 * crypto::kHashSize;

std::string hex16(const crypto::Hash& h) { return crypto::to_hex(h).substr(0, 16); }

}  // namespace

std::string encode_gap(const HistoryGap& gap) {
  std::string out = keys::u64(gap.high);
  for (const auto* h : {&gap.high_hash, &gap.high_history, &gap.below_hash, &gap.below_history,
                        &gap.below_root}) {
    put_hash(out, *h);
  }
  return out;
}

std::optional<HistoryGap> decode_gap(std::uint64_t low, std::string_view raw) {
  if (raw.size() != kGapRecordSize) return std::nullopt;
  HistoryGap gap;
  gap.low = low;
  gap.high = *keys::parse_u64(raw.substr(0, 8));
  std::size_t at = 8;
  for (auto* h : {&gap.high_hash, &gap.high_history, &gap.below_hash, &gap.below_history,
                  &gap.below_root}) {
    *h = take_hash(raw, at);
    at += crypto::kHashSize;
  }
  if (gap.high < gap.low) return std::nullopt;
  return gap;
}

std::vector<HistoryGap> Store::load_gaps(const Db& db) {
  std::vector<HistoryGap> gaps;
  const std::string prefix(keys::kMetaGapPrefix);
  std::unique_ptr<rocksdb::Iterator> it(db.db->NewIterator(rocksdb::ReadOptions(), db.h(kMetaCf)));
  for (it->Seek(slice(prefix)); it->Valid() && view(it->key()).substr(0, prefix.size()) == prefix;
       it->Next()) {
    const auto low = keys::parse_u64(view(it->key()).substr(prefix.size()));
    auto gap = low ? decode_gap(*low, view(it->value())) : std::nullopt;
    if (!gap) halt("decode a history gap record", rocksdb::Status::Corruption());
    gaps.push_back(*gap);
  }
  if (!it->status().ok()) halt("read history gap records", it->status());
  std::sort(gaps.begin(), gaps.end(),
            [](const HistoryGap& a, const HistoryGap& b) { return a.low > b.low; });
  return gaps;
}

std::vector<HistoryGap> Store::history_gaps() const {
  std::lock_guard lock(head_mu_);
  return gaps_;
}

std::optional<HistoryGap> Store::gap_at(std::uint64_t height) const {
  std::lock_guard lock(head_mu_);
  for (const HistoryGap& g : gaps_) {
    if (height >= g.low && height <= g.high) return g;
  }
  return std::nullopt;
}

std::uint64_t Store::history_from() const {
  std::lock_guard lock(head_mu_);
  return gaps_.empty() ? 1 : gaps_.front().high + 1;
}

std::optional<crypto::Hash> Store::history_at(std::uint64_t height) const {
  if (height == 0) return crypto::Hash{};
  if (height > this->height()) return std::nullopt;
  auto raw = db_->get(kMetaCf, keys::history_key(height));
  if (!raw) return std::nullopt;
  return crypto::hash_from_bytes(*raw);
}

std::optional<HistoryEntry> Store::history_entry(std::uint64_t height) const {
  if (height == 0 || height > this->height() || gap_at(height)) return std::nullopt;
  auto block = block_at(height);
  auto previous_root = state_root_at(height - 1);
  auto previous_history = history_at(height - 1);
  if (!block || !previous_root || !previous_history) return std::nullopt;
  HistoryEntry e;
  e.height = height;
  e.block = std::move(*block);
  e.previous_state_root = *previous_root;
  e.previous_history = *previous_history;
  const std::string prefix = keys::height_key(height);
  const std::string end = keys::height_key(height + 1);
  rocksdb::Slice upper = slice(end);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->db->NewIterator(ro, db_->h(kReceiptsCf)));
  for (it->Seek(slice(prefix)); it->Valid(); it->Next()) e.receipts.emplace_back(view(it->value()));
  if (!it->status().ok()) halt("read receipts of " + std::to_string(height), it->status());
  if (e.receipts.size() != static_cast<std::size_t>(e.block.transactions_size())) return std::nullopt;
  return e;
}

Status Store::backfill(std::uint64_t gap_low, const std::vector<HistoryEntry>& entries) {
  std::lock_guard writer(write_mu_);
  std::optional<HistoryGap> found;
  {
    std::lock_guard lock(head_mu_);
    for (const HistoryGap& g : gaps_) {
      if (g.low == gap_low) found = g;
    }
  }
  if (!found) {
    return Status::not_found("no hole in the history starts at height " + std::to_string(gap_low));
  }
  HistoryGap gap = *found;
  if (entries.empty()) return Status::ok();

  rocksdb::WriteBatch batch;
  crypto::Hash want_hash = gap.high_hash;
  crypto::Hash want_history = gap.high_history;
  crypto::Hash root_below{};
  std::uint64_t h = gap.high;
  for (const HistoryEntry& e : entries) {
    const std::string at = "block " + std::to_string(e.height) + ": ";
    if (h < gap.low) {
      return Status::invalid_argument(at + "below the hole, which ends at " +
                                      std::to_string(gap.low));
    }
    if (e.height != h) {
      return Status::invalid_argument(at + "expected block " + std::to_string(h) +
                                      " next (entries run downwards without a break)");
    }
    if (crypto::sha256(e.block.header()) != want_hash) {
      return Status::invalid_argument(at + "its header hashes to " +
                                      hex16(crypto::sha256(e.block.header())) +
                                      ", but the certified chain above says " + hex16(want_hash));
    }
    BlockHeader header;
    if (Status st = check_block(h, want_hash, e.block, &header); !st) {
      return Status::invalid_argument(at + st.message());
    }
    if (e.receipts.size() != static_cast<std::size_t>(e.block.transactions_size())) {
      return Status::invalid_argument(at + std::to_string(e.block.transactions_size()) +
                                      " transactions but " + std::to_string(e.receipts.size()) +
                                      " receipts");
    }
    for (int i = 0; i < e.block.transactions_size(); ++i) {
      SignedTransaction stx;
      Receipt r;
      const auto index = static_cast<std::uint32_t>(i);
      if (!stx.ParseFromString(e.block.transactions(i)) ||
          !r.ParseFromString(e.receipts[static_cast<std::size_t>(i)])) {
        return Status::invalid_argument(at + "transaction or receipt " + std::to_string(i) +
                                        " does not decode");
      }
      const crypto::Hash tx_hash = tx::hash_of(stx);
      if (r.tx_hash() != crypto::hash_bytes(tx_hash) || r.height() != h || r.index() != index) {
        return Status::invalid_argument(at + "receipt " + std::to_string(i) +
                                        " is not the receipt of transaction " + std::to_string(i));
      }
      batch.Put(db_->h(kIndexCf), keys::tx_hash_key(tx_hash), keys::tx_location(h, index));
      batch.Put(db_->h(kReceiptsCf), keys::receipt_key(h, index),
                slice(e.receipts[static_cast<std::size_t>(i)]));
    }
    const crypto::Hash computed =
        next_history(e.previous_history, h, receipts_root(e.receipts), e.previous_state_root);
    if (computed != want_history) {
      return Status::invalid_argument(
          at + "its receipts, with the history value and state root given for the height below, "
               "hash to history " + hex16(computed) + ", not to the certified " +
          hex16(want_history));
    }
    // The snapshot's own block is kept as stored: another copy may carry other commit votes.
    if (!db_->get(kBlocksCf, keys::height_key(h))) {
      batch.Put(db_->h(kBlocksCf), keys::height_key(h), e.block.SerializeAsString());
      batch.Put(db_->h(kIndexCf), keys::block_hash_key(want_hash), keys::u64(h));
    }
    if (h - 1 >= gap.low) {
      batch.Put(db_->h(kMetaCf), keys::root_key(h - 1), crypto::hash_bytes(e.previous_state_root));
      batch.Put(db_->h(kMetaCf), keys::history_key(h - 1), crypto::hash_bytes(e.previous_history));
    }
    want_hash = *crypto::hash_from_bytes(header.prev_hash());
    want_history = e.previous_history;
    root_below = e.previous_state_root;
    --h;
  }

  const bool filled = h < gap.low;
  if (filled) {
    // The hole is closed: what the certified chain says lies below it must be this store's own
    // block, history and state root at gap.low - 1, or the two histories differ.
    if (want_hash != gap.below_hash || want_history != gap.below_history ||
        root_below != gap.below_root) {
      return Status::internal(
          "the certified history does not join this node's own below height " +
          std::to_string(gap.low) + ": block " + std::to_string(gap.low - 1) + " " +
          hex16(gap.below_hash) + " vs " + hex16(want_hash) + ", history " +
          hex16(gap.below_history) + " vs " + hex16(want_history) + ", state root " +
          hex16(gap.below_root) + " vs " + hex16(root_below));
    }
    batch.Delete(db_->h(kMetaCf), keys::gap_key(gap.low));
  } else {
    gap.high = h;
    gap.high_hash = want_hash;
    gap.high_history = want_history;
    batch.Put(db_->h(kMetaCf), keys::gap_key(gap.low), encode_gap(gap));
  }
  if (Status st = write(batch, Durability::kSynced, "backfill history below height " + std::to_string(h + 1)); !st) {
    return st;
  }

  std::lock_guard lock(head_mu_);
  for (auto it = gaps_.begin(); it != gaps_.end(); ++it) {
    if (it->low != gap.low) continue;
    if (filled) {
      gaps_.erase(it);
    } else {
      *it = gap;
    }
    break;
  }
  return Status::ok();
}

}  // namespace sharechain::storage
