#include "consensus/block_rules.hpp"

#include <set>

#include "consensus/epochs.hpp"
#include "consensus/quorum.hpp"
#include "consensus/signing.hpp"

namespace sharechain::consensus {
namespace {

std::string at(uint64_t height) { return "proposal at height " + std::to_string(height) + ": "; }

}  // namespace

Result<CheckedBlock> check_proposal(const Config& config, ProposalKind kind, uint64_t view,
                                    uint64_t height, const Block& block, uint64_t now_ms) {
  CheckedBlock out;
  BlockHeader& h = out.header;
  if (!h.ParseFromString(block.header())) {
    return Status::invalid_argument(at(height) + "header does not decode");
  }
  const uint32_t n = static_cast<uint32_t>(config.validators.size());
  if (h.chain_id() != config.chain_id) {
    return Status::invalid_argument(at(height) + "chain id '" + h.chain_id() + "'");
  }
  if (h.height() != height) {
    return Status::invalid_argument(at(height) + "header says height " + std::to_string(h.height()));
  }
  if (Status st = check_epoch_fields(config, h); !st) return st;
  if (!h.next_validator_set_hash().empty() && h.next_validator_set_hash().size() != crypto::kHashSize) {
    return Status::invalid_argument(at(height) + "next_validator_set_hash must be 32 bytes when present");
  }
  if (kind == ProposalKind::kFresh && h.view() != view) {
    return Status::invalid_argument(at(height) + "header view " + std::to_string(h.view()) +
                                    " in view " + std::to_string(view));
  }
  if (kind == ProposalKind::kReproposal && h.view() > view) {
    return Status::invalid_argument(at(height) + "re-proposal from future view " +
                                    std::to_string(h.view()));
  }
  if (h.proposer() != primary_of(h.view(), n)) {
    return Status::invalid_argument(at(height) + "proposer " + std::to_string(h.proposer()) +
                                    " is not the primary of view " + std::to_string(h.view()));
  }
  if (h.prev_hash().size() != crypto::kHashSize || h.tx_root().size() != crypto::kHashSize ||
      h.state_root().size() != crypto::kHashSize) {
    return Status::invalid_argument(at(height) + "prev_hash, tx_root and state_root must be 32 bytes");
  }
  if (!h.history_root().empty() && h.history_root().size() != crypto::kHashSize) {
    return Status::invalid_argument(at(height) + "history_root must be 32 bytes when present");
  }
  if (h.state_height() >= height) {
    return Status::invalid_argument(at(height) + "state_height " + std::to_string(h.state_height()) +
                                    " is not below the block's height");
  }
  if (static_cast<uint64_t>(block.transactions_size()) > config.max_block_txs) {
    return Status::invalid_argument(at(height) + std::to_string(block.transactions_size()) +
                                    " transactions, the limit is " +
                                    std::to_string(config.max_block_txs));
  }
  uint64_t bytes = 0;
  for (const std::string& tx : block.transactions()) bytes += tx.size();
  if (bytes > config.max_block_bytes) {
    return Status::invalid_argument(at(height) + std::to_string(bytes) +
                                    " transaction bytes, the limit is " +
                                    std::to_string(config.max_block_bytes));
  }
  auto hashes = transaction_hashes(block);
  if (!hashes) return Status::invalid_argument(at(height) + hashes.status().message());
  out.tx_hashes = std::move(hashes).value();
  std::set<crypto::Hash> distinct(out.tx_hashes.begin(), out.tx_hashes.end());
  if (distinct.size() != out.tx_hashes.size()) {
    return Status::invalid_argument(at(height) + "a transaction appears twice");
  }
  if (crypto::hash_bytes(crypto::merkle_root(out.tx_hashes)) != h.tx_root()) {
    return Status::invalid_argument(at(height) + "tx_root does not match the transactions");
  }
  if (h.signed_tx_root() != crypto::hash_bytes(signed_transactions_root(block))) {
    return Status::invalid_argument(at(height) +
                                    "signed_tx_root does not match the transactions' signed bytes");
  }
  if (kind == ProposalKind::kFresh && h.timestamp_ms() > now_ms &&
      h.timestamp_ms() - now_ms > config.max_clock_skew_ms) {
    return Status::invalid_argument(at(height) + "timestamp " + std::to_string(h.timestamp_ms()) +
                                    " is more than " + std::to_string(config.max_clock_skew_ms) +
                                    " ms ahead of this replica's clock " + std::to_string(now_ms));
  }
  out.hash = block_hash(block);
  return out;
}

Status check_extends(const BlockHeader& header, const Parent& parent) {
  if (header.height() != parent.height + 1) {
    return Status::failed_precondition(at(header.height()) + "parent is height " +
                                       std::to_string(parent.height));
  }
  if (header.prev_hash() != crypto::hash_bytes(parent.hash)) {
    return Status::failed_precondition(at(header.height()) +
                                       "prev_hash is not the committed block at height " +
                                       std::to_string(parent.height));
  }
  if (header.timestamp_ms() <= parent.timestamp_ms) {
    return Status::failed_precondition(at(header.height()) + "timestamp " +
                                       std::to_string(header.timestamp_ms()) +
                                       " is not after the parent's " +
                                       std::to_string(parent.timestamp_ms));
  }
  if (parent.state_height && header.state_height() < *parent.state_height) {
    return Status::failed_precondition(at(header.height()) + "state_height " +
                                       std::to_string(header.state_height()) +
                                       " is below the parent's " +
                                       std::to_string(*parent.state_height));
  }
  return Status::ok();
}

Status check_certifying(const BlockHeader& header, const Parent& parent, uint64_t last_tx_height) {
  if (!parent.state_height) return Status::ok();  // unknown after a restart: nothing to judge by
  if (*parent.state_height >= last_tx_height) {
    return Status::failed_precondition(
        at(header.height()) + "empty block, but the state after the last block with transactions (" +
        std::to_string(last_tx_height) + ") is certified already (state_height " +
        std::to_string(*parent.state_height) + ")");
  }
  if (header.state_height() <= *parent.state_height) {
    return Status::failed_precondition(at(header.height()) + "empty block certifying state_height " +
                                       std::to_string(header.state_height()) +
                                       ", which its parent certified already");
  }
  return Status::ok();
}

}  // namespace sharechain::consensus
