// The encrypted keystore (tools/common/keystore.hpp).
//   round trip: create then load gives the same key; import then export gives the same secret
//   the file holds exactly the documented fields, and the scrypt cost it was written with, so a
//     light key loads without being told its cost
//   a wrong passphrase is refused with "wrong passphrase for key 'NAME'", never a wrong key
//   altered ciphertext, tag or iv, or a secret moved under another key's address (the address is
//     the AEAD's additional data) fail authentication
//   a public key that does not match the address is reported as a malformed file
//   files are 0600 and the folder 0700 whatever the umask
//   an existing key is never overwritten; bad names, empty passphrases, bad costs are refused
//   list is sorted, skips temporary and non-key files, and fails loudly on a damaged key file
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/tools/temp_dir.hpp"
#include "tools/common/files.hpp"
#include "tools/common/keystore.hpp"

using namespace sharechain;
using sharechain::testing::TempDir;
using tools::Keystore;

namespace {

constexpr std::uint64_t kFastN = 1024;  // the lowest accepted cost keeps these tests quick

tools::KeyOptions fast() {
  tools::KeyOptions o;
  o.scrypt_n = kFastN;
  return o;
}

nlohmann::json read_json(const std::filesystem::path& p) {
  return nlohmann::json::parse(tools::read_file(p).value());
}

void write_json(const std::filesystem::path& p, const nlohmann::json& j) {
  std::ofstream(p, std::ios::trunc) << j.dump(2);
}

// Flips the first hex digit of a hex string.
std::string flip_first(std::string hex) {
  hex[0] = hex[0] == '0' ? '1' : '0';
  return hex;
}

}  // namespace

TEST_CASE("a created key loads back with its passphrase", "[keystore]") {
  TempDir tmp;
  Keystore ks(tmp / "keys");
  Result<tools::KeyInfo> info = ks.create("user1", "correct horse", fast());
  REQUIRE(info);
  CHECK(info->name == "user1");
  CHECK(info->address == crypto::address_of(info->public_key));
  CHECK(info->file == tmp / "keys" / "user1.json");

  Result<crypto::PrivateKey> key = ks.load("user1", "correct horse");
  REQUIRE(key);
  CHECK(key->public_key() == info->public_key);
  CHECK(key->address() == info->address);

  Result<tools::KeyInfo> again = ks.info("user1");
  REQUIRE(again);
  CHECK(again->address == info->address);
  CHECK(again->scrypt_n == kFastN);
}

TEST_CASE("the key file holds the documented fields", "[keystore]") {
  TempDir tmp;
  Keystore ks(tmp.path());
  Result<tools::KeyInfo> info = ks.create("operator", "pw", fast());
  REQUIRE(info);
  const nlohmann::json j = read_json(info->file);
  CHECK(j["version"] == 1);
  CHECK(j["name"] == "operator");
  CHECK(j["address"] == crypto::format_address(info->address));
  CHECK(j["public_key"] == crypto::to_hex(info->public_key));
  CHECK(j["kdf"]["name"] == "scrypt");
  CHECK(j["kdf"]["n"] == kFastN);
  CHECK(j["kdf"]["r"] == 8);
  CHECK(j["kdf"]["p"] == 1);
  CHECK(j["kdf"]["salt"].get<std::string>().size() == 64);
  CHECK(j["cipher"]["name"] == "aes-256-gcm");
  CHECK(j["cipher"]["iv"].get<std::string>().size() == 24);
  CHECK(j["ciphertext"].get<std::string>().size() == 64);
  CHECK(j["tag"].get<std::string>().size() == 32);
  // The secret itself appears nowhere in the file.
  const std::string secret_hex = crypto::to_hex(ks.load("operator", "pw")->secret());
  CHECK(tools::read_file(info->file)->find(secret_hex) == std::string::npos);
}

