// The data server's connection to a cluster: one client per node, a signer per account with
// its nonce kept locally, and one block subscription that tells every waiting submission when
// its transaction committed.
//
// Why not SubmitTransaction with wait_for_commit: a node admits an account's transactions only
// in nonce order with no gap, so a second transaction of the same account can be sent as soon
// as the first is admitted, not when it commits. Submitting without waiting and learning of
// commits from the block stream lets the busiest account (the data server itself) put many
// transactions in one block, while each flow still waits for its own transaction's receipt.
//
// Nonces: fetched once per account, then incremented for every admitted transaction. An
// account always submits to the same node (nodes are dealt round robin), so its transactions
// arrive there in nonce order. A nonce refusal at admission, a BAD_NONCE or EXPIRED receipt
// (the nonce was not consumed) or a transaction that vanished makes the account wait until its
// other transactions have settled, fetch its nonce again, and submit again.
//
// Causality across nodes: a node dry-runs a transaction against its own committed state before
// admitting it, and the nodes commit a block at slightly different moments. A flow learns of a
// commit from the followed node and may send its next step (paying a session just ended) to a
// node that has not committed that block yet, which would refuse it ("session has not ended
// yet"). So a submission carries the newest height seen when it was made; when a node refuses
// it, the submission waits until that node has committed that height and is sent once more:
// only the second answer counts.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "proto/crypto.hpp"
#include "proto/status.hpp"
#include "sharechain/api.grpc.pb.h"
#include "client/batch_submitter.hpp"
#include "tools/common/client.hpp"
#include "tools/dataserver/report.hpp"

namespace sharechain::dataserver {

struct Committed {
  crypto::Hash hash{};
  std::uint64_t height = 0;
  std::uint64_t block_time_ms = 0;  // the block's timestamp: the contract's "now"
  Receipt receipt;

  bool ok() const { return receipt.status() == RECEIPT_OK; }
};

// One account the data server signs for. Created by Chain::make_signer.
class Signer {
 public:
  Signer(std::string name, crypto::PrivateKey key, std::size_t node);

  const std::string& name() const { return name_; }
  const std::string& address() const { return address_; }
  const crypto::PrivateKey& key() const { return key_; }

 private:
  friend class Chain;
  const std::string name_;
  const crypto::PrivateKey key_;
  const std::string address_;
  // Held while a nonce is chosen and its transaction admitted, so an account's transactions
  // reach its node in nonce order.
  std::mutex lane_;
  std::size_t node_;                         // guarded by lane_
  std::optional<std::uint64_t> next_nonce_;  // guarded by lane_; nullopt = ask the chain
  bool nonce_fetched_ = false;               // guarded by lane_; a later fetch is a resync
  std::mutex flight_mu_;
  std::condition_variable flight_cv_;
  std::uint64_t in_flight_ = 0;  // admitted, outcome not yet known
};

class Chain {
 public:
  struct Options {
    std::vector<std::string> nodes;
    std::chrono::milliseconds call_timeout{10'000};
    std::chrono::milliseconds commit_timeout{30'000};
  };

  explicit Chain(Options options);
  ~Chain();
  Chain(const Chain&) = delete;
  Chain& operator=(const Chain&) = delete;

  // Reads the chain id and height from the first node that answers and starts following
  // committed blocks. UNAVAILABLE when no node answers.
  Status start();
  // Stops following blocks. Submissions still waiting then time out.
  void stop();

  const std::string& chain_id() const { return chain_id_; }
  std::size_t node_count() const { return clients_.size(); }

  // A signer whose transactions go to the next node in turn.
  std::shared_ptr<Signer> make_signer(std::string name, crypto::PrivateKey key);

  // Builds the transaction (`set_call` fills the call), signs it with the signer's next nonce,
  // submits it and waits until a block holding it is seen. A transaction the chain refused
  // still commits: check Committed::ok(). An error means it did not commit: rejected at
  // admission (the node's reason), or not seen within the commit timeout (UNAVAILABLE).
  Result<Committed> submit(Signer& signer, const std::function<void(TransactionBody&)>& set_call);

  // A contract query, answered by the node whose blocks are followed (so it has seen every
  // commit the run waited for), or another when that one is down.
  Result<api::QueryResponse> query(const api::QueryRequest& request);
  // nullopt when the chain has never seen the address.
  Result<std::optional<ledger::Account>> account(std::string_view address20);

  // The newest committed block seen: its timestamp and height.
  std::uint64_t last_block_time_ms() const { return last_block_time_ms_.load(); }
  std::uint64_t height() const { return height_.load(); }

  TxCounters counters() const;
  // Called with the receipt of every committed transaction of the run (set before start()).
  void set_observer(std::function<void(const Receipt&)> observer) { observer_ = std::move(observer); }

 private:
  struct Waiter {
    std::mutex mu;
    std::condition_variable cv;
    std::optional<Committed> result;
  };
  struct Admitted {
    crypto::Hash hash{};
    std::shared_ptr<Waiter> waiter;
    std::size_t node = 0;
  };
  // How an attempt ended when it did not produce a Committed.
  // kRefused: the node judged the transaction and refused it (its dry run failed).
  enum class Retry { kNo, kNow, kAfterPause, kRefused };

  Result<Admitted> admit(Signer& s, const std::function<void(TransactionBody&)>& set_call,
                         Retry& retry);
  // Waits until `node` has committed `height` (at most a few seconds). False if it has not.
  bool catch_up(std::size_t node, std::uint64_t height);
  Result<Committed> await(Signer& s, const Admitted& a);
  void settled(Signer& s);
  void forget_nonce(Signer& s);
  void wait_until_idle(Signer& s);
  Result<std::optional<ledger::Account>> account_at(std::size_t node, std::string_view address20);

  void watch();
  void on_block(const api::BlockInfo& info);

  Options options_;
  std::vector<std::unique_ptr<client::Node>> clients_;
  // One SubmitTransactions stream per node: concurrent flows' transactions share its messages.
  std::vector<std::unique_ptr<client::BatchSubmitter>> submitters_;
  std::string chain_id_;
  std::function<void(const Receipt&)> observer_;

  std::mutex waiters_mu_;
  std::unordered_map<std::string, std::shared_ptr<Waiter>> waiters_;  // by raw tx hash

  std::atomic<std::size_t> next_signer_node_{0};
  std::atomic<std::size_t> watch_node_{0};
  std::atomic<std::uint64_t> next_height_{1};
  std::atomic<std::uint64_t> height_{0};
  std::atomic<std::uint64_t> last_block_time_ms_{0};

  std::mutex watch_mu_;
  std::condition_variable watch_cv_;
  bool stopping_ = false;                          // guarded by watch_mu_
  grpc::ClientContext* watch_context_ = nullptr;   // guarded by watch_mu_
  std::thread watcher_;

  mutable std::mutex counters_mu_;
  TxCounters counters_;
};

}  // namespace sharechain::dataserver
