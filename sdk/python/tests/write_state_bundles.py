#!/usr/bin/python3
"""Writes bundles of the unit tests' hand-built chain with a state tree (test_unit.state_page_cases),
with their genesis files, into OUT_DIR, and prints the cases the explorer's verify page test
checks them by, as a JSON array of {"name", "bundle", "genesis", "outcome", "reason": [TEXT]}:
state bundles of a present and an absent key, a vehicle report with its vehicle_state, and
bundles changed in one place (a sibling, the value, a record left out of the report, a genesis
file that names no state tree) with the reason each is refused for (docs/proofs.md, "State
proofs").

Usage: write_state_bundles.py OUT_DIR   (SHARECHAIN_STUBS as for the unit tests)
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_unit import state_page_cases  # noqa: E402

if __name__ == "__main__":
    if len(sys.argv) != 2 or not os.path.isdir(sys.argv[1]):
        sys.exit(__doc__.strip().splitlines()[-1])
    json.dump(state_page_cases(sys.argv[1]), sys.stdout, indent=2)
    print()
