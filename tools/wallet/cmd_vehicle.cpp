// `sharechain vehicle ...`: attested vehicle histories (the vehicles contract).
//   submit, endorse, offer-transfer, accept-transfer, cancel-transfer; queries show, record,
//   records, pending, report, list.
#include <cctype>

#include "sharechain/vehicles.pb.h"
#include "tools/common/cli.hpp"
#include "tools/wallet/args.hpp"
#include "tools/wallet/context.hpp"
#include "tools/wallet/proof_bundles.hpp"

namespace sharechain::wallet {
namespace {

namespace pb = ::sharechain::vehicles;

Outcome<pb::RecordKind> parse_record_kind(const std::string& text) {
  static const std::pair<const char*, pb::RecordKind> kKinds[] = {
      {"manufacture", pb::MANUFACTURE},     {"registration", pb::REGISTRATION},
      {"inspection", pb::INSPECTION},       {"insurance_claim", pb::INSURANCE_CLAIM},
      {"accident", pb::ACCIDENT},           {"maintenance", pb::MAINTENANCE},
      {"odometer", pb::ODOMETER}};
  for (const auto& [name, kind] : kKinds) {
    if (text == name) return kind;
  }
  // Ownership transfers are made with offer-transfer, never submitted as records.
  return Failure::usage("--kind '" + text +
                        "' is not manufacture, registration, inspection, insurance_claim, accident, "
                        "maintenance or odometer");
}

Outcome<pb::Verdict> parse_verdict(const std::string& text) {
  if (text == "true") return pb::VERDICT_TRUE;
  if (text == "false") return pb::VERDICT_FALSE;
  return Failure::usage("--verdict '" + text + "' is not true or false");
}

// A VIN as the chain keys it: upper case, so "wvw..." and "WVW..." are one vehicle.
std::string normal_vin(std::string vin) {
  for (char& c : vin) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return vin;
}

}  // namespace

void register_vehicle_commands(CLI::App& app, Context& ctx) {
  CLI::App* group = app.add_subcommand("vehicle", "attested vehicle histories: records, endorsements, sales");
  group->require_subcommand(1);

  {
    struct Args {
      TxOptions tx;
      std::string vin;
      std::string kind;
      std::string occurred;
      std::uint64_t odometer_km = 0;
      std::string summary;
      std::string evidence_hash;
      std::vector<std::string> details;
      std::string new_owner;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand("submit", "submit a record of a vehicle (attester)");
    add_tx_options(cmd, a->tx);
    cmd->add_option("--vin", a->vin, "17-character VIN")->required();
    cmd->add_option("--kind", a->kind,
                    "manufacture, registration, inspection, insurance_claim, accident, maintenance or "
                    "odometer")
        ->required();
    cmd->add_option("--occurred", a->occurred, "when: ms since 1970 or UTC YYYY-MM-DDTHH:MM[:SS]Z (default: now)");
    cmd->add_option("--odometer-km", a->odometer_km, "odometer reading taken with it")->check(tools::decimal());
    cmd->add_option("--summary", a->summary, "what happened")->required();
    cmd->add_option("--evidence-hash", a->evidence_hash, "SHA-256 of the evidence kept off chain (64 hex)")
        ->required();
    cmd->add_option("--detail", a->details, "KEY=VALUE, repeatable");
    cmd->add_option("--new-owner", a->new_owner, "registration: the first owner");
    on_run(cmd, ctx, [&ctx, a] {
      Outcome<pb::RecordKind> kind = parse_record_kind(a->kind);
      if (!kind) return ctx.fail(kind.failure());
      Outcome<std::string> evidence = parse_hash32(a->evidence_hash, "--evidence-hash");
      if (!evidence) return ctx.fail(evidence.failure());
      std::uint64_t occurred = 0;
      if (!a->occurred.empty()) {
        Outcome<std::uint64_t> t = parse_time_ms(a->occurred, "--occurred");
        if (!t) return ctx.fail(t.failure());
        occurred = *t;
      }
      std::vector<std::pair<std::string, std::string>> details;
      for (const std::string& d : a->details) {
        const auto eq = d.find('=');
        if (eq == std::string::npos || eq == 0) {
          return ctx.fail(Failure::usage("--detail '" + d + "' is not KEY=VALUE"));
        }
        details.emplace_back(d.substr(0, eq), d.substr(eq + 1));
      }
      std::string owner;
      if (!a->new_owner.empty()) {
        Outcome<std::string> o = ctx.resolve_address(a->new_owner);
        if (!o) return ctx.fail(o.failure());
        owner = *o;
      }
      const std::string vin = normal_vin(a->vin);
      return ctx.submit(
          a->tx,
          [&](TransactionBody& b) {
            pb::SubmitRecord* r = b.mutable_vehicles()->mutable_submit();
            r->set_vin(vin);
            r->set_kind(*kind);
            r->set_occurred_at_ms(occurred);
            r->set_odometer_km(a->odometer_km);
            r->set_summary(a->summary);
            r->set_evidence_hash(*evidence);
            for (const auto& [k, v] : details) {
              pb::Detail* d = r->add_details();
              d->set_key(k);
              d->set_value(v);
            }
            r->set_new_owner(owner);
          },
          "submit a " + a->kind + " record for " + vin);
    });
  }
  {
    struct Args {
      TxOptions tx;
      std::string record;
      std::string verdict;
      std::string note;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand("endorse", "endorse another attester's record true or false (attester)");
    add_tx_options(cmd, a->tx);
    cmd->add_option("--record", a->record, "record id")->required();
    cmd->add_option("--verdict", a->verdict, "true (matches what you hold) or false")->required();
    cmd->add_option("--note", a->note, "a note");
    on_run(cmd, ctx, [&ctx, a] {
      Outcome<std::string> id = parse_id(a->record, "--record");
      if (!id) return ctx.fail(id.failure());
      Outcome<pb::Verdict> verdict = parse_verdict(a->verdict);
      if (!verdict) return ctx.fail(verdict.failure());
      return ctx.submit(
          a->tx,
          [&](TransactionBody& b) {
            pb::Endorse* e = b.mutable_vehicles()->mutable_endorse();
            e->set_record_id(*id);
            e->set_verdict(*verdict);
            e->set_note(a->note);
          },
          "endorse record " + a->record + " " + a->verdict);
    });
  }
  {
    struct Args {
      TxOptions tx;
      std::string vin;
      std::string buyer;
      std::uint64_t price = 0;
      std::string evidence_hash;
      std::uint64_t odometer_km = 0;
      std::string note;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand("offer-transfer", "offer your vehicle to a buyer (its owner)");
    add_tx_options(cmd, a->tx);
    cmd->add_option("--vin", a->vin, "17-character VIN")->required();
    cmd->add_option("--buyer", a->buyer, "an address or a key name")->required();
    cmd->add_option("--price", a->price, "sale price in units (informational; no funds move)")
        ->check(tools::decimal());
    cmd->add_option("--evidence-hash", a->evidence_hash, "SHA-256 of the sale contract (64 hex)")->required();
    cmd->add_option("--odometer-km", a->odometer_km, "reading at the sale")->check(tools::decimal());
    cmd->add_option("--note", a->note, "a note");
    on_run(cmd, ctx, [&ctx, a] {
      Outcome<std::string> buyer = ctx.resolve_address(a->buyer);
      if (!buyer) return ctx.fail(buyer.failure());
      Outcome<std::string> evidence = parse_hash32(a->evidence_hash, "--evidence-hash");
      if (!evidence) return ctx.fail(evidence.failure());
      const std::string vin = normal_vin(a->vin);
      return ctx.submit(
          a->tx,
          [&](TransactionBody& b) {
            pb::OfferTransfer* o = b.mutable_vehicles()->mutable_offer_transfer();
            o->set_vin(vin);
            o->set_buyer(*buyer);
            o->set_price(a->price);
            o->set_evidence_hash(*evidence);
            o->set_odometer_km(a->odometer_km);
            o->set_note(a->note);
          },
          "offer " + vin + " to " + crypto::format_address(*buyer));
    });
  }
  add_id_action(group, ctx, "accept-transfer", "accept a vehicle offered to you (the buyer)", "record",
                [](TransactionBody& b, const std::string& id) {
                  b.mutable_vehicles()->mutable_accept_transfer()->set_record_id(id);
                });
  add_id_action(group, ctx, "cancel-transfer", "withdraw or decline an offer before acceptance", "record",
                [](TransactionBody& b, const std::string& id) {
                  b.mutable_vehicles()->mutable_cancel_transfer()->set_record_id(id);
                });

  add_query(group, ctx, "show", "a vehicle: owner, counts, last odometer, flags", "vin",
            [](Context&, const std::string& vin) -> Outcome<api::QueryRequest> {
              api::QueryRequest q;
              q.mutable_vehicles()->mutable_vehicle()->set_vin(normal_vin(vin));
              return q;
            });
  {
    auto vin = std::make_shared<std::string>();
    auto bundle = std::make_shared<std::string>();
    CLI::App* cmd = group->add_subcommand("report", "the buyer's report: owners, accidents, maintenance, odometer, flags");
    cmd->add_option("vin", *vin, "vin")->required();
    cmd->add_option("--bundle", *bundle,
                    "write a proof bundle of every record, endorsement and decision to this file (instead of "
                    "printing the report), "
                    "checkable offline with `verify-bundle` (docs/proofs.md)");
    on_run(cmd, ctx, [&ctx, vin, bundle] {
      if (!bundle->empty()) return write_vehicle_bundle(ctx, normal_vin(*vin), *bundle);
      api::QueryRequest q;
      q.mutable_vehicles()->mutable_report()->set_vin(normal_vin(*vin));
      return ctx.run_query(q);
    });
  }
  add_query(group, ctx, "records", "every record of a vehicle, whatever its status", "vin",
            [](Context&, const std::string& vin) -> Outcome<api::QueryRequest> {
              api::QueryRequest q;
              q.mutable_vehicles()->mutable_records()->set_vin(normal_vin(vin));
              return q;
            });
  add_query(group, ctx, "record", "one record with its endorsements", "record",
            [](Context&, const std::string& text) -> Outcome<api::QueryRequest> {
              Outcome<std::string> id = parse_id(text, "record id");
              if (!id) return id.failure();
              api::QueryRequest q;
              q.mutable_vehicles()->mutable_record()->set_record_id(*id);
              return q;
            });
  {
    struct Args {
      std::string after;
      std::uint64_t limit = 0;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand("pending", "records waiting for endorsements or acceptance");
    cmd->add_option("--after", a->after, "continue after this record id");
    cmd->add_option("--limit", a->limit, "records to list (default 100)")->check(tools::decimal(0, 1000));
    on_run(cmd, ctx, [&ctx, a] {
      api::QueryRequest q;
      pb::PendingRecords* p = q.mutable_vehicles()->mutable_pending();
      if (!a->after.empty()) {
        Outcome<std::string> id = parse_id(a->after, "--after");
        if (!id) return ctx.fail(id.failure());
        p->set_after_id(*id);
      }
      p->set_limit(static_cast<std::uint32_t>(a->limit));
      return ctx.run_query(q);
    });
  }
  {
    auto owner = std::make_shared<std::string>();
    CLI::App* cmd = group->add_subcommand("list", "the vehicles an account owns");
    cmd->add_option("--owner", *owner, "an address or a key name")->required();
    on_run(cmd, ctx, [&ctx, owner] {
      Outcome<std::string> who = ctx.resolve_address(*owner);
      if (!who) return ctx.fail(who.failure());
      api::QueryRequest q;
      q.mutable_vehicles()->mutable_of_owner()->set_owner(*who);
      return ctx.run_query(q);
    });
  }
}

}  // namespace sharechain::wallet
