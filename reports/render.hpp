// JSON and text renderings of what the client API returns (shared by the CLI tools and the
// node's explorer, so both show the same figures in the same shape), with the field names INTERFACES.md
// fixes. Hashes, keys and signatures are lower-case hex; a 20-byte `bytes` value is an address
// and is shown as "sc" + 40 hex; amounts are integer minor units (1 credit = 100 units).
#pragma once

#include <google/protobuf/message.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "proto/crypto.hpp"
#include "sharechain/api.pb.h"
#include "sharechain/types.pb.h"

namespace sharechain::reports {

// Insertion-ordered, so the fields print in the order a reader expects.
using Json = nlohmann::ordered_json;

// Any protobuf message by reflection: every singular scalar (defaults included, so scripts see
// a stable shape), set sub-messages and oneof members only, repeated fields as arrays, maps as
// objects, enums by name, 64-bit integers as JSON numbers, bytes as in the header comment.
Json proto_to_json(const google::protobuf::Message& message);
// A bytes value as this file's rule renders it.
std::string render_bytes(std::string_view raw);

// "TX_COMMITTED" -> "committed"; "RECEIPT_INSUFFICIENT_FUNDS" -> "insufficient_funds".
std::string tx_status_name(api::TxStatus status);
std::string receipt_status_name(ReceiptStatus status);

// The contract call a body carries: {"contract": "ledger", "action": "transfer", "args": {...}}.
// "action" is empty (and "args" the whole call) when the call message has no action oneof set.
Json call_json(const TransactionBody& body);

Json status_json(const api::NodeStatus& status);
// `account` nullopt: the node has never seen the address; it renders as empty (balance 0,
// nonce 0), which is what the chain treats it as.
Json account_json(std::string_view address20, const std::optional<ledger::Account>& account);
Json receipt_json(const Receipt& receipt);
Json event_json(const Event& event);
// A validator of the set: index, name, public_key (hex), address, peer_address, since_height.
Json validator_json(const ledger::ValidatorInfo& v);
// A transaction from its serialized SignedTransaction: hash, sender, nonce, chain id, call.
// A body that does not parse gives {"hash", "error"} instead of failing the whole block.
Json signed_transaction_json(std::string_view signed_tx_bytes);
Json transaction_info_json(const api::TransactionInfo& info);
// height, hash, prev_hash, state_root (this node's root after the block), transactions (each
// with its receipt's status), plus header and certificate details.
Json block_json(const api::BlockInfo& info);
// What `transfer` and other actions print: tx_hash, status, and once committed height, result
// ("ok" or the receipt status), error and events.
Json submit_json(const crypto::Hash& tx_hash, const api::SubmitResponse& response);

// A JSON value as indented text for people: one "key  value" line per field, nested objects
// indented under their key, arrays of objects as "-" items, arrays of plain values joined by
// ", ", empty arrays as "(none)". Money fields (see is_money_field) also show credits.
void print_text(std::ostream& out, const Json& value, int indent = 0);
// Field names that hold an amount of units: amount, balance, price, deposit, charge, escrow,
// and names ending in _income, _total (of income), _price, _cost or _charge.
bool is_money_field(std::string_view name);

// 123456 -> "1234.56" (credits).
std::string format_credits(std::uint64_t units);
// "123456 units (1234.56 credits)"
std::string format_amount(std::uint64_t units);
// Milliseconds since the epoch as "2026-11-23T10:45:26.123Z".
std::string format_time_ms(std::uint64_t ms);

// Replaces what varies between occurrences of one reason (numbers, ids, addresses) so that
// refusals group: "agreement 3fa0... is not active (it is suspended)" and the same for another
// agreement count as one reason.
std::string normalise_reason(std::string_view reason);

}  // namespace sharechain::reports
