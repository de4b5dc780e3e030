// The engine through its inputs and actions:
//  - configuration errors make start() halt
//  - n = 1: a lone validator commits its own proposal in the same step
//  - an idle primary proposes one empty block certifying the state after the last block with
//    transactions, and no more; replicas refuse an empty block that certifies nothing new
//  - n = 4: pipelined blocks commit in height order at every replica with certificates that
//    verify; full blocks are cut at once, partial ones after the batch delay; committed
//    transactions leave every queue; duplicate and oversized requests are refused
//  - every PREPARE and COMMIT is preceded by the Persist that records it
//  - message validation: non-validator, own index, bad envelope signature, malformed payload,
//    wrong view, not the primary, outside the window, invalid proposal, forged inner vote,
//    stale height; each rejection is counted under its reason and sends nothing
//  - equivocation (two proposals, PREPAREs, COMMITs or CHECKPOINTs for one slot) yields Evidence
//    with both envelopes, once
//  - checkpoints become stable every K heights and the log below them is deleted; a quorum
//    certifying another state root halts the replica, which then ignores every input
//  - view change: timeouts on a silent primary lead to a NEW-VIEW and the requests commit in
//    the new view; f+1 VIEW-CHANGEs pull a replica along; a block prepared before the view
//    change is re-proposed and commits unchanged; of two blocks prepared at one height in
//    different views, the later view's is re-proposed (the one that may have committed)
//  - a replica that missed blocks learns it is behind and emits FetchBlocks, then rejoins;
//  - a COMMITTED message: a valid certificate above the replica's height makes it fetch from the
//    sender and the voters; a forged, short or stale one is rejected and fetches nothing;
//    one missing only the last committed height is told too
//  - a replica that lost the NEW-VIEW gets it again when it re-sends its VIEW-CHANGE
//  - state transfer of heights the engine committed meanwhile counts as their execution, and
//    one contradicting a committed block halts
//  - a replica still lacking votes for a checkpoint that is stable elsewhere gets them
//  - probes: a replica that probes its peers hears their commit certificates, is in touch once
//    a quorum (itself included) answered within the window and not before, learns a certified
//    height above its own and fetches; answers are rate-limited per peer; n = 1 needs nobody
//  - a certificate from a COMMITTED message stays with the replica (persisted): once it has
//    fetched the blocks, it answers a laggard with that certificate, though it formed none
//  - a replica holding a block commits it with a certificate that came whole (a COMMITTED
//    message, a VIEW-CHANGE), from its log or, after a restart, its prepared certificate
//  - a replica that passed a checkpoint by state transfer (no root of its own to vote with)
//    takes the checkpoint proof a VIEW-CHANGE carries, once it has executed that far; a proof
//    short of a quorum is not taken
#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace sharechain;
using namespace sharechain::consensus;
using namespace sharechain::consensus::testing;

namespace {

uint64_t rejected(Engine& e, Rejection reason) { return e.rejections(reason); }

bool sends_nothing(const Actions& a) {
  return all_of<Send>(a).empty() && all_of<Broadcast>(a).empty();
}

// Starts `c` and commits a block of three transactions, cut by the primary's batch timer.
void commit_first_block(Cluster& c) {
  c.start(kStart);
  c.request(txs(0, 3), kStart);
  c.fire(0, TimerId::kBatch, kStart + 10);
  c.pump(kStart + 10);
}

std::vector<crypto::Hash> delivered_hashes(Node& n) {
  std::vector<crypto::Hash> out;
  for (const Deliver& d : n.delivered()) out.push_back(d.hash);
  return out;
}

}  // namespace

TEST_CASE("an unusable configuration halts at start") {
  Keys keys(4);
  Config c = make_config(4, 0);
  c.window = c.checkpoint_interval;  // two checkpoints must fit
  CHECK_FALSE(validate_config(c).is_ok());
  AcceptAll app;
  Engine e(c, keys.signer(0), keys.verifier(), app, {}, 0, {}, genesis_root(), kGenesisTs);
  const Actions a = e.start(kStart);
  REQUIRE(all_of<Halt>(a).size() == 1);
  CHECK(e.halted());
  CHECK(e.on_request(txs(0, 1), kStart).empty());

  Config bad = make_config(4, 0);
  bad.self = 4;
  CHECK(validate_config(bad).message().find("self 4") != std::string::npos);
  bad = make_config(4, 0);
  bad.validators[2].public_key = "short";
  CHECK(validate_config(bad).message().find("validator 2") != std::string::npos);
}

TEST_CASE("a lone validator commits its own proposals") {
  Cluster c(1);
  Node& n = c.node(0);
  c.start(kStart);
  // Nothing to propose: no block, no batch timer.
  CHECK(n.delivered().empty());
  CHECK(n.timers().count(TimerId::kBatch) == 0);

  n.run(n.engine().on_request(txs(0, 2), kStart), kStart);
  CHECK(n.delivered().empty());  // waits for the batch delay
  REQUIRE(n.timers().count(TimerId::kBatch) == 1);
  c.fire(0, TimerId::kBatch, kStart + 10);
  REQUIRE(n.delivered().size() == 1);
  const Deliver& d = n.delivered()[0];
  CHECK(d.height == 1);
  CHECK(d.block.transactions_size() == 2);
  CHECK(verify_commit_certificate(n.config(), d.block, c.keys().verifier()).is_ok());
  CHECK(n.engine().committed_height() == 1);
  CHECK(n.engine().pending_requests() == 0);

  // A full block goes at once; the next commits on top of it in the same step.
  n.run(n.engine().on_request(txs(10, 9), kStart + 20), kStart + 20);
  CHECK(n.delivered().size() == 3);  // two full blocks of four; one transaction waits
  CHECK(n.engine().pending_requests() == 1);
  c.fire(0, TimerId::kBatch, kStart + 40);
  CHECK(n.delivered().size() == 4);
  CHECK(n.engine().pending_requests() == 0);
  for (size_t i = 1; i < n.delivered().size(); ++i) {
    BlockHeader h;
    h.ParseFromString(n.delivered()[i].block.header());
    CHECK(h.prev_hash() == crypto::hash_bytes(n.delivered()[i - 1].hash));
    CHECK(h.height() == i + 1);
  }
}

