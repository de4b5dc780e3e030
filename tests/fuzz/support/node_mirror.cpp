#include "tests/fuzz/support/node_mirror.hpp"

#include <algorithm>

#include "consensus/signing.hpp"

namespace sharechain::fuzz {

Result<std::uint32_t> accept_hello(const PeerIdentity& id, const peer::PeerMessage& first) {
  if (first.kind_case() != peer::PeerMessage::kHello) {
    return Status::invalid_argument("the first message on a peer stream must be Hello");
  }
  const peer::Hello& hello = first.hello();
  if (hello.chain_id() != id.chain_id) {
    return Status::failed_precondition("chain id mismatch: this node serves '" + id.chain_id +
                                       "', you sent '" + hello.chain_id() + "'");
  }
  if (hello.genesis_hash() != id.genesis_hash) {
    return Status::failed_precondition("genesis mismatch: this node's genesis hash is " +
                                       crypto::to_hex(id.genesis_hash) + ", yours is " +
                                       crypto::to_hex(hello.genesis_hash()));
  }
  const auto known = std::find(id.validator_keys.begin(), id.validator_keys.end(), hello.public_key());
  if (known == id.validator_keys.end() || hello.public_key() == id.validator_keys[id.self]) {
    return Status::permission_denied("public key " + crypto::to_hex(hello.public_key()) +
                                     " is not another validator of this chain");
  }
  const auto from = static_cast<std::uint32_t>(known - id.validator_keys.begin());
  const auto digest = crypto::tagged_hash(
      crypto::kHelloTag, hello_signing_bytes(hello.chain_id(), hello.genesis_hash(), hello.public_key(), hello.nonce()));
  if (!crypto::verify(hello.public_key(), digest, hello.signature())) {
    return Status::permission_denied("hello is not signed by the key it names");
  }
  return from;
}

Result<FetchedSnapshot> assemble_snapshot(const std::vector<peer::SnapshotChunk>& chunks) {
  FetchedSnapshot out;
  bool first = true;
  bool complete = false;
  for (const peer::SnapshotChunk& chunk : chunks) {
    if (first) {
      out.height = chunk.height();
      out.timestamp_ms = chunk.timestamp_ms();
      out.state_root = chunk.state_root();
      if (!out.block.ParseFromString(chunk.block()) || !out.proof.ParseFromString(chunk.checkpoint_proof())) {
        return Status::invalid_argument("a snapshot whose block or checkpoint proof does not decode");
      }
      first = false;
    } else if (chunk.height() != out.height) {
      return Status::invalid_argument("the snapshot height changed mid-stream");
    }
    for (const auto& e : chunk.entries()) out.entries.emplace_back(e.key(), e.value());
    complete = chunk.last();
  }
  if (first || !complete) return Status::unavailable("the snapshot ended early");
  return out;
}

Status restore_fetched(const consensus::Config& config, consensus::Verifier& verifier,
                       storage::Store& store, const FetchedSnapshot& snap) {
  const crypto::Hash block_hash = crypto::sha256(snap.block.header());
  if (snap.proof.height() != snap.height || snap.proof.state_root() != snap.state_root ||
      snap.proof.block_hash() != crypto::hash_bytes(block_hash)) {
    return Status::invalid_argument("its checkpoint proof is for another height, block or state root");
  }
  if (Status s = consensus::verify_checkpoint_proof(
          config.chain_id, static_cast<std::uint32_t>(config.validators.size()), snap.proof, verifier);
      !s) {
    return s;
  }
  if (Status s = consensus::verify_commit_certificate(config, snap.block, verifier); !s) {
    return Status::invalid_argument("the block's commit certificate: " + s.message());
  }
  BlockHeader header;
  if (!header.ParseFromString(snap.block.header()) || header.height() != snap.height) {
    return Status::invalid_argument("its block header does not decode or names another height");
  }
  const auto root = crypto::hash_from_bytes(snap.state_root);
  if (!root) return Status::invalid_argument("its state root is not 32 bytes");
  if (snap.height <= store.height()) return Status::ok();
  return store.restore_snapshot(snap.height, block_hash, snap.block, snap.timestamp_ms, *root,
                                snap.entries);
}

Status take_fetched_block(const consensus::Config& config, consensus::Verifier& verifier,
                          node::Chain& chain, const Block& block, std::uint64_t height) {
  BlockHeader header;
  if (!header.ParseFromString(block.header()) || header.height() != height) {
    return Status::invalid_argument("block header does not decode or names another height");
  }
  if (Status s = consensus::verify_commit_certificate(config, block, verifier); !s) return s;
  auto& store = chain.store();
  if (height != store.height() + 1) {
    return Status::invalid_argument("block " + std::to_string(height) + " does not follow the store");
  }
  if (header.state_height() > 0 && header.state_height() <= store.height()) {
    auto ours = store.state_root_at(header.state_height());
    if (ours && crypto::hash_bytes(*ours) != header.state_root()) {
      return Status::internal("state divergence: certified block " + std::to_string(height) +
                              " says the state root after height " +
                              std::to_string(header.state_height()) + " is " +
                              crypto::to_hex(header.state_root()) + ", this node computed " +
                              crypto::to_hex(*ours));
    }
  }
  auto executed = chain.execute(block, crypto::sha256(block.header()), height);
  if (!executed) return Status::internal(executed.status().message());
  return Status::ok();
}

}  // namespace sharechain::fuzz
