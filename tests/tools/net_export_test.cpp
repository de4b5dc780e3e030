// `sharechain-net export` (tools/net/export*.cpp), run in-process on clusters made by `init`.
//   every format: the config each node gets loads with sharechaind's own loader, with the
//     paths, listen addresses and peers of that target, and every other setting of the cluster
//     kept; with --tls the config names the target's certificate files
//   kubernetes: one file per node plus the shared objects and the genesis; a node's file holds
//     its key (and no other node's)
//   systemd and compose: key files are byte-for-byte the cluster's, mode 0600; compose data
//     folders exist, mode 0700
//   --json lists exactly the files written, each of which exists
//   refusals (exit 2, nothing written): an unknown format, a missing cluster folder, a folder
//     that is not a cluster, a non-empty output folder that is not an earlier export (even with
//     --force), an earlier export without --force
//   --force replaces an earlier export: its files go (a larger cluster's node3.yaml too), files
//     it did not write stay
//   base64 and yaml_text give back their input (RFC 4648 vectors; YAML chomping cases)
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "node/config.hpp"
#include "tests/tools/temp_dir.hpp"
#include "tools/common/files.hpp"
#include "tools/net/app.hpp"
#include "tools/net/export_render.hpp"

using namespace sharechain;
using sharechain::testing::TempDir;
namespace fs = std::filesystem;

namespace {

struct Run {
  int code = -1;
  std::string out;
  std::string err;
};

Run run_net(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  Run r;
  r.code = net::run(args, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

void init(const fs::path& dir, std::uint32_t nodes, bool tls) {
  std::vector<std::string> args = {"init", "--dir", dir.string(), "--nodes", std::to_string(nodes),
                                   "--base-port", "32000"};
  if (tls) args.push_back("--tls");
  const Run r = run_net(args);
  INFO(r.err);
  REQUIRE(r.code == 0);
}

Run export_to(const fs::path& dir, const std::string& format, const fs::path& out,
              std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"--json", "export", "--dir", dir.string(), "--format", format,
                                   "--out", out.string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_net(args);
}

std::string read(const fs::path& file) {
  Result<std::string> text = tools::read_file(file);
  INFO(file.string());
  REQUIRE(text);
  return *text;
}

// The value of `key: |` in a manifest, its block lines unindented (the manifests put a
// ConfigMap's data four spaces in).
std::string block_of(const std::string& yaml, const std::string& key) {
  const std::string head = "  " + key + ": |\n";
  const auto at = yaml.find(head);
  REQUIRE(at != std::string::npos);
  std::istringstream lines(yaml.substr(at + head.size()));
  std::string text;
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.rfind("    ", 0) != 0) break;
    text += (line.empty() ? "" : line.substr(4)) + "\n";
  }
  while (text.size() > 1 && text.ends_with("\n\n")) text.pop_back();
  return text;
}

node::Config load(const fs::path& tmp, const std::string& text) {
  const fs::path file = tmp / "loaded-config.toml";
  REQUIRE(tools::write_file_atomic(file, text, 0644, tools::Overwrite::kYes));
  Result<node::Config> c = node::load_config(file);
  INFO(c.status().message());
  REQUIRE(c);
  return *c;
}

std::set<std::string> peer_addresses(const node::Config& c) {
  std::set<std::string> out;
  for (const node::PeerAddress& p : c.peers) out.insert(std::to_string(p.validator) + "@" + p.address);
  return out;
}

}  // namespace

