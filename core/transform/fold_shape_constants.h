// Folds shape arithmetic into constants so that shape-like inputs (Reshape's
// shape, Expand's shape, Tile's repeats, Resize's scales, ...) become
// initializers an importer can turn into canonical attributes.
// Thread-compatible (mutates the graph passed in).
//
// What is folded. Nodes are visited in order; a node is folded when it is one
// of the ops below, all its inputs are known, and its output is a tensor of
// rank 0 or 1 with at most 1024 elements of dtype i64, i32 or f32:
//   Shape (opset-15 start/end honoured; needs the input's inferred shape),
//   Size (static input shape), Gather (rank-1 data, constant indices),
//   Slice (rank-1 data, canonical starts/ends/axes/steps attributes),
//   Concat (rank-1 inputs), Unsqueeze (scalar -> [1]), Squeeze ([1] ->
//   scalar), Cast (to i64/i32/f32), Add Sub Mul Div (integer Div truncates),
//   Neg, Floor, Ceil, Identity, ConstantOfShape (rank <= 1 output).
// A folded output whose elements are all numbers becomes an initializer of
// the same name and its node is removed (unless the output is a graph output).
//
// Dynamic dims. An element of a shape value may instead be a symbol: "equal to
// dynamic dim #k". Symbols are created for the dynamic dims of graph inputs
// and node outputs and carried through ops that provably keep a dim
// (elementwise ops, dim 0 of Conv/pooling, Transpose, Concat's other axes,
// Reshape's 0, Flatten(axis=1), MatMul with rank <= 2 B, Squeeze/Unsqueeze).
// x*1, x+0, x-0, x/1, x-x, x/x and Cast/Floor/Ceil keep or resolve symbols;
// other arithmetic on a symbol gives an unknown element.
// A Reshape whose shape input is such a value gets a new initializer instead:
// a symbol at position k becomes 0 (copy) when the data input's dim k carries
// the same symbol (and allowzero is 0); then, if exactly one element is still
// not a number and there is no -1, it becomes -1. An Expand shape element
// whose symbol equals the aligned data dim becomes 1. Otherwise the input is
// left as is (an importer then refuses it as non-constant).
//
// Nodes no graph output depends on are removed — those dead from the start
// without being visited (nor passed to `canonicalize`), those dead after
// folding at the end — as are initializers nobody reads. Graph inputs are
// kept. graph.value_info is cleared: run ir::InferShapes afterwards.
#ifndef FIXPOINT_CORE_TRANSFORM_FOLD_SHAPE_CONSTANTS_H_
#define FIXPOINT_CORE_TRANSFORM_FOLD_SHAPE_CONSTANTS_H_

#include <functional>

#include "absl/status/status.h"
#include "core/ir/graph.h"

namespace fixpoint::transform {

struct FoldShapeOptions {
  // Called on every node that is not folded away, in order, after the inputs
  // that could be folded have become initializers and before the node is
  // folded or its outputs are inferred. Importers use it to turn constant
  // inputs into canonical attributes (its errors abort the pass). Null: the
  // nodes are already canonical (docs/IR_OPS.md) except for shape-like inputs.
  std::function<absl::Status(ir::Node& node, ir::Graph& graph)> canonicalize;
};

// Folds in place. Expects nodes in topological order. Errors come only from
// options.canonicalize; shape inference failures just stop folding downstream
// of the failing node (the final ir::InferShapes reports them).
absl::Status FoldShapeConstants(ir::Graph& graph, const FoldShapeOptions& options = {});

}  // namespace fixpoint::transform

#endif  // FIXPOINT_CORE_TRANSFORM_FOLD_SHAPE_CONSTANTS_H_
