// Folds an inference BatchNormalization into the Conv, ConvTranspose or Gemm
// that produces its input, so the quantizer sees one weighted op with
// per-output-channel weights instead of a weighted op plus a channelwise
// affine it would otherwise have to quantize separately.
// Thread-compatible (mutates the graph passed in).
//
// With s = scale / sqrt(var + epsilon) per channel c (computed in double):
//   W'[.. c ..] = W[.. c ..] * s[c]     (the output-channel slice of W)
//   b'[c]       = (b[c] - mean[c]) * s[c] + B[c]     (b = 0 when absent)
// Output channel c is W's dim 0 for Conv ([Cout, Cin/group, k...], any group,
// 1-3 spatial dims); for ConvTranspose ([Cin, Cout/group, k...]) input
// channel i, column j feed output channel (i / (Cin/group)) * (Cout/group) + j;
// for Gemm (BN over dim 1 of its 2-D output) it is B's column (transB=0) or
// row (transB=1), and the bias becomes s * (beta * C - mean) + B with beta=1
// (C absent or broadcast over rows: shape [], [1], [N] or [1,N]).
#ifndef FIXPOINT_CORE_TRANSFORM_FOLD_BATCHNORM_H_
#define FIXPOINT_CORE_TRANSFORM_FOLD_BATCHNORM_H_

#include "absl/status/status.h"
#include "core/ir/graph.h"

namespace fixpoint::transform {

// Rewrites in place; fp32 outputs stay the same up to float rounding. A BN is
// folded when its scale, B, mean and var are f32 initializers of shape [C],
// training_mode is 0, and its input is the only output of a Conv /
// ConvTranspose / Gemm that (a) has f32 initializer weights and bias, (b) has
// no `fused_activation` (core/transform/fuse_activations.h), and (c) whose
// output has the BN as its only reader and is not a graph output. The
// producer then writes the BN's output name and the BN is removed. W' and b'
// are new initializers (weights another node shares stay as they are); the
// old ones are removed once nothing reads them. Any other BN is left as is.
// INVALID_ARGUMENT only for attributes of the wrong kind (epsilon, group,
// transB, beta, training_mode). `folded` gets the number of folded BNs if set.
absl::Status FoldBatchNorm(ir::Graph& graph, int* folded = nullptr);

}  // namespace fixpoint::transform

#endif  // FIXPOINT_CORE_TRANSFORM_FOLD_BATCHNORM_H_
