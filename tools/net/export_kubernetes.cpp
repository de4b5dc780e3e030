// `sharechain-net export --format kubernetes`: the shared objects (sharechain.yaml), the
// genesis (genesis.yaml) and one file per validator (node<i>.yaml). deploy/kubernetes/ holds
// the shared file as a 4-node export writes it.
#include <string>

#include "tools/net/export_render.hpp"

namespace sharechain::net {
namespace {

// Where the pod finds things; the config names exactly these paths.
constexpr const char* kConfigDir = "/etc/sharechain/config";
constexpr const char* kGenesisDir = "/etc/sharechain/genesis";
constexpr const char* kSecretDir = "/etc/sharechain/secret";
constexpr const char* kKeysDir = "/run/sharechain/keys";
constexpr const char* kStateDir = "/var/lib/sharechain";

std::string resource(const ExportNode& n) { return "sharechain-node" + std::to_string(n.layout.index); }

// The stable name peers dial: <pod>.<headless service>, resolved through the namespace's
// search domain, so the manifests work in whichever namespace they are applied.
std::string pod_host(const ExportNode& n) { return resource(n) + "-0.sharechain"; }

std::string labels(const ExportNode& n) {
  return "{app.kubernetes.io/name: sharechain, app.kubernetes.io/instance: node" +
         std::to_string(n.layout.index) + "}";
}

std::string shared_objects(const ExportCluster& c) {
  // From the genesis validators only: a node added later may not vote yet, and counting it could
  // let more pods go at once than the voters tolerate.
  const std::uint32_t f = tolerated_faults(c.validators);
  const std::string api = std::to_string(kContainerApiPort);
  const std::string p2p = std::to_string(kContainerP2pPort);
  const std::string metrics = std::to_string(kContainerMetricsPort);
  std::string y;
  y += "# ShareChain validators on Kubernetes: the objects every validator shares. Written by\n"
       "# `sharechain-net export --format kubernetes`, which also writes genesis.yaml and one\n"
       "# node<i>.yaml per validator (its keys as a Secret, its config as a ConfigMap, its\n"
       "# StatefulSet). Apply the whole folder: kubectl apply -f OUTDIR/\n"
       "#\n"
       "# Validators dial each other at sharechain-node<i>-0.sharechain:" + p2p + ", the stable name this\n"
       "# headless Service gives each validator's pod. A validator is ready only once it hears from a\n"
       "# quorum of the others, so those names must resolve before any pod is ready:\n"
       "# publishNotReadyAddresses.\n"
       "apiVersion: v1\n"
       "kind: Service\n"
       "metadata:\n"
       "  name: sharechain\n"
       "  labels: {app.kubernetes.io/name: sharechain}\n"
       "spec:\n"
       "  clusterIP: None\n"
       "  publishNotReadyAddresses: true\n"
       "  selector: {app.kubernetes.io/name: sharechain}\n"
       "  ports:\n"
       "    - {name: api, port: " + api + "}\n"
       "    - {name: p2p, port: " + p2p + "}\n"
       "    - {name: metrics, port: " + metrics + "}\n"
       "---\n"
       "# Clients (wallet, data server) reach any ready validator; one that is catching up or out of\n"
       "# touch with a quorum refuses transactions, and its readiness probe keeps it out of here.\n"
       "apiVersion: v1\n"
       "kind: Service\n"
       "metadata:\n"
       "  name: sharechain-api\n"
       "  labels: {app.kubernetes.io/name: sharechain}\n"
       "spec:\n"
       "  selector: {app.kubernetes.io/name: sharechain}\n"
       "  ports:\n"
       "    - {name: api, port: " + api + ", targetPort: api}\n"
       "---\n"
       "# Drains and upgrades take down at most f = " + std::to_string(f) +
       " validator(s) at once (n = " + std::to_string(c.validators) + " tolerates\n"
       "# f = floor((n - 1) / 3)), so the others still form a quorum and the chain keeps going.\n"
       "apiVersion: policy/v1\n"
       "kind: PodDisruptionBudget\n"
       "metadata:\n"
       "  name: sharechain\n"
       "  labels: {app.kubernetes.io/name: sharechain}\n"
       "spec:\n"
       "  maxUnavailable: " + std::to_string(f) + "\n"
       "  selector:\n"
       "    matchLabels: {app.kubernetes.io/name: sharechain}\n";
  return y;
}

std::string genesis_object(const ExportCluster& c) {
  return "# The chain's genesis, byte for byte as `sharechain-net init` wrote it: its hash identifies\n"
         "# the chain, and every validator checks it against the one its data was created with.\n"
         "apiVersion: v1\n"
         "kind: ConfigMap\n"
         "metadata:\n"
         "  name: sharechain-genesis\n"
         "  labels: {app.kubernetes.io/name: sharechain}\n"
         "data:\n"
         "  genesis.json: " + yaml_text(c.genesis, 4);
}

Result<std::string> node_objects(const ExportCluster& c, const ExportNode& n, const ExportOptions& o) {
  const std::string name = resource(n);
  Placement p;
  p.key_file = std::string(kKeysDir) + "/node_key.json";
  p.genesis_file = std::string(kGenesisDir) + "/genesis.json";
  p.data_dir = std::string(kStateDir) + "/data";
  p.tls_ca = std::string(kKeysDir) + "/ca.pem";
  p.tls_cert = std::string(kKeysDir) + "/node.pem";
  p.tls_key = std::string(kKeysDir) + "/node.key";
  p.api_listen = "0.0.0.0:" + std::to_string(kContainerApiPort);
  p.p2p_listen = "0.0.0.0:" + std::to_string(kContainerP2pPort);
  p.metrics_listen = "0.0.0.0:" + std::to_string(kContainerMetricsPort);
  for (const ExportNode& other : c.nodes) {
    if (other.layout.index == n.layout.index) continue;
    p.peers.push_back(other.peer_id + "@" + pod_host(other) + ":" +
                      std::to_string(kContainerP2pPort));
  }
  Result<std::string> config = node_config(n, p);
  if (!config) return config.status();

  std::string secret_data = "  node_key.json: " + base64(n.key) + "\n";
  if (n.tls) {
    // Peers verify the name they dial, which here is the pod's DNS name.
    Result<Pem> cert = certificate_for(c, n, pod_host(n));
    if (!cert) return cert.status();
    secret_data += "  ca.pem: " + base64(c.tls_ca->certificate) + "\n";
    secret_data += "  node.pem: " + base64(cert->certificate) + "\n";
    secret_data += "  node.key: " + base64(cert->private_key) + "\n";
  }
  const std::string uid = std::to_string(kImageUid);
  const std::string image = yaml_quote(o.image);
  const std::string lbl = labels(n);
  std::string y;
  // With [metrics] tls the probes speak HTTPS (the kubelet does not check the certificate; it
  // only asks whether the node is alive and ready).
  const std::string scheme = n.ops_https ? ", scheme: HTTPS" : "";
  y += "# Validator " + n.layout.name + ". Written by `sharechain-net export --format kubernetes`.\n"
       "#\n"
       "# One StatefulSet per validator rather than one with a replica per validator: each validator\n"
       "# has a key and a config of its own (its peers are the others), while a StatefulSet gives\n"
       "# every replica the same pod template, so one shared StatefulSet would mount every\n"
       "# validator's key into every pod. With one replica each, a pod sees only its own Secret and\n"
       "# still keeps a stable name (" + name + "-0) and a volume of its own.\n"
       "apiVersion: v1\n"
       "kind: Secret\n"
       "metadata:\n"
       "  name: " + name + "-keys\n"
       "  labels: " + lbl + "\n"
       "type: Opaque\n"
       "data:\n" + secret_data +
       "---\n"
       "apiVersion: v1\n"
       "kind: ConfigMap\n"
       "metadata:\n"
       "  name: " + name + "-config\n"
       "  labels: " + lbl + "\n"
       "data:\n"
       "  config.toml: " + yaml_text(*config, 4) +
       "---\n"
       "apiVersion: apps/v1\n"
       "kind: StatefulSet\n"
       "metadata:\n"
       "  name: " + name + "\n"
       "  labels: " + lbl + "\n"
       "spec:\n"
       "  serviceName: sharechain\n"
       "  replicas: 1\n"
       "  selector:\n"
       "    matchLabels: " + lbl + "\n"
       "  template:\n"
       "    metadata:\n"
       "      labels: " + lbl + "\n"
       "      annotations:\n"
       "        prometheus.io/scrape: \"true\"\n"
       "        prometheus.io/port: \"" + std::to_string(kContainerMetricsPort) + "\"\n"
       "        prometheus.io/path: /metrics\n" +
       (n.ops_https ? "        prometheus.io/scheme: https\n" : "") +
       "    spec:\n"
       "      automountServiceAccountToken: false\n"
       "      enableServiceLinks: false\n"
       "      terminationGracePeriodSeconds: 30\n"
       "      securityContext:\n"
       "        runAsUser: " + uid + "\n"
       "        runAsGroup: " + uid + "\n"
       "        fsGroup: " + uid + "\n"
       "        seccompProfile: {type: RuntimeDefault}\n"
       "      initContainers:\n"
       "        # sharechaind refuses a key file its group or others can read, and a Secret volume\n"
       "        # lets the pod's fsGroup read its files; so the keys are copied into a memory-backed\n"
       "        # folder, owned by the daemon's user with mode 0600.\n"
       "        - name: keys\n"
       "          image: " + image + "\n"
       "          command: [\"/bin/sh\", \"-c\", \"install -m 0600 -o " + uid + " -g " + uid + " " + kSecretDir +
       "/* " + kKeysDir + "/\"]\n"
       "          securityContext:\n"
       "            runAsUser: 0\n"
       "            runAsNonRoot: false\n"
       "            allowPrivilegeEscalation: false\n"
       "            readOnlyRootFilesystem: true\n"
       "            capabilities: {drop: [ALL], add: [CHOWN]}\n"
       "          volumeMounts:\n"
       "            - {name: secret, mountPath: " + kSecretDir + ", readOnly: true}\n"
       "            - {name: keys, mountPath: " + kKeysDir + "}\n"
       "      containers:\n"
       "        - name: sharechaind\n"
       "          image: " + image + "\n"
       "          command: [\"/usr/local/bin/sharechaind\", \"--config\", \"" + kConfigDir + "/config.toml\"]\n"
       "          ports:\n"
       "            - {name: api, containerPort: " + std::to_string(kContainerApiPort) + "}\n"
       "            - {name: p2p, containerPort: " + std::to_string(kContainerP2pPort) + "}\n"
       "            - {name: metrics, containerPort: " + std::to_string(kContainerMetricsPort) + "}\n"
       "          # /healthz fails only when the node halted; /readyz also while it catches up or is\n"
       "          # out of touch with a quorum, which must not get it restarted. Opening a large\n"
       "          # database takes a while, hence the startup probe's patience.\n"
       "          startupProbe:\n"
       "            httpGet: {path: /healthz, port: metrics" + scheme + "}\n"
       "            periodSeconds: 5\n"
       "            failureThreshold: 60\n"
       "          livenessProbe:\n"
       "            httpGet: {path: /healthz, port: metrics" + scheme + "}\n"
       "            periodSeconds: 10\n"
       "            failureThreshold: 3\n"
       "          readinessProbe:\n"
       "            httpGet: {path: /readyz, port: metrics" + scheme + "}\n"
       "            periodSeconds: 5\n"
       "          securityContext:\n"
       "            runAsNonRoot: true\n"
       "            allowPrivilegeEscalation: false\n"
       "            readOnlyRootFilesystem: true\n"
       "            capabilities: {drop: [ALL]}\n"
       "          resources:\n"
       "            requests: {cpu: 500m, memory: 512Mi}\n"
       "          volumeMounts:\n"
       "            - {name: config, mountPath: " + kConfigDir + ", readOnly: true}\n"
       "            - {name: genesis, mountPath: " + kGenesisDir + ", readOnly: true}\n"
       "            - {name: keys, mountPath: " + kKeysDir + ", readOnly: true}\n"
       "            - {name: data, mountPath: " + kStateDir + "}\n"
       "      volumes:\n"
       "        - name: secret\n"
       "          secret: {secretName: " + name + "-keys, defaultMode: 0400}\n"
       "        - name: keys\n"
       "          emptyDir: {medium: Memory, sizeLimit: 1Mi}\n"
       "        - name: config\n"
       "          configMap: {name: " + name + "-config}\n"
       "        - name: genesis\n"
       "          configMap: {name: sharechain-genesis}\n"
       "  volumeClaimTemplates:\n"
       "    - metadata:\n"
       "        name: data\n"
       "      spec:\n"
       "        accessModes: [ReadWriteOnce]\n"
       "        resources:\n"
       "          requests: {storage: 20Gi}\n";
  return y;
}

}  // namespace

Rendered render_kubernetes(const ExportCluster& cluster, const ExportOptions& options) {
  std::vector<ExportedFile> files;
  files.push_back({"sharechain.yaml", shared_objects(cluster), 0644});
  files.push_back({"genesis.yaml", genesis_object(cluster), 0644});
  for (const ExportNode& n : cluster.nodes) {
    Result<std::string> text = node_objects(cluster, n, options);
    if (!text) return text.status();
    files.push_back({"node" + std::to_string(n.layout.index) + ".yaml", std::move(*text), 0600});
  }
  return files;
}

}  // namespace sharechain::net
