// The end-of-run checks of a chaos run (tools/chaos/checks.hpp), on made-up node views: each
// check passes on a consistent cluster and fails on a view corrupted the way a real fault could
// leave it, so none of them can pass by construction.
//   consistent: three nodes that agree on everything -> no violation, report ok
//   heights: a node behind, a node that did not answer
//   blocks: a hole (the snapshot defect), a block whose parent link is broken, different blocks
//     and different state roots at one height
//   acked: a transaction unreadable on one node, at another height, with other contents, in a
//     block the node does not hold there, a reply naming another hash; unacked ones are ignored
//   unique_ack: one hash acknowledged for two commands (a repeat built on a stale nonce)
//   supply: issued != genesis + minted, balances + escrow != issued, known accounts that do not
//     add up, nodes that disagree, a node that did not answer the query
//   balances: an account that differs between nodes
//   history: history_complete=false fails; no field at all is "not available", not a pass
//   recovery: a fault after which a node never caught up; nearest-rank percentiles
//   ranges: heights and ids print as compact ranges
//   ledger file: records round-trip through JSON; a torn last line is skipped with a note, a
//     malformed line elsewhere is an error
//   fault log: lines parse, a recovery that never came is null and counts as a violation
#include <catch2/catch.hpp>
#include <fstream>

#include "proto/crypto.hpp"
#include "tests/tools/temp_dir.hpp"
#include "tools/chaos/check.hpp"
#include "tools/chaos/checks.hpp"
#include "tools/chaos/record.hpp"

using namespace sharechain;
using namespace sharechain::chaos;

namespace {

std::string hash_of(const std::string& text) { return crypto::hash_bytes(crypto::sha256(text)); }
std::string address(int i) {
  std::string a(20, 'a');
  a[19] = static_cast<char>('0' + i);
  return a;
}

constexpr std::uint64_t kTip = 6;
constexpr std::uint64_t kGenesis = 3000;

// Three nodes at height 6; three acked transfers (cmds 1-3) at heights 2, 3 and 5 and one that
// timed out; accounts 0..2 holding the whole genesis supply.
struct Fixture {
  std::vector<NodeView> nodes;
  std::vector<LedgerRecord> ledger;
  SupplyExpectation supply;

  Fixture() {
    const std::uint64_t heights[] = {2, 3, 5};
    for (int c = 1; c <= 4; ++c) {
      LedgerRecord r;
      r.cmd = static_cast<std::uint64_t>(c);
      r.kind = "pay";
      r.sender = "chaos1";
      r.from = address(0);
      r.to = address(1);
      r.amount = 10 + static_cast<std::uint64_t>(c);
      r.memo = "cmd " + std::to_string(c);
      r.nonce = static_cast<std::uint64_t>(c - 1);
      r.tx_hash = hash_of("tx" + std::to_string(c));
      r.reply_hash = r.tx_hash;
      r.outcome = c <= 3 ? std::string(kAcked) : std::string(kTimeout);
      r.height = c <= 3 ? heights[c - 1] : 0;
      ledger.push_back(r);
    }
    for (int n = 0; n < 3; ++n) {
      NodeView v;
      v.name = "node" + std::to_string(n);
      v.height = kTip;
      std::string prev(32, '\0');
      for (std::uint64_t h = 1; h <= kTip; ++h) {
        const std::string hash = hash_of("block" + std::to_string(h));
        v.blocks[h] = BlockDigest{hash, prev, hash_of("root" + std::to_string(h))};
        prev = hash;
      }
      for (const LedgerRecord& r : ledger) {
        if (!r.acked()) continue;
        v.txs[r.tx_hash] = TxSighting{
            true, r.height, v.blocks[r.height].hash, r.from, r.to, r.memo, r.amount, r.nonce};
      }
      v.accounts[address(0)] = AccountState{964, 3, 0};
      v.accounts[address(1)] = AccountState{1036, 0, 0};
      v.accounts[address(2)] = AccountState{900, 0, 100};
      v.supply = SupplyState{kGenesis, 2900, 100, 3};
      nodes.push_back(std::move(v));
    }
    supply.genesis_total = kGenesis;
    supply.known_accounts = {address(0), address(1), address(2)};
  }
};

bool mentions(const std::vector<Violation>& vs, const std::string& check, const std::string& text) {
  for (const Violation& v : vs) {
    if (v.check == check && v.detail.find(text) != std::string::npos) return true;
  }
  return false;
}

std::string all_details(const std::vector<Violation>& vs) {
  std::string out;
  for (const Violation& v : vs) out += "[" + v.check + "] " + v.detail + "\n";
  return out;
}

Collected collected_of(const Fixture& f) {
  Collected c;
  c.nodes = f.nodes;
  c.supply = f.supply;
  c.settled = true;
  c.tip = kTip;
  return c;
}

}  // namespace

