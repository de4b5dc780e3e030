// `sharechain agreement ...`: usage agreements over an asset (the usage contract).
//   propose, amend (starts from the current terms; options given replace their part), confirm,
//   suspend, terminate, settle; queries show, list.
#include <map>

#include "sharechain/usage.pb.h"
#include "tools/common/cli.hpp"
#include "tools/wallet/args.hpp"
#include "tools/wallet/context.hpp"

namespace sharechain::wallet {
namespace {

namespace pb = ::sharechain::usage;

constexpr std::uint64_t kMinuteMs = 60'000;
constexpr std::uint64_t kMaxMinutes = 1'000'000'000;  // far beyond any rule, far below overflow
// Reservation rules a proposal starts from, so a simple agreement needs only items and partners.
constexpr std::uint64_t kDefaultSlotMinutes = 30;
constexpr std::uint64_t kDefaultMaxMinutes = 240;
constexpr std::uint64_t kDefaultCancelMinutes = 60;

// The options that make up an agreement's terms. For `amend` only the options given change.
struct TermsArgs {
  std::vector<std::string> items;
  std::vector<std::string> partners;
  std::uint64_t deposit = 0;
  std::string hours;
  std::uint64_t slot_minutes = 0;
  std::uint64_t max_minutes = 0;
  std::uint64_t cancel_minutes = 0;
  std::string qualification;
  std::uint64_t payment_due_minutes = 0;
  std::string settlement;
  std::uint64_t period_hours = 0;
  std::map<std::string, CLI::Option*> given;

