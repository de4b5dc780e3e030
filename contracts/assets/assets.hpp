// The assets contract: digital asset records (stations, parking spaces, charging piles).
//
// Key space:
//   assets/asset/<id16>                 -> assets.Asset
//   assets/history/<id16><be64 seq>     -> assets.HistoryEntry
//   assets/owner/<addr20><id16>         -> "" (assets of an owner)
//   assets/consent/<hash32>             -> "" (owner consents already used)
//   assets/lien/<id16><holder16>        -> be64 until_ms || description (commitments of other
//                                          contracts that keep the asset with its owner)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "contracts/client.hpp"
#include "contracts/context.hpp"
#include "contracts/outcome.hpp"
#include "contracts/state.hpp"
#include "proto/crypto.hpp"
#include "proto/status.hpp"
#include "sharechain/assets.pb.h"

namespace sharechain::contracts::assets {

namespace pb = ::sharechain::assets;

inline constexpr std::string_view kContract = "assets";

// consent_digest (what an owner signs for the data server) is in contracts/client.hpp.

std::string asset_key(std::string_view asset_id);
std::optional<pb::Asset> find_asset(const StateReader& state, std::string_view asset_id);
// NOT_FOUND "no asset <hex>" when unknown.
Checked<pb::Asset> require_asset(const StateReader& state, std::string_view asset_id);
void save_asset(Overlay& state, const pb::Asset& asset);

// Appends an entry to the asset's history and saves the asset.
void add_history(TxContext& ctx, pb::Asset& asset, std::string_view kind, std::string_view from,
                 std::string_view to, std::string_view reference, std::string_view detail);

// True when the asset has equipment of this type.
bool has_equipment_type(const pb::Asset& asset, std::string_view type);
// Users served at once (capacity, at least 1).
std::uint32_t capacity_of(const pb::Asset& asset);

// Usage agreements call these when one becomes live (first activation) and when it ends, so
// that a live asset cannot be retired.
Outcome note_agreement_live(TxContext& ctx, std::string_view asset_id,
                            std::string_view agreement_id);
Outcome note_agreement_ended(TxContext& ctx, std::string_view asset_id,
                             std::string_view agreement_id);
// Adds to the cumulative income the asset has paid its investor (return on investment).
Outcome add_investor_income(TxContext& ctx, std::string_view asset_id, std::uint64_t amount);

// A lien: another contract's commitment on the asset (a financing round or term, `holder_id`
// its 16-byte id) that keeps the asset with its owner. While a lien is in force (until_ms == 0,
// or the block time is before until_ms) the asset can be neither transferred nor retired. Adding
// and removing one appends to the asset's history ("lien_added", "lien_released").
Outcome add_lien(TxContext& ctx, std::string_view asset_id, std::string_view holder_id,
                 std::uint64_t until_ms, std::string_view description);
Outcome remove_lien(TxContext& ctx, std::string_view asset_id, std::string_view holder_id);
// The description of the first lien in force at `now_ms`, or nullopt when none is.
std::optional<std::string> lien_in_force(const StateReader& state, std::string_view asset_id,
                                         std::uint64_t now_ms);

Outcome execute(TxContext& ctx, const pb::Call& call);
Result<pb::QueryResult> query(const StateReader& state, const pb::Query& q);

}  // namespace sharechain::contracts::assets
