// Standalone split models: co-edited by their parties, active once all confirm one version.
#include <algorithm>
#include <map>
#include <set>

#include "contracts/amounts.hpp"
#include "contracts/encoding.hpp"
#include "contracts/ledger/ledger.hpp"
#include "contracts/revenue/revenue.hpp"
#include "contracts/revenue/split.hpp"

namespace sharechain::contracts::revenue {

namespace {

constexpr std::uint64_t kMinPeriodMs = 60'000;
constexpr int kMaxParties = 32;

std::string model_key(std::string_view id) { return key(std::string_view("revenue/model/"), id); }

Checked<pb::Model> require_model(const StateReader& state, std::string_view id) {
  if (!is_id(id)) return Refusal::invalid("a split model id is 16 bytes");
  auto m = load<pb::Model>(state, model_key(id));
  if (!m) return Refusal::not_found("no split model " + show_id(id));
  return *m;
}

const pb::Party* find_party(const pb::ModelTerms& t, std::string_view account) {
  for (const auto& p : t.parties()) {
    if (p.account() == account) return &p;
  }
  return nullptr;
}

Outcome validate_terms(const pb::ModelTerms& t) {
  if (t.name().empty() || t.name().size() > 128) {
    return Refusal::invalid("a split model's name must be 1 to 128 bytes");
  }
  if (t.parties_size() == 0 || t.parties_size() > kMaxParties) {
    return Refusal::invalid("a split model has 1 to 32 parties");
  }
  std::set<std::string> seen;
  std::vector<std::uint32_t> shares;
  for (const auto& p : t.parties()) {
    if (!is_address(p.account())) return Refusal::invalid("a party must be a 20-byte address");
    if (!p.payout().empty() && !is_address(p.payout())) {
      return Refusal::invalid("a payout account must be a 20-byte address");
    }
    if (!seen.insert(p.account()).second) {
      return Refusal::invalid(show_address(p.account()) + " is listed twice");
    }
    if (p.label().size() > 64) return Refusal::invalid("a party label exceeds 64 bytes");
    shares.push_back(p.share_bps());
  }
  SC_TRY(check_shares(shares));
  if (t.settlement_period_ms() != 0 && t.settlement_period_ms() < kMinPeriodMs) {
    return Refusal::invalid(
        "a settlement period is 0 (split every payment) or at least "
        "one minute");
  }
  return Outcome::ok();
}

std::string describe_parties(const pb::ModelTerms& t) {
  std::string out;
  for (const auto& p : t.parties()) {
    if (!out.empty()) out += ";";
    out += show_address(p.account()) + "=" + std::to_string(p.share_bps());
  }
  return out;
}

// A readable list of what an edit changed, so every party sees it in the event.
std::string describe_changes(const pb::ModelTerms& before, const pb::ModelTerms& after) {
  std::vector<std::string> changes;
  if (before.name() != after.name()) {
    changes.push_back("name \"" + before.name() + "\" -> \"" + after.name() + "\"");
  }
  if (before.settlement_period_ms() != after.settlement_period_ms()) {
    changes.push_back("settlement period " + std::to_string(before.settlement_period_ms()) +
                      " ms -> " + std::to_string(after.settlement_period_ms()) + " ms");
  }
  for (const auto& p : before.parties()) {
    const pb::Party* q = find_party(after, p.account());
    if (q == nullptr) {
      changes.push_back("removed " + show_address(p.account()));
    } else {
      if (q->share_bps() != p.share_bps()) {
        changes.push_back("share of " + show_address(p.account()) + " " +
                          std::to_string(p.share_bps()) + " -> " + std::to_string(q->share_bps()) +
                          " bps");
      }
      if (q->payout() != p.payout()) {
        changes.push_back("payout of " + show_address(p.account()) + " changed");
      }
    }
  }
  for (const auto& q : after.parties()) {
    if (find_party(before, q.account()) == nullptr) {
      changes.push_back("added " + show_address(q.account()) + " at " +
                        std::to_string(q.share_bps()) + " bps");
    }
  }
  if (changes.empty()) return "no change";
  std::string out;
  for (const auto& c : changes) {
    if (!out.empty()) out += "; ";
    out += c;
  }
  return out;
}

bool confirmed_by(const pb::Model& m, std::string_view who) {
  return std::any_of(m.confirmations().begin(), m.confirmations().end(),
                     [&](const std::string& c) { return c == who; });
}

void add_confirmation(pb::Model& m, const std::string& who) {
  std::vector<std::string> c(m.confirmations().begin(), m.confirmations().end());
  c.push_back(who);
  std::sort(c.begin(), c.end());
  m.clear_confirmations();
  for (auto& x : c) m.add_confirmations(x);
}

// Activates the model if every party has confirmed the current version.
void maybe_activate(TxContext& ctx, pb::Model& m) {
  for (const auto& p : m.terms().parties()) {
    if (!confirmed_by(m, p.account())) return;
  }
  m.set_status(pb::ACTIVE);
  m.set_activated_at_ms(ctx.now_ms());
  m.set_last_settled_at_ms(ctx.now_ms());
  ctx.emit(kContract, "ModelActivated",
           {{"model", id_value(m.id())},
            {"version", number(m.version())},
            {"parties", describe_parties(m.terms())}});
}

std::vector<Recipient> recipients_of(const pb::ModelTerms& t) {
  std::vector<Recipient> out;
  for (const auto& p : t.parties()) out.push_back({p.account(), p.payout(), p.share_bps()});
  return out;
}

Outcome settle_pot(TxContext& ctx, pb::Model& m) {
  std::uint64_t amount = ledger::balance_of(ctx.state(), m.pot());
  if (amount == 0) return Outcome::ok();
  auto parts =
      distribute(ctx, m.pot(), amount, recipients_of(m.terms()), {"model", m.id(), "", ""});
  if (!parts.is_ok()) return parts.refusal();
  return Outcome::ok();
}

Outcome do_propose(TxContext& ctx, const pb::ProposeModel& p) {
  SC_TRY(validate_terms(p.terms()));
  if (find_party(p.terms(), ctx.sender()) == nullptr) {
    return Refusal::denied("the proposer of a split model must be one of its parties");
  }
  pb::Model m;
  m.set_id(ctx.new_id("split-model"));
  m.set_version(1);
  m.set_status(pb::DRAFT);
  *m.mutable_terms() = p.terms();
  m.set_proposer(ctx.sender());
  m.set_last_editor(ctx.sender());
  m.set_created_at_ms(ctx.now_ms());
  m.set_pot(ledger::derived_address("model", m.id()));
  add_confirmation(m, ctx.sender());
  ctx.emit(kContract, "ModelProposed",
           {{"model", id_value(m.id())},
            {"version", "1"},
            {"proposer", address_value(ctx.sender())},
            {"name", p.terms().name()},
            {"parties", describe_parties(p.terms())}});
  maybe_activate(ctx, m);
  save(ctx.state(), model_key(m.id()), m);
  return Outcome::ok();
}

Outcome do_edit(TxContext& ctx, const pb::EditModel& e) {
  auto m = require_model(ctx.state(), e.model_id());
  if (!m.is_ok()) return m.refusal();
  if (find_party(m->terms(), ctx.sender()) == nullptr) {
    return Refusal::denied(show_address(ctx.sender()) + " is not a party of split model " +
                           show_id(e.model_id()));
  }
  if (e.base_version() != m->version()) {
    return Refusal::precondition("the edit is based on version " +
                                 std::to_string(e.base_version()) + " but the model is at " +
                                 "version " + std::to_string(m->version()));
  }
  SC_TRY(validate_terms(e.terms()));
  if (e.note().size() > 256) return Refusal::invalid("the note exceeds 256 bytes");
  // Income received under the current version is split by it before the terms change (a
  // refusal here would let anyone block edits by paying a unit into the pot).
  std::uint64_t waiting = ledger::balance_of(ctx.state(), m->pot());
  if (waiting > 0) {
    SC_TRY(settle_pot(ctx, *m));
    m->set_last_settled_at_ms(ctx.now_ms());
    ctx.emit(kContract, "ModelSettled",
             {{"model", id_value(m->id())}, {"amount", number(waiting)}});
  }
  std::string changes = describe_changes(m->terms(), e.terms());
  *m->mutable_terms() = e.terms();
  m->set_version(m->version() + 1);
  m->set_status(pb::DRAFT);
  m->set_last_editor(ctx.sender());
  m->clear_confirmations();
  if (find_party(e.terms(), ctx.sender()) != nullptr) add_confirmation(*m, ctx.sender());
  ctx.emit(kContract, "ModelEdited",
           {{"model", id_value(m->id())},
            {"version", number(m->version())},
            {"editor", address_value(ctx.sender())},
            {"changes", changes},
            {"note", e.note()},
            {"parties", describe_parties(e.terms())}});
  maybe_activate(ctx, *m);
  save(ctx.state(), model_key(m->id()), *m);
  return Outcome::ok();
}

Outcome do_confirm(TxContext& ctx, const pb::ConfirmModel& c) {
  auto m = require_model(ctx.state(), c.model_id());
  if (!m.is_ok()) return m.refusal();
  if (find_party(m->terms(), ctx.sender()) == nullptr) {
    return Refusal::denied(show_address(ctx.sender()) + " is not a party of split model " +
                           show_id(c.model_id()));
  }
  if (c.version() != m->version()) {
    return Refusal::precondition("version " + std::to_string(c.version()) +
                                 " is not the current version " + std::to_string(m->version()) +
                                 "; review the latest edit");
  }
  if (m->status() == pb::ACTIVE) {
    return Refusal::exists("split model " + show_id(c.model_id()) + " is already active");
  }
  if (confirmed_by(*m, ctx.sender())) {
    return Refusal::exists(show_address(ctx.sender()) + " already confirmed version " +
                           std::to_string(m->version()));
  }
  add_confirmation(*m, ctx.sender());
  ctx.emit(kContract, "ModelConfirmed",
           {{"model", id_value(m->id())},
            {"version", number(m->version())},
            {"party", address_value(ctx.sender())}});
  maybe_activate(ctx, *m);
  save(ctx.state(), model_key(m->id()), *m);
  return Outcome::ok();
}

Outcome do_route(TxContext& ctx, const pb::RouteIncome& r) {
  auto m = require_model(ctx.state(), r.model_id());
  if (!m.is_ok()) return m.refusal();
  if (m->status() != pb::ACTIVE) {
    return Refusal::precondition("split model " + show_id(r.model_id()) +
                                 " is not active: every party must confirm version " +
                                 std::to_string(m->version()) + " first");
  }
  if (r.amount() == 0) return Refusal::invalid("the amount must be greater than zero");
  if (r.memo().size() > 256) return Refusal::invalid("the memo exceeds 256 bytes");
  SC_TRY(ledger::transfer(ctx, ctx.sender(), m->pot(), r.amount(),
                          "income for split model " + show_id(m->id())));
  auto total = checked_add(m->income_total(), r.amount());
  if (!total) return Refusal::range("the model's income total would overflow");
  m->set_income_total(*total);
  ctx.emit(kContract, "IncomeRouted",
           {{"model", id_value(m->id())},
            {"payer", address_value(ctx.sender())},
            {"amount", number(r.amount())},
            {"memo", r.memo()}});
  if (m->terms().settlement_period_ms() == 0) SC_TRY(settle_pot(ctx, *m));
  save(ctx.state(), model_key(m->id()), *m);
  return Outcome::ok();
}

Outcome do_settle(TxContext& ctx, const pb::SettleModel& s) {
  auto m = require_model(ctx.state(), s.model_id());
  if (!m.is_ok()) return m.refusal();
  if (find_party(m->terms(), ctx.sender()) == nullptr &&
      !ledger::has_role(ctx.state(), ctx.sender(), ledger::kDataServer)) {
    return Refusal::denied("settling split model " + show_id(s.model_id()) +
                           " needs one of its parties or a data_server");
  }
  if (m->terms().settlement_period_ms() == 0) {
    return Refusal::precondition("split model " + show_id(s.model_id()) +
                                 " splits every payment at once; there is nothing to settle");
  }
  if (m->status() != pb::ACTIVE) {
    return Refusal::precondition("split model " + show_id(s.model_id()) + " is not active");
  }
  auto due = checked_add(m->last_settled_at_ms(), m->terms().settlement_period_ms());
  if (!due || ctx.now_ms() < *due) {
    return Refusal::precondition(
        "the settlement period has not passed: the next settlement "
        "is due at " +
        (due ? std::to_string(*due) : "never") + " ms");
  }
  std::uint64_t amount = ledger::balance_of(ctx.state(), m->pot());
  if (amount == 0) return Refusal::precondition("no income awaits settlement");
  SC_TRY(settle_pot(ctx, *m));
  m->set_last_settled_at_ms(ctx.now_ms());
  ctx.emit(kContract, "ModelSettled",
           {{"model", id_value(m->id())}, {"amount", number(amount)}});
  save(ctx.state(), model_key(m->id()), *m);
  return Outcome::ok();
}

}  // namespace

Outcome execute(TxContext& ctx, const pb::Call& call) {
  switch (call.action_case()) {
    case pb::Call::kPropose:
      return do_propose(ctx, call.propose());
    case pb::Call::kEdit:
      return do_edit(ctx, call.edit());
    case pb::Call::kConfirm:
      return do_confirm(ctx, call.confirm());
    case pb::Call::kRoute:
      return do_route(ctx, call.route());
    case pb::Call::kSettle:
      return do_settle(ctx, call.settle());
    case pb::Call::ACTION_NOT_SET:
      break;
  }
  return Refusal::invalid("the revenue call names no action");
}

Result<pb::QueryResult> query(const StateReader& state, const pb::Query& q) {
  pb::QueryResult out;
  switch (q.query_case()) {
    case pb::Query::kModel: {
      auto m = require_model(state, q.model().model_id());
      if (!m.is_ok()) {
        return Status(
            m.refusal().status == RECEIPT_NOT_FOUND ? Code::kNotFound : Code::kInvalidArgument,
            m.refusal().message);
      }
      *out.mutable_model() = *m;
      return out;
    }
    case pb::Query::kIncome: {
      const auto& iq = q.income();
      if (!is_address(iq.party())) return Status::invalid_argument("a party address is 20 bytes");
      std::uint32_t limit = iq.limit() == 0 ? 100 : std::min<std::uint32_t>(iq.limit(), 1000);
      auto* list = out.mutable_income();
      *list->mutable_stats() = party_stats(state, iq.party());
      std::string prefix = key(std::string_view("revenue/income/"), iq.party());
      state.scan(prefix, [&](std::string_view k, std::string_view raw) {
        auto seq = read_be64(k.substr(prefix.size()));
        if (!seq) halt("an income key is malformed");
        if (*seq < iq.from_seq()) return true;
        if (!list->add_entries()->ParseFromString(std::string(raw))) {
          halt("an income entry does not decode");
        }
        return static_cast<std::uint32_t>(list->entries_size()) < limit;
      });
      return out;
    }
    case pb::Query::kCreditScore: {
      const std::string& party = q.credit_score().party();
      if (!is_address(party)) return Status::invalid_argument("a party address is 20 bytes");
      auto* cs = out.mutable_credit_score();
      cs->set_party(party);
      *cs->mutable_stats() = party_stats(state, party);
      cs->set_score(credit_score(cs->stats()));
      return out;
    }
    case pb::Query::kPreviewSplit: {
      const auto& p = q.preview_split();
      auto parts = split_by_shares(
          p.amount(), std::vector<std::uint32_t>(p.shares_bps().begin(), p.shares_bps().end()));
      if (!parts.is_ok()) return Status::invalid_argument(parts.refusal().message);
      for (auto v : *parts) out.mutable_preview_split()->add_parts(v);
      return out;
    }
    case pb::Query::QUERY_NOT_SET:
      break;
  }
  return Status::invalid_argument("the revenue query names no query");
}

}  // namespace sharechain::contracts::revenue
