#include "proofs/verify.hpp"

#include "consensus/epochs.hpp"
#include "consensus/signing.hpp"
#include "proto/history_chain.hpp"
#include "proto/state_tree_path.hpp"
#include "proto/transaction.hpp"

namespace sharechain::proofs {
namespace {

Status fail(const std::string& part, std::uint64_t height, const std::string& why) {
  return Status::invalid_argument(part + " (height " + std::to_string(height) + "): " + why);
}

Result<std::vector<crypto::Hash>> read_path(const google::protobuf::RepeatedPtrField<std::string>& raw,
                                            const std::string& part, std::uint64_t height) {
  std::vector<crypto::Hash> path;
  path.reserve(static_cast<std::size_t>(raw.size()));
  for (int i = 0; i < raw.size(); ++i) {
    auto h = crypto::hash_from_bytes(raw[i]);
    if (!h) return fail(part, height, "entry " + std::to_string(i) + " is not 32 bytes");
    path.push_back(*h);
  }
  return path;
}

// The header decoded, on this chain, at the expected height, inside the epoch it names, and
// certified by a quorum of that epoch's set.
Result<BlockHeader> check_certified(const api::CertifiedHeader& certified, const std::string& part,
                                    std::uint64_t height, const Trust& trust) {
  BlockHeader header;
  if (!header.ParseFromString(certified.header())) return fail(part, height, "the header does not decode");
  if (header.chain_id() != trust.chain_id) {
    return fail(part, height, "the header is of chain '" + header.chain_id() + "', the genesis file's is '" +
                                  trust.chain_id + "'");
  }
  if (header.height() != height) {
    return fail(part, height, "the header says height " + std::to_string(header.height()));
  }
  const std::uint64_t e = header.epoch();
  const std::string epoch = std::to_string(e);
  if (e >= trust.sets.size()) {
    return fail(part, height, "the header is certified by the validator set of epoch " + epoch +
                                  ", and the bundle carries sets up to epoch " +
                                  std::to_string(trust.sets.size() - 1) + " only");
  }
  const TrustedSet& set = trust.sets[e];
  // A set certifies its own epoch's heights only: retired keys must not certify later blocks.
  if (height <= set.from_height) {
    return fail(part, height, "the header is of epoch " + epoch + ", whose set certifies the heights above " +
                                  std::to_string(set.from_height));
  }
  if (e + 1 < trust.sets.size() && height > trust.sets[e + 1].from_height) {
    return fail(part, height, "the header is of epoch " + epoch + ", which ended at height " +
                                  std::to_string(trust.sets[e + 1].from_height));
  }
  if (header.validator_set_hash().empty()) {
    // Blocks of epoch 0 certified before the field existed have none.
    if (e > 0) return fail(part, height, "the header of epoch " + epoch + " names no validator set");
  } else if (header.validator_set_hash() != set.hash) {
    return fail(part, height, "the header names validator set " + crypto::to_hex(header.validator_set_hash()) +
                                  (e == 0 ? ", not the genesis file's" : ", not the bundle's set of epoch " + epoch));
  }
  consensus::KeyVerifier verifier(set.validators);
  const Status cert = consensus::verify_commit_certificate(
      trust.chain_id, static_cast<std::uint32_t>(set.validators.size()), certified.certificate(), height,
      crypto::sha256(certified.header()), verifier);
  if (!cert) return fail(part + " certificate", height, cert.message());
  return header;
}

std::string set_hash(const std::vector<consensus::ValidatorInfo>& validators) {
  return crypto::hash_bytes(consensus::validator_set_hash(validators));
}

}  // namespace

Trust trust_of(std::string chain_id, std::string genesis_hash, std::vector<consensus::ValidatorInfo> validators) {
  Trust t;
  t.chain_id = std::move(chain_id);
  t.genesis_hash = std::move(genesis_hash);
  TrustedSet genesis_set;
  genesis_set.hash = set_hash(validators);
  genesis_set.validators = std::move(validators);
  t.sets.push_back(std::move(genesis_set));
  return t;
}

Trust trust_from(const LoadedGenesis& genesis) {
  std::vector<consensus::ValidatorInfo> validators;
  for (const std::string& key : genesis.validator_keys) validators.push_back(consensus::ValidatorInfo{key});
  Trust t = trust_of(genesis.genesis.chain_id(), genesis.hash, std::move(validators));
  t.state_tree = genesis.genesis.state_tree() == state_tree::kSparseMerkleSha256;
  return t;
}

std::uint64_t header_epoch(const api::CertifiedHeader& certified) {
  BlockHeader header;
  return header.ParseFromString(certified.header()) ? header.epoch() : 0;
}

Status extend_trust(Trust& trust, std::uint64_t from_height, std::vector<consensus::ValidatorInfo> validators,
                    api::CertifiedHeader switch_block) {
  if (trust.sets.empty()) return Status::invalid_argument("the verifier trusts no validator set to extend");
  const std::uint64_t e = trust.sets.size();
  const std::string set_part = "validator set of epoch " + std::to_string(e) + ": ";
  if (from_height <= trust.sets.back().from_height) {
    return Status::invalid_argument(set_part + "\"from_height\" must be above epoch " + std::to_string(e - 1) + "'s (" +
                                    std::to_string(trust.sets.back().from_height) + ")");
  }
  if (validators.empty()) return Status::invalid_argument(set_part + "\"validators\" must be a non-empty array");
  for (std::size_t i = 0; i < validators.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      // One key twice would let one signer cast two of a quorum's votes.
      if (validators[j].public_key == validators[i].public_key) {
        return Status::invalid_argument(set_part + "validator " + std::to_string(i) + " has the key of validator " +
                                        std::to_string(j));
      }
    }
  }
  const std::string part = "switch block of epoch " + std::to_string(e);
  auto header = check_certified(switch_block, part, from_height, trust);
  if (!header) return header.status();
  const std::string next = set_hash(validators);
  if (header->next_validator_set_hash().empty()) {
    return fail(part, from_height, "the header names no next validator set");
  }
  if (header->next_validator_set_hash() != next) {
    return fail(part, from_height, "the header names next validator set " +
                                       crypto::to_hex(header->next_validator_set_hash()) +
                                       ", not the bundle's set of epoch " + std::to_string(e));
  }
  TrustedSet set;
  set.from_height = from_height;
  set.validators = std::move(validators);
  set.hash = next;
  set.switch_block = std::move(switch_block);
  trust.sets.push_back(std::move(set));
  return Status::ok();
}

