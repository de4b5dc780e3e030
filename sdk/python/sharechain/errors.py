"""Errors. A refusal by a node is a ShareChainError carrying the gRPC status code and the node's
own message; ALREADY_EXISTS for a committed transaction also carries its height and receipt."""

import grpc


class KeystoreError(Exception):
    """A key that cannot be read: missing, malformed, or a wrong passphrase."""


class ShareChainError(Exception):
    """A call the node answered with an error, or that no node could answer.

    code     grpc.StatusCode (INVALID_ARGUMENT, FAILED_PRECONDITION, ALREADY_EXISTS, ...)
    message  the node's message, meant for a person
    node     the address that answered (None when none did)
    details  for ALREADY_EXISTS of a committed transaction, the node's SubmitResponse
             (status TX_COMMITTED, height, receipt); None otherwise
    synced   what the answer's `sharechain-synced` metadata said (None when absent)
    """

    def __init__(self, code, message, node=None, details=None, synced=None):
        super().__init__(f"{code.name}: {message}" + (f" (node {node})" if node else ""))
        self.code = code
        self.message = message
        self.node = node
        self.details = details
        self.synced = synced

    @property
    def committed(self) -> bool:
        """True for ALREADY_EXISTS naming a transaction committed before."""
        from . import api_pb2
        return (self.code == grpc.StatusCode.ALREADY_EXISTS and self.details is not None and
                self.details.status == api_pb2.TX_COMMITTED)

    @property
    def height(self):
        """The height of the earlier commit (ALREADY_EXISTS), else None."""
        return self.details.height if self.committed else None

    @property
    def receipt(self):
        """The receipt of the earlier commit (ALREADY_EXISTS), else None."""
        return self.details.receipt if self.committed and self.details.HasField("receipt") else None

    @property
    def tx_hash(self):
        return self.details.tx_hash if self.details is not None else None


class NoNodeAvailable(ShareChainError):
    """Every node was tried and none could serve the call (unreachable or UNAVAILABLE)."""

    def __init__(self, message, attempts):
        super().__init__(grpc.StatusCode.UNAVAILABLE, message)
        self.attempts = attempts  # [(address, ShareChainError)]


DETAILS_KEY = "grpc-status-details-bin"


def metadata_value(metadata, key):
    for k, v in metadata or ():
        if k == key:
            return v
    return None


def synced_of(metadata):
    v = metadata_value(metadata, "sharechain-synced")
    if v is None:
        return None
    return v == "true"


def from_rpc_error(err: grpc.RpcError, node=None) -> ShareChainError:
    """Maps a failed call to a ShareChainError.

    The node attaches the earlier SubmitResponse of a committed transaction as the raw status
    details (grpc-status-details-bin holds a serialized sharechain.api.SubmitResponse, not a
    google.rpc.Status), so it is decoded here as a SubmitResponse."""
    from . import api_pb2
    code = err.code() if hasattr(err, "code") else grpc.StatusCode.UNKNOWN
    message = err.details() if hasattr(err, "details") else str(err)
    trailing = err.trailing_metadata() if hasattr(err, "trailing_metadata") else None
    initial = err.initial_metadata() if hasattr(err, "initial_metadata") else None
    details = None
    raw = metadata_value(trailing, DETAILS_KEY)
    if raw and code == grpc.StatusCode.ALREADY_EXISTS:
        details = decode_submit_details(raw)
    synced = synced_of(initial)
    if synced is None:
        synced = synced_of(trailing)
    return ShareChainError(code, message or "", node=node, details=details, synced=synced)


def decode_submit_details(raw: bytes):
    """A SubmitResponse from status details bytes, or None when they are not one."""
    from . import api_pb2
    resp = api_pb2.SubmitResponse()
    try:
        resp.ParseFromString(raw)
    except Exception:  # DecodeError; details from another server kind
        return None
    if len(resp.tx_hash) != 32:
        return None
    return resp
