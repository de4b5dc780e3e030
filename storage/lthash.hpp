// LtHash16: an incremental, order-independent hash of a set of (key, value) pairs.
//
// The accumulator is 1024 lanes of 16-bit words. Each pair is expanded to 2048 bytes by an
// extendable-output function over a length-prefixed encoding of the key and the value; adding a
// pair adds its expansion lane by lane modulo 2^16, removing a pair subtracts it. So the
// accumulator of a set depends only on which pairs are in it, never on the order they were
// added, and a block that changes k keys costs 2k expansions however large the state is. Which
// function expands is the chain's state commitment, fixed by its genesis (StateCommitment).
// storage/README.md explains the construction and its security level.
//
// The accumulator is a multiset hash: it cannot tell whether a pair being removed was ever
// added. Removing an absent pair (or adding a present one twice) silently produces a value that
// matches no set. The caller must know the current value of a key before it removes the old pair,
// which Store does by reading the state it owns.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "proto/crypto.hpp"

namespace sharechain::storage {

// How a pair is expanded, chosen once per chain by its genesis file (`state_commitment`) and the
// same on every node: it decides every state root. Both give 2048 bytes from the same encoding
// of the pair; they differ in cost, about 3.6 µs for SHAKE-128 and 0.4 µs for AES-256-CTR with
// AES instructions (docs/benchmarks.md), and in the primitive they rest on (storage/README.md).
enum class StateCommitment : std::uint8_t {
  // SHAKE-128 of tag || pair. Chains whose genesis names no state_commitment use it.
  kLtHash16Shake128 = 1,
  // AES-256-CTR keystream (IV zero) under the key SHA-256(tag || pair).
  kLtHash16Aes256Ctr = 2,
};

// "lthash16-shake128", "lthash16-aes256ctr": the genesis file's spelling.
constexpr std::string_view state_commitment_name(StateCommitment c) {
  return c == StateCommitment::kLtHash16Aes256Ctr ? "lthash16-aes256ctr" : "lthash16-shake128";
}
// The commitment a genesis names; "" (a genesis written before the field existed) is
// lthash16-shake128. nullopt for any other spelling.
constexpr std::optional<StateCommitment> parse_state_commitment(std::string_view name) {
  if (name.empty() || name == "lthash16-shake128") return StateCommitment::kLtHash16Shake128;
  if (name == "lthash16-aes256ctr") return StateCommitment::kLtHash16Aes256Ctr;
  return std::nullopt;
}
// The commitment recorded under a number (its enum value, as a store's meta holds it); nullopt for
// any number no commitment has.
constexpr std::optional<StateCommitment> state_commitment_from_code(std::uint64_t code) {
  if (code == static_cast<std::uint64_t>(StateCommitment::kLtHash16Shake128)) return StateCommitment::kLtHash16Shake128;
  if (code == static_cast<std::uint64_t>(StateCommitment::kLtHash16Aes256Ctr)) return StateCommitment::kLtHash16Aes256Ctr;
  return std::nullopt;
}
// The spellings parse_state_commitment accepts, for error messages.
inline constexpr std::string_view kStateCommitmentNames = "lthash16-shake128, lthash16-aes256ctr";

class LtHash {
 public:
  static constexpr std::size_t kLanes = 1024;
  static constexpr std::size_t kBytes = kLanes * 2;  // 2048
  using Expansion = std::array<std::uint8_t, kBytes>;

  // The accumulator of the empty set (all lanes zero).
  LtHash() { lanes_.fill(0); }

  // Accumulator bytes as serialised by bytes(); nullopt unless exactly kBytes long.
  static std::optional<LtHash> from_bytes(std::string_view raw);

  void add(StateCommitment c, std::string_view key, std::string_view value);
  void remove(StateCommitment c, std::string_view key, std::string_view value);
  // Set union / difference of disjoint sets: lane-wise sum / difference of two accumulators.
  void add(const LtHash& other);
  void remove(const LtHash& other);

  // The same with the pair's expansion already computed (storage/expansion_cache.hpp).
  void add(const Expansion& e);
  void remove(const Expansion& e);

  // The 2048-byte expansion of one pair.
  static Expansion expand(StateCommitment c, std::string_view key, std::string_view value);

  // Lanes as little-endian 16-bit words, 2048 bytes.
  std::string bytes() const;
  // The state root: SHA-256 of a domain tag followed by bytes().
  crypto::Hash root() const;
  bool is_empty() const;

  friend bool operator==(const LtHash& a, const LtHash& b) { return a.lanes_ == b.lanes_; }

 private:
  std::array<std::uint16_t, kLanes> lanes_;
};

// Domain tags. Changing any changes every state root, i.e. it is a new chain format.
inline constexpr std::string_view kLtHashPairTag = "sharechain/lthash16/pair/v1";         // SHAKE-128
inline constexpr std::string_view kLtHashAesSeedTag = "sharechain/lthash16/aes256ctr/v1";  // AES key
inline constexpr std::string_view kStateRootTag = "sharechain/state-root/v1";

}  // namespace sharechain::storage
