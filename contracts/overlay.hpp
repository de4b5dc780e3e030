// A buffered view over a StateReader: reads see the overlay's own writes, and its writes reach
// the layer below only through an explicit, all-or-nothing merge.
//
// The executor stacks two of them: one per block over the committed store, and one per
// transaction over the block's. A transaction that fails is simply dropped; one that succeeds
// is merged into the block's overlay, whose writes become the block's WriteSet.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "contracts/state.hpp"

namespace sharechain::contracts {

class Overlay final : public StateReader {
 public:
  // `base` must outlive the overlay and must not change while the overlay is in use. To stack
  // an overlay on another, pass the lower one as a `const StateReader&` (copying is deleted).
  explicit Overlay(const StateReader& base) : base_(base) {}
  Overlay(const Overlay&) = delete;
  Overlay& operator=(const Overlay&) = delete;

  // The overlay's own write wins over the base; a buffered delete reads as absent.
  std::optional<std::string> get(std::string_view key) const override;
  // Merges the base's keys with the buffered writes in ascending byte order: a buffered value
  // replaces the base's, a buffered delete hides it. `fn` must not write to this overlay.
  void scan(std::string_view prefix,
            const std::function<bool(std::string_view key, std::string_view value)>& fn)
      const override;

  bool contains(std::string_view key) const { return get(key).has_value(); }
  void put(std::string key, std::string value);
  void erase(std::string key);

  // Applies every buffered write of `child` (an overlay over this one) to this overlay, then
  // empties `child`. The merge cannot fail part way: it is a map insertion per key.
  void merge_from(Overlay& child);
  // Forgets every buffered write.
  void discard();

  const WriteSet& writes() const { return writes_; }
  WriteSet take_writes();

  // Cost counters reported in receipts: keys read (get calls and scanned entries).
  std::uint64_t reads() const { return reads_; }

 private:
  const StateReader& base_;
  WriteSet writes_;
  mutable std::uint64_t reads_ = 0;
};

}  // namespace sharechain::contracts
