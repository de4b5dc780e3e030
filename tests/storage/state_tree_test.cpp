// The state tree (storage/state_tree.hpp) against a from-scratch reference of the canonical shape
// (docs/proofs.md, "State proofs"): roots after any sequence of writes and deletes, paths that
// fold back to the root for present and absent keys, and old versions left intact by apply().
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "proto/state_tree_path.hpp"
#include "storage/state_tree.hpp"

namespace {

namespace crypto = sharechain::crypto;
namespace st = sharechain::state_tree;
using sharechain::storage::StateTree;
using sharechain::storage::StateTreePath;

using Leaves = std::vector<std::pair<crypto::Hash, crypto::Hash>>;  // key hash, value hash; sorted

// The canonical tree, computed directly from its definition: empty, one leaf, or a branch of the
// halves split on bit `depth`.
crypto::Hash reference_root(const Leaves& leaves, std::size_t depth) {
  if (leaves.empty()) return st::kEmpty;
  if (leaves.size() == 1) return st::leaf(leaves[0].first, leaves[0].second);
  Leaves left, right;
  for (const auto& l : leaves) (st::bit(l.first, depth) ? right : left).push_back(l);
  return st::branch(reference_root(left, depth + 1), reference_root(right, depth + 1));
}

crypto::Hash reference_root(const std::map<std::string, std::string>& state) {
  Leaves leaves;
  for (const auto& [k, v] : state) leaves.emplace_back(crypto::sha256(k), crypto::sha256(v));
  std::sort(leaves.begin(), leaves.end());
  return reference_root(leaves, 0);
}

std::vector<StateTree::Entry> entries_of(const std::map<std::string, std::string>& state) {
  std::vector<StateTree::Entry> out;
  for (const auto& [k, v] : state) out.push_back({crypto::sha256(k), crypto::sha256(v)});
  return out;
}

// The root a path reaches for `key` (the verifier's fold), given what it claims at the end.
crypto::Hash fold_path(const StateTreePath& p, const std::string& key) {
  const crypto::Hash kh = crypto::sha256(key);
  crypto::Hash node = st::kEmpty;
  if (p.end == StateTreePath::End::kKey) node = st::leaf(kh, p.value_hash);
  if (p.end == StateTreePath::End::kOtherLeaf) node = st::leaf(p.other_key_hash, p.other_value_hash);
  return st::fold(node, kh, p.siblings);
}

// A block of `n` writes to random keys e/0..e/<keys-1>, one in `delete_one_in` a delete, applied
// to `state`; the tree's changes for it.
std::vector<StateTree::Change> random_block(std::mt19937_64& rng, std::map<std::string, std::string>& state, int block,
                                            int n, std::uint64_t keys, std::uint64_t delete_one_in) {
  std::map<std::string, std::optional<std::string>> writes;
  for (int i = 0; i < n; ++i) {
    const std::string key = "e/" + std::to_string(rng() % keys);
    writes[key] = rng() % delete_one_in == 0 ? std::nullopt : std::optional<std::string>("b" + std::to_string(block));
  }
  std::vector<StateTree::Change> changes;
  for (const auto& [k, v] : writes) {
    changes.push_back({crypto::sha256(k), v ? std::optional(crypto::sha256(*v)) : std::nullopt});
    if (v) {
      state[k] = *v;
    } else {
      state.erase(k);
    }
  }
  return changes;
}

}  // namespace

TEST_CASE("an empty tree's root is 32 zero bytes, one entry's is its leaf") {
  StateTree empty;
  CHECK(empty.root() == st::kEmpty);
  CHECK(empty.size() == 0);
  const auto one = StateTree::build({{crypto::sha256("k"), crypto::sha256("v")}});
  CHECK(one.root() == st::leaf(crypto::sha256("k"), crypto::sha256("v")));
  const auto p = one.path(crypto::sha256("k"));
  CHECK(p.siblings.empty());
  CHECK(p.end == StateTreePath::End::kKey);
  const auto other = one.path(crypto::sha256("not there"));
  CHECK(other.end == StateTreePath::End::kOtherLeaf);
  CHECK(fold_path(other, "not there") == one.root());
}

TEST_CASE("the combined state root is the tagged hash of both roots") {
  const crypto::Hash l = crypto::sha256("lthash"), t = crypto::sha256("tree");
  CHECK(st::combined_root(l, t) == crypto::tagged_hash("sharechain/state-root", crypto::hash_bytes(l) + crypto::hash_bytes(t)));
  CHECK(st::combined_root(l, t) != st::combined_root(t, l));
}