TEST_CASE("a consistent cluster passes every check", "[chaos][check]") {
  const Fixture f;
  CHECK(check_heights(f.nodes).empty());
  CHECK(check_blocks(f.nodes).empty());
  CHECK(check_acked(f.ledger, f.nodes).empty());
  CHECK(check_unique_acks(f.ledger).empty());
  CHECK(check_supply(f.supply, f.nodes).empty());
  CHECK(check_balances(f.nodes).empty());
  CHECK(check_history(f.nodes).empty());
  const tools::Json report = build_report(collected_of(f), LedgerFile{f.ledger, ""}, {});
  INFO(report.dump(2));
  CHECK(report["ok"] == true);
  CHECK(report["violation_count"] == 0);
  CHECK(report["ledger"]["acked"] == 3);
  CHECK(report["ledger"]["by_outcome"]["timeout"] == 1);
  CHECK(report["history_complete"] == "not available");
  CHECK(report["checks"]["history"]["status"] == "not available");
}

TEST_CASE("heights: a node behind or silent is a violation", "[chaos][check]") {
  Fixture f;
  f.nodes[2].height = kTip - 1;
  f.nodes[2].blocks.erase(kTip);
  CHECK(mentions(check_heights(f.nodes), "heights", "node2 at 5"));
  f.nodes[1].height.reset();
  f.nodes[1].error = "cannot reach the node";
  CHECK(mentions(check_heights(f.nodes), "heights", "node1 did not answer: cannot reach the node"));
}

TEST_CASE("blocks: holes, broken parent links and divergence are violations", "[chaos][check]") {
  SECTION("a node restored from a snapshot without the blocks below it") {
    Fixture f;
    f.nodes[2].blocks.erase(2);
    f.nodes[2].blocks.erase(3);
    const auto v = check_blocks(f.nodes);
    INFO(all_details(v));
    CHECK(mentions(v, "blocks", "node2 has no block at heights 2-3 (2 of the 6 it reports)"));
  }
  SECTION("a block that does not name the block below it") {
    Fixture f;
    f.nodes[0].blocks[4].prev_hash = hash_of("elsewhere");
    CHECK(mentions(check_blocks(f.nodes), "blocks",
                   "node0's blocks at heights 4 do not name the block below"));
  }
  SECTION("height 1 must name the all-zero parent") {
    Fixture f;
    f.nodes[1].blocks[1].prev_hash = hash_of("x");
    CHECK(mentions(check_blocks(f.nodes), "blocks", "node1's blocks at heights 1 "));
  }
  SECTION("two nodes with different blocks at a height") {
    Fixture f;
    f.nodes[1].blocks[5].hash = hash_of("fork");
    f.nodes[1].blocks[6].prev_hash = hash_of("fork");
    const auto v = check_blocks(f.nodes);
    INFO(all_details(v));
    CHECK(mentions(v, "blocks", "nodes hold different blocks at heights 5 (1 heights)"));
  }
  SECTION("the same block leading to different states") {
    Fixture f;
    f.nodes[0].blocks[3].state_root = hash_of("other state");
    CHECK(mentions(check_blocks(f.nodes), "blocks", "different state roots at heights 3"));
  }
}

