#!/usr/bin/python3
"""fixpointd from Python: upload models/seed_cnn.onnx and Fashion-MNIST
calibration / evaluation sets, quantize to int8 and wait, print float vs int8
top-1, then classify one test image with the int8 version.

    /usr/bin/python3 client/python/example.py [--server 127.0.0.1:8001]
        [--token_file F] [--method minmax] [--calib_images 1000]

Needs a running fixpointd and Debian's dataset-fashion-mnist.
"""

import argparse
import gzip
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixpoint_client  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = "/usr/share/datasets/fashion-mnist"


def first_test_image():
    """(784 floats in [0, 1], label) of the first Fashion-MNIST test image."""
    with gzip.open(os.path.join(DATA, "t10k-images-idx3-ubyte.gz")) as f:
        pixels = f.read(16 + 784)[16:]
    with gzip.open(os.path.join(DATA, "t10k-labels-idx1-ubyte.gz")) as f:
        label = f.read(9)[8]
    return [p / 255.0 for p in pixels], label


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default="127.0.0.1:8001")
    parser.add_argument("--token_file")
    parser.add_argument("--model", default=os.path.join(ROOT, "models", "seed_cnn.onnx"))
    parser.add_argument("--name", default="seed_cnn")
    parser.add_argument("--method", default="minmax")
    parser.add_argument("--calib_images", type=int, default=1000)
    args = parser.parse_args()

    token = open(args.token_file).read().strip() if args.token_file else None
    client = fixpoint_client.Client(args.server, token=token)

    version = client.upload_model(args.name, args.model, description="example.py upload")
    print("uploaded %s v%d (%d bytes)" % (version.model, version.version, version.size_bytes))
    calib = client.upload_dataset("fashion-train", os.path.join(DATA, "train-images-idx3-ubyte.gz"))
    print("calibration set %s: %d images" % (calib.sha256[:12], calib.items))
    evalset = client.upload_dataset("fashion-test", os.path.join(DATA, "t10k-images-idx3-ubyte.gz"),
                                    labels_path=os.path.join(DATA, "t10k-labels-idx1-ubyte.gz"))
    print("evaluation set %s: %d images" % (evalset.sha256[:12], evalset.items))

    def progress(event):
        job = event.job
        print("\r  %-10s %3d%%" % (job.phase, int(job.progress * 100)), end="", flush=True)

    job, report = client.quantize(args.name, calib.sha256, version=version.version,
                                  method=args.method, calib_images=args.calib_images,
                                  eval_dataset=evalset.sha256, on_event=progress)
    print("\r\033[K" "job %s: %s v%d" % (job.id, job.result_model, job.result_version))
    print("method     %s (%s), %d calibration images" % (report.method, report.scheme,
                                                         report.calib_images))
    print("fp32 top-1 %.2f %%" % (100 * report.fp32_top1))
    print("int8 top-1 %.2f %%  (drop %.2f points)" % (100 * report.int8_top1, report.top1_drop_pp))
    print("agreement  %.2f %%" % (100 * report.top1_agreement))

    image, label = first_test_image()
    client.wait_ready(job.result_model, job.result_version)
    outputs = client.infer(job.result_model, image, [1, 1, 28, 28], version=job.result_version)
    _, scores = next(iter(outputs.values()))
    best = max(range(len(scores)), key=scores.__getitem__)
    print("first test image: label %d, int8 predicts %d" % (label, best))


if __name__ == "__main__":
    main()
