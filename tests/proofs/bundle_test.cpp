// Proof bundle files: a transaction bundle verifies; changing any value anywhere in it (a fact,
// a path, a header, a certificate, the validator set, a count or index) makes it fail rather
// than prove something else; another genesis fails; a file that is not a bundle is unreadable.
// Vehicle-report facts follow from the contract's events, and refuse proofs about another
// vehicle or endorsements without their submission. Revenue-statement facts: the asset's
// agreements and their income splits inside the period, with totals per partner; a period is a
// UTC month or year; a transaction that is neither is refused.
#include <catch2/catch.hpp>

#include "json_tamper.hpp"
#include "mini_chain.hpp"
#include "proofs/bundle.hpp"

namespace sharechain::proofs {
namespace {

using testing::changed;
using testing::leaves;
using testing::MiniChain;

std::string transaction_bundle(MiniChain& chain, std::uint32_t which) {
  const api::TransactionProof proof = chain.proof(which);
  auto proven = verify_transaction_proof(proof, chain.trust());
  REQUIRE(proven);
  return make_bundle(kKindTransaction, chain.trust(), transaction_facts(*proven), {proof}).dump(2);
}

TEST_CASE("a transaction bundle verifies and states its facts") {
  MiniChain chain;
  const std::string text = transaction_bundle(chain, 1);
  const BundleVerdict v = verify_bundle(text, chain.trust());
  INFO(v.reason);
  REQUIRE(v.outcome == BundleVerdict::Outcome::kProven);
  CHECK(v.kind == "transaction");
  CHECK(v.facts["height"] == 5);
  CHECK(v.facts["index"] == 1);
  CHECK(v.facts["tx_hash"] == crypto::to_hex(chain.tx_hashes()[1]));
  CHECK(v.facts["transaction"]["call"]["contract"] == "ledger");
  REQUIRE(v.proven.size() == 1);
  CHECK(v.proven[0].anchor_height == 7);
}

TEST_CASE("changing any value of a bundle makes it fail, never prove") {
  MiniChain chain;
  const Json bundle = Json::parse(transaction_bundle(chain, 0));
  std::vector<Json::json_pointer> all;
  leaves(bundle, Json::json_pointer(), all);
  REQUIRE(all.size() > 40);
  std::size_t checked = 0;
  for (const auto& at : all) {
    // The format and version say what the file is: changing them makes it unreadable (exit 2).
    if (at.to_string() == "/format" || at.to_string() == "/version") continue;
    Json tampered = bundle;
    tampered[at] = changed(bundle[at]);
    const BundleVerdict v = verify_bundle(tampered.dump(), chain.trust());
    INFO(at.to_string() << ": " << v.reason);
    CHECK(v.outcome == BundleVerdict::Outcome::kFailed);
    CHECK_FALSE(v.reason.empty());
    ++checked;
  }
  CHECK(checked + 2 == all.size());

  SECTION("reasons name the part") {
    auto reason = [&](const std::string& pointer) {
      Json tampered = bundle;
      const Json::json_pointer at(pointer);
      tampered[at] = changed(bundle[at]);
      return verify_bundle(tampered.dump(), chain.trust()).reason;
    };
    CHECK(reason("/facts/receipt/events/0/name").find("facts") != std::string::npos);
    CHECK(reason("/proofs/0/transaction_path/0").find("transaction path") != std::string::npos);
    CHECK(reason("/proofs/0/block/certificate/votes/2/signature").find("block certificate") != std::string::npos);
    CHECK(reason("/proofs/0/anchor/header").find("anchor") != std::string::npos);
    CHECK(reason("/validator_sets/0/validators/3/public_key").find("validator set") != std::string::npos);
    CHECK(reason("/proofs/0/links/0/receipts_root").find("history") != std::string::npos);
  }
}

TEST_CASE("a bundle checked against another genesis fails") {
  MiniChain chain;
  const std::string text = transaction_bundle(chain, 3);
  Trust other = chain.trust();
  other.genesis_hash = crypto::hash_bytes(crypto::sha256("another genesis"));
  BundleVerdict v = verify_bundle(text, other);
  CHECK(v.outcome == BundleVerdict::Outcome::kFailed);
  CHECK(v.reason.find("genesis") != std::string::npos);
  other = chain.trust();
  other.chain_id = "another-chain";
  v = verify_bundle(text, other);
  CHECK(v.outcome == BundleVerdict::Outcome::kFailed);
  CHECK(v.reason.find("chain") != std::string::npos);
}

TEST_CASE("a file that is not a bundle is unreadable, not failed") {
  MiniChain chain;
  CHECK(verify_bundle("", chain.trust()).outcome == BundleVerdict::Outcome::kUnreadable);
  CHECK(verify_bundle("{\"format\": \"something-else\"}", chain.trust()).outcome ==
        BundleVerdict::Outcome::kUnreadable);
  Json j = Json::parse(transaction_bundle(chain, 0));
  j["version"] = 99;
  CHECK(verify_bundle(j.dump(), chain.trust()).outcome == BundleVerdict::Outcome::kUnreadable);
  j = Json::parse(transaction_bundle(chain, 0));
  j["proofs"] = Json::array();
  CHECK(verify_bundle(j.dump(), chain.trust()).outcome == BundleVerdict::Outcome::kFailed);
  // A byte-order mark in front of a good bundle: unreadable, as the Python SDK and the
  // explorer's page say too.
  const std::string good = transaction_bundle(chain, 0);
  REQUIRE(verify_bundle(good, chain.trust()).outcome == BundleVerdict::Outcome::kProven);
  const BundleVerdict bom = verify_bundle("\xEF\xBB\xBF" + good, chain.trust());
  CHECK(bom.outcome == BundleVerdict::Outcome::kUnreadable);
  CHECK_THAT(bom.reason, Catch::Contains("byte-order mark"));
}

// --- vehicle reports ------------------------------------------------------------------------

Event vehicle_event(const std::string& name, std::vector<std::pair<std::string, std::string>> attrs) {
  Event e;
  e.set_contract("vehicles");
  e.set_name(name);
  for (auto& [k, v] : attrs) {
    Attribute* a = e.add_attributes();
    a->set_key(k);
    a->set_value(v);
    if (!v.empty() && v.find_first_not_of("0123456789") == std::string::npos) a->set_number(std::stoull(v));
  }
  return e;
}

ProvenTransaction vehicle_tx(std::uint64_t height, char sender, std::vector<Event> events) {
  ProvenTransaction p;
  p.height = height;
  p.tx_hash = crypto::sha256("tx at " + std::to_string(height));
  p.sender = std::string(20, sender);
  for (Event& e : events) *p.receipt.add_events() = std::move(e);
  return p;
}

TEST_CASE("vehicle-report facts follow from the contract's events") {
  const std::string vin = "1HGCM82633A004352";
  std::vector<ProvenTransaction> txs;
  txs.push_back(vehicle_tx(10, 'a', {vehicle_event("RecordSubmitted", {{"record", "r1"}, {"vin", vin},
                                                                       {"kind", "ACCIDENT"}, {"organisation", "Garage"},
                                                                       {"status", "PENDING"}, {"threshold", "2"}})}));
  txs.push_back(vehicle_tx(11, 'b', {vehicle_event("RecordEndorsed", {{"record", "r1"}, {"vin", vin},
                                                                      {"attester", "scbb"}, {"organisation", "Insurer"},
                                                                      {"verdict", "TRUE"}})}));
  txs.push_back(vehicle_tx(12, 'c', {vehicle_event("RecordEndorsed", {{"record", "r1"}, {"vin", vin},
                                                                      {"attester", "sccc"}, {"organisation", "Police"},
                                                                      {"verdict", "TRUE"}}),
                                     vehicle_event("RecordAttested", {{"record", "r1"}, {"vin", vin}, {"true", "2"},
                                                                      {"false", "0"}, {"threshold", "2"}})}));
  auto facts = derive_facts(kKindVehicleReport, Json{{"vin", vin}}, txs);
  REQUIRE(facts);
  const Json& r = (*facts)["records"][0];
  CHECK((*facts)["vin"] == vin);
  CHECK(r["kind"] == "ACCIDENT");
  CHECK(r["organisation"] == "Garage");
  CHECK(r["status"] == "ATTESTED");
  CHECK(r["threshold_met"] == true);
  CHECK(r["decided_height"] == 12);
  REQUIRE(r["endorsements"].size() == 2);
  CHECK(r["endorsements"][1]["organisation"] == "Police");

  SECTION("a transaction about another vehicle is refused") {
    txs.push_back(vehicle_tx(13, 'd', {vehicle_event("RecordSubmitted", {{"record", "r2"}, {"vin", "OTHERVIN"}})}));
    auto other = derive_facts(kKindVehicleReport, Json{{"vin", vin}}, txs);
    REQUIRE_FALSE(other);
    CHECK(other.status().message().find("not about vehicle") != std::string::npos);
  }
  SECTION("endorsements without the submission they endorse are refused") {
    txs.erase(txs.begin());
    auto partial = derive_facts(kKindVehicleReport, Json{{"vin", vin}}, txs);
    REQUIRE_FALSE(partial);
    CHECK(partial.status().message().find("submission") != std::string::npos);
  }
}

// --- revenue statements ----------------------------------------------------------------------

Event typed_event(const std::string& contract, const std::string& name,
                  std::vector<std::pair<std::string, std::string>> attrs) {
  Event e = vehicle_event(name, std::move(attrs));
  e.set_contract(contract);
  return e;
}

ProvenTransaction at_time(ProvenTransaction p, std::uint64_t timestamp_ms) {
  p.timestamp_ms = timestamp_ms;
  return p;
}

TEST_CASE("revenue periods are UTC months or years") {
  auto month = revenue_subject("ab01", "2026-12");
  REQUIRE(month);
  CHECK((*month)["from_ms"] == 1'796'083'200'000ULL);  // 2026-12-01T00:00:00Z
  CHECK((*month)["to_ms"] == 1'798'761'600'000ULL);    // 2027-01-01T00:00:00Z
  auto feb = revenue_subject("ab01", "2024-02");
  REQUIRE(feb);
  CHECK((*feb)["to_ms"].get<std::uint64_t>() - (*feb)["from_ms"].get<std::uint64_t>() == 29ULL * 86'400'000ULL);
  auto year = revenue_subject("ab01", "2026");
  REQUIRE(year);
  CHECK((*year)["from_ms"] == 1'767'225'600'000ULL);  // 2026-01-01
  for (const char* bad : {"2026-13", "2026-00", "26-12", "2026/12", "december", "1969-12"}) {
    INFO(bad);
    CHECK_FALSE(revenue_subject("ab01", bad));
  }
  CHECK_FALSE(revenue_subject("AB01", "2026-12"));
  CHECK_FALSE(revenue_subject("", "2026-12"));
}

TEST_CASE("revenue-statement facts: the asset's agreements and their splits in the period") {
  const std::string asset = "a55e7000";
  const Json subject = *revenue_subject(asset, "2026-12");
  const std::uint64_t dec = 1'796'083'200'000ULL, nov = dec - 86'400'000ULL;
  std::vector<ProvenTransaction> txs;
  txs.push_back(at_time(vehicle_tx(3, 'o', {typed_event("usage", "AgreementProposed",
                                                        {{"agreement", "ag01"}, {"asset", asset}})}),
                        nov));
  auto split = [&](std::uint64_t height, std::uint64_t when, const std::string& amount,
                   std::vector<std::pair<std::string, std::string>> parts) {
    std::vector<Event> events{typed_event("revenue", "IncomeSplit",
                                          {{"source_kind", "agreement"}, {"source", "ag01"}, {"amount", amount}})};
    for (auto& [party, part] : parts) {
      events.push_back(typed_event("revenue", "RevenueDistributed",
                                   {{"source", "ag01"}, {"party", party}, {"paid_to", party}, {"amount", part},
                                    {"share_bps", "5000"}}));
    }
    return at_time(vehicle_tx(height, 'd', std::move(events)), when);
  };
  txs.push_back(split(7, dec + 1000, "1001", {{"scp1", "501"}, {"scp2", "500"}}));
  txs.push_back(split(9, dec + 2000, "300", {{"scp1", "150"}, {"scp2", "150"}}));
  auto facts = derive_facts(kKindRevenueStatement, subject, txs);
  INFO((facts ? facts->dump(2) : facts.status().message()));
  REQUIRE(facts);
  CHECK((*facts)["asset"] == asset);
  CHECK((*facts)["agreements"].size() == 1);
  REQUIRE((*facts)["payments"].size() == 2);
  CHECK((*facts)["payments"][0]["amount"] == 1001);
  CHECK((*facts)["payments"][0]["parts_sum"] == 1001);
  CHECK((*facts)["payments"][0]["parts"][1]["party"] == "scp2");
  CHECK((*facts)["income"] == 1301);
  CHECK((*facts)["by_party"][0] == Json{{"party", "scp1"}, {"amount", 651}});
  CHECK((*facts)["by_party"][1] == Json{{"party", "scp2"}, {"amount", 650}});

  SECTION("income outside the period is not part of the statement, and is refused in its bundle") {
    txs.push_back(split(11, dec + 40ULL * 86'400'000ULL, "5", {{"scp1", "5"}}));
    auto outside = derive_facts(kKindRevenueStatement, subject, txs);
    REQUIRE_FALSE(outside);
    CHECK(outside.status().message().find("nor its income in 2026-12") != std::string::npos);
  }
  SECTION("income of another asset's agreement is refused") {
    txs[1].receipt.mutable_events(0)->mutable_attributes(1)->set_value("ag99");
    auto other = derive_facts(kKindRevenueStatement, subject, txs);
    REQUIRE_FALSE(other);
    CHECK(other.status().message().find("neither a usage agreement") != std::string::npos);
  }
  SECTION("the bounds come from the period, never from the bundle's subject") {
    Json edited = subject;
    edited["from_ms"] = 0;
    auto again = derive_facts(kKindRevenueStatement, edited, txs);
    REQUIRE(again);
    // verify_bundle compares the stated subject with these and refuses the edited one.
    CHECK((*again)["from_ms"] == subject["from_ms"]);
  }
}

}  // namespace
}  // namespace sharechain::proofs
