// A connection to a node's client API, and the mapping from gRPC failures to the tools' exit
// codes: a node that cannot be reached (UNAVAILABLE, or no answer before the deadline) exits 3
// with "cannot reach the node at ADDR: ..."; anything the node answers with an error (a refused
// transaction, an unknown block) exits 1 with the node's own message.
#pragma once

#include <chrono>
#include <grpcpp/grpcpp.h>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sharechain/api.grpc.pb.h"
#include "tools/common/outcome.hpp"

namespace sharechain::tools {

inline constexpr std::string_view kDefaultNodeAddress = "127.0.0.1:26600";
inline constexpr std::string_view kNodeEnv = "SHARECHAIN_NODE";

// `flag` if non-empty, else SHARECHAIN_NODE if set and non-empty, else the default.
std::string resolve_node_address(std::string_view flag);

// Checks HOST:PORT (host non-empty, port 1-65535; "[v6]:port" allowed). Usage error otherwise.
Outcome<std::string> check_node_address(std::string_view address);

// Turns a failed call into a Failure; `timeout` is the deadline the call had, for the message.
// `node_answered` says the node itself sent the status (it carried ShareChain's metadata), so
// an UNAVAILABLE is the node saying it cannot serve this now (catching up, history not yet
// backfilled, shutting down), not a transport failure.
Failure failure_from_grpc(const grpc::Status& status, std::string_view node_address,
                          std::chrono::milliseconds timeout, bool node_answered = false);

// Splits a --node value: one HOST:PORT, or several separated by commas (tried in order, the
// first synced one preferred). Usage error for an empty list or a malformed address.
Outcome<std::vector<std::string>> parse_node_list(std::string_view text);

class NodeClient {
 public:
  // kPrivate: a connection of this client's own, with no retry back-off inherited from earlier
  // failed attempts of other clients; for polling a node that is still starting.
  enum class Connection { kShared, kPrivate };

  // Plaintext channel (the client API is plaintext on loopback); no proxy from the environment.
  // `timeout` bounds every unary call.
  NodeClient(std::string address, std::chrono::milliseconds timeout,
             Connection connection = Connection::kShared);

  const std::string& address() const { return address_; }
  std::chrono::milliseconds timeout() const { return timeout_; }
  api::Client::Stub& stub() { return *stub_; }

  Outcome<api::NodeStatus> status();
  // nullopt when the node does not know the account (NOT_FOUND): it has never been touched.
  Outcome<std::optional<ledger::Account>> account(std::string_view address20);
  Outcome<api::BlockInfo> block_at(std::uint64_t height);
  Outcome<api::BlockInfo> block_by_hash(std::string_view hash32);
  Outcome<api::BlockInfo> latest_block();
  Outcome<api::TransactionInfo> transaction(std::string_view hash32);
  // GetProof: the transaction's inclusion and receipt proof (docs/proofs.md).
  Outcome<api::TransactionProof> proof(std::string_view hash32);
  // The batches of SubscribeEvents for `filter` from height `from` through height `to` (both
  // committed), then the stream is closed. Blocks without a match are not returned.
  Outcome<std::vector<api::EventBatch>> events(const api::EventFilter& filter, std::uint64_t from, std::uint64_t to);
  // A contract query; the answer carries the height it was read at.
  Outcome<api::QueryResponse> query(const api::QueryRequest& request);
  // With `wait`, the node answers once the transaction is committed or `wait_timeout` passed;
  // the call's own deadline is then the wait plus the usual timeout.
  Outcome<api::SubmitResponse> submit(const SignedTransaction& tx, bool wait,
                                      std::chrono::milliseconds wait_timeout);

  // A context with this client's deadline, for calls not wrapped above (streams set none).
  std::unique_ptr<grpc::ClientContext> context(std::chrono::milliseconds timeout) const;
  Failure failure(const grpc::Status& status) const;
  // The same, and first records what the node's answer said of itself (see synced()).
  Failure failure(const grpc::Status& status, const grpc::ClientContext& ctx);

  // What the node's last answer said of itself: whether it was synced (nullopt before any
  // answer, or from a node that does not say) and the height it answered at. A read from a
  // node that is not synced may be stale.
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

}  // namespace sharechain::tools
