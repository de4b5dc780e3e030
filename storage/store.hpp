// Store: the node's durable state, on RocksDB.
//
// Column families:
//   blocks     height -> serialized Block (with its commit certificate)
//   index      block hash -> height; tx hash -> (height, position in block)
//   receipts   (height, position) -> serialized Receipt
//   state      contract key -> value (the key space of contracts/)
//   consensus  key -> value persisted by the consensus engine
//   meta       last height, last block hash, last timestamp, state root, the LtHash accumulator,
//              genesis hash, the state root after every height
//
// Crash safety: everything a block changes (block, index entries, receipts, state writes, the
// new accumulator and meta) goes into ONE RocksDB WriteBatch written with a synced WAL. After a
// crash the store is therefore exactly before or exactly after a block. A run of blocks
// committed together (BlockRun, for state transfer) is one WriteBatch as well: exactly before or
// after the run. On open, meta is the only truth: there is no recovery step, nothing to replay
// and nothing to repair.
//
// Threads: every method may be called from any thread. Writers (init_genesis, commit_block,
// restore_snapshot) are serialised among themselves; readers never wait for them. Each read sees
// either all of a concurrent commit or none of it, but two separate reads may straddle a commit
// (height() may still say h while get() already sees h+1). A reader that needs several values
// from one height takes a snapshot().
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "contracts/overlay.hpp"
#include "contracts/state.hpp"
#include "proto/crypto.hpp"
#include "proto/status.hpp"
#include "sharechain/types.pb.h"
#include "storage/expansion_cache.hpp"
#include "storage/history.hpp"
#include "storage/lthash.hpp"
#include "storage/state_tree.hpp"

