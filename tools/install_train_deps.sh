#!/usr/bin/env bash
# Installs (from Debian apt) what tools/train_reference.py needs to train the
# reference models. Idempotent: does nothing when every package is present.
# Only needed to regenerate models/; tests and CI never need PyTorch.
set -euo pipefail

PKGS=(python3-torch python3-onnx python3-numpy dataset-fashion-mnist libopenblas0-openmp)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg -s "$p" >/dev/null 2>&1; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install_train_deps: all packages already installed: ${PKGS[*]}"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

echo "install_train_deps: installing ${missing[*]}"
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
