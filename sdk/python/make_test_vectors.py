#!/usr/bin/env python3
"""Writes docs/test-vectors.json: fixed keys, transaction bodies, digests, addresses and BIP340
signatures for a transfer and one action of each contract, an asset owner's consent, the
consensus vote, checkpoint, envelope and commit certificate digests, and a state tree of eight
entries with its roots and proofs of present and absent keys (docs/proofs.md, "State proofs").

    python3 sdk/python/make_test_vectors.py [--out docs/test-vectors.json]

Every signature uses the auxiliary data aux = SHA-256(digest), the rule of the consensus
simulator's deterministic signer (consensus::KeySigner with deterministic = true), so each one
is reproducible byte for byte; nodes and wallets sign with fresh random aux instead, which gives
another, equally valid signature. tests/proto/test_vectors_test.cpp (C++) and
sdk/python/tests/test_unit.py (Python) recompute everything in the file with their own code.
"""

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import sharechain  # noqa: E402
from sharechain import (assets_pb2, consensus_pb2, financing_pb2, ledger_pb2,  # noqa: E402
                        revenue_pb2, types_pb2, usage_pb2, vehicles_pb2)
from sharechain import crypto  # noqa: E402
from sharechain.proofs import (combined_state_root, state_tree_branch,  # noqa: E402
                               state_tree_leaf)
from sharechain.transactions import (asset_spec, build_body, register_asset,  # noqa: E402
                                     signing_hash, transfer)

CHAIN_ID = "sharechain-vectors"


def key(n):
    return crypto.PrivateKey(crypto.sha256(f"sharechain test vector key {n}".encode()))


def aux_for(digest):
    return crypto.sha256(digest)


def key_json(k):
    return {"secret": k.secret.hex(), "public_key": k.public_key.hex(),
            "address": k.address_text}


def tx_vector(name, contract, action, k, nonce, call, note):
    body = build_body(CHAIN_ID, k.address, nonce, call).SerializeToString()
    digest = signing_hash(body)
    aux = aux_for(digest)
    sig = k.sign(digest, aux)
    signed = types_pb2.SignedTransaction(body=body, signature=sig, public_key=k.public_key)
    return signed, {
        "name": name, "contract": contract, "action": action, "note": note,
        "chain_id": CHAIN_ID, "nonce": nonce, **key_json(k),
        "body": body.hex(),
        "tx_hash": crypto.sha256(body).hex(),
        "digest": digest.hex(),
        "aux": aux.hex(),
        "signature": sig.hex(),
        "signed_transaction": signed.SerializeToString().hex(),
    }


# --- The state tree (docs/proofs.md, "State proofs") -------------------------------------------

EMPTY = bytes(32)


