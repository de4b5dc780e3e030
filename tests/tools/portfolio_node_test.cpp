// `sharechain portfolio` against one in-process validator, every step through the wallet:
//   user1 registers a station, proposes an agreement (user1 90 %, operator 10 %) the operator
//   confirms; a customer's late cancellation forfeits a 10,000-unit deposit (user1 earns 9,000);
//   user1 offers a financing of 50,000 at 2,000 bps and user2 fills it (the round is ACTIVE);
//   a second forfeited deposit gives user1 9,000 of which 1,800 pass to user2.
//   user1's portfolio: income 18,000, passed on 1,800, net 16,200, ROI 9/500 = 180 bps =
//     "1.80%", the months summing to the same, the round closed as active with 50,000 raised
//     and 1,800 paid out, the balance exactly what the flows moved; the table shows the figures
//   user2's portfolio: no assets, ROI 0/1, one subscription of 50,000 paid 1,800 (9/250, 360 bps)
//   an address the chain has never seen is refused (exit 1) with nothing on stdout
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "node/config.hpp"
#include "node/node.hpp"
#include "proto/crypto.hpp"
#include "tests/node/test_home.hpp"
#include "tests/tools/temp_dir.hpp"
#include "tools/wallet/app.hpp"

using namespace sharechain;
using nlohmann::json;

namespace {

struct Run {
  int code = -1;
  std::string out;
  std::string err;
};

// One validator on loopback and a wallet keystore holding its genesis keys.
class Chain {
 public:
  explicit Chain(int port) : home_(testing::TestHome::create(port)) {
    auto config = node::load_config(home_->config);
    REQUIRE(config.is_ok());
    auto created = node::Node::create(*config);
    INFO(created.status().to_string());
    REQUIRE(created.is_ok());
    node_ = std::move(created).value();
    REQUIRE(node_->start().is_ok());
    std::ofstream(tmp_ / "passphrase") << "portfolio test\n";
    for (const auto& [name, key] : home_->keys) {
      std::ofstream(tmp_ / "secret") << crypto::to_hex(key.secret()) << "\n";
      const Run r =
          wallet({"keys", "import", name, "--secret-file", (tmp_ / "secret").string(), "--light"});
      INFO(r.err);
      REQUIRE(r.code == 0);
    }
  }
  ~Chain() {
    if (node_) node_->stop();
  }

  Run wallet(std::vector<std::string> args) const {
    std::vector<std::string> all = {"--keystore",
                                    (tmp_ / "keystore").string(),
                                    "--passphrase-file",
                                    (tmp_ / "passphrase").string(),
                                    "--node",
                                    home_->api_address};
    all.insert(all.end(), args.begin(), args.end());
    std::ostringstream out, err;
    Run r;
    r.code = sharechain::wallet::run(all, out, err);
    r.out = out.str();
    r.err = err.str();
    return r;
  }

  // A transaction that must commit with an OK receipt; its JSON result.
  json commit(std::vector<std::string> args) const {
    args.insert(args.begin(), "--json");
    args.push_back("--wait");
    const Run r = wallet(args);
    CAPTURE(args);
    INFO(r.err);
    REQUIRE(r.code == 0);
    json j = json::parse(r.out);
    REQUIRE(j["result"] == "ok");
    return j;
  }

  json query(std::vector<std::string> args) const {
    args.insert(args.begin(), "--json");
    const Run r = wallet(args);
    INFO(r.err);
    REQUIRE(r.code == 0);
    return json::parse(r.out);
  }

  std::string address_of(const std::string& name) const {
    return crypto::format_address(home_->keys.at(name).address());
  }

