#include <algorithm>
#include <iostream>
#include <sstream>

#include "proto/crypto.hpp"
#include "tools/common/keystore.hpp"
#include "tools/common/passphrase.hpp"
#include "tools/dataserver/runner_internal.hpp"

namespace sharechain::dataserver {

// --- WorkPool ---------------------------------------------------------------------------

WorkPool::WorkPool(unsigned threads) {
  for (unsigned i = 0; i < std::max(1u, threads); ++i) threads_.emplace_back([this] { work(); });
}

WorkPool::~WorkPool() {
  {
    std::lock_guard lock(mu_);
    closing_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void WorkPool::post(std::function<void()> job) {
  {
    std::lock_guard lock(mu_);
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
}

std::size_t WorkPool::busy() const {
  std::lock_guard lock(mu_);
  return jobs_.size() + running_;
}

bool WorkPool::wait_idle(std::chrono::milliseconds limit) {
  std::unique_lock lock(mu_);
  return idle_cv_.wait_for(lock, limit, [&] { return jobs_.empty() && running_ == 0; });
}

void WorkPool::work() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return closing_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
      ++running_;
    }
    job();
    {
      std::lock_guard lock(mu_);
      --running_;
      if (jobs_.empty() && running_ == 0) idle_cv_.notify_all();
    }
  }
}

// --- helpers ----------------------------------------------------------------------------

std::string raw_id(std::string_view hex) {
  auto raw = crypto::from_hex(hex);
  return raw ? *raw : "";
}

namespace {
Chain::Options chain_options(const RunOptions& o) {
  Chain::Options c;
  c.nodes = o.nodes;
  c.commit_timeout = std::chrono::seconds(o.commit_timeout_s);
  return c;
}
}  // namespace

// --- Runner -----------------------------------------------------------------------------

Runner::Runner(const RunOptions& options, const std::atomic<bool>& stop, std::ostream& err)
    : options_(options), stop_(stop), err_(err), chain_(chain_options(options)) {}

void Runner::log(const std::string& line) {
  std::lock_guard lock(log_mu_);
  err_ << "sharechain-dataserver: " << line << std::endl;
}

std::uint64_t Runner::now_ms() const {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

void Runner::pause(std::uint64_t ms) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (!stopping()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= until) return;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(until - now, std::chrono::milliseconds(100)));
  }
}

Signer& Runner::cast(std::string_view key) { return *cast_.find(key)->second; }

std::optional<Committed> Runner::act(Signer& signer, std::string_view step,
                                     const std::function<void(TransactionBody&)>& set_call) {
  Result<Committed> r = chain_.submit(signer, set_call);
  std::lock_guard lock(report_mu_);
  if (!r) {
    report_.on_failure(step, r.status().message());
    return std::nullopt;
  }
  if (!r->ok()) {
    const std::string& why = r->receipt.error();
    report_.on_failure(step, why.empty() ? tools::receipt_status_name(r->receipt.status()) : why);
    return std::nullopt;
  }
  return std::move(r).value();
}

