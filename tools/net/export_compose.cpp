// `sharechain-net export --format compose`: compose.yaml with one service per validator, and
// beside it the files the services mount: genesis.json, node<i>/config.toml, node<i>/keys/ and
// node<i>/data/ (the chain). `docker compose up -d` in that folder starts the cluster.
#include <unistd.h>

#include <string>

#include "tools/net/export_render.hpp"

namespace sharechain::net {
namespace {

constexpr const char* kConfig = "/etc/sharechain/config/config.toml";
constexpr const char* kGenesis = "/etc/sharechain/genesis/genesis.json";
constexpr const char* kKeysDir = "/etc/sharechain/keys";
constexpr const char* kDataDir = "/var/lib/sharechain/data";

std::string service(const ExportNode& n) { return "node" + std::to_string(n.layout.index); }

// The port of "host:port" (the host may be an IPv6 address in brackets).
std::string port_of(const std::string& address) { return address.substr(address.rfind(':') + 1); }

std::string env_file() {
  return "# The user and group the validators run as: the owner of this folder, so that each one can\n"
         "# read its key (mode 0600) and write its data folder.\n"
         "SHARECHAIN_UID=" + std::to_string(::getuid()) + "\n" +
         "SHARECHAIN_GID=" + std::to_string(::getgid()) + "\n";
}

std::string service_block(const ExportNode& n, const ExportOptions& o) {
  const std::string s = service(n);
  const std::string metrics = std::to_string(kContainerMetricsPort);
  // The health check needs no HTTP client in the image: bash's /dev/tcp sends the request. An
  // operations port that speaks HTTPS is beyond bash, so that node is asked over its client API
  // by the image's own CLI instead (a halted node exits, so an answer means alive there too).
  const std::string probe =
      n.ops_https ? "exec /usr/local/bin/sharechain status --node 127.0.0.1:" + std::to_string(kContainerApiPort) +
                        " > /dev/null"
                  : "exec 3<>/dev/tcp/127.0.0.1/" + metrics +
                        " && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '";
  return "  " + s + ":\n"
         "    image: " + yaml_quote(o.image) + "\n"
         "    entrypoint: [\"/usr/local/bin/sharechaind\", \"--config\", \"" + kConfig + "\"]\n"
         "    user: \"${SHARECHAIN_UID}:${SHARECHAIN_GID}\"\n"
         "    # A halt (state divergence, a failed disk) exits 1 like a crash does; a few tries, not a\n"
         "    # loop, so a halted validator stays down for its operator to look at.\n"
         "    restart: on-failure:3\n"
         "    stop_grace_period: 30s\n"
         "    read_only: true\n"
         "    cap_drop: [ALL]\n"
         "    security_opt: [\"no-new-privileges:true\"]\n"
         "    # On this host, the ports the node had in the local cluster (loopback only).\n"
         "    ports:\n"
         "      - \"127.0.0.1:" + port_of(n.layout.api_address) + ":" + std::to_string(kContainerApiPort) + "\"\n"
         "      - \"127.0.0.1:" + port_of(n.layout.metrics_address) + ":" + metrics + "\"\n"
         "    volumes:\n"
         "      - ./" + s + "/config.toml:" + kConfig + ":ro\n"
         "      - ./" + s + "/keys:" + kKeysDir + ":ro\n"
         "      - ./genesis.json:" + kGenesis + ":ro\n"
         "      - ./" + s + "/data:" + kDataDir + "\n"
         "    healthcheck:\n"
         "      test: [\"CMD\", \"bash\", \"-c\", " + yaml_quote(probe) + "]\n"
         "      interval: 10s\n"
         "      timeout: 3s\n"
         "      retries: 3\n"
         "      start_period: 60s\n";
}

}  // namespace

Rendered render_compose(const ExportCluster& cluster, const ExportOptions& options) {
  std::string yaml =
      "# ShareChain validators as a compose project. Written by `sharechain-net export --format\n"
      "# compose`; start them from this folder with `docker compose up -d`.\n"
      "#\n"
      "# Validators dial each other by service name on the project's network. Each one's chain is\n"
      "# in ./node<i>/data, a folder of the user in .env rather than a named volume: a new named\n"
      "# volume belongs to root, and the validators run as that user so that they can read their\n"
      "# keys, which sharechaind requires to be readable by their owner alone.\n"
      "services:\n";
  std::vector<ExportedFile> files;
  for (const ExportNode& n : cluster.nodes) {
    const std::string s = service(n);
    Placement p;
    p.key_file = std::string(kKeysDir) + "/node_key.json";
    p.genesis_file = kGenesis;
    p.data_dir = kDataDir;
    p.tls_ca = std::string(kKeysDir) + "/ca.pem";
    p.tls_cert = std::string(kKeysDir) + "/node.pem";
    p.tls_key = std::string(kKeysDir) + "/node.key";
    p.api_listen = "0.0.0.0:" + std::to_string(kContainerApiPort);
    p.p2p_listen = "0.0.0.0:" + std::to_string(kContainerP2pPort);
    p.metrics_listen = "0.0.0.0:" + std::to_string(kContainerMetricsPort);
    for (const ExportNode& other : cluster.nodes) {
      if (other.layout.index != n.layout.index) {
        p.peers.push_back(other.peer_id + "@" + service(other) + ":" +
                          std::to_string(kContainerP2pPort));
      }
    }
    Result<std::string> config = node_config(n, p);
    if (!config) return config.status();
    files.push_back({s + "/config.toml", std::move(*config), 0644});
    files.push_back({s + "/keys/node_key.json", n.key, 0600});
    if (n.tls) {
      // Peers verify the name they dial: the service name.
      Result<Pem> cert = certificate_for(cluster, n, s);
      if (!cert) return cert.status();
      files.push_back({s + "/keys/ca.pem", cluster.tls_ca->certificate, 0644});
      files.push_back({s + "/keys/node.pem", cert->certificate, 0644});
      files.push_back({s + "/keys/node.key", cert->private_key, 0600});
    }
    files.push_back({s + "/data", "", 0700, true});
    yaml += service_block(n, options);
  }
  files.insert(files.begin(), {{"compose.yaml", yaml, 0644}, {".env", env_file(), 0644}, {"genesis.json", cluster.genesis, 0644}});
  return files;
}

}  // namespace sharechain::net
