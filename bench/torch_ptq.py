#!/usr/bin/python3
"""PyTorch eager-mode post-training static int8 quantization of fixpoint's reference models.

The peer that fixpoint's int8 pipeline is compared with. For each model in models/:

1. rebuild the float PyTorch module (definitions from tools/train_reference.py) from the
   ONNX file's initializers and check it against models/<name>.fashion_test_probs.npy;
2. quantize it the standard torch.ao.quantization way: QuantStub/DeQuantStub, fused
   conv(+bn)(+relu) / linear+relu, FloatFunctional for the residual add,
   get_default_qconfig(backend) (HistogramObserver activations), calibrated on the first
   N Fashion-MNIST training images for each N of --calib-sizes (forward passes timed);
3. evaluate the model calibrated on 1000 images on the 10,000 test images: float and int8
   top-1 and their top-1 agreement;
4. measure images/s at batch 1 and 64, float and int8, with 2 threads.

Run with Debian's interpreter (python3-torch 1.13, python3-onnx, numpy):

    /usr/bin/python3 bench/torch_ptq.py --json /tmp/torch_ptq.json
"""

import argparse
import copy
import json
import os
import sys
import time

import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import numpy_helper
from torch.ao import quantization as tq
from torch.ao.nn.quantized import FloatFunctional

# libgomp (torch's OpenMP runtime) read OMP_WAIT_POLICY when torch loaded above. Importing
# tools/train_reference.py below sets it to PASSIVE in os.environ, too late to take effect:
# the benchmark runs with the caller's setting (see bench/TORCH_PTQ.md), recorded here.
OMP_WAIT_POLICY = os.environ.get("OMP_WAIT_POLICY", "unset")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # don't leave a __pycache__ behind in tools/
sys.path.insert(0, os.path.join(ROOT, "tools"))
import train_reference as ref  # noqa: E402  (model definitions and the IDX reader)

MODEL_FACTORIES = {"seed_cnn": ref.make_seed_cnn, "resnet_small": ref.make_resnet_small}
FLOAT_TOLERANCE = 1e-4   # max |Δprob| allowed between the rebuilt module and the .npy
EVAL_CALIB_SIZE = 1000   # the calibration size whose int8 model is evaluated
CALIB_BATCH = 100        # images per calibration forward pass
EVAL_BATCH = 1000        # images per forward pass when scoring the test set
BENCH_BATCHES = (1, 64)
WARMUP_SECONDS = 0.5     # untimed runs before each throughput measurement
THREADS = 2

# ONNX node type -> module attributes its initializer inputs (after the data input) map to
ONNX_PARAMS = {
    "Conv": ("weight", "bias"),
    "Gemm": ("weight", "bias"),
    "BatchNormalization": ("weight", "bias", "running_mean", "running_var"),
}

# Module sequences fuse_modules knows, longest first
FUSION_PATTERNS = (
    (nn.Conv2d, nn.BatchNorm2d, nn.ReLU),
    (nn.Conv2d, nn.BatchNorm2d),
    (nn.Conv2d, nn.ReLU),
    (nn.Linear, nn.ReLU),
)


# --------------------------------------------------------------------------- float model from ONNX

def module_path(node_name):
    """'/logits/logits.4/shortcut/shortcut.0/Conv' -> 'logits.4.shortcut.0'.

    The exporter names each scope after the module, Sequential children as 'parent.index',
    so the last dotted segment of each scope is the attribute name within its parent.
    """
    scopes = node_name.strip("/").split("/")[:-1]
    return ".".join(s.rsplit(".", 1)[-1] for s in scopes)


def assign(tensor, value, what):
    if tuple(tensor.shape) != tuple(value.shape):
        sys.exit(f"{what}: ONNX shape {tuple(value.shape)} != module shape {tuple(tensor.shape)}")
    with torch.no_grad():
        tensor.copy_(value)


