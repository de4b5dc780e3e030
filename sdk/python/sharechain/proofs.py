"""Checking proof bundles and GetProof answers offline, trusting nothing but the genesis file.

An independent implementation of docs/proofs.md ("Checking a bundle without ShareChain's code"),
kept in step with the C++ verifier (proofs/verify.cpp, proofs/bundle.cpp): a bundle the wallet
wrote is proven here with the same facts, and one it refuses is refused here.

    trust = trust_from_genesis(open("genesis.json", "rb").read())
    result = verify_bundle(open("payment.bundle").read(), trust)   # or the genesis bytes
    if result.outcome == "proven":
        print(result.facts)
    else:
        print(result.outcome, result.reason)   # the first check that failed

`verify_transaction_proof(client.get_proof(tx_hash), trust)` checks one GetProof answer and
raises ProofError naming the part that failed; `verify_state_proof(client.get_state_proof(key),
trust)` checks one GetStateProof answer: a state entry's value, or its absence, on a chain whose
genesis names the sparse Merkle state tree (docs/proofs.md, "State proofs"). Bundles carry state
proofs in "state_proofs": a "state" bundle proves one entry, and a vehicle report with the
vehicle's entry proves its record count, so that a record left out of it is refused.

A bundle carries the chain of validator sets from genesis to the newest epoch its headers name;
each later set is trusted only once a quorum of the set before it certified it
(`read_validator_sets`), and each header is checked against the set of its own epoch.

Bytes must be lower-case hex, numbers integers (a fact of 5.0 is not the height 5), proofs in
chain order with each transaction once, and the subject the one the kind names. Object keys may
come in any order. Where the C++ verifier differs, the document is on this module's side: the
C++ code compares the `subject` key by key in the order it writes the keys, and numbers by value,
so a subject with its keys reordered fails there and one with from_ms written 1796083200000.0
passes.
"""

import calendar
import json
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

from google.protobuf import json_format
from google.protobuf.message import DecodeError

from . import api_pb2, types_pb2
from .crypto import (TX_TAG, VOTE_COMMIT, format_address, sha256, tagged_hash, validator_set_hash,
                     verify, vote_digest)

FORMAT = "sharechain-proof-bundle"
VERSION = 1
KIND_TRANSACTION = "transaction"
KIND_VEHICLE_REPORT = "vehicle-report"
KIND_REVENUE_STATEMENT = "revenue-statement"
KIND_STATE = "state"

# The genesis file's "state_tree" naming the sparse Merkle tree its state roots commit to.
STATE_TREE_SPARSE_MERKLE = "sparse-merkle-sha256"
STATE_ROOT_TAG = b"sharechain/state-root"
EMPTY_SUBTREE = bytes(32)
MAX_STATE_PATH = 256
VEHICLE_KEY_PREFIX = b"vehicles/vehicle/"

HISTORY_TAG = b"sharechain/history"
# The node refuses larger transactions, so no certified block holds one (proto/transaction.hpp).
MAX_TRANSACTION_BYTES = 64 * 1024
_U32 = (1 << 32) - 1
_U64 = (1 << 64) - 1


class ProofError(ValueError):
    """A check failed; the message names the part, the height and what is wrong."""


class GenesisError(ValueError):
    """The genesis file cannot be read as a genesis, so it cannot anchor any trust."""


# --- What a verifier trusts ---------------------------------------------------------------------

@dataclass(frozen=True)
class Trust:
    """The chain id, the genesis hash (SHA-256 of the file's exact bytes) and the genesis
    validators' 32-byte x-only keys in index order: the set of epoch 0, from which every later
    set must be certified (ValidatorSet). `state_tree` when the genesis names the sparse Merkle
    state tree ("state_tree": "sparse-merkle-sha256"), so that its state roots can prove one
    entry (verify_state_proof)."""
    chain_id: str
    genesis_hash: bytes
    validators: Tuple[bytes, ...]
    state_tree: bool = False


@dataclass(frozen=True)
class ValidatorSet:
    """The set of one epoch: its keys in index order certify the heights above from_height, up
    to the next set's from_height (the switch block, the last one it certifies)."""
    epoch: int
    from_height: int
    validators: Tuple[bytes, ...]


def genesis_sets(trust: Trust) -> List[ValidatorSet]:
    """The chain of sets when nothing but the genesis file is known: epoch 0 alone."""
    return [ValidatorSet(0, 0, trust.validators)]


def _key_from_genesis_hex(text: str) -> Optional[bytes]:
    # As the node reads its genesis (crypto::from_hex): an optional 0x, either case. A file the
    # chain started from must not be refused here.
    if text[:2] in ("0x", "0X"):
        text = text[2:]
    if len(text) != 64 or any(c not in "0123456789abcdefABCDEF" for c in text):
        return None
    return bytes.fromhex(text)


def trust_from_genesis(genesis_bytes: bytes) -> Trust:
    """The Trust a genesis file defines; GenesisError when a node would not start from it."""
    if isinstance(genesis_bytes, str):
        raise TypeError("give the genesis file's bytes: the genesis hash is of the exact bytes")
    genesis = types_pb2.Genesis()
    try:
        # The protobuf JSON mapping with unknown fields refused, as the node's parse_genesis.
        json_format.Parse(bytes(genesis_bytes).decode("utf-8"), genesis)
    except (UnicodeDecodeError, json_format.ParseError) as e:
        raise GenesisError(f"not a valid genesis file: {e}") from None
    if not genesis.chain_id:
        raise GenesisError("the genesis file has no chain_id")
    if not genesis.validators:
        raise GenesisError("the genesis file names no validators")
    keys = []
    for i, v in enumerate(genesis.validators):
        key = _key_from_genesis_hex(v.public_key)
        where = f"genesis validator {i} ({v.name})"
        if key is None:
            raise GenesisError(f"{where}: public_key must be 64 hex digits")
        if key in keys:
            raise GenesisError(f"{where}: duplicate public key")
        keys.append(key)
    return Trust(genesis.chain_id, sha256(bytes(genesis_bytes)), tuple(keys),
                 genesis.state_tree == STATE_TREE_SPARSE_MERKLE)


# --- What a proof establishes -------------------------------------------------------------------

@dataclass
class ProvenTransaction:
    height: int
    index: int
    tx_hash: str                # hex of SHA-256(body)
    block_hash: str             # hex of SHA-256(header)
    timestamp_ms: int           # the block's, as its proposer stamped it
    anchor_height: int          # the block whose certificate covers the receipt
    transaction: bytes          # the SignedTransaction exactly as the block carries it
    body: types_pb2.TransactionBody
    sender: bytes               # 20-byte address
    receipt: types_pb2.Receipt


@dataclass
class ProvenState:
    """One state entry, or its absence, in the state after block `height`."""
    key: bytes
    present: bool
    value: bytes                # b"" when absent
    height: int                 # the state height proven
    anchor_height: int          # the block whose header certifies that state


@dataclass
class BundleResult:
    outcome: str                # "proven", "failed" or "unreadable"
    reason: str = ""            # the first failed check, or why the file is not a bundle
    kind: str = ""
    facts: Optional[dict] = None  # when proven: recomputed from the proofs, never the file's
    proven: List[ProvenTransaction] = field(default_factory=list)  # empty unless proven
    proven_states: List[ProvenState] = field(default_factory=list)  # empty unless proven

    @property
    def ok(self) -> bool:
        return self.outcome == "proven"


# --- Hashing rules ------------------------------------------------------------------------------

def max_faulty(n: int) -> int:
    return (n - 1) // 3


def quorum_size(n: int) -> int:
    """3 of 4, 5 of 7: any two quorums share an honest validator."""
    return (n + max_faulty(n)) // 2 + 1


