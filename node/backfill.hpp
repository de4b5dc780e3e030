// Backfill: after a state snapshot restore, the node fetches the blocks and receipts below the
// snapshot from peers, so it ends up holding its whole history again.
//
// A restore leaves a hole (storage::HistoryGap) between the node's old tip and the snapshot.
// The backfill thread fills each hole from the top down: it asks a connected peer for a range
// (Peer.GetHistory streams it downwards), checks each block's commit certificate and tx_root,
// and hands batches to Store::backfill, which checks the hash chain down from the snapshot's
// certified block and the history chain (receipts and state roots) down from its certified
// history value. Nothing a peer sends is kept unchecked; a peer that sends bad data is skipped
// for a while. It runs beside consensus and never holds it up: the store serialises its short
// batch writes with block commits, and the keys it writes are disjoint from theirs.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "consensus/types.hpp"
#include "node/chain_epoch.hpp"
#include "node/metrics.hpp"
#include "node/peer_network.hpp"
#include "storage/store.hpp"

namespace sharechain::node {

class Backfill {
 public:
  struct Deps {
    storage::Store& store;
    PeerNetwork& network;
    // The epoch in force here: blocks of it are checked against its set.
    std::function<std::shared_ptr<const EpochKeys>()> epoch_keys;
    Metrics& metrics;
    // Heights filled per second at most (0 = as fast as peers serve), so an operator can keep
    // backfill's disk and network use small on a busy node.
    std::uint64_t blocks_per_s = 0;
    // Called when the certified history does not join this node's own (a broken invariant).
    std::function<void(const std::string& reason)> halt;
  };

  explicit Backfill(Deps deps);
  ~Backfill();
  Backfill(const Backfill&) = delete;
  Backfill& operator=(const Backfill&) = delete;

  void start();
  void wake();  // a new hole may have appeared (after a snapshot restore)
  void stop();  // idempotent; joins the thread

 private:
  void run();
  // Fills the top of `gap` from one peer; the number of heights filled (0 when it could not).
  std::uint64_t fill_from(const storage::HistoryGap& gap, std::uint32_t peer);
  bool stopping();
  // Sleeps as long as `blocks_per_s` requires after `done` heights since `since`; false when
  // stopping.
  bool pace(std::chrono::steady_clock::time_point since, std::uint64_t done);
  void pause(std::chrono::milliseconds how_long);

  Deps deps_;
  prometheus::Counter& filled_;
  prometheus::Counter& refused_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool woken_ = false;
  std::uint32_t next_peer_ = 0;
  std::map<std::uint32_t, std::chrono::steady_clock::time_point> shunned_until_;
  std::thread thread_;
};

}  // namespace sharechain::node
