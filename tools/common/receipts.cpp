#include "tools/common/receipts.hpp"

namespace sharechain::tools {

namespace {

const Event* find_event(const Receipt& r, std::string_view contract, std::string_view name) {
  for (const Event& e : r.events()) {
    if (e.contract() == contract && e.name() == name) return &e;
  }
  return nullptr;
}

}  // namespace

std::string event_attr(const Receipt& r, std::string_view contract, std::string_view name,
                       std::string_view key) {
  const Event* e = find_event(r, contract, name);
  if (e == nullptr) return "";
  for (const Attribute& a : e->attributes()) {
    if (a.key() == key) return a.value();
  }
  return "";
}

bool has_event(const Receipt& r, std::string_view contract, std::string_view name) {
  return find_event(r, contract, name) != nullptr;
}

}  // namespace sharechain::tools
