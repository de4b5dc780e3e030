// Block rules:
//  - a well-formed fresh proposal passes and reports its hash and transaction hashes
//  - each header field is checked: chain id, height, view, proposer, 32-byte fields,
//    state_height below the height, tx_root, undecodable header or transaction
//  - block limits: too many transactions, too many bytes, a repeated one (an empty block passes
//    the message checks; whether it may be proposed is check_certifying's question)
//  - timestamps: at most max_clock_skew_ms ahead of the replica's clock (fresh only)
//  - re-proposals may come from an earlier view but never a later one, and may be empty
//  - check_extends: height, prev_hash, strictly later timestamp, state_height not going back
//  - check_certifying: an empty fresh block only while the state after the last block with
//    transactions is uncertified, and only if it certifies a later state than its parent did
#include "consensus/block_rules.hpp"

#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace sharechain;
using namespace sharechain::consensus;
using namespace sharechain::consensus::testing;

namespace {

BlockSpec spec() {
  BlockSpec s;
  s.height = 3;
  s.view = 5;  // primary 1 of 4
  s.prev = crypto::sha256("parent");
  s.timestamp_ms = kStart;
  s.txs = {make_tx("a"), make_tx("b")};
  s.state_height = 2;
  return s;
}

Result<CheckedBlock> check(const Block& b, uint64_t now = kStart,
                           ProposalKind kind = ProposalKind::kFresh, uint64_t view = 5,
                           uint64_t height = 3) {
  return check_proposal(make_config(4, 0), kind, view, height, b, now);
}

Block with_header(const BlockSpec& s, const std::function<void(BlockHeader&)>& edit) {
  Block b = make_block(4, s);
  BlockHeader h;
  h.ParseFromString(b.header());
  edit(h);
  h.SerializeToString(b.mutable_header());
  return b;
}

}  // namespace

TEST_CASE("a well-formed proposal passes") {
  const Block b = make_block(4, spec());
  auto c = check(b);
  REQUIRE(c.is_ok());
  CHECK(c->hash == block_hash(b));
  CHECK(c->tx_hashes == std::vector<crypto::Hash>{make_tx("a").hash, make_tx("b").hash});
  CHECK(c->header.height() == 3);
}

TEST_CASE("each header field is checked") {
  auto fails = [](const Block& b, const char* what) {
    auto c = check(b);
    INFO(what);
    REQUIRE_FALSE(c.is_ok());
    return c.status().message();
  };
  CHECK(fails(with_header(spec(), [](BlockHeader& h) { h.set_chain_id("x"); }), "chain")
            .find("chain id") != std::string::npos);
  CHECK(fails(with_header(spec(), [](BlockHeader& h) { h.set_height(4); }), "height")
            .find("header says height 4") != std::string::npos);
  CHECK(fails(with_header(spec(), [](BlockHeader& h) { h.set_view(4); }), "view")
            .find("header view 4") != std::string::npos);
  CHECK(fails(with_header(spec(), [](BlockHeader& h) { h.set_proposer(2); }), "proposer")
            .find("not the primary") != std::string::npos);
  CHECK(fails(with_header(spec(), [](BlockHeader& h) { h.set_prev_hash("short"); }), "prev")
            .find("32 bytes") != std::string::npos);
  CHECK(fails(with_header(spec(), [](BlockHeader& h) { h.set_state_root(""); }), "root")
            .find("32 bytes") != std::string::npos);
  CHECK(fails(with_header(spec(), [](BlockHeader& h) { h.set_history_root("short"); }), "history")
            .find("history_root must be 32 bytes") != std::string::npos);
  CHECK(fails(with_header(spec(), [](BlockHeader& h) { h.set_state_height(3); }), "state")
            .find("state_height 3") != std::string::npos);
  CHECK(fails(with_header(spec(), [](BlockHeader& h) {
                h.set_tx_root(crypto::hash_bytes(crypto::sha256("x")));
              }),
              "tx_root")
            .find("tx_root") != std::string::npos);
  // Every proposal carries signed_tx_root, and it covers the signature bytes.
  CHECK(fails(with_header(spec(), [](BlockHeader& h) { h.clear_signed_tx_root(); }), "no signed root")
            .find("signed_tx_root") != std::string::npos);
  {
    Block b = make_block(4, spec());
    SignedTransaction tx;
    REQUIRE(tx.ParseFromString(b.transactions(1)));
    tx.set_signature(std::string(64, '\x07'));
    tx.SerializeToString(b.mutable_transactions(1));
    CHECK(fails(b, "altered signature").find("signed_tx_root") != std::string::npos);
  }
  Block garbage = make_block(4, spec());
  garbage.set_header("\xff\xff\xff");
  CHECK(fails(garbage, "header").find("does not decode") != std::string::npos);
  Block bad_tx = make_block(4, spec());
  bad_tx.set_transactions(0, "\xff\xff");
  CHECK(fails(bad_tx, "tx").find("does not decode") != std::string::npos);
}

