#include "tools/chaos/record.hpp"

#include <fstream>

#include "proto/crypto.hpp"

namespace sharechain::chaos {
namespace {

using tools::Json;

std::string hex_or_empty(const std::string& raw) { return raw.empty() ? "" : crypto::to_hex(raw); }

// Reads one field into `out`; the first problem found is kept in `error`.
class FieldReader {
 public:
  explicit FieldReader(const Json& j) : j_(j) {}

  template <typename T>
  void get(const char* name, T& out) {
    if (!error_.empty()) return;
    const auto it = j_.find(name);
    if (it == j_.end()) {
      error_ = std::string("missing field '") + name + "'";
      return;
    }
    try {
      out = it->get<T>();
    } catch (const std::exception&) {
      error_ = std::string("field '") + name + "' has the wrong type";
    }
  }
  template <typename T>
  void get_or(const char* name, T& out, T fallback) {
    if (j_.contains(name) && !j_.at(name).is_null()) {
      get(name, out);
    } else {
      out = std::move(fallback);
    }
  }
  void get_hex(const char* name, std::string& out, std::size_t size) {
    std::string text;
    get(name, text);
    if (!error_.empty() || text.empty()) return;
    auto raw = crypto::from_hex(text);
    if (!raw || raw->size() != size) {
      error_ = std::string("field '") + name + "' is not " + std::to_string(size) + " bytes of hex";
      return;
    }
    out = std::move(*raw);
  }
  void get_address(const char* name, std::string& out) {
    std::string text;
    get(name, text);
    if (!error_.empty()) return;
    auto raw = crypto::parse_address(text);
    if (!raw) {
      error_ = std::string("field '") + name + "' is not an address";
      return;
    }
    out = std::move(*raw);
  }
  void get_seconds(const char* name, std::optional<double>& out) {
    if (!error_.empty()) return;
    const auto it = j_.find(name);
    if (it == j_.end() || it->is_null()) {
      out.reset();
      return;
    }
    if (!it->is_number()) {
      error_ = std::string("field '") + name + "' is not a number";
      return;
    }
    out = it->get<double>();
  }
  const std::string& error() const { return error_; }

 private:
  const Json& j_;
  std::string error_;
};

}  // namespace

Json to_json(const LedgerRecord& r) {
  Json j;
  j["cmd"] = r.cmd;
  j["kind"] = r.kind;
  j["repeat_of"] = r.repeat_of;
  j["sender"] = r.sender;
  j["from"] = crypto::format_address(r.from);
  j["to"] = crypto::format_address(r.to);
  j["amount"] = r.amount;
  j["memo"] = r.memo;
  j["nonce"] = r.nonce;
  j["nonce_from"] = r.nonce_from;
  j["node"] = r.node;
  j["tx_hash"] = hex_or_empty(r.tx_hash);
  j["reply_hash"] = hex_or_empty(r.reply_hash);
  j["outcome"] = r.outcome;
  j["height"] = r.height;
  j["error"] = r.error;
  j["sent_ms"] = r.sent_ms;
  j["latency_ms"] = r.latency_ms;
  return j;
}

Result<LedgerRecord> ledger_record_from_json(const Json& j) {
  if (!j.is_object()) return Status::invalid_argument("a ledger line is not a JSON object");
  LedgerRecord r;
  FieldReader f(j);
  f.get("cmd", r.cmd);
  f.get("kind", r.kind);
  f.get_or("repeat_of", r.repeat_of, std::uint64_t{0});
  f.get("sender", r.sender);
  f.get_address("from", r.from);
  f.get_address("to", r.to);
  f.get("amount", r.amount);
  f.get_or("memo", r.memo, std::string());
  f.get("nonce", r.nonce);
  f.get_or("nonce_from", r.nonce_from, std::string("node"));
  f.get("node", r.node);
  f.get_hex("tx_hash", r.tx_hash, 32);
  f.get_hex("reply_hash", r.reply_hash, 32);
  f.get("outcome", r.outcome);
  f.get_or("height", r.height, std::uint64_t{0});
  f.get_or("error", r.error, std::string());
  f.get_or("sent_ms", r.sent_ms, std::uint64_t{0});
  f.get_or("latency_ms", r.latency_ms, std::uint64_t{0});
  if (!f.error().empty()) return Status::invalid_argument(f.error());
  for (std::string_view known : {kAcked, kFailed, kTimeout, kRefused, kUnreachable}) {
    if (r.outcome == known) {
      if (r.acked() && r.tx_hash.empty())
        return Status::invalid_argument("an acked command has no tx_hash");
      return r;
    }
  }
  return Status::invalid_argument("unknown outcome '" + r.outcome + "'");
}

Result<LedgerFile> read_ledger(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return Status::not_found("cannot open the ledger " + file.string());
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(std::move(line));
  }
  LedgerFile out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string where = file.string() + " line " + std::to_string(i + 1);
    const Json j = Json::parse(lines[i], nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
      if (i + 1 == lines.size()) {
        out.note = where + " is cut short and was skipped";
        break;
      }
      return Status::invalid_argument(where + " is not JSON");
    }
    Result<LedgerRecord> r = ledger_record_from_json(j);
    if (!r) return Status::invalid_argument(where + ": " + r.status().message());
    out.records.push_back(std::move(r).value());
  }
  return out;
}

Result<FaultRecord> fault_record_from_json(const Json& j) {
  if (!j.is_object()) return Status::invalid_argument("a fault line is not a JSON object");
  FaultRecord r;
  FieldReader f(j);
  f.get("n", r.n);
  f.get("kind", r.kind);
  f.get("targets", r.targets);
  f.get("at_s", r.at_s);
  f.get_or("hold_s", r.hold_s, 0.0);
  f.get_or("detail", r.detail, std::string());
  f.get_seconds("cluster_s", r.cluster_s);
  f.get_or("cluster_from", r.cluster_from, std::string("injection"));
  f.get_seconds("node_s", r.node_s);
  if (!f.error().empty()) return Status::invalid_argument(f.error());
  return r;
}

Result<std::vector<FaultRecord>> read_faults(const std::filesystem::path& file) {
  std::vector<FaultRecord> out;
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return out;
  std::ifstream in(file);
  if (!in) return Status::not_found("cannot open the fault log " + file.string());
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    if (line.empty()) continue;
    const Json j = Json::parse(line, nullptr, false);
    if (j.is_discarded())
      return Status::invalid_argument(file.string() + " line " + std::to_string(n) +
                                      " is not JSON");
    Result<FaultRecord> r = fault_record_from_json(j);
    if (!r)
      return Status::invalid_argument(file.string() + " line " + std::to_string(n) + ": " +
                                      r.status().message());
    out.push_back(std::move(r).value());
  }
  return out;
}

}  // namespace sharechain::chaos
