"""A program that follows Transferred events naming one account and appends each to a file,
keeping its cursor in another: what an integrator's revenue or payment watcher looks like.
SIGTERM stops it between two events. Used by events.py."""

import argparse
import json
import os
import signal
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "sdk", "python"))

import sharechain as sc  # noqa: E402
from sharechain import api_pb2  # noqa: E402


class Stop(Exception):
    pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", required=True)
    ap.add_argument("--account", required=True)
    ap.add_argument("--cursor", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    state = {"busy": False, "stop": False}

    def on_term(*_):
        if state["busy"]:
            state["stop"] = True      # finish the event in hand first
        else:
            raise Stop()              # waiting for the next event: nothing in hand

    signal.signal(signal.SIGTERM, on_term)
    client = sc.Client(a.nodes, timeout=5)
    flt = api_pb2.EventFilter(contracts=["ledger"], names=["Transferred"],
                              accounts=[sc.parse_address(a.account)])
    try:
        with client.follow_events(sc.FileCursorStore(a.cursor), flt,
                                  start=api_pb2.EventCursor(height=0), retry_for=120) as events:
            for rec in events:
                state["busy"] = True
                attrs = {x.key: x.value for x in rec.event.attributes}
                with open(a.out, "a") as f:
                    f.write(json.dumps({"height": rec.position.height, "index": rec.position.index,
                                        "tx": rec.tx_hash.hex(), "memo": attrs.get("memo")}) + "\n")
                    f.flush()
                    os.fsync(f.fileno())
                state["busy"] = False
                if state["stop"]:
                    break
    except Stop:
        pass
    print(f"follower stopped; cursor {sc.FileCursorStore(a.cursor).load()}".replace("\n", " "),
          flush=True)


if __name__ == "__main__":
    main()
