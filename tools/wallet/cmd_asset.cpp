// `sharechain asset ...`: digital asset records of stations, parking spaces and charging piles.
//   register, consent (an owner's signed consent for a registration by the data server),
//   verify, transfer, retire; queries show, history, list.
#include <nlohmann/json.hpp>

#include "contracts/client.hpp"
#include "sharechain/assets.pb.h"
#include "tools/common/cli.hpp"
#include "tools/common/files.hpp"
#include "tools/wallet/args.hpp"
#include "tools/wallet/context.hpp"

namespace sharechain::wallet {
namespace {

namespace pb = ::sharechain::assets;

// The specification options shared by `register` and `consent`.
struct SpecArgs {
  std::string kind;
  std::string name;
  std::string location;
  std::uint64_t capacity = 1;
  std::uint64_t size_m2 = 0;
  std::vector<std::string> equipment;
  std::uint64_t purchase_price = 0;
  std::uint64_t investment_cost = 0;
  std::uint64_t max_power_kw = 0;
};

void add_spec_options(CLI::App* cmd, SpecArgs& a, bool required) {
  auto* kind = cmd->add_option("--kind", a.kind, "station, parking or charging");
  auto* name = cmd->add_option("--name", a.name, "the asset's name");
  auto* cost = cmd->add_option("--investment-cost", a.investment_cost,
                               "units invested; the basis of the return on investment")
                   ->check(tools::decimal(1));
  auto* location = cmd->add_option("--location", a.location, "address or coordinates");
  if (required) {
    kind->required();
    name->required();
    location->required();
    cost->required();
  }
  cmd->add_option("--capacity", a.capacity, "users served at the same time (bays, spaces, connectors)")
      ->capture_default_str()
      ->check(tools::decimal(1, UINT32_MAX));
  cmd->add_option("--size-m2", a.size_m2, "floor area in m²")->check(tools::decimal(0, UINT32_MAX));
  cmd->add_option("--equipment", a.equipment,
                  "TYPE:NAME[:COUNT], repeatable; TYPE is what service items name (lift, dc_charger)");
  cmd->add_option("--purchase-price", a.purchase_price, "purchase price in units")->check(tools::decimal());
  cmd->add_option("--max-power-kw", a.max_power_kw, "charging piles: maximum power in kW")
      ->check(tools::decimal(0, UINT32_MAX));
}

Outcome<pb::AssetKind> parse_kind(const std::string& text) {
  if (text == "station" || text == "maintenance_station") return pb::MAINTENANCE_STATION;
  if (text == "parking" || text == "parking_space") return pb::PARKING_SPACE;
  if (text == "charging" || text == "charging_pile") return pb::CHARGING_PILE;
  return Failure::usage("--kind '" + text + "' is not station, parking or charging");
}

Outcome<pb::AssetSpec> build_spec(const SpecArgs& a) {
  pb::AssetSpec spec;
  Outcome<pb::AssetKind> kind = parse_kind(a.kind);
  if (!kind) return kind.failure();
  spec.set_kind(*kind);
  spec.set_name(a.name);
  spec.set_location(a.location);
  spec.set_capacity(static_cast<std::uint32_t>(a.capacity));
  spec.set_size_m2(static_cast<std::uint32_t>(a.size_m2));
  spec.set_purchase_price(a.purchase_price);
  spec.set_investment_cost(a.investment_cost);
  spec.set_max_power_kw(static_cast<std::uint32_t>(a.max_power_kw));
  for (const std::string& e : a.equipment) {
    auto fields = split_fields(e, 2, 3, "--equipment", "TYPE:NAME[:COUNT]");
    if (!fields) return fields.failure();
    pb::Equipment* eq = spec.add_equipment();
    eq->set_type((*fields)[0]);
    eq->set_name((*fields)[1]);
    eq->set_count(1);
    if (fields->size() == 3) {
      auto count = parse_number((*fields)[2], "--equipment count", 1, UINT32_MAX);
      if (!count) return count.failure();
      eq->set_count(static_cast<std::uint32_t>(*count));
    }
  }
  return spec;
}

// The consent file `asset consent` writes and `asset register --consent` reads.
Json consent_json(const pb::OwnerConsent& c, const std::string& chain_id) {
  return {{"chain_id", chain_id},
          {"owner", crypto::format_address(crypto::address_of(c.public_key()))},
          {"public_key", crypto::to_hex(c.public_key())},
          {"signature", crypto::to_hex(c.signature())},
          {"spec", crypto::to_hex(c.spec())}};
}

Outcome<pb::OwnerConsent> read_consent(const std::string& file) {
  Result<std::string> text = tools::read_file(file);
  if (!text) return Failure::usage("cannot read the consent: " + text.status().message());
  const Json j = Json::parse(*text, nullptr, /*allow_exceptions=*/false);
  pb::OwnerConsent c;
  auto field = [&](const char* key) -> std::optional<std::string> {
    if (!j.is_object() || !j.contains(key) || !j[key].is_string()) return std::nullopt;
    return crypto::from_hex(j[key].get<std::string>());
  };
  auto pk = field("public_key");
  auto sig = field("signature");
  auto spec = field("spec");
  if (!pk || !sig || !spec) {
    return Failure::usage(file + " is not a consent written by `sharechain asset consent` "
                                 "(public_key, signature and spec in hex)");
  }
  c.set_public_key(*pk);
  c.set_signature(*sig);
  c.set_spec(*spec);
  return c;
}

Outcome<std::string> asset_id(const std::string& text) { return parse_id(text, "asset id"); }

}  // namespace

void register_asset_commands(CLI::App& app, Context& ctx) {
  CLI::App* group = app.add_subcommand("asset", "digital assets: stations, parking spaces, charging piles");
  group->require_subcommand(1);

  {
    struct Args {
      TxOptions tx;
      SpecArgs spec;
      std::string owner;
      std::string consent;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand(
        "register", "register an asset: by its owner, or by the data server with --consent");
    add_tx_options(cmd, a->tx);
    add_spec_options(cmd, a->spec, false);
    cmd->add_option("--owner", a->owner, "the owner (default: the signer); with --consent, a check");
    cmd->add_option("--consent", a->consent, "an owner's consent file from `asset consent`");
    on_run(cmd, ctx, [&ctx, a] {
      pb::RegisterAsset r;
      std::string summary;
      if (!a->consent.empty()) {
        if (!a->spec.kind.empty() || !a->spec.name.empty()) {
          return ctx.fail(Failure::usage("with --consent the specification comes from the consent file"));
        }
        Outcome<pb::OwnerConsent> c = read_consent(a->consent);
        if (!c) return ctx.fail(c.failure());
        *r.mutable_consent() = *c;
        summary = "register the asset " + crypto::format_address(crypto::address_of(c->public_key())) +
                  " consented to";
      } else {
        if (a->spec.kind.empty() || a->spec.name.empty() || a->spec.location.empty() ||
            a->spec.investment_cost == 0) {
          return ctx.fail(Failure::usage(
              "register needs --kind, --name, --location and --investment-cost (or --consent)"));
        }
        Outcome<pb::AssetSpec> spec = build_spec(a->spec);
        if (!spec) return ctx.fail(spec.failure());
        *r.mutable_spec() = *spec;
        summary = "register " + a->spec.kind + " '" + a->spec.name + "'";
      }
      if (!a->owner.empty()) {
        Outcome<std::string> owner = ctx.resolve_address(a->owner);
        if (!owner) return ctx.fail(owner.failure());
        r.set_owner(*owner);
      }
      return ctx.submit(a->tx, [&](TransactionBody& b) { *b.mutable_assets()->mutable_register_() = r; },
                        summary);
    });
  }
  {
    struct Args {
      std::string from;
      SpecArgs spec;
      std::string out;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand(
        "consent", "sign, as the owner, a specification the data server may register for you");
    cmd->add_option("--from", a->from, "the owner's key")->required();
    add_spec_options(cmd, a->spec, true);
    cmd->add_option("--out", a->out, "write the consent to this file (default: standard output)");
    on_run(cmd, ctx, [&ctx, a] {
      Outcome<pb::AssetSpec> spec = build_spec(a->spec);
      if (!spec) return ctx.fail(spec.failure());
      Outcome<crypto::PrivateKey> key = ctx.load_key(a->from);
      if (!key) return ctx.fail(key.failure());
      Outcome<std::string> chain = ctx.chain_id();
      if (!chain) return ctx.fail(chain.failure());
      pb::OwnerConsent c;
      c.set_spec(spec->SerializeAsString());
      c.set_public_key(key->public_key());
      c.set_signature(key->sign(contracts::assets::consent_digest(*chain, c.spec())));
      const Json j = consent_json(c, *chain);
      if (a->out.empty()) {
        ctx.print_json(j);
        return tools::kExitOk;
      }
      if (Status st = tools::write_file_atomic(a->out, j.dump(2) + "\n", 0644, tools::Overwrite::kNo); !st) {
        return ctx.fail(Failure::from_local(st));
      }
      if (ctx.json()) {
        ctx.print_json({{"file", a->out}, {"owner", j["owner"]}});
      } else {
        ctx.out() << "consent of " << j["owner"].get<std::string>() << " written to " << a->out << "\n";
      }
      return tools::kExitOk;
    });
  }
  {
    struct Args {
      TxOptions tx;
      std::string asset;
      std::string proof_hash;
      std::string note;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand("verify", "attest the owner's proof of ownership (data_server)");
    add_tx_options(cmd, a->tx);
    cmd->add_option("--asset", a->asset, "asset id")->required();
    cmd->add_option("--proof-hash", a->proof_hash, "SHA-256 of the off-chain proof (64 hex)")->required();
    cmd->add_option("--note", a->note, "a note kept with the verification");
    on_run(cmd, ctx, [&ctx, a] {
      Outcome<std::string> id = asset_id(a->asset);
      if (!id) return ctx.fail(id.failure());
      Outcome<std::string> proof = parse_hash32(a->proof_hash, "--proof-hash");
      if (!proof) return ctx.fail(proof.failure());
      return ctx.submit(
          a->tx,
          [&](TransactionBody& b) {
            pb::VerifyOwnership* v = b.mutable_assets()->mutable_verify_ownership();
            v->set_asset_id(*id);
            v->set_proof_hash(*proof);
            v->set_note(a->note);
          },
          "verify the ownership of asset " + a->asset);
    });
  }
  {
    struct Args {
      TxOptions tx;
      std::string asset;
      std::string to;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand("transfer", "give an asset to a new owner (owner)");
    add_tx_options(cmd, a->tx);
    cmd->add_option("--asset", a->asset, "asset id")->required();
    cmd->add_option("--to", a->to, "the new owner: an address or a key name")->required();
    on_run(cmd, ctx, [&ctx, a] {
      Outcome<std::string> id = asset_id(a->asset);
      if (!id) return ctx.fail(id.failure());
      Outcome<std::string> to = ctx.resolve_address(a->to);
      if (!to) return ctx.fail(to.failure());
      return ctx.submit(
          a->tx,
          [&](TransactionBody& b) {
            pb::TransferAsset* t = b.mutable_assets()->mutable_transfer();
            t->set_asset_id(*id);
            t->set_new_owner(*to);
          },
          "transfer asset " + a->asset + " to " + crypto::format_address(*to));
    });
  }
  {
    struct Args {
      TxOptions tx;
      std::string asset;
      std::string reason;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand("retire", "retire an asset (owner or operator)");
    add_tx_options(cmd, a->tx);
    cmd->add_option("--asset", a->asset, "asset id")->required();
    cmd->add_option("--reason", a->reason, "why");
    on_run(cmd, ctx, [&ctx, a] {
      Outcome<std::string> id = asset_id(a->asset);
      if (!id) return ctx.fail(id.failure());
      return ctx.submit(
          a->tx,
          [&](TransactionBody& b) {
            pb::RetireAsset* r = b.mutable_assets()->mutable_retire();
            r->set_asset_id(*id);
            r->set_reason(a->reason);
          },
          "retire asset " + a->asset);
    });
  }
  for (const bool history : {false, true}) {
    auto id_text = std::make_shared<std::string>();
    CLI::App* cmd = group->add_subcommand(history ? "history" : "show",
                                          history ? "an asset's record and its full history"
                                                  : "an asset's record: owner, cost, income, return");
    cmd->add_option("asset", *id_text, "asset id")->required();
    on_run(cmd, ctx, [&ctx, id_text, history] {
      Outcome<std::string> id = asset_id(*id_text);
      if (!id) return ctx.fail(id.failure());
      api::QueryRequest q;
      if (history) {
        q.mutable_assets()->mutable_history()->set_asset_id(*id);
      } else {
        q.mutable_assets()->mutable_asset()->set_asset_id(*id);
      }
      return ctx.run_query(q);
    });
  }
  {
    auto owner = std::make_shared<std::string>();
    CLI::App* cmd = group->add_subcommand("list", "the assets an account owns");
    cmd->add_option("--owner", *owner, "an address or a key name")->required();
    on_run(cmd, ctx, [&ctx, owner] {
      Outcome<std::string> address = ctx.resolve_address(*owner);
      if (!address) return ctx.fail(address.failure());
      api::QueryRequest q;
      q.mutable_assets()->mutable_of_owner()->set_owner(*address);
      return ctx.run_query(q);
    });
  }
}

}  // namespace sharechain::wallet
