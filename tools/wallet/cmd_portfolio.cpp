// `sharechain portfolio ACCOUNT`: one investor's assets, income, return on investment and
// financing, read through contract queries (assets, financing, revenue) and shown as tables or
// one JSON object (portfolio.hpp).
#include <algorithm>
#include <set>

#include "sharechain/api.pb.h"
#include "tools/wallet/context.hpp"
#include "tools/wallet/portfolio.hpp"

namespace sharechain::wallet {
namespace {

namespace fpb = ::sharechain::financing;

// Runs the queries and remembers the lowest and highest height they were answered at.
class Reader {
 public:
  explicit Reader(Context& ctx) : ctx_(ctx) {}

  Outcome<api::QueryResponse> query(const api::QueryRequest& q,
                                    api::QueryResponse::ResultCase expected) {
    Outcome<api::QueryResponse> r = ctx_.query(q);
    if (!r) return r;
    if (r->result_case() != expected) {
      return Failure::refused("the node answered a portfolio query with an unexpected result");
    }
    from_ = from_ == 0 ? r->height() : std::min(from_, r->height());
    at_ = std::max(at_, r->height());
    return r;
  }

  Outcome<assets::AssetList> assets_of(const std::string& owner) {
    api::QueryRequest q;
    q.mutable_assets()->mutable_of_owner()->set_owner(owner);
    auto r = query(q, api::QueryResponse::kAssets);
    if (!r) return r.failure();
    return r->assets().assets();
  }

  Outcome<assets::Asset> asset(const std::string& id) {
    api::QueryRequest q;
    q.mutable_assets()->mutable_asset()->set_asset_id(id);
    auto r = query(q, api::QueryResponse::kAssets);
    if (!r) return r.failure();
    return r->assets().asset();
  }

  // The asset's return and every month of it: the contract answers at most 1,200 months a call.
  Outcome<fpb::ReturnReport> asset_return(const std::string& asset_id) {
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
      if (!r) return r.failure();
      const fpb::ReturnReport& page = r->financing().asset_return();
      *all.mutable_asset_return() = page.asset_return();
      for (const fpb::PeriodIncome& p : page.periods()) *all.add_periods() = p;
      if (page.periods_size() < static_cast<int>(kPage)) return all;
      from = page.periods(page.periods_size() - 1).period() + 1;
    }
  }

  Outcome<fpb::FinancingList> financings_of(const std::string& asset_id) {
    api::QueryRequest q;
    q.mutable_financing()->mutable_of_asset()->set_asset_id(asset_id);
    auto r = query(q, api::QueryResponse::kFinancing);
    if (!r) return r.failure();
    return r->financing().financings();
  }

  Outcome<fpb::PositionList> positions_of(const std::string& financier) {
    api::QueryRequest q;
    q.mutable_financing()->mutable_of_financier()->set_financier(financier);
    auto r = query(q, api::QueryResponse::kFinancing);
    if (!r) return r.failure();
    return r->financing().positions();
  }

  // Only the totals: one entry is the least the query returns.
  Outcome<revenue::PartyStats> income_stats(const std::string& party) {
    api::QueryRequest q;
    q.mutable_revenue()->mutable_income()->set_party(party);
    q.mutable_revenue()->mutable_income()->set_limit(1);
    auto r = query(q, api::QueryResponse::kRevenue);
    if (!r) return r.failure();
    return r->revenue().income().stats();
  }

  std::uint64_t from() const { return from_; }
  std::uint64_t at() const { return at_; }

 private:
  Context& ctx_;
  std::uint64_t from_ = 0;
  std::uint64_t at_ = 0;
};

Outcome<PortfolioData> read_portfolio(Context& ctx, const std::string& who) {
  PortfolioData d;
  d.address = who;
  Outcome<tools::NodeClient*> c = ctx.client();
  if (!c) return c.failure();
  Outcome<std::optional<ledger::Account>> account = (*c)->account(who);
  if (!account) return account.failure();
  if (!*account) {
    return Failure::refused("the chain has no account " + crypto::format_address(who) +
                            ": it has never received anything, so it owns no assets");
  }
  d.account = **account;

  Reader reader(ctx);
  Outcome<assets::AssetList> owned = reader.assets_of(who);
  if (!owned) return owned.failure();
  for (const assets::Asset& a : owned->assets()) {
    AssetHolding h;
    h.asset = a;
    Outcome<fpb::ReturnReport> ret = reader.asset_return(a.id());
    if (!ret) return ret.failure();
    h.asset_return = ret->asset_return();
    h.periods.assign(ret->periods().begin(), ret->periods().end());
    Outcome<fpb::FinancingList> rounds = reader.financings_of(a.id());
    if (!rounds) return rounds.failure();
    h.financings.assign(rounds->financings().begin(), rounds->financings().end());
    d.holdings.push_back(std::move(h));
  }

  Outcome<fpb::PositionList> positions = reader.positions_of(who);
  if (!positions) return positions.failure();
  d.positions.assign(positions->positions().begin(), positions->positions().end());
  std::set<std::string> financed;
  for (const fpb::Position& p : d.positions) financed.insert(p.financing().asset_id());
  for (const std::string& id : financed) {
    Outcome<assets::Asset> a = reader.asset(id);
    if (!a) return a.failure();
    d.position_asset_names.emplace_back(id, a->spec().name());
  }

  Outcome<revenue::PartyStats> stats = reader.income_stats(who);
  if (!stats) return stats.failure();
  d.income_stats = *stats;
  d.read_from_height = reader.from();
  d.read_at_height = reader.at();
  return d;
}

}  // namespace

void register_portfolio_commands(CLI::App& app, Context& ctx) {
  auto who = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "portfolio",
      "an investor's assets, income by asset and month, return on investment, financing rounds "
      "offered and subscriptions to other rounds");
  cmd->add_option("account", *who, "an address (sc...) or a key name")->required();
  on_run(cmd, ctx, [&ctx, who] {
    Outcome<std::string> address = ctx.resolve_address(*who);
    if (!address) return ctx.fail(address.failure());
    Outcome<PortfolioData> data = read_portfolio(ctx, *address);
    if (!data) return ctx.fail(data.failure());
    Outcome<tools::Json> j = portfolio_json(*data);
    if (!j) return ctx.fail(j.failure());
    if (ctx.json()) {
      ctx.print_json(*j);
    } else {
      print_portfolio(ctx.out(), *j);
    }
    return tools::kExitOk;
  });
}

}  // namespace sharechain::wallet
