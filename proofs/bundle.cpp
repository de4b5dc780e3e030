#include "proofs/bundle.hpp"

#include <algorithm>
#include <map>
#include <optional>

#include <google/protobuf/unknown_field_set.h>

namespace sharechain::proofs {
namespace {

std::string hex(std::string_view raw) { return crypto::to_hex(raw); }

// Bytes as a bundle spells them: lower-case hex digits only, so each byte string has one spelling.
std::optional<std::string> from_bundle_hex(std::string_view text) {
  if (text.find_first_not_of("0123456789abcdef") != std::string_view::npos) return std::nullopt;
  return crypto::from_hex(text);
}

Json certified_json(const api::CertifiedHeader& c) {
  Json votes = Json::array();
  for (const CommitVote& v : c.certificate().votes()) {
    votes.push_back({{"validator", v.validator()}, {"signature", hex(v.signature())}});
  }
  return {{"header", hex(c.header())},
          {"certificate",
           {{"height", c.certificate().height()},
            {"view", c.certificate().view()},
            {"block_hash", hex(c.certificate().block_hash())},
            {"votes", std::move(votes)}}}};
}

Json path_json(const google::protobuf::RepeatedPtrField<std::string>& path) {
  Json out = Json::array();
  for (const std::string& h : path) out.push_back(hex(h));
  return out;
}

// Field readers that name what is wrong, for proof_from_json.
struct Reader {
  std::string where;

