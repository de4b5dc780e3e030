#include "contracts/overlay.hpp"

#include <utility>

namespace sharechain::contracts {

std::optional<std::string> Overlay::get(std::string_view key) const {
  ++reads_;
  if (auto it = writes_.find(key); it != writes_.end()) return it->second;
  return base_.get(key);
}

void Overlay::scan(std::string_view prefix,
                   const std::function<bool(std::string_view, std::string_view)>& fn) const {
  auto it = writes_.lower_bound(prefix);
  auto in_prefix = [&](const std::string& k) { return k.compare(0, prefix.size(), prefix) == 0; };
  bool stopped = false;

  // Emits buffered entries strictly below `limit` (all remaining ones when limit is null).
  auto drain_below = [&](const std::string_view* limit) {
    while (!stopped && it != writes_.end() && in_prefix(it->first) &&
           (limit == nullptr || std::string_view(it->first) < *limit)) {
      if (it->second.has_value()) {
        ++reads_;
        if (!fn(it->first, *it->second)) stopped = true;
      }
      ++it;
    }
  };

  base_.scan(prefix, [&](std::string_view key, std::string_view value) {
    drain_below(&key);
    if (stopped) return false;
    if (it != writes_.end() && it->first == key) {
      // The buffered write shadows the base entry, whether it is a new value or a delete.
      if (it->second.has_value()) {
        ++reads_;
        if (!fn(key, *it->second)) stopped = true;
      }
      ++it;
      return !stopped;
    }
    ++reads_;
    if (!fn(key, value)) stopped = true;
    return !stopped;
  });
  drain_below(nullptr);
}

void Overlay::put(std::string key, std::string value) {
  writes_.insert_or_assign(std::move(key), std::optional<std::string>(std::move(value)));
}

void Overlay::erase(std::string key) {
  writes_.insert_or_assign(std::move(key), std::optional<std::string>());
}

void Overlay::merge_from(Overlay& child) {
  for (auto& [key, value] : child.writes_) writes_.insert_or_assign(key, std::move(value));
  reads_ += child.reads_;
  child.discard();
}

void Overlay::discard() {
  writes_.clear();
  reads_ = 0;
}

WriteSet Overlay::take_writes() {
  WriteSet out = std::move(writes_);
  writes_.clear();
  return out;
}

}  // namespace sharechain::contracts
