// Routes a client query to the contract that answers it.
#include "contracts/executor.hpp"
#include "contracts/assets/assets.hpp"
#include "contracts/financing/financing.hpp"
#include "contracts/governance/governance.hpp"
#include "contracts/ledger/ledger.hpp"
#include "contracts/revenue/revenue.hpp"
#include "contracts/usage/usage.hpp"
#include "contracts/vehicles/vehicles.hpp"

namespace sharechain::contracts {

Result<api::QueryResponse> query(const StateReader& state, const api::QueryRequest& request) {
  api::QueryResponse response;
  switch (request.query_case()) {
    case api::QueryRequest::kLedger: {
      auto r = ledger::query(state, request.ledger());
      if (!r.is_ok()) return r.status();
      *response.mutable_ledger() = std::move(r).value();
      return response;
    }
    case api::QueryRequest::kAssets: {
      auto r = assets::query(state, request.assets());
      if (!r.is_ok()) return r.status();
      *response.mutable_assets() = std::move(r).value();
      return response;
    }
    case api::QueryRequest::kUsage: {
      auto r = usage::query(state, request.usage());
      if (!r.is_ok()) return r.status();
      *response.mutable_usage() = std::move(r).value();
      return response;
    }
    case api::QueryRequest::kRevenue: {
      auto r = revenue::query(state, request.revenue());
      if (!r.is_ok()) return r.status();
      *response.mutable_revenue() = std::move(r).value();
      return response;
    }
    case api::QueryRequest::kFinancing: {
      auto r = financing::query(state, request.financing());
      if (!r.is_ok()) return r.status();
      *response.mutable_financing() = std::move(r).value();
      return response;
    }
    case api::QueryRequest::kVehicles: {
      auto r = vehicles::query(state, request.vehicles());
      if (!r.is_ok()) return r.status();
      *response.mutable_vehicles() = std::move(r).value();
      return response;
    }
    case api::QueryRequest::kGovernance: {
      auto r = governance::query(state, request.governance());
      if (!r.is_ok()) return r.status();
      *response.mutable_governance() = std::move(r).value();
      return response;
    }
    case api::QueryRequest::QUERY_NOT_SET: break;
  }
  return Status::invalid_argument("the query names no contract");
}

}  // namespace sharechain::contracts
