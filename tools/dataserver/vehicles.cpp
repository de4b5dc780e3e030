// Vehicle history: the attesters (manufacturer, insurer, registry, dealer) submit records and
// endorse each other's; owners sell their vehicles to other customers. Every record is
// endorsed until the chain decides it (attested at the threshold, or rejected once the
// threshold is out of reach).
#include "proto/crypto.hpp"
#include "tools/dataserver/runner_internal.hpp"

namespace sharechain::dataserver {

namespace {

constexpr std::string_view kAttesterKeys[] = {kManufacturerKey, kInsurerKey, kRegistryKey, kDealerKey};

std::string evidence(std::string_view what, std::string_view vin, std::uint64_t index) {
  return crypto::hash_bytes(crypto::sha256(std::string(what) + " " + std::string(vin) + " #" + std::to_string(index)));
}

void detail(vehicles::SubmitRecord& r, std::string key, std::string value) {
  vehicles::Detail* d = r.add_details();
  d->set_key(std::move(key));
  d->set_value(std::move(value));
}

}  // namespace

bool Runner::endorse(const std::string& record_id, std::string_view submitter,
                     const std::vector<std::string>& parties, bool disputed) {
  const std::string submitter_address = cast_.count(submitter) ? cast(submitter).address() : "";
  for (std::string_view key : kAttesterKeys) {
    Signer& attester = cast(key);
    if (attester.address() == submitter_address) continue;
    if (std::find(parties.begin(), parties.end(), attester.address()) != parties.end()) continue;
    auto c = act(attester, "endorse record", [&](TransactionBody& b) {
      auto* e = b.mutable_vehicles()->mutable_endorse();
      e->set_record_id(record_id);
      e->set_verdict(disputed ? vehicles::VERDICT_FALSE : vehicles::VERDICT_TRUE);
      e->set_note(disputed ? "our records differ" : "matches our records");
    });
    if (!c) return false;
    if (!event_attr(c->receipt, "vehicles", "RecordAttested", "record").empty()) return true;
    if (!event_attr(c->receipt, "vehicles", "RecordRejected", "record").empty()) return false;
  }
  return false;
}

bool Runner::record(std::string_view attester, std::string_view step,
                    const std::function<void(vehicles::SubmitRecord&)>& fill, bool disputed) {
  auto submitted = act(cast(attester), step, [&](TransactionBody& b) { fill(*b.mutable_vehicles()->mutable_submit()); });
  if (!submitted) return false;
  const std::string id = raw_id(event_attr(submitted->receipt, "vehicles", "RecordSubmitted", "record"));
  return endorse(id, attester, {}, disputed);
}

void Runner::start_life(VehicleState& v, const VehicleEvent& e) {
  if (!v.manufactured) {
    v.manufactured = record(kManufacturerKey, "submit manufacture record", [&](vehicles::SubmitRecord& r) {
      r.set_vin(v.vin);
      r.set_kind(vehicles::MANUFACTURE);
      r.set_summary("built and delivered to the dealer network");
      r.set_evidence_hash(evidence("certificate of conformity", v.vin, e.index));
      detail(r, "plant", "Harbour works");
    }, false);
    if (!v.manufactured) return;
  }
  User& owner = users_[e.owner];
  const bool registered = record(kRegistryKey, "submit registration", [&](vehicles::SubmitRecord& r) {
    r.set_vin(v.vin);
    r.set_kind(vehicles::REGISTRATION);
    r.set_summary("first registration");
    r.set_evidence_hash(evidence("registration certificate", v.vin, e.index));
    r.set_new_owner(owner.signer->address());
  }, false);
  if (registered) v.owner = e.owner;
}

void Runner::vehicle_event(const VehicleEvent& e) {
  VehicleState* vp = nullptr;
  {
    std::lock_guard lock(vehicles_mu_);
    vp = &vehicles_[e.vehicle];
  }
  VehicleState& v = *vp;
  if (!v.manufactured || !v.owner) {
    start_life(v, e);
    return;
  }
  // A clocked odometer shows less than the last attested reading; the chain flags it.
  const std::uint64_t reading =
      e.rollback && v.odometer_km > 1 ? v.odometer_km - std::min(v.odometer_km - 1, e.km) : v.odometer_km + e.km;
  auto note_reading = [&](bool attested) {
    if (attested) v.odometer_km = std::max(v.odometer_km, reading);
  };
  switch (e.action) {
    case VehicleAction::kOdometer: {
      const bool by_insurer = e.index % 2 == 0;
      note_reading(record(by_insurer ? kInsurerKey : kDealerKey, "submit odometer reading",
                          [&](vehicles::SubmitRecord& r) {
                            r.set_vin(v.vin);
                            r.set_kind(vehicles::ODOMETER);
                            r.set_odometer_km(reading);
                            r.set_summary(by_insurer ? "reading at the annual insurance check" : "reading at a dealer service");
                            r.set_evidence_hash(evidence("odometer photo", v.vin, e.index));
                          },
                          e.disputed));
      break;
    }
    case VehicleAction::kInspection:
      note_reading(record(kRegistryKey, "submit inspection", [&](vehicles::SubmitRecord& r) {
        r.set_vin(v.vin);
        r.set_kind(vehicles::INSPECTION);
        r.set_odometer_km(reading);
        r.set_summary("periodic roadworthiness inspection passed");
        r.set_evidence_hash(evidence("inspection report", v.vin, e.index));
        detail(r, "result", "pass");
      }, e.disputed));
      break;
    case VehicleAction::kAccident:
      record(kRegistryKey, "submit accident", [&](vehicles::SubmitRecord& r) {
        r.set_vin(v.vin);
        r.set_kind(vehicles::ACCIDENT);
        r.set_summary("low-speed collision, rear bumper and tailgate damaged");
        r.set_evidence_hash(evidence("police report", v.vin, e.index));
        detail(r, "severity", "minor");
      }, e.disputed);
      record(kInsurerKey, "submit insurance claim", [&](vehicles::SubmitRecord& r) {
        r.set_vin(v.vin);
        r.set_kind(vehicles::INSURANCE_CLAIM);
        r.set_summary("repair of rear bumper and tailgate settled");
        r.set_evidence_hash(evidence("claim file", v.vin, e.index));
        detail(r, "settled_units", std::to_string(e.price / 20));
      }, false);
      break;
    case VehicleAction::kTransfer: {
      const std::size_t seller = *v.owner;
      std::size_t buyer = e.buyer;
      if (buyer == seller) buyer = (buyer + 1) % users_.size();
      if (buyer == seller) return;  // a single customer has nobody to sell to
      Signer& from = *users_[seller].signer;
      Signer& to = *users_[buyer].signer;
      auto offered = act(from, "offer vehicle transfer", [&](TransactionBody& b) {
        auto* o = b.mutable_vehicles()->mutable_offer_transfer();
        o->set_vin(v.vin);
        o->set_buyer(to.address());
        o->set_price(e.price);
        o->set_evidence_hash(evidence("sale contract", v.vin, e.index));
        o->set_odometer_km(v.odometer_km + e.km / 10 + 1);
        o->set_note("private sale arranged at the dealer");
      });
      if (!offered) return;
      const std::string id =
          raw_id(event_attr(offered->receipt, "vehicles", "OwnershipTransferOffered", "record"));
      auto accepted = act(to, "accept vehicle transfer", [&](TransactionBody& b) {
        b.mutable_vehicles()->mutable_accept_transfer()->set_record_id(id);
      });
      if (!accepted) {
        act(from, "cancel vehicle transfer", [&](TransactionBody& b) {
          b.mutable_vehicles()->mutable_cancel_transfer()->set_record_id(id);
        });
        return;
      }
      if (endorse(id, "", {from.address(), to.address()}, false)) {
        v.owner = buyer;
        v.odometer_km = std::max(v.odometer_km, v.odometer_km + e.km / 10 + 1);
      }
      break;
    }
  }
}

}  // namespace sharechain::dataserver
