// The financing contract: each asset investor's return on investment, kept on chain and updated
// on every distribution to the investor, and financing agreements that pass a share of that
// income to financiers who funded the investor.
//
// Key space:
//   financing/return/<asset16>                    -> financing.AssetReturn
//   financing/period/<asset16><be32 period>       -> financing.PeriodIncome (calendar month)
//   financing/financing/<id16>                    -> financing.Financing
//   financing/of_asset/<asset16><be64 created_ms><id16> -> "" (financings of an asset)
//   financing/live/<asset16>                      -> id16 (the one OPEN or ACTIVE financing)
//   financing/sub/<id16><addr20>                  -> financing.Subscription
//   financing/of_financier/<addr20><id16>         -> "" (financings a financier subscribed to)
//   financing/payout/<id16><addr20><be64 seq>     -> financing.Payout
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "contracts/context.hpp"
#include "contracts/outcome.hpp"
#include "contracts/state.hpp"
#include "proto/status.hpp"
#include "sharechain/financing.pb.h"

namespace sharechain::contracts::financing {

namespace pb = ::sharechain::financing;

inline constexpr std::string_view kContract = "financing";
// Financiers of one financing: every distribution to the investor pays each of them, so the
// number is bounded to keep a payment transaction's work bounded.
inline constexpr int kMaxFinanciers = 100;
// Escrow holds of one subscription: each top-up takes a hold, and closing a round (possibly
// inside someone else's payment) releases them all. Past this many, a top-up folds them into
// one hold for the whole subscription.
inline constexpr int kMaxHoldsPerSubscription = 4;

// The investor-distribution hook (Hooks::investor_distribution): updates the asset's return on
// investment with the whole distribution, closes the asset's financing round if its deadline
// has passed, and while a financing is ACTIVE pays the financiers their share, moving it from
// `d.source` to them. Returns what is left for the investor.
Checked<std::uint64_t> on_investor_distribution(TxContext& ctx, const InvestorDistribution& d);

// The asset's return record; for an asset without income yet, a zero record carrying its
// investment cost. NOT_FOUND when the asset does not exist.
Checked<pb::AssetReturn> asset_return(const StateReader& state, std::string_view asset_id);

// value / denominator reduced to lowest terms (0/1 for a zero value); denominator > 0.
pb::Ratio ratio(std::uint64_t value, std::uint64_t denominator);
// floor(value x 10,000 / denominator), saturating at 2^64 - 1; denominator > 0.
std::uint64_t basis_points(std::uint64_t value, std::uint64_t denominator);

Outcome execute(TxContext& ctx, const pb::Call& call);
Result<pb::QueryResult> query(const StateReader& state, const pb::Query& q);

}  // namespace sharechain::contracts::financing
