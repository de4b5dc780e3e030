// `sharechain-net init` (tools/net), run in-process through net::run.
//   genesis.json parses as sharechain.Genesis (protobuf JSON, unknown fields refused) with the
//     chain id, one validator per node whose key is that node's node_key.json, the keystore's
//     accounts with their roles, organisations and balances, validator accounts, threshold 3
//   64-bit numbers in genesis.json are JSON numbers (scripts edit them with sed and jq)
//   the keystore holds the ten keys, encrypted with the passphrase in DIR/passphrase, light cost
//   every config.toml parses with toml11 and has the node's ports (base+10i, +1, +2), every
//     other node as a peer, and the documented consensus, mempool and log settings
//   secrets are private: node_key.json, passphrase and keystore files 0600, keystore folder 0700
//   a second init refuses to overwrite (exit 2, nothing changed); --force replaces the cluster
//     and drops node folders a smaller cluster no longer has
//   --tls: a CA and per-node certificates that verify, name IP 127.0.0.1 and DNS localhost, and
//     allow server and client use; configs point at them
//   bad --nodes, --base-port, --chain-id are usage errors that write nothing
//   --hosts: node i listens on the i-th host with the usual ports and its peers dial it there;
//     status reads those addresses back; with --tls each certificate also names its host; a
//     count that differs from --nodes or a malformed host is a usage error that writes nothing
//   status and stop on a cluster with no running node: exit 0, every node reported stopped
//   status on a folder that is not a cluster is a usage error
//   add-node: node<M> with a fresh key (0600, differing from every other), init's config on
//     ports base+10M, +1, +2, genesis validators as peers by index and earlier added nodes by
//     key; --json is exactly node, public_key, peer_address, client_address; the text names
//     the start and governance commands; with --tls a certificate from the cluster's CA
//   add-node refusals write nothing: not a cluster (exit 2), a gap in node<i>, ports past 65535
//   status, stop, doctor's plan and export take in an added node; its quorum stays genesis's
#include <google/protobuf/util/json_util.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <toml.hpp>

#include "sharechain/types.pb.h"
#include "tests/tools/temp_dir.hpp"
#include "tools/common/files.hpp"
#include "tools/common/keystore.hpp"
#include "tools/common/passphrase.hpp"
#include "tools/net/app.hpp"
#include "tools/net/doctor_plan.hpp"

using namespace sharechain;
using sharechain::testing::TempDir;
namespace fs = std::filesystem;

