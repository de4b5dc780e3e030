#include "node/proof_builder.hpp"

#include "proto/history_chain.hpp"
#include "proto/state_tree_path.hpp"
#include "storage/history.hpp"

namespace sharechain::node {
namespace {

void put_path(google::protobuf::RepeatedPtrField<std::string>* out, const std::vector<crypto::Hash>& path) {
  for (const crypto::Hash& h : path) out->Add(crypto::hash_bytes(h));
}

Status hole(std::uint64_t height) {
  return Status::unavailable("height " + std::to_string(height) +
                             " is not yet backfilled on this node; ask another node for the proof");
}

void certified(const Block& block, api::CertifiedHeader* out) {
  out->set_header(block.header());
  *out->mutable_certificate() = block.certificate();
}

}  // namespace

Result<api::TransactionProof> build_transaction_proof(const storage::Store& store, const crypto::Hash& tx_hash) {
  const auto loc = store.find_tx(tx_hash);
  if (!loc) return Status::not_found("no committed transaction " + crypto::to_hex(tx_hash) + " on this node");
  const std::uint64_t h = loc->height;
  auto entry = store.history_entry(h);
  if (!entry) return hole(h);
  const Block& block = entry->block;
  if (loc->index >= entry->receipts.size()) {
    return Status::internal("transaction index points past block " + std::to_string(h));
  }

  // The anchor: the first later block whose header certifies history at or above h.
  std::optional<Block> anchor;
  std::uint64_t anchor_state_height = 0;
  const std::uint64_t top = std::min(store.height(), h + kMaxAnchorDistance);
  for (std::uint64_t c = h + 1; c <= top && !anchor; ++c) {
    auto candidate = store.block_at(c);
    if (!candidate) return hole(c);
    BlockHeader header;
    if (!header.ParseFromString(candidate->header())) {
      return Status::internal("stored block " + std::to_string(c) + " has an undecodable header");
    }
    if (header.state_height() >= h && header.history_root().size() == crypto::kHashSize) {
      anchor_state_height = header.state_height();
      anchor = std::move(candidate);
    }
  }
  if (!anchor) {
    if (top < h + kMaxAnchorDistance) {
      return Status::failed_precondition(
          "the receipt of block " + std::to_string(h) + " is not certified yet: the next block proposed after " +
          "it executes certifies it (on a quiet chain, the primary's empty certifying block a batch delay later); "
          "retry in a moment (height now " + std::to_string(store.height()) + ")");
    }
    return Status::failed_precondition("no block within " + std::to_string(kMaxAnchorDistance) + " of height " +
                                       std::to_string(h) +
                                       " carries a history root (blocks certified before history roots existed)");
  }

  api::TransactionProof proof;
  proof.set_height(h);
  proof.set_index(loc->index);
  certified(block, proof.mutable_block());
  const int index = static_cast<int>(loc->index);
  proof.set_transaction(block.transactions(index));
  proof.set_transaction_count(static_cast<std::uint32_t>(block.transactions_size()));
  std::vector<crypto::Hash> tx_leaves;
  tx_leaves.reserve(static_cast<std::size_t>(block.transactions_size()));
  for (const std::string& tx : block.transactions()) tx_leaves.push_back(crypto::sha256(tx));
  put_path(proof.mutable_transaction_path(), crypto::merkle_path(tx_leaves, loc->index));

  proof.set_receipt(entry->receipts[loc->index]);
  proof.set_receipt_count(static_cast<std::uint32_t>(entry->receipts.size()));
  put_path(proof.mutable_receipt_path(), crypto::merkle_path(history::receipt_leaves(entry->receipts), loc->index));
  proof.set_previous_history(crypto::hash_bytes(entry->previous_history));
  proof.set_previous_state_root(crypto::hash_bytes(entry->previous_state_root));

  for (std::uint64_t k = h + 1; k <= anchor_state_height; ++k) {
    auto link = store.history_entry(k);
    if (!link) return hole(k);
    api::HistoryLink* l = proof.add_links();
    l->set_height(k);
    l->set_receipts_root(crypto::hash_bytes(storage::receipts_root(link->receipts)));
    l->set_previous_state_root(crypto::hash_bytes(link->previous_state_root));
  }
  certified(*anchor, proof.mutable_anchor());
  return proof;
}

Result<api::StateProof> build_state_proof(const storage::Store& store, std::string_view key) {
  if (key.empty()) return Status::invalid_argument("the state key is empty");
  if (key.size() > kMaxStateKeyBytes) {
    return Status::invalid_argument("the state key is " + std::to_string(key.size()) + " bytes; keys are at most " +
                                    std::to_string(kMaxStateKeyBytes));
  }
  if (!store.has_state_tree()) {
    return Status::failed_precondition("this chain's genesis names no state tree (\"state_tree\"), so its state "
                                       "root cannot prove one entry; chains created with `sharechain-net init` "
                                       "have one unless --state-tree none");
  }
  const std::uint64_t tip = store.height();
  for (std::uint64_t c = tip; c > 0 && tip - c < kStateAnchorsTried; --c) {
    auto block = store.block_at(c);
    if (!block) continue;  // below a restored snapshot: older anchors would not be kept anyway
    BlockHeader header;
    if (!header.ParseFromString(block->header())) {
      return Status::internal("stored block " + std::to_string(c) + " has an undecodable header");
    }
    if (header.state_root().size() != crypto::kHashSize) continue;
    auto proven = store.prove_state(key, header.state_height());
    if (!proven) {
      if (proven.status().code() == Code::kNotFound) continue;  // that tree is not kept
      return proven.status();
    }
    api::StateProof out;
    out.set_key(std::string(key));
    out.set_present(proven->value.has_value());
    if (proven->value) out.set_value(*proven->value);
    for (const crypto::Hash& s : proven->path.siblings) {
      out.add_siblings(s == state_tree::kEmpty ? std::string() : crypto::hash_bytes(s));
    }
    if (proven->path.end == storage::StateTreePath::End::kOtherLeaf) {
      out.set_other_key_hash(crypto::hash_bytes(proven->path.other_key_hash));
      out.set_other_value_hash(crypto::hash_bytes(proven->path.other_value_hash));
    }
    out.set_lthash_root(crypto::hash_bytes(proven->lthash_root));
    out.set_height(proven->height);
    certified(*block, out.mutable_anchor());
    return out;
  }
  return Status::failed_precondition(
      "the state this node holds is not certified yet: no committed block certifies a state whose tree it keeps "
      "(the trees of its last " + std::to_string(storage::Store::kTreeHeightsKept) +
      " heights since it started); the next block does: retry in a moment (height now " + std::to_string(tip) + ")");
}

}  // namespace sharechain::node
