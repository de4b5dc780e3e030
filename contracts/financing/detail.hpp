// What the financing source files share: keys, record access and the round's money movements.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "contracts/financing/financing.hpp"

namespace sharechain::contracts::financing::detail {

std::string return_key(std::string_view asset_id);
std::string period_key(std::string_view asset_id, std::uint32_t period);
std::string period_prefix(std::string_view asset_id);
std::string financing_key(std::string_view id);
std::string of_asset_key(std::string_view asset_id, std::uint64_t created_ms, std::string_view id);
std::string of_asset_prefix(std::string_view asset_id);
std::string live_key(std::string_view asset_id);
std::string sub_key(std::string_view id, std::string_view financier);
std::string sub_prefix(std::string_view id);
std::string of_financier_key(std::string_view financier, std::string_view id);
std::string of_financier_prefix(std::string_view financier);
std::string payout_key(std::string_view id, std::string_view financier, std::uint64_t seq);
std::string payout_prefix(std::string_view id, std::string_view financier);

Checked<pb::Financing> require_financing(const StateReader& state, std::string_view id);
void save_financing(Overlay& state, const pb::Financing& f);
// Subscriptions of a financing in ascending financier address order.
std::vector<pb::Subscription> subscriptions_of(const StateReader& state, std::string_view id);
// The OPEN or ACTIVE financing of an asset, if any.
std::optional<pb::Financing> live_financing(const StateReader& state, std::string_view asset_id);

std::string status_name(pb::FinancingStatus s);
// amount_sought when minimum_raise is 0.
std::uint64_t minimum_raise(const pb::FinancingTerms& t);

// Closes an OPEN round (its deadline passed, or it is fully subscribed): ACTIVE with the escrow
// paid to the investor when the minimum was raised before the term ended, otherwise FAILED with
// everyone refunded.
Outcome close_round(TxContext& ctx, pb::Financing& f);
// Refunds every subscriber of an OPEN round exactly (used by a failed round and a cancellation).
Outcome refund_all(TxContext& ctx, pb::Financing& f);
// Ends a financing (FAILED, CANCELLED or COMPLETED): it is no longer live and the asset's lien
// is released.
Outcome end_financing(TxContext& ctx, pb::Financing& f, pb::FinancingStatus status,
                      std::string_view reason);
// Ends an ACTIVE financing whose term is over: COMPLETED, with its FinancingCompleted event.
Outcome complete_term(TxContext& ctx, pb::Financing& f);
// Pays the financiers of an ACTIVE financing their share of `d.amount` (a distribution to the
// investor, held by `d.source`), pro rata to their subscriptions. Returns the financiers' pool.
Checked<std::uint64_t> share_with_financiers(TxContext& ctx, pb::Financing& f,
                                             const InvestorDistribution& d);

}  // namespace sharechain::contracts::financing::detail
