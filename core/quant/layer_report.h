// Per-layer quantization error: for every quantized activation of a QDQ graph,
// how far its dequantized value drifts from the float graph's value over a
// dataset — MSE and SQNR (10·log10(Σ f² / Σ (q − f)²), in dB) — ranked worst
// (lowest SQNR) first, so a user sees which layer loses accuracy. Errors
// accumulate through the network, as in deployment: the QDQ graph runs with
// float ops between DequantizeLinear and QuantizeLinear (the simulation the
// lowered int8 kernels match). Thread-compatible.
#ifndef FIXPOINT_CORE_QUANT_LAYER_REPORT_H_
#define FIXPOINT_CORE_QUANT_LAYER_REPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/io/dataset.h"
#include "core/ir/graph.h"

namespace fixpoint::quant {

struct LayerError {
  std::string tensor;  // the float graph's value name
  double mse = 0;
  double sqnr_db = 0;  // +inf when the error is exactly zero
  int64_t elements = 0;
};

struct LayerReportOptions {
  int64_t max_images = 500;  // first items of the dataset; 0 = all
  int batch = 50;
  int threads = 0;
};

// `float_graph` is the graph the quantizer calibrated (PrepareForQuantization's
// output) and `qdq_graph` its QDQ form. Every float value X of float_graph
// that qdq_graph quantizes (QuantizeLinear(X) -> DequantizeLinear) is
// measured. INVALID_ARGUMENT if none is found or the graphs cannot run.
absl::StatusOr<std::vector<LayerError>> MeasureLayerErrors(const ir::Graph& float_graph,
                                                           const ir::Graph& qdq_graph,
                                                           const io::Dataset& dataset,
                                                           const LayerReportOptions& options);

}  // namespace fixpoint::quant

#endif  // FIXPOINT_CORE_QUANT_LAYER_REPORT_H_
