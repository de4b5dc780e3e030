#!/usr/bin/env python3
"""Sends credits from one key of the keystore to another address and waits for the commit.

    python3 sdk/python/examples/transfer.py --from user1 --to user2 --amount 150 --memo "order 17"
"""

import grpc

from _setup import open_cluster, parser, sc


def main():
    ap = parser(__doc__.splitlines()[0])
    ap.add_argument("--from", dest="sender", default="user1", help="key name in the keystore")
    ap.add_argument("--to", default="user2", help="an address (sc...) or a key name")
    ap.add_argument("--amount", type=int, default=100, help="minor units (1 credit = 100)")
    ap.add_argument("--memo", default="", help="name the payment (an invoice, an order id)")
    args = ap.parse_args()

    client, load_key = open_cluster(args)
    key = load_key(args.sender)
    to = args.to if args.to.startswith("sc") else load_key(args.to).address
    tx = client.build(key, sc.transfer(to, args.amount, args.memo))
    print(f"transaction {sc.tx_hash(tx).hex()} from {key.address_text}")
    try:
        r = client.submit(tx, wait=True)
    except sc.ShareChainError as e:
        if e.code == grpc.StatusCode.ALREADY_EXISTS and e.committed:
            print(f"already committed at height {e.height}; not repeated")
            return
        raise
    print(f"committed at height {r.height} via {client.node}: "
          f"{sc.types_pb2.ReceiptStatus.Name(r.receipt.status)}")
    for e in r.receipt.events:
        print(f"  {e.contract}.{e.name} " + " ".join(f"{a.key}={a.value}" for a in e.attributes))
    print(f"balance of {key.address_text}: {client.get_account(key.address).balance} units")


if __name__ == "__main__":
    main()