namespace sharechain::storage {

// Points inside commit_block where a test can stop the process (LevelDB's Env idea: the fault is
// injected through a seam, not by patching code). The hook runs on the committing thread.
enum class FaultPoint {
  kBeforeWrite,  // the batch is built but not written: a crash here must leave height h-1
  kAfterWrite,   // the batch is durable but the in-memory view is not yet updated: a crash here
                 // must leave height h
};
using FaultHook = std::function<void(FaultPoint point, std::uint64_t height)>;

class FaultInjector;  // fault_injector.hpp

// How severe a message of the storage engine is, for the sink that receives it.
enum class LogLevel : std::uint8_t { kDebug, kInfo, kWarn, kError };

// Receives the storage engine's own messages (flushes, compactions, background errors). The
// default writes warnings and errors to stderr.
using LogSink = std::function<void(LogLevel, std::string_view)>;

// Whether a write waits for the disk. A deferred write is in the operating system's hands when
// the call returns: it survives the process being killed, not a power failure, and becomes
// durable with the next synced write or sync(). RocksDB keeps one write-ahead log for all column
// families and a sync makes the log durable up to its end, so what a power failure can lose is
// always the newest deferred writes, never one from between two durable ones: the store comes
// back at a state it passed through, as after a crash between two synced writes.
enum class Durability : std::uint8_t { kSynced, kDeferred };

struct Options {
  // Sync the WAL on every synced write and in sync(). Turning it off loses the last blocks on
  // power failure (never on a process crash); it exists for throw-away test clusters and
  // benchmarks.
  bool sync = true;
  bool create_if_missing = true;
  std::size_t block_cache_bytes = 64 << 20;
  // How the state root hashes each pair (lthash.hpp): the chain's, from its genesis file. A store
  // records it with its genesis and refuses to open with another; a store written before the
  // record existed holds lthash16-shake128.
  StateCommitment state_commitment = StateCommitment::kLtHash16Aes256Ctr;
  // Whether the state root also commits to the state tree (state_tree.hpp; the genesis file's
  // state_tree): state_root = tagged_hash("sharechain/state-root", lthash_root || tree_root).
  // Recorded with the genesis like the commitment; a store written before the record has none.
  bool state_tree = false;
  // LtHash expansions of recently written pairs kept for the next change of their key
  // (storage/expansion_cache.hpp); about 2.3 KiB each, so the default costs about 19 MiB.
  std::size_t expansion_cache_entries = 8192;
  // After this many consensus keys have been deleted since the last compaction, write_consensus
  // compacts the consensus column family, so the garbage collected consensus log keeps using
  // disk in proportion to what is live. 0 disables the automatic compaction.
  std::uint64_t consensus_compact_after_deletes = 20000;
  // Fault seam for tests; empty in production.
  FaultHook fault_hook;
  // Routes every file operation of the store through this injector (fault_injector.hpp), so a
  // test can count them, fail them and simulate power failures. Null in production: RocksDB then
  // uses its own file system directly.
  std::shared_ptr<FaultInjector> fault_injector;
  // Where RocksDB's messages go. They never go to a file in the data directory: on a full disk
  // RocksDB 7.8's own info log aborts the process at its next line after a failed append
  // (docs/storage-faults.md), so a message about the full disk would end the node before it
  // could halt cleanly.
  LogSink log;
};

struct CfStats {
  std::string name;
  std::uint64_t keys_estimate = 0;
  std::uint64_t sst_bytes = 0;
  std::uint64_t live_data_bytes = 0;
  std::uint64_t memtable_bytes = 0;
  std::uint64_t pending_compaction_bytes = 0;
};

struct Stats {
  std::uint64_t height = 0;
  std::vector<CfStats> column_families;
  std::uint64_t consensus_compactions = 0;  // automatic and explicit, since open
  std::uint64_t consensus_compaction_failures = 0;
};

struct Db;  // the RocksDB handles; shared with snapshots so they stay valid
}  // namespace sharechain::storage
namespace rocksdb {
class WriteBatch;
}
namespace sharechain::storage {

class Store : public contracts::StateReader {
 public:
  // Opens (or, with create_if_missing, creates) the store in `dir`. UNAVAILABLE when another
  // process holds the store open or the disk fails; INTERNAL when meta is inconsistent (the
  // accumulator does not hash to the recorded root), which means the files were damaged.
  static Result<std::unique_ptr<Store>> open(const std::filesystem::path& dir,
                                             const Options& options);
  ~Store() override;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Writes the genesis state at height 0 and records the 32-byte genesis hash. Calling it again
  // with the same hash and the same state is a no-op (OK); FAILED_PRECONDITION naming both hashes
  // if the recorded genesis hash differs, or naming both roots if the state differs.
  // INVALID_ARGUMENT unless the hash is 32 bytes. nullopt values in `state` are ignored.
  Status init_genesis(const std::string& genesis_hash, const contracts::WriteSet& state,
                      std::uint64_t genesis_time_ms = 0);
  std::optional<std::string> genesis_hash() const;  // nullopt before init_genesis
  StateCommitment state_commitment() const { return options_.state_commitment; }
  bool has_state_tree() const { return options_.state_tree; }

  std::uint64_t height() const;              // last committed height (0 = genesis only)
  crypto::Hash last_block_hash() const;      // 32 zero bytes at height 0
  std::uint64_t last_timestamp_ms() const;   // genesis_time_ms at height 0
  crypto::Hash state_root() const;           // after the last committed block
  crypto::Hash history() const;              // history(height()), also after a snapshot restore
  // The root after `height`; nullopt above height() or for heights skipped by a restore.
  std::optional<crypto::Hash> state_root_at(std::uint64_t height) const;

  // Commits block `height` and returns the new state root. Everything is written in one synced
  // WriteBatch. Checks, with nothing written on failure:
  //   FAILED_PRECONDITION  genesis not initialised; height != height()+1; the header's prev_hash
  //                        is not last_block_hash()
  //   INVALID_ARGUMENT     block_hash is not SHA-256 of block.header(); the header does not parse
  //                        or names another height; receipts.size() differs from the number of
  //                        transactions; a transaction does not parse
  // Receipts are stored at positions 0..n-1 in the order given; each transaction's hash is
  // indexed to (height, position). The history chain moves on (history.hpp): its value after
  // this block is written to the state with the block's other writes.
  Result<crypto::Hash> commit_block(std::uint64_t height, const crypto::Hash& block_hash,
                                    const Block& block, std::uint64_t timestamp_ms,
                                    const std::vector<Receipt>& receipts,
                                    const contracts::WriteSet& writes);

