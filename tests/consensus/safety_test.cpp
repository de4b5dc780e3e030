// The safety rules (consensus/safety.hpp) on their own, then through the engine:
//  - one PREPARE per (view, height): another block is refused, the same one is signed again; the
//    same for COMMIT; a PRE-PREPARE is its primary's PREPARE; signatures verify as this replica's
//  - rules rebuilt from the records they asked to persist refuse the same, and without those
//    records they would not; a persisted proposal is re-sealed, an unknown one is not
//  - after a VIEW-CHANGE nothing is signed in the old view, nor in the new one until it is
//    entered; views never go back, also after a restart
//  - a NEW-VIEW's re-proposal is its primary's PREPARE, even at a height committed while the
//    view was changing; once a height is committed in the current view no vote is signed there
//  - a COMMIT needs this replica's PREPARE for the block and a quorum certificate; the kept
//    certificate never goes back and every VIEW-CHANGE reports it
//  - CHECKPOINT: another block or state root at one height is refused, also against a stable
//    checkpoint handed over after a restart, and nothing is signed below the stable checkpoint
//  - the engine: at every message a replica sends, rules rebuilt from what it has persisted by
//    then refuse to contradict that message (so the Persist went first), through commits, a
//    view change with a re-proposal, and a stable checkpoint
//  - the engine restarted at every point of a PREPARE-then-COMMIT step cannot be driven to sign
//    a second block for that slot; it counts its refusal as conflicting_vote, from no peer
#include <catch2/catch.hpp>

#include <cstdint>
#include <set>

#include "consensus/safety.hpp"
#include "harness.hpp"

using namespace sharechain;
using namespace sharechain::consensus;
using namespace sharechain::consensus::testing;

namespace {

void write(std::map<std::string, std::string>& disk, const Persist& p) {
  for (const auto& [k, v] : p.puts) disk[k] = v;
  for (const std::string& k : p.deletes) disk.erase(k);
}

// One validator's safety rules and the records they asked to persist.
struct Guard {
  explicit Guard(uint32_t self = 1) : config(make_config(4, self)) { restart(); }

  // Rebuilds the rules from the records, as a restarted engine does.
  void restart(uint64_t committed_height = 0) {
    rules = std::make_unique<SafetyRules>(config, keys.signer(config.self));
    REQUIRE(rules->restore(disk, committed_height).is_ok());
  }
  // Performs what the rules asked to persist, as the driver does before sending.
  Signed sign(Verdict<Signed> v) {
    INFO((v ? std::string() : v.refused().message));
    REQUIRE(v.is_ok());
    write(disk, v->persist);
    return std::move(v).value();
  }
  void enter(uint64_t view) {
    auto p = rules->enter_view(view, 0);
    REQUIRE(p.is_ok());
    write(disk, p.value());
  }
  void change_view(uint64_t view) {
    ViewChange vc;
    vc.set_new_view(view);
    sign(rules->sign_view_change(vc, 1));
  }

  Keys keys{4};
  Config config;
  std::map<std::string, std::string> disk;
  std::unique_ptr<SafetyRules> rules;
};

template <typename T>
Refusal refusal(const Verdict<T>& v) {
  REQUIRE_FALSE(v.is_ok());
  return v.refused().reason;
}

// Two blocks for height 1 of view 0.
Block block_a() { return simple_block(1, 0, {make_tx("a")}); }
Block block_b() { return simple_block(1, 0, {make_tx("b")}); }
crypto::Hash hash_a() { return block_hash(block_a()); }
crypto::Hash hash_b() { return block_hash(block_b()); }

}  // namespace