namespace {

struct Run {
  int code = -1;
  std::string out;
  std::string err;
};

Run run_net(std::vector<std::string> args) {
  std::ostringstream out, err;
  Run r;
  r.code = net::run(args, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

Run init(const fs::path& dir, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"init", "--dir", dir.string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_net(args);
}

Genesis parse_genesis(const fs::path& file) {
  Genesis g;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto st = google::protobuf::util::JsonStringToMessage(tools::read_file(file).value(), &g, options);
  INFO(st.ToString());
  REQUIRE(st.ok());
  return g;
}

std::uint64_t now_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

std::string loopback(std::uint32_t port) { return "127.0.0.1:" + std::to_string(port); }

const GenesisAccount* find_account(const Genesis& g, const std::string& name) {
  for (const GenesisAccount& a : g.accounts()) {
    if (a.name() == name) return &a;
  }
  return nullptr;
}

std::vector<std::string> roles_of(const GenesisAccount& a) { return {a.roles().begin(), a.roles().end()}; }

}  // namespace

TEST_CASE("init writes a genesis that parses as sharechain.Genesis", "[net][init]") {
  TempDir tmp;
  const fs::path dir = tmp / "net";
  const std::uint64_t before = now_ms();
  const Run r = init(dir, {"--nodes", "4", "--base-port", "27700", "--chain-id", "test-chain"});
  INFO(r.err);
  REQUIRE(r.code == 0);
  const Genesis g = parse_genesis(dir / "genesis.json");

  CHECK(g.chain_id() == "test-chain");
  CHECK(g.genesis_time_ms() >= before);
  CHECK(g.genesis_time_ms() <= now_ms());
  CHECK(g.params().attestation_threshold() == 3);

  REQUIRE(g.validators_size() == 4);
  for (int i = 0; i < 4; ++i) {
    const std::string name = "node" + std::to_string(i);
    const nlohmann::json key = nlohmann::json::parse(tools::read_file(dir / name / "node_key.json").value());
    const auto secret = crypto::from_hex(key["secret_key"].get<std::string>());
    REQUIRE(secret);
    const auto pk = crypto::PrivateKey::from_bytes(*secret);
    REQUIRE(pk);
    CHECK(g.validators(i).name() == name);
    CHECK(g.validators(i).public_key() == crypto::to_hex(pk->public_key()));
    CHECK(g.validators(i).peer_address() == loopback(27700 + 10 * i + 1));
    CHECK(key["public_key"] == crypto::to_hex(pk->public_key()));
    CHECK(key["address"] == crypto::format_address(pk->address()));
    CHECK(key["name"] == name);
    const GenesisAccount* account = find_account(g, name);
    REQUIRE(account != nullptr);
    CHECK(account->address() == crypto::format_address(pk->address()));
    CHECK(roles_of(*account) == std::vector<std::string>{"validator"});
  }

  tools::Keystore keystore(dir / "keystore");
  const std::set<std::string> organisations = [&] {
    std::set<std::string> s;
    for (const char* n : {"attester1", "attester2", "attester3", "attester4"}) {
      const GenesisAccount* a = find_account(g, n);
      REQUIRE(a != nullptr);
      CHECK(roles_of(*a) == std::vector<std::string>{"attester"});
      CHECK_FALSE(a->organisation().empty());
      s.insert(a->organisation());
    }
    return s;
  }();
  CHECK(organisations.size() == 4);
  // Three attesters besides any submitter: the threshold is reachable.
  CHECK(organisations.size() - 1 >= g.params().attestation_threshold());
  const std::vector<std::pair<std::string, std::vector<std::string>>> expected = {
      {"operator", {"operator"}}, {"operator2", {"operator"}}, {"operator3", {"operator"}},
      {"dataserver", {"data_server"}}, {"user1", {}},
      {"user2", {}},             {"user3", {}},                    {"user4", {}}};
  for (const auto& [name, roles] : expected) {
    CAPTURE(name);
    const GenesisAccount* a = find_account(g, name);
    REQUIRE(a != nullptr);
    CHECK(roles_of(*a) == roles);
    CHECK(a->organisation().empty());
    CHECK(a->balance() == (name.rfind("user", 0) == 0 ? 100'000'000u : 0u));
  }
  // Every named account is the keystore key of that name, and no address appears twice.
  std::set<std::string> addresses;
  for (const GenesisAccount& a : g.accounts()) {
    CHECK(addresses.insert(a.address()).second);
    if (a.name().rfind("node", 0) == 0) continue;
    Result<tools::KeyInfo> info = keystore.info(a.name());
    REQUIRE(info);
    CHECK(a.address() == crypto::format_address(info->address));
  }
  CHECK(g.accounts_size() == 12 + 4);
  // The default committee: the three operator keys, two approvals per proposal.
  REQUIRE(g.committee().members_size() == 3);
  CHECK(g.committee().threshold() == 2);
  for (const char* name : {"operator", "operator2", "operator3"}) {
    CAPTURE(name);
    const auto& members = g.committee().members();
    CHECK(std::find(members.begin(), members.end(), find_account(g, name)->address()) != members.end());
  }
}

TEST_CASE("--committee and --threshold size the committee; an unreachable threshold is refused",
          "[net][init]") {
  TempDir tmp;
  REQUIRE(init(tmp / "one", {"--nodes", "1", "--committee", "1", "--threshold", "1"}).code == 0);
  Genesis g = parse_genesis(tmp / "one" / "genesis.json");
  CHECK(g.committee().members_size() == 1);
  CHECK(g.committee().threshold() == 1);
  CHECK(find_account(g, "operator2") == nullptr);

  REQUIRE(init(tmp / "five", {"--nodes", "1", "--committee", "5", "--threshold", "3"}).code == 0);
  g = parse_genesis(tmp / "five" / "genesis.json");
  CHECK(g.committee().members_size() == 5);
  CHECK(g.committee().threshold() == 3);
  CHECK(find_account(g, "operator5") != nullptr);

  auto r = init(tmp / "bad", {"--nodes", "1", "--committee", "2", "--threshold", "3"});
  CHECK(r.code == 2);
  CHECK(r.err.find("not reachable by a committee of 2") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(tmp / "bad" / "genesis.json"));
}

TEST_CASE("--state-commitment goes into genesis; an unknown one is refused", "[net][init]") {
  TempDir tmp;
  REQUIRE(init(tmp / "default", {"--nodes", "1"}).code == 0);
  CHECK(parse_genesis(tmp / "default" / "genesis.json").state_commitment() == "lthash16-aes256ctr");

  REQUIRE(init(tmp / "shake", {"--nodes", "1", "--state-commitment", "lthash16-shake128"}).code == 0);
  CHECK(parse_genesis(tmp / "shake" / "genesis.json").state_commitment() == "lthash16-shake128");

  for (const std::string bad : {"sha256", "", "LTHASH16-AES256CTR"}) {
    INFO(bad);
    auto r = init(tmp / "bad", {"--nodes", "1", "--state-commitment", bad});
    CHECK(r.code == 2);
    CHECK(r.err.find("must be one of lthash16-shake128, lthash16-aes256ctr") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(tmp / "bad" / "genesis.json"));
  }
}

TEST_CASE("--checkpoint-interval and --window go into genesis, not the node configs", "[net][init]") {
  TempDir tmp;
  REQUIRE(init(tmp / "default", {"--nodes", "1"}).code == 0);
  Genesis g = parse_genesis(tmp / "default" / "genesis.json");
  CHECK(g.params().checkpoint_interval() == 0);  // the chain's defaults, 64 and 256
  CHECK(g.params().window() == 0);
  const std::string config = tools::read_file(tmp / "default" / "node0" / "config.toml").value();
  CHECK(config.find("checkpoint_interval") == std::string::npos);
  CHECK(config.find("window") == std::string::npos);

  REQUIRE(init(tmp / "both", {"--nodes", "1", "--checkpoint-interval", "4", "--window", "8"}).code == 0);
  g = parse_genesis(tmp / "both" / "genesis.json");
  CHECK(g.params().checkpoint_interval() == 4);
  CHECK(g.params().window() == 8);

  REQUIRE(init(tmp / "k", {"--nodes", "1", "--checkpoint-interval", "100"}).code == 0);
  g = parse_genesis(tmp / "k" / "genesis.json");
  CHECK(g.params().checkpoint_interval() == 100);
  CHECK(g.params().window() == 400);  // four intervals, as the defaults

  REQUIRE(init(tmp / "w", {"--nodes", "1", "--window", "1000"}).code == 0);
  g = parse_genesis(tmp / "w" / "genesis.json");
  CHECK(g.params().checkpoint_interval() == 64);
  CHECK(g.params().window() == 1000);

  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{"--checkpoint-interval", "4", "--window", "7"},
        {"--window", "100"}, {"--checkpoint-interval", "0"}, {"--window", "16000001"}}) {
    CAPTURE(bad);
    std::vector<std::string> args = {"--nodes", "1"};
    args.insert(args.end(), bad.begin(), bad.end());
    const Run r = init(tmp / "bad", args);
    CHECK(r.code == 2);
    CHECK_FALSE(r.err.empty());
    CHECK_FALSE(fs::exists(tmp / "bad"));
  }
  const Run r = init(tmp / "bad", {"--nodes", "1", "--checkpoint-interval", "4", "--window", "7"});
  CHECK(r.err.find("--window 7 with --checkpoint-interval 4: the window must be at least twice the interval") !=
        std::string::npos);
}

