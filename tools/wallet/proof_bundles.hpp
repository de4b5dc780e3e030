// Writing proof bundles from a node (`tx HASH --bundle`, `vehicle report VIN --bundle`) and
// checking them offline (`verify-bundle FILE --genesis GENESIS_FILE`). docs/proofs.md.
#pragma once

#include <string>

#include "tools/wallet/context.hpp"

namespace sharechain::wallet {

// Each writes FILE only when the bundle it assembled verifies against the validator set the node
// names, so a node serving a broken proof produces an error, never a file that would fail later.
int write_transaction_bundle(Context& ctx, const std::string& tx_hash32, const std::string& file);
int write_vehicle_bundle(Context& ctx, const std::string& vin, const std::string& file);
// A "state" bundle: one state entry's value, or its absence, at the newest certified height.
int write_state_bundle(Context& ctx, const std::string& key, const std::string& file);

}  // namespace sharechain::wallet