TEST_CASE("one PREPARE and one COMMIT per view and height") {
  Guard g;
  const Signed a = g.sign(g.rules->sign_prepare(0, 1, hash_a()));
  const auto b = g.rules->sign_prepare(0, 1, hash_b());
  CHECK(refusal(b) == Refusal::kConflictingVote);
  CHECK(b.refused().message == "already voted prepare for (view 0, height 1) on another block");
  // The same vote again is no contradiction (a restarted replica re-sends it).
  const Signed again = g.sign(g.rules->sign_prepare(0, 1, hash_a()));
  CHECK(again.vote == a.vote);
  // Another height is another slot.
  CHECK(g.rules->sign_prepare(0, 2, hash_b()).is_ok());

  // Both signatures are this replica's, over the vote and over the envelope as sent.
  const auto m = decode(a.envelope);
  REQUIRE(m.has_value());
  REQUIRE(m->has_prepare());
  CHECK(a.envelope.validator() == 1);
  CHECK(g.keys.verifier().verify(1, envelope_digest(kChain, a.envelope.payload()),
                                 a.envelope.signature()));
  CHECK(m->prepare().signature() == a.vote);
  CHECK(
      g.keys.verifier().verify(1, vote_digest(VoteKind::kPrepare, kChain, 0, 1, hash_a()), a.vote));

  const Signed c =
      g.sign(g.rules->sign_commit(prepared_certificate(g.keys, {0, 1, 2}, 0, 1, block_a())));
  CHECK(
      g.keys.verifier().verify(1, vote_digest(VoteKind::kCommit, kChain, 0, 1, hash_a()), c.vote));
  const auto other = g.rules->sign_commit(prepared_certificate(g.keys, {0, 2, 3}, 0, 1, block_b()));
  CHECK(refusal(other) == Refusal::kConflictingVote);
  CHECK(other.refused().message == "already voted commit for (view 0, height 1) on another block");

  SECTION("a primary's PRE-PREPARE is its PREPARE") {
    Guard p(0);
    const Signed pp = p.sign(p.rules->sign_proposal(0, 1, block_a()));
    const auto inner = decode(pp.envelope);
    REQUIRE(inner.has_value());
    REQUIRE(inner->has_pre_prepare());
    CHECK(block_hash(inner->pre_prepare().block()) == hash_a());
    CHECK(p.keys.verifier().verify(0, vote_digest(VoteKind::kPrepare, kChain, 0, 1, hash_a()),
                                   inner->pre_prepare().prepare_signature()));
    CHECK(refusal(p.rules->sign_proposal(0, 1, block_b())) == Refusal::kConflictingVote);
    CHECK(refusal(p.rules->sign_prepare(0, 1, hash_b())) == Refusal::kConflictingVote);
  }
}

TEST_CASE("rules rebuilt from their persisted records refuse the same") {
  Guard g;
  g.sign(g.rules->sign_prepare(0, 1, hash_a()));
  g.sign(g.rules->sign_commit(prepared_certificate(g.keys, {0, 1, 2}, 0, 1, block_a())));
  g.sign(g.rules->sign_prepare(0, 2, hash_a()));
  CHECK(g.disk.count(height_key("pv/", 1)) == 1);
  CHECK(g.disk.count(height_key("cv/", 1)) == 1);
  CHECK(g.disk.count("prepared") == 1);

  g.restart();
  CHECK(refusal(g.rules->sign_prepare(0, 1, hash_b())) == Refusal::kConflictingVote);
  CHECK(refusal(g.rules->sign_prepare(0, 2, hash_b())) == Refusal::kConflictingVote);
  CHECK(refusal(g.rules->sign_commit(prepared_certificate(g.keys, {0, 2, 3}, 0, 1, block_b()))) ==
        Refusal::kConflictingVote);
  CHECK(g.rules->sign_prepare(0, 1, hash_a()).is_ok());
  REQUIRE(g.rules->prepared().has_value());
  CHECK(g.rules->prepared()->height() == 1);

  SECTION("at or below the node's height the records are not needed, and nothing is signed") {
    g.restart(1);
    CHECK(refusal(g.rules->sign_prepare(0, 1, hash_b())) == Refusal::kCommittedHeight);
    CHECK(refusal(g.rules->sign_prepare(0, 2, hash_b())) == Refusal::kConflictingVote);
  }
  SECTION("without the records, the same rules would sign") {
    Guard lost;
    // Its Persist is never performed.
    CHECK(lost.rules->sign_prepare(0, 1, hash_a()).is_ok());
    lost.restart();
    CHECK(lost.rules->sign_prepare(0, 1, hash_b()).is_ok());
  }
  SECTION("a primary re-seals only the proposal it recorded") {
    Guard p(0);
    p.sign(p.rules->sign_proposal(0, 1, block_a()));
    p.restart();
    CHECK(refusal(p.rules->sign_proposal(0, 1, block_b())) == Refusal::kConflictingVote);
    PersistedProposal record;
    REQUIRE(record.ParseFromString(p.disk.at(height_key("pp/", 1))));
    const auto resealed = p.rules->reseal_proposal(1, record);
    REQUIRE(resealed.is_ok());
    CHECK(resealed->persist.puts.empty());
    const auto m = decode(resealed->envelope);
    REQUIRE(m.has_value());
    CHECK(block_hash(m->pre_prepare().block()) == hash_a());
    *record.mutable_block() = block_b();
    CHECK(refusal(p.rules->reseal_proposal(1, record)) == Refusal::kUnknownProposal);
  }
}

