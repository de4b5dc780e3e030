// The money invariants, checked after every block and, from outside, by `sharechain audit`.
//
//   supply            a transaction changes the sum of all balances and escrow by exactly what
//                     it issued minus what it burned (no contract burns today, so: issued), the
//                     issued counter (ledger/issued) rises by the Issued events' total, and each
//                     account changes by exactly what its ledger events say. By induction from
//                     genesis (whose issued counter is the sum of the genesis balances) the
//                     chain's total is always genesis + issuance - burns.
//   split_sum         an income split's parts sum to the income (IncomeSplit, SessionPaid), the
//                     parts paid out (RevenueDistributed) are that split, and a financing pool's
//                     parts (FinancingDistributed, FinancierPaid) sum to the pool.
//   financing_cap     a financing's subscriptions and the amount raised never exceed the amount
//                     sought.
//   negative_balance  no balance or escrow goes below zero (as unsigned numbers: a movement out
//                     of more than the account holds, or a value larger than everything ever
//                     issued, which is what a wrapped negative looks like).
//
// Everything here is pure: no clock, no I/O; the same inputs give the same answer everywhere.
// docs/invariants.md gives the exact accounting and what an outside audit can and cannot check.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "contracts/executor.hpp"
#include "contracts/state.hpp"
#include "proto/status.hpp"
#include "sharechain/types.pb.h"

namespace sharechain::contracts {

inline constexpr std::string_view kInvariantSupply = "supply";
inline constexpr std::string_view kInvariantSplitSum = "split_sum";
inline constexpr std::string_view kInvariantFinancingCap = "financing_cap";
inline constexpr std::string_view kInvariantNegativeBalance = "negative_balance";

// The keys the invariants read from a transaction's writes: accounts (ledger/acct/), the issued
// counter (ledger/issued) and financing records (financing/financing/).
bool is_money_key(std::string_view key);

struct Violation {
  std::string invariant;  // one of the kInvariant* names
  std::uint64_t height = 0;
  std::uint32_t tx_index = 0;  // position of the transaction in its block
  std::string tx_hash;         // 32 raw bytes; empty when no transaction is known (an outside
                               // audit's check of the current state)
  std::string message;         // what differs, with the numbers
  // "invariant supply violated at height 12, transaction 3 (ab12...): ..." (without the
  // transaction part when tx_hash is empty)
  std::string describe() const;
};

// What one transaction's ledger events say it did to money: per account, units into and out of
// its balance and its escrow; and the units issued (Issued) and burned (none today).
struct AccountFlow {
  std::uint64_t balance_in = 0;
  std::uint64_t balance_out = 0;
  std::uint64_t escrow_in = 0;
  std::uint64_t escrow_out = 0;
};
struct LedgerFlows {
  std::map<std::string, AccountFlow, std::less<>> accounts;  // by 20-byte address
  std::uint64_t issued = 0;
  std::uint64_t burned = 0;
};
// Reads Transferred, Issued, EscrowHeld and EscrowReleased of a receipt (other events are
// ignored; a failed receipt has none). INVALID_ARGUMENT names an event missing its typed amount
// or address, or totals that overflow.
Result<LedgerFlows> ledger_flows(const Receipt& receipt);

// The amount sought of each financing known so far (by 16-byte id). check_receipt_events fills
// it from FinancingOffered events; callers may add what they know from state.
using FinancingCaps = std::map<std::string, std::uint64_t, std::less<>>;

// The checks that need only a receipt's events: split_sum and financing_cap. This is what an
// outside auditor holding receipts can check exactly; check_block runs it on every receipt.
std::optional<Violation> check_receipt_events(std::uint64_t height, const Receipt& receipt,
                                              FinancingCaps& caps);

// A balance and escrow as an outside auditor knows them.
struct Holdings {
  std::uint64_t balance = 0;
  std::uint64_t escrow = 0;
};
// Outside view, walking a chain backwards from the holdings it reads now: turns the holdings
// after `receipt` into those before it using its ledger flows. negative_balance when the events
// take out of an account more than it could have held before the transaction (the account
// went below zero); supply when the events do not decode. Accounts missing from `holdings`
// are taken as zero after the transaction.
std::optional<Violation> unwind_receipt(std::uint64_t height, const Receipt& receipt,
                                        std::map<std::string, Holdings, std::less<>>& holdings);

struct InvariantReport {
  std::optional<Violation> violation;  // the first one found, in transaction order
  std::uint64_t issued_before = 0;     // ledger/issued before the block
  std::uint64_t issued_after = 0;      // after the transactions checked
  std::uint64_t issued_in_block = 0;   // sum of the block's Issued events
  std::uint64_t burned_in_block = 0;   // always 0: no contract burns
  bool ok() const { return !violation.has_value(); }
};

// Checks every invariant over what execute_block produced for block `height`, transaction by
// transaction, and stops at the first violation. Cost: proportional to the money keys the block
// changed and its events; it reads no state. A node calls it after execute_block and before it
// stores the block; a violation means its own execution is broken and it must halt.
InvariantReport check_block(std::uint64_t height, const BlockResult& result);

}  // namespace sharechain::contracts
