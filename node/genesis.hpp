// Loading the genesis file and the validator key.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "proto/crypto.hpp"
#include "proto/status.hpp"
#include "sharechain/types.pb.h"

namespace sharechain::node {

struct LoadedGenesis {
  Genesis genesis;
  std::string hash;                      // SHA-256 of the file's exact bytes (32 raw bytes)
  std::vector<std::string> validator_keys;  // x-only public keys, by validator index
};

// INVALID_ARGUMENT naming the problem: not JSON of sharechain.Genesis, empty chain id, no
// validators, a validator key that is not 64 hex digits of a valid x-only key, duplicates.
Result<LoadedGenesis> load_genesis(const std::filesystem::path& file);

// node_key.json: {"secret_key": "<64 hex>", ...}. Refuses a file readable by group/others.
Result<crypto::PrivateKey> load_node_key(const std::filesystem::path& file);

}  // namespace sharechain::node
