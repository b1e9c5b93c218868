#!/usr/bin/python3
"""Train fixpoint's float reference models on Fashion-MNIST and export them to ONNX.

Run with Debian's interpreter (it has python3-torch / python3-onnx from apt):

    bash tools/install_train_deps.sh && /usr/bin/python3 tools/train_reference.py --out models

Outputs in --out:
    seed_cnn.onnx, resnet_small.onnx          opset 13, input "input" [batch,1,28,28] float32,
                                              output "probs" [batch,10] softmax probabilities
    <name>.fashion_test_probs.npy             float32 [10000,10]: PyTorch (eval, fp32) probabilities
                                              on the 10,000 Fashion-MNIST test images, in file order
    reference_accuracy.json                   {"<name>": {"top1", "epochs", "params"}, ...}

Preprocessing: pixels / 255.0 as float32, NCHW, no mean/std normalisation.
Only this script needs PyTorch; fixpoint's tests use the files it writes.
"""

import argparse
import gzip
import json
import os
import sys
import time

# libgomp's default spin-waiting makes 2-thread training many times slower when the
# 2 cores are shared with other work (e.g. a parallel build); sleeping waits don't
# change the arithmetic. Must be set before torch (and its OpenMP runtime) loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA_DIR = "/usr/share/datasets/fashion-mnist"
NUM_CLASSES = 10
OPSET = 13


# --------------------------------------------------------------------------- data

def _read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], "big")
    if (magic >> 8) != 0x08:  # 0x08 = unsigned byte
        raise ValueError(f"{path}: unexpected idx magic {magic:#x}")
    ndim = magic & 0xFF
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if arr.size != int(np.prod(dims)):
        raise ValueError(f"{path}: size mismatch {arr.size} vs {dims}")
    return arr.reshape(dims)


def load_split(data_dir, prefix):
    images = _read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"))
    labels = _read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz"))
    x = (images.astype(np.float32) / np.float32(255.0)).reshape(-1, 1, 28, 28)
    y = labels.astype(np.int64)
    return x, y


# --------------------------------------------------------------------------- models

class ProbsModel(nn.Module):
    """`logits` is trained with CrossEntropy; forward() (what is exported) ends in Softmax."""

    def __init__(self, logits):
        super().__init__()
        self.logits = logits
        self.softmax = nn.Softmax(dim=1)

    def forward(self, x):
        return self.softmax(self.logits(x))


def make_seed_cnn():
    # The CNN of the Vitis AI sign-language tutorial, with 10 output classes.
    return ProbsModel(nn.Sequential(
        nn.Conv2d(1, 28, kernel_size=3, padding=0),    # 28x26x26
        nn.ReLU(),
        nn.BatchNorm2d(28),
        nn.MaxPool2d(2),                               # 28x13x13
        nn.Conv2d(28, 64, kernel_size=3, padding=0),   # 64x11x11
        nn.ReLU(),
        nn.BatchNorm2d(64),
        nn.MaxPool2d(2),                               # 64x5x5
        nn.Dropout(0.4),
        nn.Flatten(),                                  # 1600
        nn.Linear(64 * 5 * 5, 512),
        nn.ReLU(),
        nn.Dropout(0.4),
        nn.Linear(512, NUM_CLASSES),
    ))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride=stride, bias=False),
                nn.BatchNorm2d(cout),
            )
        else:
            self.shortcut = nn.Identity()

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


def make_resnet_small(blocks=(1, 1, 1)):
    layers = [
        nn.Conv2d(1, 16, 3, padding=1, bias=False),    # 16x28x28
        nn.BatchNorm2d(16),
        nn.ReLU(),
    ]
    cin = 16
    for stage, (cout, n) in enumerate(zip((16, 32, 64), blocks)):
        for i in range(n):
            stride = 2 if (stage > 0 and i == 0) else 1   # 28 -> 14 -> 7
            layers.append(BasicBlock(cin, cout, stride))
            cin = cout
    layers += [
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(64, NUM_CLASSES),
    ]
    return ProbsModel(nn.Sequential(*layers))


# --------------------------------------------------------------------------- train / eval

@torch.no_grad()
def predict_probs(model, x, batch=1000):
    model.eval()
    out = []
    for i in range(0, x.shape[0], batch):
        out.append(model(x[i:i + batch]))
    return torch.cat(out).numpy().astype(np.float32)