def rebuild_float_model(name, onnx_path):
    """The train_reference module of `name` carrying the ONNX file's weights.

    A BatchNorm directly after a Conv is folded into that Conv by the exporter (eval mode,
    constant folding): such a Conv has a bias in ONNX but none in the module, and the
    BatchNorm has no ONNX node. The Conv then gets a bias and the BatchNorm becomes Identity.
    """
    model = MODEL_FACTORIES[name]().eval()
    graph = onnx.load(onnx_path).graph
    initializers = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in graph.initializer}
    modules = dict(model.named_modules())
    loaded = set()
    biases_added = 0
    for node in graph.node:
        if node.op_type not in ONNX_PARAMS:
            continue
        path = module_path(node.name)
        module = modules[path]
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        if node.op_type == "Gemm" and (attrs.get("transB") != 1 or attrs.get("transA", 0)
                                       or attrs.get("alpha", 1.0) != 1.0 or attrs.get("beta", 1.0) != 1.0):
            sys.exit(f"{name}: {node.name}: only Gemm with transB=1, alpha=beta=1 maps onto nn.Linear")
        if node.op_type == "BatchNormalization" and abs(attrs.get("epsilon", 1e-5) - module.eps) > 1e-9:
            sys.exit(f"{name}: {node.name}: epsilon {attrs['epsilon']} != module eps {module.eps}")
        if node.op_type == "Conv" and module.bias is None and len(node.input) == 3:
            module.bias = nn.Parameter(torch.empty(module.out_channels))
            biases_added += 1
        for attr, tensor_name in zip(ONNX_PARAMS[node.op_type], node.input[1:]):
            assign(getattr(module, attr), initializers[tensor_name], f"{name}: {path}.{attr}")
        loaded.add(path)

    folded = [p for p, m in modules.items() if isinstance(m, nn.BatchNorm2d) and p not in loaded]
    if len(folded) != biases_added:
        sys.exit(f"{name}: {len(folded)} BatchNorms missing from ONNX but {biases_added} Convs gained a bias")
    for path in folded:
        parent, _, child = path.rpartition(".")
        setattr(model.get_submodule(parent), child, nn.Identity())
    missing = [p for p, m in model.named_modules()
               if isinstance(m, (nn.Conv2d, nn.Linear, nn.BatchNorm2d)) and p not in loaded]
    if missing:
        sys.exit(f"{name}: no ONNX weights for {missing}")
    return model, len(folded)


@torch.no_grad()
def predict_probs(model, x):
    return torch.cat([model(x[i:i + EVAL_BATCH]) for i in range(0, x.shape[0], EVAL_BATCH)]).numpy()


# --------------------------------------------------------------------------- quantizable form