TEST_CASE("import then export returns the same secret", "[keystore]") {
  TempDir tmp;
  Keystore ks(tmp.path());
  const crypto::PrivateKey original = crypto::PrivateKey::generate();
  const std::string hex = crypto::to_hex(original.secret());

  SECTION("from hex, with or without 0x") {
    Result<tools::KeyInfo> a = ks.import_hex("a", hex, "pw", fast());
    REQUIRE(a);
    CHECK(a->public_key == original.public_key());
    Result<tools::KeyInfo> b = ks.import_hex("b", "0x" + hex, "pw", fast());
    REQUIRE(b);
    CHECK(b->address == original.address());
    CHECK(ks.export_secret("a", "pw").value() == hex);
    CHECK(ks.export_secret("b", "pw").value() == hex);
  }
  SECTION("from a key") {
    REQUIRE(ks.import_key("k", original, "pw", fast()));
    CHECK(ks.export_secret("k", "pw").value() == hex);
    CHECK(ks.load("k", "pw")->secret() == original.secret());
  }
  SECTION("bad secrets are refused") {
    CHECK(ks.import_hex("x", hex.substr(2), "pw", fast()).status().code() == Code::kInvalidArgument);
    CHECK(ks.import_hex("x", "zz" + hex.substr(2), "pw", fast()).status().code() == Code::kInvalidArgument);
    // Zero is not a valid secp256k1 secret.
    CHECK(ks.import_hex("x", std::string(64, '0'), "pw", fast()).status().code() == Code::kInvalidArgument);
    CHECK_FALSE(std::filesystem::exists(ks.path_of("x")));
  }
}

TEST_CASE("a wrong passphrase is refused by name", "[keystore]") {
  TempDir tmp;
  Keystore ks(tmp.path());
  REQUIRE(ks.create("user1", "right", fast()));
  Result<crypto::PrivateKey> key = ks.load("user1", "wrong");
  REQUIRE_FALSE(key);
  CHECK(key.status().code() == Code::kPermissionDenied);
  CHECK(key.status().message().find("wrong passphrase for key 'user1'") != std::string::npos);
  CHECK_FALSE(ks.export_secret("user1", "").is_ok());
}

TEST_CASE("altered key files fail authentication", "[keystore]") {
  TempDir tmp;
  Keystore ks(tmp.path());
  REQUIRE(ks.create("victim", "pw", fast()));
  REQUIRE(ks.create("other", "pw", fast()));
  const auto path = ks.path_of("victim");
  nlohmann::json j = read_json(path);

  SECTION("ciphertext") { j["ciphertext"] = flip_first(j["ciphertext"]); }
  SECTION("tag") { j["tag"] = flip_first(j["tag"]); }
  SECTION("iv") { j["cipher"]["iv"] = flip_first(j["cipher"]["iv"]); }
  SECTION("salt") { j["kdf"]["salt"] = flip_first(j["kdf"]["salt"]); }
  SECTION("the sealed secret moved under another key's address") {
    // The file stays self-consistent (address matches public key); only the AEAD's additional
    // data differs from what the secret was sealed with.
    const nlohmann::json other = read_json(ks.path_of("other"));
    j["address"] = other["address"];
    j["public_key"] = other["public_key"];
  }
  write_json(path, j);
  Result<crypto::PrivateKey> key = ks.load("victim", "pw");
  REQUIRE_FALSE(key);
  CHECK(key.status().code() == Code::kPermissionDenied);
  CHECK(key.status().message().find("wrong passphrase for key 'victim'") != std::string::npos);
}

