"""Reads the wallet's keystore (tools/common/keystore.hpp): one JSON file per key, `<dir>/<name>.json`.

    {"version": 1, "name": "user1", "address": "sc...", "public_key": "<hex>",
     "kdf": {"name": "scrypt", "n": 262144, "r": 8, "p": 1, "salt": "<hex>"},
     "cipher": {"name": "aes-256-gcm", "iv": "<hex>"},
     "ciphertext": "<hex>", "tag": "<hex>"}

The 32-byte secret is sealed with AES-256-GCM under scrypt(passphrase, salt, n, r, p) (32 bytes),
with the formatted address as additional authenticated data. scrypt comes from the standard
library; AES-GCM from python3-cryptography.
"""

import hashlib
import json
import os
import re

from .crypto import PrivateKey, address_of, format_address, parse_address


def sealing_aad(address: bytes) -> bytes:
    """What binds a sealed secret to its address: "sc" + 40 hex digits, the text form of the
    release that defined key-file version 1, kept so every key file ever written opens."""
    return ("sc" + address.hex()).encode()
from .errors import KeystoreError

_NAME = re.compile(r"^[A-Za-z0-9_\-][A-Za-z0-9_.\-]{0,63}$")


def _hex(obj, key, lo, hi, path):
    try:
        raw = bytes.fromhex(obj[key])
    except (KeyError, TypeError, ValueError):
        raw = None
    if raw is None or not lo <= len(raw) <= hi:
        raise KeystoreError(f"key file {path} is malformed: {key} must be {lo}"
                            f"{'' if lo == hi else '-' + str(hi)} bytes of hex")
    return raw


class KeyInfo:
    """The public part of a key file (readable without the passphrase)."""

    def __init__(self, name, address, public_key, path):
        self.name, self.address, self.public_key, self.path = name, address, public_key, path

    @property
    def address_text(self):
        return format_address(self.address)

    def __repr__(self):
        return f"KeyInfo(name={self.name!r}, address={self.address_text})"


class Keystore:
    def __init__(self, directory):
        self.dir = os.fspath(directory)

    def path_of(self, name):
        if not _NAME.match(name or "") or name.startswith("."):
            raise KeystoreError(f"key name '{name}' is not valid: use 1-64 letters, digits, "
                                "'_', '-' or '.', not starting with '.'")
        return os.path.join(self.dir, name + ".json")

    def _read(self, name):
        path = self.path_of(name)
        try:
            with open(path, "r", encoding="utf-8") as f:
                j = json.load(f)
        except FileNotFoundError:
            raise KeystoreError(f"no key named '{name}' in {self.dir}") from None
        except (OSError, ValueError) as e:
            raise KeystoreError(f"cannot read key file {path}: {e}") from None
        try:
            if j["version"] != 1:
                raise KeystoreError(f"key file {path}: unsupported version {j['version']}")
            kdf, cipher = j["kdf"], j["cipher"]
            if kdf["name"] != "scrypt" or cipher["name"] != "aes-256-gcm":
                raise KeystoreError(f"key file {path}: expected scrypt and aes-256-gcm")
            n, r, p = int(kdf["n"]), int(kdf["r"]), int(kdf["p"])
            if not (1 << 10 <= n <= 1 << 20 and n & (n - 1) == 0 and 1 <= r <= 32 and 1 <= p <= 16):
                raise KeystoreError(f"key file {path}: scrypt parameters out of range")
            public_key = _hex(j, "public_key", 32, 32, path)
            address = parse_address(j["address"])
        except (KeyError, TypeError, ValueError) as e:
            raise KeystoreError(f"key file {path} is malformed: {e}") from None
        if address_of(public_key) != address:
            raise KeystoreError(f"key file {path} is malformed: address does not belong to "
                                "public_key")
        return path, j, (n, r, p), public_key, address

    def info(self, name) -> KeyInfo:
        path, _, _, public_key, address = self._read(name)
        return KeyInfo(name, address, public_key, path)

    def list(self):
        """Every key, sorted by name; [] when the folder does not exist."""
        try:
            entries = sorted(os.listdir(self.dir))
        except FileNotFoundError:
            return []
        out = []
        for entry in entries:
            if entry.endswith(".json") and not entry.startswith(".") and _NAME.match(entry[:-5]):
                out.append(self.info(entry[:-5]))
        return out

    def load(self, name, passphrase) -> PrivateKey:
        """Decrypts a key. KeystoreError on a missing key, a wrong passphrase or a bad file."""
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        path, j, (n, r, p), public_key, address = self._read(name)
        salt = _hex(j["kdf"], "salt", 16, 64, path)
        iv = _hex(j["cipher"], "iv", 12, 12, path)
        ciphertext = _hex(j, "ciphertext", 32, 32, path)
        tag = _hex(j, "tag", 16, 16, path)
        if isinstance(passphrase, str):
            passphrase = passphrase.encode()
        derived = hashlib.scrypt(passphrase, salt=salt, n=n, r=r, p=p, dklen=32,
                                 maxmem=128 * r * (n + p + 2) + (1 << 20))
        try:
            secret = AESGCM(derived).decrypt(iv, ciphertext + tag, sealing_aad(address))
        except InvalidTag:
            raise KeystoreError(f"wrong passphrase for key '{name}' (or its file {path} was "
                                "altered)") from None
        key = PrivateKey(secret)
        if key.public_key != public_key:
            raise KeystoreError(f"key file {path} is inconsistent: its secret does not match its "
                                "public_key")
        return key


def read_passphrase_file(path) -> str:
    """The passphrase in a file without one trailing line break, exactly as the wallet reads it."""
    with open(path, "rb") as f:
        text = f.read()
    if text.endswith(b"\n"):
        text = text[:-1]
        if text.endswith(b"\r"):
            text = text[:-1]
    return text.decode("utf-8")