  // A run of consecutive blocks committed together with ONE synced WriteBatch (see BlockRun
  // below). It takes the writer lock until it is committed or destroyed.
  // `through_height`: the last height the caller means to stage, when it knows. The store keeps
  // the state trees of its last kTreeHeightsKept heights only, so a run told where it ends keeps
  // no tree (nor old values) for its blocks below those and updates its tree in place through
  // them (StateTree::apply &&); 0 keeps every block's. Ending lower is safe: the last staged
  // block's tree is always kept, proofs of the heights below it are refused.
  class BlockRun;
  // `durability`: kDeferred leaves the run's write to the next sync (see Durability).
  std::unique_ptr<BlockRun> begin_run(std::uint64_t through_height = 0,
                                      Durability durability = Durability::kSynced);

  // The history value after `height` (zero at 0); nullopt above height() or inside a hole.
  std::optional<crypto::Hash> history_at(std::uint64_t height) const;

  // Holes in the block history left by snapshot restores, highest first (empty when this store
  // holds every block and receipt from height 1 up). See HistoryGap.
  std::vector<HistoryGap> history_gaps() const;
  // The hole that holds `height`, if any (a read there must say "not yet backfilled", not "no
  // such block").
  std::optional<HistoryGap> gap_at(std::uint64_t height) const;
  // The lowest height from which this store holds every block and receipt up to height().
  std::uint64_t history_from() const;

  // Height `height` as a peer backfilling a hole needs it (see HistoryEntry); nullopt when
  // this store does not hold all of it (above height(), or in a hole of its own).
  std::optional<HistoryEntry> history_entry(std::uint64_t height) const;

  // Fills the top of the hole whose low end is `gap_low` with `entries`, which run downwards
  // from the hole's current high end without a break. Each entry must match what is already
  // trusted: its block hashes to the expected hash (the certified one at the top, then each
  // block's prev_hash), its receipts name its transactions in order, and its history value and
  // state root hash with its receipts to the history value trusted above it. All of it is
  // written in one synced batch, or nothing:
  //   NOT_FOUND            no hole starts at gap_low (it was filled meanwhile)
  //   INVALID_ARGUMENT     an entry breaks one of the rules above (the sender sent bad data)
  //   INTERNAL             the entries reach the bottom of the hole and do not join this
  //                        store's own block, history or state root below it: the certified
  //                        chain and this store's history differ, which must never happen
  // Commit certificates are the caller's to check; this checks only hashes.
  Status backfill(std::uint64_t gap_low, const std::vector<HistoryEntry>& entries);

  std::optional<Block> block_at(std::uint64_t height) const;
  std::optional<std::uint64_t> height_of(const crypto::Hash& block_hash) const;
  struct TxLocation {
    std::uint64_t height;
    std::uint32_t index;
  };
  std::optional<TxLocation> find_tx(const crypto::Hash& tx_hash) const;
  std::optional<Receipt> receipt_at(std::uint64_t height, std::uint32_t index) const;
  std::vector<Receipt> receipts_at(std::uint64_t height) const;  // in block order

  // StateReader over the latest committed state.
  std::optional<std::string> get(std::string_view key) const override;
  void scan(std::string_view prefix,
            const std::function<bool(std::string_view, std::string_view)>& fn) const override;

  // Recomputes the LtHash of the whole state and compares it with the recorded accumulator and
  // root. INTERNAL (naming both roots) on a mismatch. Cost: one pass over the state.
  Status verify_state() const;

