// The money invariants (contracts/invariants.hpp):
//  - clean blocks pass: a block of five transfers (one refused) and an issuance; a paid session
//    split 5,000 / 4,000 / 500 / 500; an off-chain payment (issuance into the pot); a financing
//    offered, subscribed by two financiers, activated, and its pool paid out of the next income
//  - supply: a test-only hook that credits the investor 1,000 units from nowhere is named
//    `supply` at the right height and transaction (index 1 of its block, with its hash); an
//    issued counter that moves without an Issued event too
//  - split_sum: parts announced off by one (5,001 / 4,000 / 500 / 500); one unit moved between
//    two partners (the sum still right, not the exact split); a financiers' pool paid short
//  - financing_cap: a financing record with more subscribed than sought; a Subscribed event
//    past the amount sought (what the outside audit sees)
//  - negative_balance: a transfer of 800 out of 500 that wrapped the payer's balance; the same
//    seen from outside by walking back from the current holdings (unwind_receipt)
//  - unwind_receipt: money that left an account without an event is `supply`
//  - Violation::describe names the invariant, the height, the index and the hash
#include "contracts/invariants.hpp"

#include <catch2/catch.hpp>

#include "contracts/ledger/ledger.hpp"
#include "finance_fixture.hpp"

using namespace sharechain;
using namespace sharechain::contracts;
using namespace sharechain::contracts::testing;

namespace {

namespace lg = ::sharechain::contracts::ledger;

TransactionBody body_of(const lpb::Call& c) {
  TransactionBody b;
  *b.mutable_ledger() = c;
  return b;
}
TransactionBody body_of(const upb::Call& c) {
  TransactionBody b;
  *b.mutable_usage() = c;
  return b;
}

struct World {
  StationWorld w{lift_and_diagnostic_terms()};
  Chain& chain = w.chain;

