// The chain as the daemon sees it: the store, block execution, and commit notifications.
//
// execute() runs on the consensus thread only; every read method may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "contracts/executor.hpp"
#include "contracts/invariants.hpp"
#include "node/mempool.hpp"
#include "proto/status.hpp"
#include "sharechain/api.pb.h"
#include "storage/store.hpp"

namespace sharechain::node {

struct ExecutedBlock {
  std::uint64_t height = 0;
  crypto::Hash hash{};
  crypto::Hash state_root{};
  crypto::Hash history{};  // history(height): what the next proposals certify beside state_root
  std::uint64_t timestamp_ms = 0;
  std::vector<crypto::Hash> tx_hashes;
  std::vector<std::string> senders;
  std::vector<Receipt> receipts;
};

// What a test build may change in how blocks execute; sharechaind always runs the defaults.
// tests/node/mint_fault_daemon.cpp is the only program that changes them: a faulty contract
// hook, to prove the invariant check stops every node, and (separately) that hook with the
// check off, to write a history with a broken invariant for `sharechain audit` to find.
struct ExecutionSeams {
  const contracts::Hooks* hooks = &contracts::standard_hooks();  // must outlive the chain
  bool check_invariants = true;
};

class Chain {
 public:
  Chain(std::string chain_id, std::unique_ptr<storage::Store> store, ExecutionSeams seams = {});

  // Executes a committed block through the contracts and commits it atomically. INTERNAL if the
  // block does not chain onto the store, a transaction cannot be decoded, or the execution
  // breaks a money invariant (contracts::check_block: supply, split_sum, financing_cap,
  // negative_balance): each means something is broken (the block was certified by a quorum),
  // nothing of the block is written, and the caller halts before anything it signs could
  // certify that state. `durability` as storage::Durability: the consensus path defers the sync
  // to the next message the node sends (Node::make_durable).
  Result<ExecutedBlock> execute(const Block& block, const crypto::Hash& hash, std::uint64_t height,
                                storage::Durability durability = storage::Durability::kSynced);
  // The same for a block of a run (storage::Store::BlockRun): it executes against the state the
  // run's earlier blocks left and is staged in the run, durable only once the caller commits
  // the run. The ExecutedBlock must not be published before that.
  Result<ExecutedBlock> execute_in(storage::Store::BlockRun& run, const Block& block,
                                   const crypto::Hash& hash, std::uint64_t height);

  storage::Store& store() { return *store_; }
  const storage::Store& store() const { return *store_; }
  const std::string& chain_id() const { return chain_id_; }

  // Builds the API view of a committed block (header decoded, receipts attached).
  std::optional<api::BlockInfo> block_info(std::uint64_t height) const;

  // Commit waiters: `done` runs once, on the consensus thread, with the receipt when the
  // transaction commits, or with DEADLINE_EXCEEDED when `deadline` passes first.
  using WaitCallback = std::function<void(Result<Receipt>)>;
  void wait_for(const crypto::Hash& tx_hash, std::chrono::steady_clock::time_point deadline,
                WaitCallback done);
  void expire_waiters(std::chrono::steady_clock::time_point now);
  void fail_all_waiters(const Status& why);

  // Called after every commit (on the consensus thread), e.g. to wake block subscribers.
  void on_commit(std::function<void(const ExecutedBlock&)> listener);
  // Called (consensus thread) when a block's execution breaks a money invariant
  // (contracts/invariants.hpp), before execute/execute_in refuse the block with INTERNAL.
  void on_invariant_violation(std::function<void(const contracts::Violation&)> listener);

  // Wakes the waiters and listeners of a committed block (Node::finish_commit calls it once
  // the mempool has dropped the block's transactions).
  void publish(const ExecutedBlock& block);

 private:

  const std::string chain_id_;
  std::unique_ptr<storage::Store> store_;
  const ExecutionSeams seams_;
  std::mutex waiters_mu_;
  struct Waiter {
    std::chrono::steady_clock::time_point deadline;
    WaitCallback done;
  };
  std::unordered_map<crypto::Hash, std::vector<Waiter>, crypto::HashHasher> waiters_;
  std::vector<std::function<void(const ExecutedBlock&)>> listeners_;
  std::function<void(const contracts::Violation&)> on_violation_;
};

// Decodes a transaction from a certified block without re-checking its signature: a block
// reaches execution only after a quorum (with at least f+1 honest validators) validated it.
Result<tx::VerifiedTransaction> decode_certified(const std::string& bytes);

}  // namespace sharechain::node
