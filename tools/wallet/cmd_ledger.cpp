// The ledger contract: transfer, issue, role grant|revoke|certify|decertify|holders, and the
// ledger queries supply, holds, validators, issue-record.
#include <array>

#include "sharechain/ledger.pb.h"
#include "tools/common/cli.hpp"
#include "tools/wallet/args.hpp"
#include "tools/wallet/context.hpp"

namespace sharechain::wallet {
namespace {

// The roles DOMAIN.md defines. Checking them here turns a typo into a usage error instead of a
// refused transaction that still uses up the sender's nonce.
constexpr std::array<std::string_view, 4> kRoles = {"operator", "data_server", "attester", "validator"};

CLI::Validator role_validator() {
  return CLI::Validator(
      [](std::string& role) -> std::string {
        for (std::string_view r : kRoles) {
          if (role == r) return "";
        }
        return "unknown role '" + role + "' (roles: operator, data_server, attester, validator)";
      },
      "ROLE", "role");
}

CLI::Option* add_amount(CLI::App* cmd, std::uint64_t& amount) {
  return cmd->add_option("--amount", amount, "amount in units (1 credit = 100 units)")
      ->required()
      ->check(tools::decimal(1));
}

}  // namespace

void register_ledger_commands(CLI::App& app, Context& ctx) {
  {
    struct Args {
      TxOptions tx;
      std::string to;
      std::uint64_t amount = 0;
      std::string memo;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = app.add_subcommand("transfer", "send credits from one of your keys to an account");
    add_tx_options(cmd, a->tx);
    cmd->add_option("--to", a->to, "recipient: an address (sc...) or a key name")->required();
    add_amount(cmd, a->amount);
    cmd->add_option("--memo", a->memo, "a note stored with the transfer");
    on_run(cmd, ctx, [&ctx, a] {
      Outcome<std::string> to = ctx.resolve_address(a->to);
      if (!to) return ctx.fail(to.failure());
      return ctx.submit(
          a->tx,
          [&](TransactionBody& body) {
            ledger::Transfer* t = body.mutable_ledger()->mutable_transfer();
            t->set_to(*to);
            t->set_amount(a->amount);
            t->set_memo(a->memo);
          },
          "transfer " + tools::format_amount(a->amount) + " from '" + a->tx.from + "' to " +
              crypto::format_address(*to));
    });
  }
  {
    struct Args {
      TxOptions tx;
      std::string to;
      std::uint64_t amount = 0;
      std::string reference;
      std::string memo;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = app.add_subcommand(
        "issue", "mint credits for an off-chain payment received (data_server or operator)");
    add_tx_options(cmd, a->tx);
    cmd->add_option("--to", a->to, "recipient: an address (sc...) or a key name")->required();
    add_amount(cmd, a->amount);
    cmd->add_option("--reference", a->reference,
                    "identifier of the off-chain payment; the chain refuses a repeated one")
        ->required();
    cmd->add_option("--memo", a->memo, "a note stored with the issue");
    on_run(cmd, ctx, [&ctx, a] {
      if (a->reference.empty()) return ctx.fail(Failure::usage("--reference must not be empty"));
      Outcome<std::string> to = ctx.resolve_address(a->to);
      if (!to) return ctx.fail(to.failure());
      return ctx.submit(
          a->tx,
          [&](TransactionBody& body) {
            ledger::Issue* i = body.mutable_ledger()->mutable_issue();
            i->set_to(*to);
            i->set_amount(a->amount);
            i->set_reference(a->reference);
            i->set_memo(a->memo);
          },
          "issue " + tools::format_amount(a->amount) + " to " + crypto::format_address(*to) +
              " (reference " + a->reference + ")");
    });
  }
  {
    CLI::App* role = app.add_subcommand(
        "role", "roles and qualifications: grant, revoke, certify, decertify, holders");
    role->require_subcommand(1);
    struct Args {
      TxOptions tx;
      std::string account;
      std::string role;
      std::string organisation;
    };
    for (const bool grant : {true, false}) {
      auto a = std::make_shared<Args>();
      CLI::App* cmd = role->add_subcommand(grant ? "grant" : "revoke",
                                           grant ? "give an account a role" : "take a role away");
      add_tx_options(cmd, a->tx);
      cmd->add_option("--account", a->account, "the account: an address (sc...) or a key name")->required();
      cmd->add_option("--role", a->role, "operator, data_server, attester or validator")
          ->required()
          ->check(role_validator());
      if (grant) {
        cmd->add_option("--organisation", a->organisation,
                        "organisation name (required for attester)");
      }
      on_run(cmd, ctx, [&ctx, a, grant] {
        if (grant && a->role == "attester" && a->organisation.empty()) {
          return ctx.fail(Failure::usage("the attester role needs --organisation"));
        }
        Outcome<std::string> account = ctx.resolve_address(a->account);
        if (!account) return ctx.fail(account.failure());
        const std::string summary = std::string(grant ? "grant" : "revoke") + " role " + a->role +
                                    (grant ? " to " : " from ") + crypto::format_address(*account);
        return ctx.submit(
            a->tx,
            [&](TransactionBody& body) {
              ledger::Call* call = body.mutable_ledger();
              if (grant) {
                ledger::GrantRole* g = call->mutable_grant_role();
                g->set_account(*account);
                g->set_role(a->role);
                g->set_organisation(a->organisation);
              } else {
                ledger::RevokeRole* r = call->mutable_revoke_role();
                r->set_account(*account);
                r->set_role(a->role);
              }
            },
            summary);
      });
    }
  }
  CLI::App* role = app.get_subcommand("role");
  for (const bool certify : {true, false}) {
    struct Args {
      TxOptions tx;
      std::string account;
      std::string qualification;
      std::string expires;
      std::string evidence_hash;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = role->add_subcommand(
        certify ? "certify" : "decertify",
        certify ? "certify that an account holds a qualification (data_server or operator)"
                : "withdraw a qualification (data_server or operator)");
    add_tx_options(cmd, a->tx);
    cmd->add_option("--account", a->account, "an address or a key name")->required();
    cmd->add_option("--qualification", a->qualification, "e.g. certified_technician")->required();
    if (certify) {
      cmd->add_option("--expires", a->expires, "expiry: ms since 1970 or UTC YYYY-MM-DDTHH:MM[:SS]Z");
      cmd->add_option("--evidence-hash", a->evidence_hash, "SHA-256 of the off-chain proof (64 hex)");
    }
    on_run(cmd, ctx, [&ctx, a, certify] {
      Outcome<std::string> account = ctx.resolve_address(a->account);
      if (!account) return ctx.fail(account.failure());
      std::uint64_t expires = 0;
      if (!a->expires.empty()) {
        Outcome<std::uint64_t> t = parse_time_ms(a->expires, "--expires");
        if (!t) return ctx.fail(t.failure());
        expires = *t;
      }
      std::string evidence;
      if (!a->evidence_hash.empty()) {
        Outcome<std::string> h = parse_hash32(a->evidence_hash, "--evidence-hash");
        if (!h) return ctx.fail(h.failure());
        evidence = *h;
      }
      return ctx.submit(
          a->tx,
          [&](TransactionBody& body) {
            if (certify) {
              ledger::Certify* c = body.mutable_ledger()->mutable_certify();
              c->set_account(*account);
              c->set_qualification(a->qualification);
              c->set_expires_at_ms(expires);
              c->set_evidence_hash(evidence);
            } else {
              ledger::Decertify* d = body.mutable_ledger()->mutable_decertify();
              d->set_account(*account);
              d->set_qualification(a->qualification);
            }
          },
          std::string(certify ? "certify " : "decertify ") + crypto::format_address(*account) + " as " +
              a->qualification);
    });
  }
  {
    auto name = std::make_shared<std::string>();
    CLI::App* cmd = role->add_subcommand("holders", "the accounts holding a role");
    cmd->add_option("role", *name, "operator, data_server, attester or validator")
        ->required()
        ->check(role_validator());
    on_run(cmd, ctx, [&ctx, name] {
      api::QueryRequest q;
      q.mutable_ledger()->mutable_role_holders()->set_role(*name);
      return ctx.run_query(q);
    });
  }

  CLI::App* group = app.add_subcommand("ledger", "ledger queries: supply, escrow holds, validators, issues");
  group->require_subcommand(1);
  {
    CLI::App* cmd = group->add_subcommand("supply", "credits issued, held in balances and in escrow");
    on_run(cmd, ctx, [&ctx] {
      api::QueryRequest q;
      q.mutable_ledger()->mutable_supply();
      return ctx.run_query(q);
    });
  }
  {
    CLI::App* cmd = group->add_subcommand("validators", "the validator set");
    on_run(cmd, ctx, [&ctx] {
      api::QueryRequest q;
      q.mutable_ledger()->mutable_validators();
      return ctx.run_query(q);
    });
  }
  {
    auto owner = std::make_shared<std::string>();
    CLI::App* cmd = group->add_subcommand("holds", "the escrow holds of an account");
    cmd->add_option("account", *owner, "an address or a key name")->required();
    on_run(cmd, ctx, [&ctx, owner] {
      Outcome<std::string> address = ctx.resolve_address(*owner);
      if (!address) return ctx.fail(address.failure());
      api::QueryRequest q;
      q.mutable_ledger()->mutable_holds()->set_owner(*address);
      return ctx.run_query(q);
    });
  }
  {
    auto reference = std::make_shared<std::string>();
    CLI::App* cmd = group->add_subcommand("issue-record", "the issue made under an off-chain payment reference");
    cmd->add_option("reference", *reference, "the payment reference")->required();
    on_run(cmd, ctx, [&ctx, reference] {
      api::QueryRequest q;
      q.mutable_ledger()->mutable_issue()->set_reference(*reference);
      return ctx.run_query(q);
    });
  }
}

}  // namespace sharechain::wallet
