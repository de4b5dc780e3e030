// The client API of one in-process validator, end to end over gRPC on loopback.
//   a transfer commits and both balances move by the amount; status, block, tx, account answer
//   bad input, each refused with its gRPC status and a readable message, changing nothing:
//     malformed body bytes, signature by another key, non-canonical signature (s >= n),
//     wrong chain id, replayed nonce, a committed transaction sent again (ALREADY_EXISTS with
//     the earlier height and receipt), gapped nonce, more than the balance, zero amount,
//     overflowing amount, issue without the role, unknown role, oversized transaction,
//     an address of the wrong length, full mempool
//   a client that opens hundreds of block streams gets RESOURCE_EXHAUSTED beyond [api]
//   max_subscriptions, and the node keeps serving
//   SubmitTransactions: every refusal of SubmitTransaction through a batch, each with the same
//     code and message, while the good transactions of the batch are admitted and commit;
//     a message over [api] max_batch_txs or max_batch_bytes ends the stream with
//     RESOURCE_EXHAUSTED naming the limit, and changes nothing
#include <catch2/catch.hpp>
#include <grpcpp/grpcpp.h>

#include <fstream>
#include <functional>
#include <iterator>
#include <thread>

#include "node/config.hpp"
#include "node/node.hpp"
#include "sharechain/api.grpc.pb.h"
#include "tests/node/running_node.hpp"

using namespace sharechain;
using sharechain::testing::Running;

namespace {

void expect_refused(Running& r, const SignedTransaction& tx, grpc::StatusCode code, const std::string& words) {
  const std::uint64_t h_before = r.node->chain().store().height();
  const auto root_before = r.node->chain().store().state_root();
  auto s = r.submit(tx, false);
  INFO("message: " << s.error_message());
  CHECK(s.error_code() == code);
  CHECK_THAT(s.error_message(), Catch::Contains(words, Catch::CaseSensitive::No));
  CHECK(r.node->mempool().size() == 0);
  // Nothing changed: no new block carried it and the state is the same.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (r.node->chain().store().height() == h_before) CHECK(r.node->chain().store().state_root() == root_before);
}

}  // namespace

TEST_CASE("a transfer commits through the API and moves balances exactly") {
  Running r(27100);
  const std::string u2 = r.home->keys.at("user2").address();
  const std::string u1 = r.home->keys.at("user1").address();
  api::SubmitResponse resp;
  auto s = r.submit(tx::sign(r.transfer_body("user1", u2, 2500), r.home->keys.at("user1")), true, &resp);
  REQUIRE(s.ok());
  CHECK(resp.status() == api::TX_COMMITTED);
  CHECK(resp.receipt().status() == RECEIPT_OK);
  CHECK(resp.height() >= 1);
  CHECK(r.balance_of(u2) == r.home->user_balance + 2500);
  CHECK(r.balance_of(u1) == r.home->user_balance - 2500);
  CHECK(r.nonce_of("user1") == 1);

  grpc::ClientContext c1;
  api::GetTransactionRequest treq;
  treq.set_tx_hash(resp.tx_hash());
  api::TransactionInfo info;
  REQUIRE(r.stub->GetTransaction(&c1, treq, &info).ok());
  CHECK(info.status() == api::TX_COMMITTED);
  CHECK(info.height() == resp.height());

  grpc::ClientContext c2;
  api::GetBlockRequest breq;
  breq.set_height(resp.height());
  api::BlockInfo block;
  REQUIRE(r.stub->GetBlock(&c2, breq, &block).ok());
  CHECK(block.block().transactions_size() >= 1);
  CHECK(block.block().certificate().votes_size() == 1);
  CHECK(block.state_root().size() == 32);

  grpc::ClientContext c3;
  api::NodeStatus status;
  REQUIRE(r.stub->GetStatus(&c3, api::GetStatusRequest{}, &status).ok());
  CHECK(status.chain_id() == "test-chain");
  CHECK(status.validators() == 1);
  CHECK(status.height() >= resp.height());
}

