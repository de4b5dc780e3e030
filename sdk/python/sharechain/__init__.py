"""ShareChain's Python SDK: keys, signed transactions and a failover client of the gRPC API.

The protobuf classes are generated from proto/sharechain/*.proto by generate_stubs.py into a
build folder and appear here as modules of this package: `sharechain.api_pb2`,
`sharechain.types_pb2`, `sharechain.ledger_pb2`, `sharechain.assets_pb2`, ...
"""

import os as _os

_HERE = _os.path.dirname(_os.path.abspath(__file__))


def _stubs_dir():
    root = _os.environ.get("SHARECHAIN_STUBS") or _os.path.join(_HERE, "..", "build", "stubs")
    return _os.path.abspath(_os.path.join(root, "sharechain"))


# The generated modules import each other as `sharechain.<name>_pb2`; letting this package's
# search path include their folder makes them sub-modules of it.
_STUBS = _stubs_dir()
if not _os.path.isfile(_os.path.join(_STUBS, "api_pb2.py")):
    raise ImportError(f"the protobuf stubs are not in {_STUBS}: run "
                      "`python3 sdk/python/generate_stubs.py` (or set SHARECHAIN_STUBS to the "
                      "folder it wrote)")
__path__.append(_STUBS)  # noqa: F821 (a package's __path__)

from . import api_pb2, types_pb2, ledger_pb2, assets_pb2, usage_pb2  # noqa: E402
from . import revenue_pb2, financing_pb2, vehicles_pb2, governance_pb2, consensus_pb2  # noqa: E402
from .crypto import PrivateKey, address_of, format_address, parse_address  # noqa: E402
from .errors import ShareChainError, NoNodeAvailable, KeystoreError  # noqa: E402
from .keystore import Keystore, read_passphrase_file  # noqa: E402
from .transactions import (build_body, sign_body, transfer, register_asset,  # noqa: E402
                           owner_consent, tx_hash, signing_hash)
from .cursor import FileCursorStore, MemoryCursorStore  # noqa: E402
from .client import Client, next_nonce_of  # noqa: E402
from . import proofs  # noqa: E402
from .proofs import (verify_bundle, verify_transaction_proof, trust_from_genesis,  # noqa: E402
                     ProofError, GenesisError, verify_state_proof, state_proof_from_json,
                     ProvenState, state_tree_leaf, state_tree_branch, combined_state_root)

__all__ = [
    "Client", "PrivateKey", "Keystore", "KeystoreError", "ShareChainError", "NoNodeAvailable",
    "FileCursorStore", "MemoryCursorStore", "build_body", "sign_body", "transfer",
    "register_asset", "owner_consent", "tx_hash", "signing_hash", "address_of",
    "format_address", "parse_address", "read_passphrase_file", "next_nonce_of",
    "proofs", "verify_bundle", "verify_transaction_proof", "trust_from_genesis", "ProofError",
    "GenesisError", "verify_state_proof", "state_proof_from_json", "ProvenState",
    "state_tree_leaf", "state_tree_branch", "combined_state_root",
    "api_pb2", "types_pb2", "ledger_pb2", "assets_pb2", "usage_pb2", "revenue_pb2",
    "financing_pb2", "vehicles_pb2", "governance_pb2", "consensus_pb2",
]
