#include "tools/dataserver/report.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <sstream>
#include <vector>

#include "proto/crypto.hpp"
#include "tools/common/cli.hpp"

namespace sharechain::dataserver {

namespace {



std::string kind_from_event(std::string_view name) {
  if (name == "maintenance station") return "maintenance";
  if (name == "parking space") return "parking";
  if (name == "charging pile") return "charging";
  return "other";
}

std::string label_of(assets::AssetKind kind) {
  switch (kind) {
    case assets::MAINTENANCE_STATION: return "maintenance";
    case assets::PARKING_SPACE: return "parking";
    case assets::CHARGING_PILE: return "charging";
    default: return "other";
  }
}

assets::AssetKind kind_of_label(std::string_view label) {
  if (label == "maintenance") return assets::MAINTENANCE_STATION;
  if (label == "parking") return assets::PARKING_SPACE;
  if (label == "charging") return assets::CHARGING_PILE;
  return assets::ASSET_KIND_UNSPECIFIED;
}

tools::Json tally_json(const Tally& t) { return {{"count", t.count}, {"amount", t.amount}}; }

double rate(std::uint64_t n, std::uint64_t ms) {
  return ms == 0 ? 0.0 : static_cast<double>(n) * 1000.0 / static_cast<double>(ms);
}

std::string fixed2(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

// Rows of a table: the first column left-aligned, the others right-aligned.
std::string table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width;
  for (const auto& row : rows) {
    if (width.size() < row.size()) width.resize(row.size(), 0);
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    out += "  ";
    for (std::size_t i = 0; i < row.size(); ++i) {
      const std::string& cell = row[i];
      const std::string pad(width[i] - cell.size(), ' ');
      out += i == 0 ? cell + pad : pad + cell;
      if (i + 1 < row.size()) out += "  ";
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    out += "\n";
  }
  return out;
}

}  // namespace

std::string attribute(const Event& e, std::string_view key) {
  for (const Attribute& a : e.attributes()) {
    if (a.key() == key) return a.value();
  }
  return "";
}

std::uint64_t attribute_number(const Event& e, std::string_view key) {
  return tools::parse_decimal(attribute(e, key)).value_or(0);
}

void Tally::add(std::uint64_t units) {
  ++count;
  amount = amount > UINT64_MAX - units ? UINT64_MAX : amount + units;
}

void Report::add_asset(std::string_view asset_id, assets::AssetKind kind) {
  asset_kinds_[crypto::to_hex(asset_id)] = kind;
}

void Report::name_party(std::string_view address20, std::string name) {
  party_names_[std::string(address20)] = std::move(name);
}

std::string Report::party_name(const std::string& formatted_address) const {
  // Either text form of an address names the same party.
  const std::optional<std::string> raw = crypto::parse_address(formatted_address);
  if (!raw) return "";
  auto it = party_names_.find(*raw);
  return it == party_names_.end() ? "" : it->second;
}

void Report::on_receipt(const Receipt& receipt) {
  if (receipt.status() != RECEIPT_OK) return;
  for (const Event& e : receipt.events()) {
    const std::string& c = e.contract();
    const std::string& n = e.name();
    if (c == "ledger") {
      if (n == "Issued" && attribute(e, "purpose") == "issue") topups_.add(attribute_number(e, "amount"));
      if (n == "RoleGranted") ++setup_["roles_granted"];
      if (n == "Certified") ++setup_["qualifications_certified"];
    } else if (c == "assets") {
      if (n == "AssetRegistered") {
        const std::string kind = kind_from_event(attribute(e, "kind"));
        asset_kinds_[attribute(e, "asset")] = kind_of_label(kind);
        ++setup_["assets_registered_" + kind];
      }
      if (n == "OwnershipVerified") ++setup_["ownership_verified"];
    } else if (c == "usage") {
      if (n == "AgreementProposed") ++setup_["agreements_proposed"];
      if (n == "AgreementAmended") ++setup_["agreements_amended"];
      if (n == "AgreementActivated") ++setup_["agreements_activated"];
      if (n == "Reserved") ++reservations_;
      if (n == "ReservationCancelled") {
        const std::uint64_t fee = attribute_number(e, "fee");
        if (fee > 0) {
          ++cancelled_late_;
          fees_.add(fee);
        } else {
          ++cancelled_free_;
        }
      }
      if (n == "ReservationExpired") {
        ++expired_;
        if (attribute_number(e, "fee") > 0) fees_.add(attribute_number(e, "fee"));
      }
      if (n == "AccessGranted") {
        auto it = asset_kinds_.find(attribute(e, "asset"));
        const assets::AssetKind kind = it == asset_kinds_.end() ? assets::ASSET_KIND_UNSPECIFIED : it->second;
        open_sessions_[attribute(e, "session")] = kind;
        ++started_[label_of(kind)];
        const std::string mode = attribute(e, "mode");
        if (!mode.empty() && mode != "none") ++charging_modes_[mode];
      }
      if (n == "SessionEnded") {
        assets::AssetKind kind = assets::ASSET_KIND_UNSPECIFIED;
        if (auto it = open_sessions_.find(attribute(e, "session")); it != open_sessions_.end()) {
          kind = it->second;
          open_sessions_.erase(it);
        }
        ++sessions_[label_of(kind)][attribute(e, "kind")];
        if (attribute(e, "limit_reached") == "true") ++limit_reached_;
      }
      if (n == "SessionCompleted") ++zero_charge_;
      if (n == "SessionPaid") {
        const std::uint64_t amount = attribute_number(e, "amount");
        if (attribute(e, "on_chain") == "true") {
          on_chain_.add(amount);
        } else {
          off_chain_.add(amount);
        }
        from_deposit_ += attribute_number(e, "from_deposit");
        if (attribute(e, "on_time") == "false") ++paid_late_;
      }
      if (n == "IncomeAccrued") accrued_.add(attribute_number(e, "amount"));
      if (n == "AgreementSettled") agreement_settlements_.add(attribute_number(e, "amount"));
      if (n == "DisputeRaised") ++disputes_raised_;
      if (n == "DisputeResolved") {
        ++disputes_resolved_;
        const std::uint64_t before = attribute_number(e, "charge_before");
        const std::uint64_t after = attribute_number(e, "charge_after");
        if (before > after) dispute_reduction_ += before - after;
      }
    } else if (c == "revenue") {
      if (n == "RevenueDistributed") {
        const std::uint64_t amount = attribute_number(e, "amount");
        revenue_.add(amount);
        revenue_by_party_[attribute(e, "party")].add(amount);
      }
      if (n == "ModelProposed") ++setup_["models_proposed"];
      if (n == "ModelEdited") ++setup_["models_edited"];
      if (n == "ModelActivated") ++setup_["models_activated"];
      if (n == "ModelSettled") model_settlements_.add(attribute_number(e, "amount"));
      if (n == "IncomeRouted") routed_.add(attribute_number(e, "amount"));
    } else if (c == "financing") {
      if (n == "FinancingOffered") financing_["offered"].add(attribute_number(e, "amount_sought"));
      if (n == "Subscribed") financing_["subscriptions"].add(attribute_number(e, "amount"));
      if (n == "SubscriptionWithdrawn") financing_["withdrawn"].add(attribute_number(e, "amount"));
      if (n == "RoundClosed") {
        financing_[attribute(e, "outcome") == "succeeded" ? "succeeded" : "failed"].add(attribute_number(e, "subscribed"));
      }
      if (n == "FinancingActivated") financing_["raised"].add(attribute_number(e, "raised"));
      if (n == "FinancingCancelled") financing_["cancelled"].add(0);
      if (n == "SubscriptionRefunded") financing_["refunded"].add(attribute_number(e, "amount"));
      if (n == "FinancierPaid") financing_["paid_to_financiers"].add(attribute_number(e, "amount"));
      if (n == "FinancingCompleted") financing_["completed"].add(attribute_number(e, "paid_out"));
    } else if (c == "vehicles") {
      if (n == "RecordSubmitted") ++vehicles_["submitted " + attribute(e, "kind")];
      if (n == "RecordAttested") {
        ++records_attested_;
        ++vehicles_["attested " + attribute(e, "kind")];
      }
      if (n == "RecordRejected") ++vehicles_["rejected " + attribute(e, "kind")];
      if (n == "RecordEndorsed") ++vehicles_[attribute(e, "verdict") == "TRUE" ? "endorsed_true" : "endorsed_false"];
      if (n == "OwnershipTransferOffered") ++vehicles_["transfers_offered"];
      if (n == "OwnershipTransferAccepted") ++vehicles_["transfers_accepted"];
      if (n == "OwnershipTransferred") ++vehicles_["owners_changed"];
      if (n == "OwnerRegistered") ++vehicles_["owners_registered"];
      if (n == "OdometerRollback") ++vehicles_["rollbacks"];
    }
  }
}

void Report::on_failure(std::string_view step, std::string_view reason) {
  ++failures_[std::string(step) + ": " + tools::normalise_reason(reason)];
}

void Report::on_turned_away(std::string_view why) { ++turned_away_[std::string(why)]; }

std::uint64_t Report::sessions_total() const {
  std::uint64_t n = 0;
  for (const auto& [kind, ends] : sessions_) {
    for (const auto& [end, count] : ends) n += count;
  }
  return n;
}

std::uint64_t Report::failures_total() const {
  std::uint64_t n = 0;
  for (const auto& [reason, count] : failures_) n += count;
  return n;
}

double Report::tx_per_second() const { return rate(counters_.committed, elapsed_ms_); }
double Report::sessions_per_second() const { return rate(sessions_total(), elapsed_ms_); }

tools::Json Report::to_json() const {
  using tools::Json;
  Json sessions = Json::object();
  sessions["total"] = sessions_total();
  Json by_kind = Json::object();
  for (const std::string kind : {"maintenance", "parking", "charging"}) {
    Json k = Json::object();
    std::uint64_t total = 0;
    auto it = sessions_.find(kind);
    for (const std::string end : {"normal", "by_user", "abnormal"}) {
      std::uint64_t n = 0;
      if (it != sessions_.end()) {
        if (auto e = it->second.find(end); e != it->second.end()) n = e->second;
      }
      k[end] = n;
      total += n;
    }
    k["total"] = total;
    auto s = started_.find(kind);
    k["started"] = s == started_.end() ? 0 : s->second;
    by_kind[kind] = k;
  }
  sessions["by_kind"] = by_kind;
  Json modes = Json::object();
  for (const std::string mode : {"by_amount", "by_time", "by_energy", "until_full"}) {
    auto it = charging_modes_.find(mode);
    modes[mode] = it == charging_modes_.end() ? 0 : it->second;
  }
  sessions["charging_modes"] = modes;
  sessions["limit_reached"] = limit_reached_;
  sessions["zero_charge"] = zero_charge_;

  Json by_party = Json::array();
  for (const auto& [party, t] : revenue_by_party_) {
    by_party.push_back({{"party", party}, {"name", party_name(party)}, {"count", t.count}, {"amount", t.amount}});
  }
  Json failures = Json::array();
  for (const auto& [reason, count] : failures_) failures.push_back({{"reason", reason}, {"count", count}});
  Json setup = Json::object();
  for (const auto& [k, v] : setup_) setup[k] = v;
  Json financing = Json::object();
  for (const std::string k : {"offered", "subscriptions", "withdrawn", "succeeded", "failed", "cancelled", "raised",
                              "refunded", "paid_to_financiers", "completed"}) {
    auto it = financing_.find(k);
    financing[k] = tally_json(it == financing_.end() ? Tally{} : it->second);
  }
  Json vehicles = Json::object();
  for (const auto& [k, v] : vehicles_) vehicles[k] = v;
  Json turned_away = Json::object();
  for (const auto& [k, v] : turned_away_) turned_away[k] = v;

  return Json{
      {"seed", seed_},
      {"elapsed_s", static_cast<double>(elapsed_ms_) / 1000.0},
      {"visits", visits_},
      {"setup", setup},
      {"sessions", sessions},
      {"reservations",
       {{"made", reservations_},
        {"cancelled_in_time", cancelled_free_},
        {"cancelled_late", cancelled_late_},
        {"expired", expired_},
        {"fees", tally_json(fees_)}}},
      {"payments",
       {{"on_chain", tally_json(on_chain_)},
        {"off_chain", tally_json(off_chain_)},
        {"from_deposit", from_deposit_},
        {"late", paid_late_}}},
      {"topups", tally_json(topups_)},
      {"revenue",
       {{"distributed", tally_json(revenue_)},
        {"by_party", by_party},
        {"accrued_periodic", tally_json(accrued_)},
        {"agreement_settlements", tally_json(agreement_settlements_)},
        {"model_settlements", tally_json(model_settlements_)},
        {"routed_to_models", tally_json(routed_)}}},
      {"disputes",
       {{"raised", disputes_raised_}, {"resolved", disputes_resolved_}, {"charge_reduction", dispute_reduction_}}},
      {"financing", financing},
      {"vehicles", vehicles},
      {"records_attested", records_attested_},
      {"turned_away", turned_away},
      {"failures", {{"total", failures_total()}, {"by_reason", failures}}},
      {"transactions",
       {{"submitted", counters_.submitted},
        {"committed", counters_.committed},
        {"refused", counters_.refused},
        {"rejected", counters_.rejected},
        {"retried", counters_.retried},
        {"nonce_resyncs", counters_.resyncs},
        {"lost", counters_.lost},
        {"per_second", tx_per_second()}}},
      {"sessions_per_second", sessions_per_second()},
  };
}

std::string Report::to_text() const {
  std::ostringstream out;
  out << "sharechain-dataserver report (seed " << seed_ << ", " << fixed2(static_cast<double>(elapsed_ms_) / 1000.0)
      << " s, " << visits_ << " visits)\n\n";

  out << "Sessions ended\n";
  std::vector<std::vector<std::string>> rows{{"kind", "started", "normal", "by user", "abnormal", "total"}};
  std::uint64_t grand = 0;
  for (const std::string kind : {"maintenance", "parking", "charging"}) {
    std::vector<std::string> row{kind};
    auto s = started_.find(kind);
    row.push_back(std::to_string(s == started_.end() ? 0 : s->second));
    auto it = sessions_.find(kind);
    std::uint64_t total = 0;
    for (const std::string end : {"normal", "by_user", "abnormal"}) {
      std::uint64_t n = 0;
      if (it != sessions_.end()) {
        if (auto e = it->second.find(end); e != it->second.end()) n = e->second;
      }
      row.push_back(std::to_string(n));
      total += n;
    }
    row.push_back(std::to_string(total));
    grand += total;
    rows.push_back(row);
  }
  rows.push_back({"all", "", "", "", "", std::to_string(grand)});
  out << table(rows);
  out << "  charging modes:";
  for (const std::string mode : {"by_amount", "by_time", "by_energy", "until_full"}) {
    auto it = charging_modes_.find(mode);
    out << " " << mode << " " << (it == charging_modes_.end() ? 0 : it->second);
  }
  out << "; limit reached " << limit_reached_ << "; zero charge " << zero_charge_ << "\n\n";

  out << "Reservations\n"
      << table({{"made", std::to_string(reservations_)},
                {"cancelled in time", std::to_string(cancelled_free_)},
                {"cancelled late", std::to_string(cancelled_late_)},
                {"expired unused", std::to_string(expired_)},
                {"deposits forfeited", std::to_string(fees_.count) + " / " + tools::format_amount(fees_.amount)}})
      << "\n";

  out << "Payments and money\n"
      << table({{"paid on chain", std::to_string(on_chain_.count), tools::format_amount(on_chain_.amount)},
                {"paid off chain", std::to_string(off_chain_.count), tools::format_amount(off_chain_.amount)},
                {"deposits applied", "", tools::format_amount(from_deposit_)},
                {"top-ups issued", std::to_string(topups_.count), tools::format_amount(topups_.amount)},
                {"revenue distributed", std::to_string(revenue_.count), tools::format_amount(revenue_.amount)},
                {"accrued (periodic)", std::to_string(accrued_.count), tools::format_amount(accrued_.amount)},
                {"agreement settlements", std::to_string(agreement_settlements_.count),
                 tools::format_amount(agreement_settlements_.amount)},
                {"routed to split models", std::to_string(routed_.count), tools::format_amount(routed_.amount)},
                {"model settlements", std::to_string(model_settlements_.count),
                 tools::format_amount(model_settlements_.amount)},
                {"disputes raised/resolved", std::to_string(disputes_raised_) + "/" + std::to_string(disputes_resolved_),
                 tools::format_amount(dispute_reduction_) + " off"},
                {"records attested", std::to_string(records_attested_), ""}})
      << "\n";

  out << "Financing rounds\n";
  {
    std::vector<std::vector<std::string>> r;
    for (const std::string k : {"offered", "subscriptions", "withdrawn", "succeeded", "failed", "cancelled",
                                "raised", "refunded", "paid_to_financiers", "completed"}) {
      auto it = financing_.find(k);
      const Tally t = it == financing_.end() ? Tally{} : it->second;
      r.push_back({k, std::to_string(t.count), tools::format_amount(t.amount)});
    }
    out << table(r) << "\n";
  }
  out << "Vehicle records\n";
  if (vehicles_.empty()) {
    out << "  none\n\n";
  } else {
    std::vector<std::vector<std::string>> r;
    for (const auto& [k, v] : vehicles_) r.push_back({k, std::to_string(v)});
    out << table(r) << "\n";
  }

  if (!revenue_by_party_.empty()) {
    out << "Revenue by party\n";
    std::vector<std::vector<std::string>> r{{"party", "name", "parts", "amount"}};
    for (const auto& [party, t] : revenue_by_party_) {
      r.push_back({party, party_name(party), std::to_string(t.count), tools::format_amount(t.amount)});
    }
    out << table(r) << "\n";
  }

  if (!setup_.empty()) {
    out << "Set-up\n";
    std::vector<std::vector<std::string>> r;
    for (const auto& [k, v] : setup_) r.push_back({k, std::to_string(v)});
    out << table(r) << "\n";
  }

  if (!turned_away_.empty()) {
    out << "Visits turned away\n";
    std::vector<std::vector<std::string>> r;
    for (const auto& [k, v] : turned_away_) r.push_back({k, std::to_string(v)});
    out << table(r) << "\n";
  }

  out << "Failures by reason (" << failures_total() << ")\n";
  if (failures_.empty()) {
    out << "  none\n";
  } else {
    std::vector<std::pair<std::string, std::uint64_t>> sorted(failures_.begin(), failures_.end());
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    std::vector<std::vector<std::string>> r{{"step: reason", "count"}};
    for (const auto& [reason, count] : sorted) r.push_back({reason, std::to_string(count)});
    out << table(r);
  }
  out << "\n";

  out << "Transactions\n"
      << table({{"submitted", std::to_string(counters_.submitted)},
                {"committed", std::to_string(counters_.committed)},
                {"refused by the chain", std::to_string(counters_.refused)},
                {"rejected at admission", std::to_string(counters_.rejected)},
                {"retried", std::to_string(counters_.retried)},
                {"nonce resyncs", std::to_string(counters_.resyncs)},
                {"lost", std::to_string(counters_.lost)},
                {"committed per second", fixed2(tx_per_second())},
                {"sessions per second", fixed2(sessions_per_second())}});
  return out.str();
}

}  // namespace sharechain::dataserver
