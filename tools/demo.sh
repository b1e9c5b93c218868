#!/usr/bin/env bash
# The main job, as a user runs it: start fixpointd on its embedded defaults
# (a fresh store directory, SQLite metadata, no other process), upload the
# bundled seed_cnn and Fashion-MNIST calibration / evaluation sets through the
# real client, quantize asynchronously while watching the job, serve both
# versions, and print a float-vs-int8 table (accuracy, drop, agreement and
# images/s through gRPC with dynamic batching) plus the accuracy lines of
# /metrics. Usage: tools/demo.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
data=/usr/share/datasets/fashion-mnist
work=$(mktemp -d /tmp/fixpoint-demo.XXXXXX)
store=$work/store
cli=("$build"/client/fixpoint)

"$build"/server/fixpointd --store "$store" --listen 127.0.0.1:0 --metrics_listen 127.0.0.1:0 \
  --port_file "$work/ports" 2>"$work/fixpointd.log" &
server_pid=$!
trap 'kill -9 $server_pid 2>/dev/null || true' EXIT
for _ in $(seq 300); do [[ -s $work/ports ]] && break; sleep 0.1; done
[[ -s $work/ports ]] || { echo "fixpointd did not start; see $work/fixpointd.log" >&2; exit 1; }
read -r grpc_port metrics_port <"$work/ports"
addr=127.0.0.1:$grpc_port
echo "== fixpointd listening on $addr (metrics :$metrics_port), store $store"

echo "== upload the float model and the datasets"
"${cli[@]}" models upload --server "$addr" --name seed_cnn --model models/seed_cnn.onnx
"${cli[@]}" datasets upload --server "$addr" --name fashion-train \
  --dataset "$data/train-images-idx3-ubyte.gz" --labels "$data/train-labels-idx1-ubyte.gz"
"${cli[@]}" datasets upload --server "$addr" --name fashion-test \
  --dataset "$data/t10k-images-idx3-ubyte.gz" --labels "$data/t10k-labels-idx1-ubyte.gz"

echo "== quantize: MSE calibration on 1000 training images, evaluated on the 10,000 test images"
"${cli[@]}" quantize --server "$addr" --model seed_cnn --calib fashion-train --calib_size 1000 \
  --method mse --eval fashion-test --label production --wait

echo "== serve both versions: closed-loop load through gRPC (one image per request)"
for _ in $(seq 300); do
  "${cli[@]}" status --server "$addr" --json 2>/dev/null | grep -q '"READY"' && break
  sleep 0.1
done
"$build"/bench/fp_grpc_load --server "$addr" --model seed_cnn --versions 1,2 \
  --concurrency 64 --seconds 3 --store "$store" --json >"$work/load.jsonl"

num() { grep -o "\"$1\": *[-0-9.e]*" | head -1 | sed 's/.*: *//'; }
report=$("${cli[@]}" report --server "$addr" --model seed_cnn --version 2 --json)
fp32=$(num fp32_top1 <<<"$report")
int8=$(num int8_top1 <<<"$report")
agree=$(num top1_agreement <<<"$report")
ips1=$(grep '"version":"1"' "$work/load.jsonl" | num images_per_s)
ips2=$(grep '"version":"2"' "$work/load.jsonl" | num images_per_s)
echo
echo "seed_cnn on Fashion-MNIST test (10,000 images), served by fixpointd"
awk -v f="$fp32" -v i="$int8" -v a="$agree" -v s1="$ips1" -v s2="$ips2" 'BEGIN {
  printf "%-10s %-8s %10s %12s %12s %16s\n", "version", "precision", "top-1 %", "drop (pts)", "agreement %", "images/s (gRPC)"
  printf "%-10s %-8s %10.2f %12s %12s %16.0f\n", "1", "fp32", 100*f, "-", "-", s1
  printf "%-10s %-8s %10.2f %12.2f %12.2f %16.0f\n", "2", "int8", 100*i, 100*(f-i), 100*a, s2
}'

echo
echo "== /metrics (accuracy lines)"
exec 3<>"/dev/tcp/127.0.0.1/$metrics_port"
printf 'GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
grep -E '^fixpoint_model_(accuracy|accuracy_drop|top1_agreement)\{' <&3 || true
exec 3<&-

kill -TERM "$server_pid"
wait "$server_pid" || true
trap - EXIT
echo "== fixpointd drained and stopped; store kept at $store"
