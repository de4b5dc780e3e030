"""Unit tests of the Python SDK; no node needed.
  Bip340Vectors        the published BIP340 vectors through the ctypes binding
  TestVectorsFile      docs/test-vectors.json: keys, addresses, bodies, digests, signatures,
                       consent, consensus vote / checkpoint / envelope / certificate digests,
                       the state tree's roots and proofs (rebuilt, and proven under a block)
  Keys                 hex import, generation, bad secrets, address text round trip
  Transactions         body building for every contract, signing, tampering detected
  KeystoreFiles        a key file sealed as the wallet seals it; wrong passphrase; the wallet's
                       own file when SHARECHAIN_WALLET names its binary
  ErrorMapping         ALREADY_EXISTS with a SubmitResponse in the status details; plain errors
  Cursor               file store round trip; a follower stopped between events and started
                       again sees every event once; repeated events from a server are dropped
  FakeNodes            an in-process gRPC server: metadata, ALREADY_EXISTS details end to end,
                       failover past UNAVAILABLE and an unreachable address, synced preferred,
                       a block stream that resumes on the next node at the next height,
                       get_proof and get_state_proof waiting out "not certified yet"
  ProofBundles         docs/proofs.md offline: Merkle paths (the document's example and every
                       position of 1..9 leaves), quorums of 4 and 7, a hand-built chain whose
                       every tampered part fails naming it, revenue statements at the bounds of
                       months and years (leap Februaries, December into January), their parts
                       matched to their splits, other assets and 64-bit overflows refused, the
                       subject each kind names, and the C++ wallet's own bundles in
                       tests/fixtures/ (a transaction, a vehicle report, a revenue statement,
                       and a transaction of epoch 4 carrying the chain of five validator sets)
                       proven with its facts, failing on any changed value and against another
                       genesis; chains of validator sets: bundles across two switches proven,
                       and each rule of the set chain and of a header's epoch broken in turn
                       and refused with its exact reason; with SHARECHAIN_WALLET, its
                       verify-bundle agrees on all of them, on the hand-built statements and on
                       changed ones, and on the set-chain bundles word for word; state proofs
                       (docs/proofs.md, "State proofs") of a hand-built chain with a state tree,
                       its tree rebuilt by a reference builder here: present keys, absent ones
                       whose path ends empty or at another leaf, the empty state, "state"
                       bundles and vehicle reports with their vehicle_state proven; every field
                       of a state proof, the genesis file's state_tree and each kind's rules
                       broken in turn and refused with its exact reason (a record left out of
                       a report among them); with SHARECHAIN_WALLET, the same verdicts there
"""

import concurrent.futures
import contextlib
import hashlib
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
                        errors, ledger_pb2, proofs, types_pb2, usage_pb2, vehicles_pb2)
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

    def test_addresses(self):
        v = self.v["addresses"]
        for a in v["valid"]:
            raw = bytes.fromhex(a["raw"])
            self.assertEqual(sc.format_address(raw), a["text"])
            self.assertEqual(sc.parse_address(a["text"]), raw)
            self.assertEqual(sc.parse_address(a["legacy"]), raw)
        for a in v["invalid"]:
            with self.assertRaises(ValueError) as ctx:
                sc.parse_address(a["text"])
            self.assertIn(a["error"], str(ctx.exception))

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

        e = v["epoch_envelope"]
        self.assertGreater(e["epoch"], 0)
        payload = bytes.fromhex(e["payload"])
        self.assertEqual(crypto.envelope_preimage(chain, payload, e["epoch"]).hex(), e["preimage"])
        digest = crypto.envelope_digest(chain, payload, e["epoch"])
        self.assertEqual(digest.hex(), e["digest"])
        self.assertNotEqual(digest, crypto.envelope_digest(chain, payload))
        self.check_sig(keys[e["validator"]], digest, e)
        vs = v["validator_set"]
        set_keys = [bytes.fromhex(k) for k in vs["public_keys"]]
        self.assertEqual(set_keys, [k.public_key for k in keys])
        self.assertEqual(crypto.validator_set_hash(set_keys).hex(), vs["hash"])
        self.assertNotEqual(crypto.validator_set_hash(set_keys[::-1]).hex(), vs["hash"])

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

    def test_state_tree(self):
        """The tree of the vectors' entries rebuilt with RefStateTree (roots and every proof,
        byte for byte), and each proof checked by verify_state_proof under a hand-built block
        that certifies the vectors' state root."""
        v = self.v["state_tree"]
        entries = {bytes.fromhex(e["key"]): bytes.fromhex(e["value"]) for e in v["entries"]}
        self.assertEqual(len(entries), 8)
        self.assertIn(b"", entries.values())
        self.assertTrue(all(k.isascii() for k in entries))
        tree = RefStateTree(entries)
        lthash_root = crypto.sha256(b"lthash root of the vectors")
        state_root = crypto.tagged_hash(b"sharechain/state-root", lthash_root + tree.root())
        self.assertEqual((v["tree_root"], v["lthash_root"], v["state_root"], v["empty_tree_root"]),
                         (tree.root().hex(), lthash_root.hex(), state_root.hex(), "00" * 32))
        self.assertEqual(RefStateTree({}).root(), bytes(32))
        chain = MiniChain(state_tree=True)
        chain.state_root = lambda h: state_root if h == 5 else MiniChain.state_root(chain, h)
        for _ in range(2):   # block 6 certifies the state after 5
            chain.add_block([(chain.tx(chain.user(7), sc.transfer(b"\x02" * 20, 1)), [], 0, "")])
        ends = []
        for j in v["proofs"]:
            key = bytes.fromhex(j["key"])
            present, value, siblings, other = tree.path(key)
            expected = {"key": j["key"], "present": present}
            if present:
                expected["value"] = value.hex()
            expected["siblings"] = [x.hex() for x in siblings]
            if other is not None:
                expected["other_key_hash"], expected["other_value_hash"] = (x.hex() for x in other)
            self.assertEqual(j, expected)
            ends.append("present" if present else "leaf" if other else "empty")
            p = proofs.state_proof_from_json({**j, "height": 5, "lthash_root": v["lthash_root"],
                                              "anchor": certified_json(api_pb2.CertifiedHeader(
                                                  header=chain.blocks[6][0],
                                                  certificate=chain.blocks[6][1]))})
            got = proofs.verify_state_proof(p, chain.trust)
            self.assertEqual((got.key, got.present, got.value, got.anchor_height),
                             (key, present, entries.get(key, b""), 6))
        self.assertGreaterEqual(ends.count("present"), 2)
        self.assertIn("leaf", ends)
        self.assertIn("empty", ends)


class Keys(unittest.TestCase):
    def test_hex_and_address(self):
        k = sc.PrivateKey.from_hex("0x" + "11" * 32)
        self.assertEqual(k.secret_hex(), "11" * 32)
        self.assertEqual(k.address, crypto.sha256(k.public_key)[:20])
        self.assertEqual(sc.parse_address(k.address_text), k.address)
        self.assertTrue(k.address_text.startswith("sc1"))
        self.assertEqual(len(k.address_text), 41)
        self.assertEqual(sc.parse_address(k.address_text.upper()), k.address)
        self.assertEqual(sc.parse_address("sc" + k.address.hex()), k.address)  # legacy form
        for bad in ("sc12", "zz" * 20, "sc" + "g" * 40, k.address.hex(), k.address_text[:-1],
                    k.address_text[:9] + k.address_text[9].upper() + k.address_text[10:]):
            with self.assertRaises(ValueError):
                sc.parse_address(bad)

    def test_checksum_catches_every_single_typo_and_swap(self):
        text = sc.PrivateKey.from_hex("22" * 32).address_text
        charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
        typos = [text[:i] + c + text[i + 1:] for i in range(3, len(text)) for c in charset
                 if c != text[i]]
        swaps = [text[:i] + text[i + 1] + text[i] + text[i + 2:] for i in range(3, len(text) - 1)
                 if text[i] != text[i + 1]]
        for bad in typos + swaps:
            with self.assertRaises(ValueError) as ctx:
                sc.parse_address(bad)
            self.assertIn("checksum does not match", str(ctx.exception))

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
    # The additional authenticated data is the legacy text of the address (docs/wallet.md).
    sealed = AESGCM(derived).encrypt(iv, key.secret, ("sc" + key.address.hex()).encode())
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
        self.proofs = {}        # tx hash -> TransactionProof
        self.uncertified = 0    # GetProof answers "not certified yet" this many times first
        self.state_proofs = {}  # state key -> StateProof

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

    def GetProof(self, request, context):
        self.calls.append("GetProof")
        self._meta(context)
        if request.tx_hash not in self.proofs:
            context.abort(grpc.StatusCode.NOT_FOUND, "no committed transaction with that hash")
        if self.uncertified > 0:
            self.uncertified -= 1
            context.abort(grpc.StatusCode.FAILED_PRECONDITION,
                          "the receipt of block 5 is not certified yet: retry")
        return self.proofs[request.tx_hash]

    def GetStateProof(self, request, context):
        self.calls.append("GetStateProof")
        self._meta(context)
        if not request.key:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "the key is empty")
        if self.uncertified > 0:
            self.uncertified -= 1
            context.abort(grpc.StatusCode.FAILED_PRECONDITION,
                          "the state of block 7 is not certified yet: retry")
        if request.key not in self.state_proofs:
            context.abort(grpc.StatusCode.FAILED_PRECONDITION,
                          'the genesis file names no "state_tree"')
        return self.state_proofs[request.key]

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

    def test_get_proof_waits_for_certification(self):
        chain = payment_chain()
        proof = chain.proof(5, 1)
        node = FakeNode()
        node.proofs[proof_tx_hash(proof)] = proof
        node.uncertified = 2
        client = sc.Client([self.start(node)], timeout=3)
        with self.assertRaises(sc.ShareChainError) as ctx:
            client.get_proof(proof_tx_hash(proof))
        self.assertEqual(ctx.exception.code, grpc.StatusCode.FAILED_PRECONDITION)
        got = client.get_proof(proof_tx_hash(proof), wait=5, poll=0.05)
        self.assertEqual(got, proof)
        self.assertEqual(proofs.verify_transaction_proof(got, chain.trust).tx_hash,
                         proof_tx_hash(proof).hex())
        with self.assertRaises(sc.ShareChainError) as ctx:
            client.get_proof(b"\x09" * 32, wait=5)
        self.assertEqual(ctx.exception.code, grpc.StatusCode.NOT_FOUND)

    def test_get_state_proof_waits_for_certification(self):
        chain = state_chain()
        key = ACCOUNT_KEYS[0]
        proof = chain.state_proof(key, 7)
        node = FakeNode()
        node.state_proofs[key] = proof
        node.uncertified = 2
        client = sc.Client([self.start(node)], timeout=3)
        with self.assertRaises(sc.ShareChainError) as ctx:
            client.get_state_proof(key)
        self.assertEqual(ctx.exception.code, grpc.StatusCode.FAILED_PRECONDITION)
        got = client.get_state_proof(key, wait=5, poll=0.05)
        self.assertEqual(got, proof)
        self.assertEqual(node.calls.count("GetStateProof"), 3)
        proven = sc.verify_state_proof(got, chain.trust)
        self.assertEqual((proven.key, proven.present, proven.value, proven.height,
                          proven.anchor_height), (key, True, chain.entries_at(7)[key], 7, 8))
        # Any other refusal is not waited out.
        with self.assertRaises(sc.ShareChainError) as ctx:
            client.get_state_proof(b"", wait=5)
        self.assertEqual(ctx.exception.code, grpc.StatusCode.INVALID_ARGUMENT)
        with self.assertRaises(sc.ShareChainError) as ctx:
            client.get_state_proof(b"no/such/proof", wait=5)
        self.assertEqual(ctx.exception.code, grpc.StatusCode.FAILED_PRECONDITION)
        self.assertIn("state_tree", ctx.exception.message)

    def test_no_node(self):
        client = sc.Client([f"127.0.0.1:{free_port()}"], timeout=1)
        with self.assertRaises(sc.NoNodeAvailable) as ctx:
            client.get_status()
        self.assertEqual(ctx.exception.code, grpc.StatusCode.UNAVAILABLE)


# --- proof bundles (docs/proofs.md) ---------------------------------------------------------------

FIXTURES = os.path.join(HERE, "fixtures")


