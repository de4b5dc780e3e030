// A chain in memory for contract tests: deterministic keys, a genesis, and blocks of signed
// transactions executed through the real executor and applied to a MemoryState.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "contracts/executor.hpp"
#include "contracts/invariants.hpp"
#include "contracts/memory_state.hpp"
#include "proto/crypto.hpp"
#include "proto/transaction.hpp"

namespace sharechain::contracts::testing {

inline constexpr const char* kChainId = "sharechain-test";
inline constexpr std::uint64_t kStartMs = 1'700'000'000'000;  // 2023-11-14T22:13:20Z

// The same name always gives the same key.
crypto::PrivateKey key_for(const std::string& name);
std::string address_for(const std::string& name);

struct Actor {
  std::string name;
  std::uint64_t balance = 0;
  std::vector<std::string> roles;
  std::string organisation;
};

Genesis make_genesis(const std::vector<Actor>& actors);

class Chain {
 public:
  explicit Chain(const std::vector<Actor>& actors);
  explicit Chain(const Genesis& genesis);

  // Signs `body` (chain id, sender and nonce filled in unless `raw`) as `who`.
  tx::VerifiedTransaction make_tx(const std::string& who, TransactionBody body,
                                  std::uint64_t nonce_offset = 0) const;
  // Runs one block holding the given transactions; advances height and time. Every block is
  // checked for the money invariants (check_block): a violation throws, failing the test,
  // unless a test that breaks them on purpose turned the check off.
  std::vector<Receipt> run_block(const std::vector<tx::VerifiedTransaction>& txs);
  // One transaction in its own block.
  Receipt run(const std::string& who, const TransactionBody& body);
  Receipt ledger(const std::string& who, const ::sharechain::ledger::Call& call);
  Receipt assets(const std::string& who, const ::sharechain::assets::Call& call);
  Receipt usage(const std::string& who, const ::sharechain::usage::Call& call);
  Receipt revenue(const std::string& who, const ::sharechain::revenue::Call& call);
  Receipt financing(const std::string& who, const ::sharechain::financing::Call& call);
  Receipt vehicles(const std::string& who, const ::sharechain::vehicles::Call& call);
  Receipt governance(const std::string& who, const ::sharechain::governance::Call& call);

  // Runs a query against the current state.
  Result<api::QueryResponse> query(const api::QueryRequest& request) const;

  // Moves the next block's timestamp (milliseconds since the epoch).
  void set_time(std::uint64_t ms) { time_ms_ = ms; }
  void advance(std::uint64_t ms) { time_ms_ += ms; }
  std::uint64_t time_ms() const { return time_ms_; }
  std::uint64_t height() const { return height_; }

  const MemoryState& state() const { return state_; }
  std::uint64_t balance(const std::string& who) const;
  std::uint64_t escrow(const std::string& who) const;
  std::uint64_t balance_of_address(const std::string& address) const;
  std::uint64_t supply() const { return total_supply(state_); }
  // The chain's hooks (standard_hooks() unless a test replaces them).
  Hooks& hooks() { return hooks_; }
  // The invariant report of the last block run, and whether a violation throws.
  const InvariantReport& last_invariants() const { return last_invariants_; }
  void set_throw_on_violation(bool on) { throw_on_violation_ = on; }
  // BlockContext::validator_changes for the blocks from now on (off, as in the daemon today).
  void set_validator_changes(bool on) { validator_changes_ = on; }

 private:
  MemoryState state_;
  std::uint64_t height_ = 0;
  std::uint64_t time_ms_ = kStartMs;
  Hooks hooks_ = standard_hooks();
  InvariantReport last_invariants_;
  bool throw_on_violation_ = true;
  bool validator_changes_ = false;
};

// The raw id carried (as hex) by attribute `key` of the first event `name` of a receipt; ""
// when the receipt has no such event.
std::string event_id(const Receipt& r, const std::string& name, const std::string& key);

// The first event named `name` in a receipt, or nullptr.
const Event* find_event(const Receipt& r, const std::string& name);
// The value of attribute `key` of an event ("" when absent).
std::string attr(const Event& e, const std::string& key);

}  // namespace sharechain::contracts::testing
