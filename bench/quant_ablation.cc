// Where a quantized model loses top-1 agreement with its float form: quantizes
// one model with one method, then removes quantization from chosen tensors of
// the QDQ graph (a DequantizeLinear's readers read the float tensor again) and
// measures, on the calibration images and on the test images, the top-1
// agreement with fp32 and the SQNR of the output logits. Runs the QDQ
// simulation (float ops between DQ and Q), which the lowered int8 kernels
// match. Diagnostic only; not run by CI.
//   --mode lowering: lowered int8 vs the QDQ simulation, image by image
//   --mode full:    all quantized
//   --mode summary: all quantized / weights only / activations only
//   --mode only:    each quantized tensor alone (weights and activations)
//   --mode without: everything but one tensor
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "bench/bench_util.h"
#include "absl/flags/parse.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "core/io/dataset.h"
#include "core/io/onnx_importer.h"
#include "core/ir/shape_inference.h"
#include "core/quant/fold_dequantize.h"
#include "core/quant/quantizer.h"
#include "core/runtime/session.h"

ABSL_FLAG(std::string, model, "models/resnet_small.onnx", "ONNX model");
ABSL_FLAG(std::string, method, "mse", "calibration method");
ABSL_FLAG(std::string, mode, "summary", "summary, only or without");
ABSL_FLAG(std::string, data_dir, "/usr/share/datasets/fashion-mnist/", "IDX files");
ABSL_FLAG(int, calib_images, 1000, "first training images used for calibration");
ABSL_FLAG(int, threads, 2, "intra-op threads");
ABSL_FLAG(bool, symmetric, false, "s8 symmetric activations");
ABSL_FLAG(bool, lowered, false, "run the lowered int8 graph instead of the QDQ simulation");
ABSL_FLAG(std::string, bias_correction, "auto", "bias correction: off, on or auto");
ABSL_FLAG(bool, skip_test, false, "measure on the calibration images only");

