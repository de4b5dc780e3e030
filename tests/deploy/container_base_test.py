#!/usr/bin/env python3
"""The container image builds without a registry: every FROM of deploy/container/Dockerfile is a
build argument (BASE, RUNTIME_BASE) with Debian 12 as its default, and
deploy/container/build-image.sh makes that base with mmdebstrap, imports it and passes it as
both; the build stage installs the build packages only. Bad arguments to the script are usage
errors (exit 2) that build nothing. (The build itself takes a quarter of an hour on two cores:
docs/operations.md records one.)
Usage: container_base_test.py SOURCE_DIR
"""
import re
import subprocess
import sys

SOURCE = sys.argv[1]
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)


dockerfile = open(f"{SOURCE}/deploy/container/Dockerfile").read()
froms = re.findall(r"^FROM\s+(\S+)", dockerfile, re.M)
check(froms == ["${BASE}", "${RUNTIME_BASE}"], f"FROM lines are {froms}, not the two build arguments")
args = dict(re.findall(r"^ARG\s+(\w+)=(\S+)", dockerfile, re.M))
check(args.get("BASE") == "debian:12", f"ARG BASE defaults to {args.get('BASE')}")
check(args.get("RUNTIME_BASE") == "debian:12-slim", f"ARG RUNTIME_BASE defaults to {args.get('RUNTIME_BASE')}")
first_from = dockerfile.index("\nFROM ")
check(all(dockerfile.index(f"ARG {a}=") < first_from for a in ("BASE", "RUNTIME_BASE")),
      "the ARGs must come before the first FROM to be usable in FROM lines")
check("scripts/install-deps.sh --build-only" in dockerfile, "the build stage does not use install-deps.sh --build-only")

script = open(f"{SOURCE}/deploy/container/build-image.sh").read()
check("mmdebstrap" in script and "import" in script, "build-image.sh does not make and import a base")
check('--build-arg BASE="$base"' in script and '--build-arg RUNTIME_BASE="$base"' in script,
      "build-image.sh does not pass its base as both build arguments")

for bad in (["--engine", "lxc"], ["--frobnicate"]):
    r = subprocess.run(["bash", f"{SOURCE}/deploy/container/build-image.sh", *bad, "--no-install"],
                       capture_output=True, text=True, timeout=20)
    check(r.returncode == 2, f"build-image.sh {' '.join(bad)} exited {r.returncode}, not 2: {r.stderr}")

r = subprocess.run(["bash", f"{SOURCE}/scripts/install-deps.sh", "--frobnicate"], capture_output=True, text=True, timeout=20)
check(r.returncode == 2 and "--build-only" in r.stderr, f"install-deps.sh --frobnicate: {r.returncode} {r.stderr}")

if failures:
    for f in failures:
        print("FAILED:", f)
    sys.exit(1)
print("container base: FROM lines are build arguments, build-image.sh makes and passes the base")
