#include "tests/fuzz/support/contract_checks.hpp"

#include <set>
#include <string>

#include "contracts/executor.hpp"
#include "contracts/ledger/ledger.hpp"
#include "contracts/overlay.hpp"
#include "tests/fuzz/support/check.hpp"

namespace sharechain::fuzz {

void check_query(const contracts::StateReader& state, const api::QueryRequest& request) {
  auto answer = contracts::query(state, request);
  if (!answer) {
    FUZZ_CHECK(!answer.status().message().empty(), "query refused without a reason");
    return;
  }
  FUZZ_CHECK(static_cast<int>(answer->result_case()) == static_cast<int>(request.query_case()) + 1,
             "query of contract " + std::to_string(request.query_case()) +
                 " answered by contract " + std::to_string(answer->result_case()));
  check_round_trip(*answer);
}

void run_and_check(const ContractWorld& world, std::uint8_t slot,
                   const std::vector<tx::VerifiedTransaction>& txs) {
  const contracts::BlockResult result = execute_on(world.state(), world, slot, txs);
  FUZZ_CHECK(result.receipts.size() == txs.size(),
             std::to_string(txs.size()) + " transactions, " +
                 std::to_string(result.receipts.size()) + " receipts");
  bool any_ok = false;
  std::set<std::string> sender_accounts;
  for (std::size_t i = 0; i < txs.size(); ++i) {
    const Receipt& r = result.receipts[i];
    FUZZ_CHECK(r.tx_hash() == crypto::hash_bytes(txs[i].hash), "a receipt names another transaction");
    FUZZ_CHECK(r.index() == i, "receipt " + std::to_string(i) + " says index " + std::to_string(r.index()));
    if (r.status() == RECEIPT_OK) {
      any_ok = true;
    } else {
      FUZZ_CHECK(!r.error().empty(), "transaction refused (" + ReceiptStatus_Name(r.status()) +
                                         ") without a reason");
    }
    sender_accounts.insert(contracts::ledger::account_key(txs[i].sender));
  }
  if (!any_ok) {
    for (const auto& [key, value] : result.writes) {
      FUZZ_CHECK(sender_accounts.count(key) != 0,
                 "a block of refused transactions wrote key " + crypto::to_hex(key));
    }
    return;  // only nonces moved: the world's queries would read what they read before
  }

  contracts::Overlay after(world.state());
  for (const auto& [key, value] : result.writes) {
    if (value) {
      after.put(key, *value);
    } else {
      after.erase(key);
    }
  }
  const Status supply = contracts::verify_supply(after);
  FUZZ_CHECK(supply.is_ok(), "money invariants broken after the block: " + supply.message());
  for (const WorldQuery& q : world.queries()) check_query(after, q.request);
  for (const api::QueryRequest& q : queries_for_events(result.receipts)) check_query(after, q);
}

}  // namespace sharechain::fuzz
