// `sharechain audit`: the money invariants (contracts/invariants.hpp) over a range of history,
// from outside the node, with what the client API serves: blocks with their receipts, and the
// current state (accounts, supply, financings). docs/invariants.md says what this can and cannot
// see compared with the check a node runs after every block.
//
//  1. Every receipt of [from, to] through check_receipt_events: split_sum and financing_cap
//     exactly as the node checks them (the amount sought of a financing offered before `from`
//     is read from its record).
//  2. The state now (height Q >= to): balances + escrow equal the issued counter (supply); no
//     account holds more than was ever issued (negative_balance, a wrapped negative); every
//     financing the range touched has subscriptions summing to its subscribed total, within
//     the amount sought (financing_cap).
//  3. Walking back from Q to `from` through every receipt's ledger events (unwind_receipt): the
//     holdings of every account the events name, and the issued counter, stay within 0..2^64-1
//     (supply, negative_balance), which names the transaction that broke them.
//
// Exit codes: 0 clean, 1 a violation (printed), 2 bad arguments or the node cannot be reached or
// does not hold the range.
#include <algorithm>
#include <map>
#include <set>

#include "contracts/client.hpp"
#include "proto/crypto.hpp"
#include "tools/common/cli.hpp"
#include "tools/wallet/context.hpp"

namespace sharechain::wallet {
namespace {

namespace ct = ::sharechain::contracts;
__extension__ typedef unsigned __int128 Wide;

constexpr int kExitClean = 0;
constexpr int kExitViolation = 1;
constexpr int kExitCannot = 2;
// Reading the current state while blocks keep committing: fetch the new blocks and read again,
// this many times at most.
constexpr int kStateReadAttempts = 5;

// What an outside audit cannot check, as printed and in --json (docs/invariants.md).
const std::vector<std::string>& not_checked() {
  static const std::vector<std::string> list = {
      "per-block supply against the state: the client API serves only the current state, so "
      "balances after each block are replayed from events, and a movement that emitted no event "
      "is seen only in the current totals, without the transaction that made it",
      "accounts no event of the range names: only their current value is read",
      "the issued counter at each height: derived from the current counter minus the Issued "
      "events since; genesis allocations are not read (pass --from 1 and compare "
      "issued_before_range with the genesis file)",
      "financing records at past heights: read as they are now"};
  return list;
}

struct Args {
  std::uint64_t from = 0;  // 0: not given
  std::uint64_t to = 0;
};

Json violation_json(const ct::Violation& v) {
  return Json{{"invariant", v.invariant},
              {"height", v.height},
              {"tx_index", v.tx_hash.empty() ? Json(nullptr) : Json(v.tx_index)},
              {"tx_hash", v.tx_hash.empty() ? Json(nullptr) : Json(crypto::to_hex(v.tx_hash))},
              {"message", v.message}};
}

class Audit {
 public:
  Audit(Context& ctx, client::Node& node) : ctx_(ctx), node_(node) {}

  int run(const Args& args) {
    auto status = node_.status();
    if (!status) return cannot(status.error().message);
    const std::uint64_t tip = status->height();
    from_ = args.from == 0 ? 1 : args.from;
    to_ = args.to == 0 ? tip : args.to;
    if (tip == 0) return cannot("the chain at " + node_.address() + " has no blocks yet");
    if (to_ > tip) {
      return cannot("--to " + std::to_string(to_) + " is past the node's height " +
                    std::to_string(tip));
    }
    if (from_ > to_) {
      return cannot("--from " + std::to_string(from_) + " is after --to " + std::to_string(to_));
    }
    if (!status->history_complete() && from_ < status->history_from()) {
      return cannot("the node at " + node_.address() + " holds blocks from height " +
                    std::to_string(status->history_from()) +
                    " only (it is backfilling history); audit from there or ask another node");
    }
    if (int code = fetch_until(tip); code != kExitClean) return code;

    check_events();
    if (!violation_) {
      if (int code = read_state(); code != kExitClean) return code;
    }
    if (!violation_) check_state();
    if (!violation_) walk_back();
    return report();
  }

