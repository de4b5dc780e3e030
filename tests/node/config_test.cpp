// Config loading.
//   a full config parses, paths resolve against the config file's folder
//   a file that is not UTF-8; unknown keys and tables, with a suggestion
//   a missing file, a bad peer entry, a bad listen address, a bad log level and a negative
//   window are each refused with a message naming the key
//   [consensus] checkpoint_interval and window are the chain's: absent, the node takes genesis'
//   values; given and different, the node is refused at start with both values and the file
//   [debug] trace_inputs defaults off; trace_file defaults into the data folder; a misspelt
//   [debug] key is refused like any other
//   [metrics] tls follows [p2p] tls unless given; on, it needs the node's certificate and key
#include <catch2/catch.hpp>

#include <fstream>

#include "node/config.hpp"
#include "node/node.hpp"
#include "tests/node/test_home.hpp"

using namespace sharechain;
namespace fs = std::filesystem;

namespace {
// This process's config folder, removed when the test binary exits.
struct ConfigDir {
  fs::path path = fs::temp_directory_path() / ("sc-config-" + std::to_string(::getpid()));
  ~ConfigDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

fs::path write_config(const std::string& text) {
  static const ConfigDir config_dir;
  const fs::path& dir = config_dir.path;
  fs::create_directories(dir);
  fs::path file = dir / "config.toml";
  std::ofstream(file) << text;
  return file;
}
const char* kGood = R"(
[node]
name = "node1"
key_file = "node_key.json"
genesis_file = "../genesis.json"
data_dir = "data"
[api]
listen = "127.0.0.1:26610"
[p2p]
listen = "127.0.0.1:26611"
peers = ["0@127.0.0.1:26601", "2@127.0.0.1:26621"]
[metrics]
listen = "127.0.0.1:26612"
[consensus]
max_block_txs = 500
checkpoint_interval = 10
window = 40
[log]
level = "debug"
)";
}  // namespace

TEST_CASE("a full config parses") {
  const fs::path file = write_config(kGood);
  auto c = node::load_config(file);
  REQUIRE(c.is_ok());
  CHECK(c->name == "node1");
  CHECK(c->api_listen == "127.0.0.1:26610");
  REQUIRE(c->peers.size() == 2);
  CHECK(c->peers[1].validator == 2);
  CHECK(c->peers[1].address == "127.0.0.1:26621");
  CHECK(c->max_block_txs == 500);
  CHECK(c->genesis_file == (file.parent_path().parent_path() / "genesis.json"));
  CHECK(c->data_dir == file.parent_path() / "data");
}

TEST_CASE("a peer is named by its genesis index or by its public key") {
  const std::string key(64, 'c');
  auto c = node::load_config(write_config(
      std::string(kGood).replace(std::string(kGood).find("\"2@127.0.0.1:26621\""), 19, "\"" + key + "@10.0.0.9:7\"")));
  REQUIRE(c.is_ok());
  REQUIRE(c->peers.size() == 2);
  CHECK(c->peers[0].public_key.empty());
  CHECK(c->peers[0].validator == 0);
  CHECK(c->peers[1].public_key == std::string(32, '\xcc'));
  CHECK(c->peers[1].address == "10.0.0.9:7");
}

TEST_CASE("bad configs are refused with the key named") {
  CHECK(node::load_config("/nonexistent/config.toml").status().code() == Code::kNotFound);
  auto replace = [](std::string text, const std::string& from, const std::string& to) {
    text.replace(text.find(from), from.size(), to);
    return text;
  };
  auto r = node::load_config(write_config(replace(kGood, "\"2@127.0.0.1:26621\"", "\"x@127.0.0.1\"")));
  CHECK_THAT(r.status().message(), Catch::Contains("peers[1]"));
  // A peer named by key must name 64 hex digits.
  r = node::load_config(write_config(replace(kGood, "\"2@127.0.0.1:26621\"", "\"" + std::string(63, 'a') + "g@127.0.0.1:1\"")));
  CHECK_THAT(r.status().message(), Catch::Contains("peers[1]") && Catch::Contains("<64-hex public key>@host:port"));
  r = node::load_config(write_config(replace(kGood, "127.0.0.1:26610", "localhost")));
  CHECK_THAT(r.status().message(), Catch::Contains("[api] listen"));
  r = node::load_config(write_config(replace(kGood, "\"debug\"", "\"loud\"")));
  CHECK_THAT(r.status().message(), Catch::Contains("[log] level"));
  r = node::load_config(write_config(replace(kGood, "window = 40", "window = -1")));
  CHECK_THAT(r.status().message(), Catch::Contains("[consensus] checkpoint_interval and window must be >= 0"));
  r = node::load_config(write_config(replace(kGood, "max_block_txs = 500", "max_block_txs = \"many\"")));
  CHECK_THAT(r.status().message(), Catch::Contains("max_block_txs"));
}

