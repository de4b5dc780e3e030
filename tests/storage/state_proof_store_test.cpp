// A store whose state root commits to the state tree (Options::state_tree): the root it certifies,
// proofs of values at recent heights (also after later blocks changed them), and the tree rebuilt
// after a reopen and a snapshot restore.
#include <catch2/catch.hpp>

#include "proto/state_tree_path.hpp"
#include "store_test_util.hpp"

using namespace storage_test;
namespace st = sharechain::state_tree;
using sharechain::Code;
using sharechain::contracts::WriteSet;
using sharechain::storage::StateTreePath;

namespace {

storage::Options with_tree() {
  storage::Options o;
  o.sync = false;
  o.state_tree = true;
  return o;
}

// What a verifier does with a proof and a certified root.
bool proves(const storage::Store::StateProof& p, const crypto::Hash& certified_root) {
  const crypto::Hash kh = crypto::sha256(p.key);
  crypto::Hash node = st::kEmpty;
  if (p.value) node = st::leaf(kh, crypto::sha256(*p.value));
  if (!p.value && p.path.end == StateTreePath::End::kOtherLeaf) {
    node = st::leaf(p.path.other_key_hash, p.path.other_value_hash);
  }
  return st::combined_root(p.lthash_root, st::fold(node, kh, p.path.siblings)) == certified_root;
}

struct Chain {
  std::unique_ptr<storage::Store> store;
  std::map<std::string, std::string> state;
  crypto::Hash prev{};
  std::uint64_t height = 0;
  std::map<std::uint64_t, crypto::Hash> roots;

  void commit(const WriteSet& writes, int ntx = 1) {
    ++height;
    auto b = make_block(height, prev, 1000 + height, ntx);
    apply_block(state, height, writes, b.receipts, storage::Options{}.state_commitment, /*state_tree=*/true);
    auto root = store->commit_block(height, b.hash, b.block, 1000 + height, b.receipts, writes);
    REQUIRE(root);
    roots[height] = *root;
    prev = b.hash;
  }
};

}  // namespace

TEST_CASE("with a state tree the state root is the tagged hash of the LtHash root and the tree root") {
  TempDir dir;
  Chain c{open_store(dir.db(), with_tree())};
  const WriteSet genesis{{"ledger/acct/alice", "100"}, {"ledger/acct/bob", "5"}};
  REQUIRE(c.store->init_genesis(genesis_hash("tree"), genesis));
  apply_writes(c.state, genesis);
  CHECK(c.store->state_root() == tree_state_root(c.state));
  CHECK(c.store->has_state_tree());
  c.commit({{"ledger/acct/alice", "90"}, {"ledger/acct/carol", "10"}});
  c.commit({{"ledger/acct/bob", std::nullopt}});
  CHECK(c.store->state_root() == tree_state_root(c.state));
  CHECK(c.roots[2] == tree_state_root(c.state));
  CHECK(c.store->state_tree_entries() == 2);  // alice, carol; chain/history is not in the tree
  REQUIRE(c.store->verify_state());
  CHECK(c.store->stats().find("sharechain_storage_state_tree_entries 2") != std::string::npos);
}

TEST_CASE("a proof at an older height carries the value of that height") {
  TempDir dir;
  Chain c{open_store(dir.db(), with_tree())};
  REQUIRE(c.store->init_genesis(genesis_hash("tree"), WriteSet{{"vehicles/vehicle/V1", "one record"}}));
  apply_writes(c.state, WriteSet{{"vehicles/vehicle/V1", "one record"}});
  c.commit({{"vehicles/vehicle/V1", "two records"}});                      // 1
  c.commit({{"ledger/acct/x", "1"}});                                      // 2
  c.commit({{"vehicles/vehicle/V1", "three records"}, {"gone", "soon"}});  // 3
  c.commit({{"gone", std::nullopt}});                                      // 4

  for (std::uint64_t h = 1; h <= 4; ++h) {
    auto p = c.store->prove_state("vehicles/vehicle/V1", h);
    REQUIRE(p);
    INFO("height " << h);
    CHECK(p->height == h);
    CHECK(*p->value == (h < 3 ? "two records" : "three records"));
    CHECK(proves(*p, c.roots[h]));
    CHECK_FALSE(proves(*p, c.roots[h == 4 ? 3 : h + 1]));
  }
  auto gone3 = c.store->prove_state("gone", 3);
  REQUIRE(gone3);
  CHECK(gone3->value == std::optional<std::string>("soon"));
  CHECK(proves(*gone3, c.roots[3]));
  auto gone4 = c.store->prove_state("gone", 4);
  REQUIRE(gone4);
  CHECK_FALSE(gone4->value);
  CHECK(proves(*gone4, c.roots[4]));
  // A forged absence of a present key does not reach the root.
  auto forged = *c.store->prove_state("vehicles/vehicle/V1", 4);
  forged.value.reset();
  CHECK_FALSE(proves(forged, c.roots[4]));

  CHECK(c.store->prove_state("x", 5).status().code() == Code::kNotFound);
  CHECK(c.store->prove_state(std::string(storage::kHistoryStateKey), 4).status().code() == Code::kInvalidArgument);
}

