// The vehicles contract:
//  - VIN rules: 17 characters of 0-9 and A-Z without I, O, Q; the ISO 3779 check digit for VINs
//    starting 1-5 (North America); other regions without it
//  - attestation: a record becomes ATTESTED with the threshold's TRUE endorsements (3 of the
//    attesters other than its submitter), REJECTED as soon as the threshold is out of reach,
//    refused when the chain has too few attesters to ever reach it
//  - every refusal of submissions and endorsements (role, VIN, kind, time, evidence, details,
//    the submitter endorsing, endorsing twice, decided records)
//  - odometer rollback: a reading lower than an earlier attested one is flagged, including one
//    exposed by an earlier reading attested late
//  - ownership: a registration names the first owner; a transfer without the buyer's
//    acceptance is not final (endorsements refused, owner unchanged); accepted and attested it
//    moves the vehicle; cancellation; parties to a transfer cannot endorse it
//  - a maintenance session at a station that names a VIN becomes a MAINTENANCE record, attested
//    by endorsements (or rejected at once on a chain without enough attesters)
//  - the vehicle report: owners, accidents, maintenance, last odometer, flags, with heights,
//    times and transaction hashes; pending records by page
#include <catch2/catch.hpp>
#include <set>

#include "contracts/encoding.hpp"
#include "contracts/vehicles/vin.hpp"
#include "finance_fixture.hpp"

using namespace sharechain;
using namespace sharechain::contracts;
using namespace sharechain::contracts::testing;

