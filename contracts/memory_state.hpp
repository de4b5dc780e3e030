// An in-memory StateReader: the committed state of tests, simulators and tools that run the
// contracts without a database.
#pragma once

#include <cstddef>
#include <map>
#include <string>

#include "contracts/state.hpp"

namespace sharechain::contracts {

class MemoryState final : public StateReader {
 public:
  MemoryState() = default;

  std::optional<std::string> get(std::string_view key) const override;
  void scan(std::string_view prefix,
            const std::function<bool(std::string_view key, std::string_view value)>& fn)
      const override;

  // Applies a block's writes: values are stored, nullopt entries deleted.
  void apply(const WriteSet& writes);
  std::size_t size() const { return entries_.size(); }
  const std::map<std::string, std::string, std::less<>>& entries() const { return entries_; }

 private:
  std::map<std::string, std::string, std::less<>> entries_;
};

}  // namespace sharechain::contracts
