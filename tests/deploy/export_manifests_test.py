#!/usr/bin/env python3
"""What `sharechain-net export` writes, read the way the deployment tools read it.

Runs the built sharechain-net on a 4-node cluster with TLS (made by `init` in a temporary folder)
and checks:
  kubernetes  every file parses as YAML; the headless Service has publishNotReadyAddresses and
              selects the pods; each node's Secret carries that node's key bytes and a TLS
              certificate naming the pod's DNS name, signed by the cluster CA; its config's
              peers are the other pods' DNS names; every path its config names lies under one of
              the container's volume mounts, and each mount's volume exists; liveness probes
              /healthz and readiness /readyz on the metrics port the config listens on; the
              genesis ConfigMap is genesis.json byte for byte; no file holds the CA's key;
              deploy/kubernetes/sharechain.yaml is what a 4-node export writes; `kubectl
              kustomize` reads every object (only when kubectl is installed)
  systemd     `systemd-analyze verify` accepts the unit for each node (skipped with a notice when
              systemd-analyze is absent); the configs name the paths install.sh installs to;
              install.sh is valid sh and refuses a node the export lacks; the unit with the
              default --bin is deploy/systemd/sharechaind.service
  compose     the YAML parses; each service mounts its config where its entrypoint looks and
              every path the config names; the published ports are the cluster's; `docker
              compose config` accepts it (only when docker compose is installed)
  refusals    an unknown format and a missing cluster folder exit 2 with a message naming them
Usage: export_manifests_test.py BUILD_DIR SOURCE_DIR
"""
import base64
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib

try:
    import yaml
except ImportError:
    print("notice: python3-yaml is not installed (scripts/install-deps.sh installs it); skipped")
    sys.exit(77)

BUILD, SOURCE = sys.argv[1], sys.argv[2]
NET = os.path.join(BUILD, "tools", "net", "sharechain-net")
DAEMON = os.path.join(BUILD, "node", "sharechaind")
NODES = 4
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print("FAIL:", what)


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=60, **kw)


def net(*args):
    r = run([NET, *args])
    if r.returncode != 0:
        sys.exit(f"sharechain-net {' '.join(args)} exited {r.returncode}: {r.stderr}")
    return r


def read(path, mode="r"):
    with open(path, mode) as f:
        return f.read()


def under(path, mounts):
    return any(path == m or path.startswith(m.rstrip("/") + "/") for m in mounts)


def config_paths(config):
    paths = [config["node"]["key_file"], config["node"]["genesis_file"], config["node"]["data_dir"]]
    if config["p2p"].get("tls"):
        paths += [config["p2p"]["tls_ca"], config["p2p"]["tls_cert"], config["p2p"]["tls_key"]]
    return paths


def cert_names(pem):
    r = run(["openssl", "x509", "-noout", "-ext", "subjectAltName"], input=pem)
    return r.stdout


def cert_signed_by(pem, ca_file, tmp):
    cert = os.path.join(tmp, "cert.pem")
    with open(cert, "w") as f:
        f.write(pem)
    return run(["openssl", "verify", "-CAfile", ca_file, cert]).returncode == 0


