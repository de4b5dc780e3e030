#include "storage/store.hpp"

#include <rocksdb/cache.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/table_properties_collectors.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <system_error>
#include <tuple>

#include "proto/transaction.hpp"
#include "storage/db.hpp"
#include "storage/history.hpp"
#include "storage/fault_fs.hpp"

namespace sharechain::storage {
namespace {

std::string hex(const crypto::Hash& h) { return crypto::to_hex(h); }

// A RocksDB snapshot released when the reader is done with it.
struct HeldSnapshot {
  explicit HeldSnapshot(const Db& d) : db(d), snap(d.db->GetSnapshot()) {}
  ~HeldSnapshot() { db.db->ReleaseSnapshot(snap); }
  HeldSnapshot(const HeldSnapshot&) = delete;
  HeldSnapshot& operator=(const HeldSnapshot&) = delete;
  const Db& db;
  const rocksdb::Snapshot* snap;
};

rocksdb::ColumnFamilyOptions cf_options(const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions o;
  rocksdb::BlockBasedTableOptions t;
  t.block_cache = cache;
  // Point reads dominate (state keys, index lookups); a Bloom filter spares most disk reads for
  // absent keys, which every new account or asset is.
  t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  o.level_compaction_dynamic_level_bytes = true;
  return o;
}

// Moves the accumulator along by the state writes of one block (the run writes the state family
// once, at its end: BlockRun::commit). The old value
// of each key is read from the database (or from the blocks of the same run staged before this
// one, in `staged`), never trusted from the caller: LtHash cannot detect the removal of a pair
// that is not there (see lthash.hpp), so knowing the old pair exactly is what keeps the
// accumulator equal to the hash of the real state. Callers hold the writer lock, so nothing
// changes the state between these reads and the run's batch being written.
//
// On a chain with a state tree it also collects `tree` (null otherwise).
struct TreeDelta {
  std::vector<StateTree::Change> changes;  // the tree's entries that changed
  Store::Undo undo;                        // the value each of them had before, if old_values
  bool old_values = true;
};
Status hash_state_writes(const Db& db, const contracts::Overlay& staged, const contracts::WriteSet& writes,
                         StateCommitment commitment, LtHash& acc, ExpansionCache& expansions, TreeDelta* tree) {
  if (writes.empty()) return Status::ok();
  const contracts::WriteSet& earlier = staged.writes();
  // Keys no earlier block of the run wrote are read from the database in one MultiGet.
  std::vector<rocksdb::Slice> ks;
  ks.reserve(writes.size());
  for (const auto& [key, value] : writes) {
    if (earlier.find(key) == earlier.end()) ks.push_back(slice(key));
  }
  std::vector<rocksdb::ColumnFamilyHandle*> cfs(ks.size(), db.h(kStateCf));
  std::vector<std::string> olds;
  std::vector<rocksdb::Status> statuses;
  if (!ks.empty()) statuses = db.db->MultiGet(rocksdb::ReadOptions(), cfs, ks, &olds);

  std::size_t i = 0;
  for (const auto& [key, value] : writes) {
    bool had_old = false;
    const std::string* old = nullptr;
    if (auto e = earlier.find(key); e != earlier.end()) {
      had_old = e->second.has_value();
      if (had_old) old = &*e->second;
    } else {
      const auto& s = statuses[i];
      old = &olds[i];
      ++i;
      if (!s.ok() && !s.IsNotFound()) return from_rocks(s, "read state before commit");
      had_old = s.ok();
    }
    if (had_old && value && *old == *value) continue;  // unchanged: nothing to hash
    if (!had_old && !value) continue;                  // deleting what is not there
    if (tree != nullptr && in_state_tree(key)) {
      if (tree->old_values) tree->undo.emplace(key, had_old ? std::optional<std::string>(*old) : std::nullopt);
      tree->changes.push_back(
          {crypto::sha256(key), value ? std::optional<crypto::Hash>(crypto::sha256(*value)) : std::nullopt});
    }
    if (had_old) {
      if (auto e = expansions.take(key, *old)) {
        acc.remove(*e);
      } else {
        acc.remove(commitment, key, *old);
      }
    }
    if (value) {
      const LtHash::Expansion e = LtHash::expand(commitment, key, *value);
      acc.add(e);
      expansions.put(key, *value, e);
    }
  }
  return Status::ok();
}


}  // namespace

Store::Store(std::shared_ptr<Db> db, Options options, Head head)
    : db_(std::move(db)),
      options_(std::move(options)),
      head_(std::move(head)),
      expansions_(options_.expansion_cache_entries) {}

Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::open(const std::filesystem::path& dir,
                                           const Options& options) {
  if (options.create_if_missing) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return Status::unavailable("cannot create " + dir.string() + ": " + ec.message());
  }

  rocksdb::DBOptions dbo;
  dbo.create_if_missing = options.create_if_missing;
  dbo.create_missing_column_families = true;
  // The consensus and meta families take few writes and rarely fill a memtable; without a cap
  // their unflushed data would pin every WAL file written since. Past this size RocksDB flushes
  // them so old WAL files can be deleted.
  dbo.max_total_wal_size = 64 << 20;
  dbo.keep_log_file_num = 4;
  dbo.max_log_file_size = 8 << 20;
  dbo.listeners.push_back(std::make_shared<NoAutoResume>());
  // A sink the owner named gets RocksDB's informational messages too; stderr only the warnings.
  dbo.info_log = std::make_shared<SinkLogger>(options.log ? options.log : stderr_log_sink());
  dbo.info_log->SetInfoLogLevel(options.log ? rocksdb::InfoLogLevel::INFO_LEVEL
                                            : rocksdb::InfoLogLevel::WARN_LEVEL);
  std::unique_ptr<rocksdb::Env> env = make_fault_env(options.fault_injector);
  if (env) dbo.env = env.get();

