// Fuzz target genesis_file: the genesis file (node/genesis.hpp load_genesis), then the initial
// state built from it (contracts::genesis_state), as sharechaind does at start-up.
//  - any bytes: a LoadedGenesis or a Status with a message; never a crash, an exception or UB
//  - an accepted file: its hash is SHA-256 of its exact bytes, it names a chain, one 32-byte key
//    per validator taken from its hex, no key twice
//  - decode -> encode -> decode is stable, both for the protobuf encoding and for the JSON
//    mapping the file is written in (printed and parsed back, the same message)
//  - genesis_state accepts or refuses with a reason; when it accepts, the state holds the money
//    invariants (verify_supply), records the chain id, and its validators are exactly the keys
//    load_genesis returned, in order
#include <google/protobuf/util/json_util.h>

#include <cstdint>
#include <set>
#include <string>

#include "contracts/executor.hpp"
#include "contracts/memory_state.hpp"
#include "node/genesis.hpp"
#include "tests/fuzz/support/check.hpp"
#include "tests/fuzz/support/scratch.hpp"

namespace {

using namespace sharechain;

void check_json_round_trip(const Genesis& genesis) {
  google::protobuf::util::JsonPrintOptions print;
  print.preserve_proto_field_names = true;
  std::string text;
  FUZZ_CHECK(google::protobuf::util::MessageToJsonString(genesis, &text, print).ok(),
             "an accepted genesis does not print as JSON");
  Genesis again;
  const auto parsed = google::protobuf::util::JsonStringToMessage(text, &again);
  FUZZ_CHECK(parsed.ok(), "the printed genesis does not parse back: " + std::string(parsed.message()));
  FUZZ_CHECK(again.SerializeAsString() == genesis.SerializeAsString(),
             "the genesis changed through its JSON form");
}

void check_state(const node::LoadedGenesis& loaded) {
  auto writes = contracts::genesis_state(loaded.genesis);
  if (!writes) {
    FUZZ_CHECK(!writes.status().message().empty(), "genesis_state refused without a reason");
    return;
  }
  contracts::MemoryState state;
  state.apply(*writes);
  const Status supply = contracts::verify_supply(state);
  FUZZ_CHECK(supply.is_ok(), "genesis state breaks the money invariants: " + supply.message());
  FUZZ_CHECK(state.get("chain/id") == loaded.genesis.chain_id(), "genesis state lost the chain id");
  std::size_t i = 0;
  state.scan("chain/validator/", [&](std::string_view, std::string_view raw) {
    Validator v;
    FUZZ_CHECK(v.ParseFromString(std::string(raw)), "a genesis validator record does not decode");
    FUZZ_CHECK(i < loaded.validator_keys.size() && v.index() == i &&
                   v.public_key() == loaded.validator_keys[i],
               "genesis validator " + std::to_string(i) + " differs from the loaded keys");
    ++i;
    return true;
  });
  FUZZ_CHECK(i == loaded.validator_keys.size(), "genesis state has " + std::to_string(i) +
                                                    " validators, the file " +
                                                    std::to_string(loaded.validator_keys.size()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto file = sharechain::fuzz::write_scratch_file("genesis.json", bytes);
  auto loaded = node::load_genesis(file);
  if (!loaded) {
    FUZZ_CHECK(!loaded.status().message().empty(), "genesis refused without a reason");
    return 0;
  }
  const Genesis& g = loaded->genesis;
  FUZZ_CHECK(loaded->hash == crypto::hash_bytes(crypto::sha256(bytes)),
             "the genesis hash is not SHA-256 of the file's bytes");
  FUZZ_CHECK(!g.chain_id().empty(), "accepted a genesis without a chain id");
  FUZZ_CHECK(static_cast<int>(loaded->validator_keys.size()) == g.validators_size() &&
                 !loaded->validator_keys.empty(),
             "validator keys do not match the validators");
  std::set<std::string> seen;
  for (int i = 0; i < g.validators_size(); ++i) {
    const std::string& key = loaded->validator_keys[static_cast<std::size_t>(i)];
    FUZZ_CHECK(key.size() == crypto::kPublicKeySize, "a validator key is not 32 bytes");
    FUZZ_CHECK(crypto::from_hex(g.validators(i).public_key()) == key,
               "validator key " + std::to_string(i) + " is not the file's hex");
    FUZZ_CHECK(seen.insert(key).second, "accepted a validator key twice");
  }
  sharechain::fuzz::check_round_trip(g);
  check_json_round_trip(g);
  check_state(*loaded);
  return 0;
}
