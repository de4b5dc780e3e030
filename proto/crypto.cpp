#include "proto/crypto.hpp"
#include "proto/address.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <unordered_map>

namespace sharechain::crypto {
namespace {

const unsigned char* u8(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// One context for the process. libsecp256k1 contexts are safe for concurrent use once created
// and randomised; randomisation blinds signing against side channels.
secp256k1_context* context() {
  static secp256k1_context* ctx = [] {
    secp256k1_context* c = secp256k1_context_create(SECP256K1_CONTEXT_SIGN | SECP256K1_CONTEXT_VERIFY);
    unsigned char seed[32];
    random_bytes(seed, sizeof seed);
    if (secp256k1_context_randomize(c, seed) != 1) std::abort();
    return c;
  }();
  return ctx;
}

}  // namespace

namespace {

// OpenSSL 3's one-shot SHA256() looks the algorithm up (a lock and an allocation) on every call;
// hashing is on every transaction's path, so the algorithm is fetched once and each thread
// keeps its own context.
const EVP_MD* sha256_md() {
  static EVP_MD* md = [] {
    EVP_MD* m = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (m == nullptr) std::abort();  // no SHA-256 provider: nothing in the node can work
    return m;
  }();
  return md;
}

struct DigestCtx {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~DigestCtx() { EVP_MD_CTX_free(ctx); }
};

EVP_MD_CTX* thread_ctx() {
  thread_local DigestCtx c;
  if (c.ctx == nullptr) std::abort();
  return c.ctx;
}

// A BIP340 tagged hash is SHA-256(SHA-256(tag) || SHA-256(tag) || data): the first 64 bytes are
// fixed per tag, so each thread keeps a context that has absorbed them and copies it per call.
EVP_MD_CTX* tag_prefix(std::string_view tag) {
  thread_local std::unordered_map<std::string, DigestCtx> prefixes;
  auto it = prefixes.find(std::string(tag));
  if (it != prefixes.end()) return it->second.ctx;
  const Hash t = sha256(tag);
  DigestCtx& c = prefixes[std::string(tag)];
  if (c.ctx == nullptr || EVP_DigestInit_ex2(c.ctx, sha256_md(), nullptr) != 1 ||
      EVP_DigestUpdate(c.ctx, t.data(), t.size()) != 1 || EVP_DigestUpdate(c.ctx, t.data(), t.size()) != 1) {
    std::abort();
  }
  return c.ctx;
}

}  // namespace

std::size_t HashHasher::operator()(const Hash& h) const noexcept {
  static const std::uint64_t key = [] {
    std::uint64_t k;
    random_bytes(reinterpret_cast<std::uint8_t*>(&k), sizeof k);
    return k | 1;
  }();
  std::uint64_t a, b;
  std::memcpy(&a, h.data(), sizeof a);
  std::memcpy(&b, h.data() + 8, sizeof b);
  std::uint64_t v = (a ^ key) * 0x9e3779b97f4a7c15ULL;
  v ^= (b + key) * 0xc2b2ae3d27d4eb4fULL;
  return static_cast<std::size_t>(v ^ (v >> 29));
}

Hash sha256(std::string_view data) {
  EVP_MD_CTX* ctx = thread_ctx();
  Hash h;
  unsigned int len = 0;
  if (EVP_DigestInit_ex2(ctx, sha256_md(), nullptr) != 1 || EVP_DigestUpdate(ctx, data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx, h.data(), &len) != 1 || len != h.size()) {
    std::abort();  // fails only on allocation failure inside OpenSSL
  }
  return h;
}

Hash tagged_hash(std::string_view tag, std::string_view data) {
  EVP_MD_CTX* prefix = tag_prefix(tag);
  EVP_MD_CTX* ctx = thread_ctx();
  Hash h;
  unsigned int len = 0;
  if (EVP_MD_CTX_copy_ex(ctx, prefix) != 1 || EVP_DigestUpdate(ctx, data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx, h.data(), &len) != 1 || len != h.size()) {
    std::abort();
  }
  return h;
}

std::string hash_bytes(const Hash& h) { return std::string(reinterpret_cast<const char*>(h.data()), h.size()); }

std::optional<Hash> hash_from_bytes(std::string_view raw) {
  if (raw.size() != kHashSize) return std::nullopt;
  Hash h;
  std::memcpy(h.data(), raw.data(), kHashSize);
  return h;
}

std::string to_hex(std::string_view raw) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size() * 2);
  for (unsigned char c : raw) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

std::string to_hex(const Hash& h) { return to_hex(hash_bytes(h)); }

std::optional<std::string> from_hex(std::string_view hex) {
  if (hex.starts_with("0x") || hex.starts_with("0X")) hex.remove_prefix(2);
  if (hex.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = nibble(hex[i]);
    const int lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>((hi << 4) | lo));
  }
  return out;
}

