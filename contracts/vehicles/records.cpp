// Vehicle records: submission by attesters, endorsements, the attestation decision and its
// effects (history, odometer rollback flags, ownership), and records made from usage sessions.
#include <algorithm>
#include <set>

#include "contracts/amounts.hpp"
#include "contracts/encoding.hpp"
#include "contracts/executor.hpp"
#include "contracts/ledger/ledger.hpp"
#include "contracts/vehicles/detail.hpp"
#include "proto/crypto.hpp"

namespace sharechain::contracts::vehicles {

namespace detail {

namespace {

constexpr int kMaxDetails = 16;
constexpr std::size_t kMaxSummary = 512;

std::string history_key(std::string_view vin, std::uint64_t occurred_ms, std::string_view id) {
  return key(history_prefix(vin), be64(occurred_ms), id);
}
std::string odometer_key(std::string_view vin, std::uint64_t occurred_ms, std::string_view id) {
  return key(odometer_prefix(vin), be64(occurred_ms), id);
}
std::string of_vin_key(std::string_view vin, std::uint64_t seq) {
  return key(of_vin_prefix(vin), be64(seq));
}
std::string pending_key(std::string_view id) { return key(kPendingPrefix, id); }

std::uint64_t bump(std::uint64_t v) { return v == UINT64_MAX ? v : v + 1; }

std::uint32_t attestation_threshold(const StateReader& state) {
  // Genesis always records a threshold; a chain without one behaves as if it were 1 rather than
  // attesting records with no endorsement at all.
  return std::max<std::uint32_t>(1, chain_params(state).attestation_threshold());
}

bool valid_detail_key(std::string_view s) {
  if (s.empty() || s.size() > 32) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string organisation_of(const StateReader& state, std::string_view who) {
  auto a = ledger::find_account(state, who);
  return a && ledger::has_role(*a, ledger::kAttester) ? a->organisation() : "";
}

pb::Flag make_flag(TxContext& ctx, const pb::Record& lower, std::string_view earlier_id,
                   std::uint64_t earlier_km) {
  pb::Flag f;
  f.set_kind("odometer_rollback");
  f.set_record_id(lower.id());
  f.set_earlier_record_id(std::string(earlier_id));
  f.set_odometer_km(lower.odometer_km());
  f.set_earlier_odometer_km(earlier_km);
  f.set_height(ctx.height());
  f.set_timestamp_ms(ctx.now_ms());
  f.set_tx_hash(ctx.tx_hash());
  return f;
}

void emit_flag(TxContext& ctx, const pb::Record& lower, const pb::Flag& f) {
  ctx.emit(kContract, "OdometerRollback",
           {{"vin", lower.vin()},
            {"record", id_value(f.record_id())},
            {"odometer_km", number(f.odometer_km())},
            {"earlier_record", id_value(f.earlier_record_id())},
            {"earlier_odometer_km", number(f.earlier_odometer_km())}});
}

// An attested reading is a rollback when a reading that occurred earlier is higher. A record
// attested late can also expose a rollback in a reading that occurred after it.
void check_odometer(TxContext& ctx, pb::Record& r, pb::Vehicle& v) {
  struct Reading {
    std::uint64_t occurred = 0;
    std::string id;
    std::uint64_t km = 0;
  };
  std::string prefix = odometer_prefix(r.vin());
  std::optional<Reading> highest_earlier;
  std::vector<Reading> later_lower;
  ctx.state().scan(prefix, [&](std::string_view k, std::string_view value) {
    Reading x;
    auto occurred = read_be64(k.substr(prefix.size(), 8));
    auto km = read_be64(value);
    if (!occurred || !km) halt("an odometer index entry does not decode");
    x.occurred = *occurred;
    x.id = std::string(k.substr(prefix.size() + 8));
    x.km = *km;
    if (x.occurred < r.occurred_at_ms() && x.km > r.odometer_km() &&
        (!highest_earlier || x.km > highest_earlier->km)) {
      highest_earlier = x;
    }
    if (x.occurred > r.occurred_at_ms() && x.km < r.odometer_km()) later_lower.push_back(x);
    return true;
  });
  if (highest_earlier) {
    r.set_rollback(true);
    pb::Flag f = make_flag(ctx, r, highest_earlier->id, highest_earlier->km);
    *v.add_flags() = f;
    emit_flag(ctx, r, f);
  }
  for (const auto& x : later_lower) {
    auto later = load<pb::Record>(ctx.state(), record_key(x.id));
    if (!later) halt("an odometer index entry names a missing record");
    if (later->rollback()) continue;  // already flagged against an earlier reading
    later->set_rollback(true);
    save_record(ctx.state(), *later);
    pb::Flag f = make_flag(ctx, *later, r.id(), r.odometer_km());
    *v.add_flags() = f;
    emit_flag(ctx, *later, f);
  }
  ctx.state().put(odometer_key(r.vin(), r.occurred_at_ms(), r.id()), be64(r.odometer_km()));
  // The last reading is the one that occurred last (the index is ordered by occurrence).
  if (v.last_odometer_record().empty() || r.occurred_at_ms() >= v.last_odometer_at_ms()) {
    v.set_last_odometer_km(r.odometer_km());
    v.set_last_odometer_at_ms(r.occurred_at_ms());
    v.set_last_odometer_record(r.id());
  }
}

void set_owner(TxContext& ctx, pb::Vehicle& v, std::string_view owner) {
  if (!v.owner().empty()) ctx.state().erase(owner_key(v.owner(), v.vin()));
  v.set_owner(std::string(owner));
  v.set_owner_since_ms(ctx.now_ms());
  ctx.state().put(owner_key(owner, v.vin()), "");
}

void attest(TxContext& ctx, pb::Record& r, pb::Vehicle& v) {
  set_decided(ctx, r, pb::RECORD_ATTESTED);
  v.set_attested(bump(v.attested()));
  ctx.state().put(history_key(r.vin(), r.occurred_at_ms(), r.id()), "");
  ctx.emit(kContract, "RecordAttested",
           {{"record", id_value(r.id())},
            {"vin", r.vin()},
            {"kind", kind_name(r.kind())},
            {"true", number(r.true_count())},
            {"false", number(r.false_count())},
            {"threshold", number(r.threshold())}});
  if (r.odometer_km() > 0) check_odometer(ctx, r, v);
  if (r.kind() == pb::REGISTRATION && !r.new_owner().empty()) {
    if (!v.owner().empty()) halt("a first-owner registration was attested for an owned vehicle");
    set_owner(ctx, v, r.new_owner());
    v.clear_open_transfer();
    ctx.emit(
        kContract, "OwnerRegistered",
        {{"vin", r.vin()}, {"owner", address_value(r.new_owner())}, {"record", id_value(r.id())}});
  }
  if (r.kind() == pb::OWNERSHIP_TRANSFER) {
    if (v.owner() != r.from_owner()) halt("an attested transfer's seller is not the owner");
    set_owner(ctx, v, r.new_owner());
    v.clear_open_transfer();
    ctx.emit(kContract, "OwnershipTransferred",
             {{"vin", r.vin()},
              {"from", address_value(r.from_owner())},
              {"to", address_value(r.new_owner())},
              {"record", id_value(r.id())}});
  }
}

void reject(TxContext& ctx, pb::Record& r, pb::Vehicle& v, const std::string& reason) {
  set_decided(ctx, r, pb::RECORD_REJECTED);
  v.set_rejected(bump(v.rejected()));
  if (v.open_transfer() == r.id()) v.clear_open_transfer();
  ctx.emit(kContract, "RecordRejected",
           {{"record", id_value(r.id())},
            {"vin", r.vin()},
            {"kind", kind_name(r.kind())},
            {"true", number(r.true_count())},
            {"false", number(r.false_count())},
            {"threshold", number(r.threshold())},
            {"reason", reason}});
}

std::string unreachable_reason(const pb::Record& r, std::uint64_t open) {
  return "the record has " + std::to_string(r.true_count()) + " TRUE endorsement(s) and " +
         std::to_string(open) + " attester(s) left who may endorse it; it needs " +
         std::to_string(r.threshold()) + " (the chain's attestation threshold)";
}

}  // namespace

std::string vehicle_key(std::string_view vin) {
  return key(std::string_view("vehicles/vehicle/"), vin);
}
std::string record_key(std::string_view id) {
  return key(std::string_view("vehicles/record/"), id);
}
std::string of_vin_prefix(std::string_view vin) {
  return key(std::string_view("vehicles/of_vin/"), vin);
}
std::string history_prefix(std::string_view vin) {
  return key(std::string_view("vehicles/history/"), vin);
}
std::string odometer_prefix(std::string_view vin) {
  return key(std::string_view("vehicles/odometer/"), vin);
}
std::string owner_prefix(std::string_view owner) {
  return key(std::string_view("vehicles/owner/"), owner);
}
std::string owner_key(std::string_view owner, std::string_view vin) {
  return key(owner_prefix(owner), vin);
}

Checked<pb::Record> require_record(const StateReader& state, std::string_view id) {
  if (!is_id(id)) return Refusal::invalid("a record id is 16 bytes (32 hex digits)");
  auto r = load<pb::Record>(state, record_key(id));
  if (!r) return Refusal::not_found("no vehicle record " + show_id(id));
  return *r;
}

void save_record(Overlay& state, const pb::Record& r) { save(state, record_key(r.id()), r); }

std::optional<pb::Vehicle> find_vehicle(const StateReader& state, std::string_view vin) {
  return load<pb::Vehicle>(state, vehicle_key(vin));
}

void save_vehicle(Overlay& state, const pb::Vehicle& v) { save(state, vehicle_key(v.vin()), v); }

pb::Vehicle vehicle_of(const StateReader& state, const pb::Record& r) {
  auto v = find_vehicle(state, r.vin());
  if (!v) halt("a vehicle record names a vehicle that does not exist");
  return *v;
}

std::string kind_name(pb::RecordKind k) {
  switch (k) {
    case pb::MANUFACTURE:
      return "manufacture";
    case pb::REGISTRATION:
      return "registration";
    case pb::INSPECTION:
      return "inspection";
    case pb::INSURANCE_CLAIM:
      return "insurance_claim";
    case pb::ACCIDENT:
      return "accident";
    case pb::MAINTENANCE:
      return "maintenance";
    case pb::OWNERSHIP_TRANSFER:
      return "ownership_transfer";
    case pb::ODOMETER:
      return "odometer";
    default:
      return "unknown";
  }
}

std::string status_name(pb::RecordStatus s) {
  switch (s) {
    case pb::RECORD_AWAITING_ACCEPTANCE:
      return "awaiting the buyer's acceptance";
    case pb::RECORD_PENDING:
      return "pending endorsements";
    case pb::RECORD_ATTESTED:
      return "attested";
    case pb::RECORD_REJECTED:
      return "rejected";
    case pb::RECORD_CANCELLED:
      return "cancelled";
    default:
      return "unknown";
  }
}

bool is_party(const pb::Record& r, std::string_view who) {
  return who == r.submitter() || (!r.from_owner().empty() && who == r.from_owner()) ||
         (!r.new_owner().empty() && who == r.new_owner());
}

std::uint64_t open_endorsers(const StateReader& state, const pb::Record& r) {
  std::set<std::string, std::less<>> endorsed;
  for (const auto& e : r.endorsements()) endorsed.insert(e.attester());
  std::uint64_t open = 0;
  std::string prefix = ledger::role_key(ledger::kAttester, "");
  state.scan(prefix, [&](std::string_view k, std::string_view) {
    std::string_view who = k.substr(prefix.size());
    if (!is_party(r, who) && endorsed.count(who) == 0) ++open;
    return true;
  });
  return open;
}

void set_decided(TxContext& ctx, pb::Record& r, pb::RecordStatus status) {
  r.set_status(status);
  r.set_decided_height(ctx.height());
  r.set_decided_at_ms(ctx.now_ms());
  r.set_decided_tx(ctx.tx_hash());
  ctx.state().erase(pending_key(r.id()));
}

Outcome create_record(TxContext& ctx, pb::Record& r, pb::Vehicle& vehicle,
                      bool refuse_unreachable) {
  r.set_id(ctx.new_id("vehicle-record"));
  r.set_threshold(attestation_threshold(ctx.state()));
  r.set_submitted_height(ctx.height());
  r.set_submitted_at_ms(ctx.now_ms());
  r.set_submitted_tx(ctx.tx_hash());
  if (r.status() == pb::RECORD_STATUS_UNSPECIFIED) r.set_status(pb::RECORD_PENDING);
  std::uint64_t open = open_endorsers(ctx.state(), r);
  bool unreachable = open < r.threshold();
  if (unreachable && refuse_unreachable) {
    return Refusal::precondition("this record could never be attested: " +
                                 unreachable_reason(r, open));
  }
  if (vehicle.vin().empty()) {
    vehicle.set_vin(r.vin());
    vehicle.set_first_seen_at_ms(ctx.now_ms());
  }
  ctx.state().put(of_vin_key(r.vin(), vehicle.records()), r.id());
  vehicle.set_records(bump(vehicle.records()));
  ctx.state().put(pending_key(r.id()), "");
  ctx.emit(kContract, "RecordSubmitted",
           {{"record", id_value(r.id())},
            {"vin", r.vin()},
            {"kind", kind_name(r.kind())},
            {"submitter", address_value(r.submitter())},
            {"organisation", r.organisation()},
            {"occurred_at_ms", number(r.occurred_at_ms())},
            {"odometer_km", number(r.odometer_km())},
            {"evidence", crypto::to_hex(r.evidence_hash())},
            {"status", status_name(r.status())},
            {"threshold", number(r.threshold())}});
  if (unreachable) reject(ctx, r, vehicle, unreachable_reason(r, open));
  save_record(ctx.state(), r);
  return Outcome::ok();
}

Outcome decide(TxContext& ctx, pb::Record& r, pb::Vehicle& vehicle) {
  if (r.status() == pb::RECORD_PENDING) {
    if (r.true_count() >= r.threshold()) {
      attest(ctx, r, vehicle);
    } else {
      std::uint64_t open = open_endorsers(ctx.state(), r);
      if (r.true_count() + open < r.threshold())
        reject(ctx, r, vehicle, unreachable_reason(r, open));
    }
  }
  save_record(ctx.state(), r);
  return Outcome::ok();
}

Outcome submit(TxContext& ctx, const pb::SubmitRecord& s) {
  SC_TRY(ledger::require_role(ctx.state(), ctx.sender(), ledger::kAttester,
                              "submitting a vehicle record"));
  if (auto problem = vin_problem(s.vin()); !problem.empty()) return Refusal::invalid(problem);
  if (s.kind() == pb::OWNERSHIP_TRANSFER) {
    return Refusal::invalid(
        "an ownership transfer is offered by the owner (OfferTransfer) and accepted by the "
        "buyer; it is not submitted as a record");
  }
  if (s.kind() == pb::RECORD_KIND_UNSPECIFIED || !pb::RecordKind_IsValid(s.kind())) {
    return Refusal::invalid(
        "the record kind must be manufacture, registration, inspection, insurance claim, "
        "accident, maintenance or odometer");
  }
  std::uint64_t occurred = s.occurred_at_ms() == 0 ? ctx.now_ms() : s.occurred_at_ms();
  if (occurred > ctx.now_ms()) {
    return Refusal::invalid("the record says it occurred at " + std::to_string(occurred) +
                            " ms, after the block time " + std::to_string(ctx.now_ms()) + " ms");
  }
  if (s.kind() == pb::ODOMETER && s.odometer_km() == 0) {
    return Refusal::invalid("an odometer record carries its reading (odometer_km > 0)");
  }
  if (s.summary().empty() || s.summary().size() > kMaxSummary) {
    return Refusal::invalid("the summary must be 1 to 512 bytes");
  }
  if (s.evidence_hash().size() != 32) {
    return Refusal::invalid("the evidence hash must be 32 bytes (SHA-256 of the evidence)");
  }
  if (s.details_size() > kMaxDetails) return Refusal::invalid("at most 16 details per record");
  std::set<std::string> keys;
  for (const auto& d : s.details()) {
    if (!valid_detail_key(d.key())) {
      return Refusal::invalid("detail key \"" + d.key() +
                              "\" must be 1 to 32 characters of a-z, 0-9 or '_'");
    }
    if (!keys.insert(d.key()).second) {
      return Refusal::invalid("detail \"" + d.key() + "\" is listed twice");
    }
    if (d.value().size() > 256) return Refusal::invalid("a detail value exceeds 256 bytes");
  }
  pb::Vehicle vehicle;
  if (auto v = find_vehicle(ctx.state(), s.vin())) vehicle = *v;
  if (!s.new_owner().empty()) {
    if (s.kind() != pb::REGISTRATION) {
      return Refusal::invalid("only a registration names a vehicle's first owner");
    }
    if (!is_address(s.new_owner())) return Refusal::invalid("the owner must be a 20-byte address");
    if (!vehicle.owner().empty()) {
      return Refusal::precondition("vehicle " + s.vin() + " already belongs to " +
                                   show_address(vehicle.owner()) +
                                   "; ownership moves by an accepted and attested transfer");
    }
    if (!vehicle.open_transfer().empty()) {
      return Refusal::precondition("record " + show_id(vehicle.open_transfer()) +
                                   " already proposes an owner for vehicle " + s.vin() +
                                   "; wait until it is decided");
    }
  }

  pb::Record r;
  r.set_vin(s.vin());
  r.set_kind(s.kind());
  r.set_submitter(ctx.sender());
  r.set_organisation(organisation_of(ctx.state(), ctx.sender()));
  r.set_occurred_at_ms(occurred);
  r.set_odometer_km(s.odometer_km());
  r.set_summary(s.summary());
  r.set_evidence_hash(s.evidence_hash());
  *r.mutable_details() = s.details();
  r.set_new_owner(s.new_owner());
  SC_TRY(create_record(ctx, r, vehicle, /*refuse_unreachable=*/true));
  if (!s.new_owner().empty()) vehicle.set_open_transfer(r.id());
  save_vehicle(ctx.state(), vehicle);
  return Outcome::ok();
}

Outcome endorse(TxContext& ctx, const pb::Endorse& e) {
  SC_TRY(ledger::require_role(ctx.state(), ctx.sender(), ledger::kAttester,
                              "endorsing a vehicle record"));
  auto r = require_record(ctx.state(), e.record_id());
  if (!r.is_ok()) return r.refusal();
  switch (r->status()) {
    case pb::RECORD_PENDING:
      break;
    case pb::RECORD_AWAITING_ACCEPTANCE:
      return Refusal::precondition("the transfer of " + r->vin() + " to " +
                                   show_address(r->new_owner()) +
                                   " has not been accepted by the buyer: it is not final and "
                                   "cannot be endorsed");
    case pb::RECORD_ATTESTED:
    case pb::RECORD_REJECTED:
      return Refusal::exists("record " + show_id(r->id()) + " was already " +
                             status_name(r->status()) + " at height " +
                             std::to_string(r->decided_height()));
    default:
      return Refusal::precondition("record " + show_id(r->id()) + " is " +
                                   status_name(r->status()));
  }
  if (e.verdict() != pb::VERDICT_TRUE && e.verdict() != pb::VERDICT_FALSE) {
    return Refusal::invalid("an endorsement is TRUE (matches what you hold) or FALSE");
  }
  if (e.note().size() > 256) return Refusal::invalid("the note exceeds 256 bytes");
  if (is_party(*r, ctx.sender())) {
    return Refusal::denied(show_address(ctx.sender()) +
                           (ctx.sender() == r->submitter()
                                ? " submitted this record and cannot endorse it"
                                : " is a party to this transfer and cannot endorse it"));
  }
  for (const auto& prior : r->endorsements()) {
    if (prior.attester() == ctx.sender()) {
      return Refusal::exists(show_address(ctx.sender()) + " already endorsed record " +
                             show_id(r->id()) + " (" +
                             (prior.verdict() == pb::VERDICT_TRUE ? "TRUE" : "FALSE") +
                             ") at height " + std::to_string(prior.height()));
    }
  }
  pb::Endorsement* en = r->add_endorsements();
  en->set_attester(ctx.sender());
  en->set_organisation(organisation_of(ctx.state(), ctx.sender()));
  en->set_verdict(e.verdict());
  en->set_note(e.note());
  en->set_height(ctx.height());
  en->set_timestamp_ms(ctx.now_ms());
  en->set_tx_hash(ctx.tx_hash());
  if (e.verdict() == pb::VERDICT_TRUE) {
    r->set_true_count(r->true_count() + 1);
  } else {
    r->set_false_count(r->false_count() + 1);
  }
  ctx.emit(kContract, "RecordEndorsed",
           {{"record", id_value(r->id())},
            {"vin", r->vin()},
            {"attester", address_value(ctx.sender())},
            {"organisation", en->organisation()},
            {"verdict", e.verdict() == pb::VERDICT_TRUE ? "TRUE" : "FALSE"},
            {"true", number(r->true_count())},
            {"false", number(r->false_count())},
            {"threshold", number(r->threshold())}});
  pb::Vehicle vehicle = vehicle_of(ctx.state(), *r);
  SC_TRY(decide(ctx, *r, vehicle));
  save_vehicle(ctx.state(), vehicle);
  return Outcome::ok();
}

}  // namespace detail

Outcome record_maintenance_session(TxContext& ctx, const MaintenanceSession& m) {
  using namespace detail;
  // The usage contract checked the VIN when it granted access. A VIN that a later, stricter
  // rule no longer accepts gets no record, but the session must still be able to end.
  if (!valid_vin(m.vin)) return Outcome::ok();
  pb::Vehicle vehicle;
  if (auto v = find_vehicle(ctx.state(), m.vin)) vehicle = *v;
  pb::Record r;
  r.set_vin(m.vin);
  r.set_kind(pb::MAINTENANCE);
  r.set_submitter(ctx.sender());
  r.set_organisation(organisation_of(ctx.state(), ctx.sender()));
  r.set_occurred_at_ms(m.ended_at_ms);
  r.set_summary("maintenance session at asset " + show_id(m.asset_id) + " using " +
                (m.equipment.empty() ? std::string("no metered equipment") : m.equipment) +
                ", ended " + m.end_kind);
  // The evidence is on chain: the transaction that reported the session's meter.
  r.set_evidence_hash(ctx.tx_hash());
  auto add = [&](std::string k, std::string v) {
    pb::Detail* d = r.add_details();
    d->set_key(std::move(k));
    d->set_value(std::move(v));
  };
  add("session", show_id(m.session_id));
  add("asset", show_id(m.asset_id));
  add("technician", show_address(m.technician));
  add("started_at_ms", std::to_string(m.started_at_ms));
  add("ended_at_ms", std::to_string(m.ended_at_ms));
  add("equipment", m.equipment);
  add("end_kind", m.end_kind);
  r.set_session_id(m.session_id);
  r.set_asset_id(m.asset_id);
  SC_TRY(create_record(ctx, r, vehicle, /*refuse_unreachable=*/false));
  save_vehicle(ctx.state(), vehicle);
  return Outcome::ok();
}

Outcome execute(TxContext& ctx, const pb::Call& call) {
  using namespace detail;
  switch (call.action_case()) {
    case pb::Call::kSubmit:
      return submit(ctx, call.submit());
    case pb::Call::kEndorse:
      return endorse(ctx, call.endorse());
    case pb::Call::kOfferTransfer:
      return offer_transfer(ctx, call.offer_transfer());
    case pb::Call::kAcceptTransfer:
      return accept_transfer(ctx, call.accept_transfer());
    case pb::Call::kCancelTransfer:
      return cancel_transfer(ctx, call.cancel_transfer());
    case pb::Call::ACTION_NOT_SET:
      break;
  }
  return Refusal::invalid("the vehicles call names no action");
}

}  // namespace sharechain::contracts::vehicles
