// `sharechain-net export --format systemd`: a template unit and, mirroring the target's file
// system, each node's files where the unit looks for them, plus install.sh, which puts the
// files of the nodes a host runs in place with the owners and modes the daemon expects.
// deploy/systemd/sharechaind.service is the unit as written with the default --bin.
//
// Install layout:
//   /etc/systemd/system/sharechaind@.service
//   /etc/sharechain/genesis.json
//   /etc/sharechain/node<i>/config.toml, node_key.json (sharechain, 0600), tls/ (with --tls)
//   /var/lib/sharechain/node<i>/      the chain (created by systemd: StateDirectory=)
#include <string>

#include "tools/net/export_render.hpp"

namespace sharechain::net {
namespace {

constexpr const char* kEtc = "/etc/sharechain";
constexpr const char* kState = "/var/lib/sharechain";

std::string unit(const ExportOptions& o) {
  return "# One ShareChain validator per instance: sharechaind@node0.service runs the node whose files\n"
         "# are in /etc/sharechain/node0 and keeps its chain in /var/lib/sharechain/node0. Written by\n"
         "# `sharechain-net export --format systemd`, whose install.sh puts a node's files in place:\n"
         "#   sudo ./install.sh node0 && sudo systemctl enable --now sharechaind@node0\n"
         "[Unit]\n"
         "Description=ShareChain validator %i\n"
         "Documentation=file:///usr/share/doc/sharechain/operations.md\n"
         "After=network-online.target\n"
         "Wants=network-online.target\n"
         "ConditionPathExists=/etc/sharechain/%i/config.toml\n"
         "\n"
         "[Service]\n"
         "Type=simple\n"
         "User=sharechain\n"
         "Group=sharechain\n"
         "ExecStart=" + o.bin + " --config /etc/sharechain/%i/config.toml\n"
         "# Created by systemd, owned by User=, and the only place the daemon may write.\n"
         "StateDirectory=sharechain/%i\n"
         "StateDirectoryMode=0700\n"
         "WorkingDirectory=/var/lib/sharechain/%i\n"
         "UMask=0077\n"
         "# SIGTERM stops the node cleanly; a halt (state divergence, a failed disk) exits 1 and must\n"
         "# not be restarted blindly, so only restart after crashes and signals.\n"
         "KillSignal=SIGTERM\n"
         "TimeoutStopSec=30\n"
         "Restart=on-abnormal\n"
         "RestartSec=2\n"
         "LimitNOFILE=65536\n"
         "# The daemon reads its config and keys, writes its state folder and speaks TCP; nothing else.\n"
         "NoNewPrivileges=yes\n"
         "CapabilityBoundingSet=\n"
         "AmbientCapabilities=\n"
         "ProtectSystem=strict\n"
         "ProtectHome=yes\n"
         "PrivateTmp=yes\n"
         "PrivateDevices=yes\n"
         "ProtectKernelTunables=yes\n"
         "ProtectKernelModules=yes\n"
         "ProtectKernelLogs=yes\n"
         "ProtectControlGroups=yes\n"
         "ProtectClock=yes\n"
         "ProtectHostname=yes\n"
         "ProtectProc=invisible\n"
         "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX\n"
         "RestrictNamespaces=yes\n"
         "RestrictRealtime=yes\n"
         "RestrictSUIDSGID=yes\n"
         "LockPersonality=yes\n"
         "MemoryDenyWriteExecute=yes\n"
         "RemoveIPC=yes\n"
         "SystemCallArchitectures=native\n"
         "# A call outside the set fails with EPERM rather than killing a validator mid-commit.\n"
         "SystemCallFilter=@system-service\n"
         "SystemCallErrorNumber=EPERM\n"
         "\n"
         "[Install]\n"
         "WantedBy=multi-user.target\n";
}

std::string install_script(const ExportCluster& c) {
  std::string nodes;
  for (const ExportNode& n : c.nodes) nodes += (nodes.empty() ? "" : " ") + ("node" + std::to_string(n.layout.index));
  return "#!/bin/sh\n"
         "# Installs validators of this export on this host, with the owners and modes sharechaind\n"
         "# expects (it refuses a key file its group or others can read). Run as root, naming the\n"
         "# nodes this host runs:\n"
         "#   ./install.sh node0            (one validator per host)\n"
         "#   ./install.sh " + nodes + "   (the whole cluster on one host)\n"
         "# then: systemctl enable --now sharechaind@node0 ...\n"
         "# Each host needs only its own nodes' folders; the other keys need not leave this machine.\n"
         "set -eu\n"
         "here=$(cd \"$(dirname \"$0\")\" && pwd)\n"
         "nodes=" + shell_quote(nodes) + "\n"
         "if [ \"$#\" -eq 0 ]; then\n"
         "  echo \"usage: $0 NODE... (nodes of this export: $nodes)\" >&2\n"
         "  exit 2\n"
         "fi\n"
         "for n in \"$@\"; do\n"
         "  case \"$n\" in */*|.*|'') echo \"install.sh: '$n' is not a node name\" >&2; exit 2 ;; esac\n"
         "  if [ ! -f \"$here/etc/sharechain/$n/config.toml\" ]; then\n"
         "    echo \"install.sh: no node '$n' in this export (nodes: $nodes)\" >&2\n"
         "    exit 2\n"
         "  fi\n"
         "done\n"
         "if ! getent passwd sharechain >/dev/null; then\n"
         "  useradd --system --user-group --home-dir " + std::string(kState) +
         " --no-create-home --shell /usr/sbin/nologin sharechain\n"
         "fi\n"
         "install -d -m 0755 " + kEtc + "\n"
         "install -m 0644 \"$here/etc/sharechain/genesis.json\" " + kEtc + "/genesis.json\n"
         "install -m 0644 \"$here/etc/systemd/system/sharechaind@.service\" /etc/systemd/system/sharechaind@.service\n"
         "for n in \"$@\"; do\n"
         "  src=\"$here/etc/sharechain/$n\"\n"
         "  dst=" + kEtc + "/$n\n"
         "  install -d -m 0750 -o root -g sharechain \"$dst\"\n"
         "  install -m 0640 -o root -g sharechain \"$src/config.toml\" \"$dst/config.toml\"\n"
         "  install -m 0600 -o sharechain -g sharechain \"$src/node_key.json\" \"$dst/node_key.json\"\n"
         "  if [ -d \"$src/tls\" ]; then\n"
         "    install -d -m 0750 -o root -g sharechain \"$dst/tls\"\n"
         "    install -m 0644 \"$src/tls/ca.pem\" \"$src/tls/node.pem\" \"$dst/tls/\"\n"
         "    install -m 0600 -o sharechain -g sharechain \"$src/tls/node.key\" \"$dst/tls/node.key\"\n"
         "  fi\n"
         "  echo \"installed $n: $dst; start it with: systemctl enable --now sharechaind@$n\"\n"
         "done\n"
         "if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi\n";
}

}  // namespace

Rendered render_systemd(const ExportCluster& cluster, const ExportOptions& options) {
  std::vector<ExportedFile> files;
  files.push_back({"install.sh", install_script(cluster), 0755});
  files.push_back({"etc/systemd/system/sharechaind@.service", unit(options), 0644});
  files.push_back({"etc/sharechain/genesis.json", cluster.genesis, 0644});
  for (const ExportNode& n : cluster.nodes) {
    const std::string name = "node" + std::to_string(n.layout.index);
    const std::string etc = std::string(kEtc) + "/" + name;
    // The hosts and ports stay those of the cluster: `init --hosts` already gave each node the
    // address it binds on its host, and the certificates name them.
    Placement p;
    p.key_file = etc + "/node_key.json";
    p.genesis_file = std::string(kEtc) + "/genesis.json";
    p.data_dir = std::string(kState) + "/" + name;
    p.tls_ca = etc + "/tls/ca.pem";
    p.tls_cert = etc + "/tls/node.pem";
    p.tls_key = etc + "/tls/node.key";
    p.api_listen = n.layout.api_address;
    p.p2p_listen = n.layout.p2p_address;
    p.metrics_listen = n.layout.metrics_address;
    for (const ExportNode& other : cluster.nodes) {
      if (other.layout.index != n.layout.index) {
        p.peers.push_back(other.peer_id + "@" + other.layout.p2p_address);
      }
    }
    Result<std::string> config = node_config(n, p);
    if (!config) return config.status();
    const std::string dir = "etc/sharechain/" + name;
    files.push_back({dir + "/config.toml", std::move(*config), 0644});
    files.push_back({dir + "/node_key.json", n.key, 0600});
    if (n.tls) {
      files.push_back({dir + "/tls/ca.pem", cluster.tls_ca->certificate, 0644});
      files.push_back({dir + "/tls/node.pem", n.tls->certificate, 0644});
      files.push_back({dir + "/tls/node.key", n.tls->private_key, 0600});
    }
  }
  return files;
}

}  // namespace sharechain::net
