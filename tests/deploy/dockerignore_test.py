#!/usr/bin/env python3
"""The repository's .dockerignore keeps build trees, local clusters, keys, passphrases and git
history out of a container build's context, and keeps every tracked source in it.

Patterns are matched the way Docker reads them: relative to the context, `*` and `?` within
one path element, `**` across any number of them, a pattern that matches a folder excludes
everything under it, and a later `!pattern` takes a path back.
Usage: dockerignore_test.py SOURCE_DIR
"""
import os
import re
import subprocess
import sys

SOURCE = sys.argv[1]


def to_regex(pattern):
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(out + "(?:/.*)?$")


rules = []
for line in open(os.path.join(SOURCE, ".dockerignore")):
    line = line.strip()
    if not line or line.startswith("#"):
        continue
    negate = line.startswith("!")
    pattern = os.path.normpath(line.lstrip("!")).lstrip("/")
    rules.append((negate, to_regex(pattern)))


def excluded(path):
    result = False
    for negate, regex in rules:
        if regex.match(path):
            result = not negate
    return result


must_exclude = [
    "build/node/sharechaind", "build-fuzz/fuzz-work/crash-1", "build-asan/CMakeCache.txt",
    "localnet/node0/node_key.json", "localnet/passphrase", "localnet/keystore/user1",
    "tmp/cluster/node2/node_key.json", "tmp/cluster/passphrase", "tmp/cluster/keystore/operator",
    "tmp/cluster/node1/tls/node.key", "tmp/cluster/tls/ca.key", ".git/HEAD", ".cache/clangd/index",
]
bad = [p for p in must_exclude if not excluded(p)]
tracked = subprocess.run(["git", "-C", SOURCE, "ls-files"], capture_output=True, text=True, check=True).stdout.split()
needed = [p for p in tracked if not p.startswith("tests/fuzz/corpus/")]
bad += [f"{p} (a tracked source) is excluded" for p in needed if excluded(p)]
for p in ("CMakeLists.txt", "node/main.cpp", "tools/common/keystore.cpp", "scripts/install-deps.sh"):
    if p not in tracked:
        bad.append(f"{p} is not tracked; the test's list of sources is stale")
for p in bad:
    print("FAIL:", p if " " in p else p + " is not excluded")
print(f"{len(must_exclude)} paths that must stay out, {len(needed)} tracked files that must stay in")
sys.exit(1 if bad else 0)
