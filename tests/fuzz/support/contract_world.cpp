#include "tests/fuzz/support/contract_world.hpp"

#include <cstdio>
#include <cstdlib>
#include <set>
#include <stdexcept>

#include "contracts/assets/assets.hpp"
#include "tests/contracts/finance_fixture.hpp"

namespace sharechain::fuzz {
namespace {

namespace ct = contracts::testing;
using ct::apb::AssetSpec;
using ct::kDay;
using ct::kDay1;
using ct::kHour;
using ct::kMinute;

// Who lives in the world. Balances are in units (1 credit = 100 units).
std::vector<ct::Actor> actors() {
  return {
      {"operator", 0, {"operator"}, ""},
      {"dataserver", 0, {"data_server"}, ""},
      {"investor", 100'000, {}, ""},
      {"equipment", 1'000, {}, ""},
      {"operations", 1'000, {}, ""},
      {"platform", 1'000, {}, ""},
      {"tech", 50'000, {}, ""},
      {"tech2", 50'000, {}, ""},
      {"tech3", 50'000, {}, ""},
      {"tech4", 50'000, {}, ""},
      {"driver", 50'000, {}, ""},
      {"ev1", 50'000, {}, ""},
      {"landlord", 1'000, {}, ""},
      {"helper", 0, {}, ""},
      {"newbie", 1'000, {}, ""},
      {"financier1", 1'000'000, {}, ""},
      {"financier2", 1'000'000, {}, ""},
      {"payer", 100'000, {}, ""},
      {"ann", 1'000, {}, ""},
      {"ben", 1'000, {}, ""},
      {"carl", 1'000, {}, ""},
      {"a1", 0, {"attester"}, "Maker Motors"},
      {"a2", 0, {"attester"}, "Safe Insurance"},
      {"a3", 0, {"attester"}, "City Garage"},
      {"a4", 0, {"attester"}, "Vehicle Registry"},
  };
}

const std::string kVin1 = "1HGCM82633A004352";  // owned by ben
const std::string kVin2 = "LSVAX4182E2123456";  // owned by carl, offered to ann

[[noreturn]] void setup_failed(const std::string& what) {
  std::fprintf(stderr, "fuzz contract world: setup failed: %s\n", what.c_str());
  std::abort();
}

Receipt must(Receipt r, const std::string& step) {
  if (r.status() != RECEIPT_OK) {
    setup_failed(step + ": " + ReceiptStatus_Name(r.status()) + ": " + r.error());
  }
  return r;
}

std::string id_of(const Receipt& r, const std::string& event, const std::string& key,
                  const std::string& step) {
  std::string id = ct::event_id(r, event, key);
  if (id.empty()) setup_failed(step + ": no " + event + "." + key);
  return id;
}

AssetSpec named(AssetSpec spec, const std::string& name) {
  spec.set_name(name);
  return spec;
}

ct::upb::Terms pile_terms() {
  ct::upb::Terms t;
  auto* r = t.mutable_rules();
  r->set_open_minute(0);
  r->set_close_minute(1440);
  r->set_slot_ms(30 * kMinute);
  r->set_max_length_ms(4 * kHour);
  r->set_cancellation_window_ms(kHour);
  *t.add_items() = ct::item("dc", "dc_charger", ct::upb::PER_KWH, 50);
  t.set_deposit(500);
  ct::set_partners(t, {"investor", "platform"}, {6'000, 4'000});
  t.set_settlement(ct::upb::PERIODIC);
  t.set_settlement_period_ms(kHour);
  return t;
}

ct::rpb::ModelTerms model_terms(const std::vector<std::string>& who,
                                const std::vector<std::uint32_t>& bps, std::uint64_t period) {
  ct::rpb::ModelTerms t;
  t.set_name("co-op " + who.front());
  for (std::size_t i = 0; i < who.size(); ++i) {
    auto* p = t.add_parties();
    p->set_account(ct::address_for(who[i]));
    p->set_share_bps(bps[i]);
    p->set_label(who[i]);
  }
  t.set_settlement_period_ms(period);
  return t;
}

TransactionBody body_of(const ct::lpb::Call& c) {
  TransactionBody b;
  *b.mutable_ledger() = c;
  return b;
}
TransactionBody body_of(const ct::apb::Call& c) {
  TransactionBody b;
  *b.mutable_assets() = c;
  return b;
}
TransactionBody body_of(const ct::upb::Call& c) {
  TransactionBody b;
  *b.mutable_usage() = c;
  return b;
}
TransactionBody body_of(const ct::rpb::Call& c) {
  TransactionBody b;
  *b.mutable_revenue() = c;
  return b;
}
TransactionBody body_of(const ct::fpb::Call& c) {
  TransactionBody b;
  *b.mutable_financing() = c;
  return b;
}
TransactionBody body_of(const ct::vpb::Call& c) {
  TransactionBody b;
  *b.mutable_vehicles() = c;
  return b;
}
TransactionBody body_of(const ::sharechain::governance::Call& c) {
  TransactionBody b;
  *b.mutable_governance() = c;
  return b;
}

ct::apb::Call consent_call(const std::string& owner, const AssetSpec& spec,
                           const std::string& chain_id) {
  const auto key = ct::key_for(owner);
  const std::string bytes = spec.SerializeAsString();
  ct::apb::Call c;
  auto* consent = c.mutable_register_()->mutable_consent();
  consent->set_public_key(key.public_key());
  consent->set_spec(bytes);
  const crypto::Hash digest = contracts::assets::consent_digest(chain_id, bytes);
  consent->set_signature(key.sign_with_aux(digest, crypto::sha256(crypto::hash_bytes(digest))));
  return c;
}

// The objects setup leaves behind, by role.
struct Ids {
  std::string station, pile, station2, parking;
  std::string a_active, a_proposed, a_periodic;
  std::string r_access, r_unpaid, r_cancel, r_expire;
  std::string s_open, s_await, s_disputed;
  std::uint64_t await_charge = 0;
  std::uint64_t await_due = 0;
  std::string m_active, m_draft, m_periodic;
  std::string f_open, f_closable, f_done;
  std::string record_pending, transfer_offered;
};

}  // namespace

ContractWorld::ContractWorld() {
  ct::Chain chain(actors());
  chain_id_ = ct::kChainId;
  Ids ids;

  // 06:00: assets, qualifications, roles.
  chain.set_time(kDay1 + 6 * kHour);
  ids.station = id_of(must(chain.assets("investor", ct::register_call(ct::station_spec())), "station"),
                      "AssetRegistered", "asset", "station");
  ids.pile = id_of(must(chain.assets("investor", ct::register_call(ct::pile_spec())), "pile"),
                   "AssetRegistered", "asset", "pile");
  ids.station2 = id_of(
      must(chain.assets("investor", ct::register_call(named(ct::station_spec(), "Second bay"))),
           "station2"),
      "AssetRegistered", "asset", "station2");
  ids.parking = id_of(must(chain.assets("landlord", ct::register_call(ct::parking_spec())), "parking"),
                      "AssetRegistered", "asset", "parking");
  for (const char* who : {"tech", "tech2", "tech3", "tech4", "driver"}) {
    must(chain.ledger("dataserver", ct::certify_call(who, "certified_technician")), "certify");
  }
  must(chain.ledger("dataserver", ct::certify_call("driver", "forklift")), "certify forklift");
  {
    ct::lpb::Call issue;
    issue.mutable_issue()->set_to(ct::address_for("driver"));
    issue.mutable_issue()->set_amount(2'000);
    issue.mutable_issue()->set_reference("setup-cash-desk-7");
    must(chain.ledger("dataserver", issue), "issue");
  }
  {
    ct::lpb::Call grant;
    grant.mutable_grant_role()->set_account(ct::address_for("helper"));
    grant.mutable_grant_role()->set_role("data_server");
    must(chain.ledger("operator", grant), "grant helper");
  }

  // Usage agreements: the station's active one, a second only proposed, the pile's periodic one.
  ids.a_active = id_of(must(chain.usage("investor", ct::propose_call(ids.station, ct::station_terms())),
                            "propose A1"),
                       "AgreementProposed", "agreement", "propose A1");
  for (const char* p : {"equipment", "operations", "platform"}) {
    must(chain.usage(p, ct::confirm_call(ids.a_active, 1)), "confirm A1");
  }
  {
    ct::upb::Terms t = ct::station_terms();
    t.set_deposit(500);
    ids.a_proposed = id_of(must(chain.usage("investor", ct::propose_call(ids.station, t)), "propose A2"),
                           "AgreementProposed", "agreement", "propose A2");
  }
  ids.a_periodic = id_of(must(chain.usage("investor", ct::propose_call(ids.pile, pile_terms())),
                              "propose A3"),
                         "AgreementProposed", "agreement", "propose A3");
  must(chain.usage("platform", ct::confirm_call(ids.a_periodic, 1)), "confirm A3");

  // Split models: active, draft, periodic with income waiting in its pot.
  ids.m_active = id_of(must(chain.revenue("ann", [] {
                                ct::rpb::Call c;
                                *c.mutable_propose()->mutable_terms() =
                                    model_terms({"ann", "ben"}, {5'000, 5'000}, 0);
                                return c;
                              }()),
                            "propose M1"),
                       "ModelProposed", "model", "propose M1");
  {
    ct::rpb::Call c;
    c.mutable_confirm()->set_model_id(ids.m_active);
    c.mutable_confirm()->set_version(1);
    must(chain.revenue("ben", c), "confirm M1");
  }
  ids.m_draft = id_of(must(chain.revenue("ann", [] {
                               ct::rpb::Call c;
                               *c.mutable_propose()->mutable_terms() =
                                   model_terms({"ann", "ben", "carl"}, {3'334, 3'333, 3'333}, 0);
                               return c;
                             }()),
                           "propose M2"),
                      "ModelProposed", "model", "propose M2");
  ids.m_periodic = id_of(must(chain.revenue("ann", [] {
                                  ct::rpb::Call c;
                                  *c.mutable_propose()->mutable_terms() =
                                      model_terms({"ann", "carl"}, {5'000, 5'000}, kHour);
                                  return c;
                                }()),
                              "propose M3"),
                         "ModelProposed", "model", "propose M3");
  {
    ct::rpb::Call c;
    c.mutable_confirm()->set_model_id(ids.m_periodic);
    c.mutable_confirm()->set_version(1);
    must(chain.revenue("carl", c), "confirm M3");
    ct::rpb::Call route;
    route.mutable_route()->set_model_id(ids.m_periodic);
    route.mutable_route()->set_amount(10'000);
    route.mutable_route()->set_memo("march rent");
    must(chain.revenue("payer", route), "route M3");
  }

  // Financing: an open round on the station, a round on the pile whose deadline passes before
  // the end of setup, and an ended one on the second station.
  const std::uint64_t now = chain.time_ms();
  ids.f_open = id_of(must(chain.financing("investor", ct::offer_call(ids.station,
                                                                    ct::financing_terms(
                                                                        100'000, 50'000, 2'000,
                                                                        1'000, kDay1 + 30 * kDay,
                                                                        kDay1 + 395 * kDay))),
                          "offer F1"),
                     "FinancingOffered", "financing", "offer F1");
  must(chain.financing("financier1", ct::subscribe_call(ids.f_open, 20'000)), "subscribe F1");
  ids.f_closable = id_of(must(chain.financing("investor", ct::offer_call(ids.pile,
                                                                        ct::financing_terms(
                                                                            40'000, 20'000, 1'500,
                                                                            1'000, kDay1 + 11 * kHour,
                                                                            kDay1 + 60 * kDay))),
                              "offer F2"),
                         "FinancingOffered", "financing", "offer F2");
  must(chain.financing("financier2", ct::subscribe_call(ids.f_closable, 30'000)), "subscribe F2");
  ids.f_done = id_of(must(chain.financing("investor", ct::offer_call(ids.station2,
                                                                    ct::financing_terms(
                                                                        10'000, 0, 1'000, 0,
                                                                        now + 30 * kMinute,
                                                                        now + kHour))),
                          "offer F3"),
                     "FinancingOffered", "financing", "offer F3");
  must(chain.financing("financier1", ct::subscribe_call(ids.f_done, 10'000)), "subscribe F3");

  // Vehicles: two registered owners, a pending inspection, a transfer awaiting acceptance.
  auto attest = [&](const std::string& record, const std::string& step) {
    for (const char* a : {"a2", "a3", "a4"}) must(chain.vehicles(a, ct::endorse_call(record, true)), step);
  };
  attest(id_of(must(chain.vehicles("a1", ct::submit_call(kVin1, ct::vpb::REGISTRATION, 1'000, 0, "ben")),
                    "register V1"),
               "RecordSubmitted", "record", "register V1"),
         "attest V1");
  attest(id_of(must(chain.vehicles("a1", ct::submit_call(kVin2, ct::vpb::REGISTRATION, 500, 0, "carl")),
                    "register V2"),
               "RecordSubmitted", "record", "register V2"),
         "attest V2");
  ids.transfer_offered =
      id_of(must(chain.vehicles("carl", ct::offer_transfer_call(kVin2, "ann", 800)), "offer V2"),
            "RecordSubmitted", "record", "offer V2");
  ids.record_pending =
      id_of(must(chain.vehicles("a1", ct::submit_call(kVin1, ct::vpb::INSPECTION, 12'000)),
                 "inspect V1"),
            "RecordSubmitted", "record", "inspect V1");

  // Reservations on the station (one bay: the windows never overlap) and the pile.
  auto reserve = [&](const std::string& who, const std::string& agreement, std::uint64_t start,
                     std::uint64_t end, const std::vector<std::string>& items,
                     const std::string& user, const std::string& step) {
    return id_of(must(chain.usage(who, ct::reserve_call(agreement, start, end, items, user)), step),
                 "Reserved", "reservation", step);
  };
  const std::uint64_t d = kDay1;
  const std::string r_pile = reserve("ev1", ids.a_periodic, d + 8 * kHour, d + 8 * kHour + 30 * kMinute,
                                     {"dc"}, "", "reserve pile");
  const std::string r_disputed = reserve("tech4", ids.a_active, d + 9 * kHour,
                                         d + 9 * kHour + 30 * kMinute, {"lift", "diagnostic"}, "",
                                         "reserve disputed");
  const std::string r_await = reserve("tech3", ids.a_active, d + 9 * kHour + 30 * kMinute,
                                      d + 10 * kHour, {"lift"}, "", "reserve await");
  const std::string r_open = reserve("tech2", ids.a_active, d + 10 * kHour,
                                     d + 10 * kHour + 30 * kMinute, {"lift"}, "", "reserve open");
  ids.r_expire = reserve("driver", ids.a_active, d + 10 * kHour + 30 * kMinute, d + 11 * kHour,
                         {"lift"}, "", "reserve expire");
  ids.r_access = reserve("tech", ids.a_active, d + 12 * kHour + 30 * kMinute, d + 13 * kHour,
                         {"lift", "diagnostic"}, "", "reserve access");
  ids.r_unpaid = reserve("dataserver", ids.a_active, d + 13 * kHour, d + 13 * kHour + 30 * kMinute,
                         {"lift"}, "tech", "reserve unpaid");
  ids.r_cancel = reserve("tech", ids.a_active, d + 14 * kHour, d + 15 * kHour, {"lift"}, "",
                         "reserve cancel");

  // 08:00 the pile: charged, metered, paid; the income waits in the periodic pot.
  chain.set_time(d + 8 * kHour);
  const std::string s_pile = id_of(
      must(chain.usage("ev1", ct::access_call(r_pile, "", ct::upb::BY_ENERGY, 20'000)), "pile access"),
      "AccessGranted", "session", "pile access");
  chain.set_time(d + 8 * kHour + 20 * kMinute);
  must(chain.usage("dataserver", ct::end_call(s_pile, ct::upb::END_NORMAL, {{"dc", 0, 10'000}})),
       "pile end");
  must(chain.usage("ev1", ct::pay_call(s_pile)), "pile pay");

  // 09:00 a session that ends, is disputed and waits for a resolution.
  chain.set_time(d + 9 * kHour);
  ids.s_disputed = id_of(must(chain.usage("tech4", ct::access_call(r_disputed, kVin1)), "access disputed"),
                         "AccessGranted", "session", "access disputed");
  chain.set_time(d + 9 * kHour + 20 * kMinute);
  must(chain.usage("dataserver", ct::end_call(ids.s_disputed, ct::upb::END_NORMAL,
                                              {{"lift", 20, 0}, {"diagnostic", 0, 0}})),
       "end disputed");
  must(chain.usage("tech4", ct::dispute_call(ids.s_disputed, "the lift stalled twice")), "dispute");

  // 09:30 a session awaiting payment.
  chain.set_time(d + 9 * kHour + 30 * kMinute);
  ids.s_await = id_of(must(chain.usage("tech3", ct::access_call(r_await)), "access await"),
                      "AccessGranted", "session", "access await");
  chain.set_time(d + 9 * kHour + 50 * kMinute);
  {
    const Receipt ended = must(
        chain.usage("dataserver", ct::end_call(ids.s_await, ct::upb::END_NORMAL, {{"lift", 10, 0}})),
        "end await");
    const ct::upb::Session s = ct::session_of(chain, ids.s_await);
    ids.await_charge = s.charge();
    ids.await_due = s.payment_due_at_ms();
    (void)ended;
  }

  // 10:00 a session still open.
  chain.set_time(d + 10 * kHour);
  ids.s_open = id_of(must(chain.usage("tech2", ct::access_call(r_open, kVin2)), "access open"),
                     "AccessGranted", "session", "access open");

  // Setup ends at 12:00; the block of a fuzzed input comes after it.
  chain.set_time(d + 12 * kHour);
  state_ = chain.state();
  height_ = chain.height();
  end_ms_ = chain.time_ms();
  for (const auto& a : actors()) addresses_.push_back(ct::address_for(a.name));

  // --- the catalogue of actions -----------------------------------------------------------
  auto slot_at = [&](std::uint64_t t) {
    const std::uint64_t s = (t - end_ms_ + kSlotMs - 1) / kSlotMs;
    if (t < end_ms_ || s > 255) setup_failed("no slot reaches time " + std::to_string(t));
    return static_cast<std::uint8_t>(s);
  };
  auto add = [&](const std::string& name, const std::string& who, TransactionBody body,
                 std::uint8_t slot = 0) {
    body.set_chain_id(chain_id_);
    body.set_sender(ct::address_for(who));
    actions_.push_back(WorldAction{name, who, std::move(body), slot});
  };

  // ledger
  add("ledger.transfer", "driver", body_of(ct::transfer_call("tech", 150)));
  {
    ct::lpb::Call c;
    c.mutable_issue()->set_to(ct::address_for("driver"));
    c.mutable_issue()->set_amount(5'000);
    c.mutable_issue()->set_reference("bank-transfer-20231115-001");
    c.mutable_issue()->set_memo("top-up");
    add("ledger.issue", "dataserver", body_of(c));
  }
  {
    ct::lpb::Call c;
    c.mutable_grant_role()->set_account(ct::address_for("newbie"));
    c.mutable_grant_role()->set_role("attester");
    c.mutable_grant_role()->set_organisation("Fuzz Inspections");
    add("ledger.grant_role", "operator", body_of(c));
  }
  {
    ct::lpb::Call c;
    c.mutable_revoke_role()->set_account(ct::address_for("helper"));
    c.mutable_revoke_role()->set_role("data_server");
    add("ledger.revoke_role", "operator", body_of(c));
  }
  {
    ct::lpb::Call c = ct::certify_call("ev1", "certified_technician");
    c.mutable_certify()->set_expires_at_ms(end_ms_ + 365 * kDay);
    c.mutable_certify()->set_evidence_hash(std::string(32, '\x11'));
    add("ledger.certify", "dataserver", body_of(c));
  }
  {
    ct::lpb::Call c;
    c.mutable_decertify()->set_account(ct::address_for("driver"));
    c.mutable_decertify()->set_qualification("forklift");
    add("ledger.decertify", "dataserver", body_of(c));
  }

  // assets
  add("assets.register", "landlord", body_of(ct::register_call(named(ct::parking_spec(), "Space 15"))));
  add("assets.register_consent", "dataserver",
      body_of(consent_call("landlord", named(ct::parking_spec(), "Space 16"), chain_id_)));
  add("assets.verify_ownership", "dataserver", body_of(ct::verify_call(ids.parking)));
  {
    ct::apb::Call c;
    c.mutable_transfer()->set_asset_id(ids.parking);
    c.mutable_transfer()->set_new_owner(ct::address_for("ben"));
    add("assets.transfer", "landlord", body_of(c));
  }
  {
    ct::apb::Call c;
    c.mutable_retire()->set_asset_id(ids.parking);
    c.mutable_retire()->set_reason("sold to the city");
    add("assets.retire", "landlord", body_of(c));
  }

  // usage
  add("usage.propose", "investor", body_of(ct::propose_call(ids.station2, ct::station_terms())));
  {
    ct::upb::Terms t = ct::station_terms();
    t.set_deposit(750);
    add("usage.amend", "investor", body_of(ct::amend_call(ids.a_proposed, 1, t)));
  }
  add("usage.confirm", "equipment", body_of(ct::confirm_call(ids.a_proposed, 1)));
  add("usage.suspend", "equipment", body_of(ct::suspend_call(ids.a_active, "lift inspection")));
  add("usage.terminate", "investor", body_of(ct::terminate_call(ids.a_periodic)));
  add("usage.settle", "platform", body_of(ct::settle_call(ids.a_periodic)));
  add("usage.reserve", "tech",
      body_of(ct::reserve_call(ids.a_active, d + 16 * kHour, d + 16 * kHour + 30 * kMinute, {"lift"})));
  add("usage.reserve_for_user", "dataserver",
      body_of(ct::reserve_call(ids.a_active, d + 17 * kHour, d + 18 * kHour, {"lift", "diagnostic"},
                               "driver")));
  add("usage.pay_deposit", "tech", body_of(ct::pay_deposit_call(ids.r_unpaid)));
  add("usage.cancel", "tech", body_of(ct::cancel_call(ids.r_cancel)));
  add("usage.expire", "ann", body_of(ct::expire_call(ids.r_expire)));
  add("usage.access", "tech", body_of(ct::access_call(ids.r_access, kVin1)),
      slot_at(d + 12 * kHour + 30 * kMinute));
  add("usage.end_session", "dataserver",
      body_of(ct::end_call(ids.s_open, ct::upb::END_NORMAL, {{"lift", 25, 0}})), slot_at(d + 12 * kHour));
  add("usage.end_by_user", "tech2", body_of(ct::end_call(ids.s_open, ct::upb::END_BY_USER, {})));
  add("usage.pay", "tech3", body_of(ct::pay_call(ids.s_await)));
  add("usage.record_payment", "dataserver",
      body_of(ct::record_call(ids.s_await, "card-20231115-42", ids.await_charge)));
  add("usage.report_overdue", "ann", body_of(ct::overdue_call(ids.s_await)),
      slot_at(ids.await_due + 1));
  add("usage.dispute", "tech3", body_of(ct::dispute_call(ids.s_await, "charged for unused minutes")));
  add("usage.resolve_dispute", "dataserver",
      body_of(ct::resolve_call(ids.s_disputed, "tech4", true, 300)));

  // revenue
  {
    ct::rpb::Call c;
    *c.mutable_propose()->mutable_terms() = model_terms({"ann", "carl"}, {7'000, 3'000}, 0);
    add("revenue.propose", "ann", body_of(c));
  }
  {
    ct::rpb::Call c;
    c.mutable_edit()->set_model_id(ids.m_draft);
    c.mutable_edit()->set_base_version(1);
    *c.mutable_edit()->mutable_terms() = model_terms({"ann", "ben", "carl"}, {5'000, 2'500, 2'500}, 0);
    c.mutable_edit()->set_note("ann takes on the bookkeeping");
    add("revenue.edit", "ann", body_of(c));
  }
  {
    ct::rpb::Call c;
    c.mutable_confirm()->set_model_id(ids.m_draft);
    c.mutable_confirm()->set_version(1);
    add("revenue.confirm", "ben", body_of(c));
  }
  {
    ct::rpb::Call c;
    c.mutable_route()->set_model_id(ids.m_active);
    c.mutable_route()->set_amount(1'001);
    c.mutable_route()->set_memo("workshop rent");
    add("revenue.route", "payer", body_of(c));
  }
  {
    ct::rpb::Call c;
    c.mutable_settle()->set_model_id(ids.m_periodic);
    add("revenue.settle", "ann", body_of(c));
  }

  // financing
  add("financing.offer", "landlord",
      body_of(ct::offer_call(ids.parking, ct::financing_terms(20'000, 5'000, 2'500, 500,
                                                             end_ms_ + 20 * kDay,
                                                             end_ms_ + 200 * kDay))));
  add("financing.subscribe", "financier2", body_of(ct::subscribe_call(ids.f_open, 10'000)));
  add("financing.withdraw", "financier1", body_of(ct::withdraw_call(ids.f_open)));
  add("financing.close_round", "ann", body_of(ct::close_round_call(ids.f_closable)));
  add("financing.cancel", "investor", body_of(ct::cancel_offer_call(ids.f_open)));
  add("financing.complete", "ann", body_of(ct::complete_call(ids.f_done)));

  // vehicles
  {
    ct::vpb::Call c = ct::submit_call(kVin1, ct::vpb::ACCIDENT, 12'500, end_ms_ - kHour);
    auto* detail = c.mutable_submit()->add_details();
    detail->set_key("damage");
    detail->set_value("rear bumper");
    add("vehicles.submit", "a2", body_of(c));
  }
  add("vehicles.endorse", "a2", body_of(ct::endorse_call(ids.record_pending, true)));
  add("vehicles.offer_transfer", "ben", body_of(ct::offer_transfer_call(kVin1, "ann", 12'100)));
  add("vehicles.accept_transfer", "ann", body_of(ct::accept_transfer_call(ids.transfer_offered)));
  add("vehicles.cancel_transfer", "carl", body_of(ct::cancel_transfer_call(ids.transfer_offered)));

  // governance (this world's genesis names no committee: the operator acts alone, so each
  // proposal executes at once; the fuzzer reaches approvals by mutating these calls)
  {
    ::sharechain::governance::Call c;
    auto* g = c.mutable_propose()->mutable_action()->mutable_grant_role();
    g->set_account(ct::address_for("newbie"));
    g->set_role("data_server");
    add("governance.propose_grant", "operator", body_of(c));
  }
  {
    ::sharechain::governance::Call c;
    auto* p = c.mutable_propose()->mutable_action()->mutable_set_parameter();
    p->set_name("attestation_threshold");
    p->set_value(2);
    add("governance.propose_parameter", "operator", body_of(c));
  }
  {
    ::sharechain::governance::Call c;
    auto* m = c.mutable_propose()->mutable_action()->mutable_set_committee();
    m->add_members(ct::address_for("operator"));
    m->add_members(ct::address_for("ann"));
    m->set_threshold(2);
    add("governance.propose_committee", "operator", body_of(c));
  }

  // --- the catalogue of queries -----------------------------------------------------------
  auto q = [&](const std::string& name, auto fill) {
    api::QueryRequest r;
    fill(r);
    queries_.push_back(WorldQuery{name, std::move(r)});
  };
  const std::string tech = ct::address_for("tech");
  q("ledger.account", [&](auto& r) { r.mutable_ledger()->mutable_account()->set_address(tech); });
  q("ledger.role_holders", [&](auto& r) { r.mutable_ledger()->mutable_role_holders()->set_role("attester"); });
  q("ledger.issue", [&](auto& r) { r.mutable_ledger()->mutable_issue()->set_reference("setup-cash-desk-7"); });
  q("ledger.supply", [&](auto& r) { r.mutable_ledger()->mutable_supply(); });
  q("ledger.holds", [&](auto& r) { r.mutable_ledger()->mutable_holds()->set_owner(tech); });
  q("ledger.validators", [&](auto& r) { r.mutable_ledger()->mutable_validators(); });
  q("assets.asset", [&](auto& r) { r.mutable_assets()->mutable_asset()->set_asset_id(ids.station); });
  q("assets.history", [&](auto& r) { r.mutable_assets()->mutable_history()->set_asset_id(ids.pile); });
  q("assets.of_owner", [&](auto& r) {
    r.mutable_assets()->mutable_of_owner()->set_owner(ct::address_for("investor"));
  });
  q("usage.agreement", [&](auto& r) { r.mutable_usage()->mutable_agreement()->set_agreement_id(ids.a_active); });
  q("usage.agreements_of_asset", [&](auto& r) {
    r.mutable_usage()->mutable_agreements_of_asset()->set_asset_id(ids.station);
  });
  q("usage.reservation", [&](auto& r) {
    r.mutable_usage()->mutable_reservation()->set_reservation_id(ids.r_access);
  });
  q("usage.reservations_of_asset", [&](auto& r) {
    r.mutable_usage()->mutable_reservations_of_asset()->set_asset_id(ids.station);
  });
  q("usage.session", [&](auto& r) { r.mutable_usage()->mutable_session()->set_session_id(ids.s_await); });
  q("usage.sessions_of_user", [&](auto& r) {
    r.mutable_usage()->mutable_sessions_of_user()->set_user(ct::address_for("tech3"));
  });
  q("usage.unsettled_of_user", [&](auto& r) {
    r.mutable_usage()->mutable_unsettled_of_user()->set_user(ct::address_for("tech2"));
  });
  q("usage.vehicle_sessions", [&](auto& r) { r.mutable_usage()->mutable_vehicle_sessions()->set_vin(kVin1); });
  q("revenue.model", [&](auto& r) { r.mutable_revenue()->mutable_model()->set_model_id(ids.m_periodic); });
  q("revenue.income", [&](auto& r) {
    r.mutable_revenue()->mutable_income()->set_party(ct::address_for("investor"));
    r.mutable_revenue()->mutable_income()->set_limit(10);
  });
  q("revenue.credit_score", [&](auto& r) {
    r.mutable_revenue()->mutable_credit_score()->set_party(ct::address_for("ev1"));
  });
  q("revenue.preview_split", [&](auto& r) {
    r.mutable_revenue()->mutable_preview_split()->set_amount(950);
    for (std::uint32_t s : {5'000u, 4'000u, 500u, 500u}) r.mutable_revenue()->mutable_preview_split()->add_shares_bps(s);
  });
  q("financing.asset_return", [&](auto& r) {
    r.mutable_financing()->mutable_asset_return()->set_asset_id(ids.pile);
  });
  q("financing.financing", [&](auto& r) {
    r.mutable_financing()->mutable_financing()->set_financing_id(ids.f_open);
  });
  q("financing.of_asset", [&](auto& r) { r.mutable_financing()->mutable_of_asset()->set_asset_id(ids.station); });
  q("financing.of_financier", [&](auto& r) {
    r.mutable_financing()->mutable_of_financier()->set_financier(ct::address_for("financier1"));
  });
  q("financing.project", [&](auto& r) {
    r.mutable_financing()->mutable_project()->set_financing_id(ids.f_open);
    r.mutable_financing()->mutable_project()->set_amount(10'000);
  });
  q("financing.financier", [&](auto& r) {
    r.mutable_financing()->mutable_financier()->set_financing_id(ids.f_done);
    r.mutable_financing()->mutable_financier()->set_financier(ct::address_for("financier1"));
  });
  q("vehicles.vehicle", [&](auto& r) { r.mutable_vehicles()->mutable_vehicle()->set_vin(kVin1); });
  q("vehicles.record", [&](auto& r) { r.mutable_vehicles()->mutable_record()->set_record_id(ids.transfer_offered); });
  q("vehicles.records", [&](auto& r) { r.mutable_vehicles()->mutable_records()->set_vin(kVin2); });
  q("vehicles.pending", [&](auto& r) { r.mutable_vehicles()->mutable_pending()->set_limit(5); });
  q("vehicles.report", [&](auto& r) { r.mutable_vehicles()->mutable_report()->set_vin(kVin1); });
  q("vehicles.of_owner", [&](auto& r) { r.mutable_vehicles()->mutable_of_owner()->set_owner(ct::address_for("carl")); });
  q("governance.committee", [&](auto& r) { r.mutable_governance()->mutable_committee(); });
  q("governance.proposal", [&](auto& r) { r.mutable_governance()->mutable_proposal()->set_id(1); });
  q("governance.proposals", [&](auto& r) { r.mutable_governance()->mutable_proposals()->set_limit(10); });
}

const ContractWorld& contract_world() {
  static const ContractWorld* world = new ContractWorld();
  return *world;
}

tx::VerifiedTransaction as_verified(const TransactionBody& body, const std::string& sender20) {
  tx::VerifiedTransaction v;
  v.body = body;
  body.SerializeToString(v.signed_tx.mutable_body());
  v.hash = tx::hash_of(v.signed_tx);
  v.sender = sender20;
  return v;
}

SignedTransaction sign_deterministic(const TransactionBody& body, const std::string& who) {
  const crypto::PrivateKey key = ct::key_for(who);
  SignedTransaction tx;
  body.SerializeToString(tx.mutable_body());
  tx.set_public_key(key.public_key());
  const crypto::Hash digest = tx::signing_hash(tx.body());
  tx.set_signature(key.sign_with_aux(digest, crypto::sha256(tx.body())));
  return tx;
}

contracts::BlockResult execute_on(const contracts::StateReader& state, const ContractWorld& world,
                                  std::uint8_t slot,
                                  const std::vector<tx::VerifiedTransaction>& txs) {
  contracts::BlockContext ctx{world.chain_id(), world.height() + 1, world.block_time(slot), 0};
  return contracts::execute_block(state, ctx, txs);
}

std::vector<api::QueryRequest> queries_for_events(const std::vector<Receipt>& receipts) {
  std::set<std::pair<std::string, std::string>> seen;
  std::vector<api::QueryRequest> out;
  for (const Receipt& r : receipts) {
    for (const Event& e : r.events()) {
      for (const Attribute& a : e.attributes()) {
        if (!seen.emplace(a.key(), a.value()).second) continue;
        api::QueryRequest q;
        if (a.key() == "vin") {
          q.mutable_vehicles()->mutable_report()->set_vin(a.value());
          out.push_back(q);
          q.mutable_usage()->mutable_vehicle_sessions()->set_vin(a.value());
          out.push_back(q);
          continue;
        }
        const auto raw = crypto::from_hex(a.value());
        if (!raw || raw->size() != 16) continue;
        if (a.key() == "asset") {
          q.mutable_assets()->mutable_history()->set_asset_id(*raw);
          out.push_back(q);
          q.mutable_financing()->mutable_asset_return()->set_asset_id(*raw);
        } else if (a.key() == "agreement") {
          q.mutable_usage()->mutable_agreement()->set_agreement_id(*raw);
        } else if (a.key() == "reservation") {
          q.mutable_usage()->mutable_reservation()->set_reservation_id(*raw);
        } else if (a.key() == "session") {
          q.mutable_usage()->mutable_session()->set_session_id(*raw);
        } else if (a.key() == "model") {
          q.mutable_revenue()->mutable_model()->set_model_id(*raw);
        } else if (a.key() == "financing") {
          q.mutable_financing()->mutable_financing()->set_financing_id(*raw);
        } else if (a.key() == "record") {
          q.mutable_vehicles()->mutable_record()->set_record_id(*raw);
        } else {
          continue;
        }
        out.push_back(q);
      }
    }
  }
  return out;
}

}  // namespace sharechain::fuzz