TEST_CASE("writes and deletes applied in batches give the root of the same entries built at once") {
  std::mt19937_64 rng(20261207);
  std::map<std::string, std::string> state;
  StateTree tree;
  for (int block = 0; block < 60; ++block) {
    std::vector<StateTree::Change> changes;
    std::map<std::string, std::optional<std::string>> writes;
    const int n = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) {
      const std::string key = "k/" + std::to_string(rng() % 300);
      if (rng() % 4 == 0) {
        writes[key] = std::nullopt;
      } else {
        writes[key] = "v" + std::to_string(rng() % 5);  // often the value the key already has
      }
    }
    for (const auto& [k, v] : writes) {
      const bool had = state.contains(k);
      if (!v && !had) {
        // Deleting what is not there must change nothing, listed or not.
        changes.push_back({crypto::sha256(k), std::nullopt});
        continue;
      }
      changes.push_back({crypto::sha256(k), v ? std::optional(crypto::sha256(*v)) : std::nullopt});
      if (v) {
        state[k] = *v;
      } else {
        state.erase(k);
      }
    }
    const StateTree before = tree;
    const crypto::Hash before_root = tree.root();
    tree = tree.apply(changes);
    INFO("block " << block);
    REQUIRE(tree.root() == reference_root(state));
    REQUIRE(tree.size() == state.size());
    REQUIRE(tree.root() == StateTree::build(entries_of(state)).root());
    // The old version is untouched: it still has its root and its paths.
    REQUIRE(before.root() == before_root);
  }
  // Deleting everything leaves the empty tree.
  std::vector<StateTree::Change> all;
  for (const auto& [k, v] : state) all.push_back({crypto::sha256(k), std::nullopt});
  CHECK(tree.apply(all).root() == st::kEmpty);
  CHECK(tree.apply(all).size() == 0);
}

TEST_CASE("every key's path folds back to the root: present, absent at an empty half, absent at another leaf") {
  std::map<std::string, std::string> state;
  for (int i = 0; i < 500; ++i) state["entry/" + std::to_string(i)] = "value " + std::to_string(i * 7);
  const StateTree tree = StateTree::build(entries_of(state));
  REQUIRE(tree.root() == reference_root(state));
  std::size_t deepest = 0;
  for (const auto& [k, v] : state) {
    const auto p = tree.path(crypto::sha256(k));
    REQUIRE(p.end == StateTreePath::End::kKey);
    REQUIRE(p.value_hash == crypto::sha256(v));
    REQUIRE(fold_path(p, k) == tree.root());
    deepest = std::max(deepest, p.siblings.size());
  }
  // Shortcut leaves keep paths near log2(entries), not 256 long.
  CHECK(deepest < 30);
  int empty_ends = 0, leaf_ends = 0;
  for (int i = 0; i < 500; ++i) {
    const std::string absent = "absent/" + std::to_string(i);
    const auto p = tree.path(crypto::sha256(absent));
    REQUIRE(p.end != StateTreePath::End::kKey);
    REQUIRE(fold_path(p, absent) == tree.root());
    if (p.end == StateTreePath::End::kEmpty) {
      ++empty_ends;
    } else {
      ++leaf_ends;
      REQUIRE(st::same_prefix(p.other_key_hash, crypto::sha256(absent), p.siblings.size()));
    }
  }
  CHECK(empty_ends > 0);
  CHECK(leaf_ends > 0);
  // A value other than the real one does not reach the root.
  auto p = tree.path(crypto::sha256("entry/3"));
  p.value_hash = crypto::sha256("value 22");
  CHECK(fold_path(p, "entry/3") != tree.root());
}

TEST_CASE("big blocks, whose halves are updated on two threads, give the same tree") {
  std::mt19937_64 rng(7);
  std::map<std::string, std::string> state;
  for (int i = 0; i < 3000; ++i) state["e/" + std::to_string(i)] = "v";
  StateTree tree = StateTree::build(entries_of(state));
  for (int block = 0; block < 5; ++block) {
    const std::vector<StateTree::Change> changes = random_block(rng, state, block, 1200, 4000, 5);
    REQUIRE(changes.size() >= 256);
    tree = tree.apply(changes);
    REQUIRE(tree.root() == reference_root(state));
    REQUIRE(tree.size() == state.size());
  }
}

