// Folds an inference BatchNormalization FORWARD into the Conv or Gemm that
// consumes it — the "Conv -> ReLU -> BN -> MaxPool -> Conv" pattern of the
// Vitis AI tutorial network, where the BN cannot fold backwards because a
// ReLU sits between. Thread-compatible (mutates the graph passed in).
//
// With y = a[c] * x + b[c] (a = scale / sqrt(var + eps), b = B - mean * a):
//  - MaxPool commutes with y when every a[c] > 0 (a positive per-channel
//    affine is monotonic; padding is -inf on both sides), so the BN may sit
//    before any chain of single-reader MaxPools;
//  - a Conv with group 1, no padding (pads all 0, auto_pad NOTSET/VALID) and
//    constant weights absorbs it exactly: W'[o,i,..] = W[o,i,..] * a[i],
//    b'[o] = b[o] + sum_{i,k} W[o,i,k] * b[i] (padding would be wrong: a
//    padded zero would become b[i] before the fold and 0 after);
//  - Flatten(axis 1) -> Gemm (alpha 1, constant B, bias absent or [N]/[1,N])
//    absorbs it with feature f of channel f / (H*W).
// Conditions not met (a negative or zero a[c], a padded conv, a value with
// several readers or a graph output on the way): the BN stays. The folded
// weights and bias are new initializers. `folded` gets the count if set.
#ifndef FIXPOINT_CORE_TRANSFORM_FOLD_BATCHNORM_FORWARD_H_
#define FIXPOINT_CORE_TRANSFORM_FOLD_BATCHNORM_FORWARD_H_

#include "absl/status/status.h"
#include "core/ir/graph.h"

namespace fixpoint::transform {

absl::Status FoldBatchNormForward(ir::Graph& graph, int* folded = nullptr);

}  // namespace fixpoint::transform

#endif  // FIXPOINT_CORE_TRANSFORM_FOLD_BATCHNORM_FORWARD_H_
