// Proofs across a validator-set change, over the hand-built chain whose set changes after block
// 6 (MiniChain::Epochs::kSwitchAt6):
//  - a header of epoch 1 is refused with the genesis set alone, and proven once the switch block
//    has certified epoch 1's set; a bundle carries that chain and verifies against genesis alone
//  - extending the trust refuses a set the switch block does not name, a block that is not a
//    switch block, a switch block at another height or certified by strangers, a set repeating
//    a key, a height not above the epoch before
//  - a set certifies only its own epoch's heights, and a later epoch's header must name its set
//  - changing any value of a set's entry in a bundle fails, and the reasons name the set or the
//    switch block; a bundle carries no set beyond the newest epoch its headers name
#include <catch2/catch.hpp>

#include <functional>

#include "mini_chain.hpp"
#include "proofs/bundle.hpp"

namespace sharechain::proofs {
namespace {

using testing::MiniChain;

std::string failure(const Result<ProvenTransaction>& r) { return r ? "" : r.status().message(); }

std::string spanning_bundle(MiniChain& chain) {
  const api::TransactionProof proof = chain.proof(0);
  auto proven = verify_transaction_proof(proof, chain.spanning_trust());
  REQUIRE(proven);
  return make_bundle(kKindTransaction, chain.spanning_trust(), transaction_facts(*proven), {proof}).dump(2);
}

TEST_CASE("a header of a later epoch is proven through the switch block that certified its set") {
  MiniChain chain(MiniChain::Epochs::kSwitchAt6);
  // Block 5 is of epoch 0; its anchor, block 7, is certified by epoch 1's set.
  const auto alone = verify_transaction_proof(chain.proof(0), chain.trust());
  REQUIRE_FALSE(alone);
  CHECK_THAT(failure(alone), Catch::Contains("anchor (height 7): the header is certified by the validator set of "
                                             "epoch 1, and the bundle carries sets up to epoch 0 only"));
  const Trust spanning = chain.spanning_trust();
  REQUIRE(spanning.sets.size() == 2);
  CHECK(spanning.sets[1].from_height == 6);
  for (std::uint32_t which = 0; which < 4; ++which) {
    INFO("transaction " << which);
    auto proven = verify_transaction_proof(chain.proof(which), spanning);
    REQUIRE(proven);
    CHECK(proven->anchor_height == 7);
  }
}

TEST_CASE("a set is trusted only when the switch block of the epoch before names it") {
  MiniChain chain(MiniChain::Epochs::kSwitchAt6);
  auto refusal = [&](std::uint64_t from, std::vector<consensus::ValidatorInfo> set, api::CertifiedHeader block) {
    Trust t = chain.trust();
    const Status s = extend_trust(t, from, std::move(set), std::move(block));
    CHECK(t.sets.size() == (s ? 2U : 1U));
    return s ? std::string() : s.message();
  };
  CHECK(refusal(6, chain.next_set(), chain.switch_block()).empty());

  std::vector<consensus::ValidatorInfo> other = chain.next_set();
  other.pop_back();
  CHECK(refusal(6, other, chain.switch_block()) ==
        "switch block of epoch 1 (height 6): the header names next validator set " +
            crypto::to_hex(consensus::validator_set_hash(chain.next_set())) + ", not the bundle's set of epoch 1");
  CHECK_THAT(refusal(5, chain.next_set(), chain.switch_block()),
             Catch::Equals("switch block of epoch 1 (height 5): the header says height 6"));
  CHECK(refusal(0, chain.next_set(), chain.switch_block()) ==
        "validator set of epoch 1: \"from_height\" must be above epoch 0's (0)");
  CHECK(refusal(6, {}, chain.switch_block()) == "validator set of epoch 1: \"validators\" must be a non-empty array");
  std::vector<consensus::ValidatorInfo> twice = chain.next_set();
  twice[3] = twice[1];
  CHECK(refusal(6, twice, chain.switch_block()) == "validator set of epoch 1: validator 3 has the key of validator 1");

  // Block 5 is a block of epoch 0 too, but names no next set: it ends no epoch.
  api::TransactionProof p = chain.proof(0);
  CHECK(refusal(5, chain.next_set(), p.block()) ==
        "switch block of epoch 1 (height 5): the header names no next validator set");
  // The switch block signed by strangers: the genesis set's quorum is what certifies a set.
  api::CertifiedHeader forged = chain.switch_block();
  *forged.mutable_certificate() = chain.certify(forged.header(), 1, 0, 6);
  CHECK_THAT(refusal(6, chain.next_set(), forged), Catch::StartsWith("switch block of epoch 1 certificate (height 6)"));
}

TEST_CASE("a set certifies its own epoch only, and a later epoch's header names its set") {
  MiniChain chain(MiniChain::Epochs::kSwitchAt6);
  const Trust spanning = chain.spanning_trust();
  // The anchor re-made with other epoch fields and certified by the set it then names.
  auto anchored = [&](std::uint64_t epoch, const std::function<void(BlockHeader&)>& edit) {
    api::TransactionProof p = chain.proof(3);
    BlockHeader h;
    REQUIRE(h.ParseFromString(p.anchor().header()));
    h.set_epoch(epoch);
    edit(h);
    const std::string bytes = h.SerializeAsString();
    p.mutable_anchor()->set_header(bytes);
    *p.mutable_anchor()->mutable_certificate() = chain.certify(bytes, epoch, h.view(), h.height());
    return failure(verify_transaction_proof(p, spanning));
  };
  // The genesis keys still sign, after their epoch ended at 6: refused.
  CHECK_THAT(anchored(0, [](BlockHeader& h) { h.clear_validator_set_hash(); }),
             Catch::Contains("anchor (height 7): the header is of epoch 0, which ended at height 6"));
  CHECK_THAT(anchored(1, [](BlockHeader& h) { h.clear_validator_set_hash(); }),
             Catch::Contains("anchor (height 7): the header of epoch 1 names no validator set"));
  const std::string genesis_hash = crypto::hash_bytes(consensus::validator_set_hash(chain.trust().genesis_validators()));
  CHECK_THAT(anchored(1, [&](BlockHeader& h) { h.set_validator_set_hash(genesis_hash); }),
             Catch::Contains("not the bundle's set of epoch 1"));
  CHECK(anchored(1, [](BlockHeader&) {}).empty());

  // Epoch 1's set certifying a block of epoch 0's heights (the switch block's own height).
  api::CertifiedHeader early = chain.switch_block();
  BlockHeader h;
  REQUIRE(h.ParseFromString(early.header()));
  h.set_epoch(1);
  h.set_validator_set_hash(crypto::hash_bytes(consensus::validator_set_hash(chain.next_set())));
  h.clear_next_validator_set_hash();
  api::TransactionProof p = chain.proof(3);
  p.mutable_block()->set_header(h.SerializeAsString());
  *p.mutable_block()->mutable_certificate() = chain.certify(p.block().header(), 1, 0, 6);
  CHECK_THAT(failure(verify_transaction_proof(p, spanning)),
             Catch::Contains("block (height 6): the header is of epoch 1, whose set certifies the heights above 6"));
}

TEST_CASE("a bundle spanning a validator-set change verifies against the genesis set alone") {
  MiniChain chain(MiniChain::Epochs::kSwitchAt6);
  const std::string text = spanning_bundle(chain);
  const Json bundle = Json::parse(text);
  REQUIRE(bundle["validator_sets"].size() == 2);
  CHECK(bundle["validator_sets"][1]["epoch"] == 1);
  CHECK(bundle["validator_sets"][1]["from_height"] == 6);
  CHECK(bundle["validator_sets"][1]["validators"].size() == 5);
  const BundleVerdict v = verify_bundle(text, chain.trust());
  INFO(v.reason);
  REQUIRE(v.outcome == BundleVerdict::Outcome::kProven);
  CHECK(v.facts["height"] == 5);

  SECTION("every value of a set's entry matters") {
    std::size_t checked = 0;
    const Json entry = bundle["validator_sets"][1].flatten();
    for (const auto& [k, value] : entry.items()) {
      Json flat = entry;
      if (value.is_string()) {
        std::string s = value.get<std::string>();
        s[s.size() / 2] = s[s.size() / 2] == '0' ? '1' : '0';
        flat[k] = s;
      } else if (value.is_number_unsigned()) {
        flat[k] = value.get<std::uint64_t>() + 1;
      } else {
        continue;
      }
      Json tampered = bundle;
      tampered["validator_sets"][1] = flat.unflatten();
      const BundleVerdict t = verify_bundle(tampered.dump(), chain.trust());
      INFO(k << ": " << t.reason);
      CHECK(t.outcome == BundleVerdict::Outcome::kFailed);
      ++checked;
    }
    CHECK(checked > 15);
  }
  SECTION("reasons name the set or the switch block") {
    auto reason = [&](const std::function<void(Json&)>& edit) {
      Json tampered = bundle;
      edit(tampered);
      return verify_bundle(tampered.dump(), chain.trust()).reason;
    };
    auto flip = [](Json& j) {
      std::string s = j.get<std::string>();
      s[20] = s[20] == '0' ? '1' : '0';
      j = s;
    };
    CHECK(reason([](Json& b) { b["validator_sets"][1]["epoch"] = 2; }) ==
          "validator set of epoch 1: the entry must name \"epoch\": 1");
    CHECK_THAT(reason([&](Json& b) { flip(b["validator_sets"][1]["validators"][2]["public_key"]); }),
               Catch::StartsWith("switch block of epoch 1 (height 6): the header names next validator set"));
    CHECK_THAT(reason([&](Json& b) { flip(b["validator_sets"][1]["switch_block"]["header"]); }),
               Catch::StartsWith("switch block of epoch 1"));
    CHECK_THAT(reason([&](Json& b) { flip(b["validator_sets"][1]["switch_block"]["certificate"]["votes"][0]["signature"]); }),
               Catch::StartsWith("switch block of epoch 1 certificate (height 6)"));
    CHECK(reason([](Json& b) { b["validator_sets"][1].erase("switch_block"); }) ==
          "validator set of epoch 1: switch_block must be present");
    CHECK(reason([](Json& b) { b["validator_sets"][1]["validators"][4] = b["validator_sets"][1]["validators"][0]; }) ==
          "validator set of epoch 1: validator 4 must have \"index\" 4 and a 32-byte \"public_key\"");
    CHECK(reason([](Json& b) { b["validator_sets"][1]["validators"][4]["public_key"] =
                                   b["validator_sets"][1]["validators"][0]["public_key"]; }) ==
          "validator set of epoch 1: validator 4 has the key of validator 0");
    CHECK(reason([](Json& b) { b["validator_sets"][0]["switch_block"] = b["validator_sets"][1]["switch_block"]; }) ==
          "validator set: a bundle's first validator set is the genesis set (from_height 0, epoch 0, no switch block)");
    CHECK_THAT(reason([](Json& b) { b["validator_sets"].erase(1); }),
               Catch::EndsWith("the bundle carries sets up to epoch 0 only"));
  }
}

TEST_CASE("a bundle carries no set beyond the newest epoch its headers name") {
  MiniChain spanning(MiniChain::Epochs::kSwitchAt6);
  MiniChain plain;  // the same genesis keys, every block of epoch 0
  const api::TransactionProof proof = plain.proof(1);
  auto proven = verify_transaction_proof(proof, plain.trust());
  REQUIRE(proven);
  const Json bundle = make_bundle(kKindTransaction, spanning.spanning_trust(), transaction_facts(*proven), {proof});
  REQUIRE(bundle["validator_sets"].size() == 1);
  CHECK_FALSE(bundle["validator_sets"][0].contains("switch_block"));
  CHECK(verify_bundle(bundle.dump(), plain.trust()).outcome == BundleVerdict::Outcome::kProven);
}

}  // namespace
}  // namespace sharechain::proofs
