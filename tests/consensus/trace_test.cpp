// The consensus input trace (consensus/trace.hpp): a recorded run of the in-memory cluster
// replays to the same decisions, and an edited recording is caught at the input that changed;
// a cut-off tail is ignored; the application's recorded answers are what the replay gets.
#include <catch2/catch.hpp>

#include <sstream>

#include "consensus/trace.hpp"
#include "harness.hpp"

using namespace sharechain;
using namespace sharechain::consensus;
using namespace sharechain::consensus::testing;

namespace {

// Normal case, a batch timer, checkpoints, a silent primary replaced by a view change, probes,
// and the old primary restarted (a second segment in its trace). Nodes 0, 1 and 2 are traced.
struct RecordedRun {
  Cluster c{4};
  std::string trace[3];

  RecordedRun() {
    for (uint32_t i = 0; i < 3; ++i) c.node(i).record_trace();
    uint64_t t = kStart;
    c.start(t);
    c.request(txs(0, 16), t);
    c.pump(t);
    t += 5;
    c.request(txs(100, 2), t);
    c.pump(t);
    t += 10;
    c.fire(0, TimerId::kBatch, t);
    c.pump(t);
    for (uint32_t i = 0; i < 4; ++i) {
      c.route(i, c.node(i).run(c.node(i).input().probe_peers(t), t));
    }
    c.pump(t);
    c.crash(0);
    t += 10;
    c.request(txs(200, 2), t);
    t += 1100;
    for (uint32_t i = 1; i < 4; ++i) c.fire(i, TimerId::kRequest, t);
    c.pump(t);
    t += 100;
    c.restart(0, t);
    c.pump(t);
    for (uint32_t i = 0; i < 4; ++i) {
      if (c.node(i).timers().count(TimerId::kResend) != 0) c.fire(i, TimerId::kResend, t + 100);
    }
    c.pump(t + 100);
    for (uint32_t i = 0; i < 3; ++i) trace[i] = c.node(i).trace()->take();
  }
};

ReplayReport replay(const std::string& bytes, std::vector<uint64_t>* kinds = nullptr) {
  std::istringstream in(bytes);
  return replay_trace(in, nullptr, [&](const ReplayStep& s) {
    if (kinds != nullptr) kinds->push_back(static_cast<uint64_t>(s.input->kind()));
  });
}

std::vector<TraceRecord> records_of(const std::string& bytes) {
  std::istringstream in(bytes);
  TraceReader reader(in);
  std::vector<TraceRecord> out;
  TraceRecord r;
  while (reader.next(r)) out.push_back(r);
  REQUIRE(reader.error().empty());
  REQUIRE_FALSE(reader.truncated());
  return out;
}

std::string bytes_of(const std::vector<TraceRecord>& records) {
  std::string out;
  for (const auto& r : records) append_record(out, r);
  return out;
}

}  // namespace

TEST_CASE("a recorded cluster run replays to the same decisions") {
  RecordedRun run;
  const Engine& after = run.c.node(1).engine();
  REQUIRE(after.committed_height() >= 5);
  REQUIRE(after.view() == 1);
  for (uint32_t i = 0; i < 3; ++i) {
    INFO("node " << i);
    std::vector<uint64_t> kinds;
    const ReplayReport r = replay(run.trace[i], &kinds);
    INFO(r.error << r.divergence);
    CHECK(r.identical());
    CHECK_FALSE(r.truncated);
    CHECK(r.inputs == run.c.node(i).trace()->inputs());
    CHECK(r.segments == (i == 0 ? 2u : 1u));
    const Engine& e = run.c.node(i).engine();
    CHECK(r.view == e.view());
    CHECK(r.committed == e.committed_height());
    CHECK(r.executed == e.executed_height());
    CHECK(r.halts == 0);
    // Every kind of input the harness drives was recorded and replayed.
    for (TraceInputKind k : {TRACE_START, TRACE_MESSAGE, TRACE_TIMER, TRACE_REQUEST,
                             TRACE_EXECUTED, TRACE_PROBE_PEERS}) {
      if (i == 0 && k == TRACE_TIMER) continue;  // node 0 is crashed when the others time out
      CHECK(std::count(kinds.begin(), kinds.end(), static_cast<uint64_t>(k)) > 0);
    }
  }
}

TEST_CASE("replay reports the first input whose recorded decisions differ") {
  RecordedRun run;
  std::vector<TraceRecord> records = records_of(run.trace[1]);
  // The first message that made node 1 act: forge its envelope signature, so the engine drops it.
  uint64_t index = 0, edited = 0;
  for (auto& r : records) {
    if (!r.has_input()) continue;
    ++index;
    if (r.input().kind() == TRACE_MESSAGE && r.input().action_count() > 0) {
      r.mutable_input()->mutable_envelope()->set_signature(std::string(64, '\x01'));
      edited = index;
      break;
    }
  }
  REQUIRE(edited > 0);
  const ReplayReport r = replay(bytes_of(records));
  CHECK_FALSE(r.identical());
  REQUIRE(r.first_divergence);
  CHECK(*r.first_divergence == edited);
  CHECK(r.inputs == edited);  // replay stops there
  CHECK(r.rejections >= 1);  // the forged envelope, as bad_signature
  CHECK(r.divergence.find("input " + std::to_string(edited) + " (message from") == 0);
}