TEST_CASE("block limits") {
  BlockSpec s = spec();
  s.txs.clear();
  CHECK(check(make_block(4, s)).is_ok());
  s.txs = {make_tx("1"), make_tx("2"), make_tx("3"), make_tx("4"), make_tx("5")};
  CHECK(check(make_block(4, s)).status().message().find("5 transactions, the limit is 4") !=
        std::string::npos);
  s.txs = {make_tx("1"), make_tx("1")};
  CHECK(check(make_block(4, s)).status().message().find("appears twice") != std::string::npos);
  Tx big = make_tx("big");
  SignedTransaction stx;
  stx.set_body(std::string(5000, 'x'));
  stx.SerializeToString(&big.bytes);
  s.txs = {big};
  CHECK(check(make_block(4, s)).status().message().find("transaction bytes") != std::string::npos);
}

TEST_CASE("a proposal's timestamp may lead the replica's clock by the allowed skew only") {
  const Config cfg = make_config(4, 0);
  BlockSpec s = spec();
  s.timestamp_ms = kStart + cfg.max_clock_skew_ms;
  CHECK(check(make_block(4, s), kStart).is_ok());
  s.timestamp_ms += 1;
  CHECK(check(make_block(4, s), kStart).status().message().find("ahead of this replica's clock") !=
        std::string::npos);
  // Far in the past is the parent's business (check_extends), not the clock's.
  s.timestamp_ms = 5;
  CHECK(check(make_block(4, s), kStart).is_ok());
}

TEST_CASE("re-proposals") {
  BlockSpec s = spec();
  const Block earlier = make_block(4, s);  // view 5
  CHECK(check(earlier, kStart, ProposalKind::kReproposal, 9).is_ok());
  CHECK_FALSE(check(earlier, kStart, ProposalKind::kFresh, 9).is_ok());
  CHECK(check(earlier, kStart, ProposalKind::kReproposal, 4).status().message().find(
            "future view") != std::string::npos);
  s.txs.clear();
  CHECK(check(make_block(4, s), kStart, ProposalKind::kReproposal, 9).is_ok());
  // A re-proposal's timestamp is the original proposer's; no clock check applies.
  s.timestamp_ms = kStart + 10 * 60 * 1000;
  CHECK(check(make_block(4, s), kStart, ProposalKind::kReproposal, 9).is_ok());
}

TEST_CASE("a block extends its parent") {
  const BlockSpec s = spec();
  const Block b = make_block(4, s);
  BlockHeader h;
  h.ParseFromString(b.header());
  const Parent parent{2, s.prev, kStart - 1, 1};
  CHECK(check_extends(h, parent).is_ok());
  CHECK(check_extends(h, Parent{1, s.prev, kStart - 1, {}}).message().find("parent is height 1") !=
        std::string::npos);
  CHECK(check_extends(h, Parent{2, crypto::sha256("x"), kStart - 1, {}}).message().find(
            "prev_hash") != std::string::npos);
  CHECK(check_extends(h, Parent{2, s.prev, kStart, {}}).message().find("not after") !=
        std::string::npos);
  CHECK(check_extends(h, Parent{2, s.prev, kStart - 1, 3}).message().find("below the parent") !=
        std::string::npos);
  CHECK(check_extends(h, Parent{2, s.prev, kStart - 1, std::nullopt}).is_ok());
}

TEST_CASE("an empty block must certify the state after the last block with transactions") {
  BlockSpec s = spec();  // height 3, state_height 2
  s.txs.clear();
  BlockHeader h;
  h.ParseFromString(make_block(4, s).header());
  // Block 2 had transactions; its parent certified state 1: the empty block 3 certifies 2.
  CHECK(check_certifying(h, Parent{2, s.prev, kStart - 1, 1}, 2).is_ok());
  // Everything with transactions is certified already: nothing to do, refused.
  CHECK(check_certifying(h, Parent{2, s.prev, kStart - 1, 2}, 2).message().find(
            "certified already") != std::string::npos);
  CHECK(check_certifying(h, Parent{2, s.prev, kStart - 1, 1}, 1).message().find(
            "certified already") != std::string::npos);
  // Something to certify, but this block certifies no more than its parent did.
  h.set_state_height(1);
  CHECK(check_certifying(h, Parent{2, s.prev, kStart - 1, 1}, 2).message().find(
            "which its parent certified already") != std::string::npos);
  // A replica that restarted does not know its parent's state height and cannot judge.
  CHECK(check_certifying(h, Parent{2, s.prev, kStart - 1, std::nullopt}, 2).is_ok());
}
