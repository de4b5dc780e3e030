// The operations port over HTTPS ([metrics] tls), with certificates made as `sharechain-net init
// --tls` makes them, read by the tools' HTTP client (what `sharechain doctor` and
// `sharechain-net status` use). Ports 39900-39903 on loopback.
//   - with the cluster's CA, /healthz and /metrics answer over TLS
//   - a plain HTTP request gets a 400 that names HTTPS, not a closed connection
//   - a CA that did not sign the node's certificate is refused, with the reason
//   - a certificate or key that cannot be read stops start() with the file named
//   - a client that connects and sends nothing does not hold up the next one
//   - a port that takes the connection and never answers the handshake is "no answer within"
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>

#include "node/metrics.hpp"
#include "tools/common/http_get.hpp"
#include "tools/net/tls.hpp"

using namespace sharechain;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

struct Files {
  fs::path dir;
  Files() {
    std::string tmpl = (fs::temp_directory_path() / "sc-ops-https-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    dir = tmpl;
  }
  ~Files() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  fs::path write(const std::string& name, const std::string& text) const {
    std::ofstream(dir / name) << text;
    return dir / name;
  }
};

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  return addr;
}

struct Served {
  node::Metrics metrics;
  node::OpsServer server;
  explicit Served(node::OpsOptions o)
      : server(metrics, [] { return Status::ok(); }, [] { return Status::ok(); }, std::move(o)) {}
};

}  // namespace

TEST_CASE("the operations port serves HTTPS with the node's certificate", "[ops][tls]") {
  Files files;
  auto ca = net::make_ca("test cluster CA");
  REQUIRE(ca.is_ok());
  auto cert = net::make_node_certificate(*ca, "node0", "127.0.0.1");
  REQUIRE(cert.is_ok());
  const fs::path ca_file = files.write("ca.pem", ca->certificate);
  node::OpsOptions options;
  options.version_json = R"({"node":"node0"})";
  options.tls_cert = files.write("node.pem", cert->certificate);
  options.tls_key = files.write("node.key", cert->private_key);
  // Fixed ports lie in Linux's ephemeral range, where a concurrent test's outgoing connection may
  // hold one for a moment: take 39900, or 39903 if that is taken (39901 serves the case
  // below). A server that failed to start is not started again: a fresh one tries.
  std::optional<Served> served;
  std::uint16_t port = 0;
  for (const std::uint16_t p : {std::uint16_t{39900}, std::uint16_t{39903}}) {
    if (port != 0) break;
    served.emplace(options);
    if (served->server.start("127.0.0.1:" + std::to_string(p)).is_ok()) port = p;
  }
  REQUIRE(port != 0);
  served->metrics.counter("sharechain_test_total", "a counter for this test").Increment(3);
  const std::string at = "127.0.0.1:" + std::to_string(port);

  SECTION("the cluster's CA reads health and metrics") {
    auto health = tools::http_get(at, "/healthz", 3000ms, ca_file);
    INFO((health ? std::string() : health.failure().message));
    REQUIRE(health);
    CHECK(health->status == 200);
    CHECK_THAT(health->body, Catch::Contains("\"status\":\"ok\""));
    auto metrics = tools::http_get("localhost:" + std::to_string(port), "/metrics", 3000ms, ca_file);
    REQUIRE(metrics);
    CHECK_THAT(metrics->body, Catch::Contains("sharechain_test_total 3"));
  }

  SECTION("plain HTTP is told to use HTTPS") {
    auto plain = tools::http_get(at, "/metrics", 3000ms);
    REQUIRE(plain);
    CHECK(plain->status == 400);
    CHECK_THAT(plain->body, Catch::StartsWith("this operations port serves HTTPS only") &&
                                Catch::Contains("https://" + at + "/metrics"));
  }

  SECTION("another CA's trust is refused") {
    auto stranger = net::make_ca("stranger CA");
    REQUIRE(stranger.is_ok());
    auto r = tools::http_get(at, "/healthz", 3000ms, files.write("stranger.pem", stranger->certificate));
    REQUIRE_FALSE(r);
    CHECK_THAT(r.failure().message, Catch::Contains("TLS with https://" + at + "/healthz failed") &&
                                        Catch::Contains("certificate verify failed"));
  }

  SECTION("a silent client does not block the next") {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    const sockaddr_in addr = loopback(port);
    REQUIRE(::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
    auto health = tools::http_get(at, "/healthz", 3000ms, ca_file);
    ::close(fd);
    REQUIRE(health);
    CHECK(health->status == 200);
  }

  SECTION("a port that accepts and never answers the handshake runs out of time") {
    // A listener nobody serves: the kernel completes the connection, no TLS ever answers.
    // Port 0: the kernel picks a free one (a fixed port in the ephemeral range can be any other
    // test's outgoing connection at that moment).
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr = loopback(0);
    REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd, 4) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    const std::string silent = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
    auto r = tools::http_get(silent, "/healthz", 300ms, ca_file);
    ::close(fd);
    REQUIRE_FALSE(r);
    CHECK_THAT(r.failure().message, Catch::Contains("no answer from https://" + silent + "/healthz within 300 ms"));
  }

  SECTION("a CA file that is not there is a usage error") {
    auto r = tools::http_get(at, "/healthz", 3000ms, files.dir / "absent.pem");
    REQUIRE_FALSE(r);
    CHECK_THAT(r.failure().message, Catch::Contains("absent.pem"));
  }
}

TEST_CASE("an operations port whose certificate cannot be read does not start", "[ops][tls]") {
  Files files;
  node::OpsOptions options;
  options.tls_cert = files.dir / "missing.pem";
  options.tls_key = files.dir / "missing.key";
  Served served(options);
  const Status s = served.server.start("127.0.0.1:39901");
  REQUIRE_FALSE(s.is_ok());
  CHECK(s.code() == Code::kInvalidArgument);
  CHECK_THAT(s.message(), Catch::Contains("missing.pem"));
  // Nothing listens: a plain client finds the port closed.
  CHECK_FALSE(tools::http_get("127.0.0.1:39901", "/healthz", 1000ms));
}
