// The chain the contract targets (transaction, contract_call, api_submit, api_query) run
// against, and the catalogue of actions and queries their seed corpora are made of.
//
// The world is built once per process by executing real signed transactions through the real
// executor (tests/contracts/harness.hpp): assets of every kind, agreements in every status,
// reservations and sessions at every stage, split models, financing rounds open, closable and
// ended, vehicles with owners, pending records and an open transfer. So every contract action has
// an object it can act on, and a fuzzed action that names one of the world's ids reaches the
// contract's deepest checks instead of stopping at "not found".
//
// Time: setup ends at end_ms() (12:00 UTC on the harness's first full day). A fuzzed block runs at
// block_time(slot) = end_ms() + slot x 10 minutes; each action of the catalogue names the slot at
// which it succeeds (access inside a reservation's window, reporting an overdue payment after
// its due time, ...).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "contracts/executor.hpp"
#include "contracts/memory_state.hpp"
#include "sharechain/api.pb.h"
#include "sharechain/types.pb.h"

namespace sharechain::fuzz {

inline constexpr std::uint64_t kSlotMs = 10 * 60'000;

struct WorldAction {
  std::string name;    // "usage.access", the corpus file name
  std::string sender;  // actor name (contracts::testing::key_for)
  TransactionBody body;  // chain id and sender filled in, nonce 0 (the caller sets it)
  std::uint8_t slot = 0;
};

struct WorldQuery {
  std::string name;
  api::QueryRequest request;
};

class ContractWorld {
 public:
  // The state after setup. Never changes once built.
  const contracts::MemoryState& state() const { return state_; }
  const std::string& chain_id() const { return chain_id_; }
  std::uint64_t height() const { return height_; }  // of the last setup block
  std::uint64_t end_ms() const { return end_ms_; }
  std::uint64_t block_time(std::uint8_t slot) const { return end_ms_ + slot * kSlotMs; }
  // Every actor's 20-byte address, in a fixed order (queries run over all of them).
  const std::vector<std::string>& addresses() const { return addresses_; }

  // One action per contract call kind (several for some), each succeeding at its slot.
  const std::vector<WorldAction>& actions() const { return actions_; }
  // One query per query kind of every contract, over the world's objects.
  const std::vector<WorldQuery>& queries() const { return queries_; }

 private:
  friend const ContractWorld& contract_world();
  ContractWorld();

  contracts::MemoryState state_;
  std::string chain_id_;
  std::uint64_t height_ = 0;
  std::uint64_t end_ms_ = 0;
  std::vector<std::string> addresses_;
  std::vector<WorldAction> actions_;
  std::vector<WorldQuery> queries_;
};

// Built on first use; aborts with the failing step if setup does not go as planned.
const ContractWorld& contract_world();

// A transaction as the executor receives it: `body` with `sender` as its verified sender.
tx::VerifiedTransaction as_verified(const TransactionBody& body, const std::string& sender20);

// A transaction signed by actor `who` with BIP340 auxiliary randomness derived from the body, so
// the corpus generator writes the same bytes every time; `body` must already name its nonce.
SignedTransaction sign_deterministic(const TransactionBody& body, const std::string& who);

// Runs `txs` as the block after the world's last one at block_time(slot) over `state`, through
// the standard hooks, exactly as a node executes a block.
contracts::BlockResult execute_on(const contracts::StateReader& state, const ContractWorld& world,
                                  std::uint8_t slot,
                                  const std::vector<tx::VerifiedTransaction>& txs);

// The ids an executed block's events name (assets, agreements, reservations, sessions, models,
// financings, records) and the VINs, as queries: how a fuzz target reads back what a block wrote.
std::vector<api::QueryRequest> queries_for_events(const std::vector<Receipt>& receipts);

}  // namespace sharechain::fuzz
