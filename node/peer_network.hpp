// Node-to-node networking over gRPC.
//
// Each node dials every node it lists (set_peers: the validators of the epoch in force and of
// sets waiting for their switch height) and keeps one long-lived client stream to each
// (Peer.Connect), so every ordered pair has exactly one stream carrying messages from the
// dialer to the listener. Each side owns its outbound stream: its bounded send queue, its
// reconnects with back-off and its keepalive; nobody has to agree who dials whom. A slow or dead
// peer fills only its own queue (oldest messages dropped first; consensus tolerates loss and
// retransmits through its timers), so it never blocks the others. Both ends of a stream are
// gRPC callback reactors: no thread is held by an open link, in either direction.
//
// Peers are named by public key, since a validator's index changes with the set it belongs to.
// The first message on a stream is a Hello naming the dialer's key, chain id and genesis hash,
// signed with that key; the listener refuses the stream (FAILED_PRECONDITION /
// PERMISSION_DENIED) on any mismatch, and when the key is in no set it lists: a node whose key
// was rotated away or removed is told so. Inside the process every key gets a peer number
// (peer_id) that callbacks, send and the fetches use; the node maps it to the key's index in
// the epoch in force and checks that every envelope on a stream names that index.
//
// The block, history and snapshot fetches need no Hello: a follower (a node no set holds yet)
// catches up through them before the chain admits it.
//
// A peer the engine caught in provable misbehaviour (penalize()) is disconnected for a back-off
// period (PeerPenalties): its inbound streams are cancelled, new ones refused with
// PERMISSION_DENIED naming the reason and the time left, and nothing is sent to it meanwhile.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "node/config.hpp"
#include "node/metrics.hpp"
#include "node/peer_penalties.hpp"
#include "proto/crypto.hpp"
#include "proto/status.hpp"
#include "sharechain/consensus.pb.h"
#include "storage/store.hpp"
#include "sharechain/peer.grpc.pb.h"

#include <grpcpp/grpcpp.h>

namespace sharechain::node {

using peer::Ack;
using peer::GetBlocksRequest;
using peer::GetHistoryRequest;
using peer::GetSnapshotRequest;
using peer::Hello;
using peer::Peer;
using peer::PeerMessage;
using peer::SnapshotChunk;

// A state snapshot at a stable checkpoint, with what a receiver needs to trust it without
// trusting the sender: the checkpoint proof (a quorum of signed CHECKPOINT votes on height,
// block hash and state root) and the certified block at that height.
struct ServedSnapshot {
  std::shared_ptr<const storage::Store::Snapshot> state;
  std::string checkpoint_proof;   // serialized consensus::CheckpointProof
  Block block;
};

// A snapshot as received; nothing in it is verified yet.
struct FetchedSnapshot {
  std::uint64_t height = 0;
  std::uint64_t timestamp_ms = 0;
  std::string state_root;
  Block block;
  consensus::CheckpointProof proof;
  std::vector<std::pair<std::string, std::string>> entries;
};

struct PeerHandlers {
  // Called on gRPC callback threads: neither may block. `from` is the sender's peer_id().
  std::function<void(std::uint32_t from, consensus::Envelope envelope)> on_consensus;
  // Must call `done` exactly once, from any thread, when the transactions are taken (verified
  // into the mempool, or dropped): the stream hands on what followed them and reads its next
  // message only then.
  std::function<void(std::uint32_t from, std::vector<SignedTransaction> txs, std::function<void()> done)>
      on_transactions;
  // Serves GetBlocks: the committed block at `height` with its certificate, if any.
  std::function<std::optional<Block>(std::uint64_t height)> block_at;
  std::function<std::uint64_t()> height;
  // Serves GetHistory: height h in full (block, receipts, history anchors), if held.
  std::function<std::optional<storage::HistoryEntry>(std::uint64_t height)> history_entry;
  // Serves GetSnapshot: the state at the latest stable checkpoint this node kept, or null.
  std::function<std::shared_ptr<const ServedSnapshot>()> snapshot;
};

// The bytes a Hello's signature covers (under crypto::kHelloTag): length-prefixed chain id,
// genesis hash and public key, then the nonce, big-endian.
std::string hello_signing_bytes(const std::string& chain_id, const std::string& genesis,
                                const std::string& public_key, std::uint64_t nonce);

struct PeerIdentity {
  std::string chain_id;
  std::string genesis_hash;  // 32 raw bytes
};

// A node to keep a link with.
struct PeerEntry {
  std::string public_key;   // x-only, 32 raw bytes
  std::string address;      // host:port it is dialled at; empty: it may connect, it is not dialled
  // A validator of the epoch in force: consensus messages and gossip go only to these.
  bool validating = false;
};

class PeerNetwork {
 public:
  PeerNetwork(const Config& config, PeerIdentity identity, const crypto::PrivateKey& key,
              Metrics& metrics, PeerHandlers handlers);
  ~PeerNetwork();

