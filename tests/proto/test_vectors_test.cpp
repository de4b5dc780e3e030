// docs/test-vectors.json checked against the code that signs and verifies on the chain.
//   transactions     each key's public key and address; SHA-256(body) as the hash; the
//                    "sharechain/tx" tagged hash as the digest; the signature reproduced byte
//                    for byte with the vector's aux and verified; tx::verify accepts the
//                    SignedTransaction for the vector's chain and refuses it for another
//   asset consent    contracts::assets::consent_digest of (chain_id, spec), signature
//   consensus        vote_digest (PREPARE, COMMIT), checkpoint_digest and envelope_digest equal
//                    the vectors' digests and tagged hashes of their preimages; the block's
//                    hash and tx_root; the commit certificate verifies for the block through
//                    verify_commit_certificate and fails for another chain id or view
// The file is written by sdk/python/make_test_vectors.py; a change of any rule in the code
// makes this test fail until the file and docs/crypto.md are brought along.
#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "consensus/epochs.hpp"
#include "consensus/signing.hpp"
#include "contracts/assets/assets.hpp"
#include "proto/address.hpp"
#include "proto/crypto.hpp"
#include "proto/transaction.hpp"

using namespace sharechain;
using Json = nlohmann::json;

namespace {

Json load_vectors() {
  std::ifstream in(SC_TEST_VECTORS_FILE);
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  return Json::parse(text.str());
}

std::string bytes(const Json& hex) {
  auto raw = crypto::from_hex(hex.get<std::string>());
  REQUIRE(raw.has_value());
  return *raw;
}

crypto::Hash hash(const Json& hex) {
  auto h = crypto::hash_from_bytes(bytes(hex));
  REQUIRE(h.has_value());
  return *h;
}

std::string hex(const crypto::Hash& h) { return crypto::to_hex(h); }

// The key of a vector: its public key and address follow from its secret.
crypto::PrivateKey check_key(const Json& v) {
  auto key = crypto::PrivateKey::from_bytes(bytes(v["secret"]));
  REQUIRE(key.has_value());
  CHECK(crypto::to_hex(key->public_key()) == v["public_key"].get<std::string>());
  CHECK(crypto::format_address(crypto::address_of(key->public_key())) ==
        v["address"].get<std::string>());
  CHECK(key->address() == crypto::address_of(key->public_key()));
  return *key;
}

// The signature reproduces with the vector's aux and verifies; a flipped digest bit does not.
void check_signature(const crypto::PrivateKey& key, const crypto::Hash& digest, const Json& v) {
  const std::string sig = bytes(v["signature"]);
  CHECK(crypto::to_hex(key.sign_with_aux(digest, hash(v["aux"]))) == v["signature"].get<std::string>());
  CHECK(crypto::verify(key.public_key(), digest, sig));
  crypto::Hash other = digest;
  other[0] ^= 1;
  CHECK_FALSE(crypto::verify(key.public_key(), other, sig));
}

}  // namespace

TEST_CASE("test vectors: addresses") {
  const Json v = load_vectors()["addresses"];
  REQUIRE(v["valid"].size() >= 3);
  for (const Json& a : v["valid"]) {
    const std::string raw = bytes(a["raw"]);
    CHECK(crypto::format_address(raw) == a["text"].get<std::string>());
    CHECK(crypto::parse_address(a["text"].get<std::string>()) == raw);
    CHECK(crypto::parse_address(a["legacy"].get<std::string>()) == raw);
  }
  REQUIRE(v["invalid"].size() >= 5);
  for (const Json& a : v["invalid"]) {
    INFO(a["text"].get<std::string>());
    Result<std::string> r = crypto::read_address(a["text"].get<std::string>());
    REQUIRE_FALSE(r);
    CHECK(r.status().message().find(a["error"].get<std::string>()) != std::string::npos);
  }
}

TEST_CASE("test vectors: tagged hash is BIP340's") {
  const std::string data = "abc";
  const crypto::Hash t = crypto::sha256("sharechain/tx");
  std::string pre(reinterpret_cast<const char*>(t.data()), t.size());
  pre += pre + data;
  CHECK(crypto::tagged_hash(crypto::kTxTag, data) == crypto::sha256(pre));
  const Json v = load_vectors();
  CHECK(v["transactions"]["tag"] == std::string(crypto::kTxTag));
  CHECK(v["consensus"]["vote_tag"] == std::string(consensus::kVoteTag));
  CHECK(v["consensus"]["envelope_tag"] == std::string(crypto::kConsensusTag));
}

