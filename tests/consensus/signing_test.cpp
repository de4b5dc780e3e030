// Signatures and certificates (real BIP340 keys):
//  - envelope digest: the chain id is length-prefixed, so (chain, payload) pairs cannot collide
//  - vote digests differ by kind, view, height, block and chain; checkpoint digests by root
//  - KeySigner/KeyVerifier: a vote verifies for its signer only; unknown index is false
//  - commit certificate: good; too few votes; a duplicate signer; the wrong block; the wrong
//    height; a vote from outside the set; a forged vote; a vote from another view; standalone
//    check of a Block with its certificate (chain id, missing certificate, transactions that
//    are not the certified header's: found by the block_range fuzz target; the same bodies with
//    altered signature bytes, refused through signed_tx_root; a block certified before
//    signed_tx_root existed still verifies)
//  - prepared certificate: good; transactions not matching tx_root; header for another height
//  - checkpoint proof: good; a vote for another root
#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace sharechain;
using namespace sharechain::consensus;
using namespace sharechain::consensus::testing;

namespace {

crypto::Hash h(const char* s) { return crypto::sha256(s); }

}  // namespace

TEST_CASE("the envelope digest frames the chain id") {
  CHECK(envelope_digest("ab", "c") != envelope_digest("a", "bc"));
  CHECK(envelope_digest("chain", "x") == envelope_digest("chain", "x"));
  CHECK(envelope_digest("chain", "x") != envelope_digest("chain", "y"));
}

TEST_CASE("vote digests separate every field") {
  const crypto::Hash base = vote_digest(VoteKind::kCommit, "c", 1, 2, h("b"));
  CHECK(base != vote_digest(VoteKind::kPrepare, "c", 1, 2, h("b")));
  CHECK(base != vote_digest(VoteKind::kCommit, "d", 1, 2, h("b")));
  CHECK(base != vote_digest(VoteKind::kCommit, "c", 2, 2, h("b")));
  CHECK(base != vote_digest(VoteKind::kCommit, "c", 1, 3, h("b")));
  CHECK(base != vote_digest(VoteKind::kCommit, "c", 1, 2, h("x")));
  // View and height are fixed-width, so moving a unit between them changes the digest.
  CHECK(vote_digest(VoteKind::kCommit, "c", 1, 0, h("b")) !=
        vote_digest(VoteKind::kCommit, "c", 0, 1, h("b")));
  CHECK(checkpoint_digest("c", 4, h("b"), h("r")) != checkpoint_digest("c", 4, h("b"), h("s")));
  // A checkpoint can never pass for a vote with the same numbers.
  CHECK(checkpoint_digest("c", 4, h("b"), h("r")) != vote_digest(VoteKind::kCheckpoint, "c", 4, 4, h("b")));
}

TEST_CASE("BIP340 signer and verifier") {
  Keys keys(4);
  const crypto::Hash d = h("digest");
  const std::string sig = keys.signer(1).sign(d);
  CHECK(sig.size() == 64);
  CHECK(keys.verifier().verify(1, d, sig));
  CHECK_FALSE(keys.verifier().verify(2, d, sig));
  CHECK_FALSE(keys.verifier().verify(1, h("other"), sig));
  CHECK_FALSE(keys.verifier().verify(9, d, sig));
  CHECK_FALSE(keys.verifier().verify(1, d, sig.substr(1)));
}