TEST_CASE("genesis.json writes 64-bit numbers as JSON numbers", "[net][init]") {
  TempDir tmp;
  REQUIRE(init(tmp / "net", {"--nodes", "1"}).code == 0);
  const nlohmann::json j = nlohmann::json::parse(tools::read_file(tmp / "net" / "genesis.json").value());
  CHECK(j["genesis_time_ms"].is_number_unsigned());
  for (const auto& a : j["accounts"]) CHECK(a["balance"].is_number_unsigned());
  CHECK(j["params"]["attestation_threshold"] == 3);
}

TEST_CASE("the keystore opens with the passphrase in DIR/passphrase", "[net][init]") {
  TempDir tmp;
  const fs::path dir = tmp / "net";
  REQUIRE(init(dir, {"--nodes", "1"}).code == 0);
  const std::string passphrase = tools::strip_line_break(tools::read_file(dir / "passphrase").value());
  CHECK(passphrase.size() >= 32);
  tools::Keystore keystore(dir / "keystore");
  Result<std::vector<tools::KeyInfo>> keys = keystore.list();
  REQUIRE(keys);
  std::vector<std::string> names;
  for (const tools::KeyInfo& k : *keys) {
    names.push_back(k.name);
    CHECK(k.scrypt_n == tools::kLightScryptN);
    CHECK(tools::file_mode(k.file).value() == 0600);
  }
  CHECK(names == std::vector<std::string>{"attester1", "attester2", "attester3", "attester4", "dataserver", "operator",
                                          "operator2", "operator3", "user1", "user2", "user3", "user4"});
  Result<crypto::PrivateKey> user1 = keystore.load("user1", passphrase);
  REQUIRE(user1);
  CHECK(user1->address() == keystore.info("user1")->address);
  CHECK(keystore.load("user1", passphrase + "x").status().code() == Code::kPermissionDenied);
}

TEST_CASE("every config.toml parses and has the node's ports and peers", "[net][init]") {
  TempDir tmp;
  const fs::path dir = tmp / "net";
  const std::uint32_t base = 27800;
  REQUIRE(init(dir, {"--nodes", "4", "--base-port", std::to_string(base)}).code == 0);
  for (std::uint32_t i = 0; i < 4; ++i) {
    CAPTURE(i);
    const fs::path node = dir / ("node" + std::to_string(i));
    const toml::value c = toml::parse((node / "config.toml").string());
    CHECK(toml::find<std::string>(c, "node", "name") == "node" + std::to_string(i));
    CHECK(toml::find<std::string>(c, "node", "key_file") == "node_key.json");
    CHECK(toml::find<std::string>(c, "node", "genesis_file") == "../genesis.json");
    CHECK(toml::find<std::string>(c, "node", "data_dir") == "data");
    CHECK(toml::find<std::string>(c, "api", "listen") == loopback(base + 10 * i));
    CHECK(toml::find<std::string>(c, "p2p", "listen") == loopback(base + 10 * i + 1));
    CHECK(toml::find<std::string>(c, "metrics", "listen") == loopback(base + 10 * i + 2));
    CHECK(toml::find<bool>(c, "p2p", "tls") == false);
    std::vector<std::string> want_peers;
    for (std::uint32_t j = 0; j < 4; ++j) {
      if (j != i) want_peers.push_back(std::to_string(j) + "@" + loopback(base + 10 * j + 1));
    }
    CHECK(toml::find<std::vector<std::string>>(c, "p2p", "peers") == want_peers);
    CHECK(toml::find<std::int64_t>(c, "consensus", "max_block_txs") == 2000);
    CHECK(toml::find<std::int64_t>(c, "consensus", "max_block_bytes") == 4194304);
    CHECK(toml::find<std::int64_t>(c, "consensus", "batch_delay_ms") == 20);
    // checkpoint_interval and window are the chain's (genesis params), not written here.
    CHECK_FALSE(toml::find(c, "consensus").contains("checkpoint_interval"));
    CHECK_FALSE(toml::find(c, "consensus").contains("window"));
    CHECK(toml::find<std::int64_t>(c, "consensus", "view_timeout_ms") == 2000);
    CHECK(toml::find<std::int64_t>(c, "mempool", "max_txs") == 50000);
    CHECK(toml::find<std::int64_t>(c, "mempool", "max_bytes") == 67108864);
    CHECK(toml::find<std::string>(c, "log", "level") == "info");
    CHECK(fs::is_directory(node / "data"));
    CHECK(fs::is_empty(node / "data"));
  }
  // A single node has no peers at all.
  TempDir one;
  REQUIRE(init(one / "net", {"--nodes", "1"}).code == 0);
  const toml::value c = toml::parse((one / "net" / "node0" / "config.toml").string());
  CHECK(toml::find<std::vector<std::string>>(c, "p2p", "peers").empty());
  CHECK(toml::find<std::string>(c, "api", "listen") == "127.0.0.1:26600");
}

