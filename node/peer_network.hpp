// Validator-to-validator networking over gRPC.
//
// Each node dials every other validator and keeps one long-lived client stream to it
// (Peer.Connect), so every ordered pair of validators has exactly one stream carrying messages
// from the dialer to the listener. Each side owns its outbound stream: its bounded send queue,
// its reconnects with back-off and its keepalive; nobody has to agree who dials whom. A slow or
// dead peer fills only its own queue (oldest messages dropped first; consensus tolerates loss
// and retransmits through its timers), so it never blocks the others. Both ends of a stream
// are gRPC callback reactors: no thread is held by an open link, in either direction.
//
// The first message on a stream is a signed Hello naming the dialer's validator index, chain id
// and genesis hash; the listener refuses the stream (FAILED_PRECONDITION / PERMISSION_DENIED)
// on any mismatch. Every consensus envelope that follows must name the same validator; its
// signature is then checked by the consensus engine.
//
// A validator the engine caught in provable misbehaviour (penalize()) is disconnected for a
// back-off period (PeerPenalties): its inbound streams are cancelled, new ones refused with
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
  // Called on gRPC callback threads: neither may block.
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

// The bytes a Hello's signature covers (under crypto::kHelloTag): length-prefixed chain id and
// genesis hash, then the validator index and the nonce, big-endian.
std::string hello_signing_bytes(const std::string& chain_id, const std::string& genesis,
                                std::uint32_t validator, std::uint64_t nonce);

struct PeerIdentity {
  std::string chain_id;
  std::string genesis_hash;                    // 32 raw bytes
  std::vector<std::string> validator_keys;     // x-only keys by index
  std::uint32_t self = 0;
};

class PeerNetwork {
 public:
  PeerNetwork(const Config& config, PeerIdentity identity, const crypto::PrivateKey& key,
              Metrics& metrics, PeerHandlers handlers);
  ~PeerNetwork();

  Status start();   // listens on [p2p] listen and starts one link per configured peer
  void stop();

  void send(std::uint32_t to, const consensus::Envelope& envelope);
  void broadcast(const consensus::Envelope& envelope);
  void gossip(const std::vector<SignedTransaction>& txs);

  struct LinkStatus {
    std::uint32_t validator;
    std::string address;
    bool connected;
  };
  std::vector<LinkStatus> status() const;

  // Disconnects `validator` for a back-off period because the engine proved it misbehaved
  // (`reason` says how). Safe from any thread.
  void penalize(std::uint32_t validator, const std::string& reason);
  // Milliseconds left of `validator`'s ban, or nullopt when it is heard.
  std::optional<std::uint64_t> banned_for(std::uint32_t validator) const;
  std::size_t connected_peers() const;

  // Fetches committed blocks [from, to] from one peer, in order, stopping at the first gap or
  // error. The caller verifies certificates.
  Result<std::vector<Block>> fetch_blocks(std::uint32_t validator, std::uint64_t from,
                                          std::uint64_t to);
  // Streams heights `to` down to `from` of the peer's history to `on_entry` (decoded, not yet
  // verified) until the peer stops, `on_entry` returns false, or an error. Returns how many
  // entries arrived; an error only when none did.
  Result<std::size_t> fetch_history(std::uint32_t validator, std::uint64_t from, std::uint64_t to,
                                    const std::function<bool(storage::HistoryEntry)>& on_entry);
  // Fetches the peer's latest stable-checkpoint snapshot if it is at least `min_height`; the
  // caller verifies the proof, the certificate and the state root.
  Result<FetchedSnapshot> fetch_snapshot(std::uint32_t validator, std::uint64_t min_height);

 private:
  class Link;
  class LinkTimers;
  class Service;
  class InboundStream;
  std::string ban_reason(std::uint32_t validator) const;
  std::shared_ptr<grpc::ChannelCredentials> channel_credentials() const;
  PeerMessage make_hello();
  Link* link_to(std::uint32_t validator);

  const Config& config_;
  const PeerIdentity identity_;
  const crypto::PrivateKey key_;
  Metrics& metrics_;
  PeerHandlers handlers_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  // Reconnect back-off and idle keepalive of every outbound link, on one thread; the links
  // themselves own no thread (their writes are gRPC callback reactions).
  std::unique_ptr<LinkTimers> link_timers_;
  std::vector<std::unique_ptr<Link>> links_;
  std::atomic<std::uint64_t> hello_nonce_{0};

  // Set by the first penalty: until then send() and broadcast() skip the lock below.
  std::atomic<bool> any_penalty_{false};
  mutable std::mutex penalty_mu_;
  PeerPenalties penalties_;
  std::map<std::uint32_t, std::set<grpc::ServerContextBase*>> inbound_;  // open streams by sender
};

}  // namespace sharechain::node