namespace {

namespace cv = ::sharechain::contracts::vehicles;

const std::string kVin = "1HGCM82633A004352";  // check digit 3
const std::string kChineseVin = "LSVAX4182E2123456";

std::vector<Actor> vehicle_actors(int attesters) {
  std::vector<Actor> a = {{"operator", 0, {"operator"}, ""},
                          {"dataserver", 0, {"data_server"}, ""},
                          {"olivia", 1'000, {}, ""},
                          {"ben", 1'000, {}, ""},
                          {"carl", 1'000, {}, ""}};
  const std::vector<std::string> orgs = {"Maker Motors", "Safe Insurance", "City Garage",
                                         "Vehicle Registry", "Dealer Group"};
  for (int i = 0; i < attesters; ++i) {
    a.push_back({"a" + std::to_string(i + 1), 0, {"attester"}, orgs[static_cast<std::size_t>(i)]});
  }
  return a;
}

void expect(const Receipt& r, ReceiptStatus status, const std::string& words) {
  INFO(r.error());
  CHECK(r.status() == status);
  CHECK(contains(r.error(), words));
}

std::string submitted(const Receipt& r) { return event_id(r, "RecordSubmitted", "record"); }

// Submits a record as a1 and has a2..a4 endorse it TRUE; returns its id.
std::string attested_record(Chain& c, const vpb::Call& submit) {
  std::string id = submitted(must(c.vehicles("a1", submit)));
  for (const auto& who : {"a2", "a3", "a4"}) must(c.vehicles(who, endorse_call(id, true)));
  return id;
}

lpb::Call grant_attester(const std::string& who, const std::string& org) {
  lpb::Call c;
  c.mutable_grant_role()->set_account(address_for(who));
  c.mutable_grant_role()->set_role("attester");
  c.mutable_grant_role()->set_organisation(org);
  return c;
}

}  // namespace

TEST_CASE("VIN rules", "[contracts][vehicles]") {
  CHECK(cv::valid_vin(kVin));
  CHECK(cv::valid_vin("1M8GDM9AXKP042788"));  // check digit X
  CHECK(cv::valid_vin("11111111111111111"));
  CHECK(cv::vin_check_digit("1M8GDM9AXKP042788") == 'X');
  CHECK(cv::vin_check_digit(kVin) == '3');
  // North American VINs must carry the right check digit.
  CHECK_FALSE(cv::valid_vin("2T1BR32E84C123456"));
  CHECK(contains(cv::vin_problem("2T1BR32E84C123456"), "check digit (9th character) is 8"));
  CHECK(contains(cv::vin_problem("2T1BR32E84C123456"), "give 3"));
  // Elsewhere the 9th character is not a check digit everywhere, so it is not enforced.
  CHECK(cv::valid_vin(kChineseVin));
  CHECK(cv::valid_vin("WVWZZZ1JZXW000001"));
  // Length and alphabet.
  CHECK(contains(cv::vin_problem("1HGCM82633A00435"), "17 characters, this has 16"));
  CHECK_FALSE(cv::valid_vin("1HGCM82633A0043522"));
  CHECK(contains(cv::vin_problem("LSVAX4182E212345O"), "character 17"));
  CHECK_FALSE(cv::valid_vin("LSVAX4182E21234I6"));
  CHECK_FALSE(cv::valid_vin("LSVAX4182E21234Q6"));
  CHECK_FALSE(cv::valid_vin("lsvax4182e2123456"));
  CHECK_FALSE(cv::valid_vin(""));
  CHECK(cv::vin_check_digit("SHORT") == '\0');
}

TEST_CASE("records are attested at the threshold and rejected when it is out of reach",
          "[contracts][vehicles]") {
  Chain c(vehicle_actors(5));
  SECTION("three TRUE endorsements attest") {
    auto r = must(c.vehicles("a1", submit_call(kVin, vpb::INSPECTION, 12'000)));
    std::string id = submitted(r);
    auto rec = record_of(c, id);
    CHECK(rec.status() == vpb::RECORD_PENDING);
    CHECK(rec.threshold() == 3);
    CHECK(rec.organisation() == "Maker Motors");
    CHECK(rec.submitted_tx() == r.tx_hash());
    must(c.vehicles("a2", endorse_call(id, true)));
    must(c.vehicles("a3", endorse_call(id, false)));
    must(c.vehicles("a4", endorse_call(id, true)));
    CHECK(record_of(c, id).status() == vpb::RECORD_PENDING);
    CHECK(report_of(c, kVin).history_size() == 0);
    auto last = must(c.vehicles("a5", endorse_call(id, true)));
    CHECK(find_event(last, "RecordAttested") != nullptr);
    rec = record_of(c, id);
    CHECK(rec.status() == vpb::RECORD_ATTESTED);
    CHECK(rec.true_count() == 3);
    CHECK(rec.false_count() == 1);
    CHECK(rec.decided_tx() == last.tx_hash());
    CHECK(rec.decided_height() == c.height());
    REQUIRE(rec.endorsements_size() == 4);
    CHECK(rec.endorsements(0).organisation() == "Safe Insurance");
    auto rep = report_of(c, kVin);
    REQUIRE(rep.history_size() == 1);
    CHECK(rep.history(0).id() == id);
    CHECK(rep.pending() == 0);
    // Decided records take no more endorsements.
    expect(c.vehicles("a1", endorse_call(id, true)), RECEIPT_ALREADY_EXISTS, "already attested");
  }
  SECTION("FALSE endorsements reject once three TRUE are impossible") {
    std::string id = submitted(must(c.vehicles("a1", submit_call(kVin, vpb::ACCIDENT))));
    must(c.vehicles("a2", endorse_call(id, true)));
    must(c.vehicles("a3", endorse_call(id, false)));  // 1 TRUE + 2 open = 3: still reachable
    CHECK(record_of(c, id).status() == vpb::RECORD_PENDING);
    auto r = must(c.vehicles("a4", endorse_call(id, false)));  // 1 + 1 < 3
    const Event* e = find_event(r, "RecordRejected");
    REQUIRE(e != nullptr);
    CHECK(contains(attr(*e, "reason"), "needs 3"));
    CHECK(record_of(c, id).status() == vpb::RECORD_REJECTED);
    expect(c.vehicles("a5", endorse_call(id, true)), RECEIPT_ALREADY_EXISTS, "already rejected");
    auto rep = report_of(c, kVin);
    CHECK(rep.history_size() == 0);
    CHECK(rep.accidents_size() == 0);
    CHECK(rep.rejected() == 1);
  }
  SECTION("a chain with too few attesters refuses records it could never attest") {
    Chain small(vehicle_actors(3));  // the submitter leaves two endorsers; the threshold is 3
    expect(small.vehicles("a1", submit_call(kVin, vpb::INSPECTION)), RECEIPT_FAILED_PRECONDITION,
           "could never be attested");
    // An attester granted later makes it possible.
    must(small.ledger("operator", grant_attester("carl", "Dealer Group")));
    must(small.vehicles("a1", submit_call(kVin, vpb::INSPECTION)));
  }
}

TEST_CASE("vehicle record refusals", "[contracts][vehicles]") {
  Chain c(vehicle_actors(4));
  auto with = [](vpb::Call call, auto edit) {
    edit(*call.mutable_submit());
    return call;
  };
  vpb::Call ok = submit_call(kVin, vpb::INSPECTION, 1'000);
  expect(c.vehicles("olivia", ok), RECEIPT_PERMISSION_DENIED, "needs the attester role");
  expect(c.vehicles("a1", submit_call("2T1BR32E84C123456", vpb::INSPECTION)),
         RECEIPT_INVALID_ARGUMENT, "check digit");
  expect(c.vehicles("a1", submit_call("SHORT", vpb::INSPECTION)), RECEIPT_INVALID_ARGUMENT,
         "17 characters");
  expect(c.vehicles("a1", submit_call(kVin, vpb::RECORD_KIND_UNSPECIFIED)),
         RECEIPT_INVALID_ARGUMENT, "record kind");
  expect(c.vehicles("a1", with(ok, [](auto& s) { s.set_kind(static_cast<vpb::RecordKind>(42)); })),
         RECEIPT_INVALID_ARGUMENT, "record kind");
  expect(c.vehicles("a1", submit_call(kVin, vpb::OWNERSHIP_TRANSFER)), RECEIPT_INVALID_ARGUMENT,
         "OfferTransfer");
  expect(c.vehicles("a1", submit_call(kVin, vpb::INSPECTION, 0, c.time_ms() + kHour)),
         RECEIPT_INVALID_ARGUMENT, "after the block time");
  expect(c.vehicles("a1", submit_call(kVin, vpb::ODOMETER, 0)), RECEIPT_INVALID_ARGUMENT,
         "odometer_km");
  expect(c.vehicles("a1", with(ok, [](auto& s) { s.clear_summary(); })), RECEIPT_INVALID_ARGUMENT,
         "summary");
  expect(c.vehicles("a1", with(ok, [](auto& s) { s.set_evidence_hash(std::string(31, 'e')); })),
         RECEIPT_INVALID_ARGUMENT, "32 bytes");
  expect(c.vehicles("a1", with(ok,
                               [](auto& s) {
                                 for (int i = 0; i < 2; ++i) {
                                   auto* d = s.add_details();
                                   d->set_key("claim_no");
                                   d->set_value("C-1");
                                 }
                               })),
         RECEIPT_INVALID_ARGUMENT, "listed twice");
  expect(c.vehicles("a1", with(ok,
                               [](auto& s) {
                                 auto* d = s.add_details();
                                 d->set_key("Claim No");
                               })),
         RECEIPT_INVALID_ARGUMENT, "detail key");
  expect(c.vehicles("a1", submit_call(kVin, vpb::INSPECTION, 0, 0, "olivia")),
         RECEIPT_INVALID_ARGUMENT, "only a registration");
  vpb::Call empty;
  CHECK(c.vehicles("a1", empty).status() == RECEIPT_INVALID_ARGUMENT);

  std::string id = submitted(must(c.vehicles("a1", ok)));
  expect(c.vehicles("olivia", endorse_call(id, true)), RECEIPT_PERMISSION_DENIED,
         "needs the attester role");
  expect(c.vehicles("a1", endorse_call(id, true)), RECEIPT_PERMISSION_DENIED,
         "submitted this record");
  vpb::Call unspecified = endorse_call(id, true);
  unspecified.mutable_endorse()->set_verdict(vpb::VERDICT_UNSPECIFIED);
  expect(c.vehicles("a2", unspecified), RECEIPT_INVALID_ARGUMENT, "TRUE");
  must(c.vehicles("a2", endorse_call(id, true)));
  expect(c.vehicles("a2", endorse_call(id, false)), RECEIPT_ALREADY_EXISTS, "already endorsed");
  CHECK(c.vehicles("a2", endorse_call(std::string(16, '\x01'), true)).status() ==
        RECEIPT_NOT_FOUND);
  CHECK(c.vehicles("a2", endorse_call("bad", true)).status() == RECEIPT_INVALID_ARGUMENT);

  // Queries.
  vpb::Query q;
  q.mutable_vehicle()->set_vin(kChineseVin);
  api::QueryRequest req;
  *req.mutable_vehicles() = q;
  CHECK(c.query(req).status().code() == Code::kNotFound);
  q.mutable_report()->set_vin("BAD");
  *req.mutable_vehicles() = q;
  CHECK(c.query(req).status().code() == Code::kInvalidArgument);
}

TEST_CASE("odometer rollback is flagged", "[contracts][vehicles]") {
  Chain c(vehicle_actors(4));
  c.set_time(kStartMs + 100 * kDay);
  const std::uint64_t t0 = kStartMs + 10 * kDay;
  const std::uint64_t t1 = kStartMs + 20 * kDay;
  const std::uint64_t t2 = kStartMs + 30 * kDay;
  std::string high = attested_record(c, submit_call(kVin, vpb::ODOMETER, 80'000, t1));
  CHECK(report_of(c, kVin).flags_size() == 0);

  // A later reading that is lower: a rollback.
  std::string id = submitted(must(c.vehicles("a1", submit_call(kVin, vpb::ODOMETER, 60'000, t2))));
  must(c.vehicles("a2", endorse_call(id, true)));
  must(c.vehicles("a3", endorse_call(id, true)));
  auto r = must(c.vehicles("a4", endorse_call(id, true)));
  const Event* e = find_event(r, "OdometerRollback");
  REQUIRE(e != nullptr);
  CHECK(attr(*e, "odometer_km") == "60000");
  CHECK(attr(*e, "earlier_odometer_km") == "80000");
  CHECK(record_of(c, id).rollback());
  CHECK_FALSE(record_of(c, high).rollback());
  auto rep = report_of(c, kVin);
  REQUIRE(rep.flags_size() == 1);
  CHECK(rep.flags(0).kind() == "odometer_rollback");
  CHECK(rep.flags(0).record_id() == id);
  CHECK(rep.flags(0).earlier_record_id() == high);
  CHECK(rep.flags(0).tx_hash() == r.tx_hash());
  // The last odometer is the reading that occurred last, rollback or not.
  CHECK(rep.vehicle().last_odometer_km() == 60'000);
  CHECK(rep.last_odometer().id() == id);

  // An older inspection attested late, with a higher reading than the 80,000 taken after it,
  // exposes that one as a rollback too; a reading equal to the highest earlier one is none.
  std::string old = attested_record(c, submit_call(kVin, vpb::INSPECTION, 90'000, t0));
  rep = report_of(c, kVin);
  REQUIRE(rep.flags_size() == 2);
  CHECK(rep.flags(1).record_id() == high);
  CHECK(rep.flags(1).earlier_record_id() == old);
  CHECK(record_of(c, high).rollback());
  CHECK(rep.vehicle().last_odometer_km() == 60'000);
  attested_record(c, submit_call(kVin, vpb::ODOMETER, 90'000, t2 + kDay));
  CHECK(report_of(c, kVin).flags_size() == 2);
  CHECK(report_of(c, kVin).vehicle().last_odometer_km() == 90'000);
  REQUIRE(report_of(c, kVin).history_size() == 4);
  CHECK(report_of(c, kVin).history(0).id() == old);  // by occurrence
}

TEST_CASE("ownership: registration, offer, acceptance, attestation", "[contracts][vehicles]") {
  Chain c(vehicle_actors(4));
  expect(c.vehicles("olivia", offer_transfer_call(kVin, "ben")), RECEIPT_FAILED_PRECONDITION,
         "knows no owner");
  std::string reg =
      submitted(must(c.vehicles("a1", submit_call(kVin, vpb::REGISTRATION, 0, 0, "olivia"))));
  expect(c.vehicles("a2", submit_call(kVin, vpb::REGISTRATION, 0, 0, "carl")),
         RECEIPT_FAILED_PRECONDITION, "already proposes an owner");
  vpb::Call bad_owner = submit_call(kVin, vpb::REGISTRATION);
  bad_owner.mutable_submit()->set_new_owner("short");
  expect(c.vehicles("a2", bad_owner), RECEIPT_INVALID_ARGUMENT, "20-byte address");
  for (const auto& who : {"a2", "a3", "a4"}) must(c.vehicles(who, endorse_call(reg, true)));
  vpb::Query q;
  q.mutable_vehicle()->set_vin(kVin);
  CHECK(vehicles_query(c, q).vehicle().owner() == address_for("olivia"));
  expect(c.vehicles("a1", submit_call(kVin, vpb::REGISTRATION, 0, 0, "carl")),
         RECEIPT_FAILED_PRECONDITION, "already belongs");

  // Offered but not accepted: not final.
  expect(c.vehicles("ben", offer_transfer_call(kVin, "carl")), RECEIPT_PERMISSION_DENIED,
         "only the owner");
  expect(c.vehicles("olivia", offer_transfer_call(kVin, "olivia")), RECEIPT_INVALID_ARGUMENT,
         "already belongs");
  vpb::Call malformed = offer_transfer_call(kVin, "ben");
  malformed.mutable_offer_transfer()->set_buyer("short");
  expect(c.vehicles("olivia", malformed), RECEIPT_INVALID_ARGUMENT, "20-byte address");
  malformed = offer_transfer_call(kVin, "ben");
  malformed.mutable_offer_transfer()->set_evidence_hash("x");
  expect(c.vehicles("olivia", malformed), RECEIPT_INVALID_ARGUMENT, "sale contract");
  malformed = offer_transfer_call(kVin, "ben");
  malformed.mutable_offer_transfer()->set_note(std::string(300, 'n'));
  expect(c.vehicles("olivia", malformed), RECEIPT_INVALID_ARGUMENT, "note");
  expect(c.vehicles("olivia", offer_transfer_call("2T1BR32E84C123456", "ben")),
         RECEIPT_INVALID_ARGUMENT, "check digit");
  auto offered = must(c.vehicles("olivia", offer_transfer_call(kVin, "ben", 45'000)));
  std::string t = event_id(offered, "OwnershipTransferOffered", "record");
  CHECK(record_of(c, t).status() == vpb::RECORD_AWAITING_ACCEPTANCE);
  expect(c.vehicles("a2", endorse_call(t, true)), RECEIPT_FAILED_PRECONDITION, "not been accepted");
  CHECK(vehicles_query(c, q).vehicle().owner() == address_for("olivia"));
  expect(c.vehicles("ben", offer_transfer_call(kVin, "carl")), RECEIPT_PERMISSION_DENIED,
         "only the owner");
  expect(c.vehicles("olivia", offer_transfer_call(kVin, "carl")), RECEIPT_FAILED_PRECONDITION,
         "still open");
  expect(c.vehicles("carl", accept_transfer_call(t)), RECEIPT_PERMISSION_DENIED, "only the buyer");
  expect(c.vehicles("carl", cancel_transfer_call(t)), RECEIPT_PERMISSION_DENIED,
         "seller or the buyer");
  expect(c.vehicles("ben", accept_transfer_call(reg)), RECEIPT_INVALID_ARGUMENT,
         "not an ownership transfer");

  // Accepted: attested like any record, then the vehicle moves.
  must(c.vehicles("ben", accept_transfer_call(t)));
  CHECK(record_of(c, t).status() == vpb::RECORD_PENDING);
  expect(c.vehicles("ben", cancel_transfer_call(t)), RECEIPT_FAILED_PRECONDITION,
         "only a transfer awaiting acceptance");
  expect(c.vehicles("ben", accept_transfer_call(t)), RECEIPT_FAILED_PRECONDITION, "pending");
  must(c.vehicles("a1", endorse_call(t, true)));
  must(c.vehicles("a2", endorse_call(t, true)));
  CHECK(vehicles_query(c, q).vehicle().owner() == address_for("olivia"));
  auto moved = must(c.vehicles("a3", endorse_call(t, true)));
  const std::uint64_t moved_height = c.height();
  CHECK(find_event(moved, "OwnershipTransferred") != nullptr);
  CHECK(vehicles_query(c, q).vehicle().owner() == address_for("ben"));

  vpb::Query owned;
  owned.mutable_of_owner()->set_owner(address_for("ben"));
  REQUIRE(vehicles_query(c, owned).vehicles().vehicles_size() == 1);
  owned.mutable_of_owner()->set_owner(address_for("olivia"));
  CHECK(vehicles_query(c, owned).vehicles().vehicles_size() == 0);

  // Declined offers change nothing; a buyer who is an attester cannot endorse its purchase.
  std::string declined = event_id(must(c.vehicles("ben", offer_transfer_call(kVin, "carl"))),
                                  "OwnershipTransferOffered", "record");
  auto cancelled = must(c.vehicles("carl", cancel_transfer_call(declined)));
  CHECK(find_event(cancelled, "OwnershipTransferCancelled") != nullptr);
  CHECK(record_of(c, declined).status() == vpb::RECORD_CANCELLED);
  std::string to_a4 = event_id(must(c.vehicles("ben", offer_transfer_call(kVin, "a4"))),
                               "OwnershipTransferOffered", "record");
  must(c.vehicles("a4", accept_transfer_call(to_a4)));
  expect(c.vehicles("a4", endorse_call(to_a4, true)), RECEIPT_PERMISSION_DENIED,
         "party to this transfer");

  // Attesters leaving can put the threshold out of reach of a transfer not yet accepted.
  Chain d(vehicle_actors(4));
  attested_record(d, submit_call(kChineseVin, vpb::REGISTRATION, 0, 0, "olivia"));
  std::string stuck = event_id(must(d.vehicles("olivia", offer_transfer_call(kChineseVin, "ben"))),
                               "OwnershipTransferOffered", "record");
  lpb::Call revoke;
  revoke.mutable_revoke_role()->set_account(address_for("a4"));
  revoke.mutable_revoke_role()->set_role("attester");
  must(d.ledger("operator", revoke));
  must(d.ledger("operator", []() {
    lpb::Call r;
    r.mutable_revoke_role()->set_account(address_for("a3"));
    r.mutable_revoke_role()->set_role("attester");
    return r;
  }()));
  expect(d.vehicles("ben", accept_transfer_call(stuck)), RECEIPT_FAILED_PRECONDITION,
         "could never be attested");
  must(d.vehicles("ben", cancel_transfer_call(stuck)));

  auto rep = report_of(c, kVin);
  REQUIRE(rep.owners_size() == 2);
  CHECK(rep.owners(0).owner() == address_for("olivia"));
  CHECK(rep.owners(0).record_id() == reg);
  CHECK(rep.owners(1).owner() == address_for("ben"));
  CHECK(rep.owners(1).record_id() == t);
  CHECK(rep.owners(1).tx_hash() == moved.tx_hash());
  CHECK(rep.owners(1).height() == moved_height);
  CHECK(rep.vehicle().last_odometer_km() == 45'000);  // the reading taken at the sale
  CHECK(rep.pending() == 1);                          // the transfer to a4
}

TEST_CASE("a maintenance session that names a vehicle becomes its maintenance record",
          "[contracts][vehicles]") {
  SECTION("attested by three attesters") {
    StationWorld w;
    Chain& c = w.chain;
    must(c.ledger("operator", grant_attester("a1", "City Garage")));
    must(c.ledger("operator", grant_attester("a2", "Safe Insurance")));
    must(c.ledger("operator", grant_attester("a3", "Vehicle Registry")));
    std::string session =
        w.start_session("tech", w.reserve("tech", kDay1 + 10 * kHour, kDay1 + 11 * kHour), kVin);
    c.advance(40 * kMinute);
    auto ended = must(c.usage(
        "dataserver", end_call(session, upb::END_NORMAL, {{"lift", 40, 0}, {"diagnostic", 0, 0}})));
    CHECK(find_event(ended, "VehicleMaintained") != nullptr);
    std::string id = submitted(ended);
    REQUIRE_FALSE(id.empty());
    auto rec = record_of(c, id);
    CHECK(rec.kind() == vpb::MAINTENANCE);
    CHECK(rec.status() == vpb::RECORD_PENDING);
    CHECK(rec.session_id() == session);
    CHECK(rec.asset_id() == w.asset);
    CHECK(rec.submitter() == address_for("dataserver"));
    CHECK(rec.evidence_hash() == ended.tx_hash());
    CHECK(rec.occurred_at_ms() == session_of(c, session).ended_at_ms());
    bool technician = false;
    for (const auto& d : rec.details()) {
      if (d.key() == "technician") technician = d.value() == show_address(address_for("tech"));
    }
    CHECK(technician);
    for (const auto& who : {"a1", "a2", "a3"}) must(c.vehicles(who, endorse_call(id, true)));
    auto rep = report_of(c, kVin);
    REQUIRE(rep.maintenance_size() == 1);
    CHECK(rep.maintenance(0).id() == id);
    CHECK(rep.maintenance(0).status() == vpb::RECORD_ATTESTED);
  }
  SECTION("rejected at once on a chain without attesters") {
    StationWorld w;
    Chain& c = w.chain;
    std::string session = w.start_session(
        "tech", w.reserve("tech", kDay1 + 10 * kHour, kDay1 + 11 * kHour), kChineseVin);
    c.advance(10 * kMinute);
    auto ended = must(c.usage("dataserver", end_call(session, upb::END_NORMAL, {{"lift", 10, 0}})));
    REQUIRE(find_event(ended, "RecordRejected") != nullptr);
    CHECK(record_of(c, submitted(ended)).status() == vpb::RECORD_REJECTED);
    CHECK(report_of(c, kChineseVin).maintenance_size() == 0);
  }
  SECTION("access refuses a North American VIN with a wrong check digit") {
    StationWorld w;
    auto r = w.reserve("tech", kDay1 + 10 * kHour, kDay1 + 11 * kHour);
    w.chain.set_time(kDay1 + 10 * kHour);
    expect(w.chain.usage("tech", access_call(r, "2T1BR32E84C123456")), RECEIPT_INVALID_ARGUMENT,
           "check digit");
  }
}

TEST_CASE("the vehicle report and pending records", "[contracts][vehicles]") {
  Chain c(vehicle_actors(4));
  c.set_time(kStartMs + 400 * kDay);
  const std::uint64_t day = kStartMs;
  attested_record(c, submit_call(kVin, vpb::MANUFACTURE, 0, day + kDay));
  std::string accident =
      attested_record(c, submit_call(kVin, vpb::ACCIDENT, 30'000, day + 100 * kDay));
  std::string claim =
      attested_record(c, submit_call(kVin, vpb::INSURANCE_CLAIM, 0, day + 101 * kDay));
  std::string service =
      attested_record(c, submit_call(kVin, vpb::MAINTENANCE, 31'000, day + 120 * kDay));
  std::string pending = submitted(must(c.vehicles("a1", submit_call(kVin, vpb::INSPECTION))));
  std::string other = submitted(must(c.vehicles("a2", submit_call(kChineseVin, vpb::INSPECTION))));

  auto rep = report_of(c, kVin);
  CHECK(rep.vin() == kVin);
  REQUIRE(rep.accidents_size() == 2);
  CHECK(rep.accidents(0).id() == accident);
  CHECK(rep.accidents(1).id() == claim);
  REQUIRE(rep.maintenance_size() == 1);
  CHECK(rep.maintenance(0).id() == service);
  CHECK(rep.last_odometer().id() == service);
  CHECK(rep.vehicle().last_odometer_km() == 31'000);
  CHECK(rep.history_size() == 4);
  CHECK(rep.pending() == 1);
  CHECK(rep.owners_size() == 0);
  for (const auto& r : rep.history()) {
    CHECK(r.submitted_height() > 0);
    CHECK(r.decided_height() > r.submitted_height());
    CHECK(r.submitted_tx().size() == 32);
    CHECK(r.decided_tx().size() == 32);
    CHECK(r.decided_at_ms() > r.submitted_at_ms());
  }

  vpb::Query q;
  q.mutable_records()->set_vin(kVin);
  CHECK(vehicles_query(c, q).records().records_size() == 5);
  q.mutable_pending();
  auto all = vehicles_query(c, q).records();
  REQUIRE(all.records_size() == 2);
  q.mutable_pending()->set_limit(1);
  auto first = vehicles_query(c, q).records();
  REQUIRE(first.records_size() == 1);
  q.mutable_pending()->set_after_id(first.records(0).id());
  auto second = vehicles_query(c, q).records();
  REQUIRE(second.records_size() == 1);
  CHECK(second.records(0).id() != first.records(0).id());
  std::set<std::string> ids = {first.records(0).id(), second.records(0).id()};
  CHECK(ids == std::set<std::string>{pending, other});
}
