"""Unit tests of the Python SDK; no node needed.
  Bip340Vectors        the published BIP340 vectors through the ctypes binding
  TestVectorsFile      docs/test-vectors.json: keys, addresses, bodies, digests, signatures,
                       consent, consensus vote / checkpoint / envelope / certificate digests
  Keys                 hex import, generation, bad secrets, address text round trip
  Transactions         body building for every contract, signing, tampering detected
  KeystoreFiles        a key file sealed as the wallet seals it; wrong passphrase; the wallet's
                       own file when SHARECHAIN_WALLET names its binary
  ErrorMapping         ALREADY_EXISTS with a SubmitResponse in the status details; plain errors
  Cursor               file store round trip; a follower stopped between events and started
                       again sees every event once; repeated events from a server are dropped
  FakeNodes            an in-process gRPC server: metadata, ALREADY_EXISTS details end to end,
                       failover past UNAVAILABLE and an unreachable address, synced preferred,
                       a block stream that resumes on the next node at the next height
"""

import concurrent.futures
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SDK = os.path.dirname(HERE)
REPO = os.path.dirname(os.path.dirname(SDK))
sys.path.insert(0, SDK)

import grpc  # noqa: E402

import sharechain as sc  # noqa: E402
from sharechain import (api_pb2, api_pb2_grpc, assets_pb2, consensus_pb2, crypto,  # noqa: E402
                        errors, ledger_pb2, types_pb2, usage_pb2)
from sharechain.cursor import FileCursorStore, MemoryCursorStore  # noqa: E402
from sharechain.transactions import verify_signed  # noqa: E402

VECTORS = os.environ.get("SHARECHAIN_TEST_VECTORS", os.path.join(REPO, "docs", "test-vectors.json"))


class Bip340Vectors(unittest.TestCase):
    def test_published_vectors(self):
        path = os.path.join(REPO, "tests", "proto", "bip340_vectors.inc")
        rows = re.findall(r'\{(\d+), "([0-9A-F]*)", "([0-9A-F]*)", "([0-9A-F]*)", "([0-9A-F]*)", '
                          r'"([0-9A-F]*)", (true|false)\}', open(path).read())
        self.assertEqual(len(rows), 15)
        for idx, secret, pub, aux, msg, sig, ok in rows:
            with self.subTest(vector=idx):
                pub, msg, sig = bytes.fromhex(pub), bytes.fromhex(msg), bytes.fromhex(sig)
                if secret:
                    k = sc.PrivateKey(bytes.fromhex(secret))
                    self.assertEqual(k.public_key, pub)
                    if len(msg) == 32:
                        self.assertEqual(k.sign(msg, bytes.fromhex(aux)), sig)
                if len(msg) == 32:
                    self.assertEqual(crypto.verify(pub, msg, sig), ok == "true")


