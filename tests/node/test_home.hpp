// Builds a throw-away home folder for one in-process validator: genesis.json, node_key.json and
// config.toml, on loopback ports chosen by the caller.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "proto/crypto.hpp"

namespace sharechain::testing {

struct TestHome {
  std::filesystem::path dir;
  std::filesystem::path config;
  std::string chain_id = "test-chain";
  crypto::PrivateKey validator = crypto::PrivateKey::generate();
  std::map<std::string, crypto::PrivateKey> keys;  // operator, dataserver, user1, user2
  std::string api_address;
  std::uint64_t user_balance = 1'000'000;

  // `extra_config` is appended to config.toml (e.g. "[mempool]\nmax_txs = 3\n").
  static std::unique_ptr<TestHome> create(int base_port, const std::string& extra_config = "");
  TestHome() = default;
  TestHome(const TestHome&) = delete;
  TestHome& operator=(const TestHome&) = delete;
  ~TestHome();
};

}  // namespace sharechain::testing
