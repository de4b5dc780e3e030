// Vehicle queries, above all the buyer's report.
#include <algorithm>

#include "contracts/encoding.hpp"
#include "contracts/vehicles/detail.hpp"

namespace sharechain::contracts::vehicles {

namespace {

using namespace detail;

constexpr std::uint32_t kDefaultPending = 100;
constexpr std::uint32_t kMaxPending = 1'000;

Result<pb::Vehicle> get_vehicle(const StateReader& state, std::string_view vin) {
  if (auto problem = vin_problem(vin); !problem.empty()) return Status::invalid_argument(problem);
  auto v = find_vehicle(state, vin);
  if (!v) return Status::not_found("the chain holds no record of vehicle " + std::string(vin));
  return *v;
}

pb::Record load_record(const StateReader& state, std::string_view id) {
  auto r = load<pb::Record>(state, record_key(id));
  if (!r) halt("a vehicle index entry names a missing record");
  return *r;
}

// The ATTESTED records of a vehicle in order of occurrence.
std::vector<pb::Record> attested_history(const StateReader& state, std::string_view vin) {
  std::vector<pb::Record> out;
  state.scan(history_prefix(vin), [&](std::string_view k, std::string_view) {
    out.push_back(load_record(state, k.substr(k.size() - kIdSize)));
    return true;
  });
  return out;
}

pb::Report report(const StateReader& state, const pb::Vehicle& v) {
  pb::Report out;
  out.set_vin(v.vin());
  *out.mutable_vehicle() = v;
  std::vector<pb::Record> history = attested_history(state, v.vin());
  std::vector<const pb::Record*> ownership;
  for (const auto& r : history) {
    if (r.kind() == pb::ACCIDENT || r.kind() == pb::INSURANCE_CLAIM) *out.add_accidents() = r;
    if (r.kind() == pb::MAINTENANCE) *out.add_maintenance() = r;
    if (r.kind() == pb::OWNERSHIP_TRANSFER ||
        (r.kind() == pb::REGISTRATION && !r.new_owner().empty())) {
      ownership.push_back(&r);
    }
    if (r.id() == v.last_odometer_record()) *out.mutable_last_odometer() = r;
    *out.add_history() = r;
  }
  // Owners change in the order the records were attested, not the order they occurred.
  std::stable_sort(ownership.begin(), ownership.end(),
                   [](const pb::Record* a, const pb::Record* b) {
                     return a->decided_height() < b->decided_height();
                   });
  for (const pb::Record* r : ownership) {
    pb::OwnerEntry* o = out.add_owners();
    o->set_owner(r->new_owner());
    o->set_record_id(r->id());
    o->set_since_ms(r->decided_at_ms());
    o->set_height(r->decided_height());
    o->set_tx_hash(r->decided_tx());
  }
  *out.mutable_flags() = v.flags();
  std::uint64_t pending = 0;
  state.scan(of_vin_prefix(v.vin()), [&](std::string_view, std::string_view id) {
    pb::Record r = load_record(state, id);
    if (r.status() == pb::RECORD_PENDING || r.status() == pb::RECORD_AWAITING_ACCEPTANCE) ++pending;
    return true;
  });
  out.set_pending(pending);
  out.set_rejected(v.rejected());
  return out;
}

}  // namespace

Result<pb::QueryResult> query(const StateReader& state, const pb::Query& q) {
  pb::QueryResult out;
  switch (q.query_case()) {
    case pb::Query::kVehicle: {
      auto v = get_vehicle(state, q.vehicle().vin());
      if (!v.is_ok()) return v.status();
      *out.mutable_vehicle() = std::move(v).value();
      return out;
    }
    case pb::Query::kRecord: {
      auto r = require_record(state, q.record().record_id());
      if (!r.is_ok()) return to_status(r.refusal());
      *out.mutable_record() = *r;
      return out;
    }
    case pb::Query::kRecords: {
      auto v = get_vehicle(state, q.records().vin());
      if (!v.is_ok()) return v.status();
      auto* list = out.mutable_records();
      state.scan(of_vin_prefix(v->vin()), [&](std::string_view, std::string_view id) {
        *list->add_records() = load_record(state, id);
        return true;
      });
      return out;
    }
    case pb::Query::kPending: {
      const auto& p = q.pending();
      if (!p.after_id().empty() && !is_id(p.after_id())) {
        return Status::invalid_argument("after_id is a 16-byte record id, or empty");
      }
      if (p.limit() > kMaxPending)
        return Status::invalid_argument("at most 1,000 records per query");
      std::uint32_t limit = p.limit() == 0 ? kDefaultPending : p.limit();
      auto* list = out.mutable_records();
      state.scan(kPendingPrefix, [&](std::string_view k, std::string_view) {
        std::string_view id = k.substr(kPendingPrefix.size());
        if (!p.after_id().empty() && id <= std::string_view(p.after_id())) return true;
        *list->add_records() = load_record(state, id);
        return list->records_size() < static_cast<int>(limit);
      });
      return out;
    }
    case pb::Query::kReport: {
      auto v = get_vehicle(state, q.report().vin());
      if (!v.is_ok()) return v.status();
      *out.mutable_report() = report(state, *v);
      return out;
    }
    case pb::Query::kOfOwner: {
      const std::string& owner = q.of_owner().owner();
      if (!is_address(owner)) return Status::invalid_argument("an owner address is 20 bytes");
      auto* list = out.mutable_vehicles();
      std::string prefix = owner_prefix(owner);
      state.scan(prefix, [&](std::string_view k, std::string_view) {
        auto v = find_vehicle(state, k.substr(prefix.size()));
        if (!v) halt("an owner index entry names a missing vehicle");
        *list->add_vehicles() = std::move(*v);
        return true;
      });
      return out;
    }
    case pb::Query::QUERY_NOT_SET:
      break;
  }
  return Status::invalid_argument("the vehicles query names no query");
}

}  // namespace sharechain::contracts::vehicles
