#include "reports/render.hpp"

#include <google/protobuf/descriptor.h>

#include <algorithm>
#include <cctype>
#include <ctime>

#include "proto/address.hpp"
#include "proto/crypto.hpp"
#include "proto/transaction.hpp"

namespace sharechain::reports {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string strip_prefix_lower(const std::string& name, std::string_view prefix) {
  if (name.rfind(prefix, 0) == 0) return lower(name.substr(prefix.size()));
  return lower(name);
}

Json scalar_json(const Message& m, const Reflection& r, const FieldDescriptor* f) {
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32: return r.GetInt32(m, f);
    case FieldDescriptor::CPPTYPE_INT64: return r.GetInt64(m, f);
    case FieldDescriptor::CPPTYPE_UINT32: return r.GetUInt32(m, f);
    case FieldDescriptor::CPPTYPE_UINT64: return r.GetUInt64(m, f);
    case FieldDescriptor::CPPTYPE_DOUBLE: return r.GetDouble(m, f);
    case FieldDescriptor::CPPTYPE_FLOAT: return r.GetFloat(m, f);
    case FieldDescriptor::CPPTYPE_BOOL: return r.GetBool(m, f);
    case FieldDescriptor::CPPTYPE_ENUM: return r.GetEnum(m, f)->name();
    case FieldDescriptor::CPPTYPE_STRING:
      return f->type() == FieldDescriptor::TYPE_BYTES ? Json(render_bytes(r.GetString(m, f)))
                                                      : Json(r.GetString(m, f));
    case FieldDescriptor::CPPTYPE_MESSAGE: return proto_to_json(r.GetMessage(m, f));
  }
  return nullptr;
}

Json repeated_element_json(const Message& m, const Reflection& r, const FieldDescriptor* f, int i) {
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32: return r.GetRepeatedInt32(m, f, i);
    case FieldDescriptor::CPPTYPE_INT64: return r.GetRepeatedInt64(m, f, i);
    case FieldDescriptor::CPPTYPE_UINT32: return r.GetRepeatedUInt32(m, f, i);
    case FieldDescriptor::CPPTYPE_UINT64: return r.GetRepeatedUInt64(m, f, i);
    case FieldDescriptor::CPPTYPE_DOUBLE: return r.GetRepeatedDouble(m, f, i);
    case FieldDescriptor::CPPTYPE_FLOAT: return r.GetRepeatedFloat(m, f, i);
    case FieldDescriptor::CPPTYPE_BOOL: return r.GetRepeatedBool(m, f, i);
    case FieldDescriptor::CPPTYPE_ENUM: return r.GetRepeatedEnum(m, f, i)->name();
    case FieldDescriptor::CPPTYPE_STRING:
      return f->type() == FieldDescriptor::TYPE_BYTES ? Json(render_bytes(r.GetRepeatedString(m, f, i)))
                                                      : Json(r.GetRepeatedString(m, f, i));
    case FieldDescriptor::CPPTYPE_MESSAGE: return proto_to_json(r.GetRepeatedMessage(m, f, i));
  }
  return nullptr;
}

// A map entry's key as an object key (map keys are integers, bools or strings).
std::string map_key_string(const Json& key) {
  return key.is_string() ? key.get<std::string>() : key.dump();
}

std::string hex_of(const std::string& raw) { return crypto::to_hex(raw); }

}  // namespace

std::string render_bytes(std::string_view raw) {
  if (raw.size() == crypto::kAddressSize) return crypto::format_address(raw);
  return crypto::to_hex(raw);
}

Json proto_to_json(const Message& message) {
  Json out = Json::object();
  const auto* d = message.GetDescriptor();
  const Reflection* r = message.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->is_map()) {
      Json obj = Json::object();
      const int n = r->FieldSize(message, f);
      for (int k = 0; k < n; ++k) {
        const Message& entry = r->GetRepeatedMessage(message, f, k);
        const Json e = proto_to_json(entry);
        obj[map_key_string(e["key"])] = e["value"];
      }
      out[f->name()] = std::move(obj);
    } else if (f->is_repeated()) {
      Json arr = Json::array();
      const int n = r->FieldSize(message, f);
      for (int k = 0; k < n; ++k) arr.push_back(repeated_element_json(message, *r, f, k));
      out[f->name()] = std::move(arr);
    } else if (f->has_presence()) {
      // Messages, oneof members and optional scalars: absent means "not given"; leave them out.
      if (r->HasField(message, f)) out[f->name()] = scalar_json(message, *r, f);
    } else {
      out[f->name()] = scalar_json(message, *r, f);
    }
  }
  return out;
}