 private:
  int cannot(const std::string& why) {
    ctx_.err() << "error: " << why << "\n";
    return kExitCannot;
  }

  // Appends blocks up to `height` (inclusive) to blocks_.
  int fetch_until(std::uint64_t height) {
    for (std::uint64_t h = from_ + blocks_.size(); h <= height; ++h) {
      auto b = node_.block_at(h);
      if (!b) return cannot("reading block " + std::to_string(h) + ": " + b.error().message);
      blocks_.push_back(std::move(b).value());
    }
    return kExitClean;
  }

  void found(ct::Violation v) {
    if (!violation_) violation_ = std::move(v);
  }

  // Step 1: the receipts' own arithmetic, block by block.
  void check_events() {
    for (const api::BlockInfo& b : blocks_) {
      if (b.height() > to_) break;
      std::uint64_t issued = 0;
      for (const Receipt& r : b.receipts()) {
        learn_caps(r);
        if (auto v = ct::check_receipt_events(b.height(), r, caps_)) {
          found(*v);
          print_block(b, issued, false);
          return;
        }
        if (auto flows = ct::ledger_flows(r); flows.is_ok()) issued += flows->issued;
        ++transactions_;
      }
      issued_in_range_ += issued;
      ++blocks_checked_;
      print_block(b, issued, true);
    }
  }

  // The amount sought of financings the receipt names that the range did not offer.
  void learn_caps(const Receipt& r) {
    for (const Event& e : r.events()) {
      if (e.contract() != "financing") continue;
      for (const Attribute& a : e.attributes()) {
        if (a.key() != "financing" || a.typed_case() != Attribute::kId) continue;
        financings_.insert(a.id());
        if (e.name() == "FinancingOffered" || caps_.count(a.id()) != 0) continue;
        if (auto f = financing(a.id())) caps_[a.id()] = f->financing().terms().amount_sought();
      }
    }
  }

  std::optional<::sharechain::financing::FinancingView> financing(const std::string& id) {
    api::QueryRequest q;
    q.mutable_financing()->mutable_financing()->set_financing_id(id);
    auto r = node_.query(q);
    if (!r || !r->has_financing() || !r->financing().has_financing()) return std::nullopt;
    return r->financing().financing();
  }

  void print_block(const api::BlockInfo& b, std::uint64_t issued, bool ok) {
    blocks_json_.push_back(Json{{"height", b.height()},
                                {"transactions", b.receipts_size()},
                                {"issued", issued},
                                {"ok", ok}});
    if (ctx_.json()) return;
    ctx_.out() << "block " << b.height() << ": " << b.receipts_size() << " transactions";
    if (issued != 0) ctx_.out() << ", issued " << issued;
    ctx_.out() << (ok ? ": ok" : ": VIOLATION") << "\n";
  }

  // Step 2 input: the supply and the holdings of every account the events name, all read at
  // one height Q, with the blocks up to Q fetched.
  int read_state() {
    for (int attempt = 0; attempt < kStateReadAttempts; ++attempt) {
      std::set<std::string> addresses;
      for (const api::BlockInfo& b : blocks_) {
        for (const Receipt& r : b.receipts()) {
          auto flows = ct::ledger_flows(r);
          if (!flows.is_ok()) continue;  // walk_back reports it
          for (const auto& [addr, f] : flows->accounts) addresses.insert(addr);
        }
      }
      api::QueryRequest sq;
      sq.mutable_ledger()->mutable_supply();
      auto s = node_.query(sq);
      if (!s) return cannot("reading the supply: " + s.error().message);
      const std::uint64_t at = s->height();
      if (at < from_ + blocks_.size() - 1) {
        return cannot("the node answered from height " + std::to_string(at) +
                      ", below the blocks it served; ask a node that is synced");
      }
      if (int code = fetch_until(at); code != kExitClean) return code;
      supply_ = s->ledger().supply();
      holdings_.clear();
      bool moved = false;
      for (const std::string& addr : addresses) {
        api::QueryRequest q;
        q.mutable_ledger()->mutable_account()->set_address(addr);
        auto a = node_.query(q);
        if (!a) {
          if (a.error().message.find("no account") != std::string::npos) continue;  // zero
          return cannot("reading account " + crypto::format_address(addr) + ": " + a.error().message);
        }
        if (a->height() != at) {
          moved = true;
          break;
        }
        holdings_[addr] =
            ct::Holdings{a->ledger().account().balance(), a->ledger().account().escrow()};
      }
      if (!moved) {
        read_at_ = at;
        return kExitClean;
      }
    }
    return cannot(
        "the chain kept committing blocks while the audit read the state; try again, "
        "or audit a node that is not taking transactions");
  }