TEST_CASE("four validators commit pipelined blocks in order") {
  Cluster c(4);
  c.start(kStart);
  c.request(txs(0, 10), kStart);
  // Two full blocks were proposed at once, pipelined.
  c.pump(kStart);
  for (uint32_t i = 0; i < 4; ++i) CHECK(c.node(i).delivered().size() == 2);
  c.fire(0, TimerId::kBatch, kStart + 10);
  c.pump(kStart + 10);
  std::set<crypto::Hash> seen;
  for (uint32_t i = 0; i < 4; ++i) {
    Node& n = c.node(i);
    INFO("replica " << i);
    REQUIRE(n.delivered().size() == 3);
    CHECK(delivered_hashes(n) == delivered_hashes(c.node(0)));
    for (size_t k = 0; k < 3; ++k) {
      CHECK(n.delivered()[k].height == k + 1);
      CHECK(verify_commit_certificate(n.config(), n.delivered()[k].block, c.keys().verifier())
                .is_ok());
    }
    CHECK(n.engine().pending_requests() == 0);
  }
  for (const Deliver& d : c.node(0).delivered()) {
    const auto hashes = transaction_hashes(d.block);
    REQUIRE(hashes.is_ok());
    for (const crypto::Hash& t : *hashes) CHECK(seen.insert(t).second);
  }
  CHECK(seen.size() == 10);

  // Re-submitting committed transactions queues nothing.
  c.request(txs(0, 10), kStart + 20);
  for (uint32_t i = 0; i < 4; ++i) CHECK(c.node(i).engine().pending_requests() == 0);
}

TEST_CASE("an idle primary certifies the last block with transactions by one empty block") {
  Cluster c(4);
  commit_first_block(c);
  for (uint32_t i = 0; i < 4; ++i) REQUIRE(c.node(i).delivered().size() == 1);
  // Block 1 certifies genesis state; nothing would certify block 1's but another block. The
  // primary waits the batch delay for a transaction that would do it, then proposes an empty one.
  Node& primary = c.node(0);
  REQUIRE(primary.timers().count(TimerId::kBatch) == 1);
  c.fire(0, TimerId::kBatch, kStart + 30);
  c.pump(kStart + 30);
  for (uint32_t i = 0; i < 4; ++i) {
    INFO("replica " << i);
    REQUIRE(c.node(i).delivered().size() == 2);
    const Deliver& d = c.node(i).delivered()[1];
    CHECK(d.block.transactions_size() == 0);
    BlockHeader h;
    h.ParseFromString(d.block.header());
    CHECK(h.state_height() == 1);
    CHECK(verify_commit_certificate(c.node(i).config(), d.block, c.keys().verifier()).is_ok());
  }
  // Certified: no more empty blocks, however long the chain stays idle.
  CHECK(primary.timers().count(TimerId::kBatch) == 0);
  c.fire(0, TimerId::kBatch, kStart + 1000);
  c.pump(kStart + 1000);
  CHECK(primary.delivered().size() == 2);

  // A primary proposing another empty block now (certifying the empty one) is refused.
  BlockHeader h2;
  h2.ParseFromString(primary.delivered()[1].block.header());
  BlockSpec s;
  s.height = 3;
  s.view = 0;
  s.prev = primary.delivered()[1].hash;
  s.timestamp_ms = h2.timestamp_ms() + 1;
  s.state_height = 2;
  s.state_root = primary.root();
  Node& replica = c.node(1);
  const uint64_t invalid_before = replica.engine().rejections(Rejection::kInvalidProposal);
  const Actions a = replica.run(
      replica.engine().on_message(pre_prepare(c.keys(), 0, 0, 3, make_block(4, s)), kStart + 1001),
      kStart + 1001);
  CHECK(sends_nothing(a));
  CHECK(replica.engine().rejections(Rejection::kInvalidProposal) == invalid_before + 1);
  CHECK(replica.engine().last_rejection()->detail.find("certified already") != std::string::npos);

  // The next transactions make a block as usual; the empty block after them certifies it.
  c.request(txs(10, 1), kStart + 2000);
  c.fire(0, TimerId::kBatch, kStart + 2010);
  c.pump(kStart + 2010);
  c.fire(0, TimerId::kBatch, kStart + 2030);
  c.pump(kStart + 2030);
  REQUIRE(primary.delivered().size() == 4);
  CHECK(primary.delivered()[2].block.transactions_size() == 1);
  CHECK(primary.delivered()[3].block.transactions_size() == 0);
}

TEST_CASE("a primary restarted before certifying the tip certifies it from the tip's facts") {
  Cluster c(4);
  commit_first_block(c);
  REQUIRE(c.node(0).delivered().size() == 1);
  c.crash(0);
  c.restart(0, kStart + 15);  // its store's tip: block 1, with transactions, certifying state 0
  c.pump(kStart + 15);
  c.fire(0, TimerId::kBatch, kStart + 40);
  c.pump(kStart + 40);
  for (uint32_t i = 1; i < 4; ++i) {
    INFO("replica " << i);
    REQUIRE(c.node(i).delivered().size() == 2);
    CHECK(c.node(i).delivered()[1].block.transactions_size() == 0);
  }
}

TEST_CASE("requests are deduplicated and oversized ones refused") {
  Cluster c(4);
  c.start(kStart);
  Node& n = c.node(2);
  n.run(n.engine().on_request(txs(0, 3), kStart), kStart);
  n.run(n.engine().on_request(txs(1, 3), kStart), kStart);
  CHECK(n.engine().pending_requests() == 4);
  Tx big = make_tx("big");
  big.bytes.assign(5000, 'x');
  n.run(n.engine().on_request({big}, kStart), kStart);
  CHECK(n.engine().pending_requests() == 4);
  CHECK(rejected(n.engine(), Rejection::kOversizedRequest) == 1);
  // A backup holding requests arms the request watchdog.
  CHECK(n.timers().count(TimerId::kRequest) == 1);
}

