// Assets contract:
//  - register by the owner: the digital asset record links owner, spec and investment cost,
//    ids are distinct per registration, history starts with "registered", AssetRegistered
//  - every malformed spec is refused with the field named
//  - register on the owner's behalf: data server with the owner's signed consent; refused
//    without the role, with a bad signature, with a reused consent, or for another owner
//    without consent
//  - ownership verification: data server only, once; an unverified parking space cannot be
//    offered in a usage agreement, a verified one can
//  - transfer: owner only, not to itself; a parking space needs verification again; owner
//    index follows
//  - retire (and transfer): refused while a usage agreement is live; owner or operator retires;
//    retired assets
//    cannot be transferred or retired again
//  - queries: asset, history (every entry in order), assets of an owner, NOT_FOUND and
//    INVALID_ARGUMENT for unknown and malformed ids
#include "contracts/assets/assets.hpp"

#include <catch2/catch.hpp>

#include "usage_fixture.hpp"

using namespace sharechain;
using namespace sharechain::contracts;
using namespace sharechain::contracts::testing;

namespace {

std::string register_ok(Chain& chain, const std::string& who, const apb::AssetSpec& spec) {
  auto r = must(chain.assets(who, register_call(spec)));
  return event_id(r, "AssetRegistered", "asset");
}

apb::Call consent_call(const std::string& owner, const apb::AssetSpec& spec,
                       const std::string& chain_id = kChainId) {
  apb::Call c;
  auto* consent = c.mutable_register_()->mutable_consent();
  std::string bytes = spec.SerializeAsString();
  auto key = key_for(owner);
  consent->set_public_key(key.public_key());
  consent->set_spec(bytes);
  consent->set_signature(key.sign(contracts::assets::consent_digest(chain_id, bytes)));
  return c;
}

apb::Call transfer_asset_call(const std::string& asset, const std::string& to) {
  apb::Call c;
  c.mutable_transfer()->set_asset_id(asset);
  c.mutable_transfer()->set_new_owner(address_for(to));
  return c;
}

apb::Call retire_call(const std::string& asset) {
  apb::Call c;
  c.mutable_retire()->set_asset_id(asset);
  c.mutable_retire()->set_reason("site closed");
  return c;
}

std::vector<apb::HistoryEntry> history_of(const Chain& chain, const std::string& asset) {
  api::QueryRequest q;
  q.mutable_assets()->mutable_history()->set_asset_id(asset);
  auto r = chain.query(q);
  REQUIRE(r.is_ok());
  const auto& e = r->assets().history().entries();
  return {e.begin(), e.end()};
}

}  // namespace

TEST_CASE("an owner registers a digital asset", "[contracts][assets]") {
  Chain chain(station_actors());
  auto r = must(chain.assets("investor", register_call(station_spec())));
  const Event* e = find_event(r, "AssetRegistered");
  REQUIRE(e != nullptr);
  CHECK(e->contract() == "assets");
  CHECK(attr(*e, "kind") == "maintenance station");
  CHECK(attr(*e, "investment_cost") == "1000000");
  std::string id = event_id(r, "AssetRegistered", "asset");
  REQUIRE(id.size() == 16);
  // The typed result: the receipt names what it created, the event carries the typed values.
  REQUIRE(r.created_size() == 1);
  CHECK(r.created(0).kind() == "asset");
  CHECK(r.created(0).id() == id);
  CHECK(r.created(0).id_text() == crypto::to_hex(id));
  for (const Attribute& a : e->attributes()) {
    if (a.key() == "asset") CHECK(a.id() == id);
    if (a.key() == "investment_cost") CHECK(a.number() == 1'000'000);
    if (a.key() == "kind") CHECK(a.typed_case() == Attribute::TYPED_NOT_SET);
  }

  auto a = asset_of(chain, id);
  CHECK(a.owner() == address_for("investor"));
  CHECK(a.registered_by() == address_for("investor"));
  CHECK(a.spec().investment_cost() == 1'000'000);
  CHECK(a.status() == apb::ASSET_ACTIVE);
  CHECK(a.history_length() == 1);
  CHECK(a.registered_height() == chain.height());

  // The same spec registered again is a different asset with its own id.
  std::string second = register_ok(chain, "investor", station_spec());
  CHECK(second != id);

  api::QueryRequest q;
  q.mutable_assets()->mutable_of_owner()->set_owner(address_for("investor"));
  auto list = chain.query(q);
  REQUIRE(list.is_ok());
  CHECK(list->assets().assets().assets_size() == 2);

  // A refused registration created nothing.
  auto refused = chain.assets("investor", register_call(apb::AssetSpec{}));
  CHECK(refused.status() != RECEIPT_OK);
  CHECK(refused.created().empty());
}

