// Ledger actions:
//  - transfer: moves funds, emits Transferred (text and typed values); refuses zero, self, malformed recipient,
//    more than the balance (both numbers in the message)
//  - issue: data_server or operator only; mints with a unique reference; a repeated reference
//    and an overflowing total are refused; supply rises by exactly the amount
//  - roles: operator grants and revokes; unknown roles, missing roles, duplicates, attester
//    without organisation and revoking the last operator are refused
//  - qualifications: certify, expiry, decertify, permission
//  - escrow: hold and release keep total supply constant and emit events
//  - queries: role holders, issue record, supply, holds
//  - verify_supply: holds on a consistent chain; names a balance, an escrow or a hold that
//    breaks the invariant
#include "contracts/ledger/ledger.hpp"

#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace sharechain;
using namespace sharechain::contracts;
using namespace sharechain::contracts::testing;
namespace cl = sharechain::contracts::ledger;
namespace lpb = ::sharechain::ledger;

namespace {

std::vector<Actor> actors() {
  return {{"operator", 0, {"operator"}, ""},
          {"dataserver", 0, {"data_server"}, ""},
          {"alice", 10'000, {}, ""},
          {"bob", 500, {}, ""}};
}

lpb::Call transfer(const std::string& to, std::uint64_t amount, const std::string& memo = "") {
  lpb::Call c;
  c.mutable_transfer()->set_to(address_for(to));
  c.mutable_transfer()->set_amount(amount);
  c.mutable_transfer()->set_memo(memo);
  return c;
}

lpb::Call issue(const std::string& to, std::uint64_t amount, const std::string& ref) {
  lpb::Call c;
  c.mutable_issue()->set_to(address_for(to));
  c.mutable_issue()->set_amount(amount);
  c.mutable_issue()->set_reference(ref);
  return c;
}

lpb::Call grant(const std::string& who, const std::string& role, const std::string& org = "") {
  lpb::Call c;
  c.mutable_grant_role()->set_account(address_for(who));
  c.mutable_grant_role()->set_role(role);
  c.mutable_grant_role()->set_organisation(org);
  return c;
}

lpb::Call revoke(const std::string& who, const std::string& role) {
  lpb::Call c;
  c.mutable_revoke_role()->set_account(address_for(who));
  c.mutable_revoke_role()->set_role(role);
  return c;
}

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("transfer moves funds and emits Transferred", "[contracts][ledger]") {
  Chain chain(actors());
  auto r = chain.ledger("alice", transfer("bob", 1'234, "rent"));
  REQUIRE(r.status() == RECEIPT_OK);
  CHECK(chain.balance("alice") == 10'000 - 1'234);
  CHECK(chain.balance("bob") == 500 + 1'234);
  const Event* e = find_event(r, "Transferred");
  REQUIRE(e != nullptr);
  CHECK(e->contract() == "ledger");
  CHECK(attr(*e, "amount") == "1234");
  CHECK(attr(*e, "memo") == "rent");
  CHECK(attr(*e, "to") == crypto::format_address(address_for("bob")));
  for (const Attribute& a : e->attributes()) {  // the same values, typed
    if (a.key() == "amount") CHECK(a.number() == 1'234);
    if (a.key() == "to") CHECK(a.address() == address_for("bob"));
    if (a.key() == "from") CHECK(a.address() == address_for("alice"));
    if (a.key() == "memo") CHECK(a.typed_case() == Attribute::TYPED_NOT_SET);
  }
  CHECK(r.created().empty());

  // A new account appears when it first receives funds.
  REQUIRE(chain.ledger("alice", transfer("carol", 1)).status() == RECEIPT_OK);
  CHECK(chain.balance("carol") == 1);
  CHECK(chain.supply() == 10'500);
}

TEST_CASE("transfer refusals", "[contracts][ledger]") {
  Chain chain(actors());
  auto r = chain.ledger("bob", transfer("alice", 0));
  CHECK(r.status() == RECEIPT_INVALID_ARGUMENT);
  CHECK(contains(r.error(), "greater than zero"));

  r = chain.ledger("bob", transfer("bob", 10));
  CHECK(r.status() == RECEIPT_INVALID_ARGUMENT);
  CHECK(contains(r.error(), "to itself"));

  r = chain.ledger("bob", transfer("alice", 501));
  CHECK(r.status() == RECEIPT_INSUFFICIENT_FUNDS);
  CHECK(contains(r.error(), "holds 500 units"));
  CHECK(contains(r.error(), "needs 501 units"));

  lpb::Call bad = transfer("alice", 1);
  bad.mutable_transfer()->set_to("not-an-address");
  r = chain.ledger("bob", bad);
  CHECK(r.status() == RECEIPT_INVALID_ARGUMENT);

  // A sender without an account has nothing to send.
  r = chain.ledger("nobody", transfer("alice", 1));
  CHECK(r.status() == RECEIPT_INSUFFICIENT_FUNDS);

  CHECK(chain.balance("bob") == 500);
  CHECK(chain.balance("alice") == 10'000);
}

TEST_CASE("issue mints for off-chain payments, once per reference", "[contracts][ledger]") {
  Chain chain(actors());
  auto r = chain.ledger("dataserver", issue("bob", 2'000, "bank-transfer-0001"));
  REQUIRE(r.status() == RECEIPT_OK);
  CHECK(chain.balance("bob") == 2'500);
  CHECK(chain.supply() == 12'500);
  CHECK(cl::issued_total(chain.state()) == 12'500);
  const Event* e = find_event(r, "Issued");
  REQUIRE(e != nullptr);
  CHECK(attr(*e, "reference") == "bank-transfer-0001");

  r = chain.ledger("operator", issue("alice", 1, "bank-transfer-0001"));
  CHECK(r.status() == RECEIPT_ALREADY_EXISTS);
  CHECK(contains(r.error(), "already turned into credits"));

  r = chain.ledger("alice", issue("alice", 1'000'000, "self-service"));
  CHECK(r.status() == RECEIPT_PERMISSION_DENIED);
  CHECK(contains(r.error(), "needs the data_server or operator role"));

  r = chain.ledger("operator", issue("alice", 5, ""));
  CHECK(r.status() == RECEIPT_INVALID_ARGUMENT);

  r = chain.ledger("operator", issue("alice", 0, "zero"));
  CHECK(r.status() == RECEIPT_INVALID_ARGUMENT);

  r = chain.ledger("operator", issue("alice", UINT64_MAX - 100, "huge"));
  CHECK(r.status() == RECEIPT_OUT_OF_RANGE);
  CHECK(contains(r.error(), "overflow"));

  CHECK(chain.supply() == 12'500);
  CHECK(cl::issued_total(chain.state()) == 12'500);
}

TEST_CASE("roles are granted and revoked by operators only (no committee in genesis)", "[contracts][ledger]") {
  Chain chain(actors());
  auto r = chain.ledger("alice", grant("bob", "operator"));
  CHECK(r.status() == RECEIPT_PERMISSION_DENIED);
  // Without a committee in genesis, the operators are the committee with threshold 1.
  CHECK(contains(r.error(), "needs a seat on the operator committee"));

  r = chain.ledger("operator", grant("bob", "emperor"));
  CHECK(r.status() == RECEIPT_INVALID_ARGUMENT);
  CHECK(contains(r.error(), "unknown role \"emperor\""));

  r = chain.ledger("operator", grant("bob", "attester"));
  CHECK(r.status() == RECEIPT_INVALID_ARGUMENT);
  CHECK(contains(r.error(), "organisation"));

  r = chain.ledger("operator", grant("bob", "attester", "City Vehicle Registry"));
  REQUIRE(r.status() == RECEIPT_OK);
  REQUIRE(find_event(r, "RoleGranted") != nullptr);
  auto bob = get_account(chain.state(), address_for("bob"));
  CHECK(bob->organisation() == "City Vehicle Registry");
  CHECK(cl::has_role(chain.state(), address_for("bob"), "attester"));

  r = chain.ledger("operator", grant("bob", "attester", "Again"));
  CHECK(r.status() == RECEIPT_ALREADY_EXISTS);

  r = chain.ledger("operator", revoke("alice", "data_server"));
  CHECK(r.status() == RECEIPT_NOT_FOUND);

  r = chain.ledger("operator", revoke("operator", "operator"));
  CHECK(r.status() == RECEIPT_FAILED_PRECONDITION);
  CHECK(contains(r.error(), "last operator"));

  REQUIRE(chain.ledger("operator", grant("alice", "operator")).status() == RECEIPT_OK);
  REQUIRE(chain.ledger("alice", revoke("operator", "operator")).status() == RECEIPT_OK);
  CHECK_FALSE(cl::has_role(chain.state(), address_for("operator"), "operator"));
  // The former operator can no longer grant.
  CHECK(chain.ledger("operator", grant("bob", "validator")).status() == RECEIPT_PERMISSION_DENIED);

  REQUIRE(chain.ledger("alice", revoke("bob", "attester")).status() == RECEIPT_OK);
  CHECK(get_account(chain.state(), address_for("bob"))->organisation().empty());

  api::QueryRequest q;
  q.mutable_ledger()->mutable_role_holders()->set_role("operator");
  auto holders = query(chain.state(), q);
  REQUIRE(holders.is_ok());
  REQUIRE(holders->ledger().role_holders().accounts_size() == 1);
  CHECK(holders->ledger().role_holders().accounts(0) == address_for("alice"));
}

TEST_CASE("qualifications are certified, expire and are withdrawn", "[contracts][ledger]") {
  Chain chain(actors());
  lpb::Call c;
  c.mutable_certify()->set_account(address_for("bob"));
  c.mutable_certify()->set_qualification("certified_technician");
  c.mutable_certify()->set_expires_at_ms(chain.time_ms() + 10'000);
  CHECK(chain.ledger("alice", c).status() == RECEIPT_PERMISSION_DENIED);
  REQUIRE(chain.ledger("dataserver", c).status() == RECEIPT_OK);
  CHECK(cl::has_qualification(chain.state(), address_for("bob"), "certified_technician",
                              chain.time_ms()));
  CHECK_FALSE(cl::has_qualification(chain.state(), address_for("bob"), "certified_technician",
                                    chain.time_ms() + 20'000));

  lpb::Call bad = c;
  bad.mutable_certify()->set_qualification("Certified Technician");
  CHECK(chain.ledger("dataserver", bad).status() == RECEIPT_INVALID_ARGUMENT);

  lpb::Call d;
  d.mutable_decertify()->set_account(address_for("bob"));
  d.mutable_decertify()->set_qualification("certified_technician");
  REQUIRE(chain.ledger("operator", d).status() == RECEIPT_OK);
  CHECK_FALSE(cl::has_qualification(chain.state(), address_for("bob"), "certified_technician",
                                    chain.time_ms()));
  CHECK(chain.ledger("operator", d).status() == RECEIPT_NOT_FOUND);
}

TEST_CASE("escrow hold and release keep the supply", "[contracts][ledger]") {
  Chain chain(actors());
  MemoryState base = chain.state();
  Overlay o(base);
  TransactionBody body;
  *body.mutable_ledger() = transfer("bob", 1);
  auto tx = chain.make_tx("alice", body);
  BlockContext bctx{kChainId, 1, kStartMs, 0};
  Hooks hooks;
  TxContext ctx(bctx, tx, 0, o, hooks);

  auto refused = cl::hold(ctx, address_for("bob"), 501, "usage", "deposit");
  REQUIRE_FALSE(refused.is_ok());
  CHECK(refused.refusal().status == RECEIPT_INSUFFICIENT_FUNDS);

  auto id = cl::hold(ctx, address_for("alice"), 3'000, "usage", "deposit");
  REQUIRE(id.is_ok());
  CHECK(cl::balance_of(o, address_for("alice")) == 7'000);
  CHECK(cl::find_account(o, address_for("alice"))->escrow() == 3'000);
  CHECK(total_supply(o) == 10'500);

  CHECK_FALSE(cl::release(ctx, *id, 3'001).is_ok());
  REQUIRE(cl::release(ctx, *id, 1'000).is_ok());
  CHECK(cl::find_hold(o, *id)->amount() == 2'000);
  REQUIRE(cl::release(ctx, *id, 2'000).is_ok());
  CHECK_FALSE(cl::find_hold(o, *id).has_value());
  CHECK(cl::balance_of(o, address_for("alice")) == 10'000);
  CHECK(cl::find_account(o, address_for("alice"))->escrow() == 0);
  CHECK(total_supply(o) == 10'500);

  std::vector<std::string> names;
  for (const auto& e : ctx.events()) names.push_back(e.name());
  CHECK(names == std::vector<std::string>{"EscrowHeld", "EscrowReleased", "EscrowReleased"});
}

TEST_CASE("ledger queries", "[contracts][ledger]") {
  Chain chain(actors());
  REQUIRE(chain.ledger("dataserver", issue("bob", 7, "ref-7")).status() == RECEIPT_OK);
  api::QueryRequest q;
  q.mutable_ledger()->mutable_issue()->set_reference("ref-7");
  auto r = query(chain.state(), q);
  REQUIRE(r.is_ok());
  CHECK(r->ledger().issue().amount() == 7);
  CHECK(r->ledger().issue().issuer() == address_for("dataserver"));

  q.mutable_ledger()->mutable_issue()->set_reference("ref-8");
  CHECK(query(chain.state(), q).status().code() == Code::kNotFound);

  q.mutable_ledger()->mutable_supply();
  r = query(chain.state(), q);
  REQUIRE(r.is_ok());
  CHECK(r->ledger().supply().issued() == 10'507);
  CHECK(r->ledger().supply().balances() == 10'507);
  CHECK(r->ledger().supply().escrow() == 0);

  q.mutable_ledger()->mutable_validators();
  r = query(chain.state(), q);
  REQUIRE(r.is_ok());
  REQUIRE(r->ledger().validators().validators_size() == 1);
  CHECK(r->ledger().validators().validators(0).name() == "node0");
}

TEST_CASE("verify_supply notices a broken money invariant", "[contracts][ledger]") {
  Chain chain(actors());
  REQUIRE(verify_supply(chain.state()).is_ok());

  auto alice = get_account(chain.state(), address_for("alice"));
  REQUIRE(alice.is_ok());

  MemoryState minted = chain.state();
  lpb::Account richer = *alice;
  richer.set_balance(richer.balance() + 1);
  minted.apply({{cl::account_key(address_for("alice")), richer.SerializeAsString()}});
  Status s = verify_supply(minted);
  CHECK(s.code() == Code::kInternal);
  CHECK(contains(s.message(), "differ from the issued total"));

  // Escrow moved out of the balance without a hold behind it.
  MemoryState unheld = chain.state();
  lpb::Account escrowed = *alice;
  escrowed.set_balance(escrowed.balance() - 100);
  escrowed.set_escrow(100);
  unheld.apply({{cl::account_key(address_for("alice")), escrowed.SerializeAsString()}});
  s = verify_supply(unheld);
  CHECK(s.code() == Code::kInternal);
  CHECK(contains(s.message(), "its holds sum to 0"));
}
