// The vehicles contract: attested vehicle-history records keyed by VIN, endorsements by
// attesters, odometer rollback flags, ownership transfers, and the buyer's vehicle report.
//
// Key space:
//   vehicles/vehicle/<vin17>                           -> vehicles.Vehicle
//   vehicles/record/<id16>                             -> vehicles.Record
//   vehicles/of_vin/<vin17><be64 seq>                  -> id16 (every record, in submission order)
//   vehicles/history/<vin17><be64 occurred_ms><id16>   -> "" (ATTESTED records by occurrence)
//   vehicles/odometer/<vin17><be64 occurred_ms><id16>  -> be64 km (attested readings)
//   vehicles/pending/<id16>                            -> "" (records not yet decided)
//   vehicles/owner/<addr20><vin17>                     -> "" (vehicles of an owner)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "contracts/context.hpp"
#include "contracts/outcome.hpp"
#include "contracts/state.hpp"
#include "contracts/vehicles/vin.hpp"
#include "proto/status.hpp"
#include "sharechain/vehicles.pb.h"

namespace sharechain::contracts::vehicles {

namespace pb = ::sharechain::vehicles;

inline constexpr std::string_view kContract = "vehicles";

// A maintenance session of the usage contract that named a vehicle, as it ended.
struct MaintenanceSession {
  std::string vin;
  std::string session_id;
  std::string asset_id;
  std::string technician;
  std::uint64_t started_at_ms = 0;
  std::uint64_t ended_at_ms = 0;
  std::string equipment;  // equipment types used, comma-separated
  std::string end_kind;   // "normal", "by_user", "abnormal"
};

// Turns a maintenance session into a MAINTENANCE record of the vehicle, submitted by the
// transaction's sender (the data server reporting the meter), with the hash of that transaction
// as its evidence. It is endorsed and decided like any record; if the chain has too few
// attesters to ever reach the threshold it is REJECTED at once. Once per session.
Outcome record_maintenance_session(TxContext& ctx, const MaintenanceSession& m);

Outcome execute(TxContext& ctx, const pb::Call& call);
Result<pb::QueryResult> query(const StateReader& state, const pb::Query& q);

}  // namespace sharechain::contracts::vehicles