TEST_CASE("malformed asset specs are refused by field", "[contracts][assets]") {
  Chain chain(station_actors());
  struct Case {
    const char* what;
    std::function<void(apb::AssetSpec&)> edit;
    const char* message;
  };
  std::vector<Case> cases = {
      {"no kind", [](apb::AssetSpec& s) { s.set_kind(apb::ASSET_KIND_UNSPECIFIED); }, "kind"},
      {"no name", [](apb::AssetSpec& s) { s.clear_name(); }, "name"},
      {"no location", [](apb::AssetSpec& s) { s.clear_location(); }, "location"},
      {"zero capacity", [](apb::AssetSpec& s) { s.set_capacity(0); }, "capacity"},
      {"zero investment", [](apb::AssetSpec& s) { s.set_investment_cost(0); }, "investment cost"},
      {"station without equipment", [](apb::AssetSpec& s) { s.clear_equipment(); },
       "lists its equipment"},
      {"duplicate equipment type", [](apb::AssetSpec& s) { *s.add_equipment() = s.equipment(0); },
       "listed twice"},
      {"bad equipment type", [](apb::AssetSpec& s) { s.mutable_equipment(0)->set_type("Lift!"); },
       "equipment type"},
      {"zero equipment count", [](apb::AssetSpec& s) { s.mutable_equipment(0)->set_count(0); },
       "count of zero"},
      {"pile without power",
       [](apb::AssetSpec& s) {
         s = pile_spec();
         s.set_max_power_kw(0);
       },
       "maximum power"},
  };
  for (const auto& c : cases) {
    apb::AssetSpec spec = station_spec();
    c.edit(spec);
    auto r = chain.assets("investor", register_call(spec));
    INFO(c.what);
    CHECK(r.status() == RECEIPT_INVALID_ARGUMENT);
    CHECK(contains(r.error(), c.message));
  }
  api::QueryRequest q;
  q.mutable_assets()->mutable_of_owner()->set_owner(address_for("investor"));
  CHECK(chain.query(q)->assets().assets().assets_size() == 0);
}

TEST_CASE("the data server registers with the owner's signed consent", "[contracts][assets]") {
  Chain chain(station_actors());
  // "landlord" has never transacted: the data server registers for them.
  auto r = must(chain.assets("dataserver", consent_call("landlord", parking_spec())));
  std::string id = event_id(r, "AssetRegistered", "asset");
  auto a = asset_of(chain, id);
  CHECK(a.owner() == address_for("landlord"));
  CHECK(a.registered_by() == address_for("dataserver"));
  CHECK(a.spec().name() == "Space 14");

  // The same consent cannot register a second asset.
  auto again = chain.assets("dataserver", consent_call("landlord", parking_spec()));
  CHECK(again.status() == RECEIPT_ALREADY_EXISTS);
  CHECK(contains(again.error(), "already used"));

  // Only a data server may submit consents.
  apb::AssetSpec other = parking_spec();
  other.set_name("Space 15");
  auto denied = chain.assets("driver", consent_call("landlord", other));
  CHECK(denied.status() == RECEIPT_PERMISSION_DENIED);
  CHECK(contains(denied.error(), "data_server"));

  // A consent signed for another chain does not verify here.
  auto wrong_chain = chain.assets("dataserver", consent_call("landlord", other, "other-chain"));
  CHECK(wrong_chain.status() == RECEIPT_PERMISSION_DENIED);
  CHECK(contains(wrong_chain.error(), "does not verify"));

  // A tampered spec does not match the signature.
  apb::Call tampered = consent_call("landlord", other);
  apb::AssetSpec changed = other;
  changed.set_investment_cost(1);
  tampered.mutable_register_()->mutable_consent()->set_spec(changed.SerializeAsString());
  CHECK(chain.assets("dataserver", tampered).status() == RECEIPT_PERMISSION_DENIED);

  // Registering for someone else without a consent is refused.
  apb::Call for_other = register_call(other);
  for_other.mutable_register_()->set_owner(address_for("landlord"));
  auto no_consent = chain.assets("dataserver", for_other);
  CHECK(no_consent.status() == RECEIPT_PERMISSION_DENIED);
  CHECK(contains(no_consent.error(), "signed consent"));
}

TEST_CASE("a parking space is offered only after ownership verification", "[contracts][assets]") {
  Chain chain(station_actors());
  std::string space = register_ok(chain, "investor", parking_spec());
  upb::Terms terms = station_terms();
  terms.clear_items();
  *terms.add_items() = item("parking", "", upb::PER_MINUTE, 2);
  terms.mutable_rules()->clear_required_qualification();

  auto r = chain.usage("investor", propose_call(space, terms));
  CHECK(r.status() == RECEIPT_FAILED_PRECONDITION);
  CHECK(contains(r.error(), "verifies its owner's proof of ownership"));

  auto not_ds = chain.assets("investor", verify_call(space));
  CHECK(not_ds.status() == RECEIPT_PERMISSION_DENIED);

  auto v = must(chain.assets("dataserver", verify_call(space)));
  CHECK(find_event(v, "OwnershipVerified") != nullptr);
  CHECK(asset_of(chain, space).owner_verified());
  CHECK(chain.assets("dataserver", verify_call(space)).status() == RECEIPT_ALREADY_EXISTS);

  must(chain.usage("investor", propose_call(space, terms)));
}

