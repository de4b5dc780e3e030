// What a store reopened after a crash must satisfy, for the tests that crash it (by SIGKILL in
// crash_test.cpp, by a simulated power failure in the fault_*_test.cpp files).
#pragma once

#include <catch2/catch.hpp>

#include "crash_chain.hpp"

namespace storage_test::crash {

// Everything the store says about its height h and before must be what the reference computes:
// state, roots, block hash, the block and its receipts, nothing of h+1, and a state that
// re-hashes to the recorded accumulator.
inline void check_exactly_at(storage::Store& store, Reference& ref) {
  const std::uint64_t h = store.height();
  ref.advance_to(h);
  REQUIRE(store.genesis_hash() == genesis_hash(kGenesisName));
  REQUIRE(read_all(store) == ref.state());
  REQUIRE(store.state_root() == ref.root(h));
  REQUIRE(store.last_block_hash() == ref.hash(h));
  for (std::uint64_t k = 0; k <= h; ++k) REQUIRE(store.state_root_at(k) == ref.root(k));
  if (h > 0) {
    auto b = store.block_at(h);
    REQUIRE(b.has_value());
    REQUIRE(crypto::sha256(b->header()) == ref.hash(h));
    REQUIRE(store.receipts_at(h).size() == static_cast<std::size_t>(b->transactions_size()));
  }
  REQUIRE_FALSE(store.block_at(h + 1).has_value());
  REQUIRE(store.receipts_at(h + 1).empty());
  REQUIRE(store.verify_state().is_ok());
}

}  // namespace storage_test::crash
