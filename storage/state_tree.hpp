// The state's sparse Merkle tree (docs/proofs.md, "State proofs"; proto/state_tree_path.hpp has
// its hashing), which lets a node prove one entry's value, or its absence, where the LtHash root
// can only vouch for the whole state.
//
// Kept in memory as a persistent structure: apply() returns a new tree that shares every
// unchanged subtree with the old one, so the store keeps the trees of its recent heights for
// proofs at the cost of the paths that changed, and a run of blocks stages trees without
// touching the published one. It is derived data, rebuilt from the state column family when a
// store opens or restores a snapshot, so it has no storage format and no crash recovery of its
// own. Pure: no I/O, no clocks; safe to read from many threads once built.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "proto/crypto.hpp"
#include "proto/state_tree_path.hpp"

namespace sharechain::storage {

// Which state entries the tree holds: all but chain/history, which every block changes and which
// the history chain proves on its own.
bool in_state_tree(std::string_view key);

// The path of a key, root down, and how it ends (docs/proofs.md S3).
struct StateTreePath {
  std::vector<crypto::Hash> siblings;  // state_tree::kEmpty for an empty subtree
  enum class End { kKey, kOtherLeaf, kEmpty };
  End end = End::kEmpty;
  crypto::Hash value_hash{};  // kKey: the key's own value hash
  crypto::Hash other_key_hash{};    // kOtherLeaf
  crypto::Hash other_value_hash{};  // kOtherLeaf
};

class StateTree {
 public:
  // One entry written (value_hash = SHA-256 of the new value) or deleted (nullopt).
  struct Change {
    crypto::Hash key_hash;
    std::optional<crypto::Hash> value_hash;
  };
  struct Entry {
    crypto::Hash key_hash;
    crypto::Hash value_hash;
  };

  StateTree();  // empty
  // The tree of these entries (any order; of entries with the same key hash, the last counts).
  static StateTree build(std::vector<Entry> entries);
  // The tree after `changes` (any order; of changes to the same key hash, the last counts).
  // Deleting an absent key is a no-op. This tree is left as it was: the result shares its
  // unchanged subtrees.
  StateTree apply(std::vector<Change> changes) const&;
  // The same, from a tree given up: the nodes no other tree or copy holds are changed in place
  // instead of copied along each changed path (no allocating and freeing), so a run of blocks
  // that keeps none of its intermediate trees pays for hashing only. Same result either way.
  StateTree apply(std::vector<Change> changes) &&;

  const crypto::Hash& root() const;
  std::size_t size() const { return size_; }
  StateTreePath path(const crypto::Hash& key_hash) const;

  // What the tree holds in memory, counted by walking all of it (for benchmarks and metrics that
  // can afford a pass): its nodes and the bytes they were allocated with, shared control blocks
  // included.
  struct Footprint {
    std::size_t leaves = 0;
    std::size_t branches = 0;
    std::size_t bytes = 0;
  };
  Footprint footprint() const;

  struct Node;

 private:
  using Ptr = std::shared_ptr<Node>;  // nodes are changed only by update(), on nodes it owns alone
  StateTree(Ptr root, std::size_t size) : root_(std::move(root)), size_(size) {}
  StateTree update(std::vector<Change> changes, bool owned);
  Ptr root_;
  std::size_t size_ = 0;
};

}  // namespace sharechain::storage
