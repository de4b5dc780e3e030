// The data server's scenario, a pure function of the seed:
//  - the same seed plans the same set-up and the same visits; another seed plans others
//  - visit i is the same whether or not the visits before it were planned (own stream)
//  - every planned agreement is one the chain accepts: shares sum to 10,000 in both versions,
//    the owner is a partner, items use the asset's equipment, stations need a technician
//  - every planned visit fits its agreement: reserved items offered, one meter entry per item
//    in the item's unit, a charging mode (and its limit rule) on piles only, valid VINs
//  - over many visits every behaviour, end type, asset kind and charging mode occurs
//  - arrivals: deterministic gaps whose mean is 1000 / rate ms
//  - charge_ceiling, started_minutes and meter_reading against hand-computed values
//  - VINs: the ISO 3779 check digit of a published example; every planned VIN, and every VIN
//    made unique to a run, is one the vehicles contract accepts; a run's VINs are stable per run
//    and differ between runs
//  - financing plans: two rounds that reach their minimum and one that cannot; financiers are
//    never the investor; subscriptions within the round's bounds
//  - vehicle events: deterministic per index, every action occurs, rollbacks only on readings,
//    disputes never on transfers
#include "tools/dataserver/scenario.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "contracts/vehicles/vin.hpp"
#include "tools/dataserver/rng.hpp"

using namespace sharechain;
using namespace sharechain::dataserver;

