// What a command-line tool reports when something fails: a message for a person and the exit
// code scripts rely on (INTERFACES.md): 0 success, 1 the chain refused or the operation failed,
// 2 usage error, 3 cannot reach the node.
#pragma once

#include <string>
#include <utility>
#include <variant>

#include "client/error.hpp"
#include "proto/status.hpp"

namespace sharechain::tools {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRefused = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitUnreachable = 3;

struct Failure {
  int exit_code = kExitRefused;
  std::string message;

  static Failure refused(std::string m) { return {kExitRefused, std::move(m)}; }
  static Failure usage(std::string m) { return {kExitUsage, std::move(m)}; }
  static Failure unreachable(std::string m) { return {kExitUnreachable, std::move(m)}; }
  // A failed local operation (keystore, files). A Status that blames the caller's input
  // (INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS: a bad name, a missing key, a key that already
  // exists) is a usage error; anything else (wrong passphrase, damaged file, I/O) exits 1.
  static Failure from_local(const Status& status);
  // A failed call to the network (client/error.hpp): exit 3 when the node could not be reached
  // or cannot serve the call now, 1 for anything the node answered with a refusal.
  static Failure from_client(const client::Error& error);
};

// Either a value or the Failure that explains why there is none. Result<T> carries a Status
// whose code cannot tell a usage error from a refusal by the node; Outcome carries the exit code.
template <typename T>
class [[nodiscard]] Outcome : public Expected<T, Failure> {
 public:
  using Expected<T, Failure>::Expected;
  // The client library's answers lift into a tool's outcome with Failure::from_client.
  Outcome(client::Reply<T> reply)  // NOLINT(google-explicit-constructor)
      : Expected<T, Failure>(reply ? Expected<T, Failure>(std::move(reply).value())
                                   : Expected<T, Failure>(Failure::from_client(reply.error()))) {}
  Outcome(const client::Error& error)  // NOLINT(google-explicit-constructor)
      : Expected<T, Failure>(Failure::from_client(error)) {}
  const Failure& failure() const { return this->error(); }
};

// Lifts a local Result into an Outcome with Failure::from_local.
template <typename T>
Outcome<T> from_local(Result<T> r) {
  if (!r) return Failure::from_local(r.status());
  return std::move(r).value();
}

}  // namespace sharechain::tools
