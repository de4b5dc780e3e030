// The run report's arithmetic, fed with receipts as the chain would return them:
//  - sessions counted by asset kind (learnt from AssetRegistered) and end type; charging modes
//  - payments on and off chain, deposits applied; top-ups are only ledger Issue actions
//  - revenue distributed in total and per party; settlements, routed income, accrued income
//  - reservations: free and late cancellations, expiries, forfeited deposits
//  - disputes and the charge they took off
//  - a refused receipt adds nothing
//  - failures group by normalised reason (ids, addresses and numbers replaced)
//  - financing rounds (offers, subscriptions, outcomes, payouts) and vehicle records (submitted,
//    endorsed, attested, rejected by kind; transfers; rollbacks)
//  - rates per second, and the JSON and text renderings carry the figures
#include "tools/dataserver/report.hpp"

#include <catch2/catch.hpp>

#include "proto/crypto.hpp"

using namespace sharechain;
using namespace sharechain::dataserver;

namespace {

void add(Receipt& r, const std::string& contract, const std::string& name,
         std::vector<std::pair<std::string, std::string>> attributes) {
  Event* e = r.add_events();
  e->set_contract(contract);
  e->set_name(name);
  for (auto& [k, v] : attributes) {
    Attribute* a = e->add_attributes();
    a->set_key(k);
    a->set_value(v);
  }
}

const std::string kPile = std::string(32, 'a');
const std::string kStation = std::string(32, 'b');
const std::string kPartyA = "sc" + std::string(40, '1');
const std::string kPartyB = "sc" + std::string(40, '2');

Report sample() {
  Report report;
  Receipt setup;
  add(setup, "assets", "AssetRegistered", {{"asset", kPile}, {"kind", "charging pile"}});
  add(setup, "assets", "AssetRegistered", {{"asset", kStation}, {"kind", "maintenance station"}});
  add(setup, "usage", "AgreementActivated", {{"agreement", std::string(32, 'c')}});
  report.on_receipt(setup);

  Receipt access;
  add(access, "usage", "AccessGranted", {{"session", "s1"}, {"asset", kPile}, {"mode", "by_energy"}});
  add(access, "usage", "AccessGranted", {{"session", "s2"}, {"asset", kStation}, {"mode", "none"}});
  report.on_receipt(access);

  Receipt ends;
  add(ends, "usage", "SessionEnded", {{"session", "s1"}, {"kind", "abnormal"}, {"charge", "1200"}, {"limit_reached", "true"}});
  add(ends, "usage", "SessionEnded", {{"session", "s2"}, {"kind", "normal"}, {"charge", "0"}, {"limit_reached", "false"}});
  add(ends, "usage", "SessionCompleted", {{"session", "s2"}, {"charge", "0"}});
  report.on_receipt(ends);

  Receipt pay;
  add(pay, "usage", "SessionPaid", {{"amount", "1200"}, {"from_deposit", "1000"}, {"on_chain", "true"}, {"on_time", "true"}});
  add(pay, "revenue", "RevenueDistributed", {{"party", kPartyA}, {"amount", "720"}});
  add(pay, "revenue", "RevenueDistributed", {{"party", kPartyB}, {"amount", "480"}});
  report.on_receipt(pay);

  Receipt off;
  add(off, "ledger", "Issued", {{"amount", "900"}, {"purpose", "usage payment for session x"}});
  add(off, "usage", "SessionPaid", {{"amount", "900"}, {"from_deposit", "0"}, {"on_chain", "false"}, {"on_time", "false"}});
  add(off, "usage", "IncomeAccrued", {{"amount", "900"}});
  report.on_receipt(off);

  Receipt topup;
  add(topup, "ledger", "Issued", {{"amount", "10000"}, {"purpose", "issue"}});
  report.on_receipt(topup);

  Receipt money;
  add(money, "usage", "Reserved", {{"reservation", "r1"}});
  add(money, "usage", "ReservationCancelled", {{"fee", "0"}});
  add(money, "usage", "ReservationCancelled", {{"fee", "500"}});
  add(money, "usage", "ReservationExpired", {{"fee", "300"}});
  add(money, "usage", "AgreementSettled", {{"amount", "900"}});
  add(money, "revenue", "IncomeRouted", {{"amount", "250"}});
  add(money, "revenue", "ModelSettled", {{"amount", "250"}});
  add(money, "usage", "DisputeRaised", {});
  add(money, "usage", "DisputeResolved", {{"charge_before", "1000"}, {"charge_after", "900"}});
  report.on_receipt(money);

  Receipt refused;
  refused.set_status(RECEIPT_INSUFFICIENT_FUNDS);
  add(refused, "revenue", "RevenueDistributed", {{"party", kPartyA}, {"amount", "999999"}});
  add(refused, "usage", "SessionPaid", {{"amount", "999999"}, {"on_chain", "true"}});
  report.on_receipt(refused);
  return report;
}

}  // namespace