TEST_CASE("the store keeps the trees of its last heights only") {
  TempDir dir;
  Chain c{open_store(dir.db(), with_tree())};
  REQUIRE(c.store->init_genesis(genesis_hash("tree"), WriteSet{{"a", "0"}}));
  apply_writes(c.state, WriteSet{{"a", "0"}});
  const std::size_t kept = storage::Store::kTreeHeightsKept;
  for (std::size_t i = 1; i <= kept + 5; ++i) c.commit({{"a", std::to_string(i)}});
  const auto heights = c.store->tree_heights();
  REQUIRE(heights.size() == kept);
  CHECK(heights.back() == c.height);
  CHECK(heights.front() == c.height - kept + 1);
  auto old = c.store->prove_state("a", heights.front() - 1);
  CHECK(old.status().code() == Code::kNotFound);
  CHECK(old.status().message().find("is not kept") != std::string::npos);
  auto oldest = c.store->prove_state("a", heights.front());
  REQUIRE(oldest);
  CHECK(*oldest->value == std::to_string(heights.front()));
  CHECK(proves(*oldest, c.roots[heights.front()]));
}

TEST_CASE("a run of blocks keeps a tree for each of its blocks") {
  TempDir dir;
  Chain c{open_store(dir.db(), with_tree())};
  REQUIRE(c.store->init_genesis(genesis_hash("tree"), WriteSet{{"a", "0"}}));
  apply_writes(c.state, WriteSet{{"a", "0"}});
  auto run = c.store->begin_run();
  for (std::uint64_t h = 1; h <= 3; ++h) {
    const WriteSet writes{{"a", "run " + std::to_string(h)}};
    auto b = make_block(h, c.prev, 1000 + h, 2);
    apply_block(c.state, h, writes, b.receipts, storage::Options{}.state_commitment, /*state_tree=*/true);
    auto root = run->add(h, b.hash, b.block, 1000 + h, b.receipts, writes);
    REQUIRE(root);
    c.roots[h] = *root;
    c.prev = b.hash;
  }
  REQUIRE(run->commit());
  run.reset();
  CHECK(c.store->state_root() == tree_state_root(c.state));
  for (std::uint64_t h = 1; h <= 3; ++h) {
    auto p = c.store->prove_state("a", h);
    REQUIRE(p);
    CHECK(*p->value == "run " + std::to_string(h));
    CHECK(proves(*p, c.roots[h]));
  }
}

