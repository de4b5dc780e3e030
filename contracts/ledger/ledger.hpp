// The ledger contract: accounts, roles, qualifications, issuance and escrow.
//
// Besides its own actions it is the money API of every other contract: they move funds only
// through transfer / mint / hold / release here, so that "total supply = balances + escrow"
// holds by construction and every movement emits an event.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "contracts/context.hpp"
#include "contracts/outcome.hpp"
#include "contracts/state.hpp"
#include "proto/status.hpp"
#include "sharechain/ledger.pb.h"
#include "sharechain/types.pb.h"

namespace sharechain::contracts::ledger {

namespace pb = ::sharechain::ledger;

inline constexpr std::string_view kContract = "ledger";

inline constexpr std::string_view kOperator = "operator";
inline constexpr std::string_view kDataServer = "data_server";
inline constexpr std::string_view kAttester = "attester";
inline constexpr std::string_view kValidator = "validator";
bool is_known_role(std::string_view role);

// Key space (docs/contracts.md):
//   ledger/acct/<addr20>            -> ledger.Account
//   ledger/role/<role>/<addr20>     -> "" (holders of a role)
//   ledger/issue/<reference>        -> ledger.IssueRecord
//   ledger/hold/<id16>              -> ledger.EscrowHold
//   ledger/holds_of/<addr20><id16>  -> "" (holds of an account)
//   ledger/issued                   -> be64 total issued (genesis balances + every mint)
//   chain/validator/<be32 index>    -> Validator (the validator set, written at genesis)
std::string account_key(std::string_view address);
std::string role_key(std::string_view role, std::string_view address);
std::string issue_key(std::string_view reference);
std::string hold_key(std::string_view hold_id);
inline constexpr std::string_view kIssuedKey = "ledger/issued";
std::string validator_key(std::uint32_t index);

// An account with no key anyone holds, owned by a contract object (an agreement's income pot):
// the first 20 bytes of a tagged hash, so it can never collide with a key's address.
std::string derived_address(std::string_view kind, std::string_view id);

// --- reading -------------------------------------------------------------------------------
std::optional<pb::Account> find_account(const StateReader& state, std::string_view address);
// The stored account, or an empty one carrying the address.
pb::Account account_or_new(const StateReader& state, std::string_view address);
void save_account(Overlay& state, const pb::Account& account);
std::uint64_t balance_of(const StateReader& state, std::string_view address);
bool has_role(const pb::Account& account, std::string_view role);
bool has_role(const StateReader& state, std::string_view address, std::string_view role);
// PERMISSION_DENIED "<action> needs the <role> role; scXX.. does not hold it".
Outcome require_role(const StateReader& state, std::string_view address, std::string_view role,
                     std::string_view action);
// As above for "any of" two roles.
Outcome require_either_role(const StateReader& state, std::string_view address,
                            std::string_view role_a, std::string_view role_b,
                            std::string_view action);
// True when the account holds `name` and it has not expired at `now_ms`.
bool has_qualification(const StateReader& state, std::string_view address, std::string_view name,
                       std::uint64_t now_ms);
std::uint64_t issued_total(const StateReader& state);
std::optional<pb::EscrowHold> find_hold(const StateReader& state, std::string_view hold_id);
// The validator set in index order.
std::vector<Validator> validators(const StateReader& state);

// --- movements (each emits an event; each refusal leaves state untouched) -------------------
// Refuses zero amounts, self-transfers, a malformed `to`, and more than the balance
// (INSUFFICIENT_FUNDS with both numbers).
Outcome transfer(TxContext& ctx, std::string_view from, std::string_view to,
                 std::uint64_t amount, std::string_view memo);
// Creates `amount` units on `to` for an off-chain payment identified by `reference` (which may
// never repeat). `purpose` says which action minted ("issue", "usage payment ...").
Outcome mint(TxContext& ctx, std::string_view to, std::uint64_t amount,
             std::string_view reference, std::string_view purpose);
// Moves `amount` from the owner's balance into a new escrow hold; returns the hold id.
Checked<std::string> hold(TxContext& ctx, std::string_view owner, std::uint64_t amount,
                          std::string_view contract, std::string_view purpose);
// Returns `amount` of a hold to its owner's balance (the whole hold when amount equals it,
// which deletes the hold).
Outcome release(TxContext& ctx, std::string_view hold_id, std::uint64_t amount);
// Returns the whole of a hold that a contract record (`holder`, e.g. "a reservation") names, and
// says how much that was; the hold missing is state corruption and halts.
Checked<std::uint64_t> release_all(TxContext& ctx, std::string_view hold_id, std::string_view holder);

// --- roles (the caller has checked who may) ------------------------------------------------
// The argument checks alone: a 20-byte account, a known role, an organisation for attesters only.
Outcome check_grant(const pb::GrantRole& g);
Outcome check_revoke(const pb::RevokeRole& r);
// Refuses a role the account already holds (ALREADY_EXISTS), a role it does not hold
// (NOT_FOUND) and revoking the last operator; emits RoleGranted / RoleRevoked.
Outcome grant_role(TxContext& ctx, const pb::GrantRole& g);
Outcome revoke_role(TxContext& ctx, const pb::RevokeRole& r);

// --- executor support ------------------------------------------------------------------------
std::uint64_t next_nonce(const StateReader& state, std::string_view address);
// Consumes the sender's nonce; creates the account if it is new.
void consume_nonce(Overlay& state, std::string_view address);
// Sum of every balance and every escrow (scans all accounts).
pb::Supply supply(const StateReader& state);

// The ledger's actions and queries.
Outcome execute(TxContext& ctx, const pb::Call& call);
Result<pb::QueryResult> query(const StateReader& state, const pb::Query& q);

}  // namespace sharechain::contracts::ledger
