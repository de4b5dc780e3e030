"""A client of the gRPC service sharechain.api.Client over one or several nodes.

Failover: a call that meets UNAVAILABLE (the node is shutting down, catching up, or cannot be
reached at all) or no answer before its deadline moves to the next node and is sent there;
other errors are the node's verdict and are raised as ShareChainError. Transactions are sent
again as the same signed bytes, so a retry never makes a second transaction (docs/api.md).

Synced nodes first: the client starts on the first node whose GetStatus says `synced`, and
looks again when an answer's `sharechain-synced` metadata says the node it uses is not synced.
"""

import queue
import threading
import time

import grpc

from . import api_pb2, api_pb2_grpc, ledger_pb2, types_pb2
from .crypto import parse_address
from .cursor import cursor_after, cursor_key
from .errors import NoNodeAvailable, ShareChainError, from_rpc_error, metadata_value, synced_of
from .transactions import build_body, register_asset, sign_body, transfer, tx_hash

_QUERY_FIELDS = {
    "sharechain.ledger.Query": "ledger",
    "sharechain.assets.Query": "assets",
    "sharechain.usage.Query": "usage",
    "sharechain.revenue.Query": "revenue",
    "sharechain.financing.Query": "financing",
    "sharechain.vehicles.Query": "vehicles",
    "sharechain.governance.Query": "governance",
    "sharechain.governance.Query": "governance",
}

_CHANNEL_OPTIONS = [
    ("grpc.enable_http_proxy", 0),          # the API is on loopback or a private network
    ("grpc.initial_reconnect_backoff_ms", 200),
    ("grpc.min_reconnect_backoff_ms", 200),
    ("grpc.max_reconnect_backoff_ms", 2000),
    ("grpc.max_receive_message_length", 64 << 20),
]


def next_nonce_of(account) -> int:
    """The nonce the account's next new transaction takes: `next_nonce` (which counts the
    transactions the node holds pending) when the node fills it, else the committed `nonce`.
    A node that fills it never answers less than `nonce`, so the larger of the two is right
    either way."""
    return max(account.next_nonce, account.nonce)


class _Node:
    def __init__(self, address):
        self.address = address
        self.channel = None
        self.stub = None
        self.synced = None      # from the last answer's metadata
        self.height = None

    def connect(self):
        if self.stub is None:
            self.channel = grpc.insecure_channel(self.address, options=_CHANNEL_OPTIONS)
            self.stub = api_pb2_grpc.ClientStub(self.channel)
        return self.stub

    def reset(self):
        """Drops the channel, so the next call dials afresh (no inherited reconnect back-off)."""
        if self.channel is not None:
            self.channel.close()
        self.channel = self.stub = None

    def note(self, metadata):
        s = synced_of(metadata)
        if s is not None:
            self.synced = s
        h = metadata_value(metadata, "sharechain-height")
        if h is not None:
            self.height = int(h)


def _answered(err: ShareChainError) -> bool:
    """Whether the node itself answered (its answers carry ShareChain metadata)."""
    return err.synced is not None


def _moves_on(err: ShareChainError) -> bool:
    """Whether a call should be tried on the next node."""
    if err.code == grpc.StatusCode.UNAVAILABLE:
        return True
    # No answer before the deadline from a node that said nothing: a hung or cut-off node.
    return err.code == grpc.StatusCode.DEADLINE_EXCEEDED and not _answered(err)