  // Step 2: the totals and records as they are now.
  void check_state() {
    auto at_tip = [&](std::string_view invariant, std::string message) {
      return ct::Violation{std::string(invariant), read_at_, 0, "",
                           message + " (read from the node's state at height " +
                               std::to_string(read_at_) + "; the transaction is not known)"};
    };
    const Wide held = static_cast<Wide>(supply_.balances()) + supply_.escrow();
    if (held != supply_.issued()) {
      found(at_tip(ct::kInvariantSupply, "balances " + std::to_string(supply_.balances()) +
                                             " plus escrow " + std::to_string(supply_.escrow()) +
                                             " differ from the " +
                                             std::to_string(supply_.issued()) + " units issued"));
      return;
    }
    for (const auto& [addr, h] : holdings_) {
      if (static_cast<Wide>(h.balance) + h.escrow > supply_.issued()) {
        found(at_tip(ct::kInvariantNegativeBalance,
                     crypto::format_address(addr) + " holds " + std::to_string(h.balance) + " + " +
                         std::to_string(h.escrow) + " in escrow, more than the " +
                         std::to_string(supply_.issued()) +
                         " units ever issued: a balance went below zero and wrapped"));
        return;
      }
    }
    for (const std::string& id : financings_) {
      auto view = financing(id);
      if (!view) continue;
      ++financings_checked_;
      const auto& f = view->financing();
      const std::uint64_t sought = f.terms().amount_sought();
      Wide subs = 0;
      for (const auto& s : view->subscriptions()) subs += s.amount();
      std::string problem;
      if (f.subscribed() > sought) {
        problem = "records " + std::to_string(f.subscribed()) + " subscribed";
      } else if (f.raised() > sought) {
        problem = "records " + std::to_string(f.raised()) + " raised";
      } else if (subs > sought) {
        problem = "holds subscriptions totalling more than that";
      } else if (f.status() == ::sharechain::financing::FINANCING_OPEN && subs != f.subscribed()) {
        problem = "records " + std::to_string(f.subscribed()) +
                  " subscribed but its subscriptions differ from that";
      }
      if (!problem.empty()) {
        found(at_tip(ct::kInvariantFinancingCap, "financing " + crypto::to_hex(id) + " offered " +
                                                     std::to_string(sought) + " and " + problem));
        return;
      }
    }
  }

  // Step 3: every receipt from Q back to `from`, newest first.
  void walk_back() {
    auto holdings = holdings_;
    Wide issued = supply_.issued();
    for (auto b = blocks_.rbegin(); b != blocks_.rend(); ++b) {
      for (int i = b->receipts_size() - 1; i >= 0; --i) {
        const Receipt& r = b->receipts(i);
        if (auto v = ct::unwind_receipt(b->height(), r, holdings)) {
          found(*v);
          return;
        }
        auto flows = ct::ledger_flows(r);
        if (flows->issued > issued) {
          found(ct::Violation{std::string(ct::kInvariantSupply), b->height(), r.index(),
                              r.tx_hash(),
                              "the Issued events since this transaction total more than the "
                              "node's issued counter now holds: credits were created without "
                              "counting them, or burned without an event"});
          return;
        }
        issued -= flows->issued;
      }
    }
    accounts_replayed_ = holdings.size();
    issued_before_range_ = static_cast<std::uint64_t>(issued);
    walked_ = true;
  }

