// Shape and dtype inference for every supported op, and the list of supported
// ops itself (the op set an importer may produce). Thread-safe (pure).
//
// Canonical op forms (what importers must produce) are documented in
// docs/IR_OPS.md; inference also canonicalizes geometry attributes in place
// (Conv/ConvTranspose/pooling: auto_pad resolved to explicit `pads`,
// `kernel_shape`, `strides`, `dilations` filled with defaults).
#ifndef FIXPOINT_CORE_IR_SHAPE_INFERENCE_H_
#define FIXPOINT_CORE_IR_SHAPE_INFERENCE_H_

#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/ir/graph.h"

namespace fixpoint::ir {

// What inference of one node sees. inputs[i] is nullptr for an absent optional
// input; constants[i] is the value of input i when it is an initializer.
struct InferContext {
  std::vector<const ValueInfo*> inputs;
  std::vector<const Tensor*> constants;
  int64_t opset = 13;
};

// Output infos (names from node.outputs) of `node`. May canonicalize the
// node's geometry attributes (see above). INVALID_ARGUMENT naming the node on
// rank/shape mismatches, and when an input or output shape, or a dim computed
// on the way, exceeds kMaxTensorElements (core/ir/dim_math.h) — which also
// covers every int64 overflow; UNIMPLEMENTED for an op that is not supported.
absl::StatusOr<std::vector<ValueInfo>> InferNodeOutputs(Node& node, const InferContext& ctx);

// Infers every value of `graph` in node order and fills graph.value_info
// (graph inputs, initializers and all node outputs). Dynamic dims propagate
// as kDynamicDim. Every shape in value_info passes CheckElementCount (at
// most 2^40 elements, dynamic dims counted as 1), so a static one can be
// allocated from and its NumElements() and strides fit in int64; concrete
// values for dynamic dims are checked when InferNodeOutputs sees them (the
// runtime re-infers per batch size). INVALID_ARGUMENT naming the graph input,
// initializer or node otherwise.
absl::Status InferShapes(Graph& graph);

// True for op types in the supported op set.
bool IsSupportedOp(absl::string_view op_type);
// The supported op types, sorted.
std::vector<absl::string_view> SupportedOps();

}  // namespace fixpoint::ir

#endif  // FIXPOINT_CORE_IR_SHAPE_INFERENCE_H_
