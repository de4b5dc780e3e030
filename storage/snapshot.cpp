// State snapshots for state transfer: reading a consistent view, and restoring from one.
#include <rocksdb/iterator.h>
#include <rocksdb/snapshot.h>
#include <rocksdb/write_batch.h>

#include "storage/db.hpp"
#include "storage/history_codec.hpp"
#include "storage/store.hpp"

namespace sharechain::storage {
namespace {

const rocksdb::Snapshot* as_rocks(const void* p) { return static_cast<const rocksdb::Snapshot*>(p); }

crypto::Hash hash_or_zero(const std::optional<std::string>& raw) {
  if (!raw) return crypto::Hash{};
  auto h = crypto::hash_from_bytes(*raw);
  return h ? *h : crypto::Hash{};
}

}  // namespace

Store::Snapshot::~Snapshot() {
  if (db_ && snap_ != nullptr) db_->db->ReleaseSnapshot(as_rocks(snap_));
}

std::unique_ptr<Store::Snapshot> Store::snapshot() const {
  std::unique_ptr<Snapshot> s(new Snapshot());
  s->db_ = db_;
  const rocksdb::Snapshot* snap = db_->db->GetSnapshot();
  s->snap_ = snap;
  // The head is read from meta through the same RocksDB snapshot as the entries, not from the
  // in-memory head, so height, root and entries are of one and the same block even while
  // commits run.
  s->height_ = keys::parse_u64(db_->get(kMetaCf, keys::kMetaHeight, snap).value_or("")).value_or(0);
  s->block_hash_ = hash_or_zero(db_->get(kMetaCf, keys::kMetaLastBlockHash, snap));
  s->timestamp_ms_ =
      keys::parse_u64(db_->get(kMetaCf, keys::kMetaLastTimestamp, snap).value_or("")).value_or(0);
  auto root = db_->get(kMetaCf, keys::kMetaStateRoot, snap);
  s->state_root_ = root ? hash_or_zero(root) : LtHash().root();
  return s;
}

std::optional<Block> Store::Snapshot::block() const {
  if (height_ == 0) return std::nullopt;
  auto raw = db_->get(kBlocksCf, keys::height_key(height_), as_rocks(snap_));
  if (!raw) return std::nullopt;
  Block b;
  if (!b.ParseFromString(*raw)) {
    halt("decode stored block " + std::to_string(height_), rocksdb::Status::Corruption());
  }
  return b;
}

void Store::Snapshot::for_each(
    std::string_view from, const std::function<bool(std::string_view, std::string_view)>& fn) const {
  rocksdb::ReadOptions ro;
  ro.snapshot = as_rocks(snap_);
  std::unique_ptr<rocksdb::Iterator> it(db_->db->NewIterator(ro, db_->h(kStateCf)));
  for (it->Seek(slice(from)); it->Valid(); it->Next()) {
    if (!fn(view(it->key()), view(it->value()))) return;
  }
  if (!it->status().ok()) halt("read state snapshot", it->status());
}

Store::Snapshot::Chunk Store::Snapshot::chunk(std::string_view from, std::size_t max_bytes) const {
  Chunk c;
  std::size_t bytes = 0;
  for_each(from, [&](std::string_view k, std::string_view v) {
    if (!c.entries.empty() && bytes + k.size() + v.size() > max_bytes) {
      c.next = std::string(k);
      return false;
    }
    bytes += k.size() + v.size();
    c.entries.emplace_back(std::string(k), std::string(v));
    return true;
  });
  return c;
}

Status Store::restore_snapshot(std::uint64_t height, const crypto::Hash& block_hash,
                               const Block& block, std::uint64_t timestamp_ms,
                               const crypto::Hash& state_root,
                               const std::vector<std::pair<std::string, std::string>>& entries) {
  std::size_t i = 0;
  return restore_snapshot(height, block_hash, block, timestamp_ms, state_root,
                          [&](std::string& k, std::string& v) {
                            if (i == entries.size()) return false;
                            k = entries[i].first;
                            v = entries[i].second;
                            ++i;
                            return true;
                          });
}

Status Store::restore_snapshot(std::uint64_t height, const crypto::Hash& block_hash,
                               const Block& block, std::uint64_t timestamp_ms,
                               const crypto::Hash& state_root, const EntrySource& entries) {
  std::lock_guard writer(write_mu_);
  Head h = head();
  if (!h.genesis_hash) {
    return Status::failed_precondition("cannot restore a snapshot at height " +
                                       std::to_string(height) + ": genesis is not initialised");
  }
  if (height <= h.height) {
    return Status::failed_precondition("cannot restore a snapshot at height " +
                                       std::to_string(height) + ": the store is already at height " +
                                       std::to_string(h.height));
  }
  BlockHeader header;
  if (auto st = check_block(height, block_hash, block, &header); !st) return st;

  rocksdb::WriteBatch batch;
  auto* state = db_->h(kStateCf);
  // Clear the old state with one range tombstone up to just past its last key. The entries are
  // put after it in the same batch, so they carry later sequence numbers and stay visible.
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->db->NewIterator(rocksdb::ReadOptions(), state));
    it->SeekToLast();
    if (!it->status().ok()) return from_rocks(it->status(), "read state before restore");
    if (it->Valid()) {
      std::string end(view(it->key()));
      end.push_back('\0');  // the smallest key after the last one
      batch.DeleteRange(state, rocksdb::Slice(), slice(end));
    }
  }

  LtHash acc;
  std::vector<StateTree::Entry> tree_entries;
  std::optional<crypto::Hash> history;
  std::string key;
  std::string value;
  std::string prev;
  std::uint64_t n = 0;
  while (entries(key, value)) {
    if (n > 0 && key <= prev) {
      return Status::invalid_argument("snapshot entry " + std::to_string(n) + " (key " +
                                      crypto::to_hex(key) +
                                      ") is not after the previous key; keys must be strictly "
                                      "ascending");
    }
    acc.add(options_.state_commitment, key, value);
    if (options_.state_tree && in_state_tree(key)) tree_entries.push_back({crypto::sha256(key), crypto::sha256(value)});
    batch.Put(state, slice(key), slice(value));
    if (key == kHistoryStateKey) {
      history = crypto::hash_from_bytes(value);
      if (!history) {
        return Status::invalid_argument("snapshot entry " + std::string(kHistoryStateKey) +
                                        " is not 32 bytes; nothing was restored");
      }
    }
    prev.swap(key);
    ++n;
  }
  const StateTree tree = options_.state_tree ? StateTree::build(std::move(tree_entries)) : StateTree();
  const crypto::Hash root = root_of(acc, tree);
  if (root != state_root) {
    return Status::invalid_argument("the " + std::to_string(n) + " snapshot entries hash to " +
                                    crypto::to_hex(root) + ", not to the expected state root " +
                                    crypto::to_hex(state_root) + "; nothing was restored");
  }

  if (!history) {
    return Status::invalid_argument("the snapshot at height " + std::to_string(height) +
                                    " has no " + std::string(kHistoryStateKey) +
                                    " entry; every state after a block has one");
  }

  // Everything from the old head up to the snapshot is now a hole in the history, anchored
  // above by the snapshot's certified block and history value and below by this store's own.
  HistoryGap gap;
  gap.low = h.height + 1;
  gap.high = height;
  gap.high_hash = block_hash;
  gap.high_history = *history;
  gap.below_hash = h.last_block_hash;
  gap.below_history = h.history;
  gap.below_root = h.state_root;
  batch.Put(db_->h(kMetaCf), keys::gap_key(gap.low), encode_gap(gap));

  Head next = stage_block(batch, h, height, block_hash, block, timestamp_ms, acc, gap.high_history, tree);
  TreeVersions versions;
  if (options_.state_tree) versions.emplace_back(height, TreeVersion{tree, acc.root(), nullptr});
  if (Status st = write_head(batch, std::move(next),
                             "restore snapshot at height " + std::to_string(height), std::move(versions));
      !st) {
    return st;
  }
  std::lock_guard lock(head_mu_);
  // The trees below the snapshot are of another state history's reach: no undo joins them.
  trees_.erase(trees_.begin(), trees_.lower_bound(height));
  gaps_.insert(gaps_.begin(), gap);  // the newest hole is the highest
  return Status::ok();
}

}  // namespace sharechain::storage
