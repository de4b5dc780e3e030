// `sharechain session ...`: reservations, access, metered sessions and their payment (the usage
// contract).
//   reserve, pay-deposit, cancel, expire; access, end, pay, record-payment, overdue, dispute,
//   resolve; queries show, list, reservation, reservations, vehicle.
#include <functional>
#include <map>

#include "sharechain/usage.pb.h"
#include "tools/common/cli.hpp"
#include "tools/wallet/args.hpp"
#include "tools/wallet/context.hpp"

namespace sharechain::wallet {
namespace {

namespace pb = ::sharechain::usage;

Outcome<pb::ChargingMode> parse_mode(const std::string& text) {
  if (text.empty()) return pb::CHARGING_MODE_UNSPECIFIED;
  if (text == "amount") return pb::BY_AMOUNT;
  if (text == "time") return pb::BY_TIME;
  if (text == "energy") return pb::BY_ENERGY;
  if (text == "full") return pb::UNTIL_FULL;
  return Failure::usage("--mode '" + text + "' is not amount, time, energy or full");
}

Outcome<pb::EndKind> parse_end_kind(const std::string& text) {
  if (text == "normal") return pb::END_NORMAL;
  if (text == "user") return pb::END_BY_USER;
  if (text == "abnormal") return pb::END_ABNORMAL;
  return Failure::usage("--kind '" + text + "' is not normal, user or abnormal");
}

// "ITEM=N" pairs into `metered`, one entry per item.
Outcome<bool> add_metering(const std::vector<std::string>& pairs, const char* option, bool energy,
                           std::map<std::string, pb::Metered>& metered) {
  for (const std::string& p : pairs) {
    const auto eq = p.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Failure::usage(std::string(option) + " '" + p + "' is not ITEM=NUMBER");
    }
    Outcome<std::uint64_t> n = parse_number(p.substr(eq + 1), option);
    if (!n) return n.failure();
    pb::Metered& m = metered[p.substr(0, eq)];
    m.set_item_id(p.substr(0, eq));
    if (energy) {
      m.set_energy_wh(*n);
    } else {
      m.set_minutes(*n);
    }
  }
  return true;
}

}  // namespace