class Client:
    """Talks to a ShareChain network through any of `nodes` ("host:port", a list of them, or one
    comma-separated string).

    timeout    seconds allowed for each unary call
    chain_id   the chain id to sign for; by default the nodes' (from GetStatus)
    retry_for  seconds a call keeps going round the nodes when none can serve it (0: once round)
    """

    def __init__(self, nodes, timeout: float = 10.0, chain_id: str = None, retry_for: float = 0.0):
        if isinstance(nodes, str):
            nodes = [n.strip() for n in nodes.split(",") if n.strip()]
        if not nodes:
            raise ValueError("give at least one node address (host:port)")
        self._nodes = [_Node(a) for a in nodes]
        self._current = None
        self.timeout = timeout
        self.retry_for = retry_for
        self._chain_id = chain_id
        self._lock = threading.Lock()
        self._local_nonce = {}   # address -> next nonce after what this client had admitted

    # --- node choice ----------------------------------------------------------------------------

    @property
    def node(self):
        """The address the client currently talks to (None before the first call)."""
        return None if self._current is None else self._nodes[self._current].address

    @property
    def nodes(self):
        return [n.address for n in self._nodes]

    def close(self):
        for n in self._nodes:
            n.reset()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _select(self):
        """The first synced node, else the first that answers; NoNodeAvailable if none does."""
        attempts = []
        fallback = None
        start = 0 if self._current is None else self._current
        order = [(start + i) % len(self._nodes) for i in range(len(self._nodes))]
        for i in order:
            node = self._nodes[i]
            try:
                status, call = node.connect().GetStatus.with_call(api_pb2.GetStatusRequest(),
                                                                  timeout=self.timeout)
            except grpc.RpcError as e:
                err = from_rpc_error(e, node.address)
                attempts.append((node.address, err))
                if not _answered(err):
                    node.reset()
                continue
            node.note(call.initial_metadata())
            node.synced = status.synced
            if status.synced:
                self._current = i
                return i
            if fallback is None:
                fallback = i
        if fallback is not None:
            self._current = fallback
            return fallback
        raise NoNodeAvailable(_none_answered(attempts), attempts)

    def _order(self):
        cur = self._current
        if cur is None or self._nodes[cur].synced is False:
            cur = self._select()
        return [(cur + i) % len(self._nodes) for i in range(len(self._nodes))]

    def _round(self, attempt, retry_for=None):
        """Runs attempt(node) on the nodes in turn until one serves it; see the class doc.
        `attempt` returns a value, or raises grpc.RpcError / ShareChainError."""
        deadline = time.monotonic() + (self.retry_for if retry_for is None else retry_for)
        attempts = []
        while True:
            try:
                order = self._order()
            except NoNodeAvailable as e:
                order = []
                attempts.extend(e.attempts)
            for i in order:
                node = self._nodes[i]
                try:
                    result = attempt(node)
                    self._current = i
                    return result
                except grpc.RpcError as e:
                    err = from_rpc_error(e, node.address)
                except ShareChainError as e:
                    err = e
                if err.synced is not None:
                    node.synced = err.synced
                if not _moves_on(err):
                    raise err
                attempts.append((node.address, err))
                if not _answered(err):
                    node.reset()
                # Whatever the next call finds, it starts from the next node.
                self._current = (i + 1) % len(self._nodes)
                self._nodes[self._current].synced = None
            if time.monotonic() >= deadline:
                raise NoNodeAvailable(_none_answered(attempts), attempts)
            time.sleep(0.3)

    def _unary(self, method, request, timeout=None):
        def attempt(node):
            response, call = getattr(node.connect(), method).with_call(
                request, timeout=timeout or self.timeout)
            node.note(call.initial_metadata())
            return response
        return self._round(attempt)

    # --- reads ----------------------------------------------------------------------------------

    def get_status(self):
        return self._unary("GetStatus", api_pb2.GetStatusRequest())

    def chain_id(self) -> str:
        if self._chain_id is None:
            self._chain_id = self.get_status().chain_id
        return self._chain_id

    def get_account(self, address):
        """The account (ledger.Account); an account the chain never saw is a zero account."""
        addr = parse_address(address)
        try:
            return self._unary("GetAccount", api_pb2.GetAccountRequest(address=addr))
        except ShareChainError as e:
            if e.code == grpc.StatusCode.NOT_FOUND:
                return ledger_pb2.Account(address=addr)
            raise

    def next_nonce(self, address) -> int:
        """The nonce for the account's next new transaction, counting what the node holds
        pending when it says so (Account.next_nonce) and what this client has had admitted."""
        addr = parse_address(address)
        n = next_nonce_of(self.get_account(addr))
        with self._lock:
            return max(n, self._local_nonce.get(addr, 0))

    def get_transaction(self, hash32: bytes):
        return self._unary("GetTransaction", api_pb2.GetTransactionRequest(tx_hash=hash32))

    def get_block(self, height: int = None, hash32: bytes = None):
        """A block by height or hash; the latest with neither."""
        if height is not None:
            req = api_pb2.GetBlockRequest(height=height)
        elif hash32 is not None:
            req = api_pb2.GetBlockRequest(hash=hash32)
        else:
            req = api_pb2.GetBlockRequest(latest=True)
        return self._unary("GetBlock", req)

    def get_proof(self, hash32: bytes, wait: float = 0.0, poll: float = 0.25):
        """The TransactionProof of a committed transaction (docs/proofs.md): check it offline
        with sharechain.proofs.verify_transaction_proof(proof, trust_from_genesis(...)).

        Raises ShareChainError NOT_FOUND for a transaction the node does not hold, and
        FAILED_PRECONDITION "not certified yet" while no later block certifies its receipt; with
        `wait` seconds it asks again until one does (on an idle chain that block comes with the
        next transaction anyone submits). A node missing part of its history answers UNAVAILABLE
        and the call moves on to the next node."""
        return self._until_certified("GetProof", api_pb2.GetProofRequest(tx_hash=hash32), wait, poll)

    def get_state_proof(self, key: bytes, wait: float = 0.0, poll: float = 0.25):
        """The StateProof of one state entry, or of its absence, in the newest certified state
        (docs/proofs.md, "State proofs"): check it offline with
        sharechain.proofs.verify_state_proof(proof, trust_from_genesis(...)).

        Raises ShareChainError INVALID_ARGUMENT for an empty or oversized key,
        FAILED_PRECONDITION on a chain whose genesis names no state tree, and FAILED_PRECONDITION
        "not certified yet" while no committed block certifies the state the node holds (just
        after it started on a busy chain); with `wait` seconds it asks again until one does. A
        node that is behind answers from its own, older, certified state."""
        return self._until_certified("GetStateProof", api_pb2.GetStateProofRequest(key=bytes(key)), wait, poll)

    def _until_certified(self, method: str, req, wait: float, poll: float):
        """`method`'s answer, asking again every `poll` seconds for up to `wait` seconds while the
        node says FAILED_PRECONDITION "not certified yet" (a block that certifies what is asked
        about follows within a batch delay)."""
        end = time.monotonic() + wait
        while True:
            try:
                return self._unary(method, req)
            except ShareChainError as e:
                uncertified = (e.code == grpc.StatusCode.FAILED_PRECONDITION
                               and "not certified yet" in e.message)
                if not uncertified or time.monotonic() >= end:
                    raise
            time.sleep(poll)

    def query(self, q):
        """A contract query: an api QueryRequest, or one contract's Query message
        (ledger_pb2.Query(...), assets_pb2.Query(...), ...). Returns the QueryResponse."""
        if not isinstance(q, api_pb2.QueryRequest):
            field = _QUERY_FIELDS.get(q.DESCRIPTOR.full_name)
            if field is None:
                raise TypeError(f"{q.DESCRIPTOR.full_name} is not a contract Query message")
            req = api_pb2.QueryRequest()
            getattr(req, field).CopyFrom(q)
            q = req
        return self._unary("Query", q)

    # --- transactions ---------------------------------------------------------------------------

    def submit(self, tx, wait: bool = False, wait_timeout: float = 30.0):
        """Submits one SignedTransaction; with `wait`, answers once it is committed (status
        TX_COMMITTED, height, receipt). Raises ShareChainError on a refusal; ALREADY_EXISTS for
        a transaction committed before carries `.height` and `.receipt`.

        When a node fails mid-call and the same bytes go to the next node, an ALREADY_EXISTS
        there means the first attempt got through; it is answered as that transaction's
        outcome (pending, or committed with height and receipt), not raised."""
        req = api_pb2.SubmitRequest(transaction=tx, wait_for_commit=wait,
                                    wait_timeout_ms=int(wait_timeout * 1000) if wait else 0)
        timeout = self.timeout + (wait_timeout if wait else 0)
        h = tx_hash(tx)
        tries = [0]

        def attempt(node):
            tries[0] += 1
            try:
                response, call = node.connect().SubmitTransaction.with_call(req, timeout=timeout)
            except grpc.RpcError as e:
                err = from_rpc_error(e, node.address)
                if tries[0] > 1 and err.code == grpc.StatusCode.ALREADY_EXISTS:
                    if err.committed:
                        return err.details
                    return api_pb2.SubmitResponse(tx_hash=h, status=api_pb2.TX_PENDING)
                raise err
            node.note(call.initial_metadata())
            return response

        response = self._round(attempt)
        if wait and response.status != api_pb2.TX_COMMITTED:
            info = self.wait_for_commit(h, wait_timeout)
            response = api_pb2.SubmitResponse(tx_hash=h, status=info.status, height=info.height,
                                              receipt=info.receipt)
        return response

    def wait_for_commit(self, hash32: bytes, timeout: float = 30.0, poll: float = 0.2):
        """Polls GetTransaction until the transaction is committed; returns its TransactionInfo.
        ShareChainError DEADLINE_EXCEEDED if it is not committed within `timeout` seconds."""
        end = time.monotonic() + timeout
        while True:
            try:
                info = self.get_transaction(hash32)
                if info.status == api_pb2.TX_COMMITTED:
                    return info
            except ShareChainError as e:
                if e.code != grpc.StatusCode.NOT_FOUND:
                    raise
            if time.monotonic() >= end:
                raise ShareChainError(grpc.StatusCode.DEADLINE_EXCEEDED,
                                      f"transaction {hash32.hex()} was not committed within "
                                      f"{timeout:g} s; it may still commit", node=self.node)
            time.sleep(poll)

    def submit_many(self, txs, batch_size: int = 500):
        """Submits SignedTransactions through the SubmitTransactions stream, `batch_size` per
        message, one message at a time; returns one SubmitResult per transaction, in order
        (code 0 admitted, else the gRPC code SubmitTransaction would have answered). A message
        left unanswered when a node fails is sent again, as the same bytes, to the next node."""
        txs = list(txs)
        batches = [txs[i:i + batch_size] for i in range(0, len(txs), batch_size)]
        results = []
        done = [0]  # batches answered

        def attempt(node):
            requests = queue.Queue()
            stream = node.connect().SubmitTransactions(iter(requests.get, None))
            try:
                while done[0] < len(batches):
                    requests.put(api_pb2.SubmitBatchRequest(transactions=batches[done[0]]))
                    answer = next(stream)
                    results.extend(answer.results)
                    done[0] += 1
            except StopIteration:
                raise ShareChainError(grpc.StatusCode.UNAVAILABLE,
                                      "the node ended the submission stream early",
                                      node=node.address) from None
            finally:
                requests.put(None)
                stream.cancel()
            return results

        if not batches:
            return []
        return self._round(attempt)

    # --- building and sending -------------------------------------------------------------------

    def build(self, key, call, nonce: int = None, expires_at_height: int = 0):
        """Builds and signs a transaction of `key` with a contract Call message."""
        if nonce is None:
            nonce = self.next_nonce(key.address)
        body = build_body(self.chain_id(), key.address, nonce, call, expires_at_height)
        return sign_body(body, key)

    def send(self, key, call, wait: bool = True, nonce: int = None, expires_at_height: int = 0,
             wait_timeout: float = 30.0):
        """Builds, signs and submits a transaction of `key` (next nonce unless given)."""
        tx = self.build(key, call, nonce, expires_at_height)
        response = self.submit(tx, wait=wait, wait_timeout=wait_timeout)
        body = types_pb2.TransactionBody()
        body.ParseFromString(tx.body)
        with self._lock:
            addr = key.address
            self._local_nonce[addr] = max(self._local_nonce.get(addr, 0), body.nonce + 1)
        return response

    def transfer(self, key, to, amount: int, memo: str = "", **kw):
        return self.send(key, transfer(to, amount, memo), **kw)

    def register_asset(self, key, spec, **kw):
        return self.send(key, register_asset(spec), **kw)

    # --- streams --------------------------------------------------------------------------------

    def _stream_round(self, open_stream, on_item, retry_for):
        """Runs a server stream, reopening it on the next node (through open_stream(node), which
        resumes where on_item left off) after UNAVAILABLE or a lost connection, for up to
        `retry_for` seconds without progress. Yields what on_item returns."""
        while True:
            box = []

            def attempt(node):
                stream = open_stream(node)
                box.append(stream)
                # The first item, or the stream's end, shows the node serves it.
                try:
                    return next(stream)
                except StopIteration:
                    return None

            first = self._round(attempt, retry_for)
            if first is None:
                return
            stream = box[-1]
            try:
                yield on_item(first)
                for item in stream:
                    yield on_item(item)
                return
            except grpc.RpcError as e:
                err = from_rpc_error(e, self.node)
                if not _moves_on(err) and err.code != grpc.StatusCode.CANCELLED:
                    raise err from None
                self._nodes[self._current].reset()
                self._current = (self._current + 1) % len(self._nodes)
            finally:
                stream.cancel()

    def subscribe_blocks(self, from_height: int = 0, retry_for: float = 30.0):
        """Every committed block from `from_height` on (0: from the next one), with receipts.
        After a node fails the stream resumes on the next node at the next height."""
        nxt = [from_height or self.get_status().height + 1]

        def open_stream(node):
            return node.connect().SubscribeBlocks(api_pb2.SubscribeRequest(from_height=nxt[0]))

        def on_item(block):
            nxt[0] = block.height + 1
            return block

        return self._stream_round(open_stream, on_item, retry_for)

    def subscribe_events(self, event_filter=None, cursor=None, retry_for: float = 30.0):
        """The EventBatches of SubscribeEvents from `cursor` (None: from the next block;
        EventCursor(height=0): from the first block). After a node fails the stream resumes
        on the next node from the last batch's `next` cursor."""
        state = {"cursor": cursor}
        if cursor is None:
            state["cursor"] = api_pb2.EventCursor(height=self.get_status().height + 1)

        def open_stream(node):
            req = api_pb2.SubscribeEventsRequest(cursor=state["cursor"])
            if event_filter is not None:
                req.filter.CopyFrom(event_filter)
            return node.connect().SubscribeEvents(req)

        def on_item(batch):
            if batch.HasField("next"):
                state["cursor"] = batch.next
            return batch

        return self._stream_round(open_stream, on_item, retry_for)

    def follow_events(self, store, event_filter=None, start=None, retry_for: float = 30.0):
        """Yields the EventRecords that pass `event_filter`, resuming from the cursor in `store`
        (a FileCursorStore or anything with load()/save()); with none stored, from `start`
        (None: the next block; EventCursor(height=0): the first block).

        An event counts as processed, and the cursor past it is saved, when the caller asks for
        the next event, calls `ack()`, or leaves a `with` block around the loop without an
        exception; a batch's `next` is saved once all its events are processed. So a program
        that stops between two events and starts again sees each event exactly once; one that
        fails while processing an event sees that event again. Events before the stored cursor
        are never yielded (`dropped` counts any a server repeated).

            with client.follow_events(FileCursorStore("cursor.json"), flt) as events:
                for record in events:
                    handle(record)
        """
        return EventFollower(self, store, event_filter, start, retry_for)


