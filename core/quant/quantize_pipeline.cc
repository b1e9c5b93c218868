#include "core/quant/quantize_pipeline.h"

#include <algorithm>
#include <ctime>
#include <memory>
#include <utility>

#include "core/eval/compare_eval.h"
#include "core/quant/accuracy_aware.h"
#include "core/quant/layer_report.h"
#include "core/runtime/kernel_registry.h"
#include "core/runtime/session.h"
#include "core/util/status_macros.h"
#include "core/util/version.h"

namespace fixpoint::quant {
namespace {

void Phase(const PipelineOptions& options, absl::string_view phase) {
  if (options.on_phase) options.on_phase(phase);
}

absl::Status CheckCancelled(const PipelineOptions& options) {
  if (options.quantize.cancelled && options.quantize.cancelled()) {
    return absl::CancelledError("quantization cancelled");
  }
  return absl::OkStatus();
}

absl::StatusOr<AccuracyReport> Evaluate(const ir::Graph& graph, const QuantizeResult& result,
                                        const PipelineOptions& options) {
  FP_ASSIGN_OR_RETURN(ir::Graph prepared, PrepareForQuantization(graph));
  runtime::SessionOptions session_options;
  session_options.intra_op_threads = options.quantize.threads;
  FP_ASSIGN_OR_RETURN(auto fp32, runtime::Session::Create(std::move(prepared), session_options));
  FP_ASSIGN_OR_RETURN(auto int8, runtime::Session::Create(result.graph, session_options));
  eval::EvalOptions eval_options;
  eval_options.batch = options.eval_batch;
  if (options.eval_progress) {
    // CompareClassifiers evaluates the float model, then the int8 one, each
    // reporting (done, total): report one monotonic pass over 2 * total.
    eval_options.progress = [report = options.eval_progress, pass = 0,
                             last = int64_t{0}](int64_t done, int64_t total) mutable {
      if (done < last) ++pass;
      last = done;
      report(std::min<int64_t>(pass, 1) * total + done, 2 * total);
    };
  }
  FP_ASSIGN_OR_RETURN(eval::ClassifierComparison cmp,
                      eval::CompareClassifiers(*fp32, *int8, *options.eval, eval_options));
  AccuracyReport report;
  report.fp32_top1 = cmp.reference.top1();
  report.int8_top1 = cmp.candidate.top1();
  report.top1_agreement = cmp.agreement();
  return report;
}

}  // namespace

std::string NowUtcIso8601() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

absl::StatusOr<PipelineResult> RunQuantizePipeline(const ir::Graph& graph,
                                                   const io::Dataset& calibration,
                                                   const PipelineOptions& options) {
  const bool accuracy_aware = options.max_drop_pp.has_value();
  if (accuracy_aware && options.eval == nullptr) {
    return absl::InvalidArgumentError(
        "accuracy-aware mode (max_drop_pp) needs a labelled evaluation dataset");
  }
  PipelineResult out;
  std::optional<AccuracyReport> accuracy;
  AccuracyAwareResult search;
  if (accuracy_aware) {
    Phase(options, "search");
    AccuracyAwareOptions aa;
    aa.max_drop_pp = *options.max_drop_pp;
    aa.time_budget_s = options.time_budget_s;
    aa.eval_batch = options.eval_batch;
    aa.layer_report.threads = options.quantize.threads;
    QuantizeOptions quantize = options.quantize;
    quantize.progress = nullptr;  // many runs; one bar per run would be noise
    auto found = QuantizeAccuracyAware(graph, calibration, *options.eval, quantize, aa);
    if (!found.ok()) return WithContext(found.status(), "accuracy-aware search");
    search = *std::move(found);
    out.quantized = search.best;
    AccuracyReport report;
    report.fp32_top1 = search.fp32_top1;
    report.int8_top1 = search.int8_top1;
    report.top1_agreement = search.agreement;
    accuracy = report;
  } else {
    Phase(options, "calibrate");
    auto quantized = Quantize(graph, calibration, options.quantize);
    if (!quantized.ok()) return WithContext(quantized.status(), "calibration");
    out.quantized = *std::move(quantized);
  }

  Manifest& m = out.manifest;
  m.source_model = options.source_model;
  m.source_sha256 = options.source_sha256;
  m.parent_version = options.parent_version;
  m.method = out.quantized.method;
  m.scheme = SchemeName(options.quantize);
  m.calib_dataset = options.calib_name;
  m.calib_sha256 = options.calib_sha256;
  m.calib_images = out.quantized.calib_images;
  m.calib_seconds = out.quantized.calib_seconds;
  m.fixpoint_version = kFixpointVersion;
  m.onednn_version = runtime::OneDnnVersion();
  m.created_utc = NowUtcIso8601();
  m.tensors = out.quantized.tensors;
  m.bias_correction_mode = std::string(BiasCorrectionModeName(options.quantize.bias_correction));
  m.bias_correction = out.quantized.bias_correction;
  if (accuracy_aware) {
    m.max_drop_pp = *options.max_drop_pp;
    m.goal_met = search.goal_met;
    m.float_nodes = search.float_nodes;
  }
  if (options.eval == nullptr) return out;

  FP_RETURN_IF_ERROR(CheckCancelled(options));
  if (!accuracy) {
    Phase(options, "evaluate");
    auto report = Evaluate(graph, out.quantized, options);
    if (!report.ok()) return WithContext(report.status(), "evaluation");
    accuracy = *report;
  }
  accuracy->dataset = options.eval_name;
  accuracy->dataset_sha256 = options.eval_sha256;
  accuracy->images = options.eval->size();
  m.accuracy = accuracy;

  if (options.layer_report_images > 0) {
    FP_RETURN_IF_ERROR(CheckCancelled(options));
    Phase(options, "layer-report");
    FP_ASSIGN_OR_RETURN(ir::Graph float_graph, PrepareForQuantization(graph));
    LayerReportOptions layer_options;
    layer_options.max_images = options.layer_report_images;
    layer_options.threads = options.quantize.threads;
    auto layers = MeasureLayerErrors(float_graph, out.quantized.graph, *options.eval, layer_options);
    if (!layers.ok()) return WithContext(layers.status(), "per-layer report");
    m.layers = *std::move(layers);
  }
  return out;
}

}  // namespace fixpoint::quant
