// The renderings every tool prints with live in reports/render.hpp, shared with the node's
// explorer so a page and a command show the same figures; this header names them in `tools`.
#pragma once

#include "reports/render.hpp"

namespace sharechain::tools {

using Json = reports::Json;
using reports::account_json;
using reports::block_json;
using reports::call_json;
using reports::event_json;
using reports::format_amount;
using reports::format_credits;
using reports::format_time_ms;
using reports::is_money_field;
using reports::normalise_reason;
using reports::print_text;
using reports::proto_to_json;
using reports::receipt_json;
using reports::receipt_status_name;
using reports::render_bytes;
using reports::signed_transaction_json;
using reports::status_json;
using reports::submit_json;
using reports::transaction_info_json;
using reports::tx_status_name;
using reports::validator_json;

}  // namespace sharechain::tools
