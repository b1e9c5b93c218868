// The fp32 inference optimizations run before a graph is bound to kernels
// (and before a graph is prepared for quantization). Thread-compatible.
#ifndef FIXPOINT_CORE_TRANSFORM_OPTIMIZE_H_
#define FIXPOINT_CORE_TRANSFORM_OPTIMIZE_H_

#include "absl/status/status.h"
#include "core/ir/graph.h"

namespace fixpoint::transform {

// In order: removes Identity/Dropout; folds constant subgraphs into
// initializers (FoldConstants); folds BatchNormalization into the preceding
// Conv/ConvTranspose/Gemm (FoldBatchNorm), or forward through MaxPool into
// an unpadded Conv / Flatten+Gemm (FoldBatchNormForward); fuses activations into
// Conv/Gemm/MatMul (FuseActivations). Folding precedes fusion so that
// Conv+BN+Relu becomes one Conv with a fused Relu, and constant folding
// precedes BN folding so that weights computed by constant subgraphs (e.g. a
// Cast of f16 weights) are initializers by then. Expects inferred value_info
// (it reads dtypes); fp32 outputs stay the same up to float rounding. Errors
// only for malformed attributes (INVALID_ARGUMENT naming the node).
struct OptimizeOptions {
  // FoldBatchNormForward. Exact in fp32, but it moves a BN's per-channel
  // scale onto the next layer's input channels, which per-output-channel
  // int8 weights then quantize poorly (seed_cnn: int8 top-1 agreement 99.59%
  // -> 98.18%), so the quantizer turns it off.
  bool fold_batchnorm_forward = true;
};

absl::Status OptimizeForInference(ir::Graph& graph, const OptimizeOptions& options = {});

}  // namespace fixpoint::transform

#endif  // FIXPOINT_CORE_TRANSFORM_OPTIMIZE_H_