TEST_CASE("every vote is persisted before it is sent") {
  Cluster c(4);
  c.start(kStart);
  std::vector<Actions> lists;
  for (uint32_t i = 0; i < 4; ++i) {
    Node& n = c.node(i);
    lists.push_back(n.run(n.engine().on_request(txs(0, 4), kStart), kStart));
    c.route(i, lists.back());
  }
  while (!c.network().empty()) {
    InFlight f = c.network().front();
    c.network().pop_front();
    Node& n = c.node(f.to);
    lists.push_back(n.run(n.engine().on_message(f.envelope, kStart), kStart));
    c.route(f.to, lists.back());
  }
  size_t checked = 0;
  for (const Actions& list : lists) {
    std::set<std::string> persisted;
    for (const Action& a : list) {
      if (const auto* p = std::get_if<Persist>(&a)) {
        for (const auto& [k, v] : p->puts) persisted.insert(k);
      }
      const auto* b = std::get_if<Broadcast>(&a);
      if (b == nullptr) continue;
      const auto m = decode(b->envelope);
      REQUIRE(m.has_value());
      char key[32];
      if (m->has_prepare()) {
        std::snprintf(key, sizeof key, "pv/%020llu", static_cast<unsigned long long>(m->prepare().height()));
        CHECK(persisted.count(key) == 1);
        ++checked;
      } else if (m->has_commit()) {
        std::snprintf(key, sizeof key, "cv/%020llu", static_cast<unsigned long long>(m->commit().height()));
        CHECK(persisted.count(key) == 1);
        CHECK(persisted.count("prepared") == 1);
        ++checked;
      } else if (m->has_pre_prepare()) {
        std::snprintf(key, sizeof key, "pp/%020llu", static_cast<unsigned long long>(m->pre_prepare().height()));
        CHECK(persisted.count(key) == 1);
        ++checked;
      }
    }
  }
  CHECK(checked == 1 + 3 + 4);  // one proposal, three PREPAREs, four COMMITs
  for (uint32_t i = 0; i < 4; ++i) CHECK(c.node(i).delivered().size() == 1);
}

TEST_CASE("messages that fail a check are rejected, counted and answered with nothing") {
  Cluster c(4);
  Keys& keys = c.keys();
  c.start(kStart);
  Node& n = c.node(1);
  Engine& e = n.engine();
  const Block block = simple_block(1, 0, {make_tx("a")});
  const crypto::Hash hash = block_hash(block);
  auto deliver = [&](const Envelope& env) { return n.run(e.on_message(env, kStart), kStart); };

  SECTION("from outside the validator set") {
    Envelope env = pre_prepare(keys, 0, 0, 1, block);
    env.set_validator(4);
    CHECK(sends_nothing(deliver(env)));
    CHECK(rejected(e, Rejection::kNotValidator) == 1);
  }
  SECTION("carrying the replica's own index") {
    CHECK(sends_nothing(deliver(prepare(keys, 1, 0, 1, hash))));
    CHECK(rejected(e, Rejection::kOwnMessage) == 1);
  }
  SECTION("a bad envelope signature") {
    Envelope env = pre_prepare(keys, 0, 0, 1, block);
    env.set_validator(2);  // signed by 0, claims 2
    CHECK(sends_nothing(deliver(env)));
    Envelope flipped = pre_prepare(keys, 0, 0, 1, block);
    std::string sig = flipped.signature();
    sig[0] ^= 1;
    flipped.set_signature(sig);
    CHECK(sends_nothing(deliver(flipped)));
    CHECK(rejected(e, Rejection::kBadSignature) == 2);
    REQUIRE(e.last_rejection().has_value());
    CHECK(e.last_rejection()->text() == "bad_signature: envelope from validator 0");
    // The index on an envelope is only a claim until its signature verifies.
    CHECK_FALSE(is_provable_misbehaviour(e.last_rejection()->reason));
  }
  SECTION("a malformed payload, validly signed") {
    Envelope env;
    env.set_validator(2);
    env.set_payload("\x0a\xff\xff\xff");
    env.set_signature(keys.signer(2).sign(envelope_digest(kChain, env.payload())));
    CHECK(sends_nothing(deliver(env)));
    CHECK(sends_nothing(deliver(keys.seal(2, Message()))));  // decodes, sets no kind
    CHECK(rejected(e, Rejection::kMalformed) == 2);
    Message m;
    m.mutable_prepare()->set_height(1);
    m.mutable_prepare()->set_block_hash("short");
    CHECK(sends_nothing(deliver(keys.seal(2, m))));
    CHECK(rejected(e, Rejection::kMalformed) == 3);
  }
  SECTION("the wrong view") {
    const Block b2 = simple_block(1, 2, {make_tx("a")});
    CHECK(sends_nothing(deliver(pre_prepare(keys, 2, 2, 1, b2))));
    const Block b6 = simple_block(1, 6, {make_tx("a")});
    CHECK(sends_nothing(deliver(pre_prepare(keys, 2, 6, 1, b6))));
    CHECK(sends_nothing(deliver(prepare(keys, 2, 3, 1, hash))));
    CHECK(rejected(e, Rejection::kWrongView) == 3);
  }
  SECTION("a proposal from a validator that is not the primary") {
    const Block b = simple_block(1, 0, {make_tx("a")}, 2);
    CHECK(sends_nothing(deliver(pre_prepare(keys, 2, 0, 1, b))));
    CHECK(rejected(e, Rejection::kNotPrimary) == 1);
    CHECK(e.last_rejection()->validator == std::optional<uint32_t>(2));
    CHECK(is_provable_misbehaviour(e.last_rejection()->reason));
  }
  SECTION("outside the watermark window") {
    const uint64_t far = n.config().window + 1;
    const Block b = simple_block(far, 0, {make_tx("a")});
    CHECK(sends_nothing(deliver(pre_prepare(keys, 0, 0, far, b))));
    CHECK(sends_nothing(deliver(prepare(keys, 2, 0, far, hash))));
    CHECK(sends_nothing(deliver(commit(keys, 2, 0, far + 100, hash))));
    CHECK(rejected(e, Rejection::kOutsideWindow) == 3);
  }
  SECTION("an invalid proposal") {
    Block b = block;
    b.add_transactions(make_tx("extra").bytes);  // no longer matches tx_root
    CHECK(sends_nothing(deliver(pre_prepare(keys, 0, 0, 1, b))));
    CHECK(rejected(e, Rejection::kInvalidProposal) == 1);
  }
  SECTION("a forged vote inside a valid envelope") {
    Message m;
    Prepare* p = m.mutable_prepare();
    p->set_view(0);
    p->set_height(1);
    p->set_block_hash(crypto::hash_bytes(hash));
    p->set_signature(keys.vote(3, VoteKind::kPrepare, 0, 1, hash));  // 3's vote, sent by 2
    CHECK(sends_nothing(deliver(keys.seal(2, m))));
    Envelope pp = pre_prepare(keys, 0, 0, 1, block);
    Message inner = *decode(pp);
    inner.mutable_pre_prepare()->set_prepare_signature(keys.vote(0, VoteKind::kCommit, 0, 1, hash));
    CHECK(sends_nothing(deliver(keys.seal(0, inner))));
    CHECK(rejected(e, Rejection::kBadVoteSignature) == 2);
    CHECK(rejected(e, Rejection::kBadSignature) == 0);
    // The envelope is validly signed, so the forged vote is provably its sender's doing.
    CHECK(e.last_rejection()->validator == std::optional<uint32_t>(0));
    CHECK(is_provable_misbehaviour(e.last_rejection()->reason));
  }
  SECTION("a valid proposal is accepted and prepared") {
    const Actions a = deliver(pre_prepare(keys, 0, 0, 1, block));
    const auto sent = messages(a);
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].has_prepare());
    CHECK(e.rejections_total() == 0);
  }
}