TEST_CASE("after a VIEW-CHANGE nothing is signed in the old view nor in the new one before it") {
  Guard g;
  g.sign(g.rules->sign_prepare(0, 1, hash_a()));
  g.change_view(1);
  CHECK(g.rules->view() == 1);
  CHECK_FALSE(g.rules->active());
  PersistedView record;
  REQUIRE(record.ParseFromString(g.disk.at("view")));
  CHECK(record.view() == 1);
  CHECK_FALSE(record.active());

  auto check_changing = [&] {
    CHECK(refusal(g.rules->sign_prepare(0, 2, hash_b())) == Refusal::kWrongView);
    CHECK(refusal(g.rules->sign_prepare(1, 1, hash_b())) == Refusal::kChangingView);
    CHECK(refusal(g.rules->sign_commit(prepared_certificate(g.keys, {0, 1, 2}, 0, 1, block_a()))) ==
          Refusal::kWrongView);
    CHECK(refusal(g.rules->enter_view(0, 0)) == Refusal::kViewGoesBack);
    ViewChange back;
    back.set_new_view(0);
    CHECK(refusal(g.rules->sign_view_change(back, 1)) == Refusal::kViewGoesBack);
  };
  check_changing();
  g.restart();
  check_changing();
  // Re-signing the same VIEW-CHANGE after a restart needs no new record.
  ViewChange same;
  same.set_new_view(1);
  const auto resigned = g.rules->sign_view_change(same, 1);
  REQUIRE(resigned.is_ok());
  CHECK(resigned->persist.puts.empty());

  g.enter(1);
  CHECK(g.rules->sign_prepare(1, 1, hash_b()).is_ok());  // a new view is a new slot
  CHECK(refusal(g.rules->enter_view(1, 0)) == Refusal::kViewGoesBack);
  CHECK(refusal(g.rules->sign_view_change(same, 1)) == Refusal::kViewGoesBack);
  g.restart();
  CHECK(g.rules->view() == 1);
  CHECK(g.rules->active());
  CHECK(refusal(g.rules->sign_prepare(0, 3, hash_b())) == Refusal::kWrongView);
}