def merkle_path(leaves, index):
    """Sibling hashes from a leaf up to the root of the full tree, built level by level (the
    writer's side, kept apart from the verifier's path walk)."""
    level = [crypto.sha256(b"\x00" + h) for h in leaves]
    path = []
    while len(level) > 1:
        if index ^ 1 < len(level):
            path.append(level[index ^ 1])
        nxt = [crypto.sha256(b"\x01" + level[i] + level[i + 1])
               for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level, index = nxt, index // 2
    return path


def proof_tx_hash(proof):
    st = types_pb2.SignedTransaction()
    st.ParseFromString(proof.transaction)
    return crypto.sha256(st.body)


def certificate_json(cert):
    return {"height": cert.height, "view": cert.view, "block_hash": cert.block_hash.hex(),
            "votes": [{"validator": v.validator, "signature": v.signature.hex()}
                      for v in cert.votes]}


def certified_json(c):
    return {"header": c.header.hex(), "certificate": certificate_json(c.certificate)}


def proof_json(p):
    """A TransactionProof in its bundle form, as proofs/bundle.cpp writes it."""
    return {"height": p.height, "index": p.index, "block": certified_json(p.block),
            "transaction": p.transaction.hex(), "transaction_count": p.transaction_count,
            "transaction_path": [h.hex() for h in p.transaction_path],
            "receipt": p.receipt.hex(), "receipt_count": p.receipt_count,
            "receipt_path": [h.hex() for h in p.receipt_path],
            "previous_history": p.previous_history.hex(),
            "previous_state_root": p.previous_state_root.hex(),
            "links": [{"height": x.height, "receipts_root": x.receipts_root.hex(),
                       "previous_state_root": x.previous_state_root.hex()} for x in p.links],
            "anchor": certified_json(p.anchor)}


def event(contract, name, **attributes):
    """An event as the contracts emit it: numbers carry their typed value too."""
    e = types_pb2.Event(contract=contract, name=name)
    for k, v in attributes.items():
        a = e.attributes.add(key=k, value=str(v))
        if isinstance(v, int):
            a.number = v
    return e


def receipts_root(receipts):
    return crypto.merkle_root([crypto.sha256(r) for r in receipts])


class MiniChain:
    """A chain built by hand from height 5 up: blocks of signed transactions and receipts, each
    header certifying the history after the block before it, each certified by `signers` of the
    validator set in force. add_block(..., next_set=keys) makes the block the switch block of
    its epoch: the blocks after it are of the next epoch, name that set and are certified by
    it."""

    def __init__(self, n=4, signers=None, chain_id="proof-test", state_tree=False):
        self.chain_id = chain_id
        self.keys = [sc.PrivateKey(bytes([i + 1]) * 32) for i in range(n)]
        self.signers = list(range(proofs.quorum_size(n))) if signers is None else signers
        validators = [{"name": f"v{i}", "public_key": k.public_key.hex(),
                       "peer_address": f"127.0.0.1:{9000 + i}"} for i, k in enumerate(self.keys)]
        genesis = {"chain_id": chain_id, "genesis_time_ms": 1700000000000,
                   "validators": validators}
        if state_tree:
            genesis["state_tree"] = "sparse-merkle-sha256"
        self.genesis = json.dumps(genesis, indent=2).encode()
        self.trust = proofs.trust_from_genesis(self.genesis)
        self.nonces = {}
        self.history = {4: crypto.sha256(b"history 4")}
        self.blocks = {}   # height -> (header bytes, certificate, transactions, receipts)
        # Per epoch: (from_height, keys, signers). Epoch-0 headers name their set only when
        # name_sets is set: blocks certified before the field existed have none.
        self.sets = [(0, self.keys, self.signers)]
        self.name_sets = False

    def user(self, secret_byte):
        return sc.PrivateKey(b"\x00" * 31 + bytes([secret_byte]))

    def state_root(self, height):
        return crypto.sha256(f"root {height}".encode())

    def tx(self, key, call):
        nonce = self.nonces.get(key.address, 0)
        self.nonces[key.address] = nonce + 1
        body = sc.build_body(self.chain_id, key.address, nonce, call)
        return sc.sign_body(body, key).SerializeToString()

    def epoch_at(self, height):
        return max(e for e, (start, _, _) in enumerate(self.sets) if start < height)

    def set_hash(self, epoch):
        return crypto.validator_set_hash([k.public_key for k in self.sets[epoch][1]])

    def certificate(self, header, height, signers=None, view=0, epoch=None):
        """Votes of `signers` of the set of `epoch` (by default the one in force at height)."""
        _, keys, default_signers = self.sets[self.epoch_at(height) if epoch is None else epoch]
        block_hash = crypto.sha256(header)
        digest = crypto.vote_digest(crypto.VOTE_COMMIT, self.chain_id, view, height, block_hash)
        cert = types_pb2.CommitCertificate(height=height, view=view, block_hash=block_hash)
        for i in (default_signers if signers is None else signers):
            cert.votes.add(validator=i, signature=keys[i].sign(digest))
        return cert

    def add_block(self, entries, next_set=None, **header_fields):
        """entries: [(signed transaction bytes, [events], receipt status, error)]; next_set:
        (keys, signers) of the set that certifies the blocks after this one."""
        height = max(self.history) + 1
        epoch = len(self.sets) - 1
        txs, receipts = [e[0] for e in entries], []
        for i, (raw, events, status, error) in enumerate(entries):
            st = types_pb2.SignedTransaction()
            st.ParseFromString(raw)
            receipts.append(types_pb2.Receipt(
                tx_hash=crypto.sha256(st.body), status=status, error=error, height=height, index=i,
                events=events, state_reads=2 + i, state_writes=1).SerializeToString())
        header = types_pb2.BlockHeader(
            chain_id=self.chain_id, height=height, prev_hash=b"\x01" * 32,
            timestamp_ms=1700000000000 + height, tx_root=b"\x02" * 32, state_height=height - 1,
            state_root=self.state_root(height - 1), proposer=height % len(self.sets[epoch][1]),
            signed_tx_root=crypto.merkle_root([crypto.sha256(t) for t in txs]),
            history_root=self.history[height - 1], epoch=epoch)
        if epoch or self.name_sets:
            header.validator_set_hash = self.set_hash(epoch)
        if next_set is not None:
            header.next_validator_set_hash = crypto.validator_set_hash(
                [k.public_key for k in next_set[0]])
        for k, v in header_fields.items():
            setattr(header, k, v)
        raw_header = header.SerializeToString()
        self.blocks[height] = (raw_header, self.certificate(raw_header, height), txs, receipts)
        self.history[height] = proofs.history_next(self.history[height - 1], height,
                                                   receipts_root(receipts),
                                                   self.state_root(height - 1))
        if next_set is not None:
            self.sets.append((height, list(next_set[0]), list(next_set[1])))

    def proof(self, height, index, anchor=None):
        """The proof of (height, index) anchored by `anchor` (by default the next block, added
        if need be: it certifies history(height))."""
        anchor = height + 1 if anchor is None else anchor
        while max(self.blocks) < anchor:
            self.add_block([(self.tx(self.user(99), sc.transfer(b"\x05" * 20, 1)), [], 0, "")])
        header, cert, txs, receipts = self.blocks[height]
        p = api_pb2.TransactionProof(
            height=height, index=index, transaction=txs[index], transaction_count=len(txs),
            receipt=receipts[index], receipt_count=len(receipts),
            previous_history=self.history[height - 1],
            previous_state_root=self.state_root(height - 1),
            transaction_path=merkle_path([crypto.sha256(t) for t in txs], index),
            receipt_path=merkle_path([crypto.sha256(r) for r in receipts], index))
        p.block.header = header
        p.block.certificate.CopyFrom(cert)
        for h in range(height + 1, anchor):
            p.links.add(height=h, receipts_root=receipts_root(self.blocks[h][3]),
                        previous_state_root=self.state_root(h - 1))
        p.anchor.header = self.blocks[anchor][0]
        p.anchor.certificate.CopyFrom(self.blocks[anchor][1])
        return p

    def validator_sets(self, epochs=None):
        """The chain of sets as the verifier trusts it, up to epoch `epochs - 1` (all)."""
        return [proofs.ValidatorSet(e, start, tuple(k.public_key for k in keys))
                for e, (start, keys, _) in enumerate(self.sets[:epochs])]

    def set_entries(self, epochs):
        """validator_sets of a bundle: the first `epochs` sets, each later one with the switch
        block that names it, as proofs/bundle.cpp writes them."""
        out = []
        for e, (start, keys, _) in enumerate(self.sets[:epochs]):
            entry = {"epoch": e, "from_height": start,
                     "validators": [{"index": i, "public_key": k.public_key.hex()}
                                    for i, k in enumerate(keys)]}
            if e:
                header, cert = self.blocks[start][:2]
                entry["switch_block"] = {"header": header.hex(),
                                         "certificate": certificate_json(cert)}
            out.append(entry)
        return out

    def bundle(self, kind, proof_list, facts, subject=None, epochs=None, state_list=()):
        """A bundle of the proofs (and of the StateProofs in `state_list`, as "state_proofs"
        when there are any), with the sets up to the newest epoch their headers name (or the
        first `epochs`)."""
        if epochs is None:
            named = [types_pb2.BlockHeader.FromString(c.header).epoch
                     for p in proof_list for c in (p.block, p.anchor)]
            named += [types_pb2.BlockHeader.FromString(p.anchor.header).epoch for p in state_list]
            epochs = max(named, default=0) + 1
        out = {"format": "sharechain-proof-bundle", "version": 1, "kind": kind,
               "chain_id": self.chain_id, "genesis_hash": crypto.sha256(self.genesis).hex(),
               "validator_sets": self.set_entries(epochs),
               "subject": subject or {}, "facts": facts,
               "proofs": [proof_json(p) for p in proof_list]}
        if state_list:
            out["state_proofs"] = [state_proof_json(p) for p in state_list]
        return out


def payment_chain():
    """Block 5: three transfers of user 7 (the third refused); block 6: one more."""
    chain = MiniChain()
    u = chain.user(7)
    entries = []
    for amount in (100, 200, 300):
        call = sc.transfer(b"\x02" * 20, amount, memo=f"order {amount}")
        refused = amount == 300
        entries.append((chain.tx(u, call),
                        [event("ledger", "Transfer", amount=amount, to=sc.format_address(b"\x02" * 20))],
                        types_pb2.RECEIPT_INSUFFICIENT_FUNDS if refused else types_pb2.RECEIPT_OK,
                        "balance 250 is below 300" if refused else ""))
    chain.add_block(entries)
    chain.add_block([(chain.tx(u, sc.transfer(b"\x03" * 20, 400)), [], 0, "")])
    return chain


VIN = "1HGCM82633A004352"
RECORD = "ab" * 32
EVIDENCE = "cd" * 32


def vehicle_submission(chain, key, record=RECORD):
    """`record` submitted by `key` for Acme Motors, to be decided by two endorsements."""
    submit = vehicles_pb2.Call(submit=vehicles_pb2.SubmitRecord(
        vin=VIN, kind=vehicles_pb2.ACCIDENT, occurred_at_ms=1690000000000,
        summary="rear collision", evidence_hash=bytes.fromhex(EVIDENCE)))
    return (chain.tx(key, submit), [event(
        "vehicles", "RecordSubmitted", record=record, vin=VIN, kind="ACCIDENT",
        submitter=key.address_text, organisation="Acme Motors", occurred_at_ms=1690000000000,
        odometer_km=0, evidence=EVIDENCE, status="PENDING", threshold=2)], 0, "")


def vehicle_endorsement(chain, key, org, true_count, decided):
    call = vehicles_pb2.Call(endorse=vehicles_pb2.Endorse(record_id=bytes.fromhex(RECORD),
                                                           verdict=vehicles_pb2.VERDICT_TRUE))
    events = [event("vehicles", "RecordEndorsed", record=RECORD, vin=VIN,
                    attester=key.address_text, organisation=org, verdict="TRUE",
                    true=true_count, false=0, threshold=2)]
    if decided:
        events.append(event("vehicles", "RecordAttested", record=RECORD, vin=VIN,
                            kind="ACCIDENT", true=true_count, false=0, threshold=2))
    return chain.tx(key, call), events, 0, ""


def vehicle_chain():
    """A record submitted at height 5 by attester 11, endorsed TRUE at height 6 by attesters 12
    and 13 (the second endorsement decides it; an unrelated transfer sits between them)."""
    chain = MiniChain()
    chain.add_block([vehicle_submission(chain, chain.user(11))])
    chain.add_block([vehicle_endorsement(chain, chain.user(12), "Northwind Insurance", 1, False),
                     (chain.tx(chain.user(7), sc.transfer(b"\x02" * 20, 5)), [], 0, ""),
                     vehicle_endorsement(chain, chain.user(13), "City Garage", 2, True)])
    return chain


def copy_proof(p):
    out = api_pb2.TransactionProof()
    out.CopyFrom(p)
    return out


def flip(raw, at=0):
    return raw[:at] + bytes([raw[at] ^ 0x20]) + raw[at + 1:]


ASSET, OTHER_ASSET = "a5" * 16, "5a" * 16
AGREEMENT, AGREEMENT_2, OTHER_AGREEMENT = "a6" * 16, "a7" * 16, "6a" * 16
SESSION = ["c%d" % i * 16 for i in range(8)]
U64 = (1 << 64) - 1
DAY_MS = 86_400_000
# Period bounds in ms, from `date -u -d 2026-12-01 +%s` and so on, not from the code under test.
DEC_2026, JAN_2027, FEB_2027, MAR_2027 = 1796083200000, 1798761600000, 1801440000000, 1803859200000
JAN_2028, FEB_2028, MAR_2028, JAN_2029 = 1830297600000, 1832976000000, 1835481600000, 1861920000000
PERIODS = [  # (period, from_ms, to_ms)
    ("2026-12", DEC_2026, JAN_2027), ("2027-01", JAN_2027, FEB_2027),
    ("2027-02", FEB_2027, MAR_2027), ("2028-02", FEB_2028, MAR_2028),
    ("2000-02", 949363200000, 951868800000), ("2100-02", 4105123200000, 4107542400000),
    ("2027", JAN_2027, JAN_2028), ("2028", JAN_2028, JAN_2029),
    ("1970-01", 0, 31 * DAY_MS), ("1970", 0, 31536000000),
    ("9999-12", 253399622400000, 253402300800000), ("9999", 253370764800000, 253402300800000),
]


def proposed(agreement, asset, proposer):
    return event("usage", "AgreementProposed", agreement=agreement, asset=asset,
                 proposer=proposer.address_text, version="1", deposit=0)


def income_split(agreement, session, amount, source_kind="agreement"):
    return event("revenue", "IncomeSplit", source_kind=source_kind, source=agreement,
                 session=session, amount=amount)


def distributed(agreement, party, amount, share_bps, passed_on=0, paid_to=None):
    return event("revenue", "RevenueDistributed", source_kind="agreement", source=agreement,
                 party=party.address_text, paid_to=(paid_to or party).address_text,
                 amount=amount, share_bps=share_bps, passed_on=passed_on, investor="false")


class RevenueChain(MiniChain):
    """A MiniChain with the usage contract's parties: the owner, a partner (paid to another
    account), an operator, the data server that settles sessions and a stranger."""

    def __init__(self):
        super().__init__()
        # Sorted by address the operator comes first and the owner last.
        self.owner, self.partner, self.operator = self.user(32), self.user(33), self.user(31)
        self.payout, self.server, self.stranger = self.user(36), self.user(34), self.user(35)

    def proposal(self, key, asset, events):
        call = usage_pb2.Call(propose=usage_pb2.ProposeAgreement(asset_id=bytes.fromhex(asset)))
        return self.tx(key, call), events, 0, ""

    def payment(self, session, events):
        call = usage_pb2.Call(pay=usage_pb2.PaySession(session_id=bytes.fromhex(session)))
        return self.tx(self.server, call), events, 0, ""

    def statement(self, period, bounds, proof_list, facts, subject_changes=None):
        subject = {"asset": ASSET, "period": period, "from_ms": bounds[0], "to_ms": bounds[1]}
        subject.update(subject_changes or {})
        return self.bundle("revenue-statement", proof_list, facts, subject)


def revenue_chain():
    """ASSET's agreements and their income at the bounds of periods (block: [index] what):
      5  2026-12-01 00:00:00.000  [0] AGREEMENT proposed, after a part of no split (nobody's)
                                  [1] OTHER_AGREEMENT of OTHER_ASSET proposed
      6  2026-12-31 23:59:59.999  [0] 1000 split 600/400   [1] 50 of OTHER_AGREEMENT
      7  2027-01-01 00:00:00.000  [0] 300 to the operator, 120 of it passed on
      8  2028-02-01 00:00:00.000  [0] two splits among other events and parts of no split
                                  [1] AGREEMENT_2 proposed, AGREEMENT again, a part of no split
      9  2028-02-29 23:59:59.999  [0] 50 of AGREEMENT_2
     10  2028-03-01 00:00:00.000  [0] 70"""
    c = RevenueChain()
    o, p, op = c.owner, c.partner, c.operator
    c.add_block([c.proposal(o, ASSET, [distributed(AGREEMENT, op, 5, 500),
                                       proposed(AGREEMENT, ASSET, o)]),
                 c.proposal(c.stranger, OTHER_ASSET,
                            [proposed(OTHER_AGREEMENT, OTHER_ASSET, c.stranger)])],
                timestamp_ms=DEC_2026)
    c.add_block([c.payment(SESSION[1], [income_split(AGREEMENT, SESSION[1], 1000),
                                        distributed(AGREEMENT, o, 600, 6000),
                                        distributed(AGREEMENT, p, 400, 4000, paid_to=c.payout)]),
                 c.payment(SESSION[7], [income_split(OTHER_AGREEMENT, SESSION[7], 50),
                                        distributed(OTHER_AGREEMENT, c.stranger, 50, 10000)])],
                timestamp_ms=JAN_2027 - 1)
    c.add_block([c.payment(SESSION[2], [income_split(AGREEMENT, SESSION[2], 300),
                                        distributed(AGREEMENT, op, 300, 10000, passed_on=120)])],
                timestamp_ms=JAN_2027)
    c.add_block([c.payment(SESSION[3], [
        event("ledger", "Issued", to=c.server.address_text, amount=100),
        income_split(AGREEMENT, SESSION[3], 100),
        distributed(AGREEMENT, o, 60, 6000),
        event("usage", "SessionPaid", session=SESSION[3], amount=100),  # the payment goes on
        distributed(OTHER_AGREEMENT, op, 7, 700),   # not this payment's, nor its end
        distributed(AGREEMENT, p, 40, 4000),
        income_split(AGREEMENT, "", 50, source_kind="financing"),  # a split of something else
        distributed(AGREEMENT, op, 99, 9900),       # ...so this part is nobody's
        income_split(AGREEMENT, SESSION[4], 12),    # 12 split as 10: stated, not refused
        distributed(AGREEMENT, op, 10, 1000),
        income_split(OTHER_AGREEMENT, SESSION[4], 50),  # another agreement's split ends it too
        distributed(AGREEMENT, p, 98, 9800)]),
        c.proposal(p, ASSET, [proposed(AGREEMENT_2, ASSET, p),
                              proposed(AGREEMENT, ASSET, p),      # a known id: the first stands
                              distributed(AGREEMENT, p, 9, 90)])],  # its split: another receipt's
        timestamp_ms=FEB_2028)
    c.add_block([c.payment(SESSION[5], [income_split(AGREEMENT_2, SESSION[5], 50),
                                        distributed(AGREEMENT_2, p, 50, 10000)])],
                timestamp_ms=MAR_2028 - 1)
    c.add_block([c.payment(SESSION[6], [income_split(AGREEMENT, SESSION[6], 70),
                                        distributed(AGREEMENT, o, 70, 10000)])],
                timestamp_ms=MAR_2028)
    return c


def agreement_fact(agreement, proposer, proof):
    return {"agreement": agreement, "proposer": proposer.address_text,
            "proposed_height": proof.height, "proposed_tx": proof_tx_hash(proof).hex()}


def part_fact(party, amount, share_bps, passed_on=0, paid_to=None):
    return {"party": party.address_text, "paid_to": (paid_to or party).address_text,
            "amount": amount, "share_bps": share_bps, "passed_on": passed_on}


def payment_fact(proof, timestamp_ms, agreement, session, amount, parts, parts_sum):
    return {"tx": proof_tx_hash(proof).hex(), "height": proof.height,
            "timestamp_ms": timestamp_ms, "agreement": agreement, "session": session,
            "amount": amount, "parts": parts, "parts_sum": parts_sum}


def statement_facts(period, bounds, agreements, payments, income, by_party):
    return {"asset": ASSET, "period": period, "from_ms": bounds[0], "to_ms": bounds[1],
            "agreements": agreements, "payments": payments, "income": income,
            "by_party": [{"party": k.address_text, "amount": v}
                         for k, v in sorted(by_party, key=lambda kv: kv[0].address_text)]}


def changed(bundle, change):
    copy = json.loads(json.dumps(bundle))
    change(copy)
    return copy


def overflow_chain():
    """Income and parts at the edge of 64 bits, all in December 2026."""
    c = RevenueChain()
    o, p = c.owner, c.partner
    c.add_block([c.proposal(o, ASSET, [proposed(AGREEMENT, ASSET, o)])], timestamp_ms=DEC_2026)
    c.add_block([c.payment(SESSION[1], [income_split(AGREEMENT, SESSION[1], U64),
                                        distributed(AGREEMENT, o, U64, 10000)]),
                 c.payment(SESSION[2], [income_split(AGREEMENT, SESSION[2], 1),
                                        distributed(AGREEMENT, o, 1, 10000)])],
                timestamp_ms=DEC_2026 + 1)
    c.add_block([c.payment(SESSION[3], [income_split(AGREEMENT, SESSION[3], 5),
                                        distributed(AGREEMENT, o, U64, 9999),
                                        distributed(AGREEMENT, p, 1, 1)])],
                timestamp_ms=DEC_2026 + 2)
    c.add_block([c.payment(SESSION[4], [income_split(AGREEMENT, SESSION[4], 1),
                                        distributed(AGREEMENT, o, U64, 10000)]),
                 c.payment(SESSION[5], [income_split(AGREEMENT, SESSION[5], 1),
                                        distributed(AGREEMENT, o, 1, 10000)])],
                timestamp_ms=DEC_2026 + 3)
    return c


def overflow_cases():
    c = overflow_chain()
    pr = {k: c.proof(*k) for k in ((5, 0), (6, 0), (6, 1), (7, 0), (8, 0), (8, 1))}
    dec = (DEC_2026, JAN_2027)
    at = {k: f"facts: transaction {proof_tx_hash(pr[k]).hex()} at height {k[0]}: " for k in pr}
    full = statement_facts("2026-12", dec, [agreement_fact(AGREEMENT, c.owner, pr[5, 0])], [
        payment_fact(pr[6, 0], DEC_2026 + 1, AGREEMENT, SESSION[1], U64,
                     [part_fact(c.owner, U64, 10000)], U64)], U64, [(c.owner, U64)])
    return [(name, c.genesis, c.statement("2026-12", dec, [pr[k] for k in keys], facts), facts,
             words, False) for name, keys, facts, words in (
        ("income of exactly 64 bits", [(5, 0), (6, 0)], full, None),
        ("income over 64 bits", [(5, 0), (6, 0), (6, 1)], None,
         at[6, 1] + "the income overflows 64 bits"),
        ("a payment's parts over 64 bits", [(5, 0), (7, 0)], None,
         at[7, 0] + "a split overflows 64 bits"),
        ("a party's total over 64 bits", [(5, 0), (8, 0), (8, 1)], None,
         at[8, 1] + "a split overflows 64 bits"))]


def subject_cases():
    """Bundles of the two other kinds whose subject is not the one their kind names."""
    chain = payment_chain()
    p = chain.proof(5, 0, anchor=6)
    facts = proofs.transaction_facts(proofs.verify_transaction_proof(p, chain.trust))
    vehicle = vehicle_chain()
    ps = [vehicle.proof(5, 0, anchor=7), vehicle.proof(6, 0, anchor=7),
          vehicle.proof(6, 2, anchor=7)]
    report = proofs.derive_facts("vehicle-report", {"vin": VIN},
                                 [proofs.verify_transaction_proof(x, vehicle.trust) for x in ps])
    wrong = "subject: it is not what the facts are about"
    return [
        ("a transaction bundle about a vehicle", chain.genesis,
         chain.bundle("transaction", [p], facts, {"vin": VIN}), None, wrong, False),
        ("a transaction bundle without a subject", chain.genesis,
         changed(chain.bundle("transaction", [p], facts), lambda b: b.pop("subject")), facts,
         None, False),
        ("a vehicle report about a period too", vehicle.genesis,
         vehicle.bundle("vehicle-report", ps, report, {"vin": VIN, "period": "2026-12"}), None,
         wrong, False)]


def revenue_cases():
    """Hand-built bundles and what verifying them must give: (name, genesis, bundle, the facts
    when proven, the words of the refusal otherwise, whether the C++ verifier is known to decide
    otherwise than docs/proofs.md)."""
    c = revenue_chain()
    o, p, op = c.owner, c.partner, c.operator
    pr = {k: c.proof(*k) for k in ((5, 0), (5, 1), (6, 0), (6, 1), (7, 0), (8, 0), (8, 1), (9, 0),
                                   (10, 0))}
    agreement = agreement_fact(AGREEMENT, o, pr[5, 0])
    dec = statement_facts("2026-12", (DEC_2026, JAN_2027), [agreement], [
        payment_fact(pr[6, 0], JAN_2027 - 1, AGREEMENT, SESSION[1], 1000,
                     [part_fact(o, 600, 6000), part_fact(p, 400, 4000, paid_to=c.payout)], 1000)],
        1000, [(p, 400), (o, 600)])
    january = payment_fact(pr[7, 0], JAN_2027, AGREEMENT, SESSION[2], 300,
                           [part_fact(op, 300, 10000, passed_on=120)], 300)
    february = [
        payment_fact(pr[8, 0], FEB_2028, AGREEMENT, SESSION[3], 100,
                     [part_fact(o, 60, 6000), part_fact(p, 40, 4000)], 100),
        payment_fact(pr[8, 0], FEB_2028, AGREEMENT, SESSION[4], 12, [part_fact(op, 10, 1000)], 10),
        payment_fact(pr[9, 0], MAR_2028 - 1, AGREEMENT_2, SESSION[5], 50,
                     [part_fact(p, 50, 10000)], 50)]
    march = payment_fact(pr[10, 0], MAR_2028, AGREEMENT, SESSION[6], 70,
                         [part_fact(o, 70, 10000)], 70)
    both = [agreement, agreement_fact(AGREEMENT_2, p, pr[8, 1])]
    facts = {
        "2026-12": dec,
        "2027-01": statement_facts("2027-01", (JAN_2027, FEB_2027), [agreement], [january], 300,
                                   [(op, 300)]),
        "2027": statement_facts("2027", (JAN_2027, JAN_2028), [agreement], [january], 300,
                                [(op, 300)]),
        "2028-02": statement_facts("2028-02", (FEB_2028, MAR_2028), both, february, 162,
                                   [(op, 10), (p, 90), (o, 60)]),
        "2028": statement_facts("2028", (JAN_2028, JAN_2029), both, february + [march], 232,
                                [(op, 10), (p, 90), (o, 130)]),
    }
    bounds = {period: (start, end) for period, start, end in PERIODS}

    def statement(period, keys, stated=None, subject=None):
        return c.statement(period, bounds[period], [pr[k] for k in keys],
                           facts.get(period) if stated is None else stated, subject)

    def neither(key, period):
        return (f"facts: transaction {proof_tx_hash(pr[key]).hex()} at height {key[0]} is "
                f"neither a usage agreement of asset {ASSET} nor its income in {period}")
    def december_with(**subject):
        return statement("2026-12", [(5, 0), (6, 0)], subject=subject)
    december = december_with()
    wrong = "subject: it is not what the facts are about"
    cases = [
        ("December to its last millisecond", december, dec, None),
        ("January from its first millisecond", statement("2027-01", [(5, 0), (7, 0)]),
         facts["2027-01"], None),
        ("a year", statement("2027", [(5, 0), (7, 0)]), facts["2027"], None),
        ("February of a leap year, parts matched to their split",
         statement("2028-02", [(5, 0), (8, 0), (8, 1), (9, 0)]), facts["2028-02"], None),
        ("a leap year", statement("2028", [(5, 0), (8, 0), (8, 1), (9, 0), (10, 0)]),
         facts["2028"], None),
        ("January's first millisecond in December",
         statement("2026-12", [(5, 0), (6, 0), (7, 0)]), None, neither((7, 0), "2026-12")),
        ("December's last millisecond in January",
         statement("2027-01", [(5, 0), (6, 0), (7, 0)]), None, neither((6, 0), "2027-01")),
        ("March's first millisecond in February",
         statement("2028-02", [(5, 0), (8, 0), (8, 1), (9, 0), (10, 0)]), None,
         neither((10, 0), "2028-02")),
        ("income in the year before", statement("2028", [(5, 0), (7, 0)]), None,
         neither((7, 0), "2028")),
        ("another asset's agreement", statement("2026-12", [(5, 0), (5, 1), (6, 0)]), None,
         neither((5, 1), "2026-12")),
        ("another asset's income", statement("2026-12", [(5, 0), (6, 0), (6, 1)]), None,
         neither((6, 1), "2026-12")),
        ("income of an agreement the bundle does not prove", statement("2026-12", [(6, 0)]),
         None, neither((6, 0), "2026-12")),
        ("income of the second agreement without its proposal",
         statement("2028-02", [(5, 0), (8, 0), (9, 0)]), None, neither((9, 0), "2028-02")),
        ("a part left out of the stated facts",
         changed(december, lambda b: b["facts"]["payments"][0]["parts"].pop()), None,
         "(first difference at facts.payments[0].parts)"),
        ("a payment stated with its parts' sum as its amount",
         changed(statement("2028-02", [(5, 0), (8, 0), (8, 1), (9, 0)]),
                 lambda b: b["facts"]["payments"][1].update(amount=10)), None,
         "(first difference at facts.payments[1].amount)"),
        ("the subject's from_ms edited", december_with(from_ms=DEC_2026 + 1), None, wrong),
        ("from_ms edited in the subject and the facts alike",
         changed(december, lambda b: (b["subject"].update(from_ms=DEC_2026 - 1),
                                      b["facts"].update(from_ms=DEC_2026 - 1))), None, wrong),
        ("the subject's to_ms edited", december_with(to_ms=JAN_2027 + 1), None, wrong),
        ("a subject with one key more", december_with(note="x"), None, wrong),
        ("a subject without its period", changed(december, lambda b: b["subject"].pop("period")),
         None, 'facts: subject: a revenue statement names its "asset" and "period"'),
        ("a month 13", december_with(period="2026-13"), None,
         "facts: subject: period 2026-13: no such month"),
        ("an asset in upper case", december_with(asset=ASSET.upper()), None,
         "facts: subject: the asset id must be lower-case hex"),
    ]
    # Every period's bounds, in a statement of the agreement alone.
    for period, start, end in PERIODS:
        alone = statement_facts(period, (start, end), [agreement], [], 0, [])
        cases.append((f"the bounds of {period}", statement(period, [(5, 0)], alone), alone, None))
    out = [(name, c.genesis, bundle, stated, words, False) for name, bundle, stated, words in cases]
    # docs/proofs.md compares values whatever the key order, and 5.0 is not 5; the C++ code
    # compares the subject key by key in its own order and numbers by value.
    out.append(("the subject's keys in another order", c.genesis, changed(
        december, lambda b: b.update(subject=dict(reversed(list(b["subject"].items()))))),
        dec, None, True))
    out.append(("from_ms as 1796083200000.0", c.genesis, changed(
        december, lambda b: b["subject"].update(from_ms=float(DEC_2026))), None, wrong, True))
    return out + overflow_cases() + subject_cases()


FIXTURE_BUNDLES = (  # (bundle, kind, the genesis of the cluster that wrote it)
    ("transaction.bundle", "transaction", "genesis.json"),
    ("vehicle.bundle", "vehicle-report", "genesis.json"),
    ("revenue.bundle", "revenue-statement", "genesis.json"),
    # A transfer of epoch 4, written by tests/cluster/reconfigure.sh: five sets, four switches.
    ("epochs.bundle", "transaction", "epochs-genesis.json"),
)
JAN_2026 = 1767225600000


def revenue_fixture_variants(bundle):
    """The wallet's statement changed as a whole: (name, bundle, the facts when still proven,
    the words of the refusal otherwise, whether the C++ verifier is known to decide otherwise
    than docs/proofs.md). Facts expected are the stated ones edited by hand."""
    first_payment = bundle["facts"]["payments"][0]
    agreement = bundle["facts"]["agreements"][0]
    asset = bundle["subject"]["asset"]

    def without_last_payment(b):
        gone = b["facts"]["payments"].pop()
        b["proofs"].pop()
        b["facts"]["income"] -= gone["amount"]
        for part in gone["parts"]:
            for total in b["facts"]["by_party"]:
                if total["party"] == part["party"]:
                    total["amount"] -= part["amount"]

    def as_year(b):
        for d in (b["subject"], b["facts"]):
            d.update(period="2026", from_ms=JAN_2026)

    def keys_reversed(value):
        if isinstance(value, dict):
            return {k: keys_reversed(value[k]) for k in reversed(list(value))}
        return [keys_reversed(v) for v in value] if isinstance(value, list) else value

    def neither(tx, height, period, of=asset):
        return (f"facts: transaction {tx} at height {height} is neither a usage agreement of "
                f"asset {of} nor its income in {period}")
    wrong = "subject: it is not what the facts are about"
    edits = [
        # A statement cannot prove it is complete: a payment left out goes unnoticed.
        ("the last payment left out", without_last_payment, True, None),
        ("the last payment's proof left out", lambda b: b["proofs"].pop(), False,
         "(first difference at facts.payments)"),
        ("the whole year", as_year, True, None),
        ("January 2027", lambda b: b["subject"].update(period="2027-01"), False,
         neither(first_payment["tx"], first_payment["height"], "2027-01")),
        ("the agreement's proof left out", lambda b: b["proofs"].pop(0), False,
         neither(first_payment["tx"], first_payment["height"], "2026-12")),
        ("another asset", lambda b: b["subject"].update(asset="00" + b["subject"]["asset"]),
         False, neither(agreement["proposed_tx"], agreement["proposed_height"], "2026-12",
                        of="00" + asset)),
        ("a proof twice", lambda b: b["proofs"].insert(2, b["proofs"][1]), False,
         "proofs: proof 3 (height"),
        ("the proofs reversed", lambda b: b["proofs"].reverse(), False, "chain order"),
        ("a subject with one key more", lambda b: b["subject"].update(note="December"), False,
         wrong),
        ("the subject's to_ms a month later",
         lambda b: b["subject"].update(to_ms=b["subject"]["to_ms"] + 31 * DAY_MS), False, wrong),
        ("every object's keys reversed but the subject's",
         lambda b: b.update({k: keys_reversed(v) for k, v in b.items() if k != "subject"}),
         True, None),
    ]
    out = []
    for name, edit, proven, words in edits:
        b = changed(bundle, edit)
        out.append((name, b, b["facts"] if proven else None, words, False))
    # Decided by docs/proofs.md, where the C++ code differs (see sharechain/proofs.py).
    out.append(("the subject's keys reversed", changed(
        bundle, lambda b: b.update(subject=keys_reversed(b["subject"]))), bundle["facts"], None,
        True))
    out.append(("the subject's from_ms as a float", changed(
        bundle, lambda b: b["subject"].update(from_ms=float(b["subject"]["from_ms"]))), None,
        wrong, True))
    return out


# --- Chains of validator sets (docs/proofs.md, "validator_sets") -------------------------------

NOT_GENESIS_SET = ("validator set: a bundle's first validator set is the genesis set "
                   "(from_height 0, epoch 0, no switch block)")


def epoch_chain():
    """RECORD through two switches of the validator set; every header names its set:
      5   epoch 0  submitted by attester 11
      6   epoch 0  a transfer; the switch block: names set 1
      7   epoch 1  endorsed by attester 12
      8   epoch 1  a transfer; the switch block of epoch 1: names set 2
      9   epoch 2  endorsed by attester 13, which decides it
      10  epoch 2  a transfer (the anchor of 9)
    Set 1 (5 validators, a quorum of 4, signed by 1-4) keeps genesis validators 1, 3 and 0 as
    its 0, 1 and 4 and adds two; set 2 (4, signed by 0, 2 and 3) keeps set 1's 2 and 4 as its
    1 and 2 and adds two. A key kept under another index must sign as that index."""
    chain = MiniChain()
    chain.name_sets = True
    g = chain.keys
    set1 = [g[1], g[3], sc.PrivateKey(b"\x51" * 32), sc.PrivateKey(b"\x52" * 32), g[0]]
    set2 = [sc.PrivateKey(b"\x61" * 32), set1[2], set1[4], sc.PrivateKey(b"\x62" * 32)]

    def transfer(amount):
        return chain.tx(chain.user(7), sc.transfer(b"\x02" * 20, amount)), [], 0, ""
    chain.add_block([vehicle_submission(chain, chain.user(11))])
    chain.add_block([transfer(1)], next_set=(set1, [1, 2, 3, 4]))
    chain.add_block([vehicle_endorsement(chain, chain.user(12), "Northwind Insurance", 1, False)])
    chain.add_block([transfer(2)], next_set=(set2, [0, 2, 3]))
    chain.add_block([vehicle_endorsement(chain, chain.user(13), "City Garage", 2, True)])
    chain.add_block([transfer(3)])
    return chain


def transaction_bundle(chain, proof, epochs=None):
    proven = proofs.verify_transaction_proof(proof, chain.trust, chain.validator_sets())
    return chain.bundle("transaction", [proof], proofs.transaction_facts(proven), epochs=epochs)


def rewritten(header_hex, **fields):
    """A header's hex with fields set (None clears one); its certificate is left as it was."""
    header = types_pb2.BlockHeader.FromString(bytes.fromhex(header_hex))
    for k, v in fields.items():
        if v is None:
            header.ClearField(k)
        else:
            setattr(header, k, v)
    return header.SerializeToString().hex()


def recertified(chain, certified, height, **how):
    """`certified` (a bundle's block, anchor or switch_block) signed again: by its own set, or
    as `how` says (signers, epoch)."""
    cert = chain.certificate(bytes.fromhex(certified["header"]), height, **how)
    certified["certificate"] = certificate_json(cert)


def epoch_bundles():
    """(chain, {name: bundle}) of the bundles epoch_cases changes: a vehicle report of three
    proofs, one in each epoch ("report"), and transactions of epoch 1 ("epoch 1", anchored by
    the switch block of epoch 1), of epoch 2, of epoch 0 anchored in epoch 1 ("across") and of
    epoch 0 anchored in epoch 0, which needs the genesis set alone ("epoch 0")."""
    chain = epoch_chain()
    ps = [chain.proof(5, 0, anchor=6), chain.proof(7, 0, anchor=8), chain.proof(9, 0, anchor=10)]
    proven = [proofs.verify_transaction_proof(p, chain.trust, chain.validator_sets())
              for p in ps]
    facts = proofs.derive_facts("vehicle-report", {"vin": VIN}, proven)
    return chain, {
        "report": chain.bundle("vehicle-report", ps, facts, {"vin": VIN}),
        "epoch 1": transaction_bundle(chain, chain.proof(7, 0, anchor=8)),
        "epoch 2": transaction_bundle(chain, chain.proof(9, 0, anchor=10)),
        "across": transaction_bundle(chain, chain.proof(5, 0, anchor=7)),
        "epoch 0": transaction_bundle(chain, chain.proof(5, 0, anchor=6)),
    }


def epoch_cases():
    """(group, name, genesis, bundle, reason): the bundles of epoch_bundles, proven (reason
    None) or changed in one place and refused with exactly that reason. The groups: "proven",
    "genesis entry", "later entry" (a later set's own fields), "switch block" (its check as a
    certified header and the next set it names) and "header" (a proof's header against the set
    of its epoch)."""
    chain, b = epoch_bundles()
    h0, h1, h2 = (chain.set_hash(e).hex() for e in range(3))
    one, three = "proof 1 of 1: ", "proof 3 of 3: "
    e1, e2 = "validator set of epoch 1: ", "validator set of epoch 2: "
    sw1, sw2 = "switch block of epoch 1", "switch block of epoch 2"

    def sets(bundle):
        return bundle["validator_sets"]

    def switch(bundle, epoch):
        return bundle["validator_sets"][epoch]["switch_block"]

    def votes(certified):
        return certified["certificate"]["votes"]

    def flip_hex(text, at):
        return text[:at] + ("1" if text[at] == "0" else "0") + text[at + 1:]

    cases = [
        ("proven", "a vehicle report across two switches", "report", None, None),
        ("proven", "a transaction of epoch 1 anchored by a switch block", "epoch 1", None, None),
        ("proven", "a transaction of epoch 2", "epoch 2", None, None),
        ("proven", "a transaction of epoch 0 anchored in epoch 1", "across", None, None),
        ("proven", "a transaction of epoch 0 with the genesis set alone", "epoch 0", None, None),
        ("proven", "entry 0 without an epoch, as bundles before epochs", "epoch 1",
         lambda x: sets(x)[0].pop("epoch"), None),
        # Not refused: docs/proofs.md has the writer stop at the newest epoch it needs, and
        # names no rule for a verifier given more.
        ("proven", "a set after the newest epoch the proofs name", "across",
         lambda x: sets(x).append(sets(b["report"])[2]), None),

        ("genesis entry", "no validator_sets", "epoch 1", lambda x: x.pop("validator_sets"),
         NOT_GENESIS_SET),
        ("genesis entry", "validator_sets an object", "epoch 1",
         lambda x: x.update(validator_sets={"0": sets(x)[0]}), NOT_GENESIS_SET),
        ("genesis entry", "validator_sets empty", "epoch 1", lambda x: x.update(validator_sets=[]),
         NOT_GENESIS_SET),
        ("genesis entry", "entry 0 not an object", "epoch 1", lambda x: sets(x).__setitem__(0, 0),
         NOT_GENESIS_SET),
        ("genesis entry", "entry 0 from height 1", "epoch 1",
         lambda x: sets(x)[0].update(from_height=1), NOT_GENESIS_SET),
        ("genesis entry", "entry 0 without from_height", "epoch 1",
         lambda x: sets(x)[0].pop("from_height"), NOT_GENESIS_SET),
        ("genesis entry", "entry 0 of epoch 1", "epoch 1", lambda x: sets(x)[0].update(epoch=1),
         NOT_GENESIS_SET),
        ("genesis entry", "entry 0 of epoch 0.0", "epoch 1", lambda x: sets(x)[0].update(epoch=0.0),
         NOT_GENESIS_SET),
        ("genesis entry", "entry 0 of epoch null", "epoch 1",
         lambda x: sets(x)[0].update(epoch=None), NOT_GENESIS_SET),
        ("genesis entry", "entry 0 validators an object", "epoch 1",
         lambda x: sets(x)[0].update(validators={}), NOT_GENESIS_SET),
        ("genesis entry", "entry 0 with a switch block", "epoch 1",
         lambda x: sets(x)[0].update(switch_block=switch(x, 1)), NOT_GENESIS_SET),
        ("genesis entry", "entry 0 one validator short", "epoch 1",
         lambda x: sets(x)[0]["validators"].pop(),
         "validator set: 3 validators, the genesis file has 4"),
        ("genesis entry", "entry 0 with set 1's validators", "epoch 1",
         lambda x: sets(x)[0].update(validators=sets(x)[1]["validators"][:4]),
         "validator set: validator 0 is not the genesis file's"),

        ("later entry", "entry 1 not an object", "epoch 1", lambda x: sets(x).__setitem__(1, []),
         e1 + 'the entry must name "epoch": 1'),
        ("later entry", "entry 1 without an epoch", "epoch 1", lambda x: sets(x)[1].pop("epoch"),
         e1 + 'the entry must name "epoch": 1'),
        ("later entry", "entry 1 of epoch 1.0", "epoch 1", lambda x: sets(x)[1].update(epoch=1.0),
         e1 + 'the entry must name "epoch": 1'),
        ("later entry", "entry 1 of epoch 2", "epoch 1", lambda x: sets(x)[1].update(epoch=2),
         e1 + 'the entry must name "epoch": 1'),
        ("later entry", "entries 1 and 2 swapped", "report",
         lambda x: x.update(validator_sets=[sets(x)[0], sets(x)[2], sets(x)[1]]),
         e1 + 'the entry must name "epoch": 1'),
        ("later entry", "entry 2 of epoch 1", "report", lambda x: sets(x)[2].update(epoch=1),
         e2 + 'the entry must name "epoch": 2'),
        ("later entry", "entry 1 from height 0", "epoch 1",
         lambda x: sets(x)[1].update(from_height=0),
         e1 + '"from_height" must be above epoch 0\'s (0)'),
        ("later entry", "entry 1 from height -6", "epoch 1",
         lambda x: sets(x)[1].update(from_height=-6),
         e1 + '"from_height" must be above epoch 0\'s (0)'),
        ("later entry", "entry 1 from height '6'", "epoch 1",
         lambda x: sets(x)[1].update(from_height="6"),
         e1 + '"from_height" must be above epoch 0\'s (0)'),
        ("later entry", "entry 1 from height 6.0", "epoch 1",
         lambda x: sets(x)[1].update(from_height=6.0),
         e1 + '"from_height" must be above epoch 0\'s (0)'),
        ("later entry", "entry 1 from height 2^64", "epoch 1",
         lambda x: sets(x)[1].update(from_height=1 << 64),
         e1 + '"from_height" must be above epoch 0\'s (0)'),
        ("later entry", "entry 1 without from_height", "epoch 1",
         lambda x: sets(x)[1].pop("from_height"),
         e1 + '"from_height" must be above epoch 0\'s (0)'),
        ("later entry", "entry 2 from entry 1's height", "report",
         lambda x: sets(x)[2].update(from_height=6),
         e2 + '"from_height" must be above epoch 1\'s (6)'),
        ("later entry", "entry 2 from below entry 1's height", "report",
         lambda x: sets(x)[2].update(from_height=5),
         e2 + '"from_height" must be above epoch 1\'s (6)'),
        ("later entry", "entry 1 validators empty", "epoch 1",
         lambda x: sets(x)[1].update(validators=[]), e1 + '"validators" must be a non-empty array'),
        ("later entry", "entry 1 validators an object", "epoch 1",
         lambda x: sets(x)[1].update(validators={}), e1 + '"validators" must be a non-empty array'),
        ("later entry", "entry 1 without validators", "epoch 1",
         lambda x: sets(x)[1].pop("validators"), e1 + '"validators" must be a non-empty array'),
        ("later entry", "entry 1 validator 2 of index 3", "epoch 1",
         lambda x: sets(x)[1]["validators"][2].update(index=3),
         e1 + 'validator 2 must have "index" 2 and a 32-byte "public_key"'),
        ("later entry", "entry 1 validator 1 of index true", "epoch 1",
         lambda x: sets(x)[1]["validators"][1].update(index=True),
         e1 + 'validator 1 must have "index" 1 and a 32-byte "public_key"'),
        ("later entry", "entry 1 validator 0 without an index", "epoch 1",
         lambda x: sets(x)[1]["validators"][0].pop("index"),
         e1 + 'validator 0 must have "index" 0 and a 32-byte "public_key"'),
        ("later entry", "entry 1 validator 3 not an object", "epoch 1",
         lambda x: sets(x)[1]["validators"].__setitem__(
             3, sets(x)[1]["validators"][3]["public_key"]),
         e1 + 'validator 3 must have "index" 3 and a 32-byte "public_key"'),
        ("later entry", "entry 1 validator 4 key in upper case", "epoch 1",
         lambda x: sets(x)[1]["validators"][4].update(
             public_key=sets(x)[1]["validators"][4]["public_key"].upper()),
         e1 + 'validator 4 must have "index" 4 and a 32-byte "public_key"'),
        ("later entry", "entry 1 validator 4 key of 31 bytes", "epoch 1",
         lambda x: sets(x)[1]["validators"][4].update(
             public_key=sets(x)[1]["validators"][4]["public_key"][2:]),
         e1 + 'validator 4 must have "index" 4 and a 32-byte "public_key"'),
        ("later entry", "entry 1 validator 2 without a key", "epoch 1",
         lambda x: sets(x)[1]["validators"][2].pop("public_key"),
         e1 + 'validator 2 must have "index" 2 and a 32-byte "public_key"'),
        ("later entry", "entry 1 validator 3 with validator 1's key", "epoch 1",
         lambda x: sets(x)[1]["validators"][3].update(
             public_key=sets(x)[1]["validators"][1]["public_key"]),
         e1 + "validator 3 has the key of validator 1"),
        ("later entry", "entry 2 validator 3 with validator 0's key", "report",
         lambda x: sets(x)[2]["validators"][3].update(
             public_key=sets(x)[2]["validators"][0]["public_key"]),
         e2 + "validator 3 has the key of validator 0"),
        ("later entry", "entry 1 with a key twice before a validator without an index", "epoch 1",
         lambda x: sets(x)[1]["validators"][1].update(
             public_key=sets(x)[1]["validators"][0]["public_key"])
         or sets(x)[1]["validators"][3].pop("index"),
         e1 + 'validator 3 must have "index" 3 and a 32-byte "public_key"'),
        ("later entry", "entry 1 without a switch block", "epoch 1",
         lambda x: sets(x)[1].pop("switch_block"), e1 + "switch_block must be present"),
        ("later entry", "entry 2 without a switch block", "report",
         lambda x: sets(x)[2].pop("switch_block"), e2 + "switch_block must be present"),
        ("later entry", "a switch block that is text", "epoch 1",
         lambda x: sets(x)[1].update(switch_block="ab"),
         e1 + "switch_block.header must be present"),
        ("later entry", "a switch header in upper case", "epoch 1",
         lambda x: switch(x, 1).update(header=switch(x, 1)["header"].upper()),
         e1 + "switch_block.header must be a lower-case hex string"),
        ("later entry", "a switch block without a certificate", "epoch 1",
         lambda x: switch(x, 1).pop("certificate"),
         e1 + "switch_block.certificate must be present"),
        ("later entry", "a switch certificate of height '6'", "epoch 1",
         lambda x: switch(x, 1)["certificate"].update(height="6"),
         e1 + "switch_block.certificate.height must be a non-negative integer"),
        ("later entry", "a switch certificate's block hash with 0x", "epoch 1",
         lambda x: switch(x, 1)["certificate"].update(
             block_hash="0x" + switch(x, 1)["certificate"]["block_hash"]),
         e1 + "switch_block.certificate.block_hash must be a lower-case hex string"),
        ("later entry", "switch certificate votes an object", "epoch 1",
         lambda x: switch(x, 1)["certificate"].update(votes={}),
         e1 + "switch_block.certificate.votes must be an array"),
        ("later entry", "a switch vote without a signature", "report",
         lambda x: votes(switch(x, 2))[1].pop("signature"),
         e2 + "switch_block.certificate.signature must be present"),

        ("switch block", "entry 1 from height 7", "epoch 1",
         lambda x: sets(x)[1].update(from_height=7), sw1 + " (height 7): the header says height 6"),
        ("switch block", "a switch header that does not decode", "epoch 1",
         lambda x: switch(x, 1).update(header="ff"),
         sw1 + " (height 6): the header does not decode"),
        ("switch block", "a switch header of another chain", "epoch 1",
         lambda x: switch(x, 1).update(header=rewritten(switch(x, 1)["header"],
                                                         chain_id="another")),
         sw1 + " (height 6): the header is of chain 'another', the genesis file's is 'proof-test'"),
        ("switch block", "a switch header naming its own epoch's successor", "epoch 1",
         lambda x: switch(x, 1).update(header=rewritten(switch(x, 1)["header"], epoch=1)),
         sw1 + " (height 6): the header is certified by the validator set of epoch 1, and the "
         "bundle carries sets up to epoch 0 only"),
        ("switch block", "the switch block of epoch 2 naming epoch 0", "report",
         lambda x: switch(x, 2).update(header=rewritten(switch(x, 2)["header"], epoch=None)),
         sw2 + " (height 8): the header is of epoch 0, which ended at height 6"),
        ("switch block", "the switch block of epoch 2 naming no set", "report",
         lambda x: switch(x, 2).update(header=rewritten(switch(x, 2)["header"],
                                                         validator_set_hash=None)),
         sw2 + " (height 8): the header of epoch 1 names no validator set"),
        ("switch block", "the switch block of epoch 2 naming the genesis set", "report",
         lambda x: switch(x, 2).update(header=rewritten(switch(x, 2)["header"],
                                                         validator_set_hash=bytes.fromhex(h0))),
         sw2 + f" (height 8): the header names validator set {h0}, not the bundle's set of "
         "epoch 1"),
        ("switch block", "the switch block of epoch 1 naming set 1 as its own", "epoch 1",
         lambda x: switch(x, 1).update(header=rewritten(switch(x, 1)["header"],
                                                         validator_set_hash=bytes.fromhex(h1))),
         sw1 + f" (height 6): the header names validator set {h1}, not the genesis file's"),
        ("switch block", "a byte of a switch header changed", "epoch 1",
         lambda x: switch(x, 1).update(header=flip_hex(switch(x, 1)["header"], 40)),
         sw1 + " certificate (height 6): commit certificate at height 6 is for a different "
         "block"),
        ("switch block", "the next set a switch header names changed", "epoch 1",
         lambda x: switch(x, 1).update(header=rewritten(switch(x, 1)["header"],
                                                         next_validator_set_hash=b"\x07" * 32)),
         sw1 + " certificate (height 6): commit certificate at height 6 is for a different "
         "block"),
        ("switch block", "a switch certificate's signature changed", "epoch 1",
         lambda x: votes(switch(x, 1))[0].update(
             signature=flip_hex(votes(switch(x, 1))[0]["signature"], 70)),
         sw1 + " certificate (height 6): commit certificate: bad signature from validator 0"),
        ("switch block", "a signature of the switch block of epoch 2 changed", "report",
         lambda x: votes(switch(x, 2))[0].update(
             signature=flip_hex(votes(switch(x, 2))[0]["signature"], 3)),
         sw2 + " certificate (height 8): commit certificate: bad signature from validator 1"),
        ("switch block", "a switch block certified by the incoming set", "epoch 1",
         lambda x: recertified(chain, switch(x, 1), 6, epoch=1),
         sw1 + " certificate (height 6): commit certificate: bad signature from validator 1"),
        ("switch block", "the switch block of epoch 2 certified by the genesis set", "report",
         lambda x: recertified(chain, switch(x, 2), 8, epoch=0),
         sw2 + " certificate (height 8): commit certificate: bad signature from validator 0"),
        ("switch block", "the switch block of epoch 2 with 3 of set 1's votes", "report",
         lambda x: votes(switch(x, 2)).pop(),
         sw2 + " certificate (height 8): commit certificate: 3 votes, a quorum is 4"),
        ("switch block", "a switch header naming no next set", "epoch 1",
         lambda x: switch(x, 1).update(header=rewritten(switch(x, 1)["header"],
                                                         next_validator_set_hash=None))
         or recertified(chain, switch(x, 1), 6),
         sw1 + " (height 6): the header names no next validator set"),
        ("switch block", "a switch header naming set 2 next", "report",
         lambda x: switch(x, 1).update(header=rewritten(switch(x, 1)["header"],
                                                         next_validator_set_hash=bytes.fromhex(h2)))
         or recertified(chain, switch(x, 1), 6),
         sw1 + f" (height 6): the header names next validator set {h2}, not the bundle's set "
         "of epoch 1"),
        ("switch block", "a key of set 1 changed", "epoch 1",
         lambda x: sets(x)[1]["validators"][2].update(
             public_key=flip_hex(sets(x)[1]["validators"][2]["public_key"], 5)),
         sw1 + f" (height 6): the header names next validator set {h1}, not the bundle's set "
         "of epoch 1"),
        ("switch block", "set 1 one validator short", "epoch 1",
         lambda x: sets(x)[1]["validators"].pop(),
         sw1 + f" (height 6): the header names next validator set {h1}, not the bundle's set "
         "of epoch 1"),
        ("switch block", "set 1 in another order", "epoch 1",
         lambda x: sets(x)[1].update(validators=[
             dict(v, index=i) for i, v in enumerate(reversed(sets(x)[1]["validators"]))]),
         sw1 + f" (height 6): the header names next validator set {h1}, not the bundle's set "
         "of epoch 1"),
        ("switch block", "a key of set 2 changed", "report",
         lambda x: sets(x)[2]["validators"][0].update(
             public_key=flip_hex(sets(x)[2]["validators"][0]["public_key"], 63)),
         sw2 + f" (height 8): the header names next validator set {h2}, not the bundle's set "
         "of epoch 2"),

        ("header", "a transaction of epoch 1 without set 1", "epoch 1",
         lambda x: sets(x).pop(),
         one + "block (height 7): the header is certified by the validator set of epoch 1, and "
         "the bundle carries sets up to epoch 0 only"),
        ("header", "an anchor of epoch 1 without set 1", "across", lambda x: sets(x).pop(),
         one + "anchor (height 7): the header is certified by the validator set of epoch 1, and "
         "the bundle carries sets up to epoch 0 only"),
        ("header", "a report without set 2", "report", lambda x: sets(x).pop(),
         three + "block (height 9): the header is certified by the validator set of epoch 2, "
         "and the bundle carries sets up to epoch 1 only"),
        ("header", "a header of epoch 1 naming epoch 2", "epoch 1",
         lambda x: x["proofs"][0]["block"].update(header=rewritten(
             x["proofs"][0]["block"]["header"], epoch=2)),
         one + "block (height 7): the header is certified by the validator set of epoch 2, and "
         "the bundle carries sets up to epoch 1 only"),
        ("header", "a header of epoch 0 naming epoch 1", "across",
         lambda x: x["proofs"][0]["block"].update(header=rewritten(
             x["proofs"][0]["block"]["header"], epoch=1)),
         one + "block (height 5): the header is of epoch 1, whose set certifies the heights "
         "above 6"),
        ("header", "the last header of epoch 1 naming epoch 2", "report",
         lambda x: x["proofs"][1]["anchor"].update(header=rewritten(
             x["proofs"][1]["anchor"]["header"], epoch=2)),
         "proof 2 of 3: anchor (height 8): the header is of epoch 2, whose set certifies the "
         "heights above 8"),
        ("header", "a header of epoch 1 naming epoch 0", "epoch 1",
         lambda x: x["proofs"][0]["block"].update(header=rewritten(
             x["proofs"][0]["block"]["header"], epoch=None)),
         one + "block (height 7): the header is of epoch 0, which ended at height 6"),
        ("header", "a header of epoch 2 naming epoch 1", "report",
         lambda x: x["proofs"][2]["block"].update(header=rewritten(
             x["proofs"][2]["block"]["header"], epoch=1)),
         three + "block (height 9): the header is of epoch 1, which ended at height 8"),
        ("header", "a header of epoch 1 naming no set", "epoch 1",
         lambda x: x["proofs"][0]["block"].update(header=rewritten(
             x["proofs"][0]["block"]["header"], validator_set_hash=None)),
         one + "block (height 7): the header of epoch 1 names no validator set"),
        ("header", "a header of epoch 1 naming the genesis set", "epoch 1",
         lambda x: x["proofs"][0]["block"].update(header=rewritten(
             x["proofs"][0]["block"]["header"], validator_set_hash=bytes.fromhex(h0))),
         one + f"block (height 7): the header names validator set {h0}, not the bundle's set "
         "of epoch 1"),
        ("header", "an anchor of epoch 2 naming set 1", "epoch 2",
         lambda x: x["proofs"][0]["anchor"].update(header=rewritten(
             x["proofs"][0]["anchor"]["header"], validator_set_hash=bytes.fromhex(h1))),
         one + f"anchor (height 10): the header names validator set {h1}, not the bundle's set "
         "of epoch 2"),
        ("header", "a header of epoch 0 naming set 1", "across",
         lambda x: x["proofs"][0]["block"].update(header=rewritten(
             x["proofs"][0]["block"]["header"], validator_set_hash=bytes.fromhex(h1))),
         one + f"block (height 5): the header names validator set {h1}, not the genesis file's"),
        ("header", "a header of epoch 1 certified by the genesis set", "epoch 1",
         lambda x: recertified(chain, x["proofs"][0]["block"], 7, epoch=0),
         one + "block certificate (height 7): commit certificate: bad signature from "
         "validator 0"),
        ("header", "a header of epoch 1 with 3 of set 1's votes", "epoch 1",
         lambda x: votes(x["proofs"][0]["block"]).pop(0),
         one + "block certificate (height 7): commit certificate: 3 votes, a quorum is 4"),
        ("header", "a vote of set 1 from validator 5", "epoch 1",
         lambda x: votes(x["proofs"][0]["block"])[3].update(validator=5),
         one + "block certificate (height 7): commit certificate: vote from validator 5, which "
         "is not in the validator set"),
        ("header", "an anchor signature of epoch 2 changed", "epoch 2",
         lambda x: votes(x["proofs"][0]["anchor"])[0].update(
             signature=flip_hex(votes(x["proofs"][0]["anchor"])[0]["signature"], 8)),
         one + "anchor certificate (height 10): commit certificate: bad signature from "
         "validator 0"),
    ]
    return [(group, name, chain.genesis, changed(b[base], change) if change else b[base], reason)
            for group, name, base, change, reason in cases]


def epoch_page_cases(out_dir):
    """Writes the genesis file and four of epoch_cases' bundles for the explorer's verify page
    test (tests/explorer/verify_page_test.sh) and returns its cases for them: a report across
    two switches, a switch header's next set changed, a key of set 1 changed and a header of
    an epoch the bundle carries no set for."""
    chosen = {"a vehicle report across two switches": "epochs-report.bundle",
              "the next set a switch header names changed": "epochs-next-set.bundle",
              "a key of set 1 changed": "epochs-set-key.bundle",
              "a transaction of epoch 1 without set 1": "epochs-no-set.bundle"}
    out = []
    genesis_path = os.path.join(out_dir, "epochs-genesis.json")
    for _, name, genesis, bundle, reason in epoch_cases():
        if name not in chosen:
            continue
        with open(genesis_path, "wb") as f:
            f.write(genesis)
        path = os.path.join(out_dir, chosen[name])
        with open(path, "w") as f:
            json.dump(bundle, f, indent=2)
        case = {"name": "validator sets: " + name, "bundle": path, "genesis": genesis_path,
                "outcome": "failed" if reason else "proven", "reason": [reason] if reason else []}
        if not reason:
            case["fields"] = {"[data-field=vin]": VIN, "[data-field=record_count]": "1",
                              "[data-field=record-status]": "ATTESTED"}
        out.append(case)
    return out


# --- State proofs (docs/proofs.md, "State proofs") ---------------------------------------------

EMPTY_NODE = bytes(32)
STATE_TREE = "sparse-merkle-sha256"
ACCOUNT_KEYS = [b"ledger/acct/" + bytes([0x10 + i]) * 20 for i in range(5)]
EMPTY_VALUE_KEY = b"config/empty"     # an entry whose value is no bytes
VEHICLE_KEY = b"vehicles/vehicle/" + VIN.encode()
ABSENT_VIN = "WVWZZZ1JZXW000001"      # no vehicle of the state chain
GARBLED_VIN = "JH4KA7561PC008269"     # its entry is not a Vehicle message
RECORD_2 = "ef" * 32


def ref_bit(key_hash, i):
    return (key_hash[i // 8] >> (7 - i % 8)) & 1


class RefStateTree:
    """The canonical sparse Merkle tree of a dict of entries, built recursively from the entries
    (the writer's side, kept apart from the verifier's fold up a path): a subtree holding no
    entry is 32 zero bytes, one holding a single entry is that entry's leaf, any other a branch
    of its two halves, split on the next bit of the key hashes."""

    def __init__(self, entries):
        self.entries = dict(entries)
        self.items = sorted((crypto.sha256(k), crypto.sha256(v)) for k, v in self.entries.items())

    @staticmethod
    def node(items, depth):
        if not items:
            return EMPTY_NODE
        if len(items) == 1:
            return crypto.sha256(b"\x02" + items[0][0] + items[0][1])
        left = [x for x in items if not ref_bit(x[0], depth)]
        right = [x for x in items if ref_bit(x[0], depth)]
        return crypto.sha256(b"\x03" + RefStateTree.node(left, depth + 1) +
                             RefStateTree.node(right, depth + 1))

    def root(self):
        return self.node(self.items, 0)

    def path(self, key):
        """(present, value, siblings, the other leaf's (key hash, value hash) or None): down
        from the root, each sibling the node of the half the key's path leaves (b"" for an
        empty one), until the key's half holds one entry or none."""
        kh = crypto.sha256(key)
        items, depth, siblings = self.items, 0, []
        while True:
            if not items:
                return False, b"", siblings, None
            if len(items) == 1:
                if items[0][0] == kh:
                    return True, self.entries[key], siblings, None
                return False, b"", siblings, items[0]
            bit = ref_bit(kh, depth)
            other = [x for x in items if ref_bit(x[0], depth) != bit]
            siblings.append(self.node(other, depth + 1) if other else b"")
            items, depth = [x for x in items if ref_bit(x[0], depth) == bit], depth + 1


def absent_key(tree, at_leaf):
    """The first of b"absent/0", b"absent/1", ... that the tree does not hold whose path ends at
    another entry's leaf (at_leaf) or at an empty subtree."""
    for i in range(10000):
        key = f"absent/{i}".encode()
        present, _, _, other = tree.path(key)
        if not present and (other is not None) == at_leaf:
            return key
    raise AssertionError("no such key")


def ref_state_root(p):
    """The state root a StateProof's path reaches, for the "hashes to" texts: the end of the
    path, then a branch per sibling from the deepest up."""
    kh = crypto.sha256(p.key)
    if p.present:
        node = crypto.sha256(b"\x02" + kh + crypto.sha256(p.value))
    elif p.other_key_hash:
        node = crypto.sha256(b"\x02" + p.other_key_hash + p.other_value_hash)
    else:
        node = EMPTY_NODE
    for i in reversed(range(len(p.siblings))):
        s = p.siblings[i] or EMPTY_NODE
        node = crypto.sha256(b"\x03" + (s + node if ref_bit(kh, i) else node + s))
    return crypto.tagged_hash(b"sharechain/state-root", p.lthash_root + node)


def state_proof_json(p):
    """A StateProof in its bundle form: "value" only when present, "other_*" only when set."""
    j = {"height": p.height, "key": p.key.hex(), "present": p.present}
    if p.present:
        j["value"] = p.value.hex()
    j["siblings"] = [s.hex() for s in p.siblings]
    if p.other_key_hash or p.other_value_hash:
        j["other_key_hash"] = p.other_key_hash.hex()
        j["other_value_hash"] = p.other_value_hash.hex()
    j["lthash_root"] = p.lthash_root.hex()
    j["anchor"] = certified_json(p.anchor)
    return j


class StateChain(MiniChain):
    """A MiniChain whose genesis names the state tree. The state after each height is a dict of
    entries (set_state(h, ...) holds from h on, until the next one); its state root combines an
    LtHash root made up for the height with RefStateTree's root. Set a height's state before
    adding the block above it: that block's header certifies it."""

    def __init__(self, **kw):
        self.states = {0: {}}
        super().__init__(state_tree=True, **kw)

    def set_state(self, height, entries):
        self.states[height] = dict(entries)

    def entries_at(self, height):
        return self.states[max(h for h in self.states if h <= height)]

    def lthash_root(self, height):
        return crypto.sha256(f"lthash {height}".encode())

    def tree_root(self, height):
        return RefStateTree(self.entries_at(height)).root()

    def state_root(self, height):
        return crypto.tagged_hash(b"sharechain/state-root",
                                  self.lthash_root(height) + self.tree_root(height))

    def state_proof(self, key, height):
        """The StateProof of `key` in the state after `height`, anchored by block height + 1
        (whose header certifies that state; added if need be)."""
        while max(self.blocks) < height + 1:
            self.add_block([(self.tx(self.user(99), sc.transfer(b"\x05" * 20, 1)), [], 0, "")])
        present, value, siblings, other = RefStateTree(self.entries_at(height)).path(key)
        p = api_pb2.StateProof(key=key, present=present, value=value, siblings=siblings,
                               lthash_root=self.lthash_root(height), height=height)
        if other is not None:
            p.other_key_hash, p.other_value_hash = other
        p.anchor.header = self.blocks[height + 1][0]
        p.anchor.certificate.CopyFrom(self.blocks[height + 1][1])
        return p

    def genesis_without_tree(self, state_tree=None):
        """This chain's genesis file naming no state tree (or another one)."""
        g = json.loads(self.genesis)
        g.pop("state_tree")
        if state_tree is not None:
            g["state_tree"] = state_tree
        return json.dumps(g, indent=2).encode()


def vehicle_value(vin, records, attested, rejected=0):
    return vehicles_pb2.Vehicle(vin=vin, records=records, attested=attested, rejected=rejected,
                                first_seen_at_ms=1690000000000, last_odometer_km=48210,
                                flags=[vehicles_pb2.Flag(kind="odometer_rollback",
                                                         odometer_km=99, height=3)]
                                ).SerializeToString()


def state_chain():
    """Records of VIN on a chain with a state tree; the state after each height:
      4  empty (block 5 certifies it)
      5  five accounts, an entry with an empty value, a vehicle whose entry is no Vehicle
         message (GARBLED_VIN), VIN with 1 record; block 5: RECORD submitted by attester 11
      6  VIN: 1 record, 1 attested; block 6: endorsed by 12 and 13 (the second decides; an
         unrelated transfer between them)
      7  VIN: 2 records; block 7: RECORD_2 submitted by attester 14
      8  block 8: a transfer, the anchor of state 7"""
    chain = StateChain()
    base = {k: ledger_pb2.Account(address=k[-20:], balance=1000 * (i + 1), nonce=i)
            .SerializeToString() for i, k in enumerate(ACCOUNT_KEYS)}
    base[EMPTY_VALUE_KEY] = b""
    base[b"vehicles/vehicle/" + GARBLED_VIN.encode()] = b"\x08"   # a varint's tag alone
    chain.set_state(4, {})
    chain.set_state(5, {**base, VEHICLE_KEY: vehicle_value(VIN, 1, 0)})
    chain.set_state(6, {**base, VEHICLE_KEY: vehicle_value(VIN, 1, 1)})
    chain.set_state(7, {**base, VEHICLE_KEY: vehicle_value(VIN, 2, 1)})
    chain.add_block([vehicle_submission(chain, chain.user(11))])
    chain.add_block([vehicle_endorsement(chain, chain.user(12), "Northwind Insurance", 1, False),
                     (chain.tx(chain.user(7), sc.transfer(b"\x02" * 20, 5)), [], 0, ""),
                     vehicle_endorsement(chain, chain.user(13), "City Garage", 2, True)])
    chain.add_block([vehicle_submission(chain, chain.user(14), RECORD_2)])
    chain.add_block([(chain.tx(chain.user(7), sc.transfer(b"\x02" * 20, 6)), [], 0, "")])
    return chain


def state_bundle(chain, key, height):
    """A "state" bundle of `key` after `height`, its facts written by hand."""
    entries = chain.entries_at(height)
    facts = {"key": key.hex(), "present": key in entries}
    if key in entries:
        facts["value"] = entries[key].hex()
    facts["height"] = height
    return chain.bundle("state", [], facts, {"key": key.hex()},
                        state_list=[chain.state_proof(key, height)])


def vehicle_report_with_state(chain, proof_list, height, vin=VIN):
    """A vehicle report of the proofs with the proof of the vehicle's entry after `height`;
    its vehicle_state written from the entry by hand."""
    proven = [proofs.verify_transaction_proof(p, chain.trust) for p in proof_list]
    facts = proofs.derive_facts("vehicle-report", {"vin": vin}, proven)
    key = b"vehicles/vehicle/" + vin.encode()
    raw = chain.entries_at(height).get(key)
    counters = vehicles_pb2.Vehicle.FromString(raw) if raw is not None else vehicles_pb2.Vehicle()
    facts["vehicle_state"] = {"height": height, "present": raw is not None,
                              "records": counters.records, "attested": counters.attested,
                              "rejected": counters.rejected}
    return chain.bundle("vehicle-report", proof_list, facts, {"vin": vin},
                        state_list=[chain.state_proof(key, height)])


def state_bundles():
    """(chain, {name: bundle}) of the bundles state_cases changes: state bundles of an account
    ("present"), of the entry with an empty value, of an absent key whose path ends empty
    ("absent") and of one whose path ends at another leaf ("absent at a leaf") after height 7,
    of an account in the empty state after height 4 ("empty tree"); vehicle reports of VIN's
    four transactions with its state after 7 ("report") and after 6, when RECORD_2 was not
    submitted yet ("report at 6"), and without a state proof ("report without state"); the
    report of a vehicle the state does not hold, with no record ("absent vehicle"), and of
    GARBLED_VIN, whose entry does not decode ("garbled vehicle")."""
    chain = state_chain()
    tree = RefStateTree(chain.entries_at(7))
    report_proofs = [chain.proof(5, 0), chain.proof(6, 0), chain.proof(6, 2), chain.proof(7, 0)]
    proven = [proofs.verify_transaction_proof(p, chain.trust) for p in report_proofs]
    return chain, {
        "present": state_bundle(chain, ACCOUNT_KEYS[0], 7),
        "empty value": state_bundle(chain, EMPTY_VALUE_KEY, 7),
        "absent": state_bundle(chain, absent_key(tree, False), 7),
        "absent at a leaf": state_bundle(chain, absent_key(tree, True), 7),
        "empty tree": state_bundle(chain, ACCOUNT_KEYS[0], 4),
        "report": vehicle_report_with_state(chain, report_proofs, 7),
        "report at 6": vehicle_report_with_state(chain, report_proofs, 6),
        "report without state": chain.bundle(
            "vehicle-report", report_proofs,
            proofs.derive_facts("vehicle-report", {"vin": VIN}, proven), {"vin": VIN}),
        "absent vehicle": vehicle_report_with_state(chain, [], 7, ABSENT_VIN),
        "garbled vehicle": chain.bundle(
            "vehicle-report", [], {"vin": GARBLED_VIN, "records": []}, {"vin": GARBLED_VIN},
            state_list=[chain.state_proof(b"vehicles/vehicle/" + GARBLED_VIN.encode(), 7)]),
    }


NO_STATE_TREE = ("state proofs: the genesis file names no state tree, so its state roots "
                 "cannot prove an entry")


def state_cases():
    """(group, name, genesis, bundle, reason): the bundles of state_bundles, proven (reason
    None) or changed in one place and refused with exactly that reason. The groups: "proven",
    "reading" (a state proof's JSON form), "state proof" (its checks: the anchor, the path, the
    end of the path, the root), "bundle" (the state_proofs member and the genesis file's
    state_tree) and "facts" (what each kind makes of its state proofs)."""
    chain, b = state_bundles()
    one, two = "state proof 1 of 1: ", "state proof 2 of 2: "
    acct0, acct1 = ACCOUNT_KEYS[0].hex(), ACCOUNT_KEYS[1].hex()
    no_tree = chain.genesis_without_tree()
    other_tree = chain.genesis_without_tree("sparse-merkle-blake3")

    def sp(x, i=0):
        return x["state_proofs"][i]

    def votes(certified):
        return certified["certificate"]["votes"]

    def flip_hex(text, at):
        return text[:at] + ("1" if text[at] == "0" else "0") + text[at + 1:]

    def first_sibling(x):
        """The index of the first sibling that is not an empty subtree."""
        return next(i for i, s in enumerate(sp(x)["siblings"]) if s)

    def mismatch(i=0):
        """The reason a state proof whose path no longer reaches the root is refused for,
        computed from the changed bundle with the reference fold."""
        def reason(x):
            p = proofs.state_proof_from_json(sp(x, i))
            certified = types_pb2.BlockHeader.FromString(p.anchor.header).state_root
            return (f"state proof {i + 1} of {len(x['state_proofs'])}: state (height "
                    f"{p.height}): the path hashes to state root {ref_state_root(p).hex()}, "
                    f"the anchor certifies {certified.hex()}")
        return reason

    def anchor_rewritten(x, **fields):
        """The first state proof's anchor header changed and certified again by its set."""
        anchor = sp(x)["anchor"]
        anchor["header"] = rewritten(anchor["header"], **fields)
        recertified(chain, anchor, 8)

    def against(genesis):
        def change(x):
            x["genesis_hash"] = crypto.sha256(genesis).hex()
        return change

    def proof_of(name):
        """A copy of bundle `name`'s first state proof."""
        return json.loads(json.dumps(sp(b[name])))

    def also(name):
        """Bundle `name`'s first state proof appended to the bundle's."""
        def change(x):
            x.setdefault("state_proofs", []).append(proof_of(name))
        return change

    record_2_tx = b["report"]["proofs"][3]
    cases = [
        ("proven", "a present key", "present", None, None),
        ("proven", "an entry with an empty value", "empty value", None, None),
        ("proven", "an absent key whose path ends at an empty subtree", "absent", None, None),
        ("proven", "an absent key whose path ends at another entry's leaf", "absent at a leaf",
         None, None),
        ("proven", "a key of the empty state", "empty tree", None, None),
        ("proven", "a vehicle report with its vehicle_state", "report", None, None),
        ("proven", "a vehicle report listing a record above the state's height", "report at 6",
         None, None),
        ("proven", "a vehicle the state does not hold, with no record", "absent vehicle", None,
         None),
        ("proven", "a vehicle report without a state proof", "report without state", None, None),
        ("proven", "a vehicle report with an empty state_proofs", "report without state",
         lambda x: x.update(state_proofs=[]), None),
        ("proven", "a vehicle report without a state proof, of a genesis naming no state tree",
         "report without state", against(no_tree), None, no_tree),
        ("proven", "an empty subtree written as 32 zero bytes", "present",
         lambda x: sp(x)["siblings"].__setitem__(
             sp(x)["siblings"].index(""), "00" * 32), None),

        ("reading", "no height", "present", lambda x: sp(x).pop("height"),
         one + "height must be present"),
        ("reading", "the height 7.0", "present", lambda x: sp(x).update(height=7.0),
         one + "height must be a non-negative integer"),
        ("reading", "no key", "present", lambda x: sp(x).pop("key"),
         one + "height 7: key must be present"),
        ("reading", "the key in upper case", "present",
         lambda x: sp(x).update(key=sp(x)["key"].upper()),
         one + "height 7: key must be a lower-case hex string"),
        ("reading", "present as 1", "present", lambda x: sp(x).update(present=1),
         one + "height 7: present must be true or false"),
        ("reading", "present as text", "present", lambda x: sp(x).update(present="true"),
         one + "height 7: present must be true or false"),
        ("reading", "no present", "present", lambda x: sp(x).pop("present"),
         one + "height 7: present must be present"),
        ("reading", "a present key without its value", "present", lambda x: sp(x).pop("value"),
         one + "height 7: value must be present"),
        ("reading", "a present key's value not hex", "present", lambda x: sp(x).update(value="0x"),
         one + "height 7: value must be a lower-case hex string"),
        ("reading", "an absent key with a value member", "absent",
         lambda x: sp(x).update(value=""),
         one + "height 7: value must be absent when present is false"),
        ("reading", "a present key called absent, its value kept", "present",
         lambda x: sp(x).update(present=False),
         one + "height 7: value must be absent when present is false"),
        ("reading", "no siblings", "present", lambda x: sp(x).pop("siblings"),
         one + "height 7: siblings must be present"),
        ("reading", "siblings an object", "present", lambda x: sp(x).update(siblings={}),
         one + "height 7: siblings must be an array of lower-case hex strings"),
        ("reading", "siblings a string", "present", lambda x: sp(x).update(siblings=""),
         one + "height 7: siblings must be an array of lower-case hex strings"),
        ("reading", "a sibling in upper case", "present",
         lambda x: sp(x)["siblings"].__setitem__(first_sibling(x),
                                                 sp(x)["siblings"][first_sibling(x)].upper()),
         one + "height 7: siblings must be an array of lower-case hex strings"),
        ("reading", "a sibling null", "present",
         lambda x: sp(x)["siblings"].__setitem__(sp(x)["siblings"].index(""), None),
         one + "height 7: siblings must be an array of lower-case hex strings"),
        ("reading", "other_key_hash not hex", "absent at a leaf",
         lambda x: sp(x).update(other_key_hash="xy"),
         one + "height 7: other_key_hash must be a lower-case hex string"),
        ("reading", "other_value_hash a number", "absent at a leaf",
         lambda x: sp(x).update(other_value_hash=5),
         one + "height 7: other_value_hash must be a lower-case hex string"),
        ("reading", "no lthash_root", "present", lambda x: sp(x).pop("lthash_root"),
         one + "height 7: lthash_root must be present"),
        ("reading", "no anchor", "present", lambda x: sp(x).pop("anchor"),
         one + "height 7: anchor must be present"),
        ("reading", "an anchor certificate without votes", "present",
         lambda x: sp(x)["anchor"]["certificate"].pop("votes"),
         one + "height 7: anchor.certificate.votes must be present"),
        ("reading", "a state proof that is no object", "present",
         lambda x: x["state_proofs"].__setitem__(0, [1]), one + "height must be present"),

        ("state proof", "the key changed", "present",
         lambda x: sp(x).update(key=flip_hex(sp(x)["key"], 1)), mismatch()),
        ("state proof", "the value changed", "present",
         lambda x: sp(x).update(value=flip_hex(sp(x)["value"], 3)), mismatch()),
        ("state proof", "an empty value given a byte", "empty value",
         lambda x: sp(x).update(value="00"), mismatch()),
        ("state proof", "a sibling changed", "present",
         lambda x: sp(x)["siblings"].__setitem__(
             first_sibling(x), flip_hex(sp(x)["siblings"][first_sibling(x)], 5)), mismatch()),
        ("state proof", "the last sibling left out", "present",
         lambda x: sp(x)["siblings"].pop(), mismatch()),
        ("state proof", "an empty sibling added", "present",
         lambda x: sp(x)["siblings"].append(""), mismatch()),
        ("state proof", "an empty subtree given another value", "present",
         lambda x: sp(x)["siblings"].__setitem__(sp(x)["siblings"].index(""), "11" * 32),
         mismatch()),
        ("state proof", "a present key called absent, its value dropped", "present",
         lambda x: (sp(x).update(present=False), sp(x).pop("value")), mismatch()),
        ("state proof", "an absent key called present with an empty value", "absent",
         lambda x: sp(x).update(present=True, value=""), mismatch()),
        ("state proof", "an absent key's other leaf dropped", "absent at a leaf",
         lambda x: (sp(x).pop("other_key_hash"), sp(x).pop("other_value_hash")), mismatch()),
        ("state proof", "other_key_hash changed in its last byte", "absent at a leaf",
         lambda x: sp(x).update(other_key_hash=flip_hex(sp(x)["other_key_hash"], 63)),
         mismatch()),
        ("state proof", "other_key_hash changed in its first bit", "absent at a leaf",
         lambda x: sp(x).update(other_key_hash=bytes(
             [int(sp(x)["other_key_hash"][:2], 16) ^ 0x80]).hex() + sp(x)["other_key_hash"][2:]),
         one + "state (height 7): the other leaf does not lie on the key's path"),
        ("state proof", "other_value_hash changed", "absent at a leaf",
         lambda x: sp(x).update(other_value_hash=flip_hex(sp(x)["other_value_hash"], 10)),
         mismatch()),
        ("state proof", "other_key_hash the key's own hash", "absent at a leaf",
         lambda x: sp(x).update(other_key_hash=crypto.sha256(bytes.fromhex(sp(x)["key"])).hex()),
         one + "state (height 7): the other leaf is the key's own"),
        ("state proof", "other_key_hash of 31 bytes", "absent at a leaf",
         lambda x: sp(x).update(other_key_hash=sp(x)["other_key_hash"][2:]),
         one + "state (height 7): other_key_hash and other_value_hash must be 32 bytes"),
        ("state proof", "other_value_hash alone", "absent",
         lambda x: sp(x).update(other_value_hash="22" * 32),
         one + "state (height 7): other_key_hash and other_value_hash must be 32 bytes"),
        ("state proof", "a present key's proof naming another leaf", "present",
         lambda x: sp(x).update(other_key_hash="33" * 32, other_value_hash="44" * 32),
         one + "state (height 7): a present key's proof names another leaf"),
        ("state proof", "a present key's proof naming an empty other_value_hash", "present",
         lambda x: sp(x).update(other_key_hash="33" * 32, other_value_hash=""),
         one + "state (height 7): a present key's proof names another leaf"),
        ("state proof", "lthash_root changed", "present",
         lambda x: sp(x).update(lthash_root=flip_hex(sp(x)["lthash_root"], 0)), mismatch()),
        ("state proof", "lthash_root of 31 bytes", "absent",
         lambda x: sp(x).update(lthash_root=sp(x)["lthash_root"][2:]),
         one + "state (height 7): lthash_root must be 32 bytes"),
        ("state proof", "257 siblings", "absent",
         lambda x: sp(x).update(siblings=[""] * 257),
         one + "state path (height 7): has 257 entries, more than 256"),
        ("state proof", "256 empty siblings", "absent",
         lambda x: sp(x).update(siblings=[""] * 256), mismatch()),
        ("state proof", "a sibling of 31 bytes", "present",
         lambda x: sp(x)["siblings"].__setitem__(1, "55" * 31),
         one + "state path (height 7): entry 1 is neither empty nor 32 bytes"),
        ("state proof", "the height changed", "present", lambda x: sp(x).update(height=6),
         one + "anchor (height 8): certifies the state at height 7, the proof is of height 6"),
        ("state proof", "the anchor header changed", "present",
         lambda x: sp(x)["anchor"].update(
             header=rewritten(sp(x)["anchor"]["header"], state_root=b"\x66" * 32)),
         one + "anchor certificate (height 8): commit certificate at height 8 is for a "
         "different block"),
        ("state proof", "the anchor header does not decode", "present",
         lambda x: sp(x)["anchor"].update(header="ff"),
         one + "anchor (height 7): the header does not decode"),
        ("state proof", "the anchor certifies another state root", "present",
         lambda x: anchor_rewritten(x, state_root=b"\x66" * 32), mismatch()),
        ("state proof", "the anchor certifies another state height", "present",
         lambda x: anchor_rewritten(x, state_height=6),
         one + "anchor (height 8): certifies the state at height 6, the proof is of height 7"),
        ("state proof", "the anchor has no state_root", "present",
         lambda x: anchor_rewritten(x, state_root=None),
         one + "anchor (height 8): the header has no state_root"),
        ("state proof", "the anchor of another chain", "present",
         lambda x: anchor_rewritten(x, chain_id="other-chain"),
         one + "anchor (height 8): the header is of chain 'other-chain', the genesis file's is "
         "'proof-test'"),
        ("state proof", "an anchor signature changed", "present",
         lambda x: votes(sp(x)["anchor"])[0].update(
             signature=flip_hex(votes(sp(x)["anchor"])[0]["signature"], 8)),
         one + "anchor certificate (height 8): commit certificate: bad signature from "
         "validator 0"),
        ("state proof", "an anchor vote left out", "present",
         lambda x: votes(sp(x)["anchor"]).pop(),
         one + "anchor certificate (height 8): commit certificate: 2 votes, a quorum is 3"),
        ("state proof", "the report's state path changed", "report",
         lambda x: sp(x)["siblings"].__setitem__(
             first_sibling(x), flip_hex(sp(x)["siblings"][first_sibling(x)], 5)), mismatch()),
        ("state proof", "a second state proof changed, numbered", "report",
         lambda x: (also("present")(x), sp(x, 1).update(value=flip_hex(sp(x, 1)["value"], 3))),
         mismatch(1)),

        ("bundle", "state_proofs an object", "present", lambda x: x.update(state_proofs={}),
         "state proofs: must be an array"),
        ("bundle", "state_proofs null", "present", lambda x: x.update(state_proofs=None),
         "state proofs: must be an array"),
        ("bundle", "state_proofs null in a report", "report without state",
         lambda x: x.update(state_proofs=None), "state proofs: must be an array"),
        ("bundle", "no proof of either kind", "present", lambda x: x.update(state_proofs=[]),
         "proofs: the bundle holds no proof"),
        ("bundle", "a state bundle without proofs", "present", lambda x: x.pop("proofs"),
         "proofs: the bundle holds no proof"),
        ("bundle", "a state bundle against a genesis naming no state tree", "present",
         against(no_tree), NO_STATE_TREE, no_tree),
        ("bundle", "a vehicle report against a genesis naming no state tree", "report",
         against(no_tree), NO_STATE_TREE, no_tree),
        ("bundle", "a state bundle against a genesis naming another state tree", "absent",
         against(other_tree), NO_STATE_TREE, other_tree),
        ("bundle", "a broken transaction proof is named before the state proof", "report",
         lambda x: (x["proofs"][3].update(index=1),
                    sp(x).update(value=flip_hex(sp(x)["value"], 3))),
         "proof 4 of 4: transaction path (height 7): does not fit position 1 of 1 "
         "transactions"),

        ("facts", "a fact changed", "present", lambda x: x["facts"].update(present=False),
         "facts: the bundle states something its proofs do not prove (first difference at "
         "facts.present)"),
        ("facts", "an absent key stated with a value", "absent",
         lambda x: x["facts"].update(value=""),
         "facts: the bundle states something its proofs do not prove (first difference at "
         "facts.value)"),
        ("facts", "the height stated as 6", "present", lambda x: x["facts"].update(height=6),
         "facts: the bundle states something its proofs do not prove (first difference at "
         "facts.height)"),
        ("facts", "a state bundle with a transaction proof", "present",
         lambda x: x["proofs"].append(record_2_tx),
         "facts: a state bundle proves one state entry and no transaction"),
        ("facts", "a state bundle with two state proofs", "present",
         also("absent"), "facts: a state bundle proves one state entry and no transaction"),
        ("facts", "a state bundle whose subject names another key", "present",
         lambda x: x["subject"].update(key=acct1),
         f"facts: the state proof is of key {acct0}, the subject names {acct1}"),
        ("facts", "a state bundle whose subject names its key in upper case", "present",
         lambda x: x["subject"].update(key=acct0.upper()),
         f"facts: the state proof is of key {acct0}, the subject names {acct0.upper()}"),
        ("facts", "a state bundle whose subject names no key", "present",
         lambda x: x.update(subject={}), 'facts: subject: a state bundle names its "key"'),
        ("facts", "a transaction bundle with a state proof", "report",
         lambda x: x.update(kind="transaction", proofs=x["proofs"][3:]),
         "facts: a transaction bundle carries no state proof"),
        ("facts", "a revenue statement with a state proof", "report",
         lambda x: x.update(kind="revenue-statement"),
         "facts: a revenue-statement bundle carries no state proof"),
        ("facts", "a vehicle report with two state proofs", "report", also("report at 6"),
         "facts: a vehicle report carries at most one state proof"),
        ("facts", "a vehicle report with the state proof of another key", "report",
         lambda x: x.update(state_proofs=[proof_of("present")]),
         f"facts: the state proof is of key {acct0}, not of vehicle {VIN}"),
        ("facts", "a vehicle report with the state proof of another vehicle", "absent vehicle",
         lambda x: x["subject"].update(vin=VIN),
         f"facts: the state proof is of key {(b'vehicles/vehicle/' + ABSENT_VIN.encode()).hex()}"
         f", not of vehicle {VIN}"),
        ("facts", "a vehicle whose state does not decode", "garbled vehicle", None,
         "facts: the vehicle's state does not decode"),
        ("facts", "a record left out", "report", lambda x: x["proofs"].pop(3),
         f"facts: the chain holds 2 records of vehicle {VIN} at height 7, the bundle proves 1 "
         "of them"),
        ("facts", "every record left out", "report", lambda x: x.update(proofs=[]),
         f"facts: the chain holds 2 records of vehicle {VIN} at height 7, the bundle proves 0 "
         "of them"),
        # The checks of the record list come before the count.
        ("facts", "a submission left out, its endorsements kept", "report",
         lambda x: x["proofs"].pop(0),
         f"facts: record {RECORD}: the bundle proves endorsements of it but not its submission"),
        ("facts", "the record count stated as 3", "report",
         lambda x: x["facts"]["vehicle_state"].update(records=3),
         "facts: the bundle states something its proofs do not prove (first difference at "
         "facts.vehicle_state.records)"),
        ("facts", "a vehicle report stating no vehicle_state", "report",
         lambda x: x["facts"].pop("vehicle_state"),
         "facts: the bundle states something its proofs do not prove (first difference at "
         "facts.vehicle_state)"),
    ]
    out = []
    for case in cases:
        group, name, base, change, reason = case[:5]
        genesis = case[5] if len(case) > 5 else chain.genesis
        bundle = changed(b[base], change) if change else b[base]
        out.append((group, name, genesis, bundle, reason(bundle) if callable(reason) else reason))
    return out


def state_page_cases(out_dir):
    """Writes the genesis files and eight of state_cases' bundles for the explorer's verify
    page test and returns its cases for them: state bundles of a present key and of two absent
    ones (the path ending empty, and at another leaf) and a vehicle report with its
    vehicle_state, proven; a sibling changed, a value changed, a record left out of the
    report and a state bundle against a genesis naming no state tree, refused."""
    chosen = {"a present key": "state-present.bundle",
              "an absent key whose path ends at an empty subtree": "state-absent.bundle",
              "an absent key whose path ends at another entry's leaf": "state-absent-leaf.bundle",
              "a vehicle report with its vehicle_state": "state-report.bundle",
              "a sibling changed": "state-sibling.bundle",
              "the value changed": "state-value.bundle",
              "a record left out": "state-record-left-out.bundle",
              "a state bundle against a genesis naming no state tree": "state-no-tree.bundle"}
    genesis_files = {}
    out = []
    for _, name, genesis, bundle, reason in state_cases():
        if name not in chosen:
            continue
        if genesis not in genesis_files:
            name_of_file = "state-genesis-no-tree.json" if genesis_files else "state-genesis.json"
            genesis_files[genesis] = os.path.join(out_dir, name_of_file)
            with open(genesis_files[genesis], "wb") as f:
                f.write(genesis)
        path = os.path.join(out_dir, chosen[name])
        with open(path, "w") as f:
            json.dump(bundle, f, indent=2)
        case = {"name": "state proofs: " + name, "bundle": path,
                "genesis": genesis_files[genesis],
                "outcome": "failed" if reason else "proven", "reason": [reason] if reason else []}
        if name == "a vehicle report with its vehicle_state":
            case["fields"] = {"[data-field=vin]": VIN, "[data-field=record_count]": "2"}
        out.append(case)
    return out


def wallet_verify(tmp, text, genesis):
    """The C++ wallet's verdict on a bundle's text: "proven", "failed" or "unreadable", and what
    its --json printed ({"error": stderr} when that is not JSON)."""
    bundle_path, genesis_path = os.path.join(tmp, "check.bundle"), os.path.join(tmp, "g.json")
    with open(bundle_path, "w") as f:
        f.write(text)
    with open(genesis_path, "wb") as f:
        f.write(genesis)
    out = subprocess.run([os.environ["SHARECHAIN_WALLET"], "verify-bundle", bundle_path,
                          "--genesis", genesis_path, "--json"], capture_output=True, text=True)
    try:
        printed = json.loads(out.stdout)
    except ValueError:
        printed = {"error": out.stderr}
    return {0: "proven", 1: "failed", 2: "unreadable"}.get(out.returncode, "crashed"), printed


# Which part a changed bundle value must be refused for: (pattern of its path, words).
EXPECTED_PART = [
    (r"^/chain_id$", "chain:"), (r"^/genesis_hash$", "genesis:"),
    (r"^/validator_sets/0/", "validator set:"),
    (r"^/validator_sets/\d+/(epoch|validators/\d+/index)$", "validator set of epoch "),
    # A later set's key, its from_height or its switch block: its switch block no longer fits.
    (r"^/validator_sets/\d+/", "switch block of epoch "),
    (r"^/subject/(from_ms|to_ms)$", "subject:"),
    (r"^/(kind|subject/.*|facts/.*)$", "facts:"),
    (r"^/proofs/(\d+)/block/certificate/", "block certificate"),
    (r"^/proofs/(\d+)/(height|block/.*)$", "block"),
    (r"^/proofs/(\d+)/(index|transaction|transaction_path/\d+)$", "transaction path"),
    (r"^/proofs/(\d+)/(receipt_path/\d+|previous_history|previous_state_root)$", "history"),
    (r"^/proofs/(\d+)/links/\d+/height$", "history link"),
    (r"^/proofs/(\d+)/links/", "history"), (r"^/proofs/(\d+)/receipt$", "receipt"),
    (r"^/proofs/(\d+)/(transaction|receipt)_count$", "path"),
    (r"^/proofs/(\d+)/anchor/certificate/", "anchor certificate"),
    (r"^/proofs/(\d+)/anchor/", "anchor"),
]
# The same for a state proof's values: (pattern, any of these words). A changed empty sibling
# ("" to "0") is no longer hex; a changed height no longer the anchor's state height.
EXPECTED_STATE_PART = [
    (r"^/state_proofs/(\d+)/anchor/certificate/", ("anchor certificate",)),
    (r"^/state_proofs/(\d+)/(height|anchor/.*)$", ("anchor",)),
    (r"^/state_proofs/(\d+)/present$", ("value must be",)),
    (r"^/state_proofs/(\d+)/(key|value|siblings/\d+|other_key_hash|other_value_hash|lthash_root)$",
     ("state (height", "siblings must be an array of lower-case hex strings")),
]


class ProofBundles(unittest.TestCase):
    def verify(self, bundle, genesis):
        return proofs.verify_bundle(json.dumps(bundle, indent=2), genesis)

    def test_decoding_is_as_strict_as_the_cxx_parser(self):
        header = types_pb2.BlockHeader(height=7, chain_id="c", state_height=6).SerializeToString()
        self.assertEqual(proofs._decode(types_pb2.BlockHeader, header).height, 7)
        # Python's parser would take a stray end-group tag (field 1, wire type 4) as the end of
        # the message; the C++ parser and the explorer's page refuse the bytes.
        for bad in (header + b"\x0c", b"\x0c" + header, header + b"\x0b",   # end, end, unclosed group
                    header + b"\x0b\x14", header + b"\x07", header + b"\x00",   # mismatched, wire type 7, field 0
                    header + b"\x0a\x05ab", header + b"\x08\xff"):          # short bytes, short varint
            with self.subTest(bad=bad[len(header) - 2:].hex()):
                self.assertIsNone(proofs._decode(types_pb2.BlockHeader, bad))
        # A well-formed group of an unknown field is kept, as C++ keeps it.
        self.assertIsNotNone(proofs._decode(types_pb2.BlockHeader, header + b"\xfb\x01\x08\x01\xfc\x01"))

    def assert_failed(self, result, *words):
        self.assertEqual(result.outcome, "failed", result.reason)
        for w in words:
            self.assertIn(w, result.reason)
        self.assertIsNone(result.facts)
        self.assertEqual(result.proven, [])

    def expect_proof_failure(self, proof, trust, *words):
        with self.assertRaises(proofs.ProofError) as ctx:
            proofs.verify_transaction_proof(proof, trust)
        for w in words:
            self.assertIn(w, str(ctx.exception))

    # --- the rules, one at a time -------------------------------------------------------------

    def test_merkle_path_of_the_documents_example(self):
        leaf = [crypto.sha256(bytes([i])) for i in range(3)]
        node = [crypto.sha256(b"\x00" + h) for h in leaf]
        left = crypto.sha256(b"\x01" + node[0] + node[1])
        root = crypto.sha256(b"\x01" + left + node[2])
        self.assertEqual(root, crypto.merkle_root(leaf))
        # Index 2: promoted at level 0, then its left sibling.
        self.assertEqual(proofs.merkle_root_from_path(leaf[2], 2, 3, [left]), root)
        # Index 0: node(leaf1) on the right, then node(leaf2) on the right.
        self.assertEqual(proofs.merkle_root_from_path(leaf[0], 0, 3, [node[1], node[2]]), root)
        # An entry too many, one too few, a position outside the block.
        self.assertIsNone(proofs.merkle_root_from_path(leaf[2], 2, 3, [left, node[0]]))
        self.assertIsNone(proofs.merkle_root_from_path(leaf[0], 0, 3, [node[1]]))
        self.assertIsNone(proofs.merkle_root_from_path(leaf[2], 3, 3, [left]))
        self.assertIsNone(proofs.merkle_root_from_path(leaf[0], 0, 0, []))

    def test_merkle_path_of_every_position(self):
        for count in range(1, 10):
            leaves = [crypto.sha256(bytes([count, i])) for i in range(count)]
            root = crypto.merkle_root(leaves)
            for index in range(count):
                with self.subTest(count=count, index=index):
                    path = merkle_path(leaves, index)
                    got = proofs.merkle_root_from_path(leaves[index], index, count, path)
                    self.assertEqual(got, root)
                    if count > 1:
                        other = leaves[(index + 1) % count]
                        got = proofs.merkle_root_from_path(other, index, count, path)
                        self.assertNotEqual(got, root)

    def test_quorum(self):
        self.assertEqual([proofs.quorum_size(n) for n in (1, 2, 3, 4, 5, 6, 7, 10)],
                         [1, 2, 2, 3, 4, 4, 5, 7])

    def test_history_chain(self):
        prev, rr, sr = crypto.sha256(b"a"), crypto.sha256(b"b"), crypto.sha256(b"c")
        want = crypto.tagged_hash(b"sharechain/history", prev + (9).to_bytes(8, "big") + rr + sr)
        self.assertEqual(proofs.history_next(prev, 9, rr, sr), want)

    def test_genesis(self):
        chain = MiniChain()
        self.assertEqual(chain.trust.chain_id, "proof-test")
        self.assertEqual(chain.trust.genesis_hash, crypto.sha256(chain.genesis))
        self.assertEqual(chain.trust.validators, tuple(k.public_key for k in chain.keys))
        # One more space is another genesis.
        self.assertNotEqual(proofs.trust_from_genesis(chain.genesis + b" ").genesis_hash,
                            chain.trust.genesis_hash)
        first_key = json.loads(chain.genesis)["validators"][0]["public_key"]
        for change, words in ((lambda g: g.update(chain_id=""), "no chain_id"),
                              (lambda g: g.update(validators=[]), "no validators"),
                              (lambda g: g["validators"][1].update(public_key="12" * 31),
                               "genesis validator 1 .v1.: public_key must be 64 hex digits"),
                              (lambda g: g["validators"][1].update(public_key=first_key),
                               "duplicate"),
                              (lambda g: g.update(surprise=1), "not a valid genesis")):
            bad = json.loads(chain.genesis)
            change(bad)
            with self.subTest(words), self.assertRaisesRegex(proofs.GenesisError, words):
                proofs.trust_from_genesis(json.dumps(bad).encode())
        with self.assertRaises(proofs.GenesisError):
            proofs.trust_from_genesis(b"\xff not json")
        with self.assertRaises(TypeError):
            proofs.trust_from_genesis(chain.genesis.decode())

    # --- a hand-built chain -------------------------------------------------------------------

    def test_transaction_bundle_facts(self):
        chain = payment_chain()
        u = chain.user(7)
        for index, amount, status in ((1, 200, "ok"), (2, 300, "insufficient_funds")):
            p = chain.proof(5, index, anchor=7)
            tx_hash = proof_tx_hash(p).hex()
            # Written out by hand from docs/proofs.md and `sharechain tx --json`.
            to = sc.format_address(b"\x02" * 20)
            facts = {
                "tx_hash": tx_hash, "height": 5, "index": index,
                "block_hash": crypto.sha256(p.block.header).hex(), "timestamp_ms": 1700000000005,
                "transaction": {"hash": tx_hash, "sender": u.address_text, "nonce": index,
                                "chain_id": "proof-test", "expires_at_height": 0,
                                "call": {"contract": "ledger", "action": "transfer",
                                         "args": {"to": to, "amount": amount,
                                                  "memo": f"order {amount}"}}},
                "receipt": {"tx_hash": tx_hash, "status": status, "ok": status == "ok",
                            "error": "" if status == "ok" else "balance 250 is below 300",
                            "height": 5, "index": index,
                            "events": [{"contract": "ledger", "name": "Transfer",
                                        "attributes": {"amount": str(amount), "to": to}}],
                            "created": [], "state_reads": 2 + index, "state_writes": 1}}
            with self.subTest(index=index):
                r = self.verify(chain.bundle("transaction", [p], facts), chain.genesis)
                self.assertEqual(r.outcome, "proven", r.reason)
                self.assertEqual(r.kind, "transaction")
                self.assertEqual(r.facts, facts)
                self.assertEqual([(x.tx_hash, x.height, x.index, x.anchor_height)
                                  for x in r.proven], [(tx_hash, 5, index, 7)])
                # A fact stated otherwise, even 1 for true, is refused and located.
                for path, value in ((("receipt", "ok"), int(status == "ok")),
                                    (("transaction", "call", "args", "amount"), amount + 1),
                                    (("receipt", "events", 0, "attributes", "amount"), "999")):
                    changed = json.loads(json.dumps(facts))
                    set_leaf(changed, path, value)
                    where = "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in path)
                    r = self.verify(chain.bundle("transaction", [p], changed), chain.genesis)
                    self.assert_failed(r, "facts:", f"first difference at facts{where})")

    def test_vehicle_bundle_facts(self):
        chain = vehicle_chain()
        a, b, c = chain.user(11), chain.user(12), chain.user(13)
        ps = [chain.proof(5, 0, anchor=7), chain.proof(6, 0, anchor=7),
              chain.proof(6, 2, anchor=7)]
        h = [proof_tx_hash(p).hex() for p in ps]
        facts = {"vin": VIN, "records": [{
            "record": RECORD, "kind": "ACCIDENT", "submitter": a.address_text,
            "organisation": "Acme Motors", "occurred_at_ms": 1690000000000, "odometer_km": 0,
            "evidence": EVIDENCE, "submitted_height": 5, "submitted_tx": h[0], "threshold": 2,
            "endorsements": [
                {"attester": b.address_text, "organisation": "Northwind Insurance",
                 "verdict": "TRUE", "height": 6, "tx": h[1]},
                {"attester": c.address_text, "organisation": "City Garage", "verdict": "TRUE",
                 "height": 6, "tx": h[2]}],
            "status": "ATTESTED", "true": 2, "false": 0, "threshold_met": True,
            "decided_height": 6, "decided_tx": h[2]}]}
        subject = {"vin": VIN}
        r = self.verify(chain.bundle("vehicle-report", ps, facts, subject), chain.genesis)
        self.assertEqual(r.outcome, "proven", r.reason)
        self.assertEqual(r.facts, facts)
        self.assertEqual([x.height for x in r.proven], [5, 6, 6])

        def refused(proof_list, *words, kind="vehicle-report", subject=subject):
            r = self.verify(chain.bundle(kind, proof_list, facts, subject), chain.genesis)
            self.assert_failed(r, *words)
        # An endorsement without its record's submission proves nothing about the record.
        refused(ps[1:], "facts: record", "but not its submission")
        # A transaction about something else does not belong in the report.
        refused([ps[0], chain.proof(6, 1, anchor=7), ps[2]], "facts: transaction",
                f"not about vehicle {VIN}")
        refused(ps, "facts:", "not about vehicle", subject={"vin": "WVWZZZ1JZXW000001"})
        refused(ps, 'facts: subject: a vehicle report names its "vin"', subject={"vin": 7})
        # The same proof twice (one endorsement shown as two), or out of chain order.
        refused(ps + ps[2:], "proofs: proof 4 (height", "is not after the one before it")
        refused(ps[1:] + ps[:1], "proofs: proof 3 (height 5", "chain order")
        # A kind this verifier does not know, another kind's subject; a transaction bundle of
        # three proofs.
        refused(ps, "facts: bundle kind 'fleet-report' is not one this verifier knows",
                kind="fleet-report")
        refused(ps, 'facts: subject: a revenue statement names its "asset" and "period"',
                kind="revenue-statement")
        refused(ps, "facts: a transaction bundle holds exactly one proof, this one 3",
                kind="transaction")
        # Facts left out.
        bundle = chain.bundle("vehicle-report", ps, facts, subject)
        del bundle["facts"]
        self.assert_failed(self.verify(bundle, chain.genesis), "(first difference at facts)")

    def test_vehicle_rejection_and_transfer(self):
        """A record submitted and rejected by an endorsement in the same block, and a transfer
        offered and accepted but not yet attested."""
        chain = MiniChain()
        a, b, owner, buyer = chain.user(11), chain.user(12), chain.user(21), chain.user(22)
        r2, r3 = "12" * 32, "34" * 32
        submit = vehicles_pb2.SubmitRecord(vin=VIN, kind=vehicles_pb2.ODOMETER, odometer_km=120000)
        endorse = vehicles_pb2.Endorse(record_id=bytes.fromhex(r2),
                                       verdict=vehicles_pb2.VERDICT_FALSE)
        offer = vehicles_pb2.OfferTransfer(vin=VIN, buyer=buyer.address)
        accept = vehicles_pb2.AcceptTransfer(record_id=bytes.fromhex(r3))
        chain.add_block([
            (chain.tx(a, vehicles_pb2.Call(submit=submit)),
             [event("vehicles", "RecordSubmitted", record=r2, vin=VIN, kind="ODOMETER",
                    organisation="Acme Motors", occurred_at_ms=1690000000001, odometer_km=120000,
                    evidence="", status="PENDING", threshold=1)], 0, ""),
            (chain.tx(b, vehicles_pb2.Call(endorse=endorse)),
             [event("vehicles", "RecordEndorsed", record=r2, vin=VIN, attester=b.address_text,
                    organisation="", verdict="FALSE", true=0, false=1, threshold=1),
              event("vehicles", "RecordRejected", record=r2, vin=VIN, kind="ODOMETER", true=0,
                    false=1, threshold=1, reason="the false verdicts reached the threshold")],
             0, ""),
            (chain.tx(owner, vehicles_pb2.Call(offer_transfer=offer)),
             [event("vehicles", "OwnershipTransferOffered", record=r3, vin=VIN,
                    kind="OWNERSHIP_TRANSFER", organisation="", occurred_at_ms=1690000000002,
                    odometer_km=0, evidence="ef" * 32, status="AWAITING_ACCEPTANCE",
                    threshold=2)], 0, "")])
        chain.add_block([(chain.tx(buyer, vehicles_pb2.Call(accept_transfer=accept)),
                          [event("vehicles", "OwnershipTransferAccepted", record=r3, vin=VIN)],
                          0, "")])
        ps = [chain.proof(5, 0, anchor=7), chain.proof(5, 1, anchor=7),
              chain.proof(5, 2, anchor=7), chain.proof(6, 0, anchor=7)]
        h = [proof_tx_hash(p).hex() for p in ps]
        facts = {"vin": VIN, "records": [
            {"record": r2, "kind": "ODOMETER",
             "submitter": a.address_text, "organisation": "Acme Motors",
             "occurred_at_ms": 1690000000001, "odometer_km": 120000, "evidence": "",
             "submitted_height": 5, "submitted_tx": h[0], "threshold": 1,
             "endorsements": [{"attester": b.address_text, "organisation": "",
                               "verdict": "FALSE", "height": 5, "tx": h[1]}],
             "status": "REJECTED", "true": 0, "false": 1, "threshold_met": False,
             "decided_height": 5, "decided_tx": h[1]},
            {"record": r3, "kind": "OWNERSHIP_TRANSFER", "submitter": owner.address_text,
             "organisation": "", "occurred_at_ms": 1690000000002, "odometer_km": 0,
             "evidence": "ef" * 32, "submitted_height": 5, "submitted_tx": h[2],
             "threshold": 2, "endorsements": [], "status": "AWAITING_ACCEPTANCE",
             "accepted_height": 6}]}
        r = self.verify(chain.bundle("vehicle-report", ps, facts, {"vin": VIN}), chain.genesis)
        self.assertEqual(r.outcome, "proven", r.reason)
        # In the very order of keys the wallet writes (its own check compares in order).
        self.assertEqual(json.dumps(r.facts), json.dumps(facts))

    def test_call_rendering(self):
        """Call arguments as `sharechain tx --json` shows them: enums by name (an unknown one
        as the C++ protobuf library names it), repeated messages, 20 bytes as an address."""
        calls = [
            (vehicles_pb2.SubmitRecord(vin=VIN, kind=vehicles_pb2.ACCIDENT, summary="dent",
                                       evidence_hash=b"\xcd" * 32,
                                       details=[vehicles_pb2.Detail(key="garage", value="Dock")]),
             {"vin": VIN, "kind": "ACCIDENT", "occurred_at_ms": 0, "odometer_km": 0,
              "summary": "dent", "evidence_hash": "cd" * 32,
              "details": [{"key": "garage", "value": "Dock"}], "new_owner": ""}),
            (vehicles_pb2.SubmitRecord(vin=VIN, kind=99, evidence_hash=b"\x07" * 20),
             {"vin": VIN, "kind": "UNKNOWN_ENUM_VALUE_RecordKind_99", "occurred_at_ms": 0,
              "odometer_km": 0, "summary": "", "evidence_hash": sc.format_address(b"\x07" * 20),
              "details": [], "new_owner": ""}),
        ]
        for submit, args in calls:
            chain = MiniChain()
            chain.add_block([(chain.tx(chain.user(11), vehicles_pb2.Call(submit=submit)), [],
                              0, "")])
            proven = proofs.verify_transaction_proof(chain.proof(5, 0), chain.trust)
            self.assertEqual(proofs.transaction_facts(proven)["transaction"]["call"],
                             {"contract": "vehicles", "action": "submit", "args": args})
        body = types_pb2.TransactionBody(chain_id="c", sender=b"\x01" * 20, nonce=3)
        self.assertEqual(proofs.call_json(body), {"contract": "", "action": "", "args": {}})
        self.assertEqual(proofs.signed_transaction_json(b"\xff"),
                         {"hash": "", "error": "not a valid SignedTransaction"})
        self.assertEqual(proofs.receipt_status_name(types_pb2.RECEIPT_BAD_NONCE), "bad_nonce")
        self.assertEqual(proofs.receipt_status_name(77), "77")

    def test_get_proof_answer_every_position(self):
        chain = payment_chain()
        for height, index, anchor in ((5, 0, 6), (5, 1, 7), (5, 2, 8), (6, 0, 7), (6, 0, 8)):
            with self.subTest(height=height, index=index, anchor=anchor):
                p = chain.proof(height, index, anchor)
                self.assertEqual(len(p.links), anchor - height - 1)
                got = proofs.verify_transaction_proof(p, chain.trust)
                self.assertEqual((got.height, got.index, got.anchor_height),
                                 (height, index, anchor))
                self.assertEqual(got.tx_hash, proof_tx_hash(p).hex())
                self.assertEqual(got.sender, chain.user(7).address)

    def test_certificates(self):
        chain = payment_chain()
        good = chain.proof(5, 1, anchor=7)
        digest = crypto.vote_digest(crypto.VOTE_COMMIT, chain.chain_id, 0, 5,
                                    good.block.certificate.block_hash)
        prefix = "block certificate (height 5): commit certificate"
        for voters, reason in (([0, 1], ": 2 votes, a quorum is 3"),
                               ([0, 1, 1, 2], ": validator 1 voted twice"),
                               ([0, 1, 2, 4], ": vote from validator 4, which is not in the "
                                              "validator set")):
            with self.subTest(voters=voters):
                p = copy_proof(good)
                del p.block.certificate.votes[:]
                for v in voters:
                    p.block.certificate.votes.add(validator=v,
                                                  signature=chain.keys[v % 4].sign(digest))
                self.expect_proof_failure(p, chain.trust, prefix + reason)
        # All four sign and one signature is bad: the whole certificate is refused.
        p = copy_proof(good)
        p.block.certificate.CopyFrom(chain.certificate(p.block.header, 5, signers=[0, 1, 2, 3]))
        proofs.verify_transaction_proof(p, chain.trust)
        p.block.certificate.votes[3].signature = flip(p.block.certificate.votes[3].signature, 9)
        self.expect_proof_failure(p, chain.trust, prefix + ": bad signature from validator 3")
        # Votes for another view, height or block do not count.
        for tamper, reason in (
                (lambda p: setattr(p.anchor.certificate, "view", 1),
                 "anchor certificate (height 7): commit certificate: bad signature from "
                 "validator 0"),
                (lambda p: setattr(p.block.certificate, "height", 6),
                 "commit certificate is for height 6, expected 5"),
                (lambda p: setattr(p.block.certificate, "block_hash", b"\x00" * 32),
                 "commit certificate at height 5 is for a different block")):
            p = copy_proof(good)
            tamper(p)
            self.expect_proof_failure(p, chain.trust, reason)

    def test_seven_validators(self):
        for signers, proven in (([0, 2, 4, 6], False), ([1, 2, 3, 5, 6], True)):
            chain = MiniChain(n=7, signers=signers)
            chain.add_block([(chain.tx(chain.user(7), sc.transfer(b"\x02" * 20, 1)), [], 0, "")])
            p = chain.proof(5, 0)
            if proven:
                self.assertEqual(proofs.verify_transaction_proof(p, chain.trust).anchor_height, 6)
            else:
                self.expect_proof_failure(p, chain.trust, "4 votes, a quorum is 5")

    def test_each_tampered_part_is_named(self):
        chain = payment_chain()
        good = chain.proof(5, 1, anchor=7)
        other_receipt = chain.proof(5, 2, anchor=7).receipt
        cases = {
            "block (height 5)": lambda p: setattr(p.block, "header", flip(p.block.header, 7)),
            "transaction path (height 5): the transaction does not hash":
                lambda p: setattr(p, "transaction", flip(p.transaction, 40)),
            "transaction path (height 5): does not fit position 1 of 2":
                lambda p: setattr(p, "transaction_count", 2),
            "transaction path (height 5): entry 0 is not 32 bytes":
                lambda p: p.transaction_path.__setitem__(0, b"\x01" * 31),
            "receipt path (height 5): 4 receipts for 3 transactions":
                lambda p: setattr(p, "receipt_count", 4),
            "receipt path (height 5): does not fit":
                lambda p: p.receipt_path.append(b"\x00" * 32),
            "receipt (height 5): names another transaction":
                lambda p: setattr(p, "receipt", other_receipt),
            "history (height 5): the receipt and links hash to":
                lambda p: setattr(p, "previous_state_root", flip(p.previous_state_root)),
            "history (height 5): previous_history and previous_state_root must be 32 bytes":
                lambda p: setattr(p, "previous_history", b"\x00" * 31),
            "history link (height 7): expected height 6":
                lambda p: setattr(p.links[0], "height", 7),
            "anchor (height 7): certifies history at height 6, the links reach height 5":
                lambda p: p.links.pop(),
            "anchor (height 5): is not above": lambda p: setattr(p.anchor, "header",
                                                                 p.block.header),
            "anchor certificate (height 7)":
                lambda p: setattr(p.anchor.certificate.votes[0], "signature",
                                  flip(p.anchor.certificate.votes[0].signature, 60)),
            "proof (height 0): height 0 is genesis": lambda p: setattr(p, "height", 0),
        }
        for reason, tamper in cases.items():
            with self.subTest(reason):
                p = copy_proof(good)
                tamper(p)
                self.expect_proof_failure(p, chain.trust, reason)
        # Another amount in the receipt, at the same position, is caught by the history.
        p = copy_proof(good)
        r = types_pb2.Receipt()
        r.ParseFromString(p.receipt)
        r.events[0].attributes[0].number = 999999
        p.receipt = r.SerializeToString()
        self.expect_proof_failure(p, chain.trust, "history (height 5)")

    def test_transaction_rules(self):
        """The sender's own signature over exactly these bytes, for this chain."""
        chain = MiniChain()
        u, other = chain.user(7), chain.user(8)
        call = sc.transfer(b"\x02" * 20, 1)
        good = sc.sign_body(sc.build_body(chain.chain_id, u.address, 0, call), u)
        forged = types_pb2.SignedTransaction(body=good.body, public_key=other.public_key,
                                             signature=other.sign(sc.signing_hash(good.body)))
        elsewhere = sc.sign_body(sc.build_body("another-chain", u.address, 0, call), u)
        bad_signature = types_pb2.SignedTransaction(body=good.body, public_key=good.public_key,
                                                    signature=flip(good.signature, 63))
        no_call = types_pb2.TransactionBody(chain_id=chain.chain_id, sender=u.address)
        no_call = sc.sign_body(no_call, u)
        huge = sc.sign_body(sc.build_body(chain.chain_id, u.address, 0,
                                          sc.transfer(b"\x02" * 20, 1, memo="m" * 65536)), u)
        for tx, reason in ((forged, "is not the address of the signing key"),
                           (elsewhere, "transaction is for chain 'another-chain'"),
                           (bad_signature, "signature does not verify"),
                           (no_call, "names no contract call"),
                           (huge, "bytes; the limit is 65536")):
            with self.subTest(reason):
                c = MiniChain()
                c.add_block([(tx.SerializeToString(), [], 0, "")])
                self.expect_proof_failure(c.proof(5, 0), c.trust, "transaction (height 5): ",
                                          reason)

    def test_headers_without_the_new_roots(self):
        chain = MiniChain()
        entry = (chain.tx(chain.user(7), sc.transfer(b"\x02" * 20, 1)), [], 0, "")
        chain.add_block([entry], signed_tx_root=b"")
        self.expect_proof_failure(chain.proof(5, 0), chain.trust,
                                  "block (height 5): the header has no signed_tx_root")
        chain = MiniChain()
        chain.add_block([entry])
        chain.add_block([entry], history_root=b"")
        self.expect_proof_failure(chain.proof(5, 0), chain.trust,
                                  "anchor (height 6): the header has no history_root")

    def test_another_chain_or_validator_set(self):
        chain = payment_chain()
        p = chain.proof(5, 0, anchor=6)
        self.expect_proof_failure(p, MiniChain(chain_id="another-chain").trust,
                                  "block (height 5): the header is of chain 'proof-test'")
        stranger = sc.PrivateKey(b"\x28" * 32).public_key.hex().encode()
        genesis = chain.genesis.replace(chain.keys[0].public_key.hex().encode(), stranger)
        self.expect_proof_failure(p, proofs.trust_from_genesis(genesis),
                                  "block certificate (height 5): commit certificate: "
                                  "bad signature from validator 0")

    def test_headers_name_their_validator_set(self):
        def chain_with(**fields):
            chain = MiniChain()
            u = chain.user(7)
            chain.add_block([(chain.tx(u, sc.transfer(b"\x02" * 20, 5)), [], 0, "")], **fields)
            chain.add_block([(chain.tx(u, sc.transfer(b"\x03" * 20, 6)), [], 0, "")], **fields)
            return chain
        genesis_set = crypto.validator_set_hash([k.public_key for k in MiniChain().keys])
        good = chain_with(validator_set_hash=genesis_set)
        proofs.verify_transaction_proof(good.proof(5, 0, anchor=6), good.trust)
        later = chain_with(epoch=2)
        self.expect_proof_failure(later.proof(5, 0, anchor=6), later.trust,
                                  "block (height 5): the header is certified by the validator "
                                  "set of epoch 2, and the bundle carries sets up to epoch 0 "
                                  "only")
        strangers = crypto.validator_set_hash([k.public_key for k in MiniChain(n=5).keys])
        other = chain_with(validator_set_hash=strangers)
        self.expect_proof_failure(other.proof(5, 0, anchor=6), other.trust,
                                  "not the genesis file's")

    def test_bundle_envelope(self):
        chain = payment_chain()
        good = chain.bundle("transaction", [chain.proof(5, 0, anchor=6)], {})
        first = "proof 1 of 1: height 5: "

        def votes(b):
            return b["proofs"][0]["block"]["certificate"]["votes"]
        cases = [
            (lambda b: b.update(chain_id="another"),
             "chain: the bundle is of chain 'another', the genesis file's is 'proof-test'"),
            (lambda b: b.update(genesis_hash="00" * 32),
             "genesis: the bundle was made against genesis 0000"),
            (lambda b: b["validator_sets"].append(b["validator_sets"][0]),
             'validator set of epoch 1: the entry must name "epoch": 1'),
            (lambda b: b["validator_sets"][0].update(from_height=False), NOT_GENESIS_SET),
            (lambda b: b["validator_sets"][0]["validators"].pop(),
             "validator set: 3 validators, the genesis file has 4"),
            (lambda b: b["validator_sets"][0]["validators"].reverse(),
             "validator set: validator 0 is not the genesis file's"),
            (lambda b: b["validator_sets"][0]["validators"][1].update(index=1.0),
             "validator set: validator 1 is not the genesis file's"),
            (lambda b: b.update(proofs=[]), "proofs: the bundle holds no proof"),
            (lambda b: b["proofs"][0].pop("receipt"), first + "receipt must be present"),
            (lambda b: b["proofs"][0].update(index=-1),
             first + "index must be a non-negative integer"),
            (lambda b: b["proofs"][0].update(index=1 << 32), first + "index must be a 32-bit"),
            (lambda b: b["proofs"][0].update(index=True), first + "index must be a non-negat"),
            (lambda b: b["proofs"][0].update(transaction=b["proofs"][0]["transaction"].upper()),
             first + "transaction must be a lower-case hex string"),
            (lambda b: b["proofs"][0].update(receipt="0x" + b["proofs"][0]["receipt"]),
             first + "receipt must be a lower-case hex string"),
            (lambda b: votes(b)[0].update(validator="0"),
             first + "block.certificate.validator must be a non-negative integer"),
            (lambda b: b["proofs"][0].update(links={}), first + "links must be an array"),
            (lambda b: b.update(proofs=[b["proofs"][0], b["proofs"][0]]),
             "proofs: proof 2 (height"),
        ]
        for change, reason in cases:
            bundle = json.loads(json.dumps(good))
            change(bundle)
            with self.subTest(reason):
                self.assert_failed(self.verify(bundle, chain.genesis), reason)

    def test_unreadable(self):
        chain = payment_chain()
        good = chain.bundle("transaction", [chain.proof(5, 0, anchor=6)], {})
        no_format = {k: v for k, v in good.items() if k != "format"}
        for text, reason in (
                ("this is not JSON", "the file is not JSON"), ("[1, 2]", "the file is not JSON"),
                (b"\xff\xfe", "the file is not JSON"),
                ('{"format": "sharechain-proof-bundle", "version": NaN}', "not JSON"),
                (json.dumps(dict(good, format="something-else")), "not a ShareChain proof bundle"),
                (json.dumps(dict(good, format=7)), "not a ShareChain proof bundle"),
                (json.dumps(no_format), "not a ShareChain proof bundle"),
                (json.dumps(dict(good, version=2)), "bundle version is not 1"),
                (json.dumps(dict(good, version=True)), "bundle version is not 1")):
            with self.subTest(reason, text=text[:24]):
                r = proofs.verify_bundle(text, chain.genesis)
                self.assertEqual(r.outcome, "unreadable")
                self.assertIn(reason, r.reason)
        r = proofs.verify_bundle(json.dumps(good), b'{"chain_id": ""}')
        self.assertEqual((r.outcome, r.reason),
                         ("unreadable", "genesis: the genesis file has no chain_id"))

    def test_changing_any_value_of_hand_built_bundles(self):
        chain = vehicle_chain()
        ps = [chain.proof(5, 0, anchor=8), chain.proof(6, 0, anchor=7),
              chain.proof(6, 2, anchor=7)]
        proven = [proofs.verify_transaction_proof(p, chain.trust) for p in ps]
        facts = proofs.derive_facts("vehicle-report", {"vin": VIN}, proven)
        bundle = chain.bundle("vehicle-report", ps, facts, {"vin": VIN})
        self.assertEqual(self.verify(bundle, chain.genesis).outcome, "proven")
        self.assert_every_change_fails(bundle, chain.genesis)

    def assert_every_change_fails(self, bundle, genesis, minimum=50):
        """Every leaf value but format and version, changed: a hex digit of a string (or one
        added), +1 to an integer, a boolean negated. None may still prove, and each must be
        refused for the part it changed."""
        trust = proofs.trust_from_genesis(genesis)
        changed, wrong = [], []
        with quiet_stderr():
            for path, value in json_leaves(bundle):
                where = "/" + "/".join(str(k) for k in path)
                if where in ("/format", "/version"):
                    continue
                copy = json.loads(json.dumps(bundle))
                set_leaf(copy, path, changed_value(value))
                r = proofs.verify_bundle(json.dumps(copy, indent=2), trust)
                changed.append(where)
                problem = self.wrong_refusal(where, r, len(bundle["proofs"]),
                                             len(bundle.get("state_proofs", [])))
                if problem:
                    wrong.append(f"{where}: {problem}")
        self.assertGreater(len(changed), minimum)
        self.assertEqual(wrong, [], f"{len(wrong)} of {len(changed)} changes")

    @staticmethod
    def wrong_refusal(where, result, proof_count, state_proof_count=0):
        if result.outcome != "failed" or not result.reason:
            return f"{result.outcome} {result.reason}"
        for pattern, parts in EXPECTED_STATE_PART:
            m = re.match(pattern, where)
            if m:
                prefix = f"state proof {int(m.group(1)) + 1} of {state_proof_count}: "
                if not result.reason.startswith(prefix) or \
                        not any(p in result.reason[len(prefix):] for p in parts):
                    return f"expected {prefix!r}...{parts!r}, got {result.reason!r}"
                return None
        for pattern, part in EXPECTED_PART:
            m = re.match(pattern, where)
            if m:
                prefix = f"proof {int(m.group(1)) + 1} of {proof_count}: " if m.groups() and \
                    m.group(1).isdigit() else ""
                if not result.reason.startswith(prefix) or part not in result.reason:
                    return f"expected {prefix!r}...{part!r}, got {result.reason!r}"
                return None
        return f"no expectation for this path (refused: {result.reason!r})"

    # --- chains of validator sets -------------------------------------------------------------

    def check_epoch_cases(self, group):
        cases = [c for c in epoch_cases() if c[0] == group]
        self.assertTrue(cases)
        for _, name, genesis, bundle, reason in cases:
            with self.subTest(name):
                r = self.verify(bundle, genesis)
                if reason is None:
                    self.assertEqual(r.outcome, "proven", r.reason)
                    self.assertIsNone(proofs.first_difference(bundle["facts"], r.facts))
                else:
                    self.assertEqual((r.outcome, r.reason), ("failed", reason))
                    self.assertIsNone(r.facts)

    def test_bundles_across_switches_of_the_validator_set(self):
        self.check_epoch_cases("proven")
        chain, bundles = epoch_bundles()
        self.assertEqual([(start, len(keys)) for start, keys, _ in chain.sets],
                         [(0, 4), (6, 5), (8, 4)])
        self.assertEqual([len(bundles[k]["validator_sets"]) for k in
                          ("report", "epoch 1", "epoch 2", "across", "epoch 0")], [3, 2, 3, 2, 1])
        r = self.verify(bundles["report"], chain.genesis)
        self.assertEqual(r.outcome, "proven", r.reason)
        self.assertEqual([(p.height, p.anchor_height) for p in r.proven], [(5, 6), (7, 8), (9, 10)])
        record = r.facts["records"][0]
        self.assertEqual((record["submitted_height"], record["status"], record["decided_height"]),
                         (5, "ATTESTED", 9))
        self.assertEqual([(e["height"], e["organisation"]) for e in record["endorsements"]],
                         [(7, "Northwind Insurance"), (9, "City Garage")])
        # A GetProof answer of a later epoch needs the sets; the genesis set alone refuses it.
        p = chain.proof(7, 0, anchor=8)
        self.assertEqual(proofs.verify_transaction_proof(p, chain.trust,
                                                         chain.validator_sets()).height, 7)
        self.expect_proof_failure(p, chain.trust, "block (height 7): the header is certified by "
                                                  "the validator set of epoch 1, and the bundle "
                                                  "carries sets up to epoch 0 only")

    def test_the_genesis_entry_of_the_set_chain(self):
        self.check_epoch_cases("genesis entry")

    def test_each_later_set_entry_is_read_strictly(self):
        self.check_epoch_cases("later entry")

    def test_each_switch_block_certifies_the_next_set(self):
        self.check_epoch_cases("switch block")

    def test_headers_are_checked_against_their_epochs_set(self):
        self.check_epoch_cases("header")

    def test_changing_any_value_of_a_bundle_across_switches(self):
        chain, bundles = epoch_bundles()
        self.assert_every_change_fails(bundles["report"], chain.genesis)

    @unittest.skipUnless(os.path.exists(os.environ.get("SHARECHAIN_WALLET", "")),
                         "SHARECHAIN_WALLET does not name the built wallet")
    def test_bundles_across_switches_as_the_wallet_verifies_them(self):
        """Every case of epoch_cases through the C++ verifier: the same outcome and, word for
        word, the same reason; when proven the same facts."""
        with tempfile.TemporaryDirectory() as tmp:
            for _, name, genesis, bundle, reason in epoch_cases():
                with self.subTest(name):
                    outcome, theirs = wallet_verify(tmp, json.dumps(bundle, indent=2), genesis)
                    if reason is None:
                        self.assertEqual(outcome, "proven", theirs.get("error"))
                        self.assertEqual(json.dumps(theirs["facts"]), json.dumps(bundle["facts"]))
                    else:
                        self.assertEqual((outcome, theirs.get("error")), ("failed", reason))

    # --- state proofs -------------------------------------------------------------------------

    def check_state_cases(self, group):
        cases = [c for c in state_cases() if c[0] == group]
        self.assertTrue(cases)
        for _, name, genesis, bundle, reason in cases:
            with self.subTest(name):
                r = self.verify(bundle, genesis)
                if reason is None:
                    self.assertEqual(r.outcome, "proven", r.reason)
                    self.assertIsNone(proofs.first_difference(bundle["facts"], r.facts))
                else:
                    self.assertEqual((r.outcome, r.reason), ("failed", reason))
                    self.assertIsNone(r.facts)

    def test_state_tree_hashing(self):
        kh, vh = crypto.sha256(b"ledger/acct/x"), crypto.sha256(b"value")
        self.assertEqual(proofs.state_tree_leaf(kh, vh),
                         hashlib.sha256(b"\x02" + kh + vh).digest())
        self.assertEqual(proofs.state_tree_branch(kh, vh),
                         hashlib.sha256(b"\x03" + kh + vh).digest())
        tag = hashlib.sha256(b"sharechain/state-root").digest()
        self.assertEqual(proofs.combined_state_root(kh, vh),
                         hashlib.sha256(tag + tag + kh + vh).digest())
        # The shape: nothing is 32 zero bytes, one entry its leaf wherever it sits, two entries a
        # branch at the first bit their key hashes differ in, with empty halves above it.
        self.assertEqual(RefStateTree({}).root(), bytes(32))
        self.assertEqual(RefStateTree({b"k": b"v"}).root(),
                         proofs.state_tree_leaf(crypto.sha256(b"k"), crypto.sha256(b"v")))
        a = b"k0"
        ha = crypto.sha256(a)
        c = next(k for k in (f"k{i}".encode() for i in range(1, 100))
                 if ref_bit(crypto.sha256(k), 0) == ref_bit(ha, 0)
                 and ref_bit(crypto.sha256(k), 1) != ref_bit(ha, 1))
        hc = crypto.sha256(c)
        leaves = {ref_bit(h, 1): proofs.state_tree_leaf(h, crypto.sha256(b"")) for h in (ha, hc)}
        inner = proofs.state_tree_branch(leaves[0], leaves[1])
        expected = (proofs.state_tree_branch(inner, bytes(32)) if ref_bit(ha, 0) == 0
                    else proofs.state_tree_branch(bytes(32), inner))
        self.assertEqual(RefStateTree({a: b"", c: b""}).root(), expected)
        # Only the genesis field's one value names the tree.
        chain = state_chain()
        self.assertTrue(chain.trust.state_tree)
        self.assertFalse(proofs.trust_from_genesis(chain.genesis_without_tree()).state_tree)
        self.assertFalse(proofs.trust_from_genesis(
            chain.genesis_without_tree("sparse-merkle-blake3")).state_tree)
        self.assertFalse(MiniChain().trust.state_tree)

    def test_state_proofs_of_every_key(self):
        """Every entry of the states after 4 (empty), 5 and 7 and forty absent keys, each proven
        by verify_state_proof as the state holds it; the three ends of a path all occur."""
        chain = state_chain()
        ends = set()
        for height in (4, 5, 7):
            entries = chain.entries_at(height)
            for key in list(entries) + [f"absent/{i}".encode() for i in range(40)]:
                p = chain.state_proof(key, height)
                got = proofs.verify_state_proof(p, chain.trust)
                self.assertEqual((got.key, got.present, got.value, got.height, got.anchor_height),
                                 (key, key in entries, entries.get(key, b""), height, height + 1))
                end = "present" if p.present else "leaf" if p.other_key_hash else "empty"
                ends.add((height, end))
                if height == 4:
                    self.assertEqual(len(p.siblings), 0)
        self.assertEqual(ends, {(4, "empty")} | {(h, e) for h in (5, 7)
                                                 for e in ("present", "leaf", "empty")})
        # A GetStateProof answer needs a genesis naming the tree, whatever the proof.
        p = chain.state_proof(ACCOUNT_KEYS[2], 7)
        with self.assertRaises(proofs.ProofError) as ctx:
            proofs.verify_state_proof(
                p, proofs.trust_from_genesis(chain.genesis_without_tree()))
        self.assertEqual(str(ctx.exception), "the genesis file names no state tree, so its "
                                             "state roots cannot prove an entry")
        # The protobuf form can carry what the JSON form cannot: a value beside an absence.
        p = chain.state_proof(b"absent/0", 7)
        p.value = b"\x01"
        with self.assertRaises(proofs.ProofError) as ctx:
            proofs.verify_state_proof(p, chain.trust)
        self.assertEqual(str(ctx.exception),
                         "state (height 7): an absent key's proof carries a value")

    def test_state_bundles_proven(self):
        self.check_state_cases("proven")
        chain, b = state_bundles()
        r = self.verify(b["present"], chain.genesis)
        self.assertEqual((r.outcome, r.kind, r.proven), ("proven", "state", []))
        self.assertEqual(r.facts, {"key": ACCOUNT_KEYS[0].hex(), "present": True,
                                   "value": chain.entries_at(7)[ACCOUNT_KEYS[0]].hex(),
                                   "height": 7})
        self.assertEqual([(s.key, s.height, s.anchor_height) for s in r.proven_states],
                         [(ACCOUNT_KEYS[0], 7, 8)])
        r = self.verify(b["absent"], chain.genesis)
        self.assertEqual(r.facts, {"key": b"absent/0".hex(), "present": False, "height": 7})
        r = self.verify(b["empty value"], chain.genesis)
        self.assertEqual((r.facts["present"], r.facts["value"]), (True, ""))
        r = self.verify(b["report"], chain.genesis)
        self.assertEqual(r.facts["vehicle_state"], {"height": 7, "present": True, "records": 2,
                                                    "attested": 1, "rejected": 0})
        self.assertEqual([(x["record"], x["submitted_height"], x["status"])
                          for x in r.facts["records"]],
                         [(RECORD, 5, "ATTESTED"), (RECORD_2, 7, "PENDING")])
        r = self.verify(b["report at 6"], chain.genesis)
        self.assertEqual(r.facts["vehicle_state"], {"height": 6, "present": True, "records": 1,
                                                    "attested": 1, "rejected": 0})
        self.assertEqual(len(r.facts["records"]), 2)
        r = self.verify(b["absent vehicle"], chain.genesis)
        self.assertEqual(r.facts, {"vin": ABSENT_VIN, "records": [], "vehicle_state": {
            "height": 7, "present": False, "records": 0, "attested": 0, "rejected": 0}})
        r = self.verify(b["report without state"], chain.genesis)
        self.assertNotIn("vehicle_state", r.facts)

    def test_state_proof_json_is_read_strictly(self):
        self.check_state_cases("reading")

    def test_each_tampered_part_of_a_state_proof_is_named(self):
        self.check_state_cases("state proof")

    def test_state_proofs_in_a_bundle(self):
        self.check_state_cases("bundle")

    def test_what_each_kind_makes_of_state_proofs(self):
        self.check_state_cases("facts")

    def test_vehicle_counters_are_read_from_the_wire(self):
        """records, attested and rejected: fields 4-6 as varints at the top level, the last
        of a number counting; nothing inside a sub-message or a group; absent = 0."""
        state = proofs.ProvenState(VEHICLE_KEY, True, b"", 9, 10)

        def counters(value):
            state.value = value
            c = proofs.vehicle_state_facts(VIN, state)
            return c["records"], c["attested"], c["rejected"]
        self.assertEqual(counters(b""), (0, 0, 0))
        self.assertEqual(counters(vehicle_value(VIN, 3, 2, 1)), (3, 2, 1))
        self.assertEqual(counters(b"\x20\x01\x20\x05"), (5, 0, 0))
        self.assertEqual(counters(b"\x52\x02\x20\x07" + b"\x28\x02"), (0, 2, 0))   # 4 in field 10
        self.assertEqual(counters(b"\x0b\x20\x07\x0c\x30\x04"), (0, 0, 4))         # 4 in a group
        self.assertEqual(counters(b"\x20" + b"\xff" * 9 + b"\x01"), ((1 << 64) - 1, 0, 0))
        for bad in (b"\x08", b"\x20\x80", b"\x0a\x05ab", b"\x0c", b"\x00\x01"):
            with self.subTest(bad=bad.hex()), self.assertRaises(proofs.ProofError) as ctx:
                counters(bad)
            self.assertEqual(str(ctx.exception), "the vehicle's state does not decode")
        state.present = False
        self.assertEqual(counters(b""), (0, 0, 0))

    def test_changing_any_value_of_state_bundles(self):
        chain, b = state_bundles()
        self.assert_every_change_fails(b["report"], chain.genesis)
        self.assert_every_change_fails(b["present"], chain.genesis, 30)
        self.assert_every_change_fails(b["absent at a leaf"], chain.genesis, 30)

    def test_state_page_cases(self):
        """The cases write_state_bundles.py hands the explorer's page test: each file as the
        case says, refused with its reason word for word."""
        with tempfile.TemporaryDirectory() as tmp:
            cases = state_page_cases(tmp)
            self.assertEqual(len(cases), 8)
            self.assertEqual(sorted(set(c["outcome"] for c in cases)), ["failed", "proven"])
            for c in cases:
                with self.subTest(c["name"]):
                    with open(c["bundle"]) as f, open(c["genesis"], "rb") as g:
                        r = proofs.verify_bundle(f.read(), g.read())
                    self.assertEqual(r.outcome, c["outcome"], r.reason)
                    self.assertEqual([r.reason] if r.reason else [], c["reason"])

    @unittest.skipUnless(os.path.exists(os.environ.get("SHARECHAIN_WALLET", "")),
                         "SHARECHAIN_WALLET does not name the built wallet")
    def test_state_bundles_as_the_wallet_verifies_them(self):
        """Every case of state_cases through the C++ verifier: the same outcome and, word for
        word, the same reason; when proven the same facts."""
        with tempfile.TemporaryDirectory() as tmp:
            for _, name, genesis, bundle, reason in state_cases():
                with self.subTest(name):
                    outcome, theirs = wallet_verify(tmp, json.dumps(bundle, indent=2), genesis)
                    if reason is None:
                        self.assertEqual(outcome, "proven", theirs.get("error"))
                        self.assertIsNone(proofs.first_difference(theirs["facts"],
                                                                  bundle["facts"]))
                    else:
                        self.assertEqual((outcome, theirs.get("error")), ("failed", reason))

    # --- revenue statements -------------------------------------------------------------------

    def test_revenue_period_bounds(self):
        for period, start, end in PERIODS:
            with self.subTest(period):
                self.assertEqual(proofs.revenue_subject(ASSET, period),
                                 {"asset": ASSET, "period": period, "from_ms": start,
                                  "to_ms": end})
        # The days the table above holds: leap and common Februaries (2100 is not a leap year,
        # 2000 was), December ending where January begins, leap and common years.
        days = {period: (end - start) // DAY_MS for period, start, end in PERIODS}
        self.assertEqual([days[p] for p in ("2028-02", "2027-02", "2100-02", "2000-02", "2026-12",
                                            "2028", "2027")], [29, 28, 28, 29, 31, 366, 365])
        self.assertEqual(dict((p, s) for p, s, _ in PERIODS)["2027-01"],
                         dict((p, e) for p, _, e in PERIODS)["2026-12"])

    def test_revenue_subject_refusals(self):
        not_a_period = "is not YYYY-MM or YYYY"
        for asset, period, words in (
                (ASSET, "2026-13", "period 2026-13: no such month"),
                (ASSET, "2026-00", "period 2026-00: no such month"),
                (ASSET, "0000-00", "period 0000-00: no such month"),  # the month first, as C++
                (ASSET, "1969-12", "period 1969-12 is before 1970"),
                (ASSET, "1969", "period 1969 is before 1970"),
                (ASSET, "0000", "period 0000 is before 1970"),
                (ASSET, "2026-1", f"period '2026-1' {not_a_period}"),
                (ASSET, "26-12", not_a_period), (ASSET, "2026/12", not_a_period),
                (ASSET, "2026-12-01", not_a_period), (ASSET, "", not_a_period),
                (ASSET, " 2026", not_a_period), (ASSET, "2026-+1", not_a_period),
                (ASSET, "２０２６", not_a_period), (ASSET, "٢٠٢٦-١٢", not_a_period),
                (ASSET, 2026, not_a_period),
                ("", "2026", "the asset id must be lower-case hex"),
                (ASSET.upper(), "2026", "lower-case hex"), ("0x" + ASSET, "2026", "lower-case hex"),
                (ASSET[:-1], "2026", "lower-case hex"), ("g0", "2026", "lower-case hex")):
            with self.subTest(asset=asset, period=period):
                with self.assertRaises(proofs.ProofError) as ctx:
                    proofs.revenue_subject(asset, period)
                self.assertIn(words, str(ctx.exception))

    def test_revenue_statements(self):
        cases = revenue_cases()
        self.assertGreater(len(cases), 40)
        for name, genesis, bundle, facts, words, _ in cases:
            with self.subTest(name):
                r = self.verify(bundle, genesis)
                if facts is None:
                    self.assert_failed(r, words)
                    continue
                self.assertEqual(r.outcome, "proven", r.reason)
                self.assertEqual(r.kind, bundle["kind"])
                # In the very order of keys the wallet writes.
                self.assertEqual(json.dumps(r.facts), json.dumps(facts))

    def test_revenue_facts_derived_directly(self):
        chain = revenue_chain()
        proven = [proofs.verify_transaction_proof(chain.proof(*k), chain.trust)
                  for k in ((5, 0), (8, 0), (8, 1), (9, 0), (10, 0))]
        facts = proofs.derive_facts("revenue-statement", {"asset": ASSET, "period": "2028"},
                                    proven)
        self.assertEqual((facts["from_ms"], facts["to_ms"], facts["income"]),
                         (JAN_2028, JAN_2029, 232))
        self.assertEqual(proofs.subject_of("revenue-statement", facts),
                         {"asset": ASSET, "period": "2028", "from_ms": JAN_2028,
                          "to_ms": JAN_2029})
        self.assertEqual(proofs.subject_of("transaction", facts), {})
        for subject in (None, [], {"asset": ASSET}, {"asset": ASSET, "period": 2028},
                        {"asset": 7, "period": "2028"}):
            with self.subTest(subject=subject), self.assertRaisesRegex(
                    proofs.ProofError, 'subject: a revenue statement names its "asset"'):
                proofs.derive_facts("revenue-statement", subject, proven)

    def test_changing_any_value_of_a_hand_built_statement(self):
        _, genesis, bundle, facts, _, _ = next(
            case for case in revenue_cases() if case[0].startswith("February of a leap year"))
        self.assertIsNotNone(facts)
        self.assert_every_change_fails(bundle, genesis)

    @unittest.skipUnless(os.path.exists(os.environ.get("SHARECHAIN_WALLET", "")),
                         "SHARECHAIN_WALLET does not name the built wallet")
    def test_revenue_statements_as_the_wallet_verifies_them(self):
        """The same hand-built bundles through the C++ verifier: the same outcome, and when
        proven the same facts. The cases where the C++ code is known to read the document
        otherwise are left out (the module's docstring names them)."""
        with tempfile.TemporaryDirectory() as tmp:
            for name, genesis, bundle, facts, words, cxx_differs in revenue_cases():
                if cxx_differs:
                    continue
                with self.subTest(name):
                    outcome, theirs = wallet_verify(tmp, json.dumps(bundle, indent=2), genesis)
                    self.assertEqual(outcome, "failed" if facts is None else "proven",
                                     theirs.get("error"))
                    if facts is not None:
                        self.assertEqual(json.dumps(theirs["facts"]), json.dumps(facts))

    # --- the C++ wallet's own bundles ---------------------------------------------------------

    def fixture(self, name):
        path = os.path.join(FIXTURES, name)
        self.assertTrue(os.path.exists(path), f"{path} is missing: the bundles and genesis files "
                                              "there were written by the C++ wallet")
        with open(path, "rb") as f:
            return f.read()

    def test_fixture_bundles_are_proven_with_the_wallets_facts(self):
        for name, kind, genesis_name in FIXTURE_BUNDLES:
            with self.subTest(name):
                text = self.fixture(name).decode()
                r = proofs.verify_bundle(text, self.fixture(genesis_name))
                self.assertEqual(r.outcome, "proven", r.reason)
                self.assertEqual(r.kind, kind)
                bundle = json.loads(text)
                # The wallet wrote these facts and its own verifier recomputed them before it
                # wrote the file: they are the C++ facts. Equal value for value (a true is not
                # a 1), and even in the order of keys.
                self.assertIsNone(proofs.first_difference(bundle["facts"], r.facts))
                self.assertEqual(json.dumps(r.facts), json.dumps(bundle["facts"]))
                self.assertEqual(len(r.proven), len(bundle["proofs"]))
                for p in r.proven:
                    self.assertGreater(p.anchor_height, p.height)
        genesis = self.fixture("genesis.json")
        tx = proofs.verify_bundle(self.fixture("transaction.bundle"), genesis).facts
        self.assertEqual(tx["receipt"]["tx_hash"], tx["tx_hash"])
        self.assertEqual(tx["transaction"]["hash"], tx["tx_hash"])
        vehicle = proofs.verify_bundle(self.fixture("vehicle.bundle"), genesis)
        self.assertTrue(vehicle.facts["records"])
        for record in vehicle.facts["records"]:
            self.assertIn(record["submitted_tx"], [p.tx_hash for p in vehicle.proven])

    def test_revenue_fixture_adds_up(self):
        """What docs/proofs.md says a statement shows, checked on the live cluster's one."""
        r = proofs.verify_bundle(self.fixture("revenue.bundle"),
                                 self.fixture("genesis.json"))
        self.assertEqual(r.outcome, "proven", r.reason)
        f, bundle = r.facts, json.loads(self.fixture("revenue.bundle"))
        self.assertEqual(bundle["subject"], proofs.revenue_subject(f["asset"], f["period"]))
        self.assertEqual((f["period"], f["from_ms"], f["to_ms"]), ("2026-12", DEC_2026, JAN_2027))
        proven = {p.tx_hash: p for p in r.proven}
        agreements = {a["agreement"] for a in f["agreements"]}
        self.assertTrue(agreements)
        for a in f["agreements"]:
            self.assertEqual(proven[a["proposed_tx"]].height, a["proposed_height"])
        self.assertGreater(len(f["payments"]), 1)
        totals = {}
        for pay in f["payments"]:
            self.assertIn(pay["agreement"], agreements)
            self.assertEqual(proven[pay["tx"]].timestamp_ms, pay["timestamp_ms"])
            self.assertTrue(f["from_ms"] <= pay["timestamp_ms"] < f["to_ms"])
            # The split_sum invariant of the chain, as the statement shows it.
            self.assertEqual(sum(part["amount"] for part in pay["parts"]), pay["parts_sum"])
            self.assertEqual(pay["parts_sum"], pay["amount"])
            for part in pay["parts"]:
                totals[part["party"]] = totals.get(part["party"], 0) + part["amount"]
        self.assertEqual(f["income"], sum(pay["amount"] for pay in f["payments"]))
        self.assertEqual(f["by_party"], [{"party": k, "amount": totals[k]} for k in sorted(totals)])
        # Every proof is an agreement's proposal or a payment, each counted once.
        self.assertEqual(sorted(proven), sorted({a["proposed_tx"] for a in f["agreements"]} |
                                                {pay["tx"] for pay in f["payments"]}))

    def test_fixture_bundles_fail_on_any_changed_value(self):
        for name, _, genesis_name in FIXTURE_BUNDLES:
            with self.subTest(name):
                self.assert_every_change_fails(json.loads(self.fixture(name)),
                                               self.fixture(genesis_name))

    def test_fixture_bundles_against_another_genesis(self):
        genesis_names = ("genesis.json", "other-genesis.json")
        self.assertEqual(len({self.fixture(g) for g in genesis_names}), 2)
        for name, _, own in FIXTURE_BUNDLES:
            for other in genesis_names:
                if other == own:
                    continue
                with self.subTest(name, genesis=other):
                    r = proofs.verify_bundle(self.fixture(name), self.fixture(other))
                    self.assertEqual(r.outcome, "failed")
                    self.assertRegex(r.reason, r"^(chain|genesis): ")

    def test_fixture_bundles_unreadable(self):
        genesis = self.fixture("genesis.json")
        bundle = json.loads(self.fixture("transaction.bundle"))
        for text in ("{not json", genesis.decode(),
                     json.dumps(dict(bundle, format="sharechain-proof-bundle-v2"))):
            r = proofs.verify_bundle(text, genesis)
            self.assertEqual(r.outcome, "unreadable", r.reason)

    def test_revenue_fixture_changed_as_a_whole(self):
        genesis = self.fixture("genesis.json")
        for name, bundle, facts, words, _ in revenue_fixture_variants(
                json.loads(self.fixture("revenue.bundle"))):
            with self.subTest(name):
                r = self.verify(bundle, genesis)
                if facts is None:
                    self.assert_failed(r, words)
                else:
                    self.assertEqual(r.outcome, "proven", r.reason)
                    self.assertIsNone(proofs.first_difference(facts, r.facts))

    @unittest.skipUnless(os.path.exists(os.environ.get("SHARECHAIN_WALLET", "")),
                         "SHARECHAIN_WALLET does not name the built wallet")
    def test_fixture_bundles_as_the_wallet_verifies_them(self):
        wallet = os.environ["SHARECHAIN_WALLET"]
        for name, _, genesis_name in FIXTURE_BUNDLES:
            with self.subTest(name):
                out = subprocess.run([wallet, "verify-bundle", os.path.join(FIXTURES, name),
                                      "--genesis", os.path.join(FIXTURES, genesis_name),
                                      "--json"],
                                     capture_output=True, text=True)
                self.assertEqual(out.returncode, 0, out.stderr)
                theirs = json.loads(out.stdout)
                ours = proofs.verify_bundle(self.fixture(name), self.fixture(genesis_name))
                self.assertTrue(theirs["proven"])
                self.assertEqual(theirs["kind"], ours.kind)
                self.assertIsNone(proofs.first_difference(theirs["facts"], ours.facts))
                self.assertEqual(json.dumps(theirs["facts"]), json.dumps(ours.facts))
                self.assertEqual([(t["tx_hash"], t["height"], t["index"], t["certified_by"])
                                  for t in theirs["transactions"]],
                                 [(p.tx_hash, p.height, p.index, p.anchor_height)
                                  for p in ours.proven])

    @unittest.skipUnless(os.path.exists(os.environ.get("SHARECHAIN_WALLET", "")),
                         "SHARECHAIN_WALLET does not name the built wallet")
    def test_changed_revenue_fixture_as_the_wallet_verifies_it(self):
        """One changed value of each kind of leaf (the first of each path shape: every proof's
        height stands for all of them) and the changes as a whole, through both verifiers: the
        same outcome, and when proven the same facts."""
        bundle = json.loads(self.fixture("revenue.bundle"))
        genesis = self.fixture("genesis.json")
        variants = []
        shapes = set()
        for path, value in json_leaves(bundle):
            shape = tuple("#" if isinstance(k, int) else k for k in path)
            if shape not in shapes:
                shapes.add(shape)
                variants.append(("/" + "/".join(map(str, path)),
                                 changed(bundle, lambda b: set_leaf(b, path,
                                                                    changed_value(value)))))
        variants += [(name, b) for name, b, _, _, cxx_differs in revenue_fixture_variants(bundle)
                     if not cxx_differs]
        self.assertGreater(len(variants), 50)
        with tempfile.TemporaryDirectory() as tmp, quiet_stderr():
            for name, b in variants:
                with self.subTest(name):
                    text = json.dumps(b, indent=2)
                    ours = proofs.verify_bundle(text, genesis)
                    outcome, theirs = wallet_verify(tmp, text, genesis)
                    self.assertEqual(outcome, ours.outcome,
                                     f"C++: {theirs.get('error')}; here: {ours.reason}")
                    if ours.outcome == "proven":
                        self.assertEqual(json.dumps(theirs["facts"]), json.dumps(ours.facts))


@contextlib.contextmanager
def quiet_stderr():
    """The C++ protobuf library logs every string field with invalid UTF-8 it is asked to
    decode straight to file descriptor 2; a changed receipt byte makes such a field."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def json_leaves(value, path=()):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from json_leaves(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from json_leaves(v, path + (i,))
    else:
        yield path, value


def set_leaf(doc, path, value):
    for k in path[:-1]:
        doc = doc[k]
    doc[path[-1]] = value


def changed_value(value):
    """One hex digit of a string changed (kept lower-case, so hex bytes really differ), or a
    digit added to a string with none; +1 to an integer; a boolean negated."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        for i, ch in enumerate(value):
            if ch in "0123456789abcdef":
                return value[:i] + ("1" if ch == "0" else "0") + value[i + 1:]
            if ch in "ABCDEF":
                return value[:i] + ("B" if ch == "A" else "A") + value[i + 1:]
        return value + "0"
    raise AssertionError(f"a bundle holds no {type(value).__name__} values")

if __name__ == "__main__":
    unittest.main()