def train(name, model, x_train, y_train, x_test, y_test, epochs, batch_size, lr):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    n = x_train.shape[0]
    gen = torch.Generator().manual_seed(0)
    t_start = time.time()
    for epoch in range(1, epochs + 1):
        t0 = time.time()
        model.train()
        perm = torch.randperm(n, generator=gen)
        total, count = 0.0, 0
        for i in range(0, n, batch_size):
            idx = perm[i:i + batch_size]
            xb, yb = x_train[idx], y_train[idx]
            opt.zero_grad()
            loss = loss_fn(model.logits(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item() * xb.shape[0]
            count += xb.shape[0]
        probs = predict_probs(model, x_test)
        acc = float((probs.argmax(1) == y_test.numpy()).mean())
        print(f"[{name}] epoch {epoch}/{epochs} loss {total / count:.4f} "
              f"test_top1 {acc:.4f} ({time.time() - t0:.1f}s)", flush=True)
    print(f"[{name}] training took {time.time() - t_start:.1f}s", flush=True)


def export_onnx(model, path):
    import onnx

    model.eval()
    dummy = torch.zeros(1, 1, 28, 28, dtype=torch.float32)
    torch.onnx.export(
        model, dummy, path,
        opset_version=OPSET,
        input_names=["input"],
        output_names=["probs"],
        dynamic_axes={"input": {0: "batch"}, "probs": {0: "batch"}},
        do_constant_folding=True,
        export_params=True,
    )
    m = onnx.load(path)
    onnx.checker.check_model(m)
    return m


def describe_onnx(m):
    def shape(vi):
        return [d.dim_param if d.dim_param else d.dim_value for d in vi.type.tensor_type.shape.dim]

    ops = [n.op_type for n in m.graph.node]
    counts = {}
    for op in ops:
        counts[op] = counts.get(op, 0) + 1
    return {
        "opset": [(o.domain or "ai.onnx", o.version) for o in m.opset_import],
        "inputs": [(i.name, shape(i)) for i in m.graph.input],
        "outputs": [(o.name, shape(o)) for o in m.graph.output],
        "op_sequence": ops,
        "op_counts": counts,
        "initializers": len(m.graph.initializer),
    }


# --------------------------------------------------------------------------- numpy check of the ONNX file

def _attrs(node):
    import onnx
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _conv(x, w, b, strides, pads, group):
    assert group == 1
    n, c, h, wd = x.shape
    co, ci, kh, kw = w.shape
    sh, sw = strides
    pt, pl, pb, pr = pads
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    oh = (h + pt + pb - kh) // sh + 1
    ow = (wd + pl + pr - kw) // sw + 1
    cols = np.empty((n, c, kh, kw, oh, ow), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = xp[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw]
    y = np.einsum("nckl...,ockl->no...", cols, w, optimize=True)
    if b is not None:
        y = y + b.reshape(1, -1, 1, 1)
    return y.astype(np.float32)


def run_onnx_numpy(m, x):
    """Tiny fp32 interpreter for the ops these models use; independent check of the export."""
    from onnx import numpy_helper

    env = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    env[m.graph.input[0].name] = x
    for node in m.graph.node:
        a = _attrs(node)
        ins = [env[i] if i else None for i in node.input]
        op = node.op_type
        if op == "Conv":
            k = ins[1].shape[2:]
            y = _conv(ins[0], ins[1], ins[2] if len(ins) > 2 else None,
                      a.get("strides", [1, 1]), a.get("pads", [0, 0, 0, 0]), a.get("group", 1))
            assert list(a.get("dilations", [1, 1])) == [1, 1] and list(a.get("kernel_shape", k)) == list(k)
        elif op == "Relu":
            y = np.maximum(ins[0], 0)
        elif op == "BatchNormalization":
            xx, s, bb, mean, var = ins
            r = (1, -1, 1, 1)
            y = (xx - mean.reshape(r)) / np.sqrt(var.reshape(r) + a.get("epsilon", 1e-5)) * s.reshape(r) + bb.reshape(r)
        elif op == "MaxPool":
            kh, kw = a["kernel_shape"]
            sh, sw = a.get("strides", [1, 1])
            assert not any(a.get("pads", [0, 0, 0, 0])) and not a.get("ceil_mode", 0)
            n, c, h, w = ins[0].shape
            oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
            y = np.full((n, c, oh, ow), -np.inf, dtype=np.float32)
            for i in range(kh):
                for j in range(kw):
                    y = np.maximum(y, ins[0][:, :, i:i + sh * oh:sh, j:j + sw * ow:sw])
        elif op == "GlobalAveragePool":
            y = ins[0].mean(axis=(2, 3), keepdims=True)
        elif op == "Flatten":
            ax = a.get("axis", 1)
            y = ins[0].reshape(int(np.prod(ins[0].shape[:ax])), -1)
        elif op == "Gemm":
            aa, bm = ins[0], ins[1]
            if a.get("transA", 0):
                aa = aa.T
            if a.get("transB", 0):
                bm = bm.T
            y = a.get("alpha", 1.0) * (aa @ bm)
            if len(ins) > 2 and ins[2] is not None:
                y = y + a.get("beta", 1.0) * ins[2]
        elif op == "Add":
            y = ins[0] + ins[1]
        elif op == "Softmax":
            ax = a.get("axis", -1)
            e = np.exp(ins[0] - ins[0].max(axis=ax, keepdims=True))
            y = e / e.sum(axis=ax, keepdims=True)
        elif op == "Identity":
            y = ins[0]
        else:
            raise NotImplementedError(f"numpy check: op {op} not supported")
        env[node.output[0]] = np.asarray(y, dtype=np.float32)
    return env[m.graph.output[0].name]


# --------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="models", help="output folder (default: models)")
    ap.add_argument("--data", default=DATA_DIR, help=f"Fashion-MNIST idx .gz folder (default: {DATA_DIR})")
    ap.add_argument("--epochs-seed", type=int, default=10, help="epochs for seed_cnn (default: 10)")
    ap.add_argument("--epochs-resnet", type=int, default=10, help="epochs for resnet_small (default: 10)")
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--only", choices=["seed_cnn", "resnet_small"], action="append",
                    help="train only this model (repeatable); default: both")
    ap.add_argument("--check-images", type=int, default=1000,
                    help="test images on which the exported ONNX is re-run with numpy and compared (0: skip)")
    args = ap.parse_args()

    torch.manual_seed(0)
    torch.set_num_threads(2)
    os.makedirs(args.out, exist_ok=True)

    x_train, y_train = load_split(args.data, "train")
    x_test, y_test = load_split(args.data, "t10k")
    print(f"data: train {x_train.shape} test {x_test.shape} (torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads)", flush=True)
    xt_train, yt_train = torch.from_numpy(x_train), torch.from_numpy(y_train)
    xt_test, yt_test = torch.from_numpy(x_test), torch.from_numpy(y_test)

    specs = [
        ("seed_cnn", make_seed_cnn, args.epochs_seed),
        ("resnet_small", make_resnet_small, args.epochs_resnet),
    ]
    acc_path = os.path.join(args.out, "reference_accuracy.json")
    results = {}
    if args.only and os.path.exists(acc_path):
        with open(acc_path) as f:
            results = json.load(f)

    for name, make, epochs in specs:
        if args.only and name not in args.only:
            continue
        torch.manual_seed(0)  # each model's init independent of what ran before
        model = make()
        params = sum(p.numel() for p in model.parameters())
        print(f"[{name}] params {params}", flush=True)
        t0 = time.time()
        train(name, model, xt_train, yt_train, xt_test, yt_test, epochs, args.batch_size, args.lr)
        train_s = time.time() - t0

        model.eval()
        probs = predict_probs(model, xt_test)
        assert probs.shape == (x_test.shape[0], NUM_CLASSES) and probs.dtype == np.float32
        top1 = float((probs.argmax(1) == y_test).mean())
        np.save(os.path.join(args.out, f"{name}.fashion_test_probs.npy"), probs)

        onnx_path = os.path.join(args.out, f"{name}.onnx")
        m = export_onnx(model, onnx_path)
        info = describe_onnx(m)
        print(f"[{name}] exported {onnx_path} ({os.path.getsize(onnx_path)} bytes)")
        print(f"[{name}] opset {info['opset']} inputs {info['inputs']} outputs {info['outputs']}")
        print(f"[{name}] op types {info['op_counts']} initializers {info['initializers']}")
        print(f"[{name}] op sequence {info['op_sequence']}", flush=True)

        if args.check_images > 0:
            k = min(args.check_images, x_test.shape[0])
            got = run_onnx_numpy(m, x_test[:k])
            diff = float(np.abs(got - probs[:k]).max())
            agree = float((got.argmax(1) == probs[:k].argmax(1)).mean())
            print(f"[{name}] numpy run of ONNX vs PyTorch on {k} images: max|dprob| {diff:.2e}, "
                  f"argmax agreement {agree:.4f}", flush=True)
            if diff > 1e-4:
                sys.exit(f"[{name}] exported ONNX disagrees with PyTorch (max diff {diff})")

        results[name] = {"top1": round(top1, 4), "epochs": epochs, "params": params}
        print(f"[{name}] test top1 {top1:.4f} train time {train_s:.1f}s", flush=True)

    with open(acc_path, "w") as f:
        json.dump(results, f, indent=2, sort_keys=True)
        f.write("\n")
    print(f"wrote {acc_path}: {json.dumps(results)}")


if __name__ == "__main__":
    main()