def merkle_root_from_path(leaf: bytes, index: int, count: int, path) -> Optional[bytes]:
    """The root a leaf hash reaches at `index` of `count` leaves with the sibling hashes in
    `path`; None when the path does not fit that position (too short, too long, index >= count).
    An odd last node is promoted unchanged, so it takes no path entry at that level."""
    if index >= count:
        return None
    node = sha256(b"\x00" + leaf)
    used = 0
    pos, width = index, count
    while width > 1:
        right_child = pos % 2 == 1
        if right_child or pos + 1 < width:
            if used == len(path):
                return None
            sibling = path[used]
            used += 1
            node = sha256(b"\x01" + (sibling + node if right_child else node + sibling))
        pos, width = pos // 2, (width + 1) // 2
    # Unused entries would be bytes the proof carries that nothing checked.
    return node if used == len(path) else None


def history_next(previous: bytes, height: int, receipts_root: bytes,
                 previous_state_root: bytes) -> bytes:
    """history(h) from history(h-1), receipts_root(h) and the state root after h-1."""
    data = previous + height.to_bytes(8, "big") + receipts_root + previous_state_root
    return tagged_hash(HISTORY_TAG, data)


def state_tree_leaf(key_hash: bytes, value_hash: bytes) -> bytes:
    """The state tree's leaf of an entry: SHA-256(0x02 || SHA-256(key) || SHA-256(value))."""
    return sha256(b"\x02" + bytes(key_hash) + bytes(value_hash))


def state_tree_branch(left: bytes, right: bytes) -> bytes:
    """An inner node of the state tree: SHA-256(0x03 || left || right); an empty subtree is
    EMPTY_SUBTREE (32 zero bytes)."""
    return sha256(b"\x03" + bytes(left) + bytes(right))


def combined_state_root(lthash_root: bytes, tree_root: bytes) -> bytes:
    """The state root of a chain with a state tree: tagged_hash("sharechain/state-root",
    lthash_root || tree_root)."""
    return tagged_hash(STATE_ROOT_TAG, bytes(lthash_root) + bytes(tree_root))


