// Constant folding for inference: a node whose present inputs are all
// initializers is evaluated once, here, and replaced by initializers of its
// outputs. Typical catches are weight-side subgraphs that exporters leave
// behind: Cast of f16-stored weights, Transpose/Reshape of weights, constant
// scale arithmetic. Thread-compatible (mutates the graph passed in).
//
// Design. core/transform sits below core/runtime (transform DEPS fp_ir only;
// runtime itself calls into transform), so the runtime's kernels are not
// available here. Rather than an evaluator callback (which every caller of
// OptimizeForInference would have to wire up, and which would make folding
// depend on which kernels a caller happens to pass), the pass evaluates a
// fixed, practical op set natively. Output shapes come from ir shape
// inference, so no shape rule is restated; the per-number arithmetic comes
// from fold_shape_constants_values.h, shared with the import-time shape
// folder. Results equal the runtime's reference kernels bit for bit.
//
// Folded ops (canonical forms of docs/IR_OPS.md; anything else is left as is
// and simply computed at run time):
//   Reshape Flatten Squeeze Unsqueeze Transpose Concat   any dtype
//   Cast                      any IR dtype to any (reference-kernel rules:
//                             float -> int truncates and saturates, NaN -> 0)
//   Add Sub Mul Div           f32, i32, i64; numpy broadcasting; integer Div
//                             truncates; not folded on integer overflow or
//                             division by zero
//   Neg Abs Relu Sqrt Reciprocal Floor Ceil                 f32
// A node is folded only when it has one output, that output is not a graph
// output (it must stay produced), at least one input is present, and its
// output has no more elements than its inputs together (folding never grows
// the constants, e.g. by a broadcast [n,1] + [1,n]).
#ifndef FIXPOINT_CORE_TRANSFORM_FOLD_CONSTANTS_H_
#define FIXPOINT_CORE_TRANSFORM_FOLD_CONSTANTS_H_

#include "absl/status/status.h"
#include "core/ir/graph.h"

namespace fixpoint::transform {

// Folds in place, in node order (so chains of constant nodes fold fully).
// Folded nodes are removed; initializers only they read are removed too; the
// new initializers get value_info entries. Nodes that cannot be folded (op not
// listed, shape inference fails, unsupported dtype) are left untouched: the
// pass itself never fails. `folded` gets the number of removed nodes if set.
absl::Status FoldConstants(ir::Graph& graph, int* folded = nullptr);

}  // namespace fixpoint::transform

#endif  // FIXPOINT_CORE_TRANSFORM_FOLD_CONSTANTS_H_
