// sharechain::client: the C++ client library for ShareChain's API v1 (docs/api.md).
//
//   client::Client c(client::Options({"127.0.0.1:26600", "127.0.0.1:26610"}));
//   auto sent = c.send(key, call, /*wait=*/true);    // nonce, sign, submit, wait for the commit
//   auto stream = c.events(filter, cursor);          // resumable, gap-free event batches
//
// Failover. A Client holds a list of nodes and talks to one at a time: the first synced one,
// else the first that answers. A call that the node cannot serve (UNAVAILABLE, or no answer
// before the deadline) goes to the next node, round the list, for up to Options::retry_for
// (at least one round). Any other answer, success or refusal, is the answer.
//
// Idempotency. Resending the same signed bytes is always safe: a transaction pending on the new
// node answers TX_PENDING, one already committed answers ALREADY_EXISTS with its height and
// receipt. submit() turns such an ALREADY_EXISTS, after a failover, into the transaction's
// outcome, so a caller whose node died mid-call learns whether it got through.
//
// Nonces. send() takes the account's next nonce from the node (which counts the account's
// pending transactions) and never goes below the next nonce this Client has itself sent, so
// several send() calls in a row pipeline without waiting (the node allows a bounded number of
// pending nonces per account, docs/api.md).
//
// A Client is not thread-safe; use one per thread (they may share node addresses).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/error.hpp"
#include "client/node.hpp"
#include "proto/crypto.hpp"
#include "proto/status.hpp"
#include "sharechain/api.grpc.pb.h"

namespace sharechain::client {

struct Options {
  Options() = default;
  explicit Options(std::vector<std::string> nodes_, std::chrono::milliseconds timeout_ = std::chrono::seconds(10),
                   std::chrono::milliseconds retry_for_ = std::chrono::milliseconds(0))
      : nodes(std::move(nodes_)), timeout(timeout_), retry_for(retry_for_) {}

  std::vector<std::string> nodes;                               // HOST:PORT each, tried in order
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};  // each unary call
  std::chrono::milliseconds retry_for{0};                       // keep going round the nodes this long
  std::string chain_id;                                         // to sign for; empty: the nodes'
};

// "HOST:PORT" (host non-empty, port 1-65535; "[v6]:port" allowed), or INVALID_ARGUMENT.
Result<std::string> check_node_address(std::string_view address);
// One HOST:PORT or several separated by commas; INVALID_ARGUMENT for an empty list or a bad one.
Result<std::vector<std::string>> parse_node_list(std::string_view text);

class EventStream;

class Client {
 public:
  explicit Client(Options options);
  ~Client();
  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;

  const Options& options() const { return options_; }
  // The node calls go to: the first synced node, else the first that answers. Chosen on first
  // use and again after the chosen one fails; UNAVAILABLE naming every node when none answers.
  // With a single node there is nothing to choose: it is returned without a probe.
  Reply<Node*> node();
  // The address of the node last used (empty before the first call).
  std::string current_address() const;

  // --- reads (each fails over) ---
  Reply<api::NodeStatus> status();
  Reply<std::string> chain_id();  // Options::chain_id, else the nodes'
  // An account the chain never touched reads as a zero account (balance 0, nonce 0).
  Reply<ledger::Account> account(std::string_view address20);
  // The nonce the account's next transaction must carry: the node's, counting its pending
  // transactions, and never below what this Client has sent for it.
  Reply<std::uint64_t> next_nonce(std::string_view address20);
  Reply<api::BlockInfo> block_at(std::uint64_t height);
  Reply<api::BlockInfo> latest_block();
  Reply<api::TransactionInfo> transaction(std::string_view hash32);
  Reply<api::TransactionProof> proof(std::string_view hash32);
  Reply<api::StateProof> state_proof(std::string_view key);
  Reply<api::QueryResponse> query(const api::QueryRequest& request);

