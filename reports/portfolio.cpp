#include "reports/portfolio.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "contracts/financing/financing.hpp"
#include "proto/crypto.hpp"

namespace sharechain::reports {

namespace {

namespace fpb = ::sharechain::financing;

// Adds `v` to `sum`; false (and `sum` unchanged) when the total would pass 2^64 - 1.
bool add_to(std::uint64_t& sum, std::uint64_t v) {
  if (sum > UINT64_MAX - v) return false;
  sum += v;
  return true;
}

Status overflow(std::string_view what) {
  return Status::failed_precondition("the portfolio's " + std::string(what) +
                                     " exceeds 2^64 - 1 units");
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

// Basis points are hundredths of a percent as units are hundredths of a credit.
std::string format_percent(std::uint64_t bps) { return format_credits(bps) + "%"; }

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

Result<Json> portfolio_json(const PortfolioData& d) {
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
      return Status::failed_precondition("the chain reports more passed to financiers than earned for asset " +
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

// Runs the queries and remembers the lowest and highest height they were answered at.
class Reader {
 public:
  explicit Reader(ChainReader& chain) : chain_(chain) {}

  Result<api::QueryResponse> query(const api::QueryRequest& q,
                                   api::QueryResponse::ResultCase expected) {
    Result<api::QueryResponse> r = chain_.query(q);
    if (!r) return r;
    if (r->result_case() != expected) {
      return Status::internal("the node answered a portfolio query with an unexpected result");
    }
    from_ = from_ == 0 ? r->height() : std::min(from_, r->height());
    at_ = std::max(at_, r->height());
    return r;
  }

  Result<assets::AssetList> assets_of(const std::string& owner) {
    api::QueryRequest q;
    q.mutable_assets()->mutable_of_owner()->set_owner(owner);
    auto r = query(q, api::QueryResponse::kAssets);
    if (!r) return r.status();
    return r->assets().assets();
  }

  Result<assets::Asset> asset(const std::string& id) {
    api::QueryRequest q;
    q.mutable_assets()->mutable_asset()->set_asset_id(id);
    auto r = query(q, api::QueryResponse::kAssets);
    if (!r) return r.status();
    return r->assets().asset();
  }

  // The asset's return and every month of it: the contract answers at most 1,200 months a call.
  Result<fpb::ReturnReport> asset_return(const std::string& asset_id) {
    constexpr std::uint32_t kPage = 1'200;
    fpb::ReturnReport all;
    std::uint32_t from = 0;
    while (true) {
      api::QueryRequest q;
      fpb::GetReturn* g = q.mutable_financing()->mutable_asset_return();
      g->set_asset_id(asset_id);
      g->set_from_period(from);
      g->set_limit(kPage);
      auto r = query(q, api::QueryResponse::kFinancing);
      if (!r) return r.status();
      const fpb::ReturnReport& page = r->financing().asset_return();
      *all.mutable_asset_return() = page.asset_return();
      for (const fpb::PeriodIncome& p : page.periods()) *all.add_periods() = p;
      if (page.periods_size() < static_cast<int>(kPage)) return all;
      from = page.periods(page.periods_size() - 1).period() + 1;
    }
  }

  Result<fpb::FinancingList> financings_of(const std::string& asset_id) {
    api::QueryRequest q;
    q.mutable_financing()->mutable_of_asset()->set_asset_id(asset_id);
    auto r = query(q, api::QueryResponse::kFinancing);
    if (!r) return r.status();
    return r->financing().financings();
  }

  Result<fpb::PositionList> positions_of(const std::string& financier) {
    api::QueryRequest q;
    q.mutable_financing()->mutable_of_financier()->set_financier(financier);
    auto r = query(q, api::QueryResponse::kFinancing);
    if (!r) return r.status();
    return r->financing().positions();
  }

  // Only the totals: one entry is the least the query returns.
  Result<revenue::PartyStats> income_stats(const std::string& party) {
    api::QueryRequest q;
    q.mutable_revenue()->mutable_income()->set_party(party);
    q.mutable_revenue()->mutable_income()->set_limit(1);
    auto r = query(q, api::QueryResponse::kRevenue);
    if (!r) return r.status();
    return r->revenue().income().stats();
  }

  std::uint64_t from() const { return from_; }
  std::uint64_t at() const { return at_; }

 private:
  ChainReader& chain_;
  std::uint64_t from_ = 0;
  std::uint64_t at_ = 0;
};

Result<AssetHolding> holding_of(Reader& reader, const assets::Asset& asset) {
  AssetHolding h;
  h.asset = asset;
  Result<fpb::ReturnReport> ret = reader.asset_return(asset.id());
  if (!ret) return ret.status();
  h.asset_return = ret->asset_return();
  h.periods.assign(ret->periods().begin(), ret->periods().end());
  Result<fpb::FinancingList> rounds = reader.financings_of(asset.id());
  if (!rounds) return rounds.status();
  h.financings.assign(rounds->financings().begin(), rounds->financings().end());
  return h;
}

}  // namespace

Result<AssetHolding> read_holding(ChainReader& chain, const assets::Asset& asset) {
  Reader reader(chain);
  return holding_of(reader, asset);
}

Result<PortfolioData> read_portfolio(ChainReader& chain, const std::string& who) {
  PortfolioData d;
  d.address = who;
  Result<std::optional<ledger::Account>> account = chain.account(who);
  if (!account) return account.status();
  if (!*account) {
    return Status::not_found("the chain has no account " + crypto::format_address(who) +
                             ": it has never received anything, so it owns no assets");
  }
  d.account = **account;

  Reader reader(chain);
  Result<assets::AssetList> owned = reader.assets_of(who);
  if (!owned) return owned.status();
  for (const assets::Asset& a : owned->assets()) {
    Result<AssetHolding> h = holding_of(reader, a);
    if (!h) return h.status();
    d.holdings.push_back(std::move(h).value());
  }

  Result<fpb::PositionList> positions = reader.positions_of(who);
  if (!positions) return positions.status();
  d.positions.assign(positions->positions().begin(), positions->positions().end());
  std::set<std::string> financed;
  for (const fpb::Position& p : d.positions) financed.insert(p.financing().asset_id());
  for (const std::string& id : financed) {
    Result<assets::Asset> a = reader.asset(id);
    if (!a) return a.status();
    d.position_asset_names.emplace_back(id, a->spec().name());
  }

  Result<revenue::PartyStats> stats = reader.income_stats(who);
  if (!stats) return stats.status();
  d.income_stats = *stats;
  d.read_from_height = reader.from();
  d.read_at_height = reader.at();
  return d;
}

}  // namespace sharechain::reports
