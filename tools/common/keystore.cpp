#include "tools/common/keystore.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>

#include "proto/address.hpp"
#include "tools/common/files.hpp"

namespace sharechain::tools {
namespace fs = std::filesystem;
namespace {

using Json = nlohmann::ordered_json;

constexpr int kFormatVersion = 1;
constexpr std::size_t kDerivedKeySize = 32;  // AES-256
constexpr std::size_t kSaltSize = 32;
constexpr std::size_t kIvSize = 12;  // the GCM standard nonce size
constexpr std::size_t kTagSize = 16;
constexpr std::uint64_t kScryptR = 8;
constexpr std::uint64_t kScryptP = 1;
constexpr std::uint64_t kMinScryptN = std::uint64_t{1} << 10;
constexpr std::uint64_t kMaxScryptN = std::uint64_t{1} << 20;

// Wipes the derived key (and any other secret buffer) however the scope is left.
struct Wipe {
  std::string& s;
  ~Wipe() { OPENSSL_cleanse(s.data(), s.size()); }
};

const unsigned char* u8(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }
unsigned char* u8(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

std::string random_string(std::size_t n) {
  std::string s(n, '\0');
  crypto::random_bytes(reinterpret_cast<std::uint8_t*>(s.data()), n);
  return s;
}

Status check_scrypt_params(std::uint64_t n, std::uint64_t r, std::uint64_t p) {
  if (n < kMinScryptN || n > kMaxScryptN || (n & (n - 1)) != 0) {
    return Status::invalid_argument("scrypt n must be a power of two between 2^10 and 2^20, got " +
                                    std::to_string(n));
  }
  // Files come from disk and may be hostile: bound the memory and time a read can be made to use.
  if (r < 1 || r > 32 || p < 1 || p > 16) {
    return Status::invalid_argument("scrypt r must be 1-32 and p 1-16, got r=" + std::to_string(r) +
                                    " p=" + std::to_string(p));
  }
  return Status::ok();
}

Result<std::string> derive_key(std::string_view passphrase, std::string_view salt, std::uint64_t n,
                               std::uint64_t r, std::uint64_t p) {
  // scrypt needs 128*r*(n+p) bytes plus a little; OpenSSL refuses anything above maxmem.
  const std::uint64_t maxmem = 128 * r * (n + p + 2) + (std::uint64_t{1} << 20);
  std::string key(kDerivedKeySize, '\0');
  if (EVP_PBE_scrypt(passphrase.data(), passphrase.size(), u8(salt), salt.size(), n, r, p, maxmem,
                     u8(key), key.size()) != 1) {
    return Status::internal("scrypt key derivation failed (n=" + std::to_string(n) + ")");
  }
  return key;
}

struct CipherCtx {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  ~CipherCtx() { EVP_CIPHER_CTX_free(ctx); }
};

struct Sealed {
  std::string ciphertext;
  std::string tag;
};

Result<Sealed> seal(std::string_view key, std::string_view iv, std::string_view aad,
                    std::string_view plaintext) {
  CipherCtx c;
  Sealed out;
  out.ciphertext.assign(plaintext.size(), '\0');
  out.tag.assign(kTagSize, '\0');
  int len = 0;
  int total = 0;
  const bool ok =
      c.ctx != nullptr &&
      EVP_EncryptInit_ex(c.ctx, EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(iv.size()), nullptr) == 1 &&
      EVP_EncryptInit_ex(c.ctx, nullptr, nullptr, u8(key), u8(iv)) == 1 &&
      EVP_EncryptUpdate(c.ctx, nullptr, &len, u8(aad), static_cast<int>(aad.size())) == 1 &&
      EVP_EncryptUpdate(c.ctx, u8(out.ciphertext), &len, u8(plaintext),
                        static_cast<int>(plaintext.size())) == 1 &&
      (total = len, EVP_EncryptFinal_ex(c.ctx, u8(out.ciphertext) + total, &len) == 1) &&
      EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagSize),
                          out.tag.data()) == 1;
  if (!ok) return Status::internal("AES-256-GCM encryption failed");
  return out;
}

// The additional authenticated data that binds a sealed secret to its address: the address as
// "sc" + 40 hex digits, the text form of the release that defined key-file version 1. It stays
// that form when addresses are printed with a checksum, so every key file ever written opens.
std::string sealing_aad(std::string_view address20) { return "sc" + crypto::to_hex(address20); }

// nullopt when authentication fails (wrong key, or altered ciphertext, tag, iv or aad).
Result<std::string> open_sealed(std::string_view key, std::string_view iv, std::string_view aad,
                                std::string_view ciphertext, std::string tag, bool* authentic) {
  CipherCtx c;
  std::string plain(ciphertext.size(), '\0');
  int len = 0;
  int total = 0;
  *authentic = false;
  const bool setup =
      c.ctx != nullptr &&
      EVP_DecryptInit_ex(c.ctx, EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(iv.size()), nullptr) == 1 &&
      EVP_DecryptInit_ex(c.ctx, nullptr, nullptr, u8(key), u8(iv)) == 1 &&
      EVP_DecryptUpdate(c.ctx, nullptr, &len, u8(aad), static_cast<int>(aad.size())) == 1 &&
      EVP_DecryptUpdate(c.ctx, u8(plain), &len, u8(ciphertext), static_cast<int>(ciphertext.size())) == 1 &&
      EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag.size()), tag.data()) == 1;
  if (!setup) {
    OPENSSL_cleanse(plain.data(), plain.size());
    return Status::internal("AES-256-GCM decryption could not start");
  }
  total = len;
  if (EVP_DecryptFinal_ex(c.ctx, u8(plain) + total, &len) != 1) {
    OPENSSL_cleanse(plain.data(), plain.size());
    return std::string();
  }
  *authentic = true;
  return plain;
}

