// The post-training quantizer: a float graph plus a calibration dataset in,
// an ONNX Runtime-style QDQ graph (QuantizeLinear/DequantizeLinear around
// every quantized activation, int8 weights, int32 biases) plus the table of
// chosen parameters out. Steps: PrepareForQuantization (fp32 optimizations,
// so that BN is folded and activations fused), PlanActivations, CalibrateGraph,
// ChooseActivationParams, CorrectBiases (optional), InsertQdq.
// Thread-compatible: Quantize calls the callbacks on the calling thread.
#ifndef FIXPOINT_CORE_QUANT_QUANTIZER_H_
#define FIXPOINT_CORE_QUANT_QUANTIZER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/io/dataset.h"
#include "core/ir/graph.h"
#include "core/quant/calibrator.h"
#include "core/quant/qdq_insert.h"
#include "core/quant/quant_plan.h"

namespace fixpoint::quant {

enum class BiasCorrectionMode {
  kOff,
  kOn,
  // Correct, then keep the correction only if it raises the SQNR of the
  // model's outputs against the float model on the calibration images (as
  // AIMET's AutoQuant keeps a technique only when it helps on the data given).
  kAuto,
};

// "off", "on", "auto" and back; INVALID_ARGUMENT for another name.
absl::string_view BiasCorrectionModeName(BiasCorrectionMode mode);
absl::StatusOr<BiasCorrectionMode> ParseBiasCorrectionMode(absl::string_view name);

// What bias correction did.
struct BiasCorrectionReport {
  bool applied = false;
  std::vector<std::string> nodes;  // corrected Conv/Gemm nodes when applied, graph order
  // kAuto: output SQNR on the calibration images without and with it.
  std::optional<double> calib_sqnr_without_db;
  std::optional<double> calib_sqnr_with_db;
};

struct QuantizeOptions {
  // One of CalibrationMethods(). The pof2 methods imply power-of-two
  // activations and weights (per tensor), whatever the two flags below say.
  std::string method = "minmax";
  // percentile, num_bins, averaging_constant; `symmetric` is set from
  // symmetric_activations.
  CalibratorOptions calibrator;
  // false: u8 asymmetric activations (ORT's default); true: s8 symmetric.
  bool symmetric_activations = false;
  // int8 symmetric weights per output channel (true) or per tensor.
  bool per_channel_weights = true;
  // Empirical bias correction (core/quant/bias_correction.h) of every
  // quantized Conv/Gemm, measured on the calibration images.
  BiasCorrectionMode bias_correction = BiasCorrectionMode::kAuto;
  QuantSelection selection;
  int64_t num_images = 1000;  // first items of the dataset; 0 = all
  int batch_size = 32;
  // Threads for the calibration pass (data-parallel workers) and bias
  // correction's runs; 0 = all hardware threads. With two or more, one more
  // short-lived thread quantizes the weights while the pass binds.
  int threads = 0;
  // After each calibration batch: (images done, total).
  std::function<void(int64_t, int64_t)> progress;
  // Checked before each calibration batch; true aborts with CANCELLED.
  std::function<bool()> cancelled;
};

// A quantized activation of the manifest (see ActivationQuant); zero_point's
// dtype is u8 or i8.
struct QuantizedTensorInfo {
  std::string name;
  float scale = 1.0f;
  int32_t zero_point = 0;
  ir::DType dtype = ir::DType::kU8;
  std::optional<int> fix_pos;
  float calibrated_min = 0.0f;
  float calibrated_max = 0.0f;
  std::string params_from;  // "" or the tensor whose parameters it reuses
};

struct QuantizeResult {
  ir::Graph graph;                           // the QDQ graph, verified, shapes inferred
  std::vector<QuantizedTensorInfo> tensors;  // graph order
  std::string method;
  int64_t calib_images = 0;
  // Wall time from the statistics pass to the QDQ graph: range search,
  // weight quantization, the rewrite and bias correction included.
  double calib_seconds = 0;
  BiasCorrectionReport bias_correction;
};

// Copy of `graph` after transform::OptimizeForInference and shape inference:
// the float graph the quantizer calibrates and rewrites (also the fair fp32
// baseline for comparisons). Errors of those passes, unchanged.
absl::StatusOr<ir::Graph> PrepareForQuantization(const ir::Graph& graph);

// Quantizes `graph` (one f32 input) using `calibration` images. Errors:
// INVALID_ARGUMENT for bad options (unknown method, names not in the graph,
// non-positive batch size, empty dataset) or a graph that cannot run;
// FAILED_PRECONDITION if nothing in the selection is quantizable; CANCELLED;
// run and calibration errors with context.
absl::StatusOr<QuantizeResult> Quantize(const ir::Graph& graph, const io::Dataset& calibration,
                                        const QuantizeOptions& options);

}  // namespace fixpoint::quant

#endif  // FIXPOINT_CORE_QUANT_QUANTIZER_H_
