#!/usr/bin/env bash
# Generates the Python messages and gRPC stubs of fixpoint's API (the
# fixpoint.v1 management services and KServe v2 inference) from proto/ into
# OUT_DIR (default: <repo>/build/python, which git ignores). Generated code
# is never committed; fixpoint_client.py runs this on first import.
# Needs Debian's protobuf-compiler and protobuf-compiler-grpc
# (grpc_python_plugin); the stubs run on python3-grpcio + python3-protobuf.
# Usage: client/python/generate.sh [OUT_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${1:-$root/build/python}"
plugin="$(command -v grpc_python_plugin || echo /usr/bin/grpc_python_plugin)"
mkdir -p "$out"
protoc -I"$root/proto" -I/usr/include \
  --python_out="$out" --grpc_out="$out" --plugin=protoc-gen-grpc="$plugin" \
  "$root"/proto/fixpoint/v1/*.proto "$root"/proto/inference/grpc_service.proto
echo "$out"
