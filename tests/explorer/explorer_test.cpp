// The explorer's JSON API and pages, against one in-process validator (ports 34100-34102):
//   tip: height, hash and the rate series after a committed transfer
//   blocks: the list, its limit and a bad limit (400)
//   block by height and by hash: the same block, its transactions and certificate signers;
//     height 0, a non-number and an unknown hash (400, 400, 404); a height past the tip (404)
//   tx by hash: receipt and events as `sharechain tx --json`; a bad hash (400), an unknown one (404)
//   validators: the genesis validator, signing the last block, this node
//   account: balance and roles as GetAccount; a bad address (400); an unused one (a zero account)
//   investor: the portfolio reports::portfolio_json computes from the same store reads
//   asset and vehicle: malformed ids (400) and unknown ones (404)
//   search: a height, a tx hash, an address; nothing found (404)
//   unknown API path (404 JSON), unknown page (404 HTML), POST (405), the app's files with
//   their content types, and /metrics still served beside them
#include <catch2/catch.hpp>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "explorer/api.hpp"
#include "proto/transaction.hpp"
#include "tests/node/ops_http.hpp"
#include "tests/node/running_node.hpp"

namespace sharechain {
namespace {

using testing::Running;
using nlohmann::json;

struct Reply {
  int status = 0;
  std::string content_type;
  std::string body;
  json parsed() const { return json::parse(body); }
};

Reply http_get(Running& r, const std::string& target, boost::beast::http::verb method = boost::beast::http::verb::get) {
  auto a = testing::ops_request(r.home->metrics_address, method, target);
  return {a.status, std::move(a.content_type), std::move(a.body)};
}

// Submits a transfer and waits for its commit; its hash in hex.
std::string committed_transfer(Running& r, const std::string& from, const std::string& to, std::uint64_t amount) {
  auto body = r.transfer_body(from, to, amount);
  auto tx = tx::sign(body, r.home->keys.at(from));
  api::SubmitResponse out;
  REQUIRE(r.submit(tx, true, &out).ok());
  REQUIRE(out.status() == api::TX_COMMITTED);
  return crypto::to_hex(out.tx_hash());
}

void check_error(const Reply& reply, int status) {
  INFO(reply.body);
  CHECK(reply.status == status);
  CHECK(reply.content_type == "application/json");
  const json j = reply.parsed();
  REQUIRE(j.contains("error"));
  CHECK(!j["error"].get<std::string>().empty());
}

TEST_CASE("the explorer answers chain data as JSON and refuses bad input clearly") {
  Running r(34100);
  const std::string user1 = crypto::format_address(r.home->keys.at("user1").address());
  const std::string user2_raw = r.home->keys.at("user2").address();
  const std::string hash = committed_transfer(r, "user1", user2_raw, 1234);

  SECTION("tip") {
    const Reply reply = http_get(r, "/explorer/api/tip");
    REQUIRE(reply.status == 200);
    const json tip = reply.parsed();
    CHECK(tip["chain_id"] == r.home->chain_id);
    CHECK(tip["height"].get<std::uint64_t>() >= 1);
    CHECK(tip["hash"].get<std::string>().size() == 64);
    CHECK(tip["series"].size() == 60);
    CHECK(tip["rates"]["transactions"].get<std::uint64_t>() >= 1);
    CHECK(tip["recent"].size() >= 1);
    CHECK(tip["node"]["name"] == "node0");
  }

  SECTION("blocks, and a block by height and by hash") {
    const json list = http_get(r, "/explorer/api/blocks?limit=5").parsed();
    REQUIRE(!list["blocks"].empty());
    check_error(http_get(r, "/explorer/api/blocks?limit=0"), 400);
    check_error(http_get(r, "/explorer/api/blocks?before=x"), 400);

    const json tx = http_get(r, "/explorer/api/tx/" + hash).parsed();
    const std::uint64_t height = tx["height"];
    const Reply by_height = http_get(r, "/explorer/api/block/" + std::to_string(height));
    REQUIRE(by_height.status == 200);
    const json b = by_height.parsed();
    CHECK(b["height"] == height);
    REQUIRE(b["transactions"].size() >= 1);
    bool seen = false;
    for (const auto& t : b["transactions"]) seen = seen || t["hash"] == hash;
    CHECK(seen);
    REQUIRE(b["signers"].size() == 1);
    CHECK(b["signers"][0]["validator"] == 0);
    const json by_hash = http_get(r, "/explorer/api/block/" + b["hash"].get<std::string>()).parsed();
    CHECK(by_hash["height"] == height);
    CHECK(by_hash["hash"] == b["hash"]);

    check_error(http_get(r, "/explorer/api/block/0"), 400);
    check_error(http_get(r, "/explorer/api/block/not-a-block"), 400);
    check_error(http_get(r, "/explorer/api/block/" + std::string(64, 'a')), 404);
    check_error(http_get(r, "/explorer/api/block/999999"), 404);
    check_error(http_get(r, "/explorer/api/block/"), 400);
  }

  SECTION("a transaction by hash") {
    const Reply reply = http_get(r, "/explorer/api/tx/" + hash);
    REQUIRE(reply.status == 200);
    const json t = reply.parsed();
    CHECK(t["hash"] == hash);
    CHECK(t["status"] == "committed");
    CHECK(t["sender"] == user1);
    CHECK(t["call"]["contract"] == "ledger");
    CHECK(t["call"]["action"] == "transfer");
    CHECK(t["receipt"]["ok"] == true);
    CHECK(!t["receipt"]["events"].empty());
    check_error(http_get(r, "/explorer/api/tx/1234"), 400);
    check_error(http_get(r, "/explorer/api/tx/" + std::string(64, 'z')), 400);
    check_error(http_get(r, "/explorer/api/tx/" + std::string(64, '0')), 404);
  }

  SECTION("validators") {
    const json v = http_get(r, "/explorer/api/validators").parsed();
    REQUIRE(v["validators"].size() == 1);
    const json& self = v["validators"][0];
    CHECK(self["index"] == 0);
    CHECK(self["is_self"] == true);
    CHECK(self["connected"] == true);
    CHECK(self["last_signed_height"].get<std::uint64_t>() >= 1);
    CHECK(self["public_key"].get<std::string>().size() == 64);
  }

  SECTION("an account") {
    const json a = http_get(r, "/explorer/api/account/" + user1).parsed();
    CHECK(a["address"] == user1);
    CHECK(a["balance"] == r.balance_of(r.home->keys.at("user1").address()));
    CHECK(a["nonce"] == 1);
    CHECK(a["exists"] == true);
    const json nobody =
        http_get(r, "/explorer/api/account/" + crypto::format_address(std::string(20, '\x07'))).parsed();
    CHECK(nobody["exists"] == false);
    CHECK(nobody["balance"] == 0);
    check_error(http_get(r, "/explorer/api/account/sc1234"), 400);
    check_error(http_get(r, "/explorer/api/account/%3Cscript%3E"), 400);
  }

  SECTION("an investor: the portfolio's own figures") {
    const Reply reply = http_get(r, "/explorer/api/investor/" + user1);
    REQUIRE(reply.status == 200);
    const json p = reply.parsed();
    CHECK(p["account"] == user1);
    CHECK(p["balance"] == r.balance_of(r.home->keys.at("user1").address()));
    CHECK(p["totals"]["assets"] == 0);
    CHECK(p["totals"]["roi_percent"] == "0.00%");
    CHECK(p["income_by_month"].empty());
    check_error(http_get(r, "/explorer/api/investor/" + crypto::format_address(std::string(20, '\x07'))), 404);
    check_error(http_get(r, "/explorer/api/investor/nobody"), 400);
  }

  SECTION("assets and vehicles the chain does not hold") {
    check_error(http_get(r, "/explorer/api/asset/xyz"), 400);
    check_error(http_get(r, "/explorer/api/asset/" + std::string(32, '1')), 404);
    check_error(http_get(r, "/explorer/api/vehicle/WVW%20ZZZ"), 400);
    check_error(http_get(r, "/explorer/api/vehicle/WVWZZZ1JZXW000001"), 404);
  }

  SECTION("search") {
    CHECK(http_get(r, "/explorer/api/search?q=1").parsed()["kind"] == "block");
    CHECK(http_get(r, "/explorer/api/search?q=" + hash).parsed() == json{{"kind", "tx"}, {"id", hash}});
    CHECK(http_get(r, "/explorer/api/search?q=" + user1).parsed()["kind"] == "account");
    check_error(http_get(r, "/explorer/api/search?q=nothing-like-this"), 404);
    check_error(http_get(r, "/explorer/api/search"), 400);
  }

  SECTION("unknown paths, methods and the app's files") {
    check_error(http_get(r, "/explorer/api/nothing"), 404);
    check_error(http_get(r, "/explorer/api/tip/extra"), 404);
    const Reply page = http_get(r, "/explorer/nothing.html");
    CHECK(page.status == 404);
    CHECK(page.content_type.rfind("text/html", 0) == 0);
    CHECK(page.body.find("Not found") != std::string::npos);
    check_error(http_get(r, "/explorer/api/tip", boost::beast::http::verb::post), 405);

    const Reply index = http_get(r, "/explorer/");
    CHECK(index.status == 200);
    CHECK(index.content_type.rfind("text/html", 0) == 0);
    CHECK(index.body.find("/explorer/app.js") != std::string::npos);
    CHECK(http_get(r, "/explorer").status == 200);
    const Reply js = http_get(r, "/explorer/app.js");
    CHECK(js.status == 200);
    CHECK(js.content_type.rfind("text/javascript", 0) == 0);
    CHECK(js.body.find("/explorer/api/") != std::string::npos);
    CHECK(http_get(r, "/explorer/app.css").content_type.rfind("text/css", 0) == 0);
    // Nothing from outside: no other origin is named in the app's files.
    for (const std::string& body : {index.body, js.body}) CHECK(body.find("http") == std::string::npos);

    const Reply metrics = http_get(r, "/metrics");
    CHECK(metrics.status == 200);
    CHECK(metrics.body.find("sharechain_height") != std::string::npos);
    CHECK(http_get(r, "/nothing").status == 404);
  }
}

TEST_CASE("query parameters are percent-decoded") {
  CHECK(explorer::query_param("q=a%20b&limit=5", "q") == "a b");
  CHECK(explorer::query_param("q=a+b", "q") == "a b");
  CHECK(explorer::query_param("limit=5", "q").empty());
  CHECK(explorer::query_param("x=1&limit=5", "limit") == "5");
  CHECK(explorer::query_param("q=%zz%4", "q") == "%zz%4");
}

}  // namespace
}  // namespace sharechain
