// The chain the consensus-level targets (peer_message, certificates, block_range, snapshot,
// api_lookup) run against: four validators with the deterministic BIP340 keys of the consensus
// tests (tests/consensus/harness.hpp, chain "test-chain"), a genesis, and an honest chain of
// kHonestHeight blocks of real signed contract transactions, each executed by the node's own
// code (node::Chain over a RocksDB store) and committed with a certificate of real COMMIT votes,
// with checkpoint proofs every kCheckpointInterval heights.
//
// It is built once per process, deterministically: the corpus generator writes its blocks and
// snapshot chunks, and the targets hold the honest state roots to compare against.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "consensus/types.hpp"
#include "contracts/state.hpp"
#include "sharechain/consensus.pb.h"
#include "sharechain/peer.pb.h"
#include "sharechain/types.pb.h"
#include "storage/store.hpp"

namespace sharechain::consensus::testing {
class Keys;
}

namespace sharechain::fuzz {

inline constexpr std::uint64_t kHonestHeight = 8;
inline constexpr std::uint64_t kCheckpointInterval = 4;  // = consensus::testing::make_config

class ChainWorld {
 public:
  // Validator 0's view: the test config of tests/consensus/harness.hpp (4 validators).
  const consensus::Config& config() const { return config_; }
  consensus::testing::Keys& keys() const { return *keys_; }
  consensus::Verifier& verifier() const;
  const std::string& chain_id() const { return config_.chain_id; }

  const Genesis& genesis() const { return genesis_; }
  const std::string& genesis_json() const { return genesis_json_; }
  const std::string& genesis_hash() const { return genesis_hash_; }  // SHA-256 of genesis_json
  const contracts::WriteSet& genesis_state() const { return genesis_state_; }

  // blocks()[h - 1] is the block at height h, with its commit certificate.
  const std::vector<Block>& blocks() const { return blocks_; }
  // roots()[h] is the state root after height h (roots()[0]: genesis).
  const std::vector<crypto::Hash>& roots() const { return roots_; }
  // The timestamp of the block at height h (0: genesis time).
  std::uint64_t timestamp(std::uint64_t height) const;

  // A quorum's proof of the checkpoint at `height` (a multiple of kCheckpointInterval).
  consensus::CheckpointProof checkpoint_proof(std::uint64_t height) const;
  // Every state entry after `height` (a multiple of kCheckpointInterval), in key order.
  const std::vector<std::pair<std::string, std::string>>& state_at(std::uint64_t height) const;
  // The snapshot at `height` as GetSnapshot streams it (node/peer_network.cpp), in pages of
  // about `page_bytes` of entries.
  std::vector<peer::SnapshotChunk> snapshot_chunks(std::uint64_t height, std::size_t page_bytes) const;

  // A new store in `dir` (created, must not exist) holding this world's genesis, no blocks.
  std::unique_ptr<storage::Store> fresh_store(const std::filesystem::path& dir) const;

 private:
  friend const ChainWorld& chain_world();
  ChainWorld();

  consensus::Config config_;
  std::unique_ptr<consensus::testing::Keys> keys_;
  Genesis genesis_;
  std::string genesis_json_;
  std::string genesis_hash_;
  contracts::WriteSet genesis_state_;
  std::vector<Block> blocks_;
  std::vector<crypto::Hash> roots_;
  std::vector<std::vector<std::pair<std::string, std::string>>> states_;  // by checkpoint index
};

const ChainWorld& chain_world();

// Deletes a store's folder when it goes (targets reopen fresh stores often).
class ScratchStore {
 public:
  explicit ScratchStore(const std::string& name);  // under fuzz::scratch_dir()
  ~ScratchStore();
  ScratchStore(const ScratchStore&) = delete;
  ScratchStore& operator=(const ScratchStore&) = delete;

  // Drops the current store and opens a fresh one at `world`'s genesis.
  storage::Store& reset(const ChainWorld& world);
  // Moves the current store out (node::Chain owns its store), leaving this one empty.
  std::unique_ptr<storage::Store> take();
  storage::Store* get() { return store_.get(); }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<storage::Store> store_;
};

}  // namespace sharechain::fuzz