TEST_CASE("a run told where it ends keeps the trees of its last heights only, with the same roots") {
  const std::size_t kept = storage::Store::kTreeHeightsKept;
  const std::uint64_t planned = kept + 40;
  for (const std::uint64_t staged : {planned, std::uint64_t{20}, kept + 10}) {
    DYNAMIC_SECTION(staged << " of " << planned << " planned blocks staged") {
      TempDir dir;
      Chain c{open_store(dir.db(), with_tree())};
      REQUIRE(c.store->init_genesis(genesis_hash("tree"), WriteSet{{"a", "0"}, {"b", "0"}}));
      apply_writes(c.state, WriteSet{{"a", "0"}, {"b", "0"}});
      for (std::uint64_t h = 1; h <= 3; ++h) c.commit({{"b", "before " + std::to_string(h)}});
      auto run = c.store->begin_run(3 + planned);  // heights 4..3+planned
      for (std::uint64_t h = 4; h < 4 + staged; ++h) {
        WriteSet writes{{"a", "run " + std::to_string(h)}};
        if (h % 3 == 0) writes.emplace("k/" + std::to_string(h), "new");
        if (h % 7 == 0) writes.emplace("k/" + std::to_string(h - 3), std::nullopt);
        auto b = make_block(h, c.prev, 1000 + h, 2);
        apply_block(c.state, h, writes, b.receipts, storage::Options{}.state_commitment, /*state_tree=*/true);
        auto root = run->add(h, b.hash, b.block, 1000 + h, b.receipts, writes);
        REQUIRE(root);
        // Each block's root is the state's, whether its tree is kept or updated in place.
        REQUIRE(*root == tree_state_root(c.state));
        c.roots[h] = *root;
        c.prev = b.hash;
        c.height = h;
      }
      REQUIRE(run->commit());
      run.reset();
      const auto heights = c.store->tree_heights();
      REQUIRE_FALSE(heights.empty());
      CHECK(heights.back() == c.height);
      // One unbroken range ending at the head: the planned tail, or the head alone when the run
      // ended before it.
      CHECK(heights.back() - heights.front() + 1 == heights.size());
      CHECK(heights.size() == (staged + kept > planned ? staged + kept - planned : 1));
      for (const std::uint64_t h : heights) {
        auto p = c.store->prove_state("a", h);
        REQUIRE(p);
        CHECK(*p->value == "run " + std::to_string(h));
        CHECK(proves(*p, c.roots[h]));
      }
      auto below = c.store->prove_state("a", heights.front() - 1);
      CHECK(below.status().code() == Code::kNotFound);
      CHECK(below.status().message().find("is not kept") != std::string::npos);
      // The next block, committed alone, joins the kept range.
      c.commit({{"a", "after"}});
      CHECK(c.store->tree_heights().back() == c.height);
      auto after = c.store->prove_state("a", c.height - 1);
      REQUIRE(after);
      CHECK(proves(*after, c.roots[c.height - 1]));
    }
  }
}

TEST_CASE("a reopened store rebuilds its tree and proves the heights below whose tree was the same") {
  TempDir dir;
  std::map<std::uint64_t, crypto::Hash> roots;
  {
    Chain c{open_store(dir.db(), with_tree())};
    REQUIRE(c.store->init_genesis(genesis_hash("tree"), WriteSet{{"a", "0"}}));
    apply_writes(c.state, WriteSet{{"a", "0"}});
    c.commit({{"a", "1"}});
    c.commit({{"b", "2"}});
    c.commit({}, 0);  // an empty block: only chain/history changes, which the tree leaves out
    roots = c.roots;
  }
  auto store = open_store(dir.db(), with_tree());
  CHECK(store->state_root() == roots[3]);
  CHECK(store->tree_heights() == std::vector<std::uint64_t>{2, 3});
  auto p = store->prove_state("b", 2);
  REQUIRE(p);
  CHECK(proves(*p, roots[2]));
  CHECK(store->prove_state("b", 1).status().code() == Code::kNotFound);

  // The record of the tree is the chain's: opening without it (or a tree-less store with it) fails.
  store.reset();
  storage::Options without = with_tree();
  without.state_tree = false;
  auto wrong = storage::Store::open(dir.db(), without);
  REQUIRE_FALSE(wrong);
  CHECK(wrong.status().code() == Code::kFailedPrecondition);
  CHECK(wrong.status().message().find("with a state tree") != std::string::npos);
}

TEST_CASE("a restored snapshot gets its tree from the entries, which must hash to the combined root") {
  TempDir src_dir, dst_dir;
  Chain c{open_store(src_dir.db(), with_tree())};
  REQUIRE(c.store->init_genesis(genesis_hash("tree"), WriteSet{{"a", "0"}}));
  apply_writes(c.state, WriteSet{{"a", "0"}});
  c.commit({{"a", "1"}, {"b", "x"}});
  c.commit({{"c", "y"}});
  auto snap = c.store->snapshot();
  std::vector<std::pair<std::string, std::string>> entries;
  snap->for_each("", [&](std::string_view k, std::string_view v) {
    entries.emplace_back(std::string(k), std::string(v));
    return true;
  });
  auto dst = open_store(dst_dir.db(), with_tree());
  REQUIRE(dst->init_genesis(genesis_hash("tree"), WriteSet{{"a", "0"}}));
  // The LtHash root alone is not the state root of a chain with a tree.
  CHECK(dst->restore_snapshot(2, snap->block_hash(), *snap->block(), snap->timestamp_ms(), root_of(c.state), entries)
            .code() == Code::kInvalidArgument);
  REQUIRE(dst->restore_snapshot(2, snap->block_hash(), *snap->block(), snap->timestamp_ms(), snap->state_root(), entries));
  CHECK(dst->state_root() == c.roots[2]);
  auto p = dst->prove_state("c", 2);
  REQUIRE(p);
  CHECK(proves(*p, c.roots[2]));
  REQUIRE(dst->verify_state());
}