class TestVectorsFile(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(VECTORS) as f:
            cls.v = json.load(f)

    def check_key(self, v):
        k = sc.PrivateKey.from_hex(v["secret"])
        self.assertEqual(k.public_key.hex(), v["public_key"])
        self.assertEqual(sc.format_address(sc.address_of(k.public_key)), v["address"])
        return k

    def check_sig(self, k, digest, v):
        sig = bytes.fromhex(v["signature"])
        self.assertEqual(k.sign(digest, bytes.fromhex(v["aux"])), sig)
        self.assertEqual(bytes.fromhex(v["aux"]), crypto.sha256(digest))
        self.assertTrue(crypto.verify(k.public_key, digest, sig))
        self.assertFalse(crypto.verify(k.public_key, bytes([digest[0] ^ 1]) + digest[1:], sig))

    def test_transactions(self):
        contracts = set()
        for t in self.v["transactions"]["vectors"]:
            with self.subTest(t["name"]):
                k = self.check_key(t)
                body = bytes.fromhex(t["body"])
                self.assertEqual(crypto.sha256(body).hex(), t["tx_hash"])
                digest = sc.signing_hash(body)
                self.assertEqual(digest, crypto.tagged_hash(b"sharechain/tx", body))
                self.assertEqual(digest.hex(), t["digest"])
                self.check_sig(k, digest, t)
                st = types_pb2.SignedTransaction()
                st.ParseFromString(bytes.fromhex(t["signed_transaction"]))
                self.assertEqual(st.body, body)
                self.assertTrue(verify_signed(st))
                self.assertEqual(sc.tx_hash(st).hex(), t["tx_hash"])
                parsed = types_pb2.TransactionBody()
                parsed.ParseFromString(body)
                self.assertEqual(parsed.chain_id, t["chain_id"])
                self.assertEqual(parsed.nonce, t["nonce"])
                self.assertEqual(sc.format_address(parsed.sender), t["address"])
                self.assertEqual(parsed.WhichOneof("call"), t["contract"])
                # The SDK builds the very same bytes from the same call.
                call = getattr(parsed, t["contract"])
                rebuilt = sc.build_body(parsed.chain_id, parsed.sender, parsed.nonce, call)
                self.assertEqual(rebuilt.SerializeToString(), body)
                contracts.add(t["contract"])
        self.assertEqual(contracts, {"ledger", "assets", "usage", "revenue", "financing",
                                     "vehicles"})

    def test_asset_consent(self):
        c = self.v["asset_consent"]
        k = self.check_key(c)
        spec = bytes.fromhex(c["spec"])
        self.assertEqual(bytes.fromhex(c["preimage"]), c["chain_id"].encode() + b"\0" + spec)
        digest = crypto.asset_consent_digest(c["chain_id"], spec)
        self.assertEqual(digest.hex(), c["digest"])
        self.check_sig(k, digest, c)
        consent = sc.owner_consent(k, c["chain_id"], spec, bytes.fromhex(c["aux"]))
        self.assertEqual(consent.signature.hex(), c["signature"])

    def test_consensus(self):
        v = self.v["consensus"]
        chain = v["chain_id"]
        keys = [self.check_key(x) for x in v["validators"]]
        b = v["block"]
        block = types_pb2.Block()
        block.ParseFromString(bytes.fromhex(b["serialized"]))
        self.assertEqual(crypto.sha256(block.header).hex(), b["hash"])
        bh = bytes.fromhex(b["hash"])
        hashes = []
        for raw in block.transactions:
            st = types_pb2.SignedTransaction()
            st.ParseFromString(raw)
            hashes.append(crypto.sha256(st.body))
        self.assertEqual(crypto.merkle_root(hashes).hex(), b["tx_root"])
        header = types_pb2.BlockHeader()
        header.ParseFromString(block.header)
        self.assertEqual(header.tx_root.hex(), b["tx_root"])

        for name, kind in (("prepare", crypto.VOTE_PREPARE), ("commit", crypto.VOTE_COMMIT)):
            d = v[name]
            self.assertEqual(d["kind"], kind)
            pre = crypto.vote_preimage(kind, chain, d["view"], d["height"], bh)
            self.assertEqual(pre.hex(), d["preimage"])
            # kind || be32(len) || chain_id || be64(view) || be64(height) || hash
            self.assertEqual(pre[0], kind)
            self.assertEqual(int.from_bytes(pre[1:5], "big"), len(chain))
            self.assertEqual(len(pre), 1 + 4 + len(chain) + 8 + 8 + 32)
            self.assertEqual(crypto.vote_digest(kind, chain, d["view"], d["height"], bh).hex(),
                             d["digest"])
        cp = v["checkpoint"]
        self.assertEqual(crypto.checkpoint_digest(chain, cp["height"], bh,
                                                  bytes.fromhex(cp["state_root"])).hex(),
                         cp["digest"])
        e = v["envelope"]
        payload = bytes.fromhex(e["payload"])
        self.assertEqual(crypto.envelope_preimage(chain, payload).hex(), e["preimage"])
        digest = crypto.envelope_digest(chain, payload)
        self.assertEqual(digest.hex(), e["digest"])
        self.check_sig(keys[e["validator"]], digest, e)
        msg = consensus_pb2.Message()
        msg.ParseFromString(payload)
        self.assertEqual(msg.WhichOneof("kind"), "commit")

        c = v["commit_certificate"]
        digest = crypto.vote_digest(crypto.VOTE_COMMIT, chain, c["view"], c["height"], bh)
        self.assertEqual(digest.hex(), c["digest"])
        self.assertEqual(block.certificate.SerializeToString().hex(), c["serialized"])
        seen = set()
        for vote in block.certificate.votes:
            self.assertTrue(crypto.verify(keys[vote.validator].public_key, digest, vote.signature))
            seen.add(vote.validator)
        self.assertGreaterEqual(len(seen), 3)  # a quorum of 4
        for vote in c["votes"]:
            self.check_sig(keys[vote["validator"]], digest, vote)


class Keys(unittest.TestCase):
    def test_hex_and_address(self):
        k = sc.PrivateKey.from_hex("0x" + "11" * 32)
        self.assertEqual(k.secret_hex(), "11" * 32)
        self.assertEqual(k.address, crypto.sha256(k.public_key)[:20])
        self.assertEqual(sc.parse_address(k.address_text), k.address)
        self.assertEqual(sc.parse_address(k.address_text[2:]), k.address)
        for bad in ("sc12", "zz" * 20, "sc" + "g" * 40):
            with self.assertRaises(ValueError):
                sc.parse_address(bad)

    def test_bad_secrets(self):
        for bad in ("00" * 32, "ff" * 32, "12", "zz" * 32):
            with self.assertRaises(ValueError):
                sc.PrivateKey.from_hex(bad)

    def test_generate_signs_randomly_and_verifies(self):
        k = sc.PrivateKey.generate()
        d = crypto.sha256(b"x")
        s1, s2 = k.sign(d), k.sign(d)
        self.assertNotEqual(s1, s2)  # fresh aux each time, as the node signs
        self.assertTrue(crypto.verify(k.public_key, d, s1))
        self.assertTrue(crypto.verify(k.public_key, d, s2))


class Transactions(unittest.TestCase):
    def test_every_contract_call_fits_the_body(self):
        k = sc.PrivateKey.generate()
        calls = {
            "ledger": sc.transfer(k.address, 1),
            "assets": sc.register_asset(sc.transactions.asset_spec("parking", "P1", "x", 100)),
            "usage": usage_pb2.Call(pay_deposit=usage_pb2.PayDeposit(reservation_id=b"r" * 16)),
            "revenue": sc.revenue_pb2.Call(settle=sc.revenue_pb2.SettleModel(model_id=b"m")),
            "financing": sc.financing_pb2.Call(
                close_round=sc.financing_pb2.CloseRound(financing_id=b"f")),
            "vehicles": sc.vehicles_pb2.Call(accept_transfer=sc.vehicles_pb2.AcceptTransfer(
                record_id=b"r")),
        }
        for contract, call in calls.items():
            body = sc.build_body("c", k.address, 3, call)
            self.assertEqual(body.WhichOneof("call"), contract)
            tx = sc.sign_body(body, k)
            self.assertTrue(verify_signed(tx))
        with self.assertRaises(TypeError):
            sc.build_body("c", k.address, 0, ledger_pb2.Transfer())

    def test_tampering_is_detected(self):
        k, other = sc.PrivateKey.generate(), sc.PrivateKey.generate()
        tx = sc.sign_body(sc.build_body("c", k.address, 0, sc.transfer(other.address, 5)), k)
        bad = types_pb2.SignedTransaction()
        bad.CopyFrom(tx)
        bad.body = tx.body[:-1] + bytes([tx.body[-1] ^ 1])
        self.assertFalse(verify_signed(bad))
        bad.CopyFrom(tx)
        bad.public_key = other.public_key
        self.assertFalse(verify_signed(bad))
        with self.assertRaises(ValueError):
            sc.sign_body(sc.build_body("c", other.address, 0, sc.transfer(k.address, 1)), k)


def seal_key_file(path, name, key, passphrase, n=1 << 10):
    """Writes a key file the way tools/common/keystore.cpp does."""
    import hashlib
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    salt, iv = os.urandom(32), os.urandom(12)
    derived = hashlib.scrypt(passphrase.encode(), salt=salt, n=n, r=8, p=1, dklen=32)
    sealed = AESGCM(derived).encrypt(iv, key.secret, key.address_text.encode())
    with open(path, "w") as f:
        json.dump({"version": 1, "name": name, "address": key.address_text,
                   "public_key": key.public_key.hex(),
                   "kdf": {"name": "scrypt", "n": n, "r": 8, "p": 1, "salt": salt.hex()},
                   "cipher": {"name": "aes-256-gcm", "iv": iv.hex()},
                   "ciphertext": sealed[:32].hex(), "tag": sealed[32:].hex()}, f)


class KeystoreFiles(unittest.TestCase):
    def test_sealed_file(self):
        with tempfile.TemporaryDirectory() as d:
            k = sc.PrivateKey.generate()
            seal_key_file(os.path.join(d, "alice.json"), "alice", k, "pass phrase")
            ks = sc.Keystore(d)
            self.assertEqual(ks.info("alice").address, k.address)
            self.assertEqual([i.name for i in ks.list()], ["alice"])
            self.assertEqual(ks.load("alice", "pass phrase").secret, k.secret)
            with self.assertRaisesRegex(sc.KeystoreError, "wrong passphrase"):
                ks.load("alice", "another")
            with self.assertRaisesRegex(sc.KeystoreError, "no key named"):
                ks.load("bob", "pass phrase")
            with self.assertRaises(sc.KeystoreError):
                ks.load("../alice", "pass phrase")
            # The address is authenticated: a file moved under another address is refused.
            with open(os.path.join(d, "alice.json")) as f:
                j = json.load(f)
            other = sc.PrivateKey.generate()
            j["address"], j["public_key"] = other.address_text, other.public_key.hex()
            with open(os.path.join(d, "alice.json"), "w") as f:
                json.dump(j, f)
            with self.assertRaises(sc.KeystoreError):
                ks.load("alice", "pass phrase")

    def test_passphrase_file(self):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "pass")
            open(p, "wb").write(b"secret words\r\n")
            self.assertEqual(sc.read_passphrase_file(p), "secret words")
            open(p, "wb").write(b"two\n\n")
            self.assertEqual(sc.read_passphrase_file(p), "two\n")

    @unittest.skipUnless(os.path.exists(os.environ.get("SHARECHAIN_WALLET", "")),
                         "SHARECHAIN_WALLET does not name the built wallet")
    def test_wallet_written_file(self):
        wallet = os.environ["SHARECHAIN_WALLET"]
        with tempfile.TemporaryDirectory() as d:
            secret = "22" * 32
            sf = os.path.join(d, "secret")
            open(sf, "w").write(secret + "\n")
            pf = os.path.join(d, "pass")
            open(pf, "w").write("wallet pass\n")
            ks = os.path.join(d, "ks")
            subprocess.run([wallet, "--keystore", ks, "--passphrase-file", pf, "keys", "import",
                            "carol", "--secret-file", sf, "--light"], check=True,
                           stdout=subprocess.DEVNULL)
            k = sc.Keystore(ks).load("carol", sc.read_passphrase_file(pf))
            self.assertEqual(k.secret_hex(), secret)