void register_session_commands(CLI::App& app, Context& ctx) {
  CLI::App* group = app.add_subcommand("session", "reservations, access, metered sessions and payment");
  group->require_subcommand(1);

  {
    struct Args {
      TxOptions tx;
      std::string agreement;
      std::string start;
      std::string end;
      std::vector<std::string> items;
      std::string user;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand(
        "reserve", "reserve a time window and service items (the user; or a data_server with --user)");
    add_tx_options(cmd, a->tx);
    cmd->add_option("--agreement", a->agreement, "agreement id")->required();
    cmd->add_option("--start", a->start, "start: ms since 1970 or UTC YYYY-MM-DDTHH:MM[:SS]Z")->required();
    cmd->add_option("--end", a->end, "end, same forms")->required();
    cmd->add_option("--item", a->items, "service item id, repeatable")->required();
    cmd->add_option("--user", a->user, "the user, when a data_server reserves on its behalf");
    on_run(cmd, ctx, [&ctx, a] {
      Outcome<std::string> id = parse_id(a->agreement, "--agreement");
      if (!id) return ctx.fail(id.failure());
      Outcome<std::uint64_t> start = parse_time_ms(a->start, "--start");
      if (!start) return ctx.fail(start.failure());
      Outcome<std::uint64_t> end = parse_time_ms(a->end, "--end");
      if (!end) return ctx.fail(end.failure());
      if (*end <= *start) return ctx.fail(Failure::usage("--end must be after --start"));
      std::string user;
      if (!a->user.empty()) {
        Outcome<std::string> u = ctx.resolve_address(a->user);
        if (!u) return ctx.fail(u.failure());
        user = *u;
      }
      return ctx.submit(
          a->tx,
          [&](TransactionBody& b) {
            pb::Reserve* r = b.mutable_usage()->mutable_reserve();
            r->set_agreement_id(*id);
            r->set_start_ms(*start);
            r->set_end_ms(*end);
            for (const std::string& item : a->items) r->add_item_ids(item);
            r->set_user(user);
          },
          "reserve " + tools::format_time_ms(*start) + " to " + tools::format_time_ms(*end) +
              " under agreement " + a->agreement);
    });
  }
  add_id_action(group, ctx, "pay-deposit", "pay a reservation's deposit into escrow (its user)",
                "reservation", [](TransactionBody& b, const std::string& id) {
                  b.mutable_usage()->mutable_pay_deposit()->set_reservation_id(id);
                });
  add_id_action(group, ctx, "cancel",
                "cancel a reservation (free until the cancellation window; then the deposit is a fee)",
                "reservation", [](TransactionBody& b, const std::string& id) {
                  b.mutable_usage()->mutable_cancel()->set_reservation_id(id);
                });
  add_id_action(group, ctx, "expire", "expire a reservation whose window passed unused (anyone)",
                "reservation", [](TransactionBody& b, const std::string& id) {
                  b.mutable_usage()->mutable_expire()->set_reservation_id(id);
                });
  {
    struct Args {
      TxOptions tx;
      std::string reservation;
      std::string vin;
      std::string mode;
      std::uint64_t limit = 0;
      std::string credential;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand(
        "access", "request access at the asset: opens a session (the user or a data_server)");
    add_tx_options(cmd, a->tx);
    cmd->add_option("--reservation", a->reservation, "reservation id")->required();
    cmd->add_option("--vin", a->vin, "vehicle VIN; a maintenance session adds to its history");
    cmd->add_option("--mode", a->mode, "charging piles: amount, time, energy or full");
    cmd->add_option("--limit", a->limit, "the mode's limit: units, minutes or Wh")->check(tools::decimal());
    cmd->add_option("--credential", a->credential, "how the user was identified (qr, plate, ...)");
    on_run(cmd, ctx, [&ctx, a] {
      Outcome<std::string> id = parse_id(a->reservation, "--reservation");
      if (!id) return ctx.fail(id.failure());
      Outcome<pb::ChargingMode> mode = parse_mode(a->mode);
      if (!mode) return ctx.fail(mode.failure());
      return ctx.submit(
          a->tx,
          [&](TransactionBody& b) {
            pb::RequestAccess* r = b.mutable_usage()->mutable_access();
            r->set_reservation_id(*id);
            r->set_vehicle_vin(a->vin);
            r->set_mode(*mode);
            r->set_limit(a->limit);
            r->set_credential(a->credential);
          },
          "request access for reservation " + a->reservation);
    });
  }
  {
    struct Args {
      TxOptions tx;
      std::string session;
      std::string kind = "normal";
      std::string reason;
      std::vector<std::string> minutes;
      std::vector<std::string> energy;
      std::vector<std::string> used;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand(
        "end", "end a session: the data_server with the meter, or the user with --kind user");
    add_tx_options(cmd, a->tx);
    cmd->add_option("--session", a->session, "session id")->required();
    cmd->add_option("--kind", a->kind, "normal, user or abnormal")->capture_default_str();
    cmd->add_option("--reason", a->reason, "why it ended (for user and abnormal ends)");
    cmd->add_option("--minutes", a->minutes, "ITEM=MINUTES metered for a per-minute item, repeatable");
    cmd->add_option("--energy-wh", a->energy, "ITEM=WH metered for a per-kWh item, repeatable");
    cmd->add_option("--used", a->used, "ITEM: a fixed-price item that was used, repeatable");
    on_run(cmd, ctx, [&ctx, a] {
      Outcome<std::string> id = parse_id(a->session, "--session");
      if (!id) return ctx.fail(id.failure());
      Outcome<pb::EndKind> kind = parse_end_kind(a->kind);
      if (!kind) return ctx.fail(kind.failure());
      std::map<std::string, pb::Metered> metered;
      for (Outcome<bool> ok : {add_metering(a->minutes, "--minutes", false, metered),
                               add_metering(a->energy, "--energy-wh", true, metered)}) {
        if (!ok) return ctx.fail(ok.failure());
      }
      // A fixed-price item is reported with neither minutes nor energy.
      for (const std::string& item : a->used) {
        if (item.empty() || metered.count(item) != 0) {
          return ctx.fail(Failure::usage("--used '" + item + "' is empty or already metered"));
        }
        metered[item].set_item_id(item);
      }
      return ctx.submit(
          a->tx,
          [&](TransactionBody& b) {
            pb::EndSession* e = b.mutable_usage()->mutable_end_session();
            e->set_session_id(*id);
            e->set_kind(*kind);
            e->set_reason(a->reason);
            for (const auto& [item, m] : metered) *e->add_metered() = m;
          },
          "end session " + a->session + " (" + a->kind + ")");
    });
  }
  add_id_action(group, ctx, "pay", "pay a session's charge on chain, deposit first (its user)", "session",
                [](TransactionBody& b, const std::string& id) { b.mutable_usage()->mutable_pay()->set_session_id(id); });
  add_id_action(group, ctx, "overdue", "record that a session was not paid in time (anyone)", "session",
                [](TransactionBody& b, const std::string& id) { b.mutable_usage()->mutable_report_overdue()->set_session_id(id); });
  {
    struct Args {
      TxOptions tx;
      std::string session;
      std::string reference;
      std::uint64_t amount = 0;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand(
        "record-payment", "record that the user paid a session off chain (data_server)");
    add_tx_options(cmd, a->tx);
    cmd->add_option("--session", a->session, "session id")->required();
    cmd->add_option("--reference", a->reference, "the off-chain payment's reference (used once)")->required();
    cmd->add_option("--amount", a->amount, "units paid; must equal the charge")->required()->check(tools::decimal(1));
    on_run(cmd, ctx, [&ctx, a] {
      Outcome<std::string> id = parse_id(a->session, "--session");
      if (!id) return ctx.fail(id.failure());
      return ctx.submit(
          a->tx,
          [&](TransactionBody& b) {
            pb::RecordExternalPayment* p = b.mutable_usage()->mutable_record_payment();
            p->set_session_id(*id);
            p->set_reference(a->reference);
            p->set_amount(a->amount);
          },
          "record payment " + a->reference + " of " + tools::format_amount(a->amount) + " for session " +
              a->session);
    });
  }
  {
    struct Args {
      TxOptions tx;
      std::string session;
      std::string reason;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand("dispute", "dispute a session (its user, a partner or a data_server)");
    add_tx_options(cmd, a->tx);
    cmd->add_option("--session", a->session, "session id")->required();
    cmd->add_option("--reason", a->reason, "what is wrong")->required();
    on_run(cmd, ctx, [&ctx, a] {
      Outcome<std::string> id = parse_id(a->session, "--session");
      if (!id) return ctx.fail(id.failure());
      return ctx.submit(
          a->tx,
          [&](TransactionBody& b) {
            b.mutable_usage()->mutable_dispute()->set_session_id(*id);
            b.mutable_usage()->mutable_dispute()->set_reason(a->reason);
          },
          "dispute session " + a->session);
    });
  }
  {
    struct Args {
      TxOptions tx;
      std::string session;
      std::string at_fault;
      std::optional<std::uint64_t> adjusted_charge;
      std::string note;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand("resolve", "resolve a session's dispute (data_server or operator)");
    add_tx_options(cmd, a->tx);
    cmd->add_option("--session", a->session, "session id")->required();
    cmd->add_option("--at-fault", a->at_fault, "the party whose credit history records the lost dispute");
    cmd->add_option("--adjusted-charge", a->adjusted_charge, "a lower charge for an unpaid session")
        ->check(tools::decimal());
    cmd->add_option("--note", a->note, "the resolution");
    on_run(cmd, ctx, [&ctx, a] {
      Outcome<std::string> id = parse_id(a->session, "--session");
      if (!id) return ctx.fail(id.failure());
      std::string at_fault;
      if (!a->at_fault.empty()) {
        Outcome<std::string> who = ctx.resolve_address(a->at_fault);
        if (!who) return ctx.fail(who.failure());
        at_fault = *who;
      }
      return ctx.submit(
          a->tx,
          [&](TransactionBody& b) {
            pb::ResolveDispute* r = b.mutable_usage()->mutable_resolve_dispute();
            r->set_session_id(*id);
            r->set_at_fault(at_fault);
            r->set_adjust(a->adjusted_charge.has_value());
            r->set_adjusted_charge(a->adjusted_charge.value_or(0));
            r->set_note(a->note);
          },
          "resolve the dispute on session " + a->session);
    });
  }

  add_query(group, ctx, "show", "a session: times, metering, charge, payment, split", "session",
            [](Context&, const std::string& text) -> Outcome<api::QueryRequest> {
              Outcome<std::string> id = parse_id(text, "session id");
              if (!id) return id.failure();
              api::QueryRequest q;
              q.mutable_usage()->mutable_session()->set_session_id(*id);
              return q;
            });
  add_query(group, ctx, "reservation", "a reservation", "reservation",
            [](Context&, const std::string& text) -> Outcome<api::QueryRequest> {
              Outcome<std::string> id = parse_id(text, "reservation id");
              if (!id) return id.failure();
              api::QueryRequest q;
              q.mutable_usage()->mutable_reservation()->set_reservation_id(*id);
              return q;
            });
  add_query(group, ctx, "reservations", "the live reservations of an asset", "asset",
            [](Context&, const std::string& text) -> Outcome<api::QueryRequest> {
              Outcome<std::string> id = parse_id(text, "asset id");
              if (!id) return id.failure();
              api::QueryRequest q;
              q.mutable_usage()->mutable_reservations_of_asset()->set_asset_id(*id);
              return q;
            });
  add_query(group, ctx, "vehicle", "the sessions that serviced a vehicle", "vin",
            [](Context&, const std::string& vin) -> Outcome<api::QueryRequest> {
              api::QueryRequest q;
              q.mutable_usage()->mutable_vehicle_sessions()->set_vin(vin);
              return q;
            });
  {
    struct Args {
      std::string user;
      bool unsettled = false;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand("list", "a user's sessions");
    cmd->add_option("--user", a->user, "an address or a key name")->required();
    cmd->add_flag("--unsettled", a->unsettled, "only sessions not yet paid");
    on_run(cmd, ctx, [&ctx, a] {
      Outcome<std::string> user = ctx.resolve_address(a->user);
      if (!user) return ctx.fail(user.failure());
      api::QueryRequest q;
      if (a->unsettled) {
        q.mutable_usage()->mutable_unsettled_of_user()->set_user(*user);
      } else {
        q.mutable_usage()->mutable_sessions_of_user()->set_user(*user);
      }
      return ctx.run_query(q);
    });
  }
}

}  // namespace sharechain::wallet