TEST_CASE("test vectors: transactions") {
  const Json v = load_vectors();
  const Json& list = v["transactions"]["vectors"];
  REQUIRE(list.size() >= 7);
  std::set<std::string> contracts;
  for (const Json& t : list) {
    INFO("vector " << t["name"].get<std::string>());
    const crypto::PrivateKey key = check_key(t);
    const std::string body = bytes(t["body"]);
    CHECK(hex(crypto::sha256(body)) == t["tx_hash"].get<std::string>());
    const crypto::Hash digest = tx::signing_hash(body);
    CHECK(hex(digest) == t["digest"].get<std::string>());
    CHECK(digest == crypto::tagged_hash("sharechain/tx", body));
    check_signature(key, digest, t);

    SignedTransaction signed_tx;
    REQUIRE(signed_tx.ParseFromString(bytes(t["signed_transaction"])));
    CHECK(signed_tx.body() == body);
    CHECK(signed_tx.public_key() == key.public_key());
    CHECK(crypto::to_hex(signed_tx.signature()) == t["signature"].get<std::string>());
    auto verified = tx::verify(signed_tx, t["chain_id"].get<std::string>());
    REQUIRE(verified.is_ok());
    CHECK(hex(verified->hash) == t["tx_hash"].get<std::string>());
    CHECK(verified->body.nonce() == t["nonce"].get<std::uint64_t>());
    CHECK_FALSE(tx::verify(signed_tx, "another-chain").is_ok());

    // The call is the one the vector names.
    const auto* oneof = TransactionBody::descriptor()->FindOneofByName("call");
    const auto* field = verified->body.GetReflection()->GetOneofFieldDescriptor(verified->body, oneof);
    REQUIRE(field != nullptr);
    CHECK(field->name() == t["contract"].get<std::string>());
    contracts.insert(field->name());
  }
  CHECK(contracts == std::set<std::string>{"ledger", "assets", "usage", "revenue", "financing",
                                           "vehicles"});
}

TEST_CASE("test vectors: an asset owner's consent") {
  const Json c = load_vectors()["asset_consent"];
  const crypto::PrivateKey key = check_key(c);
  const std::string chain = c["chain_id"].get<std::string>();
  const std::string spec = bytes(c["spec"]);
  CHECK(bytes(c["preimage"]) == chain + std::string(1, '\0') + spec);
  const crypto::Hash digest = contracts::assets::consent_digest(chain, spec);
  CHECK(hex(digest) == c["digest"].get<std::string>());
  CHECK(digest == crypto::tagged_hash(c["tag"].get<std::string>(), bytes(c["preimage"])));
  check_signature(key, digest, c);
}