class FakeRpcError(grpc.RpcError):
    def __init__(self, code, message, trailing=(), initial=()):
        self._c, self._m, self._t, self._i = code, message, trailing, initial

    def code(self):
        return self._c

    def details(self):
        return self._m

    def trailing_metadata(self):
        return self._t

    def initial_metadata(self):
        return self._i


class ErrorMapping(unittest.TestCase):
    def test_already_committed(self):
        receipt = types_pb2.Receipt(tx_hash=b"h" * 32, height=12, index=0)
        details = api_pb2.SubmitResponse(tx_hash=b"h" * 32, status=api_pb2.TX_COMMITTED,
                                         height=12, receipt=receipt)
        err = errors.from_rpc_error(FakeRpcError(
            grpc.StatusCode.ALREADY_EXISTS, "transaction ... was already committed at height 12",
            trailing=[("grpc-status-details-bin", details.SerializeToString())],
            initial=[("sharechain-synced", "true"), ("sharechain-height", "15")]), "n1")
        self.assertEqual(err.code, grpc.StatusCode.ALREADY_EXISTS)
        self.assertTrue(err.committed)
        self.assertEqual(err.height, 12)
        self.assertEqual(err.receipt.index, 0)
        self.assertEqual(err.tx_hash, b"h" * 32)
        self.assertTrue(err.synced)
        self.assertIn("already committed", str(err))

    def test_pending_and_other_errors(self):
        err = errors.from_rpc_error(FakeRpcError(grpc.StatusCode.ALREADY_EXISTS, "already pending"))
        self.assertFalse(err.committed)
        self.assertIsNone(err.height)
        err = errors.from_rpc_error(FakeRpcError(grpc.StatusCode.FAILED_PRECONDITION,
                                                 "nonce 3 already used"), "n1")
        self.assertEqual(err.code, grpc.StatusCode.FAILED_PRECONDITION)
        self.assertEqual(err.message, "nonce 3 already used")
        self.assertEqual(err.node, "n1")
        self.assertIsNone(err.synced)
        # Details that are not a SubmitResponse are ignored, not misread.
        err = errors.from_rpc_error(FakeRpcError(
            grpc.StatusCode.ALREADY_EXISTS, "x", trailing=[("grpc-status-details-bin", b"\xff\x01")]))
        self.assertIsNone(err.details)

    def test_next_nonce_fallback(self):
        self.assertEqual(sc.next_nonce_of(ledger_pb2.Account(nonce=4)), 4)
        self.assertEqual(sc.next_nonce_of(ledger_pb2.Account(nonce=4, next_nonce=7)), 7)
        self.assertEqual(sc.next_nonce_of(ledger_pb2.Account()), 0)


