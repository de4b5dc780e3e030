// State proofs checked offline (docs/proofs.md, "State proofs"): a hand-made state tree whose
// combined root a header certifies with real BIP340 votes. Present keys, absent keys at an empty
// half and at another leaf, every value of a "state" bundle changed, the genesis without a state
// tree, and a vehicle report made complete by its vehicle's state.
#include <catch2/catch.hpp>

#include "json_tamper.hpp"
#include "mini_chain.hpp"
#include "proofs/bundle.hpp"
#include "proto/state_tree_path.hpp"
#include "sharechain/vehicles.pb.h"
#include "storage/state_tree.hpp"

namespace sharechain::proofs {
namespace {

using testing::changed;
using testing::leaves;
using testing::MiniChain;
namespace st = state_tree;

constexpr std::uint64_t kStateHeight = 8;
constexpr std::uint64_t kAnchorHeight = 9;

std::string vehicle_value(std::uint64_t records, std::uint64_t attested) {
  vehicles::Vehicle v;
  v.set_vin("1HGCM82633A004352");
  v.set_records(records);
  v.set_attested(attested);
  return v.SerializeAsString();
}

// A state, its tree and a block 9 that certifies the state after 8.
struct CertifiedState {
  MiniChain chain;
  std::map<std::string, std::string> state;
  storage::StateTree tree;
  crypto::Hash lthash_root = crypto::sha256("any LtHash root: bound by hashing alone");
  api::CertifiedHeader anchor;

  CertifiedState() {
    for (int i = 0; i < 40; ++i) state["ledger/acct/" + std::to_string(i)] = "balance " + std::to_string(i);
    state["vehicles/vehicle/1HGCM82633A004352"] = vehicle_value(2, 1);
    std::vector<storage::StateTree::Entry> entries;
    for (const auto& [k, v] : state) entries.push_back({crypto::sha256(k), crypto::sha256(v)});
    tree = storage::StateTree::build(entries);
    BlockHeader h;
    h.set_chain_id(chain.trust().chain_id);
    h.set_height(kAnchorHeight);
    h.set_state_height(kStateHeight);
    h.set_state_root(crypto::hash_bytes(st::combined_root(lthash_root, tree.root())));
    h.set_validator_set_hash(chain.trust().sets[0].hash);
    anchor.set_header(h.SerializeAsString());
    *anchor.mutable_certificate() = chain.certify(anchor.header(), 0, 0, kAnchorHeight);
  }

  Trust trust() const {
    Trust t = chain.trust();
    t.state_tree = true;
    return t;
  }

  api::StateProof proof(const std::string& key) const {
    const storage::StateTreePath path = tree.path(crypto::sha256(key));
    api::StateProof p;
    p.set_key(key);
    p.set_height(kStateHeight);
    p.set_present(path.end == storage::StateTreePath::End::kKey);
    if (p.present()) p.set_value(state.at(key));
    for (const crypto::Hash& s : path.siblings) p.add_siblings(s == st::kEmpty ? "" : crypto::hash_bytes(s));
    if (path.end == storage::StateTreePath::End::kOtherLeaf) {
      p.set_other_key_hash(crypto::hash_bytes(path.other_key_hash));
      p.set_other_value_hash(crypto::hash_bytes(path.other_value_hash));
    }
    p.set_lthash_root(crypto::hash_bytes(lthash_root));
    *p.mutable_anchor() = anchor;
    return p;
  }

