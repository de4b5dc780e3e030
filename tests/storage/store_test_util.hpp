// Helpers shared by the storage tests: temporary directories, blocks that pass the store's
// checks, and a from-scratch reference for the state root.
#pragma once

#include <stdlib.h>  // mkdtemp

#include <cstdint>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "contracts/state.hpp"
#include "proto/crypto.hpp"
#include "sharechain/types.pb.h"
#include "storage/history.hpp"
#include "proto/state_tree_path.hpp"
#include "storage/lthash.hpp"
#include "storage/state_tree.hpp"
#include "storage/store.hpp"

namespace storage_test {

namespace crypto = sharechain::crypto;
namespace storage = sharechain::storage;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "sc-storage-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path db() const { return path_ / "db"; }

 private:
  std::filesystem::path path_;
};

inline std::string genesis_hash(const std::string& name) {
  return crypto::hash_bytes(crypto::sha256("genesis:" + name));
}

// A transaction the store can index (the store never checks signatures).
inline std::string tx_bytes(std::uint64_t height, int i) {
  sharechain::TransactionBody body;
  body.set_chain_id("storage-test");
  body.set_nonce(height * 1000 + static_cast<std::uint64_t>(i));
  body.set_sender(std::string(20, static_cast<char>('a' + i % 26)));
  sharechain::SignedTransaction tx;
  body.SerializeToString(tx.mutable_body());
  tx.set_public_key(std::string(32, 'p'));
  tx.set_signature(std::string(64, 's'));
  return tx.SerializeAsString();
}

struct BuiltBlock {
  sharechain::Block block;
  crypto::Hash hash{};
  std::vector<sharechain::Receipt> receipts;
  std::vector<crypto::Hash> tx_hashes;
};

inline BuiltBlock make_block(std::uint64_t height, const crypto::Hash& prev,
                             std::uint64_t timestamp_ms, int ntx) {
  sharechain::BlockHeader header;
  header.set_chain_id("storage-test");
  header.set_height(height);
  header.set_prev_hash(crypto::hash_bytes(prev));
  header.set_timestamp_ms(timestamp_ms);
  BuiltBlock b;
  std::vector<crypto::Hash> leaves;
  for (int i = 0; i < ntx; ++i) {
    const std::string raw = tx_bytes(height, i);
    b.block.add_transactions(raw);
    sharechain::SignedTransaction stx;
    stx.ParseFromString(raw);
    b.tx_hashes.push_back(crypto::sha256(stx.body()));
    sharechain::Receipt r;
    r.set_tx_hash(crypto::hash_bytes(b.tx_hashes.back()));
    r.set_status(i % 2 == 0 ? sharechain::RECEIPT_OK : sharechain::RECEIPT_INSUFFICIENT_FUNDS);
    if (i % 2 != 0) r.set_error("balance too low");
    b.receipts.push_back(r);
  }
  header.set_tx_root(crypto::hash_bytes(crypto::merkle_root(b.tx_hashes)));
  header.SerializeToString(b.block.mutable_header());
  b.block.mutable_certificate()->set_height(height);
  b.hash = crypto::sha256(b.block.header());
  b.block.mutable_certificate()->set_block_hash(crypto::hash_bytes(b.hash));
  return b;
}

// The root of a state computed from scratch, independent of the store's incremental updates
// (by default with the commitment a store gets by default).
inline crypto::Hash root_of(const std::map<std::string, std::string>& state,
                            storage::StateCommitment c = storage::Options{}.state_commitment) {
  storage::LtHash h;
  for (const auto& [k, v] : state) h.add(c, k, v);
  return h.root();
}

// The same for a chain with a state tree (Options::state_tree): the LtHash root of every entry
// and the tree of all but chain/history, combined.
inline crypto::Hash tree_state_root(const std::map<std::string, std::string>& state,
                                    storage::StateCommitment c = storage::Options{}.state_commitment) {
  std::vector<storage::StateTree::Entry> entries;
  for (const auto& [k, v] : state) {
    if (storage::in_state_tree(k)) entries.push_back({crypto::sha256(k), crypto::sha256(v)});
  }
  return sharechain::state_tree::combined_root(root_of(state, c), storage::StateTree::build(entries).root());
}

inline void apply_writes(std::map<std::string, std::string>& state,
                  const sharechain::contracts::WriteSet& writes) {
  for (const auto& [k, v] : writes) {
    if (v) {
      state[k] = *v;
    } else {
      state.erase(k);
    }
  }
}

// A model of Store::commit_block's effect on the state: the block's writes, then the history
// value the store adds (storage/history.hpp) from the receipts as stored (height and position
// filled in) and the root before the block (`state_tree`: of a chain with a state tree).
inline void apply_block(std::map<std::string, std::string>& state, std::uint64_t height,
                        const sharechain::contracts::WriteSet& writes,
                        const std::vector<sharechain::Receipt>& receipts,
                        storage::StateCommitment c = storage::Options{}.state_commitment, bool state_tree = false) {
  const crypto::Hash root_before = state_tree ? tree_state_root(state, c) : root_of(state, c);
  crypto::Hash previous{};
  if (auto it = state.find(std::string(storage::kHistoryStateKey)); it != state.end()) {
    previous = *crypto::hash_from_bytes(it->second);
  }
  apply_writes(state, writes);
  std::vector<std::string> stored;
  for (std::size_t i = 0; i < receipts.size(); ++i) {
    sharechain::Receipt r = receipts[i];
    r.set_height(height);
    r.set_index(static_cast<std::uint32_t>(i));
    stored.push_back(r.SerializeAsString());
  }
  state[std::string(storage::kHistoryStateKey)] = crypto::hash_bytes(
      storage::next_history(previous, height, storage::receipts_root(stored), root_before));
}

inline std::map<std::string, std::string> read_all(const sharechain::contracts::StateReader& r) {
  std::map<std::string, std::string> out;
  r.scan("", [&](std::string_view k, std::string_view v) {
    out.emplace(std::string(k), std::string(v));
    return true;
  });
  return out;
}

inline std::unique_ptr<storage::Store> open_store(const std::filesystem::path& dir,
                                                  const storage::Options& o = {}) {
  auto r = storage::Store::open(dir, o);
  if (!r) throw std::runtime_error("open failed: " + r.status().to_string());
  return std::move(r).value();
}

}  // namespace storage_test
