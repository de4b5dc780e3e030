"""sdk_python_cluster: failover over a 4-node cluster.
  the client picks a synced node; the node it talks to is killed (SIGKILL): the next transfer,
  read and a SubscribeBlocks stream that was reading from it all carry on through another node,
  the stream without a gap or a repeated height; the killed node restarts and catches up, and
  the client can be pointed at it alone again."""

import threading

from common import Cluster, check, log, sc, wait_synced, wait_until
from sharechain import api_pb2, types_pb2


def transfer(client, key, to, memo):
    r = client.transfer(key, to, 5, memo, wait=True)
    check(r.status == api_pb2.TX_COMMITTED and r.receipt.status == types_pb2.RECEIPT_OK,
          f"transfer {memo}: {r}")
    return r.height


def main():
    c = Cluster()
    client = sc.Client(c.addresses(), timeout=5, retry_for=30)
    wait_synced(client)
    user1, user3 = c.key("user1"), c.key("user3")
    h = transfer(client, user1, user3.address, "before")
    first = client.node
    log(f"client on {first}; transfer at height {h}")

    # A block stream that reads from the same node the client uses.
    blocks, errors = [], []
    stop = threading.Event()

    def follow():
        try:
            for b in client_stream.subscribe_blocks(from_height=h):
                blocks.append(b.height)
                if stop.is_set():
                    return
        except Exception as e:  # reported below
            errors.append(e)

    stream_nodes = [first] + [a for a in c.addresses() if a != first]
    client_stream = sc.Client(stream_nodes, timeout=5)
    t = threading.Thread(target=follow, daemon=True)
    t.start()
    wait_until("the stream's first block", 20, lambda: blocks)

    victim = c.index_of(first)
    c.kill(victim)
    heights = [transfer(client, user1, user3.address, f"after kill {i}") for i in range(3)]
    check(client.node != first, f"the client still names {first}")
    log(f"client moved to {client.node}; transfers at heights {heights}")
    status = client.get_status()
    check(status.height >= heights[-1], "GetStatus after failover")

    wait_until("the stream to pass the last transfer", 60, lambda: blocks and blocks[-1] >= heights[-1])
    stop.set()
    check(not errors, f"the block stream failed: {errors}")
    check(blocks == list(range(h, blocks[-1] + 1)),
          f"the block stream has a gap or a repeat: {blocks}")
    log(f"block stream {blocks[0]}..{blocks[-1]} continuous across the failover")

    c.restart()
    alone = sc.Client([first], timeout=5)
    wait_until("the restarted node to catch up", 90,
               lambda: alone.get_status().synced and alone.get_status().height >= heights[-1])
    h2 = transfer(alone, user3, user1.address, "back on the restarted node")
    log(f"restarted node serves again (transfer at height {h2})")
    client.close()
    client_stream.close()
    alone.close()


if __name__ == "__main__":
    main()