TEST_CASE("a NEW-VIEW's re-proposal is its primary's PREPARE") {
  Guard g;  // validator 1, the primary of view 1
  g.change_view(1);
  NewViewDecision d;
  d.view = 1;
  d.reproposal = ViewChangeSummary::Prepared{0, 1, hash_a(), block_a()};
  NewView nv;
  nv.set_view(1);
  const Signed s = g.sign(g.rules->sign_new_view(nv, d, 0));
  const auto m = decode(s.envelope);
  REQUIRE(m.has_value());
  REQUIRE(m->has_new_view());
  CHECK(m->new_view().reproposal_signature() == s.vote);
  CHECK(
      g.keys.verifier().verify(1, vote_digest(VoteKind::kPrepare, kChain, 1, 1, hash_a()), s.vote));
  CHECK(g.rules->active());
  CHECK(refusal(g.rules->sign_prepare(1, 1, hash_b())) == Refusal::kConflictingVote);
  CHECK(g.rules->sign_prepare(1, 1, hash_a()).is_ok());
  CHECK(refusal(g.rules->sign_new_view(nv, d, 0)) == Refusal::kViewGoesBack);

  // After a restart the vote is known from the persisted NEW-VIEW, which the engine hands over.
  g.restart();
  g.rules->restore_reproposal(1, 1, hash_a());
  CHECK(refusal(g.rules->sign_prepare(1, 1, hash_b())) == Refusal::kConflictingVote);

  SECTION("at a height committed while the view was changing") {
    Guard h;
    h.sign(h.rules->sign_prepare(0, 1, hash_a()));
    h.change_view(1);
    h.rules->forget_through(1);  // height 1 committed meanwhile, from view 0's COMMITs
    CHECK(h.rules->sign_new_view(nv, d, 0).is_ok());
    // Once in the view, committed heights get no more votes.
    h.rules->forget_through(2);
    CHECK(refusal(h.rules->sign_prepare(1, 2, hash_b())) == Refusal::kCommittedHeight);
    CHECK(h.rules->sign_prepare(1, 3, hash_b()).is_ok());
  }
}

TEST_CASE("a COMMIT needs this replica's PREPARE and a quorum, and its certificate is kept") {
  Guard g;
  const PreparedCertificate pc = prepared_certificate(g.keys, {0, 1, 2}, 0, 1, block_a());
  CHECK(refusal(g.rules->sign_commit(pc)) == Refusal::kNotPrepared);
  g.sign(g.rules->sign_prepare(0, 1, hash_a()));
  CHECK(refusal(g.rules->sign_commit(prepared_certificate(g.keys, {0, 2}, 0, 1, block_a()))) ==
        Refusal::kNotPrepared);
  CHECK(refusal(g.rules->sign_commit(prepared_certificate(g.keys, {0, 2, 2}, 0, 1, block_a()))) ==
        Refusal::kNotPrepared);
  const Signed c = g.sign(g.rules->sign_commit(pc));
  REQUIRE(g.rules->prepared().has_value());
  CHECK(g.rules->prepared()->SerializeAsString() == pc.SerializeAsString());
  CHECK(g.disk.at("prepared") == pc.SerializeAsString());
  // The certificate goes into the Persist before the COMMIT's own record.
  REQUIRE(c.persist.puts.size() == 2);
  CHECK(c.persist.puts[0].first == "prepared");
  CHECK(c.persist.puts[1].first == height_key("cv/", 1));

  SECTION("every VIEW-CHANGE reports it, whatever the caller put in") {
    ViewChange vc;
    vc.set_new_view(1);
    vc.mutable_prepared()->set_height(7);
    const Signed s = g.sign(g.rules->sign_view_change(vc, 1));
    const auto m = decode(s.envelope);
    REQUIRE(m.has_value());
    CHECK(m->view_change().prepared().SerializeAsString() == pc.SerializeAsString());
  }
  SECTION("unless a commit certificate already covers its height") {
    ViewChange vc;
    vc.set_new_view(1);
    *vc.mutable_committed() = commit_certificate(g.keys, {0, 1, 2}, 0, 1, hash_a());
    const Signed s = g.sign(g.rules->sign_view_change(vc, 1));
    CHECK_FALSE(decode(s.envelope)->view_change().has_prepared());
  }
  SECTION("a lower certificate is refused") {
    const Block b2 = simple_block(2, 0, {make_tx("c")});
    g.sign(g.rules->sign_prepare(0, 2, block_hash(b2)));
    g.sign(g.rules->sign_commit(prepared_certificate(g.keys, {0, 1, 3}, 0, 2, b2)));
    CHECK(refusal(g.rules->sign_commit(pc)) == Refusal::kPreparedGoesBack);
    CHECK(g.rules->prepared()->height() == 2);
  }
}

