// Revenue contract:
//  - split models: the proposer must be a party; refusals for shares not summing to 10,000,
//    duplicate parties, malformed payout accounts, too short a period
//  - co-editing: every edit is an event naming what changed; an edit bumps the version and
//    clears other confirmations; stale confirmations and edits are refused; ACTIVE only once
//    every party confirmed the same version
//  - routed income: refused before activation; split exactly (100 units at 1/3 each ->
//    34/33/33) and paid to each party's payout account; per-party income history
//  - periodic models: income waits in the pot and settles after the period; an edit first
//    settles what waits under the old version (a gift to the pot cannot block edits)
//  - credit score: the documented formula, its caps and its clamp to 0..1000
//  - the investor-distribution hook: every distribution to an asset's investor passes through
//    it (financing's seam), the passed-on part is recorded, the asset's income and return on
//    investment count the whole part; other parties and model income never reach it
#include "contracts/revenue/revenue.hpp"

#include <catch2/catch.hpp>

#include "contracts/ledger/ledger.hpp"
#include "usage_fixture.hpp"

using namespace sharechain;
using namespace sharechain::contracts;
using namespace sharechain::contracts::testing;

namespace {

std::vector<Actor> actors() {
  return {{"operator", 0, {"operator"}, ""},
          {"dataserver", 0, {"data_server"}, ""},
          {"ann", 1'000, {}, ""},
          {"ben", 1'000, {}, ""},
          {"cat", 1'000, {}, ""},
          {"payer", 100'000, {}, ""}};
}

rpb::ModelTerms model_terms(const std::vector<std::string>& who,
                            const std::vector<std::uint32_t>& bps, std::uint64_t period = 0) {
  rpb::ModelTerms t;
  t.set_name("co-op revenue");
  for (std::size_t i = 0; i < who.size(); ++i) {
    auto* p = t.add_parties();
    p->set_account(address_for(who[i]));
    p->set_share_bps(bps[i]);
    p->set_label(who[i]);
  }
  t.set_settlement_period_ms(period);
  return t;
}

rpb::Call propose(const rpb::ModelTerms& t) {
  rpb::Call c;
  *c.mutable_propose()->mutable_terms() = t;
  return c;
}
rpb::Call edit(const std::string& id, std::uint64_t base, const rpb::ModelTerms& t) {
  rpb::Call c;
  c.mutable_edit()->set_model_id(id);
  c.mutable_edit()->set_base_version(base);
  *c.mutable_edit()->mutable_terms() = t;
  c.mutable_edit()->set_note("rebalanced");
  return c;
}
rpb::Call confirm(const std::string& id, std::uint64_t version) {
  rpb::Call c;
  c.mutable_confirm()->set_model_id(id);
  c.mutable_confirm()->set_version(version);
  return c;
}
rpb::Call route(const std::string& id, std::uint64_t amount) {
  rpb::Call c;
  c.mutable_route()->set_model_id(id);
  c.mutable_route()->set_amount(amount);
  return c;
}
rpb::Call settle(const std::string& id) {
  rpb::Call c;
  c.mutable_settle()->set_model_id(id);
  return c;
}

lpb::Call transfer_call_to(const std::string& address, std::uint64_t amount) {
  lpb::Call c;
  c.mutable_transfer()->set_to(address);
  c.mutable_transfer()->set_amount(amount);
  return c;
}

rpb::Model model_of(const Chain& chain, const std::string& id) {
  api::QueryRequest q;
  q.mutable_revenue()->mutable_model()->set_model_id(id);
  auto r = chain.query(q);
  REQUIRE(r.is_ok());
  return r->revenue().model();
}

rpb::IncomeList income_of(const Chain& chain, const std::string& who, std::uint64_t from = 0,
                          std::uint32_t limit = 0) {
  api::QueryRequest q;
  auto* i = q.mutable_revenue()->mutable_income();
  i->set_party(address_for(who));
  i->set_from_seq(from);
  i->set_limit(limit);
  auto r = chain.query(q);
  REQUIRE(r.is_ok());
  return r->revenue().income();
}

std::string active_model(Chain& chain, const rpb::ModelTerms& t) {
  std::string id = event_id(must(chain.revenue("ann", propose(t))), "ModelProposed", "model");
  for (const auto& p : t.parties()) {
    if (p.account() == address_for("ann")) continue;
    for (const auto& name : {"ben", "cat"}) {
      if (p.account() == address_for(name)) must(chain.revenue(name, confirm(id, 1)));
    }
  }
  return id;
}

}  // namespace

TEST_CASE("split model proposals are validated", "[contracts][revenue]") {
  Chain chain(actors());
  auto refused = [&](const std::string& who, const rpb::ModelTerms& t, ReceiptStatus status,
                     const std::string& message) {
    auto r = chain.revenue(who, propose(t));
    INFO(message << " / got: " << r.error());
    CHECK(r.status() == status);
    CHECK(contains(r.error(), message));
  };
  refused("payer", model_terms({"ann", "ben"}, {5'000, 5'000}), RECEIPT_PERMISSION_DENIED,
          "must be one of its parties");
  refused("ann", model_terms({"ann", "ben"}, {5'000, 4'000}), RECEIPT_INVALID_ARGUMENT,
          "must sum to 10,000");
  refused("ann", model_terms({"ann", "ann"}, {5'000, 5'000}), RECEIPT_INVALID_ARGUMENT,
          "listed twice");
  refused("ann", model_terms({"ann", "ben"}, {5'000, 5'000}, 1'000), RECEIPT_INVALID_ARGUMENT,
          "at least one minute");
  auto t = model_terms({"ann", "ben"}, {5'000, 5'000});
  t.mutable_parties(1)->set_payout("short");
  refused("ann", t, RECEIPT_INVALID_ARGUMENT, "payout account");
  t = model_terms({"ann", "ben"}, {5'000, 5'000});
  t.clear_name();
  refused("ann", t, RECEIPT_INVALID_ARGUMENT, "name");
}

TEST_CASE("a model is active only when every party confirmed the same version",
          "[contracts][revenue]") {
  Chain chain(actors());
  auto r = must(
      chain.revenue("ann", propose(model_terms({"ann", "ben", "cat"}, {5'000, 3'000, 2'000}))));
  std::string id = event_id(r, "ModelProposed", "model");
  CHECK(model_of(chain, id).status() == rpb::DRAFT);
  must(chain.revenue("ben", confirm(id, 1)));

  // Cat edits before confirming: a new version, only cat's confirmation remains.
  auto e = must(
      chain.revenue("cat", edit(id, 1, model_terms({"ann", "ben", "cat"}, {4'000, 3'000, 3'000}))));
  const Event* edited = find_event(e, "ModelEdited");
  REQUIRE(edited != nullptr);
  CHECK(attr(*edited, "version") == "2");
  CHECK(contains(attr(*edited, "changes"), "5000 -> 4000 bps"));
  CHECK(contains(attr(*edited, "changes"), "2000 -> 3000 bps"));
  CHECK(attr(*edited, "note") == "rebalanced");
  auto m = model_of(chain, id);
  CHECK(m.version() == 2);
  CHECK(m.status() == rpb::DRAFT);
  REQUIRE(m.confirmations_size() == 1);
  CHECK(m.confirmations(0) == address_for("cat"));
  CHECK(m.last_editor() == address_for("cat"));

  CHECK(chain.revenue("ben", confirm(id, 1)).status() == RECEIPT_FAILED_PRECONDITION);
  CHECK(chain.revenue("ben", edit(id, 1, model_terms({"ann", "ben"}, {5'000, 5'000}))).status() ==
        RECEIPT_FAILED_PRECONDITION);
  CHECK(chain.revenue("payer", confirm(id, 2)).status() == RECEIPT_PERMISSION_DENIED);
  CHECK(chain.revenue("payer", route(id, 100)).status() == RECEIPT_FAILED_PRECONDITION);

  must(chain.revenue("ann", confirm(id, 2)));
  CHECK(model_of(chain, id).status() == rpb::DRAFT);
  auto last = must(chain.revenue("ben", confirm(id, 2)));
  CHECK(find_event(last, "ModelActivated") != nullptr);
  CHECK(model_of(chain, id).status() == rpb::ACTIVE);
  CHECK(chain.revenue("ben", confirm(id, 2)).status() == RECEIPT_ALREADY_EXISTS);

  // Editing an active model makes it a draft again.
  must(
      chain.revenue("ann", edit(id, 2, model_terms({"ann", "ben", "cat"}, {3'334, 3'333, 3'333}))));
  CHECK(model_of(chain, id).status() == rpb::DRAFT);
}

TEST_CASE("routed income is split exactly and recorded per party", "[contracts][revenue]") {
  Chain chain(actors());
  auto terms = model_terms({"ann", "ben", "cat"}, {3'334, 3'333, 3'333});
  terms.mutable_parties(2)->set_payout(address_for("cat-savings"));
  std::string id = active_model(chain, terms);
  REQUIRE(model_of(chain, id).status() == rpb::ACTIVE);
  std::uint64_t supply = chain.supply();

  auto r = must(chain.revenue("payer", route(id, 100)));
  CHECK(find_event(r, "IncomeRouted") != nullptr);
  CHECK(attr(*find_event(r, "IncomeSplit"), "parts") ==
        crypto::format_address(address_for("ann")) + "=34;" +
            crypto::format_address(address_for("ben")) + "=33;" +
            crypto::format_address(address_for("cat")) + "=33");
  CHECK(chain.balance("ann") == 1'034);
  CHECK(chain.balance("ben") == 1'033);
  CHECK(chain.balance("cat") == 1'000);
  CHECK(chain.balance("cat-savings") == 33);
  CHECK(chain.balance("payer") == 100'000 - 100);
  CHECK(chain.supply() == supply);
  CHECK(model_of(chain, id).income_total() == 100);

  must(chain.revenue("payer", route(id, 10'000)));
  auto ann = income_of(chain, "ann");
  REQUIRE(ann.entries_size() == 2);
  CHECK(ann.entries(0).amount() == 34);
  CHECK(ann.entries(1).amount() == 3'334);
  CHECK(ann.entries(1).seq() == 1);
  CHECK(ann.entries(0).source_kind() == "model");
  CHECK(ann.entries(0).source_id() == id);
  CHECK(ann.stats().income_total() == 3'368);
  auto cat = income_of(chain, "cat");
  CHECK(cat.entries(0).paid_to() == address_for("cat-savings"));
  CHECK(income_of(chain, "ann", 1).entries_size() == 1);
  CHECK(income_of(chain, "ann", 0, 1).entries_size() == 1);

  CHECK(chain.revenue("payer", route(id, 0)).status() == RECEIPT_INVALID_ARGUMENT);
  CHECK(chain.revenue("ann", route(id, 5'000)).status() == RECEIPT_INSUFFICIENT_FUNDS);
  CHECK(chain.revenue("payer", route(std::string(16, '\x05'), 1)).status() == RECEIPT_NOT_FOUND);
}

TEST_CASE("a periodic model settles its pot after each period", "[contracts][revenue]") {
  Chain chain(actors());
  std::string id = active_model(chain, model_terms({"ann", "ben"}, {7'500, 2'500}, kDay));
  must(chain.revenue("payer", route(id, 1'001)));
  must(chain.revenue("payer", route(id, 999)));
  CHECK(chain.balance("ann") == 1'000);
  CHECK(chain.balance_of_address(model_of(chain, id).pot()) == 2'000);

  auto early = chain.revenue("ben", settle(id));
  CHECK(early.status() == RECEIPT_FAILED_PRECONDITION);
  CHECK(contains(early.error(), "has not passed"));
  CHECK(chain.revenue("payer", settle(id)).status() == RECEIPT_PERMISSION_DENIED);

  chain.advance(kDay);
  auto r = must(chain.revenue("dataserver", settle(id)));
  CHECK(attr(*find_event(r, "ModelSettled"), "amount") == "2000");
  CHECK(chain.balance("ann") == 2'500);
  CHECK(chain.balance("ben") == 1'500);
  CHECK(chain.balance_of_address(model_of(chain, id).pot()) == 0);
  CHECK(chain.revenue("ben", settle(id)).status() == RECEIPT_FAILED_PRECONDITION);

  // An edit first settles what arrived under the version it replaces.
  must(chain.revenue("payer", route(id, 400)));
  auto edited =
      must(chain.revenue("ben", edit(id, 1, model_terms({"ann", "ben"}, {5'000, 5'000}, kDay))));
  CHECK(attr(*find_event(edited, "ModelSettled"), "amount") == "400");
  CHECK(chain.balance("ann") == 2'800);  // 75 % of 400
  CHECK(chain.balance("ben") == 1'600);
  CHECK(chain.balance_of_address(model_of(chain, id).pot()) == 0);
  // A model that splits every payment at once cannot be blocked by a gift to its pot either.
  std::string instant = active_model(chain, model_terms({"ann", "ben"}, {5'000, 5'000}));
  must(chain.ledger("payer", transfer_call_to(model_of(chain, instant).pot(), 7)));
  must(chain.revenue("ann", edit(instant, 1, model_terms({"ann", "ben"}, {6'000, 4'000}))));
  CHECK(chain.balance_of_address(model_of(chain, instant).pot()) == 0);
}

TEST_CASE("the credit score follows the documented formula", "[contracts][revenue]") {
  rpb::PartyStats s;
  CHECK(contracts::revenue::credit_score(s) == 500);
  s.set_payments_on_time(3);
  s.set_income_entries(2);
  CHECK(contracts::revenue::credit_score(s) == 500 + 30 + 10);
  s.set_payments_late(1);
  s.set_overdue_sessions(1);
  s.set_disputes_lost(1);
  CHECK(contracts::revenue::credit_score(s) == 540 - 40 - 100 - 150);
  // Good history is capped: at most +300 from payments and +100 from income.
  rpb::PartyStats best;
  best.set_payments_on_time(1'000'000);
  best.set_income_entries(UINT64_MAX);
  CHECK(contracts::revenue::credit_score(best) == 900);
  // Bad history clamps at zero without overflow.
  rpb::PartyStats worst;
  worst.set_overdue_sessions(UINT64_MAX);
  worst.set_disputes_lost(UINT64_MAX);
  worst.set_payments_late(UINT64_MAX);
  CHECK(contracts::revenue::credit_score(worst) == 0);

  Chain chain(actors());
  api::QueryRequest q;
  q.mutable_revenue()->mutable_credit_score()->set_party(address_for("newcomer"));
  auto r = chain.query(q);
  REQUIRE(r.is_ok());
  CHECK(r->revenue().credit_score().score() == 500);
  q.mutable_revenue()->mutable_credit_score()->set_party("bad");
  CHECK(chain.query(q).status().code() == Code::kInvalidArgument);
}

TEST_CASE("every distribution to an asset's investor passes the financing hook",
          "[contracts][revenue]") {
  StationWorld w;
  // A financing arrangement stand-in: 20% of the investor's income goes to a financier.
  std::vector<InvestorDistribution> seen;
  w.chain.hooks().investor_distribution =
      [&](TxContext& ctx, const InvestorDistribution& d) -> Checked<std::uint64_t> {
    seen.push_back(d);
    std::uint64_t passed = d.amount / 5;
    if (passed > 0) {
      auto moved =
          contracts::ledger::transfer(ctx, d.source, address_for("financier"), passed, "financing");
      if (!moved.is_ok()) return moved.refusal();
    }
    return d.amount - passed;
  };
  std::uint64_t supply = w.chain.supply();
  auto before_investor = w.chain.balance("investor");
  auto before_equipment = w.chain.balance("equipment");
  std::string session =
      w.start_session("tech", w.reserve("tech", kDay1 + 10 * kHour, kDay1 + 11 * kHour));
  w.chain.advance(45 * kMinute);
  must(w.chain.usage("dataserver",
                     end_call(session, upb::END_NORMAL, {{"lift", 45, 0}, {"diagnostic", 0, 0}})));
  must(w.chain.usage("tech", pay_call(session)));  // 950: investor's part 475

  REQUIRE(seen.size() == 1);
  CHECK(seen[0].asset_id == w.asset);
  CHECK(seen[0].investor == address_for("investor"));
  CHECK(seen[0].source == address_for("tech"));
  CHECK(seen[0].amount == 475);
  CHECK(seen[0].source_kind == "agreement");
  CHECK(seen[0].source_id == w.agreement);
  CHECK(w.chain.balance("financier") == 95);
  CHECK(w.chain.balance("investor") - before_investor == 380);
  CHECK(w.chain.balance("equipment") - before_equipment == 380);
  CHECK(w.chain.supply() == supply);

  auto inv = income_of(w.chain, "investor");
  REQUIRE(inv.entries_size() == 1);
  CHECK(inv.entries(0).amount() == 475);
  CHECK(inv.entries(0).passed_on() == 95);
  CHECK(inv.entries(0).asset_id() == w.asset);
  CHECK(inv.entries(0).session_id() == session);
  auto a = asset_of(w.chain, w.asset);
  CHECK(a.investor_income() == 475);
  CHECK(a.roi_bps() == 475 * 10'000 / 1'000'000);

  // A refusal inside the hook fails the whole payment.
  w.chain.hooks().investor_distribution =
      [](TxContext&, const InvestorDistribution&) -> Checked<std::uint64_t> {
    return Refusal::precondition("the financing agreement is being wound up");
  };
  std::string second =
      w.start_session("tech", w.reserve("tech", kDay1 + 12 * kHour, kDay1 + 13 * kHour));
  w.chain.advance(10 * kMinute);
  must(w.chain.usage("dataserver", end_call(second, upb::END_NORMAL, {{"lift", 10, 0}})));
  auto refused = w.chain.usage("tech", pay_call(second));
  CHECK(refused.status() == RECEIPT_FAILED_PRECONDITION);
  CHECK(contains(refused.error(), "wound up"));
  CHECK(session_of(w.chain, second).status() == upb::AWAITING_PAYMENT);
  CHECK(w.chain.escrow("tech") == 1'000);
}