  Status missing(const std::string& field, const char* what) const {
    return Status::invalid_argument(where + field + " must be " + what);
  }
  Result<const Json*> member(const Json& j, const std::string& field) const {
    if (!j.is_object() || !j.contains(field)) return missing(field, "present");
    return &j.at(field);
  }
  Result<std::uint64_t> number(const Json& j, const std::string& field) const {
    auto m = member(j, field);
    if (!m) return m.status();
    if (!(*m)->is_number_unsigned()) return missing(field, "a non-negative integer");
    return (*m)->get<std::uint64_t>();
  }
  Result<std::string> bytes(const Json& j, const std::string& field) const {
    auto m = member(j, field);
    if (!m) return m.status();
    if (!(*m)->is_string()) return missing(field, "a lower-case hex string");
    auto raw = from_bundle_hex((*m)->get<std::string>());
    if (!raw) return missing(field, "a lower-case hex string");
    return *raw;
  }
  Status hashes(const Json& j, const std::string& field, google::protobuf::RepeatedPtrField<std::string>* out) const {
    auto m = member(j, field);
    if (!m) return m.status();
    if (!(*m)->is_array()) return missing(field, "an array of lower-case hex strings");
    for (const Json& e : **m) {
      if (!e.is_string()) return missing(field, "an array of lower-case hex strings");
      auto raw = from_bundle_hex(e.get<std::string>());
      if (!raw) return missing(field, "an array of lower-case hex strings");
      out->Add(std::move(*raw));
    }
    return Status::ok();
  }
  Status certified(const Json& j, const std::string& field, api::CertifiedHeader* out) const {
    auto m = member(j, field);
    if (!m) return m.status();
    Reader inner{where + field + "."};
    auto header = inner.bytes(**m, "header");
    if (!header) return header.status();
    out->set_header(std::move(*header));
    auto cert = inner.member(**m, "certificate");
    if (!cert) return cert.status();
    Reader c{where + field + ".certificate."};
    auto height = c.number(**cert, "height");
    auto view = c.number(**cert, "view");
    auto block_hash = c.bytes(**cert, "block_hash");
    auto votes = c.member(**cert, "votes");
    if (!height) return height.status();
    if (!view) return view.status();
    if (!block_hash) return block_hash.status();
    if (!votes) return votes.status();
    if (!(*votes)->is_array()) return c.missing("votes", "an array");
    CommitCertificate* cc = out->mutable_certificate();
    cc->set_height(*height);
    cc->set_view(*view);
    cc->set_block_hash(std::move(*block_hash));
    for (const Json& v : **votes) {
      auto validator = c.number(v, "validator");
      auto signature = c.bytes(v, "signature");
      if (!validator) return validator.status();
      if (!signature) return signature.status();
      if (*validator > UINT32_MAX) return c.missing("votes[].validator", "a validator index");
      CommitVote* vote = cc->add_votes();
      vote->set_validator(static_cast<std::uint32_t>(*validator));
      vote->set_signature(std::move(*signature));
    }
    return Status::ok();
  }
};

std::string attribute(const Event& e, std::string_view key) {
  for (const Attribute& a : e.attributes()) {
    if (a.key() == key) return a.value();
  }
  return {};
}

std::uint64_t attribute_number(const Event& e, std::string_view key) {
  for (const Attribute& a : e.attributes()) {
    if (a.key() == key && a.typed_case() == Attribute::kNumber) return a.number();
  }
  return 0;
}

// A vehicle report's facts from the proven transactions: each record with how it was submitted,
// every endorsement, and the decision, as the contract's own events in the certified receipts
// state them. Every proven transaction must concern the vehicle.
Result<Json> vehicle_facts(const Json& subject, const std::vector<ProvenTransaction>& proven) {
  if (!subject.is_object() || !subject.contains("vin") || !subject["vin"].is_string()) {
    return Status::invalid_argument("subject: a vehicle report names its \"vin\"");
  }
  const std::string vin = subject["vin"].get<std::string>();
  std::map<std::string, Json> records;       // by record id
  std::vector<std::string> order;            // in chain order of submission
  auto record = [&](const std::string& id) -> Json& {
    auto [it, fresh] = records.try_emplace(id, Json::object());
    if (fresh) order.push_back(id);
    return it->second;
  };
  for (const ProvenTransaction& p : proven) {
    const std::string where = "transaction " + crypto::to_hex(p.tx_hash) + " at height " + std::to_string(p.height);
    bool about_vehicle = false;
    for (const Event& e : p.receipt.events()) {
      if (e.contract() != "vehicles" || attribute(e, "vin") != vin) continue;
      about_vehicle = true;
      const std::string id = attribute(e, "record");
      if (id.empty()) continue;
      Json& r = record(id);
      if (e.name() == "RecordSubmitted" || e.name() == "OwnershipTransferOffered") {
        r["record"] = id;
        r["kind"] = attribute(e, "kind");
        r["submitter"] = crypto::format_address(p.sender);
        r["organisation"] = attribute(e, "organisation");
        r["occurred_at_ms"] = attribute_number(e, "occurred_at_ms");
        r["odometer_km"] = attribute_number(e, "odometer_km");
        r["evidence"] = attribute(e, "evidence");
        r["submitted_height"] = p.height;
        r["submitted_tx"] = crypto::to_hex(p.tx_hash);
        r["threshold"] = attribute_number(e, "threshold");
        if (!r.contains("endorsements")) r["endorsements"] = Json::array();
        if (!r.contains("status")) r["status"] = attribute(e, "status");
      } else if (e.name() == "RecordEndorsed") {
        if (!r.contains("endorsements")) r["endorsements"] = Json::array();
        r["endorsements"].push_back({{"attester", attribute(e, "attester")},
                                     {"organisation", attribute(e, "organisation")},
                                     {"verdict", attribute(e, "verdict")},
                                     {"height", p.height},
                                     {"tx", crypto::to_hex(p.tx_hash)}});
      } else if (e.name() == "RecordAttested" || e.name() == "RecordRejected") {
        r["status"] = e.name() == "RecordAttested" ? "ATTESTED" : "REJECTED";
        r["true"] = attribute_number(e, "true");
        r["false"] = attribute_number(e, "false");
        r["threshold_met"] = e.name() == "RecordAttested";
        r["decided_height"] = p.height;
        r["decided_tx"] = crypto::to_hex(p.tx_hash);
      } else if (e.name() == "OwnershipTransferAccepted") {
        r["accepted_height"] = p.height;
      }
    }
    if (!about_vehicle) return Status::invalid_argument(where + " is not about vehicle " + vin);
  }
  Json list = Json::array();
  for (const std::string& id : order) {
    Json& r = records.at(id);
    if (!r.contains("submitted_tx")) {
      return Status::invalid_argument("record " + id + ": the bundle proves endorsements of it but not its submission");
    }
    list.push_back(std::move(r));
  }
  return Json{{"vin", vin}, {"records", std::move(list)}};
}

// --- revenue statements ----------------------------------------------------------------------

// Days from 1970-01-01 to the first of `month` (1..12) of `year`, proleptic Gregorian.
std::int64_t days_from_civil(std::int64_t year, unsigned month) {
  year -= month <= 2 ? 1 : 0;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto yoe = static_cast<unsigned>(year - era * 400);
  const unsigned doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::uint64_t month_start_ms(unsigned year, unsigned month) {
  return static_cast<std::uint64_t>(days_from_civil(year, month)) * 86'400'000ULL;
}

bool all_digits(std::string_view s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos; }

bool checked_add(std::uint64_t& total, std::uint64_t amount) { return !__builtin_add_overflow(total, amount, &total); }

// A revenue statement's facts from the proven transactions: the asset's usage agreements (each
// proven by the AgreementProposed event naming the asset) and every income split of one of them
// whose block falls in the period, with each partner's part (RevenueDistributed), then totals.
Result<Json> revenue_facts(const Json& subject, const std::vector<ProvenTransaction>& proven) {
  if (!subject.is_object() || !subject.contains("asset") || !subject["asset"].is_string() ||
      !subject.contains("period") || !subject["period"].is_string()) {
    return Status::invalid_argument("subject: a revenue statement names its \"asset\" and \"period\"");
  }
  auto expected = revenue_subject(subject["asset"].get<std::string>(), subject["period"].get<std::string>());
  if (!expected) return Status::invalid_argument("subject: " + expected.status().message());
  const std::string asset = (*expected)["asset"].get<std::string>();
  const std::uint64_t from = (*expected)["from_ms"].get<std::uint64_t>();
  const std::uint64_t to = (*expected)["to_ms"].get<std::uint64_t>();

  std::map<std::string, Json> agreements;  // by agreement id (hex)
  std::vector<std::string> agreement_order;
  Json payments = Json::array();
  std::uint64_t income = 0;
  std::map<std::string, std::uint64_t> by_party;
  for (const ProvenTransaction& p : proven) {
    const std::string where = "transaction " + crypto::to_hex(p.tx_hash) + " at height " + std::to_string(p.height);
    bool contributes = false;
    Json* payment = nullptr;
    for (const Event& e : p.receipt.events()) {
      if (e.contract() == "usage" && e.name() == "AgreementProposed" && attribute(e, "asset") == asset) {
        const std::string id = attribute(e, "agreement");
        if (agreements.try_emplace(id, Json{{"agreement", id},
                                            {"proposer", crypto::format_address(p.sender)},
                                            {"proposed_height", p.height},
                                            {"proposed_tx", crypto::to_hex(p.tx_hash)}})
                .second) {
          agreement_order.push_back(id);
        }
        contributes = true;
      } else if (e.contract() == "revenue" && e.name() == "IncomeSplit" && attribute(e, "source_kind") == "agreement" &&
                 agreements.count(attribute(e, "source")) != 0 && p.timestamp_ms >= from && p.timestamp_ms < to) {
        const std::uint64_t amount = attribute_number(e, "amount");
        if (!checked_add(income, amount)) return Status::invalid_argument(where + ": the income overflows 64 bits");
        payments.push_back({{"tx", crypto::to_hex(p.tx_hash)},
                            {"height", p.height},
                            {"timestamp_ms", p.timestamp_ms},
                            {"agreement", attribute(e, "source")},
                            {"session", attribute(e, "session")},
                            {"amount", amount},
                            {"parts", Json::array()},
                            {"parts_sum", 0}});
        payment = &payments.back();
        contributes = true;
      } else if (e.contract() == "revenue" && e.name() == "RevenueDistributed" && payment != nullptr &&
                 attribute(e, "source") == (*payment)["agreement"].get<std::string>()) {
        const std::uint64_t part = attribute_number(e, "amount");
        const std::string party = attribute(e, "party");
        std::uint64_t sum = (*payment)["parts_sum"].get<std::uint64_t>();
        if (!checked_add(sum, part) || !checked_add(by_party[party], part)) {
          return Status::invalid_argument(where + ": a split overflows 64 bits");
        }
        (*payment)["parts_sum"] = sum;
        (*payment)["parts"].push_back({{"party", party},
                                       {"paid_to", attribute(e, "paid_to")},
                                       {"amount", part},
                                       {"share_bps", attribute_number(e, "share_bps")},
                                       {"passed_on", attribute_number(e, "passed_on")}});
      } else if (e.contract() == "revenue" && e.name() != "RevenueDistributed") {
        payment = nullptr;  // a split of something else: the parts after it are not this payment's
      }
    }
    if (!contributes) {
      return Status::invalid_argument(where + " is neither a usage agreement of asset " + asset +
                                      " nor its income in " + subject["period"].get<std::string>());
    }
  }
  Json list = Json::array();
  for (const std::string& id : agreement_order) list.push_back(agreements.at(id));
  Json parties = Json::array();
  for (const auto& [party, amount] : by_party) parties.push_back({{"party", party}, {"amount", amount}});
  return Json{{"asset", asset},
              {"period", subject["period"]},
              {"from_ms", from},
              {"to_ms", to},
              {"agreements", std::move(list)},
              {"payments", std::move(payments)},
              {"income", income},
              {"by_party", std::move(parties)}};
}

BundleVerdict failed(std::string reason) {
  BundleVerdict v;
  v.outcome = BundleVerdict::Outcome::kFailed;
  v.reason = std::move(reason);
  return v;
}

BundleVerdict unreadable(std::string reason) {
  BundleVerdict v;
  v.outcome = BundleVerdict::Outcome::kUnreadable;
  v.reason = std::move(reason);
  return v;
}

// The first path at which two JSON values differ, for a message a person can follow.
std::string first_difference(const Json& a, const Json& b, const std::string& at) {
  if (a.type() != b.type()) return at;
  if (a.is_object()) {
    for (const auto& [k, v] : a.items()) {
      if (!b.contains(k)) return at + "." + k;
      if (v != b.at(k)) return first_difference(v, b.at(k), at + "." + k);
    }
    for (const auto& [k, v] : b.items()) {
      if (!a.contains(k)) return at + "." + k;
    }
  } else if (a.is_array()) {
    if (a.size() != b.size()) return at;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (a[i] != b[i]) return first_difference(a[i], b[i], at + "[" + std::to_string(i) + "]");
    }
  }
  return at;
}

// A string member, or "" when absent or not a string (a verdict, never an exception).
std::string string_at(const Json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_string()) return {};
  return j[key].get<std::string>();
}

// A hex member as bytes, or "" when absent or not hex.
std::string bytes_at(const Json& j, const char* key) {
  auto raw = from_bundle_hex(string_at(j, key));
  return raw ? *raw : std::string();
}

// What each kind of bundle names as its subject: nothing for a transaction (the proof is the
// subject), the VIN for a vehicle report.
Json subject_of(std::string_view kind, const Json& facts) {
  if (kind == kKindVehicleReport && facts.contains("vin")) return Json{{"vin", facts["vin"]}};
  if (kind == kKindState && facts.contains("key")) return Json{{"key", facts["key"]}};
  if (kind == kKindRevenueStatement && facts.contains("asset")) {
    return Json{{"asset", facts["asset"]}, {"period", facts["period"]}, {"from_ms", facts["from_ms"]}, {"to_ms", facts["to_ms"]}};
  }
  return Json::object();
}

}  // namespace

