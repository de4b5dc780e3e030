"""BIP340 Schnorr signatures through Debian's libsecp256k1 (libsecp256k1-1), loaded with ctypes.

Only the symbols of the `extrakeys` and `schnorrsig` modules are used, the same ones the node
calls (proto/crypto.cpp): keypair_create, keypair_xonly_pub, xonly_pubkey_serialize,
xonly_pubkey_parse, schnorrsig_sign32 and schnorrsig_verify.
"""

import ctypes
import ctypes.util
import os
import threading

_CONTEXT_NONE = 1  # SECP256K1_FLAGS_TYPE_CONTEXT; sign and verify need nothing else since 0.2


class _Keypair(ctypes.Structure):
    _fields_ = [("data", ctypes.c_ubyte * 96)]


class _XonlyPubkey(ctypes.Structure):
    _fields_ = [("data", ctypes.c_ubyte * 64)]


def _load():
    names = [os.environ.get("SHARECHAIN_LIBSECP256K1"), "libsecp256k1.so.1",
             ctypes.util.find_library("secp256k1")]
    errors = []
    for name in names:
        if not name:
            continue
        try:
            return ctypes.CDLL(name)
        except OSError as e:
            errors.append(str(e))
    raise ImportError("cannot load libsecp256k1 (apt-get install libsecp256k1-1): " +
                      "; ".join(errors))


_lib = _load()
_vp = ctypes.c_void_p
_buf = ctypes.c_char_p
_lib.secp256k1_context_create.restype = _vp
_lib.secp256k1_context_create.argtypes = [ctypes.c_uint]
_lib.secp256k1_context_randomize.argtypes = [_vp, _buf]
_lib.secp256k1_keypair_create.argtypes = [_vp, ctypes.POINTER(_Keypair), _buf]
_lib.secp256k1_keypair_xonly_pub.argtypes = [_vp, ctypes.POINTER(_XonlyPubkey), _vp,
                                             ctypes.POINTER(_Keypair)]
_lib.secp256k1_xonly_pubkey_serialize.argtypes = [_vp, ctypes.c_char_p,
                                                  ctypes.POINTER(_XonlyPubkey)]
_lib.secp256k1_xonly_pubkey_parse.argtypes = [_vp, ctypes.POINTER(_XonlyPubkey), _buf]
_lib.secp256k1_schnorrsig_sign32.argtypes = [_vp, ctypes.c_char_p, _buf,
                                             ctypes.POINTER(_Keypair), _buf]
_lib.secp256k1_schnorrsig_verify.argtypes = [_vp, _buf, _buf, ctypes.c_size_t,
                                             ctypes.POINTER(_XonlyPubkey)]

_ctx = _lib.secp256k1_context_create(_CONTEXT_NONE)
if not _ctx or _lib.secp256k1_context_randomize(_ctx, os.urandom(32)) != 1:
    raise ImportError("libsecp256k1: cannot create a context")
# Signing reads the context's blinding; one lock keeps calls from several threads simple.
_lock = threading.Lock()


def _keypair(secret: bytes) -> _Keypair:
    kp = _Keypair()
    if len(secret) != 32 or _lib.secp256k1_keypair_create(_ctx, ctypes.byref(kp), secret) != 1:
        raise ValueError("not a valid secp256k1 secret key (32 bytes, non-zero, below the order)")
    return kp


def _wipe(kp: _Keypair) -> None:
    ctypes.memset(ctypes.byref(kp), 0, ctypes.sizeof(kp))


def xonly_public_key(secret: bytes) -> bytes:
    """The 32-byte x-only public key of a 32-byte secret; ValueError if the secret is invalid."""
    with _lock:
        kp = _keypair(secret)
        try:
            pub = _XonlyPubkey()
            if _lib.secp256k1_keypair_xonly_pub(_ctx, ctypes.byref(pub), None,
                                                ctypes.byref(kp)) != 1:
                raise ValueError("cannot derive the public key")
            out = ctypes.create_string_buffer(32)
            _lib.secp256k1_xonly_pubkey_serialize(_ctx, out, ctypes.byref(pub))
            return out.raw
        finally:
            _wipe(kp)


def sign32(secret: bytes, msg32: bytes, aux32: bytes) -> bytes:
    """BIP340 signature (64 bytes) of a 32-byte message with 32 bytes of auxiliary randomness."""
    if len(msg32) != 32 or len(aux32) != 32:
        raise ValueError("BIP340 signs a 32-byte message with 32 bytes of auxiliary data")
    with _lock:
        kp = _keypair(secret)
        try:
            sig = ctypes.create_string_buffer(64)
            if _lib.secp256k1_schnorrsig_sign32(_ctx, sig, msg32, ctypes.byref(kp), aux32) != 1:
                raise ValueError("BIP340 signing failed")
            return sig.raw
        finally:
            _wipe(kp)


def verify(public_key: bytes, msg32: bytes, signature: bytes) -> bool:
    """True when `signature` is a valid BIP340 signature of `msg32` by x-only `public_key`."""
    if len(public_key) != 32 or len(signature) != 64 or len(msg32) != 32:
        return False
    with _lock:
        pub = _XonlyPubkey()
        if _lib.secp256k1_xonly_pubkey_parse(_ctx, ctypes.byref(pub), public_key) != 1:
            return False
        return _lib.secp256k1_schnorrsig_verify(_ctx, signature, msg32, 32,
                                                ctypes.byref(pub)) == 1
