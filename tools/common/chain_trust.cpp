#include "tools/common/chain_trust.hpp"

#include "proto/crypto.hpp"

namespace sharechain::tools {

Outcome<proofs::Trust> chain_trust(client::Node& node) {
  Outcome<api::NodeStatus> status = node.status();
  if (!status) return status.failure();
  if (status->genesis_hash().size() != crypto::kHashSize) {
    return Failure::refused("the node does not report its genesis hash (an older release); a bundle needs it");
  }
  api::QueryRequest q;
  q.mutable_ledger()->mutable_validators();
  Outcome<api::QueryResponse> r = node.query(q);
  if (!r) return r.failure();
  proofs::Trust trust;
  trust.chain_id = status->chain_id();
  trust.genesis_hash = status->genesis_hash();
  for (const ledger::ValidatorInfo& v : r->ledger().validators().validators()) {
    if (v.index() != trust.validators.size()) return Failure::refused("the node lists its validators out of order");
    trust.validators.push_back(consensus::ValidatorInfo{v.public_key()});
  }
  return trust;
}

}  // namespace sharechain::tools
