"""A small Python client for fixpointd.

Uploads models and datasets (client streams of 1 MiB chunks with size and
sha256, as proto/fixpoint/v1/*.proto require), submits quantization jobs and
waits for them (WatchJob), fetches reports, and runs KServe v2 inference.

Runs on Debian's /usr/bin/python3 with python3-grpcio and python3-protobuf.
The message and stub modules are generated from proto/ by generate.sh into
$FIXPOINT_STUBS (default <repo>/build/python) on first import; nothing
generated is committed.

    import fixpoint_client
    client = fixpoint_client.Client("127.0.0.1:8001")
    version = client.upload_model("seed_cnn", "models/seed_cnn.onnx")
    calib = client.upload_dataset("fashion-train", "train-images-idx3-ubyte.gz")
    job, report = client.quantize("seed_cnn", calib.sha256, method="minmax")
"""

import hashlib
import os
import struct
import subprocess
import sys
import time

_HERE = os.path.dirname(os.path.abspath(__file__))
_ROOT = os.path.dirname(os.path.dirname(_HERE))
CHUNK_BYTES = 1 << 20


def _load_stubs():
    out = os.environ.get("FIXPOINT_STUBS", os.path.join(_ROOT, "build", "python"))
    newest_proto = max(
        os.path.getmtime(os.path.join(d, f))
        for d in (os.path.join(_ROOT, "proto", "fixpoint", "v1"), os.path.join(_ROOT, "proto", "inference"))
        for f in os.listdir(d) if f.endswith(".proto"))
    marker = os.path.join(out, "inference", "grpc_service_pb2_grpc.py")
    if not os.path.exists(marker) or os.path.getmtime(marker) < newest_proto:
        subprocess.run([os.path.join(_HERE, "generate.sh"), out], check=True, stdout=subprocess.DEVNULL)
    if out not in sys.path:
        sys.path.insert(0, out)


_load_stubs()

import grpc  # noqa: E402  (after the stubs exist)
from fixpoint.v1 import datasets_pb2, datasets_pb2_grpc  # noqa: E402
from fixpoint.v1 import models_pb2, models_pb2_grpc  # noqa: E402
from fixpoint.v1 import quantization_pb2, quantization_pb2_grpc  # noqa: E402
from inference import grpc_service_pb2, grpc_service_pb2_grpc  # noqa: E402

FINAL_STATES = (quantization_pb2.JOB_STATE_SUCCEEDED, quantization_pb2.JOB_STATE_FAILED,
                quantization_pb2.JOB_STATE_CANCELLED)


class JobFailed(Exception):
    """A quantization job ended FAILED or CANCELLED; .job holds it."""

    def __init__(self, job):
        super().__init__("job %s %s: %s" % (job.id, quantization_pb2.JobState.Name(job.state), job.error))
        self.job = job


def _file_digest(path):
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK_BYTES), b""):
            h.update(chunk)
            size += len(chunk)
    return size, h.hexdigest()


def _chunks(path):
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK_BYTES), b""):
            yield chunk