  std::string bundle(const std::string& key) const {
    const api::StateProof p = proof(key);
    auto proven = verify_state_proof(p, trust());
    REQUIRE(proven);
    return make_bundle(kKindState, trust(), state_facts(*proven), {}, {p}).dump(2);
  }
};

// An absent key whose path ends at an empty half, and one whose path ends at another leaf.
std::pair<std::string, std::string> absent_keys(const CertifiedState& s) {
  std::string at_empty, at_leaf;
  for (int i = 0; at_empty.empty() || at_leaf.empty(); ++i) {
    const std::string k = "absent/" + std::to_string(i);
    const auto end = s.tree.path(crypto::sha256(k)).end;
    if (end == storage::StateTreePath::End::kEmpty && at_empty.empty()) at_empty = k;
    if (end == storage::StateTreePath::End::kOtherLeaf && at_leaf.empty()) at_leaf = k;
  }
  return {at_empty, at_leaf};
}


}  // namespace

TEST_CASE("state proofs prove present keys and both forms of absence") {
  CertifiedState s;
  auto present = verify_state_proof(s.proof("ledger/acct/7"), s.trust());
  REQUIRE(present);
  CHECK(present->present);
  CHECK(present->value == "balance 7");
  CHECK(present->height == kStateHeight);
  CHECK(present->anchor_height == kAnchorHeight);
  const auto [at_empty, at_leaf] = absent_keys(s);
  for (const std::string& k : {at_empty, at_leaf}) {
    auto absent = verify_state_proof(s.proof(k), s.trust());
    INFO(k);
    REQUIRE(absent);
    CHECK_FALSE(absent->present);
  }
}

TEST_CASE("a forged state proof fails with the check named") {
  CertifiedState s;
  const auto [at_empty, at_leaf] = absent_keys(s);
  auto reason = [&](api::StateProof p) {
    auto r = verify_state_proof(p, s.trust());
    REQUIRE_FALSE(r);
    return r.status().message();
  };
  api::StateProof p = s.proof("ledger/acct/7");
  p.set_value("balance 1000000");
  CHECK_THAT(reason(p), Catch::StartsWith("state (height 8): the path hashes to state root"));
  p = s.proof("ledger/acct/7");
  p.set_present(false);
  p.clear_value();
  CHECK_THAT(reason(p), Catch::StartsWith("state (height 8): the path hashes to state root"));
  p = s.proof(at_leaf);  // the other leaf passed off as the key's own
  p.set_present(true);
  p.set_value("made up");
  CHECK(reason(p) == "state (height 8): a present key's proof names another leaf");
  p = s.proof(at_leaf);
  p.set_other_key_hash(crypto::hash_bytes(crypto::sha256(at_leaf)));
  CHECK(reason(p) == "state (height 8): the other leaf is the key's own");
  p = s.proof(at_leaf);
  std::string other = p.other_key_hash();
  other[0] = static_cast<char>(other[0] ^ 0x80);
  p.set_other_key_hash(other);
  CHECK(reason(p) == "state (height 8): the other leaf does not lie on the key's path");
  p = s.proof(at_empty);
  p.set_value("x");
  CHECK(reason(p) == "state (height 8): an absent key's proof carries a value");
  p = s.proof("ledger/acct/7");
  p.set_siblings(0, "short");
  CHECK(reason(p) == "state path (height 8): entry 0 is neither empty nor 32 bytes");
  p = s.proof("ledger/acct/7");
  for (int i = 0; i < 257; ++i) p.add_siblings("");
  CHECK_THAT(reason(p), Catch::Contains("more than 256"));
  p = s.proof("ledger/acct/7");
  p.set_height(7);
  CHECK(reason(p) == "anchor (height 9): certifies the state at height 8, the proof is of height 7");
  p = s.proof("ledger/acct/7");
  p.set_lthash_root("");
  CHECK(reason(p) == "state (height 8): lthash_root must be 32 bytes");
  p = s.proof("ledger/acct/7");
  p.mutable_anchor()->mutable_certificate()->mutable_votes(1)->mutable_signature()->at(5) ^= 1;
  CHECK_THAT(reason(p), Catch::StartsWith("anchor certificate (height 9)"));
}

TEST_CASE("a state bundle verifies, and changing any value of it fails") {
  CertifiedState s;
  const Json bundle = Json::parse(s.bundle("ledger/acct/3"));
  BundleVerdict v = verify_bundle(bundle.dump(), s.trust());
  INFO(v.reason);
  REQUIRE(v.outcome == BundleVerdict::Outcome::kProven);
  CHECK(v.kind == "state");
  CHECK(v.facts["present"] == true);
  CHECK(v.facts["value"] == crypto::to_hex(std::string("balance 3")));
  CHECK(v.facts["height"] == kStateHeight);
  REQUIRE(v.proven_states.size() == 1);

  std::vector<Json::json_pointer> all;
  leaves(bundle, Json::json_pointer(), all);
  std::size_t checked = 0;
  for (const auto& at : all) {
    if (at.to_string() == "/format" || at.to_string() == "/version") continue;
    Json tampered = bundle;
    tampered[at] = changed(bundle[at]);
    const BundleVerdict t = verify_bundle(tampered.dump(), s.trust());
    INFO(at.to_string() << ": " << t.reason);
    CHECK(t.outcome == BundleVerdict::Outcome::kFailed);
    ++checked;
  }
  CHECK(checked > 20);

  SECTION("the genesis file must name a state tree") {
    Trust without = s.trust();
    without.state_tree = false;
    CHECK(verify_bundle(bundle.dump(), without).reason ==
          "state proofs: the genesis file names no state tree, so its state roots cannot prove an entry");
  }
  SECTION("a state bundle proves one entry, the subject's") {
    Json two = bundle;
    two["state_proofs"].push_back(bundle["state_proofs"][0]);
    CHECK(verify_bundle(two.dump(), s.trust()).reason == "facts: a state bundle proves one state entry and no transaction");
    Json none = bundle;
    none["state_proofs"] = Json::array();
    CHECK(verify_bundle(none.dump(), s.trust()).reason == "proofs: the bundle holds no proof");
    Json not_array = bundle;
    not_array["state_proofs"] = Json::object();
    CHECK(verify_bundle(not_array.dump(), s.trust()).reason == "state proofs: must be an array");
    Json absent_with_value = bundle;
    absent_with_value["state_proofs"][0]["present"] = false;
    CHECK(verify_bundle(absent_with_value.dump(), s.trust()).reason ==
          "state proof 1 of 1: height 8: value must be absent when present is false");
  }
  SECTION("absence is a fact too") {
    const auto [at_empty, at_leaf] = absent_keys(s);
    const BundleVerdict a = verify_bundle(s.bundle(at_leaf), s.trust());
    REQUIRE(a.outcome == BundleVerdict::Outcome::kProven);
    CHECK(a.facts["present"] == false);
    CHECK_FALSE(a.facts.contains("value"));
  }
}

TEST_CASE("a vehicle report with its vehicle's state must list every record up to that height") {
  const std::string vin = "1HGCM82633A004352";
  CertifiedState s;
  auto state = verify_state_proof(s.proof(vehicle_state_key(vin)), s.trust());
  REQUIRE(state);
  auto record_tx = [&](std::uint64_t height, const std::string& id) {
    ProvenTransaction p;
    p.height = height;
    p.tx_hash = crypto::sha256("tx " + id);
    p.sender = std::string(20, 'a');
    Event* e = p.receipt.add_events();
    e->set_contract("vehicles");
    e->set_name("RecordSubmitted");
    for (const auto& [k, v] : std::vector<std::pair<std::string, std::string>>{{"record", id}, {"vin", vin}}) {
      Attribute* a = e->add_attributes();
      a->set_key(k);
      a->set_value(v);
    }
    return p;
  };
  // The state says two records at height 8.
  auto complete = derive_facts(kKindVehicleReport, Json{{"vin", vin}}, {record_tx(3, "r1"), record_tx(5, "r2")}, {*state});
  REQUIRE(complete);
  CHECK((*complete)["vehicle_state"] ==
        Json{{"height", 8}, {"present", true}, {"records", 2}, {"attested", 1}, {"rejected", 0}});
  // One left out: refused, with both counts.
  auto missing = derive_facts(kKindVehicleReport, Json{{"vin", vin}}, {record_tx(3, "r1")}, {*state});
  REQUIRE_FALSE(missing);
  CHECK(missing.status().message() ==
        "the chain holds 2 records of vehicle " + vin + " at height 8, the bundle proves 1 of them");
  // A record submitted after the state's height does not count against it.
  auto later = derive_facts(kKindVehicleReport, Json{{"vin", vin}},
                            {record_tx(3, "r1"), record_tx(5, "r2"), record_tx(9, "r3")}, {*state});
  CHECK(later);
  // The state proof must be of this vehicle.
  auto other = verify_state_proof(s.proof("ledger/acct/1"), s.trust());
  REQUIRE(other);
  auto wrong = derive_facts(kKindVehicleReport, Json{{"vin", vin}}, {record_tx(3, "r1")}, {*other});
  REQUIRE_FALSE(wrong);
  CHECK_THAT(wrong.status().message(), Catch::Contains("not of vehicle " + vin));
  // Other kinds carry none.
  CHECK(derive_facts(kKindTransaction, Json::object(), {record_tx(3, "r1")}, {*state}).status().message() ==
        "a transaction bundle carries no state proof");
}

}  // namespace sharechain::proofs