  auto cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  descs.emplace_back(rocksdb::kDefaultColumnFamilyName, cf_options(cache));
  for (std::size_t c = 0; c < kCfCount; ++c) {
    auto o = cf_options(cache);
    if (c == kConsensusCf) {
      // The consensus log is written, then garbage collected below each stable checkpoint, so
      // it is mostly deletions. Files dense with tombstones get compacted without waiting for
      // size triggers, which keeps its disk use proportional to what is live.
      o.write_buffer_size = 4 << 20;
      o.table_properties_collector_factories.push_back(
          rocksdb::NewCompactOnDeletionCollectorFactory(128, 32));
    }
    descs.emplace_back(kCfNames[c], o);
  }

  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(dbo, dir.string(), descs, &handles, &raw);
  if (!s.ok()) return from_rocks(s, "open store at " + dir.string());

  auto db = std::make_shared<Db>();
  db->env = std::move(env);
  db->db.reset(raw);
  db->default_cf = handles[0];
  for (std::size_t c = 0; c < kCfCount; ++c) db->cf[c] = handles[c + 1];
  db->write_options.sync = options.sync;

  auto format = db->get(kMetaCf, keys::kMetaFormat);
  if (!format) {
    s = db->db->Put(db->write_options, db->h(kMetaCf), slice(keys::kMetaFormat),
                    keys::u64(keys::kFormatVersion));
    if (!s.ok()) return from_rocks(s, "write storage format version");
  } else if (keys::parse_u64(*format) != keys::kFormatVersion) {
    return Status::failed_precondition(
        "store at " + dir.string() + " has storage format " +
        (keys::parse_u64(*format) ? std::to_string(*keys::parse_u64(*format)) : "(unreadable)") +
        "; this build reads format " + std::to_string(keys::kFormatVersion));
  }

  // The commitment is the chain's (its genesis names it): opening a store of one chain with
  // another's would compute state roots that match neither.
  if (db->get(kMetaCf, keys::kMetaGenesisHash)) {
    StateCommitment recorded = StateCommitment::kLtHash16Shake128;  // stores from before the record
    if (auto code = db->get(kMetaCf, keys::kMetaStateCommitment)) {
      const auto v = keys::parse_u64(*code);
      const auto commitment = v ? state_commitment_from_code(*v) : std::nullopt;
      if (!commitment) return Status::internal("store at " + dir.string() + " records an unknown state commitment");
      recorded = *commitment;
    }
    if (recorded != options.state_commitment) {
      return Status::failed_precondition(
          "store at " + dir.string() + " holds a chain whose state commitment is " +
          std::string(state_commitment_name(recorded)) + ", but it was opened for " +
          std::string(state_commitment_name(options.state_commitment)) +
          " (the genesis file's state_commitment); use the genesis file of this chain");
    }
  }

  // So is the state tree: with it the state root is another value.
  if (db->get(kMetaCf, keys::kMetaGenesisHash)) {
    const bool recorded = db->get(kMetaCf, keys::kMetaStateTree).has_value();
    if (recorded != options.state_tree) {
      return Status::failed_precondition(
          "store at " + dir.string() + " holds a chain " + (recorded ? "with" : "without") +
          " a state tree, but it was opened for one " + (options.state_tree ? "with" : "without") +
          " (the genesis file's state_tree); use the genesis file of this chain");
    }
  }

  auto loaded = load_head(*db, options);
  if (!loaded) {
    return Status(loaded.status().code(),
                  "store at " + dir.string() + ": " + loaded.status().message());
  }
  Head head = loaded->value_or(Head{});
  auto store = std::unique_ptr<Store>(new Store(std::move(db), options, std::move(head)));
  store->gaps_ = load_gaps(*store->db_);
  if (options.state_tree && store->head_.genesis_hash) {
    // The tree of the opened height, and of the heights just below whose tree was the same (on a
    // quiet chain the newest certified state is usually the one below the last, empty, block).
    const Head& h = store->head_;
    const crypto::Hash lthash_root = h.accumulator.root();
    store->trees_[h.height] = TreeVersion{h.tree, lthash_root, nullptr};
    for (std::uint64_t below = h.height; below > 0 && h.height - below < 8;) {
      --below;
      auto roots = store->db_->get(kMetaCf, keys::tree_roots_key(below));
      if (!roots || roots->size() != 2 * crypto::kHashSize) break;
      if (roots->compare(crypto::kHashSize, crypto::kHashSize, crypto::hash_bytes(h.tree.root())) != 0) break;
      store->trees_[below] = TreeVersion{h.tree, *crypto::hash_from_bytes(roots->substr(0, crypto::kHashSize)), nullptr};
    }
  }
  return store;
}

