// The key-value view every contract reads and writes through.
//
// Keys and values are raw bytes (std::string). Keys are built by each contract with fixed-width
// big-endian integers so that byte order is the natural order; values are serialized protobuf
// messages, opaque to everything outside the contract that wrote them (storage only hashes
// them). docs/contracts.md lists the key space of every contract.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace sharechain::contracts {

class StateReader {
 public:
  virtual ~StateReader() = default;
  virtual std::optional<std::string> get(std::string_view key) const = 0;
  // Visits keys that start with `prefix` in ascending byte order until fn returns false.
  virtual void scan(std::string_view prefix,
                    const std::function<bool(std::string_view key, std::string_view value)>& fn) const = 0;
};

// Writes of one block: key -> new value, or nullopt to delete. Ordered, deterministic.
using WriteSet = std::map<std::string, std::optional<std::string>, std::less<>>;

// One key a transaction changed: its value before the transaction and after it (nullopt: the
// key was absent before, or the transaction deleted it).
struct KeyChange {
  std::string key;
  std::optional<std::string> before;
  std::optional<std::string> after;
};

}  // namespace sharechain::contracts
