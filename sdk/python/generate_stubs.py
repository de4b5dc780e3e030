#!/usr/bin/env python3
"""Generates the Python protobuf and gRPC stubs of proto/sharechain/*.proto with Debian's
python3-grpc-tools, into a build folder (never into git).

    python3 sdk/python/generate_stubs.py [--proto DIR] [--out DIR]

Defaults: the repository's proto/ folder and sdk/python/build/stubs. The SDK finds the stubs
there, or wherever SHARECHAIN_STUBS points.
"""
import argparse
import glob
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--proto", default=os.path.join(HERE, "..", "..", "proto"))
    ap.add_argument("--out", default=os.environ.get("SHARECHAIN_STUBS",
                                                    os.path.join(HERE, "build", "stubs")))
    args = ap.parse_args()
    try:
        from grpc_tools import protoc
    except ImportError:
        sys.exit("grpc_tools is missing: apt-get install python3-grpc-tools "
                 "(and run this with /usr/bin/python3)")
    proto = os.path.abspath(args.proto)
    files = sorted(glob.glob(os.path.join(proto, "sharechain", "*.proto")))
    if not files:
        sys.exit(f"no .proto files under {proto}/sharechain")
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    rc = protoc.main(["protoc", "-I", proto, f"--python_out={out}", f"--grpc_python_out={out}"] +
                     [os.path.relpath(f, proto) for f in files])
    if rc != 0:
        sys.exit(f"protoc failed ({rc})")
    print(out)


if __name__ == "__main__":
    main()
