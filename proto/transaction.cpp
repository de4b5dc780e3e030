#include "proto/transaction.hpp"

namespace sharechain::tx {

crypto::Hash hash_of(const SignedTransaction& tx) { return crypto::sha256(tx.body()); }

crypto::Hash signing_hash(std::string_view body_bytes) {
  return crypto::tagged_hash(crypto::kTxTag, body_bytes);
}

SignedTransaction sign(const TransactionBody& body, const crypto::PrivateKey& key) {
  SignedTransaction tx;
  body.SerializeToString(tx.mutable_body());
  tx.set_public_key(key.public_key());
  tx.set_signature(key.sign(signing_hash(tx.body())));
  return tx;
}

Result<VerifiedTransaction> verify(const SignedTransaction& tx, std::string_view chain_id) {
  const std::size_t size = tx.ByteSizeLong();
  if (size > kMaxTransactionBytes) {
    return Status::resource_exhausted("transaction is " + std::to_string(size) +
                                      " bytes; the limit is " +
                                      std::to_string(kMaxTransactionBytes));
  }
  if (tx.public_key().size() != crypto::kPublicKeySize) {
    return Status::invalid_argument("public_key must be a 32-byte x-only secp256k1 key, got " +
                                    std::to_string(tx.public_key().size()) + " bytes");
  }
  if (tx.signature().size() != crypto::kSignatureSize) {
    return Status::invalid_argument("signature must be 64 bytes (BIP340), got " +
                                    std::to_string(tx.signature().size()) + " bytes");
  }
  VerifiedTransaction out;
  if (!out.body.ParseFromString(tx.body())) {
    return Status::invalid_argument("transaction body is not a valid TransactionBody message");
  }
  if (out.body.chain_id() != chain_id) {
    return Status::invalid_argument("transaction is for chain '" + out.body.chain_id() +
                                    "' but this node serves chain '" + std::string(chain_id) + "'");
  }
  out.sender = crypto::address_of(tx.public_key());
  if (out.body.sender() != out.sender) {
    return Status::invalid_argument("sender " + crypto::format_address(out.body.sender()) +
                                    " is not the address of the signing key (" +
                                    crypto::format_address(out.sender) + ")");
  }
  if (out.body.call_case() == TransactionBody::CALL_NOT_SET) {
    return Status::invalid_argument("transaction names no contract call");
  }
  if (!crypto::verify(tx.public_key(), signing_hash(tx.body()), tx.signature())) {
    return Status::invalid_argument("signature does not verify for the given public key and body");
  }
  out.hash = hash_of(tx);
  out.signed_tx = tx;
  return out;
}

Result<VerifiedTransaction> verify_bytes(std::string_view bytes, std::string_view chain_id) {
  if (bytes.size() > kMaxTransactionBytes) {
    return Status::resource_exhausted("transaction is " + std::to_string(bytes.size()) +
                                      " bytes; the limit is " +
                                      std::to_string(kMaxTransactionBytes));
  }
  SignedTransaction tx;
  if (!tx.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Status::invalid_argument("bytes are not a valid SignedTransaction message");
  }
  return verify(tx, chain_id);
}

}  // namespace sharechain::tx
