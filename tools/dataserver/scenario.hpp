// The scenario: what the data server sets up and which visits it plays, as a pure function of
// the seed. Nothing here touches the network or the clock, so a seed names one scenario: the
// same assets, agreements, split models and the same sequence of visits on every run. (What
// the chain then answers depends on timing and is reported, not planned.)
//
// The cast is the keystore of a `sharechain-net init` cluster:
//   operator     consortium administration; a party of the platform split model
//   dataserver   the platform: privileged client and a partner of every agreement
//   attester1..3 attesting organisations (vehicle records): a manufacturer, an insurer and the
//                vehicle registry
//   user1, user2 investors ("second users") owning the assets, and financiers of each other
//   user3        equipment owner; a financier
//   user4        operations team; a financier; also a dealer that attests vehicle records (the
//                operator grants it the attester role, since a record needs three endorsers
//                besides its submitter at the default attestation threshold of 3)
// Customers and technicians are fresh keys the data server makes for the run and funds from
// off-chain top-ups.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sharechain/assets.pb.h"
#include "sharechain/usage.pb.h"

namespace sharechain::dataserver {

inline constexpr std::string_view kOperatorKey = "operator";
inline constexpr std::uint32_t kMaxCommitteeKeys = 16;  // operator2 .. operator16, when present
inline constexpr std::string_view kDataServerKey = "dataserver";
inline constexpr std::string_view kInvestorAKey = "user1";
inline constexpr std::string_view kInvestorBKey = "user2";
inline constexpr std::string_view kEquipmentOwnerKey = "user3";
inline constexpr std::string_view kOperationsKey = "user4";
inline constexpr std::string_view kTechnicianQualification = "certified_technician";
inline constexpr std::string_view kManufacturerKey = "attester1";
inline constexpr std::string_view kInsurerKey = "attester2";
inline constexpr std::string_view kRegistryKey = "attester3";
inline constexpr std::string_view kDealerKey = kOperationsKey;
inline constexpr std::string_view kDealerOrganisation = "Harbour Road Motors (dealer)";

inline constexpr std::uint64_t kMinuteMs = 60'000;
inline constexpr std::uint64_t kSlotMs = kMinuteMs;

// Every key the scenario signs with, in the order they are loaded.
std::vector<std::string> cast_keys();

struct PartnerPlan {
  std::string key;    // keystore name
  std::string label;  // "investor", "equipment owner", "operations", "platform"
  std::uint32_t share_bps = 0;
};

// A usage agreement: proposed by one partner, amended by another (which clears the earlier
// confirmations), then confirmed by every partner of the amended version.
struct AgreementPlan {
  usage::Terms terms;                      // version 1, partners left empty (addresses come later)
  std::vector<PartnerPlan> partners;       // version 1
  std::string proposer;
  std::string amender;
  std::vector<PartnerPlan> amended_partners;  // version 2
  std::uint64_t amended_deposit = 0;          // version 2
};

struct AssetPlan {
  assets::AssetSpec spec;
  std::string owner;         // the investor's key
  bool via_consent = false;  // registered by the data server with the owner's signed consent
  AgreementPlan agreement;
};

// A standalone split model, co-edited: proposed, edited by another party, confirmed by all.
struct ModelPlan {
  std::string name;
  std::vector<PartnerPlan> parties;  // version 1
  std::string proposer;
  std::string editor;
  std::vector<PartnerPlan> edited_parties;  // version 2
  std::uint64_t period_ms = 0;              // 0 = split every payment at once
  std::string router;                       // whose income is routed into it
  std::uint64_t route_amount = 0;           // per routing, units
};

// A financing round an asset's investor offers: financiers subscribe (one may withdraw), and
// at the deadline the round succeeds if the subscriptions reach the minimum raise.
struct SubscriptionPlan {
  std::string key;  // the financier
  std::uint64_t amount = 0;
  bool withdraws = false;  // subscribes, then takes it back before the deadline
};

struct FinancingPlan {
  std::uint32_t asset = 0;  // index into SetupPlan::assets; its owner offers
  std::uint64_t amount_sought = 0;
  std::uint64_t minimum_raise = 0;
  std::uint32_t share_bps = 0;
  std::uint64_t min_subscription = 0;
  std::vector<SubscriptionPlan> subscriptions;