TEST_CASE("secrets are private files", "[net][init]") {
  TempDir tmp;
  const fs::path dir = tmp / "net";
  REQUIRE(init(dir, {"--nodes", "2"}).code == 0);
  CHECK(tools::file_mode(dir / "passphrase").value() == 0600);
  CHECK(tools::file_mode(dir / "keystore").value() == 0700);
  CHECK(tools::file_mode(dir / "node0" / "node_key.json").value() == 0600);
  CHECK(tools::file_mode(dir / "node1" / "node_key.json").value() == 0600);
  CHECK(tools::file_mode(dir / "node1" / "data").value() == 0700);
}

TEST_CASE("init refuses to overwrite a cluster unless forced", "[net][init]") {
  TempDir tmp;
  const fs::path dir = tmp / "net";
  REQUIRE(init(dir, {"--nodes", "4"}).code == 0);
  const std::string genesis = tools::read_file(dir / "genesis.json").value();
  const std::string key = tools::read_file(dir / "keystore" / "user1.json").value();

  const Run again = init(dir, {"--nodes", "4"});
  CHECK(again.code == 2);
  CHECK(again.err.find("already holds a cluster") != std::string::npos);
  CHECK(again.err.find("--force") != std::string::npos);
  CHECK(tools::read_file(dir / "genesis.json").value() == genesis);
  CHECK(tools::read_file(dir / "keystore" / "user1.json").value() == key);

  std::ofstream(dir / "notes.txt") << "operator's own file";
  const Run forced = init(dir, {"--nodes", "2", "--force"});
  INFO(forced.err);
  CHECK(forced.code == 0);
  CHECK(tools::read_file(dir / "genesis.json").value() != genesis);
  CHECK(tools::read_file(dir / "keystore" / "user1.json").value() != key);
  CHECK(parse_genesis(dir / "genesis.json").validators_size() == 2);
  CHECK_FALSE(fs::exists(dir / "node2"));
  CHECK_FALSE(fs::exists(dir / "node3"));
  CHECK(fs::exists(dir / "notes.txt"));  // only what init wrote is replaced
}

namespace {

using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;

X509Ptr load_cert(const fs::path& file) {
  const std::string pem = tools::read_file(file).value();
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509Ptr cert(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr), X509_free);
  BIO_free(bio);
  return cert;
}

bool verifies(X509* ca, X509* cert) {
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, cert, nullptr);
  const bool ok = X509_verify_cert(ctx) == 1;
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  return ok;
}

// The node folder holds a certificate from `ca` for 127.0.0.1 and localhost, for server and
// client use, with a private key, and its config points at them.
void check_node_tls(X509* ca, const fs::path& node) {
  X509Ptr cert = load_cert(node / "tls" / "node.pem");
  REQUIRE(cert);
  CHECK(verifies(ca, cert.get()));
  CHECK(X509_check_ip_asc(cert.get(), "127.0.0.1", 0) == 1);
  CHECK(X509_check_host(cert.get(), "localhost", 0, 0, nullptr) == 1);
  CHECK(X509_check_ca(cert.get()) == 0);
  CHECK((X509_get_extended_key_usage(cert.get()) & (XKU_SSL_SERVER | XKU_SSL_CLIENT)) ==
        (XKU_SSL_SERVER | XKU_SSL_CLIENT));
  CHECK(tools::file_mode(node / "tls" / "node.key").value() == 0600);
  const toml::value c = toml::parse((node / "config.toml").string());
  CHECK(toml::find<bool>(c, "p2p", "tls") == true);
  CHECK(toml::find<std::string>(c, "p2p", "tls_ca") == "../tls/ca.pem");
  CHECK(toml::find<std::string>(c, "p2p", "tls_cert") == "tls/node.pem");
  CHECK(toml::find<std::string>(c, "p2p", "tls_key") == "tls/node.key");
}

}  // namespace