Result<ProvenTransaction> verify_transaction_proof(const api::TransactionProof& proof, const Trust& trust) {
  if (trust.sets.empty()) return fail("proof", proof.height(), "the verifier trusts no validator set");
  const std::uint64_t h = proof.height();
  if (h == 0) return fail("proof", h, "height 0 is genesis and holds no transactions");
  ProvenTransaction out;
  out.height = h;
  out.index = proof.index();

  // 1. The block: a quorum of the validators committed exactly this header.
  auto header = check_certified(proof.block(), "block", h, trust);
  if (!header) return header.status();
  out.block_hash = crypto::sha256(proof.block().header());
  out.timestamp_ms = header->timestamp_ms();

  // 2. The transaction: its exact bytes hash up to the header's signed_tx_root.
  auto signed_root = crypto::hash_from_bytes(header->signed_tx_root());
  if (!signed_root) return fail("block", h, "the header has no signed_tx_root (certified before it existed)");
  auto tx_path = read_path(proof.transaction_path(), "transaction path", h);
  if (!tx_path) return tx_path.status();
  auto tx_root = crypto::merkle_root_from_path(crypto::sha256(proof.transaction()), proof.index(),
                                               proof.transaction_count(), *tx_path);
  if (!tx_root) {
    return fail("transaction path", h, "does not fit position " + std::to_string(proof.index()) + " of " +
                                           std::to_string(proof.transaction_count()) + " transactions");
  }
  if (*tx_root != *signed_root) {
    return fail("transaction path", h, "the transaction does not hash to the block's signed_tx_root");
  }
  SignedTransaction signed_tx;
  if (!signed_tx.ParseFromString(proof.transaction())) return fail("transaction", h, "does not decode");
  // The signature too, although the certificate covers it: the sender's own key, not the
  // validators' word, is what proves the sender asked for this.
  auto verified = tx::verify(signed_tx, trust.chain_id);
  if (!verified) return fail("transaction", h, verified.status().message());
  out.transaction = proof.transaction();
  out.tx_hash = verified->hash;
  out.body = verified->body;
  out.sender = verified->sender;

  // 3. The receipt: its exact bytes hash up to receipts_root(h) at the same position.
  if (proof.receipt_count() != proof.transaction_count()) {
    return fail("receipt path", h, std::to_string(proof.receipt_count()) + " receipts for " +
                                       std::to_string(proof.transaction_count()) + " transactions");
  }
  auto receipt_path = read_path(proof.receipt_path(), "receipt path", h);
  if (!receipt_path) return receipt_path.status();
  auto receipts_root = crypto::merkle_root_from_path(crypto::sha256(proof.receipt()), proof.index(),
                                                     proof.receipt_count(), *receipt_path);
  if (!receipts_root) return fail("receipt path", h, "does not fit the receipt's position");
  if (!out.receipt.ParseFromString(proof.receipt())) return fail("receipt", h, "does not decode");
  if (out.receipt.tx_hash() != crypto::hash_bytes(out.tx_hash) || out.receipt.height() != h ||
      out.receipt.index() != proof.index()) {
    return fail("receipt", h, "names another transaction or position");
  }

  // 4. The history chain from h up to the anchor's state_height.
  auto previous_history = crypto::hash_from_bytes(proof.previous_history());
  auto previous_root = crypto::hash_from_bytes(proof.previous_state_root());
  if (!previous_history || !previous_root) {
    return fail("history", h, "previous_history and previous_state_root must be 32 bytes");
  }
  crypto::Hash value = history::next(*previous_history, h, *receipts_root, *previous_root);
  std::uint64_t at = h;
  for (const api::HistoryLink& link : proof.links()) {
    const std::string part = "history link";
    if (link.height() != at + 1) {
      return fail(part, link.height(), "expected height " + std::to_string(at + 1));
    }
    auto root = crypto::hash_from_bytes(link.receipts_root());
    auto below = crypto::hash_from_bytes(link.previous_state_root());
    if (!root || !below) return fail(part, link.height(), "receipts_root and previous_state_root must be 32 bytes");
    value = history::next(value, link.height(), *root, *below);
    at = link.height();
  }

  // 5. The anchor: a later certified block whose history_root is that value for that height.
  BlockHeader anchor_header;
  if (!anchor_header.ParseFromString(proof.anchor().header())) return fail("anchor", h, "the header does not decode");
  const std::uint64_t anchor_height = anchor_header.height();
  if (anchor_height <= h) return fail("anchor", anchor_height, "is not above the transaction's block");
  auto anchor = check_certified(proof.anchor(), "anchor", anchor_height, trust);
  if (!anchor) return anchor.status();
  if (anchor->state_height() != at) {
    return fail("anchor", anchor_height, "certifies history at height " + std::to_string(anchor->state_height()) +
                                             ", the links reach height " + std::to_string(at));
  }
  auto certified_history = crypto::hash_from_bytes(anchor->history_root());
  if (!certified_history) return fail("anchor", anchor_height, "the header has no history_root");
  if (*certified_history != value) {
    return fail("history", h, "the receipt and links hash to " + crypto::to_hex(value) + ", the anchor certifies " +
                                  crypto::to_hex(*certified_history));
  }
  out.anchor_height = anchor_height;
  return out;
}

