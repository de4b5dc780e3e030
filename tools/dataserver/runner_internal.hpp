// The run's state and flows, shared by runner.cpp (orchestration, periodic work), setup.cpp
// (assets, agreements, split models) and visit.cpp (one visit of a user).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tools/common/receipts.hpp"
#include "tools/dataserver/chain.hpp"
#include "tools/dataserver/report.hpp"
#include "tools/dataserver/runner.hpp"
#include "tools/dataserver/scenario.hpp"
#include "sharechain/vehicles.pb.h"

namespace sharechain::dataserver {

// A fixed set of threads running queued jobs; visits and background chores run here.
class WorkPool {
 public:
  explicit WorkPool(unsigned threads);
  ~WorkPool();
  void post(std::function<void()> job);
  // Jobs queued or running.
  std::size_t busy() const;
  // Waits until no job is queued or running, at most `limit`. False on timeout.
  bool wait_idle(std::chrono::milliseconds limit);

 private:
  void work();
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  std::deque<std::function<void()>> jobs_;
  std::size_t running_ = 0;
  bool closing_ = false;
  std::vector<std::thread> threads_;
};

// An asset the set-up made usable: registered, (verified,) with an active agreement.
struct LiveAsset {
  const AssetPlan* plan = nullptr;
  std::string id;            // 16 bytes
  std::string agreement_id;  // 16 bytes
  std::string pot;           // the agreement's income pot (PERIODIC)
  usage::Terms terms;        // the active version
  std::uint64_t last_settled_ms = 0;  // block time of activation or the last settlement

  // Windows this run has reserved and not yet released, so a visit looks for a free bay
  // before asking the chain (which would refuse an over-booking).
  struct Claim {
    std::uint64_t id;
    std::uint64_t start_ms;
    std::uint64_t end_ms;
  };
  std::mutex mu;
  std::vector<Claim> claims;
};

struct LiveModel {
  const ModelPlan* plan = nullptr;
  std::string id;
  std::string pot;
  std::uint64_t last_settled_ms = 0;
  std::uint64_t last_routed_ms = 0;
};

// A financing plan's rounds: offered, open for subscriptions until the deadline, then active
// until the term ends (or failed); then the investor offers the next round.
struct LiveFinancing {
  const FinancingPlan* plan = nullptr;
  enum class Stage { kNone, kOpen, kActive };
  Stage stage = Stage::kNone;
  std::string id;                // the current round
  std::uint64_t deadline_ms = 0;
  std::uint64_t term_ends_ms = 0;
  std::uint64_t next_offer_ms = 0;
};

// What the run knows of a vehicle (guarded by Runner::vehicles_mu_).
struct VehicleState {
  std::string vin;                   // the run's VIN for the planned vehicle
  bool manufactured = false;         // manufacture record attested
  std::optional<std::size_t> owner;  // user index, once a registration or transfer is attested
  std::uint64_t odometer_km = 0;     // the highest attested reading
  bool busy = false;                 // an event is in progress
};

struct User {
  std::shared_ptr<Signer> signer;
  bool certified = false;  // guarded by Runner::users_mu_
  bool busy = false;       // guarded by Runner::users_mu_
};

// A reservation nobody came for: expired by the data server once its window has passed.
struct PendingExpiry {
  std::string reservation_id;
  std::uint64_t end_ms;
  std::size_t asset;
  std::uint64_t claim;
};

class Runner {
 public:
  Runner(const RunOptions& options, const std::atomic<bool>& stop, std::ostream& err);
  int execute(std::ostream& out);

 private:
  // --- runner.cpp ---
  bool stopping() const { return stop_.load() || deadline_passed_.load(); }
  void log(const std::string& line);
  void play();
  void chores();
  void settle_due();
  void route_income();
  void expire_due(bool at_stop);
  std::uint64_t now_ms() const;
  // Sleeps up to `ms`, less when the run is stopping.
  void pause(std::uint64_t ms);

  // Submits one transaction of a flow. The committed receipt when the chain accepted it;
  // otherwise the failure is counted under `step` and nullopt returned.
  std::optional<Committed> act(Signer& signer, std::string_view step,
                               const std::function<void(TransactionBody&)>& set_call);
  Signer& cast(std::string_view key);

  // --- setup.cpp ---
  bool set_up();
  bool ensure_roles();
  void set_up_model(LiveModel& model);
  void set_up_asset(LiveAsset& asset);

  // --- financing.cpp ---
  void financing_chores(bool at_stop);
  void offer_round(LiveFinancing& f);

  // --- vehicles.cpp ---
  void vehicle_event(const VehicleEvent& e);
  void start_life(VehicleState& v, const VehicleEvent& e);
  // Submits a record by `attester` and has the other attesters endorse it (FALSE when
  // `disputed`) until it is decided. True when it was attested.
  bool record(std::string_view attester, std::string_view step,
              const std::function<void(vehicles::SubmitRecord&)>& fill, bool disputed);
  // The attesters other than `submitter` and the record's parties endorse `record_id` until
  // the chain decides it. True when it was attested.
  bool endorse(const std::string& record_id, std::string_view submitter,
               const std::vector<std::string>& parties, bool disputed);

  // --- visit.cpp ---
  void visit(const Visit& v, std::size_t user);
  bool fund(User& u, const LiveAsset& a, const Visit& v);
  bool qualify(User& u, const LiveAsset& a);
  std::optional<std::string> reserve(User& u, LiveAsset& a, const Visit& v, std::uint64_t start,
                                     std::uint64_t end);
  void run_session(User& u, LiveAsset& a, const Visit& v, const std::string& reservation,
                   std::uint64_t start);
  void pay(User& u, LiveAsset& a, const Visit& v, const std::string& session, std::uint64_t charge);
  std::optional<std::uint64_t> claim(LiveAsset& a, std::uint64_t start, std::uint64_t end);
  void release(LiveAsset& a, std::uint64_t claim);

  const RunOptions options_;
  const std::atomic<bool>& stop_;
  std::atomic<bool> deadline_passed_{false};
  std::ostream& err_;
  std::mutex log_mu_;

  Chain chain_;
  std::string run_tag_;  // makes names and payment references unique to this run
  std::uint64_t run_number_ = 0;  // the same, as a number (VIN serials)
  SetupPlan plan_;
  std::map<std::string, std::shared_ptr<Signer>, std::less<>> cast_;
  std::vector<std::string> committee_keys_;  // operator2, operator3, ... as the keystore holds them
  std::vector<std::unique_ptr<LiveAsset>> assets_;  // ready ones only, after set-up
  std::vector<std::unique_ptr<LiveModel>> models_;
  std::vector<User> users_;
  std::mutex users_mu_;
  std::vector<LiveFinancing> financings_;  // the chores thread's, and the stop's after it
  std::uint64_t financing_window_ms_ = 60'000;
  std::uint64_t financing_term_ms_ = 300'000;
  std::vector<VehicleState> vehicles_;
  std::mutex vehicles_mu_;

  std::mutex expiries_mu_;
  std::vector<PendingExpiry> expiries_;
  std::atomic<std::uint64_t> next_claim_{1};

  std::mutex report_mu_;
  Report report_;
  std::chrono::steady_clock::time_point started_;
};

using tools::event_attr;
// An id or hash shown as hex in an event, back to raw bytes ("" when it is not hex).
std::string raw_id(std::string_view hex);

}  // namespace sharechain::dataserver
