// Ownership transfers (used-car sales): the owner offers, the buyer accepts, attesters attest.
// Until all three happened the vehicle keeps its owner.
#include "contracts/encoding.hpp"
#include "contracts/ledger/ledger.hpp"
#include "contracts/vehicles/detail.hpp"

namespace sharechain::contracts::vehicles::detail {

Outcome offer_transfer(TxContext& ctx, const pb::OfferTransfer& o) {
  if (auto problem = vin_problem(o.vin()); !problem.empty()) return Refusal::invalid(problem);
  auto vehicle = find_vehicle(ctx.state(), o.vin());
  if (!vehicle || vehicle->owner().empty()) {
    return Refusal::precondition("the chain knows no owner of vehicle " + o.vin() +
                                 ": an attested registration names the first owner");
  }
  if (vehicle->owner() != ctx.sender()) {
    return Refusal::denied("only the owner " + show_address(vehicle->owner()) +
                           " may sell vehicle " + o.vin());
  }
  if (!vehicle->open_transfer().empty()) {
    return Refusal::precondition("transfer " + show_id(vehicle->open_transfer()) + " of vehicle " +
                                 o.vin() + " is still open; cancel it or wait until it is decided");
  }
  if (!is_address(o.buyer())) return Refusal::invalid("the buyer must be a 20-byte address");
  if (o.buyer() == ctx.sender()) {
    return Refusal::invalid("the vehicle already belongs to " + show_address(o.buyer()));
  }
  if (o.evidence_hash().size() != 32) {
    return Refusal::invalid("the evidence hash must be 32 bytes (SHA-256 of the sale contract)");
  }
  if (o.note().size() > 256) return Refusal::invalid("the note exceeds 256 bytes");

  pb::Record r;
  r.set_vin(o.vin());
  r.set_kind(pb::OWNERSHIP_TRANSFER);
  r.set_status(pb::RECORD_AWAITING_ACCEPTANCE);
  r.set_submitter(ctx.sender());
  r.set_occurred_at_ms(ctx.now_ms());
  r.set_odometer_km(o.odometer_km());
  r.set_summary("sale of " + o.vin() + " from " + show_address(ctx.sender()) + " to " +
                show_address(o.buyer()));
  r.set_evidence_hash(o.evidence_hash());
  if (!o.note().empty()) {
    pb::Detail* d = r.add_details();
    d->set_key("note");
    d->set_value(o.note());
  }
  r.set_from_owner(ctx.sender());
  r.set_new_owner(o.buyer());
  r.set_price(o.price());
  SC_TRY(create_record(ctx, r, *vehicle, /*refuse_unreachable=*/true));
  vehicle->set_open_transfer(r.id());
  save_vehicle(ctx.state(), *vehicle);
  ctx.emit(kContract, "OwnershipTransferOffered",
           {{"record", id_value(r.id())},
            {"vin", r.vin()},
            {"seller", address_value(r.from_owner())},
            {"buyer", address_value(r.new_owner())},
            {"price", number(r.price())}});
  return Outcome::ok();
}

Outcome accept_transfer(TxContext& ctx, const pb::AcceptTransfer& a) {
  auto r = require_record(ctx.state(), a.record_id());
  if (!r.is_ok()) return r.refusal();
  if (r->kind() != pb::OWNERSHIP_TRANSFER) {
    return Refusal::invalid("record " + show_id(r->id()) + " is not an ownership transfer");
  }
  if (ctx.sender() != r->new_owner()) {
    return Refusal::denied("only the buyer " + show_address(r->new_owner()) +
                           " may accept the transfer of " + r->vin());
  }
  if (r->status() != pb::RECORD_AWAITING_ACCEPTANCE) {
    return Refusal::precondition("the transfer of " + r->vin() + " is " + status_name(r->status()));
  }
  std::uint64_t open = open_endorsers(ctx.state(), *r);
  if (open < r->threshold()) {
    return Refusal::precondition("the transfer could never be attested: " + std::to_string(open) +
                                 " attester(s) may endorse it and it needs " +
                                 std::to_string(r->threshold()));
  }
  r->set_status(pb::RECORD_PENDING);
  r->set_accepted(true);
  r->set_accepted_at_ms(ctx.now_ms());
  // The sale is complete when the buyer accepts it: that is when it occurred.
  r->set_occurred_at_ms(ctx.now_ms());
  save_record(ctx.state(), *r);
  ctx.emit(kContract, "OwnershipTransferAccepted",
           {{"record", id_value(r->id())},
            {"vin", r->vin()},
            {"seller", address_value(r->from_owner())},
            {"buyer", address_value(r->new_owner())}});
  return Outcome::ok();
}

Outcome cancel_transfer(TxContext& ctx, const pb::CancelTransfer& c) {
  auto r = require_record(ctx.state(), c.record_id());
  if (!r.is_ok()) return r.refusal();
  if (r->kind() != pb::OWNERSHIP_TRANSFER) {
    return Refusal::invalid("record " + show_id(r->id()) + " is not an ownership transfer");
  }
  if (ctx.sender() != r->from_owner() && ctx.sender() != r->new_owner()) {
    return Refusal::denied("only the seller or the buyer may cancel the transfer of " + r->vin());
  }
  if (r->status() != pb::RECORD_AWAITING_ACCEPTANCE) {
    return Refusal::precondition("the transfer of " + r->vin() + " is " + status_name(r->status()) +
                                 "; only a transfer awaiting acceptance can be cancelled");
  }
  pb::Vehicle vehicle = vehicle_of(ctx.state(), *r);
  set_decided(ctx, *r, pb::RECORD_CANCELLED);
  if (vehicle.open_transfer() == r->id()) vehicle.clear_open_transfer();
  save_record(ctx.state(), *r);
  save_vehicle(ctx.state(), vehicle);
  ctx.emit(kContract, "OwnershipTransferCancelled",
           {{"record", id_value(r->id())}, {"vin", r->vin()}, {"by", address_value(ctx.sender())}});
  return Outcome::ok();
}

}  // namespace sharechain::contracts::vehicles::detail
