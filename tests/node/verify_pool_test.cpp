// The verification pool.
//   a batch comes back with one result per transaction, in order, each bad one at its place
//   with the reason tx::verify gives, from submit() and from verify()
//   what verified is remembered by its exact signed bytes: other bytes (a bad signature on the
//   same body) are not; the oldest are forgotten beyond the bound
//   a batch beyond the queue bound is refused while the queue is full, and accepted again once
//   it drained; the pool finishes queued work before it is destroyed
#include <catch2/catch.hpp>

#include <future>

#include "node/verify_pool.hpp"

using namespace sharechain;
using node::VerifyPool;

namespace {

SignedTransaction transfer(const crypto::PrivateKey& key, std::uint64_t nonce, std::string chain = "test-chain") {
  TransactionBody body;
  body.set_chain_id(std::move(chain));
  body.set_nonce(nonce);
  body.set_sender(key.address());
  body.mutable_ledger();
  return tx::sign(body, key);
}

std::vector<SignedTransaction> mixed(const crypto::PrivateKey& key, const crypto::PrivateKey& other, std::size_t n) {
  std::vector<SignedTransaction> txs;
  for (std::size_t i = 0; i < n; ++i) {
    SignedTransaction t = transfer(key, i, i % 7 == 3 ? "other-chain" : "test-chain");
    if (i % 5 == 2) t.set_signature(other.sign(tx::signing_hash(t.body())));
    txs.push_back(std::move(t));
  }
  return txs;
}

void check_in_order(const std::vector<SignedTransaction>& txs, const VerifyPool::Results& results) {
  REQUIRE(results.size() == txs.size());
  for (std::size_t i = 0; i < txs.size(); ++i) {
    INFO("transaction " << i);
    const auto alone = tx::verify(txs[i], "test-chain");
    REQUIRE(results[i].is_ok() == alone.is_ok());
    if (alone) {
      CHECK(results[i]->hash == alone->hash);
      CHECK(results[i]->body.nonce() == i);
    } else {
      CHECK(results[i].status().message() == alone.status().message());
    }
  }
}

}  // namespace

TEST_CASE("a batch is verified in order, each bad transaction at its place") {
  const auto key = crypto::PrivateKey::generate();
  const auto other = crypto::PrivateKey::generate();
  VerifyPool pool("test-chain", 3, 100000, 1000);
  const auto txs = mixed(key, other, 203);  // not a multiple of the chunk size
  check_in_order(txs, pool.verify(txs));

  std::promise<VerifyPool::Results> answered;
  REQUIRE(pool.submit(txs, [&](VerifyPool::Results r) { answered.set_value(std::move(r)); }));
  check_in_order(txs, answered.get_future().get());
  CHECK(pool.queued() == 0);
  CHECK(pool.verifications() == 2 * txs.size());
  CHECK(pool.verify({}).empty());
}

TEST_CASE("what verified is remembered by its exact bytes, within a bound") {
  const auto key = crypto::PrivateKey::generate();
  const auto other = crypto::PrivateKey::generate();
  VerifyPool pool("test-chain", 2, 100000, 50);
  std::vector<SignedTransaction> txs;
  for (std::uint64_t i = 0; i < 60; ++i) txs.push_back(transfer(key, i));
  SignedTransaction forged = transfer(key, 100);
  forged.set_signature(other.sign(tx::signing_hash(forged.body())));
  txs.push_back(forged);
  pool.verify(txs);
  CHECK_FALSE(pool.verified_before(forged.SerializeAsString()));
  // The same body with its good signature was never seen; the forged one failed.
  CHECK_FALSE(pool.verified_before(transfer(key, 100).SerializeAsString()));
  for (std::size_t i = 10; i < 60; ++i) CHECK(pool.verified_before(txs[i].SerializeAsString()));
  // Only the last 50 are remembered.
  for (std::size_t i = 0; i < 10; ++i) CHECK_FALSE(pool.verified_before(txs[i].SerializeAsString()));
}

TEST_CASE("a full queue refuses a batch until it drains") {
  const auto key = crypto::PrivateKey::generate();
  std::vector<SignedTransaction> big;
  for (std::uint64_t i = 0; i < 3000; ++i) big.push_back(transfer(key, i));
  std::promise<void> first_done, third_done;
  {
    VerifyPool pool("test-chain", 1, 3000, 10);
    REQUIRE(pool.submit(big, [&](VerifyPool::Results r) {
      CHECK(r.size() == 3000);
      first_done.set_value();
    }));
    // 3,000 signatures take one worker far longer than this call: the queue is full.
    bool refused_ran = false;
    CHECK_FALSE(pool.submit({transfer(key, 0)}, [&](VerifyPool::Results) { refused_ran = true; }));
    first_done.get_future().wait();
    REQUIRE(pool.submit({transfer(key, 1)}, [&](VerifyPool::Results r) {
      CHECK(r.size() == 1);
      third_done.set_value();
    }));
    CHECK_FALSE(refused_ran);
  }  // destroyed: queued work finished first
  CHECK(third_done.get_future().wait_for(std::chrono::seconds(0)) == std::future_status::ready);
}