TEST_CASE("test vectors: consensus votes, envelope and commit certificate") {
  const Json v = load_vectors()["consensus"];
  const std::string chain = v["chain_id"].get<std::string>();
  std::vector<crypto::PrivateKey> keys;
  consensus::Config config;
  config.chain_id = chain;
  for (const Json& k : v["validators"]) {
    keys.push_back(check_key(k));
    config.validators.push_back({keys.back().public_key()});
  }
  REQUIRE(keys.size() == 4);

  const Json& b = v["block"];
  Block block;
  REQUIRE(block.ParseFromString(bytes(b["serialized"])));
  CHECK(block.header() == bytes(b["header"]));
  CHECK(hex(consensus::block_hash(block)) == b["hash"].get<std::string>());
  auto tx_hashes = consensus::transaction_hashes(block);
  REQUIRE(tx_hashes.is_ok());
  CHECK(hex(crypto::merkle_root(*tx_hashes)) == b["tx_root"].get<std::string>());
  const crypto::Hash block_hash = hash(b["hash"]);

  SECTION("prepare and commit vote digests") {
    for (const char* name : {"prepare", "commit"}) {
      const Json& d = v[name];
      INFO(name);
      const auto kind = static_cast<consensus::VoteKind>(d["kind"].get<int>());
      CHECK(kind == (std::string(name) == "prepare" ? consensus::VoteKind::kPrepare
                                                    : consensus::VoteKind::kCommit));
      const crypto::Hash digest = consensus::vote_digest(
          kind, chain, d["view"].get<std::uint64_t>(), d["height"].get<std::uint64_t>(), hash(d["block_hash"]));
      CHECK(hex(digest) == d["digest"].get<std::string>());
      CHECK(digest == crypto::tagged_hash(consensus::kVoteTag, bytes(d["preimage"])));
    }
  }
  SECTION("checkpoint digest") {
    const Json& d = v["checkpoint"];
    const crypto::Hash digest = consensus::checkpoint_digest(
        chain, d["height"].get<std::uint64_t>(), hash(d["block_hash"]), hash(d["state_root"]));
    CHECK(hex(digest) == d["digest"].get<std::string>());
    CHECK(digest == crypto::tagged_hash(consensus::kVoteTag, bytes(d["preimage"])));
  }
  SECTION("envelope digest and signature") {
    const Json& e = v["envelope"];
    const crypto::Hash digest = consensus::envelope_digest(chain, bytes(e["payload"]));
    CHECK(hex(digest) == e["digest"].get<std::string>());
    CHECK(digest == crypto::tagged_hash(crypto::kConsensusTag, bytes(e["preimage"])));
    check_signature(keys.at(e["validator"].get<std::size_t>()), digest, e);
    consensus::Message message;
    REQUIRE(message.ParseFromString(bytes(e["payload"])));
    CHECK(message.has_commit());
  }
  SECTION("an envelope of a later epoch, and the validator-set hash") {
    const Json& e = v["epoch_envelope"];
    const std::uint64_t epoch = e["epoch"].get<std::uint64_t>();
    REQUIRE(epoch > 0);
    const crypto::Hash digest = consensus::envelope_digest(chain, epoch, bytes(e["payload"]));
    CHECK(hex(digest) == e["digest"].get<std::string>());
    CHECK(digest == crypto::tagged_hash(consensus::kEpochEnvelopeTag, bytes(e["preimage"])));
    CHECK(digest != consensus::envelope_digest(chain, bytes(e["payload"])));
    check_signature(keys.at(e["validator"].get<std::size_t>()), digest, e);

    const Json& s = v["validator_set"];
    std::vector<consensus::ValidatorInfo> set;
    for (const Json& k : s["public_keys"]) set.push_back(consensus::ValidatorInfo{bytes(k)});
    REQUIRE(set.size() == config.validators.size());
    const crypto::Hash h = consensus::validator_set_hash(set);
    CHECK(hex(h) == s["hash"].get<std::string>());
    CHECK(h == crypto::tagged_hash(consensus::kValidatorSetTag, bytes(s["preimage"])));
    CHECK(h == consensus::validator_set_hash(config.validators));
  }
  SECTION("commit certificate") {
    const Json& c = v["commit_certificate"];
    const crypto::Hash digest = consensus::vote_digest(
        consensus::VoteKind::kCommit, chain, c["view"].get<std::uint64_t>(),
        c["height"].get<std::uint64_t>(), block_hash);
    CHECK(hex(digest) == c["digest"].get<std::string>());
    CHECK(hex(digest) == v["commit"]["digest"].get<std::string>());
    for (const Json& vote : c["votes"]) {
      const crypto::PrivateKey& key = keys.at(vote["validator"].get<std::size_t>());
      check_signature(key, digest, vote);
      // The simulator's deterministic signer makes exactly these signatures.
      consensus::KeySigner signer(key, /*deterministic=*/true);
      CHECK(crypto::to_hex(signer.sign(digest)) == vote["signature"].get<std::string>());
    }
    CommitCertificate cert;
    REQUIRE(cert.ParseFromString(bytes(c["serialized"])));
    CHECK(cert.SerializeAsString() == block.certificate().SerializeAsString());

    consensus::KeyVerifier verifier(config.validators);
    CHECK(consensus::verify_commit_certificate(config, block, verifier).is_ok());
    CHECK_FALSE(consensus::verify_commit_certificate(chain + "x", 4, cert, cert.height(),
                                                     block_hash, verifier).is_ok());
    CommitCertificate wrong_view = cert;
    wrong_view.set_view(cert.view() + 1);
    CHECK_FALSE(consensus::verify_commit_certificate(chain, 4, wrong_view, cert.height(),
                                                     block_hash, verifier).is_ok());
  }
}