 private:
  std::unique_ptr<testing::TestHome> home_;
  std::unique_ptr<node::Node> node_;
  sharechain::testing::TempDir tmp_;
};

// The attribute `key` of the first event named `name` in a committed transaction's result.
std::string event_attribute(const json& result, const std::string& name, const std::string& key) {
  for (const json& e : result["events"]) {
    if (e["name"] == name) return e["attributes"][key].get<std::string>();
  }
  FAIL("no " << name << " event in " << result.dump());
  return "";
}

std::uint64_t now_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

// The customer reserves the next half-hour slot and cancels at once: within the 60-minute
// cancellation window, so the deposit is forfeited to the partners. The next slot, not the
// current one, so a slot boundary passing between now and the block cannot make it "past".
void forfeit_a_deposit(const Chain& chain, const std::string& agreement) {
  constexpr std::uint64_t kSlot = 30 * 60 * 1000;
  const std::uint64_t start = (now_ms() / kSlot + 1) * kSlot;
  const json reserved = chain.commit({"session", "reserve", "--from", "customer", "--agreement",
                                      agreement, "--start", std::to_string(start), "--end",
                                      std::to_string(start + kSlot), "--item", "wash"});
  const std::string reservation = event_attribute(reserved, "Reserved", "reservation");
  const json cancelled =
      chain.commit({"session", "cancel", "--from", "customer", "--reservation", reservation});
  CHECK(event_attribute(cancelled, "ReservationCancelled", "fee") == "10000");
}

}  // namespace

