// Expected<T, E>: a value, or the error that explains why there is none. The one value-or-error
// template of the code base; each layer names its error type once:
//   Result<T>  = Expected<T, Status>   (proto/status.hpp: storage, node, anything with a code)
//   Checked<T> = Expected<T, Refusal>  (contracts/outcome.hpp: a contract saying no)
//   Outcome<T> = Expected<T, Failure>  (tools/common/outcome.hpp: a tool's message and exit code)
// and keeps its accessor name (status(), refusal(), failure()) for what the error means there.
#pragma once

#include <utility>
#include <variant>

namespace sharechain {

template <typename T, typename E>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Expected(E error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool is_ok() const { return v_.index() == 0; }
  explicit operator bool() const { return is_ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  // Only when !is_ok().
  const E& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, E> v_;
};

}  // namespace sharechain