TEST_CASE("acked: every acknowledged transfer must be on every node as acknowledged",
          "[chaos][check]") {
  SECTION("unreadable on one node") {
    Fixture f;
    f.nodes[1].txs[f.ledger[1].tx_hash] = std::nullopt;
    const auto v = check_acked(f.ledger, f.nodes);
    INFO(all_details(v));
    CHECK(mentions(v, "acked", "node1 cannot read 1 acked transfer (cmds 2; acked at heights 3)"));
    CHECK(v.size() == 1);
  }
  SECTION("known to a node only as pending") {
    Fixture f;
    f.nodes[0].txs[f.ledger[0].tx_hash]->committed = false;
    CHECK(mentions(check_acked(f.ledger, f.nodes), "acked",
                   "node0 cannot read 1 acked transfer (cmds 1;"));
  }
  SECTION("at another height") {
    Fixture f;
    f.nodes[2].txs[f.ledger[2].tx_hash]->height = 6;
    CHECK(mentions(check_acked(f.ledger, f.nodes), "acked", "node2 holds at another height"));
  }
  SECTION("with other contents") {
    Fixture f;
    f.nodes[0].txs[f.ledger[0].tx_hash]->amount = 999;
    CHECK(mentions(check_acked(f.ledger, f.nodes), "acked",
                   "amount 999 nonce 0 instead of 11 nonce 0"));
  }
  SECTION("in a block other than the one the node holds at that height") {
    Fixture f;
    f.nodes[1].txs[f.ledger[0].tx_hash]->block_hash = hash_of("ghost");
    CHECK(mentions(check_acked(f.ledger, f.nodes), "acked",
                   "node1 places in a block it does not hold"));
  }
  SECTION("the node answered with another hash than the client signed") {
    Fixture f;
    f.ledger[2].reply_hash = hash_of("other");
    CHECK(mentions(check_acked(f.ledger, f.nodes), "acked",
                   "cmd 3 via node0: the node acknowledged transaction"));
  }
  SECTION("a command that was not acknowledged promises nothing") {
    Fixture f;
    f.ledger[3].tx_hash = hash_of("never committed");
    CHECK(check_acked(f.ledger, f.nodes).empty());
  }
}

TEST_CASE("unique_ack: one hash acknowledged for two commands is a violation", "[chaos][check]") {
  Fixture f;
  LedgerRecord repeat = f.ledger[1];
  repeat.cmd = 9;
  repeat.kind = "repeat";
  repeat.repeat_of = 2;
  repeat.node = 2;
  f.ledger.push_back(repeat);
  const auto v = check_unique_acks(f.ledger);
  INFO(all_details(v));
  REQUIRE(v.size() == 1);
  CHECK(mentions(v, "unique_ack",
                 "acknowledged for 2 commands: cmd 2 (pay by chaos1 nonce 1 via node0, height 3); "
                 "cmd 9 (repeat by chaos1 nonce 1 via node2, height 3)"));
  // The same hash once acked and once timed out is one promise, not two.
  f.ledger.back().outcome = std::string(kTimeout);
  CHECK(check_unique_acks(f.ledger).empty());
}

TEST_CASE("supply: the totals must add up on every node and agree", "[chaos][check]") {
  SECTION("more issued than the genesis and the blocks account for") {
    Fixture f;
    for (NodeView& n : f.nodes) {
      n.supply->issued += 5;
      n.supply->balances += 5;
    }
    CHECK(mentions(check_supply(f.supply, f.nodes), "supply", "reports 3005 units issued"));
  }
  SECTION("balances and escrow that do not make the issued total") {
    Fixture f;
    f.nodes[1].supply->escrow = 90;
    const auto v = check_supply(f.supply, f.nodes);
    INFO(all_details(v));
    CHECK(mentions(v, "supply", "node1: balances 2900 + escrow 90 != issued 3000"));
    CHECK(mentions(v, "supply", "nodes report different supplies"));
  }
  SECTION("known accounts that do not add up to the node's total") {
    Fixture f;
    f.nodes[0].accounts[address(2)].balance = 800;
    CHECK(mentions(check_supply(f.supply, f.nodes), "supply",
                   "node0: the 3 accounts the genesis and the blocks name hold 2800"));
  }
  SECTION("a node that did not answer the supply query") {
    Fixture f;
    f.nodes[2].supply.reset();
    f.nodes[2].error = "deadline";
    CHECK(mentions(check_supply(f.supply, f.nodes), "supply",
                   "node2 did not answer the supply query"));
  }
  SECTION("minted units are part of the expected issued total") {
    Fixture f;
    f.supply.minted = 7;
    CHECK(mentions(check_supply(f.supply, f.nodes), "supply", "make 3007"));
  }
}

