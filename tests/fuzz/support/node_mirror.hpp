// What the node does with a peer's bytes where that code sits inside a gRPC handler or the
// state-transfer thread, out of a fuzz target's reach: the Hello check of Peer.Connect
// (node/peer_network.cpp), the assembly of SnapshotChunks (PeerNetwork::fetch_snapshot), the
// checks before a snapshot is restored (Node::fetch_snapshot_from) and before a fetched block is
// executed (Node::start_fetch, Node::execute_fetched in node/state_transfer.cpp).
//
// Each function repeats the node's steps in the node's order and calls the same library
// functions (consensus::verify_*, storage::Store::restore_snapshot, node::Chain::execute), so a
// fuzz target drives the real checks. Keep them in step with the node: tests/fuzz/README.md lists
// them among the things to update when the node changes.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "consensus/types.hpp"
#include "node/chain.hpp"
#include "node/peer_network.hpp"
#include "proto/status.hpp"
#include "sharechain/consensus.pb.h"
#include "sharechain/peer.pb.h"
#include "storage/store.hpp"

namespace sharechain::fuzz {

// The bytes a Hello's signature covers: the node's own function.
using node::hello_signing_bytes;

struct PeerIdentity {
  std::string chain_id;
  std::string genesis_hash;
  std::vector<std::string> validator_keys;
  std::uint32_t self = 0;
};

// Peer.Connect's checks of the first message on a stream: OK with the dialer's validator index
// (its key's place in the set), or the refusal the listener returns.
Result<std::uint32_t> accept_hello(const PeerIdentity& id, const peer::PeerMessage& first);

// A snapshot as fetch_snapshot assembles it from a peer's chunks; nothing verified yet.
struct FetchedSnapshot {
  std::uint64_t height = 0;
  std::uint64_t timestamp_ms = 0;
  std::string state_root;
  Block block;
  consensus::CheckpointProof proof;
  std::vector<std::pair<std::string, std::string>> entries;
};
Result<FetchedSnapshot> assemble_snapshot(const std::vector<peer::SnapshotChunk>& chunks);

// fetch_snapshot_from's checks, then the restore the consensus thread performs. OK also when the
// store is already at or above the snapshot's height (nothing done, as the node does).
Status restore_fetched(const consensus::Config& config, consensus::Verifier& verifier,
                       storage::Store& store, const FetchedSnapshot& snapshot);

// start_fetch's checks of the next fetched block (header decodes, names the height wanted, its
// certificate verifies), then execute_fetched: the state-divergence check against the header's
// claimed root, and node::Chain::execute. OK when executed; otherwise why the node stopped
// taking blocks from this peer (kInvalidArgument) or would halt (kInternal).
Status take_fetched_block(const consensus::Config& config, consensus::Verifier& verifier,
                          node::Chain& chain, const Block& block, std::uint64_t height);

}  // namespace sharechain::fuzz