void random_bytes(std::uint8_t* out, std::size_t n) {
  if (RAND_bytes(out, static_cast<int>(n)) != 1) {
    // Without a working CSPRNG no key or nonce can be trusted; there is no safe fallback.
    std::abort();
  }
}

PrivateKey PrivateKey::generate() {
  for (;;) {
    std::string secret(kSecretKeySize, '\0');
    random_bytes(reinterpret_cast<std::uint8_t*>(secret.data()), secret.size());
    if (auto key = from_bytes(secret)) {
      OPENSSL_cleanse(secret.data(), secret.size());
      return *key;
    }
  }
}

std::optional<PrivateKey> PrivateKey::from_bytes(std::string_view secret) {
  if (secret.size() != kSecretKeySize) return std::nullopt;
  secp256k1_keypair keypair;
  if (secp256k1_keypair_create(context(), &keypair, u8(secret)) != 1) return std::nullopt;
  secp256k1_xonly_pubkey xonly;
  if (secp256k1_keypair_xonly_pub(context(), &xonly, nullptr, &keypair) != 1) return std::nullopt;
  unsigned char pub[kPublicKeySize];
  if (secp256k1_xonly_pubkey_serialize(context(), pub, &xonly) != 1) return std::nullopt;
  PrivateKey key;
  key.secret_.assign(secret);
  key.public_key_.assign(reinterpret_cast<const char*>(pub), sizeof pub);
  OPENSSL_cleanse(&keypair, sizeof keypair);
  return key;
}

PrivateKey::~PrivateKey() {
  if (!secret_.empty()) OPENSSL_cleanse(secret_.data(), secret_.size());
}

std::string PrivateKey::address() const { return address_of(public_key_); }

std::string PrivateKey::sign(const Hash& msg32) const {
  Hash aux;
  random_bytes(aux.data(), aux.size());
  return sign_with_aux(msg32, aux);
}

std::string PrivateKey::sign_with_aux(const Hash& msg32, const Hash& aux32) const {
  secp256k1_keypair keypair;
  if (secp256k1_keypair_create(context(), &keypair, u8(secret_)) != 1) {
    throw std::logic_error("PrivateKey holds an invalid secret");
  }
  unsigned char sig[kSignatureSize];
  const int ok = secp256k1_schnorrsig_sign32(context(), sig, msg32.data(), &keypair, aux32.data());
  OPENSSL_cleanse(&keypair, sizeof keypair);
  if (ok != 1) throw std::logic_error("BIP340 signing failed");
  return std::string(reinterpret_cast<const char*>(sig), sizeof sig);
}

bool verify(std::string_view public_key, const Hash& msg32, std::string_view signature) {
  if (public_key.size() != kPublicKeySize || signature.size() != kSignatureSize) return false;
  secp256k1_xonly_pubkey xonly;
  if (secp256k1_xonly_pubkey_parse(context(), &xonly, u8(public_key)) != 1) return false;
  return secp256k1_schnorrsig_verify(context(), u8(signature), msg32.data(), msg32.size(), &xonly) == 1;
}

