// `sharechain audit` run in-process against a made-up node (an in-process gRPC Client service on
// 127.0.0.1:35150 and up, serving hand-written blocks, receipts and state), so the outside checks
// can be shown to fail:
//   a clean history (genesis 5,000 to A; 1,000 issued to A; A pays B 300): exit 0, JSON figures
//     (issued before the range 5,000, in it 1,000, accounts replayed 2)
//   a split whose parts sum to one more than its income: exit 1, split_sum at height 3, tx 0
//   balances + escrow that differ from the issued counter now: exit 1, supply at the tip, no tx
//   B holding 100 less and A 100 more than the events say (totals still right): walking back
//     names the transfer at height 2 as supply ("without an event")
//   A's balance wrapped below zero by the transfer: negative_balance at height 2
//   a Subscribed event past the amount sought: financing_cap
//   --to past the tip and --from after --to: exit 2; no node: exit 2
#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "proto/crypto.hpp"
#include "sharechain/api.grpc.pb.h"
#include "tools/wallet/app.hpp"

using namespace sharechain;
using nlohmann::json;

namespace {

// Each server gets its own port (35150 up), so no client inherits a reconnect back-off from a
// server an earlier case shut down; 35149 is never served.
int g_port = 35149;
std::string current_address() { return "127.0.0.1:" + std::to_string(g_port); }

std::string addr(char c) { return std::string(20, c); }
const std::string kA = addr('\x0a');
const std::string kB = addr('\x0b');

Attribute number(const std::string& key, std::uint64_t v) {
  Attribute a;
  a.set_key(key);
  a.set_value(std::to_string(v));
  a.set_number(v);
  return a;
}
Attribute address(const std::string& key, const std::string& a20) {
  Attribute a;
  a.set_key(key);
  a.set_value(crypto::format_address(a20));
  a.set_address(a20);
  return a;
}
Attribute text(const std::string& key, const std::string& v) {
  Attribute a;
  a.set_key(key);
  a.set_value(v);
  return a;
}
Attribute id(const std::string& key, const std::string& raw) {
  Attribute a;
  a.set_key(key);
  a.set_value(crypto::to_hex(raw));
  a.set_id(raw);
  return a;
}
Event event(const std::string& contract, const std::string& name, std::vector<Attribute> attrs) {
  Event e;
  e.set_contract(contract);
  e.set_name(name);
  for (auto& a : attrs) *e.add_attributes() = std::move(a);
  return e;
}

class FakeNode final : public api::Client::Service {
 public:
  std::vector<api::BlockInfo> blocks;
  std::map<std::string, std::uint64_t> balances;
  std::uint64_t issued = 0;
  std::optional<std::uint64_t> reported_balances;  // what the supply query says, if not the sum

  void add_block(std::vector<std::vector<Event>> txs) {
    api::BlockInfo& b = blocks.emplace_back();
    b.set_height(blocks.size());
    for (std::size_t i = 0; i < txs.size(); ++i) {
      Receipt* r = b.add_receipts();
      r->set_height(b.height());
      r->set_index(static_cast<std::uint32_t>(i));
      r->set_tx_hash(std::string(32, static_cast<char>(0x40 + b.height() * 8 + i)));
      for (auto& e : txs[i]) *r->add_events() = std::move(e);
    }
  }

