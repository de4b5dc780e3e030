// GetProof on one in-process validator, over gRPC on loopback:
//   a transfer just committed is "not certified yet" (FAILED_PRECONDITION) until a later block
//   carries its history; then the answer verifies offline against the chain's validator set, its
//   receipt names the transfer, and the anchor is the next block
//   bad input: a hash of the wrong length (INVALID_ARGUMENT), an unknown hash (NOT_FOUND)
//   a proof checked against another validator set does not verify
// GetStateProof on the same kind of node: an account's entry and an absent key, each verified
// offline; an empty, oversized or chain/history key is INVALID_ARGUMENT; a chain whose genesis
// has no state tree answers FAILED_PRECONDITION.
#include <catch2/catch.hpp>
#include <grpcpp/grpcpp.h>

#include "node/node.hpp"
#include "proofs/verify.hpp"
#include "sharechain/api.grpc.pb.h"
#include "tests/node/running_node.hpp"

using namespace sharechain;
using sharechain::testing::Running;

namespace {

grpc::Status get_proof(Running& r, const std::string& hash, api::TransactionProof* out) {
  grpc::ClientContext ctx;
  api::GetProofRequest req;
  req.set_tx_hash(hash);
  return r.stub->GetProof(&ctx, req, out);
}

proofs::Trust trust_of(Running& r) {
  grpc::ClientContext ctx;
  api::NodeStatus status;
  REQUIRE(r.stub->GetStatus(&ctx, api::GetStatusRequest(), &status).ok());
  REQUIRE(status.genesis_hash().size() == 32);
  return proofs::trust_of(status.chain_id(), status.genesis_hash(), {{r.home->validator.public_key()}});
}

}  // namespace

TEST_CASE("GetProof answers a proof that verifies offline, once a later block certifies it") {
  Running r(27260);
  const std::string u2 = r.home->keys.at("user2").address();
  api::SubmitResponse first;
  REQUIRE(r.submit(tx::sign(r.transfer_body("user1", u2, 700), r.home->keys.at("user1")), true, &first).ok());

  api::TransactionProof proof;
  grpc::Status s = get_proof(r, first.tx_hash(), &proof);
  INFO(s.error_message());
  CHECK(s.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK_THAT(s.error_message(), Catch::Contains("not certified yet"));

  s = get_proof(r, "short", &proof);
  CHECK(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(s.error_message(), Catch::Contains("32 bytes"));
  s = get_proof(r, crypto::hash_bytes(crypto::sha256("never submitted")), &proof);
  CHECK(s.error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK_THAT(s.error_message(), Catch::Contains("no committed transaction"));

  api::SubmitResponse second;
  REQUIRE(r.submit(tx::sign(r.transfer_body("user1", u2, 1), r.home->keys.at("user1")), true, &second).ok());
  REQUIRE(second.height() > first.height());
  s = get_proof(r, first.tx_hash(), &proof);
  REQUIRE(s.ok());
  const proofs::Trust trust = trust_of(r);
  auto proven = proofs::verify_transaction_proof(proof, trust);
  INFO(proven.status().message());
  REQUIRE(proven);
  CHECK(crypto::hash_bytes(proven->tx_hash) == first.tx_hash());
  CHECK(proven->height == first.height());
  CHECK(proven->receipt.status() == RECEIPT_OK);
  CHECK(proven->body.ledger().transfer().amount() == 700);
  CHECK(proven->anchor_height == second.height());

  SECTION("another validator set does not certify it") {
    const proofs::Trust other =
        proofs::trust_of(trust.chain_id, trust.genesis_hash, {{crypto::PrivateKey::generate().public_key()}});
    auto refused = proofs::verify_transaction_proof(proof, other);
    REQUIRE_FALSE(refused);
    // The header names the set that certified it, which is not this one.
    CHECK_THAT(refused.status().message(), Catch::Contains("not the genesis file's"));
  }
  SECTION("a changed receipt does not verify") {
    Receipt receipt;
    REQUIRE(receipt.ParseFromString(proof.receipt()));
    receipt.set_error("nothing happened");
    proof.set_receipt(receipt.SerializeAsString());
    auto refused = proofs::verify_transaction_proof(proof, trust);
    REQUIRE_FALSE(refused);
    CHECK_THAT(refused.status().message(), Catch::Contains("history"));
  }
}

namespace {

grpc::Status get_state_proof(Running& r, const std::string& key, api::StateProof* out) {
  grpc::ClientContext ctx;
  api::GetStateProofRequest req;
  req.set_key(key);
  return r.stub->GetStateProof(&ctx, req, out);
}

}  // namespace

TEST_CASE("GetStateProof proves an account's entry, and an absent one, against a committed block") {
  Running r(27270);
  const std::string u2 = r.home->keys.at("user2").address();
  api::SubmitResponse first;
  REQUIRE(r.submit(tx::sign(r.transfer_body("user1", u2, 700), r.home->keys.at("user1")), true, &first).ok());
  api::SubmitResponse second;
  REQUIRE(r.submit(tx::sign(r.transfer_body("user1", u2, 1), r.home->keys.at("user1")), true, &second).ok());

  proofs::Trust trust = trust_of(r);
  trust.state_tree = true;
  api::StateProof proof;
  grpc::Status s = get_state_proof(r, "ledger/acct/" + u2, &proof);
  INFO(s.error_message());
  REQUIRE(s.ok());
  auto proven = proofs::verify_state_proof(proof, trust);
  INFO(proven.status().message());
  REQUIRE(proven);
  CHECK(proven->present);
  CHECK(proven->height >= first.height());
  CHECK(proven->anchor_height > proven->height);
  ledger::Account account;
  REQUIRE(account.ParseFromString(proven->value));
  CHECK(account.address() == u2);
  CHECK(account.balance() >= r.home->user_balance + 700);

  s = get_state_proof(r, "ledger/acct/" + std::string(20, '\0'), &proof);
  REQUIRE(s.ok());
  auto absent = proofs::verify_state_proof(proof, trust);
  REQUIRE(absent);
  CHECK_FALSE(absent->present);

  SECTION("bad keys are refused with the reason") {
    s = get_state_proof(r, "", &proof);
    CHECK(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK_THAT(s.error_message(), Catch::Contains("empty"));
    s = get_state_proof(r, std::string(2000, 'k'), &proof);
    CHECK(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK_THAT(s.error_message(), Catch::Contains("at most 1024"));
    s = get_state_proof(r, "chain/history", &proof);
    CHECK(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK_THAT(s.error_message(), Catch::Contains("history chain"));
  }
  SECTION("a value changed in the proof does not verify") {
    s = get_state_proof(r, "ledger/acct/" + u2, &proof);
    REQUIRE(s.ok());
    account.set_balance(account.balance() + 1'000'000);
    proof.set_value(account.SerializeAsString());
    auto refused = proofs::verify_state_proof(proof, trust);
    REQUIRE_FALSE(refused);
    CHECK_THAT(refused.status().message(), Catch::Contains("the path hashes to state root"));
  }
}

TEST_CASE("GetStateProof on a chain without a state tree says so") {
  Running r(27280, Running::NoStateTree{});
  api::StateProof proof;
  const grpc::Status s = get_state_proof(r, "ledger/acct/" + r.home->keys.at("user2").address(), &proof);
  CHECK(s.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK_THAT(s.error_message(), Catch::Contains("names no state tree"));
}