bool is_valid_public_key(std::string_view public_key) {
  if (public_key.size() != kPublicKeySize) return false;
  secp256k1_xonly_pubkey xonly;
  return secp256k1_xonly_pubkey_parse(context(), &xonly, u8(public_key)) == 1;
}

std::string address_of(std::string_view public_key) {
  const Hash h = sha256(public_key);
  return std::string(reinterpret_cast<const char*>(h.data()), kAddressSize);
}

std::string format_address(std::string_view address20) { return encode_address(address20); }

std::optional<std::string> parse_address(std::string_view text) {
  Result<std::string> raw = read_address(text);
  if (!raw) return std::nullopt;
  return std::move(raw).value();
}

Hash merkle_root(const std::vector<Hash>& leaves) {
  if (leaves.empty()) return sha256("");
  std::vector<Hash> level;
  level.reserve(leaves.size());
  std::string buf;
  for (const Hash& leaf : leaves) {
    buf.assign(1, '\x00');
    buf.append(reinterpret_cast<const char*>(leaf.data()), leaf.size());
    level.push_back(sha256(buf));
  }
  while (level.size() > 1) {
    std::vector<Hash> next;
    next.reserve((level.size() + 1) / 2);
    for (std::size_t i = 0; i + 1 < level.size(); i += 2) {
      buf.assign(1, '\x01');
      buf.append(reinterpret_cast<const char*>(level[i].data()), kHashSize);
      buf.append(reinterpret_cast<const char*>(level[i + 1].data()), kHashSize);
      next.push_back(sha256(buf));
    }
    if (level.size() % 2 == 1) next.push_back(level.back());
    level = std::move(next);
  }
  return level.front();
}

namespace {

Hash merkle_leaf(const Hash& leaf) {
  std::string buf(1, '\x00');
  buf.append(reinterpret_cast<const char*>(leaf.data()), leaf.size());
  return sha256(buf);
}

Hash merkle_node(const Hash& left, const Hash& right) {
  std::string buf(1, '\x01');
  buf.append(reinterpret_cast<const char*>(left.data()), kHashSize);
  buf.append(reinterpret_cast<const char*>(right.data()), kHashSize);
  return sha256(buf);
}

}  // namespace

std::vector<Hash> merkle_path(const std::vector<Hash>& leaves, std::size_t index) {
  std::vector<Hash> path;
  if (index >= leaves.size()) return path;
  std::vector<Hash> level;
  level.reserve(leaves.size());
  for (const Hash& leaf : leaves) level.push_back(merkle_leaf(leaf));
  while (level.size() > 1) {
    const std::size_t sibling = index ^ 1U;
    if (sibling < level.size()) path.push_back(level[sibling]);
    std::vector<Hash> next;
    next.reserve((level.size() + 1) / 2);
    for (std::size_t i = 0; i + 1 < level.size(); i += 2) next.push_back(merkle_node(level[i], level[i + 1]));
    if (level.size() % 2 == 1) next.push_back(level.back());
    level = std::move(next);
    index /= 2;
  }
  return path;
}

std::optional<Hash> merkle_root_from_path(const Hash& leaf, std::size_t index, std::size_t count,
                                          const std::vector<Hash>& path) {
  if (index >= count) return std::nullopt;
  Hash node = merkle_leaf(leaf);
  std::size_t used = 0;
  for (std::size_t width = count; width > 1; width = (width + 1) / 2, index /= 2) {
    const bool right_child = (index % 2) == 1;
    if (!right_child && index + 1 == width) continue;  // the odd one out: promoted unchanged
    if (used == path.size()) return std::nullopt;
    const Hash& sibling = path[used++];
    node = right_child ? merkle_node(sibling, node) : merkle_node(node, sibling);
  }
  if (used != path.size()) return std::nullopt;
  return node;
}

}  // namespace sharechain::crypto
