"""Hashes, keys, addresses and signatures, as docs/crypto.md defines them.

- Every signature is BIP340 Schnorr over secp256k1, of a tagged hash
  SHA-256(SHA-256(tag) || SHA-256(tag) || bytes) whose tag names the purpose.
- An address is the first 20 bytes of SHA-256(x-only public key), written in bech32m (BIP 350)
  with the human part "sc": "sc1" + 38 characters, the last 6 a checksum. The legacy form
  "sc" + 40 hex digits (no checksum) is still read, never written.
"""

import hashlib
import os

from . import _secp256k1

TX_TAG = b"sharechain/tx"
CONSENSUS_TAG = b"sharechain/consensus"
VOTE_TAG = b"sharechain/consensus/vote"
EPOCH_ENVELOPE_TAG = b"sharechain/consensus/epoch"
VALIDATOR_SET_TAG = b"sharechain/validator-set"
ASSET_CONSENT_TAG = b"sharechain/asset-consent"
ADDRESS_PREFIX = "sc"


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def tagged_hash(tag: bytes, data: bytes) -> bytes:
    """BIP340 tagged hash: SHA-256(SHA-256(tag) || SHA-256(tag) || data)."""
    t = sha256(tag)
    return sha256(t + t + data)


def address_of(public_key: bytes) -> bytes:
    """The 20-byte address of a 32-byte x-only public key."""
    if len(public_key) != 32:
        raise ValueError("an x-only public key is 32 bytes")
    return sha256(public_key)[:20]


_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32M_CONST = 0x2BC830A3
ADDRESS_TEXT_SIZE = 41


def _polymod(values):
    generator = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for v in values:
        top = chk >> 25
        chk = ((chk & 0x1FFFFFF) << 5) ^ v
        for i, g in enumerate(generator):
            if (top >> i) & 1:
                chk ^= g
    return chk


def _hrp_values():
    return [ord(c) >> 5 for c in ADDRESS_PREFIX] + [0] + [ord(c) & 31 for c in ADDRESS_PREFIX]


def _groups(data: bytes):
    n = int.from_bytes(data, "big")
    return [(n >> (5 * (31 - i))) & 31 for i in range(32)]


def format_address(address: bytes) -> str:
    """The checksummed text form: "sc1" + 32 data characters + 6 checksum characters."""
    if len(address) != 20:
        raise ValueError("an address is 20 bytes")
    data = _groups(address)
    mod = _polymod(_hrp_values() + data + [0] * 6) ^ _BECH32M_CONST
    check = [(mod >> (5 * (5 - i))) & 31 for i in range(6)]
    return ADDRESS_PREFIX + "1" + "".join(_CHARSET[g] for g in data + check)


def _not_an_address(text, why):
    return ValueError(f"'{text}' is not an address: {why}")


def parse_address(text) -> bytes:
    """20 raw bytes from a text address (checksummed, or the legacy "sc" + 40 hex digits) or
    from 20 raw bytes. ValueError saying what is wrong otherwise."""
    if isinstance(text, (bytes, bytearray)):
        if len(text) != 20:
            raise ValueError("an address is 20 bytes")
        return bytes(text)
    if not text:
        raise ValueError("an address is empty")
    if len(text) == 42 and text.startswith(ADDRESS_PREFIX):
        try:
            return bytes.fromhex(text[2:])
        except ValueError:
            pass
    if text.lower() != text and text.upper() != text:
        raise _not_an_address(text, "it mixes upper- and lower-case letters")
    s = text.lower()
    if not s.startswith(ADDRESS_PREFIX + "1"):
        raise _not_an_address(text, "addresses start with 'sc1'")
    if len(s) != ADDRESS_TEXT_SIZE:
        raise _not_an_address(text, f"it has {len(s)} characters; an address has "
                                    f"{ADDRESS_TEXT_SIZE}, so one is missing or extra")
    values = []
    for i in range(3, len(s)):
        at = _CHARSET.find(s[i])
        if at < 0:
            raise _not_an_address(text, f"character {i + 1} ('{text[i]}') is never used in "
                                        f"addresses (they use {_CHARSET} after 'sc1'), so it is "
                                        "mistyped")
        values.append(at)
    if _polymod(_hrp_values() + values) != _BECH32M_CONST:
        raise _not_an_address(text, "its checksum does not match, so a character is mistyped "
                                    "or two are swapped")
    n = 0
    for g in values[:-6]:
        n = (n << 5) | g
    return n.to_bytes(20, "big")


def verify(public_key: bytes, msg32: bytes, signature: bytes) -> bool:
    return _secp256k1.verify(public_key, msg32, signature)