TEST_CASE("balances: an account that differs between nodes is a violation", "[chaos][check]") {
  Fixture f;
  f.nodes[2].accounts[address(1)].nonce = 4;
  const auto v = check_balances(f.nodes);
  INFO(all_details(v));
  REQUIRE(v.size() == 1);
  CHECK(mentions(v, "balances", "node2 balance 1036 nonce 4"));
  f.nodes[1].accounts.erase(address(0));
  CHECK(mentions(check_balances(f.nodes), "balances", "node1 not read"));
}

TEST_CASE("history: history_complete=false is a violation; no field is not a pass",
          "[chaos][check]") {
  Fixture f;
  for (NodeView& n : f.nodes) n.history_complete = true;
  CHECK(check_history(f.nodes).empty());
  tools::Json report = build_report(collected_of(f), LedgerFile{f.ledger, ""}, {});
  CHECK(report["checks"]["history"]["status"] == "ok");
  CHECK(report["history_complete"]["node1"] == true);

  f.nodes[1].history_complete = false;
  f.nodes[1].history = {{"history_complete", false}, {"history_from", 129}};
  CHECK(mentions(check_history(f.nodes), "history", "node1 reports history_complete=false"));
  report = build_report(collected_of(f), LedgerFile{f.ledger, ""}, {});
  CHECK(report["ok"] == false);
  CHECK(report["checks"]["history"]["status"] == "violated");
}

TEST_CASE("provable: a sampled acked transaction whose proof does not verify is a violation",
          "[chaos][check]") {
  Fixture f;
  for (NodeView& n : f.nodes) n.proofs[f.ledger.front().tx_hash] = "";
  CHECK(check_provable(f.nodes).empty());
  tools::Json report = build_report(collected_of(f), LedgerFile{f.ledger, ""}, {});
  CHECK(report["checks"]["provable"]["status"] == "ok");

  f.nodes[2].proofs[f.ledger.front().tx_hash] = "GetProof: the receipt of block 7 is not certified yet";
  CHECK(mentions(check_provable(f.nodes), "provable", "node2: acked transaction"));
  report = build_report(collected_of(f), LedgerFile{f.ledger, ""}, {});
  CHECK(report["ok"] == false);
  CHECK(report["checks"]["provable"]["status"] == "violated");
  // A node that did not answer at all is the heights check's finding, not this one's.
  f.nodes[2].height.reset();
  CHECK(check_provable(f.nodes).empty());
}

TEST_CASE("recovery: a node that never caught up is a violation; percentiles", "[chaos][check]") {
  std::vector<FaultRecord> faults;
  for (int i = 1; i <= 100; ++i) {
    FaultRecord r;
    r.n = static_cast<std::uint64_t>(i);
    r.kind = i % 2 == 0 ? "kill" : "partition";
    r.targets = {1};
    r.cluster_s = i / 10.0;
    r.node_s = static_cast<double>(i);
    faults.push_back(r);
  }
  RecoveryReport rr = recovery_report(faults);
  CHECK(rr.violations.empty());
  CHECK(rr.by_kind["kill"] == 50);
  CHECK(rr.node.p50 == 50);
  CHECK(rr.node.p99 == 99);
  CHECK(rr.node.max == 100);
  CHECK(rr.cluster.count == 100);

  faults[6].node_s.reset();
  faults[7].cluster_s.reset();
  rr = recovery_report(faults);
  CHECK(rr.node.count == 99);
  CHECK(mentions(rr.violations, "recovery",
                 "fault #7 (partition node1 at 0 s): the nodes hit did not catch up"));
  CHECK(mentions(rr.violations, "recovery",
                 "fault #8 (kill node1 at 0 s): the cluster committed no new block"));
  CHECK(percentiles({}).count == 0);
  CHECK(percentiles({3.0}).p99 == 3.0);
}

