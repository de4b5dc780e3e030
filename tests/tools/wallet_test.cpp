// The `sharechain` wallet run in-process (tools/wallet/app.hpp), for everything that needs no
// running node, and the exit codes INTERFACES.md fixes (0 ok, 1 refused, 2 usage, 3 unreachable).
//   keys new|list|show|export|import with --json: the documented fields; export gives back the
//     imported secret; a node_key.json imports as is
//   an existing key name, a missing key, a bad key name: usage errors (2)
//   a wrong passphrase: exit 1 with "wrong passphrase for key 'NAME'"
//   no passphrase file, no SHARECHAIN_PASSPHRASE, no terminal: usage error, nothing prompted
//   SHARECHAIN_PASSPHRASE and SHARECHAIN_KEYSTORE are honoured
//   bad amounts (negative, zero, not a number, beyond 64 bits), unknown roles, an attester without
//     organisation, a malformed hash or node address: usage errors before any network call
//   the contract groups (asset, agreement, session, split, finance, vehicle, role, ledger,
//     governance) refuse malformed ids, keys, parameter names,
//     times, items, partners, shares and kinds the same way, before any network call
//   a node that is not there: exit 3 "cannot reach the node at ADDR", queries included
//   results go to stdout only, messages to stderr only
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "proto/crypto.hpp"
#include "tests/tools/temp_dir.hpp"
#include "tools/common/files.hpp"
#include "tools/wallet/app.hpp"

using namespace sharechain;
using sharechain::testing::TempDir;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Run {
  int code = -1;
  std::string out;
  std::string err;
  json parsed() const { return json::parse(out); }
};

