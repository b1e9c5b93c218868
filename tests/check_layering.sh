#!/usr/bin/env bash
# The layer rules of STYLE.md, checked mechanically: core/ includes no gRPC,
# generated service code or prometheus headers; oneDNN only in
# core/runtime/cpu/; libonnx protos only in core/io/.
set -u
cd "$(dirname "$0")/.."
status=0
bad=$(grep -rlE '#include *[<"](grpcpp|grpc/|prometheus/)|\.grpc\.pb\.h|fixpoint/v1/.*\.pb\.h' core)
[ -n "$bad" ] && { echo "core/ includes gRPC/prometheus/generated code: $bad"; status=1; }
bad=$(grep -rlE '#include *[<"](oneapi/dnnl|dnnl)' core | grep -v '^core/runtime/cpu/')
[ -n "$bad" ] && { echo "oneDNN included outside core/runtime/cpu/: $bad"; status=1; }
bad=$(grep -rlE '#include *[<"]onnx/' core | grep -v '^core/io/')
[ -n "$bad" ] && { echo "libonnx included outside core/io/: $bad"; status=1; }
[ $status -eq 0 ] && echo "layering: ok"
exit $status
