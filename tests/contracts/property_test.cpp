// Money is never created or destroyed (seeded random action sequences):
//  - a station (capacity 2, four partners, PERIODIC or PER_PAYMENT by seed), a charging pile and
//    a split model; users, partners and the data server act at random: transfers (some larger
//    than the balance), issues (some with repeated references), reservations, deposits,
//    cancellations, expiries, access, session ends with random meters, on-chain and off-chain
//    payments, overdue reports, disputes, model income, settlements, suspensions, time jumps
//  - after every block: balances + escrow == the issued counter, and the supply changed by
//    exactly the amounts of the Issued events in the block (zero for everything else)
//  - the escrow of all accounts equals the sum of all escrow holds
//  - every refusal left the state untouched but for the sender's nonce
//  - financing: the investor and the pile's owner offer financings with random terms; anyone
//    subscribes, withdraws, closes rounds, cancels and completes; financiers (the paying
//    technician among them) are paid from distributions. After every block an open round's
//    escrow holds equal its subscriptions, a closed round holds nothing, and each asset's
//    return record counts exactly the income the asset record does
//  - vehicles: attesters submit and endorse records at random (no money moves; refusals still
//    change nothing)
//  - the sequences do reach payments, splits, settlements, activated and failed rounds and
//    financiers' payouts (the test is not vacuous)
#include <catch2/catch.hpp>
#include <random>

#include "contracts/ledger/ledger.hpp"
#include "finance_fixture.hpp"

using namespace sharechain;
using namespace sharechain::contracts;
using namespace sharechain::contracts::testing;

