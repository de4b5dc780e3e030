// What the vehicles source files share: keys, record access, and how a record is created,
// endorsed and decided.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "contracts/vehicles/vehicles.hpp"

namespace sharechain::contracts::vehicles::detail {

std::string vehicle_key(std::string_view vin);
std::string record_key(std::string_view id);
std::string of_vin_prefix(std::string_view vin);
std::string history_prefix(std::string_view vin);
std::string odometer_prefix(std::string_view vin);
inline constexpr std::string_view kPendingPrefix = "vehicles/pending/";
std::string owner_prefix(std::string_view owner);
std::string owner_key(std::string_view owner, std::string_view vin);

Checked<pb::Record> require_record(const StateReader& state, std::string_view id);
void save_record(Overlay& state, const pb::Record& r);
std::optional<pb::Vehicle> find_vehicle(const StateReader& state, std::string_view vin);
void save_vehicle(Overlay& state, const pb::Vehicle& v);

std::string kind_name(pb::RecordKind k);
std::string status_name(pb::RecordStatus s);

// Attesters that may still endorse `r`: holders of the attester role that are not a party to it
// (its submitter, seller or buyer) and have not endorsed it yet.
std::uint64_t open_endorsers(const StateReader& state, const pb::Record& r);
// True when `who` submitted `r` or is its seller or buyer.
bool is_party(const pb::Record& r, std::string_view who);

// Stores a new record of `vehicle` (created when it is the VIN's first): assigns its id, the
// chain's attestation threshold and the submission fields, indexes it, emits RecordSubmitted.
// A PENDING record that can never reach the threshold is refused when `refuse_unreachable`,
// otherwise REJECTED at once. The caller saves `vehicle`.
Outcome create_record(TxContext& ctx, pb::Record& r, pb::Vehicle& vehicle, bool refuse_unreachable);
// Decides a PENDING record after an endorsement (or at creation): ATTESTED once the TRUE
// endorsements reach the threshold (with its effects: history, odometer, ownership), REJECTED
// once the threshold is out of reach. Saves the record; the caller saves `vehicle`.
Outcome decide(TxContext& ctx, pb::Record& r, pb::Vehicle& vehicle);
// The vehicle a record belongs to (a broken invariant halts when it is missing).
pb::Vehicle vehicle_of(const StateReader& state, const pb::Record& r);
// Marks a record decided (attested, rejected or cancelled) by this transaction.
void set_decided(TxContext& ctx, pb::Record& r, pb::RecordStatus status);

Outcome submit(TxContext& ctx, const pb::SubmitRecord& s);
Outcome endorse(TxContext& ctx, const pb::Endorse& e);
Outcome offer_transfer(TxContext& ctx, const pb::OfferTransfer& o);
Outcome accept_transfer(TxContext& ctx, const pb::AcceptTransfer& a);
Outcome cancel_transfer(TxContext& ctx, const pb::CancelTransfer& c);

}  // namespace sharechain::contracts::vehicles::detail