TEST_CASE("one CHECKPOINT per height, none below the stable checkpoint") {
  Guard g;
  const crypto::Hash block = crypto::sha256("block 4");
  const crypto::Hash root = crypto::sha256("root 4");
  const crypto::Hash other_root = crypto::sha256("another root 4");
  const Signed s = g.sign(g.rules->sign_checkpoint(4, block, root));
  CHECK(s.persist.puts.empty());
  CHECK(g.keys.verifier().verify(1, checkpoint_digest(kChain, 4, block, root), s.vote));
  CHECK(refusal(g.rules->sign_checkpoint(4, block, other_root)) == Refusal::kConflictingVote);
  CHECK(refusal(g.rules->sign_checkpoint(4, crypto::sha256("another block"), root)) ==
        Refusal::kConflictingVote);
  CHECK(g.rules->sign_checkpoint(4, block, root).is_ok());

  CheckpointProof proof;
  proof.set_height(8);
  proof.set_block_hash(crypto::hash_bytes(crypto::sha256("block 8")));
  proof.set_state_root(crypto::hash_bytes(crypto::sha256("root 8")));
  auto check_stable = [&] {
    CHECK(refusal(g.rules->sign_checkpoint(4, block, root)) == Refusal::kCommittedHeight);
    CHECK(refusal(g.rules->sign_checkpoint(8, crypto::sha256("block 8"), other_root)) ==
          Refusal::kConflictingVote);
    CHECK(g.rules->sign_checkpoint(8, crypto::sha256("block 8"), crypto::sha256("root 8")).is_ok());
    CHECK(g.rules->sign_checkpoint(12, block, root).is_ok());
  };
  g.rules->set_stable(proof);
  check_stable();
  // The engine hands the persisted stable checkpoint over after a restart.
  g.restart();
  g.rules->set_stable(proof);
  check_stable();
}

// ---------------------------------------------------------------------------------------------
// Through the engine.

namespace {

// Drives a cluster like Cluster::pump, and at every message a replica sends rebuilds that
// replica's safety rules from what it has persisted by then and asks them to contradict it.
class DurabilityProbe {
 public:
  explicit DurabilityProbe(Cluster& c) : c_(c) {}

  void run(uint32_t i, Actions actions, uint64_t now) {
    if (down_.count(i) != 0) return;
    Node& n = c_.node(i);
    std::map<std::string, std::string> disk = n.persisted();
    uint64_t height = n.height();
    const Actions seen = n.run(std::move(actions), now);
    for (const Action& a : seen) {
      if (const auto* p = std::get_if<Persist>(&a)) write(disk, *p);
      if (std::holds_alternative<Deliver>(a)) ++height;  // the harness executes it at once
      if (const auto* s = std::get_if<Send>(&a)) check(i, disk, height, s->envelope);
      if (const auto* b = std::get_if<Broadcast>(&a)) check(i, disk, height, b->envelope);
    }
    c_.route(i, seen);
  }
  void start(uint64_t now) {
    for (uint32_t i = 0; i < c_.size(); ++i) run(i, c_.node(i).engine().start(now), now);
  }
  void request(const std::vector<Tx>& txs, uint64_t now) {
    for (uint32_t i = 0; i < c_.size(); ++i) run(i, c_.node(i).engine().on_request(txs, now), now);
  }
  void fire(uint32_t i, TimerId id, uint64_t now) {
    run(i, c_.node(i).engine().on_timer(id, now), now);
  }
  void pump(uint64_t now, const std::function<bool(const Message&)>& drop = {}) {
    while (!c_.network().empty()) {
      InFlight f = std::move(c_.network().front());
      c_.network().pop_front();
      const auto m = decode(f.envelope);
      if (down_.count(f.to) != 0 || (drop && m && drop(*m))) continue;
      run(f.to, c_.node(f.to).engine().on_message(f.envelope, now), now);
    }
  }
  void crash(uint32_t i) { down_.insert(i); }

