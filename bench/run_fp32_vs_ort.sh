#!/usr/bin/env bash
# Installs the peer (onnxruntime-node from npm; its install script would try to
# fetch GPU libraries, so it is skipped), builds, and prints the fp32 table.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install_deps.sh --bench
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build --target fp_bench_infer
(cd bench && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --silent)
node bench/compare_fp32.js "$@"