TEST_CASE("ranges prints sorted values compactly", "[chaos][check]") {
  CHECK(ranges({}) == "");
  CHECK(ranges({7}) == "7");
  CHECK(ranges({1, 2, 3, 5, 7, 8}) == "1-3, 5, 7-8");
  CHECK(ranges({1, 3, 5, 7}, 2) == "1, 3 (+2 more ranges)");
}

TEST_CASE("ledger records round-trip; a torn last line is skipped, a bad line elsewhere is not",
          "[chaos][ledger]") {
  const Fixture f;
  for (const LedgerRecord& r : f.ledger) {
    Result<LedgerRecord> back = ledger_record_from_json(to_json(r));
    REQUIRE(back);
    CHECK(back->tx_hash == r.tx_hash);
    CHECK(back->from == r.from);
    CHECK(back->outcome == r.outcome);
    CHECK(back->height == r.height);
    CHECK(back->memo == r.memo);
  }
  testing::TempDir tmp;
  const auto file = tmp / "ledger.jsonl";
  {
    std::ofstream out(file);
    for (const LedgerRecord& r : f.ledger) out << to_json(r).dump() << "\n";
    out << R"({"cmd": 5, "kind": "pa)";
  }
  Result<LedgerFile> read = read_ledger(file);
  REQUIRE(read);
  CHECK(read->records.size() == 4);
  CHECK(read->note.find("line 5 is cut short") != std::string::npos);
  {
    std::ofstream out(file);
    out << "not json\n" << to_json(f.ledger[0]).dump() << "\n";
  }
  CHECK_FALSE(read_ledger(file));
  tools::Json bad = to_json(f.ledger[0]);
  bad["outcome"] = "maybe";
  CHECK_FALSE(ledger_record_from_json(bad));
  bad = to_json(f.ledger[0]);
  bad.erase("tx_hash");
  CHECK_FALSE(ledger_record_from_json(bad));
}

TEST_CASE("fault log lines: a recovery that never came is null", "[chaos][ledger]") {
  testing::TempDir tmp;
  const auto file = tmp / "faults.jsonl";
  CHECK(read_faults(file)->empty());  // no fault yet: no file
  {
    std::ofstream out(file);
    out << R"({"n":1,"kind":"kill","targets":[2],"at_s":24.4,"hold_s":9,"detail":"SIGKILL",)"
        << R"("cluster_s":0.25,"cluster_from":"injection","node_s":8.54})"
        << "\n";
    out << R"({"n":2,"kind":"partition","targets":[2,3],"at_s":51.0,"hold_s":12,"detail":"",)"
        << R"("cluster_s":null,"cluster_from":"heal","node_s":null})"
        << "\n";
  }
  Result<std::vector<FaultRecord>> faults = read_faults(file);
  REQUIRE(faults);
  REQUIRE(faults->size() == 2);
  CHECK((*faults)[0].node_s == 8.54);
  CHECK((*faults)[1].targets == std::vector<std::uint32_t>{2, 3});
  CHECK_FALSE((*faults)[1].cluster_s);
  CHECK((*faults)[1].cluster_from == "heal");
  const RecoveryReport rr = recovery_report(*faults);
  CHECK(rr.violations.size() == 2);
  {
    std::ofstream out(file);
    out << R"({"n":1,"kind":"kill"})"
        << "\n";
  }
  CHECK_FALSE(read_faults(file));
}
