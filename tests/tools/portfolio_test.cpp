// `sharechain portfolio` without a node: the figures, their JSON shape and the tables.
//   format_percent prints basis points as a percentage with two decimals, integers only
//   reduce and floor_bps: lowest terms, 0/1 for no investment, 128-bit products, capped bps
//   month_name and the kind, asset status and financing status names
//   portfolio_report (reports::portfolio_json with exit codes): per-asset income, passed on, net and ROI as the chain reports them; totals
//     across assets (sum of income / sum of cost) exactly; months summed across assets with ROI
//     over the total cost; open offers with the asset's track record and effective minimums;
//     closed offers with their outcome; subscriptions with financier ROI, and payouts in total
//     over the money handed to investors (refunded and still-open subscriptions excluded)
//   the JSON holds integers and strings only, never a floating-point number, with the
//     documented top-level fields
//   sums beyond 2^64 - 1 and more passed on than earned are refusals (exit 1), not wraps
//   an investor with nothing yet: empty lists, totals of zero, ROI 0/1
//   the tables: aligned columns, a rule and a total line, "(none)" for empty sections
//   TextTable: left and right alignment, "…" counted as one column, no trailing spaces
//   the command: a name that is no key is a usage error (2); no node is exit 3
#include "tools/wallet/portfolio.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <functional>
#include <sstream>

#include "tests/tools/temp_dir.hpp"
#include "tools/wallet/app.hpp"
#include "tools/wallet/text.hpp"

using namespace sharechain;
using namespace sharechain::wallet;
using tools::Json;
namespace fpb = sharechain::financing;

