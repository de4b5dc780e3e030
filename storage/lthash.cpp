#include "storage/lthash.hpp"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace sharechain::storage {
namespace {

// OpenSSL failing to hash is not an expected condition (no input can cause it); continuing
// would commit a state root nobody else computes, so stop.
[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "sharechain storage: %s failed in OpenSSL; halting\n", what);
  std::abort();
}

void append_u64_be(std::uint64_t v, unsigned char* out) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<unsigned char>(v & 0xff);
    v >>= 8;
  }
}

struct CtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

}  // namespace

LtHash::Expansion LtHash::expand(std::string_view key, std::string_view value) {
  // Per thread, a context that has absorbed the domain tag: each pair starts from a copy of it.
  // The digest is fetched explicitly once, because OpenSSL 3 would otherwise look SHAKE-128 up
  // in its provider tables (under a lock) at every init. Together with not absorbing the tag
  // again, an expansion costs about 4 % less (3.57 against 3.72 µs here); Keccak is the rest.
  struct Prefix {
    std::unique_ptr<EVP_MD, void (*)(EVP_MD*)> md{EVP_MD_fetch(nullptr, "SHAKE128", nullptr), EVP_MD_free};
    std::unique_ptr<EVP_MD_CTX, CtxDeleter> tagged{EVP_MD_CTX_new()};
    std::unique_ptr<EVP_MD_CTX, CtxDeleter> work{EVP_MD_CTX_new()};
    Prefix() {
      if (!md || !tagged || !work) die("SHAKE-128 fetch");
      if (EVP_DigestInit_ex(tagged.get(), md.get(), nullptr) != 1 ||
          EVP_DigestUpdate(tagged.get(), kLtHashPairTag.data(), kLtHashPairTag.size()) != 1) {
        die("SHAKE-128 init");
      }
    }
  };
  thread_local Prefix prefix;
  EVP_MD_CTX* ctx = prefix.work.get();
  if (EVP_MD_CTX_copy_ex(ctx, prefix.tagged.get()) != 1) die("SHAKE-128 copy");

  // tag || u64be(|key|) || key || u64be(|value|) || value: the length prefixes make the split
  // between key and value unambiguous, so ("ab","c") and ("a","bc") expand differently.
  unsigned char len[8];
  append_u64_be(key.size(), len);
  bool ok = EVP_DigestUpdate(ctx, len, sizeof len) == 1;
  ok = ok && EVP_DigestUpdate(ctx, key.data(), key.size()) == 1;
  append_u64_be(value.size(), len);
  ok = ok && EVP_DigestUpdate(ctx, len, sizeof len) == 1;
  ok = ok && EVP_DigestUpdate(ctx, value.data(), value.size()) == 1;
  if (!ok) die("SHAKE-128 update");

  std::array<std::uint8_t, kBytes> out;
  if (EVP_DigestFinalXOF(ctx, out.data(), out.size()) != 1) die("SHAKE-128 final");
  return out;
}

std::optional<LtHash> LtHash::from_bytes(std::string_view raw) {
  if (raw.size() != kBytes) return std::nullopt;
  LtHash h;
  for (std::size_t i = 0; i < kLanes; ++i) {
    h.lanes_[i] = static_cast<std::uint16_t>(static_cast<std::uint8_t>(raw[2 * i]) |
                                             (static_cast<std::uint8_t>(raw[2 * i + 1]) << 8));
  }
  return h;
}

// Lanes are read from the expansion as little-endian words, the same layout bytes() writes.
// uint16_t arithmetic is modulo 2^16 by definition once the int promotion is cast back.
void LtHash::add(std::string_view key, std::string_view value) { add(expand(key, value)); }

void LtHash::remove(std::string_view key, std::string_view value) { remove(expand(key, value)); }

void LtHash::add(const Expansion& e) {
  for (std::size_t i = 0; i < kLanes; ++i) {
    lanes_[i] = static_cast<std::uint16_t>(lanes_[i] + (e[2 * i] | (e[2 * i + 1] << 8)));
  }
}

void LtHash::remove(const Expansion& e) {
  for (std::size_t i = 0; i < kLanes; ++i) {
    lanes_[i] = static_cast<std::uint16_t>(lanes_[i] - (e[2 * i] | (e[2 * i + 1] << 8)));
  }
}

void LtHash::add(const LtHash& other) {
  for (std::size_t i = 0; i < kLanes; ++i) {
    lanes_[i] = static_cast<std::uint16_t>(lanes_[i] + other.lanes_[i]);
  }
}

void LtHash::remove(const LtHash& other) {
  for (std::size_t i = 0; i < kLanes; ++i) {
    lanes_[i] = static_cast<std::uint16_t>(lanes_[i] - other.lanes_[i]);
  }
}

std::string LtHash::bytes() const {
  std::string out(kBytes, '\0');
  for (std::size_t i = 0; i < kLanes; ++i) {
    out[2 * i] = static_cast<char>(lanes_[i] & 0xff);
    out[2 * i + 1] = static_cast<char>(lanes_[i] >> 8);
  }
  return out;
}

crypto::Hash LtHash::root() const {
  std::string buf;
  buf.reserve(kStateRootTag.size() + kBytes);
  buf.append(kStateRootTag);
  buf.append(bytes());
  return crypto::sha256(buf);
}

bool LtHash::is_empty() const {
  for (auto lane : lanes_) {
    if (lane != 0) return false;
  }
  return true;
}

}  // namespace sharechain::storage