// The parsed contents of a key file.
struct KeyFile {
  KeyInfo info;
  std::uint64_t r = 0;
  std::uint64_t p = 0;
  std::string salt;
  std::string iv;
  std::string ciphertext;
  std::string tag;
};

Result<KeyFile> parse_key_file(std::string_view name, const fs::path& path) {
  Result<std::string> text = read_file(path);
  if (!text) {
    if (text.status().code() == Code::kNotFound) {
      return Status::not_found("no key named '" + std::string(name) + "' in " +
                               path.parent_path().string());
    }
    return text.status();
  }
  auto bad = [&](const std::string& why) {
    return Status::failed_precondition("key file " + path.string() + " is malformed: " + why);
  };
  Json j = Json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return bad("not a JSON object");
  try {
    if (j.at("version").get<int>() != kFormatVersion) {
      return bad("unsupported version " + j.at("version").dump());
    }
    const Json& kdf = j.at("kdf");
    const Json& cipher = j.at("cipher");
    if (kdf.at("name").get<std::string>() != "scrypt") return bad("kdf must be scrypt");
    if (cipher.at("name").get<std::string>() != "aes-256-gcm") return bad("cipher must be aes-256-gcm");
    KeyFile f;
    f.info.name = std::string(name);
    f.info.file = path;
    f.info.scrypt_n = kdf.at("n").get<std::uint64_t>();
    f.r = kdf.at("r").get<std::uint64_t>();
    f.p = kdf.at("p").get<std::uint64_t>();
    if (Status st = check_scrypt_params(f.info.scrypt_n, f.r, f.p); !st) return bad(st.message());
    auto hex_field = [&](const Json& obj, const char* key, std::size_t min, std::size_t max,
                         std::string* out) -> Status {
      auto raw = crypto::from_hex(obj.at(key).get<std::string>());
      if (!raw || raw->size() < min || raw->size() > max) {
        return bad(std::string(key) + " must be " + std::to_string(min) +
                   (min == max ? "" : "-" + std::to_string(max)) + " bytes of hex");
      }
      *out = std::move(*raw);
      return Status::ok();
    };
    for (Status st : {hex_field(kdf, "salt", 16, 64, &f.salt), hex_field(cipher, "iv", kIvSize, kIvSize, &f.iv),
                      hex_field(j, "ciphertext", crypto::kSecretKeySize, crypto::kSecretKeySize, &f.ciphertext),
                      hex_field(j, "tag", kTagSize, kTagSize, &f.tag),
                      hex_field(j, "public_key", crypto::kPublicKeySize, crypto::kPublicKeySize,
                                &f.info.public_key)}) {
      if (!st) return st;
    }
    Result<std::string> address = crypto::read_address(j.at("address").get<std::string>());
    if (!address) return bad(address.status().message());
    f.info.address = std::move(*address);
    if (crypto::address_of(f.info.public_key) != f.info.address) {
      return bad("address does not belong to public_key");
    }
    return f;
  } catch (const Json::exception& e) {
    return bad(e.what());
  }
}

}  // namespace

Keystore::Keystore(fs::path dir) : dir_(std::move(dir)) {}

Status Keystore::validate_name(std::string_view name) {
  const bool chars_ok = std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
  if (name.empty() || name.size() > 64 || !chars_ok || name.front() == '.') {
    return Status::invalid_argument("key name '" + std::string(name) +
                                    "' is not valid: use 1-64 letters, digits, '_', '-' or '.', "
                                    "not starting with '.'");
  }
  return Status::ok();
}

fs::path Keystore::path_of(std::string_view name) const { return dir_ / (std::string(name) + ".json"); }

Result<KeyInfo> Keystore::create(std::string_view name, std::string_view passphrase,
                                 const KeyOptions& options) {
  return import_key(name, crypto::PrivateKey::generate(), passphrase, options);
}

Result<KeyInfo> Keystore::import_hex(std::string_view name, std::string_view secret_hex,
                                     std::string_view passphrase, const KeyOptions& options) {
  auto raw = crypto::from_hex(secret_hex);
  if (!raw || raw->size() != crypto::kSecretKeySize) {
    if (raw) OPENSSL_cleanse(raw->data(), raw->size());
    return Status::invalid_argument("a secret key is 64 hex digits (32 bytes)");
  }
  Wipe wipe{*raw};
  auto key = crypto::PrivateKey::from_bytes(*raw);
  if (!key) return Status::invalid_argument("the secret is not a valid secp256k1 key");
  return import_key(name, *key, passphrase, options);
}

