// One investor's portfolio: the assets it owns with their income and return on investment, the
// financing rounds it offered on them, and its own subscriptions to other investors' rounds.
//
// Shared by `sharechain portfolio` (over the client API) and the node's explorer (over its own
// store), so both show the same figures. In two steps: `read_portfolio` asks a ChainReader the
// contract queries and fills `PortfolioData`; `portfolio_json` turns it into one JSON object
// (docs/wallet.md lists its fields), so the arithmetic can be tested without a node. Every
// figure is an integer: amounts in units, returns as exact ratios and in basis points rounded
// down, percentages printed from basis points.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "proto/status.hpp"
#include "reports/render.hpp"
#include "sharechain/api.pb.h"
#include "sharechain/assets.pb.h"
#include "sharechain/financing.pb.h"
#include "sharechain/ledger.pb.h"
#include "sharechain/revenue.pb.h"

namespace sharechain::reports {

// What the portfolio reads of the chain: an account (nullopt for an address the chain has never
// seen) and contract queries, answered with the height they were read at.
class ChainReader {
 public:
  virtual ~ChainReader() = default;
  virtual Result<std::optional<ledger::Account>> account(const std::string& address20) = 0;
  virtual Result<api::QueryResponse> query(const api::QueryRequest& request) = 0;
};

// An asset the investor owns, with what the financing contract keeps about it.
struct AssetHolding {
  assets::Asset asset;
  financing::AssetReturn asset_return;
  std::vector<financing::PeriodIncome> periods;  // oldest first
  std::vector<financing::Financing> financings;  // every round offered on the asset, oldest first
};

struct PortfolioData {
  std::string address;  // 20 raw bytes
  ledger::Account account;
  std::vector<AssetHolding> holdings;
  std::vector<financing::Position> positions;  // the investor's subscriptions as a financier
  // Names of the assets the positions finance, by raw asset id; an asset missing here shows
  // without a name.
  std::vector<std::pair<std::string, std::string>> position_asset_names;
  revenue::PartyStats income_stats;    // everything the revenue contract paid the account
  std::uint64_t read_from_height = 0;  // the chain heights the queries were answered at
  std::uint64_t read_at_height = 0;
};

// Reads the portfolio of `address20`. NOT_FOUND for an account the chain has never seen (it
// owns nothing); otherwise the first failing query's status.
Result<PortfolioData> read_portfolio(ChainReader& chain, const std::string& address20);
// One asset's return, months and financing rounds, as the portfolio reads them.
Result<AssetHolding> read_holding(ChainReader& chain, const assets::Asset& asset);

// A ratio reduced to lowest terms; 0/1 when the denominator is 0 (no investment yet).
struct Fraction {
  std::uint64_t numerator = 0;
  std::uint64_t denominator = 1;
};
Fraction reduce(std::uint64_t numerator, std::uint64_t denominator);
// floor(numerator x 10,000 / denominator) with a 128-bit intermediate, capped at 2^64 - 1;
// 0 when the denominator is 0.
std::uint64_t floor_bps(std::uint64_t numerator, std::uint64_t denominator);
// basis points as a percentage with two decimals: 0 -> "0.00%", 5 -> "0.05%", 12345 ->
// "123.45%". Integer arithmetic only: one basis point is exactly 0.01 %.
std::string format_percent(std::uint64_t bps);

// "2026-11" for a period of the financing contract (year x 12 + month - 1).
std::string month_name(std::uint32_t period);
// "station", "parking", "charging"; "active", "retired"; "open", "active", "failed",
// "cancelled", "completed".
std::string kind_name(assets::AssetKind kind);
std::string asset_status_name(assets::AssetStatus status);
std::string financing_status_name(financing::FinancingStatus status);

// The portfolio as one JSON object. FAILED_PRECONDITION only when a sum exceeds 2^64 - 1 units
// or the chain's figures contradict each other (more passed on to financiers than earned).
Result<Json> portfolio_json(const PortfolioData& data);

}  // namespace sharechain::reports
