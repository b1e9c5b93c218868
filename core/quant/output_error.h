// How far a quantized graph's outputs are from its float graph's on a
// dataset, as one number: the SQNR of all f32 outputs together,
// 10·log10(Σ f² / Σ (q − f)²) in dB. The quantizer uses it on the
// calibration images to decide whether an optional technique (bias
// correction) helps a given model. Thread-compatible.
#ifndef FIXPOINT_CORE_QUANT_OUTPUT_ERROR_H_
#define FIXPOINT_CORE_QUANT_OUTPUT_ERROR_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "core/io/dataset.h"
#include "core/ir/graph.h"

namespace fixpoint::quant {

struct OutputErrorOptions {
  int64_t num_images = 1000;  // first items of the dataset; 0 = all
  int batch_size = 32;
  int threads = 0;
};

// SQNR in dB of each of `qdq_graphs`' outputs against `float_graph`'s (same
// output count and shapes) over the first images of `data`, one entry per QDQ
// graph; +inf where they are equal. The float graph runs once per batch for
// all of them. The QDQ graphs run as the simulation (constant
// DequantizeLinear folded, float ops between Q and DQ), which the int8
// kernels match. INVALID_ARGUMENT if the outputs differ in count or size, no
// image is used, or the batch size is not positive; run errors.
absl::StatusOr<std::vector<double>> OutputSqnrDb(const ir::Graph& float_graph,
                                                 const std::vector<const ir::Graph*>& qdq_graphs,
                                                 const io::Dataset& data,
                                                 const OutputErrorOptions& options);

}  // namespace fixpoint::quant

#endif  // FIXPOINT_CORE_QUANT_OUTPUT_ERROR_H_
