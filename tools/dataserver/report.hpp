// What a data-server run did, tallied from the receipts of its own committed transactions (the
// events the contracts emitted) plus what the run itself knows: visits turned away, failures
// by reason, and the transaction counters of its connection. Pure: no I/O and no clock; the
// run feeds it and renders it as a table or as one JSON object.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>

#include "sharechain/assets.pb.h"
#include "sharechain/types.pb.h"
#include "tools/common/render.hpp"

namespace sharechain::dataserver {

// An event's attribute by key; "" when it has none.
std::string attribute(const Event& e, std::string_view key);
// The attribute as a decimal number; 0 when absent or not one.
std::uint64_t attribute_number(const Event& e, std::string_view key);

struct Tally {
  std::uint64_t count = 0;
  std::uint64_t amount = 0;  // units

  void add(std::uint64_t units);
  bool operator==(const Tally&) const = default;
};

// The connection's counters (see chain.hpp).
struct TxCounters {
  std::uint64_t submitted = 0;  // admitted by a node
  std::uint64_t committed = 0;  // receipt seen, any status
  std::uint64_t refused = 0;    // committed with a receipt other than OK
  std::uint64_t rejected = 0;   // refused at admission after retries
  std::uint64_t retried = 0;    // submissions repeated (nonce resync, node unavailable, busy)
  std::uint64_t resyncs = 0;    // nonce fetched again from the chain
  std::uint64_t lost = 0;       // admitted but never committed within the wait
};


class Report {
 public:
  // Assets the run registered, so that sessions can be told apart by kind.
  void add_asset(std::string_view asset_id, assets::AssetKind kind);
  // A readable name for an account in the revenue table ("user1 (investor)").
  void name_party(std::string_view address20, std::string name);

  // Every event of a committed, successful transaction of the run.
  void on_receipt(const Receipt& receipt);
  // A step of a flow that did not happen, and why.
  void on_failure(std::string_view step, std::string_view reason);
  // A visit that found no free bay, space or connector, or no free user.
  void on_turned_away(std::string_view why);
  void on_visit_started() { ++visits_; }
  void set_counters(const TxCounters& c) { counters_ = c; }
  void set_elapsed_ms(std::uint64_t ms) { elapsed_ms_ = ms; }
  void set_seed(std::uint64_t seed) { seed_ = seed; }

  // Sessions ended, by asset kind ("maintenance", "parking", "charging") and end type
  // ("normal", "by_user", "abnormal").
  const std::map<std::string, std::map<std::string, std::uint64_t>>& sessions() const {
    return sessions_;
  }
  std::uint64_t sessions_total() const;
  const std::map<std::string, std::uint64_t>& charging_modes() const { return charging_modes_; }
  const Tally& paid_on_chain() const { return on_chain_; }
  const Tally& paid_off_chain() const { return off_chain_; }
  const Tally& revenue() const { return revenue_; }
  const std::map<std::string, Tally>& revenue_by_party() const { return revenue_by_party_; }
  const Tally& topups() const { return topups_; }
  const Tally& fees() const { return fees_; }
  const Tally& agreement_settlements() const { return agreement_settlements_; }
  const Tally& model_settlements() const { return model_settlements_; }
  const Tally& routed() const { return routed_; }
  const std::map<std::string, std::uint64_t>& failures() const { return failures_; }
  std::uint64_t failures_total() const;
  const std::map<std::string, std::uint64_t>& setup() const { return setup_; }
  std::uint64_t records_attested() const { return records_attested_; }
  // Financing: "offered", "subscriptions", "withdrawn", "succeeded", "failed", "cancelled",
  // "raised", "refunded", "paid_to_financiers", "completed" (counts; amounts in the tallies).
  const std::map<std::string, Tally>& financing() const { return financing_; }
  // Vehicle records: "submitted", "attested", "rejected" by kind ("maintenance", ...), plus
  // "endorsed_true", "endorsed_false", "transfers_offered", "transfers_accepted",
  // "owners_changed", "owners_registered", "rollbacks".
  const std::map<std::string, std::uint64_t>& vehicles() const { return vehicles_; }

  // Committed transactions and sessions per second of the run (0 before any time passed).
  double tx_per_second() const;
  double sessions_per_second() const;

  tools::Json to_json() const;
  std::string to_text() const;

 private:
  std::string party_name(const std::string& formatted_address) const;

  std::unordered_map<std::string, assets::AssetKind> asset_kinds_;  // formatted id -> kind
  std::unordered_map<std::string, assets::AssetKind> open_sessions_;  // session id -> kind
  std::map<std::string, std::string> party_names_;                   // 20-byte address -> name

  std::uint64_t seed_ = 0;
  std::uint64_t elapsed_ms_ = 0;
  std::uint64_t visits_ = 0;
  std::map<std::string, std::uint64_t> setup_;  // assets registered, agreements activated, ...
  std::map<std::string, std::uint64_t> started_;  // sessions started by kind
  std::map<std::string, std::map<std::string, std::uint64_t>> sessions_;
  std::map<std::string, std::uint64_t> charging_modes_;
  std::uint64_t limit_reached_ = 0;
  std::uint64_t zero_charge_ = 0;
  std::uint64_t reservations_ = 0;
  std::uint64_t cancelled_free_ = 0;
  std::uint64_t cancelled_late_ = 0;
  std::uint64_t expired_ = 0;
  Tally fees_;
  Tally on_chain_;
  Tally off_chain_;
  std::uint64_t from_deposit_ = 0;
  std::uint64_t paid_late_ = 0;
  Tally topups_;
  Tally revenue_;
  std::map<std::string, Tally> revenue_by_party_;  // formatted address -> tally
  Tally accrued_;
  Tally agreement_settlements_;
  Tally model_settlements_;
  Tally routed_;
  std::uint64_t disputes_raised_ = 0;
  std::uint64_t disputes_resolved_ = 0;
  std::uint64_t dispute_reduction_ = 0;
  std::uint64_t records_attested_ = 0;
  std::map<std::string, Tally> financing_;
  std::map<std::string, std::uint64_t> vehicles_;
  std::map<std::string, std::uint64_t> turned_away_;
  std::map<std::string, std::uint64_t> failures_;
  TxCounters counters_;
};

}  // namespace sharechain::dataserver