Result<ProvenState> verify_state_proof(const api::StateProof& proof, const Trust& trust) {
  const std::uint64_t h = proof.height();
  if (!trust.state_tree) {
    return Status::invalid_argument("the genesis file names no state tree, so its state roots cannot prove an entry");
  }
  if (trust.sets.empty()) return fail("state", h, "the verifier trusts no validator set");

  // S1. The anchor: a certified block whose header certifies the state after h.
  BlockHeader anchor;
  if (!anchor.ParseFromString(proof.anchor().header())) return fail("anchor", h, "the header does not decode");
  const std::uint64_t a = anchor.height();
  auto header = check_certified(proof.anchor(), "anchor", a, trust);
  if (!header) return header.status();
  if (header->state_height() != h) {
    return fail("anchor", a, "certifies the state at height " + std::to_string(header->state_height()) +
                                 ", the proof is of height " + std::to_string(h));
  }
  auto certified_root = crypto::hash_from_bytes(header->state_root());
  if (!certified_root) return fail("anchor", a, "the header has no state_root");

  // S2. The path's shape.
  const auto depth = static_cast<std::size_t>(proof.siblings_size());
  if (depth > state_tree::kMaxDepth) {
    return fail("state path", h, "has " + std::to_string(depth) + " entries, more than 256");
  }
  std::vector<crypto::Hash> siblings;
  siblings.reserve(depth);
  for (std::size_t i = 0; i < depth; ++i) {
    const std::string& raw = proof.siblings(static_cast<int>(i));
    if (raw.empty()) {
      siblings.push_back(state_tree::kEmpty);
      continue;
    }
    auto s = crypto::hash_from_bytes(raw);
    if (!s) return fail("state path", h, "entry " + std::to_string(i) + " is neither empty nor 32 bytes");
    siblings.push_back(*s);
  }
  auto lthash_root = crypto::hash_from_bytes(proof.lthash_root());
  if (!lthash_root) return fail("state", h, "lthash_root must be 32 bytes");

  // S3. How the path ends.
  const crypto::Hash key_hash = crypto::sha256(proof.key());
  const bool names_other = !proof.other_key_hash().empty() || !proof.other_value_hash().empty();
  crypto::Hash node = state_tree::kEmpty;
  if (proof.present()) {
    if (names_other) return fail("state", h, "a present key's proof names another leaf");
    node = state_tree::leaf(key_hash, crypto::sha256(proof.value()));
  } else {
    if (!proof.value().empty()) return fail("state", h, "an absent key's proof carries a value");
    if (names_other) {
      auto other_key = crypto::hash_from_bytes(proof.other_key_hash());
      auto other_value = crypto::hash_from_bytes(proof.other_value_hash());
      if (!other_key || !other_value) return fail("state", h, "other_key_hash and other_value_hash must be 32 bytes");
      if (*other_key == key_hash) return fail("state", h, "the other leaf is the key's own");
      if (!state_tree::same_prefix(*other_key, key_hash, depth)) {
        return fail("state", h, "the other leaf does not lie on the key's path");
      }
      node = state_tree::leaf(*other_key, *other_value);
    }
  }

  // S4, S5. Up to the tree's root, then the state root the anchor certifies.
  const crypto::Hash root = state_tree::combined_root(*lthash_root, state_tree::fold(node, key_hash, siblings));
  if (root != *certified_root) {
    return fail("state", h, "the path hashes to state root " + crypto::to_hex(root) + ", the anchor certifies " +
                                crypto::to_hex(*certified_root));
  }
  ProvenState out;
  out.key = proof.key();
  out.present = proof.present();
  if (out.present) out.value = proof.value();
  out.height = h;
  out.anchor_height = a;
  return out;
}

}  // namespace sharechain::proofs
