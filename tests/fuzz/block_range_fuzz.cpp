// Fuzz target block_range: the blocks a peer streams in answer to GetBlocks while this node
// catches up (node/state_transfer.cpp), for a node at genesis of the chain world. The input is
// records (support/records.hpp) of serialized Block, at most 12, taken in order for heights 1,
// 2, ... as the node takes them (support/node_mirror.hpp): header decodes and names the height
// wanted, the commit certificate verifies, the claimed state root matches this node's, then the
// block is executed and committed by node::Chain on a scratch RocksDB store.
//  - decode -> encode -> decode is stable for every block and its header
//  - a refused block is refused with a reason, and nothing of it is stored
//  - a certificate verify_commit_certificate accepts is a quorum of distinct validators whose
//    COMMIT signatures verify on their own (re-checked here with crypto::verify)
//  - what gets executed is what the certificate covers: the executed transactions hash to the
//    header's tx_root, and a block certified with an honest header leaves the honest state root
#include <cstdint>
#include <memory>
#include <set>
#include <vector>

#include "consensus/quorum.hpp"
#include "consensus/signing.hpp"
#include "node/chain.hpp"
#include "tests/fuzz/support/chain_world.hpp"
#include "tests/fuzz/support/check.hpp"
#include "tests/fuzz/support/node_mirror.hpp"
#include "tests/fuzz/support/records.hpp"

using namespace sharechain;

namespace {

// Re-checks an accepted certificate without the code under test.
void recount(const fuzz::ChainWorld& world, const Block& block) {
  BlockHeader header;
  FUZZ_CHECK(header.ParseFromString(block.header()), "accepted a block whose header does not decode");
  const CommitCertificate& cert = block.certificate();
  const crypto::Hash hash = crypto::sha256(block.header());
  FUZZ_CHECK(cert.height() == header.height() && cert.block_hash() == crypto::hash_bytes(hash),
             "accepted a certificate for another height or block");
  const crypto::Hash digest = consensus::vote_digest(consensus::VoteKind::kCommit, world.chain_id(),
                                                     cert.view(), cert.height(), hash);
  std::set<std::uint32_t> voters;
  for (const CommitVote& v : cert.votes()) {
    FUZZ_CHECK(v.validator() < world.config().validators.size(), "accepted a vote from outside the set");
    FUZZ_CHECK(voters.insert(v.validator()).second, "accepted a validator voting twice");
    FUZZ_CHECK(crypto::verify(world.config().validators[v.validator()].public_key, digest, v.signature()),
               "accepted a vote whose signature does not verify");
  }
  FUZZ_CHECK(voters.size() >= consensus::quorum_size(static_cast<std::uint32_t>(world.config().validators.size())),
             "accepted " + std::to_string(voters.size()) + " votes as a quorum");
}

struct Node {
  fuzz::ScratchStore scratch{"block-range"};
  std::unique_ptr<node::Chain> chain;
  void reset(const fuzz::ChainWorld& world) {
    chain.reset();
    scratch.reset(world);
    chain = std::make_unique<node::Chain>(world.chain_id(), scratch.take());
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fuzz::ChainWorld& world = fuzz::chain_world();
  static Node* node = [&] {
    auto* n = new Node();
    n->reset(world);
    return n;
  }();
  if (node->chain->store().height() != 0) node->reset(world);
  node::Chain& chain = *node->chain;

  const auto records = fuzz::split_records(
      std::string_view(reinterpret_cast<const char*>(data), size), fuzz::kHonestHeight + 4);
  std::uint64_t next = 1;
  for (const fuzz::Record& record : records) {
    const auto block = fuzz::decode_stable<Block>(record.bytes);
    if (!block) break;  // gRPC would have failed the stream
    if (BlockHeader header; header.ParseFromString(block->header())) fuzz::check_round_trip(header);
    const crypto::Hash root_before = chain.store().state_root();
    const Status taken = fuzz::take_fetched_block(world.config(), world.verifier(), chain, *block, next);
    if (!taken) {
      FUZZ_CHECK(!taken.message().empty(), "a fetched block refused without a reason");
      FUZZ_CHECK(chain.store().height() == next - 1 && chain.store().state_root() == root_before,
                 "a refused block changed the store");
      break;
    }
    recount(world, *block);
    FUZZ_CHECK(chain.store().height() == next, "an executed block did not advance the store");
    BlockHeader header;
    header.ParseFromString(block->header());
    const auto hashes = consensus::transaction_hashes(*block);
    FUZZ_CHECK(hashes && crypto::hash_bytes(crypto::merkle_root(*hashes)) == header.tx_root(),
               "executed transactions that the certified header does not commit to (block " +
                   std::to_string(next) + ")");
    if (next <= world.blocks().size() &&
        block->header() == world.blocks()[next - 1].header()) {
      FUZZ_CHECK(chain.store().state_root() == world.roots()[next],
                 "the honest header of block " + std::to_string(next) + " left state root " +
                     crypto::to_hex(chain.store().state_root()) + ", not the honest " +
                     crypto::to_hex(world.roots()[next]));
    }
    ++next;
  }
  return 0;
}