  // Consensus column family. One batch per call, synced unless `durability` defers it; deletes
  // are applied after puts, so a key in both is deleted.
  Status write_consensus(const std::vector<std::pair<std::string, std::string>>& puts,
                         const std::vector<std::string>& deletes,
                         Durability durability = Durability::kSynced);
  // Makes every deferred write so far durable (one sync of the write-ahead log); does nothing
  // when none is pending or the store does not sync at all (Options::sync). A failure leaves
  // them pending and says what the file system said; the caller must not act on them.
  Status sync();
  // Deferred writes made and not yet covered by a sync.
  bool sync_pending() const { return deferred_pending_.load(std::memory_order_acquire); }
  std::map<std::string, std::string> load_consensus() const;
  // Compacts the consensus column family now, dropping deleted keys from disk.
  Status compact_consensus();

  // A consistent, read-only view of the state at one height (a RocksDB snapshot): later commits
  // do not show through it. It may outlive the Store.
  class Snapshot {
   public:
    ~Snapshot();
    Snapshot(const Snapshot&) = delete;
    Snapshot& operator=(const Snapshot&) = delete;

    std::uint64_t height() const { return height_; }
    const crypto::Hash& block_hash() const { return block_hash_; }
    const crypto::Hash& state_root() const { return state_root_; }
    std::uint64_t timestamp_ms() const { return timestamp_ms_; }
    // The block at height(); nullopt at height 0.
    std::optional<Block> block() const;

    // Visits the state entries with key >= `from` in ascending key order until fn returns false.
    void for_each(std::string_view from,
                  const std::function<bool(std::string_view, std::string_view)>& fn) const;

    // A page of entries for state transfer: entries from `from` on, stopping once their total
    // size reaches max_bytes (at least one entry per page). `next` is where the next page starts,
    // nullopt after the last entry.
    struct Chunk {
      std::vector<std::pair<std::string, std::string>> entries;
      std::optional<std::string> next;
    };
    Chunk chunk(std::string_view from, std::size_t max_bytes) const;

   private:
    friend class Store;
    Snapshot() = default;
    std::shared_ptr<Db> db_;
    const void* snap_ = nullptr;  // rocksdb::Snapshot*, kept opaque to keep RocksDB out of here
    std::uint64_t height_ = 0;
    crypto::Hash block_hash_{};
    crypto::Hash state_root_{};
    std::uint64_t timestamp_ms_ = 0;
  };
  // nullopt-free: before init_genesis the snapshot is of the empty state at height 0.
  std::unique_ptr<Snapshot> snapshot() const;

  // Pulls the next entry of a snapshot being restored into key/value; false when exhausted.
  using EntrySource = std::function<bool(std::string& key, std::string& value)>;

  // Replaces the whole state with the given entries and makes `height` the last committed
  // height, with `block` (its hash checked as in commit_block) as its block. The entries are
  // hashed first; INVALID_ARGUMENT naming both roots if they do not hash to `state_root`, or if
  // keys are not strictly ascending. FAILED_PRECONDITION unless genesis is initialised and
  // height > height(). All or nothing, in one synced batch (which holds the whole new state in
  // memory). Blocks and receipts already stored are kept; heights between the old height and
  // `height` become a hole in the history (history_gaps()) until backfill() fills them, and
  // so does `height` itself, which gets its block but not yet its receipts.
  Status restore_snapshot(std::uint64_t height, const crypto::Hash& block_hash, const Block& block,
                          std::uint64_t timestamp_ms, const crypto::Hash& state_root,
                          const EntrySource& entries);
  Status restore_snapshot(std::uint64_t height, const crypto::Hash& block_hash, const Block& block,
                          std::uint64_t timestamp_ms, const crypto::Hash& state_root,
                          const std::vector<std::pair<std::string, std::string>>& entries);