  Status start();   // listens on [p2p] listen; links start with set_peers()
  void stop();

  // The nodes to link with, this node's own key left out. Links to keys not listed before
  // start; a key no longer listed may no longer connect and is sent nothing (its link stays,
  // idle). Call from one thread at a time (the node's consensus thread).
  void set_peers(const std::vector<PeerEntry>& peers);
  // The number callbacks, send() and the fetches use for `public_key`, the same for the life of
  // this network; nullopt for a key never listed.
  std::optional<std::uint32_t> peer_id(const std::string& public_key) const;
  // The key behind a peer number (empty for an unknown number).
  std::string public_key_of(std::uint32_t peer) const;

  void send(std::uint32_t peer, const consensus::Envelope& envelope);
  void broadcast(const consensus::Envelope& envelope);  // to every validating peer
  void gossip(const std::vector<SignedTransaction>& txs);

  struct LinkStatus {
    std::uint32_t peer;
    std::string public_key;
    std::string address;
    bool connected;
    bool validating;
  };
  // Every listed peer, in peer_id() order.
  std::vector<LinkStatus> status() const;

  // Disconnects `peer` for a back-off period because the engine proved it misbehaved
  // (`reason` says how). Safe from any thread.
  void penalize(std::uint32_t peer, const std::string& reason);
  // Milliseconds left of `peer`'s ban, or nullopt when it is heard.
  std::optional<std::uint64_t> banned_for(std::uint32_t peer) const;
  // Listed peers with a live outbound stream.
  std::size_t connected_peers() const;

  // Fetches committed blocks [from, to] from one peer, in order, stopping at the first gap or
  // error. The caller verifies certificates.
  Result<std::vector<Block>> fetch_blocks(std::uint32_t peer, std::uint64_t from,
                                          std::uint64_t to);
  // Streams heights `to` down to `from` of the peer's history to `on_entry` (decoded, not yet
  // verified) until the peer stops, `on_entry` returns false, or an error. Returns how many
  // entries arrived; an error only when none did.
  Result<std::size_t> fetch_history(std::uint32_t peer, std::uint64_t from, std::uint64_t to,
                                    const std::function<bool(storage::HistoryEntry)>& on_entry);
  // Fetches the peer's latest stable-checkpoint snapshot if it is at least `min_height`; the
  // caller verifies the proof, the certificate and the state root.
  Result<FetchedSnapshot> fetch_snapshot(std::uint32_t peer, std::uint64_t min_height);

 private:
  class Link;
  class LinkTimers;
  class Service;
  class InboundStream;
  std::string ban_reason(std::uint32_t peer) const;
  std::shared_ptr<grpc::ChannelCredentials> channel_credentials() const;
  PeerMessage make_hello();
  Link* link_to(std::uint32_t peer) const;
  // Whether a Hello from `public_key` is accepted now, and if so its peer number; else why not.
  Result<std::uint32_t> admit(const std::string& public_key) const;

  const Config& config_;
  const PeerIdentity identity_;
  const crypto::PrivateKey key_;
  const std::string public_key_;
  Metrics& metrics_;
  PeerHandlers handlers_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  // Reconnect back-off and idle keepalive of every outbound link, on one thread; the links
  // themselves own no thread (their writes are gRPC callback reactions).
  std::unique_ptr<LinkTimers> link_timers_;
  // links_[id] is peer id's link. Links are only ever added (under links_mu_) and destroyed with
  // the network, so a Link* taken under the lock stays valid.
  mutable std::mutex links_mu_;
  std::vector<std::unique_ptr<Link>> links_;
  std::map<std::string, std::uint32_t> ids_;  // public key -> peer id
  bool stopped_ = false;
  std::atomic<std::uint64_t> hello_nonce_{0};

  // Set by the first penalty: until then send() and broadcast() skip the lock below.
  std::atomic<bool> any_penalty_{false};
  mutable std::mutex penalty_mu_;
  PeerPenalties penalties_;
  std::map<std::uint32_t, std::set<grpc::ServerContextBase*>> inbound_;  // open streams by peer
};

}  // namespace sharechain::node