def check_kubernetes(cluster, out, tmp):
    ca_key = read(os.path.join(cluster, "tls", "ca.key"))
    docs = {}
    for name in sorted(os.listdir(out)):
        if not name.endswith(".yaml"):
            continue
        text = read(os.path.join(out, name))
        check(ca_key.strip() not in text, f"{name} holds the CA key")
        for d in yaml.safe_load_all(text):
            docs[(d["kind"], d["metadata"]["name"])] = d
    headless = docs[("Service", "sharechain")]
    check(headless["spec"].get("clusterIP") == "None", "the peer Service is not headless")
    check(headless["spec"].get("publishNotReadyAddresses") is True, "publishNotReadyAddresses is not true")
    check(("Service", "sharechain-api") in docs, "no client Service")
    check(docs[("PodDisruptionBudget", "sharechain")]["spec"]["maxUnavailable"] == 1,
          "4 validators tolerate 1 fault, so 1 may be down")
    genesis = docs[("ConfigMap", "sharechain-genesis")]["data"]["genesis.json"]
    check(genesis == read(os.path.join(cluster, "genesis.json")), "the genesis ConfigMap differs from genesis.json")

    for i in range(NODES):
        name = f"sharechain-node{i}"
        sts = docs[("StatefulSet", name)]
        secret = docs[("Secret", f"{name}-keys")]["data"]
        config_text = docs[("ConfigMap", f"{name}-config")]["data"]["config.toml"]
        config = tomllib.loads(config_text)
        key = read(os.path.join(cluster, f"node{i}", "node_key.json"), "rb")
        check(base64.b64decode(secret["node_key.json"]) == key, f"{name}'s Secret does not hold node{i}'s key")
        dns = f"{name}-0.sharechain"
        cert = base64.b64decode(secret["node.pem"]).decode()
        check(f"DNS:{dns}" in cert_names(cert), f"{name}'s certificate does not name {dns}")
        check(cert_signed_by(cert, os.path.join(cluster, "tls", "ca.pem"), tmp),
              f"{name}'s certificate is not signed by the cluster CA")
        expected_peers = sorted(f"{j}@sharechain-node{j}-0.sharechain:26601" for j in range(NODES) if j != i)
        check(sorted(config["p2p"]["peers"]) == expected_peers, f"{name}'s peers are {config['p2p']['peers']}")

        spec = sts["spec"]
        check(spec["serviceName"] == "sharechain" and spec["replicas"] == 1, f"{name}: serviceName/replicas")
        pod_labels = spec["template"]["metadata"]["labels"]
        check(all(pod_labels.get(k) == v for k, v in headless["spec"]["selector"].items()),
              f"{name}'s pods are not selected by the headless Service")
        pod = spec["template"]["spec"]
        daemon = next(c for c in pod["containers"] if c["name"] == "sharechaind")
        volumes = {v["name"] for v in pod["volumes"]} | {t["metadata"]["name"] for t in spec["volumeClaimTemplates"]}
        mounts = {}
        for c in pod["containers"] + pod.get("initContainers", []):
            for m in c["volumeMounts"]:
                check(m["name"] in volumes, f"{name}: {c['name']} mounts an undefined volume {m['name']}")
        for m in daemon["volumeMounts"]:
            mounts[m["mountPath"]] = m["name"]
        config_arg = daemon["command"][daemon["command"].index("--config") + 1]
        check(under(config_arg, mounts), f"{name}: --config {config_arg} is not under a mount")
        for p in config_paths(config):
            check(under(p, mounts), f"{name}: the config names {p}, under no volume mount")
        metrics_port = int(config["metrics"]["listen"].rsplit(":", 1)[1])
        ports = {p["name"]: p["containerPort"] for p in daemon["ports"]}
        check(ports.get("metrics") == metrics_port, f"{name}: metrics port {ports.get('metrics')} vs config {metrics_port}")
        check(ports.get("api") == int(config["api"]["listen"].rsplit(":", 1)[1]), f"{name}: api port")
        live, ready = daemon["livenessProbe"]["httpGet"], daemon["readinessProbe"]["httpGet"]
        check(live["path"] == "/healthz" and live["port"] == "metrics", f"{name}: liveness probe {live}")
        check(ready["path"] == "/readyz" and ready["port"] == "metrics", f"{name}: readiness probe {ready}")

    committed = read(os.path.join(SOURCE, "deploy", "kubernetes", "sharechain.yaml"))
    check(committed == read(os.path.join(out, "sharechain.yaml")),
          "deploy/kubernetes/sharechain.yaml differs from what a 4-node export writes")

    kubectl = shutil.which("kubectl")
    if kubectl:
        # `kubectl apply --dry-run=client` still asks a server for its API groups; kustomize
        # reads the objects offline, as kubectl would.
        kz = os.path.join(tmp, "kustomize")
        shutil.copytree(out, kz, ignore=shutil.ignore_patterns(".*"))
        files = sorted(f for f in os.listdir(kz) if f.endswith(".yaml"))
        with open(os.path.join(kz, "kustomization.yaml"), "w") as f:
            f.write("resources:\n" + "".join(f"- {name}\n" for name in files))
        r = run([kubectl, "kustomize", kz])
        check(r.returncode == 0, f"kubectl kustomize: {r.stderr}")
        kinds = sorted(d["kind"] for d in yaml.safe_load_all(r.stdout) if d)
        check(kinds.count("StatefulSet") == NODES and kinds.count("Secret") == NODES and len(kinds) == 3 + 1 + 3 * NODES,
              f"kubectl kustomize read {kinds}")
    else:
        print("notice: kubectl is not installed; manifests checked by parsing only")