def key_bit(key_hash, i):
    return (key_hash[i // 8] >> (7 - i % 8)) & 1


def tree_node(items, depth):
    """The canonical subtree of (key hash, value hash) pairs whose hashes agree in their first
    `depth` bits: empty, the one entry's leaf, or a branch of its halves."""
    if not items:
        return EMPTY
    if len(items) == 1:
        return state_tree_leaf(*items[0])
    return state_tree_branch(tree_node([x for x in items if not key_bit(x[0], depth)], depth + 1),
                             tree_node([x for x in items if key_bit(x[0], depth)], depth + 1))


def tree_proof(entries, key):
    """The proof of `key` in the tree of `entries`, in the vectors' form."""
    items = [(crypto.sha256(k), crypto.sha256(v)) for k, v in entries.items()]
    kh = crypto.sha256(key)
    siblings, depth = [], 0
    while len(items) > 1:
        bit = key_bit(kh, depth)
        other = [x for x in items if key_bit(x[0], depth) != bit]
        siblings.append(tree_node(other, depth + 1).hex() if other else "")
        items = [x for x in items if key_bit(x[0], depth) == bit]
        depth += 1
    out = {"key": key.hex(), "present": key in entries}
    if key in entries:
        out["value"] = entries[key].hex()
    out["siblings"] = siblings
    if items and items[0][0] != kh:
        out["other_key_hash"], out["other_value_hash"] = items[0][0].hex(), items[0][1].hex()
    return out


def state_tree_vectors():
    ledger = lambda balance, nonce: ledger_pb2.Account(balance=balance, nonce=nonce)  # noqa: E731
    entries = {
        b"ledger/acct/alice": ledger(125_000, 3).SerializeToString(),
        b"ledger/acct/bob": ledger(40_000, 0).SerializeToString(),
        b"ledger/acct/carol": ledger(9_900, 12).SerializeToString(),
        b"vehicles/vehicle/1HGCM82633A004352": vehicles_pb2.Vehicle(
            vin="1HGCM82633A004352", records=2, attested=1, first_seen_at_ms=1_690_000_000_000
        ).SerializeToString(),
        b"vehicles/vehicle/WVWZZZ1JZXW000001": vehicles_pb2.Vehicle(
            vin="WVWZZZ1JZXW000001", records=1, rejected=1).SerializeToString(),
        b"assets/asset/pile-7": b"Pile 7, Harbour Road",
        b"usage/agreement/a4": b"agreement a4",
        b"config/empty": b"",
    }
    items = [(crypto.sha256(k), crypto.sha256(v)) for k, v in entries.items()]
    tree_root = tree_node(items, 0)
    lthash_root = crypto.sha256(b"lthash root of the vectors")

    def absent(ends_at_leaf):
        for i in range(10_000):
            p = tree_proof(entries, f"absent/{i}".encode())
            if ("other_key_hash" in p) == ends_at_leaf:
                return p
        raise SystemExit("no absent key of that kind")
    # The deepest path first, then the entry with the empty value.
    present = sorted(entries, key=lambda k: -len(tree_proof(entries, k)["siblings"]))
    proofs = [tree_proof(entries, present[0]), tree_proof(entries, b"config/empty"),
              absent(False), absent(True)]
    assert any("" in p["siblings"] for p in proofs)
    return {
        "about": ("The sparse Merkle state tree of docs/proofs.md, 'State proofs': key_hash = "
                  "SHA-256(key), leaf = SHA-256(0x02 || key_hash || SHA-256(value)), branch = "
                  "SHA-256(0x03 || left || right), an empty subtree 32 zero bytes; a subtree of "
                  "one entry is that entry's leaf. Bit i of key_hash is (key_hash[i / 8] >> "
                  "(7 - i % 8)) & 1, 0 going left. state_root = tagged_hash(\"sharechain/"
                  "state-root\", lthash_root || tree_root). Each proof's siblings run from the "
                  "root down, \"\" for an empty subtree; other_key_hash and other_value_hash "
                  "name the leaf an absent key's path ends at, when it ends at one."),
        "entries": [{"key": k.hex(), "value": v.hex()} for k, v in entries.items()],
        "tree_root": tree_root.hex(),
        "lthash_root": lthash_root.hex(),
        "state_root": combined_state_root(lthash_root, tree_root).hex(),
        "empty_tree_root": tree_node([], 0).hex(),
        "proofs": proofs,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(HERE, "..", "..", "docs", "test-vectors.json"))
    args = ap.parse_args()

    alice, bob, carol = key(1), key(2), key(3)
    h = lambda s: crypto.sha256(s.encode())  # noqa: E731
    asset_id = h("asset")[:16]
    spec = asset_spec("charging", "Pile 7, Harbour Road", "52.5200,13.4050", 2_500_000,
                      capacity=2, max_power_kw=150,
                      equipment=[assets_pb2.Equipment(type="dc_charger", name="DC 150", count=2)])

    txs = []
    cases = [
        ("transfer", "ledger", "transfer", alice, 0, transfer(bob.address, 12_345, "invoice 42"),
         "ledger.Transfer of 123.45 credits with a memo"),
        ("ledger.grant_role", "ledger", "grant_role", alice, 1,
         ledger_pb2.Call(grant_role=ledger_pb2.GrantRole(account=carol.address, role="attester",
                                                         organisation="City Garage")),
         "ledger.GrantRole (sender: an operator)"),
        ("assets.register", "assets", "register", bob, 0, register_asset(spec),
         "assets.RegisterAsset by the owner itself"),
        ("usage.reserve", "usage", "reserve", carol, 0,
         usage_pb2.Call(reserve=usage_pb2.Reserve(agreement_id=h("agreement")[:16],
                                                  start_ms=1_700_000_000_000,
                                                  end_ms=1_700_003_600_000,
                                                  item_ids=["bay1"])),
         "usage.Reserve of one item for an hour"),
        ("revenue.propose", "revenue", "propose", alice, 2,
         revenue_pb2.Call(propose=revenue_pb2.ProposeModel(terms=revenue_pb2.ModelTerms(
             name="pile 7 split",
             parties=[revenue_pb2.Party(account=alice.address, share_bps=7000, label="owner"),
                      revenue_pb2.Party(account=bob.address, share_bps=3000, label="operator")],
             settlement_period_ms=0))),
         "revenue.ProposeModel with two parties"),
        ("financing.offer", "financing", "offer", bob, 1,
         financing_pb2.Call(offer=financing_pb2.OfferFinancing(
             asset_id=asset_id,
             terms=financing_pb2.FinancingTerms(amount_sought=1_000_000, minimum_raise=500_000,
                                                share_bps=2500, min_subscription=10_000,
                                                deadline_ms=1_700_100_000_000,
                                                term_ends_ms=1_731_636_000_000,
                                                note="second connector"))),
         "financing.OfferFinancing for an asset"),
        ("vehicles.submit", "vehicles", "submit", carol, 1,
         vehicles_pb2.Call(submit=vehicles_pb2.SubmitRecord(
             vin="WVWZZZ1JZXW000001", kind=vehicles_pb2.INSPECTION,
             occurred_at_ms=1_699_999_000_000, odometer_km=48_210,
             summary="annual inspection passed", evidence_hash=h("inspection report"),
             details=[vehicles_pb2.Detail(key="station", value="TUV 12")])),
         "vehicles.SubmitRecord of an inspection (sender: an attester)"),
    ]
    signed = {}
    for name, contract, action, k, nonce, call, note in cases:
        s, v = tx_vector(name, contract, action, k, nonce, call, note)
        signed[name] = s
        txs.append(v)

    # The owner's consent to a registration by the data server.
    spec_bytes = spec.SerializeToString()
    consent_digest = crypto.asset_consent_digest(CHAIN_ID, spec_bytes)
    consent_aux = aux_for(consent_digest)
    consent = {
        "chain_id": CHAIN_ID, **key_json(bob), "spec": spec_bytes.hex(),
        "preimage": crypto.asset_consent_preimage(CHAIN_ID, spec_bytes).hex(),
        "digest": consent_digest.hex(), "aux": consent_aux.hex(),
        "signature": bob.sign(consent_digest, consent_aux).hex(),
    }

    # Consensus: a block holding the transfer, its votes and its commit certificate.
    validators = [key(100 + i) for i in range(4)]
    transfer_tx = signed["transfer"]
    header = types_pb2.BlockHeader(
        chain_id=CHAIN_ID, height=7, view=1, prev_hash=h("block 6"), timestamp_ms=1_700_000_123_456,
        tx_root=crypto.merkle_root([crypto.sha256(transfer_tx.body)]), state_height=6,
        state_root=h("state after 6"), proposer=1).SerializeToString()
    block_hash = crypto.sha256(header)
    view, height = 1, 7
    state_root = h("state after 7")

    def vote(kind, name):
        pre = crypto.vote_preimage(kind, CHAIN_ID, view, height, block_hash)
        return {"kind": kind, "name": name, "view": view, "height": height,
                "block_hash": block_hash.hex(), "preimage": pre.hex(),
                "digest": crypto.tagged_hash(crypto.VOTE_TAG, pre).hex()}

    commit_digest = crypto.vote_digest(crypto.VOTE_COMMIT, CHAIN_ID, view, height, block_hash)
    votes = []
    for i in (0, 2, 3):
        aux = aux_for(commit_digest)
        votes.append({"validator": i, "aux": aux.hex(),
                      "signature": validators[i].sign(commit_digest, aux).hex()})
    certificate = types_pb2.CommitCertificate(
        height=height, view=view, block_hash=block_hash,
        votes=[types_pb2.CommitVote(validator=v["validator"], signature=bytes.fromhex(v["signature"]))
               for v in votes])
    block = types_pb2.Block(header=header, transactions=[transfer_tx.SerializeToString()],
                            certificate=certificate)

    cp_pre = crypto.checkpoint_preimage(CHAIN_ID, height, block_hash, state_root)
    payload = consensus_pb2.Message(commit=consensus_pb2.Commit(
        view=view, height=height, block_hash=block_hash,
        signature=bytes.fromhex(votes[0]["signature"]))).SerializeToString()
    env_digest = crypto.envelope_digest(CHAIN_ID, payload)
    env_aux = aux_for(env_digest)
    epoch = 3
    epoch_digest = crypto.envelope_digest(CHAIN_ID, payload, epoch)
    epoch_aux = aux_for(epoch_digest)
    set_keys = [v.public_key for v in validators]

    raws = [bytes(20), bytes(range(20)), alice.address, b"\xff" * 20]
    good = [{"raw": r.hex(), "text": crypto.format_address(r), "legacy": "sc" + r.hex()}
            for r in raws]
    sample = good[2]["text"]
    swapped = sample[:10] + sample[11] + sample[10] + sample[12:]
    bad = [
        {"text": sample[:20] + ("q" if sample[20] != "q" else "p") + sample[21:],
         "error": "checksum does not match"},
        {"text": swapped, "error": "checksum does not match"},
        {"text": sample[:-1], "error": "it has 40 characters"},
        {"text": sample[:15] + "b" + sample[16:], "error": "is never used in addresses"},
        {"text": sample[:8] + sample[8:].upper(), "error": "mixes upper- and lower-case"},
        {"text": "bc1" + sample[3:], "error": "addresses start with 'sc1'"},
        {"text": alice.address.hex(), "error": "addresses start with 'sc1'"},
    ]
    assert swapped != sample

    out = {
        "about": ("ShareChain signing test vectors; the rules are in docs/crypto.md, section "
                  "'Test vectors'. Hex strings are raw bytes; addresses are bech32m text "
                  "('sc1...', section 'addresses'). Every signature is BIP340 with aux = SHA-256(digest) and reproduces "
                  "byte for byte; signers that use random aux (nodes, the wallet) make other "
                  "valid signatures, so a check of such a signature verifies it instead. "
                  "Written by sdk/python/make_test_vectors.py; checked by "
                  "tests/proto/test_vectors_test.cpp and sdk/python/tests/test_unit.py."),
        "tagged_hash": "SHA-256(SHA-256(tag) || SHA-256(tag) || bytes)",
        "addresses": {
            "rule": ("bech32m (BIP 350) with human-readable part 'sc': 'sc1', then the 20 bytes "
                     "as 32 five-bit groups, most significant bit first, then 6 checksum "
                     "characters; 41 characters, one case. The legacy form 'sc' + 40 hex digits "
                     "is read, never written."),
            "valid": good,
            "invalid": bad,
        },
        "transactions": {
            "tag": "sharechain/tx",
            "tx_hash": "SHA-256(body)",
            "digest": "tagged_hash(\"sharechain/tx\", body)",
            "address": "first 20 bytes of SHA-256(public_key)",
            "vectors": txs,
        },
        "asset_consent": {
            "tag": "sharechain/asset-consent",
            "digest": "tagged_hash(\"sharechain/asset-consent\", chain_id || 0x00 || spec)",
            **consent,
        },
        "consensus": {
            "chain_id": CHAIN_ID,
            "validators": [key_json(v) for v in validators],
            "block": {"header": header.hex(), "hash": block_hash.hex(),
                      "tx_root": crypto.merkle_root([crypto.sha256(transfer_tx.body)]).hex(),
                      "transactions": [transfer_tx.SerializeToString().hex()],
                      "serialized": block.SerializeToString().hex()},
            "vote_tag": "sharechain/consensus/vote",
            "vote_rule": ("tagged_hash(\"sharechain/consensus/vote\", kind(1 byte: 1 prepare, "
                          "2 commit, 3 checkpoint) || be32(len(chain_id)) || chain_id || body); "
                          "body = be64(view) || be64(height) || block_hash for prepare and "
                          "commit, be64(height) || block_hash || state_root for checkpoint"),
            "prepare": vote(crypto.VOTE_PREPARE, "prepare"),
            "commit": vote(crypto.VOTE_COMMIT, "commit"),
            "checkpoint": {"kind": crypto.VOTE_CHECKPOINT, "height": height,
                           "block_hash": block_hash.hex(), "state_root": state_root.hex(),
                           "preimage": cp_pre.hex(),
                           "digest": crypto.tagged_hash(crypto.VOTE_TAG, cp_pre).hex()},
            "commit_certificate": {"height": height, "view": view,
                                   "block_hash": block_hash.hex(),
                                   "digest": commit_digest.hex(), "votes": votes,
                                   "serialized": certificate.SerializeToString().hex()},
            "envelope_tag": "sharechain/consensus",
            "envelope_rule": ("tagged_hash(\"sharechain/consensus\", be32(len(chain_id)) || "
                              "chain_id || payload), payload = the Envelope's bytes as sent"),
            "envelope": {"validator": 0, "payload": payload.hex(),
                         "preimage": crypto.envelope_preimage(CHAIN_ID, payload).hex(),
                         "digest": env_digest.hex(), "aux": env_aux.hex(),
                         "signature": validators[0].sign(env_digest, env_aux).hex()},
            "epoch_envelope_tag": "sharechain/consensus/epoch",
            "epoch_envelope_rule": ("above epoch 0: tagged_hash(\"sharechain/consensus/epoch\", "
                                    "be64(epoch) || be32(len(chain_id)) || chain_id || payload)"),
            "epoch_envelope": {"validator": 0, "epoch": epoch, "payload": payload.hex(),
                               "preimage": crypto.envelope_preimage(CHAIN_ID, payload, epoch).hex(),
                               "digest": epoch_digest.hex(), "aux": epoch_aux.hex(),
                               "signature": validators[0].sign(epoch_digest, epoch_aux).hex()},
            "validator_set_tag": "sharechain/validator-set",
            "validator_set_rule": ("tagged_hash(\"sharechain/validator-set\", be32(n) || key_0 || "
                                   "... || key_{n-1}), x-only keys in validator-index order"),
            "validator_set": {"public_keys": [k.hex() for k in set_keys],
                              "preimage": crypto.validator_set_preimage(set_keys).hex(),
                              "hash": crypto.validator_set_hash(set_keys).hex()},
        },
        "state_tree": state_tree_vectors(),
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=2)
        f.write("\n")
    print(os.path.abspath(args.out))


if __name__ == "__main__":
    main()
