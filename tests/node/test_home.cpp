#include "tests/node/test_home.hpp"

#include <google/protobuf/util/json_util.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "sharechain/types.pb.h"

namespace sharechain::testing {

std::unique_ptr<TestHome> TestHome::create(int base_port, const std::string& extra_config,
                                           int validators, bool state_tree) {
  auto owned = std::make_unique<TestHome>();
  TestHome& home = *owned;
  home.dir = std::filesystem::temp_directory_path() /
             ("sc-node-test-" + std::to_string(::getpid()) + "-" + std::to_string(base_port));
  std::filesystem::remove_all(home.dir);
  std::filesystem::create_directories(home.dir);
  for (const char* name : {"operator", "dataserver", "user1", "user2"}) {
    home.keys.emplace(name, crypto::PrivateKey::generate());
  }

  Genesis g;
  g.set_chain_id(home.chain_id);
  g.set_genesis_time_ms(1'700'000'000'000);
  auto* v = g.add_validators();
  v->set_name("node0");
  v->set_public_key(crypto::to_hex(home.validator.public_key()));
  std::string peers;
  for (int i = 1; i < validators; ++i) {
    home.other_validators.push_back(crypto::PrivateKey::generate());
    auto* other = g.add_validators();
    other->set_name("node" + std::to_string(i));
    other->set_public_key(crypto::to_hex(home.other_validators.back().public_key()));
    // Nothing listens there: the node keeps redialling, as it would a validator that is down.
    peers += std::string(peers.empty() ? "" : ", ") + "\"" + std::to_string(i) + "@127.0.0.1:" +
             std::to_string(base_port + 10 + i) + "\"";
  }
  auto add = [&](const std::string& name, std::uint64_t balance, std::initializer_list<const char*> roles) {
    auto* a = g.add_accounts();
    a->set_name(name);
    a->set_address(crypto::format_address(home.keys.at(name).address()));
    a->set_balance(balance);
    for (const char* r : roles) a->add_roles(r);
  };
  add("operator", 0, {"operator"});
  add("dataserver", 0, {"data_server"});
  add("user1", home.user_balance, {});
  add("user2", home.user_balance, {});
  auto* va = g.add_accounts();
  va->set_name("node0");
  va->set_address(crypto::format_address(home.validator.address()));
  va->add_roles("validator");
  g.mutable_params()->set_attestation_threshold(3);
  if (state_tree) g.set_state_tree("sparse-merkle-sha256");
  std::string json;
  google::protobuf::util::JsonPrintOptions opts;
  opts.add_whitespace = true;
  opts.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(g, &json, opts);
  std::ofstream(home.dir / "genesis.json") << json;

  const auto key_file = home.dir / "node_key.json";
  std::ofstream(key_file) << "{\"secret_key\": \"" << crypto::to_hex(home.validator.secret()) << "\"}\n";
  ::chmod(key_file.c_str(), 0600);

  home.api_address = "127.0.0.1:" + std::to_string(base_port);
  home.config = home.dir / "config.toml";
  home.p2p_address = "127.0.0.1:" + std::to_string(base_port + 1);
  home.metrics_address = "127.0.0.1:" + std::to_string(base_port + 2);
  std::ofstream(home.config) << "[node]\nname = \"node0\"\nkey_file = \"node_key.json\"\n"
                             << "genesis_file = \"genesis.json\"\ndata_dir = \"data\"\n"
                             << "[api]\nlisten = \"" << home.api_address << "\"\n"
                             << "[p2p]\nlisten = \"127.0.0.1:" << base_port + 1 << "\"\npeers = [" << peers << "]\n"
                             << "[metrics]\nlisten = \"127.0.0.1:" << base_port + 2 << "\"\n"
                             << "[log]\nlevel = \"warn\"\n"
                             << extra_config;
  return owned;
}

TestHome::~TestHome() {
  if (!dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
}

}  // namespace sharechain::testing