TEST_CASE("portfolio figures of a real chain: income, ROI, a financing and its payout",
          "[portfolio]") {
  Chain chain(28650);
  REQUIRE(chain.wallet({"keys", "new", "customer", "--light"}).code == 0);
  chain.commit({"transfer", "--from", "user2", "--to", "customer", "--amount", "100000"});

  const json registered = chain.commit({"asset", "register", "--from", "user1", "--kind", "station",
                                        "--name", "Bay 1", "--location", "Main St 1", "--equipment",
                                        "lift:Lift:1", "--investment-cost", "1000000"});
  const std::string asset = event_attribute(registered, "AssetRegistered", "asset");
  const json proposed =
      chain.commit({"agreement", "propose", "--from", "user1", "--asset", asset, "--item",
                    "wash:Wash:lift:minute:100", "--partner", "user1:9000:investor", "--partner",
                    "operator:1000:platform", "--deposit", "10000", "--slot-minutes", "30",
                    "--cancel-minutes", "60"});
  const std::string agreement = event_attribute(proposed, "AgreementProposed", "agreement");
  chain.commit({"agreement", "confirm", "--from", "operator", "--agreement", agreement});

  forfeit_a_deposit(chain, agreement);

  const std::uint64_t now = now_ms();
  const json offered =
      chain.commit({"finance", "offer", "--from", "user1", "--asset", asset, "--amount-sought",
                    "50000", "--share-bps", "2000", "--deadline", std::to_string(now + 3'600'000),
                    "--term-ends", std::to_string(now + 86'400'000), "--note", "a second lift"});
  const std::string financing = event_attribute(offered, "FinancingOffered", "financing");

  // While open, the offer is listed with the asset's record so far.
  json p1 = chain.query({"portfolio", "user1"});
  REQUIRE(p1["offers"]["open"].size() == 1);
  CHECK(p1["offers"]["open"][0]["financing"] == financing);
  CHECK(p1["offers"]["open"][0]["subscribed"] == 0);
  CHECK(p1["offers"]["open"][0]["minimum_raise"] == 50'000);
  CHECK(p1["offers"]["open"][0]["track_record"]["roi_bps"] == 90);
  CHECK(p1["offers"]["open"][0]["note"] == "a second lift");

  chain.commit(
      {"finance", "subscribe", "--from", "user2", "--financing", financing, "--amount", "50000"});
  forfeit_a_deposit(chain, agreement);

  p1 = chain.query({"portfolio", "user1"});
  INFO(p1.dump(2));
  CHECK(p1["account"] == chain.address_of("user1"));
  // 1,000,000 + 9,000 + 50,000 raised + (9,000 - 1,800).
  CHECK(p1["balance"] == 1'066'200);
  REQUIRE(p1["assets"].size() == 1);
  const json& a = p1["assets"][0];
  CHECK(a["id"] == asset);
  CHECK(a["kind"] == "station");
  CHECK(a["name"] == "Bay 1");
  CHECK(a["status"] == "active");
  CHECK(a["investment_cost"] == 1'000'000);
  CHECK(a["income"] == 18'000);
  CHECK(a["passed_to_financiers"] == 1'800);
  CHECK(a["net_income"] == 16'200);
  CHECK(a["distributions"] == 2);
  CHECK(a["roi"] == json{{"numerator", 9}, {"denominator", 500}});
  CHECK(a["roi_bps"] == 180);
  CHECK(a["roi_percent"] == "1.80%");
  std::uint64_t month_income = 0, month_passed = 0;
  for (const json& m : p1["income_by_month"]) {
    month_income += m["income"].get<std::uint64_t>();
    month_passed += m["passed_to_financiers"].get<std::uint64_t>();
  }
  CHECK(month_income == 18'000);
  CHECK(month_passed == 1'800);
  CHECK(p1["totals"]["income"] == 18'000);
  CHECK(p1["totals"]["roi"] == json{{"numerator", 9}, {"denominator", 500}});
  CHECK(p1["totals"]["roi_bps"] == 180);
  CHECK(p1["offers"]["open"].empty());
  REQUIRE(p1["offers"]["closed"].size() == 1);
  const json& round = p1["offers"]["closed"][0];
  CHECK(round["financing"] == financing);
  CHECK(round["status"] == "active");
  CHECK(round["raised"] == 50'000);
  CHECK(round["paid_out"] == 1'800);
  CHECK(round["share_bps"] == 2'000);
  CHECK(p1["subscriptions"].empty());
  CHECK(p1["income_received"] == json{{"total", 18'000}, {"entries", 2}});
  CHECK(p1["read_at_height"].get<std::uint64_t>() >= p1["read_from_height"].get<std::uint64_t>());

  const json p2 = chain.query({"portfolio", chain.address_of("user2")});
  CHECK(p2["assets"].empty());
  CHECK(p2["totals"]["roi"] == json{{"numerator", 0}, {"denominator", 1}});
  REQUIRE(p2["subscriptions"].size() == 1);
  const json& s = p2["subscriptions"][0];
  CHECK(s["financing"] == financing);
  CHECK(s["asset_name"] == "Bay 1");
  CHECK(s["investor"] == chain.address_of("user1"));
  CHECK(s["state"] == "active");
  CHECK(s["amount"] == 50'000);
  CHECK(s["paid_out"] == 1'800);
  CHECK(s["payouts"] == 1);
  CHECK(s["roi"] == json{{"numerator", 9}, {"denominator", 250}});
  CHECK(s["roi_bps"] == 360);
  CHECK(p2["payouts"]["total"] == 1'800);
  CHECK(p2["payouts"]["invested"] == 50'000);
  CHECK(p2["payouts"]["roi_percent"] == "3.60%");
  CHECK(p2["balance"] == 1'000'000 - 100'000 - 50'000 + 1'800);

  // The tables carry the same figures.
  const Run text = chain.wallet({"portfolio", "user1"});
  REQUIRE(text.code == 0);
  CHECK(text.out.find("Bay 1") != std::string::npos);
  CHECK(text.out.find("1.80%") != std::string::npos);
  CHECK(text.out.find("9/500") != std::string::npos);
  CHECK(text.out.find("active (raised)") != std::string::npos);
  CHECK(text.err.empty());

  const Run unknown = chain.wallet({"--json", "portfolio", "sc" + std::string(40, '7')});
  CHECK(unknown.code == 1);
  CHECK(unknown.out.empty());
  // Asked for in the legacy form, named in the checksummed one.
  CHECK(unknown.err.find("the chain has no account " + crypto::format_address(std::string(20, '\x77'))) !=
        std::string::npos);
}
