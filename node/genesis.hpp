// Loading the genesis file and the validator key.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "proto/crypto.hpp"
#include "proto/genesis.hpp"
#include "proto/status.hpp"

namespace sharechain::node {

using LoadedGenesis = sharechain::LoadedGenesis;

// NOT_FOUND if the file cannot be read; otherwise parse_genesis (proto/genesis.hpp).
Result<LoadedGenesis> load_genesis(const std::filesystem::path& file);

// node_key.json: {"secret_key": "<64 hex>", ...}. Refuses a file readable by group/others.
Result<crypto::PrivateKey> load_node_key(const std::filesystem::path& file);

}  // namespace sharechain::node
