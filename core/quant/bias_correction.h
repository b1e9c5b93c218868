// Empirical bias correction (Nagel et al., "Data-Free Quantization", 2019, §4.2;
// AIMET's and Vitis AI's bias correction): quantizing a Conv/Gemm's weight and
// its input shifts the expected value of its output — weight rounding errors
// that do not average out per channel, clipped input ranges, upstream shifts.
// Per output channel c the shift is E[W_q x_q - W x]_c over the calibration
// images; subtracting it from the bias makes the quantized layer's mean output
// equal the float one's, so no class logit is systematically pushed up or
// down. Layers are corrected in graph order, each measured with the earlier
// corrections in place.
//
// How: a float pass (the caller's calibration pass, or CorrectBiases' own)
// records, per corrected layer, its input summed over the images (per kernel
// tap for a Conv: InputMoments), so E[W x] needs no pre-bias output. Then the
// QDQ graph runs once as a SegmentedRun whose segments end just before each
// corrected layer: the layer's input there gives E[W_q x_q], the bias is
// corrected, and the next segment runs the layer with it (memory: the values
// crossing the widest boundary, for all images). Comparing outputs runs the
// uncorrected QDQ graph once, whole (on a thread of its own when there are
// two or more threads). Thread-compatible.
#ifndef FIXPOINT_CORE_QUANT_BIAS_CORRECTION_H_
#define FIXPOINT_CORE_QUANT_BIAS_CORRECTION_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/io/dataset.h"
#include "core/ir/graph.h"
#include "core/quant/float_reference.h"
#include "core/runtime/session.h"

namespace fixpoint::quant {

// The quantizer's rewrite of a float graph into its QDQ form with fixed
// activation parameters (InsertQdq bound to a plan and parameters).
using QdqRewrite = std::function<absl::StatusOr<ir::Graph>(const ir::Graph& float_graph)>;

struct BiasCorrectionOptions {
  // Measured on the same images, in the same batches, as a reference when
  // one is given (it must cover every corrected node; then num_images and
  // batch_size do not apply); else CorrectBiases runs its own float pass.
  const FloatReference* float_reference = nullptr;
  int64_t num_images = 1000;  // first items of the dataset; 0 = all
  int batch_size = 32;
  int threads = 0;  // per Run; 0 = all hardware threads
  // Also measure the graph outputs' SQNR against the float graph without and
  // with the corrections, on the same images (see BiasCorrectionResult).
  bool compare_outputs = false;
  // Checked before each segment; true aborts with CANCELLED.
  std::function<bool()> cancelled;
};

struct CorrectedBias {
  std::string node;
  double max_abs_shift = 0;  // largest |correction| over the channels
};

struct BiasCorrectionResult {
  std::vector<CorrectedBias> corrected;  // one per node, graph order
  // With options.compare_outputs: 10·log10(Σ f² / Σ (q − f)²) over every f32
  // graph output of the QDQ simulation (q) against the float graph (f),
  // before and after the correction; +inf where equal.
  double output_sqnr_without_db = 0;
  double output_sqnr_with_db = 0;
  // to_qdq of the corrected float graph, corrected biases in place: what
  // to_qdq(float_graph) returns after the call (its last rewrite, kept).
  ir::Graph qdq;
};

// The most images (at least 1) for which the values crossing any point of
// `float_graph` (shapes inferred), counted as f32 per image, fit in
// `budget_bytes`: CorrectBiases keeps such values for all its images.
int64_t BiasCorrectionImagesWithin(const ir::Graph& float_graph, int64_t budget_bytes);

// Names of the Conv and Gemm nodes of `qdq_graph` whose weight (input 1) is
// dequantized from a constant, and whose bias can take a correction: a Conv,
// or a Gemm with alpha = beta = 1 and a 1-D bias (or none). In graph order.
std::vector<std::string> BiasCorrectableNodes(const ir::Graph& qdq_graph);

// Corrects, in place, the biases of the nodes of `float_graph` named in
// `nodes` (graph order; see BiasCorrectableNodes): for each in turn, the
// per-channel mean of its output before bias and fused activation is measured
// over the calibration images in `float_graph` and in to_qdq(float_graph)
// (QDQ simulation, earlier corrections in place), and the difference is
// subtracted from the bias. A node without a bias, or sharing it, gets its
// own. to_qdq must keep the nodes and their order and quantize a bias either
// as DequantizeLinear of an int32 constant (zero point 0) or not at all.
// INVALID_ARGUMENT if a name is not a Conv/Gemm of both graphs, its output
// channel count is not static, or the graph has not exactly one input;
// CANCELLED; errors of to_qdq and of running the graphs.
absl::StatusOr<BiasCorrectionResult> CorrectBiases(ir::Graph& float_graph,
                                                   const std::vector<std::string>& nodes,
                                                   const QdqRewrite& to_qdq,
                                                   const io::Dataset& calibration,
                                                   const BiasCorrectionOptions& options);

}  // namespace fixpoint::quant

#endif  // FIXPOINT_CORE_QUANT_BIAS_CORRECTION_H_
