// The properties every contract target checks after running a block against the contract
// world (support/contract_world.hpp).
#pragma once

#include <cstdint>
#include <vector>

#include "contracts/state.hpp"
#include "proto/transaction.hpp"
#include "sharechain/api.pb.h"
#include "tests/fuzz/support/contract_world.hpp"

namespace sharechain::fuzz {

// Executes `txs` as one block at world.block_time(slot) and checks:
//  - one receipt per transaction, in order, each naming its transaction's hash;
//  - a refused transaction says why (a non-empty error);
//  - when every transaction is refused, the block writes nothing but the senders' accounts
//    (a consumed nonce), never a contract's records;
//  - the money invariants (contracts::verify_supply) hold in the state after the block;
//  - every query of the world's catalogue, and a query for every object the receipts' events
//    name, answers or refuses with a reason over the state after the block (a stored value that
//    no longer decodes halts the process, which the fuzzer reports).
void run_and_check(const ContractWorld& world, std::uint8_t slot,
                   const std::vector<tx::VerifiedTransaction>& txs);

// A query's answer: OK with a result of the contract it asked, stable through a round trip; or
// a refusal with a message.
void check_query(const contracts::StateReader& state, const api::QueryRequest& request);

}  // namespace sharechain::fuzz