TEST_CASE("each node's exported config loads in sharechaind with the target's paths and peers",
          "[net][export]") {
  TempDir tmp;
  const bool tls = GENERATE(false, true);
  CAPTURE(tls);
  const fs::path dir = tmp / "net";
  init(dir, 4, tls);

  SECTION("kubernetes") {
    const Run r = export_to(dir, "kubernetes", tmp / "k8s");
    INFO(r.err);
    REQUIRE(r.code == 0);
    for (std::uint32_t i = 0; i < 4; ++i) {
      CAPTURE(i);
      const std::string yaml = read(tmp / "k8s" / ("node" + std::to_string(i) + ".yaml"));
      const node::Config c = load(tmp.path(), block_of(yaml, "config.toml"));
      CHECK(c.name == "node" + std::to_string(i));
      CHECK(c.key_file == "/run/sharechain/keys/node_key.json");
      CHECK(c.genesis_file == "/etc/sharechain/genesis/genesis.json");
      CHECK(c.data_dir == "/var/lib/sharechain/data");
      CHECK(c.api_listen == "0.0.0.0:26600");
      CHECK(c.p2p_listen == "0.0.0.0:26601");
      CHECK(c.metrics_listen == "0.0.0.0:26602");
      std::set<std::string> expected;
      for (std::uint32_t j = 0; j < 4; ++j) {
        if (j != i) expected.insert(std::to_string(j) + "@sharechain-node" + std::to_string(j) + "-0.sharechain:26601");
      }
      CHECK(peer_addresses(c) == expected);
      CHECK(c.tls == tls);
      if (tls) CHECK(c.tls_key == "/run/sharechain/keys/node.key");
      // The node's own key is in its Secret, and no other node's.
      for (std::uint32_t j = 0; j < 4; ++j) {
        const std::string key = read(dir / ("node" + std::to_string(j)) / "node_key.json");
        CHECK((yaml.find(net::base64(key)) != std::string::npos) == (i == j));
      }
      CHECK(yaml.find("max_block_txs = 2000") != std::string::npos);
      // The operations port follows the peers into TLS, and the probes with it.
      CHECK(c.metrics_tls == tls);
      CHECK((yaml.find("httpGet: {path: /readyz, port: metrics, scheme: HTTPS}") != std::string::npos) == tls);
      CHECK((yaml.find("httpGet: {path: /healthz, port: metrics}") != std::string::npos) == !tls);
      CHECK((yaml.find("prometheus.io/scheme: https") != std::string::npos) == tls);
    }
    CHECK(block_of(read(tmp / "k8s" / "genesis.yaml"), "genesis.json") == read(dir / "genesis.json"));
    CHECK(fs::exists(tmp / "k8s" / "sharechain.yaml"));
  }

  SECTION("systemd") {
    const Run r = export_to(dir, "systemd", tmp / "sd");
    INFO(r.err);
    REQUIRE(r.code == 0);
    for (std::uint32_t i = 0; i < 4; ++i) {
      CAPTURE(i);
      const std::string name = "node" + std::to_string(i);
      const fs::path etc = tmp / "sd" / "etc" / "sharechain" / name;
      const node::Config c = load(tmp.path(), read(etc / "config.toml"));
      CHECK(c.key_file == "/etc/sharechain/" + name + "/node_key.json");
      CHECK(c.genesis_file == "/etc/sharechain/genesis.json");
      CHECK(c.data_dir == "/var/lib/sharechain/" + name);
      CHECK(c.api_listen == "127.0.0.1:" + std::to_string(32000 + 10 * i));
      CHECK(c.metrics_listen == "127.0.0.1:" + std::to_string(32000 + 10 * i + 2));
      CHECK(c.peers.size() == 3);
      CHECK(read(etc / "node_key.json") == read(dir / name / "node_key.json"));
      CHECK(tools::file_mode(etc / "node_key.json").value() == 0600);
      if (tls) {
        CHECK(c.tls_cert == "/etc/sharechain/" + name + "/tls/node.pem");
        CHECK(read(etc / "tls" / "node.key") == read(dir / name / "tls" / "node.key"));
        CHECK(tools::file_mode(etc / "tls" / "node.key").value() == 0600);
      }
    }
    CHECK(read(tmp / "sd" / "etc" / "sharechain" / "genesis.json") == read(dir / "genesis.json"));
  }

  SECTION("compose") {
    const Run r = export_to(dir, "compose", tmp / "co");
    INFO(r.err);
    REQUIRE(r.code == 0);
    for (std::uint32_t i = 0; i < 4; ++i) {
      CAPTURE(i);
      const std::string name = "node" + std::to_string(i);
      const node::Config c = load(tmp.path(), read(tmp / "co" / name / "config.toml"));
      CHECK(c.key_file == "/etc/sharechain/keys/node_key.json");
      CHECK(c.data_dir == "/var/lib/sharechain/data");
      CHECK(c.p2p_listen == "0.0.0.0:26601");
      std::set<std::string> expected;
      for (std::uint32_t j = 0; j < 4; ++j) {
        if (j != i) expected.insert(std::to_string(j) + "@node" + std::to_string(j) + ":26601");
      }
      CHECK(peer_addresses(c) == expected);
      CHECK(read(tmp / "co" / name / "keys" / "node_key.json") == read(dir / name / "node_key.json"));
      CHECK(tools::file_mode(tmp / "co" / name / "keys" / "node_key.json").value() == 0600);
      CHECK(tools::file_mode(tmp / "co" / name / "data").value() == 0700);
      CHECK(c.metrics_tls == tls);
    }
    // bash's /dev/tcp cannot speak TLS: with it on, the image's CLI asks the client API.
    const std::string compose = read(tmp / "co" / "compose.yaml");
    CHECK((compose.find("sharechain status --node 127.0.0.1:26600") != std::string::npos) == tls);
    CHECK((compose.find("/dev/tcp/127.0.0.1/26602") != std::string::npos) == !tls);
  }
}