Result<KeyInfo> Keystore::import_key(std::string_view name, const crypto::PrivateKey& key,
                                     std::string_view passphrase, const KeyOptions& options) {
  if (Status st = validate_name(name); !st) return st;
  if (passphrase.empty()) return Status::invalid_argument("the passphrase must not be empty");
  if (Status st = check_scrypt_params(options.scrypt_n, kScryptR, kScryptP); !st) return st;
  const fs::path path = path_of(name);
  std::error_code ec;
  if (fs::exists(path, ec)) {
    return Status::already_exists("a key named '" + std::string(name) + "' already exists (" +
                                  path.string() + ")");
  }
  if (Status st = make_dirs(dir_, 0700); !st) return st;

  KeyInfo info;
  info.name = std::string(name);
  info.address = key.address();
  info.public_key = key.public_key();
  info.scrypt_n = options.scrypt_n;
  info.file = path;
  const std::string address_text = crypto::format_address(info.address);
  const std::string aad = sealing_aad(info.address);

  const std::string salt = random_string(kSaltSize);
  const std::string iv = random_string(kIvSize);
  Result<std::string> derived = derive_key(passphrase, salt, options.scrypt_n, kScryptR, kScryptP);
  if (!derived) return derived.status();
  Wipe wipe{*derived};
  Result<Sealed> sealed = seal(*derived, iv, aad, key.secret());
  if (!sealed) return sealed.status();

  Json j;
  j["version"] = kFormatVersion;
  j["name"] = info.name;
  j["address"] = address_text;
  j["public_key"] = crypto::to_hex(info.public_key);
  j["kdf"] = {{"name", "scrypt"}, {"n", options.scrypt_n}, {"r", kScryptR}, {"p", kScryptP},
              {"salt", crypto::to_hex(salt)}};
  j["cipher"] = {{"name", "aes-256-gcm"}, {"iv", crypto::to_hex(iv)}};
  j["ciphertext"] = crypto::to_hex(sealed->ciphertext);
  j["tag"] = crypto::to_hex(sealed->tag);
  // Overwrite::kNo makes the existence check above race-free: two writers cannot both win.
  Status st = write_file_atomic(path, j.dump(2) + "\n", 0600, Overwrite::kNo);
  if (!st) {
    if (st.code() == Code::kAlreadyExists) {
      return Status::already_exists("a key named '" + std::string(name) + "' already exists (" +
                                    path.string() + ")");
    }
    return st;
  }
  return info;
}

Result<crypto::PrivateKey> Keystore::load(std::string_view name, std::string_view passphrase) const {
  if (Status st = validate_name(name); !st) return st;
  Result<KeyFile> f = parse_key_file(name, path_of(name));
  if (!f) return f.status();
  Result<std::string> derived = derive_key(passphrase, f->salt, f->info.scrypt_n, f->r, f->p);
  if (!derived) return derived.status();
  Wipe wipe_key{*derived};
  bool authentic = false;
  Result<std::string> plain = open_sealed(*derived, f->iv, sealing_aad(f->info.address),
                                          f->ciphertext, f->tag, &authentic);
  if (!plain) return plain.status();
  Wipe wipe_plain{*plain};
  if (!authentic) {
    // A wrong passphrase is by far the likelier cause, but GCM alone cannot tell it from a file
    // whose ciphertext, tag, iv or address was altered.
    return Status::permission_denied("wrong passphrase for key '" + std::string(name) +
                                     "' (or its file " + f->info.file.string() + " was altered)");
  }
  auto key = crypto::PrivateKey::from_bytes(*plain);
  if (!key || key->public_key() != f->info.public_key) {
    return Status::failed_precondition("key file " + f->info.file.string() +
                                       " is inconsistent: its secret does not match its public_key");
  }
  return *key;
}

Result<KeyInfo> Keystore::info(std::string_view name) const {
  if (Status st = validate_name(name); !st) return st;
  Result<KeyFile> f = parse_key_file(name, path_of(name));
  if (!f) return f.status();
  return f->info;
}

Result<std::vector<KeyInfo>> Keystore::list() const {
  std::vector<KeyInfo> keys;
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) return keys;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir_, ec)) {
    const fs::path& p = entry.path();
    if (p.extension() != ".json" || !entry.is_regular_file(ec)) continue;
    const std::string name = p.stem().string();
    if (!validate_name(name)) continue;  // temporary files start with '.'
    Result<KeyFile> f = parse_key_file(name, p);
    if (!f) return f.status();
    keys.push_back(f->info);
  }
  if (ec) return Status::internal("cannot list " + dir_.string() + ": " + ec.message());
  std::sort(keys.begin(), keys.end(), [](const KeyInfo& a, const KeyInfo& b) { return a.name < b.name; });
  return keys;
}

Result<std::string> Keystore::export_secret(std::string_view name, std::string_view passphrase) const {
  Result<crypto::PrivateKey> key = load(name, passphrase);
  if (!key) return key.status();
  return crypto::to_hex(key->secret());
}

}  // namespace sharechain::tools
