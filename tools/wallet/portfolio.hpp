// `sharechain portfolio`: the figures come from reports/portfolio.hpp (shared with the node's
// explorer); this file adds the wallet's exit codes and lays the JSON object out as tables.
#pragma once

#include <ostream>

#include "reports/portfolio.hpp"
#include "tools/common/outcome.hpp"
#include "tools/common/render.hpp"

namespace sharechain::wallet {

using reports::AssetHolding;
using reports::asset_status_name;
using reports::financing_status_name;
using reports::floor_bps;
using reports::Fraction;
using reports::kind_name;
using reports::month_name;
using reports::PortfolioData;
using reports::reduce;

// reports::portfolio_json with its failure as a refusal (exit 1).
tools::Outcome<tools::Json> portfolio_report(const PortfolioData& data);

// The object portfolio_report made, as headed, aligned tables.
void print_portfolio(std::ostream& out, const tools::Json& portfolio);

}  // namespace sharechain::wallet
