// The revenue contract: distributions by a sharing rule, the income history and credit
// history of every party, standalone split models, and credit scores.
//
// Key space:
//   revenue/model/<id16>                 -> revenue.Model
//   revenue/income/<addr20><be64 seq>    -> revenue.IncomeEntry (a party's income history)
//   revenue/party/<addr20>               -> revenue.PartyStats
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "contracts/context.hpp"
#include "contracts/outcome.hpp"
#include "contracts/state.hpp"
#include "proto/status.hpp"
#include "sharechain/revenue.pb.h"

namespace sharechain::contracts::revenue {

namespace pb = ::sharechain::revenue;

inline constexpr std::string_view kContract = "revenue";

struct Recipient {
  std::string party;        // whose income it is (history, credit score)
  std::string payout;       // where it is paid (empty = party)
  std::uint32_t share_bps = 0;
};

struct IncomeSource {
  std::string kind;         // "agreement" or "model"
  std::string id;
  std::string asset_id;     // set for usage income: the asset's owner is its investor
  std::string session_id;
};

// Splits `amount`, which `from` holds, among `recipients` by share (the exact split) and pays
// each part from `from`. A part due to the asset's investor first passes through the
// investor-distribution hook (financing). Records each party's income and emits
// IncomeSplit and RevenueDistributed events. Returns the parts, in recipient order.
Checked<std::vector<std::uint64_t>> distribute(TxContext& ctx, std::string_view from,
                                               std::uint64_t amount,
                                               const std::vector<Recipient>& recipients,
                                               const IncomeSource& source);

// Credit history, recorded by the contracts that observe it.
pb::PartyStats party_stats(const StateReader& state, std::string_view party);
void record_payment(Overlay& state, std::string_view payer, bool on_time);
void record_overdue(Overlay& state, std::string_view party);
void record_dispute_raised(Overlay& state, std::string_view party);
void record_dispute_lost(Overlay& state, std::string_view party);

// 0..1000, deterministic; the formula is in docs/contracts.md.
std::uint32_t credit_score(const pb::PartyStats& stats);

Outcome execute(TxContext& ctx, const pb::Call& call);
Result<pb::QueryResult> query(const StateReader& state, const pb::Query& q);

}  // namespace sharechain::contracts::revenue
