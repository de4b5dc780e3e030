// Building, signing and statelessly checking transactions. Stateful checks (nonce, balance,
// roles) belong to the contracts; these are the checks any node can make on bytes alone.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "proto/crypto.hpp"
#include "proto/status.hpp"
#include "sharechain/types.pb.h"

namespace sharechain::tx {

// Largest serialized SignedTransaction a node accepts.
inline constexpr std::size_t kMaxTransactionBytes = 64 * 1024;

// A transaction whose signature, size, chain id and sender binding have been checked.
struct VerifiedTransaction {
  SignedTransaction signed_tx;
  TransactionBody body;
  crypto::Hash hash;      // SHA-256 of the body bytes
  std::string sender;     // 20-byte address, equal to address_of(public_key)
};

crypto::Hash hash_of(const SignedTransaction& tx);
crypto::Hash signing_hash(std::string_view body_bytes);

// Serialises `body` once and signs exactly those bytes.
SignedTransaction sign(const TransactionBody& body, const crypto::PrivateKey& key);

// INVALID_ARGUMENT for malformed bytes, wrong chain id, wrong key length, a sender that is not
// the key's address, a missing call or a bad signature; RESOURCE_EXHAUSTED when too large.
Result<VerifiedTransaction> verify(const SignedTransaction& tx, std::string_view chain_id);

// Decodes a serialized SignedTransaction and verifies it.
Result<VerifiedTransaction> verify_bytes(std::string_view bytes, std::string_view chain_id);

}  // namespace sharechain::tx
