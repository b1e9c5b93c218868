#!/usr/bin/env bash
# The two commands of the README's quick start.
#   ./fixpoint.sh demo   install what is missing, build, run the main job
#   ./fixpoint.sh test   install what is missing, build, run the whole test suite
set -euo pipefail
cd "$(dirname "$0")"
BUILD_DIR=${BUILD_DIR:-build}

build() {
  tools/install_deps.sh
  local werror=OFF
  [[ "${CI:-}" == "true" ]] && werror=ON
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFP_WERROR=$werror >/dev/null
  cmake --build "$BUILD_DIR" -j "$(nproc)"
}

case "${1:-}" in
  demo)
    build
    exec tools/demo.sh "$BUILD_DIR"
    ;;
  test)
    build
    # Tests run two at a time on two cores: spinning OpenMP workers would
    # starve each other.
    export OMP_WAIT_POLICY=PASSIVE
    status=0
    "$BUILD_DIR"/tests/conformance/fp_conformance \
      --expected tests/conformance/expected_pass.txt || status=1
    (cd "$BUILD_DIR" && ctest --output-on-failure -j "$(nproc)" --timeout 600) || status=1
    exit $status
    ;;
  *)
    echo "usage: $0 demo|test" >&2
    exit 2
    ;;
esac
