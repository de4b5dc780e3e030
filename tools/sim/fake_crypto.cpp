#include "tools/sim/fake_crypto.hpp"

#include <cstring>

#include "tools/sim/rng.hpp"

namespace sharechain::sim {

std::string fake_signature(uint64_t secret, const crypto::Hash& digest) {
  std::string out(crypto::kSignatureSize, '\0');
  uint64_t state = secret;
  for (size_t lane = 0; lane < crypto::kSignatureSize / 8; ++lane) {
    uint64_t word = 0;
    std::memcpy(&word, digest.data() + (lane % 4) * 8, 8);
    state ^= word;
    const uint64_t mixed = splitmix64(state);
    std::memcpy(out.data() + lane * 8, &mixed, 8);
  }
  return out;
}

bool FakeVerifier::verify(uint32_t validator, const crypto::Hash& digest, std::string_view sig) {
  if (validator >= secrets_.size()) return false;
  return sig == fake_signature(secrets_[validator], digest);
}

}  // namespace sharechain::sim
