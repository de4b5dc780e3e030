// proofs::verify_transaction_proof over a hand-built chain:
//  - every transaction of a block with links up to the anchor, and one whose anchor is next
//  - each part tampered with fails, naming that part: block header and certificate, the
//    transaction and its path, the receipt and its path, the history below, a link, the anchor
//  - another chain id or validator set fails; a quorum of two of four does not certify
#include <catch2/catch.hpp>

#include <functional>

#include "consensus/epochs.hpp"
#include "mini_chain.hpp"
#include "proto/transaction.hpp"

namespace sharechain::proofs {
namespace {

using testing::MiniChain;

std::string flip(std::string s, std::size_t at = 0) {
  if (s.empty()) return std::string(1, '\x01');
  s[at % s.size()] ^= 0x20;
  return s;
}

void expect_failure(const api::TransactionProof& p, const Trust& trust, const std::string& part) {
  auto r = verify_transaction_proof(p, trust);
  REQUIRE_FALSE(r);
  INFO(r.status().message());
  CHECK(r.status().message().find(part) != std::string::npos);
}

TEST_CASE("a transaction proof proves the transaction, its position and its receipt") {
  MiniChain chain;
  for (std::uint32_t which = 0; which < 4; ++which) {
    INFO("transaction " << which);
    auto proven = verify_transaction_proof(chain.proof(which), chain.trust());
    REQUIRE(proven);
    CHECK(proven->tx_hash == chain.tx_hashes()[which]);
    CHECK(proven->height == (which < 3 ? 5U : 6U));
    CHECK(proven->index == (which < 3 ? which : 0U));
    CHECK(proven->anchor_height == 7);
    CHECK(proven->receipt.events(0).attributes(0).number() == 100 * (which + 1));
    CHECK(proven->body.ledger().transfer().amount() == 100 * (which + 1));
  }
}

TEST_CASE("tampering with any part of a proof is caught and named") {
  MiniChain chain;
  const Trust& trust = chain.trust();
  const api::TransactionProof good = chain.proof(1);

  SECTION("block header") {
    auto p = good;
    p.mutable_block()->set_header(flip(p.block().header(), 7));
    expect_failure(p, trust, "block");
  }
  SECTION("block certificate: a vote's signature") {
    auto p = good;
    auto* vote = p.mutable_block()->mutable_certificate()->mutable_votes(1);
    vote->set_signature(flip(vote->signature(), 5));
    expect_failure(p, trust, "block certificate");
  }
  SECTION("block certificate: two votes are not a quorum of four") {
    auto p = good;
    p.mutable_block()->mutable_certificate()->mutable_votes()->RemoveLast();
    expect_failure(p, trust, "block certificate");
  }
  SECTION("transaction bytes") {
    auto p = good;
    p.set_transaction(flip(p.transaction(), 40));
    expect_failure(p, trust, "transaction path");
  }
  SECTION("transaction path") {
    auto p = good;
    p.set_transaction_path(0, flip(p.transaction_path(0)));
    expect_failure(p, trust, "transaction path");
  }
  SECTION("transaction position") {
    auto p = good;
    p.set_index(2);
    expect_failure(p, trust, "transaction path");
  }
  SECTION("receipt: a different amount in its event") {
    auto p = good;
    Receipt r;
    REQUIRE(r.ParseFromString(p.receipt()));
    r.mutable_events(0)->mutable_attributes(0)->set_number(999'999);
    p.set_receipt(r.SerializeAsString());
    expect_failure(p, trust, "history");
  }
  SECTION("receipt path") {
    auto p = good;
    p.set_receipt_path(1, flip(p.receipt_path(1)));
    expect_failure(p, trust, "history");
  }
  SECTION("the receipt of another transaction of the block") {
    auto p = good;
    const auto other = chain.proof(2);
    p.set_receipt(other.receipt());
    expect_failure(p, trust, "receipt");
  }
  SECTION("history below the block") {
    auto p = good;
    p.set_previous_history(flip(p.previous_history()));
    expect_failure(p, trust, "history");
  }
  SECTION("state root below the block") {
    auto p = good;
    p.set_previous_state_root(flip(p.previous_state_root()));
    expect_failure(p, trust, "history");
  }
  SECTION("a history link") {
    auto p = good;
    p.mutable_links(0)->set_receipts_root(flip(p.links(0).receipts_root()));
    expect_failure(p, trust, "history");
  }
  SECTION("a missing history link") {
    auto p = good;
    p.clear_links();
    expect_failure(p, trust, "anchor");
  }
  SECTION("anchor header") {
    auto p = good;
    p.mutable_anchor()->set_header(flip(p.anchor().header(), 20));
    expect_failure(p, trust, "anchor");
  }
  SECTION("anchor certificate") {
    auto p = good;
    auto* vote = p.mutable_anchor()->mutable_certificate()->mutable_votes(0);
    vote->set_signature(flip(vote->signature(), 60));
    expect_failure(p, trust, "anchor certificate");
  }
}

TEST_CASE("a proof checked against another chain or validator set fails") {
  MiniChain chain;
  SECTION("chain id") {
    Trust other = chain.trust();
    other.chain_id = "another-chain";
    expect_failure(chain.proof(0), other, "chain");
  }
  SECTION("validator set") {
    consensus::testing::Keys strangers(5);
    const Trust other = trust_of(chain.trust().chain_id, chain.trust().genesis_hash, strangers.validators());
    expect_failure(chain.proof(0), other, "certificate");
  }
  // The genesis validators certify a header that names another set: the certificate holds, the
  // header does not.
  auto recertified = [&](const std::function<void(BlockHeader&)>& edit) {
    api::TransactionProof p = chain.proof(0);
    BlockHeader h;
    REQUIRE(h.ParseFromString(p.block().header()));
    edit(h);
    const std::string bytes = h.SerializeAsString();
    p.mutable_block()->set_header(bytes);
    *p.mutable_block()->mutable_certificate() = consensus::testing::commit_certificate(
        chain.keys(), {0, 1, 2}, h.view(), h.height(), crypto::sha256(bytes));
    return p;
  };
  SECTION("a header of a later epoch") {
    expect_failure(recertified([](BlockHeader& h) { h.set_epoch(2); }), chain.trust(), "epoch 2");
  }
  SECTION("a header naming another validator set") {
    consensus::testing::Keys strangers(5);  // the chain's four keys and one more
    const std::string other = crypto::hash_bytes(consensus::validator_set_hash(strangers.validators()));
    expect_failure(recertified([&](BlockHeader& h) { h.set_validator_set_hash(other); }), chain.trust(),
                   "not the genesis file's");
  }
  SECTION("a header naming the genesis set verifies") {
    const std::string genesis = crypto::hash_bytes(consensus::validator_set_hash(chain.trust().genesis_validators()));
    auto p = recertified([&](BlockHeader& h) { h.set_validator_set_hash(genesis); });
    REQUIRE(verify_transaction_proof(p, chain.trust()));
  }
}

}  // namespace
}  // namespace sharechain::proofs