TEST_CASE("sessions are counted by asset kind and end type, with charging modes") {
  const Report r = sample();
  CHECK(r.sessions_total() == 2);
  CHECK(r.sessions().at("charging").at("abnormal") == 1);
  CHECK(r.sessions().at("maintenance").at("normal") == 1);
  CHECK(r.charging_modes().at("by_energy") == 1);
  CHECK(r.charging_modes().count("none") == 0);
  CHECK(r.setup().at("assets_registered_charging") == 1);
  CHECK(r.setup().at("assets_registered_maintenance") == 1);
  CHECK(r.setup().at("agreements_activated") == 1);
}

TEST_CASE("payments, top-ups, revenue and settlements add up; refused receipts add nothing") {
  const Report r = sample();
  CHECK(r.paid_on_chain() == Tally{1, 1200});
  CHECK(r.paid_off_chain() == Tally{1, 900});
  CHECK(r.topups() == Tally{1, 10'000});
  CHECK(r.revenue() == Tally{2, 1200});
  CHECK(r.revenue_by_party().at(kPartyA) == Tally{1, 720});
  CHECK(r.revenue_by_party().at(kPartyB) == Tally{1, 480});
  CHECK(r.agreement_settlements() == Tally{1, 900});
  CHECK(r.model_settlements() == Tally{1, 250});
  CHECK(r.routed() == Tally{1, 250});
  CHECK(r.fees() == Tally{2, 800});

  const tools::Json j = r.to_json();
  CHECK(j["reservations"]["made"] == 1);
  CHECK(j["reservations"]["cancelled_in_time"] == 1);
  CHECK(j["reservations"]["cancelled_late"] == 1);
  CHECK(j["reservations"]["expired"] == 1);
  CHECK(j["payments"]["from_deposit"] == 1000);
  CHECK(j["payments"]["late"] == 1);
  CHECK(j["revenue"]["accrued_periodic"]["amount"] == 900);
  CHECK(j["disputes"]["raised"] == 1);
  CHECK(j["disputes"]["charge_reduction"] == 100);
  CHECK(j["sessions"]["limit_reached"] == 1);
  CHECK(j["sessions"]["zero_charge"] == 1);
  CHECK(j["sessions"]["by_kind"]["charging"]["total"] == 1);
  CHECK(j["sessions"]["by_kind"]["charging"]["started"] == 1);
  CHECK(j["sessions"]["by_kind"]["parking"]["total"] == 0);
}

TEST_CASE("failure reasons group once ids, addresses and numbers are taken out") {
  CHECK(tools::normalise_reason("agreement 0123456789abcdef0123456789abcdef is not active (it is suspended)") ==
        "agreement <id> is not active (it is suspended)");
  CHECK(tools::normalise_reason("insufficient funds: sc" + std::string(40, 'f') +
                         " holds 1,500 units (15.00 credits)") ==
        "insufficient funds: <account> holds N units (N credits)");
  CHECK(tools::normalise_reason("insufficient funds: " + crypto::format_address(std::string(20, '\x07')) +
                                " holds 1,500 units") == "insufficient funds: <account> holds N units");
  // Something shaped like an address whose checksum fails is not taken for one.
  std::string typo = crypto::format_address(std::string(20, '\x07'));
  typo[5] = typo[5] == 'q' ? 'p' : 'q';
  CHECK(tools::normalise_reason("to " + typo).starts_with("to sc"));
  CHECK(tools::normalise_reason("the meter reports 7 minutes of \"lift\" but the session lasted 2 started minutes") ==
        "the meter reports N minutes of \"lift\" but the session lasted N started minutes");
  // Short hex-looking words stay words.
  CHECK(tools::normalise_reason("a deadline passed") == "a deadline passed");

  Report r;
  r.on_failure("reserve", "the window overlaps 2 existing reservation(s) of asset " + std::string(32, 'a'));
  r.on_failure("reserve", "the window overlaps 3 existing reservation(s) of asset " + std::string(32, 'b'));
  r.on_failure("access", "the window overlaps 3 existing reservation(s) of asset " + std::string(32, 'b'));
  CHECK(r.failures_total() == 3);
  REQUIRE(r.failures().size() == 2);
  CHECK(r.failures().at("reserve: the window overlaps N existing reservation(s) of asset <id>") == 2);
  const tools::Json j = r.to_json();
  CHECK(j["failures"]["total"] == 3);
  CHECK(j["failures"]["by_reason"].size() == 2);
}

TEST_CASE("rates per second and the renderings") {
  Report r = sample();
  TxCounters c;
  c.submitted = 12;
  c.committed = 10;
  c.refused = 1;
  r.set_counters(c);
  CHECK(r.tx_per_second() == 0.0);
  r.set_elapsed_ms(4'000);
  CHECK(r.tx_per_second() == Approx(2.5));
  CHECK(r.sessions_per_second() == Approx(0.5));
  r.name_party(std::string(20, '\x11'), "user1");
  const tools::Json j = r.to_json();
  CHECK(j["transactions"]["committed"] == 10);
  CHECK(j["transactions"]["per_second"] == Approx(2.5));
  CHECK(j["elapsed_s"] == Approx(4.0));
  REQUIRE(j["revenue"]["by_party"].size() == 2);
  CHECK(j["revenue"]["by_party"][0]["name"] == "user1");
  const std::string text = r.to_text();
  CHECK(text.find("Sessions ended") != std::string::npos);
  CHECK(text.find("Failures by reason (0)") != std::string::npos);
  CHECK(text.find("committed per second") != std::string::npos);
  CHECK(text.find("user1") != std::string::npos);
}

TEST_CASE("financing rounds and vehicle records are tallied") {
  Report r;
  Receipt f;
  add(f, "financing", "FinancingOffered", {{"amount_sought", "3000000"}});
  add(f, "financing", "Subscribed", {{"amount", "1000000"}});
  add(f, "financing", "Subscribed", {{"amount", "500000"}});
  add(f, "financing", "SubscriptionWithdrawn", {{"amount", "500000"}});
  add(f, "financing", "RoundClosed", {{"outcome", "succeeded"}, {"subscribed", "1000000"}});
  add(f, "financing", "FinancingActivated", {{"raised", "1000000"}});
  add(f, "financing", "RoundClosed", {{"outcome", "failed"}, {"subscribed", "200000"}});
  add(f, "financing", "SubscriptionRefunded", {{"amount", "200000"}});
  add(f, "financing", "FinancierPaid", {{"amount", "40"}});
  add(f, "financing", "FinancierPaid", {{"amount", "60"}});
  r.on_receipt(f);
  CHECK(r.financing().at("offered") == Tally{1, 3'000'000});
  CHECK(r.financing().at("subscriptions") == Tally{2, 1'500'000});
  CHECK(r.financing().at("withdrawn") == Tally{1, 500'000});
  CHECK(r.financing().at("succeeded") == Tally{1, 1'000'000});
  CHECK(r.financing().at("failed") == Tally{1, 200'000});
  CHECK(r.financing().at("raised") == Tally{1, 1'000'000});
  CHECK(r.financing().at("refunded") == Tally{1, 200'000});
  CHECK(r.financing().at("paid_to_financiers") == Tally{2, 100});

  Receipt v;
  add(v, "vehicles", "RecordSubmitted", {{"kind", "odometer"}});
  add(v, "vehicles", "RecordEndorsed", {{"verdict", "TRUE"}});
  add(v, "vehicles", "RecordEndorsed", {{"verdict", "FALSE"}});
  add(v, "vehicles", "RecordAttested", {{"kind", "maintenance"}});
  add(v, "vehicles", "RecordRejected", {{"kind", "odometer"}});
  add(v, "vehicles", "OwnershipTransferred", {});
  add(v, "vehicles", "OdometerRollback", {});
  r.on_receipt(v);
  CHECK(r.records_attested() == 1);
  CHECK(r.vehicles().at("submitted odometer") == 1);
  CHECK(r.vehicles().at("attested maintenance") == 1);
  CHECK(r.vehicles().at("rejected odometer") == 1);
  CHECK(r.vehicles().at("endorsed_true") == 1);
  CHECK(r.vehicles().at("endorsed_false") == 1);
  CHECK(r.vehicles().at("owners_changed") == 1);
  CHECK(r.vehicles().at("rollbacks") == 1);
  const tools::Json j = r.to_json();
  CHECK(j["financing"]["paid_to_financiers"]["amount"] == 100);
  CHECK(j["financing"]["completed"]["count"] == 0);
  CHECK(j["vehicles"]["rollbacks"] == 1);
  CHECK(j["records_attested"] == 1);
  const std::string text = r.to_text();
  CHECK(text.find("Financing rounds") != std::string::npos);
  CHECK(text.find("attested maintenance") != std::string::npos);
}