def _key_bit(key_hash: bytes, i: int) -> int:
    """Bit i of a key hash, most significant first: 0 goes left."""
    return (key_hash[i // 8] >> (7 - i % 8)) & 1


# --- One transaction proof ----------------------------------------------------------------------

def _fail(part: str, height: int, why: str) -> ProofError:
    return ProofError(f"{part} (height {height}): {why}")


def _wire_well_formed(raw: bytes) -> bool:
    """True when `raw` is a sequence of well-formed protobuf fields at its top level, as the C++
    parser demands. Python's parser takes a stray end-group tag as the end of the message and
    accepts the bytes; the C++ verifier and the explorer's page say they do not decode, and all
    verifiers must give the same reason."""
    groups = []
    i, n = 0, len(raw)

    def varint():
        nonlocal i
        value, shift = 0, 0
        while i < n and shift < 70:
            b = raw[i]
            i += 1
            value |= (b & 0x7F) << shift
            if not b & 0x80:
                return value
            shift += 7
        return None

    while i < n:
        tag = varint()
        if tag is None or tag >> 3 == 0:
            return False
        number, wire_type = tag >> 3, tag & 7
        if wire_type == 0:
            if varint() is None:
                return False
        elif wire_type == 1:
            i += 8
        elif wire_type == 2:
            length = varint()
            if length is None:
                return False
            i += length
        elif wire_type == 5:
            i += 4
        elif wire_type == 3:
            groups.append(number)
        elif wire_type == 4:
            if not groups or groups.pop() != number:
                return False
        else:
            return False
        if i > n:
            return False
    return not groups


def _decode(message_class, raw: bytes):
    if not _wire_well_formed(bytes(raw)):
        return None
    m = message_class()
    try:
        m.ParseFromString(raw)
    except (DecodeError, ValueError, RuntimeError):
        return None
    return m


def _hash32(raw: bytes) -> Optional[bytes]:
    return bytes(raw) if len(raw) == 32 else None


def _read_path(raw, part: str, height: int) -> List[bytes]:
    for i, h in enumerate(raw):
        if len(h) != 32:
            raise _fail(part, height, f"entry {i} is not 32 bytes")
    return [bytes(h) for h in raw]


def check_commit_certificate(trust: Trust, certificate, height: int, block_hash: bytes,
                             validators=None) -> None:
    """Raises ProofError unless a quorum of distinct validators of `validators` (the genesis
    set unless given) signed COMMIT for exactly this block. Every vote must be valid: one bad
    vote rejects the certificate, as a node rejects it."""
    keys = trust.validators if validators is None else validators
    n = len(keys)
    if certificate.height != height:
        raise ProofError(f"commit certificate is for height {certificate.height}, "
                         f"expected {height}")
    if bytes(certificate.block_hash) != block_hash:
        raise ProofError(f"commit certificate at height {height} is for a different block")
    digest = vote_digest(VOTE_COMMIT, trust.chain_id, certificate.view, height, block_hash)
    seen = set()
    for vote in certificate.votes:
        if vote.validator >= n:
            raise ProofError(f"commit certificate: vote from validator {vote.validator}, "
                             "which is not in the validator set")
        if vote.validator in seen:
            raise ProofError(f"commit certificate: validator {vote.validator} voted twice")
        if not verify(keys[vote.validator], digest, bytes(vote.signature)):
            raise ProofError(f"commit certificate: bad signature from validator {vote.validator}")
        seen.add(vote.validator)
    if len(seen) < quorum_size(n):
        raise ProofError(f"commit certificate: {len(seen)} votes, a quorum is {quorum_size(n)}")


def _check_certified(certified, part: str, height: int, trust: Trust,
                     sets: List[ValidatorSet]):
    """The header decoded, of this chain, at `height`, and committed by a quorum of the set of
    the epoch it names, which must be one of `sets` and in force at that height."""
    header = _decode(types_pb2.BlockHeader, certified.header)
    if header is None:
        raise _fail(part, height, "the header does not decode")
    if header.chain_id != trust.chain_id:
        raise _fail(part, height, f"the header is of chain '{header.chain_id}', "
                                  f"the genesis file's is '{trust.chain_id}'")
    if header.height != height:
        raise _fail(part, height, f"the header says height {header.height}")
    epoch = header.epoch
    if epoch >= len(sets):
        raise _fail(part, height, f"the header is certified by the validator set of epoch "
                                  f"{epoch}, and the bundle carries sets up to epoch "
                                  f"{len(sets) - 1} only")
    # A set certifies only its own epoch's heights: a set that has left could otherwise sign
    # headers of heights its successors certify.
    in_force = sets[epoch]
    if height <= in_force.from_height:
        raise _fail(part, height, f"the header is of epoch {epoch}, whose set certifies the "
                                  f"heights above {in_force.from_height}")
    if epoch + 1 < len(sets) and height > sets[epoch + 1].from_height:
        raise _fail(part, height, f"the header is of epoch {epoch}, which ended at height "
                                  f"{sets[epoch + 1].from_height}")
    named = bytes(header.validator_set_hash)
    # Only epoch 0 may lack it: blocks certified before the field existed have none.
    if not named and epoch > 0:
        raise _fail(part, height, f"the header of epoch {epoch} names no validator set")
    if named and named != validator_set_hash(in_force.validators):
        whose = "the genesis file's" if epoch == 0 else f"the bundle's set of epoch {epoch}"
        raise _fail(part, height, f"the header names validator set {named.hex()}, not {whose}")
    try:
        check_commit_certificate(trust, certified.certificate, height, sha256(certified.header),
                                 in_force.validators)
    except ProofError as e:
        raise _fail(part + " certificate", height, str(e)) from None
    return header


def _check_signed_transaction(raw: bytes, chain_id: str, height: int):
    """(body, sender, tx hash) of a transaction its sender's key signed for this chain. The
    certificate covers these bytes already; the sender's own signature is what proves the
    sender asked for this, rather than the validators' word."""
    def fail(why):
        return _fail("transaction", height, why)
    if len(raw) > MAX_TRANSACTION_BYTES:
        raise fail(f"transaction is {len(raw)} bytes; the limit is {MAX_TRANSACTION_BYTES}")
    signed = _decode(types_pb2.SignedTransaction, raw)
    if signed is None:
        raise fail("does not decode")
    if len(signed.public_key) != 32:
        raise fail("public_key must be a 32-byte x-only secp256k1 key, "
                   f"got {len(signed.public_key)} bytes")
    if len(signed.signature) != 64:
        raise fail(f"signature must be 64 bytes (BIP340), got {len(signed.signature)} bytes")
    body = _decode(types_pb2.TransactionBody, signed.body)
    if body is None:
        raise fail("transaction body is not a valid TransactionBody message")
    if body.chain_id != chain_id:
        raise fail(f"transaction is for chain '{body.chain_id}', "
                   f"the genesis file's is '{chain_id}'")
    sender = sha256(signed.public_key)[:20]
    if body.sender != sender:
        raise fail(f"sender {_address_text(body.sender)} is not the address of the signing key "
                   f"({format_address(sender)})")
    if body.WhichOneof("call") is None:
        raise fail("transaction names no contract call")
    if not verify(signed.public_key, tagged_hash(TX_TAG, signed.body), signed.signature):
        raise fail("signature does not verify for the given public key and body")
    return body, sender, sha256(signed.body)


def _history_through_links(start: bytes, height: int, links) -> Tuple[bytes, int]:
    """The history value after the last link, and the height it reaches."""
    value, at = start, height
    for link in links:
        if link.height != at + 1:
            raise _fail("history link", link.height, f"expected height {at + 1}")
        root, below = _hash32(link.receipts_root), _hash32(link.previous_state_root)
        if root is None or below is None:
            raise _fail("history link", link.height,
                        "receipts_root and previous_state_root must be 32 bytes")
        value = history_next(value, link.height, root, below)
        at = link.height
    return value, at


def _check_transaction_in_block(proof, header) -> None:
    h = proof.height
    signed_root = _hash32(header.signed_tx_root)
    if signed_root is None:
        raise _fail("block", h, "the header has no signed_tx_root (certified before it existed)")
    path = _read_path(proof.transaction_path, "transaction path", h)
    root = merkle_root_from_path(sha256(proof.transaction), proof.index,
                                 proof.transaction_count, path)
    if root is None:
        raise _fail("transaction path", h, f"does not fit position {proof.index} of "
                                           f"{proof.transaction_count} transactions")
    if root != signed_root:
        raise _fail("transaction path", h,
                    "the transaction does not hash to the block's signed_tx_root")


def _check_receipt(proof, tx_hash: bytes):
    """The receipt and receipts_root(height) its path reaches. Whether that root is the chain's
    only the history shows."""
    h = proof.height
    # Equal counts matter: under another count the same path can fit the same position.
    if proof.receipt_count != proof.transaction_count:
        raise _fail("receipt path", h, f"{proof.receipt_count} receipts for "
                                       f"{proof.transaction_count} transactions")
    path = _read_path(proof.receipt_path, "receipt path", h)
    root = merkle_root_from_path(sha256(proof.receipt), proof.index, proof.receipt_count, path)
    if root is None:
        raise _fail("receipt path", h, "does not fit the receipt's position")
    receipt = _decode(types_pb2.Receipt, proof.receipt)
    if receipt is None:
        raise _fail("receipt", h, "does not decode")
    if bytes(receipt.tx_hash) != tx_hash or receipt.height != h or receipt.index != proof.index:
        raise _fail("receipt", h, "names another transaction or position")
    return receipt, root


def _check_anchor(proof, trust: Trust, sets: List[ValidatorSet], history: bytes,
                  reached: int) -> int:
    """The anchor's height, once its certified header says history(reached) is `history`."""
    header = _decode(types_pb2.BlockHeader, proof.anchor.header)
    if header is None:
        raise _fail("anchor", proof.height, "the header does not decode")
    height = header.height
    if height <= proof.height:
        raise _fail("anchor", height, "is not above the transaction's block")
    header = _check_certified(proof.anchor, "anchor", height, trust, sets)
    if header.state_height != reached:
        raise _fail("anchor", height, f"certifies history at height {header.state_height}, "
                                      f"the links reach height {reached}")
    certified = _hash32(header.history_root)
    if certified is None:
        raise _fail("anchor", height, "the header has no history_root")
    if certified != history:
        raise _fail("history", proof.height, f"the receipt and links hash to {history.hex()}, "
                                             f"the anchor certifies {certified.hex()}")
    return height


def verify_transaction_proof(proof, trust: Trust,
                             sets: Optional[List[ValidatorSet]] = None) -> ProvenTransaction:
    """Checks an api_pb2.TransactionProof (a GetProof answer) against `trust` and the chain of
    validator sets (read_validator_sets; the genesis set alone when not given); returns what it
    proves, or raises ProofError naming the first check that failed: "block certificate (height
    58): commit certificate: bad signature from validator 2", "transaction path (height 58):
    ...", "receipt", "history", "history link", "anchor", "anchor certificate"."""
    sets = genesis_sets(trust) if sets is None else sets
    h = proof.height
    if h == 0:
        raise _fail("proof", h, "height 0 is genesis and holds no transactions")
    # The block: a quorum of the validators in force committed exactly this header...
    header = _check_certified(proof.block, "block", h, trust, sets)
    # ...whose signed_tx_root the transaction's exact bytes hash up to, signed by its sender.
    _check_transaction_in_block(proof, header)
    body, sender, tx_hash = _check_signed_transaction(bytes(proof.transaction), trust.chain_id, h)
    receipt, receipts_root = _check_receipt(proof, tx_hash)
    # The history chain from h up to the anchor's state_height. What lies below h is taken from
    # the proof unchecked: it is bound by hashing into the certified history_root.
    previous_history = _hash32(proof.previous_history)
    previous_root = _hash32(proof.previous_state_root)
    if previous_history is None or previous_root is None:
        raise _fail("history", h, "previous_history and previous_state_root must be 32 bytes")
    start = history_next(previous_history, h, receipts_root, previous_root)
    history, reached = _history_through_links(start, h, proof.links)
    anchor_height = _check_anchor(proof, trust, sets, history, reached)
    return ProvenTransaction(height=h, index=proof.index, tx_hash=tx_hash.hex(),
                             block_hash=sha256(proof.block.header).hex(),
                             timestamp_ms=header.timestamp_ms, anchor_height=anchor_height,
                             transaction=bytes(proof.transaction), body=body, sender=sender,
                             receipt=receipt)


# --- One state proof ----------------------------------------------------------------------------

_NO_STATE_TREE = ("the genesis file names no state tree, so its state roots cannot prove an "
                  "entry")


def _check_state_anchor(proof, trust: Trust, sets: List[ValidatorSet]) -> Tuple[int, bytes]:
    """(A, state_root) of the anchor: a certified block at the height A its header names,
    certifying the state after the proof's height."""
    h = proof.height
    header = _decode(types_pb2.BlockHeader, proof.anchor.header)
    if header is None:
        raise _fail("anchor", h, "the header does not decode")
    a = header.height
    header = _check_certified(proof.anchor, "anchor", a, trust, sets)
    if header.state_height != h:
        raise _fail("anchor", a, f"certifies the state at height {header.state_height}, "
                                 f"the proof is of height {h}")
    state_root = _hash32(header.state_root)
    if state_root is None:
        raise _fail("anchor", a, "the header has no state_root")
    return a, state_root


def _state_path_end(proof, key_hash: bytes, depth: int) -> bytes:
    """The node at the end of the key's path (docs/proofs.md, S3): its leaf when present,
    another entry's leaf alone in the subtree, or an empty subtree."""
    h = proof.height
    other_key, other_value = bytes(proof.other_key_hash), bytes(proof.other_value_hash)
    if proof.present:
        if other_key or other_value:
            raise _fail("state", h, "a present key's proof names another leaf")
        return state_tree_leaf(key_hash, sha256(proof.value))
    if proof.value:
        raise _fail("state", h, "an absent key's proof carries a value")
    if not other_key and not other_value:
        return EMPTY_SUBTREE
    if len(other_key) != 32 or len(other_value) != 32:
        raise _fail("state", h, "other_key_hash and other_value_hash must be 32 bytes")
    if other_key == key_hash:
        raise _fail("state", h, "the other leaf is the key's own")
    if any(_key_bit(other_key, i) != _key_bit(key_hash, i) for i in range(depth)):
        raise _fail("state", h, "the other leaf does not lie on the key's path")
    return state_tree_leaf(other_key, other_value)


def verify_state_proof(proof, trust: Trust,
                       sets: Optional[List[ValidatorSet]] = None) -> ProvenState:
    """Checks an api_pb2.StateProof (a GetStateProof answer, or state_proof_from_json of a
    bundle's) against `trust`, whose genesis must name the state tree, and the chain of
    validator sets (the genesis set alone when not given): the key's value, or its absence, in
    the state after `height`, which the anchor's certified header commits to (docs/proofs.md,
    "State proofs"). ProofError names the first check that failed: "anchor (height 12): ...",
    "anchor certificate", "state path", "state"."""
    if not trust.state_tree:
        raise ProofError(_NO_STATE_TREE)
    sets = genesis_sets(trust) if sets is None else sets
    h = proof.height
    # S1: a quorum of the set in force certified a header naming the state after h.
    anchor_height, certified = _check_state_anchor(proof, trust, sets)
    # S2: the path's shape.
    depth = len(proof.siblings)
    if depth > MAX_STATE_PATH:
        raise _fail("state path", h, f"has {depth} entries, more than {MAX_STATE_PATH}")
    for i, s in enumerate(proof.siblings):
        if len(s) not in (0, 32):
            raise _fail("state path", h, f"entry {i} is neither empty nor 32 bytes")
    lthash_root = _hash32(proof.lthash_root)
    if lthash_root is None:
        raise _fail("state", h, "lthash_root must be 32 bytes")
    # S3, S4: from the end of the path up to the root.
    key_hash = sha256(proof.key)
    node = _state_path_end(proof, key_hash, depth)
    for i in range(depth - 1, -1, -1):
        sibling = bytes(proof.siblings[i]) or EMPTY_SUBTREE
        node = (state_tree_branch(sibling, node) if _key_bit(key_hash, i)
                else state_tree_branch(node, sibling))
    # S5: beside the LtHash root, the tree root is the certified state root.
    computed = combined_state_root(lthash_root, node)
    if computed != certified:
        raise _fail("state", h, f"the path hashes to state root {computed.hex()}, "
                                f"the anchor certifies {certified.hex()}")
    return ProvenState(key=bytes(proof.key), present=proof.present,
                       value=bytes(proof.value) if proof.present else b"", height=h,
                       anchor_height=anchor_height)


# --- Facts, rendered as the wallet renders them (reports/render.cpp) ----------------------------

def _address_text(raw: bytes) -> str:
    return format_address(bytes(raw))


def render_bytes(raw: bytes) -> str:
    """A 20-byte value is an address (its checksummed text); any other is plain hex."""
    return _address_text(raw) if len(raw) == 20 else bytes(raw).hex()


def _enum_name(enum_type, number: int) -> str:
    v = enum_type.values_by_number.get(number)
    # A value this build does not know: the name the C++ protobuf library makes up for it.
    return v.name if v is not None else f"UNKNOWN_ENUM_VALUE_{enum_type.name}_{number}"


def _scalar_json(f, value):
    if f.type == f.TYPE_MESSAGE:
        return proto_to_json(value)
    if f.type == f.TYPE_ENUM:
        return _enum_name(f.enum_type, value)
    if f.type == f.TYPE_BYTES:
        return render_bytes(value)
    return value


def _is_map(f) -> bool:
    return (f.label == f.LABEL_REPEATED and f.message_type is not None
            and f.message_type.GetOptions().map_entry)


def _map_key_text(key) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    return key if isinstance(key, str) else str(key)


def proto_to_json(message) -> dict:
    """Every singular scalar (defaults too, for a stable shape), set sub-messages and oneof
    members only, repeated fields as arrays, maps as objects, enums by name, bytes as
    render_bytes: reports::proto_to_json."""
    out = {}
    for f in message.DESCRIPTOR.fields:
        value = getattr(message, f.name)
        if _is_map(f):
            value_field = f.message_type.fields_by_name["value"]
            out[f.name] = {_map_key_text(k): _scalar_json(value_field, v)
                           for k, v in value.items()}
        elif f.label == f.LABEL_REPEATED:
            out[f.name] = [_scalar_json(f, v) for v in value]
        elif f.has_presence:
            if message.HasField(f.name):
                out[f.name] = _scalar_json(f, value)
        else:
            out[f.name] = _scalar_json(f, value)
    return out


def _is_synthetic_oneof(oneof) -> bool:
    # proto3 `optional` wraps its field in a oneof named "_" + the field: that is no action.
    return len(oneof.fields) == 1 and oneof.name == "_" + oneof.fields[0].name


def call_json(body) -> dict:
    """{"contract": "ledger", "action": "transfer", "args": {...}}; "action" is empty (and
    "args" the whole call) when the call has no action set."""
    contract = body.WhichOneof("call")
    if contract is None:
        return {"contract": "", "action": "", "args": {}}
    call = getattr(body, contract)
    for oneof in call.DESCRIPTOR.oneofs:
        action = None if _is_synthetic_oneof(oneof) else call.WhichOneof(oneof.name)
        if action is not None:
            f = call.DESCRIPTOR.fields_by_name[action]
            return {"contract": contract, "action": action,
                    "args": _scalar_json(f, getattr(call, action))}
    return {"contract": contract, "action": "", "args": proto_to_json(call)}


def receipt_status_name(status: int) -> str:
    """RECEIPT_INSUFFICIENT_FUNDS -> "insufficient_funds"; an unknown status by its number."""
    v = types_pb2.ReceiptStatus.DESCRIPTOR.values_by_number.get(status)
    if v is None:
        return str(status)
    return v.name[len("RECEIPT_"):].lower() if v.name.startswith("RECEIPT_") else v.name.lower()


def event_json(event) -> dict:
    attributes = {}
    for a in event.attributes:
        attributes[a.key] = a.value   # a repeated key: the last value, at the first place
    return {"contract": event.contract, "name": event.name, "attributes": attributes}


def receipt_json(receipt) -> dict:
    return {
        "tx_hash": bytes(receipt.tx_hash).hex(),
        "status": receipt_status_name(receipt.status),
        "ok": receipt.status == types_pb2.RECEIPT_OK,
        "error": receipt.error,
        "height": receipt.height,
        "index": receipt.index,
        "events": [event_json(e) for e in receipt.events],
        "created": [{"kind": c.kind, "id": c.id_text} for c in receipt.created],
        "state_reads": receipt.state_reads,
        "state_writes": receipt.state_writes,
    }


def signed_transaction_json(signed_tx_bytes: bytes) -> dict:
    """hash, sender, nonce, chain_id, expires_at_height and call, as `sharechain tx --json`."""
    signed = _decode(types_pb2.SignedTransaction, signed_tx_bytes)
    if signed is None:
        return {"hash": "", "error": "not a valid SignedTransaction"}
    out = {"hash": sha256(signed.body).hex()}
    body = _decode(types_pb2.TransactionBody, signed.body)
    if body is None:
        out["error"] = "body is not a valid TransactionBody"
        return out
    out.update({"sender": _address_text(body.sender), "nonce": body.nonce,
                "chain_id": body.chain_id, "expires_at_height": body.expires_at_height,
                "call": call_json(body)})
    return out


def transaction_facts(p: ProvenTransaction) -> dict:
    return {"tx_hash": p.tx_hash, "height": p.height, "index": p.index,
            "block_hash": p.block_hash, "timestamp_ms": p.timestamp_ms,
            "transaction": signed_transaction_json(p.transaction),
            "receipt": receipt_json(p.receipt)}


def _attribute(event, key: str) -> str:
    for a in event.attributes:
        if a.key == key:
            return a.value
    return ""


def _attribute_number(event, key: str) -> int:
    # The first attribute of that key typed as a number; a text one of the same key is skipped.
    for a in event.attributes:
        if a.key == key and a.WhichOneof("typed") == "number":
            return a.number
    return 0


def _apply_vehicle_event(r: dict, e, record_id: str, p: ProvenTransaction) -> None:
    """One contract event's part of a record's facts (proofs/bundle.cpp vehicle_facts)."""
    if e.name in ("RecordSubmitted", "OwnershipTransferOffered"):
        r.update({"record": record_id, "kind": _attribute(e, "kind"),
                  "submitter": _address_text(p.sender),
                  "organisation": _attribute(e, "organisation"),
                  "occurred_at_ms": _attribute_number(e, "occurred_at_ms"),
                  "odometer_km": _attribute_number(e, "odometer_km"),
                  "evidence": _attribute(e, "evidence"),
                  "submitted_height": p.height, "submitted_tx": p.tx_hash,
                  "threshold": _attribute_number(e, "threshold")})
        r.setdefault("endorsements", [])
        # A decision listed before the submission (same block) stands.
        r.setdefault("status", _attribute(e, "status"))
    elif e.name == "RecordEndorsed":
        r.setdefault("endorsements", []).append({
            "attester": _attribute(e, "attester"), "organisation": _attribute(e, "organisation"),
            "verdict": _attribute(e, "verdict"), "height": p.height, "tx": p.tx_hash})
    elif e.name in ("RecordAttested", "RecordRejected"):
        attested = e.name == "RecordAttested"
        r.update({"status": "ATTESTED" if attested else "REJECTED",
                  "true": _attribute_number(e, "true"), "false": _attribute_number(e, "false"),
                  "threshold_met": attested, "decided_height": p.height,
                  "decided_tx": p.tx_hash})
    elif e.name == "OwnershipTransferAccepted":
        r["accepted_height"] = p.height


def _varint_fields(raw: bytes) -> Optional[dict]:
    """The top-level varint fields of a protobuf message (field number -> value, the last one
    of a number counting, truncated to 64 bits as protobuf reads them); None when `raw` is not
    well-formed wire format. Other fields, and anything inside groups, are skipped."""
    raw = bytes(raw)
    if not _wire_well_formed(raw):
        return None
    out, depth, i, n = {}, 0, 0, len(raw)

    def varint():
        nonlocal i
        value, shift = 0, 0
        while True:
            b = raw[i]
            i += 1
            value |= (b & 0x7F) << shift
            if not b & 0x80:
                return value
            shift += 7

    while i < n:
        tag = varint()
        number, wire_type = tag >> 3, tag & 7
        if wire_type == 0:
            value = varint() & _U64
            if depth == 0:
                out[number] = value
        elif wire_type == 1:
            i += 8
        elif wire_type == 2:
            length = varint()
            i += length
        elif wire_type == 5:
            i += 4
        elif wire_type == 3:
            depth += 1
        else:
            depth -= 1
    return out


def vehicle_state_facts(vin: str, state: ProvenState) -> dict:
    """The vehicle's counters (vehicles.Vehicle fields 4, 5 and 6) in the proven state, all 0
    when the state holds no such vehicle: {"height", "present", "records", "attested",
    "rejected"}."""
    key = VEHICLE_KEY_PREFIX + vin.encode("utf-8")
    if state.key != key:
        raise ProofError(f"the state proof is of key {state.key.hex()}, not of vehicle {vin}")
    fields = _varint_fields(state.value) if state.present else {}
    if fields is None:
        raise ProofError("the vehicle's state does not decode")
    return {"height": state.height, "present": state.present, "records": fields.get(4, 0),
            "attested": fields.get(5, 0), "rejected": fields.get(6, 0)}


def vehicle_facts(subject, proven: List[ProvenTransaction],
                  states: List[ProvenState] = ()) -> dict:
    """A vehicle's records from the contract's own events in the certified receipts: each
    submission, every endorsement and the decision. Every proven transaction must concern the
    vehicle, and every record that appears must have its submission proven. With a proof of the
    vehicle's state (one at most) the facts gain its "vehicle_state", and the records submitted
    at or below its height must be exactly as many as the chain counts then: a record left out
    is refused."""
    if not isinstance(subject, dict) or not isinstance(subject.get("vin"), str):
        raise ProofError('subject: a vehicle report names its "vin"')
    vin = subject["vin"]
    records = {}   # by record id, in the order they first appear
    for p in proven:
        about_vehicle = False
        for e in p.receipt.events:
            if e.contract != "vehicles" or _attribute(e, "vin") != vin:
                continue
            about_vehicle = True
            record_id = _attribute(e, "record")
            if record_id:
                _apply_vehicle_event(records.setdefault(record_id, {}), e, record_id, p)
        if not about_vehicle:
            raise ProofError(f"transaction {p.tx_hash} at height {p.height} "
                             f"is not about vehicle {vin}")
    for record_id, r in records.items():
        if "submitted_tx" not in r:
            raise ProofError(f"record {record_id}: the bundle proves endorsements of it "
                             "but not its submission")
    facts = {"vin": vin, "records": list(records.values())}
    if not states:
        return facts
    if len(states) > 1:
        raise ProofError("a vehicle report carries at most one state proof")
    counted = vehicle_state_facts(vin, states[0])
    height, n = counted["height"], counted["records"]
    m = sum(1 for r in facts["records"] if r["submitted_height"] <= height)
    if m != n:
        raise ProofError(f"the chain holds {n} records of vehicle {vin} at height {height}, "
                         f"the bundle proves {m} of them")
    facts["vehicle_state"] = counted
    return facts


def state_facts(subject, proven: List[ProvenTransaction], states: List[ProvenState]) -> dict:
    """One state entry: {"key", "present", "value" (when present), "height"}, of the key the
    subject names."""
    if proven or len(states) != 1:
        raise ProofError("a state bundle proves one state entry and no transaction")
    if not isinstance(subject, dict) or not isinstance(subject.get("key"), str):
        raise ProofError('subject: a state bundle names its "key"')
    state = states[0]
    if state.key.hex() != subject["key"]:
        raise ProofError(f"the state proof is of key {state.key.hex()}, "
                         f"the subject names {subject['key']}")
    facts = {"key": state.key.hex(), "present": state.present}
    if state.present:
        facts["value"] = state.value.hex()
    facts["height"] = state.height
    return facts


# --- Revenue statements -------------------------------------------------------------------------

_DAY_MS = 86_400_000
_LOWER_HEX = "0123456789abcdef"


def _ascii_digits(text: str) -> bool:
    # str.isdigit would take "٢٠٢٦" or "２０２６"; the C++ reads ASCII digits only.
    return bool(text) and all(c in "0123456789" for c in text)


def _parse_period(period) -> Tuple[int, Optional[int]]:
    """(year, month) of "YYYY-MM", (year, None) of "YYYY"; ProofError otherwise."""
    if (isinstance(period, str) and len(period) == 7 and period[4] == "-"
            and _ascii_digits(period[:4]) and _ascii_digits(period[5:])):
        month = int(period[5:])
        if not 1 <= month <= 12:
            raise ProofError(f"period {period}: no such month")
        return int(period[:4]), month
    if isinstance(period, str) and len(period) == 4 and _ascii_digits(period):
        return int(period), None
    raise ProofError(f"period '{period}' is not YYYY-MM or YYYY")


def _days_in(year: int, month: Optional[int]) -> int:
    if month is None:
        return 366 if calendar.isleap(year) else 365
    return calendar.monthrange(year, month)[1]


def revenue_subject(asset_hex: str, period: str) -> dict:
    """The subject of a revenue statement: {"asset", "period", "from_ms", "to_ms"}, the bounds of
    the UTC calendar month ("2026-12") or year ("2026"); a block counts when from_ms <= its
    timestamp < to_ms. ProofError names what is wrong."""
    if (not isinstance(asset_hex, str) or not asset_hex or len(asset_hex) % 2
            or any(c not in _LOWER_HEX for c in asset_hex)):
        raise ProofError("the asset id must be lower-case hex")
    year, month = _parse_period(period)
    if year < 1970:
        raise ProofError(f"period {period} is before 1970")
    from_ms = calendar.timegm((year, month or 1, 1, 0, 0, 0)) * 1000
    # The end as the start plus the period's days: the first of year 10000 is no datetime.
    return {"asset": asset_hex, "period": period, "from_ms": from_ms,
            "to_ms": from_ms + _days_in(year, month) * _DAY_MS}


class _RevenueStatement:
    """A revenue statement's facts accumulated over the proven transactions in chain order, as
    proofs/bundle.cpp revenue_facts computes them."""

    def __init__(self, bounds: dict):
        self.asset, self.period = bounds["asset"], bounds["period"]
        self.from_ms, self.to_ms = bounds["from_ms"], bounds["to_ms"]
        self.agreements = {}   # by agreement id, in the order first proposed
        self.payments = []
        self.income = 0
        self.by_party = {}

    def add(self, p: ProvenTransaction) -> None:
        """One transaction's events; ProofError unless it proposes an agreement of the asset or
        splits income of one in the period."""
        where = f"transaction {p.tx_hash} at height {p.height}"
        contributes = False
        payment = None   # the income split the RevenueDistributed events that follow belong to
        for e in p.receipt.events:
            if self._is_proposal(e):
                self.agreements.setdefault(_attribute(e, "agreement"), self._agreement(e, p))
                contributes = True
            elif self._is_split_in_period(e, p):
                payment = self._payment(e, p, where)
                contributes = True
            elif e.contract == "revenue" and e.name == "RevenueDistributed":
                # A part of another source is not this payment's, yet does not end it: in the
                # C++ only another revenue event does, and the facts must be the same.
                if payment is not None and _attribute(e, "source") == payment["agreement"]:
                    self._add_part(payment, e, where)
            elif e.contract == "revenue":
                payment = None   # a split of something else: the parts after it are not ours
        if not contributes:
            raise ProofError(f"{where} is neither a usage agreement of asset {self.asset} "
                             f"nor its income in {self.period}")

    def _is_proposal(self, e) -> bool:
        return (e.contract == "usage" and e.name == "AgreementProposed"
                and _attribute(e, "asset") == self.asset)

    def _is_split_in_period(self, e, p: ProvenTransaction) -> bool:
        return (e.contract == "revenue" and e.name == "IncomeSplit"
                and _attribute(e, "source_kind") == "agreement"
                and _attribute(e, "source") in self.agreements
                and self.from_ms <= p.timestamp_ms < self.to_ms)

    @staticmethod
    def _agreement(e, p: ProvenTransaction) -> dict:
        # The proposer is the proven sender, whose key signed the proposal, not an attribute.
        return {"agreement": _attribute(e, "agreement"), "proposer": _address_text(p.sender),
                "proposed_height": p.height, "proposed_tx": p.tx_hash}

    def _payment(self, e, p: ProvenTransaction, where: str) -> dict:
        amount = _attribute_number(e, "amount")
        self.income += amount
        if self.income > _U64:
            raise ProofError(f"{where}: the income overflows 64 bits")
        payment = {"tx": p.tx_hash, "height": p.height, "timestamp_ms": p.timestamp_ms,
                   "agreement": _attribute(e, "source"), "session": _attribute(e, "session"),
                   "amount": amount, "parts": [], "parts_sum": 0}
        self.payments.append(payment)
        return payment

    def _add_part(self, payment: dict, e, where: str) -> None:
        part, party = _attribute_number(e, "amount"), _attribute(e, "party")
        payment["parts_sum"] += part
        self.by_party[party] = self.by_party.get(party, 0) + part
        # Refused rather than wrapped, as the C++ refuses: a total it cannot state is no fact.
        if payment["parts_sum"] > _U64 or self.by_party[party] > _U64:
            raise ProofError(f"{where}: a split overflows 64 bits")
        payment["parts"].append({"party": party, "paid_to": _attribute(e, "paid_to"),
                                 "amount": part, "share_bps": _attribute_number(e, "share_bps"),
                                 "passed_on": _attribute_number(e, "passed_on")})

    def facts(self) -> dict:
        return {"asset": self.asset, "period": self.period, "from_ms": self.from_ms,
                "to_ms": self.to_ms, "agreements": list(self.agreements.values()),
                "payments": self.payments, "income": self.income,
                # Python orders text by code point, which is the byte order std::map uses.
                "by_party": [{"party": k, "amount": v} for k, v in sorted(self.by_party.items())]}


def revenue_facts(subject, proven: List[ProvenTransaction]) -> dict:
    """An asset's usage agreements (each proven by its AgreementProposed event) and every income
    split of one of them in a block of the period, with each partner's part, then the totals.
    The bounds are recomputed from the period, never read from the subject."""
    if (not isinstance(subject, dict) or not isinstance(subject.get("asset"), str)
            or not isinstance(subject.get("period"), str)):
        raise ProofError('subject: a revenue statement names its "asset" and "period"')
    try:
        bounds = revenue_subject(subject["asset"], subject["period"])
    except ProofError as e:
        raise ProofError(f"subject: {e}") from None
    statement = _RevenueStatement(bounds)
    for p in proven:
        statement.add(p)
    return statement.facts()


# --- Any kind -----------------------------------------------------------------------------------

# The facts each kind's subject repeats: a transaction's proof is its own subject.
_SUBJECT_KEYS = {KIND_TRANSACTION: (), KIND_VEHICLE_REPORT: ("vin",),
                 KIND_REVENUE_STATEMENT: ("asset", "period", "from_ms", "to_ms"),
                 KIND_STATE: ("key",)}


def subject_of(kind: str, facts: dict) -> dict:
    """The subject a bundle of `kind` with these (derived) facts must name."""
    return {k: facts[k] for k in _SUBJECT_KEYS.get(kind, ())}


def derive_facts(kind: str, subject, proven: List[ProvenTransaction],
                 states: List[ProvenState] = ()) -> dict:
    """The facts a kind of bundle states, computed from its verified proofs alone: the
    transaction proofs' (`proven`) and the state proofs' (`states`)."""
    if kind in (KIND_TRANSACTION, KIND_REVENUE_STATEMENT) and states:
        raise ProofError(f"a {kind} bundle carries no state proof")
    if kind == KIND_STATE:
        return state_facts(subject, proven, list(states))
    if kind == KIND_TRANSACTION:
        if len(proven) != 1:
            raise ProofError("a transaction bundle holds exactly one proof, "
                             f"this one {len(proven)}")
        return transaction_facts(proven[0])
    if kind == KIND_VEHICLE_REPORT:
        return vehicle_facts(subject, proven, list(states))
    if kind == KIND_REVENUE_STATEMENT:
        return revenue_facts(subject, proven)
    raise ProofError(f"bundle kind {_quoted(kind)} is not one this verifier knows")


def _quoted(v) -> str:
    """A bundle's value in a message: text in quotes, anything else as JSON."""
    return f"'{v}'" if isinstance(v, str) else json.dumps(v)


def _json_kind(v) -> str:
    # bool before int: True == 1 in Python, but a fact that says true is not one that says 1.
    for t, name in ((bool, "bool"), (int, "int"), (float, "float"), (str, "str"),
                    (list, "list"), (dict, "dict")):
        if isinstance(v, t):
            return name
    return "null"


def first_difference(stated, derived, at: str = "") -> Optional[str]:
    """The first path at which two JSON values differ ("[0].status"), None when they are equal.
    Object keys may come in any order; a boolean never equals a number, nor 5.0 the integer 5."""
    if _json_kind(stated) != _json_kind(derived):
        return at
    if isinstance(stated, dict):
        for k in stated:
            if k not in derived:
                return f"{at}.{k}"
            d = first_difference(stated[k], derived[k], f"{at}.{k}")
            if d is not None:
                return d
        extra = [k for k in derived if k not in stated]
        return f"{at}.{extra[0]}" if extra else None
    if isinstance(stated, list):
        if len(stated) != len(derived):
            return at
        for i, (a, b) in enumerate(zip(stated, derived)):
            d = first_difference(a, b, f"{at}[{i}]")
            if d is not None:
                return d
        return None
    return None if stated == derived else at


# --- The bundle file ----------------------------------------------------------------------------

def _hex_bytes(v) -> Optional[bytes]:
    # docs/proofs.md: bytes are lower-case hex. Nothing else is read, so that a byte string has
    # one spelling in a bundle.
    if not isinstance(v, str) or len(v) % 2 or any(c not in "0123456789abcdef" for c in v):
        return None
    return bytes.fromhex(v)


class _Reader:
    """Field readers for proof_from_json and a set's switch block, whose errors name the field
    and what it must be."""

    def __init__(self, where: str):
        self.where = where

    def missing(self, name: str, what: str) -> ProofError:
        return ProofError(f"{self.where}{name} must be {what}")

    def member(self, j, name: str):
        if not isinstance(j, dict) or name not in j:
            raise self.missing(name, "present")
        return j[name]

    def number(self, j, name: str, limit: int = _U64) -> int:
        v = self.member(j, name)
        if _json_kind(v) != "int" or v < 0 or v > _U64:
            raise self.missing(name, "a non-negative integer")
        if v > limit:
            raise self.missing(name, "a 32-bit number")
        return v

    def raw(self, j, name: str) -> bytes:
        b = _hex_bytes(self.member(j, name))
        if b is None:
            raise self.missing(name, "a lower-case hex string")
        return b

    def hashes(self, j, name: str) -> List[bytes]:
        v = self.member(j, name)
        out = [_hex_bytes(e) for e in v] if isinstance(v, list) else None
        if out is None or any(e is None for e in out):
            raise self.missing(name, "an array of lower-case hex strings")
        return out

    def certified(self, j, name: str, out) -> None:
        m = self.member(j, name)
        inner = _Reader(f"{self.where}{name}.")
        out.header = inner.raw(m, "header")
        cert = inner.member(m, "certificate")
        c = _Reader(f"{self.where}{name}.certificate.")
        out.certificate.height = c.number(cert, "height")
        out.certificate.view = c.number(cert, "view")
        out.certificate.block_hash = c.raw(cert, "block_hash")
        votes = c.member(cert, "votes")
        if not isinstance(votes, list):
            raise c.missing("votes", "an array")
        for v in votes:
            out.certificate.votes.add(validator=c.number(v, "validator", _U32),
                                      signature=c.raw(v, "signature"))


def proof_from_json(j) -> "api_pb2.TransactionProof":
    """A TransactionProof from its bundle form; ProofError names the field that is wrong."""
    p = api_pb2.TransactionProof()
    p.height = _Reader("").number(j, "height")
    at = _Reader(f"height {p.height}: ")
    p.index = at.number(j, "index", _U32)
    p.transaction = at.raw(j, "transaction")
    p.transaction_count = at.number(j, "transaction_count", _U32)
    p.receipt = at.raw(j, "receipt")
    p.receipt_count = at.number(j, "receipt_count", _U32)
    p.previous_history = at.raw(j, "previous_history")
    p.previous_state_root = at.raw(j, "previous_state_root")
    p.transaction_path.extend(at.hashes(j, "transaction_path"))
    p.receipt_path.extend(at.hashes(j, "receipt_path"))
    at.certified(j, "block", p.block)
    at.certified(j, "anchor", p.anchor)
    links = at.member(j, "links")
    if not isinstance(links, list):
        raise at.missing("links", "an array")
    for link in links:
        p.links.add(height=at.number(link, "height"),
                    receipts_root=at.raw(link, "receipts_root"),
                    previous_state_root=at.raw(link, "previous_state_root"))
    return p


def state_proof_from_json(j) -> "api_pb2.StateProof":
    """A StateProof from its bundle form (docs/proofs.md, "State proofs"); ProofError names the
    field that is wrong."""
    p = api_pb2.StateProof()
    p.height = _Reader("").number(j, "height")
    at = _Reader(f"height {p.height}: ")
    p.key = at.raw(j, "key")
    present = at.member(j, "present")
    if not isinstance(present, bool):
        raise at.missing("present", "true or false")
    p.present = present
    if present:
        p.value = at.raw(j, "value")
    elif "value" in j:
        raise at.missing("value", "absent when present is false")
    # "" is the empty subtree: lower-case hex of no bytes.
    p.siblings.extend(at.hashes(j, "siblings"))
    for name in ("other_key_hash", "other_value_hash"):
        if name in j:
            setattr(p, name, at.raw(j, name))
    p.lthash_root = at.raw(j, "lthash_root")
    at.certified(j, "anchor", p.anchor)
    return p


def _reject_constant(name):
    raise ValueError(f"{name} is not JSON")


def _parse_bundle(text) -> Optional[dict]:
    """The bundle as a dict, or None when it is not a JSON object."""
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            return None
    try:
        # NaN and Infinity are Python's extension, not JSON.
        bundle = json.loads(text, parse_constant=_reject_constant)
    except ValueError:
        return None
    return bundle if isinstance(bundle, dict) else None


def _check_claimed_chain(bundle: dict, trust: Trust) -> Optional[str]:
    """Why the chain the bundle names is not the genesis file's, or None."""
    chain_id = bundle.get("chain_id")
    if chain_id != trust.chain_id:
        return (f"chain: the bundle is of chain {_quoted(chain_id)}, "
                f"the genesis file's is '{trust.chain_id}'")
    if bundle.get("genesis_hash") != trust.genesis_hash.hex():
        return (f"genesis: the bundle was made against genesis {bundle.get('genesis_hash')}, "
                f"the file given hashes to {trust.genesis_hash.hex()}")
    return None


def _is_int(v, value=None) -> bool:
    return _json_kind(v) == "int" and (value is None or v == value)


_NOT_GENESIS_ENTRY = ("validator set: a bundle's first validator set is the genesis set "
                      "(from_height 0, epoch 0, no switch block)")


def _genesis_entry(entries, trust: Trust) -> ValidatorSet:
    """Entry 0, which must restate the genesis file's set: it is the only one trusted as read."""
    first = entries[0] if isinstance(entries, list) and entries else None
    # Bundles written before epochs existed name no epoch. No set comes before genesis, so no
    # switch block can have certified this one.
    if (not isinstance(first, dict) or not _is_int(first.get("from_height"), 0)
            or ("epoch" in first and not _is_int(first["epoch"], 0))
            or not isinstance(first.get("validators"), list) or "switch_block" in first):
        raise ProofError(_NOT_GENESIS_ENTRY)
    validators = first["validators"]
    if len(validators) != len(trust.validators):
        raise ProofError(f"validator set: {len(validators)} validators, "
                         f"the genesis file has {len(trust.validators)}")
    for i, (v, key) in enumerate(zip(validators, trust.validators)):
        if not isinstance(v, dict) or not _is_int(v.get("index"), i) \
                or v.get("public_key") != key.hex():
            raise ProofError(f"validator set: validator {i} is not the genesis file's")
    return ValidatorSet(0, 0, trust.validators)


def _next_entry(entry, epoch: int, trusted: List[ValidatorSet], trust: Trust) -> ValidatorSet:
    """Entry `epoch`, once the switch block that ends the epoch before it, certified by the
    sets already trusted, names exactly its keys."""
    where = f"validator set of epoch {epoch}: "
    if not isinstance(entry, dict) or not _is_int(entry.get("epoch"), epoch):
        raise ProofError(f'{where}the entry must name "epoch": {epoch}')
    below = trusted[-1].from_height
    start = entry.get("from_height")
    # Beyond 64 bits no node could have reached it, and the C++ reader sees no integer there.
    if not _is_int(start) or start <= below or start > _U64:
        raise ProofError(f'{where}"from_height" must be above epoch {epoch - 1}\'s ({below})')
    validators = entry.get("validators")
    if not isinstance(validators, list) or not validators:
        raise ProofError(f'{where}"validators" must be a non-empty array')
    keys = []
    for i, v in enumerate(validators):
        key = _hex_bytes(v.get("public_key")) if isinstance(v, dict) else None
        if key is None or len(key) != 32 or not _is_int(v.get("index"), i):
            raise ProofError(f'{where}validator {i} must have "index" {i} and a 32-byte '
                             f'"public_key"')
        keys.append(key)
    # Only once every entry reads as a validator, as the C++ verifier orders the two checks.
    for i, key in enumerate(keys):
        # A key listed twice would give one signer two of a quorum's votes.
        if keys.index(key) < i:
            raise ProofError(f"{where}validator {i} has the key of validator {keys.index(key)}")
    switch = api_pb2.CertifiedHeader()
    _Reader(where).certified(entry, "switch_block", switch)
    part = f"switch block of epoch {epoch}"
    header = _check_certified(switch, part, start, trust, trusted)
    named = bytes(header.next_validator_set_hash)
    if not named:
        raise _fail(part, start, "the header names no next validator set")
    if named != validator_set_hash(keys):
        raise _fail(part, start, f"the header names next validator set {named.hex()}, "
                                 f"not the bundle's set of epoch {epoch}")
    return ValidatorSet(epoch, start, tuple(keys))


def read_validator_sets(entries, trust: Trust) -> List[ValidatorSet]:
    """A bundle's `validator_sets` as the chain of sets it proves: the genesis file's, then each
    later one trusted only because a quorum of the one before it certified it in the last
    header of its epoch. ProofError names the first entry that is not."""
    sets = [_genesis_entry(entries, trust)]
    for epoch in range(1, len(entries)):
        sets.append(_next_entry(entries[epoch], epoch, sets, trust))
    return sets


def _check_chain_order(proven: List[ProvenTransaction]) -> Optional[str]:
    """Why the proofs are not each a different transaction in chain order, or None. A repeated
    proof would show one endorsement as two."""
    for i, p in enumerate(proven):
        if i and (p.height, p.index) <= (proven[i - 1].height, proven[i - 1].index):
            return (f"proofs: proof {i + 1} (height {p.height}, index {p.index}) is not after the one "
                    f"before it (height {proven[i - 1].height}, index {proven[i - 1].index}); proofs "
                    f"are in chain order, each transaction once")
    return None


def _check_subject(kind: str, subject, facts: dict) -> Optional[str]:
    """Why the bundle's subject is not the one its kind names for these facts, or None. A
    subject with more in it, or bounds other than its period's, would claim what the facts are
    not about. Compared as values: keys in any order, 5.0 is not 5."""
    if first_difference(subject, subject_of(kind, facts)) is None:
        return None
    shown = json.dumps(subject, separators=(",", ":"), ensure_ascii=False)
    return f"subject: it is not what the facts are about ({shown})"


def _verify_each(what: str, items: list, read, verify, trust: Trust,
                 sets: List[ValidatorSet]) -> list:
    """Each JSON proof read and verified in order; a failure names it ("proof 2 of 5: ...")."""
    proven = []
    for i, j in enumerate(items):
        try:
            proven.append(verify(read(j), trust, sets))
        except ProofError as e:
            raise ProofError(f"{what} {i + 1} of {len(items)}: {e}") from None
    return proven


def _verify_proofs(proofs: list, trust: Trust,
                   sets: List[ValidatorSet]) -> List[ProvenTransaction]:
    proven = _verify_each("proof", proofs, proof_from_json, verify_transaction_proof, trust, sets)
    wrong = _check_chain_order(proven)
    if wrong:
        raise ProofError(wrong)
    return proven


def _verify_state_proofs(state_proofs: list, trust: Trust,
                         sets: List[ValidatorSet]) -> List[ProvenState]:
    return _verify_each("state proof", state_proofs, state_proof_from_json, verify_state_proof, trust, sets)


def verify_bundle(bundle_text, genesis) -> BundleResult:
    """Checks a bundle's text against a genesis file (its exact bytes, or a Trust from
    trust_from_genesis). Outcome "unreadable" when either is not what it must be, "failed"
    with the first failed check in `reason`, "proven" with the facts recomputed from the
    proofs."""
    try:
        trust = genesis if isinstance(genesis, Trust) else trust_from_genesis(genesis)
    except GenesisError as e:
        return BundleResult("unreadable", f"genesis: {e}")
    bundle = _parse_bundle(bundle_text)
    if bundle is None:
        return BundleResult("unreadable", "the file is not JSON (a bundle is one JSON object)")
    if bundle.get("format") != FORMAT:
        return BundleResult("unreadable", "the file is not a ShareChain proof bundle "
                                          f'("format" is not "{FORMAT}")')
    if _json_kind(bundle.get("version")) != "int" or bundle["version"] != VERSION:
        return BundleResult("unreadable",
                            f"bundle version is not {VERSION}, the one this verifier reads")

    wrong = _check_claimed_chain(bundle, trust)
    if wrong:
        return BundleResult("failed", wrong)
    try:
        sets = read_validator_sets(bundle.get("validator_sets"), trust)
    except ProofError as e:
        return BundleResult("failed", str(e))
    kind = bundle["kind"] if isinstance(bundle.get("kind"), str) else ""
    state_proofs = bundle.get("state_proofs", [])
    if not isinstance(state_proofs, list):
        return BundleResult("failed", "state proofs: must be an array", kind)
    proofs = bundle.get("proofs")
    if not isinstance(proofs, list) or not (proofs or state_proofs):
        return BundleResult("failed", "proofs: the bundle holds no proof", kind)
    if state_proofs and not trust.state_tree:
        return BundleResult("failed", f"state proofs: {_NO_STATE_TREE}", kind)
    try:
        proven = _verify_proofs(proofs, trust, sets)
        states = _verify_state_proofs(state_proofs, trust, sets)
    except ProofError as e:
        return BundleResult("failed", str(e), kind)
    subject = bundle.get("subject", {})
    try:
        facts = derive_facts(kind, subject, proven, states)
    except ProofError as e:
        return BundleResult("failed", f"facts: {e}", kind)
    wrong = _check_subject(kind, subject, facts)
    if wrong:
        return BundleResult("failed", wrong, kind)
    where = first_difference(bundle["facts"], facts) if "facts" in bundle else ""
    if where is not None:
        return BundleResult("failed", "facts: the bundle states something its proofs do not "
                                      f"prove (first difference at facts{where})", kind)
    return BundleResult("proven", "", kind, facts, proven, states)
