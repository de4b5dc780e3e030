"""sdk_python_single: the SDK against one validator.
  transfer with wait (receipt, event, balances); GetTransaction, GetBlock (by height and latest),
  SubscribeBlocks from a height; register an asset and find it by Query; ledger queries;
  the same signed transfer again -> ALREADY_EXISTS with the earlier height and receipt;
  SubmitTransactions: a run of consecutive nonces in small messages, a replay answered
  ALREADY_EXISTS / TX_COMMITTED with its height; last, Account.next_nonce counts pending
  transactions (needs the node to fill next_nonce)."""

import grpc

from common import Cluster, check, log, sc, wait_synced, wait_until
from sharechain import api_pb2, assets_pb2, ledger_pb2, types_pb2


def main():
    c = Cluster()
    client = sc.Client(c.addresses(), timeout=10)
    wait_synced(client)
    status = client.get_status()
    log(f"chain {status.chain_id} at height {status.height}")
    user1, user2 = c.key("user1"), c.key("user2")

    # Transfer, waiting for the commit.
    before1 = client.get_account(user1.address).balance
    before2 = client.get_account(user2.address).balance
    tx = client.build(user1, sc.transfer(user2.address, 250, "sdk single 1"))
    r = client.submit(tx, wait=True)
    check(r.status == api_pb2.TX_COMMITTED, f"not committed: {r}")
    check(r.receipt.status == types_pb2.RECEIPT_OK, f"refused: {r.receipt.error}")
    check(r.tx_hash == sc.tx_hash(tx), "the node's tx_hash is not SHA-256(body)")
    ev = [e for e in r.receipt.events if e.contract == "ledger" and e.name == "Transferred"]
    check(len(ev) == 1, f"expected one Transferred event: {r.receipt.events}")
    check(client.get_account(user1.address).balance == before1 - 250, "payer's balance")
    check(client.get_account(user2.address).balance == before2 + 250, "payee's balance")
    height = r.height
    log(f"transfer committed at height {height}")

    info = client.get_transaction(sc.tx_hash(tx))
    check(info.status == api_pb2.TX_COMMITTED and info.height == height, f"GetTransaction: {info}")
    check(info.transaction.body == tx.body, "GetTransaction returned other bytes")
    block = client.get_block(height)
    check(block.height == height and tx.SerializeToString() in block.block.transactions,
          "the block does not hold the transaction")
    check(client.get_block().height >= height, "latest block below the transfer's")
    for b in client.subscribe_blocks(from_height=height):
        check(b.height == height, f"SubscribeBlocks started at {b.height}")
        check(any(rc.tx_hash == sc.tx_hash(tx) for rc in b.receipts), "receipt not in the block")
        break

    # The same signed bytes again: the earlier commit, never a new one.
    try:
        client.submit(tx)
        raise AssertionError("a replay of a committed transaction was accepted")
    except sc.ShareChainError as e:
        check(e.code == grpc.StatusCode.ALREADY_EXISTS, f"replay answered {e.code}")
        check(e.committed, f"ALREADY_EXISTS without the committed SubmitResponse: {e}")
        check(e.height == height, f"replay names height {e.height}, not {height}")
        check(e.receipt is not None and e.receipt.tx_hash == sc.tx_hash(tx), "replay receipt")
        check(str(height) in e.message, "the message does not name the height")
        log(f"replay -> ALREADY_EXISTS at height {e.height}: {e.message[:60]}...")

    # Register an asset as its owner and find it.
    spec = sc.transactions.asset_spec("charging", "SDK pile", "52.52,13.40", 1_000_000,
                                      capacity=2, max_power_kw=50)
    r = client.register_asset(user1, spec)
    check(r.status == api_pb2.TX_COMMITTED and r.receipt.status == types_pb2.RECEIPT_OK,
          f"asset registration: {r.receipt.error}")
    reg = [e for e in r.receipt.events if e.name == "AssetRegistered"]
    check(len(reg) == 1, "no AssetRegistered event")
    asset_id_hex = {a.key: a.value for a in reg[0].attributes}["asset"]
    q = client.query(assets_pb2.Query(of_owner=assets_pb2.AssetsOfOwner(owner=user1.address)))
    names = [a.spec.name for a in q.assets.assets.assets]
    check("SDK pile" in names, f"the owner's assets: {names}")
    q = client.query(assets_pb2.Query(asset=assets_pb2.GetAsset(asset_id=bytes.fromhex(
        asset_id_hex.removeprefix("0x")))))
    check(q.assets.asset.owner == user1.address, "GetAsset owner")
    log(f"asset {asset_id_hex} registered at height {r.height}")

    q = client.query(ledger_pb2.Query(account=ledger_pb2.AccountQuery(address=user2.address)))
    check(q.ledger.account.balance == before2 + 250, "ledger account query")
    q = client.query(ledger_pb2.Query(supply=ledger_pb2.SupplyQuery()))
    check(q.ledger.supply.accounts > 0 and q.height > 0, f"supply: {q}")

    # A run of transfers through SubmitTransactions, with the earlier transfer replayed.
    start = client.next_nonce(user2.address)
    txs = [client.build(user2, sc.transfer(user1.address, 1, f"batch {i}"), nonce=start + i)
           for i in range(20)]
    results = client.submit_many(txs + [tx], batch_size=7)
    check(len(results) == 21, f"{len(results)} results for 21 transactions")
    for i, res in enumerate(results[:20]):
        check(res.code == 0 and res.status == api_pb2.TX_PENDING,
              f"batch tx {i}: code {res.code} {res.message}")
        check(res.tx_hash == sc.tx_hash(txs[i]), "results out of order")
    last = results[20]
    check(last.code == grpc.StatusCode.ALREADY_EXISTS.value[0] and
          last.status == api_pb2.TX_COMMITTED and last.height == height,
          f"replay in a batch: {last}")
    info = client.wait_for_commit(sc.tx_hash(txs[-1]), timeout=30)
    check(info.receipt.status == types_pb2.RECEIPT_OK, f"last batch tx: {info.receipt.error}")
    check(client.get_account(user2.address).nonce == start + 20, "nonce after the batch")
    log(f"20 batched transfers committed by height {info.height}")

    # next_nonce counts what the node holds pending (the server side fills it).
    acct = client.get_account(user1.address)
    base = acct.nonce
    pending = [client.build(user1, sc.transfer(user2.address, 1, f"pending {i}"), nonce=base + i)
               for i in range(3)]
    for t in pending:
        client.submit(t)
    acct = client.get_account(user1.address)
    if acct.nonce < base + 3:
        check(acct.next_nonce == base + 3,
              f"Account.next_nonce is {acct.next_nonce} with nonce {acct.nonce} and 3 pending "
              f"from {base}: the node does not count pending transactions in next_nonce")
    wait_until("the pending transfers to commit", 30,
               lambda: client.get_account(user1.address).nonce == base + 3)
    acct = client.get_account(user1.address)
    check(acct.next_nonce == acct.nonce, f"next_nonce {acct.next_nonce} != nonce {acct.nonce} "
          "with nothing pending")
    log("next_nonce counts pending transactions")


if __name__ == "__main__":
    main()
