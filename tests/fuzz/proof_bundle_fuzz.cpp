// Fuzz target proof_bundle: a proof bundle file as `sharechain verify-bundle` reads it
// (proofs::verify_bundle). The trust comes from the input itself (its chain id, genesis hash and
// validator keys), so mutations reach past the envelope into the proofs, certificates and facts.
//  - any bytes: a verdict — never a crash, an exception or UB; a verdict that is not "proven"
//    always says why
//  - a proven bundle: at least one proof, its facts are what derive_facts computes from the
//    proven transactions, every receipt names its transaction and position, the proofs are in
//    strictly increasing (height, index), and the bundle printed again (dump) is proven again
//    with the same facts
#include <cstdint>
#include <string>

#include "proofs/bundle.hpp"
#include "tests/fuzz/support/check.hpp"

namespace {

using namespace sharechain;

proofs::Trust trust_named_by(const proofs::Json& bundle) {
  std::string chain_id, genesis_hash;
  std::vector<consensus::ValidatorInfo> validators;
  if (!bundle.is_object()) return proofs::trust_of(chain_id, genesis_hash, validators);
  if (bundle.contains("chain_id") && bundle["chain_id"].is_string()) chain_id = bundle["chain_id"].get<std::string>();
  if (bundle.contains("genesis_hash") && bundle["genesis_hash"].is_string()) {
    if (auto raw = crypto::from_hex(bundle["genesis_hash"].get<std::string>())) genesis_hash = *raw;
  }
  const proofs::Json* sets = bundle.contains("validator_sets") ? &bundle["validator_sets"] : nullptr;
  if (sets && sets->is_array() && !sets->empty() && (*sets)[0].is_object() && (*sets)[0].contains("validators") &&
      (*sets)[0]["validators"].is_array()) {
    for (const auto& v : (*sets)[0]["validators"]) {
      if (!v.is_object() || !v.contains("public_key") || !v["public_key"].is_string()) continue;
      auto raw = crypto::from_hex(v["public_key"].get<std::string>());
      if (raw && raw->size() == crypto::kPublicKeySize) validators.push_back({*raw});
    }
  }
  return proofs::trust_of(chain_id, genesis_hash, validators);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const proofs::Json parsed = proofs::Json::parse(text, nullptr, /*allow_exceptions=*/false);
  const proofs::Trust trust = trust_named_by(parsed);
  const proofs::BundleVerdict v = proofs::verify_bundle(text, trust);
  if (v.outcome != proofs::BundleVerdict::Outcome::kProven) {
    FUZZ_CHECK(!v.reason.empty(), "a bundle was refused without a reason");
    return 0;
  }
  FUZZ_CHECK(!v.proven.empty(), "a bundle was proven with no proof");
  for (std::size_t i = 0; i < v.proven.size(); ++i) {
    const proofs::ProvenTransaction& p = v.proven[i];
    FUZZ_CHECK(p.receipt.tx_hash() == crypto::hash_bytes(p.tx_hash) && p.receipt.height() == p.height &&
                   p.receipt.index() == p.index,
               "a proven receipt names another transaction or position");
    FUZZ_CHECK(p.anchor_height > p.height, "a receipt was proven by an anchor not above it");
    if (i > 0) {
      FUZZ_CHECK(std::make_pair(p.height, p.index) > std::make_pair(v.proven[i - 1].height, v.proven[i - 1].index),
                 "proven proofs are not in chain order");
    }
  }
  const proofs::Json subject = parsed.contains("subject") ? parsed["subject"] : proofs::Json::object();
  auto facts = proofs::derive_facts(v.kind, subject, v.proven);
  FUZZ_CHECK(facts && *facts == v.facts, "the proven facts are not the ones derived from the proofs");
  const proofs::BundleVerdict again = proofs::verify_bundle(parsed.dump(), trust);
  FUZZ_CHECK(again.outcome == proofs::BundleVerdict::Outcome::kProven && again.facts == v.facts,
             "a proven bundle printed again is not proven with the same facts: " + again.reason);
  return 0;
}