TEST_CASE("bad input is refused with a status and a reason, and changes nothing") {
  Running r(27110);
  const auto& user1 = r.home->keys.at("user1");
  const auto& user2 = r.home->keys.at("user2");
  const std::string u2 = user2.address();

  SECTION("malformed body bytes") {
    SignedTransaction t = tx::sign(r.transfer_body("user1", u2, 1), user1);
    t.set_body("\x0a\xff\xff");
    t.set_signature(user1.sign(tx::signing_hash(t.body())));
    expect_refused(r, t, grpc::StatusCode::INVALID_ARGUMENT, "not a valid TransactionBody");
  }
  SECTION("signature by another key") {
    SignedTransaction t = tx::sign(r.transfer_body("user1", u2, 1), user1);
    t.set_signature(user2.sign(tx::signing_hash(t.body())));
    expect_refused(r, t, grpc::StatusCode::INVALID_ARGUMENT, "signature does not verify");
  }
  SECTION("non-canonical signature: s equal to the group order") {
    SignedTransaction t = tx::sign(r.transfer_body("user1", u2, 1), user1);
    std::string sig = t.signature();
    sig.replace(32, 32, *crypto::from_hex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141"));
    t.set_signature(sig);
    expect_refused(r, t, grpc::StatusCode::INVALID_ARGUMENT, "signature does not verify");
  }
  SECTION("wrong chain id") {
    TransactionBody b = r.transfer_body("user1", u2, 1);
    b.set_chain_id("someone-elses-chain");
    expect_refused(r, tx::sign(b, user1), grpc::StatusCode::INVALID_ARGUMENT, "someone-elses-chain");
  }
  SECTION("replayed nonce") {
    // Another body with a nonce a committed transaction used.
    const TransactionBody first = r.transfer_body("user1", u2, 7);
    REQUIRE(r.submit(tx::sign(first, user1), true).ok());
    auto s = r.submit(tx::sign(r.transfer_body("user1", u2, 8, first.nonce()), user1), false);
    CHECK(s.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
    CHECK_THAT(s.error_message(), Catch::Contains("already used"));
    CHECK(r.balance_of(u2) == r.home->user_balance + 7);
  }
  SECTION("a committed transaction sent again") {
    // The same body (a fresh signature changes nothing: the hash is over the body): the answer
    // names the earlier commit, with its height and receipt in the status details.
    api::SubmitResponse committed;
    const TransactionBody body = r.transfer_body("user1", u2, 7);
    REQUIRE(r.submit(tx::sign(body, user1), true, &committed).ok());
    grpc::ClientContext ctx;
    api::SubmitRequest req;
    *req.mutable_transaction() = tx::sign(body, user1);
    api::SubmitResponse resp;
    auto s = r.stub->SubmitTransaction(&ctx, req, &resp);
    CHECK(s.error_code() == grpc::StatusCode::ALREADY_EXISTS);
    CHECK_THAT(s.error_message(),
               Catch::Contains("already committed at height " + std::to_string(committed.height())));
    api::SubmitResponse earlier;
    REQUIRE(earlier.ParseFromString(s.error_details()));
    CHECK(earlier.status() == api::TX_COMMITTED);
    CHECK(earlier.height() == committed.height());
    CHECK(earlier.tx_hash() == committed.tx_hash());
    CHECK(earlier.receipt().SerializeAsString() == committed.receipt().SerializeAsString());
    // Every answer says which height it was read at and that this node is synced.
    const auto& md = ctx.GetServerTrailingMetadata();
    const auto& initial = ctx.GetServerInitialMetadata();
    const bool has_synced = md.count("sharechain-synced") + initial.count("sharechain-synced") > 0;
    CHECK(has_synced);
    CHECK(r.balance_of(u2) == r.home->user_balance + 7);
  }
  SECTION("gapped nonce") {
    expect_refused(r, tx::sign(r.transfer_body("user1", u2, 1, 5), user1),
                   grpc::StatusCode::FAILED_PRECONDITION, "gap");
  }
  SECTION("more than the balance") {
    expect_refused(r, tx::sign(r.transfer_body("user1", u2, r.home->user_balance + 1), user1),
                   grpc::StatusCode::FAILED_PRECONDITION, "insufficient funds");
  }
  SECTION("zero amount") {
    expect_refused(r, tx::sign(r.transfer_body("user1", u2, 0), user1), grpc::StatusCode::INVALID_ARGUMENT,
                   "amount");
  }
  SECTION("overflowing amount") {
    // user2 already holds a balance; a huge issue to it would overflow the supply.
    TransactionBody b;
    b.set_chain_id(r.home->chain_id);
    b.set_sender(r.home->keys.at("dataserver").address());
    b.set_nonce(0);
    auto* issue = b.mutable_ledger()->mutable_issue();
    issue->set_to(u2);
    issue->set_amount(std::numeric_limits<std::uint64_t>::max());
    issue->set_reference("payment-overflow");
    auto s = r.submit(tx::sign(b, r.home->keys.at("dataserver")), false);
    CHECK_FALSE(s.ok());
    CHECK_THAT(s.error_message(), Catch::Contains("overflow", Catch::CaseSensitive::No));
    CHECK(r.balance_of(u2) == r.home->user_balance);
  }
  SECTION("issue without the role") {
    TransactionBody b;
    b.set_chain_id(r.home->chain_id);
    b.set_sender(user1.address());
    b.set_nonce(0);
    auto* issue = b.mutable_ledger()->mutable_issue();
    issue->set_to(u2);
    issue->set_amount(100);
    issue->set_reference("payment-1");
    expect_refused(r, tx::sign(b, user1), grpc::StatusCode::PERMISSION_DENIED, "data_server");
  }
  SECTION("unknown role") {
    TransactionBody b;
    b.set_chain_id(r.home->chain_id);
    b.set_sender(r.home->keys.at("operator").address());
    b.set_nonce(0);
    auto* grant = b.mutable_ledger()->mutable_grant_role();
    grant->set_account(u2);
    grant->set_role("emperor");
    expect_refused(r, tx::sign(b, r.home->keys.at("operator")), grpc::StatusCode::INVALID_ARGUMENT, "emperor");
  }
  SECTION("oversized transaction") {
    TransactionBody b = r.transfer_body("user1", u2, 1);
    b.mutable_ledger()->mutable_transfer()->set_memo(std::string(70 * 1024, 'x'));
    expect_refused(r, tx::sign(b, user1), grpc::StatusCode::RESOURCE_EXHAUSTED, "limit");
  }
  SECTION("an address of the wrong length") {
    grpc::ClientContext ctx;
    api::GetAccountRequest req;
    req.set_address(std::string(19, 'a'));
    ledger::Account acct;
    auto s = r.stub->GetAccount(&ctx, req, &acct);
    CHECK(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK_THAT(s.error_message(), Catch::Contains("20 bytes"));
  }
}

TEST_CASE("a full mempool refuses with RESOURCE_EXHAUSTED") {
  // Nonces 1..3 wait for nonce 0, so they stay in the mempool and fill it deterministically.
  Running r(27120, "[mempool]\nmax_txs = 3\nmax_nonce_gap = 8\n");
  const auto& user1 = r.home->keys.at("user1");
  const std::string u2 = r.home->keys.at("user2").address();
  for (std::uint64_t n = 1; n <= 3; ++n) {
    REQUIRE(r.submit(tx::sign(r.transfer_body("user1", u2, 1, n), user1), false).ok());
  }
  auto s = r.submit(tx::sign(r.transfer_body("user1", u2, 1, 4), user1), false);
  CHECK(s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
  CHECK_THAT(s.error_message(), Catch::Contains("full"));
}

TEST_CASE("a client opening streams in a loop gets RESOURCE_EXHAUSTED beyond the limit") {
  Running r(27130, [](std::string& config) {
    config.replace(config.find("[api]\n"), 6, "[api]\nmax_subscriptions = 16\n");
  });
  REQUIRE(r.node->config().api_max_subscriptions == 16);
  // Hundreds of streams over a handful of connections, as a runaway client would open them.
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < 4; ++i) {
    grpc::ChannelArguments args;
    args.SetInt("sharechain-test-channel", i);  // distinct connections
    channels.push_back(
        grpc::CreateCustomChannel(r.home->api_address, grpc::InsecureChannelCredentials(), args));
  }
  struct Open {
    std::unique_ptr<grpc::ClientContext> ctx;
    std::unique_ptr<grpc::ClientReader<api::BlockInfo>> reader;
  };
  std::vector<Open> open;
  int refused = 0;
  for (int i = 0; i < 300; ++i) {
    auto stub = api::Client::NewStub(channels[i % channels.size()]);
    Open o;
    o.ctx = std::make_unique<grpc::ClientContext>();
    o.ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    api::SubscribeRequest req;  // from the next block on: nothing to send yet
    o.reader = stub->SubscribeBlocks(o.ctx.get(), req);
    // A refused stream ends at once; an accepted one waits for a block. Telling them apart
    // without waiting: the refused one's initial metadata never comes, its Finish does.
    o.reader->WaitForInitialMetadata();
    open.push_back(std::move(o));
  }
  // Each stream was opened only once the node had answered the one before (its initial
  // metadata, sent at once for an accepted stream and with the status for a refused one), so
  // the first 16 hold the node's slots and every later one was refused. A refused stream has
  // its status already; an accepted one waits for blocks and is cancelled here.
  int accepted = 0;
  for (std::size_t i = 0; i < open.size(); ++i) {
    if (i < 16) open[i].ctx->TryCancel();
    const grpc::Status s = open[i].reader->Finish();
    if (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      ++refused;
      CHECK_THAT(s.error_message(), Catch::Contains("[api] max_subscriptions"));
    } else if (s.error_code() == grpc::StatusCode::CANCELLED) {
      ++accepted;
    }
  }
  CHECK(accepted == 16);
  CHECK(refused == 300 - 16);
  // The node kept serving, and with the streams gone a new one is welcome.
  grpc::ClientContext ctx;
  api::NodeStatus status;
  REQUIRE(r.stub->GetStatus(&ctx, api::GetStatusRequest(), &status).ok());
  grpc::ClientContext sub_ctx;
  auto reader = r.stub->SubscribeBlocks(&sub_ctx, api::SubscribeRequest());
  reader->WaitForInitialMetadata();
  sub_ctx.TryCancel();
  CHECK(reader->Finish().error_code() == grpc::StatusCode::CANCELLED);
}

TEST_CASE("SubmitTransactions answers each transaction as SubmitTransaction would, in order") {
  Running r(27200);
  const auto& user1 = r.home->keys.at("user1");
  const auto& user2 = r.home->keys.at("user2");
  const std::string u2 = user2.address();
  // A transaction committed before this batch, to be sent again inside it.
  const TransactionBody first = r.transfer_body("user1", u2, 7);
  api::SubmitResponse committed;
  REQUIRE(r.submit(tx::sign(first, user1), true, &committed).ok());
  const std::uint64_t n = first.nonce() + 1;

  std::vector<SignedTransaction> batch;
  std::vector<std::pair<grpc::StatusCode, std::string>> expected;
  auto add = [&](SignedTransaction t, grpc::StatusCode code, std::string words) {
    batch.push_back(std::move(t));
    expected.emplace_back(code, std::move(words));
  };
  add(tx::sign(r.transfer_body("user1", u2, 1, n), user1), grpc::StatusCode::OK, "");
  add(tx::sign(r.transfer_body("user1", u2, 2, n + 1), user1), grpc::StatusCode::OK, "");
  {
    SignedTransaction t = tx::sign(r.transfer_body("user2", u2, 1, 0), user2);
    t.set_signature(user1.sign(tx::signing_hash(t.body())));
    add(t, grpc::StatusCode::INVALID_ARGUMENT, "signature does not verify");
  }
  {
    TransactionBody b = r.transfer_body("user2", u2, 1, 0);
    b.set_chain_id("someone-elses-chain");
    add(tx::sign(b, user2), grpc::StatusCode::INVALID_ARGUMENT, "someone-elses-chain");
  }
  add(tx::sign(r.transfer_body("user1", u2, 8, first.nonce()), user1), grpc::StatusCode::FAILED_PRECONDITION,
      "already used");
  add(tx::sign(first, user1), grpc::StatusCode::ALREADY_EXISTS,
      "already committed at height " + std::to_string(committed.height()));
  add(tx::sign(r.transfer_body("user1", u2, 1, n + 9), user1), grpc::StatusCode::FAILED_PRECONDITION, "gap");
  {
    TransactionBody b = r.transfer_body("user2", u2, 1, 0);
    b.mutable_ledger()->mutable_transfer()->set_memo(std::string(70 * 1024, 'x'));
    add(tx::sign(b, user2), grpc::StatusCode::RESOURCE_EXHAUSTED, "limit");
  }
  {
    TransactionBody b;
    b.set_chain_id(r.home->chain_id);
    b.set_sender(user2.address());
    b.set_nonce(0);
    auto* issue = b.mutable_ledger()->mutable_issue();
    issue->set_to(u2);
    issue->set_amount(100);
    issue->set_reference("payment-1");
    add(tx::sign(b, user2), grpc::StatusCode::PERMISSION_DENIED, "data_server");
  }
  {
    TransactionBody b;
    b.set_chain_id(r.home->chain_id);
    b.set_sender(r.home->keys.at("operator").address());
    b.set_nonce(0);
    auto* grant = b.mutable_ledger()->mutable_grant_role();
    grant->set_account(u2);
    grant->set_role("emperor");
    add(tx::sign(b, r.home->keys.at("operator")), grpc::StatusCode::INVALID_ARGUMENT, "emperor");
  }
  {
    SignedTransaction t = tx::sign(r.transfer_body("user2", u2, 1, 0), user2);
    t.set_body("\x0a\xff\xff");
    t.set_signature(user2.sign(tx::signing_hash(t.body())));
    add(t, grpc::StatusCode::INVALID_ARGUMENT, "not a valid TransactionBody");
  }

  // Each refusal is exactly what SubmitTransaction answers for the same transaction alone.
  for (std::size_t i = 2; i < batch.size(); ++i) {
    const grpc::Status alone = r.submit(batch[i], false);
    INFO("transaction " << i << ": " << alone.error_message());
    CHECK(alone.error_code() == expected[i].first);
  }
  auto [status, resp] = r.submit_batch(batch);
  INFO(status.error_message());
  REQUIRE(status.ok());
  REQUIRE(resp.results_size() == static_cast<int>(batch.size()));
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const api::SubmitResult& res = resp.results(static_cast<int>(i));
    INFO("transaction " << i << ": " << res.message());
    CHECK(res.tx_hash() == crypto::hash_bytes(tx::hash_of(batch[i])));
    CHECK(res.code() == static_cast<std::uint32_t>(expected[i].first));
    if (expected[i].first == grpc::StatusCode::OK) {
      CHECK(res.status() == api::TX_PENDING);
      CHECK(res.message().empty());
    } else {
      CHECK_THAT(res.message(), Catch::Contains(expected[i].second, Catch::CaseSensitive::No));
      if (i > 1 && !(expected[i].first == grpc::StatusCode::ALREADY_EXISTS)) {
        CHECK(res.message() == r.submit(batch[i], false).error_message());
      }
    }
  }
  const api::SubmitResult& again = resp.results(5);
  CHECK(again.status() == api::TX_COMMITTED);
  CHECK(again.height() == committed.height());
  // The two good ones (consecutive nonces of one sender in one message) commit; nothing else.
  CHECK(r.node->mempool().size() <= 2);
  const std::uint64_t before = r.home->user_balance + 7;
  for (int i = 0; i < 100 && r.balance_of(u2) != before + 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(r.balance_of(u2) == before + 3);
  CHECK(r.nonce_of("user1") == n + 2);
  CHECK(r.nonce_of("user2") == 0);
}

TEST_CASE("a SubmitTransactions message over a limit ends the stream with RESOURCE_EXHAUSTED") {
  Running r(27210, [](std::string& config) {
    config.replace(config.find("[api]\n"), 6, "[api]\nmax_batch_txs = 3\nmax_batch_bytes = 70000\n");
  });
  const auto& user1 = r.home->keys.at("user1");
  const std::string u2 = r.home->keys.at("user2").address();
  const std::uint64_t n = r.nonce_of("user1");
  SECTION("too many transactions") {
    std::vector<SignedTransaction> batch;
    for (std::uint64_t k = 0; k < 4; ++k) batch.push_back(tx::sign(r.transfer_body("user1", u2, 1, n + k), user1));
    auto [status, resp] = r.submit_batch(batch);
    CHECK(status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
    CHECK_THAT(status.error_message(), Catch::Contains("[api] max_batch_txs"));
    CHECK_THAT(status.error_message(), Catch::Contains("holds 4 transactions"));
  }
  SECTION("too many bytes") {
    std::vector<SignedTransaction> batch;
    for (std::uint64_t k = 0; k < 2; ++k) {
      TransactionBody b = r.transfer_body("user1", u2, 1, n + k);
      b.mutable_ledger()->mutable_transfer()->set_memo(std::string(40 * 1024, 'm'));
      batch.push_back(tx::sign(b, user1));
    }
    auto [status, resp] = r.submit_batch(batch);
    CHECK(status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
    CHECK_THAT(status.error_message(), Catch::Contains("[api] max_batch_bytes"));
  }
  // Nothing was admitted, and a message within the limits is welcome afterwards.
  CHECK(r.node->mempool().size() == 0);
  auto [status, resp] = r.submit_batch({tx::sign(r.transfer_body("user1", u2, 1, n), user1)});
  REQUIRE(status.ok());
  REQUIRE(resp.results_size() == 1);
  CHECK(resp.results(0).code() == 0);
}
