// What programs outside the chain may use of the contracts: the rules a client must apply
// exactly as the chain does, so that what it signs, shows or checks agrees with the chain.
//
//   - assets::consent_digest: what an owner signs to let the data server register an asset
//   - vehicles::vin_check_digit, vin_problem: the VIN rules the vehicles contract enforces
//   - governance: the contract name, the parameters a proposal may change and their ranges, and
//     how a proposal's status and kind read (the wallet shows them as the chain judges them)
//   - the money invariants (contracts/invariants.hpp), which `sharechain audit` runs over
//     history from outside exactly as every node runs them after each block
//
// Tools include this header and no other of contracts/ (tests/layering/check_layering.sh);
// everything else there is the chain's own business and may change without notice.
#pragma once

#include <cstdint>
#include <string_view>

#include "contracts/invariants.hpp"
#include "contracts/vehicles/vin.hpp"
#include "proto/crypto.hpp"
#include "sharechain/governance.pb.h"

namespace sharechain::contracts {

namespace assets {

// What an owner signs to let the data server register an asset on its behalf:
// tagged_hash("sharechain/asset-consent", chain_id || 0x00 || spec_bytes), where spec_bytes are
// the exact serialized AssetSpec carried in the OwnerConsent.
crypto::Hash consent_digest(std::string_view chain_id, std::string_view spec_bytes);

}  // namespace assets

namespace governance {

inline constexpr std::string_view kContract = "governance";

// The chain parameters a proposal may change, with their ranges (docs/governance.md).
struct ParameterRule {
  std::string_view name;
  std::uint64_t min;
  std::uint64_t max;
  // False for parameters the consensus engine reads: those change only at an epoch boundary,
  // which this release does not run yet, so proposing them is refused.
  bool contract_parameter;
};
const ParameterRule* find_parameter(std::string_view name);

// The status a proposal has at `height`: an open proposal past its expiry reads as EXPIRED.
::sharechain::governance::ProposalStatus status_at(const ::sharechain::governance::Proposal& p,
                                                   std::uint64_t height);
// "open", "executed", "expired".
std::string_view status_name(::sharechain::governance::ProposalStatus s);
// The kind as the command line names it: "add-validator", "grant-role", ...
std::string_view kind_name(const ::sharechain::governance::Action& a);

}  // namespace governance

}  // namespace sharechain::contracts
