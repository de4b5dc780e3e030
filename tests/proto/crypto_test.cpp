// Crypto primitives.
//   BIP340 vectors      - signing with the published aux data reproduces the published signature;
//                         verification gives the published verdict for all 15 vectors
//   sign/verify         - round trip; a signature by another key, a flipped bit, a wrong message fail
//   tagged hashes       - domain tags separate transaction and consensus signatures
//   addresses           - format/parse round trip; bad text refused
//   merkle              - order matters, odd counts, leaf/node separation, empty list
#include <atomic>
#include <cctype>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "proto/address.hpp"
#include "proto/crypto.hpp"

using namespace sharechain;

namespace {
struct Vector {
  int index;
  const char* secret;
  const char* public_key;
  const char* aux;
  const char* message;
  const char* signature;
  bool valid;
};
const Vector kVectors[] = {
#include "bip340_vectors.inc"
};

std::string hex(const char* h) { return *crypto::from_hex(h); }
crypto::Hash hash32(const char* h) { return *crypto::hash_from_bytes(hex(h)); }
}  // namespace

TEST_CASE("BIP340 published vectors: verification verdicts") {
  for (const Vector& v : kVectors) {
    INFO("vector " << v.index);
    CHECK(crypto::verify(hex(v.public_key), hash32(v.message), hex(v.signature)) == v.valid);
  }
}

TEST_CASE("BIP340 published vectors: signing reproduces the signature") {
  int signed_count = 0;
  for (const Vector& v : kVectors) {
    if (std::string(v.secret).empty()) continue;
    INFO("vector " << v.index);
    auto key = crypto::PrivateKey::from_bytes(hex(v.secret));
    REQUIRE(key);
    CHECK(crypto::to_hex(key->public_key()) == crypto::to_hex(hex(v.public_key)).c_str());
    const std::string sig = key->sign_with_aux(hash32(v.message), hash32(v.aux));
    CHECK(sig == hex(v.signature));
    ++signed_count;
  }
  CHECK(signed_count == 4);
}

TEST_CASE("sign and verify round trip; tampering fails") {
  const auto a = crypto::PrivateKey::generate();
  const auto b = crypto::PrivateKey::generate();
  const auto msg = crypto::sha256("pay 100 units");
  const std::string sig = a.sign(msg);
  CHECK(sig.size() == crypto::kSignatureSize);
  CHECK(crypto::verify(a.public_key(), msg, sig));
  CHECK_FALSE(crypto::verify(b.public_key(), msg, sig));
  CHECK_FALSE(crypto::verify(a.public_key(), crypto::sha256("pay 101 units"), sig));
  std::string flipped = sig;
  flipped[40] ^= 0x01;
  CHECK_FALSE(crypto::verify(a.public_key(), msg, flipped));
  CHECK_FALSE(crypto::verify(a.public_key(), msg, sig.substr(0, 63)));
  CHECK_FALSE(crypto::verify(a.public_key().substr(1), msg, sig));
}

