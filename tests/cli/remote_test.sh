#!/usr/bin/env bash
# End to end through the command line against the real fixpointd (started on
# 127.0.0.1 with free ports and a bearer token): every remote subcommand of
# `fixpoint` once, with the exit codes the usage text promises — 0 ok, 1 the
# server said no, 2 bad usage, 3 unreachable, 4 a watched job was cancelled.
# Needs only bash, coreutils and gzip (no python3).
# Usage: $0 <build dir>.
set -euo pipefail
build="$1"
src="$(cd "$(dirname "$0")/../.." && pwd)"
data=/usr/share/datasets/fashion-mnist
tmp="$(mktemp -d)"
server_pid=""
cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

echo "t0ken-$$" > "$tmp/token"
"$build/server/fixpointd" --store "$tmp/store" --listen 127.0.0.1:0 --metrics_listen "" \
  --port_file "$tmp/ports" --auth_token_file "$tmp/token" --job_workers 1 \
  2> "$tmp/server.log" &
server_pid=$!
for _ in $(seq 120); do [[ -s "$tmp/ports" ]] && break; sleep 0.5; done
[[ -s "$tmp/ports" ]] || { cat "$tmp/server.log"; echo "fixpointd did not start"; exit 1; }
port=$(cut -d' ' -f1 "$tmp/ports")

fp() { "$build/client/fixpoint" "$@" --server "127.0.0.1:$port" --token_file "$tmp/token"; }
# expect CODE CMD...: runs CMD, fails unless it exits with CODE; its stdout is in $out.
expect() {
  local want="$1"; shift
  set +e; out=$("$@" 2> "$tmp/stderr"); local got=$?; set -e
  if [[ "$got" != "$want" ]]; then
    echo "FAILED (exit $got, want $want): $*"; echo "$out"; cat "$tmp/stderr"
    echo "--- server log"; tail -20 "$tmp/server.log"; exit 1
  fi
}
has() { grep -q -- "$1" <<<"$out" || { echo "FAILED: no '$1' in:"; echo "$out"; exit 1; }; }

# Usage errors (2), an unreachable server (3), a missing token (1).
expect 2 "$build/client/fixpoint" models
expect 2 "$build/client/fixpoint" models list --no_such_flag
expect 2 "$build/client/fixpoint" infer --model m --input "$tmp/missing.png"
expect 3 "$build/client/fixpoint" status --server 127.0.0.1:1 --timeout_s 5
expect 1 "$build/client/fixpoint" models list --server "127.0.0.1:$port"
grep -q UNAUTHENTICATED "$tmp/stderr"

expect 0 fp status
has "live yes, ready yes"
expect 0 fp models upload --name seed_cnn --model "$src/models/seed_cnn.onnx"
has "seed_cnn version 1"
expect 0 fp datasets upload --name fashion-train --dataset "$data/train-images-idx3-ubyte.gz"
has "60000 of 1x28x28"
expect 0 fp datasets upload --name fashion-test --dataset "$data/t10k-images-idx3-ubyte.gz" \
  --labels "$data/t10k-labels-idx1-ubyte.gz"
has "labelled"
expect 0 fp datasets list
has fashion-train

# A job watched to the end, its report, a label.
expect 0 fp quantize --model seed_cnn --calib fashion-train --calib_size 200 --method minmax \
  --eval fashion-test --label candidate --wait --json
has '"state":"JOB_STATE_SUCCEEDED"'
has '"fp32_top1":'
has '"result_version":"2"'
job=$(grep -o '"id":"[^"]*"' <<<"$out" | head -1 | cut -d'"' -f4)
expect 0 fp jobs watch --id "$job"
expect 0 fp jobs list --state succeeded
has "$job"
expect 0 fp report --model seed_cnn --version candidate
has "per-layer error vs float"
grep -Eq '^tensor +type +scale +zp +fix_pos' <<<"$out" || { echo "no tensor table"; exit 1; }
expect 0 fp models label --name seed_cnn --version 2 --label production
expect 0 fp models show --name seed_cnn
has "candidate,production"

# Inference on the first Fashion-MNIST test image (label 9, ankle boot) as
# .npy and as a labelled CSV row; a new version loads asynchronously.
pixels="$tmp/pixels.bin"
(set +o pipefail; gunzip -c "$data/t10k-images-idx3-ubyte.gz" | head -c 800) > "$tmp/head.bin"
dd if="$tmp/head.bin" of="$pixels" bs=1 skip=16 count=784 status=none
dict="{'descr': '|u1', 'fortran_order': False, 'shape': (28, 28), }"
while (( (10 + ${#dict} + 1) % 64 )); do dict+=" "; done
{ printf '\x93NUMPY\x01\x00'; printf "\\x$(printf %02x $(( ${#dict} + 1 )))\\x00"
  printf '%s\n' "$dict"; cat "$pixels"; } > "$tmp/image.npy"
{ printf '9,'; od -An -tu1 -v -w784 "$pixels" | sed -e 's/^ *//' -e 's/  */,/g'; } > "$tmp/rows.csv"
for _ in $(seq 60); do
  set +e; fp infer --model seed_cnn --version production --input "$tmp/image.npy" --json \
    > "$tmp/infer.json" 2> /dev/null; rc=$?; set -e
  [[ $rc == 0 ]] && break; sleep 0.5
done
out=$(cat "$tmp/infer.json")
has '"top":\[{"class":9,'
expect 0 fp infer --model seed_cnn --version production --input "$tmp/rows.csv" --top_k 3
has "image 0 (label 9)"

# A queued job cancelled and watched: 4. The running one is cancelled too.
expect 0 fp quantize --model seed_cnn --version 1 --calib fashion-train --calib_size 0 \
  --method entropy --json
first=$(grep -o '"id":"[^"]*"' <<<"$out" | head -1 | cut -d'"' -f4)
expect 0 fp quantize --model seed_cnn --version 1 --calib fashion-train --method mse --json
second=$(grep -o '"id":"[^"]*"' <<<"$out" | head -1 | cut -d'"' -f4)
expect 0 fp jobs cancel --id "$second"
expect 4 fp jobs watch --id "$second"
has "cancelled"
expect 0 fp jobs cancel --id "$first"
expect 4 fp jobs watch --id "$first"

# Server-side refusals are 1.
expect 1 fp quantize --model seed_cnn --calib fashion-train --method no-such-method
expect 1 fp report --model no_such_model --version 1
expect 0 fp models delete --name seed_cnn --version 1
expect 1 fp models delete --name seed_cnn --version 1
grep -q NOT_FOUND "$tmp/stderr"
echo "cli remote commands: ok"