TEST_CASE("a trace cut off inside its last record replays up to it") {
  RecordedRun run;
  const std::string& full = run.trace[2];
  const ReplayReport whole = replay(full);
  REQUIRE(whole.identical());
  const ReplayReport cut = replay(full.substr(0, full.size() - 3));
  CHECK(cut.identical());
  CHECK(cut.truncated);
  CHECK(cut.inputs == whole.inputs - 1);

  const ReplayReport none = replay(std::string());
  CHECK(none.identical());
  CHECK(none.inputs == 0);

  std::vector<TraceRecord> records = records_of(full);
  records.erase(records.begin());  // no header
  CHECK_FALSE(replay(bytes_of(records)).error.empty());
}

TEST_CASE("the actions digest ignores envelope signatures and nothing else") {
  Envelope e;
  e.set_validator(2);
  e.set_payload("payload");
  e.set_signature(std::string(64, 'a'));
  Envelope resigned = e;
  resigned.set_signature(std::string(64, 'b'));
  Envelope other = e;
  other.set_payload("other");
  const Actions a{Broadcast{e}, SetTimer{TimerId::kResend, 100}};
  CHECK(actions_digest(a) == actions_digest(Actions{Broadcast{resigned}, SetTimer{TimerId::kResend, 100}}));
  CHECK(actions_digest(a) != actions_digest(Actions{Broadcast{other}, SetTimer{TimerId::kResend, 100}}));
  CHECK(actions_digest(a) != actions_digest(Actions{Broadcast{e}, SetTimer{TimerId::kResend, 101}}));
  CHECK(actions_digest(a) != actions_digest(Actions{SetTimer{TimerId::kResend, 100}, Broadcast{e}}));
  CHECK(actions_digest(a) != actions_digest(Actions{Send{1, e}, SetTimer{TimerId::kResend, 100}}));
  CHECK(actions_digest({}) != actions_digest(a));
}

TEST_CASE("replay answers for the application as it answered, and notices an answer changed") {
  Cluster c(4);
  c.node(1).record_trace();
  // Node 1's application refuses block 2 (say its mempool judged a transaction invalid); the
  // other three commit it without node 1's votes.
  c.node(1).app.judge = [](const BlockHeader& h, const Block&) {
    return h.height() == 2 ? Status::invalid_argument("not this one") : Status::ok();
  };
  c.start(kStart);
  c.request(txs(0, 4), kStart);
  c.pump(kStart);
  c.request(txs(10, 4), kStart + 1);
  c.pump(kStart + 1);
  REQUIRE(c.node(1).engine().rejections(Rejection::kInvalidProposal) == 1);
  REQUIRE(c.node(0).engine().committed_height() == 2);
  const std::string bytes = c.node(1).trace()->take();

  // The replay has no application of its own: the recorded refusal is what it gets.
  const ReplayReport r = replay(bytes);
  INFO(r.divergence << r.error);
  CHECK(r.identical());

  // The same trace with that answer turned into a yes: node 1 would have voted for block 2.
  std::vector<TraceRecord> records = records_of(bytes);
  uint64_t index = 0, edited = 0;
  for (auto& rec : records) {
    if (!rec.has_input()) continue;
    ++index;
    for (auto& a : *rec.mutable_input()->mutable_answers()) {
      if (a.code() != 0) {
        a.set_code(0);
        a.clear_message();
        edited = index;
      }
    }
    if (edited != 0) break;
  }
  REQUIRE(edited > 0);
  const ReplayReport changed = replay(bytes_of(records));
  REQUIRE(changed.first_divergence);
  CHECK(*changed.first_divergence == edited);
}

TEST_CASE("a run in a later epoch, through the epoch's end, replays to the same decisions") {
  // Epoch 2 from genesis, so that every envelope is signed as epoch 2 and the header must say
  // so: a replay that dropped the epoch would refuse every recorded message.
  Cluster c{4, [](Config& cfg) { cfg.epoch = 2; }};
  for (uint32_t i = 0; i < 4; ++i) c.node(i).record_trace();
  uint64_t t = kStart;
  c.start(t);
  c.request(txs(0, 2), t);
  c.pump(t);
  const EpochEnd end{8, crypto::sha256("the next set")};
  for (uint32_t i = 0; i < 4; ++i) c.route(i, c.node(i).run(c.node(i).input().set_epoch_end(end, t), t));
  for (int k = 0; k < 40 && !c.node(0).engine().epoch_finished(); ++k) {
    t += 10;
    c.request(txs(100 + 4 * k, 4), t);
    c.fire(0, TimerId::kBatch, t);
    c.pump(t);
  }
  for (uint32_t i = 0; i < 4; ++i) {
    INFO("node " << i);
    REQUIRE(c.node(i).engine().epoch_finished());
    CHECK(c.node(i).engine().committed_height() == 8);
  }
  BlockHeader last;
  REQUIRE(last.ParseFromString(c.node(1).delivered().back().block.header()));
  CHECK(last.height() == 8);
  CHECK(last.epoch() == 2);
  CHECK(last.next_validator_set_hash() == crypto::hash_bytes(end.next_set_hash));
  for (uint32_t i = 0; i < 4; ++i) {
    INFO("node " << i);
    std::vector<uint64_t> kinds;
    const std::string bytes = c.node(i).trace()->take();
    const ReplayReport r = replay(bytes, &kinds);
    INFO(r.error << r.divergence);
    CHECK(r.identical());
    CHECK(r.committed == 8);
    CHECK(std::count(kinds.begin(), kinds.end(), static_cast<uint64_t>(TRACE_EPOCH_END)) == 1);
    const auto records = records_of(bytes);
    REQUIRE(records.front().has_header());
    CHECK(records.front().header().epoch() == 2);
  }
}