TEST_CASE("a config that is not UTF-8 is refused with where, before the TOML parser sees it") {
  // The first is the input on which the TOML parser read past its buffer.
  auto r = node::load_config(write_config("'\xae''y\n"));
  CHECK(r.status().code() == Code::kInvalidArgument);
  CHECK_THAT(r.status().message(), Catch::Contains("is not UTF-8: byte 0xAE at line 1, column 2"));
  r = node::load_config(write_config(std::string(kGood) + "# caf\xc3\n"));
  CHECK_THAT(r.status().message(), Catch::Contains("is not UTF-8: byte 0xC3"));
  r = node::load_config(write_config(std::string(kGood) + "# overlong \xc0\xaf, surrogate \xed\xa0\x80\n"));
  CHECK_THAT(r.status().message(), Catch::Contains("is not UTF-8: byte 0xC0"));
  // UTF-8 beyond ASCII is fine where TOML allows it.
  CHECK(node::load_config(write_config(std::string(kGood) + "# café, 充电桩, \xf0\x9f\x9a\x97\n")).is_ok());
}

TEST_CASE("unknown keys and tables are refused, with the nearest known one suggested") {
  auto replace = [](std::string text, const std::string& from, const std::string& to) {
    text.replace(text.find(from), from.size(), to);
    return text;
  };
  // A misspelt key would otherwise leave the default in force without a word.
  auto r = node::load_config(write_config(replace(kGood, "window = 40", "widnow = 40")));
  CHECK(r.status().code() == Code::kInvalidArgument);
  CHECK_THAT(r.status().message(),
             Catch::Contains("unknown key [consensus] widnow (did you mean window?)"));
  r = node::load_config(write_config(std::string(kGood) + "\n[mempol]\nmax_txs = 5\n"));
  CHECK_THAT(r.status().message(), Catch::Contains("unknown table [mempol] (did you mean [mempool]?)"));
  r = node::load_config(write_config(std::string(kGood) + "\n[storage]\ncache_mb = 5\n"));
  CHECK_THAT(r.status().message(), Catch::Contains("unknown table [storage]"));
  CHECK_THAT(r.status().message(), !Catch::Contains("did you mean"));
  r = node::load_config(write_config("stray = 1\n" + std::string(kGood)));
  CHECK_THAT(r.status().message(), Catch::Contains("unknown key 'stray'"));
  CHECK(node::load_config(write_config(kGood)).is_ok());
}

TEST_CASE("[debug] trace_inputs is off by default and its file defaults to the data folder") {
  const fs::path file = write_config(kGood);
  auto c = node::load_config(file);
  REQUIRE(c.is_ok());
  CHECK_FALSE(c->trace_inputs);
  CHECK(c->trace_file == file.parent_path() / "data" / "consensus-trace.bin");

  auto on = node::load_config(write_config(std::string(kGood) +
                                           "[debug]\ntrace_inputs = true\ntrace_file = \"t/x.bin\"\n"));
  REQUIRE(on.is_ok());
  CHECK(on->trace_inputs);
  CHECK(on->trace_file == file.parent_path() / "t" / "x.bin");

  auto typo = node::load_config(write_config(std::string(kGood) + "[debug]\ntrace_input = true\n"));
  REQUIRE_FALSE(typo.is_ok());
  CHECK_THAT(typo.status().message(),
             Catch::Contains("unknown key [debug] trace_input (did you mean trace_inputs?)"));
  auto wrong = node::load_config(write_config(std::string(kGood) + "[debug]\ntrace_inputs = 1\n"));
  REQUIRE_FALSE(wrong.is_ok());
  CHECK(wrong.status().message().find("trace_inputs has the wrong type") != std::string::npos);
}