Result<Json> revenue_subject(std::string_view asset_hex, std::string_view period) {
  auto asset = crypto::from_hex(asset_hex);
  if (!asset || asset->empty() || asset_hex.find_first_not_of("0123456789abcdef") != std::string_view::npos) {
    return Status::invalid_argument("the asset id must be lower-case hex");
  }
  unsigned year = 0, month = 0;
  std::uint64_t from = 0, to = 0;
  if (period.size() == 7 && period[4] == '-' && all_digits(period.substr(0, 4)) && all_digits(period.substr(5))) {
    year = static_cast<unsigned>(std::stoul(std::string(period.substr(0, 4))));
    month = static_cast<unsigned>(std::stoul(std::string(period.substr(5))));
    if (month < 1 || month > 12) return Status::invalid_argument("period " + std::string(period) + ": no such month");
    from = month_start_ms(year, month);
    to = month == 12 ? month_start_ms(year + 1, 1) : month_start_ms(year, month + 1);
  } else if (period.size() == 4 && all_digits(period)) {
    year = static_cast<unsigned>(std::stoul(std::string(period)));
    from = month_start_ms(year, 1);
    to = month_start_ms(year + 1, 1);
  } else {
    return Status::invalid_argument("period '" + std::string(period) + "' is not YYYY-MM or YYYY");
  }
  if (year < 1970) return Status::invalid_argument("period " + std::string(period) + " is before 1970");
  return Json{{"asset", std::string(asset_hex)}, {"period", std::string(period)}, {"from_ms", from}, {"to_ms", to}};
}