  std::map<std::string, int> checked;  // message kind -> how many were probed
  int conflicting = 0;                 // refused because of the very record this message needs

 private:
  void check(uint32_t i, const std::map<std::string, std::string>& disk, uint64_t height,
             const Envelope& env) {
    SafetyRules rules(c_.node(i).config(), c_.keys().signer(i));
    REQUIRE(rules.restore(disk, height).is_ok());
    const auto m = decode(env);
    REQUIRE(m.has_value());
    INFO("replica " << i << " sends " << summarize(*m) << " at height " << height);
    checked[kind_name(*m)] += 1;
    auto expect_refused = [&](Refusal reason, uint64_t h) {
      // Above the executed height the slot's own record must be what refuses.
      if (h > height) {
        CHECK(reason == Refusal::kConflictingVote);
        conflicting += reason == Refusal::kConflictingVote ? 1 : 0;
      }
    };
    if (m->has_prepare() || m->has_pre_prepare()) {
      const uint64_t view = m->has_prepare() ? m->prepare().view() : m->pre_prepare().view();
      const uint64_t h = m->has_prepare() ? m->prepare().height() : m->pre_prepare().height();
      expect_refused(refusal(rules.sign_prepare(view, h, crypto::sha256("nobody's block"))), h);
    } else if (m->has_commit()) {
      const Commit& c = m->commit();
      const Block other = simple_block(c.height(), c.view(), {make_tx("nobody's")});
      expect_refused(refusal(rules.sign_commit(prepared_certificate(c_.keys(), {0, 1, 2, 3},
                                                                    c.view(), c.height(), other))),
                     c.height());
      REQUIRE(rules.prepared().has_value());
      CHECK(rules.prepared()->height() >= c.height());
    } else if (m->has_view_change()) {
      CHECK(rules.view() == m->view_change().new_view());
      CHECK_FALSE(rules.active());
    } else if (m->has_new_view()) {
      CHECK(rules.view() == m->new_view().view());
      CHECK(rules.active());
      CHECK(disk.at("nv") == env.SerializeAsString());
    }
  }

  Cluster& c_;
  std::set<uint32_t> down_;
};

}  // namespace

TEST_CASE("every message leaves only after the records that forbid contradicting it") {
  Cluster c(4);
  DurabilityProbe probe(c);
  probe.start(kStart);
  probe.request(txs(0, 4), kStart);
  probe.pump(kStart);
  // Height 2 is prepared everywhere, but its COMMITs are lost and the primary fails.
  probe.request(txs(4, 4), kStart + 10);
  probe.pump(kStart + 10, [](const Message& m) { return m.has_commit(); });
  probe.crash(0);
  for (uint32_t i = 1; i < 4; ++i) probe.fire(i, TimerId::kRequest, kStart + 1000);
  probe.pump(kStart + 1000);
  // View 1 re-proposed height 2; two more heights reach the checkpoint at 4.
  probe.request(txs(8, 8), kStart + 1100);
  probe.pump(kStart + 1100);
  for (uint32_t i = 1; i < 4; ++i) {
    INFO("replica " << i);
    CHECK(c.node(i).engine().view() == 1);
    CHECK(c.node(i).height() == 4);
    CHECK(c.node(i).engine().stable_checkpoint() == 4);
  }
  for (const char* kind :
       {"pre-prepare", "prepare", "commit", "view-change", "new-view", "checkpoint"}) {
    INFO(kind);
    CHECK(probe.checked[kind] > 0);
  }
  CHECK(probe.conflicting > 20);
}

