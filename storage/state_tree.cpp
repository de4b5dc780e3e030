#include "storage/state_tree.hpp"

#include <algorithm>
#include <atomic>
#include <future>
#include <span>

#include "storage/history.hpp"

namespace sharechain::storage {

// A Leaf when `leaf` is set, else a Branch. A branch holds at least two entries below it (a
// subtree of one entry is that entry's leaf), so every tree of the same entries has the same
// shape. Two types rather than one node with every field: the tree is held in memory, about two
// nodes per state entry, and a node with both sets of fields is half again as large.
struct StateTree::Node {
  crypto::Hash hash;
  bool leaf = false;
};

namespace {

using Node = StateTree::Node;
using Ptr = std::shared_ptr<Node>;

struct Leaf : Node {
  crypto::Hash key_hash{};
  crypto::Hash value_hash{};
};
struct Branch : Node {
  Ptr left, right;
};

const Leaf& leaf_of(const Ptr& p) { return static_cast<const Leaf&>(*p); }
const Branch& branch_of(const Ptr& p) { return static_cast<const Branch&>(*p); }
const crypto::Hash& key_of(const Ptr& leaf) { return leaf_of(leaf).key_hash; }

const crypto::Hash& hash_of(const Ptr& p) { return p ? p->hash : state_tree::kEmpty; }

Ptr make_leaf(const crypto::Hash& key_hash, const crypto::Hash& value_hash) {
  auto n = std::make_shared<Leaf>();
  n->leaf = true;
  n->key_hash = key_hash;
  n->value_hash = value_hash;
  n->hash = state_tree::leaf(key_hash, value_hash);
  return n;
}

// The subtree of two halves, in canonical form: nothing for two empty halves, the leaf itself
// when it is alone.
Ptr make_branch(Ptr left, Ptr right) {
  if (!left && !right) return nullptr;
  if (!left && right->leaf) return right;
  if (!right && left->leaf) return left;
  auto n = std::make_shared<Branch>();
  n->hash = state_tree::branch(hash_of(left), hash_of(right));
  n->left = std::move(left);
  n->right = std::move(right);
  return n;
}

// Leaves sorted by key hash, all sharing their first `depth` bits.
Ptr build_from(std::span<const Ptr> leaves, std::size_t depth) {
  if (leaves.empty()) return nullptr;
  if (leaves.size() == 1) return leaves.front();
  const auto mid = std::partition_point(leaves.begin(), leaves.end(),
                                        [depth](const Ptr& l) { return !state_tree::bit(key_of(l), depth); });
  const auto split = static_cast<std::size_t>(mid - leaves.begin());
  return make_branch(build_from(leaves.first(split), depth + 1), build_from(leaves.subspan(split), depth + 1));
}

bool before(const crypto::Hash& a, const crypto::Hash& b) { return a < b; }

// From how many changes a block's tree update is split over two threads: below it, starting a
// thread costs more than it saves.
constexpr std::size_t kParallelChanges = 256;

// The subtree at `depth` holding two leaves of different key hashes: a branch where their paths
// part, under a branch with an empty half for each bit they still share.
Ptr join(const Ptr& a, const Ptr& b, std::size_t depth) {
  std::size_t d = depth;
  const crypto::Hash& ka = key_of(a);
  while (state_tree::bit(ka, d) == state_tree::bit(key_of(b), d)) ++d;
  Ptr n = state_tree::bit(ka, d) ? make_branch(b, a) : make_branch(a, b);
  while (d > depth) {
    --d;
    n = state_tree::bit(ka, d) ? make_branch(nullptr, std::move(n)) : make_branch(std::move(n), nullptr);
  }
  return n;
}

// Whether this update may change `node` in place: the caller owns every node above it (`owned`)
// and nothing else holds it, neither another tree (an older height, a published head) nor a
// reader's copy. No other thread can reach a node whose only holder is ours; the fence orders
// the reads of whoever held it last before our writes.
bool mine(const Ptr& node, bool owned) {
  if (!owned || !node || node.use_count() != 1) return false;
  std::atomic_thread_fence(std::memory_order_acquire);
  return true;
}

// The branch `node` after its halves became `left` and `right` (the old halves' hashes were
// `was_left`, `was_right`): itself when nothing changed, else rehashed in place when it is ours,
// or a new branch that shares the unchanged half.
Ptr finish_branch(const Ptr& node, bool ours, Ptr left, Ptr right, const crypto::Hash& was_left,
                  const crypto::Hash& was_right) {
  auto& b = static_cast<Branch&>(*node);
  // A half changed in place keeps its pointer, so the hashes say whether anything below changed.
  if (left == b.left && right == b.right && hash_of(left) == was_left && hash_of(right) == was_right) return node;
  if (!ours || !left || !right) return make_branch(std::move(left), std::move(right));  // may be a leaf or nothing
  b.left = std::move(left);
  b.right = std::move(right);
  b.hash = state_tree::branch(hash_of(b.left), hash_of(b.right));
  return node;
}

// `changes` sorted by key hash, all on the path of `node` at `depth`. With `owned`, nodes that
// only this tree holds are changed in place instead of copied (see StateTree::apply).
Ptr update_subtree(const Ptr& node, std::size_t depth, std::span<const StateTree::Change> changes, std::ptrdiff_t& delta,
                   bool owned) {
  if (changes.empty()) return node;
  if ((!node || node->leaf) && changes.size() == 1) {
    // The common end of a path: one write meets an empty half or one leaf.
    const StateTree::Change& c = changes.front();
    if (node && c.key_hash == key_of(node)) {
      if (!c.value_hash) {
        --delta;
        return nullptr;
      }
      if (*c.value_hash == leaf_of(node).value_hash) return node;
      if (!mine(node, owned)) return make_leaf(c.key_hash, *c.value_hash);
      auto& l = static_cast<Leaf&>(*node);
      l.value_hash = *c.value_hash;
      l.hash = state_tree::leaf(l.key_hash, l.value_hash);
      return node;
    }
    if (!c.value_hash) return node;  // deleting what is not there
    ++delta;
    Ptr added = make_leaf(c.key_hash, *c.value_hash);
    return node ? join(node, added, depth) : added;
  }
  if (!node || node->leaf) {
    // Rebuild this subtree from the entry it held (unless a change replaces it) and the writes.
    std::vector<Ptr> leaves;
    leaves.reserve(changes.size() + 1);
    bool kept = node != nullptr;
    for (const StateTree::Change& c : changes) {
      const bool same = node && c.key_hash == key_of(node);
      if (same) {
        kept = false;
        if (c.value_hash && *c.value_hash == leaf_of(node).value_hash) {
          leaves.push_back(node);  // written with the value it had
          continue;
        }
        --delta;
      }
      if (c.value_hash) {
        leaves.push_back(make_leaf(c.key_hash, *c.value_hash));
        ++delta;
      }
    }
    if (kept) {
      leaves.insert(std::lower_bound(leaves.begin(), leaves.end(), node,
                                     [](const Ptr& a, const Ptr& b) { return before(key_of(a), key_of(b)); }),
                    node);
    }
    return build_from(leaves, depth);
  }
  const auto mid = std::partition_point(changes.begin(), changes.end(), [depth](const StateTree::Change& c) {
    return !state_tree::bit(c.key_hash, depth);
  });
  const auto split = static_cast<std::size_t>(mid - changes.begin());
  const bool ours = mine(node, owned);
  const Branch& b = branch_of(node);
  const crypto::Hash was_left = hash_of(b.left), was_right = hash_of(b.right);
  Ptr left = update_subtree(b.left, depth + 1, changes.first(split), delta, ours);
  Ptr right = update_subtree(b.right, depth + 1, changes.subspan(split), delta, ours);
  return finish_branch(node, ours, std::move(left), std::move(right), was_left, was_right);
}

}  // namespace

bool in_state_tree(std::string_view key) { return key != kHistoryStateKey; }

StateTree::StateTree() = default;

StateTree StateTree::build(std::vector<Entry> entries) {
  // A key hash twice would never split (a path cannot separate equal hashes): the last one counts.
  std::stable_sort(entries.begin(), entries.end(),
                   [](const Entry& a, const Entry& b) { return before(a.key_hash, b.key_hash); });
  entries.erase(entries.begin(), std::unique(entries.rbegin(), entries.rend(), [](const Entry& a, const Entry& b) {
                                   return a.key_hash == b.key_hash;
                                 }).base());
  std::vector<Ptr> leaves;
  leaves.reserve(entries.size());
  for (const Entry& e : entries) leaves.push_back(make_leaf(e.key_hash, e.value_hash));
  return StateTree(build_from(leaves, 0), leaves.size());
}

StateTree StateTree::apply(std::vector<Change> changes) const& { return StateTree(*this).update(std::move(changes), false); }

StateTree StateTree::apply(std::vector<Change> changes) && { return update(std::move(changes), true); }

StateTree StateTree::update(std::vector<Change> changes, bool owned) {
  if (changes.empty()) return std::move(*this);
  std::stable_sort(changes.begin(), changes.end(),
                   [](const Change& a, const Change& b) { return before(a.key_hash, b.key_hash); });
  changes.erase(changes.begin(), std::unique(changes.rbegin(), changes.rend(), [](const Change& a, const Change& b) {
                                   return a.key_hash == b.key_hash;
                                 }).base());
  std::ptrdiff_t delta = 0;
  Ptr root;
  if (changes.size() >= kParallelChanges && root_ && !root_->leaf) {
    // The two halves of the tree share nothing that changes: a big block's halves are hashed on
    // two threads (a node catching up applies blocks of hundreds of writes back to back). Same
    // nodes, same root, whichever thread made them.
    const auto mid = std::partition_point(changes.begin(), changes.end(),
                                          [](const Change& c) { return !state_tree::bit(c.key_hash, 0); });
    const std::span<const Change> all(changes);
    const auto split = static_cast<std::size_t>(mid - changes.begin());
    const bool ours = mine(root_, owned);
    const Branch& b = branch_of(root_);
    const crypto::Hash was_left = hash_of(b.left), was_right = hash_of(b.right);
    std::ptrdiff_t left_delta = 0;
    auto left = std::async(std::launch::async, [&] { return update_subtree(b.left, 1, all.first(split), left_delta, ours); });
    Ptr right = update_subtree(b.right, 1, all.subspan(split), delta, ours);
    Ptr l = left.get();
    delta += left_delta;
    root = finish_branch(root_, ours, std::move(l), std::move(right), was_left, was_right);
  } else {
    root = update_subtree(root_, 0, changes, delta, owned);
  }
  root_.reset();  // before the new root takes over, so that nothing but `root` holds its nodes
  return StateTree(std::move(root), static_cast<std::size_t>(static_cast<std::ptrdiff_t>(size_) + delta));
}

const crypto::Hash& StateTree::root() const { return hash_of(root_); }

StateTree::Footprint StateTree::footprint() const {
  // What make_shared allocates for each: the node and its control block in one piece.
  constexpr std::size_t kLeafBytes = sizeof(std::_Sp_counted_ptr_inplace<Leaf, std::allocator<Leaf>, __gnu_cxx::_S_atomic>);
  constexpr std::size_t kBranchBytes =
      sizeof(std::_Sp_counted_ptr_inplace<Branch, std::allocator<Branch>, __gnu_cxx::_S_atomic>);
  Footprint f;
  std::vector<const Node*> stack;
  if (root_) stack.push_back(root_.get());
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    if (n->leaf) {
      ++f.leaves;
      continue;
    }
    ++f.branches;
    const auto& b = static_cast<const Branch&>(*n);
    if (b.left) stack.push_back(b.left.get());
    if (b.right) stack.push_back(b.right.get());
  }
  f.bytes = f.leaves * kLeafBytes + f.branches * kBranchBytes;
  return f;
}

StateTreePath StateTree::path(const crypto::Hash& key_hash) const {
  StateTreePath out;
  const Node* node = root_.get();
  std::size_t depth = 0;
  while (node != nullptr && !node->leaf) {
    const auto& b = static_cast<const Branch&>(*node);
    const bool right = state_tree::bit(key_hash, depth);
    out.siblings.push_back(hash_of(right ? b.left : b.right));
    node = (right ? b.right : b.left).get();
    ++depth;
  }
  if (node == nullptr) {
    out.end = StateTreePath::End::kEmpty;
    return out;
  }
  const auto& leaf = static_cast<const Leaf&>(*node);
  if (leaf.key_hash == key_hash) {
    out.end = StateTreePath::End::kKey;
    out.value_hash = leaf.value_hash;
  } else {
    out.end = StateTreePath::End::kOtherLeaf;
    out.other_key_hash = leaf.key_hash;
    out.other_value_hash = leaf.value_hash;
  }
  return out;
}

}  // namespace sharechain::storage
