// `sharechain finance ...`: return on investment and financing rounds (the financing contract).
//   offer, subscribe, withdraw, close, cancel, complete; queries return, show, list, project,
//   position.
#include "sharechain/financing.pb.h"
#include "tools/common/cli.hpp"
#include "tools/wallet/args.hpp"
#include "tools/wallet/context.hpp"

namespace sharechain::wallet {

namespace pb = ::sharechain::financing;

void register_finance_commands(CLI::App& app, Context& ctx) {
  CLI::App* group = app.add_subcommand("finance", "return on investment and financing rounds");
  group->require_subcommand(1);

  {
    struct Args {
      TxOptions tx;
      std::string asset;
      std::uint64_t amount_sought = 0;
      std::uint64_t minimum_raise = 0;
      std::uint64_t share_bps = 0;
      std::uint64_t min_subscription = 0;
      std::string deadline;
      std::string term_ends;
      std::string note;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand(
        "offer", "offer financiers a share of your income from an asset (its owner)");
    add_tx_options(cmd, a->tx);
    cmd->add_option("--asset", a->asset, "asset id")->required();
    cmd->add_option("--amount-sought", a->amount_sought, "the most the round raises, in units")
        ->required()
        ->check(tools::decimal(1));
    cmd->add_option("--minimum-raise", a->minimum_raise, "the round succeeds from this much (default: all)")
        ->check(tools::decimal());
    cmd->add_option("--share-bps", a->share_bps, "basis points of each distribution passed to financiers")
        ->required()
        ->check(tools::decimal(1, 10'000));
    cmd->add_option("--min-subscription", a->min_subscription, "smallest subscription in units")
        ->check(tools::decimal());
    cmd->add_option("--deadline", a->deadline, "end of subscriptions: ms since 1970 or UTC YYYY-MM-DDTHH:MM[:SS]Z")
        ->required();
    cmd->add_option("--term-ends", a->term_ends, "end of the financiers' share, same forms")->required();
    cmd->add_option("--note", a->note, "what the funds are for");
    on_run(cmd, ctx, [&ctx, a] {
      Outcome<std::string> asset = parse_id(a->asset, "--asset");
      if (!asset) return ctx.fail(asset.failure());
      Outcome<std::uint64_t> deadline = parse_time_ms(a->deadline, "--deadline");
      if (!deadline) return ctx.fail(deadline.failure());
      Outcome<std::uint64_t> term_ends = parse_time_ms(a->term_ends, "--term-ends");
      if (!term_ends) return ctx.fail(term_ends.failure());
      if (*term_ends <= *deadline) return ctx.fail(Failure::usage("--term-ends must be after --deadline"));
      return ctx.submit(
          a->tx,
          [&](TransactionBody& b) {
            pb::OfferFinancing* o = b.mutable_financing()->mutable_offer();
            o->set_asset_id(*asset);
            pb::FinancingTerms* t = o->mutable_terms();
            t->set_amount_sought(a->amount_sought);
            t->set_minimum_raise(a->minimum_raise);
            t->set_share_bps(static_cast<std::uint32_t>(a->share_bps));
            t->set_min_subscription(a->min_subscription);
            t->set_deadline_ms(*deadline);
            t->set_term_ends_ms(*term_ends);
            t->set_note(a->note);
          },
          "offer financing of " + tools::format_amount(a->amount_sought) + " on asset " + a->asset);
    });
  }
  {
    struct Args {
      TxOptions tx;
      std::string financing;
      std::uint64_t amount = 0;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand("subscribe", "subscribe to an open round (held in escrow)");
    add_tx_options(cmd, a->tx);
    cmd->add_option("--financing", a->financing, "financing id")->required();
    cmd->add_option("--amount", a->amount, "units")->required()->check(tools::decimal(1));
    on_run(cmd, ctx, [&ctx, a] {
      Outcome<std::string> id = parse_id(a->financing, "--financing");
      if (!id) return ctx.fail(id.failure());
      return ctx.submit(
          a->tx,
          [&](TransactionBody& b) {
            b.mutable_financing()->mutable_subscribe()->set_financing_id(*id);
            b.mutable_financing()->mutable_subscribe()->set_amount(a->amount);
          },
          "subscribe " + tools::format_amount(a->amount) + " to financing " + a->financing);
    });
  }
  add_id_action(group, ctx, "withdraw", "withdraw your subscription while the round is open", "financing",
                [](TransactionBody& b, const std::string& id) {
                  b.mutable_financing()->mutable_withdraw()->set_financing_id(id);
                });
  add_id_action(group, ctx, "close", "close a round after its deadline (anyone): active or refunded",
                "financing", [](TransactionBody& b, const std::string& id) {
                  b.mutable_financing()->mutable_close_round()->set_financing_id(id);
                });
  add_id_action(group, ctx, "complete", "end an active financing whose term is over (anyone)", "financing",
                [](TransactionBody& b, const std::string& id) {
                  b.mutable_financing()->mutable_complete()->set_financing_id(id);
                });
  {
    struct Args {
      TxOptions tx;
      std::string financing;
      std::string reason;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand("cancel", "withdraw an open offer; everyone is refunded (the investor)");
    add_tx_options(cmd, a->tx);
    cmd->add_option("--financing", a->financing, "financing id")->required();
    cmd->add_option("--reason", a->reason, "why");
    on_run(cmd, ctx, [&ctx, a] {
      Outcome<std::string> id = parse_id(a->financing, "--financing");
      if (!id) return ctx.fail(id.failure());
      return ctx.submit(
          a->tx,
          [&](TransactionBody& b) {
            b.mutable_financing()->mutable_cancel()->set_financing_id(*id);
            b.mutable_financing()->mutable_cancel()->set_reason(a->reason);
          },
          "cancel financing " + a->financing);
    });
  }
  {
    struct Args {
      std::string asset;
      std::uint64_t from_period = 0;
      std::uint64_t limit = 0;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand("return", "an asset's return on investment, in total and per month");
    cmd->add_option("asset", a->asset, "asset id")->required();
    cmd->add_option("--from-period", a->from_period, "first month to list, as year*12 + month - 1")
        ->check(tools::decimal(0, UINT32_MAX));
    cmd->add_option("--limit", a->limit, "months to list (default 120)")->check(tools::decimal(0, 1200));
    on_run(cmd, ctx, [&ctx, a] {
      Outcome<std::string> id = parse_id(a->asset, "asset id");
      if (!id) return ctx.fail(id.failure());
      api::QueryRequest q;
      pb::GetReturn* r = q.mutable_financing()->mutable_asset_return();
      r->set_asset_id(*id);
      r->set_from_period(static_cast<std::uint32_t>(a->from_period));
      r->set_limit(static_cast<std::uint32_t>(a->limit));
      return ctx.run_query(q);
    });
  }
  add_query(group, ctx, "show", "a financing round with its track record and subscriptions", "financing",
            [](Context&, const std::string& text) -> Outcome<api::QueryRequest> {
              Outcome<std::string> id = parse_id(text, "financing id");
              if (!id) return id.failure();
              api::QueryRequest q;
              q.mutable_financing()->mutable_financing()->set_financing_id(*id);
              return q;
            });
  {
    struct Args {
      std::string asset;
      std::string financier;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand("list", "the rounds of an asset, or a financier's positions");
    auto* asset = cmd->add_option("--asset", a->asset, "asset id");
    auto* financier = cmd->add_option("--financier", a->financier, "an address or a key name");
    asset->excludes(financier);
    on_run(cmd, ctx, [&ctx, a] {
      api::QueryRequest q;
      if (!a->asset.empty()) {
        Outcome<std::string> id = parse_id(a->asset, "--asset");
        if (!id) return ctx.fail(id.failure());
        q.mutable_financing()->mutable_of_asset()->set_asset_id(*id);
      } else if (!a->financier.empty()) {
        Outcome<std::string> who = ctx.resolve_address(a->financier);
        if (!who) return ctx.fail(who.failure());
        q.mutable_financing()->mutable_of_financier()->set_financier(*who);
      } else {
        return ctx.fail(Failure::usage("give --asset or --financier"));
      }
      return ctx.run_query(q);
    });
  }
  {
    struct Args {
      std::string financing;
      std::uint64_t amount = 0;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand(
        "project", "the projected return of a subscription, from the asset's historic income");
    cmd->add_option("--financing", a->financing, "financing id")->required();
    cmd->add_option("--amount", a->amount, "units you would subscribe")->required()->check(tools::decimal(1));
    on_run(cmd, ctx, [&ctx, a] {
      Outcome<std::string> id = parse_id(a->financing, "--financing");
      if (!id) return ctx.fail(id.failure());
      api::QueryRequest q;
      q.mutable_financing()->mutable_project()->set_financing_id(*id);
      q.mutable_financing()->mutable_project()->set_amount(a->amount);
      return ctx.run_query(q);
    });
  }
  {
    struct Args {
      std::string financing;
      std::string financier;
      std::uint64_t from_seq = 0;
      std::uint64_t limit = 0;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand("position", "a financier's subscription, payouts and return");
    cmd->add_option("--financing", a->financing, "financing id")->required();
    cmd->add_option("--financier", a->financier, "an address or a key name")->required();
    cmd->add_option("--from-seq", a->from_seq, "first payout to list")->check(tools::decimal());
    cmd->add_option("--limit", a->limit, "payouts to list (default 100)")->check(tools::decimal(0, 1000));
    on_run(cmd, ctx, [&ctx, a] {
      Outcome<std::string> id = parse_id(a->financing, "--financing");
      if (!id) return ctx.fail(id.failure());
      Outcome<std::string> who = ctx.resolve_address(a->financier);
      if (!who) return ctx.fail(who.failure());
      api::QueryRequest q;
      pb::FinancierReturn* r = q.mutable_financing()->mutable_financier();
      r->set_financing_id(*id);
      r->set_financier(*who);
      r->set_from_seq(a->from_seq);
      r->set_limit(static_cast<std::uint32_t>(a->limit));
      return ctx.run_query(q);
    });
  }
}

}  // namespace sharechain::wallet
