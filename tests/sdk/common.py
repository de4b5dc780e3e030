"""Helpers of the Python SDK cluster tests: the cluster folder that tests/cluster/lib.sh made,
its keys, and stopping and restarting its nodes (only the processes this test started)."""

import argparse
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "sdk", "python"))

import sharechain as sc  # noqa: E402


def log(*a):
    print(f"[{time.strftime('%H:%M:%S')}]", *a, flush=True)


class Cluster:
    def __init__(self):
        ap = argparse.ArgumentParser()
        ap.add_argument("--dir", required=True)
        ap.add_argument("--nodes", type=int, required=True)
        ap.add_argument("--base-port", type=int, required=True)
        ap.add_argument("--net", required=True)
        ap.add_argument("--daemon", required=True)
        a = ap.parse_args()
        self.dir, self.n, self.base_port = a.dir, a.nodes, a.base_port
        self.net, self.daemon = a.net, a.daemon
        self.keystore = sc.Keystore(os.path.join(self.dir, "keystore"))
        self.passphrase = sc.read_passphrase_file(os.path.join(self.dir, "passphrase"))

    def address(self, i):
        return f"127.0.0.1:{self.base_port + 10 * i}"

    def addresses(self):
        return [self.address(i) for i in range(self.n)]

    def key(self, name):
        return self.keystore.load(name, self.passphrase)

    def index_of(self, address):
        return self.addresses().index(address)

    def pid(self, i):
        with open(os.path.join(self.dir, f"node{i}", "sharechaind.pid")) as f:
            return int(f.read().strip())

    def kill(self, i):
        """SIGKILL node i (a crash) and wait until it is gone."""
        pid = self.pid(i)
        os.kill(pid, signal.SIGKILL)
        end = time.monotonic() + 10
        while time.monotonic() < end:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        log(f"killed node{i} (pid {pid})")

    def restart(self):
        """Starts every node that is not running (sharechain-net start)."""
        subprocess.run([self.net, "start", "--dir", self.dir, "--bin", self.daemon], check=True,
                       stdout=subprocess.DEVNULL)
        log("restarted the stopped nodes")


def wait_until(what, seconds, predicate, poll=0.3):
    end = time.monotonic() + seconds
    last = None
    while time.monotonic() < end:
        try:
            v = predicate()
            if v:
                return v
        except sc.ShareChainError as e:
            last = e
        time.sleep(poll)
    raise AssertionError(f"timed out after {seconds}s waiting for {what}" +
                         (f" (last error: {last})" if last else ""))


def wait_synced(client, seconds=60):
    return wait_until("a synced node", seconds, lambda: client.get_status().synced)


def check(cond, message):
    if not cond:
        raise AssertionError(message)
