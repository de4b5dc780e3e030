// Financing queries: return on investment, financings, financiers' positions and projections.
#include <algorithm>

#include "contracts/amounts.hpp"
#include "contracts/assets/assets.hpp"
#include "contracts/encoding.hpp"
#include "contracts/financing/detail.hpp"

namespace sharechain::contracts::financing {

namespace {

using namespace detail;
__extension__ using U128 = unsigned __int128;

constexpr std::uint32_t kDefaultPeriods = 120;
constexpr std::uint32_t kMaxPeriods = 1'200;
constexpr std::uint32_t kDefaultPayouts = 100;
constexpr std::uint32_t kMaxPayouts = 1'000;

// floor(a x b / c) with a 128-bit intermediate; values beyond 2^64 - 1 are capped there and
// reported through `capped`.
std::uint64_t mul_div(std::uint64_t a, std::uint64_t b, std::uint64_t c, bool& capped) {
  U128 v = static_cast<U128>(a) * b / c;
  if (v > UINT64_MAX) {
    capped = true;
    return UINT64_MAX;
  }
  return static_cast<std::uint64_t>(v);
}

pb::Position position_of(const pb::Financing& f, const pb::Subscription& s) {
  pb::Position p;
  *p.mutable_financing() = f;
  *p.mutable_subscription() = s;
  std::uint64_t basis = std::max<std::uint64_t>(1, s.amount());
  *p.mutable_roi() = ratio(s.paid_out(), basis);
  p.set_roi_bps(basis_points(s.paid_out(), basis));
  return p;
}

Result<pb::Financing> get_financing(const StateReader& state, std::string_view id) {
  auto f = require_financing(state, id);
  if (!f.is_ok()) return to_status(f.refusal());
  return *f;
}

Result<pb::Projection> project(const StateReader& state, const pb::ProjectReturn& q) {
  auto f = get_financing(state, q.financing_id());
  if (!f.is_ok()) return f.status();
  const pb::FinancingTerms& t = f->terms();
  if (f->status() != pb::FINANCING_OPEN) {
    return Status::failed_precondition("financing " + show_id(f->id()) + " is " +
                                       status_name(f->status()) +
                                       "; projections are for rounds open for subscriptions");
  }
  if (q.amount() == 0 || q.amount() > t.amount_sought()) {
    return Status::invalid_argument("project an amount from 1 unit to the amount sought, " +
                                    format_units(t.amount_sought()));
  }
  auto asset = assets::require_asset(state, f->asset_id());
  if (!asset.is_ok()) return to_status(asset.refusal());
  auto r = asset_return(state, f->asset_id());
  if (!r.is_ok()) return to_status(r.refusal());

  pb::Projection p;
  p.set_financing_id(f->id());
  p.set_amount(q.amount());
  p.set_historic_income(r->cumulative_income());
  // The history runs from the asset's registration to its investor's latest income; the term
  // from the deadline (the latest activation) to its end.
  std::uint64_t history = 0;
  if (r->distributions() > 0) {
    history = r->last_income_at_ms() > asset->registered_at_ms()
                  ? r->last_income_at_ms() - asset->registered_at_ms()
                  : 1;
  }
  p.set_history_ms(history);
  p.set_term_ms(t.term_ends_ms() - t.deadline_ms());
  p.set_pool_basis(t.amount_sought());
  bool capped = false;
  std::uint64_t investor =
      history == 0 ? 0 : mul_div(r->cumulative_income(), p.term_ms(), history, capped);
  std::uint64_t pool = mul_div(investor, t.share_bps(), kBasisPoints, capped);
  std::uint64_t payout = mul_div(pool, q.amount(), t.amount_sought(), capped);
  p.set_projected_investor_income(investor);
  p.set_projected_pool(pool);
  p.set_projected_payout(payout);
  *p.mutable_projected_roi() = ratio(payout, q.amount());
  p.set_projected_roi_bps(basis_points(payout, q.amount()));
  p.set_capped(capped);
  return p;
}

}  // namespace

Result<pb::QueryResult> query(const StateReader& state, const pb::Query& q) {
  pb::QueryResult out;
  switch (q.query_case()) {
    case pb::Query::kAssetReturn: {
      const auto& g = q.asset_return();
      if (!is_id(g.asset_id())) {
        return Status::invalid_argument("an asset id is 16 bytes (32 hex digits)");
      }
      if (g.limit() > kMaxPeriods) {
        return Status::invalid_argument("at most 1,200 periods per query");
      }
      auto r = asset_return(state, g.asset_id());
      if (!r.is_ok()) return to_status(r.refusal());
      auto* report = out.mutable_asset_return();
      *report->mutable_asset_return() = *r;
      std::uint32_t limit = g.limit() == 0 ? kDefaultPeriods : g.limit();
      state.scan(period_prefix(g.asset_id()), [&](std::string_view, std::string_view raw) {
        pb::PeriodIncome p;
        if (!p.ParseFromString(std::string(raw))) halt("a period income record does not decode");
        if (p.period() < g.from_period()) return true;
        *report->add_periods() = std::move(p);
        return report->periods_size() < static_cast<int>(limit);
      });
      return out;
    }
    case pb::Query::kFinancing: {
      auto f = get_financing(state, q.financing().financing_id());
      if (!f.is_ok()) return f.status();
      auto* view = out.mutable_financing();
      *view->mutable_financing() = *f;
      auto r = asset_return(state, f->asset_id());
      if (!r.is_ok()) return to_status(r.refusal());
      *view->mutable_asset_return() = *r;
      for (auto& s : subscriptions_of(state, f->id())) *view->add_subscriptions() = std::move(s);
      return out;
    }
    case pb::Query::kOfAsset: {
      const std::string& asset = q.of_asset().asset_id();
      if (!is_id(asset)) return Status::invalid_argument("an asset id is 16 bytes (32 hex digits)");
      auto* list = out.mutable_financings();
      state.scan(of_asset_prefix(asset), [&](std::string_view k, std::string_view) {
        auto f = load<pb::Financing>(state, financing_key(k.substr(k.size() - kIdSize)));
        if (!f) halt("a financing index entry names a missing financing");
        *list->add_financings() = std::move(*f);
        return true;
      });
      return out;
    }
    case pb::Query::kOfFinancier: {
      const std::string& who = q.of_financier().financier();
      if (!is_address(who)) return Status::invalid_argument("a financier address is 20 bytes");
      auto* list = out.mutable_positions();
      std::string prefix = of_financier_prefix(who);
      state.scan(prefix, [&](std::string_view k, std::string_view) {
        std::string id(k.substr(prefix.size()));
        auto f = load<pb::Financing>(state, financing_key(id));
        auto s = load<pb::Subscription>(state, sub_key(id, who));
        if (!f || !s) halt("a financier index entry names a missing subscription");
        *list->add_positions() = position_of(*f, *s);
        return true;
      });
      return out;
    }
    case pb::Query::kProject: {
      auto p = project(state, q.project());
      if (!p.is_ok()) return p.status();
      *out.mutable_projection() = std::move(p).value();
      return out;
    }
    case pb::Query::kFinancier: {
      const auto& fq = q.financier();
      if (!is_address(fq.financier())) {
        return Status::invalid_argument("a financier address is 20 bytes");
      }
      if (fq.limit() > kMaxPayouts)
        return Status::invalid_argument("at most 1,000 payouts per query");
      auto f = get_financing(state, fq.financing_id());
      if (!f.is_ok()) return f.status();
      auto s = load<pb::Subscription>(state, sub_key(f->id(), fq.financier()));
      if (!s) {
        return Status::not_found(show_address(fq.financier()) +
                                 " holds no subscription to financing " + show_id(f->id()));
      }
      auto* p = out.mutable_position();
      *p = position_of(*f, *s);
      std::uint32_t limit = fq.limit() == 0 ? kDefaultPayouts : fq.limit();
      state.scan(payout_prefix(f->id(), fq.financier()),
                 [&](std::string_view, std::string_view raw) {
                   pb::Payout e;
                   if (!e.ParseFromString(std::string(raw)))
                     halt("a financier payout does not decode");
                   if (e.seq() < fq.from_seq()) return true;
                   *p->add_payouts() = std::move(e);
                   return p->payouts_size() < static_cast<int>(limit);
                 });
      return out;
    }
    case pb::Query::QUERY_NOT_SET:
      break;
  }
  return Status::invalid_argument("the financing query names no query");
}

}  // namespace sharechain::contracts::financing
