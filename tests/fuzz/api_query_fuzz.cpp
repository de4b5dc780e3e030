// Fuzz target api_query: a Query request of the client API (api.proto QueryRequest) answered
// by contracts::query over the contract world's state, as the node answers it from its store.
//  - decode -> encode -> decode is stable for the request
//  - the answer is OK with a result from the contract that was asked, stable through a round
//    trip, or a refusal with a message; never a crash or a halt on the world's valid state
#include <cstdint>

#include "sharechain/api.pb.h"
#include "tests/fuzz/support/check.hpp"
#include "tests/fuzz/support/contract_checks.hpp"
#include "tests/fuzz/support/contract_world.hpp"

using namespace sharechain;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fuzz::ContractWorld& world = fuzz::contract_world();
  const auto request = fuzz::decode_stable<api::QueryRequest>(
      std::string_view(reinterpret_cast<const char*>(data), size));
  if (!request) return 0;
  fuzz::check_query(world.state(), *request);
  return 0;
}