# --- event following against a scripted chain ----------------------------------------------------

def scripted_chain():
    """Blocks 1..6: block h holds h % 3 events (none in blocks 3 and 6)."""
    events = []
    for h in range(1, 7):
        for i in range(h % 3):
            events.append((h, i))
    return events


class ScriptedClient:
    """Stands in for Client: serves SubscribeEvents from a list, by the cursor rules of api.proto,
    optionally repeating the last event of each block (a server bug) to test the guard."""

    def __init__(self, events, tip=6, repeat=False):
        self.events, self.tip, self.repeat = events, tip, repeat
        self.requests = []

    def get_status(self):
        return api_pb2.NodeStatus(height=self.tip)

    def subscribe_events(self, event_filter, cursor, retry_for):
        self.requests.append((cursor.height, cursor.index))
        start = (max(cursor.height, 1), cursor.index)
        for h in range(start[0], self.tip + 1):
            batch = api_pb2.EventBatch(height=h, next=api_pb2.EventCursor(height=h + 1))
            for (eh, ei) in self.events:
                if eh == h and (eh, ei) >= start:
                    batch.events.add(position=api_pb2.EventCursor(height=eh, index=ei),
                                     event=types_pb2.Event(contract="ledger", name="Transferred"))
            if self.repeat and batch.events:
                batch.events.add().CopyFrom(batch.events[-1])
            yield batch


