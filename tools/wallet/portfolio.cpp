#include "tools/wallet/portfolio.hpp"

#include <map>

#include "contracts/financing/financing.hpp"
#include "proto/crypto.hpp"
#include "tools/wallet/text.hpp"

namespace sharechain::wallet {

using tools::Failure;
using tools::Json;
using tools::Outcome;

namespace {

namespace fpb = ::sharechain::financing;

// Adds `v` to `sum`; false (and `sum` unchanged) when the total would pass 2^64 - 1.
bool add_to(std::uint64_t& sum, std::uint64_t v) {
  if (sum > UINT64_MAX - v) return false;
  sum += v;
  return true;
}

Failure overflow(std::string_view what) {
  return Failure::refused("the portfolio's " + std::string(what) + " exceeds 2^64 - 1 units");
}

Json ratio_json(const Fraction& f) {
  return {{"numerator", f.numerator}, {"denominator", f.denominator}};
}
Json ratio_json(const fpb::Ratio& r) {
  // The contract keeps 0/1 for an asset without income; a record written before that rule could
  // carry an unset denominator, which is the same zero.
  return ratio_json(Fraction{r.numerator(), r.denominator() == 0 ? 1 : r.denominator()});
}

// roi, roi_bps and roi_percent of `income` over `cost` into `j`.
void put_return(Json& j, std::uint64_t income, std::uint64_t cost) {
  j["roi"] = ratio_json(reduce(income, cost));
  const std::uint64_t bps = floor_bps(income, cost);
  j["roi_bps"] = bps;
  j["roi_percent"] = format_percent(bps);
}

// The same three fields from a ratio and basis points the chain computed.
void put_return(Json& j, const fpb::Ratio& roi, std::uint64_t bps) {
  j["roi"] = ratio_json(roi);
  j["roi_bps"] = bps;
  j["roi_percent"] = format_percent(bps);
}

std::string hex(const std::string& raw) { return crypto::to_hex(raw); }
std::string address(const std::string& raw) { return crypto::format_address(raw); }

struct MonthTotal {
  std::uint64_t income = 0;
  std::uint64_t passed = 0;
  std::uint64_t distributions = 0;
};

}  // namespace

// The financing contract's own arithmetic, so the wallet's totals round as the chain's figures
// do; it requires a positive denominator, an asset without a cost has no return yet.
Fraction reduce(std::uint64_t numerator, std::uint64_t denominator) {
  if (denominator == 0) return {};
  const fpb::Ratio r = contracts::financing::ratio(numerator, denominator);
  return {r.numerator(), r.denominator()};
}

std::uint64_t floor_bps(std::uint64_t numerator, std::uint64_t denominator) {
  return denominator == 0 ? 0 : contracts::financing::basis_points(numerator, denominator);
}

std::string month_name(std::uint32_t period) {
  const std::uint32_t year = period / 12;
  const std::uint32_t month = period % 12 + 1;
  std::string y = std::to_string(year);
  if (y.size() < 4) y.insert(0, 4 - y.size(), '0');
  return y + "-" + (month < 10 ? "0" : "") + std::to_string(month);
}

std::string kind_name(assets::AssetKind kind) {
  switch (kind) {
    case assets::MAINTENANCE_STATION:
      return "station";
    case assets::PARKING_SPACE:
      return "parking";
    case assets::CHARGING_PILE:
      return "charging";
    default:
      return "unspecified";
  }
}

std::string asset_status_name(assets::AssetStatus status) {
  switch (status) {
    case assets::ASSET_ACTIVE:
      return "active";
    case assets::ASSET_RETIRED:
      return "retired";
    default:
      return "unspecified";
  }
}

std::string financing_status_name(fpb::FinancingStatus status) {
  switch (status) {
    case fpb::FINANCING_OPEN:
      return "open";
    case fpb::FINANCING_ACTIVE:
      return "active";
    case fpb::FINANCING_FAILED:
      return "failed";
    case fpb::FINANCING_CANCELLED:
      return "cancelled";
    case fpb::FINANCING_COMPLETED:
      return "completed";
    default:
      return "unspecified";
  }
}

Outcome<Json> portfolio_json(const PortfolioData& d) {
  Json j;
  j["account"] = address(d.address);
  j["read_from_height"] = d.read_from_height;
  j["read_at_height"] = d.read_at_height;
  j["balance"] = d.account.balance();
  j["escrow"] = d.account.escrow();

  // Assets, their months, and the sums across them.
  Json assets_json = Json::array();
  std::uint64_t total_cost = 0, total_income = 0, total_passed = 0, total_distributions = 0;
  std::map<std::uint32_t, MonthTotal> months;
  for (const AssetHolding& h : d.holdings) {
    const assets::Asset& a = h.asset;
    const fpb::AssetReturn& r = h.asset_return;
    if (r.passed_to_financiers() > r.cumulative_income()) {
      return Failure::refused("the chain reports more passed to financiers than earned for asset " +
                              hex(a.id()));
    }
    Json aj;
    aj["id"] = hex(a.id());
    aj["kind"] = kind_name(a.spec().kind());
    aj["name"] = a.spec().name();
    aj["location"] = a.spec().location();
    aj["status"] = asset_status_name(a.status());
    aj["investment_cost"] = a.spec().investment_cost();
    aj["income"] = r.cumulative_income();
    aj["passed_to_financiers"] = r.passed_to_financiers();
    aj["net_income"] = r.cumulative_income() - r.passed_to_financiers();
    aj["distributions"] = r.distributions();
    put_return(aj, r.roi(), r.roi_bps());
    aj["first_income_at_ms"] = r.first_income_at_ms();
    aj["last_income_at_ms"] = r.last_income_at_ms();
    Json periods = Json::array();
    for (const fpb::PeriodIncome& p : h.periods) {
      Json pj;
      pj["period"] = p.period();
      pj["month"] = month_name(p.period());
      pj["income"] = p.income();
      pj["passed_to_financiers"] = p.passed_to_financiers();
      pj["distributions"] = p.distributions();
      put_return(pj, p.roi(), p.roi_bps());
      periods.push_back(std::move(pj));
      MonthTotal& m = months[p.period()];
      if (!add_to(m.income, p.income()) || !add_to(m.passed, p.passed_to_financiers()) ||
          !add_to(m.distributions, p.distributions())) {
        return overflow("income of " + month_name(p.period()));
      }
    }
    aj["periods"] = std::move(periods);
    assets_json.push_back(std::move(aj));
    // The total investment is what the assets cost, whatever the return report last copied.
    if (!add_to(total_cost, a.spec().investment_cost())) return overflow("investment cost");
    if (!add_to(total_income, r.cumulative_income())) return overflow("income");
    if (!add_to(total_passed, r.passed_to_financiers()))
      return overflow("income passed to financiers");
    if (!add_to(total_distributions, r.distributions())) return overflow("distribution count");
  }
  j["assets"] = std::move(assets_json);

  Json totals;
  totals["assets"] = d.holdings.size();
  totals["investment_cost"] = total_cost;
  totals["income"] = total_income;
  totals["passed_to_financiers"] = total_passed;
  totals["net_income"] = total_income - total_passed;
  totals["distributions"] = total_distributions;
  put_return(totals, total_income, total_cost);
  j["totals"] = std::move(totals);

  Json by_month = Json::array();
  for (const auto& [period, m] : months) {
    Json mj;
    mj["period"] = period;
    mj["month"] = month_name(period);
    mj["income"] = m.income;
    mj["passed_to_financiers"] = m.passed;
    mj["distributions"] = m.distributions;
    put_return(mj, m.income, total_cost);
    by_month.push_back(std::move(mj));
  }
  j["income_by_month"] = std::move(by_month);

  // Rounds offered on the assets: open ones take subscriptions, the others have an outcome.
  Json open = Json::array(), closed = Json::array();
  for (const AssetHolding& h : d.holdings) {
    for (const fpb::Financing& f : h.financings) {
      const fpb::FinancingTerms& t = f.terms();
      Json fj;
      fj["financing"] = hex(f.id());
      fj["asset"] = hex(f.asset_id());
      fj["asset_name"] = h.asset.spec().name();
      fj["amount_sought"] = t.amount_sought();
      if (f.status() == fpb::FINANCING_OPEN) {
        fj["subscribed"] = f.subscribed();
        fj["remaining"] =
            t.amount_sought() > f.subscribed() ? t.amount_sought() - f.subscribed() : 0;
        fj["subscribers"] = f.subscribers();
        fj["share_bps"] = t.share_bps();
        // The contract reads 0 as "all of it" and "one unit"; show what applies.
        fj["minimum_raise"] = t.minimum_raise() == 0 ? t.amount_sought() : t.minimum_raise();
        fj["min_subscription"] = t.min_subscription() == 0 ? 1 : t.min_subscription();
        fj["deadline_ms"] = t.deadline_ms();
        fj["term_ends_ms"] = t.term_ends_ms();
        fj["note"] = t.note();
        Json track;
        track["income"] = h.asset_return.cumulative_income();
        track["distributions"] = h.asset_return.distributions();
        put_return(track, h.asset_return.roi(), h.asset_return.roi_bps());
        fj["track_record"] = std::move(track);
        open.push_back(std::move(fj));
      } else {
        fj["status"] = financing_status_name(f.status());
        fj["raised"] = f.raised();
        fj["subscribers"] = f.subscribers();
        fj["share_bps"] = t.share_bps();
        fj["closed_at_ms"] = f.closed_at_ms();
        fj["term_ends_ms"] = t.term_ends_ms();
        fj["completed_at_ms"] = f.completed_at_ms();
        fj["paid_out"] = f.paid_out();
        fj["distributions"] = f.distributions();
        fj["reason"] = f.status_reason();
        closed.push_back(std::move(fj));
      }
    }
  }
  j["offers"] = {{"open", std::move(open)}, {"closed", std::move(closed)}};

  // The investor as a financier of other investors' rounds.
  std::map<std::string, std::string> names(d.position_asset_names.begin(),
                                           d.position_asset_names.end());
  Json subs = Json::array();
  std::uint64_t paid_total = 0, payout_count = 0, invested = 0, pending = 0;
  for (const fpb::Position& p : d.positions) {
    const fpb::Financing& f = p.financing();
    const fpb::Subscription& s = p.subscription();
    Json sj;
    sj["financing"] = hex(f.id());
    sj["asset"] = hex(f.asset_id());
    const auto name = names.find(f.asset_id());
    sj["asset_name"] = name == names.end() ? std::string() : name->second;
    sj["investor"] = address(f.investor());
    sj["state"] = financing_status_name(f.status());
    sj["amount"] = s.amount();
    sj["refunded"] = s.refunded();
    sj["paid_out"] = s.paid_out();
    sj["payouts"] = s.payouts();
    put_return(sj, p.roi(), p.roi_bps());
    sj["share_bps"] = f.terms().share_bps();
    sj["term_ends_ms"] = f.terms().term_ends_ms();
    subs.push_back(std::move(sj));
    if (!add_to(paid_total, s.paid_out()) || !add_to(payout_count, s.payouts())) {
      return overflow("payouts received");
    }
    // Money counts as invested once a round has handed it to its investor; in an open round it
    // still sits in escrow and may come back.
    if (!s.refunded() &&
        (f.status() == fpb::FINANCING_ACTIVE || f.status() == fpb::FINANCING_COMPLETED)) {
      if (!add_to(invested, s.amount())) return overflow("amount invested in financings");
    } else if (f.status() == fpb::FINANCING_OPEN) {
      if (!add_to(pending, s.amount())) return overflow("amount subscribed to open rounds");
    }
  }
  j["subscriptions"] = std::move(subs);
  Json payouts;
  payouts["total"] = paid_total;
  payouts["count"] = payout_count;
  payouts["invested"] = invested;
  payouts["pending"] = pending;
  put_return(payouts, paid_total, invested);
  j["payouts"] = std::move(payouts);

  j["income_received"] = {{"total", d.income_stats.income_total()},
                          {"entries", d.income_stats.income_entries()}};
  return j;
}

namespace {

std::string credits(const Json& v) { return tools::format_credits(v.get<std::uint64_t>()); }
std::string number(const Json& v) { return std::to_string(v.get<std::uint64_t>()); }
std::string ratio_text(const Json& r) {
  return number(r["numerator"]) + "/" + number(r["denominator"]);
}
// Minutes are enough to read a deadline; the JSON keeps the milliseconds.
std::string when(const Json& ms) {
  const std::uint64_t v = ms.get<std::uint64_t>();
  if (v == 0) return "-";
  return tools::format_time_ms(v).substr(0, 16) + "Z";
}
std::string bps_percent(const Json& bps) { return format_percent(bps.get<std::uint64_t>()); }
std::string asset_label(const Json& name, const Json& id) {
  const std::string n = name.get<std::string>();
  return n.empty() ? id.get<std::string>().substr(0, 8) + "…" : n;
}

using Col = TextTable::Column;
constexpr auto L = TextTable::Align::kLeft;
constexpr auto R = TextTable::Align::kRight;

void print_assets(std::ostream& out, const Json& p) {
  out << "\nAssets owned\n";
  if (p["assets"].empty()) {
    out << "  (none)\n";
    return;
  }
  TextTable t({Col{"asset", L}, Col{"kind", L}, Col{"name", L}, Col{"status", L}, Col{"cost", R},
               Col{"income", R}, Col{"passed on", R}, Col{"net", R}, Col{"ROI", R},
               Col{"exact", L}});
  for (const Json& a : p["assets"]) {
    t.add_row({a["id"].get<std::string>(), a["kind"].get<std::string>(),
               a["name"].get<std::string>(), a["status"].get<std::string>(),
               credits(a["investment_cost"]), credits(a["income"]),
               credits(a["passed_to_financiers"]), credits(a["net_income"]),
               a["roi_percent"].get<std::string>(), ratio_text(a["roi"])});
  }
  const Json& s = p["totals"];
  t.add_rule();
  t.add_row({"total (" + number(s["assets"]) + (s["assets"] == 1 ? " asset)" : " assets)"), "", "",
             "", credits(s["investment_cost"]), credits(s["income"]),
             credits(s["passed_to_financiers"]), credits(s["net_income"]),
             s["roi_percent"].get<std::string>(), ratio_text(s["roi"])});
  t.print(out);
}

void print_months(std::ostream& out, const Json& p) {
  out << "\nIncome by month (ROI over the total investment cost)\n";
  if (p["income_by_month"].empty()) {
    out << "  (none)\n";
    return;
  }
  TextTable t({Col{"month", L}, Col{"income", R}, Col{"passed on", R}, Col{"distributions", R},
               Col{"ROI", R}});
  for (const Json& m : p["income_by_month"]) {
    t.add_row({m["month"].get<std::string>(), credits(m["income"]),
               credits(m["passed_to_financiers"]), number(m["distributions"]),
               m["roi_percent"].get<std::string>()});
  }
  t.print(out);

  out << "\nIncome by asset and month\n";
  TextTable by_asset({Col{"asset", L}, Col{"month", L}, Col{"income", R}, Col{"passed on", R},
                      Col{"distributions", R}, Col{"ROI", R}});
  for (const Json& a : p["assets"]) {
    for (const Json& m : a["periods"]) {
      by_asset.add_row({asset_label(a["name"], a["id"]), m["month"].get<std::string>(),
                        credits(m["income"]), credits(m["passed_to_financiers"]),
                        number(m["distributions"]), m["roi_percent"].get<std::string>()});
    }
  }
  by_asset.print(out);
}

void print_offers(std::ostream& out, const Json& p) {
  const Json& open = p["offers"]["open"];
  const Json& closed = p["offers"]["closed"];
  out << "\nFinancing offered on these assets: open\n";
  if (open.empty()) {
    out << "  (none)\n";
  } else {
    TextTable t({Col{"financing", L}, Col{"asset", L}, Col{"sought", R}, Col{"raised so far", R},
                 Col{"subscribers", R}, Col{"share", R}, Col{"minimum", R}, Col{"deadline", L},
                 Col{"term ends", L}, Col{"asset ROI so far", R}});
    for (const Json& f : open) {
      t.add_row({f["financing"].get<std::string>(), asset_label(f["asset_name"], f["asset"]),
                 credits(f["amount_sought"]), credits(f["subscribed"]), number(f["subscribers"]),
                 bps_percent(f["share_bps"]), credits(f["minimum_raise"]), when(f["deadline_ms"]),
                 when(f["term_ends_ms"]), f["track_record"]["roi_percent"].get<std::string>()});
    }
    t.print(out);
  }
  out << "\nFinancing offered on these assets: closed\n";
  if (closed.empty()) {
    out << "  (none)\n";
  } else {
    TextTable t({Col{"financing", L}, Col{"asset", L}, Col{"outcome", L}, Col{"sought", R},
                 Col{"raised", R}, Col{"share", R}, Col{"paid out", R}, Col{"closed", L},
                 Col{"term ends", L}});
    // Reasons are sentences; under the table they do not stretch every row to their width.
    std::vector<std::string> reasons;
    for (const Json& f : closed) {
      std::string outcome = f["status"].get<std::string>();
      if (outcome == "active") outcome = "active (raised)";
      const std::string reason = f["reason"].get<std::string>();
      if (!reason.empty() && (outcome == "failed" || outcome == "cancelled")) {
        reasons.push_back(f["financing"].get<std::string>().substr(0, 16) + "… " + outcome + ": " +
                          reason);
      }
      t.add_row({f["financing"].get<std::string>(), asset_label(f["asset_name"], f["asset"]),
                 outcome, credits(f["amount_sought"]), credits(f["raised"]),
                 bps_percent(f["share_bps"]), credits(f["paid_out"]), when(f["closed_at_ms"]),
                 when(f["term_ends_ms"])});
    }
    t.print(out);
    for (const std::string& r : reasons) out << "  " << r << "\n";
  }
}

void print_subscriptions(std::ostream& out, const Json& p) {
  out << "\nSubscriptions to other investors' rounds\n";
  const Json& subs = p["subscriptions"];
  if (subs.empty()) {
    out << "  (none)\n";
    return;
  }
  TextTable t({Col{"financing", L}, Col{"asset", L}, Col{"state", L}, Col{"amount", R},
               Col{"paid out", R}, Col{"payouts", R}, Col{"ROI", R}, Col{"exact", L}});
  for (const Json& s : subs) {
    std::string state = s["state"].get<std::string>();
    if (s["refunded"].get<bool>()) state += " (refunded)";
    t.add_row({s["financing"].get<std::string>(), asset_label(s["asset_name"], s["asset"]), state,
               credits(s["amount"]), credits(s["paid_out"]), number(s["payouts"]),
               s["roi_percent"].get<std::string>(), ratio_text(s["roi"])});
  }
  const Json& pay = p["payouts"];
  t.add_rule();
  t.add_row({"total invested", "", "", credits(pay["invested"]), credits(pay["total"]),
             number(pay["count"]), pay["roi_percent"].get<std::string>(), ratio_text(pay["roi"])});
  t.print(out);
  if (pay["pending"].get<std::uint64_t>() != 0) {
    out << "  " << credits(pay["pending"]) << " credits wait in escrow in rounds still open\n";
  }
}

}  // namespace

void print_portfolio(std::ostream& out, const Json& p) {
  out << "Portfolio of " << p["account"].get<std::string>() << " at height "
      << number(p["read_at_height"]) << "\n";
  out << "balance " << tools::format_amount(p["balance"].get<std::uint64_t>());
  if (p["escrow"].get<std::uint64_t>() != 0)
    out << ", " << credits(p["escrow"]) << " credits in escrow";
  out << "\n";
  out << "amounts in credits (1 credit = 100 units); ROI = income / investment cost, rounded down "
         "to "
         "0.01 %\n";
  print_assets(out, p);
  print_months(out, p);
  print_offers(out, p);
  print_subscriptions(out, p);
  const Json& inc = p["income_received"];
  out << "\nIncome received from all agreements and split models: " << credits(inc["total"])
      << " credits in " << number(inc["entries"]) << " distributions\n";
}

}  // namespace sharechain::wallet