TEST_CASE("commit certificates") {
  Keys keys(4);
  const crypto::Hash block = h("block");
  const uint32_t n = 4;
  auto verify = [&](const CommitCertificate& c) {
    return verify_commit_certificate(kChain, n, c, 7, block, keys.verifier());
  };

  SECTION("a quorum of distinct valid votes verifies") {
    CHECK(verify(commit_certificate(keys, {0, 1, 2}, 3, 7, block)).is_ok());
    CHECK(verify(commit_certificate(keys, {3, 1, 2, 0}, 3, 7, block)).is_ok());
  }
  SECTION("too few votes") {
    const Status s = verify(commit_certificate(keys, {0, 1}, 3, 7, block));
    CHECK_FALSE(s.is_ok());
    CHECK(s.message().find("2 votes, a quorum is 3") != std::string::npos);
  }
  SECTION("a duplicate signer does not count twice") {
    CommitCertificate c = commit_certificate(keys, {0, 1}, 3, 7, block);
    *c.add_votes() = c.votes(1);
    const Status s = verify(c);
    CHECK_FALSE(s.is_ok());
    CHECK(s.message().find("voted twice") != std::string::npos);
  }
  SECTION("the wrong block") {
    CHECK_FALSE(verify(commit_certificate(keys, {0, 1, 2}, 3, 7, h("other"))).is_ok());
    // Votes for another block under this block's hash field.
    CommitCertificate c = commit_certificate(keys, {0, 1, 2}, 3, 7, h("other"));
    c.set_block_hash(crypto::hash_bytes(block));
    CHECK_FALSE(verify(c).is_ok());
  }
  SECTION("the wrong height") {
    CHECK_FALSE(verify(commit_certificate(keys, {0, 1, 2}, 3, 8, block)).is_ok());
  }
  SECTION("votes from another view than the certificate claims") {
    CommitCertificate c = commit_certificate(keys, {0, 1, 2}, 3, 7, block);
    c.set_view(4);
    CHECK_FALSE(verify(c).is_ok());
  }
  SECTION("a vote from outside the validator set") {
    CommitCertificate c = commit_certificate(keys, {0, 1, 2}, 3, 7, block);
    c.mutable_votes(2)->set_validator(4);
    CHECK(verify(c).message().find("not in the validator set") != std::string::npos);
  }
  SECTION("a forged vote spoils the certificate even with a quorum of good ones") {
    CommitCertificate c = commit_certificate(keys, {0, 1, 2, 3}, 3, 7, block);
    std::string sig = c.votes(3).signature();
    sig[5] ^= 1;
    c.mutable_votes(3)->set_signature(sig);
    CHECK(verify(c).message().find("bad signature from validator 3") != std::string::npos);
  }
  SECTION("a PREPARE quorum is not a commit certificate") {
    CommitCertificate c;
    c.set_height(7);
    c.set_view(3);
    c.set_block_hash(crypto::hash_bytes(block));
    for (uint32_t v : {0u, 1u, 2u}) {
      auto* vote = c.add_votes();
      vote->set_validator(v);
      vote->set_signature(keys.vote(v, VoteKind::kPrepare, 3, 7, block));
    }
    CHECK_FALSE(verify(c).is_ok());
  }
}

