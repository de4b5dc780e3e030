// What a call to a ShareChain network answers: the value, or an Error saying why not.
//
// An Error keeps the gRPC code (a client decides by it: INVALID_ARGUMENT is a bug of the caller,
// ALREADY_EXISTS a transaction that is already in, UNAVAILABLE a node to leave for another) and a
// message written for a person, which names the node when the node could not be reached.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "proto/expected.hpp"
#include "sharechain/api.pb.h"

namespace sharechain::client {

struct Error {
  grpc::StatusCode code = grpc::StatusCode::UNKNOWN;
  std::string message;
  // The status came from a ShareChain node (it carried the node's metadata): an UNAVAILABLE is
  // then the node saying it cannot serve this now (catching up, shutting down), not a lost
  // connection.
  bool node_answered = false;
  // ALREADY_EXISTS for a transaction committed before: the node's SubmitResponse, with the
  // height and receipt.
  std::optional<api::SubmitResponse> committed;

  // Whether a call that failed so should be tried on the next node: UNAVAILABLE, or no answer
  // before the deadline from a node that said nothing (hung or cut off). A node that answered
  // DEADLINE_EXCEEDED itself (a commit wait that ran out) is not left for another.
  bool moves_on() const {
    return code == grpc::StatusCode::UNAVAILABLE ||
           (code == grpc::StatusCode::DEADLINE_EXCEEDED && !node_answered);
  }

  static Error local(grpc::StatusCode code, std::string message) { return {code, std::move(message), false, {}}; }
};

// The message a failed call gets: names the node for transport failures, keeps the node's own
// words for its refusals. `timeout` is the deadline the call had.
Error error_from_grpc(const grpc::Status& status, std::string_view node_address,
                      std::chrono::milliseconds timeout, bool node_answered);

template <typename T>
class [[nodiscard]] Reply : public Expected<T, Error> {
 public:
  using Expected<T, Error>::Expected;
};

}  // namespace sharechain::client
