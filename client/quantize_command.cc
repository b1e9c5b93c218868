// fixpoint quantize / fixpoint report: post-training quantization of a local
// model into an artifact directory, and the report of a stored artifact.
#include <unistd.h>

#include <cstdio>
#include <optional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "client/local_commands.h"
#include "client/report_print.h"
#include "core/io/dataset.h"
#include "core/io/onnx_importer.h"
#include "core/quant/artifact.h"
#include "core/quant/quantize_pipeline.h"
#include "core/util/sha256.h"

ABSL_DECLARE_FLAG(std::string, model);
ABSL_DECLARE_FLAG(std::string, preprocess);
ABSL_DECLARE_FLAG(int, batch);
ABSL_DECLARE_FLAG(int, threads);
ABSL_DECLARE_FLAG(bool, json);

ABSL_FLAG(std::string, calib, "", "calibration dataset (IDX, CSV or .npy)");
ABSL_FLAG(std::string, calib_labels, "", "labels of an IDX/.npy calibration set (unused; optional)");
ABSL_FLAG(std::string, method, "entropy",
          "calibration method: minmax, moving-average-minmax, percentile, entropy, mse, "
          "pof2-nonoverflow, pof2-mindiffs");
ABSL_FLAG(int64_t, calib_size, 1000, "calibration images (first N of --calib; 0 = all)");
ABSL_FLAG(std::string, eval, "", "optional labelled evaluation dataset (float vs int8 report)");
ABSL_FLAG(std::string, eval_labels, "", "labels of an IDX/.npy evaluation set");
ABSL_FLAG(std::string, out, "", "artifact directory to create (model.onnx + manifest.json)");
ABSL_FLAG(bool, symmetric_activations, false, "s8 symmetric activations (default u8 asymmetric)");
ABSL_FLAG(bool, per_tensor_weights, false, "per-tensor weights (default per-channel)");
ABSL_FLAG(std::string, bias_correction, "auto",
          "correct each quantized Conv/Gemm bias by its mean output shift measured on the "
          "calibration images: on, off, or auto (keep it if the model's output error on the "
          "calibration images drops)");
ABSL_FLAG(double, percentile, 99.99, "percentile method: percent of values kept");
ABSL_FLAG(std::string, exclude_nodes, "", "comma-separated node names kept in float");
ABSL_FLAG(std::string, exclude_op_types, "", "comma-separated op types kept in float");
ABSL_DECLARE_FLAG(std::string, input_nodes);
ABSL_DECLARE_FLAG(std::string, output_nodes);
ABSL_FLAG(std::string, artifact, "", "artifact directory (fixpoint report)");
ABSL_FLAG(double, max_drop_pp, -1,
          "accuracy-aware mode (needs --eval): keep the most sensitive layers in fp32 until "
          "the top-1 drop is at most this many points; negative = off");
ABSL_FLAG(double, time_budget_s, 300, "accuracy-aware mode: time budget for the search");
ABSL_FLAG(int64_t, layer_report_images, 500,
          "quantize --eval: images of the evaluation set used for the per-layer error report "
          "(0 = skip it)");