TEST_CASE("--json lists exactly the files export wrote", "[net][export]") {
  TempDir tmp;
  init(tmp / "net", 2, false);
  for (const std::string format : {"kubernetes", "systemd", "compose"}) {
    CAPTURE(format);
    const fs::path out = tmp / format;
    const Run r = export_to(tmp / "net", format, out);
    INFO(r.err);
    REQUIRE(r.code == 0);
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["format"] == format);
    CHECK(j["out"] == out.string());
    std::set<fs::path> listed;
    for (const auto& f : j["files"]) {
      CHECK(fs::exists(f.get<std::string>()));
      listed.insert(f.get<std::string>());
    }
    std::set<fs::path> present;
    for (const auto& e : fs::recursive_directory_iterator(out)) {
      if (e.is_regular_file() && e.path().filename() != ".sharechain-export") present.insert(e.path());
    }
    std::set<fs::path> listed_files;
    for (const fs::path& p : listed) {
      if (fs::is_regular_file(p)) listed_files.insert(p);
    }
    CHECK(present == listed_files);
  }
}

TEST_CASE("export refuses bad input with a usage error and writes nothing", "[net][export]") {
  TempDir tmp;
  init(tmp / "net", 2, false);

  Run r = export_to(tmp / "net", "helm", tmp / "out");
  CHECK(r.code == 2);
  CHECK(r.err.find("--format 'helm' is not one of kubernetes, systemd, compose") != std::string::npos);
  CHECK(!fs::exists(tmp / "out"));

  r = export_to(tmp / "nowhere", "systemd", tmp / "out");
  CHECK(r.code == 2);
  CHECK(r.err.find("does not exist") != std::string::npos);
  CHECK(!fs::exists(tmp / "out"));

  fs::create_directories(tmp / "empty");
  r = export_to(tmp / "empty", "systemd", tmp / "out");
  CHECK(r.code == 2);
  CHECK(r.err.find("not a cluster folder") != std::string::npos);

  fs::create_directories(tmp / "busy");
  REQUIRE(tools::write_file_atomic(tmp / "busy" / "notes.txt", "mine\n", 0644, tools::Overwrite::kNo));
  for (const std::vector<std::string>& extra : {std::vector<std::string>{}, std::vector<std::string>{"--force"}}) {
    r = export_to(tmp / "net", "compose", tmp / "busy", extra);
    CHECK(r.code == 2);
    CHECK(r.err.find("holds no earlier export") != std::string::npos);
  }
  CHECK(read(tmp / "busy" / "notes.txt") == "mine\n");
  CHECK(std::distance(fs::directory_iterator(tmp / "busy"), fs::directory_iterator()) == 1);

  // The output folder is checked against the format too: an unknown format never reaches it.
  r = run_net({"export", "--dir", (tmp / "net").string(), "--out", (tmp / "x").string()});
  CHECK(r.code == 2);
  CHECK(r.err.find("--format") != std::string::npos);
}

TEST_CASE("--force replaces an earlier export and only what it wrote", "[net][export]") {
  TempDir tmp;
  init(tmp / "big", 4, false);
  init(tmp / "small", 2, false);
  const fs::path out = tmp / "k8s";
  REQUIRE(export_to(tmp / "big", "kubernetes", out).code == 0);
  REQUIRE(fs::exists(out / "node3.yaml"));
  REQUIRE(tools::write_file_atomic(out / "README.local", "notes\n", 0644, tools::Overwrite::kNo));

  Run r = export_to(tmp / "small", "kubernetes", out);
  CHECK(r.code == 2);
  CHECK(r.err.find("pass --force") != std::string::npos);
  CHECK(fs::exists(out / "node3.yaml"));

  r = export_to(tmp / "small", "kubernetes", out, {"--force"});
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK(fs::exists(out / "node1.yaml"));
  CHECK(!fs::exists(out / "node2.yaml"));
  CHECK(!fs::exists(out / "node3.yaml"));
  CHECK(read(out / "README.local") == "notes\n");
  CHECK(read(out / "node0.yaml").find(net::base64(read(tmp / "small" / "node0" / "node_key.json"))) !=
        std::string::npos);
}

TEST_CASE("export's text helpers give back their input", "[net][export]") {
  // RFC 4648, section 10.
  CHECK(net::base64("") == "");
  CHECK(net::base64("f") == "Zg==");
  CHECK(net::base64("fo") == "Zm8=");
  CHECK(net::base64("foo") == "Zm9v");
  CHECK(net::base64("foob") == "Zm9vYg==");
  CHECK(net::base64("fooba") == "Zm9vYmE=");
  CHECK(net::base64("foobar") == "Zm9vYmFy");
  CHECK(net::base64(std::string("\xff\x00\x80", 3)) == "/wCA");

  CHECK(net::yaml_text("a\nb\n", 2) == "|\n  a\n  b\n");
  CHECK(net::yaml_text("a\n\nb", 2) == "|-\n  a\n\n  b\n");
  CHECK(net::yaml_text("a\n\n\n", 2) == "|+\n  a\n\n\n");
  CHECK(net::yaml_text(" lead\n", 2) == "\" lead\\n\"");
  CHECK(net::yaml_text("cr\r\n", 2) == "\"cr\\r\\n\"");
  CHECK(net::yaml_text("", 2) == "\"\"");
  CHECK(net::yaml_quote("say \"hi\"") == "\"say \\\"hi\\\"\"");
  CHECK(net::shell_quote("it's") == "'it'\\''s'");
}
