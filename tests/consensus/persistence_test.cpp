// Persistence and restart (the engine is rebuilt from its persisted map and the node's store):
//  - a backup that PREPAREd a block never PREPAREs another for that view and height, and
//    repeats the same vote when asked again
//  - a primary re-sends the block it proposed instead of proposing another
//  - the view survives: a replica that left view 0 stays out of it and re-sends its
//    VIEW-CHANGE; its prepared certificate is still in it
//  - committed blocks the node had not executed are delivered again, in order
//  - a commit certificate above the executed height makes the restarted engine fetch
//  - a replica restarted at a checkpoint height re-sends its vote, even for a checkpoint that
//    became stable there before the others had the vote
//  - persisted records stay within the window and are deleted as heights are executed
//  - a corrupt record halts at start
#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace sharechain;
using namespace sharechain::consensus;
using namespace sharechain::consensus::testing;

namespace {

std::vector<Prepare> prepares(const Actions& a) {
  std::vector<Prepare> out;
  for (const Message& m : messages(a)) {
    if (m.has_prepare()) out.push_back(m.prepare());
  }
  return out;
}

}  // namespace

TEST_CASE("a restarted backup never prepares a second block for one view and height") {
  Cluster c(4);
  Keys& keys = c.keys();
  c.start(kStart);
  Node& n = c.node(2);
  const Block a = simple_block(1, 0, {make_tx("a")});
  const Block b = simple_block(1, 0, {make_tx("b")});
  auto first = prepares(n.run(n.engine().on_message(pre_prepare(keys, 0, 0, 1, a), kStart), kStart));
  REQUIRE(first.size() == 1);
  CHECK(first[0].block_hash() == crypto::hash_bytes(block_hash(a)));

  // Crash: only the persisted records survive.
  n.boot();
  n.start(kStart + 1);
  // An equivocating primary now offers another block for the same slot.
  const Actions after = n.run(n.engine().on_message(pre_prepare(keys, 0, 0, 1, b), kStart + 1),
                              kStart + 1);
  CHECK(prepares(after).empty());
  REQUIRE(n.engine().last_rejection().has_value());
  CHECK(n.engine().last_rejection()->reason == Rejection::kConflictingVote);
  CHECK(n.engine().last_rejection()->detail ==
        "already voted prepare for (view 0, height 1) on another block");

  // The original block gets the same vote again.
  n.boot();
  n.start(kStart + 2);
  auto again = prepares(n.run(n.engine().on_message(pre_prepare(keys, 0, 0, 1, a), kStart + 2),
                              kStart + 2));
  REQUIRE(again.size() == 1);
  CHECK(again[0].block_hash() == first[0].block_hash());
  CHECK(again[0].view() == 0);
}

TEST_CASE("a restarted primary re-sends its proposal rather than proposing another") {
  Cluster c(4);
  c.start(kStart);
  Node& p = c.node(0);
  const Actions proposed = p.run(p.engine().on_request(txs(0, 4), kStart), kStart);
  std::optional<PrePrepare> original;
  for (const Message& m : messages(proposed)) {
    if (m.has_pre_prepare()) original = m.pre_prepare();
  }
  REQUIRE(original.has_value());
  c.network().clear();  // lost with the crash

  p.boot();
  const Actions resent = p.start(kStart + 5);
  std::optional<PrePrepare> again;
  for (const Message& m : messages(resent)) {
    if (m.has_pre_prepare()) again = m.pre_prepare();
  }
  REQUIRE(again.has_value());
  CHECK(again->height() == 1);
  CHECK(block_hash(again->block()) == block_hash(original->block()));
  // New requests go into the next height, not into a second block at height 1.
  const Actions more = p.run(p.engine().on_request(txs(10, 4), kStart + 6), kStart + 6);
  for (const Message& m : messages(more)) {
    if (m.has_pre_prepare()) CHECK(m.pre_prepare().height() == 2);
  }
  // Everyone commits the original block.
  c.route(0, resent);
  c.route(0, more);
  c.pump(kStart + 6);
  for (uint32_t i = 0; i < 4; ++i) {
    REQUIRE(c.node(i).delivered().size() == 2);
    CHECK(c.node(i).delivered()[0].hash == block_hash(original->block()));
  }
}

