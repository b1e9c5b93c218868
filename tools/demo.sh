#!/usr/bin/env bash
# The main job at this stage (the service flow arrives with fixpointd): for
# each bundled reference model, fp32 accuracy and throughput on the whole
# Fashion-MNIST test set, then post-training int8 quantization (calibrated on
# 1,000 training images) into an artifact directory, with float vs int8
# top-1, the drop and the agreement, and the int8 throughput.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
data=/usr/share/datasets/fashion-mnist
test_set=(--dataset "$data/t10k-images-idx3-ubyte.gz" --labels "$data/t10k-labels-idx1-ubyte.gz")
artifacts=$(mktemp -d /tmp/fixpoint-demo.XXXXXX)
for model in seed_cnn resnet_small; do
  echo "== $model: fp32"
  "$build"/client/fixpoint eval --model "models/$model.onnx" "${test_set[@]}" --batch 64
  echo "== $model: int8 (MSE calibration on 1000 training images)"
  "$build"/client/fixpoint quantize --model "models/$model.onnx" \
    --calib "$data/train-images-idx3-ubyte.gz" --calib_size 1000 --method mse \
    --eval "$data/t10k-images-idx3-ubyte.gz" --eval_labels "$data/t10k-labels-idx1-ubyte.gz" \
    --out "$artifacts/$model"
  "$build"/client/fixpoint eval --model "$artifacts/$model/model.onnx" "${test_set[@]}" --batch 64 \
    | sed -n 's/^speed/int8 speed/p'
done
echo "artifacts (ONNX QDQ + manifest.json): $artifacts"