namespace fixpoint {
namespace {

using bench::OrDie;

io::Dataset Load(const std::string& images, const std::string& labels, int64_t max_items) {
  return bench::LoadIdx(absl::GetFlag(FLAGS_data_dir), images, labels, max_items);
}

// A DequantizeLinear of the QDQ graph and the float tensor it stands for.
struct Site {
  std::string label;   // the float tensor's name
  std::string source;  // float value (activation) or prepared initializer (constant)
  bool constant = false;
};

std::vector<Site> FindSites(const ir::Graph& qdq, const ir::Graph& prepared) {
  std::vector<Site> sites;
  for (const ir::Node& dq : qdq.nodes) {
    if (dq.op_type != "DequantizeLinear") continue;
    const int producer = qdq.ProducerOf(dq.inputs[0]);
    Site s;
    if (producer >= 0 && qdq.nodes[producer].op_type == "QuantizeLinear") {
      s.source = qdq.nodes[producer].inputs[0];
    } else {
      s.source = dq.name.substr(0, dq.name.rfind("/DequantizeLinear"));
      s.constant = true;
      if (prepared.FindInitializer(s.source) == nullptr) continue;
    }
    s.label = s.source;
    sites.push_back(s);
  }
  return sites;
}

// `qdq` with the DequantizeLinear of each site in `drop` bypassed.
ir::Graph Bypass(const ir::Graph& qdq, const ir::Graph& prepared, const std::set<std::string>& drop) {
  ir::Graph g = qdq;
  for (ir::Node& dq : g.nodes) {
    if (dq.op_type != "DequantizeLinear") continue;
    const int producer = g.ProducerOf(dq.inputs[0]);
    std::string source;
    if (producer >= 0 && g.nodes[producer].op_type == "QuantizeLinear") {
      source = g.nodes[producer].inputs[0];
    } else {
      source = dq.name.substr(0, dq.name.rfind("/DequantizeLinear"));
      if (drop.count(source)) g.initializers[source] = *prepared.FindInitializer(source);
    }
    if (!drop.count(source)) continue;
    for (ir::Node& n : g.nodes) {
      for (std::string& in : n.inputs) {
        if (in == dq.outputs[0]) in = source;
      }
    }
  }
  absl::Status shapes = ir::InferShapes(g);
  if (!shapes.ok()) {
    std::cerr << "shapes: " << shapes << "\n";
    std::exit(1);
  }
  return g;
}

std::vector<float> Logits(ir::Graph graph, const io::Dataset& data, bool lower) {
  // Constant weights let the simulation use the fast fp32 kernels.
  if (!lower && !quant::FoldConstantDequantize(graph).ok()) std::exit(1);
  runtime::SessionOptions options;
  options.intra_op_threads = absl::GetFlag(FLAGS_threads);
  options.lower_qdq = lower;
  auto session = OrDie(runtime::Session::Create(graph, options), "session");
  std::vector<float> out;
  for (int64_t first = 0; first < data.size(); first += 250) {
    const int64_t n = std::min<int64_t>(250, data.size() - first);
    io::DatasetBatch batch = OrDie(data.Items(first, n), "batch");
    const ir::TensorView in[] = {batch.images};
    std::vector<ir::Tensor> o = OrDie(session->Run(in), "run");
    out.insert(out.end(), o[0].data<float>(), o[0].data<float>() + o[0].NumElements());
  }
  return out;
}

struct Score {
  double agreement = 0;
  double sqnr_db = 0;
  double top1 = 0;  // of `got`, when labels are given
};

Score Compare(const std::vector<float>& ref, const std::vector<float>& got, int classes,
              const std::vector<int32_t>& labels) {
  const size_t n = ref.size() / classes;
  size_t agree = 0, correct = 0;
  double signal = 0, noise = 0;
  for (size_t i = 0; i < n; ++i) {
    const float* r = &ref[i * classes];
    const float* g = &got[i * classes];
    const auto predicted = std::max_element(g, g + classes) - g;
    agree += std::max_element(r, r + classes) - r == predicted;
    if (i < labels.size()) correct += labels[i] == predicted;
    for (int c = 0; c < classes; ++c) {
      signal += double(r[c]) * r[c];
      noise += double(g[c] - r[c]) * (g[c] - r[c]);
    }
  }
  return {100.0 * agree / n, noise > 0 ? 10 * std::log10(signal / noise) : 999,
          100.0 * correct / n};
}

}  // namespace
}  // namespace fixpoint

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  using namespace fixpoint;
  const io::Dataset calib = Load("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                                 absl::GetFlag(FLAGS_calib_images));
  const bool skip_test = absl::GetFlag(FLAGS_skip_test);
  const io::Dataset test =
      Load("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", skip_test ? 1 : 0);
  const ir::Graph graph = OrDie(io::ImportOnnxFile(absl::GetFlag(FLAGS_model)), "model");
  const ir::Graph prepared = OrDie(quant::PrepareForQuantization(graph), "prepare");
  quant::QuantizeOptions options;
  options.method = absl::GetFlag(FLAGS_method);
  options.num_images = absl::GetFlag(FLAGS_calib_images);
  options.threads = absl::GetFlag(FLAGS_threads);
  options.symmetric_activations = absl::GetFlag(FLAGS_symmetric);
  options.bias_correction = OrDie(quant::ParseBiasCorrectionMode(absl::GetFlag(FLAGS_bias_correction)), "--bias_correction");
  const quant::QuantizeResult q = OrDie(quant::Quantize(graph, calib, options), "quantize");
  const bool lower = absl::GetFlag(FLAGS_lowered);
  const std::vector<float> ref_calib = Logits(prepared, calib, false);
  const std::vector<float> ref_test = skip_test ? std::vector<float>{} : Logits(prepared, test, false);
  const int classes = static_cast<int>(ref_calib.size() / calib.size());

  auto measure = [&](const std::string& what, const std::set<std::string>& drop) {
    const ir::Graph g = Bypass(q.graph, prepared, drop);
    const Score c = Compare(ref_calib, Logits(g, calib, lower), classes, {});
    Score t;
    if (!skip_test) t = Compare(ref_test, Logits(g, test, lower), classes, test.labels);
    std::printf("| %-44s | %6.2f | %6.2f | %6.2f | %6.2f | %6.2f |\n", what.c_str(), c.agreement,
                c.sqnr_db, t.agreement, t.sqnr_db, t.top1);
    std::fflush(stdout);
  };
  if (!skip_test) {
    std::printf("fp32 test top-1 %.2f %%\n", Compare(ref_test, ref_test, classes, test.labels).top1);
  }
  std::printf(
      "| quantized | calib agree %% | calib logit SQNR dB | test agree %% | test SQNR dB | test "
      "top-1 %% |\n");
  std::printf("|---|---:|---:|---:|---:|---:|\n");
  const std::vector<Site> sites = FindSites(q.graph, prepared);
  std::set<std::string> all, acts, consts;
  for (const Site& s : sites) {
    all.insert(s.source);
    (s.constant ? consts : acts).insert(s.source);
  }
  const std::string mode = absl::GetFlag(FLAGS_mode);
  if (mode == "lowering") {
    // The lowered int8 kernels against the QDQ simulation, image by image.
    for (const io::Dataset* d : {&calib, &test}) {
      const std::vector<float> sim = Logits(q.graph, *d, false);
      const std::vector<float> low = Logits(q.graph, *d, true);
      float max_diff = 0;
      for (size_t i = 0; i < sim.size(); ++i) max_diff = std::max(max_diff, std::abs(sim[i] - low[i]));
      const Score s = Compare(sim, low, classes, {});
      std::printf("%s: %zu images, top-1 agreement lowered vs simulation %.2f %%, max |logit diff| %g\n",
                  d == &calib ? "calibration" : "test", sim.size() / classes, s.agreement, max_diff);
    }
  } else if (mode == "full") {
    measure("everything", {});
  } else if (mode == "summary") {
    measure("everything", {});
    measure("weights+biases only", acts);
    measure("activations only", consts);
    measure("nothing (sanity)", all);
  } else {
    for (const Site& s : sites) {
      std::set<std::string> drop;
      if (mode == "only") {
        drop = all;
        drop.erase(s.source);
      } else {
        drop = {s.source};
      }
      measure((s.constant ? "w " : "a ") + s.label, drop);
    }
  }
  return 0;
}
