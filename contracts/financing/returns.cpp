// Return on investment: the record every distribution to an asset's investor updates, and the
// hook through which revenue::distribute reaches the financing contract.
#include <numeric>

#include "contracts/amounts.hpp"
#include "contracts/assets/assets.hpp"
#include "contracts/encoding.hpp"
#include "contracts/financing/calendar.hpp"
#include "contracts/financing/detail.hpp"

namespace sharechain::contracts::financing {

namespace {

__extension__ using U128 = unsigned __int128;

std::uint64_t saturating_increment(std::uint64_t v) { return v == UINT64_MAX ? v : v + 1; }

std::string show_month(const YearMonth& ym) {
  std::string m = std::to_string(ym.month);
  return std::to_string(ym.year) + "-" + (m.size() == 1 ? "0" + m : m);
}

// Adds one distribution (`amount` to the investor, `pool` of it passed on to financiers) to the
// asset's cumulative record and to its calendar month.
Outcome record_return(TxContext& ctx, const InvestorDistribution& d, std::uint64_t pool) {
  auto asset = assets::require_asset(ctx.state(), d.asset_id);
  if (!asset.is_ok()) return asset.refusal();
  std::uint64_t cost = asset->spec().investment_cost();
  if (cost == 0) halt("an asset was registered with an investment cost of zero");

  auto r = asset_return(ctx.state(), d.asset_id);
  if (!r.is_ok()) return r.refusal();
  auto cumulative = checked_add(r->cumulative_income(), d.amount);
  auto passed = checked_add(r->passed_to_financiers(), pool);
  if (!cumulative || !passed) {
    return Refusal::range("the cumulative income of asset " + show_id(d.asset_id) +
                          " would overflow");
  }
  if (r->distributions() == 0) r->set_first_income_at_ms(ctx.now_ms());
  r->set_investor(d.investor);
  r->set_investment_cost(cost);
  r->set_cumulative_income(*cumulative);
  r->set_passed_to_financiers(*passed);
  r->set_distributions(saturating_increment(r->distributions()));
  r->set_last_income_at_ms(ctx.now_ms());
  *r->mutable_roi() = ratio(*cumulative, cost);
  r->set_roi_bps(basis_points(*cumulative, cost));
  save(ctx.state(), detail::return_key(d.asset_id), *r);

  YearMonth ym = month_of(ctx.now_ms());
  std::uint32_t period = period_index(ym);
  pb::PeriodIncome p;
  if (auto stored = load<pb::PeriodIncome>(ctx.state(), detail::period_key(d.asset_id, period))) {
    p = *stored;
  } else {
    p.set_asset_id(d.asset_id);
    p.set_period(period);
    p.set_year(ym.year);
    p.set_month(ym.month);
  }
  // Both cannot overflow once the cumulative sums above did not.
  p.set_income(p.income() + d.amount);
  p.set_passed_to_financiers(p.passed_to_financiers() + pool);
  p.set_distributions(saturating_increment(p.distributions()));
  *p.mutable_roi() = ratio(p.income(), cost);
  p.set_roi_bps(basis_points(p.income(), cost));
  save(ctx.state(), detail::period_key(d.asset_id, period), p);

  ctx.emit(kContract, "ReturnUpdated",
           {{"asset", id_value(d.asset_id)},
            {"investor", address_value(d.investor)},
            {"amount", number(d.amount)},
            {"passed_to_financiers", number(pool)},
            {"cumulative_income", number(*cumulative)},
            {"investment_cost", number(cost)},
            {"roi_bps", number(r->roi_bps())},
            {"period", show_month(ym)},
            {"period_income", number(p.income())}});
  return Outcome::ok();
}

}  // namespace

pb::Ratio ratio(std::uint64_t value, std::uint64_t denominator) {
  if (denominator == 0) halt("a ratio with a zero denominator");
  pb::Ratio r;
  std::uint64_t g = std::gcd(value, denominator);  // gcd(0, d) = d gives 0/1
  r.set_numerator(value / g);
  r.set_denominator(denominator / g);
  return r;
}

std::uint64_t basis_points(std::uint64_t value, std::uint64_t denominator) {
  if (denominator == 0) halt("basis points of a zero denominator");
  U128 bps = static_cast<U128>(value) * kBasisPoints / denominator;
  return bps > UINT64_MAX ? UINT64_MAX : static_cast<std::uint64_t>(bps);
}

Checked<pb::AssetReturn> asset_return(const StateReader& state, std::string_view asset_id) {
  if (auto r = load<pb::AssetReturn>(state, detail::return_key(asset_id))) return *r;
  auto asset = assets::require_asset(state, asset_id);
  if (!asset.is_ok()) return asset.refusal();
  pb::AssetReturn r;
  r.set_asset_id(std::string(asset_id));
  r.set_investor(asset->owner());
  r.set_investment_cost(asset->spec().investment_cost());
  *r.mutable_roi() = ratio(0, 1);
  return r;
}

Checked<std::uint64_t> on_investor_distribution(TxContext& ctx, const InvestorDistribution& d) {
  std::uint64_t pool = 0;
  if (auto live = detail::live_financing(ctx.state(), d.asset_id)) {
    pb::Financing f = *live;
    // The first distribution after the deadline closes the round before anything is shared.
    if (f.status() == pb::FINANCING_OPEN && ctx.now_ms() >= f.terms().deadline_ms()) {
      SC_TRY(detail::close_round(ctx, f));
    }
    if (f.status() == pb::FINANCING_ACTIVE) {
      if (ctx.now_ms() >= f.terms().term_ends_ms()) {
        SC_TRY(detail::complete_term(ctx, f));
      } else if (f.investor() == d.investor) {
        // The asset's lien keeps it with the investor who offered the financing, so the check
        // only guards against sharing someone else's income.
        auto shared = detail::share_with_financiers(ctx, f, d);
        if (!shared.is_ok()) return shared.refusal();
        pool = *shared;
      }
    }
  }
  SC_TRY(record_return(ctx, d, pool));
  return d.amount - pool;
}

}  // namespace sharechain::contracts::financing
