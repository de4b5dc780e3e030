#include "contracts/memory_state.hpp"

namespace sharechain::contracts {

std::optional<std::string> MemoryState::get(std::string_view key) const {
  if (auto it = entries_.find(key); it != entries_.end()) return it->second;
  return std::nullopt;
}

void MemoryState::scan(std::string_view prefix,
                       const std::function<bool(std::string_view, std::string_view)>& fn) const {
  for (auto it = entries_.lower_bound(prefix);
       it != entries_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    if (!fn(it->first, it->second)) return;
  }
}

void MemoryState::apply(const WriteSet& writes) {
  for (const auto& [key, value] : writes) {
    if (value.has_value()) {
      entries_.insert_or_assign(key, *value);
    } else {
      entries_.erase(key);
    }
  }
}

}  // namespace sharechain::contracts
