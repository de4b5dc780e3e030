// LtHash16: an incremental, order-independent hash of a set of (key, value) pairs.
//
// The accumulator is 1024 lanes of 16-bit words. Each pair is expanded to 2048 bytes by
// SHAKE-128 over a length-prefixed encoding of the key and the value; adding a pair adds its
// expansion lane by lane modulo 2^16, removing a pair subtracts it. So the accumulator of a set
// depends only on which pairs are in it, never on the order they were added, and a block that
// changes k keys costs 2k expansions however large the state is. storage/README.md explains the
// construction and its security level.
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

class LtHash {
 public:
  static constexpr std::size_t kLanes = 1024;
  static constexpr std::size_t kBytes = kLanes * 2;  // 2048
  using Expansion = std::array<std::uint8_t, kBytes>;

  // The accumulator of the empty set (all lanes zero).
  LtHash() { lanes_.fill(0); }

  // Accumulator bytes as serialised by bytes(); nullopt unless exactly kBytes long.
  static std::optional<LtHash> from_bytes(std::string_view raw);

  void add(std::string_view key, std::string_view value);
  void remove(std::string_view key, std::string_view value);
  // Set union / difference of disjoint sets: lane-wise sum / difference of two accumulators.
  void add(const LtHash& other);
  void remove(const LtHash& other);

  // The same with the pair's expansion already computed (storage/expansion_cache.hpp).
  void add(const Expansion& e);
  void remove(const Expansion& e);

  // The 2048-byte expansion of one pair.
  static Expansion expand(std::string_view key, std::string_view value);

  // Lanes as little-endian 16-bit words, 2048 bytes.
  std::string bytes() const;
  // The state root: SHA-256 of a domain tag followed by bytes().
  crypto::Hash root() const;
  bool is_empty() const;

  friend bool operator==(const LtHash& a, const LtHash& b) { return a.lanes_ == b.lanes_; }

 private:
  std::array<std::uint16_t, kLanes> lanes_;
};

// Domain tags. Changing either changes every state root, i.e. it is a new chain format.
inline constexpr std::string_view kLtHashPairTag = "sharechain/lthash16/pair/v1";
inline constexpr std::string_view kStateRootTag = "sharechain/state-root/v1";

}  // namespace sharechain::storage