TEST_CASE("equivocation is recorded as evidence, once per slot") {
  Cluster c(4);
  Keys& keys = c.keys();
  c.start(kStart);
  Node& n = c.node(3);
  Engine& e = n.engine();
  const Block a = simple_block(1, 0, {make_tx("a")});
  const Block b = simple_block(1, 0, {make_tx("b")});
  auto deliver = [&](const Envelope& env) { return n.run(e.on_message(env, kStart), kStart); };

  SECTION("two proposals for one view and height") {
    const Envelope first = pre_prepare(keys, 0, 0, 1, a);
    const Envelope second = pre_prepare(keys, 0, 0, 1, b);
    deliver(first);
    const auto ev = all_of<Evidence>(deliver(second));
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].validator == 0);
    CHECK(ev[0].kind == "pre-prepare");
    CHECK(ev[0].first.payload() == first.payload());
    CHECK(ev[0].second.payload() == second.payload());
    CHECK(all_of<Evidence>(deliver(pre_prepare(keys, 0, 0, 1, b))).empty());  // once
  }
  SECTION("two PREPAREs, COMMITs and CHECKPOINTs") {
    deliver(prepare(keys, 2, 0, 1, block_hash(a)));
    auto ev = all_of<Evidence>(deliver(prepare(keys, 2, 0, 1, block_hash(b))));
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].kind == "prepare");
    deliver(commit(keys, 1, 0, 2, block_hash(a)));
    ev = all_of<Evidence>(deliver(commit(keys, 1, 0, 2, block_hash(b))));
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].kind == "commit");
    CHECK(ev[0].height == 2);
    // A commit in a later view for another block is no equivocation.
    CHECK(all_of<Evidence>(deliver(commit(keys, 1, 1, 2, block_hash(a)))).empty());
    auto checkpoint = [&](const char* root) {
      Message m;
      Checkpoint* cp = m.mutable_checkpoint();
      cp->set_height(4);
      cp->set_block_hash(crypto::hash_bytes(block_hash(a)));
      cp->set_state_root(crypto::hash_bytes(crypto::sha256(root)));
      cp->set_signature(keys.checkpoint_vote(2, 4, block_hash(a), crypto::sha256(root)));
      return keys.seal(2, m);
    };
    deliver(checkpoint("r1"));
    ev = all_of<Evidence>(deliver(checkpoint("r2")));
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].kind == "checkpoint");
  }
}

TEST_CASE("checkpoints become stable and the log below them goes") {
  Cluster c(4);
  c.start(kStart);
  c.request(txs(0, 16), kStart);  // four full blocks: K = 4
  c.pump(kStart);
  for (uint32_t i = 0; i < 4; ++i) {
    Node& n = c.node(i);
    INFO("replica " << i);
    CHECK(n.engine().committed_height() == 4);
    CHECK(n.engine().stable_checkpoint() == 4);
    for (const auto& [k, v] : n.persisted()) {
      CHECK((k.rfind("pv/", 0) != 0 && k.rfind("cv/", 0) != 0 && k.rfind("pp/", 0) != 0 &&
             k.rfind("blk/", 0) != 0));
    }
    CHECK(n.persisted().count("ckpt") == 1);
  }
  // The window moved: the primary may now propose up to 4 + window.
  c.request(txs(100, 4 * 8), kStart + 1);
  c.pump(kStart + 1);
  CHECK(c.node(2).engine().committed_height() == 12);
}

TEST_CASE("a quorum certifying another state root halts the replica") {
  Cluster c(4);
  c.node(3).corrupt_root = crypto::sha256("wrong");
  c.start(kStart);
  c.request(txs(0, 16), kStart);
  c.pump(kStart);
  Engine& bad = c.node(3).engine();
  REQUIRE(bad.halted());
  CHECK(bad.halt_reason().find("state root disagreement at height") != std::string::npos);
  CHECK(bad.on_request(txs(50, 1), kStart).empty());
  CHECK(bad.on_timer(TimerId::kResend, kStart).empty());
  for (uint32_t i = 0; i < 3; ++i) CHECK_FALSE(c.node(i).engine().halted());
}

TEST_CASE("proposals certify the history of their state height beside its root") {
  Cluster c(4);
  c.start(kStart);
  c.request(txs(0, 4), kStart);
  c.pump(kStart);
  c.request(txs(10, 4), kStart + 1);
  c.pump(kStart + 1);
  const auto& delivered = c.node(1).delivered();
  REQUIRE(delivered.size() >= 2);
  BlockHeader h;
  REQUIRE(h.ParseFromString(delivered.back().block.header()));
  REQUIRE(h.state_height() >= 1);
  // The harness reports history = SHA-256("history " + hex(root)) for every executed height.
  const crypto::Hash root = *crypto::hash_from_bytes(h.state_root());
  CHECK(h.history_root() == crypto::hash_bytes(crypto::sha256("history " + crypto::to_hex(root))));
}