class PrivateKey:
    """A secp256k1 secret key with its x-only public key and address."""

    __slots__ = ("_secret", "public_key")

    def __init__(self, secret: bytes):
        secret = bytes(secret)
        self.public_key = _secp256k1.xonly_public_key(secret)  # ValueError if invalid
        self._secret = secret

    @classmethod
    def generate(cls) -> "PrivateKey":
        while True:
            try:
                return cls(os.urandom(32))
            except ValueError:  # zero or above the group order: astronomically rare
                continue

    @classmethod
    def from_hex(cls, secret_hex: str) -> "PrivateKey":
        s = secret_hex[2:] if secret_hex.lower().startswith("0x") else secret_hex
        try:
            raw = bytes.fromhex(s)
        except ValueError:
            raw = b""
        if len(raw) != 32:
            raise ValueError("a secret key is 64 hex digits (32 bytes)")
        return cls(raw)

    @property
    def secret(self) -> bytes:
        return self._secret

    def secret_hex(self) -> str:
        return self._secret.hex()

    @property
    def address(self) -> bytes:
        return address_of(self.public_key)

    @property
    def address_text(self) -> str:
        return format_address(self.address)

    def sign(self, msg32: bytes, aux32: bytes = None) -> bytes:
        """64-byte BIP340 signature of a 32-byte digest. Fresh auxiliary randomness unless `aux32`
        is given (fixed aux makes the signature reproducible, as in docs/test-vectors.json)."""
        return _secp256k1.sign32(self._secret, msg32, aux32 if aux32 is not None else os.urandom(32))

    def __repr__(self):
        return f"PrivateKey(address={self.address_text})"


# --- Digests of the other signed messages -------------------------------------------------------

def _be32(v: int) -> bytes:
    return v.to_bytes(4, "big")


def _be64(v: int) -> bytes:
    return v.to_bytes(8, "big")


VOTE_PREPARE = 1
VOTE_COMMIT = 2
VOTE_CHECKPOINT = 3


def _vote_prefix(kind: int, chain_id: str) -> bytes:
    c = chain_id.encode()
    return bytes([kind]) + _be32(len(c)) + c


def vote_preimage(kind: int, chain_id: str, view: int, height: int, block_hash: bytes) -> bytes:
    """kind(1) || be32(len(chain_id)) || chain_id || be64(view) || be64(height) || block_hash(32)."""
    if len(block_hash) != 32:
        raise ValueError("a block hash is 32 bytes")
    return _vote_prefix(kind, chain_id) + _be64(view) + _be64(height) + block_hash


def vote_digest(kind: int, chain_id: str, view: int, height: int, block_hash: bytes) -> bytes:
    """What a PREPARE or COMMIT vote signs; a commit certificate's votes sign the COMMIT digest."""
    return tagged_hash(VOTE_TAG, vote_preimage(kind, chain_id, view, height, block_hash))


def checkpoint_preimage(chain_id: str, height: int, block_hash: bytes, state_root: bytes) -> bytes:
    if len(block_hash) != 32 or len(state_root) != 32:
        raise ValueError("block hash and state root are 32 bytes")
    return _vote_prefix(VOTE_CHECKPOINT, chain_id) + _be64(height) + block_hash + state_root


def checkpoint_digest(chain_id: str, height: int, block_hash: bytes, state_root: bytes) -> bytes:
    return tagged_hash(VOTE_TAG, checkpoint_preimage(chain_id, height, block_hash, state_root))


def envelope_preimage(chain_id: str, payload: bytes, epoch: int = 0) -> bytes:
    c = chain_id.encode()
    return (_be64(epoch) if epoch > 0 else b"") + _be32(len(c)) + c + payload


def envelope_digest(chain_id: str, payload: bytes, epoch: int = 0) -> bytes:
    """What a consensus envelope's signature covers (the payload bytes as sent); above epoch 0
    the epoch comes first, under its own tag."""
    tag = EPOCH_ENVELOPE_TAG if epoch > 0 else CONSENSUS_TAG
    return tagged_hash(tag, envelope_preimage(chain_id, payload, epoch))


def validator_set_preimage(public_keys) -> bytes:
    keys = list(public_keys)
    for k in keys:
        if len(k) != 32:
            raise ValueError("a validator key is 32 bytes (x-only)")
    return _be32(len(keys)) + b"".join(keys)


def validator_set_hash(public_keys) -> bytes:
    """The hash block headers carry as validator_set_hash: the keys in validator-index order."""
    return tagged_hash(VALIDATOR_SET_TAG, validator_set_preimage(public_keys))


def asset_consent_preimage(chain_id: str, spec_bytes: bytes) -> bytes:
    return chain_id.encode() + b"\x00" + spec_bytes


def asset_consent_digest(chain_id: str, spec_bytes: bytes) -> bytes:
    """What an owner signs so that a data server may register its asset (assets.OwnerConsent)."""
    return tagged_hash(ASSET_CONSENT_TAG, asset_consent_preimage(chain_id, spec_bytes))


def merkle_root(leaves) -> bytes:
    """tx_root: leaves 0x00 || hash, inner nodes 0x01 || left || right, an odd node promoted."""
    if not leaves:
        return sha256(b"")
    level = [sha256(b"\x00" + h) for h in leaves]
    while len(level) > 1:
        nxt = [sha256(b"\x01" + level[i] + level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2 == 1:
            nxt.append(level[-1])
        level = nxt
    return level[0]