def check_systemd(cluster, out, default_out):
    unit = os.path.join(out, "etc", "systemd", "system", "sharechaind@.service")
    analyze = shutil.which("systemd-analyze")
    for i in range(NODES):
        etc = os.path.join(out, "etc", "sharechain", f"node{i}")
        config = tomllib.loads(read(os.path.join(etc, "config.toml")))
        for p in config_paths(config):
            check(p.startswith(f"/etc/sharechain/node{i}/") or p in ("/etc/sharechain/genesis.json", f"/var/lib/sharechain/node{i}"),
                  f"node{i}'s config names {p}, outside the install layout")
            if p.startswith("/etc/"):
                check(os.path.exists(os.path.join(out, p.lstrip("/"))), f"node{i}'s config names {p}, which the export lacks")
        if analyze:
            # The instance is verified through the template next to it.
            r = run([analyze, "verify", os.path.join(os.path.dirname(unit), f"sharechaind@node{i}.service")])
            check(r.returncode == 0 and r.stderr.strip() == "", f"systemd-analyze verify node{i}: {r.stderr}")
    if not analyze:
        print("notice: systemd-analyze is not installed; units not verified")
    install = os.path.join(out, "install.sh")
    check(run(["sh", "-n", install]).returncode == 0, "install.sh is not valid sh")
    r = run(["sh", install, "node9"])
    check(r.returncode == 2 and "no node 'node9'" in r.stderr, f"install.sh node9: {r.returncode} {r.stderr}")
    r = run(["sh", install])
    check(r.returncode == 2 and "usage" in r.stderr, f"install.sh without nodes: {r.returncode} {r.stderr}")
    committed = read(os.path.join(SOURCE, "deploy", "systemd", "sharechaind.service"))
    check(committed == read(os.path.join(default_out, "etc", "systemd", "system", "sharechaind@.service")),
          "deploy/systemd/sharechaind.service differs from the unit export writes")


def check_compose(cluster, out):
    doc = yaml.safe_load(read(os.path.join(out, "compose.yaml")))
    services = doc["services"]
    check(sorted(services) == [f"node{i}" for i in range(NODES)], f"services: {sorted(services)}")
    for i in range(NODES):
        s = services[f"node{i}"]
        config = tomllib.loads(read(os.path.join(out, f"node{i}", "config.toml")))
        mounts = {}
        for v in s["volumes"]:
            source, target = v.split(":")[:2]
            mounts[target] = source
            check(os.path.exists(os.path.join(out, source)), f"node{i} mounts {source}, which the export lacks")
        config_arg = s["entrypoint"][s["entrypoint"].index("--config") + 1]
        check(mounts.get(config_arg) == f"./node{i}/config.toml", f"node{i}: --config {config_arg} is not its config")
        for p in config_paths(config):
            check(under(p, mounts), f"node{i}: the config names {p}, under no mount")
        expected_peers = sorted(f"{j}@node{j}:26601" for j in range(NODES) if j != i)
        check(sorted(config["p2p"]["peers"]) == expected_peers, f"node{i}'s peers are {config['p2p']['peers']}")
        src = tomllib.loads(read(os.path.join(cluster, f"node{i}", "config.toml")))
        api_port = src["api"]["listen"].rsplit(":", 1)[1]
        check(f"127.0.0.1:{api_port}:26600" in s["ports"], f"node{i}'s API is not published on {api_port}")
    env = read(os.path.join(out, ".env"))
    check(f"SHARECHAIN_UID={os.getuid()}" in env, ".env does not name this user")
    if shutil.which("docker") and run(["docker", "compose", "version"]).returncode == 0:
        r = run(["docker", "compose", "--project-directory", out, "-f", os.path.join(out, "compose.yaml"), "config", "-q"])
        check(r.returncode == 0, f"docker compose config: {r.stderr}")
    else:
        print("notice: docker compose is not installed; compose.yaml checked by parsing only")


def main():
    for tool in (NET, DAEMON):
        if not os.access(tool, os.X_OK):
            sys.exit(f"{tool} is not built")
    with tempfile.TemporaryDirectory(prefix="sc-export-test.") as tmp:
        cluster = os.path.join(tmp, "net")
        net("init", "--nodes", str(NODES), "--dir", cluster, "--base-port", "32500", "--tls")

        r = run([NET, "export", "--dir", cluster, "--format", "helm", "--out", os.path.join(tmp, "x")])
        check(r.returncode == 2 and "--format 'helm'" in r.stderr, f"unknown format: {r.returncode} {r.stderr}")
        r = run([NET, "export", "--dir", os.path.join(tmp, "none"), "--format", "compose", "--out", os.path.join(tmp, "x")])
        check(r.returncode == 2 and "does not exist" in r.stderr, f"missing dir: {r.returncode} {r.stderr}")
        check(not os.path.exists(os.path.join(tmp, "x")), "a refused export wrote its output folder")

        out = {f: os.path.join(tmp, f) for f in ("kubernetes", "compose")}
        for f, o in out.items():
            net("export", "--dir", cluster, "--format", f, "--out", o)
        check_kubernetes(cluster, out["kubernetes"], tmp)
        check_compose(cluster, out["compose"])

        systemd_out = os.path.join(tmp, "systemd")
        default_out = os.path.join(tmp, "systemd-default")
        # systemd-analyze checks that ExecStart names an executable, so the test installs none
        # and points the unit at the build's daemon instead.
        net("export", "--dir", cluster, "--format", "systemd", "--out", systemd_out, "--bin", os.path.abspath(DAEMON))
        net("export", "--dir", cluster, "--format", "systemd", "--out", default_out)
        check_systemd(cluster, systemd_out, default_out)

    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
