#!/usr/bin/env bash
# End to end through the command line: `fixpoint quantize` (pof2 min-diffs,
# 200 calibration images, evaluation on the Fashion-MNIST test set) writes an
# artifact whose --json summary has the documented keys and sane values;
# `fixpoint report` prints its fix_pos table; a second quantize onto the same
# directory is refused (artifacts are immutable); the DNNDK frozen GraphDef
# quantizes with vai_q_tensorflow's node names (input in [0,1] -> fix_pos 7).
# Usage: $0 <build dir>.
set -euo pipefail
build="$1"
src="$(cd "$(dirname "$0")/../.." && pwd)"
data=/usr/share/datasets/fashion-mnist
out="$(mktemp -d)/artifact"
trap 'rm -rf "$(dirname "$out")"' EXIT

json=$("$build/client/fixpoint" quantize --model "$src/models/seed_cnn.onnx" \
  --calib "$data/train-images-idx3-ubyte.gz" --calib_size 200 --method pof2-mindiffs \
  --eval "$data/t10k-images-idx3-ubyte.gz" --eval_labels "$data/t10k-labels-idx1-ubyte.gz" \
  --out "$out" --json)
echo "$json"
for key in fp32_top1 int8_top1 top1_drop_pp top1_agreement calib_images calib_seconds method; do
  grep -q "\"$key\":" <<<"$json" || { echo "missing key $key"; exit 1; }
done
grep -q '"calib_images":200' <<<"$json" || { echo "wrong calib_images"; exit 1; }
grep -q '"method":"pof2-mindiffs"' <<<"$json" || { echo "wrong method"; exit 1; }
# int8 within 1 point of fp32 even on 200 images (measured drop ~0.1); plain
# shell + awk, so the test needs nothing beyond Debian's base system.
num() { grep -o "\"$1\":-\?[0-9.e-]*" <<<"$json" | cut -d: -f2; }
awk -v d="$(num top1_drop_pp)" -v a="$(num top1_agreement)" \
  'BEGIN { if (d < -1 || d > 1 || a <= 0.98) { print "drop " d ", agreement " a; exit 1 } }'
report=$("$build/client/fixpoint" report --artifact "$out")
echo "$report"
grep -q "fix_pos" <<<"$report"
# Every tensor row of a pof2 artifact carries an integer fix_pos.
# The first table (up to the blank line before the per-layer table).
rows=$(awk '/^tensor/{t=1;next} t&&!NF{exit} t' <<<"$report" | wc -l)
with_pos=$(awk '/^tensor/{t=1;next} t&&!NF{exit} t&&$5~/^-?[0-9]+$/' <<<"$report" | wc -l)
grep -q "per-layer error vs float" <<<"$report" || { echo "no per-layer report"; exit 1; }
[[ "$rows" -gt 0 && "$rows" -eq "$with_pos" ]] || { echo "fix_pos missing ($with_pos/$rows)"; exit 1; }
if "$build/client/fixpoint" quantize --model "$src/models/seed_cnn.onnx" \
    --calib "$data/train-images-idx3-ubyte.gz" --calib_size 50 --out "$out" 2>"$(dirname "$out")/err.txt"; then
  echo "overwrote an existing artifact"; exit 1
fi
grep -q "exists" "$(dirname "$out")/err.txt"
# The Vitis AI flow's frozen graph with vai_q_tensorflow's node names.
pb="$src/../shared/fixtures/tf/dnndk_mnist_frozen_graph.pb"
if [[ -f "$pb" ]]; then
  "$build/client/fixpoint" quantize --model "$pb" --input_nodes images_in --input_shapes '?,28,28,1' \
    --output_nodes dense_1/BiasAdd --method pof2-mindiffs --calib "$data/train-images-idx3-ubyte.gz" \
    --calib_size 50 --preprocess layout=nhwc,scale=0.0039215686,shape=1x28x28 \
    --out "$(dirname "$out")/dnndk" --json
  tf_report=$("$build/client/fixpoint" report --artifact "$(dirname "$out")/dnndk")
  echo "$tf_report"
  grep -Eq '^images_in +i8 +0.0078125 +0 +7 ' <<<"$tf_report" || { echo "images_in fix_pos"; exit 1; }
fi
echo "cli quantize/report: ok"