std::string tx_status_name(api::TxStatus status) {
  const auto* e = api::TxStatus_descriptor()->FindValueByNumber(status);
  return e ? strip_prefix_lower(e->name(), "TX_") : std::to_string(static_cast<int>(status));
}

std::string receipt_status_name(ReceiptStatus status) {
  const auto* e = ReceiptStatus_descriptor()->FindValueByNumber(status);
  return e ? strip_prefix_lower(e->name(), "RECEIPT_") : std::to_string(static_cast<int>(status));
}

Json call_json(const TransactionBody& body) {
  Json out = Json::object();
  const auto* d = body.GetDescriptor();
  const Reflection* r = body.GetReflection();
  const auto* oneof = d->FindOneofByName("call");
  const FieldDescriptor* contract = oneof ? r->GetOneofFieldDescriptor(body, oneof) : nullptr;
  if (contract == nullptr) {
    out["contract"] = "";
    out["action"] = "";
    out["args"] = Json::object();
    return out;
  }
  out["contract"] = contract->name();
  const Message& call = r->GetMessage(body, contract);
  const auto* cd = call.GetDescriptor();
  const Reflection* cr = call.GetReflection();
  // A contract's Call is one oneof of actions; its set member is the action.
  for (int i = 0; i < cd->real_oneof_decl_count(); ++i) {
    if (const FieldDescriptor* action = cr->GetOneofFieldDescriptor(call, cd->oneof_decl(i))) {
      out["action"] = action->name();
      out["args"] = action->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE
                        ? proto_to_json(cr->GetMessage(call, action))
                        : scalar_json(call, *cr, action);
      return out;
    }
  }
  out["action"] = "";
  out["args"] = proto_to_json(call);
  return out;
}

Json status_json(const api::NodeStatus& s) {
  Json out;
  out["chain_id"] = s.chain_id();
  out["height"] = s.height();
  out["view"] = s.view();
  out["validators"] = s.validators();
  out["node_id"] = s.node_id();
  out["node_name"] = s.node_name();
  out["primary"] = s.primary();
  out["last_block_hash"] = hex_of(s.last_block_hash());
  out["state_root"] = hex_of(s.state_root());
  out["stable_checkpoint"] = s.stable_checkpoint();
  out["mempool_size"] = s.mempool_size();
  out["version"] = s.version();
  out["synced"] = s.synced();
  out["certified_height"] = s.certified_height();
  out["history_complete"] = s.history_complete();
  out["history_from"] = s.history_from();
  out["epoch"] = s.epoch();
  out["follower"] = s.follower();
  Json missing = Json::array();
  for (const api::HeightRange& r : s.history_missing()) {
    missing.push_back({{"from", r.from()}, {"to", r.to()}});
  }
  out["history_missing"] = std::move(missing);
  Json peers = Json::array();
  for (const api::PeerStatus& p : s.peers()) {
    peers.push_back({{"validator", p.validator()},
                     {"address", p.address()},
                     {"connected", p.connected()},
                     {"public_key", crypto::to_hex(p.public_key())},
                     {"validating", p.validating()}});
  }
  out["peers"] = std::move(peers);
  return out;
}

Json validator_json(const ledger::ValidatorInfo& v) {
  return Json{{"index", v.index()},
              {"name", v.name()},
              {"public_key", crypto::to_hex(v.public_key())},
              {"address", crypto::format_address(v.address())},
              {"peer_address", v.peer_address()},
              {"since_height", v.since_height()}};
}

Json account_json(std::string_view address20, const std::optional<ledger::Account>& account) {
  Json out;
  out["address"] = crypto::format_address(address20);
  out["balance"] = account ? account->balance() : 0;
  out["nonce"] = account ? account->nonce() : 0;
  Json roles = Json::array();
  if (account) {
    for (const std::string& role : account->roles()) roles.push_back(role);
  }
  out["roles"] = std::move(roles);
  out["organisation"] = account ? account->organisation() : "";
  out["escrow"] = account ? account->escrow() : 0;
  Json qualifications = Json::array();
  if (account) {
    for (const ledger::Qualification& q : account->qualifications()) qualifications.push_back(proto_to_json(q));
  }
  out["qualifications"] = std::move(qualifications);
  out["exists"] = account.has_value();
  return out;
}

Json event_json(const Event& event) {
  Json attrs = Json::object();
  for (const Attribute& a : event.attributes()) attrs[a.key()] = a.value();
  return {{"contract", event.contract()}, {"name", event.name()}, {"attributes", std::move(attrs)}};
}

