// Fuses an activation that is the only reader of a Conv/Gemm/MatMul/Add
// output (Add: the residual Add+Relu of ResNets) into that node, as attributes the kernels apply as a post-op:
//   fused_activation: "Relu" | "LeakyRelu" | "Clip" | "Sigmoid" | "Tanh" |
//                     "HardSigmoid" | "HardSwish"
//   fused_alpha, fused_beta: LeakyRelu alpha; Clip min, max; HardSigmoid
//                     alpha, beta (unused otherwise).
// Thread-compatible (mutates the graph passed in).
#ifndef FIXPOINT_CORE_TRANSFORM_FUSE_ACTIVATIONS_H_
#define FIXPOINT_CORE_TRANSFORM_FUSE_ACTIVATIONS_H_

#include "absl/status/status.h"
#include "core/ir/graph.h"

namespace fixpoint::transform {

inline constexpr char kFusedActivation[] = "fused_activation";
inline constexpr char kFusedAlpha[] = "fused_alpha";
inline constexpr char kFusedBeta[] = "fused_beta";

// Rewrites in place; fp32 outputs stay the same. Returns the number of fusions
// through `fused` when not null.
absl::Status FuseActivations(ir::Graph& graph, int* fused = nullptr);

}  // namespace fixpoint::transform

#endif  // FIXPOINT_CORE_TRANSFORM_FUSE_ACTIVATIONS_H_