class Cursor(unittest.TestCase):
    def test_file_store(self):
        with tempfile.TemporaryDirectory() as d:
            s = FileCursorStore(os.path.join(d, "cursor.json"))
            self.assertIsNone(s.load())
            s.save(api_pb2.EventCursor(height=9, index=2))
            c = FileCursorStore(os.path.join(d, "cursor.json")).load()
            self.assertEqual((c.height, c.index), (9, 2))
            self.assertEqual(sorted(os.listdir(d)), ["cursor.json"])

    def test_restart_between_events_sees_each_once(self):
        chain = scripted_chain()
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "cursor.json")
            seen = []
            for stop_after in (1, 2, 1, 100):  # four runs of a program, each stopped early
                client = ScriptedClient(chain)
                follower = sc.Client.follow_events(client, FileCursorStore(path),
                                                   start=api_pb2.EventCursor(height=0))
                with follower:
                    for n, rec in enumerate(follower, 1):
                        seen.append((rec.position.height, rec.position.index))
                        if n == stop_after:
                            break
            self.assertEqual(seen, chain)
            c = FileCursorStore(path).load()
            self.assertEqual((c.height, c.index), (7, 0))

    def test_cursor_saved_only_after_processing(self):
        store = MemoryCursorStore()
        follower = sc.Client.follow_events(ScriptedClient(scripted_chain()), store,
                                           start=api_pb2.EventCursor(height=0))
        first = next(follower)
        self.assertEqual((first.position.height, first.position.index), (1, 0))
        self.assertEqual((store.load().height, store.load().index), (0, 0))  # not yet processed
        second = next(follower)  # block 1 is done: its batch's next is stored
        self.assertEqual((second.position.height, second.position.index), (2, 0))
        self.assertEqual((store.load().height, store.load().index), (2, 0))
        follower.ack()
        self.assertEqual((store.load().height, store.load().index), (2, 1))

    def test_failure_while_processing_sees_the_event_again(self):
        store = MemoryCursorStore()
        with self.assertRaises(RuntimeError):
            with sc.Client.follow_events(ScriptedClient(scripted_chain()), store,
                                         start=api_pb2.EventCursor(height=0)) as follower:
                for rec in follower:
                    if rec.position.height == 2:
                        raise RuntimeError("processing failed")
        self.assertEqual((store.load().height, store.load().index), (2, 0))

    def test_unset_start_is_the_next_block(self):
        client = ScriptedClient(scripted_chain())
        store = MemoryCursorStore()
        self.assertEqual(list(sc.Client.follow_events(client, store)), [])
        self.assertEqual(client.requests, [(7, 0)])

    def test_repeated_events_are_dropped(self):
        follower = sc.Client.follow_events(ScriptedClient(scripted_chain(), repeat=True),
                                           MemoryCursorStore(), start=api_pb2.EventCursor())
        got = [(r.position.height, r.position.index) for r in follower]
        self.assertEqual(got, scripted_chain())
        self.assertEqual(follower.dropped, 4)


