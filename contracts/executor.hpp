// Block execution, genesis and queries: the contracts' whole surface towards the node.
//
// Everything here is pure and deterministic: the same state, block context and transactions
// give the same receipts and the same WriteSet on every node. No clock (time is
// BlockContext::timestamp_ms), no threads, no I/O, no randomness, integer arithmetic only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "contracts/context.hpp"
#include "contracts/state.hpp"
#include "proto/epoch_spacing.hpp"
#include "proto/status.hpp"
#include "proto/transaction.hpp"
#include "sharechain/api.pb.h"
#include "sharechain/ledger.pb.h"
#include "sharechain/types.pb.h"

namespace sharechain::contracts {

struct BlockResult {
  std::vector<Receipt> receipts;  // one per transaction, in order
  WriteSet writes;                // every state change of the block
  // Per transaction, in order: the money keys it changed (is_money_key in invariants.hpp:
  // accounts, the issued counter, financing records) with their values before and after it.
  // Empty for a transaction that failed (its writes were dropped; only its nonce moved).
  // check_block() reads this to name the transaction that broke a money invariant.
  std::vector<std::vector<KeyChange>> money_changes;
  // The issued counter (ledger/issued: genesis balances plus every mint) before the block.
  std::uint64_t issued_before = 0;
};

// Per transaction, in order:
//  - body.chain_id differs from ctx.chain_id -> RECEIPT_INVALID_ARGUMENT, nothing applied;
//  - expires_at_height != 0 and < ctx.height -> RECEIPT_EXPIRED, nothing applied, nonce kept;
//  - nonce != sender's next nonce -> RECEIPT_BAD_NONCE ("expected 4, got 6"), nothing applied;
//  - otherwise the nonce is consumed and the call runs against an overlay: success applies all
//    of its writes and events, failure applies none (only the nonce) and the receipt says why.
// `state` is the state after the previous block; it is only read.
BlockResult execute_block(const StateReader& state, const BlockContext& ctx,
                          const std::vector<tx::VerifiedTransaction>& txs);
// The hooks every node runs with: distributions to an asset's investor pass through the
// financing contract (return on investment, financiers' shares).
const Hooks& standard_hooks();
// The same with explicit hooks. Only standard_hooks() gives the chain's rules; other hooks are
// for tests that observe or replace the financing seam.
BlockResult execute_block(const StateReader& state, const BlockContext& ctx,
                          const std::vector<tx::VerifiedTransaction>& txs, const Hooks& hooks);

// Validates a genesis (chain id set, addresses parse, roles known, no duplicate accounts,
// total supply does not overflow, at least one validator, public keys valid) and returns the
// initial state. INVALID_ARGUMENT names the first problem found.
Result<WriteSet> genesis_state(const Genesis& genesis);

// Read-only queries for the client API. NOT_FOUND / INVALID_ARGUMENT with a clear message.
// QueryResponse.height is left 0: the caller knows which height `state` belongs to.
Result<api::QueryResponse> query(const StateReader& state, const api::QueryRequest& request);

// NOT_FOUND "no account scXXXX: it has never held funds or sent a transaction" for unknown ones.
Result<::sharechain::ledger::Account> get_account(const StateReader& state,
                                                  std::string_view address20);
std::uint64_t next_nonce(const StateReader& state, std::string_view address20);  // 0 if unknown
// Sum of all balances plus all escrow. Equals the issued counter in every reachable state.
std::uint64_t total_supply(const StateReader& state);
// The money invariants, for a node to check after recovery or state transfer and for tests:
// balances + escrow == the issued counter, and every account's escrow equals the sum of its
// escrow holds. INTERNAL naming the first difference found. Scans every account and hold.
Status verify_supply(const StateReader& state);

// The chain parameters and chain id recorded by genesis_state().
ChainParams chain_params(const StateReader& state);

// The checkpoint interval and window every validator of a chain runs with: its parameters', 0
// reading as kDefaultCheckpointInterval and kDefaultWindow (proto/epoch_spacing.hpp).
std::uint64_t checkpoint_interval(const ChainParams& params);
std::uint64_t consensus_window(const ChainParams& params);

}  // namespace sharechain::contracts