namespace fixpoint::client {
namespace {

int Fail(const absl::Status& status, const char* what) {
  std::cerr << "fixpoint: " << what << ": " << status << "\n";
  return 1;
}

std::vector<std::string> List(const std::string& csv) {
  std::vector<std::string> out;
  for (absl::string_view s : absl::StrSplit(csv, ',', absl::SkipEmpty())) out.emplace_back(s);
  return out;
}

// A progress line on stderr when it is a terminal (and --json is off).
std::function<void(int64_t, int64_t)> ProgressBar(const char* phase) {
  if (!isatty(STDERR_FILENO) || absl::GetFlag(FLAGS_json)) return nullptr;
  return [phase](int64_t done, int64_t total) {
    const int width = 30;
    const int filled = total > 0 ? static_cast<int>(width * done / total) : 0;
    std::fprintf(stderr, "\r  %-11s [%s%s] %lld/%lld", phase, std::string(filled, '#').c_str(),
                 std::string(width - filled, '.').c_str(), static_cast<long long>(done),
                 static_cast<long long>(total));
    if (done >= total) std::fprintf(stderr, "\r\033[K");
  };
}

absl::StatusOr<io::Dataset> Load(const std::string& path, const std::string& labels,
                                 int64_t limit) {
  io::PreprocessSpec spec;
  if (!absl::GetFlag(FLAGS_preprocess).empty()) {
    auto parsed = io::PreprocessSpec::Parse(absl::GetFlag(FLAGS_preprocess));
    if (!parsed.ok()) return parsed.status();
    spec = *parsed;
  }
  io::LoadOptions load;
  load.labels_path = labels;
  load.max_items = limit;
  return io::LoadDataset(path, spec, load);
}

nlohmann::ordered_json SummaryJson(const quant::Manifest& m, const std::string& out) {
  nlohmann::ordered_json j;
  j["artifact"] = out;
  j["method"] = m.method;
  j["scheme"] = m.scheme;
  j["calib_images"] = m.calib_images;
  j["calib_seconds"] = m.calib_seconds;
  j["calib_sha256"] = m.calib_sha256;
  if (m.accuracy) {
    j["eval_images"] = m.accuracy->images;
    j["fp32_top1"] = m.accuracy->fp32_top1;
    j["int8_top1"] = m.accuracy->int8_top1;
    j["top1_drop_pp"] = m.accuracy->top1_drop_pp();
    j["top1_agreement"] = m.accuracy->top1_agreement;
  }
  j["quantized_tensors"] = m.tensors.size();
  j["bias_correction"] = m.bias_correction_mode;
  j["bias_correction_applied"] = m.bias_correction.applied;
  if (m.max_drop_pp) {
    j["max_drop_pp"] = *m.max_drop_pp;
    j["goal_met"] = m.goal_met;
    j["float_nodes"] = m.float_nodes;
  }
  return j;
}

}  // namespace

int RunQuantizeCommand(const std::vector<std::string>&) {
  const std::string model_path = absl::GetFlag(FLAGS_model);
  const std::string out = absl::GetFlag(FLAGS_out);
  if (model_path.empty() || absl::GetFlag(FLAGS_calib).empty() || out.empty()) {
    std::cerr << "usage: fixpoint quantize --model M.onnx --calib D --out DIR [--method M]\n"
                 "         [--calib_size N] [--eval D --eval_labels L] [--json]\n";
    return 2;
  }
  auto graph = LoadModelGraph(model_path);
  if (!graph.ok()) return Fail(graph.status(), "loading model");
  auto calib = Load(absl::GetFlag(FLAGS_calib), absl::GetFlag(FLAGS_calib_labels),
                    absl::GetFlag(FLAGS_calib_size));
  if (!calib.ok()) return Fail(calib.status(), "loading calibration dataset");

  quant::PipelineOptions options;
  quant::QuantizeOptions& q = options.quantize;
  q.method = absl::GetFlag(FLAGS_method);
  q.calibrator.percentile = absl::GetFlag(FLAGS_percentile);
  q.symmetric_activations = absl::GetFlag(FLAGS_symmetric_activations);
  q.per_channel_weights = !absl::GetFlag(FLAGS_per_tensor_weights);
  auto bias_correction = quant::ParseBiasCorrectionMode(absl::GetFlag(FLAGS_bias_correction));
  if (!bias_correction.ok()) return Fail(bias_correction.status(), "--bias_correction");
  q.bias_correction = *bias_correction;
  q.selection.exclude_nodes = List(absl::GetFlag(FLAGS_exclude_nodes));
  q.selection.exclude_op_types = List(absl::GetFlag(FLAGS_exclude_op_types));
  if (!IsTfGraphDef(model_path)) {  // for a GraphDef they already cut the imported graph
    q.selection.input_nodes = List(absl::GetFlag(FLAGS_input_nodes));
    q.selection.output_nodes = List(absl::GetFlag(FLAGS_output_nodes));
  }
  q.num_images = absl::GetFlag(FLAGS_calib_size);
  q.threads = absl::GetFlag(FLAGS_threads);
  q.progress = ProgressBar("calibrating");
  if (absl::GetFlag(FLAGS_max_drop_pp) >= 0) {
    if (absl::GetFlag(FLAGS_eval).empty()) {
      std::cerr << "fixpoint: --max_drop_pp needs --eval (a labelled evaluation set)\n";
      return 2;
    }
    options.max_drop_pp = absl::GetFlag(FLAGS_max_drop_pp);
    options.time_budget_s = absl::GetFlag(FLAGS_time_budget_s);
  }
  std::optional<io::Dataset> eval_set;
  if (!absl::GetFlag(FLAGS_eval).empty()) {
    auto loaded = Load(absl::GetFlag(FLAGS_eval), absl::GetFlag(FLAGS_eval_labels), 0);
    if (!loaded.ok()) return Fail(loaded.status(), "loading evaluation dataset");
    eval_set = *std::move(loaded);
    options.eval = &*eval_set;
    options.eval_name = absl::GetFlag(FLAGS_eval);
    auto eval_sha = util::Sha256File(options.eval_name);
    if (!eval_sha.ok()) return Fail(eval_sha.status(), "hashing evaluation dataset");
    options.eval_sha256 = *eval_sha;
    options.eval_batch = absl::GetFlag(FLAGS_batch);
    options.eval_progress = ProgressBar("evaluating");
    options.layer_report_images = absl::GetFlag(FLAGS_layer_report_images);
  }
  options.source_model = model_path;
  auto source_sha = util::Sha256File(model_path);
  if (!source_sha.ok()) return Fail(source_sha.status(), "hashing model");
  options.source_sha256 = *source_sha;
  options.calib_name = absl::GetFlag(FLAGS_calib);
  auto calib_sha = util::Sha256File(options.calib_name);
  if (!calib_sha.ok()) return Fail(calib_sha.status(), "hashing calibration dataset");
  options.calib_sha256 = *calib_sha;

  auto result = quant::RunQuantizePipeline(*graph, *calib, options);
  if (!result.ok()) return Fail(result.status(), "quantizing");
  const quant::Manifest& manifest = result->manifest;
  absl::Status written = quant::WriteArtifact(out, result->quantized.graph, manifest);
  if (!written.ok()) return Fail(written, "writing artifact");
  if (absl::GetFlag(FLAGS_json)) {
    std::cout << SummaryJson(manifest, out).dump() << "\n";
  } else {
    PrintQuantizeSummary(manifest, "artifact", out, std::cout);
  }
  return 0;
}

int RunReportCommand(const std::vector<std::string>&) {
  const std::string dir = absl::GetFlag(FLAGS_artifact);
  if (dir.empty()) {
    std::cerr << "usage: fixpoint report --artifact DIR [--json]\n";
    return 2;
  }
  auto manifest = quant::ReadManifest(dir);
  if (!manifest.ok()) return Fail(manifest.status(), "reading artifact");
  if (absl::GetFlag(FLAGS_json)) {
    std::cout << quant::ManifestToJson(*manifest);
    return 0;
  }
  PrintQuantizeReport(*manifest, "artifact", dir, std::cout);
  return 0;
}

}  // namespace fixpoint::client