  grpc::Status GetStatus(grpc::ServerContext*, const api::GetStatusRequest*,
                         api::NodeStatus* out) override {
    out->set_chain_id("audit-test");
    out->set_height(blocks.size());
    out->set_history_complete(true);
    out->set_history_from(1);
    out->set_synced(true);
    return grpc::Status::OK;
  }
  grpc::Status GetBlock(grpc::ServerContext*, const api::GetBlockRequest* req,
                        api::BlockInfo* out) override {
    if (req->height() == 0 || req->height() > blocks.size()) {
      return {grpc::StatusCode::NOT_FOUND, "no block at height " + std::to_string(req->height())};
    }
    *out = blocks[req->height() - 1];
    return grpc::Status::OK;
  }
  grpc::Status Query(grpc::ServerContext*, const api::QueryRequest* req,
                     api::QueryResponse* out) override {
    out->set_height(blocks.size());
    if (req->has_ledger() && req->ledger().has_supply()) {
      std::uint64_t sum = 0;
      for (auto& [a, b] : balances) sum += b;
      auto* s = out->mutable_ledger()->mutable_supply();
      s->set_issued(issued);
      s->set_balances(reported_balances.value_or(sum));
      s->set_accounts(balances.size());
      return grpc::Status::OK;
    }
    if (req->has_ledger() && req->ledger().has_account()) {
      auto it = balances.find(req->ledger().account().address());
      if (it == balances.end()) return {grpc::StatusCode::NOT_FOUND, "no account"};
      auto* a = out->mutable_ledger()->mutable_account();
      a->set_address(it->first);
      a->set_balance(it->second);
      return grpc::Status::OK;
    }
    return {grpc::StatusCode::NOT_FOUND, "not served by this test node"};
  }
};

// Genesis: A 5,000. Block 1: 1,000 issued to A. Block 2: A pays B 300.
void clean_history(FakeNode& node) {
  node.add_block({{event("ledger", "Issued",
                         {address("to", kA), number("amount", 1'000), text("reference", "r1")})}});
  node.add_block({{event("ledger", "Transferred",
                         {address("from", kA), address("to", kB), number("amount", 300)})}});
  node.balances = {{kA, 5'700}, {kB, 300}};
  node.issued = 6'000;
}

struct Server {
  FakeNode node;
  std::unique_ptr<grpc::Server> server;
  void start() {
    ++g_port;
    grpc::ServerBuilder b;
    b.AddListeningPort(current_address(), grpc::InsecureServerCredentials());
    b.RegisterService(&node);
    server = b.BuildAndStart();
    REQUIRE(server != nullptr);
  }
  ~Server() {
    if (server) server->Shutdown();
  }
};

struct Run {
  int code = -1;
  std::string out;
  std::string err;
  json parsed() const { return json::parse(out); }
};

Run audit(std::vector<std::string> extra) {
  std::vector<std::string> args = {"--node", current_address(), "--timeout", "5", "audit"};
  args.insert(args.end(), extra.begin(), extra.end());
  std::ostringstream out, err;
  Run r;
  r.code = wallet::run(args, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

}  // namespace

TEST_CASE("audit of a clean history", "[tools][audit]") {
  Server s;
  clean_history(s.node);
  s.start();
  Run r = audit({"--json"});
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  json j = r.parsed();
  CHECK(j["ok"] == true);
  CHECK(j["violation"].is_null());
  CHECK(j["blocks_checked"] == 2);
  CHECK(j["transactions_checked"] == 2);
  CHECK(j["issued_in_range"] == 1'000);
  CHECK(j["supply"]["issued_before_range"] == 5'000);
  CHECK(j["accounts_replayed"] == 2);
  CHECK(j["blocks"][1]["height"] == 2);

  Run text = audit({"--from", "2"});
  INFO(text.out);
  CHECK(text.code == 0);
  CHECK(text.out.find("block 2: 1 transactions: ok") != std::string::npos);
  CHECK(text.out.find("block 1:") == std::string::npos);
  CHECK(text.out.find("heights 2-2 (1 blocks, 1 transactions): clean") != std::string::npos);
}

TEST_CASE("audit finds a split off by one", "[tools][audit]") {
  Server s;
  clean_history(s.node);
  s.node.add_block({{event("revenue", "IncomeSplit",
                           {text("source_kind", "agreement"), id("source", std::string(16, 'x')),
                            number("amount", 1'000),
                            text("parts", crypto::format_address(kA) + "=501;" +
                                              crypto::format_address(kB) + "=500")})}});
  s.start();
  Run r = audit({"--json"});
  INFO(r.out << r.err);
  CHECK(r.code == 1);
  json v = r.parsed()["violation"];
  CHECK(v["invariant"] == "split_sum");
  CHECK(v["height"] == 3);
  CHECK(v["tx_index"] == 0);
  CHECK(v["tx_hash"] == crypto::to_hex(std::string(32, static_cast<char>(0x40 + 3 * 8))));

  Run text = audit({});
  CHECK(text.code == 1);
  CHECK(text.out.find("block 3: 1 transactions: VIOLATION") != std::string::npos);
  CHECK(text.out.find("VIOLATION: invariant split_sum violated at height 3, transaction 0") !=
        std::string::npos);
  // The range before it is clean.
  CHECK(audit({"--to", "2"}).code == 0);
}

TEST_CASE("audit finds money that moved without events", "[tools][audit]") {
  Server s;
  clean_history(s.node);
  SECTION("totals that differ from the issued counter") {
    s.node.reported_balances = 6'100;
    s.start();
    Run r = audit({"--json"});
    CHECK(r.code == 1);
    json v = r.parsed()["violation"];
    CHECK(v["invariant"] == "supply");
    CHECK(v["height"] == 2);
    CHECK(v["tx_hash"].is_null());
  }
  SECTION("100 units from B to A with no event: the transfer at height 2 is named") {
    s.node.balances = {{kA, 5'800}, {kB, 200}};
    s.start();
    Run r = audit({"--json"});
    CHECK(r.code == 1);
    json v = r.parsed()["violation"];
    CHECK(v["invariant"] == "supply");
    CHECK(v["height"] == 2);
    CHECK(v["tx_index"] == 0);
    CHECK(v["message"].get<std::string>().find("without an event") != std::string::npos);
  }
  SECTION("a transfer that wrapped A's balance below zero") {
    // A pays B 300 while holding 5,700 - 6,000 = less than nothing: A's balance wrapped.
    s.node.blocks[1].mutable_receipts(0)->mutable_events(0)->mutable_attributes(2)->set_number(
        6'000);
    s.node.balances = {{kA, static_cast<std::uint64_t>(0) - 300}, {kB, 6'300}};
    s.node.reported_balances = 6'000;  // a node summing with wrap-around
    s.start();
    Run r = audit({"--json"});
    INFO(r.out);
    CHECK(r.code == 1);
    json v = r.parsed()["violation"];
    CHECK(v["invariant"] == "negative_balance");
  }
}

TEST_CASE("audit finds an oversubscribed financing", "[tools][audit]") {
  Server s;
  clean_history(s.node);
  const std::string f(16, 'f');
  s.node.add_block({{event("financing", "FinancingOffered",
                           {id("financing", f), number("amount_sought", 40'000),
                            number("minimum_raise", 30'000)})},
                    {event("financing", "Subscribed",
                           {id("financing", f), address("financier", kB), number("amount", 45'000),
                            number("subscribed", 45'000),
                            number("remaining", static_cast<std::uint64_t>(40'000) - 45'000)})}});
  s.start();
  Run r = audit({"--json"});
  CHECK(r.code == 1);
  json v = r.parsed()["violation"];
  CHECK(v["invariant"] == "financing_cap");
  CHECK(v["height"] == 3);
  CHECK(v["tx_index"] == 1);
}

TEST_CASE("audit arguments and an absent node", "[tools][audit]") {
  {
    Server s;
    clean_history(s.node);
    s.start();
    CHECK(audit({"--to", "9"}).code == 2);
    CHECK(audit({"--from", "2", "--to", "1"}).code == 2);
    CHECK(audit({"--from", "0"}).code == 2);
  }
  g_port = 35149;
  Run r = audit({});
  CHECK(r.code == 2);
  CHECK(r.err.find("cannot reach the node") != std::string::npos);
}