int Runner::execute(std::ostream& out) {
  // Keys first: a wrong passphrase or a missing key is a usage error, before any network.
  tools::Outcome<std::string> pass = tools::read_passphrase(
      tools::passphrase_source_from_environment(options_.passphrase_file), "Keystore passphrase: ",
      false, err_);
  if (!pass) {
    log(pass.failure().message);
    return pass.failure().exit_code;
  }
  tools::Keystore keystore(options_.keystore);
  std::vector<std::pair<std::string, crypto::PrivateKey>> keys;
  for (const std::string& name : cast_keys()) {
    Result<crypto::PrivateKey> key = keystore.load(name, *pass);
    if (!key) {
      log("cannot load key '" + name + "' from " + keystore.dir().string() + ": " +
          key.status().message() + " (the keystore of `sharechain-net init` holds every key needed)");
      return tools::kExitUsage;
    }
    keys.emplace_back(name, std::move(key).value());
  }
  // The other committee keys, when the keystore has them, approve the role grants the set-up
  // proposes (a committee of one needs none).
  for (std::uint32_t i = 2; i <= kMaxCommitteeKeys; ++i) {
    const std::string name = std::string(kOperatorKey) + std::to_string(i);
    Result<crypto::PrivateKey> key = keystore.load(name, *pass);
    if (!key) break;
    keys.emplace_back(name, std::move(key).value());
    committee_keys_.push_back(name);
  }

  chain_.set_observer([this](const Receipt& r) {
    std::lock_guard lock(report_mu_);
    report_.on_receipt(r);
  });
  if (Status st = chain_.start(); !st) {
    log(st.message());
    return tools::kExitUnreachable;
  }
  for (auto& [name, key] : keys) {
    auto signer = chain_.make_signer(name, std::move(key));
    report_.name_party(signer->address(), name);
    cast_.emplace(name, std::move(signer));
  }

  std::uint8_t tag[4];
  crypto::random_bytes(tag, sizeof tag);
  run_tag_ = crypto::to_hex(std::string_view(reinterpret_cast<const char*>(tag), sizeof tag));
  for (std::uint8_t b : tag) run_number_ = run_number_ << 8 | b;
  plan_ = make_setup(options_.seed, options_.scenario);
  for (const std::string& vin : plan_.vins) {
    VehicleState v;
    v.vin = vin_for_run(vin, run_number_);
    vehicles_.push_back(std::move(v));
  }
  if (options_.duration_s > 0) {
    // Rounds close within the run: a third of it, between 15 s and a minute.
    financing_window_ms_ = std::clamp<std::uint64_t>(static_cast<std::uint64_t>(options_.duration_s * 1000 / 3),
                                                     15'000, 60'000);
  }
  for (std::uint32_t i = 0; i < plan_.users; ++i) {
    users_.push_back(User{chain_.make_signer("customer" + std::to_string(i + 1), crypto::PrivateKey::generate())});
  }
  report_.set_seed(options_.seed);
  log("chain " + chain_.chain_id() + " at height " + std::to_string(chain_.height()) + " over " +
      std::to_string(chain_.node_count()) + " node(s); run " + run_tag_ + ", seed " +
      std::to_string(options_.seed));

  started_ = std::chrono::steady_clock::now();
  const bool ready = set_up();
  for (const FinancingPlan& f : plan_.financings) {
    if (f.asset >= assets_.size() || assets_[f.asset]->agreement_id.empty()) continue;
    LiveFinancing live;
    live.plan = &f;
    financings_.push_back(std::move(live));
  }
  if (ready && !stopping()) play();
  chain_.stop();

  {
    std::lock_guard lock(report_mu_);
    report_.set_counters(chain_.counters());
    report_.set_elapsed_ms(static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started_).count()));
    if (options_.json) {
      out << report_.to_json().dump(2) << std::endl;
    } else {
      out << report_.to_text() << std::flush;
    }
  }
  return ready ? tools::kExitOk : tools::kExitRefused;
}

