#include "consensus/signing.hpp"

#include <set>

#include "consensus/epochs.hpp"
#include "consensus/quorum.hpp"

namespace sharechain::consensus {
namespace {

void put_u32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

void put_u64(std::string& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

void put_hash(std::string& out, const crypto::Hash& h) {
  out.append(reinterpret_cast<const char*>(h.data()), h.size());
}

std::string vote_prefix(VoteKind kind, std::string_view chain_id) {
  std::string out;
  out.push_back(static_cast<char>(kind));
  put_u32(out, static_cast<uint32_t>(chain_id.size()));
  out.append(chain_id);
  return out;
}

// Counts a certificate's votes; any bad vote rejects the lot. `what` names the certificate in
// the error text.
template <typename VoteList>
Status check_votes(const VoteList& votes, uint32_t n, const crypto::Hash& digest,
                   Verifier& verifier, const char* what) {
  // Built in a named string: GCC 12 misreads `std::string(what) + "..."` temporaries here as
  // out-of-bounds copies (-Warray-bounds, its bug 105651).
  auto refuse = [what](const std::string& detail) {
    std::string text = what;
    text += ": ";
    text += detail;
    return Status::invalid_argument(text);
  };
  std::set<uint32_t> seen;
  for (const auto& vote : votes) {
    // The number is formatted only on the way out: every block's certificate passes here.
    const auto validator = [&] { return std::to_string(vote.validator()); };
    if (vote.validator() >= n) {
      return refuse("vote from validator " + validator() + ", which is not in the validator set");
    }
    if (!seen.insert(vote.validator()).second) return refuse("validator " + validator() + " voted twice");
    if (!verifier.verify(vote.validator(), digest, vote.signature())) {
      return refuse("bad signature from validator " + validator());
    }
  }
  if (seen.size() < quorum_size(n)) {
    return refuse(std::to_string(seen.size()) + " votes, a quorum is " + std::to_string(quorum_size(n)));
  }
  return Status::ok();
}

}  // namespace

crypto::Hash envelope_digest(std::string_view chain_id, std::string_view payload) {
  std::string buf;
  buf.reserve(4 + chain_id.size() + payload.size());
  put_u32(buf, static_cast<uint32_t>(chain_id.size()));
  buf.append(chain_id);
  buf.append(payload);
  return crypto::tagged_hash(crypto::kConsensusTag, buf);
}

crypto::Hash envelope_digest(std::string_view chain_id, uint64_t epoch, std::string_view payload) {
  if (epoch == 0) return envelope_digest(chain_id, payload);
  std::string buf;
  buf.reserve(12 + chain_id.size() + payload.size());
  put_u64(buf, epoch);
  put_u32(buf, static_cast<uint32_t>(chain_id.size()));
  buf.append(chain_id);
  buf.append(payload);
  return crypto::tagged_hash(kEpochEnvelopeTag, buf);
}

crypto::Hash validator_set_hash(const std::vector<ValidatorInfo>& validators) {
  std::string buf;
  buf.reserve(4 + crypto::kPublicKeySize * validators.size());
  put_u32(buf, static_cast<uint32_t>(validators.size()));
  for (const ValidatorInfo& v : validators) buf.append(v.public_key);
  return crypto::tagged_hash(kValidatorSetTag, buf);
}

crypto::Hash vote_digest(VoteKind kind, std::string_view chain_id, uint64_t view, uint64_t height,
                         const crypto::Hash& block_hash) {
  std::string buf = vote_prefix(kind, chain_id);
  put_u64(buf, view);
  put_u64(buf, height);
  put_hash(buf, block_hash);
  return crypto::tagged_hash(kVoteTag, buf);
}

crypto::Hash checkpoint_digest(std::string_view chain_id, uint64_t height,
                               const crypto::Hash& block_hash, const crypto::Hash& state_root) {
  std::string buf = vote_prefix(VoteKind::kCheckpoint, chain_id);
  put_u64(buf, height);
  put_hash(buf, block_hash);
  put_hash(buf, state_root);
  return crypto::tagged_hash(kVoteTag, buf);
}

crypto::Hash block_hash(const Block& block) { return crypto::sha256(block.header()); }

KeySigner::KeySigner(crypto::PrivateKey key, bool deterministic)
    : key_(std::move(key)), deterministic_(deterministic) {}

std::string KeySigner::sign(const crypto::Hash& digest) {
  if (!deterministic_) return key_.sign(digest);
  return key_.sign_with_aux(digest, crypto::sha256(crypto::hash_bytes(digest)));
}

KeyVerifier::KeyVerifier(std::vector<ValidatorInfo> validators)
    : validators_(std::move(validators)) {}

bool KeyVerifier::verify(uint32_t validator, const crypto::Hash& digest, std::string_view sig) {
  if (validator >= validators_.size()) return false;
  return crypto::verify(validators_[validator].public_key, digest, sig);
}

Status verify_commit_certificate(std::string_view chain_id, uint32_t n,
                                 const CommitCertificate& certificate, uint64_t height,
                                 const crypto::Hash& block_hash, Verifier& verifier) {
  if (certificate.height() != height) {
    return Status::invalid_argument("commit certificate is for height " +
                                    std::to_string(certificate.height()) + ", expected " +
                                    std::to_string(height));
  }
  const auto cert_hash = crypto::hash_from_bytes(certificate.block_hash());
  if (!cert_hash || *cert_hash != block_hash) {
    return Status::invalid_argument("commit certificate at height " + std::to_string(height) +
                                    " is for a different block");
  }
  const crypto::Hash digest =
      vote_digest(VoteKind::kCommit, chain_id, certificate.view(), height, block_hash);
  return check_votes(certificate.votes(), n, digest, verifier, "commit certificate");
}

Status verify_commit_certificate(const Config& config, const Block& block, Verifier& verifier) {
  BlockHeader header;
  if (!header.ParseFromString(block.header())) {
    return Status::invalid_argument("block header does not decode");
  }
  if (header.chain_id() != config.chain_id) {
    return Status::invalid_argument("block is for chain '" + header.chain_id() + "', not '" +
                                    config.chain_id + "'");
  }
  if (Status st = check_epoch_fields(config, header); !st) return st;
  if (!block.has_certificate()) {
    return Status::invalid_argument("block at height " + std::to_string(header.height()) +
                                    " has no commit certificate");
  }
  // The votes cover the header only; the transactions are the header's through its tx_root and
  // signed_tx_root. Without this a peer could serve a certified header with other transactions
  // (or other signatures), which state transfer would execute and store as certified.
  if (Status st = check_transaction_roots(header, block, false,
                                          "block at height " + std::to_string(header.height()));
      !st) {
    return st;
  }
  return verify_commit_certificate(config.chain_id,
                                   static_cast<uint32_t>(config.validators.size()),
                                   block.certificate(), header.height(), block_hash(block),
                                   verifier);
}

crypto::Hash signed_transactions_root(const Block& block) {
  std::vector<crypto::Hash> leaves;
  leaves.reserve(static_cast<size_t>(block.transactions_size()));
  for (const std::string& tx : block.transactions()) leaves.push_back(crypto::sha256(tx));
  return crypto::merkle_root(leaves);
}

Status check_transaction_roots(const BlockHeader& header, const Block& block, bool require_signed_root,
                               const std::string& what) {
  auto hashes = transaction_hashes(block);
  if (!hashes) return Status::invalid_argument(what + ": " + hashes.status().message());
  const auto tx_root = crypto::hash_from_bytes(header.tx_root());
  if (!tx_root || *tx_root != crypto::merkle_root(*hashes)) {
    return Status::invalid_argument(what + ": its transactions do not match its header's tx_root");
  }
  if (header.signed_tx_root().empty() && !require_signed_root) return Status::ok();
  const auto signed_root = crypto::hash_from_bytes(header.signed_tx_root());
  if (!signed_root || *signed_root != signed_transactions_root(block)) {
    return Status::invalid_argument(what +
                                    ": its transactions' signatures or keys do not match its header's "
                                    "signed_tx_root");
  }
  return Status::ok();
}

Result<std::vector<crypto::Hash>> transaction_hashes(const Block& block) {
  std::vector<crypto::Hash> hashes;
  hashes.reserve(static_cast<size_t>(block.transactions_size()));
  SignedTransaction tx;
  for (int i = 0; i < block.transactions_size(); ++i) {
    if (!tx.ParseFromString(block.transactions(i))) {
      return Status::invalid_argument("transaction " + std::to_string(i) + " does not decode");
    }
    hashes.push_back(crypto::sha256(tx.body()));
  }
  return hashes;
}

Status verify_prepared_certificate(std::string_view chain_id, uint32_t n,
                                   const PreparedCertificate& certificate, Verifier& verifier) {
  BlockHeader header;
  if (!header.ParseFromString(certificate.block().header())) {
    return Status::invalid_argument("prepared certificate: block header does not decode");
  }
  if (header.chain_id() != chain_id || header.height() != certificate.height() ||
      certificate.height() == 0) {
    return Status::invalid_argument("prepared certificate: header does not match height " +
                                    std::to_string(certificate.height()));
  }
  // The votes cover only the header's hash; the transactions must be the ones it commits to.
  if (Status st = check_transaction_roots(header, certificate.block(), false, "prepared certificate"); !st) {
    return st;
  }
  const crypto::Hash digest = vote_digest(VoteKind::kPrepare, chain_id, certificate.view(),
                                          certificate.height(), block_hash(certificate.block()));
  return check_votes(certificate.votes(), n, digest, verifier, "prepared certificate");
}

Status verify_checkpoint_proof(std::string_view chain_id, uint32_t n, const CheckpointProof& proof,
                               Verifier& verifier) {
  const auto hash = crypto::hash_from_bytes(proof.block_hash());
  const auto root = crypto::hash_from_bytes(proof.state_root());
  if (!hash || !root) {
    return Status::invalid_argument("checkpoint proof: block hash and state root must be 32 bytes");
  }
  const crypto::Hash digest = checkpoint_digest(chain_id, proof.height(), *hash, *root);
  return check_votes(proof.votes(), n, digest, verifier, "checkpoint proof");
}

}  // namespace sharechain::consensus