Json proof_to_json(const api::TransactionProof& p) {
  Json links = Json::array();
  for (const api::HistoryLink& l : p.links()) {
    links.push_back({{"height", l.height()},
                     {"receipts_root", hex(l.receipts_root())},
                     {"previous_state_root", hex(l.previous_state_root())}});
  }
  return {{"height", p.height()},
          {"index", p.index()},
          {"block", certified_json(p.block())},
          {"transaction", hex(p.transaction())},
          {"transaction_count", p.transaction_count()},
          {"transaction_path", path_json(p.transaction_path())},
          {"receipt", hex(p.receipt())},
          {"receipt_count", p.receipt_count()},
          {"receipt_path", path_json(p.receipt_path())},
          {"previous_history", hex(p.previous_history())},
          {"previous_state_root", hex(p.previous_state_root())},
          {"links", std::move(links)},
          {"anchor", certified_json(p.anchor())}};
}

Result<api::TransactionProof> proof_from_json(const Json& j) {
  const Reader r{""};
  api::TransactionProof p;
  auto height = r.number(j, "height");
  if (!height) return height.status();
  p.set_height(*height);
  const Reader at{"height " + std::to_string(*height) + ": "};
  auto index = at.number(j, "index");
  auto tx = at.bytes(j, "transaction");
  auto tx_count = at.number(j, "transaction_count");
  auto receipt = at.bytes(j, "receipt");
  auto receipt_count = at.number(j, "receipt_count");
  auto previous_history = at.bytes(j, "previous_history");
  auto previous_root = at.bytes(j, "previous_state_root");
  if (!index) return index.status();
  if (!tx) return tx.status();
  if (!tx_count) return tx_count.status();
  if (!receipt) return receipt.status();
  if (!receipt_count) return receipt_count.status();
  if (!previous_history) return previous_history.status();
  if (!previous_root) return previous_root.status();
  if (*index > UINT32_MAX || *tx_count > UINT32_MAX || *receipt_count > UINT32_MAX) {
    return Status::invalid_argument(at.where + "index and counts must fit 32 bits");
  }
  p.set_index(static_cast<std::uint32_t>(*index));
  p.set_transaction(std::move(*tx));
  p.set_transaction_count(static_cast<std::uint32_t>(*tx_count));
  p.set_receipt(std::move(*receipt));
  p.set_receipt_count(static_cast<std::uint32_t>(*receipt_count));
  p.set_previous_history(std::move(*previous_history));
  p.set_previous_state_root(std::move(*previous_root));
  if (Status s = at.hashes(j, "transaction_path", p.mutable_transaction_path()); !s) return s;
  if (Status s = at.hashes(j, "receipt_path", p.mutable_receipt_path()); !s) return s;
  if (Status s = at.certified(j, "block", p.mutable_block()); !s) return s;
  if (Status s = at.certified(j, "anchor", p.mutable_anchor()); !s) return s;
  auto links = at.member(j, "links");
  if (!links) return links.status();
  if (!(*links)->is_array()) return at.missing("links", "an array");
  for (const Json& l : **links) {
    auto lh = at.number(l, "height");
    auto root = at.bytes(l, "receipts_root");
    auto below = at.bytes(l, "previous_state_root");
    if (!lh) return lh.status();
    if (!root) return root.status();
    if (!below) return below.status();
    api::HistoryLink* link = p.add_links();
    link->set_height(*lh);
    link->set_receipts_root(std::move(*root));
    link->set_previous_state_root(std::move(*below));
  }
  return p;
}

