#!/usr/bin/env python3
"""Follows revenue events (distributions to parties, income routed into split models) and keeps
its place in a cursor file: stop it with Ctrl-C and start it again, and it carries on from where
it stopped, without missing or repeating an event.

    python3 sdk/python/examples/follow_revenue.py --cursor revenue.cursor [--account user1]
"""

from _setup import open_cluster, parser, sc
from sharechain import api_pb2


def main():
    ap = parser(__doc__.splitlines()[0])
    ap.add_argument("--cursor", default="revenue.cursor", help="file that keeps the cursor")
    ap.add_argument("--account", help="only events naming this key name or address")
    ap.add_argument("--from-start", action="store_true",
                    help="with no stored cursor, start at the first block (default: the next)")
    args = ap.parse_args()

    client, load_key = open_cluster(args)
    flt = api_pb2.EventFilter(contracts=["revenue"])
    if args.account:
        acct = args.account if args.account.startswith("sc") else load_key(args.account).address
        flt.accounts.append(sc.parse_address(acct))
    store = sc.FileCursorStore(args.cursor)
    start = api_pb2.EventCursor(height=0) if args.from_start else None
    stored = store.load()
    print(f"following revenue events from "
          f"{'block %d, event %d' % (stored.height, stored.index) if stored else 'the start'}"
          f" (cursor in {args.cursor}); Ctrl-C stops")
    try:
        with client.follow_events(store, flt, start=start, retry_for=300) as events:
            for rec in events:
                attrs = " ".join(f"{a.key}={a.value}" for a in rec.event.attributes)
                print(f"{rec.position.height}/{rec.position.index} {rec.event.name} {attrs}",
                      flush=True)
    except KeyboardInterrupt:
        pass
    c = store.load()
    print(f"stopped; resume from block {c.height}, event {c.index}")


if __name__ == "__main__":
    main()
