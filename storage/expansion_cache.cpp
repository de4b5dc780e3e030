#include "storage/expansion_cache.hpp"

namespace sharechain::storage {

std::optional<LtHash::Expansion> ExpansionCache::take(std::string_view key, std::string_view value) {
  auto it = entries_.find(std::string(key));
  if (it == entries_.end()) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  std::optional<LtHash::Expansion> out;
  if (it->second.value == value) out = it->second.expansion;
  order_.erase(it->second.age);
  entries_.erase(it);
  (out ? hits_ : misses_).fetch_add(1, std::memory_order_relaxed);
  return out;
}

void ExpansionCache::put(std::string_view key, std::string_view value, const LtHash::Expansion& expansion) {
  if (capacity_ == 0) return;
  auto [it, fresh] = entries_.try_emplace(std::string(key));
  if (!fresh) order_.erase(it->second.age);
  order_.push_front(it->first);
  it->second.value.assign(value);
  it->second.expansion = expansion;
  it->second.age = order_.begin();
  if (entries_.size() > capacity_) {
    entries_.erase(order_.back());
    order_.pop_back();
  }
}

}  // namespace sharechain::storage
