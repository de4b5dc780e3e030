#include "node/genesis.hpp"

#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace sharechain::node {
namespace {

Result<std::string> read_file(const std::filesystem::path& file, const char* what) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Status::not_found(std::string(what) + " " + file.string() + " cannot be read");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

Result<LoadedGenesis> load_genesis(const std::filesystem::path& file) {
  auto bytes = read_file(file, "genesis file");
  if (!bytes) return bytes.status();
  return parse_genesis(*bytes, file.string());
}

Result<crypto::PrivateKey> load_node_key(const std::filesystem::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    return Status::not_found("node key file " + file.string() + " does not exist");
  }
  if ((st.st_mode & 077) != 0) {
    return Status::permission_denied("node key file " + file.string() +
                                     " is readable by other users; run chmod 600 on it");
  }
  auto bytes = read_file(file, "node key file");
  if (!bytes) return bytes.status();
  const auto json = nlohmann::json::parse(*bytes, nullptr, false);
  if (json.is_discarded() || !json.is_object() || !json.contains("secret_key") ||
      !json["secret_key"].is_string()) {
    return Status::invalid_argument("node key file " + file.string() +
                                    " must be JSON with a \"secret_key\" hex string");
  }
  auto secret = crypto::from_hex(json["secret_key"].get<std::string>());
  if (!secret) return Status::invalid_argument("node key file " + file.string() + ": secret_key is not hex");
  auto key = crypto::PrivateKey::from_bytes(*secret);
  if (!key) return Status::invalid_argument("node key file " + file.string() + ": secret_key is not a valid secp256k1 key");
  return *key;
}

}  // namespace sharechain::node