TEST_CASE("a replica with another history refuses to prepare; a certified header halts it") {
  SECTION("from the start: it refuses the proposal naming the history, and halts on the certificate") {
    Cluster c(4);
    c.node(3).corrupt_history = crypto::sha256("wrong receipts");
    c.start(kStart);
    c.request(txs(0, 4), kStart);
    c.pump(kStart);
    c.request(txs(10, 4), kStart + 1);
    c.pump(kStart + 1);
    Engine& bad = c.node(3).engine();
    REQUIRE(bad.rejections(Rejection::kInvalidProposal) >= 1);
    REQUIRE(bad.last_rejection());
    CHECK(bad.last_rejection()->detail.find("proposal at height 2 certifies history") != std::string::npos);
    // The others commit without it; their commit certificate then halts it.
    CHECK(c.node(0).engine().committed_height() >= 2);
    REQUIRE(bad.halted());
    CHECK(bad.halt_reason().find("history disagreement at height 1: committed block 2") != std::string::npos);
    for (uint32_t i = 0; i < 3; ++i) CHECK_FALSE(c.node(i).engine().halted());
  }
  SECTION("after a block: the committed header certifying the honest history halts it") {
    Cluster c(4);
    c.start(kStart);
    c.request(txs(0, 4), kStart);
    c.pump(kStart);
    c.node(2).corrupt_history = crypto::sha256("wrong receipts");
    c.request(txs(10, 4), kStart + 1);
    c.pump(kStart + 1);
    c.request(txs(20, 4), kStart + 2);
    c.pump(kStart + 2);
    c.request(txs(30, 4), kStart + 3);
    c.pump(kStart + 3);
    Engine& bad = c.node(2).engine();
    REQUIRE(bad.halted());
    CHECK(bad.halt_reason().find("history disagreement at height 2: committed block 3") != std::string::npos);
    CHECK_FALSE(c.node(0).engine().halted());
  }
}

TEST_CASE("a committed header certifying another state root halts on execution") {
  Cluster c(4);
  c.start(kStart);
  c.request(txs(0, 4), kStart);
  c.pump(kStart);
  // Block 1 executed everywhere. Replica 2 now executes block 2 wrongly; block 3's header
  // (proposed by an honest primary that executed block 2) certifies the honest root.
  c.node(2).corrupt_root = crypto::sha256("wrong");
  c.request(txs(10, 4), kStart + 1);
  c.pump(kStart + 1);
  c.request(txs(20, 4), kStart + 2);
  c.pump(kStart + 2);
  CHECK(c.node(2).engine().halted());
  CHECK_FALSE(c.node(0).engine().halted());
}

TEST_CASE("a silent primary is replaced and the requests commit in the new view") {
  Cluster c(4);
  c.start(kStart);
  c.crash(0);
  c.request(txs(0, 2), kStart);
  for (uint32_t i = 1; i < 4; ++i) REQUIRE(c.node(i).timers().count(TimerId::kRequest) == 1);
  c.fire(1, TimerId::kRequest, kStart + 1000);
  c.fire(2, TimerId::kRequest, kStart + 1000);
  // Replica 3 has not timed out, but f+1 = 2 VIEW-CHANGEs pull it along.
  c.pump(kStart + 1000);
  for (uint32_t i = 1; i < 4; ++i) {
    INFO("replica " << i);
    CHECK(c.node(i).engine().view() == 1);
    CHECK(c.node(i).engine().view_active());
  }
  CHECK(c.node(3).engine().view_changes_started() == 1);
  // The new primary (1) proposed the requests, long due, on entering the view.
  for (uint32_t i = 1; i < 4; ++i) {
    REQUIRE(c.node(i).delivered().size() == 1);
    BlockHeader h;
    h.ParseFromString(c.node(i).delivered()[0].block.header());
    CHECK(h.view() == 1);
    CHECK(h.proposer() == 1);
  }
}

TEST_CASE("a block prepared before a view change is re-proposed and commits unchanged") {
  Cluster c(4);
  c.start(kStart);
  c.request(txs(0, 4), kStart);
  // Everyone prepares block 1; every COMMIT is lost.
  c.pump(kStart, [](const InFlight&, const Message& m) { return m.has_commit(); });
  for (uint32_t i = 0; i < 4; ++i) REQUIRE(c.node(i).delivered().empty());
  PreparedCertificate pc;
  REQUIRE(pc.ParseFromString(c.node(2).persisted().at("prepared")));
  const crypto::Hash expected = block_hash(pc.block());
  c.crash(0);
  for (uint32_t i = 1; i < 4; ++i) c.fire(i, TimerId::kRequest, kStart + 1000);
  c.pump(kStart + 1000);
  for (uint32_t i = 1; i < 4; ++i) {
    INFO("replica " << i);
    CHECK(c.node(i).engine().view() == 1);
    REQUIRE(c.node(i).delivered().size() == 1);
    CHECK(c.node(i).delivered()[0].hash == expected);
    CHECK(c.node(i).delivered()[0].block.certificate().view() == 1);
  }
}

TEST_CASE("a replica that missed blocks learns it is behind and fetches them") {
  Cluster c(4);
  c.start(kStart);
  c.request(txs(0, 8), kStart);
  c.pump(kStart, [](const InFlight& f, const Message&) { return f.to == 3; });
  REQUIRE(c.node(0).engine().committed_height() == 2);
  Node& lag = c.node(3);
  CHECK(lag.engine().committed_height() == 0);
  // The laggard times out on requests it holds and says so; the others answer with a commit
  // certificate, and the laggard asks its node for the blocks.
  c.fire(3, TimerId::kRequest, kStart + 1000);
  Actions seen;
  while (!c.network().empty()) {
    InFlight f = c.network().front();
    c.network().pop_front();
    const Actions a = c.node(f.to).run(c.node(f.to).engine().on_message(f.envelope, kStart + 1000),
                                       kStart + 1000);
    if (f.to == 3) seen.insert(seen.end(), a.begin(), a.end());
    c.route(f.to, a);
  }
  const auto fetch = all_of<FetchBlocks>(seen);
  REQUIRE_FALSE(fetch.empty());
  CHECK(fetch[0].from_height == 1);
  CHECK(fetch[0].to_height == 2);
  CHECK_FALSE(fetch[0].sources.empty());
  // The node fetched, verified and executed both blocks.
  const crypto::Hash h2 = c.node(0).delivered()[1].hash;
  const crypto::Hash root = next_root(next_root(genesis_root(), c.node(0).delivered()[0].hash), h2);
  BlockHeader hdr;
  hdr.ParseFromString(c.node(0).delivered()[1].block.header());
  lag.run(lag.engine().on_state_transferred(2, h2, root, hdr.timestamp_ms(), kStart + 1100),
          kStart + 1100);
  CHECK(lag.engine().committed_height() == 2);
  CHECK(lag.engine().executed_height() == 2);
}