Json receipt_json(const Receipt& receipt) {
  Json out;
  out["tx_hash"] = hex_of(receipt.tx_hash());
  out["status"] = receipt_status_name(receipt.status());
  out["ok"] = receipt.status() == RECEIPT_OK;
  out["error"] = receipt.error();
  out["height"] = receipt.height();
  out["index"] = receipt.index();
  Json events = Json::array();
  for (const Event& e : receipt.events()) events.push_back(event_json(e));
  out["events"] = std::move(events);
  Json created = Json::array();
  for (const CreatedObject& c : receipt.created()) created.push_back({{"kind", c.kind()}, {"id", c.id_text()}});
  out["created"] = std::move(created);
  out["state_reads"] = receipt.state_reads();
  out["state_writes"] = receipt.state_writes();
  return out;
}

namespace {
void add_body_fields(Json& out, const TransactionBody& body) {
  out["sender"] = crypto::format_address(body.sender());
  out["nonce"] = body.nonce();
  out["chain_id"] = body.chain_id();
  out["expires_at_height"] = body.expires_at_height();
  out["call"] = call_json(body);
}
}  // namespace

Json signed_transaction_json(std::string_view signed_tx_bytes) {
  Json out;
  SignedTransaction tx;
  if (!tx.ParseFromArray(signed_tx_bytes.data(), static_cast<int>(signed_tx_bytes.size()))) {
    out["hash"] = "";
    out["error"] = "not a valid SignedTransaction";
    return out;
  }
  out["hash"] = crypto::to_hex(tx::hash_of(tx));
  TransactionBody body;
  if (!body.ParseFromString(tx.body())) {
    out["error"] = "body is not a valid TransactionBody";
    return out;
  }
  add_body_fields(out, body);
  return out;
}

Json transaction_info_json(const api::TransactionInfo& info) {
  Json out;
  const std::string hash = hex_of(info.tx_hash());
  out["tx_hash"] = hash;
  out["hash"] = hash;
  out["status"] = tx_status_name(info.status());
  out["height"] = info.height();
  out["block_hash"] = hex_of(info.block_hash());
  out["timestamp_ms"] = info.timestamp_ms();
  TransactionBody body;
  const bool have_body = info.has_body() || body.ParseFromString(info.transaction().body());
  if (have_body) add_body_fields(out, info.has_body() ? info.body() : body);
  out["public_key"] = hex_of(info.transaction().public_key());
  out["signature"] = hex_of(info.transaction().signature());
  if (info.has_receipt()) out["receipt"] = receipt_json(info.receipt());
  return out;
}

Json block_json(const api::BlockInfo& info) {
  BlockHeader header = info.header();
  if (!info.has_header()) header.ParseFromString(info.block().header());
  Json out;
  out["height"] = info.height();
  out["hash"] = hex_of(info.hash());
  out["prev_hash"] = hex_of(header.prev_hash());
  out["state_root"] = hex_of(info.state_root());
  out["chain_id"] = header.chain_id();
  out["view"] = header.view();
  out["timestamp_ms"] = header.timestamp_ms();
  out["proposer"] = header.proposer();
  out["tx_root"] = hex_of(header.tx_root());
  if (!header.signed_tx_root().empty()) out["signed_tx_root"] = hex_of(header.signed_tx_root());
  // The header certifies an earlier state (order, then execute); keep both roots visible.
  out["state_height"] = header.state_height();
  out["certified_state_root"] = hex_of(header.state_root());
  if (!header.history_root().empty()) out["certified_history_root"] = hex_of(header.history_root());
  Json txs = Json::array();
  for (int i = 0; i < info.block().transactions_size(); ++i) {
    Json t = signed_transaction_json(info.block().transactions(i));
    if (i < info.receipts_size()) {
      const Receipt& rc = info.receipts(i);
      t["status"] = receipt_status_name(rc.status());
      t["error"] = rc.error();
      Json events = Json::array();
      for (const Event& e : rc.events()) events.push_back(event_json(e));
      t["events"] = std::move(events);
    }
    txs.push_back(std::move(t));
  }
  out["transactions"] = std::move(txs);
  if (info.block().has_certificate()) {
    const CommitCertificate& cert = info.block().certificate();
    Json voters = Json::array();
    for (const CommitVote& v : cert.votes()) voters.push_back(v.validator());
    out["certificate"] = {{"view", cert.view()}, {"votes", std::move(voters)}};
  }
  return out;
}

Json submit_json(const crypto::Hash& tx_hash, const api::SubmitResponse& response) {
  Json out;
  out["tx_hash"] = crypto::to_hex(tx_hash);
  out["status"] = tx_status_name(response.status());
  if (response.status() == api::TX_COMMITTED) {
    out["height"] = response.height();
    if (response.has_receipt()) {
      out["result"] = receipt_status_name(response.receipt().status());
      out["error"] = response.receipt().error();
      Json events = Json::array();
      for (const Event& e : response.receipt().events()) events.push_back(event_json(e));
      out["events"] = std::move(events);
    }
  }
  return out;
}