  // One state entry, or its absence, in the state after `height`, with its path in the state tree
  // (docs/proofs.md, "State proofs").
  struct StateProof {
    std::uint64_t height = 0;
    std::string key;
    std::optional<std::string> value;  // nullopt: absent
    StateTreePath path;
    crypto::Hash lthash_root{};  // state_root(height) = combined_root(lthash_root, path's root)
  };
  // Old values of the keys one block wrote (nullopt: absent before).
  using Undo = std::map<std::string, std::optional<std::string>, std::less<>>;
  // How many recent heights' trees the store keeps for proofs (unchanged subtrees are shared).
  static constexpr std::size_t kTreeHeightsKept = 64;
  // The proof of `key` in the state after `height`:
  //   FAILED_PRECONDITION  the chain has no state tree
  //   INVALID_ARGUMENT     the key is chain/history, which the tree leaves out
  //   NOT_FOUND            the store keeps no tree for `height` (above height(), older than the
  //                        last kTreeHeightsKept heights, or before this store opened or restored
  //                        a snapshot, except heights whose tree equals the one it opened with)
  Result<StateProof> prove_state(std::string_view key, std::uint64_t height) const;
  // The heights whose trees the store keeps, lowest first (empty without a state tree).
  std::vector<std::uint64_t> tree_heights() const;
  // Entries in the state tree (0 without one).
  std::size_t state_tree_entries() const;

  Stats collect_stats() const;
  // collect_stats() as Prometheus text lines, e.g. `sharechain_storage_sst_bytes{cf="state"} 4096`.
  std::string stats() const;

 private:
  // The in-memory copy of meta. Written only after the batch that changed meta is durable.
  struct Head {
    std::optional<std::string> genesis_hash;
    std::uint64_t height = 0;
    crypto::Hash last_block_hash{};
    std::uint64_t last_timestamp_ms = 0;
    LtHash accumulator;
    crypto::Hash state_root = LtHash().root();  // accumulator.root(), cached
    crypto::Hash history{};                     // history(height), also in the state
    StateTree tree;                             // chains with a state tree: after `height`
  };

  // The state tree of one height, kept for proofs.
  struct TreeVersion {
    StateTree tree;
    crypto::Hash lthash_root{};
    // The values that the keys this height's block wrote had before it (nullopt: absent), so a
    // proof can read a value of an earlier height from the current state. Null: no entry of the
    // tree changed in this block.
    std::shared_ptr<const Undo> undo;
  };
  using TreeVersions = std::vector<std::pair<std::uint64_t, TreeVersion>>;

  // Rebuilds the head from meta, checking that meta is complete and self-consistent; nullopt
  // before genesis.
  static Result<std::optional<Head>> load_head(const Db& db, const Options& options);
  // The state root of a state with this accumulator and tree.
  crypto::Hash root_of(const LtHash& acc, const StateTree& tree) const;
  Status compact_consensus_locked();
  Store(std::shared_ptr<Db> db, Options options, Head head);
  Head head() const;
  // Publishes `head` and keeps the trees of `versions` (ascending heights, up to head's).
  void set_head(Head head, TreeVersions versions = {});
  // Checks shared by commit_block and restore_snapshot.
  Status check_block(std::uint64_t height, const crypto::Hash& block_hash, const Block& block,
                     BlockHeader* header) const;
  // The tail every block-moving write shares (a committed block, a restored snapshot): the
  // block and its hash index, then the meta of the head that follows `h` (head fields,
  // accumulator, root and history records of `height`) into `batch`. Returns that head.
  Head stage_block(rocksdb::WriteBatch& batch, const Head& h, std::uint64_t height,
                   const crypto::Hash& block_hash, const Block& block, std::uint64_t timestamp_ms,
                   const LtHash& acc, const crypto::Hash& history, const StateTree& tree) const;
  // The fault points around one write of `batch` (synced unless `durability` defers it), then
  // the in-memory head becomes `next`. `what` names the write in errors.
  Status write_head(rocksdb::WriteBatch& batch, Head next, const std::string& what, TreeVersions versions = {},
                    Durability durability = Durability::kSynced);
  // Every write of the store goes through here: `batch` with or without a sync (Options::sync
  // off: never), noting a deferred one; an error names `what`.
  Status write(rocksdb::WriteBatch& batch, Durability durability, const std::string& what);
  static std::vector<HistoryGap> load_gaps(const Db& db);

