#include "core/quant/quant_plan.h"

#include <algorithm>
#include <array>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"

namespace fixpoint::quant {
namespace {

constexpr std::array<absl::string_view, 5> kPassThroughOps = {"Flatten", "Reshape", "Transpose",
                                                              "Squeeze", "Unsqueeze"};
constexpr std::array<absl::string_view, 7> kComputeOps = {
    "Conv", "Gemm", "MatMul", "Add", "AveragePool", "GlobalAveragePool", "Concat"};

using ValueSet = absl::flat_hash_set<std::string>;

// The values a selection name stands for: the value itself, or a node's
// outputs.
absl::Status ResolveNames(const ir::Graph& graph, const std::vector<std::string>& names,
                          absl::string_view what, ValueSet& values) {
  for (const std::string& name : names) {
    const bool is_input = std::any_of(graph.inputs.begin(), graph.inputs.end(),
                                      [&](const ir::ValueInfo& v) { return v.name == name; });
    if (is_input || graph.IsInitializer(name) || graph.ProducerOf(name) >= 0) {
      values.insert(name);
      continue;
    }
    auto node = std::find_if(graph.nodes.begin(), graph.nodes.end(),
                             [&](const ir::Node& n) { return n.name == name; });
    if (node == graph.nodes.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " '", name, "' is neither a node nor a value of the graph"));
    }
    for (const std::string& out : node->outputs) {
      if (!out.empty()) values.insert(out);
    }
  }
  return absl::OkStatus();
}

// Nodes inside the region: downstream of an input value (or all, without
// inputs) and upstream of an output value (or all, without outputs).
absl::StatusOr<std::vector<bool>> RegionNodes(const ir::Graph& graph,
                                              const QuantSelection& selection) {
  const size_t n = graph.nodes.size();
  std::vector<bool> downstream(n, true), upstream(n, true);
  if (!selection.input_nodes.empty()) {
    ValueSet reached;
    FP_RETURN_IF_ERROR(ResolveNames(graph, selection.input_nodes, "region input", reached));
    for (size_t i = 0; i < n; ++i) {
      const ir::Node& node = graph.nodes[i];
      downstream[i] = std::any_of(node.inputs.begin(), node.inputs.end(),
                                  [&](const std::string& in) { return reached.contains(in); });
      if (downstream[i]) reached.insert(node.outputs.begin(), node.outputs.end());
    }
  }
  if (!selection.output_nodes.empty()) {
    ValueSet needed;
    FP_RETURN_IF_ERROR(ResolveNames(graph, selection.output_nodes, "region output", needed));
    for (size_t i = n; i-- > 0;) {
      const ir::Node& node = graph.nodes[i];
      upstream[i] = std::any_of(node.outputs.begin(), node.outputs.end(),
                                [&](const std::string& out) { return needed.contains(out); });
      if (upstream[i]) needed.insert(node.inputs.begin(), node.inputs.end());
    }
  }
  std::vector<bool> region(n);
  for (size_t i = 0; i < n; ++i) region[i] = downstream[i] && upstream[i];
  return region;
}

// The inputs of an active node that are quantized as activations.
std::vector<std::string> ActivationInputs(const ir::Graph& graph, const ir::Node& node) {
  std::vector<std::string> result;
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    const std::string& in = node.inputs[i];
    if (in.empty() || !IsActivationSlot(node, static_cast<int>(i)) || graph.IsInitializer(in)) {
      continue;
    }
    const ir::ValueInfo* info = graph.FindValueInfo(in);
    if (info != nullptr && info->dtype == ir::DType::kF32) result.push_back(in);
  }
  return result;
}

}  // namespace

bool ActivationPlan::IsQuantized(const std::string& tensor) const {
  return shared.count(tensor) > 0 ||
         std::find(calibrated.begin(), calibrated.end(), tensor) != calibrated.end();
}

bool IsActivationSlot(const ir::Node& node, int index) {
  if (node.op_type == "Conv" || node.op_type == "Gemm") return index < 2;
  if (IsPassThroughOp(node.op_type)) return index == 0;
  return true;
}

bool IsPassThroughOp(absl::string_view op_type) {
  return op_type == "MaxPool" || std::find(kPassThroughOps.begin(), kPassThroughOps.end(),
                                           op_type) != kPassThroughOps.end();
}

bool IsQuantizableOp(absl::string_view op_type) {
  return IsPassThroughOp(op_type) ||
         std::find(kComputeOps.begin(), kComputeOps.end(), op_type) != kComputeOps.end();
}

absl::StatusOr<ActivationPlan> PlanActivations(const ir::Graph& graph,
                                               const QuantSelection& selection) {
  ValueSet excluded_nodes;
  for (const std::string& name : selection.exclude_nodes) {
    if (std::none_of(graph.nodes.begin(), graph.nodes.end(),
                     [&](const ir::Node& n) { return n.name == name; })) {
      return absl::InvalidArgumentError(
          absl::StrCat("excluded node '", name, "' is not a node of the graph"));
    }
    excluded_nodes.insert(name);
  }
  const ValueSet excluded_ops(selection.exclude_op_types.begin(), selection.exclude_op_types.end());
  FP_ASSIGN_OR_RETURN(std::vector<bool> region, RegionNodes(graph, selection));

  ActivationPlan plan;
  ValueSet quantized;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const ir::Node& node = graph.nodes[i];
    if (!region[i] || !IsQuantizableOp(node.op_type) || excluded_nodes.contains(node.name) ||
        excluded_ops.contains(node.op_type)) {
      continue;
    }
    plan.active_nodes.insert(static_cast<int>(i));
    for (std::string& in : ActivationInputs(graph, node)) quantized.insert(std::move(in));
  }

  // Graph order: inputs, then node outputs; a pass-through output's input
  // comes earlier, so its root is already known.
  for (const ir::ValueInfo& in : graph.inputs) {
    if (quantized.contains(in.name)) plan.calibrated.push_back(in.name);
  }
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const ir::Node& node = graph.nodes[i];
    for (const std::string& out : node.outputs) {
      if (out.empty() || !quantized.contains(out)) continue;
      const bool shares = plan.active_nodes.count(static_cast<int>(i)) > 0 &&
                          IsPassThroughOp(node.op_type) && node.HasInput(0) &&
                          quantized.contains(node.inputs[0]);
      if (!shares) {
        plan.calibrated.push_back(out);
        continue;
      }
      auto root = plan.shared.find(node.inputs[0]);
      plan.shared[out] = root != plan.shared.end() ? root->second : node.inputs[0];
    }
  }
  return plan;
}

}  // namespace fixpoint::quant