TEST_CASE("a damaged key file is reported as malformed", "[keystore]") {
  TempDir tmp;
  Keystore ks(tmp.path());
  REQUIRE(ks.create("k", "pw", fast()));
  REQUIRE(ks.create("other", "pw", fast()));
  const auto path = ks.path_of("k");
  nlohmann::json j = read_json(path);

  SECTION("a public key that does not belong to the address") {
    j["public_key"] = read_json(ks.path_of("other"))["public_key"];
    write_json(path, j);
  }
  SECTION("a truncated tag") {
    j["tag"] = j["tag"].get<std::string>().substr(2);
    write_json(path, j);
  }
  SECTION("an unknown version") {
    j["version"] = 2;
    write_json(path, j);
  }
  SECTION("a hostile scrypt cost") {
    j["kdf"]["n"] = std::uint64_t{1} << 30;
    write_json(path, j);
  }
  SECTION("not JSON") { std::ofstream(path, std::ios::trunc) << "{\"version\": 1,"; }
  Result<crypto::PrivateKey> key = ks.load("k", "pw");
  REQUIRE_FALSE(key);
  CHECK(key.status().code() == Code::kFailedPrecondition);
  CHECK(key.status().message().find(path.string()) != std::string::npos);
  // list() names the bad file rather than hiding the key.
  Result<std::vector<tools::KeyInfo>> all = ks.list();
  REQUIRE_FALSE(all);
  CHECK(all.status().message().find(path.string()) != std::string::npos);
}

TEST_CASE("key files are private whatever the umask", "[keystore]") {
  TempDir tmp;
  const mode_t old = ::umask(0);
  Keystore ks(tmp / "fresh" / "keystore");
  Result<tools::KeyInfo> info = ks.create("k", "pw", fast());
  ::umask(old);
  REQUIRE(info);
  CHECK(tools::file_mode(info->file).value() == 0600);
  CHECK(tools::file_mode(tmp / "fresh" / "keystore").value() == 0700);
}

TEST_CASE("existing keys are never overwritten", "[keystore]") {
  TempDir tmp;
  Keystore ks(tmp.path());
  Result<tools::KeyInfo> first = ks.create("dup", "pw", fast());
  REQUIRE(first);
  const std::string before = tools::read_file(first->file).value();
  Result<tools::KeyInfo> second = ks.create("dup", "pw", fast());
  REQUIRE_FALSE(second);
  CHECK(second.status().code() == Code::kAlreadyExists);
  CHECK(tools::read_file(first->file).value() == before);
  CHECK(ks.load("dup", "pw")->public_key() == first->public_key);
}

TEST_CASE("names, passphrases and costs are checked", "[keystore]") {
  TempDir tmp;
  Keystore ks(tmp.path());
  for (const std::string& bad : std::vector<std::string>{"", ".hidden", "../escape", "a/b", "sp ace", std::string(65, 'a')}) {
    CAPTURE(bad);
    CHECK(ks.create(bad, "pw", fast()).status().code() == Code::kInvalidArgument);
    CHECK(ks.load(bad, "pw").status().code() == Code::kInvalidArgument);
  }
  CHECK(Keystore::validate_name("user-1_a.b"));
  CHECK(Keystore::validate_name(std::string(64, 'a')));
  CHECK(ks.create("k", "", fast()).status().code() == Code::kInvalidArgument);
  for (const std::uint64_t n : {std::uint64_t{1000}, std::uint64_t{512}, std::uint64_t{1} << 21}) {
    tools::KeyOptions o;
    o.scrypt_n = n;
    CAPTURE(n);
    CHECK(ks.create("k", "pw", o).status().code() == Code::kInvalidArgument);
  }
  CHECK(ks.load("missing", "pw").status().code() == Code::kNotFound);
  CHECK(ks.info("missing").status().code() == Code::kNotFound);
}

TEST_CASE("list is sorted and skips what is not a key", "[keystore]") {
  TempDir tmp;
  Keystore ks(tmp.path());
  CHECK(Keystore(tmp / "absent").list().value().empty());
  for (const char* name : {"user2", "attester1", "user10"}) REQUIRE(ks.create(name, "pw", fast()));
  std::ofstream(tmp / "notes.txt") << "not a key";
  std::ofstream(tmp / ".user3.json.tmp-00") << "{";
  Result<std::vector<tools::KeyInfo>> all = ks.list();
  REQUIRE(all);
  REQUIRE(all->size() == 3);
  CHECK((*all)[0].name == "attester1");
  CHECK((*all)[1].name == "user10");
  CHECK((*all)[2].name == "user2");
}
