// One connection to one node's client API: every unary call of sharechain.api.Client with a
// deadline, typed answers, and what the node's answers said of itself (synced, height).
// client/client.hpp builds failover across several nodes on top of it.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/error.hpp"
#include "sharechain/api.grpc.pb.h"

namespace sharechain::client {

class Node {
 public:
  // kPrivate: a connection of this object's own, with no retry back-off inherited from earlier
  // failed attempts of other connections to the address; for polling a node that is starting.
  enum class Connection { kShared, kPrivate };

  // Plaintext channel (the client API is plaintext on loopback or a private network); no proxy
  // from the environment. `timeout` bounds every unary call.
  Node(std::string address, std::chrono::milliseconds timeout, Connection connection = Connection::kShared);

  const std::string& address() const { return address_; }
  std::chrono::milliseconds timeout() const { return timeout_; }
  api::Client::Stub& stub() { return *stub_; }

  Reply<api::NodeStatus> status();
  // nullopt when the chain has never touched the account (GetAccount answers a zero account
  // for it; the ledger query says whether it exists).
  Reply<std::optional<ledger::Account>> account(std::string_view address20);
  // GetAccount as API v1 answers it: an untouched address reads as a zero account (so does the
  // NOT_FOUND of a node before API v1).
  Reply<ledger::Account> account_or_zero(std::string_view address20);
  Reply<api::BlockInfo> block_at(std::uint64_t height);
  Reply<api::BlockInfo> block_by_hash(std::string_view hash32);
  Reply<api::BlockInfo> latest_block();
  Reply<api::TransactionInfo> transaction(std::string_view hash32);
  // GetProof: the transaction's inclusion and receipt proof (docs/proofs.md).
  Reply<api::TransactionProof> proof(std::string_view hash32);
  // GetStateProof: one state entry's value, or its absence, in the newest certified state
  // (docs/proofs.md, "State proofs").
  Reply<api::StateProof> state_proof(std::string_view key);
  // The batches of SubscribeEvents for `filter` from height `from` through height `to` (both
  // committed), then the stream is closed. Blocks without a match are not returned.
  Reply<std::vector<api::EventBatch>> events(const api::EventFilter& filter, std::uint64_t from, std::uint64_t to);
  // A contract query; the answer carries the height it was read at.
  Reply<api::QueryResponse> query(const api::QueryRequest& request);
  // With `wait`, the node answers once the transaction is committed or `wait_timeout` passed;
  // the call's own deadline is then the wait plus the usual timeout. ALREADY_EXISTS for a
  // transaction committed before carries the node's SubmitResponse in Error::committed.
  Reply<api::SubmitResponse> submit(const SignedTransaction& tx, bool wait, std::chrono::milliseconds wait_timeout);
  // One SubmitTransactions message: one SubmitResult per transaction, in order (code 0 admitted,
  // else the code SubmitTransaction would have answered). Keep `txs` within the node's [api]
  // max_batch_txs.
  Reply<std::vector<api::SubmitResult>> submit_batch(const std::vector<SignedTransaction>& txs);

  // A context with this connection's deadline, for calls not wrapped above.
  std::unique_ptr<grpc::ClientContext> context(std::chrono::milliseconds timeout) const;
  Error error(const grpc::Status& status) const;
  // The same, and first records what the node's answer said of itself (see synced()).
  Error error(const grpc::Status& status, const grpc::ClientContext& ctx);

  // What the node's last answer said of itself: whether it was synced (nullopt before any
  // answer, or from a node that does not say) and the height it answered at. A read from a node
  // that is not synced may be stale.
  std::optional<bool> synced() const { return synced_; }
  std::optional<std::uint64_t> answered_at_height() const { return answered_at_; }
  // Records the sharechain-synced / sharechain-height metadata of a finished call.
  void note_answer(const grpc::ClientContext& ctx);

 private:
  std::string address_;
  std::chrono::milliseconds timeout_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<api::Client::Stub> stub_;
  std::optional<bool> synced_;
  std::optional<std::uint64_t> answered_at_;
  bool node_answered_ = false;  // the last failed call's status came from the node itself
};

}  // namespace sharechain::client
