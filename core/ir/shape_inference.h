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
// rank/shape mismatches; UNIMPLEMENTED for an op that is not supported.
absl::StatusOr<std::vector<ValueInfo>> InferNodeOutputs(Node& node, const InferContext& ctx);

// Infers every value of `graph` in node order and fills graph.value_info
// (graph inputs, initializers and all node outputs). Dynamic dims propagate
// as kDynamicDim.
absl::Status InferShapes(Graph& graph);

// True for op types in the supported op set.
bool IsSupportedOp(absl::string_view op_type);
// The supported op types, sorted.
std::vector<absl::string_view> SupportedOps();

}  // namespace fixpoint::ir

#endif  // FIXPOINT_CORE_IR_SHAPE_INFERENCE_H_