Result<std::optional<Store::Head>> Store::load_head(const Db& db, const Options& options) {
  auto genesis = db.get(kMetaCf, keys::kMetaGenesisHash);
  if (!genesis) return std::optional<Store::Head>();

  auto height = db.get(kMetaCf, keys::kMetaHeight);
  auto last_hash = db.get(kMetaCf, keys::kMetaLastBlockHash);
  auto ts = db.get(kMetaCf, keys::kMetaLastTimestamp);
  auto root = db.get(kMetaCf, keys::kMetaStateRoot);
  auto acc_raw = db.get(kMetaCf, keys::kMetaAccumulator);
  if (!height || !keys::parse_u64(*height) || !last_hash || !crypto::hash_from_bytes(*last_hash) ||
      !ts || !keys::parse_u64(*ts) || !root || !crypto::hash_from_bytes(*root) || !acc_raw ||
      genesis->size() != crypto::kHashSize) {
    return Status::internal("meta is incomplete or malformed; the store files are damaged");
  }
  auto acc = LtHash::from_bytes(*acc_raw);
  if (!acc) return Status::internal("the state accumulator in meta has the wrong size");

  Store::Head h;
  h.genesis_hash = *genesis;
  h.height = *keys::parse_u64(*height);
  h.last_block_hash = *crypto::hash_from_bytes(*last_hash);
  h.last_timestamp_ms = *keys::parse_u64(*ts);
  h.accumulator = *acc;
  h.state_root = acc->root();
  if (options.state_tree) {
    // The tree is derived data: rebuilt from the state, and checked through the recorded root.
    std::vector<StateTree::Entry> entries;
    std::unique_ptr<rocksdb::Iterator> it(db.db->NewIterator(rocksdb::ReadOptions(), db.h(kStateCf)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (!in_state_tree(view(it->key()))) continue;
      entries.push_back({crypto::sha256(view(it->key())), crypto::sha256(view(it->value()))});
    }
    if (!it->status().ok()) return from_rocks(it->status(), "read the state to build its tree");
    h.tree = StateTree::build(std::move(entries));
    h.state_root = state_tree::combined_root(acc->root(), h.tree.root());
  }
  if (auto raw = db.get(kStateCf, kHistoryStateKey)) {
    auto history = crypto::hash_from_bytes(*raw);
    if (!history) return Status::internal("the history value in the state is not 32 bytes");
    h.history = *history;
  }
  if (h.state_root != *crypto::hash_from_bytes(*root)) {
    return Status::internal(std::string(options.state_tree ? "the state accumulator and tree hash" : "the state accumulator hashes") +
                            " to " + hex(h.state_root) +
                            " but meta records state root " +
                            hex(*crypto::hash_from_bytes(*root)));
  }
  return std::optional<Store::Head>(std::move(h));
}

Store::Head Store::head() const {
  std::lock_guard lock(head_mu_);
  return head_;
}

void Store::set_head(Head head, TreeVersions versions) {
  std::lock_guard lock(head_mu_);
  head_ = std::move(head);
  // The kept heights stay one unbroken range: a proof reads a height's value back through the
  // old values of every block above it.
  if (!versions.empty() && !trees_.empty() && trees_.rbegin()->first + 1 < versions.front().first) trees_.clear();
  for (auto& [height, version] : versions) trees_[height] = std::move(version);
  while (trees_.size() > kTreeHeightsKept) trees_.erase(trees_.begin());
}

crypto::Hash Store::root_of(const LtHash& acc, const StateTree& tree) const {
  return options_.state_tree ? state_tree::combined_root(acc.root(), tree.root()) : acc.root();
}

std::optional<std::string> Store::genesis_hash() const {
  std::lock_guard lock(head_mu_);
  return head_.genesis_hash;
}

std::uint64_t Store::height() const {
  std::lock_guard lock(head_mu_);
  return head_.height;
}

crypto::Hash Store::last_block_hash() const {
  std::lock_guard lock(head_mu_);
  return head_.last_block_hash;
}

std::uint64_t Store::last_timestamp_ms() const {
  std::lock_guard lock(head_mu_);
  return head_.last_timestamp_ms;
}

crypto::Hash Store::state_root() const {
  std::lock_guard lock(head_mu_);
  return head_.state_root;
}

crypto::Hash Store::history() const {
  std::lock_guard lock(head_mu_);
  return head_.history;
}

std::optional<crypto::Hash> Store::state_root_at(std::uint64_t height) const {
  if (height > this->height()) return std::nullopt;
  auto raw = db_->get(kMetaCf, keys::root_key(height));
  if (!raw) return std::nullopt;
  return crypto::hash_from_bytes(*raw);
}

Status Store::init_genesis(const std::string& genesis_hash, const contracts::WriteSet& state,
                           std::uint64_t genesis_time_ms) {
  if (genesis_hash.size() != crypto::kHashSize) {
    return Status::invalid_argument("genesis hash must be 32 bytes, got " +
                                    std::to_string(genesis_hash.size()));
  }
  LtHash acc;
  std::vector<StateTree::Entry> entries;
  for (const auto& [key, value] : state) {
    if (!value) continue;
    acc.add(options_.state_commitment, key, *value);
    if (options_.state_tree && in_state_tree(key)) entries.push_back({crypto::sha256(key), crypto::sha256(*value)});
  }
  const StateTree tree = options_.state_tree ? StateTree::build(std::move(entries)) : StateTree();
  const crypto::Hash root = root_of(acc, tree);

  std::lock_guard writer(write_mu_);
  Head h = head();
  if (h.genesis_hash) {
    if (*h.genesis_hash != genesis_hash) {
      return Status::failed_precondition(
          "genesis mismatch: this store was initialised with genesis " +
          crypto::to_hex(*h.genesis_hash) + " but genesis " + crypto::to_hex(genesis_hash) +
          " was given; use the data directory of this chain or an empty one");
    }
    auto recorded = db_->get(kMetaCf, keys::root_key(0));
    if (recorded && *recorded != crypto::hash_bytes(root)) {
      return Status::failed_precondition(
          "genesis state mismatch: the store's genesis state root is " +
          crypto::to_hex(*recorded) + " but the given genesis state hashes to " + hex(root));
    }
    return Status::ok();
  }

  // Nothing writes state before genesis, so the state family is empty and `acc` describes it
  // exactly once these puts land.
  rocksdb::WriteBatch batch;
  for (const auto& [key, value] : state) {
    if (value) batch.Put(db_->h(kStateCf), slice(key), slice(*value));
  }
  batch.Put(db_->h(kMetaCf), slice(keys::kMetaGenesisHash), genesis_hash);
  batch.Put(db_->h(kMetaCf), slice(keys::kMetaStateCommitment),
            keys::u64(static_cast<std::uint64_t>(options_.state_commitment)));
  if (options_.state_tree) {
    batch.Put(db_->h(kMetaCf), slice(keys::kMetaStateTree), keys::u64(1));
    batch.Put(db_->h(kMetaCf), keys::tree_roots_key(0), crypto::hash_bytes(acc.root()) + crypto::hash_bytes(tree.root()));
  }
  put_meta(*db_, batch, 0, crypto::Hash{}, genesis_time_ms, acc, root);
  if (Status st = write(batch, Durability::kSynced, "write genesis"); !st) return st;

  Head next;
  next.genesis_hash = genesis_hash;
  next.last_timestamp_ms = genesis_time_ms;
  next.accumulator = acc;
  next.state_root = root;
  next.tree = tree;
  TreeVersions versions;
  if (options_.state_tree) versions.emplace_back(0, TreeVersion{tree, acc.root(), nullptr});
  set_head(std::move(next), std::move(versions));
  return Status::ok();
}

Status Store::check_block(std::uint64_t height, const crypto::Hash& block_hash, const Block& block,
                          BlockHeader* header) const {
  if (crypto::sha256(block.header()) != block_hash) {
    return Status::invalid_argument("block hash " + hex(block_hash) +
                                    " is not the hash of the block's header (" +
                                    hex(crypto::sha256(block.header())) + ")");
  }
  if (!header->ParseFromString(block.header())) {
    return Status::invalid_argument("block " + hex(block_hash) + " has a malformed header");
  }
  if (header->height() != height) {
    return Status::invalid_argument("block " + hex(block_hash) + " is for height " +
                                    std::to_string(header->height()) + ", not " +
                                    std::to_string(height));
  }
  return Status::ok();
}

Result<crypto::Hash> Store::commit_block(std::uint64_t height, const crypto::Hash& block_hash,
                                         const Block& block, std::uint64_t timestamp_ms,
                                         const std::vector<Receipt>& receipts,
                                         const contracts::WriteSet& writes) {
  auto run = begin_run();
  auto root = run->add(height, block_hash, block, timestamp_ms, receipts, writes);
  if (!root) return root;
  if (Status st = run->commit(); !st) return st;
  return root;
}

std::unique_ptr<Store::BlockRun> Store::begin_run(std::uint64_t through_height, Durability durability) {
  return std::unique_ptr<BlockRun>(new BlockRun(*this, through_height, durability));
}

Store::BlockRun::BlockRun(Store& store, std::uint64_t through_height, Durability durability)
    : store_(store),
      writer_(store.write_mu_),
      head_(store.head()),
      base_height_(head_.height),
      batch_(std::make_unique<rocksdb::WriteBatch>()),
      staged_(store),
      through_height_(through_height),
      durability_(durability) {}

Store::BlockRun::~BlockRun() = default;

std::optional<std::string> Store::BlockRun::get(std::string_view key) const { return staged_.get(key); }

void Store::BlockRun::scan(std::string_view prefix,
                           const std::function<bool(std::string_view, std::string_view)>& fn) const {
  staged_.scan(prefix, fn);
}

std::optional<crypto::Hash> Store::BlockRun::state_root_at(std::uint64_t height) const {
  if (height > base_height_ && height <= head_.height) return roots_[height - base_height_ - 1];
  return store_.state_root_at(height);
}

Result<crypto::Hash> Store::BlockRun::add(std::uint64_t height, const crypto::Hash& block_hash,
                                          const Block& block, std::uint64_t timestamp_ms,
                                          const std::vector<Receipt>& receipts,
                                          const contracts::WriteSet& writes) {
  const Head& h = head_;
  if (done_) {
    return Status::failed_precondition("cannot commit block " + std::to_string(height) +
                                       ": its run of blocks was already written");
  }
  if (!h.genesis_hash) {
    return Status::failed_precondition("cannot commit block " + std::to_string(height) +
                                       ": genesis is not initialised");
  }
  if (height != h.height + 1) {
    return Status::failed_precondition(
        "cannot commit block " + std::to_string(height) + ": the store is at height " +
        std::to_string(h.height) + ", so the next block is " + std::to_string(h.height + 1));
  }
  BlockHeader header;
  if (auto st = store_.check_block(height, block_hash, block, &header); !st) return st;
  if (header.prev_hash() != crypto::hash_bytes(h.last_block_hash)) {
    return Status::failed_precondition(
        "block " + std::to_string(height) + " builds on " + crypto::to_hex(header.prev_hash()) +
        " but the last committed block is " + hex(h.last_block_hash));
  }
  if (writes.count(std::string(kHistoryStateKey)) != 0) {
    return Status::invalid_argument("block " + std::to_string(height) + " writes " +
                                    std::string(kHistoryStateKey) + ", which only the store keeps");
  }
  if (receipts.size() != static_cast<std::size_t>(block.transactions_size())) {
    return Status::invalid_argument("block " + std::to_string(height) + " has " +
                                    std::to_string(block.transactions_size()) +
                                    " transactions but " + std::to_string(receipts.size()) +
                                    " receipts");
  }

  // A block that fails half way must leave the blocks staged before it intact.
  const Db& db = *store_.db_;
  rocksdb::WriteBatch& batch = *batch_;
  batch.SetSavePoint();
  const std::size_t indexed_before = index_.size();
  const auto fail = [&batch, this, indexed_before](Status st) {
    batch.RollbackToSavePoint().PermitUncheckedError();
    index_.resize(indexed_before);
    return st;
  };
  std::vector<crypto::Hash> receipt_hashes;
  receipt_hashes.reserve(receipts.size());
  std::string buf;
  for (int i = 0; i < block.transactions_size(); ++i) {
    SignedTransaction stx;
    if (!stx.ParseFromString(block.transactions(i))) {
      return fail(Status::invalid_argument("transaction " + std::to_string(i) + " of block " +
                                           std::to_string(height) + " does not parse"));
    }
    const auto index = static_cast<std::uint32_t>(i);
    index_.emplace_back(keys::tx_hash_key(tx::hash_of(stx)), keys::tx_location(height, index));
    // The stored receipt always says where it is, whatever the executor filled in.
    Receipt r = receipts[static_cast<std::size_t>(i)];
    r.set_height(height);
    r.set_index(index);
    r.SerializeToString(&buf);
    receipt_hashes.push_back(crypto::sha256(buf));
    batch.Put(db.h(kReceiptsCf), keys::receipt_key(height, index), buf);
  }

  // The history value is one more state write of the block, so the state root covers it.
  const crypto::Hash history =
      next_history(h.history, height, crypto::merkle_root(receipt_hashes), h.state_root);
  contracts::WriteSet all = writes;
  all.emplace(std::string(kHistoryStateKey), crypto::hash_bytes(history));
  LtHash acc = h.accumulator;
  const bool with_tree = store_.options_.state_tree;
  // Whether this block's tree is kept for proofs: one of the last kTreeHeightsKept heights the
  // run means to reach.
  const bool keep_tree = with_tree && (through_height_ == 0 || height + kTreeHeightsKept > through_height_);
  TreeDelta delta;
  delta.old_values = keep_tree;
  if (auto st = hash_state_writes(db, staged_, all, store_.options_.state_commitment, acc, store_.expansions_,
                                  with_tree ? &delta : nullptr);
      !st) {
    return fail(st);
  }
  // Nothing fails from here on, so the run's tree may be given up: when no kept version holds it,
  // the update changes it in place.
  StateTree tree = with_tree ? std::move(head_.tree).apply(std::move(delta.changes)) : StateTree();

  Head next = store_.stage_block(batch, h, height, block_hash, block, timestamp_ms, acc, history, tree);
  for (auto& [key, value] : all) {
    if (value) {
      staged_.put(key, *value);
    } else {
      staged_.erase(key);
    }
  }
  roots_.push_back(next.state_root);
  if (keep_tree) {
    auto undo = delta.undo.empty() ? nullptr : std::make_shared<const Undo>(std::move(delta.undo));
    trees_.emplace_back(height, TreeVersion{std::move(tree), acc.root(), std::move(undo)});
  }
  head_ = std::move(next);
  return head_.state_root;
}

Status Store::BlockRun::commit() {
  if (done_) return Status::ok();
  done_ = true;
  Status st = Status::ok();
  if (!roots_.empty()) {
    // The state family holds the current state only, so a key the run wrote in many blocks (a
    // busy account) is written once, with its last value: a run of 20,000 transfers among a few
    // hundred accounts is a few hundred memtable inserts instead of 40,000. The map is ordered,
    // so the inserts also go in key order, which RocksDB's memtable does fastest.
    for (const auto& [key, value] : staged_.writes()) {
      if (value) {
        batch_->Put(store_.db_->h(kStateCf), slice(key), slice(*value));
      } else {
        batch_->Delete(store_.db_->h(kStateCf), slice(key));
      }
    }
    // Transaction hashes are random, so the index entries of a run arrive in random order, and
    // each insert into RocksDB's memtable (a skip list) searched it from the top; skip-list
    // searches were about a sixth of a catching-up node's executing thread. In key order each
    // insert starts from where the previous one ended (docs/benchmarks.md: catch-up +17 %).
    // The sort is stable: a hash staged twice keeps its last location, as before.
    std::stable_sort(index_.begin(), index_.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [key, location] : index_) batch_->Put(store_.db_->h(kIndexCf), slice(key), slice(location));
    const std::string what = roots_.size() == 1
                                 ? "commit block " + std::to_string(head_.height)
                                 : "commit blocks " + std::to_string(base_height_ + 1) + ".." +
                                       std::to_string(head_.height);
    if (store_.options_.state_tree && (trees_.empty() || trees_.back().first != head_.height)) {
      // The run ended below where it meant to: the last block's tree is kept all the same,
      // without the old values of its block, which only proofs below it (not kept) would read.
      trees_.emplace_back(head_.height, TreeVersion{head_.tree, head_.accumulator.root(), nullptr});
    }
    st = store_.write_head(*batch_, head_, what, std::move(trees_), durability_);
  }
  batch_.reset();
  index_.clear();
  trees_.clear();
  staged_.discard();
  writer_.unlock();
  return st;
}

Store::Head Store::stage_block(rocksdb::WriteBatch& batch, const Head& h, std::uint64_t height,
                               const crypto::Hash& block_hash, const Block& block,
                               std::uint64_t timestamp_ms, const LtHash& acc,
                               const crypto::Hash& history, const StateTree& tree) const {
  std::string buf;
  block.SerializeToString(&buf);
  batch.Put(db_->h(kBlocksCf), keys::height_key(height), buf);
  batch.Put(db_->h(kIndexCf), keys::block_hash_key(block_hash), keys::u64(height));

  Head next = h;
  next.height = height;
  next.last_block_hash = block_hash;
  next.last_timestamp_ms = timestamp_ms;
  next.accumulator = acc;
  next.state_root = root_of(acc, tree);
  next.history = history;
  next.tree = tree;
  if (options_.state_tree) {
    batch.Put(db_->h(kMetaCf), keys::tree_roots_key(height), crypto::hash_bytes(acc.root()) + crypto::hash_bytes(tree.root()));
  }
  put_meta(*db_, batch, next.height, next.last_block_hash, next.last_timestamp_ms,
           next.accumulator, next.state_root);
  batch.Put(db_->h(kMetaCf), keys::history_key(next.height), crypto::hash_bytes(next.history));
  return next;
}

Status Store::write(rocksdb::WriteBatch& batch, Durability durability, const std::string& what) {
  rocksdb::WriteOptions o = db_->write_options;
  const bool deferred = durability == Durability::kDeferred && o.sync;
  if (deferred) o.sync = false;
  auto s = db_->db->Write(o, &batch);
  if (!s.ok()) return from_rocks(s, what);
  // Marked after the write: a sync() that misses the mark started before it and leaves the mark
  // for the next one.
  if (deferred) deferred_pending_.store(true, std::memory_order_release);
  return Status::ok();
}

Status Store::sync() {
  if (!deferred_pending_.exchange(false, std::memory_order_acq_rel)) return Status::ok();
  auto s = db_->db->SyncWAL();
  if (!s.ok()) {
    deferred_pending_.store(true, std::memory_order_release);
    return from_rocks(s, "sync deferred writes");
  }
  return Status::ok();
}

Status Store::write_head(rocksdb::WriteBatch& batch, Head next, const std::string& what, TreeVersions versions,
                         Durability durability) {
  if (options_.fault_hook) options_.fault_hook(FaultPoint::kBeforeWrite, next.height);
  // If this fails the write may or may not be durable (a failed fsync says nothing about what
  // reached the disk). The in-memory head stays where it was and RocksDB refuses further
  // writes; the node must stop, and on reopen meta says which side of the write it is on.
  if (Status st = write(batch, durability, what); !st) return st;
  if (options_.fault_hook) options_.fault_hook(FaultPoint::kAfterWrite, next.height);
  set_head(std::move(next), std::move(versions));
  return Status::ok();
}

std::optional<Block> Store::block_at(std::uint64_t height) const {
  auto raw = db_->get(kBlocksCf, keys::height_key(height));
  if (!raw) return std::nullopt;
  Block b;
  if (!b.ParseFromString(*raw)) {
    halt("decode stored block " + std::to_string(height), rocksdb::Status::Corruption());
  }
  return b;
}

std::optional<std::uint64_t> Store::height_of(const crypto::Hash& block_hash) const {
  auto raw = db_->get(kIndexCf, keys::block_hash_key(block_hash));
  if (!raw) return std::nullopt;
  return keys::parse_u64(*raw);
}

std::optional<Store::TxLocation> Store::find_tx(const crypto::Hash& tx_hash) const {
  auto raw = db_->get(kIndexCf, keys::tx_hash_key(tx_hash));
  if (!raw) return std::nullopt;
  TxLocation loc{};
  if (!keys::parse_tx_location(*raw, &loc.height, &loc.index)) return std::nullopt;
  return loc;
}

std::optional<Receipt> Store::receipt_at(std::uint64_t height, std::uint32_t index) const {
  auto raw = db_->get(kReceiptsCf, keys::receipt_key(height, index));
  if (!raw) return std::nullopt;
  Receipt r;
  if (!r.ParseFromString(*raw)) {
    halt("decode stored receipt " + std::to_string(height) + "/" + std::to_string(index),
         rocksdb::Status::Corruption());
  }
  return r;
}

std::vector<Receipt> Store::receipts_at(std::uint64_t height) const {
  std::vector<Receipt> out;
  const std::string prefix = keys::height_key(height);
  const auto end = keys::prefix_end(prefix);  // nullopt only for height 2^64-1
  rocksdb::Slice upper;
  rocksdb::ReadOptions ro;
  if (end) {
    upper = slice(*end);
    ro.iterate_upper_bound = &upper;
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->db->NewIterator(ro, db_->h(kReceiptsCf)));
  for (it->Seek(slice(prefix)); it->Valid(); it->Next()) {
    Receipt r;
    if (!r.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      halt("decode stored receipts of " + std::to_string(height), rocksdb::Status::Corruption());
    }
    out.push_back(std::move(r));
  }
  if (!it->status().ok()) halt("iterate receipts", it->status());
  return out;
}

std::optional<std::string> Store::get(std::string_view key) const {
  return db_->get(kStateCf, key);
}

void Store::scan(std::string_view prefix,
                 const std::function<bool(std::string_view, std::string_view)>& fn) const {
  const auto end = keys::prefix_end(prefix);
  rocksdb::Slice upper;
  rocksdb::ReadOptions ro;
  if (end) {
    upper = slice(*end);
    ro.iterate_upper_bound = &upper;
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->db->NewIterator(ro, db_->h(kStateCf)));
  for (it->Seek(slice(prefix)); it->Valid(); it->Next()) {
    if (!fn(view(it->key()), view(it->value()))) return;
  }
  if (!it->status().ok()) halt("scan state", it->status());
}

Status Store::write_consensus(const std::vector<std::pair<std::string, std::string>>& puts,
                              const std::vector<std::string>& deletes, Durability durability) {
  std::lock_guard lock(consensus_mu_);
  rocksdb::WriteBatch batch;
  for (const auto& [k, v] : puts) batch.Put(db_->h(kConsensusCf), slice(k), slice(v));
  for (const auto& k : deletes) batch.Delete(db_->h(kConsensusCf), slice(k));
  if (Status st = write(batch, durability, "write consensus state"); !st) return st;

  consensus_deletes_since_compaction_ += deletes.size();
  if (options_.consensus_compact_after_deletes != 0 &&
      consensus_deletes_since_compaction_ >= options_.consensus_compact_after_deletes) {
    // The writes above are durable whatever happens here; a failed compaction is retried on the
    // next call (the counter is only reset on success) and shows up in stats().
    (void)compact_consensus_locked();
  }
  return Status::ok();
}

Status Store::compact_consensus() {
  std::lock_guard lock(consensus_mu_);
  return compact_consensus_locked();
}

Status Store::compact_consensus_locked() {
  rocksdb::CompactRangeOptions o;
  // Rewrite the bottom level too: that is where the values the tombstones shadow live.
  o.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
  auto s = db_->db->CompactRange(o, db_->h(kConsensusCf), nullptr, nullptr);
  if (!s.ok()) {
    ++consensus_compaction_failures_;
    return from_rocks(s, "compact consensus state");
  }
  consensus_deletes_since_compaction_ = 0;
  ++consensus_compactions_;
  return Status::ok();
}

std::map<std::string, std::string> Store::load_consensus() const {
  std::map<std::string, std::string> out;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db->NewIterator(rocksdb::ReadOptions(), db_->h(kConsensusCf)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    out.emplace(std::string(view(it->key())), std::string(view(it->value())));
  }
  if (!it->status().ok()) halt("load consensus state", it->status());
  return out;
}

Status Store::verify_state() const {
  // One RocksDB snapshot for both the accumulator and the entries, so a commit running
  // meanwhile cannot make a sound store look inconsistent.
  const HeldSnapshot held(*db_);
  const rocksdb::Snapshot* snap = held.snap;

  LtHash recorded;
  if (auto raw = db_->get(kMetaCf, keys::kMetaAccumulator, snap)) {
    auto acc = LtHash::from_bytes(*raw);
    if (!acc) return Status::internal("the state accumulator in meta has the wrong size");
    recorded = *acc;
  }
  LtHash actual;
  std::vector<StateTree::Entry> entries;
  std::uint64_t n = 0;
  rocksdb::ReadOptions ro;
  ro.snapshot = snap;
  std::unique_ptr<rocksdb::Iterator> it(db_->db->NewIterator(ro, db_->h(kStateCf)));
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++n) {
    actual.add(options_.state_commitment, view(it->key()), view(it->value()));
    if (options_.state_tree && in_state_tree(view(it->key()))) {
      entries.push_back({crypto::sha256(view(it->key())), crypto::sha256(view(it->value()))});
    }
  }
  if (!it->status().ok()) return from_rocks(it->status(), "read state for verification");
  if (!(actual == recorded)) {
    return Status::internal("the " + std::to_string(n) + " state entries hash to " +
                            hex(actual.root()) + " but the recorded state root is " +
                            hex(recorded.root()));
  }
  if (options_.state_tree) {
    const crypto::Hash root = state_tree::combined_root(actual.root(), StateTree::build(std::move(entries)).root());
    const auto meta_root = db_->get(kMetaCf, keys::kMetaStateRoot, snap);
    if (!meta_root || crypto::hash_bytes(root) != *meta_root) {
      return Status::internal("the " + std::to_string(n) + " state entries and their tree hash to " + hex(root) +
                              " but the recorded state root is " + crypto::to_hex(meta_root.value_or("")));
    }
  }
  return Status::ok();
}

