#include "tools/wallet/portfolio.hpp"

#include "tools/wallet/text.hpp"

namespace sharechain::wallet {

using tools::Json;

tools::Outcome<Json> portfolio_report(const PortfolioData& data) {
  Result<Json> j = reports::portfolio_json(data);
  if (!j) return tools::Failure::refused(j.status().message());
  return std::move(j).value();
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