void Runner::play() {
  WorkPool pool(options_.concurrency);
  std::atomic<bool> chores_done{false};
  std::thread chores_thread([&] {
    while (!chores_done.load()) {
      chores();
      for (int i = 0; i < 10 && !chores_done.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });

  const auto begin = std::chrono::steady_clock::now();
  const bool bounded = options_.duration_s > 0;
  const auto deadline = begin + std::chrono::milliseconds(static_cast<std::int64_t>(options_.duration_s * 1000));
  auto next = begin;
  auto next_progress = begin + std::chrono::seconds(10);
  std::ostringstream pace;  // default stream formatting: "2/s for 45 s", "0.5/s"
  pace << "playing visits at " << options_.rate << "/s ";
  if (bounded) {
    pace << "for " << options_.duration_s << " s";
  } else {
    pace << "until SIGINT or SIGTERM";
  }
  log(pace.str());

  for (std::uint64_t i = 0; !stopping(); ++i) {
    next += std::chrono::milliseconds(arrival_gap_ms(options_.seed, i, options_.rate));
    while (!stopping()) {
      const auto now = std::chrono::steady_clock::now();
      if (bounded && now >= deadline) deadline_passed_ = true;
      if (now >= next_progress) {
        next_progress += std::chrono::seconds(10);
        std::lock_guard lock(report_mu_);
        const TxCounters c = chain_.counters();
        log("height " + std::to_string(chain_.height()) + ", " + std::to_string(report_.sessions_total()) +
            " sessions ended, " + std::to_string(c.committed) + " transactions committed, " +
            std::to_string(pool.busy()) + " visits in progress");
      }
      if (now >= next) break;
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(next - now, std::chrono::milliseconds(100)));
    }
    if (stopping()) break;

    const Visit v = make_visit(options_.seed, i, plan_);
    {
      std::lock_guard lock(report_mu_);
      report_.on_visit_started();
    }
    if (v.asset >= assets_.size() || assets_[v.asset]->agreement_id.empty()) {
      std::lock_guard lock(report_mu_);
      report_.on_turned_away("asset not available (its set-up failed)");
      continue;
    }
    if (pool.busy() >= options_.concurrency) {
      std::lock_guard lock(report_mu_);
      report_.on_turned_away("data server at its concurrency limit");
      continue;
    }
    std::optional<std::size_t> user;
    {
      // The planned customer, or the next one free: a customer has one visit at a time.
      std::lock_guard lock(users_mu_);
      for (std::size_t k = 0; k < users_.size() && !user; ++k) {
        const std::size_t u = (v.user + k) % users_.size();
        if (!users_[u].busy) {
          users_[u].busy = true;
          user = u;
        }
      }
    }
    if (!user) {
      std::lock_guard lock(report_mu_);
      report_.on_turned_away("every customer already on a visit");
      continue;
    }
    pool.post([this, v, u = *user] {
      visit(v, u);
      std::lock_guard lock(users_mu_);
      users_[u].busy = false;
    });

    // Between every two visits, something happens to one of the vehicles.
    if (i % 2 == 1 && !vehicles_.empty()) {
      const VehicleEvent e = make_vehicle_event(options_.seed, i / 2, plan_);
      bool free = false;
      {
        std::lock_guard lock(vehicles_mu_);
        free = !vehicles_[e.vehicle].busy;
        if (free) vehicles_[e.vehicle].busy = true;
      }
      if (!free) {
        std::lock_guard lock(report_mu_);
        report_.on_turned_away("vehicle event while another is in progress");
        continue;
      }
      pool.post([this, e] {
        vehicle_event(e);
        std::lock_guard lock(vehicles_mu_);
        vehicles_[e.vehicle].busy = false;
      });
    }
  }

  log("stopping: waiting for " + std::to_string(pool.busy()) + " visit(s) in progress");
  if (!pool.wait_idle(std::chrono::seconds(options_.drain_s))) {
    log("visits still in progress after " + std::to_string(options_.drain_s) + " s; reporting anyway");
  }
  chores_done = true;
  chores_thread.join();
  // Reservations waiting to expire are cancelled now, and open financing offers withdrawn, so
  // the run leaves nothing booked and nothing in escrow.
  expire_due(true);
  financing_chores(true);
  if (!pool.wait_idle(std::chrono::seconds(options_.drain_s))) {
    log("visits still in progress; reporting anyway");
  }
}

void Runner::chores() {
  settle_due();
  route_income();
  expire_due(false);
  financing_chores(false);
}

void Runner::settle_due() {
  Signer& ds = cast(kDataServerKey);
  const std::uint64_t now = now_ms();
  for (auto& a : assets_) {
    if (a->agreement_id.empty() || a->terms.settlement() != usage::PERIODIC) continue;
    // A second of slack: the block that settles must carry a time past the period.
    if (now < a->last_settled_ms + a->terms.settlement_period_ms() + 1000) continue;
    auto pot = chain_.account(a->pot);
    if (!pot || !*pot || (*pot)->balance() == 0) continue;
    auto c = act(ds, "settle agreement", [&](TransactionBody& b) {
      b.mutable_usage()->mutable_settle()->set_agreement_id(a->agreement_id);
    });
    if (c) a->last_settled_ms = c->block_time_ms;
  }
  for (auto& m : models_) {
    if (m->id.empty() || m->plan->period_ms == 0) continue;
    if (now < m->last_settled_ms + m->plan->period_ms + 1000) continue;
    auto pot = chain_.account(m->pot);
    if (!pot || !*pot || (*pot)->balance() == 0) continue;
    auto c = act(ds, "settle split model", [&](TransactionBody& b) {
      b.mutable_revenue()->mutable_settle()->set_model_id(m->id);
    });
    if (c) m->last_settled_ms = c->block_time_ms;
  }
}

void Runner::route_income() {
  constexpr std::uint64_t kRouteEveryMs = 10'000;
  const std::uint64_t now = now_ms();
  for (auto& m : models_) {
    if (m->id.empty() || now < m->last_routed_ms + kRouteEveryMs) continue;
    m->last_routed_ms = now;
    Signer& router = cast(m->plan->router);
    // The platform routes income only from what it has earned; a partner's funds may run out.
    auto account = chain_.account(router.address());
    if (!account || !*account || (*account)->balance() < m->plan->route_amount) continue;
    act(router, "route income", [&](TransactionBody& b) {
      auto* r = b.mutable_revenue()->mutable_route();
      r->set_model_id(m->id);
      r->set_amount(m->plan->route_amount);
      r->set_memo("share of income for " + m->plan->name);
    });
  }
}

void Runner::expire_due(bool at_stop) {
  std::vector<PendingExpiry> due;
  {
    std::lock_guard lock(expiries_mu_);
    const std::uint64_t now = now_ms();
    auto split = std::stable_partition(expiries_.begin(), expiries_.end(), [&](const PendingExpiry& e) {
      return !(at_stop || now >= e.end_ms + 1500);
    });
    due.assign(split, expiries_.end());
    expiries_.erase(split, expiries_.end());
  }
  Signer& ds = cast(kDataServerKey);
  for (const PendingExpiry& e : due) {
    if (at_stop && now_ms() < e.end_ms + 1500) {
      act(ds, "cancel unused reservation", [&](TransactionBody& b) {
        b.mutable_usage()->mutable_cancel()->set_reservation_id(e.reservation_id);
      });
    } else {
      act(ds, "expire reservation", [&](TransactionBody& b) {
        b.mutable_usage()->mutable_expire()->set_reservation_id(e.reservation_id);
      });
    }
    release(*assets_[e.asset], e.claim);
  }
}

std::optional<std::uint64_t> Runner::claim(LiveAsset& a, std::uint64_t start, std::uint64_t end) {
  std::lock_guard lock(a.mu);
  // The most claims overlapping at any instant of [start, end): a sweep over their bounds.
  std::vector<std::pair<std::uint64_t, int>> edges;
  for (const auto& c : a.claims) {
    if (c.start_ms < end && c.end_ms > start) {
      edges.emplace_back(std::max(c.start_ms, start), 1);
      edges.emplace_back(std::min(c.end_ms, end), -1);
    }
  }
  std::sort(edges.begin(), edges.end());
  int depth = 0;
  int peak = 0;
  for (const auto& [t, d] : edges) peak = std::max(peak, depth += d);
  if (peak >= static_cast<int>(std::max<std::uint32_t>(1, a.plan->spec.capacity()))) return std::nullopt;
  const std::uint64_t id = next_claim_++;
  a.claims.push_back({id, start, end});
  return id;
}

void Runner::release(LiveAsset& a, std::uint64_t claim) {
  std::lock_guard lock(a.mu);
  std::erase_if(a.claims, [&](const LiveAsset::Claim& c) { return c.id == claim; });
}

int run(const RunOptions& options, const std::atomic<bool>& stop, std::ostream& out, std::ostream& err) {
  Runner runner(options, stop, err);
  return runner.execute(out);
}

}  // namespace sharechain::dataserver
