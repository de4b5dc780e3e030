// Cheap deterministic stand-ins for BIP340, so that thousands of simulated runs fit in seconds.
// Validator i's "signature" of a digest is a keyed mix of the digest with a secret only the
// simulator's replica i holds; the verifier knows every secret. Forged bytes, a signature
// lifted from another digest or claimed for another validator all fail, which is what the
// engine's checks need. The real signer and verifier (consensus/signing.hpp) are used by the
// seeds run with --real-crypto.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "consensus/types.hpp"

namespace sharechain::sim {

// The 64-byte signature of `digest` under `secret`.
std::string fake_signature(uint64_t secret, const crypto::Hash& digest);

class FakeSigner final : public consensus::Signer {
 public:
  explicit FakeSigner(uint64_t secret) : secret_(secret) {}
  std::string sign(const crypto::Hash& digest) override { return fake_signature(secret_, digest); }

 private:
  uint64_t secret_;
};

class FakeVerifier final : public consensus::Verifier {
 public:
  explicit FakeVerifier(std::vector<uint64_t> secrets) : secrets_(std::move(secrets)) {}
  bool verify(uint32_t validator, const crypto::Hash& digest, std::string_view sig) override;

 private:
  std::vector<uint64_t> secrets_;
};

}  // namespace sharechain::sim