class QuantizableBasicBlock(nn.Module):
    """train_reference.BasicBlock with its functional ReLU and residual add as modules, so
    that conv1+relu can be fused and the add (with its ReLU) quantized. Children are
    registered in dataflow order, which fusion_groups() relies on."""

    def __init__(self, block):
        super().__init__()
        self.conv1 = block.conv1
        self.bn1 = block.bn1
        self.relu1 = nn.ReLU()
        self.conv2 = block.conv2
        self.bn2 = block.bn2
        self.shortcut = block.shortcut
        self.add_relu = FloatFunctional()

    def forward(self, x):
        out = self.relu1(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.add_relu.add_relu(out, self.shortcut(x))


class QuantizableModel(nn.Module):
    """QuantStub -> logits network -> DeQuantStub -> float Softmax."""

    def __init__(self, float_model):
        super().__init__()
        self.quant = tq.QuantStub()
        self.logits = copy.deepcopy(float_model.logits)
        for i, layer in enumerate(self.logits):
            if isinstance(layer, ref.BasicBlock):
                self.logits[i] = QuantizableBasicBlock(layer)
        self.dequant = tq.DeQuantStub()
        self.softmax = float_model.softmax

    def forward(self, x):
        return self.softmax(self.dequant(self.logits(self.quant(x))))


def fusion_groups(model):
    """Names of consecutive children matching FUSION_PATTERNS, in every container.

    Valid because every container here (Sequential, QuantizableBasicBlock) registers its
    children in dataflow order; Identity children (folded BatchNorms, identity shortcuts)
    pass data through unchanged and are skipped.
    """
    groups = []
    for prefix, container in model.named_modules():
        children = [(f"{prefix}.{n}" if prefix else n, m)
                    for n, m in container.named_children() if not isinstance(m, nn.Identity)]
        i = 0
        while i < len(children):
            for pattern in FUSION_PATTERNS:
                window = children[i:i + len(pattern)]
                if len(window) == len(pattern) and all(type(m) is t for (_, m), t in zip(window, pattern)):
                    groups.append([n for n, _ in window])
                    i += len(pattern)
                    break
            else:
                i += 1
    return groups


def calibrate(fused, backend, x_train, n):
    """Prepared copy of `fused` after observing the first n training images; seconds of
    the calibration forward passes alone."""
    model = copy.deepcopy(fused)
    model.qconfig = tq.get_default_qconfig(backend)
    tq.prepare(model, inplace=True)
    with torch.no_grad():
        start = time.perf_counter()
        for i in range(0, n, CALIB_BATCH):
            model(x_train[i:min(i + CALIB_BATCH, n)])
        seconds = time.perf_counter() - start
    return model, seconds


# --------------------------------------------------------------------------- throughput

@torch.no_grad()
def images_per_second(model, x, seconds):
    def run_for(duration):
        runs, start = 0, time.perf_counter()
        while True:
            model(x)
            runs += 1
            elapsed = time.perf_counter() - start
            if elapsed >= duration:
                return runs, elapsed

    run_for(WARMUP_SECONDS)
    runs, elapsed = run_for(seconds)
    return runs * x.shape[0] / elapsed


def throughput(model, x_test, seconds):
    return {b: images_per_second(model, x_test[:b], seconds) for b in BENCH_BATCHES}


# --------------------------------------------------------------------------- main

def bench_model(name, args, data, backends):
    x_train, x_test, y_test = data
    onnx_path = os.path.join(ROOT, "models", f"{name}.onnx")
    float_model, n_folded = rebuild_float_model(name, onnx_path)

    float_probs = predict_probs(float_model, x_test)
    reference = np.load(os.path.join(ROOT, "models", f"{name}.fashion_test_probs.npy"))
    float_diff = float(np.abs(float_probs - reference).max())
    print(f"[{name}] rebuilt from {os.path.relpath(onnx_path, ROOT)} ({n_folded} BatchNorms folded "
          f"in ONNX -> Identity); max |Δprob| vs .npy on {len(x_test)} test images: {float_diff:.2e}",
          flush=True)
    if not float_diff < FLOAT_TOLERANCE:
        sys.exit(f"[{name}] FAIL: rebuilt float model does not reproduce the ONNX model "
                 f"(max |Δprob| {float_diff:.3e} >= {FLOAT_TOLERANCE})")
    float_pred = float_probs.argmax(1)
    fp32_top1 = float((float_pred == y_test).mean())

    fused = QuantizableModel(float_model).eval()
    groups = fusion_groups(fused)
    tq.fuse_modules(fused, groups, inplace=True)
    print(f"[{name}] fused: {', '.join('+'.join(g) for g in groups)}", flush=True)
    fused_diff = float(np.abs(predict_probs(fused, x_test[:EVAL_BATCH]) - float_probs[:EVAL_BATCH]).max())
    if not fused_diff < FLOAT_TOLERANCE:
        sys.exit(f"[{name}] FAIL: fused float model differs from the rebuilt one (max |Δprob| {fused_diff:.3e})")

    fp32_ips = throughput(float_model, x_test, args.seconds)
    print(f"[{name}] fp32 top-1 {fp32_top1:.4f}, img/s " +
          ", ".join(f"b{b} {v:.0f}" for b, v in fp32_ips.items()), flush=True)

    eval_size = EVAL_CALIB_SIZE if EVAL_CALIB_SIZE in args.calib_sizes else max(args.calib_sizes)
    records = []
    for backend in backends:
        torch.backends.quantized.engine = backend
        calib_seconds, convert_seconds = {}, {}
        for n in args.calib_sizes:
            prepared, calib_seconds[n] = calibrate(fused, backend, x_train, n)
            # convert() is where the observers turn their histograms into ranges
            # (HistogramObserver's L2 search) and the weights are quantized.
            start = time.perf_counter()
            converted = tq.convert(prepared)
            convert_seconds[n] = time.perf_counter() - start
            print(f"[{name}/{backend}] calibration on {n} images: {calib_seconds[n]:.3f} s "
                  f"observing + {convert_seconds[n]:.3f} s convert", flush=True)
            if n == eval_size:
                int8_model = converted

        int8_pred = predict_probs(int8_model, x_test).argmax(1)
        int8_ips = throughput(int8_model, x_test, args.seconds)
        record = {
            "model": name,
            "backend": backend,
            "calib_seconds": {str(n): round(s, 3) for n, s in calib_seconds.items()},
            "convert_seconds": {str(n): round(s, 3) for n, s in convert_seconds.items()},
            "eval_calib_size": eval_size,
            "float_max_abs_diff": float_diff,
            "fp32_top1": fp32_top1,
            "int8_top1": float((int8_pred == y_test).mean()),
            "top1_agreement": float((int8_pred == float_pred).mean()),
            "fp32_ips_b1": round(fp32_ips[1], 1),
            "fp32_ips_b64": round(fp32_ips[64], 1),
            "int8_ips_b1": round(int8_ips[1], 1),
            "int8_ips_b64": round(int8_ips[64], 1),
        }
        print(f"[{name}/{backend}] int8 top-1 {record['int8_top1']:.4f}, agreement "
              f"{record['top1_agreement']:.4f}, img/s " +
              ", ".join(f"b{b} {v:.0f}" for b, v in int8_ips.items()), flush=True)
        records.append(record)
    return records


def print_table(records, calib_sizes):
    header = (["model", "backend"] + [f"calib {n} s" for n in calib_sizes] +
              ["fp32 top-1", "int8 top-1", "agree", "fp32 b1", "int8 b1", "x", "fp32 b64", "int8 b64", "x"])
    rows = []
    for r in records:
        rows.append([r["model"], r["backend"]] +
                    [f"{r['calib_seconds'][str(n)]:.2f}" for n in calib_sizes] +
                    [f"{r['fp32_top1']:.4f}", f"{r['int8_top1']:.4f}", f"{100 * r['top1_agreement']:.2f}%",
                     f"{r['fp32_ips_b1']:.0f}", f"{r['int8_ips_b1']:.0f}",
                     f"{r['int8_ips_b1'] / r['fp32_ips_b1']:.2f}",
                     f"{r['fp32_ips_b64']:.0f}", f"{r['int8_ips_b64']:.0f}",
                     f"{r['int8_ips_b64'] / r['fp32_ips_b64']:.2f}"])
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
    for row in [header] + rows:
        print("  ".join(str(c).rjust(w) for c, w in zip(row, widths)))
    print("(b1/b64: images/s at batch 1/64; x: int8 / fp32)")


def comma_list(convert):
    return lambda s: [convert(v) for v in s.split(",") if v]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", type=comma_list(str), default=list(MODEL_FACTORIES),
                    help="comma-separated (default: %(default)s)")
    ap.add_argument("--backends", type=comma_list(str), default=["fbgemm", "x86", "onednn"],
                    help="comma-separated quantized engines; those this torch build lacks are "
                         "skipped (default: %(default)s)")
    ap.add_argument("--seconds", type=float, default=3.0,
                    help="timed seconds per throughput measurement (default: %(default)s)")
    ap.add_argument("--calib-sizes", type=comma_list(int), default=[100, 1000, 3200],
                    help="comma-separated calibration set sizes, first N training images; the "
                         f"{EVAL_CALIB_SIZE}-image model is evaluated, else the largest (default: %(default)s)")
    ap.add_argument("--json", metavar="PATH", help="also write all numbers as JSON")
    args = ap.parse_args()

    unknown = [m for m in args.models if m not in MODEL_FACTORIES]
    if unknown:
        ap.error(f"unknown models {unknown}; known: {list(MODEL_FACTORIES)}")
    supported = torch.backends.quantized.supported_engines
    backends = [b for b in args.backends if b in supported]
    for b in args.backends:
        if b not in supported:
            print(f"backend {b}: not in this build's supported engines {supported}, skipped")
    if not backends:
        sys.exit("no requested backend is available")

    load_before = os.getloadavg()  # before this process adds its own load
    torch.set_num_threads(THREADS)
    x_train, _ = ref.load_split(ref.DATA_DIR, "train")
    x_test, y_test = ref.load_split(ref.DATA_DIR, "t10k")
    data = (torch.from_numpy(x_train[:max(args.calib_sizes)]), torch.from_numpy(x_test), y_test)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"OMP_WAIT_POLICY={OMP_WAIT_POLICY}, engines {supported}, "
          f"running {backends}", flush=True)

    records = []
    for name in args.models:
        records += bench_model(name, args, data, backends)

    print()
    print_table(records, args.calib_sizes)
    if args.json:
        out = {
            "meta": {
                "torch": torch.__version__,
                "threads": torch.get_num_threads(),
                "omp_wait_policy": OMP_WAIT_POLICY,
                "supported_engines": supported,
                "seconds": args.seconds,
                "calib_batch": CALIB_BATCH,
                "calib_sizes": args.calib_sizes,
                "load_average_at_start": load_before,
            },
            "results": records,
        }
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)
            f.write("\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
