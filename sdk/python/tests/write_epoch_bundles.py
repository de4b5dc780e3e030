#!/usr/bin/python3
"""Writes bundles of the unit tests' hand-built chain that switches its validator set twice
(test_unit.epoch_page_cases), with their genesis file, into OUT_DIR, and prints the cases the
explorer's verify page test (tests/explorer/verify_page_test.sh) checks them by, as a JSON
array of {"name", "bundle", "genesis", "outcome", "reason": [TEXT]}. A live one-node cluster
never switches sets, so these come from the same chain the Python verifier is tested on.

Usage: write_epoch_bundles.py OUT_DIR   (SHARECHAIN_STUBS as for the unit tests)
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_unit import epoch_page_cases  # noqa: E402

if __name__ == "__main__":
    if len(sys.argv) != 2 or not os.path.isdir(sys.argv[1]):
        sys.exit(__doc__.strip().splitlines()[-1])
    json.dump(epoch_page_cases(sys.argv[1]), sys.stdout, indent=2)
    print()
