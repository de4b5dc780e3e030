"""Building and signing transactions, as the wallet does (proto/transaction.cpp).

A transaction is a SignedTransaction {body, signature, public_key}: `body` is a serialized
TransactionBody, serialized once; the signature is BIP340 over
tagged_hash("sharechain/tx", body) and the transaction hash is SHA-256(body). Both are computed
on those exact bytes, never on a re-serialisation.
"""

from . import api_pb2, assets_pb2, ledger_pb2, types_pb2
from .crypto import (TX_TAG, PrivateKey, asset_consent_digest, parse_address, sha256,
                     tagged_hash, verify)

# TransactionBody's `call` oneof: field name for each contract's Call message.
_CALL_FIELDS = {
    "sharechain.ledger.Call": "ledger",
    "sharechain.assets.Call": "assets",
    "sharechain.usage.Call": "usage",
    "sharechain.revenue.Call": "revenue",
    "sharechain.financing.Call": "financing",
    "sharechain.vehicles.Call": "vehicles",
    "sharechain.governance.Call": "governance",
}


def signing_hash(body_bytes: bytes) -> bytes:
    return tagged_hash(TX_TAG, body_bytes)


def tx_hash(tx) -> bytes:
    """SHA-256 of the body bytes, of a SignedTransaction or of body bytes."""
    return sha256(tx.body if isinstance(tx, types_pb2.SignedTransaction) else tx)


def build_body(chain_id: str, sender, nonce: int, call, expires_at_height: int = 0):
    """A TransactionBody with `call`, one contract's Call message (ledger_pb2.Call(...),
    assets_pb2.Call(...), usage_pb2.Call(...), ...)."""
    body = types_pb2.TransactionBody(chain_id=chain_id, sender=parse_address(sender),
                                     nonce=nonce, expires_at_height=expires_at_height)
    field = _CALL_FIELDS.get(call.DESCRIPTOR.full_name)
    if field is None:
        raise TypeError(f"{call.DESCRIPTOR.full_name} is not a contract Call message")
    getattr(body, field).CopyFrom(call)
    return body


def sign_body(body, key: PrivateKey, aux32: bytes = None):
    """Serialises `body` once and signs exactly those bytes; returns a SignedTransaction."""
    if body.sender and body.sender != key.address:
        raise ValueError("the body's sender is not the address of the signing key")
    data = body.SerializeToString()
    return types_pb2.SignedTransaction(body=data, public_key=key.public_key,
                                       signature=key.sign(signing_hash(data), aux32))


def verify_signed(tx) -> bool:
    """The stateless checks a node makes on the signature: key bound to the sender, signature."""
    body = types_pb2.TransactionBody()
    body.ParseFromString(tx.body)
    if len(tx.public_key) != 32 or body.sender != sha256(tx.public_key)[:20]:
        return False
    return verify(tx.public_key, signing_hash(tx.body), tx.signature)


# --- Convenience calls --------------------------------------------------------------------------

def transfer(to, amount: int, memo: str = ""):
    """ledger.Transfer: moves `amount` minor units (1 credit = 100) from the sender to `to`."""
    return ledger_pb2.Call(transfer=ledger_pb2.Transfer(to=parse_address(to), amount=amount,
                                                        memo=memo))


def asset_spec(kind, name, location, investment_cost, capacity=1, **fields):
    """An assets.AssetSpec; `kind` is an AssetKind value or one of station, parking, charging."""
    kinds = {"station": assets_pb2.MAINTENANCE_STATION, "parking": assets_pb2.PARKING_SPACE,
             "charging": assets_pb2.CHARGING_PILE}
    if isinstance(kind, str):
        kind = kinds[kind]
    return assets_pb2.AssetSpec(kind=kind, name=name, location=location,
                                investment_cost=investment_cost, capacity=capacity, **fields)


def register_asset(spec, owner=None, consent=None):
    """assets.RegisterAsset. Sent by the owner: `spec` (owner empty or the sender). Sent by a
    data server on the owner's behalf: `consent` (see owner_consent) and no spec."""
    reg = assets_pb2.RegisterAsset()
    if consent is not None:
        reg.consent.CopyFrom(consent)
    elif spec is not None:
        reg.spec.CopyFrom(spec)
    if owner is not None:
        reg.owner = parse_address(owner)
    return assets_pb2.Call(register=reg)


def owner_consent(key: PrivateKey, chain_id: str, spec, aux32: bytes = None):
    """The owner's OwnerConsent for a registration by a data server: BIP340 over
    tagged_hash("sharechain/asset-consent", chain_id || 0x00 || spec bytes)."""
    spec_bytes = spec if isinstance(spec, bytes) else spec.SerializeToString()
    sig = key.sign(asset_consent_digest(chain_id, spec_bytes), aux32)
    return assets_pb2.OwnerConsent(public_key=key.public_key, signature=sig, spec=spec_bytes)


def receipt_ok(receipt) -> bool:
    return receipt.status == types_pb2.RECEIPT_OK


def status_name(status) -> str:
    return api_pb2.TxStatus.Name(status)
