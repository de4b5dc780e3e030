// The LtHash expansions of pairs the state holds, remembered so that replacing a value costs one
// expansion instead of two.
//
// Changing key k from value a to b updates the state root by removing expand(k, a) and adding
// expand(k, b); expand(k, a) was computed when a was written. A transfer rewrites two accounts,
// so this halves the four 2 KiB expansions it costs (with lthash16-shake128 that was about a
// third of its execution and commit time). An entry is looked up by key and used only when its value matches exactly,
// so a hit is the expansion itself: an entry that has gone stale (a run that was never written,
// a value changed by a snapshot restore) is a miss, never a wrong state root.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "storage/lthash.hpp"

namespace sharechain::storage {

// Not thread-safe: the store uses it under its writer lock (one block run at a time).
class ExpansionCache {
 public:
  // At most `capacity` pairs, the least recently written forgotten first; 0 keeps nothing.
  explicit ExpansionCache(std::size_t capacity) : capacity_(capacity) {}

  // The expansion of (key, value) if remembered; the entry is dropped either way, since the
  // caller is removing the key's value from the state.
  std::optional<LtHash::Expansion> take(std::string_view key, std::string_view value);
  // Remembers the expansion of the key's new value.
  void put(std::string_view key, std::string_view value, const LtHash::Expansion& expansion);

  std::size_t size() const { return entries_.size(); }
  // Safe from any thread (the metrics page reads them while the writer works).
  std::uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  std::uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }

 private:
  struct Entry {
    std::string value;
    LtHash::Expansion expansion;
    std::list<std::string>::iterator age;  // its place in order_
  };
  const std::size_t capacity_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> order_;  // keys, most recently written first
  std::atomic<std::uint64_t> hits_{0};
  std::atomic<std::uint64_t> misses_{0};
};

}  // namespace sharechain::storage
