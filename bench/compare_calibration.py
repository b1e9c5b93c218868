#!/usr/bin/python3
"""Calibration time, fixpoint vs PyTorch's HistogramObserver PTQ, on the same images.

Each repetition runs bench/torch_ptq.py (onednn engine; observe = the timed calibration
forward passes, convert = torch.ao.quantization.convert, where HistogramObserver searches
its ranges and the weights are quantized), then `fixpoint quantize --json` for each
model, calibration size and configuration (its calib_seconds: statistics pass, range
search, weight quantization and the QDQ rewrite, and bias correction). Prints the median seconds and the median over repetitions of
the per-repetition ratio PyTorch (observe + convert) / fixpoint; the issue's aim is >= 3.

    /usr/bin/python3 bench/compare_calibration.py --reps 3

Run it on a quiet machine: both sides slow down under load, by different amounts.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"
CONFIGS = [("minmax", "off"), ("mse", "off"), ("mse", "auto")]


def torch_seconds(models, sizes, workdir):
    """{(model, n): (observe_s, convert_s)} from one torch_ptq.py run."""
    out = os.path.join(workdir, "torch.json")
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "torch_ptq.py"), "--backends",
                    "onednn", "--seconds", "0.1", "--models", ",".join(models), "--calib-sizes",
                    ",".join(map(str, sizes)), "--json", out],
                   check=True, stdout=subprocess.DEVNULL)
    with open(out) as f:
        records = json.load(f)
    records = records["results"]
    return {(r["model"], n): (r["calib_seconds"][str(n)], r["convert_seconds"][str(n)])
            for r in records for n in sizes}


def fixpoint_seconds(binary, model, n, method, bias_correction, workdir):
    out = os.path.join(workdir, "artifact")
    shutil.rmtree(out, ignore_errors=True)
    run = subprocess.run([binary, "quantize", "--model", os.path.join(ROOT, "models", model + ".onnx"),
                          "--calib", DATA, "--calib_size", str(n), "--method", method,
                          "--bias_correction", bias_correction, "--json", "--out", out],
                         check=True, capture_output=True, text=True)
    return json.loads(run.stdout)["calib_seconds"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--models", default="seed_cnn,resnet_small")
    ap.add_argument("--sizes", default="100,1000,3200")
    ap.add_argument("--fixpoint", default=os.path.join(ROOT, "build", "client", "fixpoint"))
    ap.add_argument("--configs", default=",".join(f"{m}:{b}" for m, b in CONFIGS),
                    help="method:bias_correction pairs, e.g. entropy:off,mse:auto")
    args = ap.parse_args()
    configs = [tuple(c.split(":")) for c in args.configs.split(",")]
    models = args.models.split(",")
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"load average before: {os.getloadavg()[0]:.2f}", flush=True)
    torch_runs, fixpoint_runs = [], []
    with tempfile.TemporaryDirectory() as workdir:
        for rep in range(args.reps):
            torch_runs.append(torch_seconds(models, sizes, workdir))
            fixpoint_runs.append({(m, n, c): fixpoint_seconds(args.fixpoint, m, n, c[0], c[1], workdir)
                                  for m in models for n in sizes for c in configs})
            print(f"repetition {rep + 1} of {args.reps} done", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}\n")

    header = " | ".join(f"{n} s" for n in sizes)
    ratios = " / ".join(str(n) for n in sizes)
    print(f"| model | calibration | {header} | PyTorch (observe + convert) / it ({ratios}) |")
    print("|---|---|" + "---:|" * len(sizes) + "---:|")
    for m in models:
        observe = [statistics.median(r[(m, n)][0] for r in torch_runs) for n in sizes]
        total = [statistics.median(sum(r[(m, n)]) for r in torch_runs) for n in sizes]
        print(f"| {m} | PyTorch observe | " + " | ".join(f"{s:.3f}" for s in observe) + " | — |")
        print(f"| {m} | PyTorch observe + convert | " + " | ".join(f"{s:.3f}" for s in total) + " | — |")
        for c in configs:
            secs = [statistics.median(r[(m, n, c)] for r in fixpoint_runs) for n in sizes]
            ratio = [statistics.median(sum(t[(m, n)]) / f[(m, n, c)]
                                       for t, f in zip(torch_runs, fixpoint_runs)) for n in sizes]
            name = f"fixpoint {c[0]}, bias correction {c[1]}"
            print(f"| {m} | {name} | " + " | ".join(f"{s:.3f}" for s in secs) + " | " +
                  " / ".join(f"{r:.1f}×" for r in ratio) + " |")


if __name__ == "__main__":
    main()
