"""sdk_python_events: following events from a stored cursor across node and program restarts.
  A follower program (events_follower.py) follows Transferred events naming user3 from the
  first block, storing its cursor in a file. 30 transfers to user3 are committed in three runs:
  after the first the node is killed (SIGKILL) and the follower stopped (SIGTERM); both start
  again, the follower from its stored cursor; after the second only the node is killed and
  restarted while the follower keeps running and reconnects by itself. Every transfer's event
  must be in the follower's output exactly once, in chain order. Needs the node's
  SubscribeEvents."""

import json
import os
import signal
import subprocess
import sys
import time

from common import HERE, Cluster, check, log, sc, wait_synced, wait_until
from sharechain import api_pb2, types_pb2


def main():
    c = Cluster()
    client = sc.Client(c.addresses(), timeout=5, retry_for=60)
    wait_synced(client)
    user1, user3 = c.key("user1"), c.key("user3")
    out = os.path.join(c.dir, "events.jsonl")
    cursor = os.path.join(c.dir, "cursor.json")

    def start_follower():
        p = subprocess.Popen([sys.executable, os.path.join(HERE, "events_follower.py"),
                              "--nodes", ",".join(c.addresses()), "--account",
                              user3.address_text, "--cursor", cursor, "--out", out])
        log(f"follower started (pid {p.pid})")
        return p

    def lines():
        if not os.path.exists(out):
            return []
        with open(out) as f:
            return [json.loads(x) for x in f if x.strip()]

    def memos():
        return [x["memo"] for x in lines() if (x["memo"] or "").startswith("ev-")]

    def seen(n):
        def ready():
            if follower.poll() is not None:
                raise AssertionError(f"the follower ended (exit {follower.returncode}) before "
                                     f"seeing {n} events; its output is above")
            return len(memos()) >= n
        return ready

    def send(first, count):
        for i in range(first, first + count):
            r = client.transfer(user1, user3.address, 1, f"ev-{i}", wait=True)
            check(r.receipt.status == types_pb2.RECEIPT_OK, f"ev-{i}: {r.receipt.error}")

    follower = start_follower()
    try:
        send(0, 10)
        wait_until("the follower to see 10 events", 60, seen(10))
        # Node crash and program stop together; the program resumes from its stored cursor.
        c.kill(0)
        follower.send_signal(signal.SIGTERM)
        check(follower.wait(timeout=30) == 0, "the follower did not stop cleanly")
        stored = sc.FileCursorStore(cursor).load()
        log(f"stored cursor {stored.height}/{stored.index}")
        c.restart()
        wait_synced(client)
        follower = start_follower()
        send(10, 10)
        wait_until("the follower to see 20 events", 60, seen(20))
        # Node crash while the program keeps running: it reconnects from its cursor.
        c.kill(0)
        time.sleep(1.0)
        c.restart()
        wait_synced(client)
        send(20, 10)
        wait_until("the follower to see 30 events", 90, seen(30))
        time.sleep(1.0)  # anything repeated would arrive now
        follower.send_signal(signal.SIGTERM)
        check(follower.wait(timeout=30) == 0, "the follower did not stop cleanly")
    finally:
        if follower.poll() is None:
            follower.kill()

    got = memos()
    check(got == [f"ev-{i}" for i in range(30)],
          f"events missing, repeated or out of order: {got}")
    positions = [(x["height"], x["index"]) for x in lines()]
    check(positions == sorted(set(positions)), f"positions not strictly increasing: {positions}")
    # Each event's transaction really is the transfer it claims to be.
    for x in lines()[-3:]:
        info = client.get_transaction(bytes.fromhex(x["tx"]))
        check(info.height == x["height"], f"event at {x['height']} for tx at {info.height}")
    log(f"30 events, each once, in order, across two node crashes and a program restart")


if __name__ == "__main__":
    main()
