// View-change safety logic:
//  - verify_view_change: accepts a message with valid proofs and summarises it; rejects a
//    forged commit certificate, a checkpoint proof with too few votes, a prepared certificate
//    from the view being entered or with forged votes
//  - decide_new_view needs a quorum of distinct validators, all for the view
//  - the base is the highest commit certificate or checkpoint in the quorum
//  - the re-proposal is the prepared certificate with the highest height above the base, and
//    among those at that height the highest view (the rule that keeps a committed block)
//  - prepared certificates at or below the base are ignored
//  - committed_floor, first_fresh_height and sources follow from the choice
//  - the choice does not depend on the order of the proofs
#include "consensus/view_change.hpp"

#include <algorithm>

#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace sharechain;
using namespace sharechain::consensus;
using namespace sharechain::consensus::testing;

namespace {

ViewChangeSummary summary(uint32_t validator, uint64_t view, uint64_t committed = 0,
                          uint64_t checkpoint = 0) {
  ViewChangeSummary s;
  s.validator = validator;
  s.new_view = view;
  s.committed_height = committed;
  s.committed_hash = crypto::sha256("c" + std::to_string(committed));
  s.checkpoint_height = checkpoint;
  s.checkpoint_hash = crypto::sha256("c" + std::to_string(checkpoint));
  return s;
}

ViewChangeSummary with_prepared(ViewChangeSummary s, uint64_t view, uint64_t height,
                                const char* block) {
  ViewChangeSummary::Prepared p;
  p.view = view;
  p.height = height;
  p.hash = crypto::sha256(block);
  s.prepared = p;
  return s;
}

}  // namespace

TEST_CASE("verify_view_change checks every proof") {
  Keys keys(4);
  const Block b5 = simple_block(5, 1, {make_tx("x")});
  const crypto::Hash h4 = crypto::sha256("block4");
  ViewChange vc;
  vc.set_new_view(3);
  *vc.mutable_committed() = commit_certificate(keys, {0, 1, 2}, 1, 4, h4);
  *vc.mutable_prepared() = prepared_certificate(keys, {1, 2, 3}, 1, 5, b5);

  SECTION("valid proofs") {
    auto s = verify_view_change(kChain, 4, 2, vc, keys.verifier());
    REQUIRE(s.is_ok());
    CHECK(s->validator == 2);
    CHECK(s->new_view == 3);
    CHECK(s->committed_height == 4);
    CHECK(s->committed_hash == h4);
    REQUIRE(s->prepared.has_value());
    CHECK(s->prepared->height == 5);
    CHECK(s->prepared->view == 1);
    CHECK(s->prepared->hash == block_hash(b5));
  }
  SECTION("nothing to report is valid") {
    ViewChange empty;
    empty.set_new_view(3);
    auto s = verify_view_change(kChain, 4, 2, empty, keys.verifier());
    REQUIRE(s.is_ok());
    CHECK(s->committed_height == 0);
    CHECK_FALSE(s->prepared.has_value());
  }
  SECTION("a forged commit certificate") {
    vc.mutable_committed()->mutable_votes(0)->set_signature(std::string(64, 'x'));
    CHECK_FALSE(verify_view_change(kChain, 4, 2, vc, keys.verifier()).is_ok());
  }
  SECTION("a checkpoint proof with too few votes") {
    CheckpointProof* p = vc.mutable_checkpoint();
    p->set_height(4);
    p->set_block_hash(crypto::hash_bytes(h4));
    p->set_state_root(crypto::hash_bytes(crypto::sha256("root")));
    Vote* v = p->add_votes();
    v->set_validator(0);
    v->set_signature(keys.checkpoint_vote(0, 4, h4, crypto::sha256("root")));
    CHECK(verify_view_change(kChain, 4, 2, vc, keys.verifier()).status().message().find(
              "checkpoint proof") != std::string::npos);
  }
  SECTION("a prepared certificate from the view being entered") {
    *vc.mutable_prepared() = prepared_certificate(keys, {1, 2, 3}, 3, 5, b5);
    CHECK(verify_view_change(kChain, 4, 2, vc, keys.verifier()).status().message().find(
              "is not before view 3") != std::string::npos);
  }
  SECTION("a prepared certificate padded with one validator's vote") {
    PreparedCertificate pc = prepared_certificate(keys, {1, 1, 1}, 1, 5, b5);
    *vc.mutable_prepared() = pc;
    CHECK_FALSE(verify_view_change(kChain, 4, 2, vc, keys.verifier()).is_ok());
  }
}

