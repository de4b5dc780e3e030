// The shared maintenance station from start to finish (seed 000's flow):
//  - an investor registers a station (digital asset with its investment cost)
//  - the investor proposes a usage agreement; the equipment owner, the operations team and
//    the platform confirm it; it becomes ACTIVE only with the last confirmation
//  - the data server certifies a technician, who reserves a window (deposit held)
//  - at the gate the technician is granted access (session id and access code)
//  - the data server reports the metered use of two equipment types: 60 lift minutes at
//    100 units and one diagnostic run at 4,000 units = 10,000 units (100 credits)
//  - the technician pays on chain, the deposit applied first
//  - each partner's balance rises by its exact share: 5,000 / 4,000 / 500 / 500
//  - the session, the split, the partners' income history, the asset's investor income and
//    return on investment are on chain; total supply never changed
#include <catch2/catch.hpp>

#include "contracts/ledger/ledger.hpp"
#include "usage_fixture.hpp"

using namespace sharechain;
using namespace sharechain::contracts;
using namespace sharechain::contracts::testing;

TEST_CASE("station, four partners, a technician: reserve, access, use, pay, share",
          "[contracts][scenario]") {
  Chain chain(station_actors());
  chain.set_time(kDay1 + 7 * kHour);
  const std::uint64_t supply = chain.supply();

  // 1. The investor registers the station.
  auto reg = must(chain.assets("investor", register_call(station_spec())));
  std::string station = event_id(reg, "AssetRegistered", "asset");
  CHECK(asset_of(chain, station).spec().investment_cost() == 1'000'000);

  // 2. Four partners agree the usage agreement.
  upb::Terms terms = station_terms();
  terms.clear_items();
  *terms.add_items() = item("lift", "lift", upb::PER_MINUTE, 100);
  *terms.add_items() = item("diagnostic", "diagnostic", upb::FIXED, 4'000);
  terms.set_deposit(2'000);
  auto proposed = must(chain.usage("investor", propose_call(station, terms)));
  std::string agreement = event_id(proposed, "AgreementProposed", "agreement");
  must(chain.usage("equipment", confirm_call(agreement, 1)));
  must(chain.usage("operations", confirm_call(agreement, 1)));
  CHECK(agreement_of(chain, agreement).status() == upb::PROPOSED);
  auto last = must(chain.usage("platform", confirm_call(agreement, 1)));
  CHECK(find_event(last, "AgreementActivated") != nullptr);

  // 3. The technician is certified and reserves 09:00-11:00.
  must(chain.ledger("dataserver", certify_call("tech", "certified_technician")));
  const std::uint64_t start = kDay1 + 9 * kHour;
  auto reserved = must(chain.usage(
      "tech", reserve_call(agreement, start, start + 2 * kHour, {"lift", "diagnostic"})));
  std::string reservation = event_id(reserved, "Reserved", "reservation");
  CHECK(chain.escrow("tech") == 2'000);
  CHECK(chain.balance("tech") == 18'000);

  // 4. At the gate: access granted with a session and a code.
  chain.set_time(start + 2 * kMinute);
  auto access = must(chain.usage("dataserver", access_call(reservation, "LSVAX4182E2123456")));
  const Event* granted = find_event(access, "AccessGranted");
  REQUIRE(granted != nullptr);
  std::string session = event_id(access, "AccessGranted", "session");
  CHECK(attr(*granted, "access_code").size() == 8);

  // 5. Two equipment types used; the data server reports the meter.
  chain.advance(75 * kMinute);
  auto ended = must(chain.usage(
      "dataserver", end_call(session, upb::END_NORMAL, {{"lift", 60, 0}, {"diagnostic", 0, 0}})));
  const Event* request = find_event(ended, "PaymentRequested");
  REQUIRE(request != nullptr);
  CHECK(attr(*request, "amount") == "10000");
  CHECK(find_event(ended, "VehicleMaintained") != nullptr);

  // 6. The technician pays; each partner gets its exact share.
  std::map<std::string, std::uint64_t> before;
  for (const auto& p : kPartners) before[p] = chain.balance(p);
  auto paid = must(chain.usage("tech", pay_call(session)));
  CHECK(attr(*find_event(paid, "SessionPaid"), "from_deposit") == "2000");
  CHECK(chain.balance("investor") - before["investor"] == 5'000);
  CHECK(chain.balance("equipment") - before["equipment"] == 4'000);
  CHECK(chain.balance("operations") - before["operations"] == 500);
  CHECK(chain.balance("platform") - before["platform"] == 500);
  CHECK(chain.balance("tech") == 20'000 - 10'000);
  CHECK(chain.escrow("tech") == 0);

  // 7. The record: session, split, income history, return on investment, supply.
  auto s = session_of(chain, session);
  CHECK(s.status() == upb::PAID);
  CHECK(s.charge() == 10'000);
  REQUIRE(s.lines_size() == 2);
  CHECK(s.lines(0).equipment_type() == "lift");
  CHECK(s.lines(0).amount() == 6'000);
  CHECK(s.lines(1).equipment_type() == "diagnostic");
  CHECK(s.lines(1).amount() == 4'000);
  REQUIRE(s.split_size() == 4);
  CHECK(s.split(0).party() == address_for("investor"));
  CHECK(s.split(0).amount() == 5'000);
  CHECK(s.vehicle_vin() == "LSVAX4182E2123456");

  api::QueryRequest q;
  q.mutable_revenue()->mutable_income()->set_party(address_for("operations"));
  auto income = chain.query(q);
  REQUIRE(income.is_ok());
  REQUIRE(income->revenue().income().entries_size() == 1);
  CHECK(income->revenue().income().entries(0).amount() == 500);
  CHECK(income->revenue().income().entries(0).share_bps() == 500);
  CHECK(income->revenue().income().entries(0).session_id() == session);

  auto asset = asset_of(chain, station);
  CHECK(asset.investor_income() == 5'000);
  CHECK(asset.roi_bps() == 50);  // 5,000 / 1,000,000 = 0.5 %
  CHECK(agreement_of(chain, agreement).income_total() == 10'000);
  CHECK(agreement_of(chain, agreement).sessions() == 1);
  CHECK(chain.supply() == supply);
  CHECK(contracts::ledger::issued_total(chain.state()) == supply);
}
