// The keystore: one encrypted JSON file per key, `<dir>/<name>.json`, mode 0600, in a 0700 folder.
//
//   {"version": 1, "name": "user1", "address": "sc…", "public_key": "<hex>",
//    "kdf": {"name": "scrypt", "n": 262144, "r": 8, "p": 1, "salt": "<hex>"},
//    "cipher": {"name": "aes-256-gcm", "iv": "<hex>"},
//    "ciphertext": "<hex>", "tag": "<hex>"}
//
// The 32-byte secret is sealed with AES-256-GCM under a key derived from the passphrase by
// scrypt; the formatted address is the additional authenticated data, so the secret cannot be
// moved under another key's address. The scrypt cost is recorded in the file, so reading a key
// never needs to know how it was written. GCM cannot tell a wrong passphrase from an altered
// ciphertext or tag: both fail authentication and are reported as a wrong passphrase, never as
// garbage. The public key and address are readable without the passphrase (list, show, account).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "proto/crypto.hpp"
#include "proto/status.hpp"

namespace sharechain::tools {

// scrypt cost N. The standard cost takes about a second and 256 MiB; the light one, for tests
// and local clusters whose passphrase sits next to the keys anyway, a few tens of milliseconds.
inline constexpr std::uint64_t kStandardScryptN = std::uint64_t{1} << 18;
inline constexpr std::uint64_t kLightScryptN = std::uint64_t{1} << 14;

struct KeyOptions {
  std::uint64_t scrypt_n = kStandardScryptN;  // a power of two, 2^10 ..= 2^20
};

struct KeyInfo {
  std::string name;
  std::string address;     // 20 raw bytes
  std::string public_key;  // 32 raw bytes, x-only
  std::uint64_t scrypt_n = 0;
  std::filesystem::path file;
};

class Keystore {
 public:
  explicit Keystore(std::filesystem::path dir);

  const std::filesystem::path& dir() const { return dir_; }

  // A name is 1-64 characters of [A-Za-z0-9_.-] not starting with '.', so it is always a plain
  // file name inside the keystore folder. INVALID_ARGUMENT otherwise.
  static Status validate_name(std::string_view name);

  // Generates a fresh key and stores it. ALREADY_EXISTS if `name` is taken (never overwrites);
  // INVALID_ARGUMENT for a bad name, an empty passphrase or a bad scrypt cost. Creates the
  // folder (0700) when missing.
  Result<KeyInfo> create(std::string_view name, std::string_view passphrase,
                         const KeyOptions& options = {});
  // Stores an existing key under `name`; same rules as create().
  Result<KeyInfo> import_key(std::string_view name, const crypto::PrivateKey& key,
                             std::string_view passphrase, const KeyOptions& options = {});
  // `secret_hex` is 64 hex digits (0x prefix allowed); INVALID_ARGUMENT if it is not a valid key.
  Result<KeyInfo> import_hex(std::string_view name, std::string_view secret_hex,
                             std::string_view passphrase, const KeyOptions& options = {});

  // Decrypts the key. NOT_FOUND if there is no such key; PERMISSION_DENIED "wrong passphrase for
  // key 'NAME'" when authentication fails; FAILED_PRECONDITION when the file is malformed or its
  // secret does not match its public key.
  Result<crypto::PrivateKey> load(std::string_view name, std::string_view passphrase) const;

  // The public part of one key (no passphrase needed). NOT_FOUND if there is no such key.
  Result<KeyInfo> info(std::string_view name) const;
  // Every key, sorted by name; an empty list when the folder does not exist. A file that does
  // not parse makes the whole call fail with its name, rather than hiding a key.
  Result<std::vector<KeyInfo>> list() const;
  // The secret as 64 lower-case hex digits, after decrypting with `passphrase`.
  Result<std::string> export_secret(std::string_view name, std::string_view passphrase) const;

  std::filesystem::path path_of(std::string_view name) const;

 private:
  std::filesystem::path dir_;
};

}  // namespace sharechain::tools
