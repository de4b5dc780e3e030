// One investor's portfolio: the assets it owns with their income and return on investment, the
// financing rounds it offered on them, and its own subscriptions to other investors' rounds.
//
// Split in two so the arithmetic can be tested without a node: `PortfolioData` holds what the
// chain answered (filled by `sharechain portfolio`, cmd_portfolio.cpp), `portfolio_json` turns
// it into the one JSON object the command prints, and `print_portfolio` lays that object out as
// tables. Every figure is an integer: amounts in units, returns as exact ratios and in basis
// points rounded down, percentages printed from basis points.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "sharechain/assets.pb.h"
#include "sharechain/financing.pb.h"
#include "sharechain/ledger.pb.h"
#include "sharechain/revenue.pb.h"
#include "tools/common/outcome.hpp"
#include "tools/common/render.hpp"

namespace sharechain::wallet {

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

// A ratio reduced to lowest terms; 0/1 when the denominator is 0 (no investment yet).
struct Fraction {
  std::uint64_t numerator = 0;
  std::uint64_t denominator = 1;
};
Fraction reduce(std::uint64_t numerator, std::uint64_t denominator);
// floor(numerator x 10,000 / denominator) with a 128-bit intermediate, capped at 2^64 - 1;
// 0 when the denominator is 0.
std::uint64_t floor_bps(std::uint64_t numerator, std::uint64_t denominator);

// "2026-11" for a period of the financing contract (year x 12 + month - 1).
std::string month_name(std::uint32_t period);
// "station", "parking", "charging"; "active", "retired"; "open", "active", "failed",
// "cancelled", "completed".
std::string kind_name(assets::AssetKind kind);
std::string asset_status_name(assets::AssetStatus status);
std::string financing_status_name(financing::FinancingStatus status);

// The portfolio as one JSON object (docs/wallet.md lists its fields). Fails (exit 1) only when a
// sum exceeds 2^64 - 1 units or the chain's figures contradict each other (more passed on to
// financiers than earned).
tools::Outcome<tools::Json> portfolio_json(const PortfolioData& data);

// The object portfolio_json made, as headed, aligned tables.
void print_portfolio(std::ostream& out, const tools::Json& portfolio);

}  // namespace sharechain::wallet