  // What the subscriptions that stay add up to.
  std::uint64_t subscribed() const;
  bool succeeds() const { return subscribed() >= minimum_raise; }
};

struct ScenarioOptions {
  std::uint32_t users = 24;     // customers and technicians
  std::uint32_t stations = 2;   // maintenance stations (capacity 3 bays each)
  std::uint32_t parking = 6;    // parking spaces (capacity 1 each)
  std::uint32_t piles = 3;      // charging piles (2 connectors each)
  std::uint32_t vehicles = 40;  // the VINs maintenance visits service
};

struct SetupPlan {
  std::vector<AssetPlan> assets;
  std::vector<ModelPlan> models;
  std::vector<FinancingPlan> financings;
  std::vector<std::string> vins;
  std::uint32_t users = 0;
};

SetupPlan make_setup(std::uint64_t seed, const ScenarioOptions& options);

// Version 1 or 2 of an agreement's terms with the partners' addresses filled in; `address_of`
// maps a key name to its 20-byte address.
template <typename AddressOf>
usage::Terms terms_for(const AgreementPlan& plan, int version, AddressOf&& address_of) {
  usage::Terms t = plan.terms;
  const auto& partners = version == 1 ? plan.partners : plan.amended_partners;
  if (version != 1) t.set_deposit(plan.amended_deposit);
  for (const PartnerPlan& p : partners) {
    usage::Partner* out = t.add_partners();
    out->set_account(address_of(p.key));
    out->set_share_bps(p.share_bps);
    out->set_label(p.label);
  }
  return t;
}

// What happens on a visit.
enum class Behaviour {
  kSession,       // reserve, access, metered session, end, payment
  kCancelInTime,  // reserve a later window and cancel before the cancellation window: free
  kCancelLate,    // reserve now and cancel: the deposit is forfeited to the partners
  kNoShow,        // reserve now and never come: the reservation expires, deposit forfeited
};

enum class EndPlan {
  kNormal,      // the service finished or the agreed limit was reached (data server)
  kUserAtGate,  // the user stopped early and the data server reports it with the meter
  kUserStops,   // the user ends it from the app (STOPPED), then the data server reports the meter
  kAbnormal,    // equipment fault or plug pulled (data server)
};

struct MeterPlan {
  std::string item_id;
  std::uint64_t minutes = 0;    // PER_MINUTE items
  std::uint64_t energy_wh = 0;  // PER_KWH items
};

struct Visit {
  std::uint64_t index = 0;
  std::uint32_t user = 0;   // index into the run's user pool
  std::uint32_t asset = 0;  // index into SetupPlan::assets
  Behaviour behaviour = Behaviour::kSession;
  bool reserved_by_data_server = false;  // the user then pays the deposit separately
  bool access_by_user = false;           // QR code in the user's app; else the plate reader
  std::uint32_t slots = 1;               // reservation length in slots
  std::vector<std::string> items;
  usage::ChargingMode mode = usage::CHARGING_MODE_UNSPECIFIED;
  std::uint64_t limit = 0;
  std::vector<MeterPlan> meter;  // one entry per reserved item
  std::string vin;               // maintenance visits
  std::uint32_t hold_ms = 0;     // how long the session lasts in real time
  EndPlan end = EndPlan::kNormal;
  bool pay_on_chain = true;
  bool dispute = false;          // the user disputes the charge; the data server lowers it
};

Visit make_visit(std::uint64_t seed, std::uint64_t index, const SetupPlan& setup);

// Milliseconds between the arrival of visit `index` and the next: exponential with mean
// 1000 / rate (a Poisson arrival process at `rate` sessions per second).
std::uint64_t arrival_gap_ms(std::uint64_t seed, std::uint64_t index, double rate);

// The most a visit's meter plan can be charged under `terms` (no limit applied but BY_AMOUNT's):
// what the user must be able to pay.
std::uint64_t charge_ceiling(const usage::Terms& terms, const Visit& visit);

// Started minutes of an elapsed time, as the chain counts them (a started minute counts whole).
std::uint64_t started_minutes(std::uint64_t elapsed_ms);

// The meter report for a visit: its plan, with minutes capped at `max_minutes` (the started
// minutes the session is known to have lasted at least; the chain refuses more) and at least 1.
std::vector<usage::Metered> meter_reading(const Visit& visit, std::uint64_t max_minutes);

// What happens to a vehicle between visits. A vehicle's first event always starts its life on
// the chain (manufacture record, then registration naming its first owner), whatever is planned.
enum class VehicleAction {
  kOdometer,    // a reading by the insurer or the dealer
  kInspection,  // by the registry, with a reading
  kAccident,    // an accident record by the registry and an insurance claim by the insurer
  kTransfer,    // the owner sells to another customer: offer, acceptance, attestation
};

struct VehicleEvent {
  std::uint64_t index = 0;
  std::uint32_t vehicle = 0;  // index into SetupPlan::vins
  VehicleAction action = VehicleAction::kOdometer;
  std::uint64_t km = 0;        // driven since the last reading
  bool rollback = false;       // the reading is below the last one (a clocked odometer)
  bool disputed = false;       // the other attesters hold different evidence: endorse FALSE
  std::uint32_t owner = 0;     // first owner (user index), when the vehicle is new to the chain
  std::uint32_t buyer = 0;     // user index, for transfers
  std::uint64_t price = 0;     // units, for transfers
};

VehicleEvent make_vehicle_event(std::uint64_t seed, std::uint64_t index, const SetupPlan& setup);

// The planned VIN with its serial (the last six characters) made unique to the run `run` and
// its check digit (9th character) recomputed: a vehicle registered by an earlier run belongs to
// that run's customers, whose keys are gone.
std::string vin_for_run(std::string_view vin, std::uint64_t run);

// "maintenance", "parking", "charging".
std::string kind_label(assets::AssetKind kind);
std::string behaviour_name(Behaviour b);
std::string end_plan_name(EndPlan e);
std::string vehicle_action_name(VehicleAction a);

}  // namespace sharechain::dataserver