TEST_CASE("the view and the prepared certificate survive a restart") {
  Cluster c(4);
  c.start(kStart);
  c.request(txs(0, 4), kStart);
  c.pump(kStart, [](const InFlight&, const Message& m) { return m.has_commit(); });
  Node& n = c.node(3);
  c.fire(3, TimerId::kRequest, kStart + 1000);
  REQUIRE(n.engine().view() == 1);
  REQUIRE_FALSE(n.engine().view_active());
  c.network().clear();

  n.boot();
  const Actions started = n.start(kStart + 1001);
  CHECK(n.engine().view() == 1);
  CHECK_FALSE(n.engine().view_active());
  std::optional<ViewChange> vc;
  for (const Message& m : messages(started)) {
    if (m.has_view_change()) vc = m.view_change();
  }
  REQUIRE(vc.has_value());
  CHECK(vc->new_view() == 1);
  CHECK(vc->prepared().height() == 1);
  // View 0 messages no longer get votes.
  const Block b = simple_block(2, 0, {make_tx("z")});
  const Actions a = n.run(n.engine().on_message(pre_prepare(c.keys(), 0, 0, 2, b), kStart + 1002),
                          kStart + 1002);
  CHECK(prepares(a).empty());
  REQUIRE(n.engine().last_rejection().has_value());
  CHECK(n.engine().last_rejection()->reason == Rejection::kWrongView);
}

TEST_CASE("committed blocks the node never executed are delivered again after a restart") {
  Cluster c(4);
  c.node(1).execute = false;  // the node crashes before executing anything delivered
  c.start(kStart);
  c.request(txs(0, 8), kStart);
  c.pump(kStart);
  Node& n = c.node(1);
  REQUIRE(n.delivered().size() == 2);
  const crypto::Hash h1 = n.delivered()[0].hash;
  const crypto::Hash h2 = n.delivered()[1].hash;

  n.execute = true;
  n.boot();  // store still at height 0
  const auto again = all_of<Deliver>(n.start(kStart + 10));
  REQUIRE(again.size() == 2);
  CHECK(again[0].height == 1);
  CHECK(again[0].hash == h1);
  CHECK(again[1].height == 2);
  CHECK(again[1].hash == h2);
  CHECK(verify_commit_certificate(n.config(), again[1].block, c.keys().verifier()).is_ok());
  CHECK(n.engine().committed_height() == 2);
  CHECK(n.engine().executed_height() == 2);
}

TEST_CASE("a certificate above the executed height makes a restarted engine fetch") {
  Cluster c(4);
  c.start(kStart);
  c.request(txs(0, 12), kStart);
  c.pump(kStart);
  Node& n = c.node(2);
  REQUIRE(n.engine().committed_height() == 3);
  // The node lost its store (or it is behind); the engine's records say height 3 is final.
  Node fresh(c.keys(), 2, n.config());
  fresh.persisted()["cert"] = n.persisted().at("cert");
  fresh.boot();
  const auto fetch = all_of<FetchBlocks>(fresh.start(kStart + 10));
  REQUIRE(fetch.size() == 1);
  CHECK(fetch[0].from_height == 1);
  CHECK(fetch[0].to_height == 3);
  CHECK(fetch[0].sources.size() >= 2);
}

TEST_CASE("a replica restarted at a checkpoint height re-sends its checkpoint vote") {
  Cluster c(4);
  c.crash(3);  // the three others are exactly a quorum
  c.start(kStart);
  c.request(txs(0, 16), kStart);
  // Replica 1's CHECKPOINT never leaves before it crashes; it alone saw a quorum of votes.
  c.pump(kStart, [](const InFlight& f, const Message& m) {
    return f.from == 1 && m.has_checkpoint();
  });
  REQUIRE(c.node(1).height() == 4);
  REQUIRE(c.node(1).engine().stable_checkpoint() == 4);
  REQUIRE(c.node(0).engine().stable_checkpoint() == 0);
  c.restart(1, kStart + 10);
  c.pump(kStart + 10);
  CHECK(c.node(0).engine().stable_checkpoint() == 4);
  CHECK(c.node(2).engine().stable_checkpoint() == 4);
}

TEST_CASE("persisted records stay bounded") {
  Cluster c(4);
  c.start(kStart);
  size_t most = 0;
  for (int round = 0; round < 12; ++round) {
    c.request(txs(round * 4, 4), kStart + round);
    c.pump(kStart + round);
    for (uint32_t i = 0; i < 4; ++i) most = std::max(most, c.node(i).persisted().size());
  }
  CHECK(c.node(0).engine().committed_height() == 12);
  for (uint32_t i = 0; i < 4; ++i) {
    for (const auto& [k, v] : c.node(i).persisted()) {
      INFO(k);
      const bool single = k == "view" || k == "nv" || k == "prepared" || k == "cert" || k == "ckpt";
      CHECK(single);  // every height-keyed record was deleted once executed
    }
  }
  CHECK(most <= 8);
}

TEST_CASE("a corrupt persisted record halts at start") {
  Cluster c(4);
  Node& n = c.node(0);
  n.persisted()["view"] = "\xff\xff";
  n.boot();
  const auto halts = all_of<Halt>(n.start(kStart));
  REQUIRE(halts.size() == 1);
  CHECK(halts[0].reason.find("'view' does not decode") != std::string::npos);
  n.persisted().clear();
  n.persisted()["zz/1"] = "x";
  n.boot();
  CHECK(all_of<Halt>(n.start(kStart)).size() == 1);
}