namespace {

std::string fingerprint(const SetupPlan& p) {
  std::string out;
  for (const AssetPlan& a : p.assets) {
    out += a.spec.SerializeAsString() + a.owner + (a.via_consent ? "c" : "o");
    out += a.agreement.terms.SerializeAsString() + a.agreement.proposer + a.agreement.amender;
    for (const auto& partner : a.agreement.amended_partners) out += partner.key + std::to_string(partner.share_bps);
    out += std::to_string(a.agreement.amended_deposit);
  }
  for (const ModelPlan& m : p.models) {
    out += m.name + m.proposer + m.editor + std::to_string(m.period_ms) + std::to_string(m.route_amount);
  }
  for (const auto& v : p.vins) out += v;
  return out;
}

std::string fingerprint(const Visit& v) {
  std::string out = std::to_string(v.index) + "/" + std::to_string(v.user) + "/" + std::to_string(v.asset) + "/" +
                    behaviour_name(v.behaviour) + "/" + end_plan_name(v.end) + "/" +
                    std::to_string(v.reserved_by_data_server) + std::to_string(v.access_by_user) +
                    std::to_string(v.pay_on_chain) + std::to_string(v.dispute) + "/" + std::to_string(v.slots) +
                    "/" + std::to_string(v.mode) + "/" + std::to_string(v.limit) + "/" + v.vin + "/" +
                    std::to_string(v.hold_ms);
  for (const auto& i : v.items) out += "/" + i;
  for (const auto& m : v.meter) out += "/" + m.item_id + ":" + std::to_string(m.minutes) + ":" + std::to_string(m.energy_wh);
  return out;
}

std::uint32_t share_sum(const std::vector<PartnerPlan>& partners) {
  std::uint32_t s = 0;
  for (const auto& p : partners) s += p.share_bps;
  return s;
}

const usage::ServiceItem* item(const usage::Terms& t, const std::string& id) {
  for (const auto& i : t.items()) {
    if (i.id() == id) return &i;
  }
  return nullptr;
}

bool valid_vin(const std::string& v) {
  if (v.size() != 17) return false;
  for (char c : v) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z' && c != 'I' && c != 'O' && c != 'Q');
    if (!ok) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("the same seed plans the same set-up and visits; another seed plans others") {
  const ScenarioOptions options;
  const SetupPlan a = make_setup(42, options);
  const SetupPlan b = make_setup(42, options);
  const SetupPlan c = make_setup(43, options);
  CHECK(fingerprint(a) == fingerprint(b));
  CHECK(fingerprint(a) != fingerprint(c));
  REQUIRE(a.assets.size() == options.stations + options.parking + options.piles);
  CHECK(a.vins.size() == options.vehicles);

  std::string va;
  std::string vb;
  std::string vc;
  for (std::uint64_t i = 0; i < 200; ++i) {
    va += fingerprint(make_visit(42, i, a)) + "\n";
    vb += fingerprint(make_visit(42, i, b)) + "\n";
    vc += fingerprint(make_visit(43, i, a)) + "\n";
  }
  CHECK(va == vb);
  CHECK(va != vc);
}

TEST_CASE("visit i does not depend on the visits planned before it") {
  const SetupPlan plan = make_setup(9, ScenarioOptions{});
  const std::string alone = fingerprint(make_visit(9, 137, plan));
  for (std::uint64_t i = 0; i < 137; ++i) (void)make_visit(9, i, plan);
  CHECK(fingerprint(make_visit(9, 137, plan)) == alone);
  CHECK(fingerprint(make_visit(9, 138, plan)) != alone);
}

TEST_CASE("every planned agreement and split model is one the chain accepts") {
  for (std::uint64_t seed : {1ull, 2ull, 77ull, 123456789ull}) {
    const SetupPlan plan = make_setup(seed, ScenarioOptions{});
    for (const AssetPlan& a : plan.assets) {
      const AgreementPlan& g = a.agreement;
      INFO("seed " << seed << " asset " << a.spec.name());
      CHECK(share_sum(g.partners) == 10'000);
      CHECK(share_sum(g.amended_partners) == 10'000);
      for (const auto* list : {&g.partners, &g.amended_partners}) {
        bool owner = false;
        for (const auto& p : *list) {
          CHECK(p.share_bps > 0);
          owner = owner || p.key == a.owner;
        }
        CHECK(owner);
      }
      bool proposer_is_partner = false;
      bool amender_is_partner = false;
      for (const auto& p : g.partners) proposer_is_partner = proposer_is_partner || p.key == g.proposer;
      for (const auto& p : g.partners) amender_is_partner = amender_is_partner || p.key == g.amender;
      CHECK(proposer_is_partner);
      CHECK(amender_is_partner);
      CHECK(g.proposer != g.amender);
      CHECK(a.spec.investment_cost() >= a.spec.purchase_price());
      CHECK(a.spec.capacity() >= 1);
      std::set<std::string> equipment;
      for (const auto& e : a.spec.equipment()) equipment.insert(e.type());
      for (const auto& i : g.terms.items()) {
        CHECK(i.price() > 0);
        CHECK((i.equipment_type().empty() || equipment.count(i.equipment_type()) == 1));
      }
      const auto& rules = g.terms.rules();
      CHECK(rules.slot_ms() == kSlotMs);
      CHECK(rules.max_length_ms() >= 5 * kSlotMs);
      if (a.spec.kind() == assets::MAINTENANCE_STATION) {
        CHECK(rules.required_qualification() == kTechnicianQualification);
        CHECK_FALSE(equipment.empty());
      } else {
        CHECK(rules.required_qualification().empty());
      }
      if (a.spec.kind() == assets::CHARGING_PILE) CHECK(a.spec.max_power_kw() > 0);
      if (g.terms.settlement() == usage::PERIODIC) CHECK(g.terms.settlement_period_ms() >= kMinuteMs);
    }
    for (const ModelPlan& m : plan.models) {
      CHECK(share_sum(m.parties) == 10'000);
      CHECK(share_sum(m.edited_parties) == 10'000);
      CHECK(m.proposer != m.editor);
      CHECK(m.route_amount > 0);
      CHECK((m.period_ms == 0 || m.period_ms >= kMinuteMs));
    }
    for (const auto& v : plan.vins) CHECK(valid_vin(v));
  }
}

TEST_CASE("the set-up names partners by the keys of a cluster keystore") {
  const std::vector<std::string> cast = cast_keys();
  const std::set<std::string> known(cast.begin(), cast.end());
  const SetupPlan plan = make_setup(5, ScenarioOptions{});
  for (const AssetPlan& a : plan.assets) {
    CHECK(known.count(a.owner) == 1);
    for (const auto& p : a.agreement.amended_partners) CHECK(known.count(p.key) == 1);
  }
  for (const ModelPlan& m : plan.models) {
    CHECK(known.count(m.router) == 1);
    for (const auto& p : m.edited_parties) CHECK(known.count(p.key) == 1);
  }
}

TEST_CASE("every planned visit fits its agreement, and many visits cover every case") {
  const SetupPlan plan = make_setup(2024, ScenarioOptions{});
  std::map<std::string, int> seen;
  for (std::uint64_t i = 0; i < 3000; ++i) {
    const Visit v = make_visit(2024, i, plan);
    REQUIRE(v.asset < plan.assets.size());
    REQUIRE(v.user < plan.users);
    const AssetPlan& a = plan.assets[v.asset];
    const assets::AssetKind kind = a.spec.kind();
    ++seen["kind " + kind_label(kind)];
    ++seen["behaviour " + behaviour_name(v.behaviour)];
    ++seen["end " + end_plan_name(v.end)];
    ++seen[v.pay_on_chain ? "on chain" : "off chain"];
    if (v.dispute) ++seen["dispute"];
    if (v.reserved_by_data_server) ++seen["reserved by data server"];
    if (v.access_by_user) ++seen["access by user"];

    REQUIRE_FALSE(v.items.empty());
    REQUIRE(v.items.size() == v.meter.size());
    std::set<std::string> distinct(v.items.begin(), v.items.end());
    CHECK(distinct.size() == v.items.size());
    for (std::size_t k = 0; k < v.items.size(); ++k) {
      const usage::ServiceItem* it = item(a.agreement.terms, v.items[k]);
      REQUIRE(it != nullptr);
      CHECK(v.meter[k].item_id == v.items[k]);
      switch (it->basis()) {
        case usage::PER_MINUTE:
          CHECK(v.meter[k].minutes > 0);
          CHECK(v.meter[k].energy_wh == 0);
          break;
        case usage::PER_KWH: CHECK(v.meter[k].minutes == 0); break;
        default:
          CHECK(v.meter[k].minutes == 0);
          CHECK(v.meter[k].energy_wh == 0);
      }
    }
    if (kind == assets::CHARGING_PILE) {
      REQUIRE(v.mode != usage::CHARGING_MODE_UNSPECIFIED);
      ++seen["mode " + std::to_string(v.mode)];
      CHECK((v.mode == usage::UNTIL_FULL) == (v.limit == 0));
    } else {
      CHECK(v.mode == usage::CHARGING_MODE_UNSPECIFIED);
      CHECK(v.limit == 0);
    }
    if (kind == assets::MAINTENANCE_STATION) {
      CHECK(valid_vin(v.vin));
    } else {
      CHECK(v.vin.empty());
    }
    CHECK(v.slots >= 1);
    CHECK(v.slots * kSlotMs <= a.agreement.terms.rules().max_length_ms());
    CHECK(v.hold_ms >= 1'000);
  }
  for (const std::string want :
       {"kind maintenance", "kind parking", "kind charging", "behaviour session", "behaviour cancel_in_time",
        "behaviour cancel_late", "behaviour no_show", "end normal", "end by_user", "end by_user_app",
        "end abnormal", "on chain", "off chain", "dispute", "reserved by data server", "access by user"}) {
    INFO(want);
    CHECK(seen[want] > 0);
  }
  for (int mode = usage::BY_AMOUNT; mode <= usage::UNTIL_FULL; ++mode) CHECK(seen["mode " + std::to_string(mode)] > 0);
}

TEST_CASE("arrival gaps are deterministic and average 1000 / rate ms") {
  CHECK(arrival_gap_ms(3, 10, 2.0) == arrival_gap_ms(3, 10, 2.0));
  std::uint64_t total = 0;
  constexpr int kSamples = 20'000;
  for (int i = 0; i < kSamples; ++i) total += arrival_gap_ms(3, static_cast<std::uint64_t>(i), 4.0);
  const double mean = static_cast<double>(total) / kSamples;
  CHECK(mean > 240.0);
  CHECK(mean < 260.0);
}

TEST_CASE("the charge ceiling, started minutes and the meter reading") {
  usage::Terms t;
  auto add = [&](const char* id, usage::ChargeBasis basis, std::uint64_t price) {
    auto* i = t.add_items();
    i->set_id(id);
    i->set_basis(basis);
    i->set_price(price);
  };
  add("lift", usage::PER_MINUTE, 50);
  add("energy", usage::PER_KWH, 45);
  add("fee", usage::FIXED, 200);
  Visit v;
  v.meter = {{"lift", 10, 0}, {"energy", 0, 12'345}, {"fee", 0, 0}};
  // 50 x 10 + floor(45 x 12,345 / 1,000) + 200 = 500 + 555 + 200
  CHECK(charge_ceiling(t, v) == 1'255);
  v.mode = usage::BY_AMOUNT;
  v.limit = 1'000;
  CHECK(charge_ceiling(t, v) == 1'000);

  CHECK(started_minutes(0) == 0);
  CHECK(started_minutes(1) == 1);
  CHECK(started_minutes(60'000) == 1);
  CHECK(started_minutes(60'001) == 2);

  const auto reading = meter_reading(v, 3);
  REQUIRE(reading.size() == 3);
  CHECK(reading[0].item_id() == "lift");
  CHECK(reading[0].minutes() == 3);
  CHECK(reading[1].energy_wh() == 12'345);
  CHECK(reading[1].minutes() == 0);
  CHECK(reading[2].minutes() == 0);
  CHECK(reading[2].energy_wh() == 0);
  // No elapsed time known yet still meters one started minute: the session ends in a later block.
  CHECK(meter_reading(v, 0)[0].minutes() == 1);
  CHECK(meter_reading(v, 500)[0].minutes() == 10);
}

TEST_CASE("the PRNG: below is in range and unbiased enough, weighted follows its weights") {
  Rng rng(11);
  std::map<std::uint64_t, int> counts;
  for (int i = 0; i < 60'000; ++i) {
    const std::uint64_t v = rng.below(6);
    REQUIRE(v < 6);
    ++counts[v];
  }
  for (const auto& [v, n] : counts) CHECK(std::abs(n - 10'000) < 600);
  std::vector<int> w(3, 0);
  for (int i = 0; i < 40'000; ++i) ++w[rng.weighted({1, 0, 3})];
  CHECK(w[1] == 0);
  CHECK(std::abs(w[0] - 10'000) < 600);
  CHECK(rng.between(5, 5) == 5);
  CHECK(derive_seed(1, 2, 3) == derive_seed(1, 2, 3));
  CHECK(derive_seed(1, 2, 3) != derive_seed(1, 2, 4));
  CHECK(derive_seed(1, 2, 3) != derive_seed(1, 3, 3));
}

TEST_CASE("VIN check digits, and VINs made unique to a run") {
  // The worked example of the North American standard: check digit X.
  CHECK(contracts::vehicles::vin_check_digit("1M8GDM9AXKP042788") == 'X');
  CHECK(contracts::vehicles::vin_check_digit("1M8GDM9A") == '\0');
  CHECK(contracts::vehicles::vin_check_digit("1M8GDM9AXKP04278I") == '\0');
  const SetupPlan plan = make_setup(31, ScenarioOptions{});
  std::set<std::string> run_a;
  for (const std::string& vin : plan.vins) {
    INFO(vin);
    CHECK(contracts::vehicles::valid_vin(vin));
    const std::string a = vin_for_run(vin, 0xA1B2C3D4);
    CHECK(contracts::vehicles::valid_vin(a));
    CHECK(a == vin_for_run(vin, 0xA1B2C3D4));
    CHECK(a != vin_for_run(vin, 0xA1B2C3D5));
    CHECK(a.substr(0, 8) == vin.substr(0, 8));
    CHECK(a.substr(9, 2) == vin.substr(9, 2));
    run_a.insert(a);
  }
  CHECK(run_a.size() == plan.vins.size());
}

TEST_CASE("financing plans: two rounds reach their minimum, one cannot") {
  const SetupPlan plan = make_setup(12, ScenarioOptions{});
  REQUIRE(plan.financings.size() == 3);
  int succeeding = 0;
  for (const FinancingPlan& f : plan.financings) {
    REQUIRE(f.asset < plan.assets.size());
    const std::string& investor = plan.assets[f.asset].owner;
    CHECK(f.minimum_raise <= f.amount_sought);
    CHECK(f.min_subscription <= f.amount_sought);
    CHECK(f.share_bps > 0);
    CHECK(f.share_bps <= 10'000);
    std::uint64_t all = 0;
    std::set<std::string> financiers;
    for (const SubscriptionPlan& s : f.subscriptions) {
      CHECK(s.key != investor);
      CHECK(s.amount >= f.min_subscription);
      CHECK(financiers.insert(s.key).second);
      all += s.amount;
    }
    // Never fully subscribed: a full round closes at once and skips the deadline.
    CHECK(all < f.amount_sought);
    if (f.succeeds()) ++succeeding;
  }
  CHECK(succeeding == 2);
  CHECK(plan.financings[2].subscribed() < plan.financings[2].minimum_raise);
}

TEST_CASE("vehicle events are deterministic and cover every action") {
  const SetupPlan plan = make_setup(4, ScenarioOptions{});
  std::map<std::string, int> seen;
  for (std::uint64_t i = 0; i < 2000; ++i) {
    const VehicleEvent e = make_vehicle_event(4, i, plan);
    const VehicleEvent again = make_vehicle_event(4, i, plan);
    CHECK(e.vehicle == again.vehicle);
    CHECK(e.action == again.action);
    CHECK(e.km == again.km);
    REQUIRE(e.vehicle < plan.vins.size());
    CHECK(e.owner < plan.users);
    CHECK(e.buyer < plan.users);
    CHECK(e.km > 0);
    ++seen[vehicle_action_name(e.action)];
    if (e.rollback) {
      ++seen["rollback"];
      CHECK((e.action == VehicleAction::kOdometer || e.action == VehicleAction::kInspection));
    }
    if (e.disputed) {
      ++seen["disputed"];
      CHECK(e.action != VehicleAction::kTransfer);
    }
  }
  for (const std::string want : {"odometer", "inspection", "accident", "transfer", "rollback", "disputed"}) {
    INFO(want);
    CHECK(seen[want] > 0);
  }
}
