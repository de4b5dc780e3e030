#include "contracts/assets/assets.hpp"

#include <algorithm>
#include <set>

#include "contracts/amounts.hpp"
#include "contracts/encoding.hpp"
#include "contracts/ledger/ledger.hpp"
#include "proto/crypto.hpp"

namespace sharechain::contracts::assets {

namespace {

constexpr std::string_view kAssetPrefix = "assets/asset/";
constexpr std::string_view kHistoryPrefix = "assets/history/";
constexpr std::string_view kOwnerPrefix = "assets/owner/";
constexpr std::string_view kConsentPrefix = "assets/consent/";
constexpr std::string_view kConsentTag = "sharechain/asset-consent";
constexpr std::string_view kLienPrefix = "assets/lien/";

bool valid_token(std::string_view s) {
  if (s.empty() || s.size() > 32) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

std::string kind_name(pb::AssetKind kind) {
  switch (kind) {
    case pb::MAINTENANCE_STATION:
      return "maintenance station";
    case pb::PARKING_SPACE:
      return "parking space";
    case pb::CHARGING_PILE:
      return "charging pile";
    default:
      return "unknown";
  }
}

Outcome validate_spec(const pb::AssetSpec& s) {
  if (s.kind() != pb::MAINTENANCE_STATION && s.kind() != pb::PARKING_SPACE &&
      s.kind() != pb::CHARGING_PILE) {
    return Refusal::invalid(
        "the asset kind must be a maintenance station, a parking space or a charging pile");
  }
  if (s.name().empty() || s.name().size() > 128) {
    return Refusal::invalid("the asset name must be 1 to 128 bytes");
  }
  if (s.location().empty() || s.location().size() > 256) {
    return Refusal::invalid("the asset location must be 1 to 256 bytes");
  }
  if (s.capacity() == 0 || s.capacity() > 10'000) {
    return Refusal::invalid("the capacity (users served at once) must be 1 to 10,000");
  }
  if (s.investment_cost() == 0) {
    return Refusal::invalid(
        "the investment cost must be greater than zero: it is the basis "
        "of the asset's return on investment");
  }
  if (s.equipment_size() > 64) return Refusal::invalid("at most 64 equipment entries");
  std::set<std::string> types;
  for (const auto& e : s.equipment()) {
    if (!valid_token(e.type())) {
      return Refusal::invalid("equipment type \"" + e.type() +
                              "\" must be 1 to 32 characters of a-z, 0-9, '_' or '-'");
    }
    if (!types.insert(e.type()).second) {
      return Refusal::invalid("equipment type \"" + e.type() + "\" is listed twice");
    }
    if (e.count() == 0) {
      return Refusal::invalid("equipment \"" + e.type() + "\" has a count of zero");
    }
    if (e.name().size() > 128) return Refusal::invalid("an equipment name exceeds 128 bytes");
  }
  if (s.kind() == pb::MAINTENANCE_STATION && s.equipment_size() == 0) {
    return Refusal::invalid("a maintenance station lists its equipment");
  }
  if (s.kind() == pb::CHARGING_PILE && s.max_power_kw() == 0) {
    return Refusal::invalid("a charging pile states its maximum power in kW");
  }
  return Outcome::ok();
}

std::string history_key(std::string_view id, std::uint64_t seq) {
  return key(kHistoryPrefix, id, be64(seq));
}

Outcome do_register(TxContext& ctx, const pb::RegisterAsset& r) {
  pb::AssetSpec spec;
  std::string owner;
  if (r.has_consent()) {
    SC_TRY(ledger::require_role(ctx.state(), ctx.sender(), ledger::kDataServer,
                                "registering an asset on an owner's behalf"));
    if (r.has_spec()) {
      return Refusal::invalid(
          "with an owner's consent the specification travels inside the "
          "consent; leave the spec field empty");
    }
    const pb::OwnerConsent& c = r.consent();
    if (c.public_key().size() != crypto::kPublicKeySize ||
        c.signature().size() != crypto::kSignatureSize) {
      return Refusal::invalid(
          "the owner's consent needs a 32-byte public key and a 64-byte "
          "signature");
    }
    crypto::Hash digest = consent_digest(ctx.chain_id(), c.spec());
    if (!crypto::verify(c.public_key(), digest, c.signature())) {
      return Refusal::denied("the owner's consent signature does not verify");
    }
    owner = crypto::address_of(c.public_key());
    if (!r.owner().empty() && r.owner() != owner) {
      return Refusal::invalid("the owner field does not match the consenting key");
    }
    std::string used = key(kConsentPrefix, crypto::hash_bytes(digest));
    if (ctx.state().contains(used)) {
      return Refusal::exists("this owner's consent was already used to register an asset");
    }
    if (!spec.ParseFromString(c.spec())) {
      return Refusal::invalid("the consented specification does not decode");
    }
    ctx.state().put(used, "");
  } else {
    if (!r.owner().empty() && r.owner() != ctx.sender()) {
      return Refusal::denied("registering an asset for " + show_address(r.owner()) +
                             " needs the owner's signed consent, submitted by the data server");
    }
    owner = ctx.sender();
    spec = r.spec();
  }
  SC_TRY(validate_spec(spec));

  std::string id = ctx.new_id("asset");
  if (ctx.state().contains(asset_key(id))) halt("derived asset id collides with an asset");
  pb::Asset a;
  a.set_id(id);
  *a.mutable_spec() = spec;
  a.set_owner(owner);
  a.set_registered_by(ctx.sender());
  a.set_registered_at_ms(ctx.now_ms());
  a.set_registered_height(ctx.height());
  a.set_status(pb::ASSET_ACTIVE);
  // Only parking spaces need the data server's ownership check before they are offered.
  a.set_owner_verified(false);
  ctx.state().put(key(kOwnerPrefix, owner, id), "");
  add_history(ctx, a, "registered", "", owner, "", kind_name(spec.kind()));
  ctx.emit(kContract, "AssetRegistered",
           {{"asset", id_value(id)},
            {"kind", kind_name(spec.kind())},
            {"owner", address_value(owner)},
            {"name", spec.name()},
            {"investment_cost", number(spec.investment_cost())}});
  return Outcome::ok();
}

Outcome do_verify(TxContext& ctx, const pb::VerifyOwnership& v) {
  SC_TRY(ledger::require_role(ctx.state(), ctx.sender(), ledger::kDataServer,
                              "verifying an asset's ownership"));
  auto a = require_asset(ctx.state(), v.asset_id());
  if (!a.is_ok()) return a.refusal();
  if (a->status() != pb::ASSET_ACTIVE) return Refusal::precondition("the asset is retired");
  if (a->owner_verified()) {
    return Refusal::exists("the ownership of asset " + show_id(v.asset_id()) +
                           " is already verified");
  }
  if (v.proof_hash().empty() || v.proof_hash().size() > 64) {
    return Refusal::invalid("the ownership proof hash must be 1 to 64 bytes");
  }
  a->set_owner_verified(true);
  a->set_ownership_proof_hash(v.proof_hash());
  a->set_verified_by(ctx.sender());
  add_history(ctx, *a, "ownership_verified", "", a->owner(), v.proof_hash(), v.note());
  ctx.emit(kContract, "OwnershipVerified",
           {{"asset", id_value(v.asset_id())},
            {"owner", address_value(a->owner())},
            {"proof", crypto::to_hex(v.proof_hash())}});
  return Outcome::ok();
}

Outcome do_transfer(TxContext& ctx, const pb::TransferAsset& t) {
  auto a = require_asset(ctx.state(), t.asset_id());
  if (!a.is_ok()) return a.refusal();
  if (a->owner() != ctx.sender()) {
    return Refusal::denied("only the owner " + show_address(a->owner()) + " may transfer asset " +
                           show_id(t.asset_id()));
  }
  if (a->status() != pb::ASSET_ACTIVE) return Refusal::precondition("the asset is retired");
  if (!is_address(t.new_owner())) {
    return Refusal::invalid("the new owner must be a 20-byte address");
  }
  if (t.new_owner() == a->owner()) {
    return Refusal::invalid("the asset already belongs to " + show_address(t.new_owner()));
  }
  // A live agreement's sharing rule pays the current owner as the asset's investor; a new
  // owner would be outside it, so the agreements end (and settle) first.
  if (a->live_agreements() > 0) {
    return Refusal::precondition("asset " + show_id(t.asset_id()) + " has " +
                                 std::to_string(a->live_agreements()) +
                                 " live usage agreement(s) naming its owner as investor; "
                                 "terminate them before transferring");
  }
  if (auto lien = lien_in_force(ctx.state(), t.asset_id(), ctx.now_ms())) {
    return Refusal::precondition("asset " + show_id(t.asset_id()) +
                                 " cannot change owner: " + *lien);
  }
  std::string from = a->owner();
  ctx.state().erase(key(kOwnerPrefix, from, t.asset_id()));
  ctx.state().put(key(kOwnerPrefix, t.new_owner(), t.asset_id()), "");
  a->set_owner(t.new_owner());
  if (a->spec().kind() == pb::PARKING_SPACE) {
    // A new owner proves ownership again before the space is offered anew.
    a->set_owner_verified(false);
    a->clear_ownership_proof_hash();
    a->clear_verified_by();
  }
  add_history(ctx, *a, "transferred", from, t.new_owner(), "", "");
  ctx.emit(kContract, "AssetTransferred",
           {{"asset", id_value(t.asset_id())},
            {"from", address_value(from)},
            {"to", address_value(t.new_owner())}});
  return Outcome::ok();
}

Outcome do_retire(TxContext& ctx, const pb::RetireAsset& r) {
  auto a = require_asset(ctx.state(), r.asset_id());
  if (!a.is_ok()) return a.refusal();
  if (a->owner() != ctx.sender() &&
      !ledger::has_role(ctx.state(), ctx.sender(), ledger::kOperator)) {
    return Refusal::denied("only the owner or an operator may retire asset " +
                           show_id(r.asset_id()));
  }
  if (a->status() != pb::ASSET_ACTIVE) return Refusal::precondition("the asset is already retired");
  if (a->live_agreements() > 0) {
    return Refusal::precondition("asset " + show_id(r.asset_id()) + " still has " +
                                 std::to_string(a->live_agreements()) +
                                 " live usage agreement(s); terminate them first");
  }
  if (auto lien = lien_in_force(ctx.state(), r.asset_id(), ctx.now_ms())) {
    return Refusal::precondition("asset " + show_id(r.asset_id()) + " cannot be retired: " + *lien);
  }
  if (r.reason().size() > 256) return Refusal::invalid("the reason exceeds 256 bytes");
  a->set_status(pb::ASSET_RETIRED);
  add_history(ctx, *a, "retired", "", "", "", r.reason());
  ctx.emit(kContract, "AssetRetired", {{"asset", id_value(r.asset_id())}, {"reason", r.reason()}});
  return Outcome::ok();
}

}  // namespace

crypto::Hash consent_digest(std::string_view chain_id, std::string_view spec_bytes) {
  std::string message(chain_id);
  message.push_back('\0');
  message += spec_bytes;
  return crypto::tagged_hash(kConsentTag, message);
}

std::string asset_key(std::string_view asset_id) { return key(kAssetPrefix, asset_id); }

std::optional<pb::Asset> find_asset(const StateReader& state, std::string_view asset_id) {
  if (!is_id(asset_id)) return std::nullopt;
  return load<pb::Asset>(state, asset_key(asset_id));
}

Checked<pb::Asset> require_asset(const StateReader& state, std::string_view asset_id) {
  if (!is_id(asset_id)) return Refusal::invalid("an asset id is 16 bytes");
  auto a = find_asset(state, asset_id);
  if (!a) return Refusal::not_found("no asset " + show_id(asset_id));
  return *a;
}

void save_asset(Overlay& state, const pb::Asset& asset) {
  save(state, asset_key(asset.id()), asset);
}

void add_history(TxContext& ctx, pb::Asset& asset, std::string_view kind, std::string_view from,
                 std::string_view to, std::string_view reference, std::string_view detail) {
  pb::HistoryEntry e;
  e.set_seq(asset.history_length());
  e.set_kind(std::string(kind));
  e.set_actor(ctx.sender());
  e.set_height(ctx.height());
  e.set_timestamp_ms(ctx.now_ms());
  e.set_tx_hash(ctx.tx_hash());
  e.set_from(std::string(from));
  e.set_to(std::string(to));
  e.set_reference(std::string(reference));
  e.set_detail(std::string(detail));
  save(ctx.state(), history_key(asset.id(), e.seq()), e);
  asset.set_history_length(asset.history_length() + 1);
  save_asset(ctx.state(), asset);
}

bool has_equipment_type(const pb::Asset& asset, std::string_view type) {
  return std::any_of(asset.spec().equipment().begin(), asset.spec().equipment().end(),
                     [&](const pb::Equipment& e) { return e.type() == type; });
}

std::uint32_t capacity_of(const pb::Asset& asset) {
  return std::max<std::uint32_t>(1, asset.spec().capacity());
}

Outcome note_agreement_live(TxContext& ctx, std::string_view asset_id,
                            std::string_view agreement_id) {
  auto a = require_asset(ctx.state(), asset_id);
  if (!a.is_ok()) return a.refusal();
  a->set_live_agreements(a->live_agreements() + 1);
  add_history(ctx, *a, "agreement_activated", "", "", agreement_id, "");
  return Outcome::ok();
}

Outcome note_agreement_ended(TxContext& ctx, std::string_view asset_id,
                             std::string_view agreement_id) {
  auto a = require_asset(ctx.state(), asset_id);
  if (!a.is_ok()) return a.refusal();
  if (a->live_agreements() == 0) halt("an asset's live agreement count would go below zero");
  a->set_live_agreements(a->live_agreements() - 1);
  add_history(ctx, *a, "agreement_terminated", "", "", agreement_id, "");
  return Outcome::ok();
}

Outcome add_investor_income(TxContext& ctx, std::string_view asset_id, std::uint64_t amount) {
  auto a = require_asset(ctx.state(), asset_id);
  if (!a.is_ok()) return a.refusal();
  auto total = checked_add(a->investor_income(), amount);
  if (!total) return Refusal::range("the asset's cumulative income would overflow");
  a->set_investor_income(*total);
  // 128-bit intermediate: income x 10,000 cannot overflow it; the quotient saturates.
  __extension__ using U128 = unsigned __int128;
  U128 roi = static_cast<U128>(*total) * kBasisPoints / a->spec().investment_cost();
  a->set_roi_bps(roi > UINT64_MAX ? UINT64_MAX : static_cast<std::uint64_t>(roi));
  save_asset(ctx.state(), *a);
  return Outcome::ok();
}

Outcome add_lien(TxContext& ctx, std::string_view asset_id, std::string_view holder_id,
                 std::uint64_t until_ms, std::string_view description) {
  auto a = require_asset(ctx.state(), asset_id);
  if (!a.is_ok()) return a.refusal();
  if (!is_id(holder_id)) halt("a lien holder id is not 16 bytes");
  std::string value = be64(until_ms);
  value += description;
  ctx.state().put(key(kLienPrefix, asset_id, holder_id), std::move(value));
  add_history(ctx, *a, "lien_added", "", "", holder_id, description);
  return Outcome::ok();
}

Outcome remove_lien(TxContext& ctx, std::string_view asset_id, std::string_view holder_id) {
  auto a = require_asset(ctx.state(), asset_id);
  if (!a.is_ok()) return a.refusal();
  std::string k = key(kLienPrefix, asset_id, holder_id);
  if (!ctx.state().contains(k)) return Outcome::ok();
  ctx.state().erase(std::move(k));
  add_history(ctx, *a, "lien_released", "", "", holder_id, "");
  return Outcome::ok();
}

std::optional<std::string> lien_in_force(const StateReader& state, std::string_view asset_id,
                                         std::uint64_t now_ms) {
  std::optional<std::string> found;
  state.scan(key(kLienPrefix, asset_id), [&](std::string_view, std::string_view value) {
    auto until = read_be64(value.substr(0, 8));
    if (!until) halt("an asset lien does not start with its end time");
    if (*until == 0 || now_ms < *until) {
      found = std::string(value.substr(8));
      return false;
    }
    return true;
  });
  return found;
}

Outcome execute(TxContext& ctx, const pb::Call& call) {
  switch (call.action_case()) {
    case pb::Call::kRegister:
      return do_register(ctx, call.register_());
    case pb::Call::kVerifyOwnership:
      return do_verify(ctx, call.verify_ownership());
    case pb::Call::kTransfer:
      return do_transfer(ctx, call.transfer());
    case pb::Call::kRetire:
      return do_retire(ctx, call.retire());
    case pb::Call::ACTION_NOT_SET:
      break;
  }
  return Refusal::invalid("the assets call names no action");
}

Result<pb::QueryResult> query(const StateReader& state, const pb::Query& q) {
  pb::QueryResult out;
  auto get = [&](std::string_view id) -> Result<pb::Asset> {
    if (!is_id(id)) return Status::invalid_argument("an asset id is 16 bytes (32 hex digits)");
    auto a = find_asset(state, id);
    if (!a) return Status::not_found("no asset " + show_id(id));
    return *a;
  };
  switch (q.query_case()) {
    case pb::Query::kAsset: {
      auto a = get(q.asset().asset_id());
      if (!a.is_ok()) return a.status();
      *out.mutable_asset() = *a;
      return out;
    }
    case pb::Query::kHistory: {
      auto a = get(q.history().asset_id());
      if (!a.is_ok()) return a.status();
      auto* h = out.mutable_history();
      *h->mutable_asset() = *a;
      state.scan(key(kHistoryPrefix, a->id()), [&](std::string_view, std::string_view raw) {
        if (!h->add_entries()->ParseFromString(std::string(raw))) {
          halt("an asset history entry does not decode");
        }
        return true;
      });
      return out;
    }
    case pb::Query::kOfOwner: {
      const std::string& owner = q.of_owner().owner();
      if (!is_address(owner)) return Status::invalid_argument("an owner address is 20 bytes");
      auto* list = out.mutable_assets();
      std::string prefix = key(kOwnerPrefix, owner);
      state.scan(prefix, [&](std::string_view k, std::string_view) {
        auto a = find_asset(state, k.substr(prefix.size()));
        if (!a) halt("an owner index entry names a missing asset");
        *list->add_assets() = *a;
        return true;
      });
      return out;
    }
    case pb::Query::QUERY_NOT_SET:
      break;
  }
  return Status::invalid_argument("the assets query names no query");
}

}  // namespace sharechain::contracts::assets
