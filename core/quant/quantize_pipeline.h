// The whole post-training quantization of one model, as the CLI and the
// service's quantize job both run it: quantize (or the accuracy-aware
// search), then — with a labelled evaluation set — float vs int8 top-1 and
// agreement and the per-layer error report, and the artifact's manifest.
// Writing the artifact is the caller's (a directory for the CLI, the store
// for the service). Thread-compatible: callbacks run on the calling thread.
#ifndef FIXPOINT_CORE_QUANT_QUANTIZE_PIPELINE_H_
#define FIXPOINT_CORE_QUANT_QUANTIZE_PIPELINE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/io/dataset.h"
#include "core/ir/graph.h"
#include "core/quant/artifact.h"
#include "core/quant/quantizer.h"

namespace fixpoint::quant {

struct PipelineOptions {
  // Method, scheme, selection, calibration size, threads; `progress` and
  // `cancelled` are honoured during calibration (and evaluation).
  QuantizeOptions quantize;
  // Optional labelled evaluation set (borrowed) and how manifests name it.
  const io::Dataset* eval = nullptr;
  std::string eval_name;
  std::string eval_sha256;
  int eval_batch = 64;
  // Images of the evaluation set for the per-layer report (0 = skip it).
  int64_t layer_report_images = 500;
  // > = 0: accuracy-aware mode (needs `eval`), the allowed top-1 drop in points.
  std::optional<double> max_drop_pp;
  double time_budget_s = 300;
  // Provenance written into the manifest.
  std::string source_model;
  std::string source_sha256;
  std::string parent_version;
  std::string calib_name;
  std::string calib_sha256;
  // Called when a phase starts: "calibrate", "search", "evaluate", "layer-report".
  std::function<void(absl::string_view phase)> on_phase;
  // Evaluation progress (images done, total).
  std::function<void(int64_t, int64_t)> eval_progress;
};

struct PipelineResult {
  QuantizeResult quantized;  // the QDQ graph and its parameter table
  Manifest manifest;         // complete, accuracy and layers included when measured
};

// Runs the pipeline on `graph` with `calibration`. INVALID_ARGUMENT when the
// accuracy-aware mode has no evaluation set; CANCELLED when
// options.quantize.cancelled turns true; errors of quantization and
// evaluation with the phase as context.
absl::StatusOr<PipelineResult> RunQuantizePipeline(const ir::Graph& graph,
                                                   const io::Dataset& calibration,
                                                   const PipelineOptions& options);

// Current UTC time as ISO 8601 ("2026-11-25T19:30:00Z").
std::string NowUtcIso8601();

}  // namespace fixpoint::quant

#endif  // FIXPOINT_CORE_QUANT_QUANTIZE_PIPELINE_H_
