// Fuzz target certificates: the proofs a VIEW-CHANGE carries (consensus.proto ViewChange: a
// commit certificate, a checkpoint proof, a prepared certificate), checked as a replica checks a
// peer's view change (consensus::verify_view_change) and one by one as state transfer and
// clients check them (verify_commit_certificate, verify_checkpoint_proof,
// verify_prepared_certificate), against the chain world's four real BIP340 validator keys.
//  - decode -> encode -> decode is stable
//  - every refusal has a reason
//  - every accepted proof is re-checked here without the code under test: a quorum of distinct
//    validators of the set, each signature valid (crypto::verify) over the vote it stands for;
//    a prepared certificate's header decodes, names the chain and the height, and its
//    transactions hash to its tx_root
//  - verify_view_change accepts exactly when each proof present (height > 0) is accepted on its
//    own and the prepared one is from an earlier view, and its summary reports those proofs
#include <cstdint>
#include <set>

#include "consensus/quorum.hpp"
#include "consensus/signing.hpp"
#include "consensus/view_change.hpp"
#include "tests/fuzz/support/chain_world.hpp"
#include "tests/fuzz/support/check.hpp"

using namespace sharechain;
using namespace sharechain::consensus;

namespace {

constexpr std::uint32_t kSender = 1;

template <typename Votes>
void recount(const fuzz::ChainWorld& world, const Votes& votes, const crypto::Hash& digest, const char* what) {
  std::set<std::uint32_t> voters;
  const auto& keys = world.config().validators;
  for (const auto& v : votes) {
    FUZZ_CHECK(v.validator() < keys.size(), std::string(what) + ": accepted a vote from outside the set");
    FUZZ_CHECK(voters.insert(v.validator()).second, std::string(what) + ": accepted a validator twice");
    FUZZ_CHECK(crypto::verify(keys[v.validator()].public_key, digest, v.signature()),
               std::string(what) + ": accepted a signature that does not verify");
  }
  FUZZ_CHECK(voters.size() >= quorum_size(static_cast<std::uint32_t>(keys.size())),
             std::string(what) + ": accepted " + std::to_string(voters.size()) + " votes as a quorum");
}

Status commit_certificate(const fuzz::ChainWorld& world, const CommitCertificate& c) {
  const auto hash = crypto::hash_from_bytes(c.block_hash());
  if (!hash) return Status::invalid_argument("hash is not 32 bytes");
  const Status s = verify_commit_certificate(world.chain_id(), 4, c, c.height(), *hash, world.verifier());
  if (s) {
    recount(world, c.votes(), vote_digest(VoteKind::kCommit, world.chain_id(), c.view(), c.height(), *hash),
            "commit certificate");
  }
  return s;
}

Status checkpoint_proof(const fuzz::ChainWorld& world, const CheckpointProof& p) {
  const Status s = verify_checkpoint_proof(world.chain_id(), 4, p, world.verifier());
  if (s) {
    const auto hash = crypto::hash_from_bytes(p.block_hash());
    const auto root = crypto::hash_from_bytes(p.state_root());
    FUZZ_CHECK(hash && root, "accepted a checkpoint proof whose hash or root is not 32 bytes");
    recount(world, p.votes(), checkpoint_digest(world.chain_id(), p.height(), *hash, *root), "checkpoint proof");
  }
  return s;
}

Status prepared_certificate(const fuzz::ChainWorld& world, const PreparedCertificate& c) {
  const Status s = verify_prepared_certificate(world.chain_id(), 4, c, world.verifier());
  if (s) {
    BlockHeader header;
    FUZZ_CHECK(header.ParseFromString(c.block().header()) && header.chain_id() == world.chain_id() &&
                   header.height() == c.height() && c.height() > 0,
               "accepted a prepared certificate whose header is not for its chain and height");
    const auto hashes = transaction_hashes(c.block());
    FUZZ_CHECK(hashes && crypto::hash_bytes(crypto::merkle_root(*hashes)) == header.tx_root(),
               "accepted a prepared certificate whose transactions are not its header's");
    recount(world, c.votes(),
            vote_digest(VoteKind::kPrepare, world.chain_id(), c.view(), c.height(), block_hash(c.block())),
            "prepared certificate");
  }
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fuzz::ChainWorld& world = fuzz::chain_world();
  const auto vc = fuzz::decode_stable<ViewChange>(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!vc) return 0;

  bool expect_ok = true;
  for (const Status& s : {vc->has_committed() && vc->committed().height() > 0
                              ? commit_certificate(world, vc->committed())
                              : Status::ok(),
                          vc->has_checkpoint() && vc->checkpoint().height() > 0
                              ? checkpoint_proof(world, vc->checkpoint())
                              : Status::ok(),
                          vc->has_prepared() && vc->prepared().height() > 0
                              ? (vc->prepared().view() < vc->new_view()
                                     ? prepared_certificate(world, vc->prepared())
                                     : Status::invalid_argument("prepared in a later view"))
                              : Status::ok()}) {
    if (!s) {
      FUZZ_CHECK(!s.message().empty(), "a proof refused without a reason");
      expect_ok = false;
    }
  }
  auto summary = verify_view_change(world.chain_id(), 4, kSender, *vc, world.verifier());
  FUZZ_CHECK(summary.is_ok() == expect_ok,
             std::string("verify_view_change ") + (summary ? "accepted" : "refused") +
                 " a view change whose proofs one by one say otherwise: " + summary.status().message());
  if (!summary) {
    FUZZ_CHECK(!summary.status().message().empty(), "a view change refused without a reason");
    return 0;
  }
  FUZZ_CHECK(summary->validator == kSender && summary->new_view == vc->new_view(), "summary of another view change");
  const std::uint64_t committed = vc->has_committed() ? vc->committed().height() : 0;
  const std::uint64_t checkpoint = vc->has_checkpoint() ? vc->checkpoint().height() : 0;
  FUZZ_CHECK(summary->committed_height == committed && summary->checkpoint_height == checkpoint,
             "the summary reports other heights than the proofs");
  const bool prepared = vc->has_prepared() && vc->prepared().height() > 0;
  FUZZ_CHECK(summary->prepared.has_value() == prepared, "the summary lost or invented a prepared block");
  if (prepared) {
    FUZZ_CHECK(summary->prepared->height == vc->prepared().height() &&
                   summary->prepared->view == vc->prepared().view() &&
                   summary->prepared->hash == block_hash(vc->prepared().block()),
               "the summary's prepared block is not the certificate's");
  }
  return 0;
}
