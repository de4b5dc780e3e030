// Hashes, keys, addresses and signatures.
//
// Signature scheme: BIP340 Schnorr over secp256k1 (libsecp256k1's schnorrsig module). Keys are
// 32-byte secrets; public keys are 32-byte x-only keys; signatures are 64 bytes. BIP340
// signatures are not malleable (no low-S rule to enforce) and every message signed here is a
// domain-separated tagged hash, so a signature made for one purpose (a transaction) can never
// be replayed as another (a consensus vote). docs/crypto.md gives the full rationale.
//
// Byte strings are std::string (raw bytes, not text) to match protobuf's `bytes` fields.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sharechain::crypto {

inline constexpr std::size_t kHashSize = 32;
inline constexpr std::size_t kSecretKeySize = 32;
inline constexpr std::size_t kPublicKeySize = 32;
inline constexpr std::size_t kSignatureSize = 64;
inline constexpr std::size_t kAddressSize = 20;
inline constexpr std::string_view kAddressPrefix = "sc";

using Hash = std::array<std::uint8_t, kHashSize>;

// For hash tables keyed by hashes that outsiders choose (transaction hashes): mixes two words of
// the hash with a key drawn once per process, so no one can grind transactions into one bucket.
// The key never changes a result, only where a key sits in memory: tables keyed this way are
// looked up, never iterated where order would matter.
struct HashHasher {
  std::size_t operator()(const Hash& h) const noexcept;
};

Hash sha256(std::string_view data);
// BIP340 tagged hash: SHA-256(SHA-256(tag) || SHA-256(tag) || data).
Hash tagged_hash(std::string_view tag, std::string_view data);

std::string hash_bytes(const Hash& h);                    // the 32 raw bytes
std::optional<Hash> hash_from_bytes(std::string_view raw);  // nullopt unless exactly 32 bytes

std::string to_hex(std::string_view raw);
std::string to_hex(const Hash& h);
// Accepts upper or lower case, with or without a 0x prefix; nullopt on any other character.
std::optional<std::string> from_hex(std::string_view hex);

// Fills `out` from the operating system's CSPRNG (OpenSSL RAND_bytes); aborts if it fails.
void random_bytes(std::uint8_t* out, std::size_t n);

// A secp256k1 secret key. Copyable; the secret is wiped on destruction.
class PrivateKey {
 public:
  static PrivateKey generate();
  // nullopt unless `secret` is 32 bytes and a valid scalar (non-zero, below the group order).
  static std::optional<PrivateKey> from_bytes(std::string_view secret);

  PrivateKey(const PrivateKey&) = default;
  PrivateKey& operator=(const PrivateKey&) = default;
  ~PrivateKey();

  const std::string& secret() const { return secret_; }
  const std::string& public_key() const { return public_key_; }  // x-only, 32 bytes
  std::string address() const;                                   // 20 bytes

  // 64-byte BIP340 signature of a 32-byte message, with fresh auxiliary randomness.
  std::string sign(const Hash& msg32) const;
  // Deterministic variant with caller-chosen auxiliary data (test vectors).
  std::string sign_with_aux(const Hash& msg32, const Hash& aux32) const;

 private:
  PrivateKey() = default;
  std::string secret_;
  std::string public_key_;
};

// True when `signature` is a valid BIP340 signature of `msg32` by x-only key `public_key`.
// Any malformed input (wrong lengths, key not on the curve, s >= n, r >= p) returns false.
bool verify(std::string_view public_key, const Hash& msg32, std::string_view signature);

// True when `public_key` is 32 bytes and the x coordinate of a point on the curve.
bool is_valid_public_key(std::string_view public_key);

// Address = first 20 bytes of SHA-256(x-only public key).
std::string address_of(std::string_view public_key);
// The checksummed text form, "sc1" + 38 characters (proto/address.hpp).
std::string format_address(std::string_view address20);
// Accepts the checksummed form and the legacy "sc" + 40 hex form; nullopt for anything else
// (proto/address.hpp's read_address says why).
std::optional<std::string> parse_address(std::string_view text);

// Merkle root of hashes. Leaves and inner nodes are domain-separated (0x00 / 0x01 prefixes) and
// an odd node is promoted unchanged rather than duplicated, so two different lists can never
// share a root. The root of an empty list is SHA-256 of the empty string.
Hash merkle_root(const std::vector<Hash>& leaves);

// The proof that leaves[index] is under merkle_root(leaves): the sibling of its node at each
// level, lowest first. A level where the node is the odd one out (promoted unchanged) has no
// sibling and adds nothing, so a list of one leaf has an empty path.
std::vector<Hash> merkle_path(const std::vector<Hash>& leaves, std::size_t index);
// The root that `leaf`, at `index` of `count` leaves, hashes up to along `path`; nullopt when
// index >= count or the path is too short or too long for that position. The position decides
// at each level whether the sibling is on the left, on the right or absent, so the path carries
// hashes only.
std::optional<Hash> merkle_root_from_path(const Hash& leaf, std::size_t index, std::size_t count,
                                          const std::vector<Hash>& path);

// Domain tags for every signed message type.
inline constexpr std::string_view kTxTag = "sharechain/tx";
inline constexpr std::string_view kConsensusTag = "sharechain/consensus";
inline constexpr std::string_view kHelloTag = "sharechain/hello";

}  // namespace sharechain::crypto
