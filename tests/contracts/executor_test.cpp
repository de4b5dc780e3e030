// Executor and genesis:
//  - genesis: valid file gives accounts, roles, supply; each malformed field is refused by name
//  - a failed transaction consumes its nonce and nothing else (no events, no balance change)
//  - a bad nonce and an expired transaction consume nothing; the error names expected vs got
//  - several transactions of one sender in one block run in nonce order
//  - a wrong chain id is refused without consuming the nonce
//  - determinism: the same block on the same state gives identical receipts and writes
//  - queries: get_account of an unknown address, query routing, next_nonce
#include <catch2/catch.hpp>

#include "contracts/executor.hpp"
#include "harness.hpp"

using namespace sharechain;
using namespace sharechain::contracts;
using namespace sharechain::contracts::testing;

namespace {

std::vector<Actor> actors() {
  return {{"operator", 0, {"operator"}, ""},
          {"alice", 10'000, {}, ""},
          {"bob", 500, {}, ""},
          {"insurer", 0, {"attester"}, "Northwind Insurance"}};
}

TransactionBody transfer_body(const std::string& to, std::uint64_t amount) {
  TransactionBody b;
  auto* t = b.mutable_ledger()->mutable_transfer();
  t->set_to(address_for(to));
  t->set_amount(amount);
  return b;
}

}  // namespace

TEST_CASE("genesis builds accounts, roles and supply", "[contracts][genesis]") {
  Chain chain(actors());
  CHECK(chain.balance("alice") == 10'000);
  CHECK(chain.supply() == 10'500);
  auto op = get_account(chain.state(), address_for("operator"));
  REQUIRE(op.is_ok());
  REQUIRE(op->roles_size() == 1);
  CHECK(op->roles(0) == "operator");
  auto ins = get_account(chain.state(), address_for("insurer"));
  REQUIRE(ins.is_ok());
  CHECK(ins->organisation() == "Northwind Insurance");
  CHECK(chain_params(chain.state()).attestation_threshold() == 3);
  CHECK(next_nonce(chain.state(), address_for("alice")) == 0);
  // Unset consensus spacing reads as the defaults and leaves the params as written.
  CHECK(chain_params(chain.state()).checkpoint_interval() == 0);
  CHECK(checkpoint_interval(chain_params(chain.state())) == 64);
  CHECK(consensus_window(chain_params(chain.state())) == 256);
}

TEST_CASE("genesis consensus spacing: bounds, and the state records exactly what was written",
          "[contracts][genesis]") {
  Genesis g = make_genesis(actors());
  const auto params_of = [](const Genesis& genesis) {
    auto ws = genesis_state(genesis);
    REQUIRE(ws.is_ok());
    MemoryState state;
    state.apply(*ws);
    return chain_params(state);
  };
  g.mutable_params()->set_checkpoint_interval(4);
  g.mutable_params()->set_window(8);
  ChainParams p = params_of(g);
  CHECK(checkpoint_interval(p) == 4);
  CHECK(consensus_window(p) == 8);

  auto refused = [](const Genesis& genesis) {
    auto r = genesis_state(genesis);
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().code() == Code::kInvalidArgument);
    return r.status().message();
  };
  g.mutable_params()->set_window(7);  // below 2K
  CHECK(refused(g) == "genesis: params.window (7) must be at least twice "
                      "params.checkpoint_interval (4) and at most 16000000");
  g.mutable_params()->set_checkpoint_interval(0);  // K = 64 by default, W = 7 below 128
  CHECK_THAT(refused(g), Catch::Contains("params.checkpoint_interval (64)"));
  g.mutable_params()->set_checkpoint_interval(1'000'001);
  g.mutable_params()->set_window(0);
  CHECK(refused(g) == "genesis: params.checkpoint_interval (1000001) is above 1000000");
  g.mutable_params()->set_checkpoint_interval(1'000'000);
  g.mutable_params()->set_window(16'000'001);
  CHECK_THAT(refused(g), Catch::Contains("at most 16000000"));
  g.mutable_params()->set_window(16'000'000);
  CHECK(consensus_window(params_of(g)) == 16'000'000);
}

TEST_CASE("genesis refuses malformed files with the reason", "[contracts][genesis]") {
  auto refuse = [](const Genesis& g, const std::string& needle) {
    auto r = genesis_state(g);
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().code() == Code::kInvalidArgument);
    INFO(r.status().message());
    CHECK(r.status().message().find(needle) != std::string::npos);
  };
  Genesis good = make_genesis(actors());
  REQUIRE(genesis_state(good).is_ok());

  Genesis g = good;
  g.set_chain_id("");
  refuse(g, "chain_id");

  g = good;
  g.clear_validators();
  refuse(g, "at least one validator");

  g = good;
  g.mutable_validators(0)->set_public_key("zz");
  refuse(g, "public_key");

  g = good;
  // x = 5 is not the x coordinate of any secp256k1 point (5^3 + 7 = 132 is a non-residue).
  std::string not_on_curve(64, '0');
  not_on_curve[63] = '5';
  g.mutable_validators(0)->set_public_key(not_on_curve);
  refuse(g, "public_key");

  g = good;
  *g.add_validators() = g.validators(0);
  g.mutable_validators(1)->set_name("node1");
  refuse(g, "same public key");

  g = good;
  g.mutable_accounts(1)->set_address("sc1234");
  refuse(g, "'sc1234' is not an address: it has 6 characters");

  // One character changed in a checksummed address: the checksum catches it.
  g = good;
  {
    std::string typo = crypto::format_address(*crypto::parse_address(g.accounts(1).address()));
    typo[10] = typo[10] == 'q' ? 'p' : 'q';
    g.mutable_accounts(1)->set_address(typo);
  }
  refuse(g, "checksum does not match");

  g = good;
  *g.add_accounts() = g.accounts(1);
  refuse(g, "listed twice");

  g = good;
  g.mutable_accounts(0)->add_roles("king");
  refuse(g, "unknown role \"king\"");

  g = good;
  g.mutable_accounts(3)->clear_organisation();
  refuse(g, "organisation");

  g = good;
  g.mutable_accounts(1)->set_balance(UINT64_MAX);
  refuse(g, "total supply overflows");
}

TEST_CASE("a failed transaction consumes its nonce and nothing else", "[contracts][executor]") {
  Chain chain(actors());
  auto r = chain.run("bob", transfer_body("alice", 800));
  CHECK(r.status() == RECEIPT_INSUFFICIENT_FUNDS);
  CHECK(r.events_size() == 0);
  CHECK(r.error().find("holds 500 units") != std::string::npos);
  CHECK(chain.balance("bob") == 500);
  CHECK(chain.balance("alice") == 10'000);
  CHECK(next_nonce(chain.state(), address_for("bob")) == 1);

  auto ok = chain.run("bob", transfer_body("alice", 200));
  CHECK(ok.status() == RECEIPT_OK);
  CHECK(ok.state_writes() >= 2);
  CHECK(chain.balance("bob") == 300);
  CHECK(next_nonce(chain.state(), address_for("bob")) == 2);
}

TEST_CASE("bad nonce and expiry consume nothing", "[contracts][executor]") {
  Chain chain(actors());
  MemoryState before = chain.state();

  auto ahead = chain.make_tx("alice", transfer_body("bob", 1), 2);
  auto r = chain.run_block({ahead}).at(0);
  CHECK(r.status() == RECEIPT_BAD_NONCE);
  CHECK(r.error().find("expected 0, got 2") != std::string::npos);
  CHECK(chain.state().entries() == before.entries());

  TransactionBody b = transfer_body("bob", 1);
  b.set_expires_at_height(1);  // the next block is height 2
  r = chain.run_block({chain.make_tx("alice", b)}).at(0);
  CHECK(r.status() == RECEIPT_EXPIRED);
  CHECK(r.error().find("expired at height 1") != std::string::npos);
  CHECK(chain.state().entries() == before.entries());

  b.set_expires_at_height(3);  // valid at height 3 (the block after next) and below
  r = chain.run_block({chain.make_tx("alice", b)}).at(0);
  CHECK(r.status() == RECEIPT_OK);
  CHECK(next_nonce(chain.state(), address_for("alice")) == 1);
}

TEST_CASE("a wrong chain id is refused without consuming the nonce", "[contracts][executor]") {
  Chain chain(actors());
  auto tx = chain.make_tx("alice", transfer_body("bob", 1));
  tx.body.set_chain_id("other-chain");
  auto r = chain.run_block({tx}).at(0);
  CHECK(r.status() == RECEIPT_INVALID_ARGUMENT);
  CHECK(next_nonce(chain.state(), address_for("alice")) == 0);
}

TEST_CASE("transactions of one block run in order", "[contracts][executor]") {
  Chain chain(actors());
  std::vector<tx::VerifiedTransaction> txs = {
      chain.make_tx("alice", transfer_body("bob", 100), 0),
      chain.make_tx("bob", transfer_body("alice", 600), 0),  // needs alice's 100 first
      chain.make_tx("alice", transfer_body("bob", 5), 1),
      chain.make_tx("alice", transfer_body("bob", 5), 1),  // duplicate nonce
  };
  auto rs = chain.run_block(txs);
  REQUIRE(rs.size() == 4);
  CHECK(rs[0].status() == RECEIPT_OK);
  CHECK(rs[1].status() == RECEIPT_OK);
  CHECK(rs[2].status() == RECEIPT_OK);
  CHECK(rs[3].status() == RECEIPT_BAD_NONCE);
  for (std::uint32_t i = 0; i < 4; ++i) CHECK(rs[i].index() == i);
  CHECK(chain.balance("alice") == 10'000 - 100 - 5 + 600);
  CHECK(chain.balance("bob") == 500 + 100 + 5 - 600);
  CHECK(chain.supply() == 10'500);
}

TEST_CASE("execution is deterministic", "[contracts][executor]") {
  Chain chain(actors());
  std::vector<tx::VerifiedTransaction> txs = {
      chain.make_tx("alice", transfer_body("bob", 100)),
      chain.make_tx("bob", transfer_body("alice", 9'999)),
  };
  BlockContext ctx{kChainId, 1, kStartMs, 0};
  BlockResult a = execute_block(chain.state(), ctx, txs);
  BlockResult b = execute_block(chain.state(), ctx, txs);
  CHECK(a.writes == b.writes);
  REQUIRE(a.receipts.size() == b.receipts.size());
  for (std::size_t i = 0; i < a.receipts.size(); ++i) {
    CHECK(a.receipts[i].SerializeAsString() == b.receipts[i].SerializeAsString());
  }
}

TEST_CASE("account queries", "[contracts][executor]") {
  Chain chain(actors());
  auto unknown = get_account(chain.state(), address_for("nobody"));
  REQUIRE_FALSE(unknown.is_ok());
  CHECK(unknown.status().code() == Code::kNotFound);
  CHECK(unknown.status().message() ==
        "no account " + crypto::format_address(address_for("nobody")) +
            ": it has never held funds or sent a transaction");
  CHECK(get_account(chain.state(), "short").status().code() == Code::kInvalidArgument);

  api::QueryRequest q;
  q.mutable_ledger()->mutable_account()->set_address(address_for("alice"));
  auto r = query(chain.state(), q);
  REQUIRE(r.is_ok());
  CHECK(r->ledger().account().balance() == 10'000);

  api::QueryRequest empty;
  CHECK(query(chain.state(), empty).status().code() == Code::kInvalidArgument);
}

TEST_CASE("one mapping turns every refusal into the status a client gets", "[contracts][outcome]") {
  using contracts::status_of;
  const std::pair<ReceiptStatus, Code> table[] = {
      {RECEIPT_INVALID_ARGUMENT, Code::kInvalidArgument},
      {RECEIPT_OUT_OF_RANGE, Code::kInvalidArgument},
      {RECEIPT_NOT_FOUND, Code::kNotFound},
      {RECEIPT_PERMISSION_DENIED, Code::kPermissionDenied},
      {RECEIPT_ALREADY_EXISTS, Code::kAlreadyExists},
      {RECEIPT_FAILED_PRECONDITION, Code::kFailedPrecondition},
      {RECEIPT_INSUFFICIENT_FUNDS, Code::kFailedPrecondition},
      {RECEIPT_BAD_NONCE, Code::kFailedPrecondition},
      {RECEIPT_EXPIRED, Code::kFailedPrecondition},
      {RECEIPT_OK, Code::kInternal},
  };
  // Every value of the enum is in the table, so a new receipt status has to be placed here.
  const auto* e = ReceiptStatus_descriptor();
  REQUIRE(static_cast<std::size_t>(e->value_count()) == std::size(table));
  for (const auto& [receipt, code] : table) {
    INFO(ReceiptStatus_Name(receipt));
    const Status s = status_of(receipt, "why");
    CHECK(s.code() == code);
    if (receipt != RECEIPT_OK) CHECK(s.message() == "why");
    // Queries go through the same mapping.
    CHECK(contracts::to_status(contracts::Refusal{receipt, "why"}).code() == code);
  }
}
