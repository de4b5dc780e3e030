// Mempool admission and ordering.
//   admits a valid transaction once; the same one again is ALREADY_EXISTS
//   replayed nonce (below the committed one) and gapped nonce are FAILED_PRECONDITION
//   another transaction with a pending nonce is FAILED_PRECONDITION naming the pending one
//   an account holds at most max_pending_per_account pending (RESOURCE_EXHAUSTED), and
//   next_nonce counts its pending transactions up to the first hole
//   a duplicate of a transaction the store already committed, before the mempool heard of the
//   commit, is FAILED_PRECONDITION "already used"
//   bad signature / wrong chain id are INVALID_ARGUMENT and leave nothing behind
//   full mempool is RESOURCE_EXHAUSTED
//   ready transactions come out once, in nonce order per sender
//   a nonce gap allowance counts from the first missing nonce, however many are pending beyond
//   it (found by the api_submit fuzz target)
//   a commit removes included transactions and drops ones that can no longer execute
#include <catch2/catch.hpp>

#include <map>

#include "node/mempool.hpp"

using namespace sharechain;
using node::Mempool;

namespace {
struct Fixture {
  std::map<std::string, std::uint64_t> committed;
  crypto::PrivateKey alice = crypto::PrivateKey::generate();
  crypto::PrivateKey bob = crypto::PrivateKey::generate();

  Mempool make(Mempool::Limits limits = {}) {
    return Mempool(limits, "test-chain", [this](std::string_view a) {
      auto it = committed.find(std::string(a));
      return it == committed.end() ? 0 : it->second;
    });
  }
  SignedTransaction tx(const crypto::PrivateKey& key, std::uint64_t nonce, std::string chain = "test-chain") {
    TransactionBody body;
    body.set_chain_id(std::move(chain));
    body.set_nonce(nonce);
    body.set_sender(key.address());
    body.mutable_ledger();
    return tx::sign(body, key);
  }
};
}  // namespace

TEST_CASE_METHOD(Fixture, "admission rules") {
  Mempool pool = make();
  auto first = pool.add(tx(alice, 0));
  REQUIRE(first.is_ok());
  CHECK(pool.contains(*first));
  CHECK(pool.size() == 1);

  SECTION("the same transaction twice") {
    SignedTransaction t = tx(alice, 1);
    REQUIRE(pool.add(t).is_ok());
    CHECK(pool.add(t).status().code() == Code::kAlreadyExists);
  }
  SECTION("resent after its block reached the store, before the mempool heard of the commit") {
    SignedTransaction t = tx(alice, 1);
    REQUIRE(pool.add(t).is_ok());
    committed[alice.address()] = 2;  // the block holding nonces 0 and 1 is in the store
    for (const SignedTransaction& again : {t, tx(alice, 1)}) {
      auto r = pool.add(again);
      CHECK(r.status().code() == Code::kFailedPrecondition);
      CHECK_THAT(r.status().message(), Catch::Contains("already used") && Catch::Contains("next nonce is 2"));
    }
  }
  SECTION("replayed nonce") {
    committed[alice.address()] = 5;
    Mempool fresh = make();
    auto r = fresh.add(tx(alice, 3));
    CHECK(r.status().code() == Code::kFailedPrecondition);
    CHECK_THAT(r.status().message(), Catch::Contains("already used") && Catch::Contains("next nonce is 5"));
    CHECK(fresh.size() == 0);
  }
  SECTION("gapped nonce") {
    auto r = pool.add(tx(alice, 2));
    CHECK(r.status().code() == Code::kFailedPrecondition);
    CHECK_THAT(r.status().message(), Catch::Contains("gap") && Catch::Contains("next nonce is 1"));
  }
  SECTION("a different transaction with a pending nonce") {
    TransactionBody body;
    body.set_chain_id("test-chain");
    body.set_nonce(0);
    body.set_sender(alice.address());
    body.set_expires_at_height(99);  // different bytes, same nonce
    body.mutable_ledger();
    auto r = pool.add(tx::sign(body, alice));
    CHECK(r.status().code() == Code::kFailedPrecondition);
    CHECK_THAT(r.status().message(), Catch::Contains("taken by pending transaction " + crypto::to_hex(*first)));
  }
  SECTION("bad signature and wrong chain leave nothing") {
    SignedTransaction t = tx(bob, 0);
    t.set_signature(alice.sign(tx::signing_hash(t.body())));
    CHECK(pool.add(t).status().code() == Code::kInvalidArgument);
    CHECK(pool.add(tx(bob, 0, "other")).status().code() == Code::kInvalidArgument);
    CHECK(pool.size() == 1);
    CHECK(pool.add(tx(bob, 0)).is_ok());  // bob's nonce 0 is still free
  }
}