# --- a fake node in-process -----------------------------------------------------------------------

class FakeNode(api_pb2_grpc.ClientServicer):
    def __init__(self, synced=True, refuse=None):
        self.synced, self.refuse = synced, refuse
        self.calls = []
        self.committed = {}

    def _meta(self, context):
        context.send_initial_metadata([("sharechain-synced", "true" if self.synced else "false"),
                                       ("sharechain-height", "5")])

    def GetStatus(self, request, context):
        self.calls.append("GetStatus")
        self._meta(context)
        return api_pb2.NodeStatus(chain_id="fake", height=5, synced=self.synced)

    def GetAccount(self, request, context):
        self.calls.append("GetAccount")
        self._meta(context)
        if self.refuse:
            context.abort(self.refuse, "catching up: height 1 of 5; try another node")
        if request.address == b"\x01" * 20:
            context.abort(grpc.StatusCode.NOT_FOUND, "no account")
        return ledger_pb2.Account(address=request.address, nonce=2)

    def SubmitTransaction(self, request, context):
        self.calls.append("SubmitTransaction")
        self._meta(context)
        if self.refuse:
            context.abort(self.refuse, "catching up; try another node")
        h = crypto.sha256(request.transaction.body)
        if h in self.committed:
            details = api_pb2.SubmitResponse(tx_hash=h, status=api_pb2.TX_COMMITTED,
                                             height=self.committed[h],
                                             receipt=types_pb2.Receipt(tx_hash=h, height=3))
            context.set_trailing_metadata([("grpc-status-details-bin",
                                            details.SerializeToString())])
            context.abort(grpc.StatusCode.ALREADY_EXISTS,
                          f"transaction {h.hex()} was already committed at height 3")
        self.committed[h] = 3
        return api_pb2.SubmitResponse(tx_hash=h, status=api_pb2.TX_PENDING)

    def SubscribeBlocks(self, request, context):
        self.calls.append(("SubscribeBlocks", request.from_height))
        for h in range(request.from_height, request.from_height + 3):
            yield api_pb2.BlockInfo(height=h)
        if self.refuse:
            context.abort(self.refuse, "the node is shutting down")
        for h in range(request.from_height + 3, 100):
            yield api_pb2.BlockInfo(height=h)