namespace {

const std::vector<std::string> kUsers = {"tech", "driver", "tech2"};
const std::vector<std::string> kEveryone = {"tech",      "driver",     "tech2",    "investor",
                                            "equipment", "operations", "platform", "dataserver"};

std::uint64_t escrow_of_holds(const StateReader& state) {
  std::uint64_t sum = 0;
  state.scan("ledger/hold/", [&](std::string_view, std::string_view raw) {
    lpb::EscrowHold h;
    REQUIRE(h.ParseFromString(std::string(raw)));
    sum += h.amount();
    return true;
  });
  return sum;
}

std::uint64_t issued_in(const Receipt& r) {
  std::uint64_t sum = 0;
  if (r.status() != RECEIPT_OK) return 0;
  for (const auto& e : r.events()) {
    if (e.contract() == "ledger" && e.name() == "Issued") sum += std::stoull(attr(e, "amount"));
  }
  return sum;
}

// The state with the sender's nonce blanked: a refused transaction may change nothing else.
std::map<std::string, std::string> state_without(const MemoryState& s, const std::string& who) {
  std::map<std::string, std::string> out(s.entries().begin(), s.entries().end());
  auto it = out.find(contracts::ledger::account_key(address_for(who)));
  if (it != out.end()) {
    lpb::Account a;
    REQUIRE(a.ParseFromString(it->second));
    a.set_nonce(0);
    it->second = a.SerializeAsString();
  }
  return out;
}

struct Stats {
  std::map<std::string, int> ok;
};

const std::vector<std::string> kAttesters = {"att1", "att2", "att3", "att4"};
const std::vector<std::string> kVins = {"1HGCM82633A004352", "LSVAX4182E2123456",
                                        "2T1BR32E84C123456"};  // the last one is invalid

// The financing invariants: an open round's escrow holds sum to what it has subscribed, a
// closed one holds nothing, and each asset's return record counts the asset's investor income.
void check_financings(const Chain& chain, const std::vector<std::string>& financings,
                      const std::vector<std::string>& assets) {
  for (const auto& id : financings) {
    fpb::Query q;
    q.mutable_financing()->set_financing_id(id);
    auto view = financing_query(chain, q).financing();
    std::uint64_t held = 0;
    for (const auto& s : view.subscriptions()) {
      for (const auto& h : s.holds()) {
        auto hold = contracts::ledger::find_hold(chain.state(), h);
        REQUIRE(hold.has_value());
        held += hold->amount();
      }
    }
    if (view.financing().status() == fpb::FINANCING_OPEN) {
      REQUIRE(held == view.financing().subscribed());
    } else {
      REQUIRE(held == 0);
    }
  }
  for (const auto& a : assets) {
    REQUIRE(return_of(chain, a).asset_return().cumulative_income() ==
            asset_of(chain, a).investor_income());
  }
}

void run_sequence(std::uint64_t seed, Stats& stats) {
  std::mt19937_64 rng(seed);
  auto pick = [&](const auto& v) -> const auto& { return v[rng() % v.size()]; };
  auto chance = [&](int percent) { return static_cast<int>(rng() % 100) < percent; };

  upb::Terms terms = station_terms();
  if (seed % 2 == 1) {
    terms.set_settlement(upb::PERIODIC);
    terms.set_settlement_period_ms(6 * kHour);
  }
  apb::AssetSpec spec = station_spec();
  spec.set_capacity(2);
  StationWorld w(terms, spec);
  Chain& chain = w.chain;
  for (const auto& u : {"driver", "tech2"}) {
    must(chain.ledger("dataserver", certify_call(u, "certified_technician")));
  }
  must(chain.ledger("tech", transfer_call("tech2", 6'000)));

  // A charging pile with a single-partner agreement.
  std::string pile = event_id(must(chain.assets("equipment", register_call(pile_spec()))),
                              "AssetRegistered", "asset");
  upb::Terms pt;
  pt.mutable_rules()->set_slot_ms(15 * kMinute);
  pt.mutable_rules()->set_max_length_ms(2 * kHour);
  *pt.add_items() = item("energy", "dc_charger", upb::PER_KWH, 150);
  pt.set_deposit(300);
  set_partners(pt, {"equipment"}, {10'000});
  std::string pile_agreement = event_id(must(chain.usage("equipment", propose_call(pile, pt))),
                                        "AgreementProposed", "agreement");
  // A split model with a payout account.
  rpb::Call propose_model;
  auto* mt = propose_model.mutable_propose()->mutable_terms();
  mt->set_name("platform pool");
  mt->set_settlement_period_ms(seed % 3 == 0 ? 0 : 2 * kHour);
  const std::vector<std::pair<std::string, std::uint32_t>> model_parties = {
      {"platform", 6'000}, {"operations", 3'000}, {"investor", 1'000}};
  for (const auto& [who, bps] : model_parties) {
    auto* p = mt->add_parties();
    p->set_account(address_for(who));
    p->set_share_bps(bps);
  }
  std::string model =
      event_id(must(chain.revenue("platform", propose_model)), "ModelProposed", "model");
  for (const auto& who : {"operations", "investor"}) {
    rpb::Call c;
    c.mutable_confirm()->set_model_id(model);
    c.mutable_confirm()->set_version(1);
    must(chain.revenue(who, c));
  }

  for (std::size_t i = 0; i < kAttesters.size(); ++i) {
    lpb::Call g;
    g.mutable_grant_role()->set_account(address_for(kAttesters[i]));
    g.mutable_grant_role()->set_role("attester");
    g.mutable_grant_role()->set_organisation("organisation " + std::to_string(i));
    must(chain.ledger("operator", g));
  }

  std::vector<std::string> reservations;
  std::vector<std::string> sessions;
  std::vector<std::string> references;
  std::vector<std::string> financings;
  std::vector<std::string> records;
  const std::vector<std::string> assets = {w.asset, pile};
  std::uint64_t supply = chain.supply();
  REQUIRE(supply == contracts::ledger::issued_total(chain.state()));

  for (int step = 0; step < 220; ++step) {
    std::string who;
    TransactionBody body;
    std::string kind;
    int roll = static_cast<int>(rng() % 100);
    if (chance(20)) {
      int f = static_cast<int>(rng() % 100);
      if (f < 12 || financings.empty()) {
        kind = "offer";
        bool station = chance(60);
        who = chance(90) ? (station ? "investor" : "equipment") : pick(kEveryone);
        std::uint64_t sought = 1'000 + rng() % 5'000;
        std::uint64_t deadline = chain.time_ms() + (1 + rng() % 12) * kHour;
        auto t = financing_terms(sought, chance(50) ? 0 : sought / 2,
                                 static_cast<std::uint32_t>(1 + rng() % 10'000), 1 + rng() % 500,
                                 deadline, deadline + (1 + rng() % 48) * kHour);
        *body.mutable_financing() = offer_call(station ? w.asset : pile, t);
      } else if (f < 50) {
        kind = "subscribe";
        who = chance(70) ? pick(kUsers) : pick(kEveryone);
        // Mostly the latest offer, so rounds fill up.
        const std::string& id = chance(70) ? financings.back() : pick(financings);
        *body.mutable_financing() = subscribe_call(id, 1 + rng() % 3'000);
      } else if (f < 54) {
        kind = "withdraw";
        who = pick(kEveryone);
        *body.mutable_financing() = withdraw_call(pick(financings));
      } else if (f < 64) {
        kind = "close_round";
        who = pick(kEveryone);
        *body.mutable_financing() = close_round_call(pick(financings));
      } else if (f < 67) {
        kind = "cancel_offer";
        who = chance(80) ? "investor" : pick(kEveryone);
        *body.mutable_financing() = cancel_offer_call(pick(financings));
      } else if (f < 70) {
        kind = "complete";
        who = pick(kEveryone);
        *body.mutable_financing() = complete_call(pick(financings));
      } else if (f < 80 || records.empty()) {
        kind = "vehicle_record";
        who = chance(90) ? pick(kAttesters) : pick(kEveryone);
        auto k = static_cast<vpb::RecordKind>(1 + rng() % 8);
        *body.mutable_vehicles() = submit_call(pick(kVins), k, chance(50) ? rng() % 200'000 : 0, 0,
                                               chance(20) ? pick(kEveryone) : "");
      } else {
        kind = "endorse";
        who = pick(kAttesters);
        const std::string& id = chance(70) ? records.back() : pick(records);
        *body.mutable_vehicles() = endorse_call(id, chance(90));
      }
    } else if (roll < 8) {
      kind = "transfer";
      who = pick(kEveryone);
      std::string to = pick(kEveryone);
      if (to == who) to = "newcomer";
      *body.mutable_ledger() = transfer_call(to, 1 + rng() % 8'000);
    } else if (roll < 13) {
      kind = "issue";
      who = chance(80) ? "dataserver" : pick(kUsers);
      std::string ref =
          (!references.empty() && chance(30)) ? pick(references) : "ref-" + std::to_string(rng());
      references.push_back(ref);
      auto* i = body.mutable_ledger()->mutable_issue();
      i->set_to(address_for(pick(kUsers)));
      i->set_amount(1 + rng() % 5'000);
      i->set_reference(ref);
    } else if (roll < 33) {
      kind = "reserve";
      who = pick(kUsers);
      bool on_pile = chance(35);
      std::uint64_t slot = on_pile ? 15 * kMinute : 30 * kMinute;
      std::uint64_t base = chain.time_ms() - chain.time_ms() % slot;
      std::uint64_t start = base + slot * (rng() % 12);
      std::uint64_t end = start + slot * (1 + rng() % 6);
      std::vector<std::string> items =
          on_pile ? std::vector<std::string>{"energy"}
                  : (chance(50) ? std::vector<std::string>{"lift", "diagnostic"}
                                : std::vector<std::string>{"lift"});
      bool by_ds = chance(20);
      *body.mutable_usage() =
          reserve_call(on_pile ? pile_agreement : w.agreement, start, end, items, by_ds ? who : "");
      if (by_ds) who = "dataserver";
    } else if (roll < 36 && !reservations.empty()) {
      kind = "pay_deposit";
      auto r = reservation_of(chain, pick(reservations));
      who = chance(80) ? kUsers[0] : pick(kUsers);
      for (const auto& u : kUsers) {
        if (address_for(u) == r.user() && chance(85)) who = u;
      }
      *body.mutable_usage() = pay_deposit_call(r.id());
    } else if (roll < 40 && !reservations.empty()) {
      kind = chance(50) ? "cancel" : "expire";
      who = chance(50) ? "dataserver" : pick(kUsers);
      *body.mutable_usage() =
          kind == "cancel" ? cancel_call(pick(reservations)) : expire_call(pick(reservations));
    } else if (roll < 55 && !reservations.empty()) {
      kind = "access";
      auto r = reservation_of(chain, pick(reservations));
      if (chance(60) && chain.time_ms() < r.start_ms()) chain.set_time(r.start_ms() + 1'000);
      who = "dataserver";
      bool pile_res = r.asset_id() == pile;
      upb::ChargingMode mode = upb::CHARGING_MODE_UNSPECIFIED;
      std::uint64_t limit = 0;
      if (pile_res) {
        mode = static_cast<upb::ChargingMode>(1 + rng() % 4);
        limit = mode == upb::UNTIL_FULL ? 0 : 1 + rng() % 20'000;
      }
      *body.mutable_usage() = access_call(r.id(), "", mode, limit);
    } else if (roll < 68 && !sessions.empty()) {
      kind = "end";
      auto s = session_of(chain, pick(sessions));
      chain.advance((1 + rng() % 90) * kMinute);
      std::vector<Meter> meter;
      for (const auto& i : s.items()) {
        if (chance(20)) continue;
        if (i.basis() == upb::PER_MINUTE) meter.push_back({i.id(), rng() % 100, 0});
        if (i.basis() == upb::PER_KWH) meter.push_back({i.id(), 0, rng() % 30'000});
        if (i.basis() == upb::FIXED) meter.push_back({i.id(), 0, 0});
      }
      bool by_user = chance(15);
      who = by_user ? "tech" : "dataserver";
      for (const auto& u : kUsers) {
        if (by_user && address_for(u) == s.user()) who = u;
      }
      *body.mutable_usage() =
          by_user ? end_call(s.id(), upb::END_BY_USER, {})
                  : end_call(s.id(), static_cast<upb::EndKind>(1 + rng() % 3), meter);
    } else if (roll < 80 && !sessions.empty()) {
      auto s = session_of(chain, pick(sessions));
      if (chance(70)) {
        kind = "pay";
        who = pick(kUsers);
        for (const auto& u : kUsers) {
          if (address_for(u) == s.user() && chance(85)) who = u;
        }
        *body.mutable_usage() = pay_call(s.id());
      } else {
        kind = "record";
        who = "dataserver";
        std::string ref = "ext-" + std::to_string(rng() % 50);
        *body.mutable_usage() = record_call(s.id(), ref, chance(85) ? s.charge() : s.charge() + 1);
      }
    } else if (roll < 84 && !sessions.empty()) {
      std::string s = pick(sessions);
      int k = static_cast<int>(rng() % 3);
      kind = k == 0 ? "overdue" : (k == 1 ? "dispute" : "resolve");
      if (k == 0) {
        who = pick(kEveryone);
        *body.mutable_usage() = overdue_call(s);
      } else if (k == 1) {
        who = pick(kUsers);
        *body.mutable_usage() = dispute_call(s, "meter looks wrong");
      } else {
        who = "dataserver";
        *body.mutable_usage() =
            resolve_call(s, chance(50) ? "equipment" : "", chance(50), rng() % 2'000);
      }
    } else if (roll < 90) {
      kind = "route";
      who = pick(kEveryone);
      rpb::Call c;
      c.mutable_route()->set_model_id(model);
      c.mutable_route()->set_amount(1 + rng() % 3'000);
      *body.mutable_revenue() = c;
    } else if (roll < 94) {
      kind = "settle";
      who = chance(50) ? "dataserver" : "platform";
      if (chance(50)) {
        rpb::Call c;
        c.mutable_settle()->set_model_id(model);
        *body.mutable_revenue() = c;
      } else {
        *body.mutable_usage() = settle_call(w.agreement);
      }
    } else if (roll < 96) {
      kind = "suspend";
      who = "dataserver";
      *body.mutable_usage() = suspend_call(w.agreement);
    } else if (roll < 98) {
      kind = "reconfirm";
      who = pick(kPartners);
      *body.mutable_usage() = confirm_call(w.agreement, agreement_of(chain, w.agreement).version());
    } else {
      kind = "time";
      chain.advance((1 + rng() % 240) * kMinute);
      continue;
    }
    if (body.call_case() == TransactionBody::CALL_NOT_SET) continue;

    auto before = state_without(chain.state(), who);
    Receipt r = chain.run(who, body);
    INFO("seed " << seed << " step " << step << " " << kind << " by " << who << ": " << r.error());
    if (r.status() == RECEIPT_OK) {
      ++stats.ok[kind];
      if (kind == "reserve") reservations.push_back(event_id(r, "Reserved", "reservation"));
      if (kind == "access") sessions.push_back(event_id(r, "AccessGranted", "session"));
      if (find_event(r, "RevenueDistributed") != nullptr) ++stats.ok["distribution"];
      if (kind == "offer") financings.push_back(event_id(r, "FinancingOffered", "financing"));
      if (kind == "vehicle_record") records.push_back(event_id(r, "RecordSubmitted", "record"));
      if (find_event(r, "FinancingActivated") != nullptr) ++stats.ok["activated"];
      if (find_event(r, "SubscriptionRefunded") != nullptr) ++stats.ok["refunded"];
      if (find_event(r, "FinancierPaid") != nullptr) ++stats.ok["financier_paid"];
      if (find_event(r, "RecordAttested") != nullptr) ++stats.ok["attested"];
    } else {
      REQUIRE(state_without(chain.state(), who) == before);
    }
    std::uint64_t now = chain.supply();
    REQUIRE(now == supply + issued_in(r));
    supply = now;
    auto s = contracts::ledger::supply(chain.state());
    REQUIRE(s.balances() + s.escrow() == s.issued());
    REQUIRE(s.escrow() == escrow_of_holds(chain.state()));
    REQUIRE(verify_supply(chain.state()).is_ok());
    check_financings(chain, financings, assets);
  }
}

}  // namespace

TEST_CASE("random action sequences never create or destroy money", "[contracts][property]") {
  Stats stats;
  for (std::uint64_t seed = 1; seed <= 24; ++seed) run_sequence(seed, stats);
  for (const auto& [kind, n] : stats.ok) WARN(kind << ": " << n << " succeeded");
  CHECK(stats.ok["reserve"] > 0);
  CHECK(stats.ok["access"] > 0);
  CHECK(stats.ok["end"] > 0);
  CHECK(stats.ok["pay"] + stats.ok["record"] > 0);
  CHECK(stats.ok["distribution"] > 0);
  CHECK(stats.ok["issue"] > 0);
  CHECK(stats.ok["transfer"] > 0);
  CHECK(stats.ok["route"] > 0);
  CHECK(stats.ok["offer"] > 0);
  CHECK(stats.ok["subscribe"] > 0);
  CHECK(stats.ok["activated"] > 0);
  CHECK(stats.ok["refunded"] > 0);
  CHECK(stats.ok["financier_paid"] > 0);
  CHECK(stats.ok["vehicle_record"] > 0);
  CHECK(stats.ok["attested"] > 0);
}