Json state_proof_to_json(const api::StateProof& p) {
  Json siblings = Json::array();
  for (const std::string& s : p.siblings()) siblings.push_back(hex(s));
  Json out = {{"height", p.height()},
              {"key", hex(p.key())},
              {"present", p.present()},
              {"siblings", std::move(siblings)},
              {"lthash_root", hex(p.lthash_root())},
              {"anchor", certified_json(p.anchor())}};
  if (p.present()) out["value"] = hex(p.value());
  if (!p.other_key_hash().empty() || !p.other_value_hash().empty()) {
    out["other_key_hash"] = hex(p.other_key_hash());
    out["other_value_hash"] = hex(p.other_value_hash());
  }
  return out;
}

Result<api::StateProof> state_proof_from_json(const Json& j) {
  const Reader r{""};
  api::StateProof p;
  auto height = r.number(j, "height");
  if (!height) return height.status();
  p.set_height(*height);
  const Reader at{"height " + std::to_string(*height) + ": "};
  auto key = at.bytes(j, "key");
  if (!key) return key.status();
  p.set_key(std::move(*key));
  auto present = at.member(j, "present");
  if (!present) return present.status();
  if (!(*present)->is_boolean()) return at.missing("present", "true or false");
  p.set_present((*present)->get<bool>());
  if (p.present()) {
    auto value = at.bytes(j, "value");
    if (!value) return value.status();
    p.set_value(std::move(*value));
  } else if (j.contains("value")) {
    return at.missing("value", "absent when present is false");
  }
  if (Status s = at.hashes(j, "siblings", p.mutable_siblings()); !s) return s;
  for (const char* field : {"other_key_hash", "other_value_hash"}) {
    if (!j.contains(field)) continue;
    auto raw = at.bytes(j, field);
    if (!raw) return raw.status();
    if (std::string_view(field) == "other_key_hash") {
      p.set_other_key_hash(std::move(*raw));
    } else {
      p.set_other_value_hash(std::move(*raw));
    }
  }
  auto lthash_root = at.bytes(j, "lthash_root");
  if (!lthash_root) return lthash_root.status();
  p.set_lthash_root(std::move(*lthash_root));
  if (Status s = at.certified(j, "anchor", p.mutable_anchor()); !s) return s;
  return p;
}

std::string vehicle_state_key(std::string_view vin) { return "vehicles/vehicle/" + std::string(vin); }

Json state_facts(const ProvenState& p) {
  Json out = {{"key", crypto::to_hex(p.key)}, {"present", p.present}, {"height", p.height}};
  if (p.present) out["value"] = crypto::to_hex(p.value);
  return out;
}

Json transaction_facts(const ProvenTransaction& p) {
  return {{"tx_hash", crypto::to_hex(p.tx_hash)},
          {"height", p.height},
          {"index", p.index},
          {"block_hash", crypto::to_hex(p.block_hash)},
          {"timestamp_ms", p.timestamp_ms},
          {"transaction", reports::signed_transaction_json(p.transaction)},
          {"receipt", reports::receipt_json(p.receipt)}};
}