TEST_CASE("init --tls makes a CA and node certificates that verify", "[net][init][tls]") {
  TempDir tmp;
  const fs::path dir = tmp / "net";
  const Run r = init(dir, {"--nodes", "3", "--tls"});
  INFO(r.err);
  REQUIRE(r.code == 0);
  X509Ptr ca = load_cert(dir / "tls" / "ca.pem");
  REQUIRE(ca);
  CHECK(X509_check_ca(ca.get()) >= 1);
  CHECK(tools::file_mode(dir / "tls" / "ca.key").value() == 0600);
  for (int i = 0; i < 3; ++i) {
    CAPTURE(i);
    check_node_tls(ca.get(), dir / ("node" + std::to_string(i)));
  }
  // A certificate of another cluster's CA does not verify against this one.
  TempDir other;
  REQUIRE(init(other / "net", {"--nodes", "1", "--tls"}).code == 0);
  X509Ptr foreign = load_cert(other / "net" / "node0" / "tls" / "node.pem");
  CHECK_FALSE(verifies(ca.get(), foreign.get()));
}

TEST_CASE("bad init options are usage errors that write nothing", "[net][init]") {
  TempDir tmp;
  const fs::path dir = tmp / "net";
  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{"--nodes", "0"}, {"--nodes", "101"}, {"--nodes", "-1"},
        {"--nodes", "10", "--base-port", "65500"}, {"--base-port", "0"}, {"--chain-id", "a b"},
        {"--chain-id", ""}}) {
    CAPTURE(bad);
    const Run r = init(dir, bad);
    CHECK(r.code == 2);
    CHECK_FALSE(r.err.empty());
    CHECK_FALSE(fs::exists(dir));
  }
  CHECK(run_net({"init", "--nodes", "1"}).code == 2);  // --dir is required
}

TEST_CASE("init --hosts puts each node on its own host with the usual ports", "[net][init]") {
  TempDir tmp;
  const fs::path dir = tmp / "net";
  const std::vector<std::string> hosts = {"10.213.0.10", "10.213.0.11", "validator-c.example"};
  const std::uint32_t base = 26600;
  const Run r = init(dir, {"--nodes", "3", "--hosts", "10.213.0.10,10.213.0.11,validator-c.example"});
  INFO(r.err);
  REQUIRE(r.code == 0);
  auto at = [&](std::uint32_t i, std::uint32_t offset) {
    return hosts[i] + ":" + std::to_string(base + 10 * i + offset);
  };
  for (std::uint32_t i = 0; i < 3; ++i) {
    CAPTURE(i);
    const toml::value c = toml::parse((dir / ("node" + std::to_string(i)) / "config.toml").string());
    CHECK(toml::find<std::string>(c, "api", "listen") == at(i, 0));
    CHECK(toml::find<std::string>(c, "p2p", "listen") == at(i, 1));
    CHECK(toml::find<std::string>(c, "metrics", "listen") == at(i, 2));
    std::vector<std::string> want_peers;
    for (std::uint32_t j = 0; j < 3; ++j) {
      if (j != i) want_peers.push_back(std::to_string(j) + "@" + at(j, 1));
    }
    CHECK(toml::find<std::vector<std::string>>(c, "p2p", "peers") == want_peers);
  }
  // The other commands find the nodes where the configs put them.
  const Run status = run_net({"status", "--dir", dir.string(), "--json", "--timeout", "1"});
  REQUIRE(status.code == 0);
  const nlohmann::json j = nlohmann::json::parse(status.out);
  REQUIRE(j["nodes"].size() == 3);
  for (std::uint32_t i = 0; i < 3; ++i) {
    CHECK(j["nodes"][i]["client_address"] == at(i, 0));
    CHECK(j["nodes"][i]["p2p_address"] == at(i, 1));
  }

  TempDir tls;
  const Run t = init(tls / "net", {"--nodes", "2", "--tls", "--hosts", "10.213.0.10,validator-b.example"});
  INFO(t.err);
  REQUIRE(t.code == 0);
  X509Ptr first = load_cert(tls / "net" / "node0" / "tls" / "node.pem");
  X509Ptr second = load_cert(tls / "net" / "node1" / "tls" / "node.pem");
  REQUIRE(first);
  REQUIRE(second);
  CHECK(X509_check_ip_asc(first.get(), "10.213.0.10", 0) == 1);
  CHECK(X509_check_ip_asc(first.get(), "127.0.0.1", 0) == 1);
  CHECK(X509_check_ip_asc(second.get(), "10.213.0.10", 0) == 0);
  CHECK(X509_check_host(second.get(), "validator-b.example", 0, 0, nullptr) == 1);
  CHECK(X509_check_host(first.get(), "validator-b.example", 0, 0, nullptr) == 0);
}

TEST_CASE("bad --hosts are usage errors that write nothing", "[net][init]") {
  TempDir tmp;
  const fs::path dir = tmp / "net";
  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{"--nodes", "3", "--hosts", "10.0.0.1,10.0.0.2"},
        {"--nodes", "1", "--hosts", "10.0.0.1,10.0.0.2"},
        {"--nodes", "2", "--hosts", "10.0.0.1,a b"},
        {"--nodes", "2", "--hosts", "10.0.0.1,host:26600"},
        {"--nodes", "2", "--hosts", "10.0.0.1,fd00::zz"},
        {"--nodes", "2", "--hosts", "10.0.0.1,"}}) {
    CAPTURE(bad);
    const Run r = init(dir, bad);
    CHECK(r.code == 2);
    CHECK(r.err.find("--hosts") != std::string::npos);
    CHECK_FALSE(fs::exists(dir));
  }
  // An IPv6 address is a host; the addresses put it in brackets.
  const Run v6 = init(dir, {"--nodes", "1", "--hosts", "fd00::10"});
  INFO(v6.err);
  REQUIRE(v6.code == 0);
  const toml::value c = toml::parse((dir / "node0" / "config.toml").string());
  CHECK(toml::find<std::string>(c, "api", "listen") == "[fd00::10]:26600");
}

