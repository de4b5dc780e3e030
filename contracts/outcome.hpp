// How a contract action says no.
//
// A refusal carries the receipt status and a sentence a user can act on ("insufficient funds:
// sc12.. holds 500 units, the transfer needs 800"). Refusals are values, never exceptions; the
// executor turns them into the receipt and drops the transaction's writes.
#pragma once

#include <string>
#include <utility>
#include <variant>

#include "proto/status.hpp"
#include "sharechain/types.pb.h"

namespace sharechain::contracts {

struct Refusal {
  ReceiptStatus status = RECEIPT_INVALID_ARGUMENT;
  std::string message;

  static Refusal invalid(std::string m) { return {RECEIPT_INVALID_ARGUMENT, std::move(m)}; }
  static Refusal precondition(std::string m) { return {RECEIPT_FAILED_PRECONDITION, std::move(m)}; }
  static Refusal not_found(std::string m) { return {RECEIPT_NOT_FOUND, std::move(m)}; }
  static Refusal denied(std::string m) { return {RECEIPT_PERMISSION_DENIED, std::move(m)}; }
  static Refusal exists(std::string m) { return {RECEIPT_ALREADY_EXISTS, std::move(m)}; }
  static Refusal funds(std::string m) { return {RECEIPT_INSUFFICIENT_FUNDS, std::move(m)}; }
  static Refusal range(std::string m) { return {RECEIPT_OUT_OF_RANGE, std::move(m)}; }
};

// Success, or the refusal that explains why not.
class [[nodiscard]] Outcome {
 public:
  Outcome() = default;
  Outcome(Refusal r) : refusal_(std::move(r)), ok_(false) {}  // NOLINT(google-explicit-constructor)

  static Outcome ok() { return {}; }
  bool is_ok() const { return ok_; }
  const Refusal& refusal() const { return refusal_; }

 private:
  Refusal refusal_;
  bool ok_ = true;
};

// A value, or the refusal that explains why there is none.
template <typename T>
class [[nodiscard]] Checked : public Expected<T, Refusal> {
 public:
  using Expected<T, Refusal>::Expected;
  const Refusal& refusal() const { return this->error(); }
};

// The one mapping from a contract's refusal to the status a client gets, for admission's dry
// run (node/admission.cpp) and for queries alike (docs/api.md, "Status codes"): a bad value is
// INVALID_ARGUMENT, a missing object NOT_FOUND, a missing role PERMISSION_DENIED, a taken id
// ALREADY_EXISTS, and anything the state does not allow yet (funds, deadlines, an object's
// state) FAILED_PRECONDITION. RECEIPT_OK is not a refusal and maps to INTERNAL.
inline Status status_of(ReceiptStatus status, std::string message) {
  switch (status) {
    case RECEIPT_INVALID_ARGUMENT:
    case RECEIPT_OUT_OF_RANGE: return Status::invalid_argument(std::move(message));
    case RECEIPT_NOT_FOUND: return Status::not_found(std::move(message));
    case RECEIPT_PERMISSION_DENIED: return Status::permission_denied(std::move(message));
    case RECEIPT_ALREADY_EXISTS: return Status::already_exists(std::move(message));
    case RECEIPT_OK: return Status::internal("a successful receipt taken for a refusal: " + message);
    default: return Status::failed_precondition(std::move(message));
  }
}

inline Status to_status(const Refusal& r) { return status_of(r.status, r.message); }

}  // namespace sharechain::contracts

// Returns the refusal of an Outcome-returning expression from the enclosing function.
#define SC_TRY(expr)                                              \
  do {                                                            \
    auto sc_try_outcome_ = (expr);                                \
    if (!sc_try_outcome_.is_ok()) return sc_try_outcome_.refusal(); \
  } while (false)
