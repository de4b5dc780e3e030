#include "contracts/context.hpp"

#include <cstdio>
#include <cstdlib>

#include "contracts/encoding.hpp"
#include "proto/crypto.hpp"

namespace sharechain::contracts {

std::string TxContext::new_id(std::string_view purpose) {
  std::string material = tx_hash();
  material += be32(id_counter_++);
  material += purpose;
  crypto::Hash h = crypto::tagged_hash("sharechain/id", material);
  std::string id = crypto::hash_bytes(h).substr(0, kIdSize);
  CreatedObject& created = created_.emplace_back();
  created.set_kind(std::string(purpose));
  created.set_id(id);
  created.set_id_text(show_id(id));
  return id;
}

AttrValue address_value(std::string_view address20) {
  AttrValue v(show_address(address20));
  if (is_address(address20)) {
    v.kind = AttrValue::Kind::kAddress;
    v.bytes = std::string(address20);
  }
  return v;
}

AttrValue id_value(std::string_view id) {
  AttrValue v(show_id(id));
  v.kind = AttrValue::Kind::kId;
  v.bytes = std::string(id);
  return v;
}

void TxContext::emit(std::string_view contract, std::string_view name, Attributes attributes) {
  Event& e = events_.emplace_back();
  e.set_contract(std::string(contract));
  e.set_name(std::string(name));
  for (const auto& [k, v] : attributes) {
    Attribute* a = e.add_attributes();
    a->set_key(std::string(k));
    a->set_value(v.text);
    switch (v.kind) {
      case AttrValue::Kind::kNumber: a->set_number(v.number); break;
      case AttrValue::Kind::kAddress: a->set_address(v.bytes); break;
      case AttrValue::Kind::kId: a->set_id(v.bytes); break;
      case AttrValue::Kind::kText: break;
    }
  }
}

void halt(std::string_view why) {
  std::fprintf(stderr, "sharechain contracts: broken invariant, halting: %.*s\n",
               static_cast<int>(why.size()), why.data());
  std::abort();
}

}  // namespace sharechain::contracts