TEST_CASE("assets are transferred by their owner", "[contracts][assets]") {
  Chain chain(station_actors());
  std::string space = register_ok(chain, "investor", parking_spec());
  must(chain.assets("dataserver", verify_call(space)));

  auto denied = chain.assets("driver", transfer_asset_call(space, "driver"));
  CHECK(denied.status() == RECEIPT_PERMISSION_DENIED);
  CHECK(contains(denied.error(), "only the owner"));
  CHECK(chain.assets("investor", transfer_asset_call(space, "investor")).status() ==
        RECEIPT_INVALID_ARGUMENT);

  auto r = must(chain.assets("investor", transfer_asset_call(space, "driver")));
  CHECK(find_event(r, "AssetTransferred") != nullptr);
  auto a = asset_of(chain, space);
  CHECK(a.owner() == address_for("driver"));
  CHECK_FALSE(a.owner_verified());  // the new owner proves ownership again

  api::QueryRequest q;
  q.mutable_assets()->mutable_of_owner()->set_owner(address_for("investor"));
  CHECK(chain.query(q)->assets().assets().assets_size() == 0);
  q.mutable_assets()->mutable_of_owner()->set_owner(address_for("driver"));
  CHECK(chain.query(q)->assets().assets().assets_size() == 1);

  auto h = history_of(chain, space);
  REQUIRE(h.size() == 3);
  CHECK(h[0].kind() == "registered");
  CHECK(h[1].kind() == "ownership_verified");
  CHECK(h[2].kind() == "transferred");
  CHECK(h[2].from() == address_for("investor"));
  CHECK(h[2].to() == address_for("driver"));
  CHECK(h[2].seq() == 2);
}

TEST_CASE("retiring and transferring wait for live agreements to end", "[contracts][assets]") {
  StationWorld w;
  auto denied = w.chain.assets("driver", retire_call(w.asset));
  CHECK(denied.status() == RECEIPT_PERMISSION_DENIED);

  auto live = w.chain.assets("investor", retire_call(w.asset));
  CHECK(live.status() == RECEIPT_FAILED_PRECONDITION);
  CHECK(contains(live.error(), "live usage agreement"));
  CHECK(asset_of(w.chain, w.asset).live_agreements() == 1);

  auto sold = w.chain.assets("investor", transfer_asset_call(w.asset, "driver"));
  CHECK(sold.status() == RECEIPT_FAILED_PRECONDITION);
  CHECK(contains(sold.error(), "terminate them before transferring"));

  must(w.chain.usage("platform", terminate_call(w.agreement)));
  CHECK(asset_of(w.chain, w.asset).live_agreements() == 0);
  // An operator may retire it too.
  auto r = must(w.chain.assets("operator", retire_call(w.asset)));
  CHECK(find_event(r, "AssetRetired") != nullptr);
  CHECK(asset_of(w.chain, w.asset).status() == apb::ASSET_RETIRED);
  CHECK(w.chain.assets("investor", retire_call(w.asset)).status() == RECEIPT_FAILED_PRECONDITION);
  CHECK(w.chain.assets("investor", transfer_asset_call(w.asset, "driver")).status() ==
        RECEIPT_FAILED_PRECONDITION);
  // A retired asset cannot be offered again.
  auto offer = w.chain.usage("investor", propose_call(w.asset, station_terms()));
  CHECK(offer.status() == RECEIPT_FAILED_PRECONDITION);
  CHECK(contains(offer.error(), "retired"));

  auto h = history_of(w.chain, w.asset);
  REQUIRE(h.size() == 4);
  CHECK(h[1].kind() == "agreement_activated");
  CHECK(h[1].reference() == w.agreement);
  CHECK(h[2].kind() == "agreement_terminated");
  CHECK(h[3].kind() == "retired");
  CHECK(h[3].detail() == "site closed");
}

TEST_CASE("asset queries refuse unknown and malformed ids", "[contracts][assets]") {
  Chain chain(station_actors());
  api::QueryRequest q;
  q.mutable_assets()->mutable_asset()->set_asset_id(std::string(16, '\x01'));
  auto r = chain.query(q);
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.status().code() == Code::kNotFound);
  q.mutable_assets()->mutable_asset()->set_asset_id("short");
  r = chain.query(q);
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.status().code() == Code::kInvalidArgument);
  q.mutable_assets()->mutable_of_owner()->set_owner("short");
  CHECK(chain.query(q).status().code() == Code::kInvalidArgument);
}