Result<Store::StateProof> Store::prove_state(std::string_view key, std::uint64_t height) const {
  if (!options_.state_tree) {
    return Status::failed_precondition("this chain's genesis names no state tree (\"state_tree\"), so its state "
                                       "root cannot prove one entry");
  }
  if (!in_state_tree(key)) {
    return Status::invalid_argument(std::string(kHistoryStateKey) +
                                    " is not in the state tree; the history chain proves it (GetProof)");
  }
  // The value is read from the current state and rolled back through the kept blocks' old values
  // to `height`; the state and the kept trees must be of the same height for that, and a commit
  // may land between reading one and the other, so a few tries.
  for (int attempt = 0; attempt < 4; ++attempt) {
    const HeldSnapshot held(*db_);
    const rocksdb::Snapshot* snap = held.snap;
    const std::uint64_t at =
        keys::parse_u64(db_->get(kMetaCf, keys::kMetaHeight, snap).value_or("")).value_or(0);
    std::vector<TreeVersion> versions;  // at, at-1, ..., height
    {
      std::lock_guard lock(head_mu_);
      if (height > head_.height) {
        return Status::not_found("the store is at height " + std::to_string(head_.height) + ", below " +
                                 std::to_string(height));
      }
      if (!trees_.contains(height)) {
        const std::string kept = trees_.empty() ? std::string("none")
                                                : std::to_string(trees_.begin()->first) + ".." +
                                                      std::to_string(trees_.rbegin()->first);
        return Status::not_found("the state tree of height " + std::to_string(height) +
                                 " is not kept (this node keeps heights " + kept + ")");
      }
      if (at < height || head_.height != at) continue;  // a commit in between: try again
      for (std::uint64_t h = at;; --h) {
        auto it = trees_.find(h);
        if (it == trees_.end()) break;
        versions.push_back(it->second);
        if (h == height) break;
      }
    }
    if (versions.size() != at - height + 1) continue;
    std::optional<std::string> value = db_->get(kStateCf, key, snap);
    for (std::size_t i = 0; i + 1 < versions.size(); ++i) {  // undo blocks at, at-1, ..., height+1
      if (!versions[i].undo) continue;
      if (auto old = versions[i].undo->find(key); old != versions[i].undo->end()) value = old->second;
    }
    StateProof p;
    p.height = height;
    p.key = std::string(key);
    p.lthash_root = versions.back().lthash_root;
    p.path = versions.back().tree.path(crypto::sha256(key));
    const bool in_tree = p.path.end == StateTreePath::End::kKey;
    if (in_tree != value.has_value() || (value && crypto::sha256(*value) != p.path.value_hash)) {
      return Status::internal("the state tree of height " + std::to_string(height) + " and the state disagree on key " +
                              crypto::to_hex(key) + "; the store is damaged (run sharechain doctor)");
    }
    p.value = std::move(value);
    return p;
  }
  return Status::unavailable("blocks kept committing while the proof was read; try again");
}