bool is_money_field(std::string_view name) {
  auto ends_with = [&](std::string_view suffix) {
    return name.size() >= suffix.size() && name.substr(name.size() - suffix.size()) == suffix;
  };
  for (std::string_view exact : {"amount", "balance", "price", "deposit", "charge", "escrow", "issued",
                                 "balances", "passed_on"}) {
    if (name == exact) return true;
  }
  return ends_with("_income") || ends_with("income_total") || ends_with("_price") ||
         ends_with("_cost") || ends_with("_charge") || ends_with("_amount");
}

namespace {

std::string scalar_text(const std::string& key, const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  // nlohmann keeps non-negative values built from signed integers as signed; both are amounts.
  if (v.is_number_integer() && is_money_field(key) && (v.is_number_unsigned() || v.get<std::int64_t>() >= 0)) {
    return format_amount(v.get<std::uint64_t>());
  }
  return v.dump();
}

bool is_plain(const Json& v) { return !v.is_object() && !v.is_array(); }

}  // namespace

void print_text(std::ostream& out, const Json& value, int indent) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  if (!value.is_object()) {
    out << pad << scalar_text("", value) << "\n";
    return;
  }
  std::size_t width = 0;
  for (const auto& [k, v] : value.items()) width = std::max(width, k.size());
  for (const auto& [k, v] : value.items()) {
    const std::string label = pad + k + std::string(width - k.size() + 2, ' ');
    if (v.is_object()) {
      out << pad << k << "\n";
      print_text(out, v, indent + 2);
    } else if (v.is_array()) {
      if (v.empty()) {
        out << label << "(none)\n";
      } else if (std::all_of(v.begin(), v.end(), is_plain)) {
        std::string joined;
        for (const Json& e : v) joined += (joined.empty() ? "" : ", ") + scalar_text(k, e);
        out << label << joined << "\n";
      } else {
        out << pad << k << "\n";
        for (const Json& e : v) {
          out << pad << "  -\n";
          print_text(out, e, indent + 4);
        }
      }
    } else {
      out << label << scalar_text(k, v) << "\n";
    }
  }
}

std::string format_credits(std::uint64_t units) {
  const std::uint64_t cents = units % 100;
  return std::to_string(units / 100) + "." + (cents < 10 ? "0" : "") + std::to_string(cents);
}

std::string format_amount(std::uint64_t units) {
  return std::to_string(units) + " units (" + format_credits(units) + " credits)";
}

std::string format_time_ms(std::uint64_t ms) {
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%03uZ", static_cast<unsigned>(ms % 1000));
  return std::string(buf) + frac;
}

namespace {
bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
}  // namespace

std::string normalise_reason(std::string_view reason) {
  std::string out;
  std::size_t i = 0;
  while (i < reason.size()) {
    const char c = reason[i];
    // An address: the checksummed form (which parses only if it is one) ...
    if (c == 's' && (i == 0 || !std::isalnum(static_cast<unsigned char>(reason[i - 1]))) &&
        crypto::parse_address(reason.substr(i, crypto::kAddressTextSize)) &&
        (i + crypto::kAddressTextSize == reason.size() ||
         !std::isalnum(static_cast<unsigned char>(reason[i + crypto::kAddressTextSize])))) {
      out += "<account>";
      i += crypto::kAddressTextSize;
      continue;
    }
    // ... or the legacy one, "sc" and 40 hex digits.
    if (c == 's' && i + 42 <= reason.size() && reason[i + 1] == 'c' &&
        std::all_of(reason.begin() + static_cast<std::ptrdiff_t>(i + 2),
                    reason.begin() + static_cast<std::ptrdiff_t>(i + 42), is_hex) &&
        (i + 42 == reason.size() || !is_hex(reason[i + 42]))) {
      out += "<account>";
      i += 42;
      continue;
    }
    if (is_hex(c) && (i == 0 || !std::isalnum(static_cast<unsigned char>(reason[i - 1])))) {
      std::size_t j = i;
      while (j < reason.size() && is_hex(reason[j])) ++j;
      // Ids and hashes are long hex runs; shorter ones are words ("deadline") or numbers.
      if (j - i >= 16) {
        out += "<id>";
        i = j;
        continue;
      }
    }
    if (is_digit(c)) {
      std::size_t j = i;
      while (j < reason.size() &&
             (is_digit(reason[j]) ||
              ((reason[j] == ',' || reason[j] == '.') && j + 1 < reason.size() && is_digit(reason[j + 1])))) {
        ++j;
      }
      out += "N";
      i = j;
      continue;
    }
    out += c;
    ++i;
  }
  return out;
}

}  // namespace sharechain::reports
