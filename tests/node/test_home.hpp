// Builds a throw-away home folder for one in-process validator: genesis.json, node_key.json and
// config.toml, on loopback ports chosen by the caller.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "proto/crypto.hpp"

namespace sharechain::testing {

struct TestHome {
  std::filesystem::path dir;
  std::filesystem::path config;
  std::string chain_id = "test-chain";
  crypto::PrivateKey validator = crypto::PrivateKey::generate();
  std::map<std::string, crypto::PrivateKey> keys;  // operator, dataserver, user1, user2
  // Validators 1.. of the genesis, which no test starts: a test may speak for them on the
  // peer port (p2p_address), e.g. as a faulty validator.
  std::vector<crypto::PrivateKey> other_validators;
  std::string p2p_address;
  std::string metrics_address;
  std::string api_address;
  std::uint64_t user_balance = 1'000'000;

  // `extra_config` is appended to config.toml (e.g. "[mempool]\nmax_txs = 3\n").
  // `validators` > 1 adds validators the node knows but that never run (peers on closed ports).
  // `state_tree` false: a genesis without a state tree (state proofs refused).
  static std::unique_ptr<TestHome> create(int base_port, const std::string& extra_config = "",
                                          int validators = 1, bool state_tree = true);
  TestHome() = default;
  TestHome(const TestHome&) = delete;
  TestHome& operator=(const TestHome&) = delete;
  ~TestHome();
};

}  // namespace sharechain::testing
