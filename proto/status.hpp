// Status and Result: expected failures are values, never exceptions.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

#include "proto/expected.hpp"

namespace sharechain {

// Mirrors the gRPC codes the client API returns, so a Status maps onto the wire one to one.
enum class Code : std::uint8_t {
  kOk,
  kInvalidArgument,
  kFailedPrecondition,
  kNotFound,
  kPermissionDenied,
  kAlreadyExists,
  kResourceExhausted,
  kUnavailable,
  kDeadlineExceeded,
  kInternal,
};

const char* code_name(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return {}; }
  static Status invalid_argument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
  static Status failed_precondition(std::string m) {
    return {Code::kFailedPrecondition, std::move(m)};
  }
  static Status not_found(std::string m) { return {Code::kNotFound, std::move(m)}; }
  static Status permission_denied(std::string m) { return {Code::kPermissionDenied, std::move(m)}; }
  static Status already_exists(std::string m) { return {Code::kAlreadyExists, std::move(m)}; }
  static Status resource_exhausted(std::string m) {
    return {Code::kResourceExhausted, std::move(m)};
  }
  static Status unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
  static Status internal(std::string m) { return {Code::kInternal, std::move(m)}; }

  bool is_ok() const { return code_ == Code::kOk; }
  explicit operator bool() const { return is_ok(); }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "NOT_FOUND: no block at height 7"
  std::string to_string() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

// Either a value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result : public Expected<T, Status> {
 public:
  using Expected<T, Status>::Expected;
  // The failure; Status::ok() when a value is held.
  Status status() const { return this->is_ok() ? Status::ok() : this->error(); }
};

}  // namespace sharechain