TEST_CASE("init --json names the files and the nodes", "[net][init]") {
  TempDir tmp;
  const fs::path dir = tmp / "net";
  const Run r = run_net({"--json", "init", "--dir", dir.string(), "--nodes", "2", "--base-port", "28800"});
  REQUIRE(r.code == 0);
  const nlohmann::json j = nlohmann::json::parse(r.out);
  CHECK(j["chain_id"] == "sharechain-local");
  CHECK(j["genesis"] == (dir / "genesis.json").string());
  CHECK(j["keystore"] == (dir / "keystore").string());
  CHECK(j["passphrase_file"] == (dir / "passphrase").string());
  CHECK(j["keys"].size() == 12);
  CHECK(j["committee"]["threshold"] == 2);
  CHECK(j["committee"]["members"] == nlohmann::json::array({"operator", "operator2", "operator3"}));
  REQUIRE(j["nodes"].size() == 2);
  CHECK(j["nodes"][1]["client_address"] == "127.0.0.1:28810");
  CHECK(j["nodes"][1]["config"] == (dir / "node1" / "config.toml").string());
}

TEST_CASE("status and stop on a cluster with no running node", "[net]") {
  TempDir tmp;
  const fs::path dir = tmp / "net";
  REQUIRE(init(dir, {"--nodes", "3", "--base-port", "27900"}).code == 0);
  Run r = run_net({"status", "--dir", dir.string(), "--json"});
  INFO(r.err);
  REQUIRE(r.code == 0);
  const nlohmann::json j = nlohmann::json::parse(r.out);
  REQUIRE(j["nodes"].size() == 3);
  for (int i = 0; i < 3; ++i) {
    const auto& n = j["nodes"][i];
    CHECK(n["name"] == "node" + std::to_string(i));
    CHECK(n["client_address"] == loopback(27900 + 10 * i));
    CHECK(n["running"] == false);
    CHECK(n["pid"].is_null());
    CHECK(n["height"].is_null());
  }
  // The verdict (sharechain doctor's checks): nothing runs, so the quorum is lost, every node is
  // named and the fix starts the cluster.
  const nlohmann::json& verdict = j["verdict"];
  CHECK(verdict["healthy"] == false);
  CHECK(verdict["verdict"].get<std::string>().rfind("unhealthy: quorum lost: 0 of 3 validators respond", 0) == 0);
  REQUIRE_FALSE(verdict["findings"].empty());
  CHECK(verdict["findings"][0]["check"] == "quorum");
  CHECK(verdict["findings"][0]["nodes"] == nlohmann::json({"node0", "node1", "node2"}));
  CHECK(verdict["findings"][0]["fix"].get<std::string>().rfind("sharechain-net start --dir ", 0) == 0);
  r = run_net({"status", "--dir", dir.string()});
  CHECK(r.out.find("verdict: unhealthy: quorum lost") != std::string::npos);
  r = run_net({"stop", "--dir", dir.string()});
  CHECK(r.code == 0);
  CHECK(r.out.find("node2  not running") != std::string::npos);

  // An address edited by hand in a config is what status reports.
  std::string config = tools::read_file(dir / "node1" / "config.toml").value();
  config.replace(config.find("127.0.0.1:27910"), 15, "127.0.0.1:27999");
  REQUIRE(tools::write_file_atomic(dir / "node1" / "config.toml", config, 0644, tools::Overwrite::kYes));
  r = run_net({"status", "--dir", dir.string(), "--json"});
  CHECK(nlohmann::json::parse(r.out)["nodes"][1]["client_address"] == "127.0.0.1:27999");
}

TEST_CASE("commands on a folder that is not a cluster are usage errors", "[net]") {
  TempDir tmp;
  for (const char* command : {"status", "stop", "start"}) {
    CAPTURE(command);
    const Run r = run_net({command, "--dir", tmp.path().string()});
    CHECK(r.code == 2);
    CHECK(r.err.find("not a cluster folder") != std::string::npos);
  }
}