TEST_CASE("a replica that lost the NEW-VIEW gets it again from the primary") {
  Cluster c(4);
  c.start(kStart);
  c.crash(0);
  c.request(txs(0, 2), kStart);
  for (uint32_t i = 1; i < 4; ++i) c.fire(i, TimerId::kRequest, kStart + 1000);
  c.pump(kStart + 1000, [](const InFlight& f, const Message& m) {
    return f.to == 3 && m.has_new_view();
  });
  REQUIRE(c.node(1).engine().view_active());
  REQUIRE_FALSE(c.node(3).engine().view_active());
  // Replica 3 re-sends its VIEW-CHANGE for the view the others already entered.
  c.fire(3, TimerId::kResend, kStart + 1200);
  c.pump(kStart + 1200);
  CHECK(c.node(3).engine().view() == 1);
  CHECK(c.node(3).engine().view_active());
}

TEST_CASE("state transfer of heights the engine committed meanwhile counts as execution") {
  Cluster c(4);
  c.node(3).execute = false;  // its node stores the blocks through state transfer instead
  c.start(kStart);
  c.request(txs(0, 8), kStart);
  c.pump(kStart);
  Engine& e = c.node(3).engine();
  REQUIRE(e.committed_height() == 2);
  REQUIRE(e.executed_height() == 0);
  const Deliver& d2 = c.node(0).delivered()[1];
  const crypto::Hash root =
      next_root(next_root(genesis_root(), c.node(0).delivered()[0].hash), d2.hash);
  BlockHeader h;
  h.ParseFromString(d2.block.header());
  c.node(3).run(e.on_state_transferred(2, d2.hash, root, h.timestamp_ms(), kStart + 5),
                kStart + 5);
  CHECK(e.executed_height() == 2);
  CHECK_FALSE(e.halted());
  // A transfer that contradicts what the engine committed is a broken invariant.
  Cluster c2(4);
  c2.node(3).execute = false;
  c2.start(kStart);
  c2.request(txs(0, 4), kStart);
  c2.pump(kStart);
  Engine& e2 = c2.node(3).engine();
  REQUIRE(e2.committed_height() == 1);
  c2.node(3).run(e2.on_state_transferred(1, crypto::sha256("other"), root, 1, kStart + 5),
                 kStart + 5);
  CHECK(e2.halted());
}

TEST_CASE("a replica still lacking votes for a checkpoint stable elsewhere gets them") {
  Cluster c(4);
  c.start(kStart);
  c.request(txs(0, 16), kStart);
  c.pump(kStart, [](const InFlight& f, const Message& m) {
    return f.to == 3 && f.from < 2 && m.has_checkpoint();
  });
  REQUIRE(c.node(0).engine().stable_checkpoint() == 4);
  REQUIRE(c.node(3).engine().stable_checkpoint() == 0);
  // Its own re-sent vote is the request: the others answer with theirs.
  c.fire(3, TimerId::kResend, kStart + 200);
  c.pump(kStart + 200);
  CHECK(c.node(3).engine().stable_checkpoint() == 4);
}

TEST_CASE("a replica past a checkpoint by state transfer takes a VIEW-CHANGE's proof of it") {
  Keys keys(4);
  Node n(keys, 3, make_config(4, 3));
  n.start(kStart);
  const crypto::Hash h8 = crypto::sha256("block 8");
  const crypto::Hash r8 = crypto::sha256("state after 8");
  auto view_change = [&](uint32_t from, std::vector<uint32_t> voters) {
    Message m;
    ViewChange* vc = m.mutable_view_change();
    vc->set_new_view(1);
    CheckpointProof* proof = vc->mutable_checkpoint();
    proof->set_height(8);
    proof->set_block_hash(crypto::hash_bytes(h8));
    proof->set_state_root(crypto::hash_bytes(r8));
    for (uint32_t v : voters) {
      auto* vote = proof->add_votes();
      vote->set_validator(v);
      vote->set_signature(keys.checkpoint_vote(v, 8, h8, r8));
    }
    return keys.seal(from, m);
  };
  // Two votes are no proof: the VIEW-CHANGE is refused whole.
  n.run(n.engine().on_message(view_change(1, {1, 2}), kStart), kStart);
  CHECK(rejected(n.engine(), Rejection::kBadViewChange) == 1);
  // A quorum's proof arrives while the replica is still at genesis: it waits for execution.
  n.run(n.engine().on_message(view_change(0, {0, 1, 2}), kStart), kStart);
  CHECK(n.engine().stable_checkpoint() == 0);
  // State transfer carries it to height 10, past 8, where it has no root to vote with.
  n.run(n.engine().on_state_transferred(10, crypto::sha256("block 10"),
                                        crypto::sha256("state after 10"), kStart, kStart + 5),
        kStart + 5);
  CHECK(n.engine().executed_height() == 10);
  CHECK(n.engine().stable_checkpoint() == 8);
  CHECK(n.persisted().count("ckpt") == 1);
  CHECK_FALSE(n.engine().halted());
}

