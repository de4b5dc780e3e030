#include "tools/common/chain_trust.hpp"

#include "consensus/validator_keys.hpp"
#include "proto/crypto.hpp"

namespace sharechain::tools {
namespace {

Outcome<std::vector<consensus::ValidatorInfo>> keys_of(
    const google::protobuf::RepeatedPtrField<ledger::ValidatorInfo>& listed) {
  for (int i = 0; i < listed.size(); ++i) {
    if (listed[i].index() != static_cast<std::uint32_t>(i)) {
      return Failure::refused("the node lists its validators out of order");
    }
  }
  return consensus::validator_keys(listed);
}

}  // namespace

Outcome<proofs::Trust> chain_trust(client::Node& node) {
  Outcome<api::NodeStatus> status = node.status();
  if (!status) return status.failure();
  if (status->genesis_hash().size() != crypto::kHashSize) {
    return Failure::refused("the node does not report its genesis hash (an older release); a bundle needs it");
  }
  api::QueryRequest q;
  q.mutable_ledger()->mutable_validators()->set_history(true);
  Outcome<api::QueryResponse> r = node.query(q);
  if (!r) return r.failure();
  const ledger::Validators& answer = r->ledger().validators();

  // Every epoch's set in order: the ended ones, then the one in force.
  struct Epoch {
    std::uint64_t start = 0;
    const google::protobuf::RepeatedPtrField<ledger::ValidatorInfo>* validators = nullptr;
  };
  std::vector<Epoch> epochs;
  for (const ledger::EpochSet& ended : answer.history()) {
    if (ended.epoch() != epochs.size()) return Failure::refused("the node lists the ended epochs out of order");
    epochs.push_back({ended.start_height(), &ended.validators()});
  }
  if (answer.epoch() != epochs.size()) {
    return Failure::refused("the node is in epoch " + std::to_string(answer.epoch()) + " but names " +
                            std::to_string(epochs.size()) + " ended epochs");
  }
  epochs.push_back({answer.epoch_start(), &answer.validators()});

  Outcome<std::vector<consensus::ValidatorInfo>> genesis = keys_of(*epochs.front().validators);
  if (!genesis) return genesis.failure();
  proofs::Trust trust = proofs::trust_of(status->chain_id(), status->genesis_hash(), std::move(genesis).value());
  for (std::size_t e = 1; e < epochs.size(); ++e) {
    Outcome<std::vector<consensus::ValidatorInfo>> keys = keys_of(*epochs[e].validators);
    if (!keys) return keys.failure();
    Outcome<api::BlockInfo> block = node.block_at(epochs[e].start);
    if (!block) return block.failure();
    api::CertifiedHeader switch_block;
    switch_block.set_header(block->block().header());
    *switch_block.mutable_certificate() = block->block().certificate();
    if (Status s = proofs::extend_trust(trust, epochs[e].start, std::move(keys).value(), std::move(switch_block)); !s) {
      return Failure::refused("the node's chain of validator sets does not verify: " + s.message());
    }
  }
  return trust;
}

}  // namespace sharechain::tools