  World() {
    for (const auto& who : {"alice", "bob"}) {
      must(chain.ledger("dataserver", issue_call(who, 50'000, std::string("fund-") + who)));
    }
    must(chain.ledger("dataserver", issue_call("tech", 100'000, "fund-tech")));
  }
  // A one-hour visit that used the lift for an hour and one diagnostic run: 10,000 to pay.
  std::string ended_session(std::uint64_t start) {
    std::string session = w.start_session("tech", w.reserve("tech", start, start + kHour));
    chain.advance(60 * kMinute);
    must(chain.usage("dataserver",
                     end_call(session, upb::END_NORMAL, {{"lift", 60, 0}, {"diagnostic", 0, 0}})));
    return session;
  }
  // Executes a block on the current state without applying it.
  BlockResult execute(const std::vector<tx::VerifiedTransaction>& txs) {
    BlockContext ctx{kChainId, chain.height() + 1, chain.time_ms(), 0};
    return execute_block(chain.state(), ctx, txs, chain.hooks());
  }
};

Event* find_mut(Receipt& r, const std::string& name, int nth = 0) {
  for (auto& e : *r.mutable_events()) {
    if (e.name() == name && nth-- == 0) return &e;
  }
  return nullptr;
}
Attribute* attr_mut(Event& e, const std::string& key) {
  for (auto& a : *e.mutable_attributes()) {
    if (a.key() == key) return &a;
  }
  return nullptr;
}
void set_number(Event& e, const std::string& key, std::uint64_t v) {
  Attribute* a = attr_mut(e, key);
  REQUIRE(a != nullptr);
  a->set_number(v);
  a->set_value(std::to_string(v));
}

Attribute number_attr(const std::string& key, std::uint64_t v) {
  Attribute a;
  a.set_key(key);
  a.set_value(std::to_string(v));
  a.set_number(v);
  return a;
}
Attribute address_attr(const std::string& key, const std::string& who) {
  Attribute a;
  a.set_key(key);
  a.set_value(crypto::format_address(address_for(who)));
  a.set_address(address_for(who));
  return a;
}
std::string account_bytes(const std::string& who, std::uint64_t balance, std::uint64_t escrow = 0) {
  lpb::Account a;
  a.set_address(address_for(who));
  a.set_balance(balance);
  a.set_escrow(escrow);
  return a.SerializeAsString();
}

bool has(const std::string& text, const std::string& needle) {
  INFO(text);
  return text.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("transfers, issuance, split payments and financing pass", "[contracts][invariants]") {
  World f;
  Chain& c = f.chain;

  // Five transfers in one block, one of them refused for funds, and an issuance.
  std::vector<tx::VerifiedTransaction> txs;
  txs.push_back(c.make_tx("alice", body_of(transfer_call("bob", 1'000))));
  txs.push_back(c.make_tx("bob", body_of(transfer_call("alice", 2'500))));
  txs.push_back(c.make_tx("alice", body_of(transfer_call("driver", 700)), 1));
  txs.push_back(c.make_tx("driver", body_of(transfer_call("bob", 999'999))));  // refused
  txs.push_back(c.make_tx("bob", body_of(transfer_call("platform", 1)), 1));
  txs.push_back(c.make_tx("dataserver", body_of(issue_call("driver", 3'000, "cash-1"))));
  const std::uint64_t supply = c.supply();
  auto receipts = c.run_block(txs);
  CHECK(receipts[3].status() == RECEIPT_INSUFFICIENT_FUNDS);
  const InvariantReport& block = c.last_invariants();
  CHECK(block.ok());
  CHECK(block.issued_in_block == 3'000);
  CHECK(block.issued_after == block.issued_before + 3'000);
  CHECK(block.issued_after == supply + 3'000);
  CHECK(block.burned_in_block == 0);

  // An on-chain payment split 5,000 / 4,000 / 500 / 500, deposit applied first.
  std::string s1 = f.ended_session(kDay1 + 9 * kHour);
  auto paid = must(c.usage("tech", pay_call(s1)));
  CHECK(attr(*find_event(paid, "SessionPaid"), "split").find("=5000;") != std::string::npos);
  CHECK(c.last_invariants().ok());
  CHECK(c.last_invariants().issued_in_block == 0);

  // An off-chain payment: 10,000 issued into the agreement's pot, then split.
  std::string s2 = f.ended_session(kDay1 + 11 * kHour);
  must(c.usage("dataserver", record_call(s2, "bank-77", 10'000)));
  CHECK(c.last_invariants().ok());
  CHECK(c.last_invariants().issued_in_block == 10'000);

  // A financing: offered, subscribed by two financiers, activated at the deadline; the next
  // income passes 20% of the investor's 5,000 to them (714 and 286).
  const std::uint64_t deadline = c.time_ms() + 10 * kHour;
  std::string id = event_id(
      must(c.financing("investor",
                       offer_call(f.w.asset, financing_terms(40'000, 30'000, 2'000, 5'000, deadline,
                                                             deadline + 90 * kDay)))),
      "FinancingOffered", "financing");
  must(c.financing("alice", subscribe_call(id, 25'000)));
  CHECK(c.last_invariants().ok());
  must(c.financing("bob", subscribe_call(id, 10'000)));
  c.set_time(deadline);
  must(c.financing("bob", close_round_call(id)));
  CHECK(c.last_invariants().ok());
  std::string s3 = f.ended_session(kDay1 + 9 * kHour + 2 * kDay);
  auto shared = must(c.usage("tech", pay_call(s3)));
  REQUIRE(find_event(shared, "FinancingDistributed") != nullptr);
  CHECK(attr(*find_event(shared, "FinancingDistributed"), "pool") == "1000");
  CHECK(c.last_invariants().ok());
}

TEST_CASE("money from nowhere is named supply with its height and transaction",
          "[contracts][invariants]") {
  World f;
  Chain& c = f.chain;
  std::string session = f.ended_session(kDay1 + 9 * kHour);
  // Test-only contract behaviour: the investor-distribution seam credits the investor 1,000
  // units without minting them (no issued counter, no event). Only this test binary has it.
  c.hooks().investor_distribution = [](TxContext& ctx,
                                       const InvestorDistribution& d) -> Checked<std::uint64_t> {
    auto a = lg::account_or_new(ctx.state(), d.investor);
    a.set_balance(a.balance() + 1'000);
    lg::save_account(ctx.state(), a);
    return d.amount;
  };
  c.set_throw_on_violation(false);
  auto transfer = c.make_tx("alice", body_of(transfer_call("bob", 10)));
  auto pay = c.make_tx("tech", body_of(pay_call(session)));
  auto receipts = c.run_block({transfer, pay});
  REQUIRE(receipts[1].status() == RECEIPT_OK);
  const InvariantReport& report = c.last_invariants();
  REQUIRE(report.violation);
  const Violation& v = *report.violation;
  CHECK(v.invariant == "supply");
  CHECK(v.height == c.height());
  CHECK(v.tx_index == 1);
  CHECK(v.tx_hash == crypto::hash_bytes(pay.hash));
  CHECK(has(v.message, "changed by +1000"));
  CHECK(has(v.message, "appeared"));
  CHECK(has(v.describe(), "invariant supply violated at height " + std::to_string(c.height()) +
                              ", transaction 1 (" + crypto::to_hex(crypto::hash_bytes(pay.hash)) +
                              ")"));

  // With the chain's own hooks the same payment is clean.
  World g;
  std::string again = g.ended_session(kDay1 + 9 * kHour);
  auto clean = g.execute({g.chain.make_tx("alice", body_of(transfer_call("bob", 10))),
                          g.chain.make_tx("tech", body_of(pay_call(again)))});
  CHECK(check_block(g.chain.height() + 1, clean).ok());
}

TEST_CASE("an issued counter that moves without an Issued event is supply",
          "[contracts][invariants]") {
  World f;
  auto r = f.execute({f.chain.make_tx("dataserver", body_of(issue_call("bob", 500, "cash-9")))});
  REQUIRE(check_block(9, r).ok());
  // Drop the Issued event: the counter rose by 500 that no event explains.
  auto* events = r.receipts[0].mutable_events();
  for (int i = 0; i < events->size(); ++i) {
    if (events->Get(i).name() == "Issued") events->DeleteSubrange(i, 1);
  }
  auto report = check_block(9, r);
  REQUIRE(report.violation);
  CHECK(report.violation->invariant == "supply");
  CHECK(report.violation->height == 9);
  CHECK(report.violation->tx_index == 0);
  CHECK(has(report.violation->message, "Issued events total 0"));
}

TEST_CASE("a split off by one is split_sum", "[contracts][invariants]") {
  World f;
  std::string session = f.ended_session(kDay1 + 9 * kHour);
  auto base = f.execute({f.chain.make_tx("alice", body_of(transfer_call("bob", 10))),
                         f.chain.make_tx("tech", body_of(pay_call(session)))});
  REQUIRE(check_block(20, base).ok());

  SECTION("announced parts sum to one more than the income") {
    auto r = base;
    Event* split = find_mut(r.receipts[1], "IncomeSplit");
    REQUIRE(split != nullptr);
    std::string parts = attr_mut(*split, "parts")->value();
    auto at = parts.find("=5000;");
    REQUIRE(at != std::string::npos);
    parts.replace(at, 6, "=5001;");
    attr_mut(*split, "parts")->set_value(parts);
    auto report = check_block(20, r);
    REQUIRE(report.violation);
    CHECK(report.violation->invariant == "split_sum");
    CHECK(report.violation->height == 20);
    CHECK(report.violation->tx_index == 1);
    CHECK(report.violation->tx_hash == r.receipts[1].tx_hash());
    CHECK(has(report.violation->message, "5001 / 4000 / 500 / 500, which sum to 10001"));
  }
  SECTION("one unit moved between partners: the sum holds, the exact split does not") {
    auto r = base;
    Event* first = find_mut(r.receipts[1], "RevenueDistributed", 0);
    Event* second = find_mut(r.receipts[1], "RevenueDistributed", 1);
    REQUIRE(second != nullptr);
    set_number(*first, "amount", 5'001);
    set_number(*second, "amount", 3'999);
    Event* split = find_mut(r.receipts[1], "IncomeSplit");
    std::string parts = attr_mut(*split, "parts")->value();
    parts.replace(parts.find("=5000;"), 6, "=5001;");
    parts.replace(parts.find("=4000;"), 6, "=3999;");
    attr_mut(*split, "parts")->set_value(parts);
    auto report = check_block(20, r);
    REQUIRE(report.violation);
    CHECK(report.violation->invariant == "split_sum");
    CHECK(report.violation->tx_index == 1);
    CHECK(
        has(report.violation->message, "the exact split by its shares is 5000 / 4000 / 500 / 500"));
  }
  SECTION("a partner paid one unit short") {
    auto r = base;
    set_number(*find_mut(r.receipts[1], "RevenueDistributed", 3), "amount", 499);
    auto report = check_block(20, r);
    REQUIRE(report.violation);
    CHECK(report.violation->invariant == "split_sum");
    CHECK(has(report.violation->message, "but 9999 was distributed"));
  }
}

TEST_CASE("a financiers' pool paid short is split_sum; oversubscription is financing_cap",
          "[contracts][invariants]") {
  World f;
  Chain& c = f.chain;
  const std::uint64_t deadline = c.time_ms() + 10 * kHour;
  std::string id = event_id(
      must(c.financing("investor",
                       offer_call(f.w.asset, financing_terms(40'000, 30'000, 2'000, 5'000, deadline,
                                                             deadline + 90 * kDay)))),
      "FinancingOffered", "financing");
  must(c.financing("alice", subscribe_call(id, 25'000)));

  SECTION("a financing record with more subscribed than sought") {
    TransactionBody b;
    *b.mutable_financing() = subscribe_call(id, 10'000);
    auto r = f.execute({c.make_tx("bob", b)});
    REQUIRE(check_block(30, r).ok());
    bool tampered = false;
    for (auto& change : r.money_changes[0]) {
      if (change.key.rfind("financing/financing/", 0) != 0) continue;
      fpb::Financing rec;
      REQUIRE(rec.ParseFromString(*change.after));
      rec.set_subscribed(45'000);
      change.after = rec.SerializeAsString();
      tampered = true;
    }
    REQUIRE(tampered);
    auto report = check_block(30, r);
    REQUIRE(report.violation);
    CHECK(report.violation->invariant == "financing_cap");
    CHECK(report.violation->height == 30);
    CHECK(report.violation->tx_index == 0);
    CHECK(has(report.violation->message, "offered 40000 but records 45000 subscribed"));
  }
  SECTION("a Subscribed event past the amount sought, as the outside audit reads it") {
    Receipt r = must(c.financing("bob", subscribe_call(id, 10'000)));
    Event* e = find_mut(r, "Subscribed");
    REQUIRE(e != nullptr);
    set_number(*e, "subscribed", 45'000);
    set_number(*e, "remaining", std::uint64_t{40'000} - 45'000);  // wraps, as a bug would
    FinancingCaps caps;
    auto v = check_receipt_events(31, r, caps);
    REQUIRE(v);
    CHECK(v->invariant == "financing_cap");
    CHECK(has(v->message, "offered 40000 but subscriptions now total 45000, 5000 more"));
    // Knowing the offer from its FinancingOffered event gives the same answer.
    caps[id] = 40'000;
    CHECK(check_receipt_events(31, r, caps)->invariant == "financing_cap");
  }
  SECTION("a pool paid short") {
    must(c.financing("bob", subscribe_call(id, 10'000)));
    c.set_time(deadline);
    must(c.financing("bob", close_round_call(id)));
    std::string session = f.ended_session(kDay1 + 9 * kHour + 2 * kDay);
    auto r = f.execute({c.make_tx("tech", body_of(pay_call(session)))});
    REQUIRE(check_block(40, r).ok());
    set_number(*find_mut(r.receipts[0], "FinancierPaid", 0), "amount", 713);
    auto report = check_block(40, r);
    REQUIRE(report.violation);
    CHECK(report.violation->invariant == "split_sum");
    CHECK(has(report.violation->message, "pool of 1000"));
    CHECK(has(report.violation->message, "paid out as 999"));
  }
}

TEST_CASE("an underflow is negative_balance", "[contracts][invariants]") {
  // A transfer of 800 out of an account holding 500, done with a wrapping subtraction.
  Receipt r;
  r.set_status(RECEIPT_OK);
  r.set_index(2);
  r.set_tx_hash(std::string(32, '\x07'));
  Event* e = r.add_events();
  e->set_contract("ledger");
  e->set_name("Transferred");
  *e->add_attributes() = address_attr("from", "payer");
  *e->add_attributes() = address_attr("to", "payee");
  *e->add_attributes() = number_attr("amount", 800);
  const std::uint64_t wrapped = std::uint64_t{500} - 800;

  BlockResult block;
  block.issued_before = 10'000;
  block.receipts.resize(3);
  block.receipts[0].set_status(RECEIPT_OK);
  block.receipts[1].set_status(RECEIPT_BAD_NONCE);
  block.receipts[2] = r;
  block.money_changes.resize(3);
  block.money_changes[2] = {{lg::account_key(address_for("payer")), account_bytes("payer", 500),
                             account_bytes("payer", wrapped)},
                            {lg::account_key(address_for("payee")), account_bytes("payee", 0),
                             account_bytes("payee", 800)}};
  auto report = check_block(77, block);
  REQUIRE(report.violation);
  CHECK(report.violation->invariant == "negative_balance");
  CHECK(report.violation->height == 77);
  CHECK(report.violation->tx_index == 2);
  CHECK(report.violation->tx_hash == std::string(32, '\x07'));
  CHECK(has(report.violation->message,
            "was 500; this transaction moved 0 in and 800 out, which leaves -300"));

  // Without the event the wrapped value still shows: more than was ever issued.
  block.receipts[2].clear_events();
  report = check_block(77, block);
  REQUIRE(report.violation);
  CHECK(report.violation->invariant == "negative_balance");
  CHECK(has(report.violation->message, "more than the 10000 units ever issued"));

  // Outside, walking back from the holdings read now, the same transaction is named.
  std::map<std::string, Holdings, std::less<>> now{{address_for("payer"), {wrapped, 0}},
                                                   {address_for("payee"), {800, 0}}};
  auto outside = unwind_receipt(77, r, now);
  REQUIRE(outside);
  CHECK(outside->invariant == "negative_balance");
  CHECK(outside->tx_index == 2);
  CHECK(has(outside->message, "below zero and wrapped"));
}

TEST_CASE("walking back from current holdings", "[contracts][invariants]") {
  Receipt r;
  r.set_status(RECEIPT_OK);
  Event* e = r.add_events();
  e->set_contract("ledger");
  e->set_name("Transferred");
  *e->add_attributes() = address_attr("from", "payer");
  *e->add_attributes() = address_attr("to", "payee");
  *e->add_attributes() = number_attr("amount", 800);

  std::map<std::string, Holdings, std::less<>> h{{address_for("payer"), {200, 0}},
                                                 {address_for("payee"), {900, 0}}};
  REQUIRE_FALSE(unwind_receipt(5, r, h));
  CHECK(h[address_for("payer")].balance == 1'000);
  CHECK(h[address_for("payee")].balance == 100);

  // The payee holds less than the events gave it: money left without an event.
  std::map<std::string, Holdings, std::less<>> short_of{{address_for("payer"), {200, 0}},
                                                        {address_for("payee"), {700, 0}}};
  auto v = unwind_receipt(5, r, short_of);
  REQUIRE(v);
  CHECK(v->invariant == "supply");
  CHECK(has(v->message, "without an event"));
}