  bool has(const std::string& name) const { return given.at(name)->count() > 0; }
};

void add_terms_options(CLI::App* cmd, TermsArgs& t) {
  auto& g = t.given;
  g["item"] = cmd->add_option("--item", t.items,
                              "ID:NAME:EQUIPMENT_TYPE:BASIS:PRICE, repeatable; BASIS is minute, kwh or "
                              "fixed; PRICE in units per minute, per kWh or per use");
  g["partner"] = cmd->add_option("--partner", t.partners,
                                 "ACCOUNT:SHARE_BPS[:LABEL], repeatable; shares sum to 10000 and "
                                 "include the asset's owner");
  g["deposit"] = cmd->add_option("--deposit", t.deposit, "units held per reservation before access")
                     ->check(tools::decimal());
  g["hours"] = cmd->add_option("--hours", t.hours, "bookable hours HH:MM-HH:MM, UTC (default: always)");
  const auto minutes = tools::decimal(0, kMaxMinutes);
  g["slot"] = cmd->add_option("--slot-minutes", t.slot_minutes,
                              "reservations start and end on slots; divides a day (proposal default 30)")
                  ->check(minutes);
  g["max"] = cmd->add_option("--max-minutes", t.max_minutes, "longest reservation (proposal default 240)")
                 ->check(minutes);
  g["cancel"] = cmd->add_option("--cancel-minutes", t.cancel_minutes,
                                "free cancellation until this long before the start (proposal default 60)")
                    ->check(minutes);
  g["qualification"] = cmd->add_option("--qualification", t.qualification,
                                       "qualification users need, e.g. certified_technician");
  g["due"] = cmd->add_option("--payment-due-minutes", t.payment_due_minutes,
                             "time to pay after the charge is requested (0 = 24 h)")
                 ->check(minutes);
  g["settlement"] = cmd->add_option("--settlement", t.settlement,
                                    "per-payment (split at once) or periodic (accumulate, settle per period)");
  g["period"] = cmd->add_option("--period-hours", t.period_hours, "settlement period for periodic")
                    ->check(tools::decimal(0, kMaxMinutes / 60));
}

Outcome<pb::ChargeBasis> parse_basis(const std::string& text) {
  if (text == "minute" || text == "per_minute") return pb::PER_MINUTE;
  if (text == "kwh" || text == "per_kwh") return pb::PER_KWH;
  if (text == "fixed") return pb::FIXED;
  return Failure::usage("charge basis '" + text + "' is not minute, kwh or fixed");
}

// Changes `terms` by the options given (all of them for a proposal).
Outcome<bool> apply_terms(Context& ctx, const TermsArgs& a, pb::Terms& terms) {
  if (a.has("item")) {
    terms.clear_items();
    for (const std::string& text : a.items) {
      auto f = split_fields(text, 5, 5, "--item", "ID:NAME:EQUIPMENT_TYPE:BASIS:PRICE");
      if (!f) return f.failure();
      Outcome<pb::ChargeBasis> basis = parse_basis((*f)[3]);
      if (!basis) return basis.failure();
      Outcome<std::uint64_t> price = parse_number((*f)[4], "--item price");
      if (!price) return price.failure();
      pb::ServiceItem* item = terms.add_items();
      item->set_id((*f)[0]);
      item->set_name((*f)[1]);
      item->set_equipment_type((*f)[2]);
      item->set_basis(*basis);
      item->set_price(*price);
    }
  }
  if (a.has("partner")) {
    terms.clear_partners();
    for (const std::string& text : a.partners) {
      auto f = split_fields(text, 2, 3, "--partner", "ACCOUNT:SHARE_BPS[:LABEL]");
      if (!f) return f.failure();
      Outcome<std::string> account = ctx.resolve_address((*f)[0]);
      if (!account) return account.failure();
      Outcome<std::uint64_t> bps = parse_number((*f)[1], "--partner share", 1, 10'000);
      if (!bps) return bps.failure();
      pb::Partner* p = terms.add_partners();
      p->set_account(*account);
      p->set_share_bps(static_cast<std::uint32_t>(*bps));
      if (f->size() == 3) p->set_label((*f)[2]);
    }
  }
  if (a.has("deposit")) terms.set_deposit(a.deposit);
  pb::ReservationRules* rules = terms.mutable_rules();
  if (a.has("hours")) {
    const auto dash = a.hours.find('-');
    if (dash == std::string::npos) return Failure::usage("--hours '" + a.hours + "' is not HH:MM-HH:MM");
    Outcome<std::uint32_t> open = parse_minute_of_day(a.hours.substr(0, dash), "--hours");
    if (!open) return open.failure();
    Outcome<std::uint32_t> close = parse_minute_of_day(a.hours.substr(dash + 1), "--hours");
    if (!close) return close.failure();
    rules->set_open_minute(*open);
    rules->set_close_minute(*close);
  }
  if (a.has("slot")) rules->set_slot_ms(a.slot_minutes * kMinuteMs);
  if (a.has("max")) rules->set_max_length_ms(a.max_minutes * kMinuteMs);
  if (a.has("cancel")) rules->set_cancellation_window_ms(a.cancel_minutes * kMinuteMs);
  if (a.has("qualification")) rules->set_required_qualification(a.qualification);
  if (a.has("due")) rules->set_payment_due_ms(a.payment_due_minutes * kMinuteMs);
  if (a.has("settlement")) {
    if (a.settlement == "per-payment" || a.settlement == "per_payment") {
      terms.set_settlement(pb::PER_PAYMENT);
    } else if (a.settlement == "periodic") {
      terms.set_settlement(pb::PERIODIC);
    } else {
      return Failure::usage("--settlement '" + a.settlement + "' is not per-payment or periodic");
    }
  }
  if (a.has("period")) terms.set_settlement_period_ms(a.period_hours * 60 * kMinuteMs);
  return true;
}

Outcome<std::string> agreement_id(const std::string& text) { return parse_id(text, "agreement id"); }

// The agreement as the chain holds it now (for defaults: the current version and terms).
Outcome<pb::Agreement> current_agreement(Context& ctx, const std::string& id) {
  api::QueryRequest q;
  q.mutable_usage()->mutable_agreement()->set_agreement_id(id);
  Outcome<api::QueryResponse> r = ctx.query(q);
  if (!r) return r.failure();
  if (!r->usage().has_agreement()) return Failure::refused("the node returned no agreement");
  return r->usage().agreement();
}

}  // namespace

void register_agreement_commands(CLI::App& app, Context& ctx) {
  CLI::App* group = app.add_subcommand("agreement", "usage agreements: terms, partners, confirmation");
  group->require_subcommand(1);

  {
    struct Args {
      TxOptions tx;
      std::string asset;
      TermsArgs terms;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand(
        "propose", "propose an agreement for an asset (a partner; counts as its confirmation)");
    add_tx_options(cmd, a->tx);
    cmd->add_option("--asset", a->asset, "asset id")->required();
    add_terms_options(cmd, a->terms);
    on_run(cmd, ctx, [&ctx, a] {
      if (!a->terms.has("item") || !a->terms.has("partner")) {
        return ctx.fail(Failure::usage("an agreement needs at least one --item and one --partner"));
      }
      Outcome<std::string> asset = parse_id(a->asset, "--asset");
      if (!asset) return ctx.fail(asset.failure());
      pb::Terms terms;
      terms.mutable_rules()->set_slot_ms(kDefaultSlotMinutes * kMinuteMs);
      terms.mutable_rules()->set_max_length_ms(kDefaultMaxMinutes * kMinuteMs);
      terms.mutable_rules()->set_cancellation_window_ms(kDefaultCancelMinutes * kMinuteMs);
      if (Outcome<bool> ok = apply_terms(ctx, a->terms, terms); !ok) return ctx.fail(ok.failure());
      return ctx.submit(
          a->tx,
          [&](TransactionBody& b) {
            pb::ProposeAgreement* p = b.mutable_usage()->mutable_propose();
            p->set_asset_id(*asset);
            *p->mutable_terms() = terms;
          },
          "propose a usage agreement for asset " + a->asset);
    });
  }
  {
    struct Args {
      TxOptions tx;
      std::string agreement;
      std::optional<std::uint64_t> base_version;
      TermsArgs terms;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand(
        "amend", "change an agreement's terms (a partner); every partner must confirm again");
    add_tx_options(cmd, a->tx);
    cmd->add_option("--agreement", a->agreement, "agreement id")->required();
    cmd->add_option("--base-version", a->base_version,
                    "the version being amended (default: the current one)")
        ->check(tools::decimal(1));
    add_terms_options(cmd, a->terms);
    on_run(cmd, ctx, [&ctx, a] {
      Outcome<std::string> id = agreement_id(a->agreement);
      if (!id) return ctx.fail(id.failure());
      Outcome<pb::Agreement> current = current_agreement(ctx, *id);
      if (!current) return ctx.fail(current.failure());
      pb::Terms terms = current->terms();
      if (Outcome<bool> ok = apply_terms(ctx, a->terms, terms); !ok) return ctx.fail(ok.failure());
      const std::uint64_t base = a->base_version.value_or(current->version());
      return ctx.submit(
          a->tx,
          [&](TransactionBody& b) {
            pb::AmendAgreement* m = b.mutable_usage()->mutable_amend();
            m->set_agreement_id(*id);
            m->set_base_version(base);
            *m->mutable_terms() = terms;
          },
          "amend agreement " + a->agreement + " (version " + std::to_string(base) + ")");
    });
  }
  {
    struct Args {
      TxOptions tx;
      std::string agreement;
      std::optional<std::uint64_t> version;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand("confirm", "confirm an agreement's terms (a partner)");
    add_tx_options(cmd, a->tx);
    cmd->add_option("--agreement", a->agreement, "agreement id")->required();
    cmd->add_option("--version", a->version, "the version confirmed (default: the current one)")
        ->check(tools::decimal(1));
    on_run(cmd, ctx, [&ctx, a] {
      Outcome<std::string> id = agreement_id(a->agreement);
      if (!id) return ctx.fail(id.failure());
      std::uint64_t version = 0;
      if (a->version) {
        version = *a->version;
      } else {
        // Confirming whatever is current would confirm terms nobody read; name what was read.
        Outcome<pb::Agreement> current = current_agreement(ctx, *id);
        if (!current) return ctx.fail(current.failure());
        version = current->version();
      }
      return ctx.submit(
          a->tx,
          [&](TransactionBody& b) {
            pb::ConfirmAgreement* c = b.mutable_usage()->mutable_confirm();
            c->set_agreement_id(*id);
            c->set_version(version);
          },
          "confirm version " + std::to_string(version) + " of agreement " + a->agreement);
    });
  }
  for (const char* verb : {"suspend", "terminate", "settle"}) {
    struct Args {
      TxOptions tx;
      std::string agreement;
      std::string reason;
    };
    auto a = std::make_shared<Args>();
    const std::string v = verb;
    const char* help = v == "suspend"     ? "suspend an active agreement (a partner or data_server)"
                       : v == "terminate" ? "end an agreement for good (a partner)"
                                          : "split a periodic agreement's income for the period (a "
                                            "partner or data_server)";
    CLI::App* cmd = group->add_subcommand(verb, help);
    add_tx_options(cmd, a->tx);
    cmd->add_option("--agreement", a->agreement, "agreement id")->required();
    if (v != "settle") cmd->add_option("--reason", a->reason, "why");
    on_run(cmd, ctx, [&ctx, a, v] {
      Outcome<std::string> id = agreement_id(a->agreement);
      if (!id) return ctx.fail(id.failure());
      return ctx.submit(
          a->tx,
          [&](TransactionBody& b) {
            pb::Call* call = b.mutable_usage();
            if (v == "suspend") {
              call->mutable_suspend()->set_agreement_id(*id);
              call->mutable_suspend()->set_reason(a->reason);
            } else if (v == "terminate") {
              call->mutable_terminate()->set_agreement_id(*id);
              call->mutable_terminate()->set_reason(a->reason);
            } else {
              call->mutable_settle()->set_agreement_id(*id);
            }
          },
          v + " agreement " + a->agreement);
    });
  }
  {
    auto id_text = std::make_shared<std::string>();
    CLI::App* cmd = group->add_subcommand("show", "an agreement: status, version, terms, confirmations");
    cmd->add_option("agreement", *id_text, "agreement id")->required();
    on_run(cmd, ctx, [&ctx, id_text] {
      Outcome<std::string> id = agreement_id(*id_text);
      if (!id) return ctx.fail(id.failure());
      api::QueryRequest q;
      q.mutable_usage()->mutable_agreement()->set_agreement_id(*id);
      return ctx.run_query(q);
    });
  }
  {
    auto asset = std::make_shared<std::string>();
    CLI::App* cmd = group->add_subcommand("list", "the agreements of an asset");
    cmd->add_option("--asset", *asset, "asset id")->required();
    on_run(cmd, ctx, [&ctx, asset] {
      Outcome<std::string> id = parse_id(*asset, "--asset");
      if (!id) return ctx.fail(id.failure());
      api::QueryRequest q;
      q.mutable_usage()->mutable_agreements_of_asset()->set_asset_id(*id);
      return ctx.run_query(q);
    });
  }
}

}  // namespace sharechain::wallet
