// `sharechain split ...`: standalone revenue split models, income history and credit scores
// (the revenue contract).
//   propose, edit (starts from the current terms), confirm, route, settle; queries show,
//   income, score, preview.
#include "sharechain/revenue.pb.h"
#include "tools/common/cli.hpp"
#include "tools/wallet/args.hpp"
#include "tools/wallet/context.hpp"

namespace sharechain::wallet {
namespace {

namespace pb = ::sharechain::revenue;

struct ModelArgs {
  std::string name;
  std::vector<std::string> parties;
  std::uint64_t period_hours = 0;
  CLI::Option* name_opt = nullptr;
  CLI::Option* parties_opt = nullptr;
  CLI::Option* period_opt = nullptr;
};

void add_model_options(CLI::App* cmd, ModelArgs& m) {
  m.name_opt = cmd->add_option("--name", m.name, "the model's name");
  m.parties_opt = cmd->add_option("--party", m.parties,
                                  "ACCOUNT:SHARE_BPS[:PAYOUT[:LABEL]], repeatable; shares sum to 10000; "
                                  "PAYOUT (default ACCOUNT) receives the income");
  m.period_opt = cmd->add_option("--period-hours", m.period_hours,
                                 "settle accumulated income per period (0 = split every payment)")
                     ->check(tools::decimal(0, 1'000'000));
}

// Changes `terms` by the options given.
Outcome<bool> apply_model(Context& ctx, const ModelArgs& m, pb::ModelTerms& terms) {
  if (m.name_opt->count() > 0) terms.set_name(m.name);
  if (m.period_opt->count() > 0) terms.set_settlement_period_ms(m.period_hours * 3'600'000);
  if (m.parties_opt->count() > 0) {
    terms.clear_parties();
    for (const std::string& text : m.parties) {
      auto f = split_fields(text, 2, 4, "--party", "ACCOUNT:SHARE_BPS[:PAYOUT[:LABEL]]");
      if (!f) return f.failure();
      Outcome<std::string> account = ctx.resolve_address((*f)[0]);
      if (!account) return account.failure();
      Outcome<std::uint64_t> bps = parse_number((*f)[1], "--party share", 1, 10'000);
      if (!bps) return bps.failure();
      pb::Party* p = terms.add_parties();
      p->set_account(*account);
      p->set_share_bps(static_cast<std::uint32_t>(*bps));
      if (f->size() >= 3 && !(*f)[2].empty()) {
        Outcome<std::string> payout = ctx.resolve_address((*f)[2]);
        if (!payout) return payout.failure();
        p->set_payout(*payout);
      }
      if (f->size() == 4) p->set_label((*f)[3]);
    }
  }
  return true;
}

Outcome<std::string> model_id(const std::string& text) { return parse_id(text, "model id"); }

Outcome<pb::Model> current_model(Context& ctx, const std::string& id) {
  api::QueryRequest q;
  q.mutable_revenue()->mutable_model()->set_model_id(id);
  Outcome<api::QueryResponse> r = ctx.query(q);
  if (!r) return r.failure();
  if (!r->revenue().has_model()) return Failure::refused("the node returned no split model");
  return r->revenue().model();
}

}  // namespace

void register_split_commands(CLI::App& app, Context& ctx) {
  CLI::App* group = app.add_subcommand("split", "revenue split models, income history, credit scores");
  group->require_subcommand(1);

  {
    struct Args {
      TxOptions tx;
      ModelArgs model;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand("propose", "propose a split model (a party; counts as its confirmation)");
    add_tx_options(cmd, a->tx);
    add_model_options(cmd, a->model);
    a->model.name_opt->required();
    a->model.parties_opt->required();
    on_run(cmd, ctx, [&ctx, a] {
      pb::ModelTerms terms;
      if (Outcome<bool> ok = apply_model(ctx, a->model, terms); !ok) return ctx.fail(ok.failure());
      return ctx.submit(
          a->tx, [&](TransactionBody& b) { *b.mutable_revenue()->mutable_propose()->mutable_terms() = terms; },
          "propose split model '" + a->model.name + "'");
    });
  }
  {
    struct Args {
      TxOptions tx;
      std::string model;
      std::optional<std::uint64_t> base_version;
      std::string note;
      ModelArgs terms;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand(
        "edit", "change a model's terms (a party); every party must confirm again");
    add_tx_options(cmd, a->tx);
    cmd->add_option("--model", a->model, "model id")->required();
    cmd->add_option("--base-version", a->base_version, "the version being edited (default: the current one)")
        ->check(tools::decimal(1));
    cmd->add_option("--note", a->note, "what changed and why; every party sees it");
    add_model_options(cmd, a->terms);
    on_run(cmd, ctx, [&ctx, a] {
      Outcome<std::string> id = model_id(a->model);
      if (!id) return ctx.fail(id.failure());
      Outcome<pb::Model> current = current_model(ctx, *id);
      if (!current) return ctx.fail(current.failure());
      pb::ModelTerms terms = current->terms();
      if (Outcome<bool> ok = apply_model(ctx, a->terms, terms); !ok) return ctx.fail(ok.failure());
      const std::uint64_t base = a->base_version.value_or(current->version());
      return ctx.submit(
          a->tx,
          [&](TransactionBody& b) {
            pb::EditModel* e = b.mutable_revenue()->mutable_edit();
            e->set_model_id(*id);
            e->set_base_version(base);
            *e->mutable_terms() = terms;
            e->set_note(a->note);
          },
          "edit split model " + a->model + " (version " + std::to_string(base) + ")");
    });
  }
  {
    struct Args {
      TxOptions tx;
      std::string model;
      std::optional<std::uint64_t> version;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand("confirm", "confirm a model's current terms (a party)");
    add_tx_options(cmd, a->tx);
    cmd->add_option("--model", a->model, "model id")->required();
    cmd->add_option("--version", a->version, "the version confirmed (default: the current one)")
        ->check(tools::decimal(1));
    on_run(cmd, ctx, [&ctx, a] {
      Outcome<std::string> id = model_id(a->model);
      if (!id) return ctx.fail(id.failure());
      std::uint64_t version = 0;
      if (a->version) {
        version = *a->version;
      } else {
        Outcome<pb::Model> current = current_model(ctx, *id);
        if (!current) return ctx.fail(current.failure());
        version = current->version();
      }
      return ctx.submit(
          a->tx,
          [&](TransactionBody& b) {
            b.mutable_revenue()->mutable_confirm()->set_model_id(*id);
            b.mutable_revenue()->mutable_confirm()->set_version(version);
          },
          "confirm version " + std::to_string(version) + " of split model " + a->model);
    });
  }
  {
    struct Args {
      TxOptions tx;
      std::string model;
      std::uint64_t amount = 0;
      std::string memo;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand("route", "pay income from your balance into an active model");
    add_tx_options(cmd, a->tx);
    cmd->add_option("--model", a->model, "model id")->required();
    cmd->add_option("--amount", a->amount, "units")->required()->check(tools::decimal(1));
    cmd->add_option("--memo", a->memo, "a note");
    on_run(cmd, ctx, [&ctx, a] {
      Outcome<std::string> id = model_id(a->model);
      if (!id) return ctx.fail(id.failure());
      return ctx.submit(
          a->tx,
          [&](TransactionBody& b) {
            pb::RouteIncome* r = b.mutable_revenue()->mutable_route();
            r->set_model_id(*id);
            r->set_amount(a->amount);
            r->set_memo(a->memo);
          },
          "route " + tools::format_amount(a->amount) + " into split model " + a->model);
    });
  }
  {
    struct Args {
      TxOptions tx;
      std::string model;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand("settle", "split a model's accumulated income (a party or data_server)");
    add_tx_options(cmd, a->tx);
    cmd->add_option("--model", a->model, "model id")->required();
    on_run(cmd, ctx, [&ctx, a] {
      Outcome<std::string> id = model_id(a->model);
      if (!id) return ctx.fail(id.failure());
      return ctx.submit(
          a->tx, [&](TransactionBody& b) { b.mutable_revenue()->mutable_settle()->set_model_id(*id); },
          "settle split model " + a->model);
    });
  }
  {
    auto id_text = std::make_shared<std::string>();
    CLI::App* cmd = group->add_subcommand("show", "a model: status, version, parties, confirmations");
    cmd->add_option("model", *id_text, "model id")->required();
    on_run(cmd, ctx, [&ctx, id_text] {
      Outcome<std::string> id = model_id(*id_text);
      if (!id) return ctx.fail(id.failure());
      api::QueryRequest q;
      q.mutable_revenue()->mutable_model()->set_model_id(*id);
      return ctx.run_query(q);
    });
  }
  {
    struct Args {
      std::string party;
      std::uint64_t from_seq = 0;
      std::uint64_t limit = 0;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand("income", "a party's income history and statistics");
    cmd->add_option("party", a->party, "an address or a key name")->required();
    cmd->add_option("--from-seq", a->from_seq, "first entry to show")->check(tools::decimal());
    cmd->add_option("--limit", a->limit, "entries to show (default 100, at most 1000)")
        ->check(tools::decimal(0, 1000));
    on_run(cmd, ctx, [&ctx, a] {
      Outcome<std::string> party = ctx.resolve_address(a->party);
      if (!party) return ctx.fail(party.failure());
      api::QueryRequest q;
      pb::IncomeHistory* h = q.mutable_revenue()->mutable_income();
      h->set_party(*party);
      h->set_from_seq(a->from_seq);
      h->set_limit(static_cast<std::uint32_t>(a->limit));
      return ctx.run_query(q);
    });
  }
  {
    auto party = std::make_shared<std::string>();
    CLI::App* cmd = group->add_subcommand("score", "a party's credit score (0-1000) and what it is made of");
    cmd->add_option("party", *party, "an address or a key name")->required();
    on_run(cmd, ctx, [&ctx, party] {
      Outcome<std::string> address = ctx.resolve_address(*party);
      if (!address) return ctx.fail(address.failure());
      api::QueryRequest q;
      q.mutable_revenue()->mutable_credit_score()->set_party(*address);
      return ctx.run_query(q);
    });
  }
  {
    struct Args {
      std::uint64_t amount = 0;
      std::string shares;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand("preview", "how the chain would split an amount by shares");
    cmd->add_option("--amount", a->amount, "units")->required()->check(tools::decimal());
    cmd->add_option("--shares", a->shares, "basis points, comma-separated, summing to 10000 (5000,4000,500,500)")
        ->required();
    on_run(cmd, ctx, [&ctx, a] {
      Outcome<std::vector<std::uint64_t>> shares = parse_number_list(a->shares, "--shares", 10'000);
      if (!shares) return ctx.fail(shares.failure());
      api::QueryRequest q;
      pb::PreviewSplit* p = q.mutable_revenue()->mutable_preview_split();
      p->set_amount(a->amount);
      for (std::uint64_t s : *shares) p->add_shares_bps(static_cast<std::uint32_t>(s));
      return ctx.run_query(q);
    });
  }
}

}  // namespace sharechain::wallet
