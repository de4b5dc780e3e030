// What `sharechain-net init` writes is what sharechaind accepts: its own loaders
// (node/config.hpp, node/genesis.hpp) read every file back.
//   every node's config.toml loads, with the ports, peers and paths init chose
//   the --tls configs load and name files that exist
//   genesis.json loads with the validators in node order
//   each node_key.json loads (mode 0600) and is the key genesis names for that node
#include <catch2/catch.hpp>
#include <sstream>

#include "node/config.hpp"
#include "node/genesis.hpp"
#include "tests/tools/temp_dir.hpp"
#include "tools/net/app.hpp"

using namespace sharechain;
using sharechain::testing::TempDir;
namespace fs = std::filesystem;

namespace {

int init(const fs::path& dir, std::vector<std::string> extra) {
  std::vector<std::string> args = {"init", "--dir", dir.string()};
  args.insert(args.end(), extra.begin(), extra.end());
  std::ostringstream out, err;
  const int code = net::run(args, out, err);
  INFO(err.str());
  return code;
}

std::string loopback(std::uint32_t port) { return "127.0.0.1:" + std::to_string(port); }

}  // namespace

TEST_CASE("sharechaind loads every file init writes", "[net][daemon]") {
  TempDir tmp;
  const fs::path dir = tmp / "net";
  const bool tls = GENERATE(false, true);
  CAPTURE(tls);
  std::vector<std::string> args = {"--nodes", "4", "--base-port", "31000"};
  if (tls) args.push_back("--tls");
  REQUIRE(init(dir, args) == 0);

  Result<node::LoadedGenesis> genesis = node::load_genesis(dir / "genesis.json");
  INFO(genesis.status().message());
  REQUIRE(genesis);
  REQUIRE(genesis->validator_keys.size() == 4);

  for (std::uint32_t i = 0; i < 4; ++i) {
    CAPTURE(i);
    const fs::path home = dir / ("node" + std::to_string(i));
    Result<node::Config> c = node::load_config(home / "config.toml");
    INFO(c.status().message());
    REQUIRE(c);
    CHECK(c->name == "node" + std::to_string(i));
    CHECK(c->api_listen == loopback(31000 + 10 * i));
    CHECK(c->p2p_listen == loopback(31000 + 10 * i + 1));
    CHECK(c->metrics_listen == loopback(31000 + 10 * i + 2));
    CHECK(c->key_file == home / "node_key.json");
    CHECK(c->genesis_file == dir / "genesis.json");
    CHECK(c->data_dir == home / "data");
    REQUIRE(c->peers.size() == 3);
    for (const node::PeerAddress& p : c->peers) {
      CHECK(p.validator != i);
      CHECK(p.address == loopback(31000 + 10 * p.validator + 1));
    }
    CHECK(c->tls == tls);
    if (tls) {
      CHECK(fs::exists(c->tls_ca));
      CHECK(fs::exists(c->tls_cert));
      CHECK(fs::exists(c->tls_key));
    }
    Result<crypto::PrivateKey> key = node::load_node_key(c->key_file);
    INFO(key.status().message());
    REQUIRE(key);
    CHECK(key->public_key() == genesis->validator_keys[i]);
  }
}
