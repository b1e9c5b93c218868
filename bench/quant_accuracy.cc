// Accuracy of post-training quantization on the reference models: for each
// model and calibration method, calibrate on the first --calib_images images
// of the Fashion-MNIST training set, then evaluate the fp32 graph and the QDQ
// graph on the whole test set. Prints one Markdown table row per run:
// fp32 top-1, QDQ top-1, drop in points, top-1 agreement, calibration time.
// Not run by CI (about a minute per model and method on two cores).
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "bench/bench_util.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "core/eval/compare_eval.h"
#include "core/io/dataset.h"
#include "core/io/onnx_importer.h"
#include "core/quant/quantizer.h"
#include "core/runtime/session.h"

ABSL_FLAG(std::string, models, "models/seed_cnn.onnx,models/resnet_small.onnx", "ONNX models");
ABSL_FLAG(std::string, methods, "minmax,percentile,entropy,mse,pof2-nonoverflow,pof2-mindiffs",
          "calibration methods");
ABSL_FLAG(std::string, data_dir, "/usr/share/datasets/fashion-mnist/", "IDX files");
ABSL_FLAG(int, calib_images, 1000, "first training images used for calibration");
ABSL_FLAG(int, calib_batch, 50, "calibration batch size");
ABSL_FLAG(int, batch, 100, "evaluation batch size");
ABSL_FLAG(int, threads, 2, "intra-op threads");
ABSL_FLAG(bool, per_tensor, false, "per-tensor instead of per-channel int8 weights");
ABSL_FLAG(std::string, bias_correction, "auto", "bias correction: off, on or auto");
ABSL_FLAG(bool, symmetric, false, "s8 symmetric instead of u8 asymmetric activations");
ABSL_FLAG(double, percentile, 99.99, "percentile method: fraction kept");
ABSL_FLAG(int, num_bins, 2048, "histogram methods: bins");
ABSL_FLAG(std::string, exclude_op_types, "", "comma-separated op types left in float");
ABSL_FLAG(bool, print_tensors, false, "print each quantized tensor's parameters");

namespace fixpoint {
namespace {

using bench::OrDie;

io::Dataset Load(const std::string& images, const std::string& labels, int64_t max_items) {
  return bench::LoadIdx(absl::GetFlag(FLAGS_data_dir), images, labels, max_items);
}

std::unique_ptr<runtime::Session> NewSession(ir::Graph graph) {
  runtime::SessionOptions options;
  options.intra_op_threads = absl::GetFlag(FLAGS_threads);
  return OrDie(runtime::Session::Create(std::move(graph), options), "session");
}

}  // namespace
}  // namespace fixpoint

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  using namespace fixpoint;
  const io::Dataset calib = Load("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                                 absl::GetFlag(FLAGS_calib_images));
  const io::Dataset test = Load("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 0);
  eval::EvalOptions eval_options;
  eval_options.batch = absl::GetFlag(FLAGS_batch);
  std::printf(
      "| model | method | fp32 top-1 | int8 top-1 | drop (points) | agreement | calib s | bias "
      "correction (calib output SQNR) |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  for (const std::string& path :
       std::vector<std::string>(absl::StrSplit(absl::GetFlag(FLAGS_models), ','))) {
    const ir::Graph graph = OrDie(io::ImportOnnxFile(path), path);
    const auto fp32 = NewSession(OrDie(quant::PrepareForQuantization(graph), "prepare"));
    for (const std::string& method :
         std::vector<std::string>(absl::StrSplit(absl::GetFlag(FLAGS_methods), ','))) {
      quant::QuantizeOptions options;
      options.method = method;
      options.num_images = absl::GetFlag(FLAGS_calib_images);
      options.batch_size = absl::GetFlag(FLAGS_calib_batch);
      options.threads = absl::GetFlag(FLAGS_threads);
      options.per_channel_weights = !absl::GetFlag(FLAGS_per_tensor);
      options.symmetric_activations = absl::GetFlag(FLAGS_symmetric);
      options.bias_correction = OrDie(quant::ParseBiasCorrectionMode(absl::GetFlag(FLAGS_bias_correction)), "--bias_correction");
      options.calibrator.percentile = absl::GetFlag(FLAGS_percentile);
      options.calibrator.num_bins = absl::GetFlag(FLAGS_num_bins);
      options.selection.exclude_op_types =
          absl::StrSplit(absl::GetFlag(FLAGS_exclude_op_types), ',', absl::SkipEmpty());
      quant::QuantizeResult q = OrDie(quant::Quantize(graph, calib, options), path + " " + method);
      if (absl::GetFlag(FLAGS_print_tensors)) {
        for (const quant::QuantizedTensorInfo& t : q.tensors) {
          std::printf("  %-40s scale %.6g zp %4d %s range [%.4g, %.4g]%s%s\n", t.name.c_str(),
                      t.scale, t.zero_point, std::string(ir::DTypeName(t.dtype)).c_str(),
                      t.calibrated_min, t.calibrated_max, t.params_from.empty() ? "" : " from ",
                      t.params_from.c_str());
        }
      }
      const auto qdq = NewSession(std::move(q.graph));
      const eval::ClassifierComparison c =
          OrDie(eval::CompareClassifiers(*fp32, *qdq, test, eval_options), "evaluate");
      const quant::BiasCorrectionReport& bc = q.bias_correction;
      std::string bias = bc.applied ? "applied" : "-";
      if (bc.calib_sqnr_without_db && bc.calib_sqnr_with_db) {
        bias += absl::StrFormat(" (%.1f -> %.1f dB)", *bc.calib_sqnr_without_db,
                                *bc.calib_sqnr_with_db);
      }
      std::printf("| %s | %s | %.2f%% | %.2f%% | %+.2f | %.2f%% | %.1f | %s |\n", path.c_str(),
                  method.c_str(), 100 * c.reference.top1(), 100 * c.candidate.top1(),
                  c.top1_delta_points(), 100 * c.agreement(), q.calib_seconds, bias.c_str());
      std::fflush(stdout);
    }
  }
  return 0;
}