namespace {

// A vehicle report with its vehicle's state: the counters at that height, and every record
// submitted up to it listed (docs/proofs.md, "State proofs").
Result<Json> with_vehicle_state(Json facts, const ProvenState& state) {
  const std::string vin = facts["vin"].get<std::string>();
  if (state.key != vehicle_state_key(vin)) {
    return Status::invalid_argument("the state proof is of key " + crypto::to_hex(state.key) + ", not of vehicle " + vin);
  }
  // Only the counters are read: fields 4, 5 and 6 as top-level varints (the last of a number
  // counting), so that every verifier reads the same numbers from any well-formed value without
  // the rest of the Vehicle message's rules.
  std::uint64_t counters[3] = {0, 0, 0};  // records, attested, rejected
  if (state.present) {
    google::protobuf::UnknownFieldSet fields;
    if (!fields.ParseFromString(state.value)) return Status::invalid_argument("the vehicle's state does not decode");
    for (int i = 0; i < fields.field_count(); ++i) {
      const google::protobuf::UnknownField& f = fields.field(i);
      if (f.type() == google::protobuf::UnknownField::TYPE_VARINT && f.number() >= 4 && f.number() <= 6) {
        counters[f.number() - 4] = f.varint();
      }
    }
  }
  const std::uint64_t records = counters[0];
  std::uint64_t listed = 0;
  for (const Json& r : facts["records"]) {
    if (r.contains("submitted_height") && r["submitted_height"].get<std::uint64_t>() <= state.height) ++listed;
  }
  if (listed != records) {
    return Status::invalid_argument("the chain holds " + std::to_string(records) + " records of vehicle " + vin +
                                    " at height " + std::to_string(state.height) + ", the bundle proves " +
                                    std::to_string(listed) + " of them");
  }
  facts["vehicle_state"] = {{"height", state.height},
                            {"present", state.present},
                            {"records", records},
                            {"attested", counters[1]},
                            {"rejected", counters[2]}};
  return facts;
}

}  // namespace

Result<Json> derive_facts(std::string_view kind, const Json& subject, const std::vector<ProvenTransaction>& proven,
                          const std::vector<ProvenState>& states) {
  if (kind == kKindState) {
    if (!proven.empty() || states.size() != 1) {
      return Status::invalid_argument("a state bundle proves one state entry and no transaction");
    }
    if (!subject.is_object() || !subject.contains("key") || !subject["key"].is_string()) {
      return Status::invalid_argument("subject: a state bundle names its \"key\"");
    }
    const std::string want = subject["key"].get<std::string>();
    if (crypto::to_hex(states.front().key) != want) {
      return Status::invalid_argument("the state proof is of key " + crypto::to_hex(states.front().key) +
                                      ", the subject names " + want);
    }
    return state_facts(states.front());
  }
  if (kind == kKindVehicleReport) {
    auto facts = vehicle_facts(subject, proven);
    if (!facts || states.empty()) return facts;
    if (states.size() > 1) return Status::invalid_argument("a vehicle report carries at most one state proof");
    return with_vehicle_state(std::move(facts).value(), states.front());
  }
  if (!states.empty() && (kind == kKindTransaction || kind == kKindRevenueStatement)) {
    return Status::invalid_argument("a " + std::string(kind) + " bundle carries no state proof");
  }
  if (kind == kKindTransaction) {
    if (proven.size() != 1) {
      return Status::invalid_argument("a transaction bundle holds exactly one proof, this one " +
                                      std::to_string(proven.size()));
    }
    return transaction_facts(proven.front());
  }
  if (kind == kKindVehicleReport) return vehicle_facts(subject, proven);
  if (kind == kKindRevenueStatement) return revenue_facts(subject, proven);
  return Status::invalid_argument("bundle kind '" + std::string(kind) + "' is not one this verifier knows");
}

Json make_bundle(std::string_view kind, const Trust& trust, Json facts, const std::vector<api::TransactionProof>& proofs,
                 const std::vector<api::StateProof>& state_proofs) {
  // The sets up to the newest epoch a header names: the reader needs each, and no later one.
  std::uint64_t newest = 0;
  for (const api::TransactionProof& p : proofs) {
    newest = std::max({newest, header_epoch(p.block()), header_epoch(p.anchor())});
  }
  for (const api::StateProof& p : state_proofs) newest = std::max(newest, header_epoch(p.anchor()));
  Json sets = Json::array();
  for (std::uint64_t e = 0; e <= newest && e < trust.sets.size(); ++e) {
    const TrustedSet& set = trust.sets[e];
    Json validators = Json::array();
    for (std::size_t i = 0; i < set.validators.size(); ++i) {
      validators.push_back({{"index", i}, {"public_key", hex(set.validators[i].public_key)}});
    }
    Json entry = {{"epoch", e}, {"from_height", set.from_height}, {"validators", std::move(validators)}};
    if (e > 0) entry["switch_block"] = certified_json(set.switch_block);
    sets.push_back(std::move(entry));
  }
  Json list = Json::array();
  for (const api::TransactionProof& p : proofs) list.push_back(proof_to_json(p));
  Json subject = subject_of(kind, facts);
  Json bundle = {{"format", kBundleFormat},
                 {"version", kBundleVersion},
                 {"kind", kind},
                 {"chain_id", trust.chain_id},
                 {"genesis_hash", hex(trust.genesis_hash)},
                 {"validator_sets", std::move(sets)},
                 {"subject", std::move(subject)},
                 {"facts", std::move(facts)},
                 {"proofs", std::move(list)}};
  if (!state_proofs.empty()) {
    Json states = Json::array();
    for (const api::StateProof& p : state_proofs) states.push_back(state_proof_to_json(p));
    bundle["state_proofs"] = std::move(states);
  }
  return bundle;
}

