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
  return crypto::hash_bytes(h).substr(0, kIdSize);
}

void TxContext::emit(std::string_view contract, std::string_view name, Attributes attributes) {
  Event& e = events_.emplace_back();
  e.set_contract(std::string(contract));
  e.set_name(std::string(name));
  for (const auto& [k, v] : attributes) {
    Attribute* a = e.add_attributes();
    a->set_key(std::string(k));
    a->set_value(v);
  }
}

void halt(std::string_view why) {
  std::fprintf(stderr, "sharechain contracts: broken invariant, halting: %.*s\n",
               static_cast<int>(why.size()), why.data());
  std::abort();
}

}  // namespace sharechain::contracts