def serve(node):
    server = grpc.server(concurrent.futures.ThreadPoolExecutor(max_workers=4))
    api_pb2_grpc.add_ClientServicer_to_server(node, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, f"127.0.0.1:{port}"


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class FakeNodes(unittest.TestCase):
    def setUp(self):
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            s.stop(0)

    def start(self, node):
        server, addr = serve(node)
        self.servers.append(server)
        return addr

    def test_already_exists_end_to_end(self):
        node = FakeNode()
        client = sc.Client([self.start(node)], timeout=5)
        k = sc.PrivateKey.generate()
        tx = client.build(k, sc.transfer(k.address, 1))
        self.assertEqual(client.submit(tx).status, api_pb2.TX_PENDING)
        with self.assertRaises(sc.ShareChainError) as ctx:
            client.submit(tx)
        err = ctx.exception
        self.assertEqual(err.code, grpc.StatusCode.ALREADY_EXISTS)
        self.assertTrue(err.committed)
        self.assertEqual(err.height, 3)
        self.assertEqual(err.receipt.height, 3)
        self.assertEqual(err.tx_hash, sc.tx_hash(tx))
        self.assertTrue(err.synced)
        self.assertEqual(client.get_account(b"\x01" * 20).nonce, 0)  # unknown: a zero account

    def test_failover_and_synced_preference(self):
        behind = FakeNode(synced=False, refuse=grpc.StatusCode.UNAVAILABLE)
        good = FakeNode()
        dead = f"127.0.0.1:{free_port()}"
        client = sc.Client([dead, self.start(behind), self.start(good)], timeout=3)
        self.assertEqual(client.get_account(b"\x02" * 20).nonce, 2)
        self.assertEqual(client.node, client.nodes[2])   # the synced one
        # The one it uses goes away: the next call moves on past the dead and the refusing one.
        client._current = 1
        behind.synced = True  # it claims to be synced but refuses transactions
        k = sc.PrivateKey.generate()
        tx = client.build(k, sc.transfer(k.address, 1), nonce=0)
        self.assertEqual(client.submit(tx).status, api_pb2.TX_PENDING)
        self.assertEqual(client.node, client.nodes[2])
        self.assertIn("SubmitTransaction", behind.calls)

    def test_block_stream_resumes_on_the_next_node(self):
        failing, good = FakeNode(refuse=grpc.StatusCode.UNAVAILABLE), FakeNode()
        client = sc.Client([self.start(failing), self.start(good)], timeout=3)
        heights = []
        for b in client.subscribe_blocks(from_height=5, retry_for=5):
            heights.append(b.height)
            if len(heights) == 8:
                break
        self.assertEqual(heights, list(range(5, 13)))
        self.assertEqual(good.calls, [("SubscribeBlocks", 8)])

    def test_no_node(self):
        client = sc.Client([f"127.0.0.1:{free_port()}"], timeout=1)
        with self.assertRaises(sc.NoNodeAvailable) as ctx:
            client.get_status()
        self.assertEqual(ctx.exception.code, grpc.StatusCode.UNAVAILABLE)


if __name__ == "__main__":
    unittest.main()