  std::shared_ptr<Db> db_;
  Options options_;
  mutable std::mutex head_mu_;  // guards head_, gaps_ and trees_
  Head head_;
  std::vector<HistoryGap> gaps_;  // highest first; a copy of the gap/ records in meta
  std::map<std::uint64_t, TreeVersion> trees_;  // the last kTreeHeightsKept heights' trees
  std::mutex write_mu_;      // serialises writers of blocks, state and meta
  ExpansionCache expansions_;  // used by block runs only, under write_mu_
  std::mutex consensus_mu_;  // serialises consensus writes and their compactions
  std::uint64_t consensus_deletes_since_compaction_ = 0;  // guarded by consensus_mu_
  std::atomic<std::uint64_t> consensus_compactions_{0};
  std::atomic<std::uint64_t> consensus_compaction_failures_{0};
  std::atomic<bool> deferred_pending_{false};  // a deferred write since the last sync
};

// Blocks staged one after another in memory and written with one synced WriteBatch by commit():
// how state transfer replays fetched blocks without a WAL sync per block.
//
// Each block gets exactly the checks, errors, stored records, state root and history value
// Store::commit_block would give it (commit_block is a run of one block). Reads through the run
// (it is a StateReader, so blocks execute against it) see the store with every staged block
// applied; readers of the Store see none of them until commit(). Nothing is durable before
// commit() either: a crash leaves the store at its height before the run, the last durable
// block, and never in the middle of the run, since the whole run is one WriteBatch. So nothing
// that consensus depends on (a vote, a checkpoint) may be based on a staged block before
// commit() returned OK.
//
// The run holds the store's writer lock from begin_run() until commit() or its destruction
// (which drops whatever was staged): other writers (backfill, a snapshot restore) wait for it,
// so callers keep runs short.
class Store::BlockRun final : public contracts::StateReader {
 public:
  ~BlockRun() override;
  BlockRun(const BlockRun&) = delete;
  BlockRun& operator=(const BlockRun&) = delete;

  // Stages block `height` on top of the blocks staged so far, with the checks and errors of
  // commit_block; returns its state root. A failed block stages nothing, and the blocks before
  // it stay staged. FAILED_PRECONDITION after commit().
  Result<crypto::Hash> add(std::uint64_t height, const crypto::Hash& block_hash, const Block& block,
                           std::uint64_t timestamp_ms, const std::vector<Receipt>& receipts,
                           const contracts::WriteSet& writes);

  // Writes every staged block in one batch (synced, unless the run was begun kDeferred) and moves
  // the store's head to the last one, then releases the writer lock. OK with nothing to write.
  // A failed write leaves the store where it was before the run, as a failed commit_block does
  // (the node must stop).
  Status commit();

  std::uint64_t height() const { return head_.height; }  // the last staged block's height
  std::size_t blocks() const { return roots_.size(); }   // staged, not yet written
  // The state root after `height`, staged or already in the store.
  std::optional<crypto::Hash> state_root_at(std::uint64_t height) const;
  const crypto::Hash& history() const { return head_.history; }  // after the last staged block

  std::optional<std::string> get(std::string_view key) const override;
  void scan(std::string_view prefix,
            const std::function<bool(std::string_view, std::string_view)>& fn) const override;

 private:
  friend class Store;
  BlockRun(Store& store, std::uint64_t through_height, Durability durability);

  Store& store_;
  std::unique_lock<std::mutex> writer_;
  Head head_;                  // after the last staged block
  std::uint64_t base_height_;  // the store's height when the run began
  std::unique_ptr<rocksdb::WriteBatch> batch_;
  contracts::Overlay staged_;  // the state writes of the staged blocks, over the store
  // The transaction index entries (key, location) of the staged blocks, in staging order; put
  // into the batch sorted at commit(), like the state (see there).
  std::vector<std::pair<std::string, std::string>> index_;
  std::vector<crypto::Hash> roots_;  // state root after base_height_ + 1 + i
  TreeVersions trees_;               // chains with a state tree: the staged blocks' trees that are kept
  std::uint64_t through_height_;     // see begin_run()
  Durability durability_;
  bool done_ = false;
};

}  // namespace sharechain::storage
