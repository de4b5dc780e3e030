#include "proto/genesis.hpp"

#include <google/protobuf/util/json_util.h>

#include <set>

#include "proto/crypto.hpp"

namespace sharechain {

Result<LoadedGenesis> parse_genesis(std::string_view bytes, const std::string& source) {
  LoadedGenesis out;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto parsed = google::protobuf::util::JsonStringToMessage(std::string(bytes), &out.genesis, options);
  if (!parsed.ok()) {
    return Status::invalid_argument("genesis file " + source + " is not a valid genesis: " +
                                    std::string(parsed.message()));
  }
  const Genesis& g = out.genesis;
  if (g.chain_id().empty()) return Status::invalid_argument("genesis file " + source + " has no chain_id");
  if (g.validators().empty()) {
    return Status::invalid_argument("genesis file " + source + " names no validators");
  }
  std::set<std::string> seen;
  for (int i = 0; i < g.validators_size(); ++i) {
    const auto& v = g.validators(i);
    auto key = crypto::from_hex(v.public_key());
    const std::string where = "genesis validator " + std::to_string(i) + " (" + v.name() + ")";
    if (!key || key->size() != crypto::kPublicKeySize) {
      return Status::invalid_argument(where + ": public_key must be 64 hex digits");
    }
    if (!seen.insert(*key).second) return Status::invalid_argument(where + ": duplicate public key");
    out.validator_keys.push_back(*key);
  }
  out.hash = crypto::hash_bytes(crypto::sha256(bytes));
  return out;
}

}  // namespace sharechain
