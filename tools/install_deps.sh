#!/usr/bin/env bash
# Installs the Debian 12 packages fixpoint needs to build, test and run its
# benchmarks. Idempotent: installs only what is missing. Run as root.
#   tools/install_deps.sh          build + test + demo dependencies
#   tools/install_deps.sh --bench  also Node.js/npm for the ONNX Runtime peer
set -euo pipefail

packages=(
  cmake ninja-build g++ ccache pkg-config   # build
  libabsl-dev                               # absl::Status, flags, strings, Mutex
  libdnnl-dev                               # oneDNN 2.6: fp32/int8 CPU kernels
  libonnx-dev                               # ONNX protobuf definitions (onnx_proto)
  libprotobuf-dev protobuf-compiler         # ONNX protos; protoc for proto/tensorflow
  zlib1g-dev                                # gzip'd IDX datasets
  libssl-dev                                # SHA-256 of datasets and artifacts (libcrypto)
  nlohmann-json3-dev                        # manifest.json and --json output
  libgrpc++-dev protobuf-compiler-grpc      # fixpointd's gRPC API (callback API, reflection)
  prometheus-cpp-dev                        # /metrics exposition (fixpointd)
  libpng-dev                                # `fixpoint infer --input x.png` decodes PNG images
  python3-grpcio python3-protobuf           # client/python: the example Python client (gRPC runtime + messages)
  libsqlite3-dev                            # store and job metadata (embedded, no other process)
  libgtest-dev libgmock-dev libbenchmark-dev  # tests and micro-benchmarks
  dataset-fashion-mnist                     # reference data set (demo, accuracy tests)
  libonnx-testdata                          # ONNX backend conformance tests
)
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(nodejs npm)                    # onnxruntime-node, the peer we compare with
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if (( ${#missing[@]} )); then
  echo "install_deps: installing ${missing[*]}"
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
