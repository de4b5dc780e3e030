// Proof bundles: one self-contained JSON file holding facts and everything that proves them —
// transactions and receipts with their Merkle paths, block headers, commit certificates and the
// chain of validator sets from genesis — so that a third party can check them offline against
// the genesis file alone.
// The format is documented field by field in docs/proofs.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proofs/verify.hpp"
#include "reports/render.hpp"

namespace sharechain::proofs {

using Json = reports::Json;

inline constexpr std::string_view kBundleFormat = "sharechain-proof-bundle";
inline constexpr std::uint64_t kBundleVersion = 1;

// The kinds of bundle and the facts each proves (docs/proofs.md):
//   "transaction"       one transaction, where it is and what its receipt says
//   "vehicle-report"    a vehicle's records, who attested them and whether the threshold was met
//   "revenue-statement" an asset's income and its splits over a period
//   "state"             one state entry's value, or its absence, at a height
inline constexpr std::string_view kKindTransaction = "transaction";
inline constexpr std::string_view kKindState = "state";
inline constexpr std::string_view kKindVehicleReport = "vehicle-report";
inline constexpr std::string_view kKindRevenueStatement = "revenue-statement";

// The subject of a revenue statement: the asset (its id as hex) and the period, "YYYY-MM" (a
// calendar month) or "YYYY" (a year), in UTC; the statement covers blocks whose timestamp is in
// [from_ms, to_ms). {"asset", "period", "from_ms", "to_ms"}; INVALID_ARGUMENT naming what is wrong.
Result<Json> revenue_subject(std::string_view asset_hex, std::string_view period);

// A TransactionProof as the bundle carries it (hex for bytes) and back. proof_from_json answers
// INVALID_ARGUMENT naming the field that is missing or not what it must be.
Json proof_to_json(const api::TransactionProof& proof);
Result<api::TransactionProof> proof_from_json(const Json& json);
// The same for a state proof (api.proto StateProof).
Json state_proof_to_json(const api::StateProof& proof);
Result<api::StateProof> state_proof_from_json(const Json& json);

// The state key of a vehicle (the vehicles contract's `vehicles/vehicle/` + VIN), whose value's
// counters make a vehicle report complete as of a height (docs/proofs.md, "State proofs").
std::string vehicle_state_key(std::string_view vin);
// The facts of a "state" bundle.
Json state_facts(const ProvenState& proven);

// The facts of a "transaction" bundle, as they follow from a verified proof.
Json transaction_facts(const ProvenTransaction& proven);

// A complete bundle. `facts` must be what derive_facts() computes from the proofs: a verifier
// recomputes them and refuses a bundle whose stated facts differ.
Json make_bundle(std::string_view kind, const Trust& trust, Json facts,
                 const std::vector<api::TransactionProof>& proofs, const std::vector<api::StateProof>& state_proofs = {});

// The facts a kind of bundle states, computed from its verified proofs and the parameters the
// bundle names (e.g. a vehicle's VIN, an asset and period). INVALID_ARGUMENT when the proofs
// cannot support that kind of fact (e.g. a vehicle report whose transactions are about another
// vehicle).
Result<Json> derive_facts(std::string_view kind, const Json& subject, const std::vector<ProvenTransaction>& proven,
                          const std::vector<ProvenState>& states = {});

struct BundleVerdict {
  enum class Outcome { kProven, kFailed, kUnreadable };
  Outcome outcome = Outcome::kUnreadable;
  std::string reason;  // the first failed check, or why the file is not a bundle
  std::string kind;
  Json facts;          // when proven: the facts, as recomputed from the proofs
  std::vector<ProvenTransaction> proven;
  std::vector<ProvenState> proven_states;
};

// Checks a bundle's text against the genesis the verifier trusts (`trust`'s chain id, genesis
// hash and genesis set; later sets come from the bundle, each proven by the one before):
// kUnreadable when it is not JSON or not a bundle of a version this code reads; kFailed naming
// the first check that failed (the chain or genesis it names, a validator set or switch block, a
// proof, or a stated fact); kProven with the facts otherwise.
BundleVerdict verify_bundle(std::string_view text, const Trust& trust);

}  // namespace sharechain::proofs
