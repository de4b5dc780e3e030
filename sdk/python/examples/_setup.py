"""Shared option handling of the examples: node addresses, keystore, passphrase.

Defaults match scripts/run-local.sh's cluster (folder `localnet`, nodes on 127.0.0.1:26600,
26610, 26620, 26630, keystore localnet/keystore, passphrase in localnet/passphrase)."""

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import sharechain as sc  # noqa: E402,F401


def parser(description):
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--dir", default=os.environ.get("SHARECHAIN_CLUSTER_DIR", "localnet"),
                    help="the cluster folder sharechain-net init wrote (default: localnet)")
    ap.add_argument("--node", default=os.environ.get(
        "SHARECHAIN_NODE", "127.0.0.1:26600,127.0.0.1:26610,127.0.0.1:26620,127.0.0.1:26630"),
        help="node addresses, comma-separated (default: the local cluster's four)")
    return ap


def open_cluster(args):
    """A Client over the nodes and a function that loads a key of the cluster's keystore."""
    keystore = sc.Keystore(os.path.join(args.dir, "keystore"))
    passphrase = os.environ.get("SHARECHAIN_PASSPHRASE")
    if passphrase is None:
        passphrase = sc.read_passphrase_file(os.path.join(args.dir, "passphrase"))
    client = sc.Client(args.node, timeout=10, retry_for=20)
    return client, lambda name: keystore.load(name, passphrase)