class EventFollower:
    """Iterator of EventRecords; see Client.follow_events."""

    def __init__(self, client, store, event_filter, start, retry_for):
        self.client, self.store = client, store
        self.filter, self.start, self.retry_for = event_filter, start, retry_for
        self.dropped = 0
        self.cursor = None      # where a restart resumes (the stored cursor)
        self._pending = None    # the cursor past the event last yielded, until it is processed
        self._gen = self._run()

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._gen)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.ack()
        self.close()

    def ack(self):
        """Marks the event last yielded as processed and saves the cursor past it."""
        if self._pending is not None:
            self._save(self._pending)
            self._pending = None

    def close(self):
        self._gen.close()

    def _save(self, cursor):
        self.cursor = api_pb2.EventCursor(height=cursor.height, index=cursor.index)
        self.store.save(self.cursor)

    def _run(self):
        cursor = self.store.load()
        if cursor is None:
            cursor = self.start
            if cursor is None:
                cursor = api_pb2.EventCursor(height=self.client.get_status().height + 1)
            self._save(cursor)
        else:
            self.cursor = cursor
        for batch in self.client.subscribe_events(self.filter, self.cursor, self.retry_for):
            for record in batch.events:
                if cursor_key(record.position) < cursor_key(self.cursor):
                    self.dropped += 1
                    continue
                self._pending = cursor_after(record.position)
                yield record
                self.ack()
            if batch.HasField("next") and cursor_key(batch.next) > cursor_key(self.cursor):
                self._save(batch.next)


def _none_answered(attempts):
    if not attempts:
        return "no node could be reached"
    return "no node could serve the call: " + "; ".join(f"{a}: {e.code.name} {e.message}"
                                                         for a, e in attempts[-6:])