  int report() {
    const bool clean = !violation_;
    if (ctx_.json()) {
      Json j{{"from", from_},
             {"to", to_},
             {"read_at_height", read_at_},
             {"blocks_checked", blocks_checked_},
             {"transactions_checked", transactions_},
             {"issued_in_range", issued_in_range_},
             {"supply",
              {{"issued", supply_.issued()},
               {"balances", supply_.balances()},
               {"escrow", supply_.escrow()},
               {"issued_before_range", walked_ ? Json(issued_before_range_) : Json(nullptr)}}},
             {"accounts_replayed", accounts_replayed_},
             {"financings_checked", financings_checked_},
             {"blocks", blocks_json_},
             {"violation", clean ? Json(nullptr) : violation_json(*violation_)},
             {"not_checked_from_outside", not_checked()},
             {"ok", clean}};
      ctx_.out() << j.dump() << "\n";
      return clean ? kExitClean : kExitViolation;
    }
    std::ostream& out = ctx_.out();
    if (!clean) {
      out << "VIOLATION: " << violation_->describe() << "\n";
      return kExitViolation;
    }
    out << "supply at height " << read_at_ << ": issued " << supply_.issued() << " = balances "
        << supply_.balances() << " + escrow " << supply_.escrow() << ": ok\n"
        << "replayed " << accounts_replayed_ << " accounts back from height " << read_at_ << " to "
        << from_ << ": ok (issued before height " << from_ << ": " << issued_before_range_
        << "; issued in the range: " << issued_in_range_ << ")\n"
        << "financings checked against their records: " << financings_checked_ << ": ok\n"
        << "not checked from outside:\n";
    for (const std::string& s : not_checked()) out << "  - " << s << "\n";
    out << "audit of heights " << from_ << "-" << to_ << " (" << blocks_checked_ << " blocks, "
        << transactions_ << " transactions): clean\n";
    return kExitClean;
  }

  Context& ctx_;
  client::Node& node_;
  std::uint64_t from_ = 1;
  std::uint64_t to_ = 0;
  std::vector<api::BlockInfo> blocks_;  // from_ .. read_at_
  ct::FinancingCaps caps_;
  std::set<std::string> financings_;
  std::optional<ct::Violation> violation_;
  std::uint64_t blocks_checked_ = 0;
  std::uint64_t transactions_ = 0;
  std::uint64_t issued_in_range_ = 0;
  Json blocks_json_ = Json::array();
  ::sharechain::ledger::Supply supply_;
  std::uint64_t read_at_ = 0;
  std::map<std::string, ct::Holdings, std::less<>> holdings_;
  std::uint64_t accounts_replayed_ = 0;
  std::uint64_t financings_checked_ = 0;
  std::uint64_t issued_before_range_ = 0;
  bool walked_ = false;
};

}  // namespace

void register_audit_commands(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "audit",
      "check the money invariants (supply, split_sum, financing_cap, negative_balance) over a "
      "range of blocks; exit 0 clean, 1 a violation, 2 bad arguments or no node");
  cmd->add_option("--from", a->from, "first height to check (default: 1)")
      ->check(tools::decimal(1));
  cmd->add_option("--to", a->to, "last height to check (default: the node's height)")
      ->check(tools::decimal(1));
  on_run(cmd, ctx, [&ctx, a] {
    Outcome<client::Node*> c = ctx.client();
    if (!c) {
      ctx.fail(c.failure());
      return kExitCannot;
    }
    Audit audit(ctx, **c);
    return audit.run(*a);
  });
}

}  // namespace sharechain::wallet