namespace {

std::string id_of(char c) { return std::string(16, c); }
std::string addr_of(char c) { return std::string(20, c); }

fpb::Ratio ratio(std::uint64_t n, std::uint64_t d) {
  fpb::Ratio r;
  r.set_numerator(n);
  r.set_denominator(d);
  return r;
}

fpb::PeriodIncome period(const std::string& asset, std::uint32_t year, std::uint32_t month,
                         std::uint64_t income, std::uint64_t passed, std::uint64_t distributions,
                         std::uint64_t cost) {
  fpb::PeriodIncome p;
  p.set_asset_id(asset);
  p.set_period(year * 12 + month - 1);
  p.set_year(year);
  p.set_month(month);
  p.set_income(income);
  p.set_passed_to_financiers(passed);
  p.set_distributions(distributions);
  const Fraction f = reduce(income, cost);
  *p.mutable_roi() = ratio(f.numerator, f.denominator);
  p.set_roi_bps(floor_bps(income, cost));
  return p;
}

AssetHolding holding(char c, assets::AssetKind kind, const std::string& name, std::uint64_t cost,
                     std::uint64_t income, std::uint64_t passed, std::uint64_t distributions) {
  AssetHolding h;
  h.asset.set_id(id_of(c));
  h.asset.mutable_spec()->set_kind(kind);
  h.asset.mutable_spec()->set_name(name);
  h.asset.mutable_spec()->set_location("Main St");
  h.asset.mutable_spec()->set_investment_cost(cost);
  h.asset.set_status(assets::ASSET_ACTIVE);
  h.asset_return.set_asset_id(id_of(c));
  h.asset_return.set_investment_cost(cost);
  h.asset_return.set_cumulative_income(income);
  h.asset_return.set_passed_to_financiers(passed);
  h.asset_return.set_distributions(distributions);
  const Fraction f = reduce(income, cost);
  *h.asset_return.mutable_roi() = ratio(f.numerator, f.denominator);
  h.asset_return.set_roi_bps(floor_bps(income, cost));
  return h;
}

fpb::Financing financing(char c, const std::string& asset, fpb::FinancingStatus status) {
  fpb::Financing f;
  f.set_id(id_of(c));
  f.set_asset_id(asset);
  f.set_investor(addr_of('\x01'));
  f.set_status(status);
  f.mutable_terms()->set_amount_sought(40'000);
  f.mutable_terms()->set_share_bps(2'000);
  f.mutable_terms()->set_deadline_ms(1'800'000'000'000);
  f.mutable_terms()->set_term_ends_ms(1'900'000'000'000);
  return f;
}

fpb::Position position(char c, fpb::FinancingStatus status, std::uint64_t amount,
                       std::uint64_t paid, std::uint64_t payouts, bool refunded = false) {
  fpb::Position p;
  *p.mutable_financing() = financing(c, id_of(static_cast<char>(c + 1)), status);
  p.mutable_financing()->set_investor(addr_of('\x02'));
  p.mutable_subscription()->set_financing_id(id_of(c));
  p.mutable_subscription()->set_amount(amount);
  p.mutable_subscription()->set_paid_out(paid);
  p.mutable_subscription()->set_payouts(payouts);
  p.mutable_subscription()->set_refunded(refunded);
  const Fraction f = reduce(paid, amount);
  *p.mutable_roi() = ratio(f.numerator, f.denominator);
  p.set_roi_bps(floor_bps(paid, amount));
  return p;
}

// Two assets with income over two months, one open and two closed rounds, and four positions.
PortfolioData sample() {
  PortfolioData d;
  d.address = addr_of('\x01');
  d.account.set_balance(123'456);
  d.account.set_escrow(1'000);
  d.read_from_height = 40;
  d.read_at_height = 42;

  AssetHolding station =
      holding('a', assets::MAINTENANCE_STATION, "Bay 1", 1'000'000, 18'000, 1'800, 3);
  station.periods = {period(id_of('a'), 2026, 10, 5'000, 0, 1, 1'000'000),
                     period(id_of('a'), 2026, 11, 13'000, 1'800, 2, 1'000'000)};
  fpb::Financing active = financing('f', id_of('a'), fpb::FINANCING_ACTIVE);
  active.set_raised(40'000);
  active.set_paid_out(1'800);
  active.set_closed_at_ms(1'800'000'000'000);
  fpb::Financing open = financing('g', id_of('a'), fpb::FINANCING_OPEN);
  open.set_subscribed(10'000);
  open.set_subscribers(2);
  open.mutable_terms()->set_min_subscription(0);
  open.mutable_terms()->set_minimum_raise(0);
  station.financings = {active, open};

  AssetHolding pile = holding('b', assets::CHARGING_PILE, "Pile 7", 250'000, 2'499, 0, 4);
  pile.periods = {period(id_of('b'), 2026, 11, 2'499, 0, 4, 250'000)};
  fpb::Financing failed = financing('h', id_of('b'), fpb::FINANCING_FAILED);
  failed.set_status_reason("the minimum raise was not met");
  pile.financings = {failed};
  d.holdings = {station, pile};

  d.positions = {position('p', fpb::FINANCING_ACTIVE, 25'000, 714, 1),
                 position('r', fpb::FINANCING_COMPLETED, 10'000, 1'286, 3),
                 position('t', fpb::FINANCING_FAILED, 5'000, 0, 0, true),
                 position('v', fpb::FINANCING_OPEN, 2'000, 0, 0)};
  d.position_asset_names = {{id_of('q'), "Space 3"}};
  d.income_stats.set_income_total(21'000);
  d.income_stats.set_income_entries(9);
  return d;
}

void require_no_floats(const Json& j) {
  if (j.is_number_float()) FAIL("a floating-point number in the portfolio JSON: " << j.dump());
  if (j.is_structured()) {
    for (const auto& v : j) require_no_floats(v);
  }
}

}  // namespace

TEST_CASE("percentages come from basis points with integer arithmetic", "[portfolio]") {
  CHECK(format_percent(0) == "0.00%");
  CHECK(format_percent(5) == "0.05%");
  CHECK(format_percent(50) == "0.50%");
  CHECK(format_percent(180) == "1.80%");
  CHECK(format_percent(10'000) == "100.00%");
  CHECK(format_percent(12'345) == "123.45%");
  CHECK(format_percent(UINT64_MAX) == "184467440737095516.15%");
}

TEST_CASE("ratios reduce to lowest terms and basis points round down", "[portfolio]") {
  CHECK(reduce(18'000, 1'000'000).numerator == 9);
  CHECK(reduce(18'000, 1'000'000).denominator == 500);
  CHECK(reduce(0, 7).numerator == 0);
  CHECK(reduce(0, 7).denominator == 1);
  CHECK(reduce(5, 0).numerator == 0);
  CHECK(reduce(5, 0).denominator == 1);
  CHECK(floor_bps(18'000, 1'000'000) == 180);
  CHECK(floor_bps(20'499, 1'250'000) == 163);  // 163.992
  CHECK(floor_bps(1, 3) == 3'333);
  CHECK(floor_bps(5, 0) == 0);
  // The product needs more than 64 bits; the quotient does not.
  CHECK(floor_bps(UINT64_MAX / 2, UINT64_MAX) == 4'999);
  CHECK(floor_bps(UINT64_MAX, 1) == UINT64_MAX);
}

TEST_CASE("names of months, kinds and states", "[portfolio]") {
  CHECK(month_name(2026 * 12 + 10) == "2026-11");
  CHECK(month_name(2027 * 12) == "2027-01");
  CHECK(month_name(999 * 12 + 11) == "0999-12");
  CHECK(kind_name(assets::MAINTENANCE_STATION) == "station");
  CHECK(kind_name(assets::PARKING_SPACE) == "parking");
  CHECK(kind_name(assets::CHARGING_PILE) == "charging");
  CHECK(asset_status_name(assets::ASSET_RETIRED) == "retired");
  CHECK(financing_status_name(fpb::FINANCING_OPEN) == "open");
  CHECK(financing_status_name(fpb::FINANCING_CANCELLED) == "cancelled");
  CHECK(financing_status_name(fpb::FINANCING_COMPLETED) == "completed");
}

TEST_CASE("portfolio figures: per asset, totals, months, offers, subscriptions", "[portfolio]") {
  const auto out = portfolio_report(sample());
  REQUIRE(out.is_ok());
  const Json& j = *out;
  require_no_floats(j);
  std::vector<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.push_back(k);
  CHECK(keys == std::vector<std::string>{"account", "read_from_height", "read_at_height", "balance",
                                         "escrow", "assets", "totals", "income_by_month", "offers",
                                         "subscriptions", "payouts", "income_received"});
  CHECK(j["account"] == crypto::format_address(addr_of('\x01')));
  CHECK(j["balance"] == 123'456);
  CHECK(j["escrow"] == 1'000);
  CHECK(j["read_at_height"] == 42);

  REQUIRE(j["assets"].size() == 2);
  const Json& a = j["assets"][0];
  CHECK(a["id"] == crypto::to_hex(id_of('a')));
  CHECK(a["kind"] == "station");
  CHECK(a["status"] == "active");
  CHECK(a["investment_cost"] == 1'000'000);
  CHECK(a["income"] == 18'000);
  CHECK(a["passed_to_financiers"] == 1'800);
  CHECK(a["net_income"] == 16'200);
  CHECK(a["roi"] == Json{{"numerator", 9}, {"denominator", 500}});
  CHECK(a["roi_bps"] == 180);
  CHECK(a["roi_percent"] == "1.80%");
  REQUIRE(a["periods"].size() == 2);
  CHECK(a["periods"][1]["month"] == "2026-11");
  CHECK(a["periods"][1]["roi"] == Json{{"numerator", 13}, {"denominator", 1000}});
  CHECK(j["assets"][1]["kind"] == "charging");

  // Totals: 20,499 over 1,250,000 = 20,499/1,250,000 (already lowest terms), 163 bps.
  const Json& t = j["totals"];
  CHECK(t["assets"] == 2);
  CHECK(t["investment_cost"] == 1'250'000);
  CHECK(t["income"] == 20'499);
  CHECK(t["passed_to_financiers"] == 1'800);
  CHECK(t["net_income"] == 18'699);
  CHECK(t["distributions"] == 7);
  CHECK(t["roi"] == Json{{"numerator", 20'499}, {"denominator", 1'250'000}});
  CHECK(t["roi_bps"] == 163);
  CHECK(t["roi_percent"] == "1.63%");

  // Months across assets: October 5,000 (station only); November 13,000 + 2,499.
  REQUIRE(j["income_by_month"].size() == 2);
  const Json& oct = j["income_by_month"][0];
  const Json& nov = j["income_by_month"][1];
  CHECK(oct["month"] == "2026-10");
  CHECK(oct["income"] == 5'000);
  CHECK(oct["roi"] == Json{{"numerator", 1}, {"denominator", 250}});
  CHECK(oct["roi_bps"] == 40);
  CHECK(nov["month"] == "2026-11");
  CHECK(nov["income"] == 15'499);
  CHECK(nov["passed_to_financiers"] == 1'800);
  CHECK(nov["distributions"] == 6);
  CHECK(nov["roi_bps"] == 123);  // 15,499 x 10,000 / 1,250,000 = 123.992

  // Offers: the open one with effective minimums and the asset's record; two closed ones.
  REQUIRE(j["offers"]["open"].size() == 1);
  const Json& o = j["offers"]["open"][0];
  CHECK(o["asset_name"] == "Bay 1");
  CHECK(o["subscribed"] == 10'000);
  CHECK(o["remaining"] == 30'000);
  CHECK(o["minimum_raise"] == 40'000);
  CHECK(o["min_subscription"] == 1);
  CHECK(o["share_bps"] == 2'000);
  CHECK(o["track_record"]["roi_bps"] == 180);
  CHECK(o["track_record"]["income"] == 18'000);
  REQUIRE(j["offers"]["closed"].size() == 2);
  CHECK(j["offers"]["closed"][0]["status"] == "active");
  CHECK(j["offers"]["closed"][0]["raised"] == 40'000);
  CHECK(j["offers"]["closed"][0]["paid_out"] == 1'800);
  CHECK(j["offers"]["closed"][1]["status"] == "failed");
  CHECK(j["offers"]["closed"][1]["asset_name"] == "Pile 7");
  CHECK(j["offers"]["closed"][1]["reason"] == "the minimum raise was not met");

  // Subscriptions: invested = the active and the completed ones (35,000); paid 2,000 in 4.
  REQUIRE(j["subscriptions"].size() == 4);
  const Json& s = j["subscriptions"][0];
  CHECK(s["state"] == "active");
  CHECK(s["asset_name"] == "Space 3");
  CHECK(s["investor"] == crypto::format_address(addr_of('\x02')));
  CHECK(s["roi"] == Json{{"numerator", 357}, {"denominator", 12'500}});
  CHECK(s["roi_bps"] == 285);
  CHECK(j["subscriptions"][2]["refunded"] == true);
  CHECK(j["subscriptions"][1]["asset_name"] == "");
  const Json& p = j["payouts"];
  CHECK(p["total"] == 2'000);
  CHECK(p["count"] == 4);
  CHECK(p["invested"] == 35'000);
  CHECK(p["pending"] == 2'000);
  CHECK(p["roi"] == Json{{"numerator", 2}, {"denominator", 35}});
  CHECK(p["roi_bps"] == 571);
  CHECK(j["income_received"] == Json{{"total", 21'000}, {"entries", 9}});
}

TEST_CASE("an investor with nothing yet has empty sections and a zero return", "[portfolio]") {
  PortfolioData d;
  d.address = addr_of('\x05');
  const auto out = portfolio_report(d);
  REQUIRE(out.is_ok());
  CHECK(out->at("assets").empty());
  CHECK(out->at("income_by_month").empty());
  CHECK(out->at("offers")["open"].empty());
  CHECK(out->at("subscriptions").empty());
  CHECK(out->at("totals")["roi"] == Json{{"numerator", 0}, {"denominator", 1}});
  CHECK(out->at("totals")["roi_percent"] == "0.00%");
  CHECK(out->at("payouts")["roi_bps"] == 0);

  std::ostringstream text;
  print_portfolio(text, *out);
  CHECK(text.str().find("Assets owned\n  (none)\n") != std::string::npos);
  CHECK(text.str().find("Subscriptions to other investors' rounds\n  (none)\n") !=
        std::string::npos);
}

TEST_CASE("sums past 2^64 - 1 and contradictory figures are refused", "[portfolio]") {
  PortfolioData d = sample();
  d.holdings[1].asset.mutable_spec()->set_investment_cost(UINT64_MAX);
  auto out = portfolio_report(d);
  REQUIRE_FALSE(out.is_ok());
  CHECK(out.failure().exit_code == tools::kExitRefused);
  CHECK(out.failure().message.find("investment cost") != std::string::npos);

  d = sample();
  d.holdings[0].periods[0].set_income(UINT64_MAX);
  d.holdings[1].periods[0].set_period(d.holdings[0].periods[0].period());
  out = portfolio_report(d);
  REQUIRE_FALSE(out.is_ok());
  CHECK(out.failure().message.find("2026-10") != std::string::npos);

  d = sample();
  d.positions[0].mutable_subscription()->set_paid_out(UINT64_MAX);
  CHECK_FALSE(portfolio_report(d).is_ok());

  d = sample();
  d.holdings[0].asset_return.set_passed_to_financiers(18'001);
  out = portfolio_report(d);
  REQUIRE_FALSE(out.is_ok());
  CHECK(out.failure().message.find("more passed to financiers than earned") != std::string::npos);
}

TEST_CASE("the portfolio tables line up and end with totals", "[portfolio]") {
  const auto out = portfolio_report(sample());
  REQUIRE(out.is_ok());
  std::ostringstream text;
  print_portfolio(text, *out);
  const std::string s = text.str();
  INFO(s);
  CHECK(s.rfind("Portfolio of " + crypto::format_address(addr_of('\x01')) + " at height 42\n", 0) ==
        0);
  CHECK(s.find("balance 123456 units (1234.56 credits), 10.00 credits in escrow\n") !=
        std::string::npos);
  for (const char* heading :
       {"\nAssets owned\n", "\nIncome by month (ROI over the total investment cost)\n",
        "\nIncome by asset and month\n", "\nFinancing offered on these assets: open\n",
        "\nFinancing offered on these assets: closed\n",
        "\nSubscriptions to other investors' rounds\n"}) {
    CHECK(s.find(heading) != std::string::npos);
  }
  // The reason of a failed round follows its table, named by the financing id.
  CHECK(s.find("\n  " + crypto::to_hex(id_of('h')).substr(0, 16) +
               "… failed: the minimum raise was not met\n") != std::string::npos);
  CHECK(s.find("active (raised)") != std::string::npos);
  CHECK(s.find("failed (refunded)") != std::string::npos);
  CHECK(s.find("20.00 credits wait in escrow in rounds still open") != std::string::npos);
  CHECK(s.find("Income received from all agreements and split models: 210.00 credits in 9 "
               "distributions") != std::string::npos);

  // The asset table: the header, two rows, a rule and the total, the ROI column right-aligned.
  std::istringstream lines(s.substr(s.find("\nAssets owned\n") + 14));
  std::vector<std::string> table;
  for (std::string line; std::getline(lines, line) && !line.empty();) table.push_back(line);
  REQUIRE(table.size() == 5);
  CHECK(table[0].rfind("  asset", 0) == 0);
  CHECK(table[3].find_first_not_of("- ") == std::string::npos);
  CHECK(table[4].find("total (2 assets)") == 2);
  const std::size_t roi_end = table[0].find("ROI") + 3;
  CHECK(table[1].substr(roi_end - 5, 5) == "1.80%");
  CHECK(table[2].substr(roi_end - 5, 5) == "0.99%");
  CHECK(table[4].substr(roi_end - 5, 5) == "1.63%");
  CHECK(table[4].find("20499/1250000") != std::string::npos);
  CHECK(table[4].find("12500.00") != std::string::npos);
  for (const std::string& line : table) CHECK(line.back() != ' ');
}

TEST_CASE("TextTable aligns text left and numbers right", "[portfolio]") {
  TextTable t({{"name", TextTable::Align::kLeft},
               {"amount", TextTable::Align::kRight},
               {"note", TextTable::Align::kLeft}});
  t.add_row({"a…", "5", ""});
  t.add_row({"longer", "12345", "x"});
  t.add_rule();
  t.add_row({"total", "12350"});
  std::ostringstream out;
  t.print(out, 1);
  CHECK(out.str() ==
        " name    amount  note\n"
        " a…           5\n"
        " longer   12345  x\n"
        " --------------------\n"
        " total    12350\n");
  CHECK(display_width("a…") == 2);
}

TEST_CASE("portfolio: a name that is no key is a usage error; no node is exit 3", "[portfolio]") {
  sharechain::testing::TempDir tmp;
  auto run = [&](std::vector<std::string> args) {
    std::vector<std::string> all = {
        "--keystore", (tmp / "keystore").string(), "--node", "127.0.0.1:1", "--timeout", "5"};
    all.insert(all.end(), args.begin(), args.end());
    std::ostringstream out, err;
    const int code = wallet::run(all, out, err);
    CHECK(out.str().empty());
    return std::make_pair(code, err.str());
  };
  CHECK(run({"portfolio", "nobody"}).first == 2);
  CHECK(run({"portfolio"}).first == 2);
  CHECK(run({"portfolio", "sc1234"}).first == 2);
  const auto unreachable = run({"portfolio", "sc" + std::string(40, 'a'), "--json"});
  CHECK(unreachable.first == 3);
  CHECK(unreachable.second.find("cannot reach the node at 127.0.0.1:1") != std::string::npos);
}
