// Reading a genesis file's bytes: shared by the node, which starts a chain from it, and by
// anyone checking a proof offline, who trusts nothing but it (docs/proofs.md).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "proto/status.hpp"
#include "sharechain/types.pb.h"

namespace sharechain {

struct LoadedGenesis {
  Genesis genesis;
  std::string hash;                         // SHA-256 of the file's exact bytes (32 raw bytes)
  std::vector<std::string> validator_keys;  // x-only public keys, by validator index
};

// INVALID_ARGUMENT naming `source` and the problem: not JSON of sharechain.Genesis, empty chain
// id, no validators, a validator key that is not 64 hex digits of a valid x-only key, duplicates.
Result<LoadedGenesis> parse_genesis(std::string_view bytes, const std::string& source);

}  // namespace sharechain