TEST_CASE("a tree given up is updated in place to the same tree, and copies of it stay intact") {
  std::mt19937_64 rng(11);
  std::map<std::string, std::string> state;
  for (int i = 0; i < 2000; ++i) state["e/" + std::to_string(i)] = "v";
  StateTree owned = StateTree::build(entries_of(state));  // updated as an rvalue throughout
  StateTree copied = owned;                                // updated by copying paths
  // Snapshots taken along the way share nodes with `owned`: the in-place update must copy
  // whatever they hold and change only what nobody else sees.
  std::vector<std::pair<StateTree, crypto::Hash>> kept;
  for (int block = 0; block < 40; ++block) {
    const int n = block % 8 == 7 ? 600 : 1 + static_cast<int>(rng() % 40);  // some on two threads
    const std::vector<StateTree::Change> changes = random_block(rng, state, block, n, 2600, 6);
    copied = copied.apply(changes);
    owned = std::move(owned).apply(changes);
    REQUIRE(owned.root() == reference_root(state));
    REQUIRE(owned.root() == copied.root());
    REQUIRE(owned.size() == state.size());
    if (block % 5 == 0) kept.emplace_back(owned, owned.root());
  }
  for (const auto& [tree, root] : kept) {
    // Its root, and every path in it, still fold to the root it had when it was copied.
    CHECK(tree.root() == root);
    for (int i = 0; i < 2600; i += 37) {
      const std::string key = "e/" + std::to_string(i);
      CHECK(fold_path(tree.path(crypto::sha256(key)), key) == root);
    }
  }
}

TEST_CASE("of changes or entries with the same key, the last counts") {
  const crypto::Hash k = crypto::sha256("k"), other = crypto::sha256("other");
  const StateTree built = StateTree::build({{k, crypto::sha256("1")}, {other, crypto::sha256("x")}, {k, crypto::sha256("2")}});
  CHECK(built.size() == 2);
  CHECK(built.root() == StateTree::build({{k, crypto::sha256("2")}, {other, crypto::sha256("x")}}).root());
  const StateTree applied = StateTree().apply(
      {{k, crypto::sha256("1")}, {other, crypto::sha256("x")}, {k, std::nullopt}, {k, crypto::sha256("3")}});
  CHECK(applied.size() == 2);
  CHECK(applied.root() == StateTree::build({{k, crypto::sha256("3")}, {other, crypto::sha256("x")}}).root());
  CHECK(applied.path(k).siblings.size() < 10);
}

TEST_CASE("prefixes are compared bit by bit") {
  crypto::Hash a{}, b{};
  a[0] = 0b10110000;
  b[0] = 0b10111000;
  CHECK(st::same_prefix(a, b, 4));
  CHECK_FALSE(st::same_prefix(a, b, 5));
  CHECK(st::same_prefix(a, a, 256));
  CHECK(st::same_prefix(a, b, 0));
}

// docs/test-vectors.json "state_tree", written by an independent implementation
// (sdk/python/make_test_vectors.py): the tree's root, the combined state root and every proof.
TEST_CASE("the state tree matches the published test vectors") {
  std::ifstream in(SC_TEST_VECTORS_FILE);
  REQUIRE(in.good());
  const nlohmann::json all = nlohmann::json::parse(in);
  REQUIRE(all.contains("state_tree"));
  const nlohmann::json& v = all["state_tree"];
  auto raw = [](const nlohmann::json& j) { return crypto::from_hex(j.get<std::string>()).value(); };
  auto hash = [&](const nlohmann::json& j) { return crypto::hash_from_bytes(raw(j)).value(); };
  CHECK(StateTree().root() == hash(v["empty_tree_root"]));
  std::vector<StateTree::Entry> entries;
  for (const auto& e : v["entries"]) entries.push_back({crypto::sha256(raw(e["key"])), crypto::sha256(raw(e["value"]))});
  REQUIRE(entries.size() >= 8);
  const StateTree tree = StateTree::build(entries);
  CHECK(tree.root() == hash(v["tree_root"]));
  CHECK(st::combined_root(hash(v["lthash_root"]), tree.root()) == hash(v["state_root"]));
  int present = 0, at_empty = 0, at_leaf = 0;
  for (const auto& p : v["proofs"]) {
    const std::string key = raw(p["key"]);
    INFO("key " << p["key"]);
    const StateTreePath path = tree.path(crypto::sha256(key));
    REQUIRE(path.siblings.size() == p["siblings"].size());
    for (std::size_t i = 0; i < path.siblings.size(); ++i) {
      const std::string s = p["siblings"][i].get<std::string>();
      CHECK(path.siblings[i] == (s.empty() ? st::kEmpty : hash(p["siblings"][i])));
    }
    if (p["present"].get<bool>()) {
      ++present;
      CHECK(path.end == StateTreePath::End::kKey);
      CHECK(path.value_hash == crypto::sha256(raw(p["value"])));
    } else if (p.contains("other_key_hash")) {
      ++at_leaf;
      CHECK(path.end == StateTreePath::End::kOtherLeaf);
      CHECK(path.other_key_hash == hash(p["other_key_hash"]));
      CHECK(path.other_value_hash == hash(p["other_value_hash"]));
    } else {
      ++at_empty;
      CHECK(path.end == StateTreePath::End::kEmpty);
    }
    CHECK(fold_path(path, key) == tree.root());
  }
  CHECK(present >= 2);
  CHECK(at_empty >= 1);
  CHECK(at_leaf >= 1);
}