std::vector<std::uint64_t> Store::tree_heights() const {
  std::lock_guard lock(head_mu_);
  std::vector<std::uint64_t> out;
  for (const auto& [height, version] : trees_) out.push_back(height);
  return out;
}

std::size_t Store::state_tree_entries() const {
  std::lock_guard lock(head_mu_);
  return options_.state_tree ? head_.tree.size() : 0;
}

Stats Store::collect_stats() const {
  Stats st;
  st.height = height();
  st.consensus_compactions = consensus_compactions_.load();
  st.consensus_compaction_failures = consensus_compaction_failures_.load();
  for (std::size_t c = 0; c < kCfCount; ++c) {
    CfStats cs;
    cs.name = kCfNames[c];
    auto* h = db_->cf[c];
    auto prop = [&](const char* name) {
      std::uint64_t v = 0;
      return db_->db->GetIntProperty(h, name, &v) ? v : 0;
    };
    cs.keys_estimate = prop("rocksdb.estimate-num-keys");
    cs.sst_bytes = prop("rocksdb.total-sst-files-size");
    cs.live_data_bytes = prop("rocksdb.estimate-live-data-size");
    cs.memtable_bytes = prop("rocksdb.cur-size-all-mem-tables");
    cs.pending_compaction_bytes = prop("rocksdb.estimate-pending-compaction-bytes");
    st.column_families.push_back(std::move(cs));
  }
  return st;
}