TEST_CASE("decide_new_view needs a quorum of distinct view changes for the view") {
  CHECK(decide_new_view(2, 4, {summary(0, 2), summary(1, 2)})
            .status()
            .message()
            .find("a quorum is 3") != std::string::npos);
  CHECK(decide_new_view(2, 4, {summary(0, 2), summary(1, 2), summary(1, 2)})
            .status()
            .message()
            .find("repeated") != std::string::npos);
  CHECK(decide_new_view(2, 4, {summary(0, 2), summary(1, 2), summary(7, 2)})
            .status()
            .message()
            .find("unknown validator 7") != std::string::npos);
  CHECK(decide_new_view(2, 4, {summary(0, 2), summary(1, 2), summary(2, 3)})
            .status()
            .message()
            .find("for view 3") != std::string::npos);
  CHECK(decide_new_view(2, 4, {summary(0, 2), summary(1, 2), summary(2, 2)}).is_ok());
}

TEST_CASE("decide_new_view: the base is the highest proof of finality") {
  auto d = decide_new_view(5, 4, {summary(0, 5, 7, 4), summary(1, 5, 9, 8), summary(2, 5, 3, 12)});
  REQUIRE(d.is_ok());
  CHECK(d->base_height == 12);
  CHECK(d->base_hash == crypto::sha256("c12"));
  CHECK_FALSE(d->reproposal.has_value());
  CHECK(d->committed_floor == 12);
  CHECK(d->first_fresh_height == 13);
  CHECK(d->sources == std::vector<uint32_t>{2});
}

TEST_CASE("decide_new_view: the highest prepared height wins, then the highest view") {
  SECTION("highest height") {
    auto d = decide_new_view(6, 4,
                             {with_prepared(summary(0, 6, 9), 4, 10, "A"),
                              with_prepared(summary(1, 6, 10), 5, 11, "B"), summary(2, 6, 10)});
    REQUIRE(d.is_ok());
    REQUIRE(d->reproposal.has_value());
    CHECK(d->reproposal->hash == crypto::sha256("B"));
    CHECK(d->base_height == 10);
    CHECK(d->committed_floor == 10);
    CHECK(d->first_fresh_height == 12);
    CHECK(d->sources == std::vector<uint32_t>{1, 2});
  }
  SECTION("two blocks prepared at one height: the later view's is the one that may be final") {
    // Block A prepared in view 2 was superseded: view 3 prepared (and may have committed) B.
    std::vector<ViewChangeSummary> s{with_prepared(summary(0, 4, 6), 2, 7, "A"),
                                     with_prepared(summary(1, 4, 6), 3, 7, "B"),
                                     summary(3, 4, 6)};
    auto d = decide_new_view(4, 4, s);
    REQUIRE(d.is_ok());
    REQUIRE(d->reproposal.has_value());
    CHECK(d->reproposal->hash == crypto::sha256("B"));
    CHECK(d->reproposal->view == 3);
    CHECK(d->committed_floor == 6);
    CHECK(d->first_fresh_height == 8);
    // Whatever order the primary lists the proofs in, every replica computes the same choice.
    std::reverse(s.begin(), s.end());
    CHECK(decide_new_view(4, 4, s)->reproposal->hash == crypto::sha256("B"));
    std::swap(s[0], s[1]);
    CHECK(decide_new_view(4, 4, s)->reproposal->hash == crypto::sha256("B"));
  }
  SECTION("prepared certificates at or below the base are already decided") {
    auto d = decide_new_view(4, 4,
                             {with_prepared(summary(0, 4, 3), 2, 7, "A"), summary(1, 4, 7),
                              summary(2, 4, 5)});
    REQUIRE(d.is_ok());
    CHECK_FALSE(d->reproposal.has_value());
    CHECK(d->base_height == 7);
    CHECK(d->first_fresh_height == 8);
  }
  SECTION("a prepared certificate above the base: the height below it is final") {
    // A replica prepares height p only after committing p - 1.
    auto d = decide_new_view(1, 4,
                             {with_prepared(summary(0, 1, 0), 0, 1, "first"), summary(1, 1),
                              summary(2, 1)});
    REQUIRE(d.is_ok());
    CHECK(d->committed_floor == 0);
    CHECK(d->first_fresh_height == 2);
    CHECK(d->sources == std::vector<uint32_t>{0, 1, 2});
  }
}
