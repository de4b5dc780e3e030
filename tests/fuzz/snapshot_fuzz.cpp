// Fuzz target snapshot: the SnapshotChunks a peer streams in answer to GetSnapshot, for a node
// at genesis of the chain world. The input is records (support/records.hpp) of serialized
// SnapshotChunk, at most 64, assembled and checked as the node does (support/node_mirror.hpp:
// PeerNetwork::fetch_snapshot, then Node::fetch_snapshot_from), then restored with
// storage::Store::restore_snapshot into a scratch RocksDB store.
//  - decode -> encode -> decode is stable for every chunk, the block and the checkpoint proof
//  - a refused snapshot is refused with a reason and leaves the store exactly as it was (height,
//    block hash, state root, time): restore is all or nothing
//  - a restored store is what the proof and the certified block say: the snapshot's height, the
//    block's hash, the proven state root recomputed from the entries (verify_state), the
//    certified block's timestamp; and for an honest checkpoint, the honest root
#include <cstdint>
#include <vector>

#include "tests/fuzz/support/chain_world.hpp"
#include "tests/fuzz/support/check.hpp"
#include "tests/fuzz/support/node_mirror.hpp"
#include "tests/fuzz/support/records.hpp"

using namespace sharechain;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fuzz::ChainWorld& world = fuzz::chain_world();
  static fuzz::ScratchStore* scratch = new fuzz::ScratchStore("snapshot");
  if (scratch->get() == nullptr || scratch->get()->height() != 0) scratch->reset(world);
  storage::Store& store = *scratch->get();

  std::vector<peer::SnapshotChunk> chunks;
  for (const fuzz::Record& record :
       fuzz::split_records(std::string_view(reinterpret_cast<const char*>(data), size), 64)) {
    auto chunk = fuzz::decode_stable<peer::SnapshotChunk>(record.bytes);
    if (!chunk) break;  // gRPC would have failed the stream
    chunks.push_back(std::move(*chunk));
  }
  auto fetched = fuzz::assemble_snapshot(chunks);
  if (!fetched) {
    FUZZ_CHECK(!fetched.status().message().empty(), "a snapshot refused without a reason");
    return 0;
  }
  fuzz::check_round_trip(fetched->block);
  fuzz::check_round_trip(fetched->proof);

  const crypto::Hash root_before = store.state_root();
  const crypto::Hash hash_before = store.last_block_hash();
  const std::uint64_t time_before = store.last_timestamp_ms();
  const Status restored = fuzz::restore_fetched(world.config(), world.verifier(), store, *fetched);
  if (!restored || store.height() == 0) {
    if (!restored) FUZZ_CHECK(!restored.message().empty(), "a snapshot refused without a reason");
    FUZZ_CHECK(store.height() == 0 && store.state_root() == root_before &&
                   store.last_block_hash() == hash_before && store.last_timestamp_ms() == time_before,
               "a refused snapshot changed the store");
    return 0;
  }
  BlockHeader header;
  FUZZ_CHECK(header.ParseFromString(fetched->block.header()), "restored a block whose header does not decode");
  FUZZ_CHECK(store.height() == fetched->height && header.height() == fetched->height,
             "restored to height " + std::to_string(store.height()) + " from a snapshot at " +
                 std::to_string(fetched->height));
  FUZZ_CHECK(store.last_block_hash() == crypto::sha256(fetched->block.header()),
             "the restored store's last block is not the certified block");
  FUZZ_CHECK(crypto::hash_bytes(store.state_root()) == fetched->proof.state_root(),
             "the restored state root is not the proven one");
  const Status state = store.verify_state();
  FUZZ_CHECK(state.is_ok(), "the restored state does not hash to its root: " + state.message());
  FUZZ_CHECK(store.last_timestamp_ms() == header.timestamp_ms(),
             "the restored store's time is " + std::to_string(store.last_timestamp_ms()) +
                 " ms, the certified block's is " + std::to_string(header.timestamp_ms()) + " ms");
  if (fetched->height <= world.blocks().size() &&
      fetched->block.header() == world.blocks()[fetched->height - 1].header()) {
    FUZZ_CHECK(store.state_root() == world.roots()[fetched->height],
               "an honest checkpoint restored a state root that is not the honest one");
  }
  return 0;
}
