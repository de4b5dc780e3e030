#!/usr/bin/env python3
"""Registers a charging pile owned by the signing key, then lists the owner's assets.

    python3 sdk/python/examples/register_asset.py --owner user1 --name "Pile 3, Dock Street"
"""

from _setup import open_cluster, parser, sc
from sharechain import assets_pb2


def main():
    ap = parser(__doc__.splitlines()[0])
    ap.add_argument("--owner", default="user1", help="key name of the owner (the investor)")
    ap.add_argument("--name", default="SDK example pile")
    ap.add_argument("--location", default="52.5200,13.4050")
    ap.add_argument("--investment-cost", type=int, default=2_000_000, help="minor units")
    args = ap.parse_args()

    client, load_key = open_cluster(args)
    owner = load_key(args.owner)
    spec = sc.transactions.asset_spec("charging", args.name, args.location, args.investment_cost,
                                      capacity=2, max_power_kw=150,
                                      equipment=[assets_pb2.Equipment(type="dc_charger",
                                                                      name="DC 150", count=2)])
    r = client.register_asset(owner, spec)
    if r.receipt.status != sc.types_pb2.RECEIPT_OK:
        raise SystemExit(f"refused: {r.receipt.error}")
    registered = next(e for e in r.receipt.events if e.name == "AssetRegistered")
    attrs = {a.key: a.value for a in registered.attributes}
    print(f"asset {attrs['asset']} registered at height {r.height}")

    answer = client.query(assets_pb2.Query(of_owner=assets_pb2.AssetsOfOwner(owner=owner.address)))
    print(f"assets of {owner.address_text} (read at height {answer.height}):")
    for a in answer.assets.assets.assets:
        print(f"  {a.id.hex()}  {assets_pb2.AssetKind.Name(a.spec.kind):<20} {a.spec.name}"
              f"  income {a.investor_income}  roi {a.roi_bps} bps")


if __name__ == "__main__":
    main()