Run run_wallet(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  Run r;
  r.code = wallet::run(args, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

struct ScopedEnv {
  std::string name;
  std::optional<std::string> old;
  ScopedEnv(std::string n, const std::optional<std::string>& value) : name(std::move(n)) {
    if (const char* v = std::getenv(name.c_str())) old = v;
    if (value) {
      ::setenv(name.c_str(), value->c_str(), 1);
    } else {
      ::unsetenv(name.c_str());
    }
  }
  ~ScopedEnv() {
    if (old) {
      ::setenv(name.c_str(), old->c_str(), 1);
    } else {
      ::unsetenv(name.c_str());
    }
  }
};

// A keystore folder and a passphrase file; the environment cannot leak a passphrase or a node
// address into the test.
struct Fixture {
  TempDir tmp;
  ScopedEnv no_pass{"SHARECHAIN_PASSPHRASE", std::nullopt};
  ScopedEnv no_keystore{"SHARECHAIN_KEYSTORE", std::nullopt};
  ScopedEnv no_node{"SHARECHAIN_NODE", std::nullopt};
  fs::path keystore = tmp / "keystore";
  fs::path pass_file = tmp / "passphrase";

  Fixture() { std::ofstream(pass_file) << "test passphrase\n"; }

  // The wallet with this fixture's keystore and passphrase file, then `args`.
  Run run(std::vector<std::string> args) const {
    std::vector<std::string> all = {"--keystore", keystore.string(), "--passphrase-file", pass_file.string()};
    all.insert(all.end(), args.begin(), args.end());
    return run_wallet(all);
  }
};

// Standard input from /dev/null for one scope, so no test depends on how ctest was started.
struct NoTerminal {
  int saved = ::dup(STDIN_FILENO);
  NoTerminal() {
    const int null_fd = ::open("/dev/null", O_RDONLY);
    ::dup2(null_fd, STDIN_FILENO);
    ::close(null_fd);
  }
  ~NoTerminal() {
    ::dup2(saved, STDIN_FILENO);
    ::close(saved);
  }
};

}  // namespace

TEST_CASE("keys new, list, show and export", "[wallet][keys]") {
  Fixture f;
  Run r = f.run({"keys", "new", "alice", "--light", "--json"});
  INFO(r.err);
  REQUIRE(r.code == 0);
  const json created = r.parsed();
  CHECK(created["name"] == "alice");
  CHECK(created["address"].get<std::string>().rfind("sc1", 0) == 0);
  CHECK(created["address"].get<std::string>().size() == 41);
  CHECK(created["public_key"].get<std::string>().size() == 64);
  CHECK(r.err.empty());

  r = f.run({"keys", "show", "alice", "--json"});
  REQUIRE(r.code == 0);
  CHECK(r.parsed()["address"] == created["address"]);
  CHECK(r.parsed()["public_key"] == created["public_key"]);

  REQUIRE(f.run({"keys", "new", "bob", "--light"}).code == 0);
  r = f.run({"--json", "keys", "list"});
  REQUIRE(r.code == 0);
  const json list = r.parsed();
  REQUIRE(list["keys"].size() == 2);
  CHECK(list["keys"][0]["name"] == "alice");
  CHECK(list["keys"][1]["name"] == "bob");

  r = f.run({"keys", "export", "alice", "--json"});
  REQUIRE(r.code == 0);
  CHECK(r.parsed()["secret_key"].get<std::string>().size() == 64);
  CHECK(r.parsed()["address"] == created["address"]);

  // Human output: the address appears, and nothing goes to stderr.
  r = f.run({"keys", "show", "alice"});
  CHECK(r.out.find(created["address"].get<std::string>()) != std::string::npos);
  CHECK(r.err.empty());
}

TEST_CASE("keys import takes hex or a node key file and exports the same secret", "[wallet][keys]") {
  Fixture f;
  const crypto::PrivateKey key = crypto::PrivateKey::generate();
  const std::string hex = crypto::to_hex(key.secret());
  std::ofstream(f.tmp / "secret.txt") << "  " << hex << "\n";
  std::ofstream(f.tmp / "node_key.json") << json{{"name", "node0"}, {"secret_key", hex}}.dump();

  Run r = f.run({"keys", "import", "from-hex", "--secret-file", (f.tmp / "secret.txt").string(), "--light", "--json"});
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK(r.parsed()["address"] == crypto::format_address(key.address()));
  r = f.run({"keys", "import", "from-node", "--secret-file", (f.tmp / "node_key.json").string(), "--light"});
  REQUIRE(r.code == 0);
  for (const char* name : {"from-hex", "from-node"}) {
    r = f.run({"keys", "export", name});
    REQUIRE(r.code == 0);
    CHECK(r.out == hex + "\n");
  }
  std::ofstream(f.tmp / "bad.txt") << "xyz";
  CHECK(f.run({"keys", "import", "bad", "--secret-file", (f.tmp / "bad.txt").string(), "--light"}).code == 2);
  CHECK(f.run({"keys", "import", "none", "--secret-file", (f.tmp / "absent").string(), "--light"}).code == 2);
}

TEST_CASE("key mistakes are usage errors; a wrong passphrase is a refusal", "[wallet][keys]") {
  Fixture f;
  REQUIRE(f.run({"keys", "new", "carol", "--light"}).code == 0);
  Run r = f.run({"keys", "new", "carol", "--light"});
  CHECK(r.code == 2);
  CHECK(r.err.find("already exists") != std::string::npos);
  CHECK(r.out.empty());

  r = f.run({"keys", "show", "nobody"});
  CHECK(r.code == 2);
  CHECK(r.err.find("no key named 'nobody'") != std::string::npos);
  CHECK(f.run({"keys", "new", "../escape", "--light"}).code == 2);

  std::ofstream(f.tmp / "other-pass") << "not the passphrase\n";
  r = run_wallet({"--keystore", f.keystore.string(), "--passphrase-file", (f.tmp / "other-pass").string(), "keys",
              "export", "carol"});
  CHECK(r.code == 1);
  CHECK(r.err.find("wrong passphrase for key 'carol'") != std::string::npos);
  CHECK(r.out.empty());
}

TEST_CASE("without a passphrase source or a terminal the wallet does not prompt", "[wallet][keys]") {
  Fixture f;
  NoTerminal no_tty;
  Run r = run_wallet({"--keystore", f.keystore.string(), "keys", "new", "dave", "--light"});
  CHECK(r.code == 2);
  CHECK(r.err.find("passphrase") != std::string::npos);
  CHECK_FALSE(fs::exists(f.keystore / "dave.json"));
  CHECK(run_wallet({"--keystore", f.keystore.string(), "--passphrase-file", (f.tmp / "absent").string(), "keys",
                "new", "dave", "--light"})
            .code == 2);
}

TEST_CASE("SHARECHAIN_PASSPHRASE and SHARECHAIN_KEYSTORE are used when no flag is given", "[wallet][keys]") {
  Fixture f;
  NoTerminal no_tty;
  ScopedEnv pass("SHARECHAIN_PASSPHRASE", std::string("from the environment"));
  ScopedEnv store("SHARECHAIN_KEYSTORE", (f.tmp / "env-keystore").string());
  REQUIRE(run_wallet({"keys", "new", "erin", "--light"}).code == 0);
  CHECK(fs::exists(f.tmp / "env-keystore" / "erin.json"));
  CHECK(run_wallet({"keys", "export", "erin"}).code == 0);
  ScopedEnv wrong("SHARECHAIN_PASSPHRASE", std::string("something else"));
  CHECK(run_wallet({"keys", "export", "erin"}).code == 1);
}

TEST_CASE("malformed arguments are usage errors before any network call", "[wallet]") {
  Fixture f;
  REQUIRE(f.run({"keys", "new", "frank", "--light"}).code == 0);
  // Port 1 on loopback has no node: had any of these reached the network, the exit code would be 3.
  const std::vector<std::string> node = {"--node", "127.0.0.1:1"};
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), node.begin(), node.end());
    return f.run(args);
  };
  const std::string to = "sc" + std::string(40, 'a');
  for (const char* amount : {"-5", "0", "abc", "1e3", "", "18446744073709551616"}) {
    CAPTURE(amount);
    CHECK(run({"transfer", "--from", "frank", "--to", to, "--amount", amount}).code == 2);
  }
  CHECK(run({"transfer", "--from", "frank", "--to", "not-an-address-or-key", "--amount", "5"}).code == 2);
  CHECK(run({"transfer", "--from", "ghost", "--to", to, "--amount", "5"}).code == 2);
  CHECK(run({"transfer", "--to", to, "--amount", "5"}).code == 2);  // --from is required
  CHECK(run({"issue", "--from", "frank", "--to", to, "--amount", "5"}).code == 2);  // --reference
  CHECK(run({"role", "grant", "--from", "frank", "--account", to, "--role", "king"}).code == 2);
  CHECK(run({"role", "grant", "--from", "frank", "--account", to, "--role", "attester"}).code == 2);
  CHECK(run({"tx", "abcd"}).code == 2);
  CHECK(run({"block", "tip"}).code == 2);
  CHECK(run({"account", "nobody"}).code == 2);
  // A checksummed address with one character changed is refused, saying why, before the network.
  {
    std::string typo = crypto::format_address(std::string(20, '\x5a'));
    typo[12] = typo[12] == 'q' ? 'p' : 'q';
    Run r = run({"transfer", "--from", "frank", "--to", typo, "--amount", "5"});
    CHECK(r.code == 2);
    CHECK(r.err.find("checksum does not match, so a character is mistyped") != std::string::npos);
    r = run({"account", typo.substr(0, 40)});
    CHECK(r.code == 2);
    CHECK(r.err.find("it has 40 characters; an address has 41") != std::string::npos);
  }
  CHECK(f.run({"--node", "no-port", "status"}).code == 2);
  CHECK(f.run({"--node", "127.0.0.1:70000", "status"}).code == 2);
  CHECK(f.run({"no-such-command"}).code == 2);
  CHECK(f.run({}).code == 2);
  CHECK(f.run({"--help"}).code == 0);
}