TEST_CASE("[debug] clock_offset_file is none by default and relative to the config's folder") {
  const fs::path file = write_config(kGood);
  auto c = node::load_config(file);
  REQUIRE(c.is_ok());
  CHECK(c->clock_offset_file.empty());
  auto on = node::load_config(write_config(std::string(kGood) + "[debug]\nclock_offset_file = \"clock-offset\"\n"));
  REQUIRE(on.is_ok());
  CHECK(on->clock_offset_file == file.parent_path() / "clock-offset");
  auto wrong = node::load_config(write_config(std::string(kGood) + "[debug]\nclock_offset_file = 30\n"));
  REQUIRE_FALSE(wrong.is_ok());
  CHECK_THAT(wrong.status().message(), Catch::Contains("clock_offset_file has the wrong type"));
}

TEST_CASE("[metrics] tls follows the peers' TLS unless the config says otherwise") {
  auto with = [](const std::string& p2p, const std::string& metrics) {
    std::string text = kGood;
    text.replace(text.find("[metrics]\n"), 10, "[metrics]\n" + metrics);
    text.replace(text.find("[p2p]\n"), 6, "[p2p]\n" + p2p);
    return node::load_config(write_config(text));
  };
  const std::string tls_on = "tls = true\ntls_ca = \"tls/ca.pem\"\ntls_cert = \"tls/node.pem\"\ntls_key = \"tls/node.key\"\n";
  auto plain = with("", "");
  REQUIRE(plain.is_ok());
  CHECK_FALSE(plain->metrics_tls);
  auto following = with(tls_on, "");
  REQUIRE(following.is_ok());
  CHECK(following->metrics_tls);
  auto off = with(tls_on, "tls = false\n");
  REQUIRE(off.is_ok());
  CHECK_FALSE(off->metrics_tls);
  auto alone = with("tls_cert = \"tls/node.pem\"\ntls_key = \"tls/node.key\"\n", "tls = true\n");
  REQUIRE(alone.is_ok());
  CHECK(alone->metrics_tls);
  CHECK(alone->tls_cert == alone->config_file.parent_path() / "tls" / "node.pem");
  auto missing = with("", "tls = true\n");
  REQUIRE_FALSE(missing.is_ok());
  CHECK(missing.status().code() == Code::kInvalidArgument);
  CHECK_THAT(missing.status().message(), Catch::Contains("[metrics] tls") && Catch::Contains("tls_cert"));
  auto typo = with(tls_on, "tls = \"yes\"\n");
  REQUIRE_FALSE(typo.is_ok());
  CHECK_THAT(typo.status().message(), Catch::Contains("[metrics] tls"));
}

TEST_CASE("checkpoint interval and window are the chain's: a node that disagrees is refused") {
  constexpr int kPort = 39850;  // nothing listens: the node is created, never started
  {
    auto home = testing::TestHome::create(kPort);
    auto config = node::load_config(home->config);
    REQUIRE(config.is_ok());
    CHECK(config->checkpoint_interval == 0);  // not in the file: the chain's
    auto created = node::Node::create(*config);
    INFO(created.status().to_string());
    REQUIRE(created.is_ok());
    CHECK((*created)->config().checkpoint_interval == 64);
    CHECK((*created)->config().window == 256);
  }
  {
    // The value the chain has anyway (a config written before the spacing moved to genesis).
    auto home = testing::TestHome::create(kPort, "[consensus]\ncheckpoint_interval = 64\nwindow = 256\n");
    auto config = node::load_config(home->config);
    REQUIRE(config.is_ok());
    auto created = node::Node::create(*config);
    INFO(created.status().to_string());
    CHECK(created.is_ok());
  }
  {
    auto home = testing::TestHome::create(kPort, "[consensus]\nwindow = 512\n");
    auto config = node::load_config(home->config);
    REQUIRE(config.is_ok());
    auto created = node::Node::create(*config);
    REQUIRE_FALSE(created.is_ok());
    CHECK(created.status().code() == Code::kInvalidArgument);
    CHECK(created.status().message() ==
          home->config.string() + ": [consensus] window = 512 differs from this chain's 256 (params.window in " +
              (home->dir / "genesis.json").string() +
              "); every validator must use the chain's value, because the height at which a "
              "validator-set change takes effect is computed from it: remove the key");
  }
}