namespace {

bool is_number(const Json& j, const char* field) {
  return j.is_object() && j.contains(field) && j[field].is_number_unsigned();
}

// Extends `trust` (the genesis set alone) with the bundle's later sets, each checked in the
// order docs/proofs.md gives; "" when all are proven, else the first failure.
std::string read_later_sets(const Json& sets, Trust& trust) {
  for (std::size_t e = 1; e < sets.size(); ++e) {
    const Json& entry = sets[e];
    const std::string E = std::to_string(e);
    const std::string where = "validator set of epoch " + E + ": ";
    if (!is_number(entry, "epoch") || entry["epoch"].get<std::uint64_t>() != e) {
      return where + "the entry must name \"epoch\": " + E;
    }
    const std::uint64_t previous = trust.sets.back().from_height;
    if (!is_number(entry, "from_height") || entry["from_height"].get<std::uint64_t>() <= previous) {
      return where + "\"from_height\" must be above epoch " + std::to_string(e - 1) + "'s (" + std::to_string(previous) +
             ")";
    }
    if (!entry.contains("validators") || !entry["validators"].is_array() || entry["validators"].empty()) {
      return where + "\"validators\" must be a non-empty array";
    }
    std::vector<consensus::ValidatorInfo> validators;
    const Json& list = entry["validators"];
    for (std::size_t i = 0; i < list.size(); ++i) {
      const Json& v = list[i];
      const std::string key = v.is_object() && v.contains("public_key") && v["public_key"].is_string()
                                  ? from_bundle_hex(v["public_key"].get<std::string>()).value_or("")
                                  : "";
      if (!is_number(v, "index") || v["index"].get<std::uint64_t>() != i || key.size() != crypto::kPublicKeySize) {
        return where + "validator " + std::to_string(i) + " must have \"index\" " + std::to_string(i) +
               " and a 32-byte \"public_key\"";
      }
      validators.push_back(consensus::ValidatorInfo{key});
    }
    api::CertifiedHeader switch_block;
    if (Status s = Reader{where}.certified(entry, "switch_block", &switch_block); !s) return s.message();
    if (Status s = extend_trust(trust, entry["from_height"].get<std::uint64_t>(), std::move(validators),
                                std::move(switch_block));
        !s) {
      return s.message();
    }
  }
  return "";
}

}  // namespace

