#include "tools/dataserver/scenario.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include "contracts/client.hpp"
#include "tools/dataserver/rng.hpp"

namespace sharechain::dataserver {

namespace {

// Independent streams of the seed: the set-up, each visit, and the arrival process.
constexpr std::uint64_t kSetupStream = 1;
constexpr std::uint64_t kVisitStream = 2;
constexpr std::uint64_t kArrivalStream = 3;
constexpr std::uint64_t kVehicleStream = 4;
constexpr std::uint64_t kVinStream = 5;

constexpr std::array<std::string_view, 10> kStreets = {
    "Harbour Road", "Mill Lane", "Station Square", "Kingsway", "Elm Street",
    "Riverside Drive", "Market Place", "Canal Street", "Orchard Way", "North Ring"};

constexpr std::string_view kVinAlphabet = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ";

std::string location(Rng& rng) {
  return std::to_string(rng.between(1, 240)) + " " + std::string(kStreets[rng.below(kStreets.size())]);
}

void add_equipment(assets::AssetSpec& spec, std::string_view type, std::string_view name,
                   std::uint32_t count) {
  assets::Equipment* e = spec.add_equipment();
  e->set_type(std::string(type));
  e->set_name(std::string(name));
  e->set_count(count);
}

void add_item(usage::Terms& terms, std::string_view id, std::string_view name,
              std::string_view equipment, usage::ChargeBasis basis, std::uint64_t price) {
  usage::ServiceItem* item = terms.add_items();
  item->set_id(std::string(id));
  item->set_name(std::string(name));
  item->set_equipment_type(std::string(equipment));
  item->set_basis(basis);
  item->set_price(price);
}

// Rules shared by every agreement: bookable around the clock (so a run works at any hour),
// one-minute slots, a two-minute free cancellation window.
usage::ReservationRules rules(std::uint64_t max_length_ms, std::string_view qualification) {
  usage::ReservationRules r;
  r.set_open_minute(0);
  r.set_close_minute(1440);
  r.set_slot_ms(kSlotMs);
  r.set_max_length_ms(max_length_ms);
  r.set_cancellation_window_ms(2 * kMinuteMs);
  r.set_required_qualification(std::string(qualification));
  return r;
}

void set_settlement(usage::Terms& terms, bool periodic) {
  if (periodic) {
    terms.set_settlement(usage::PERIODIC);
    terms.set_settlement_period_ms(kMinuteMs);
  } else {
    terms.set_settlement(usage::PER_PAYMENT);
  }
}

std::uint64_t with_margin(Rng& rng, std::uint64_t purchase) {
  return purchase + purchase / 100 * rng.between(5, 30);
}

AssetPlan station(Rng& rng, std::uint32_t i) {
  AssetPlan a;
  a.owner = std::string(i % 2 == 0 ? kInvestorAKey : kInvestorBKey);
  a.via_consent = i % 2 == 1;
  assets::AssetSpec& s = a.spec;
  s.set_kind(assets::MAINTENANCE_STATION);
  s.set_name("Maintenance station S" + std::to_string(i + 1));
  s.set_location(location(rng));
  s.set_capacity(3);
  s.set_size_m2(static_cast<std::uint32_t>(rng.between(300, 900)));
  add_equipment(s, "lift", "two-post lift", static_cast<std::uint32_t>(rng.between(2, 4)));
  add_equipment(s, "diagnostic_scanner", "OBD diagnostic scanner", 1);
  add_equipment(s, "tyre_changer", "tyre changer", 1);
  s.set_purchase_price(rng.between(200, 600) * 100'000);
  s.set_investment_cost(with_margin(rng, s.purchase_price()));

  AgreementPlan& g = a.agreement;
  usage::Terms& t = g.terms;
  *t.mutable_rules() = rules(240 * kMinuteMs, kTechnicianQualification);
  add_item(t, "lift", "lift time", "lift", usage::PER_MINUTE, rng.between(40, 80));
  add_item(t, "diagnostics", "diagnostic run", "diagnostic_scanner", usage::FIXED,
           rng.between(15, 30) * 100);
  add_item(t, "tyres", "tyre changer time", "tyre_changer", usage::PER_MINUTE, rng.between(30, 60));
  t.set_deposit(rng.between(20, 50) * 100);
  set_settlement(t, i % 2 == 1);
  g.partners = {{a.owner, "investor", 5000},
                {std::string(kEquipmentOwnerKey), "equipment owner", 4000},
                {std::string(kOperationsKey), "operations", 500},
                {std::string(kDataServerKey), "platform", 500}};
  g.proposer = a.owner;
  // The equipment owner gives part of its share to operations and raises the deposit.
  g.amender = std::string(kEquipmentOwnerKey);
  const auto moved = static_cast<std::uint32_t>(rng.between(1, 5) * 100);
  g.amended_partners = g.partners;
  g.amended_partners[1].share_bps -= moved;
  g.amended_partners[2].share_bps += moved;
  g.amended_deposit = t.deposit() + 500;
  return a;
}

AssetPlan parking_space(Rng& rng, std::uint32_t j) {
  AssetPlan a;
  a.owner = std::string(j % 2 == 0 ? kInvestorBKey : kInvestorAKey);
  a.via_consent = j % 2 == 0;
  assets::AssetSpec& s = a.spec;
  s.set_kind(assets::PARKING_SPACE);
  s.set_name("Parking space P" + std::to_string(j + 1));
  s.set_location(location(rng));
  s.set_capacity(1);
  s.set_size_m2(static_cast<std::uint32_t>(rng.between(12, 15)));
  s.set_purchase_price(rng.between(15, 30) * 100'000);
  s.set_investment_cost(with_margin(rng, s.purchase_price()));

  AgreementPlan& g = a.agreement;
  usage::Terms& t = g.terms;
  *t.mutable_rules() = rules(24 * 60 * kMinuteMs, "");
  add_item(t, "parking", "parking time", "", usage::PER_MINUTE, rng.between(5, 15));
  add_item(t, "valet", "valet service", "", usage::FIXED, rng.between(5, 10) * 100);
  t.set_deposit(rng.between(5, 10) * 100);
  set_settlement(t, j % 3 == 2);
  g.partners = {{a.owner, "investor", 7000},
                {std::string(kOperationsKey), "operations", 1000},
                {std::string(kDataServerKey), "platform", 2000}};
  g.proposer = std::string(kDataServerKey);
  // The space's owner negotiates a larger share from the platform.
  g.amender = a.owner;
  g.amended_partners = g.partners;
  g.amended_partners[0].share_bps += 500;
  g.amended_partners[2].share_bps -= 500;
  g.amended_deposit = t.deposit();
  return a;
}

AssetPlan charging_pile(Rng& rng, std::uint32_t k) {
  AssetPlan a;
  a.owner = std::string(k % 2 == 0 ? kInvestorAKey : kInvestorBKey);
  a.via_consent = k % 2 == 0;
  assets::AssetSpec& s = a.spec;
  s.set_kind(assets::CHARGING_PILE);
  s.set_name("Charging pile C" + std::to_string(k + 1));
  s.set_location(location(rng));
  s.set_capacity(2);
  s.set_size_m2(10);
  add_equipment(s, "dc_charger", "DC fast charger connector", 2);
  constexpr std::array<std::uint32_t, 3> kPower = {60, 120, 150};
  s.set_max_power_kw(kPower[rng.below(kPower.size())]);
  s.set_purchase_price(rng.between(30, 80) * 100'000);
  s.set_investment_cost(with_margin(rng, s.purchase_price()));

  AgreementPlan& g = a.agreement;
  usage::Terms& t = g.terms;
  *t.mutable_rules() = rules(8 * 60 * kMinuteMs, "");
  add_item(t, "energy", "energy delivered", "dc_charger", usage::PER_KWH, rng.between(30, 60));
  add_item(t, "plug_in", "connection fee", "dc_charger", usage::FIXED, rng.between(1, 3) * 100);
  add_item(t, "idle", "idle time at the pile", "", usage::PER_MINUTE, rng.between(10, 20));
  t.set_deposit(rng.between(10, 30) * 100);
  set_settlement(t, k % 2 == 1);
  g.partners = {{a.owner, "investor", 6000},
                {std::string(kEquipmentOwnerKey), "equipment owner", 3000},
                {std::string(kDataServerKey), "platform", 1000}};
  g.proposer = std::string(kEquipmentOwnerKey);
  // The investor takes less and the equipment owner more, for the connectors' upkeep.
  g.amender = a.owner;
  const auto moved = static_cast<std::uint32_t>(rng.between(1, 4) * 100);
  g.amended_partners = g.partners;
  g.amended_partners[0].share_bps -= moved;
  g.amended_partners[1].share_bps += moved;
  g.amended_deposit = t.deposit();
  return a;
}

std::string vin(Rng& rng) {
  std::string v;
  for (int i = 0; i < 17; ++i) v += kVinAlphabet[rng.below(kVinAlphabet.size())];
  // A check digit that is right everywhere (North American VINs must carry it).
  v[8] = contracts::vehicles::vin_check_digit(v);
  return v;
}

FinancingPlan financing(Rng& rng, std::uint32_t asset, const std::string& owner, bool succeeds) {
  FinancingPlan f;
  f.asset = asset;
  f.amount_sought = rng.between(20, 40) * 100'000;
  f.share_bps = static_cast<std::uint32_t>(rng.between(15, 30) * 100);
  f.min_subscription = 50'000;
  std::vector<std::string> financiers;
  for (std::string_view k : {kInvestorAKey, kInvestorBKey, kEquipmentOwnerKey, kOperationsKey}) {
    if (k != owner) financiers.emplace_back(k);
  }
  auto part = [&](std::uint64_t lo_pct, std::uint64_t hi_pct) {
    return f.amount_sought / 100 * rng.between(lo_pct, hi_pct) / 10'000 * 10'000;
  };
  if (succeeds) {
    f.minimum_raise = f.amount_sought / 2;
    f.subscriptions = {{financiers[0], part(30, 40), false},
                       {financiers[1], part(20, 30), false},
                       {financiers[2], part(10, 20), false}};
  } else {
    // All or nothing, and the financiers come nowhere near: the round fails and refunds.
    f.minimum_raise = f.amount_sought;
    f.subscriptions = {{financiers[0], part(15, 25), false}, {financiers[1], part(10, 15), true}};
  }
  return f;
}

const usage::ServiceItem* find_item(const usage::Terms& terms, std::string_view id) {
  for (const auto& item : terms.items()) {
    if (item.id() == id) return &item;
  }
  return nullptr;
}

std::uint64_t sat_add(std::uint64_t a, std::uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }
std::uint64_t sat_mul(std::uint64_t a, std::uint64_t b) {
  return b != 0 && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

}  // namespace

std::vector<std::string> cast_keys() {
  return {std::string(kOperatorKey), std::string(kDataServerKey), "attester1", "attester2",
          "attester3", std::string(kInvestorAKey), std::string(kInvestorBKey),
          std::string(kEquipmentOwnerKey), std::string(kOperationsKey)};
}

SetupPlan make_setup(std::uint64_t seed, const ScenarioOptions& options) {
  Rng rng(derive_seed(seed, kSetupStream, 0));
  SetupPlan plan;
  plan.users = std::max<std::uint32_t>(1, options.users);
  for (std::uint32_t i = 0; i < options.stations; ++i) plan.assets.push_back(station(rng, i));
  for (std::uint32_t j = 0; j < options.parking; ++j) plan.assets.push_back(parking_space(rng, j));
  for (std::uint32_t k = 0; k < options.piles; ++k) plan.assets.push_back(charging_pile(rng, k));
  for (std::uint32_t v = 0; v < std::max<std::uint32_t>(1, options.vehicles); ++v) {
    plan.vins.push_back(vin(rng));
  }

  // Financing: the first station and the second pile raise funds; the second parking space
  // asks for too much and its round fails.
  auto owner_of = [&](std::uint32_t i) { return plan.assets[i].owner; };
  if (options.stations > 0) plan.financings.push_back(financing(rng, 0, owner_of(0), true));
  if (options.piles > 1) {
    const std::uint32_t pile = options.stations + options.parking + 1;
    plan.financings.push_back(financing(rng, pile, owner_of(pile), true));
  }
  if (options.parking > 1) {
    const std::uint32_t space = options.stations + 1;
    plan.financings.push_back(financing(rng, space, owner_of(space), false));
  }

  ModelPlan team;
  team.name = "Platform team";
  team.parties = {{std::string(kDataServerKey), "platform", 6000},
                  {std::string(kOperatorKey), "consortium", 2500},
                  {std::string(kOperationsKey), "operations", 1500}};
  team.proposer = std::string(kDataServerKey);
  team.editor = std::string(kOperatorKey);
  team.edited_parties = {{std::string(kDataServerKey), "platform", 6000},
                         {std::string(kOperatorKey), "consortium", 2000},
                         {std::string(kOperationsKey), "operations", 2000}};
  team.period_ms = 0;
  team.router = std::string(kDataServerKey);
  team.route_amount = rng.between(2, 5) * 100;
  plan.models.push_back(team);

  ModelPlan pool;
  pool.name = "Equipment pool";
  pool.parties = {{std::string(kEquipmentOwnerKey), "equipment owner", 5000},
                  {std::string(kInvestorAKey), "investor", 2500},
                  {std::string(kInvestorBKey), "investor", 2500}};
  pool.proposer = std::string(kEquipmentOwnerKey);
  pool.editor = std::string(kInvestorAKey);
  pool.edited_parties = {{std::string(kEquipmentOwnerKey), "equipment owner", 4000},
                         {std::string(kInvestorAKey), "investor", 3000},
                         {std::string(kInvestorBKey), "investor", 3000}};
  pool.period_ms = kMinuteMs;
  pool.router = std::string(kEquipmentOwnerKey);
  pool.route_amount = rng.between(3, 8) * 100;
  plan.models.push_back(pool);
  return plan;
}

Visit make_visit(std::uint64_t seed, std::uint64_t index, const SetupPlan& setup) {
  Rng rng(derive_seed(seed, kVisitStream, index));
  Visit v;
  v.index = index;
  v.user = static_cast<std::uint32_t>(rng.below(setup.users));
  if (setup.assets.empty()) return v;

  // Busier assets (more bays or connectors) see proportionally more visits.
  std::vector<std::uint32_t> weights;
  for (const AssetPlan& a : setup.assets) weights.push_back(std::max<std::uint32_t>(1, a.spec.capacity()));
  v.asset = static_cast<std::uint32_t>(rng.weighted(weights));
  const AssetPlan& asset = setup.assets[v.asset];
  const assets::AssetKind kind = asset.spec.kind();

  v.behaviour = static_cast<Behaviour>(rng.weighted({850, 40, 40, 70}));
  v.reserved_by_data_server = rng.chance(300);
  v.access_by_user = rng.chance(500);
  switch (v.behaviour) {
    case Behaviour::kSession: v.slots = static_cast<std::uint32_t>(rng.between(2, 5)); break;
    case Behaviour::kCancelInTime: v.slots = static_cast<std::uint32_t>(rng.between(1, 2)); break;
    case Behaviour::kCancelLate: v.slots = static_cast<std::uint32_t>(rng.between(1, 3)); break;
    case Behaviour::kNoShow: v.slots = 1; break;
  }

  auto minutes = [&](std::uint64_t lo, std::uint64_t hi) { return rng.between(lo, hi); };
  if (kind == assets::MAINTENANCE_STATION) {
    v.items.push_back("lift");
    v.meter.push_back({"lift", minutes(20, 120), 0});
    if (rng.chance(600)) {
      v.items.push_back("diagnostics");
      v.meter.push_back({"diagnostics", 0, 0});
    }
    if (rng.chance(300)) {
      v.items.push_back("tyres");
      v.meter.push_back({"tyres", minutes(10, 45), 0});
    }
    if (!setup.vins.empty()) v.vin = setup.vins[rng.below(setup.vins.size())];
  } else if (kind == assets::PARKING_SPACE) {
    v.items.push_back("parking");
    v.meter.push_back({"parking", minutes(30, 240), 0});
    if (rng.chance(200)) {
      v.items.push_back("valet");
      v.meter.push_back({"valet", 0, 0});
    }
  } else {
    v.items.push_back("energy");
    v.meter.push_back({"energy", 0, rng.between(2'000, 45'000)});
    if (rng.chance(500)) {
      v.items.push_back("plug_in");
      v.meter.push_back({"plug_in", 0, 0});
    }
    if (rng.chance(300)) {
      v.items.push_back("idle");
      v.meter.push_back({"idle", minutes(1, 20), 0});
    }
    switch (rng.weighted({250, 200, 250, 300})) {
      case 0:
        v.mode = usage::BY_AMOUNT;
        v.limit = rng.between(5, 40) * 100;
        break;
      case 1:
        v.mode = usage::BY_TIME;
        v.limit = rng.between(1, 3);
        break;
      case 2:
        v.mode = usage::BY_ENERGY;
        v.limit = rng.between(3'000, 30'000);
        break;
      default: v.mode = usage::UNTIL_FULL; break;
    }
  }

  v.hold_ms = static_cast<std::uint32_t>(rng.between(1'500, 6'000));
  v.end = static_cast<EndPlan>(rng.weighted({600, 120, 130, 150}));
  if (v.end == EndPlan::kAbnormal) {
    // A fault cuts the service short: about half of what was planned was delivered.
    for (MeterPlan& m : v.meter) {
      m.minutes = m.minutes == 0 ? 0 : std::max<std::uint64_t>(1, m.minutes / 2);
      m.energy_wh /= 2;
    }
  }
  v.pay_on_chain = rng.chance(600);
  v.dispute = rng.chance(40);
  return v;
}

std::uint64_t FinancingPlan::subscribed() const {
  std::uint64_t total = 0;
  for (const SubscriptionPlan& s : subscriptions) total += s.withdraws ? 0 : s.amount;
  return total;
}

VehicleEvent make_vehicle_event(std::uint64_t seed, std::uint64_t index, const SetupPlan& setup) {
  Rng rng(derive_seed(seed, kVehicleStream, index));
  VehicleEvent e;
  e.index = index;
  e.vehicle = static_cast<std::uint32_t>(rng.below(std::max<std::size_t>(1, setup.vins.size())));
  e.action = static_cast<VehicleAction>(rng.weighted({35, 20, 10, 35}));
  e.km = rng.between(50, 3'000);
  e.rollback = (e.action == VehicleAction::kOdometer || e.action == VehicleAction::kInspection) && rng.chance(40);
  e.disputed = e.action != VehicleAction::kTransfer && rng.chance(60);
  e.owner = static_cast<std::uint32_t>(rng.below(std::max<std::uint32_t>(1, setup.users)));
  e.buyer = static_cast<std::uint32_t>(rng.below(std::max<std::uint32_t>(1, setup.users)));
  e.price = rng.between(30, 300) * 100'000;
  return e;
}

std::string vin_for_run(std::string_view vin, std::uint64_t run) {
  std::string v(vin);
  if (v.size() != 17) return v;
  std::uint64_t h = 0;
  for (char c : vin) h = h * 131 + static_cast<unsigned char>(c);
  Rng rng(derive_seed(run, kVinStream, h));
  for (std::size_t i = 11; i < 17; ++i) v[i] = kVinAlphabet[rng.below(kVinAlphabet.size())];
  v[8] = contracts::vehicles::vin_check_digit(v);
  return v;
}

std::uint64_t arrival_gap_ms(std::uint64_t seed, std::uint64_t index, double rate) {
  if (!(rate > 0)) return 1000;
  Rng rng(derive_seed(seed, kArrivalStream, index));
  const double gap = -std::log(rng.unit()) * 1000.0 / rate;
  // An hour between arrivals is the most any practical rate produces; cap the far tail.
  return static_cast<std::uint64_t>(std::min(gap, 3'600'000.0));
}

std::uint64_t charge_ceiling(const usage::Terms& terms, const Visit& visit) {
  std::uint64_t total = 0;
  for (const MeterPlan& m : visit.meter) {
    const usage::ServiceItem* item = find_item(terms, m.item_id);
    if (item == nullptr) continue;
    switch (item->basis()) {
      case usage::PER_MINUTE: total = sat_add(total, sat_mul(item->price(), m.minutes)); break;
      case usage::PER_KWH: total = sat_add(total, sat_mul(item->price(), m.energy_wh) / 1000); break;
      case usage::FIXED: total = sat_add(total, item->price()); break;
      default: break;
    }
  }
  if (visit.mode == usage::BY_AMOUNT) total = std::min(total, visit.limit);
  return total;
}

std::uint64_t started_minutes(std::uint64_t elapsed_ms) {
  return elapsed_ms / kMinuteMs + (elapsed_ms % kMinuteMs != 0 ? 1 : 0);
}

std::vector<usage::Metered> meter_reading(const Visit& visit, std::uint64_t max_minutes) {
  const std::uint64_t cap = std::max<std::uint64_t>(1, max_minutes);
  std::vector<usage::Metered> out;
  for (const MeterPlan& m : visit.meter) {
    usage::Metered& r = out.emplace_back();
    r.set_item_id(m.item_id);
    if (m.minutes > 0) r.set_minutes(std::min(m.minutes, cap));
    r.set_energy_wh(m.energy_wh);
  }
  return out;
}

std::string kind_label(assets::AssetKind kind) {
  switch (kind) {
    case assets::MAINTENANCE_STATION: return "maintenance";
    case assets::PARKING_SPACE: return "parking";
    case assets::CHARGING_PILE: return "charging";
    default: return "unknown";
  }
}

std::string behaviour_name(Behaviour b) {
  switch (b) {
    case Behaviour::kSession: return "session";
    case Behaviour::kCancelInTime: return "cancel_in_time";
    case Behaviour::kCancelLate: return "cancel_late";
    case Behaviour::kNoShow: return "no_show";
  }
  return "unknown";
}

std::string vehicle_action_name(VehicleAction a) {
  switch (a) {
    case VehicleAction::kOdometer: return "odometer";
    case VehicleAction::kInspection: return "inspection";
    case VehicleAction::kAccident: return "accident";
    case VehicleAction::kTransfer: return "transfer";
  }
  return "unknown";
}

std::string end_plan_name(EndPlan e) {
  switch (e) {
    case EndPlan::kNormal: return "normal";
    case EndPlan::kUserAtGate: return "by_user";
    case EndPlan::kUserStops: return "by_user_app";
    case EndPlan::kAbnormal: return "abnormal";
  }
  return "unknown";
}

}  // namespace sharechain::dataserver