  // --- writes ---
  // Submits one signed transaction; with `wait`, answers once it is committed (TX_COMMITTED,
  // height, receipt) or DEADLINE_EXCEEDED after `wait_timeout` (it may still commit). A refusal
  // is an Error with the node's code; ALREADY_EXISTS of the first attempt carries the earlier
  // commit in Error::committed.
  Reply<api::SubmitResponse> submit(const SignedTransaction& tx, bool wait,
                                    std::chrono::milliseconds wait_timeout = std::chrono::seconds(30));
  // Submits through SubmitTransactions, `batch_size` per message (keep it within the node's
  // [api] max_batch_txs), one message at a time: one SubmitResult per transaction, in order. A
  // message left unanswered when a node fails is sent again, as the same bytes, to the next.
  Reply<std::vector<api::SubmitResult>> submit_many(const std::vector<SignedTransaction>& txs,
                                                    std::size_t batch_size = 500);
  // Polls GetTransaction until the transaction is committed; DEADLINE_EXCEEDED after `timeout`.
  Reply<api::TransactionInfo> wait_for_commit(std::string_view hash32, std::chrono::milliseconds timeout,
                                              std::chrono::milliseconds poll = std::chrono::milliseconds(200));

  // A transaction of `key` whose call `set_call` fills in (e.g. `*body.mutable_ledger() = c`),
  // with the chain id and the next nonce (or `nonce`), signed.
  template <typename SetCall>
  Reply<SignedTransaction> build(const crypto::PrivateKey& key, SetCall&& set_call,
                                 std::optional<std::uint64_t> nonce = std::nullopt,
                                 std::uint64_t expires_at_height = 0) {
    Reply<TransactionBody> body = body_for(key, nonce, expires_at_height);
    if (!body) return body.error();
    set_call(*body);
    return sign(key, *body);
  }
  // build(), then submit(); a transaction the node admitted counts for next_nonce().
  template <typename SetCall>
  Reply<api::SubmitResponse> send(const crypto::PrivateKey& key, SetCall&& set_call, bool wait = true,
                                  std::chrono::milliseconds wait_timeout = std::chrono::seconds(30)) {
    Reply<SignedTransaction> tx = build(key, std::forward<SetCall>(set_call));
    if (!tx) return tx.error();
    return send_signed(*tx, wait, wait_timeout);
  }
  Reply<api::SubmitResponse> send_signed(const SignedTransaction& tx, bool wait,
                                         std::chrono::milliseconds wait_timeout);

  // --- events ---
  // SubscribeEvents from `from` (nullopt: the next block; a cursor of height 0 or 1: the first
  // block), resumed on the next node from the last batch's `next` cursor when a node fails.
  EventStream events(api::EventFilter filter, std::optional<api::EventCursor> from = std::nullopt);

 private:
  friend class EventStream;
  struct Slot;

  // Runs `attempt(node)` on the nodes in turn until one serves it (see the file comment).
  template <typename T, typename Attempt>
  Reply<T> round(Attempt&& attempt);
  Reply<std::size_t> select();
  void leave_current();
  Reply<TransactionBody> body_for(const crypto::PrivateKey& key, std::optional<std::uint64_t> nonce,
                                  std::uint64_t expires_at_height);
  SignedTransaction sign(const crypto::PrivateKey& key, const TransactionBody& body) const;

  Options options_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::optional<std::size_t> current_;
  std::optional<std::string> chain_id_;
  std::map<std::string, std::uint64_t> sent_next_;  // address -> the nonce after the last one sent
};

// A resumable event subscription (Client::events). next() blocks for the next batch; after a
// node fails it reopens the stream on the next node from cursor(), so no batch is lost or
// repeated. Store cursor() to resume in another process: pass it to Client::events.
class EventStream {
 public:
  EventStream(EventStream&&) noexcept;
  EventStream& operator=(EventStream&&) noexcept;
  ~EventStream();

  // The next batch (a block with matching events, or a progress mark with none; the node sends
  // one for every committed block), or an Error: OUT_OF_RANGE for a cursor below the node's
  // pruning point (the message names the oldest available), UNAVAILABLE when no node serves the
  // stream within the Client's retry_for (at least one round), CANCELLED after close().
  // Blocks until then; close() from another thread ends the wait.
  Reply<api::EventBatch> next();
  // Where the stream resumes: the `next` cursor of the last batch returned (height 0 until a
  // stream opened without a cursor has read the chain's height).
  const api::EventCursor& cursor() const { return cursor_; }
  // Ends the stream; safe to call from another thread while next() waits.
  void close();

 private:
  friend class Client;
  struct Open;
  EventStream(Client& client, api::EventFilter filter, api::EventCursor cursor);

  Client* client_;
  api::EventFilter filter_;
  api::EventCursor cursor_;
  std::unique_ptr<Open> open_;
};

}  // namespace sharechain::client
