// Which activation tensors of a prepared float graph get quantized, and which
// of them borrow another tensor's parameters instead of being calibrated.
// ONNX Runtime's QDQ conventions: a float tensor is quantized when a
// quantizable node reads it; pass-through ops (MaxPool, Flatten, Reshape,
// Transpose, Squeeze, Unsqueeze) give their output their input's parameters.
// Pure functions; thread-safe.
#ifndef FIXPOINT_CORE_QUANT_QUANT_PLAN_H_
#define FIXPOINT_CORE_QUANT_QUANT_PLAN_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/ir/graph.h"

namespace fixpoint::quant {

// Which nodes may be quantized at all.
struct QuantSelection {
  // Node names whose inputs are not quantized on their behalf.
  std::vector<std::string> exclude_nodes;
  // Op types never quantized (e.g. "Add").
  std::vector<std::string> exclude_op_types;
  // The region, as vai_q_tensorflow's --input_nodes / --output_nodes: each
  // name is a tensor (value) name or a node name (meaning its outputs). Only
  // nodes that depend on a region input and that a region output depends on
  // (including its producer) are quantized. Empty = no bound on that side.
  std::vector<std::string> input_nodes;
  std::vector<std::string> output_nodes;
};

struct ActivationPlan {
  // Indices (into graph.nodes) of the quantizable nodes inside the selection:
  // their float activation inputs are quantized.
  std::set<int> active_nodes;
  // Tensors calibrated on their own, in graph order (inputs, then outputs of
  // nodes in node order).
  std::vector<std::string> calibrated;
  // Tensors that use another tensor's parameters: tensor -> a member of
  // `calibrated` (chains are resolved to their root).
  std::map<std::string, std::string> shared;

  bool IsQuantized(const std::string& tensor) const;
};

// Conv, Gemm, MatMul, Add, MaxPool, AveragePool, GlobalAveragePool, Concat and
// the pass-through ops.
bool IsQuantizableOp(absl::string_view op_type);
// MaxPool, Flatten, Reshape, Transpose, Squeeze, Unsqueeze: the output's
// values are a subset of the input's, so it keeps the input's parameters.
bool IsPassThroughOp(absl::string_view op_type);

// Whether input `index` of a quantizable node is an activation slot: not the
// bias (input 2) of Conv and Gemm, only input 0 of pass-through ops.
bool IsActivationSlot(const ir::Node& node, int index);

// The plan for `graph` (nodes in topological order, value_info inferred).
// Activation inputs of an active node are its f32 inputs that are not
// initializers, except input 2 (the bias) of Conv and Gemm. INVALID_ARGUMENT
// naming an exclude_nodes / input_nodes / output_nodes entry that is neither
// a node nor a value of the graph.
absl::StatusOr<ActivationPlan> PlanActivations(const ir::Graph& graph,
                                               const QuantSelection& selection);

}  // namespace fixpoint::quant

#endif  // FIXPOINT_CORE_QUANT_QUANT_PLAN_H_