TEST_CASE("a replica missing exactly the last committed height is told to fetch it") {
  Cluster c(4);
  c.start(kStart);
  c.request(txs(0, 8), kStart);
  auto height_of = [](const Message& m) -> uint64_t {
    if (m.has_pre_prepare()) return m.pre_prepare().height();
    if (m.has_prepare()) return m.prepare().height();
    if (m.has_commit()) return m.commit().height();
    return 0;
  };
  c.pump(kStart, [&](const InFlight& f, const Message& m) { return f.to == 3 && height_of(m) == 2; });
  REQUIRE(c.node(0).engine().committed_height() == 2);
  REQUIRE(c.node(3).engine().committed_height() == 1);
  c.fire(3, TimerId::kRequest, kStart + 1000);  // its VIEW-CHANGE shows height 1 committed
  Actions seen;
  while (!c.network().empty()) {
    InFlight f = c.network().front();
    c.network().pop_front();
    const Actions a = c.node(f.to).run(c.node(f.to).engine().on_message(f.envelope, kStart + 1000),
                                       kStart + 1000);
    if (f.to == 3) seen.insert(seen.end(), a.begin(), a.end());
    c.route(f.to, a);
  }
  const auto fetch = all_of<FetchBlocks>(seen);
  REQUIRE_FALSE(fetch.empty());
  CHECK(fetch[0].from_height == 2);
  CHECK(fetch[0].to_height == 2);
}

TEST_CASE("of two blocks prepared at one height, the later view's is re-proposed") {
  // View 0: only replica 3 prepares block A. View 1 (without 3): block B is proposed at the same
  // height, prepared by 0, 1 and 2, and committed by 0 alone. View 2 (without 0): the VIEW-CHANGE
  // quorum holds A (view 0) from 3 and B (view 1) from 1 and 2. Re-proposing A would commit a
  // second block at height 1; the NEW-VIEW must re-propose B.
  Cluster c(4);
  c.start(kStart);
  c.request(txs(0, 4), kStart);
  c.pump(kStart, [](const InFlight& f, const Message& m) {
    return (m.has_prepare() && f.to != 3) || m.has_commit();
  });
  REQUIRE(c.node(3).persisted().count("prepared") == 1);
  for (uint32_t i = 0; i < 3; ++i) REQUIRE(c.node(i).persisted().count("prepared") == 0);
  PreparedCertificate a;
  a.ParseFromString(c.node(3).persisted().at("prepared"));
  const crypto::Hash block_a = block_hash(a.block());

  const uint64_t t1 = kStart + 1000;
  for (uint32_t i = 0; i < 3; ++i) c.fire(i, TimerId::kRequest, t1);
  c.pump(t1, [](const InFlight& f, const Message& m) {
    return f.to == 3 || f.from == 3 || (m.has_commit() && f.to != 0);
  });
  REQUIRE(c.node(0).delivered().size() == 1);
  const crypto::Hash block_b = c.node(0).delivered()[0].hash;
  REQUIRE(block_b != block_a);
  for (uint32_t i = 1; i < 3; ++i) {
    REQUIRE(c.node(i).engine().view() == 1);
    REQUIRE(c.node(i).delivered().empty());
  }
  REQUIRE(c.node(3).engine().view() == 0);

  const uint64_t t2 = kStart + 5000;
  c.fire(1, TimerId::kRequest, t2);
  c.fire(2, TimerId::kRequest, t2);
  c.pump(t2, [](const InFlight& f, const Message&) { return f.to == 0 || f.from == 0; });
  c.pump(t2);
  for (uint32_t i = 0; i < 4; ++i) {
    INFO("replica " << i);
    CHECK(c.node(i).engine().view() >= 1);
    REQUIRE(c.node(i).delivered().size() == 1);
    CHECK(c.node(i).delivered()[0].hash == block_b);
  }
  CHECK(c.node(3).engine().view() == 2);
}

TEST_CASE("a commit certificate from a peer makes a replica fetch only when it is valid and new") {
  Cluster c(4);
  Keys& keys = c.keys();
  c.start(kStart);
  Node& n = c.node(1);
  Engine& e = n.engine();
  const crypto::Hash hash = crypto::sha256("block 5 committed elsewhere");
  auto send_cert = [&](const CommitCertificate& cert) {
    Message m;
    *m.mutable_committed()->mutable_certificate() = cert;
    return n.run(e.on_message(keys.seal(2, m), kStart), kStart);
  };

  SECTION("valid and above the replica's height") {
    const auto fetch = all_of<FetchBlocks>(send_cert(commit_certificate(keys, {0, 2, 3}, 0, 5, hash)));
    REQUIRE(fetch.size() == 1);
    CHECK(fetch[0].from_height == 1);
    CHECK(fetch[0].to_height == 5);
    CHECK(fetch[0].sources == std::vector<uint32_t>{0, 2, 3});
    CHECK(e.rejections_total() == 0);
  }
  SECTION("a vote signed by another key") {
    CommitCertificate cert = commit_certificate(keys, {0, 2, 3}, 0, 5, hash);
    cert.mutable_votes(1)->set_signature(commit_certificate(keys, {3}, 0, 5, hash).votes(0).signature());
    CHECK(all_of<FetchBlocks>(send_cert(cert)).empty());
    CHECK(rejected(e, Rejection::kBadCertificate) == 1);
  }
  SECTION("fewer votes than a quorum") {
    CHECK(all_of<FetchBlocks>(send_cert(commit_certificate(keys, {0, 2}, 0, 5, hash))).empty());
    CHECK(rejected(e, Rejection::kBadCertificate) == 1);
  }
  SECTION("for a height the replica already committed") {
    c.request(txs(0, 4), kStart);  // a full block: proposed at once
    c.pump(kStart);
    REQUIRE(e.committed_height() == 1);
    CHECK(all_of<FetchBlocks>(send_cert(commit_certificate(keys, {0, 2, 3}, 0, 1, hash))).empty());
    CHECK(rejected(e, Rejection::kStale) >= 1);
  }
}

