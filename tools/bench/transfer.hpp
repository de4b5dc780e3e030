// The transfer every benchmark mode signs: `amount` units from `from` to `to`.
#pragma once

#include <cstdint>
#include <string>

#include "proto/transaction.hpp"

namespace sharechain::bench {

inline SignedTransaction transfer(const std::string& chain_id, const crypto::PrivateKey& from,
                                  std::uint64_t nonce, const std::string& to, std::uint64_t amount) {
  TransactionBody body;
  body.set_chain_id(chain_id);
  body.set_nonce(nonce);
  body.set_sender(from.address());
  auto* t = body.mutable_ledger()->mutable_transfer();
  t->set_to(to);
  t->set_amount(amount);
  return tx::sign(body, from);
}

}  // namespace sharechain::bench
