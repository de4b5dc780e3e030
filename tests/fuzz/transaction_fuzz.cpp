// Fuzz target transaction: a SignedTransaction as a client submits it or a peer gossips it.
//  - decode -> encode -> decode is stable, for the transaction and for its body
//  - tx::verify_bytes and tx::verify give the same answer; a refusal has a message
//  - a verified transaction is what verify promises: 32-byte key, 64-byte signature, the
//    world's chain id, sender = address of the key = body's sender, a contract call, a valid
//    BIP340 signature over the body's tagged hash, hash = SHA-256 of the body bytes as received
//  - whenever the body decodes, the contracts execute it against the contract world (as the
//    body's sender when that is a 20-byte address, as a verified transaction would be) and every
//    property of support/contract_checks.hpp holds
#include <cstdint>
#include <string>

#include "proto/transaction.hpp"
#include "tests/fuzz/support/check.hpp"
#include "tests/fuzz/support/contract_checks.hpp"
#include "tests/fuzz/support/contract_world.hpp"

using namespace sharechain;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fuzz::ContractWorld& world = fuzz::contract_world();
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  auto verified = tx::verify_bytes(bytes, world.chain_id());
  const auto decoded = fuzz::decode_stable<SignedTransaction>(bytes);
  if (!verified) {
    FUZZ_CHECK(!verified.status().message().empty(), "transaction refused without a reason");
  }
  if (!decoded) {
    FUZZ_CHECK(!verified, "verify_bytes accepted bytes that do not decode");
    return 0;
  }
  if (bytes.size() <= tx::kMaxTransactionBytes) {
    auto again = tx::verify(*decoded, world.chain_id());
    FUZZ_CHECK(again.is_ok() == verified.is_ok() &&
                   again.status().message() == verified.status().message(),
               "verify and verify_bytes disagree: '" + again.status().message() + "' vs '" +
                   verified.status().message() + "'");
  }
  if (verified) {
    const tx::VerifiedTransaction& v = *verified;
    FUZZ_CHECK(v.signed_tx.public_key().size() == crypto::kPublicKeySize &&
                   v.signed_tx.signature().size() == crypto::kSignatureSize,
               "verified a transaction with a malformed key or signature");
    FUZZ_CHECK(v.body.chain_id() == world.chain_id(), "verified a transaction for another chain");
    FUZZ_CHECK(v.sender == crypto::address_of(v.signed_tx.public_key()) && v.sender == v.body.sender(),
               "verified a transaction whose sender is not its key's address");
    FUZZ_CHECK(v.body.call_case() != TransactionBody::CALL_NOT_SET, "verified a transaction without a call");
    FUZZ_CHECK(crypto::verify(v.signed_tx.public_key(), tx::signing_hash(v.signed_tx.body()),
                              v.signed_tx.signature()),
               "verified a transaction whose signature does not verify");
    FUZZ_CHECK(v.hash == crypto::sha256(decoded->body()), "the transaction hash is not SHA-256 of the body");
  }

  const auto body = fuzz::decode_stable<TransactionBody>(decoded->body());
  if (!body) return 0;
  const std::string sender = body->sender().size() == crypto::kAddressSize
                                 ? body->sender()
                                 : crypto::address_of(decoded->public_key());
  tx::VerifiedTransaction as_executed = fuzz::as_verified(*body, sender);
  as_executed.signed_tx = *decoded;
  as_executed.hash = tx::hash_of(*decoded);
  fuzz::run_and_check(world, 0, {as_executed});
  return 0;
}