namespace {

std::string public_key_in(const fs::path& node_dir) {
  return nlohmann::json::parse(tools::read_file(node_dir / "node_key.json").value())["public_key"].get<std::string>();
}

std::vector<std::string> peers_in(const fs::path& config) {
  return toml::find<std::vector<std::string>>(toml::parse(config.string()), "p2p", "peers");
}

// Every entry of a folder, names only (what a refused command must leave as it was).
std::set<std::string> entries(const fs::path& dir) {
  std::set<std::string> names;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

Run add_node(const fs::path& dir, bool json = true) {
  std::vector<std::string> args = {"add-node", "--dir", dir.string()};
  if (json) args.insert(args.begin(), "--json");
  return run_net(args);
}

// add-node on `dir` fails with `code` and a message holding `says`, and leaves `dir` as it was.
void check_refused(const fs::path& dir, int code, const std::string& says) {
  const std::set<std::string> before = entries(dir);
  const Run r = add_node(dir);
  CHECK(r.code == code);
  CHECK(r.err.find(says) != std::string::npos);
  CHECK(r.out.empty());
  CHECK(entries(dir) == before);
}

}  // namespace

TEST_CASE("add-node writes the next node folder with a fresh key, and names added peers by key",
          "[net][add-node]") {
  TempDir tmp;
  const fs::path dir = tmp / "net";
  const std::uint32_t base = 28100;
  REQUIRE(init(dir, {"--nodes", "3", "--base-port", std::to_string(base)}).code == 0);
  const std::string genesis = tools::read_file(dir / "genesis.json").value();
  const std::string node0_config = tools::read_file(dir / "node0" / "config.toml").value();

  const Run first = add_node(dir);
  INFO(first.err);
  REQUIRE(first.code == 0);
  const nlohmann::json j = nlohmann::json::parse(first.out);
  CHECK(j == nlohmann::json({{"node", "node3"},
                             {"public_key", public_key_in(dir / "node3")},
                             {"peer_address", loopback(base + 31)},
                             {"client_address", loopback(base + 30)}}));
  const std::string key3 = j["public_key"].get<std::string>();
  CHECK(key3.size() == 64);
  CHECK(crypto::is_valid_public_key(crypto::from_hex(key3).value()));

  // node_key.json as init writes it: private, and its secret is the key it names.
  const fs::path node3 = dir / "node3";
  CHECK(tools::file_mode(node3 / "node_key.json").value() == 0600);
  CHECK(tools::file_mode(node3).value() == 0755);
  CHECK(tools::file_mode(node3 / "data").value() == 0700);
  CHECK(fs::is_empty(node3 / "data"));
  const nlohmann::json key = nlohmann::json::parse(tools::read_file(node3 / "node_key.json").value());
  const auto pk = crypto::PrivateKey::from_bytes(*crypto::from_hex(key["secret_key"].get<std::string>()));
  REQUIRE(pk);
  CHECK(crypto::to_hex(pk->public_key()) == key3);
  CHECK(key["address"] == crypto::format_address(pk->address()));
  CHECK(key["name"] == "node3");
  for (int i = 0; i < 3; ++i) CHECK(public_key_in(dir / ("node" + std::to_string(i))) != key3);

  // Its config is init's, on the next ports; its peers are the genesis validators by index.
  const toml::value c = toml::parse((node3 / "config.toml").string());
  CHECK(toml::find<std::string>(c, "node", "name") == "node3");
  CHECK(toml::find<std::string>(c, "node", "key_file") == "node_key.json");
  CHECK(toml::find<std::string>(c, "node", "genesis_file") == "../genesis.json");
  CHECK(toml::find<std::string>(c, "node", "data_dir") == "data");
  CHECK(toml::find<std::string>(c, "api", "listen") == loopback(base + 30));
  CHECK(toml::find<std::string>(c, "p2p", "listen") == loopback(base + 31));
  CHECK(toml::find<std::string>(c, "metrics", "listen") == loopback(base + 32));
  CHECK(toml::find<bool>(c, "p2p", "tls") == false);
  CHECK(toml::find<std::int64_t>(c, "mempool", "max_txs") == 50000);
  CHECK(peers_in(node3 / "config.toml") ==
        std::vector<std::string>{"0@" + loopback(base + 1), "1@" + loopback(base + 11), "2@" + loopback(base + 21)});

  // A second node dials the first added one by its key, not by an index genesis never gave it.
  const Run second = add_node(dir);
  INFO(second.err);
  REQUIRE(second.code == 0);
  const nlohmann::json j4 = nlohmann::json::parse(second.out);
  CHECK(j4["node"] == "node4");
  CHECK(j4["client_address"] == loopback(base + 40));
  CHECK(j4["public_key"] != key3);
  CHECK(j4["public_key"] == public_key_in(dir / "node4"));
  CHECK(peers_in(dir / "node4" / "config.toml") ==
        std::vector<std::string>{"0@" + loopback(base + 1), "1@" + loopback(base + 11), "2@" + loopback(base + 21),
                                 key3 + "@" + loopback(base + 31)});

  // Nothing else changed, and no staging folder was left behind.
  CHECK(tools::read_file(dir / "genesis.json").value() == genesis);
  CHECK(tools::read_file(dir / "node0" / "config.toml").value() == node0_config);
  CHECK(entries(dir) == std::set<std::string>{"genesis.json", "keystore", "node0", "node1", "node2", "node3",
                                              "node4", "passphrase"});
}

TEST_CASE("add-node without --json says how to start and admit the node", "[net][add-node]") {
  TempDir tmp;
  const fs::path dir = tmp / "net";
  REQUIRE(init(dir, {"--nodes", "1", "--base-port", "28200", "--committee", "3", "--threshold", "3"}).code == 0);
  const Run r = add_node(dir, false);
  INFO(r.err);
  REQUIRE(r.code == 0);
  const std::string key = public_key_in(dir / "node1");
  CHECK(r.out.find("added node1") != std::string::npos);
  CHECK(r.out.find("sharechain-net start --dir " + dir.string() + "\n") != std::string::npos);
  const std::string wallet = "sharechain --node 127.0.0.1:28200 --keystore " + (dir / "keystore").string() +
                             " --passphrase-file " + (dir / "passphrase").string() + " governance ";
  CHECK(r.out.find(wallet + "propose add-validator --public-key " + key +
                   " --peer-address 127.0.0.1:28211 --name node1 --from operator --json\n") != std::string::npos);
  // A threshold of 3: the proposer's approval and two more.
  CHECK(r.out.find(wallet + "approve ID --from operator2\n") != std::string::npos);
  CHECK(r.out.find(wallet + "approve ID --from operator3\n") != std::string::npos);
  CHECK(r.out.find("--from operator4") == std::string::npos);
}

TEST_CASE("add-node on a TLS cluster issues the node a certificate from the cluster's CA",
          "[net][add-node][tls]") {
  TempDir tmp;
  const fs::path dir = tmp / "net";
  REQUIRE(init(dir, {"--nodes", "2", "--tls"}).code == 0);
  const Run r = add_node(dir);
  INFO(r.err);
  REQUIRE(r.code == 0);
  X509Ptr ca = load_cert(dir / "tls" / "ca.pem");
  REQUIRE(ca);
  check_node_tls(ca.get(), dir / "node2");
  // Its own key pair, not another node's.
  CHECK(tools::read_file(dir / "node2" / "tls" / "node.key").value() !=
        tools::read_file(dir / "node1" / "tls" / "node.key").value());
}

TEST_CASE("add-node refuses a folder that is not a cluster, a gap, or ports past 65535, writing nothing",
          "[net][add-node]") {
  TempDir tmp;
  const fs::path dir = tmp / "net";
  SECTION("an empty folder") {
    check_refused(tmp.path(), 2, " is not a cluster folder (no genesis.json)");
    CHECK(fs::is_empty(tmp.path()));
  }
  SECTION("a missing folder") {
    CHECK(add_node(tmp / "absent").code == 2);
    CHECK_FALSE(fs::exists(tmp / "absent"));
  }
  SECTION("node folders without a genesis") {
    REQUIRE(init(dir, {"--nodes", "2"}).code == 0);
    fs::remove(dir / "genesis.json");
    check_refused(dir, 2, " is not a cluster folder (no genesis.json)");
  }
  SECTION("a gap in the node folders") {
    REQUIRE(init(dir, {"--nodes", "3"}).code == 0);
    fs::rename(dir / "node1", dir / "old-node1");
    check_refused(dir, 1, "has node2 but no node1: node folders must be numbered from node0 without gaps");
  }
  SECTION("ports past 65535") {
    REQUIRE(init(dir, {"--nodes", "2", "--base-port", "65520"}).code == 0);
    check_refused(dir, 1, "node2 would listen on ports 65540-65542 (base 65520 + 10 x 2), past 65535");
  }
}

TEST_CASE("status, stop and export take in an added node that genesis does not name", "[net][add-node]") {
  TempDir tmp;
  const fs::path dir = tmp / "net";
  const std::uint32_t base = 28300;
  REQUIRE(init(dir, {"--nodes", "3", "--base-port", std::to_string(base)}).code == 0);
  REQUIRE(add_node(dir).code == 0);
  const std::string key3 = public_key_in(dir / "node3");

  Run r = run_net({"status", "--dir", dir.string(), "--json"});
  INFO(r.err);
  REQUIRE(r.code == 0);
  const nlohmann::json status = nlohmann::json::parse(r.out);
  REQUIRE(status["nodes"].size() == 4);
  CHECK(status["nodes"][3]["name"] == "node3");
  CHECK(status["nodes"][3]["client_address"] == loopback(base + 30));
  // The quorum is the genesis validators'; the added node is not counted as a fourth.
  CHECK(status["verdict"]["verdict"].get<std::string>().rfind("unhealthy: quorum lost: 0 of 3 validators respond", 0) ==
        0);
  r = run_net({"stop", "--dir", dir.string()});
  CHECK(r.code == 0);
  CHECK(r.out.find("node3  not running") != std::string::npos);

  // Genesis gives the added node no index, so doctor does not hold it to one.
  Result<net::DoctorPlan> plan = net::doctor_plan(net::ClusterPaths(dir));
  REQUIRE(plan);
  REQUIRE(plan->targets.size() == 4);
  CHECK(plan->targets[2].validator == std::optional<std::uint32_t>(2));
  CHECK_FALSE(plan->targets[3].validator.has_value());
  CHECK(plan->targets[3].key_file_public_key == key3);

  // export writes the added node too, and the others' peers name it by its key.
  r = run_net({"export", "--dir", dir.string(), "--format", "systemd", "--out", (tmp / "out").string()});
  INFO(r.err);
  REQUIRE(r.code == 0);
  const fs::path etc = tmp / "out" / "etc" / "sharechain";
  CHECK(peers_in(etc / "node0" / "config.toml") ==
        std::vector<std::string>{"1@" + loopback(base + 11), "2@" + loopback(base + 21), key3 + "@" + loopback(base + 31)});
  CHECK(peers_in(etc / "node3" / "config.toml") ==
        std::vector<std::string>{"0@" + loopback(base + 1), "1@" + loopback(base + 11), "2@" + loopback(base + 21)});
  CHECK(tools::read_file(etc / "node3" / "node_key.json").value() ==
        tools::read_file(dir / "node3" / "node_key.json").value());
}