TEST_CASE("a probe tells a replica how far the chain is and whether it is in touch") {
  Cluster c(4);
  c.start(kStart);
  // Nodes 0..2 commit two blocks while node 3 hears nothing.
  c.request(txs(0, 8), kStart);
  c.pump(kStart, [](const InFlight& f, const Message&) { return f.to == 3 || f.from == 3; });
  REQUIRE(c.node(0).engine().committed_height() == 2);
  Node& lag = c.node(3);
  Engine& e = lag.engine();
  const uint64_t t = kStart + 5000;
  CHECK_FALSE(e.in_touch(t, 3000));
  CHECK(e.peers_needed() == 2);
  CHECK(e.certified_height() == 0);

  const Actions probe = e.probe_peers(t);
  const auto sent = messages(probe);
  REQUIRE(sent.size() == 1);
  REQUIRE(sent[0].has_committed());
  CHECK(sent[0].committed().probe());
  c.route(3, probe);

  // Peers answer the probe; the answers come back to node 3.
  Actions seen;
  std::set<uint32_t> answered;
  while (!c.network().empty()) {
    InFlight f = c.network().front();
    c.network().pop_front();
    const Actions a = c.node(f.to).run(c.node(f.to).engine().on_message(f.envelope, t), t);
    if (f.to == 3) {
      seen.insert(seen.end(), a.begin(), a.end());
      answered.insert(f.from);
    }
    c.route(f.to, a);
  }
  CHECK(answered == std::set<uint32_t>{0, 1, 2});
  CHECK(e.in_touch(t, 3000));
  CHECK(e.peers_heard(t, 3000) == 3);
  CHECK(e.certified_height() == 2);
  const auto fetch = all_of<FetchBlocks>(seen);
  REQUIRE_FALSE(fetch.empty());
  CHECK(fetch[0].to_height == 2);

  SECTION("answers older than the window do not count") {
    CHECK_FALSE(e.in_touch(t + 3001, 3000));
    CHECK(e.in_touch(t + 3000, 3000));
    CHECK_FALSE(e.in_touch(t + 10, 5));
  }
  SECTION("a second probe within the resend interval gets no second answer") {
    c.route(3, e.probe_peers(t + 10));
    std::size_t answers = 0;
    while (!c.network().empty()) {
      InFlight f = c.network().front();
      c.network().pop_front();
      const Actions a = c.node(f.to).run(c.node(f.to).engine().on_message(f.envelope, t + 10),
                                         t + 10);
      answers += f.from != 3 ? 1 : 0;
      c.route(f.to, a);
    }
    CHECK(answers == 0);
  }
}

TEST_CASE("a lone validator is always in touch and never probes") {
  Cluster c(1);
  c.start(kStart);
  CHECK(c.node(0).engine().in_touch(kStart, 0));
  CHECK(c.node(0).engine().probe_peers(kStart).empty());
}

TEST_CASE("a certificate learnt from a peer is passed on to a laggard after state transfer") {
  Keys keys(4);
  Node n(keys, 3, make_config(4, 3));
  n.start(kStart);
  Engine& e = n.engine();
  const crypto::Hash h2 = crypto::sha256("block 2, certified by 0, 1 and 2");
  Message m;
  *m.mutable_committed()->mutable_certificate() = commit_certificate(keys, {0, 1, 2}, 0, 2, h2);
  REQUIRE(all_of<FetchBlocks>(n.run(e.on_message(keys.seal(0, m), kStart), kStart)).size() == 1);
  CHECK(n.persisted().count("cert") == 1);
  n.run(e.on_state_transferred(2, h2, crypto::sha256("state after 2"), kStart, kStart + 5),
        kStart + 5);
  REQUIRE(e.committed_height() == 2);
  // Validator 1 still works on height 2 (its PREPARE shows it): the only proof that height 2 is
  // final this replica holds is the certificate it was sent, and it passes that on.
  const Actions a =
      n.run(e.on_message(prepare(keys, 1, 0, 2, crypto::sha256("its proposal")), kStart + 10),
            kStart + 10);
  const auto sends = all_of<Send>(a);
  REQUIRE(sends.size() == 1);
  CHECK(sends[0].to == 1);
  const auto sent = decode(sends[0].envelope);
  REQUIRE(sent);
  REQUIRE(sent->has_committed());
  CHECK(sent->committed().certificate().height() == 2);
}

TEST_CASE("a replica holding a block commits it with a certificate that came whole") {
  // Twins seed 1724 (n = 4): the only replica that stored block 1 was a twin's instance that
  // then fell silent; the honest replicas held the block (proposal, prepared certificate) and
  // learnt its certificate from a COMMITTED message or a VIEW-CHANGE, but only fetched, from
  // replicas that had no block to give, while every new view started fresh blocks at height 2.
  Keys keys(4);
  Node n(keys, 3, make_config(4, 3));
  n.start(kStart);
  const Block block = simple_block(1, 0, {make_tx("a")});
  const crypto::Hash hash = block_hash(block);
  n.run(n.engine().on_message(pre_prepare(keys, 0, 0, 1, block), kStart), kStart);
  REQUIRE(n.engine().committed_height() == 0);
  const CommitCertificate cert = commit_certificate(keys, {0, 1, 2}, 0, 1, hash);
  auto delivered = [&](const Actions& a) {
    const auto d = all_of<Deliver>(a);
    return d.size() == 1 && d[0].height == 1 && d[0].hash == hash &&
           d[0].block.certificate().SerializeAsString() == cert.SerializeAsString();
  };

  SECTION("from a COMMITTED message, the proposal in its log") {
    Message m;
    *m.mutable_committed()->mutable_certificate() = cert;
    CHECK(delivered(n.run(n.engine().on_message(keys.seal(2, m), kStart + 5), kStart + 5)));
  }
  SECTION("from a VIEW-CHANGE, the proposal kept from the view it left") {
    n.run(n.engine().on_timer(TimerId::kRequest, kStart + 5), kStart + 5);
    REQUIRE_FALSE(n.engine().view_active());
    Message m;
    m.mutable_view_change()->set_new_view(1);
    *m.mutable_view_change()->mutable_committed() = cert;
    CHECK(delivered(n.run(n.engine().on_message(keys.seal(0, m), kStart + 10), kStart + 10)));
    CHECK(n.persisted().count("cert") == 1);
  }
  SECTION("after a restart, the block only in its prepared certificate") {
    n.run(n.engine().on_message(prepare(keys, 1, 0, 1, hash), kStart), kStart);
    n.run(n.engine().on_message(prepare(keys, 2, 0, 1, hash), kStart), kStart);
    REQUIRE(n.persisted().count("prepared") == 1);
    REQUIRE(n.engine().committed_height() == 0);
    n.boot();
    n.start(kStart + 5);
    Message m;
    *m.mutable_committed()->mutable_certificate() = cert;
    CHECK(delivered(n.run(n.engine().on_message(keys.seal(2, m), kStart + 10), kStart + 10)));
  }
  CHECK(n.engine().committed_height() == 1);
  CHECK(n.height() == 1);
  CHECK_FALSE(n.engine().halted());
}
