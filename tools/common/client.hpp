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
Failure failure_from_grpc(const grpc::Status& status, std::string_view node_address,
                          std::chrono::milliseconds timeout);

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
  // A contract query; the answer carries the height it was read at.
  Outcome<api::QueryResponse> query(const api::QueryRequest& request);
  // With `wait`, the node answers once the transaction is committed or `wait_timeout` passed;
  // the call's own deadline is then the wait plus the usual timeout.
  Outcome<api::SubmitResponse> submit(const SignedTransaction& tx, bool wait,
                                      std::chrono::milliseconds wait_timeout);

  // A context with this client's deadline, for calls not wrapped above (streams set none).
  std::unique_ptr<grpc::ClientContext> context(std::chrono::milliseconds timeout) const;
  Failure failure(const grpc::Status& status) const;

 private:
  std::string address_;
  std::chrono::milliseconds timeout_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<api::Client::Stub> stub_;
};

}  // namespace sharechain::tools