TEST_CASE("a replica restarted anywhere in a slot cannot be driven to sign a second block") {
  Keys keys(4);
  const crypto::Hash ha = hash_a();
  const crypto::Hash hb = hash_b();
  // Replica 2 receives block A's proposal, then PREPAREs that make a quorum: it PREPAREs, then
  // COMMITs. It crashes after any number of the actions that causes, restarts from what was
  // persisted, and then an equivocating primary offers block B with PREPAREs for it.
  const std::vector<Envelope> toward_a = {pre_prepare(keys, 0, 0, 1, block_a()),
                                          prepare(keys, 1, 0, 1, ha), prepare(keys, 3, 0, 1, ha)};
  const std::vector<Envelope> toward_b = {pre_prepare(keys, 0, 0, 1, block_b()),
                                          prepare(keys, 1, 0, 1, hb), prepare(keys, 3, 0, 1, hb)};
  auto own_votes = [](const Actions& actions, std::vector<Message>& out) {
    for (const Message& m : messages(actions)) {
      if (m.has_prepare() || m.has_commit()) out.push_back(m);
    }
  };

  // Actions [0, crash_at) of the step are performed; crash_at = SIZE_MAX performs them all.
  auto run_step = [&](Node& n, size_t crash_at, std::vector<Message>& sent) {
    size_t performed = 0;
    for (const Envelope& env : toward_a) {
      for (const Action& a : n.engine().on_message(env, kStart)) {
        if (performed == crash_at) return performed;
        ++performed;
        if (const auto* p = std::get_if<Persist>(&a)) write(n.persisted(), *p);
        own_votes(Actions{a}, sent);
      }
    }
    return performed;
  };
  Node whole(keys, 2, make_config(4, 2));
  whole.start(kStart);
  std::vector<Message> votes;
  const size_t total = run_step(whole, SIZE_MAX, votes);
  REQUIRE(votes.size() == 2);  // the PREPARE, then the COMMIT
  CHECK(total >= 4);

  bool refused_after_restart = false;
  for (size_t crash_at = 0; crash_at <= total; ++crash_at) {
    INFO("crash after " << crash_at << " of " << total << " actions");
    Node n(keys, 2, make_config(4, 2));
    n.start(kStart);
    std::vector<Message> sent;
    run_step(n, crash_at, sent);
    const bool voted_before = n.persisted().count(height_key("pv/", 1)) != 0;

    n.boot();
    own_votes(n.start(kStart + 1), sent);
    for (const Envelope& env : toward_b) {
      own_votes(n.run(n.engine().on_message(env, kStart + 2), kStart + 2), sent);
    }
    if (voted_before) {
      CHECK(n.engine().rejections(Rejection::kConflictingVote) >= 1);
      REQUIRE(n.engine().last_rejection().has_value());
      CHECK(n.engine().last_rejection()->reason == Rejection::kConflictingVote);
      CHECK_FALSE(n.engine().last_rejection()->validator.has_value());
      refused_after_restart = true;
    }
    // Block A again: the replica may repeat its vote for it, never add one for B.
    for (const Envelope& env : toward_a) {
      own_votes(n.run(n.engine().on_message(env, kStart + 3), kStart + 3), sent);
    }

    std::set<std::string> prepared, committed;
    for (const Message& m : sent) {
      if (m.has_prepare() && m.prepare().view() == 0 && m.prepare().height() == 1) {
        prepared.insert(m.prepare().block_hash());
      }
      if (m.has_commit() && m.commit().view() == 0 && m.commit().height() == 1) {
        committed.insert(m.commit().block_hash());
      }
    }
    CHECK(prepared.size() <= 1);
    CHECK(committed.size() <= 1);
  }
  CHECK(refused_after_restart);
}
