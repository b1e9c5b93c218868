// Internal to core/io: turns one ONNX node (already an ir::Node with its ONNX
// attributes and inputs) into the canonical form of docs/IR_OPS.md.
// Thread-safe (pure functions).
#ifndef FIXPOINT_CORE_IO_ONNX_NODE_MAPPING_H_
#define FIXPOINT_CORE_IO_ONNX_NODE_MAPPING_H_

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "core/ir/graph.h"

namespace fixpoint::io {

struct OnnxNodeContext {
  int64_t opset = 13;  // the model's default-domain opset
  // Values some node reads or that are graph outputs (for "is the Dropout
  // mask used?"). Must outlive the call.
  const absl::flat_hash_set<std::string>* used_values = nullptr;
};

// True for default-domain op types the importer accepts: the IR's supported
// ops plus those it rewrites (Constant, Upsample).
bool IsImportableOnnxOp(absl::string_view op_type);

// Rewrites `node` in place: constant inputs become attributes (read from
// graph.initializers), older-opset attribute forms are normalized, defaults
// that changed across opsets are made explicit, unused optional outputs
// (Dropout mask, MaxPool indices, BatchNormalization training outputs) are
// dropped. UNIMPLEMENTED when such an input is not a constant, when a dropped
// output is used, or for unsupported attribute values (Resize "cubic", Cast
// to double, ...); INVALID_ARGUMENT for malformed nodes. Errors name the node.
absl::Status CanonicalizeOnnxNode(ir::Node& node, const ir::Graph& graph,
                                  const OnnxNodeContext& ctx);

}  // namespace fixpoint::io

#endif  // FIXPOINT_CORE_IO_ONNX_NODE_MAPPING_H_