std::string Store::stats() const {
  const Stats st = collect_stats();
  std::string out;
  // One family at a time, each with its HELP and TYPE, its series together (as the exposition
  // format requires).
  auto family = [&out](const std::string& name, const char* type, const char* help) {
    out += "# HELP sharechain_storage_" + name + " " + help + "\n# TYPE sharechain_storage_" + name + " " + type +
           "\n";
  };
  auto line = [&out](const std::string& name, const std::string& cf, std::uint64_t v) {
    out += "sharechain_storage_" + name;
    if (!cf.empty()) out += "{cf=\"" + cf + "\"}";
    out += " " + std::to_string(v) + "\n";
  };
  family("height", "gauge", "Height of the last block the store holds");
  line("height", "", st.height);
  using Field = std::uint64_t CfStats::*;
  const std::tuple<const char*, const char*, Field> per_cf[] = {
      {"keys_estimate", "Estimated keys per column family", &CfStats::keys_estimate},
      {"sst_bytes", "Bytes of SST files per column family", &CfStats::sst_bytes},
      {"live_data_bytes", "Estimated live data bytes per column family", &CfStats::live_data_bytes},
      {"memtable_bytes", "Bytes in memtables per column family", &CfStats::memtable_bytes},
      {"pending_compaction_bytes", "Bytes compaction still has to rewrite per column family",
       &CfStats::pending_compaction_bytes},
  };
  for (const auto& [name, help, field] : per_cf) {
    family(name, "gauge", help);
    for (const auto& cs : st.column_families) line(name, cs.name, cs.*field);
  }
  family("lthash_cache_hits_total", "counter",
         "State changes whose old pair's LtHash expansion was remembered from when it was written");
  line("lthash_cache_hits_total", "", expansions_.hits());
  family("lthash_cache_misses_total", "counter",
         "State changes whose old pair's LtHash expansion had to be computed again");
  line("lthash_cache_misses_total", "", expansions_.misses());
  if (options_.state_tree) {
    family("state_tree_entries", "gauge", "State entries in the state tree (every entry but chain/history)");
    line("state_tree_entries", "", state_tree_entries());
  }
  family("consensus_compactions_total", "counter", "Compactions of the consensus column family");
  line("consensus_compactions_total", "", st.consensus_compactions);
  family("consensus_compaction_failures_total", "counter", "Compactions of the consensus column family that failed");
  line("consensus_compaction_failures_total", "", st.consensus_compaction_failures);
  return out;
}

}  // namespace sharechain::storage
