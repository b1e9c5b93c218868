#!/usr/bin/env bash
# The main job at this stage: fp32 inference of the bundled reference model on
# the whole Fashion-MNIST test set, printing accuracy and throughput.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
data=/usr/share/datasets/fashion-mnist
for model in seed_cnn resnet_small; do
  echo "== $model"
  "$build"/client/fixpoint eval --model "models/$model.onnx" \
    --dataset "$data/t10k-images-idx3-ubyte.gz" --labels "$data/t10k-labels-idx1-ubyte.gz" \
    --batch 64
done
