// Fuzz target contract_call: contract payloads run as a block against the contract world, the
// signature already checked (the transaction target covers that path). The input is a slot
// byte, then records (support/records.hpp) of serialized TransactionBody, at most 8: one block,
// executed at world.block_time(slot) through the standard hooks.
//  - decode -> encode -> decode is stable for every body
//  - a body's sender is used when it is a 20-byte address (any 20 bytes: the fuzzer may act as
//    any actor of the world, or as a stranger); other bodies are skipped, as tx::verify would
//    refuse them
//  - nonces are set to each sender's next one, in block order, so that a combination of actions
//    is not stopped by the nonce check (the transaction target keeps the inputs' own nonces)
//  - every property of support/contract_checks.hpp holds: receipts with reasons, no writes from
//    refused transactions but nonces, money invariants, every object named reads back
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "contracts/executor.hpp"
#include "tests/fuzz/support/check.hpp"
#include "tests/fuzz/support/contract_checks.hpp"
#include "tests/fuzz/support/contract_world.hpp"
#include "tests/fuzz/support/records.hpp"

using namespace sharechain;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fuzz::ContractWorld& world = fuzz::contract_world();
  if (size < 1) return 0;
  const std::uint8_t slot = data[0];
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);

  std::vector<tx::VerifiedTransaction> txs;
  std::map<std::string, std::uint64_t> next;
  for (const fuzz::Record& record : fuzz::split_records(rest, 8)) {
    auto body = fuzz::decode_stable<TransactionBody>(record.bytes);
    if (!body || body->sender().size() != crypto::kAddressSize) continue;
    auto it = next.find(body->sender());
    if (it == next.end()) {
      it = next.emplace(body->sender(), contracts::next_nonce(world.state(), body->sender())).first;
    }
    body->set_nonce(it->second++);
    txs.push_back(fuzz::as_verified(*body, body->sender()));
  }
  if (txs.empty()) return 0;
  fuzz::run_and_check(world, slot, txs);
  return 0;
}