BundleVerdict verify_bundle(std::string_view text, const Trust& reader_trust) {
  // The JSON parser would skip a byte-order mark; the Python SDK and the explorer's page refuse
  // one (RFC 8259: JSON text must not start with it), and all three verifiers must agree.
  if (text.substr(0, 3) == "\xEF\xBB\xBF") {
    return unreadable("the file is not JSON: it starts with a byte-order mark, which JSON text must not");
  }
  const Json bundle = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (bundle.is_discarded() || !bundle.is_object()) return unreadable("the file is not JSON");
  if (string_at(bundle, "format") != kBundleFormat) {
    return unreadable("the file is not a ShareChain proof bundle (\"format\" is not \"" + std::string(kBundleFormat) +
                      "\")");
  }
  if (!bundle.contains("version") || !bundle["version"].is_number_unsigned() ||
      bundle["version"].get<std::uint64_t>() != kBundleVersion) {
    return unreadable("bundle version is not " + std::to_string(kBundleVersion) + ", the one this verifier reads");
  }
  const std::string kind = string_at(bundle, "kind");

  // The chain and the validators the bundle claims must be the ones the genesis file defines.
  const std::string chain_id = string_at(bundle, "chain_id");
  if (chain_id != reader_trust.chain_id) {
    return failed("chain: the bundle is of chain '" + chain_id + "', the genesis file's is '" + reader_trust.chain_id + "'");
  }
  if (bytes_at(bundle, "genesis_hash") != reader_trust.genesis_hash) {
    return failed("genesis: the bundle was made against genesis " + string_at(bundle, "genesis_hash") +
                  ", the file given hashes to " + hex(reader_trust.genesis_hash));
  }
  const Json& sets = bundle.contains("validator_sets") ? bundle["validator_sets"] : Json();
  const bool first_ok = sets.is_array() && !sets.empty() && is_number(sets[0], "from_height") &&
                        sets[0]["from_height"].get<std::uint64_t>() == 0 &&
                        (!sets[0].contains("epoch") || (is_number(sets[0], "epoch") && sets[0]["epoch"] == 0)) &&
                        sets[0].contains("validators") && sets[0]["validators"].is_array() &&
                        !sets[0].contains("switch_block");
  if (!first_ok) {
    return failed("validator set: a bundle's first validator set is the genesis set (from_height 0, epoch 0, no "
                  "switch block)");
  }
  const Json& validators = sets[0]["validators"];
  const std::vector<consensus::ValidatorInfo>& genesis = reader_trust.genesis_validators();
  if (validators.size() != genesis.size()) {
    return failed("validator set: " + std::to_string(validators.size()) + " validators, the genesis file has " +
                  std::to_string(genesis.size()));
  }
  for (std::size_t i = 0; i < validators.size(); ++i) {
    const Json& v = validators[i];
    const bool index_ok = v.is_object() && v.contains("index") && v["index"].is_number_unsigned() &&
                          v["index"].get<std::uint64_t>() == i;
    if (!index_ok || bytes_at(v, "public_key") != genesis[i].public_key) {
      return failed("validator set: validator " + std::to_string(i) + " is not the genesis file's");
    }
  }
  // Later sets are trusted only as the genesis set certified them, one epoch after another.
  Trust trust = trust_of(reader_trust.chain_id, reader_trust.genesis_hash, genesis);
  trust.state_tree = reader_trust.state_tree;
  if (std::string why = read_later_sets(sets, trust); !why.empty()) return failed(why);

  const bool has_states = bundle.contains("state_proofs");
  if (has_states && !bundle["state_proofs"].is_array()) return failed("state proofs: must be an array");
  const Json& states = has_states ? bundle["state_proofs"] : Json::array();
  if (!bundle.contains("proofs") || !bundle["proofs"].is_array() || (bundle["proofs"].empty() && states.empty())) {
    return failed("proofs: the bundle holds no proof");
  }
  if (!states.empty() && !trust.state_tree) {
    return failed("state proofs: the genesis file names no state tree, so its state roots cannot prove an entry");
  }
  BundleVerdict v;
  v.kind = kind;
  const Json& proofs = bundle["proofs"];
  for (std::size_t i = 0; i < proofs.size(); ++i) {
    const std::string which = "proof " + std::to_string(i + 1) + " of " + std::to_string(proofs.size()) + ": ";
    auto proof = proof_from_json(proofs[i]);
    if (!proof) return failed(which + proof.status().message());
    auto proven = verify_transaction_proof(*proof, trust);
    if (!proven) return failed(which + proven.status().message());
    // In chain order, each transaction once: a repeated proof would count an endorsement or a
    // payment twice in the facts.
    if (!v.proven.empty() && std::make_pair(proven->height, proven->index) <=
                                 std::make_pair(v.proven.back().height, v.proven.back().index)) {
      return failed(which + "not after the proof before it (proofs are in chain order, each transaction once)");
    }
    v.proven.push_back(std::move(proven).value());
  }
  for (std::size_t i = 0; i < states.size(); ++i) {
    const std::string which = "state proof " + std::to_string(i + 1) + " of " + std::to_string(states.size()) + ": ";
    auto proof = state_proof_from_json(states[i]);
    if (!proof) return failed(which + proof.status().message());
    auto proven = verify_state_proof(*proof, trust);
    if (!proven) return failed(which + proven.status().message());
    v.proven_states.push_back(std::move(proven).value());
  }

  const Json subject = bundle.contains("subject") ? bundle["subject"] : Json::object();
  auto facts = derive_facts(kind, subject, v.proven, v.proven_states);
  if (!facts) return failed("facts: " + facts.status().message());
  // As values, like the facts below: key order free, numbers of the same type.
  if (nlohmann::json(subject).dump() != nlohmann::json(subject_of(kind, *facts)).dump()) {
    return failed("subject: it is not what the facts are about (" + subject.dump() + ")");
  }
  // Compared as values, whatever the key order a tool may have rewritten the file in, and with
  // numbers of the same type (5.0 is not the height 5).
  const nlohmann::json stated = bundle.contains("facts") ? nlohmann::json(bundle["facts"]) : nlohmann::json();
  if (stated.dump() != nlohmann::json(*facts).dump()) {
    return failed("facts: the bundle states something its proofs do not prove (first difference at facts" +
                  first_difference(bundle.contains("facts") ? bundle["facts"] : Json(), *facts, "") + ")");
  }
  v.facts = std::move(facts).value();
  v.outcome = BundleVerdict::Outcome::kProven;
  return v;
}

}  // namespace sharechain::proofs