TEST_CASE("a block with its certificate verifies standalone") {
  Keys keys(4);
  Config cfg = make_config(4, 0);
  Block b = simple_block(7, 3, {make_tx("a")});
  const crypto::Hash hash = block_hash(b);
  SECTION("good") {
    *b.mutable_certificate() = commit_certificate(keys, {0, 2, 3}, 3, 7, hash);
    CHECK(verify_commit_certificate(cfg, b, keys.verifier()).is_ok());
  }
  SECTION("no certificate") {
    CHECK_FALSE(verify_commit_certificate(cfg, b, keys.verifier()).is_ok());
  }
  SECTION("another chain") {
    *b.mutable_certificate() = commit_certificate(keys, {0, 2, 3}, 3, 7, hash);
    cfg.chain_id = "other";
    CHECK_FALSE(verify_commit_certificate(cfg, b, keys.verifier()).is_ok());
  }
  SECTION("the certified header with other transactions") {
    *b.mutable_certificate() = commit_certificate(keys, {0, 2, 3}, 3, 7, hash);
    Block swapped = b;
    *swapped.mutable_transactions(0) = make_tx("swapped").bytes;
    CHECK_FALSE(verify_commit_certificate(cfg, swapped, keys.verifier()).is_ok());
    Block extra = b;
    extra.add_transactions(make_tx("b").bytes);
    CHECK_FALSE(verify_commit_certificate(cfg, extra, keys.verifier()).is_ok());
    Block garbage = b;
    garbage.add_transactions("not a transaction");
    CHECK_FALSE(verify_commit_certificate(cfg, garbage, keys.verifier()).is_ok());
  }
  SECTION("the certified bodies with altered signatures or keys") {
    *b.mutable_certificate() = commit_certificate(keys, {0, 2, 3}, 3, 7, hash);
    SignedTransaction tx;
    REQUIRE(tx.ParseFromString(b.transactions(0)));
    tx.set_signature(std::string(64, '\x01'));
    Block altered = b;
    tx.SerializeToString(altered.mutable_transactions(0));
    const Status st = verify_commit_certificate(cfg, altered, keys.verifier());
    CHECK(st.message().find("signed_tx_root") != std::string::npos);
    tx.set_signature("");
    tx.set_public_key(std::string(32, '\x02'));
    tx.SerializeToString(altered.mutable_transactions(0));
    CHECK_FALSE(verify_commit_certificate(cfg, altered, keys.verifier()).is_ok());
  }
  SECTION("a block certified before signed_tx_root existed") {
    BlockHeader header;
    REQUIRE(header.ParseFromString(b.header()));
    header.clear_signed_tx_root();
    header.SerializeToString(b.mutable_header());
    *b.mutable_certificate() = commit_certificate(keys, {0, 2, 3}, 3, 7, block_hash(b));
    CHECK(verify_commit_certificate(cfg, b, keys.verifier()).is_ok());
  }
  SECTION("a certificate for a different block at the same height") {
    Block other = simple_block(7, 3, {make_tx("b")});
    *b.mutable_certificate() = commit_certificate(keys, {0, 2, 3}, 3, 7, block_hash(other));
    CHECK_FALSE(verify_commit_certificate(cfg, b, keys.verifier()).is_ok());
  }
}

TEST_CASE("prepared certificates and checkpoint proofs") {
  Keys keys(4);
  const Block b = simple_block(5, 2, {make_tx("a"), make_tx("b")});
  SECTION("a quorum of prepares for a consistent block") {
    CHECK(verify_prepared_certificate(kChain, 4, prepared_certificate(keys, {0, 1, 2}, 2, 5, b),
                                      keys.verifier())
              .is_ok());
  }
  SECTION("transactions swapped under the same header") {
    PreparedCertificate c = prepared_certificate(keys, {0, 1, 2}, 2, 5, b);
    *c.mutable_block()->mutable_transactions(1) = make_tx("c").bytes;
    CHECK(verify_prepared_certificate(kChain, 4, c, keys.verifier())
              .message()
              .find("tx_root") != std::string::npos);
  }
  SECTION("a header for another height") {
    PreparedCertificate c = prepared_certificate(keys, {0, 1, 2}, 2, 5, b);
    c.set_height(6);
    CHECK_FALSE(verify_prepared_certificate(kChain, 4, c, keys.verifier()).is_ok());
  }
  SECTION("too few prepares") {
    CHECK_FALSE(verify_prepared_certificate(kChain, 4, prepared_certificate(keys, {0, 1}, 2, 5, b),
                                            keys.verifier())
                    .is_ok());
  }
  SECTION("checkpoint proofs") {
    CheckpointProof p;
    p.set_height(8);
    p.set_block_hash(crypto::hash_bytes(h("b")));
    p.set_state_root(crypto::hash_bytes(h("r")));
    for (uint32_t v : {1u, 2u, 3u}) {
      Vote* vote = p.add_votes();
      vote->set_validator(v);
      vote->set_signature(keys.checkpoint_vote(v, 8, h("b"), h("r")));
    }
    CHECK(verify_checkpoint_proof(kChain, 4, p, keys.verifier()).is_ok());
    p.mutable_votes(0)->set_signature(keys.checkpoint_vote(1, 8, h("b"), h("s")));
    CHECK_FALSE(verify_checkpoint_proof(kChain, 4, p, keys.verifier()).is_ok());
  }
}