TEST_CASE("contract commands check their arguments before any network call", "[wallet]") {
  Fixture f;
  REQUIRE(f.run({"keys", "new", "hana", "--light"}).code == 0);
  auto run = [&](std::vector<std::string> args) {
    std::vector<std::string> all = {"--node", "127.0.0.1:1"};  // nothing listens: 3 if reached
    all.insert(all.end(), args.begin(), args.end());
    return f.run(all).code;
  };
  const std::string id(32, 'a');
  const std::string key = "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";  // the secp256k1 generator's x
  const std::vector<std::vector<std::string>> bad = {
      {"asset", "show", "abc"},
      {"asset", "history", id + "00"},
      {"asset", "register", "--from", "hana", "--kind", "castle", "--name", "x", "--investment-cost", "5"},
      {"asset", "register", "--from", "hana", "--name", "x"},
      {"asset", "register", "--from", "hana", "--kind", "station", "--name", "x", "--investment-cost", "5",
       "--equipment", "lift"},
      {"asset", "verify", "--from", "hana", "--asset", id, "--proof-hash", "1234"},
      {"asset", "transfer", "--from", "hana", "--asset", id, "--to", "nobody"},
      {"asset", "list", "--owner", "nobody"},
      {"agreement", "propose", "--from", "hana", "--asset", id, "--item", "a:b:c:minute:1"},
      {"agreement", "propose", "--from", "hana", "--asset", id, "--item", "a:b:c:hourly:1", "--partner",
       "hana:10000"},
      {"agreement", "propose", "--from", "hana", "--asset", id, "--item", "a:b:c:minute:1", "--partner",
       "hana:10001"},
      {"agreement", "propose", "--from", "hana", "--asset", id, "--item", "a:b:c:minute:1", "--partner",
       "hana:10000", "--hours", "9-17"},
      {"agreement", "propose", "--from", "hana", "--asset", id, "--item", "a:b:c:minute:1", "--partner",
       "hana:10000", "--settlement", "weekly"},
      {"agreement", "confirm", "--from", "hana", "--agreement", "xyz"},
      {"agreement", "show", "xyz"},
      {"session", "reserve", "--from", "hana", "--agreement", id, "--start", "tomorrow", "--end", "1",
       "--item", "a"},
      {"session", "reserve", "--from", "hana", "--agreement", id, "--start", "2030-01-01T11:00Z", "--end",
       "2030-01-01T10:00Z", "--item", "a"},
      {"session", "access", "--from", "hana", "--reservation", id, "--mode", "turbo"},
      {"session", "end", "--from", "hana", "--session", id, "--kind", "sudden"},
      {"session", "end", "--from", "hana", "--session", id, "--minutes", "wash"},
      {"session", "end", "--from", "hana", "--session", id, "--minutes", "wash=5", "--used", "wash"},
      {"session", "pay", "--from", "hana", "--session", "1"},
      {"session", "record-payment", "--from", "hana", "--session", id, "--reference", "r", "--amount", "0"},
      {"session", "list", "--user", "nobody"},
      {"split", "propose", "--from", "hana", "--name", "m", "--party", "hana"},
      {"split", "propose", "--from", "hana", "--name", "m"},
      {"split", "route", "--from", "hana", "--model", id, "--amount", "-1"},
      {"split", "preview", "--amount", "100", "--shares", "50,x"},
      {"split", "score", "nobody"},
      {"role", "certify", "--from", "hana", "--account", "hana", "--qualification", "q", "--expires", "later"},
      {"role", "holders", "king"},
      {"ledger", "holds", "nobody"},
      {"finance", "offer", "--from", "hana", "--asset", id, "--amount-sought", "10", "--share-bps", "10001",
       "--deadline", "1000", "--term-ends", "2000"},
      {"finance", "offer", "--from", "hana", "--asset", id, "--amount-sought", "10", "--share-bps", "100",
       "--deadline", "2000", "--term-ends", "1000"},
      {"finance", "subscribe", "--from", "hana", "--financing", "xyz", "--amount", "5"},
      {"finance", "list"},
      {"finance", "list", "--asset", id, "--financier", "hana"},
      {"finance", "position", "--financing", id, "--financier", "nobody"},
      {"vehicle", "submit", "--from", "hana", "--vin", "1M8GDM9AXKP042788", "--kind", "ownership_transfer",
       "--summary", "s", "--evidence-hash", std::string(64, '0')},
      {"vehicle", "submit", "--from", "hana", "--vin", "1M8GDM9AXKP042788", "--kind", "accident", "--summary",
       "s", "--evidence-hash", "00"},
      {"vehicle", "submit", "--from", "hana", "--vin", "1M8GDM9AXKP042788", "--kind", "accident", "--summary",
       "s", "--evidence-hash", std::string(64, '0'), "--detail", "novalue"},
      {"vehicle", "endorse", "--from", "hana", "--record", id, "--verdict", "maybe"},
      {"vehicle", "offer-transfer", "--from", "hana", "--vin", "X", "--buyer", "nobody", "--evidence-hash",
       std::string(64, '0')},
      {"vehicle", "record", "12"},
      {"vehicle", "pending", "--after", "12"},
      {"governance", "propose", "add-validator", "--from", "hana", "--public-key", "abcd", "--peer-address",
       "10.0.0.9:26601"},
      {"governance", "propose", "add-validator", "--from", "hana", "--public-key", std::string(64, 'f'),
       "--peer-address", "10.0.0.9:26601"},  // not a point on the curve
      {"governance", "propose", "add-validator", "--from", "hana", "--public-key", key},
      {"governance", "propose", "rotate-key", "--from", "hana", "--public-key", key, "--new-public-key", "00"},
      {"governance", "propose", "set-parameter", "--from", "hana", "--name", "block_reward", "--value", "1"},
      {"governance", "propose", "set-parameter", "--from", "hana", "--name", "attestation_threshold",
       "--value", "-1"},
      {"governance", "propose", "set-committee", "--from", "hana", "--member", "nobody", "--threshold", "1"},
      {"governance", "propose", "grant-role", "--from", "hana", "--account", "hana", "--role", "king"},
      {"governance", "propose", "grant-role", "--from", "hana", "--account", "hana", "--role", "attester"},
      {"governance", "propose", "summon", "--from", "hana"},
      {"governance", "approve", "one", "--from", "hana"},
      {"governance", "approve", "0", "--from", "hana"},
      {"governance", "show", "x"},
  };
  for (const auto& args : bad) {
    CAPTURE(args);
    CHECK(run(args) == 2);
  }
  // Well-formed queries and actions do reach for the node.
  CHECK(run({"asset", "show", id}) == 3);
  CHECK(run({"split", "preview", "--amount", "100", "--shares", "5000,5000"}) == 3);
  CHECK(run({"ledger", "supply"}) == 3);
  CHECK(run({"vehicle", "report", "1m8gdm9axkp042788"}) == 3);
  CHECK(run({"finance", "project", "--financing", id, "--amount", "100"}) == 3);
  CHECK(run({"agreement", "confirm", "--from", "hana", "--agreement", id}) == 3);
  CHECK(run({"session", "end", "--from", "hana", "--session", id, "--minutes", "wash=5", "--energy-wh",
             "dc=1200"}) == 3);
  CHECK(run({"session", "end", "--from", "hana", "--session", id, "--used", "diagnostic"}) == 3);
  CHECK(run({"governance", "propose", "add-validator", "--from", "hana", "--public-key", key, "--peer-address",
             "10.0.0.9:26601"}) == 3);
  CHECK(run({"governance", "approve", "1", "--from", "hana"}) == 3);
  CHECK(run({"governance", "list", "--open"}) == 3);
  CHECK(run({"validators"}) == 3);
}

TEST_CASE("a node that is not there exits 3 and names the address", "[wallet]") {
  Fixture f;
  REQUIRE(f.run({"keys", "new", "gina", "--light"}).code == 0);
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"status"}, {"account", "gina"}, {"block", "latest"},
        {"tx", std::string(64, 'a')},
        {"transfer", "--from", "gina", "--to", "gina", "--amount", "5"}}) {
    CAPTURE(args);
    std::vector<std::string> all = {"--node", "127.0.0.1:1", "--timeout", "5"};
    all.insert(all.end(), args.begin(), args.end());
    const Run r = f.run(all);
    CHECK(r.code == 3);
    CHECK(r.err.find("cannot reach the node at 127.0.0.1:1") != std::string::npos);
    CHECK(r.out.empty());
  }
  // SHARECHAIN_NODE is the address when --node is absent.
  ScopedEnv node("SHARECHAIN_NODE", std::string("127.0.0.1:1"));
  const Run r = f.run({"status"});
  CHECK(r.code == 3);
  CHECK(r.err.find("127.0.0.1:1") != std::string::npos);
}
