// The fp32 inference optimizations run before a graph is bound to kernels.
// Thread-compatible.
#ifndef FIXPOINT_CORE_TRANSFORM_OPTIMIZE_H_
#define FIXPOINT_CORE_TRANSFORM_OPTIMIZE_H_

#include "absl/status/status.h"
#include "core/ir/graph.h"

namespace fixpoint::transform {

// Removes Identity/Dropout, then fuses activations into Conv/Gemm/MatMul.
// Expects inferred value_info (it reads dtypes); fp32 outputs stay the same
// up to rounding of the fused kernels.
absl::Status OptimizeForInference(ir::Graph& graph);

}  // namespace fixpoint::transform

#endif  // FIXPOINT_CORE_TRANSFORM_OPTIMIZE_H_
