// Stateless transaction checks (what every node checks on bytes alone).
//   signed transaction verifies and its hash is SHA-256 of the exact body bytes
//   malformed body bytes, wrong chain id, signature by another key, tampered body, sender not
//   bound to the key, no call, wrong key/signature lengths, oversized: each refused with a reason
#include <catch2/catch.hpp>

#include "proto/transaction.hpp"

using namespace sharechain;

namespace {
TransactionBody make_body(const crypto::PrivateKey& key, std::string chain = "test-chain") {
  TransactionBody body;
  body.set_chain_id(std::move(chain));
  body.set_nonce(0);
  body.set_sender(key.address());
  body.mutable_ledger();
  return body;
}
}  // namespace

TEST_CASE("a signed transaction verifies; hash is over the exact body bytes") {
  const auto key = crypto::PrivateKey::generate();
  const SignedTransaction signed_tx = tx::sign(make_body(key), key);
  auto verified = tx::verify(signed_tx, "test-chain");
  REQUIRE(verified.is_ok());
  CHECK(verified->hash == crypto::sha256(signed_tx.body()));
  CHECK(verified->sender == key.address());
  auto again = tx::verify_bytes(signed_tx.SerializeAsString(), "test-chain");
  REQUIRE(again.is_ok());
  CHECK(again->hash == verified->hash);
}

TEST_CASE("bad transactions are refused with a reason") {
  const auto key = crypto::PrivateKey::generate();
  const auto other = crypto::PrivateKey::generate();
  SignedTransaction good = tx::sign(make_body(key), key);

  SECTION("malformed body bytes") {
    SignedTransaction t = good;
    t.set_body("\xff\xff\xff garbage");
    t.set_signature(key.sign(tx::signing_hash(t.body())));
    auto r = tx::verify(t, "test-chain");
    CHECK(r.status().code() == Code::kInvalidArgument);
    CHECK_THAT(r.status().message(), Catch::Contains("not a valid TransactionBody"));
  }
  SECTION("malformed envelope bytes") {
    auto r = tx::verify_bytes("\x0a\xff", "test-chain");
    CHECK(r.status().code() == Code::kInvalidArgument);
  }
  SECTION("wrong chain id") {
    auto r = tx::verify(good, "other-chain");
    CHECK(r.status().code() == Code::kInvalidArgument);
    CHECK_THAT(r.status().message(), Catch::Contains("other-chain"));
  }
  SECTION("signature by another key") {
    SignedTransaction t = good;
    t.set_signature(other.sign(tx::signing_hash(t.body())));
    CHECK(tx::verify(t, "test-chain").status().code() == Code::kInvalidArgument);
  }
  SECTION("body changed after signing") {
    TransactionBody b = make_body(key);
    b.set_nonce(5);
    SignedTransaction t = good;
    t.set_body(b.SerializeAsString());
    auto r = tx::verify(t, "test-chain");
    CHECK_THAT(r.status().message(), Catch::Contains("signature does not verify"));
  }
  SECTION("sender is not the signing key's address") {
    TransactionBody b = make_body(key);
    b.set_sender(other.address());
    auto r = tx::verify(tx::sign(b, key), "test-chain");
    CHECK_THAT(r.status().message(), Catch::Contains("not the address of the signing key"));
  }
  SECTION("no call") {
    TransactionBody b = make_body(key);
    b.clear_call();
    auto r = tx::verify(tx::sign(b, key), "test-chain");
    CHECK_THAT(r.status().message(), Catch::Contains("no contract call"));
  }
  SECTION("wrong lengths") {
    SignedTransaction t = good;
    t.set_public_key(t.public_key() + "x");
    CHECK(tx::verify(t, "test-chain").status().code() == Code::kInvalidArgument);
    t = good;
    t.set_signature(t.signature().substr(1));
    CHECK(tx::verify(t, "test-chain").status().code() == Code::kInvalidArgument);
  }
  SECTION("oversized") {
    SignedTransaction t = good;
    t.set_body(std::string(tx::kMaxTransactionBytes + 1, 'a'));
    CHECK(tx::verify(t, "test-chain").status().code() == Code::kResourceExhausted);
    CHECK(tx::verify_bytes(std::string(tx::kMaxTransactionBytes + 1, 'a'), "test-chain")
              .status()
              .code() == Code::kResourceExhausted);
  }
}