TEST_CASE("secret keys outside the scalar range are refused") {
  CHECK_FALSE(crypto::PrivateKey::from_bytes(std::string(32, '\0')));
  CHECK_FALSE(crypto::PrivateKey::from_bytes(
      hex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141")));  // the order n
  CHECK_FALSE(crypto::PrivateKey::from_bytes("short"));
}

TEST_CASE("tagged hashes separate domains") {
  CHECK(crypto::tagged_hash(crypto::kTxTag, "x") != crypto::tagged_hash(crypto::kConsensusTag, "x"));
  CHECK(crypto::tagged_hash(crypto::kTxTag, "x") != crypto::sha256("x"));
  // BIP340's own construction: SHA256(SHA256(tag)||SHA256(tag)||msg).
  const auto t = crypto::sha256("tag");
  const std::string pre = crypto::hash_bytes(t) + crypto::hash_bytes(t) + "msg";
  CHECK(crypto::tagged_hash("tag", "msg") == crypto::sha256(pre));
}

TEST_CASE("tagged hashes stay exact across tags, lengths and threads") {
  // Each thread keeps a per-tag prefix state; interleaving tags and reusing them must never leak
  // one call's input into the next.
  auto expected = [](const std::string& tag, const std::string& msg) {
    const std::string t = crypto::hash_bytes(crypto::sha256(tag));
    return crypto::sha256(t + t + msg);
  };
  const std::vector<std::string> tags = {"a", "sharechain/tx", "sharechain/id", std::string(200, 't')};
  std::vector<std::string> msgs = {"", "m", std::string(55, 'x'), std::string(64, 'y'), std::string(1000, 'z')};
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&] {
      for (int round = 0; round < 3; ++round) {
        for (const auto& tag : tags) {
          for (const auto& msg : msgs) {
            if (crypto::tagged_hash(tag, msg) != expected(tag, msg)) ++mismatches;
            if (crypto::sha256(msg) != crypto::sha256(std::string(msg))) ++mismatches;
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(mismatches == 0);
  CHECK(crypto::to_hex(crypto::sha256("")) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("SHA-256 known answer") {
  CHECK(crypto::to_hex(crypto::sha256("abc")) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("addresses format and parse") {
  const auto key = crypto::PrivateKey::generate();
  const std::string addr = key.address();
  CHECK(addr.size() == crypto::kAddressSize);
  const std::string text = crypto::format_address(addr);
  CHECK(text.rfind("sc1", 0) == 0);
  CHECK(text.size() == crypto::kAddressTextSize);
  CHECK(crypto::parse_address(text) == addr);
  std::string upper = text;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  CHECK(crypto::parse_address(upper) == addr);
  CHECK(crypto::parse_address("sc" + crypto::to_hex(addr)) == addr);  // the legacy form
  CHECK_FALSE(crypto::parse_address(crypto::to_hex(addr)));          // no prefix: not an address
  CHECK_FALSE(crypto::parse_address("sc1234"));
  CHECK_FALSE(crypto::parse_address("sczz" + text.substr(4)));
  CHECK_FALSE(crypto::parse_address(""));
}

// Bech32m's guarantee, checked rather than trusted: any one character changed, and any two
// neighbours swapped, fail the checksum, with a message that says so.
TEST_CASE("an address with one typo or one swap is refused, saying the checksum does not match") {
  const std::string text = crypto::format_address(crypto::PrivateKey::generate().address());
  constexpr std::string_view kCharset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
  int refused = 0;
  for (std::size_t i = 3; i < text.size(); ++i) {
    for (char c : kCharset) {
      if (c == text[i]) continue;
      std::string typo = text;
      typo[i] = c;
      Result<std::string> r = crypto::read_address(typo);
      REQUIRE_FALSE(r);
      CHECK(r.status().code() == Code::kInvalidArgument);
      CHECK(r.status().message().find("checksum does not match") != std::string::npos);
      ++refused;
    }
  }
  CHECK(refused == 38 * 31);
  for (std::size_t i = 3; i + 1 < text.size(); ++i) {
    if (text[i] == text[i + 1]) continue;
    std::string swapped = text;
    std::swap(swapped[i], swapped[i + 1]);
    CHECK_FALSE(crypto::read_address(swapped));
  }
  Result<std::string> mixed = crypto::read_address(text.substr(0, 10) + "Q" + text.substr(11));
  REQUIRE_FALSE(mixed);
  CHECK(mixed.status().message().find("mixes upper- and lower-case") != std::string::npos);
  Result<std::string> bad_char = crypto::read_address(text.substr(0, 10) + "o" + text.substr(11));
  REQUIRE_FALSE(bad_char);
  CHECK(bad_char.status().message().find("character 11 ('o') is never used") != std::string::npos);
}

TEST_CASE("hex decoding refuses bad input") {
  CHECK(crypto::from_hex("0x0aFF") == std::string("\x0a\xff", 2));
  CHECK_FALSE(crypto::from_hex("abc"));
  CHECK_FALSE(crypto::from_hex("gg"));
}

TEST_CASE("merkle root") {
  const auto h1 = crypto::sha256("1"), h2 = crypto::sha256("2"), h3 = crypto::sha256("3");
  CHECK(crypto::merkle_root({}) == crypto::sha256(""));
  CHECK(crypto::merkle_root({h1}) != h1);  // leaves are tagged, so a leaf is never a root
  CHECK(crypto::merkle_root({h1, h2}) != crypto::merkle_root({h2, h1}));
  CHECK(crypto::merkle_root({h1, h2, h3}) != crypto::merkle_root({h1, h2, h3, h3}));
  CHECK(crypto::merkle_root({h1, h2, h3}) != crypto::merkle_root({h1, h2}));
  CHECK(crypto::merkle_root({h1, h2, h3}) == crypto::merkle_root({h1, h2, h3}));
}

TEST_CASE("merkle paths prove every leaf of every shape, and nothing else") {
  for (std::size_t count = 1; count <= 17; ++count) {
    std::vector<crypto::Hash> leaves;
    for (std::size_t i = 0; i < count; ++i) leaves.push_back(crypto::sha256("leaf " + std::to_string(i)));
    const crypto::Hash root = crypto::merkle_root(leaves);
    for (std::size_t i = 0; i < count; ++i) {
      INFO("count " << count << " index " << i);
      const std::vector<crypto::Hash> path = crypto::merkle_path(leaves, i);
      CHECK(crypto::merkle_root_from_path(leaves[i], i, count, path) == root);
      // Another leaf, position or count does not reach the root.
      CHECK(crypto::merkle_root_from_path(crypto::sha256("forged"), i, count, path) != root);
      if (count > 1) {
        const std::size_t other = (i + 1) % count;
        const auto moved = crypto::merkle_root_from_path(leaves[i], other, count, path);
        CHECK((!moved || *moved != root));
      }
      CHECK_FALSE(crypto::merkle_root_from_path(leaves[i], count, count, path));
      if (!path.empty()) {
        std::vector<crypto::Hash> bent = path;
        bent.front()[0] ^= 1;
        CHECK(crypto::merkle_root_from_path(leaves[i], i, count, bent) != root);
        std::vector<crypto::Hash> shorter(path.begin(), path.end() - 1);
        CHECK_FALSE(crypto::merkle_root_from_path(leaves[i], i, count, shorter));
      }
      std::vector<crypto::Hash> longer = path;
      longer.push_back(root);
      CHECK_FALSE(crypto::merkle_root_from_path(leaves[i], i, count, longer));
    }
  }
  CHECK(crypto::merkle_path({}, 0).empty());
  CHECK_FALSE(crypto::merkle_root_from_path(crypto::sha256("x"), 0, 0, {}));
}
