// Fuzz target key_file: the two key files a program reads from disk. Each input is written both
// as a wallet keystore file (tools/common/keystore.hpp, `<dir>/fuzzkey.json`) and as a node key
// file (node/genesis.hpp load_node_key, `node_key.json`).
//  - any bytes: each loader returns a value or a Status with a message; never a crash, an
//    exception or UB
//  - Keystore::info accepts only a file whose address belongs to its public key and whose scrypt
//    cost is a power of two in 2^10..2^20; list() agrees with info()
//  - Keystore::load with the corpus passphrase: a key whose public key is the file's, or a
//    refusal (wrong passphrase, malformed file)
//  - load_node_key: a valid secret whose hex is the file's secret_key
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "node/genesis.hpp"
#include "tests/fuzz/support/check.hpp"
#include "tests/fuzz/support/scratch.hpp"
#include "tests/fuzz/support/key_files.hpp"
#include "tools/common/keystore.hpp"

namespace {

using namespace sharechain;

void check_keystore(std::string_view bytes) {
  static const auto dir = sharechain::fuzz::scratch_dir() / "keystore";
  std::filesystem::create_directories(dir);
  const auto file = sharechain::fuzz::write_scratch_file("keystore/fuzzkey.json", bytes);
  tools::Keystore keystore(dir);
  auto info = keystore.info("fuzzkey");
  auto listed = keystore.list();
  if (!info) {
    FUZZ_CHECK(!info.status().message().empty(), "keystore file refused without a reason");
    FUZZ_CHECK(!listed, "list() accepted a folder whose only key info() refused");
    return;
  }
  FUZZ_CHECK(info->address.size() == crypto::kAddressSize &&
                 info->address == crypto::address_of(info->public_key),
             "accepted a keystore file whose address is not its public key's");
  const std::uint64_t n = info->scrypt_n;
  FUZZ_CHECK(n >= (1u << 10) && n <= (1u << 20) && (n & (n - 1)) == 0,
             "accepted scrypt n = " + std::to_string(n));
  FUZZ_CHECK(listed && listed->size() == 1 && listed->front().public_key == info->public_key,
             "list() disagrees with info()");
  auto key = keystore.load("fuzzkey", sharechain::fuzz::kKeystorePassphrase);
  if (!key) {
    FUZZ_CHECK(!key.status().message().empty(), "keystore load refused without a reason");
    return;
  }
  FUZZ_CHECK(key->public_key() == info->public_key, "decrypted a key that is not the file's");
}

void check_node_key(std::string_view bytes) {
  const auto file = sharechain::fuzz::write_scratch_file("node_key.json", bytes);
  auto key = node::load_node_key(file);
  if (!key) {
    FUZZ_CHECK(!key.status().message().empty(), "node key refused without a reason");
    return;
  }
  const auto json = nlohmann::json::parse(bytes, nullptr, false);
  FUZZ_CHECK(!json.is_discarded() && json.is_object() && json.contains("secret_key") &&
                 json["secret_key"].is_string(),
             "accepted a node key file without a secret_key string");
  FUZZ_CHECK(crypto::from_hex(json["secret_key"].get<std::string>()) == key->secret(),
             "the accepted key is not the file's secret_key");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  check_keystore(bytes);
  check_node_key(bytes);
  return 0;
}