TEST_CASE_METHOD(Fixture, "a full mempool refuses with RESOURCE_EXHAUSTED") {
  Mempool pool = make(Mempool::Limits{2, 1 << 20, 0});
  REQUIRE(pool.add(tx(alice, 0)).is_ok());
  REQUIRE(pool.add(tx(alice, 1)).is_ok());
  auto r = pool.add(tx(bob, 0));
  CHECK(r.status().code() == Code::kResourceExhausted);
  CHECK_THAT(r.status().message(), Catch::Contains("full"));
}

TEST_CASE_METHOD(Fixture, "ready transactions come out once, in nonce order") {
  Mempool pool = make(Mempool::Limits{100, 1 << 20, 3});
  // With a gap allowance, nonce 2 may arrive before 1 but is not ready until 1 arrives.
  auto h0 = *pool.add(tx(alice, 0));
  auto h2 = *pool.add(tx(alice, 2));
  auto ready = pool.take_ready();
  REQUIRE(ready.size() == 1);
  CHECK(ready[0].hash == h0);
  auto h1 = *pool.add(tx(alice, 1));
  ready = pool.take_ready();
  REQUIRE(ready.size() == 2);
  CHECK(ready[0].hash == h1);
  CHECK(ready[1].hash == h2);
  CHECK(pool.take_ready().empty());
}

TEST_CASE_METHOD(Fixture, "one account holds at most max_pending_per_account; next_nonce counts them") {
  Mempool::Limits limits{100, 1 << 20, 1};
  limits.max_pending_per_account = 3;
  Mempool pool = make(limits);
  CHECK(pool.next_nonce(alice.address()) == 0);
  REQUIRE(pool.add(tx(alice, 0)).is_ok());
  REQUIRE(pool.add(tx(alice, 1)).is_ok());
  CHECK(pool.next_nonce(alice.address()) == 2);
  REQUIRE(pool.add(tx(alice, 3)).is_ok());  // beyond a hole: pending, but not counted
  CHECK(pool.next_nonce(alice.address()) == 2);
  auto r = pool.add(tx(alice, 2));
  CHECK(r.status().code() == Code::kResourceExhausted);
  CHECK_THAT(r.status().message(), Catch::Contains("max_pending_per_account"));
  CHECK(pool.add(tx(bob, 0)).is_ok());  // another account is not held back
  CHECK(pool.size() == 4);
}

TEST_CASE_METHOD(Fixture, "a nonce gap allowance counts from the first missing nonce") {
  Mempool pool = make(Mempool::Limits{100, 1 << 20, 1});
  REQUIRE(pool.add(tx(alice, 1)).is_ok());  // 0 is missing: 1 is within the allowance
  auto r = pool.add(tx(alice, 2));          // two beyond the missing 0
  CHECK(r.status().code() == Code::kFailedPrecondition);
  CHECK_THAT(r.status().message(), Catch::Contains("gap") && Catch::Contains("next nonce is 0"));
  REQUIRE(pool.add(tx(alice, 0)).is_ok());
  CHECK(pool.add(tx(alice, 3)).is_ok());  // next is 2 now: 3 is within the allowance
  CHECK(pool.size() == 3);
}

TEST_CASE_METHOD(Fixture, "commit removes included and drops dead transactions") {
  Mempool pool = make(Mempool::Limits{100, 1 << 20, 3});
  auto a0 = *pool.add(tx(alice, 0));
  auto a1 = *pool.add(tx(alice, 1));
  auto a3 = *pool.add(tx(alice, 3));  // waits for 2
  (void)pool.take_ready();
  // The block holds a0 only, yet the chain says alice's next nonce is now 2 (another
  // transaction with nonce 1 committed through a different node): a1 can never execute, and a3
  // sits behind the hole at 2, so both go.
  committed[alice.address()] = 2;
  auto dropped = pool.on_committed({a0}, {alice.address()});
  REQUIRE(dropped.size() == 2);
  CHECK(std::find(dropped.begin(), dropped.end(), a1) != dropped.end());
  CHECK(std::find(dropped.begin(), dropped.end(), a3) != dropped.end());
  CHECK(pool.size() == 0);
  CHECK_FALSE(pool.contains(a0));
  // Nonce 2 is admissible again after the commit.
  CHECK(pool.add(tx(alice, 2)).is_ok());
}