class Client:
    """One channel to fixpointd and its four services.

    target: "host:port". token: bearer token (sent as `authorization: Bearer`).
    root_certificates / private_key / certificate_chain: PEM bytes for TLS
    (root_certificates alone verifies the server; the other two add a client
    certificate for mutual TLS). timeout: seconds per unary call.
    """

    def __init__(self, target="127.0.0.1:8001", token=None, root_certificates=None,
                 private_key=None, certificate_chain=None, timeout=30.0):
        options = [("grpc.max_receive_message_length", 256 << 20)]
        if root_certificates or certificate_chain:
            creds = grpc.ssl_channel_credentials(root_certificates, private_key, certificate_chain)
            self.channel = grpc.secure_channel(target, creds, options)
        else:
            self.channel = grpc.insecure_channel(target, options)
        self.metadata = [("authorization", "Bearer " + token)] if token else []
        self.timeout = timeout
        self.models = models_pb2_grpc.ModelServiceStub(self.channel)
        self.datasets = datasets_pb2_grpc.DatasetServiceStub(self.channel)
        self.quantization = quantization_pb2_grpc.QuantizationServiceStub(self.channel)
        self.inference = grpc_service_pb2_grpc.GRPCInferenceServiceStub(self.channel)

    def _unary(self, method, request):
        return method(request, metadata=self.metadata, timeout=self.timeout)

    # ---- models and datasets ------------------------------------------------

    def upload_model(self, name, path, format=None, input_nodes=(), input_shapes=(),
                     output_nodes=(), description=""):
        """Uploads an ONNX file or a TF frozen GraphDef; returns the new ModelVersion."""
        if format is None:
            format = "tf_graphdef" if path.lower().endswith(".pb") else "onnx"
        size, sha = _file_digest(path)
        header = models_pb2.UploadModelHeader(
            name=name, size_bytes=size, sha256=sha, description=description,
            format=models_pb2.MODEL_FORMAT_TF_GRAPHDEF if format == "tf_graphdef"
            else models_pb2.MODEL_FORMAT_ONNX,
            input_nodes=list(input_nodes), input_shapes=list(input_shapes),
            output_nodes=list(output_nodes))

        def requests():
            yield models_pb2.UploadModelRequest(header=header)
            for chunk in _chunks(path):
                yield models_pb2.UploadModelRequest(data=chunk)

        return self.models.UploadModel(requests(), metadata=self.metadata)

    def upload_dataset(self, name, path, labels_path=None, format=None, preprocessing=None):
        """Uploads a CSV, IDX or .npy set (+ IDX/.npy labels); returns the Dataset.

        preprocessing: a datasets_pb2.Preprocessing, or None for the server's
        defaults (pixels/255, 1x28x28, NCHW). format: "csv" | "idx" | "npy" or
        None (the server sniffs the bytes).
        """
        formats = {None: datasets_pb2.DATASET_FORMAT_UNSPECIFIED, "csv": datasets_pb2.DATASET_FORMAT_CSV,
                   "idx": datasets_pb2.DATASET_FORMAT_IDX, "npy": datasets_pb2.DATASET_FORMAT_NPY}
        size, sha = _file_digest(path)
        header = datasets_pb2.UploadDatasetHeader(name=name, format=formats[format], size_bytes=size,
                                                  sha256=sha)
        if labels_path:
            header.labels_size_bytes, header.labels_sha256 = _file_digest(labels_path)
        if preprocessing is not None:
            header.preprocessing.CopyFrom(preprocessing)

        def requests():
            yield datasets_pb2.UploadDatasetRequest(header=header)
            for chunk in _chunks(path):
                yield datasets_pb2.UploadDatasetRequest(data=chunk)
            if labels_path:
                for chunk in _chunks(labels_path):
                    yield datasets_pb2.UploadDatasetRequest(labels_data=chunk)

        return self.datasets.UploadDataset(requests(), metadata=self.metadata)

    def list_models(self):
        return list(self._unary(self.models.ListModels, models_pb2.ListModelsRequest()).models)

    def list_datasets(self):
        return list(self._unary(self.datasets.ListDatasets, datasets_pb2.ListDatasetsRequest()).datasets)

    # ---- quantization ---------------------------------------------------------

    def quantize(self, model, calib_dataset, version=0, method="minmax", calib_images=0,
                 eval_dataset="", wait=True, on_event=None, **options):
        """Submits a quantization job; with wait=True watches it to the end.

        options: the other QuantizeRequest fields (max_drop_pp, label,
        percentile, exclude_nodes, ...). Returns (job, report) when waiting —
        raising JobFailed if the job failed or was cancelled — else (job, None).
        """
        request = quantization_pb2.QuantizeRequest(
            model=model, version=version, calib_dataset=calib_dataset, calib_images=calib_images,
            method=method, eval_dataset=eval_dataset, **options)
        job = self._unary(self.quantization.Quantize, request)
        if not wait:
            return job, None
        job = self.watch(job.id, on_event)
        if job.state != quantization_pb2.JOB_STATE_SUCCEEDED:
            raise JobFailed(job)
        return job, self.report(job.result_model, job.result_version)

    def watch(self, job_id, on_event=None):
        """Follows WatchJob until the job is final; on_event(JobEvent) per event."""
        job = None
        for event in self.quantization.WatchJob(quantization_pb2.WatchJobRequest(id=job_id),
                                                metadata=self.metadata):
            job = event.job
            if on_event:
                on_event(event)
            if job.state in FINAL_STATES:
                break
        if job is None or job.state not in FINAL_STATES:
            job = self._unary(self.quantization.GetJob, quantization_pb2.GetJobRequest(id=job_id))
        return job

    def report(self, model, version):
        return self._unary(self.quantization.GetReport,
                           quantization_pb2.GetReportRequest(model=model, version=version))

    # ---- inference ------------------------------------------------------------

    def wait_ready(self, model, version="", timeout=60.0):
        """Polls ModelReady until the version is loaded (a new version loads
        asynchronously after its job succeeds); raises TimeoutError."""
        deadline = time.monotonic() + timeout
        request = grpc_service_pb2.ModelReadyRequest(name=model, version=str(version or ""))
        while not self._unary(self.inference.ModelReady, request).ready:
            if time.monotonic() > deadline:
                raise TimeoutError("%s version %s not ready after %.0f s" % (model, version, timeout))
            time.sleep(0.2)

    def infer(self, model, values, shape, version=""):
        """Runs ModelInfer on one FP32 input (a flat sequence of floats, row-major).

        Returns {output name: (shape, flat list of floats)}.
        """
        meta = self._unary(self.inference.ModelMetadata,
                           grpc_service_pb2.ModelMetadataRequest(name=model, version=str(version or "")))
        request = grpc_service_pb2.ModelInferRequest(model_name=model, model_version=str(version or ""))
        request.inputs.add(name=meta.inputs[0].name, datatype="FP32", shape=list(shape))
        request.raw_input_contents.append(struct.pack("<%df" % len(values), *values))
        reply = self._unary(self.inference.ModelInfer, request)
        outputs = {}
        for i, out in enumerate(reply.outputs):
            if i < len(reply.raw_output_contents):
                raw = reply.raw_output_contents[i]
                flat = list(struct.unpack("<%df" % (len(raw) // 4), raw))
            else:
                flat = list(out.contents.fp32_contents)
            outputs[out.name] = (list(out.shape), flat)
        return outputs
