#!/usr/bin/python3
"""Reference outputs for the TensorFlow fixtures from OpenCV's own TF importer.

OpenCV's cv2.dnn.readNetFromTensorflow is an importer written independently of
fixpoint's; tests/unit/tf/tf_reference_test.cc checks that fixpoint computes the
same outputs on the inputs written here. Run with Debian's interpreter (the
packages come from apt, not pip):

    apt-get install -y python3-opencv python3-numpy
    /usr/bin/python3 tools/tf_reference_outputs.py            # rewrites tests/data/tf_reference/

Per fixture <stem> (see FIXTURES) it writes, in --out:
    <stem>.inputs_u8.npy      uint8 [N,H,W,C] NHWC: random pixels (numpy PCG64, seeded)
    <stem>.opencv_out.npy     float32 [N,10]: OpenCV's output for input pixels/255
and manifest.json (seeds, versions, node and layer names).

Inputs are stored as the 8-bit pixels they are drawn as (the fixtures take images
scaled to [0,1]); both sides turn them into float32 the same way, as
float32(p) * (float32(1) / float32(255)) -- fixpoint's dataset preprocessing with
scale=1/255 -- so the float inputs are bit-identical.

Layout: the graphs are NHWC. OpenCV's TF importer turns 4-D NHWC graphs into NCHW
internally (and inserts a permute before the flatten, the "flatten/Reshape/nchw"
layer), so its input blob is NCHW: the script transposes each input before
setInput. Its output here is 2-D [1,10], which has no layout.

Output names: OpenCV fuses BiasAdd into the MatMul before it, so the TF node
"dense_1/BiasAdd" is OpenCV's layer "dense_1/MatMul"; FIXTURES names both and the
script checks that the named layer is the net's only unconnected output.
"""

import argparse
import json
import os
import sys

import numpy as np

try:
    import cv2
except ImportError:
    sys.exit("tf_reference_outputs: needs python3-opencv (apt-get install -y python3-opencv) "
             "and Debian's /usr/bin/python3")

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# stem, file, input node, NHWC item shape, TF output node, OpenCV layer, seed
FIXTURES = [
    ("dnndk_mnist", "dnndk_mnist_frozen_graph.pb", "images_in", (28, 28, 1),
     "dense_1/BiasAdd", "dense_1/MatMul", 20240601),
    ("keras_cnn3_softmax", "keras_cnn3_softmax_frozen_graph.pb", "conv2d_input", (32, 32, 3),
     "dense_1/Softmax", "dense_1/Softmax", 20240602),
]


def to_float(pixels):
    """uint8 pixels -> float32 in [0,1], rounded exactly as fixpoint's preprocessing."""
    return pixels.astype(np.float32) * (np.float32(1) / np.float32(255))


def run_fixture(path, input_node, item_shape, tf_output, cv_layer, seed, count):
    net = cv2.dnn.readNetFromTensorflow(path)
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)  # fp32
    outs = list(net.getUnconnectedOutLayersNames())
    if outs != [cv_layer]:
        sys.exit(f"{path}: expected OpenCV output layer {cv_layer!r} for {tf_output!r}, net has {outs}")
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, size=(count,) + item_shape, dtype=np.uint8)
    x = to_float(pixels)
    outputs = []
    for i in range(count):  # one input per forward, as a served request
        blob = np.ascontiguousarray(x[i:i + 1].transpose(0, 3, 1, 2))  # NHWC -> NCHW
        net.setInput(blob, input_node)
        y = net.forward(cv_layer)
        if y.shape != (1, 10):
            sys.exit(f"{path}: OpenCV output {cv_layer!r} has shape {y.shape}, expected (1, 10)")
        outputs.append(y[0].astype(np.float32))
    return pixels, np.stack(outputs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fixtures", default=os.path.join(REPO, "..", "shared", "fixtures", "tf"),
                    help="folder with the frozen graphs (default: ../shared/fixtures/tf)")
    ap.add_argument("--out", default=os.path.join(REPO, "tests", "data", "tf_reference"))
    ap.add_argument("--count", type=int, default=200)
    args = ap.parse_args()

    os.makedirs(args.out, exist_ok=True)
    manifest = {
        "generator": "tools/tf_reference_outputs.py",
        "opencv": cv2.__version__,
        "numpy": np.__version__,
        "count": args.count,
        "input_scale": "float32(p) * (float32(1) / float32(255))",
        "fixtures": {},
    }
    for stem, file, input_node, item_shape, tf_output, cv_layer, seed in FIXTURES:
        pixels, outputs = run_fixture(os.path.join(args.fixtures, file), input_node, item_shape,
                                      tf_output, cv_layer, seed, args.count)
        np.save(os.path.join(args.out, f"{stem}.inputs_u8.npy"), pixels)
        np.save(os.path.join(args.out, f"{stem}.opencv_out.npy"), outputs)
        manifest["fixtures"][stem] = {
            "file": file, "input_node": input_node, "input_shape": [-1, *item_shape],
            "input_layout": "NHWC", "output_node": tf_output, "opencv_layer": cv_layer,
            "seed": seed, "rng": "numpy.random.default_rng(seed).integers(0, 256, uint8)",
            "output_abs_max": float(np.abs(outputs).max()),
        }
        print(f"{stem}: {args.count} inputs, outputs in [{outputs.min():.6g}, {outputs.max():.6g}]")
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
