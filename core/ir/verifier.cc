#include "core/ir/verifier.h"

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "core/ir/dim_math.h"
#include "core/ir/infer/infer_ops.h"
#include "core/util/status_macros.h"

namespace fixpoint::ir {
namespace {

// Who defines each value so far: "graph input", "initializer" or a node.
using Definitions = absl::flat_hash_map<std::string, std::string>;

absl::Status Define(Definitions& defs, const std::string& value, std::string by) {
  auto [it, inserted] = defs.emplace(value, by);
  if (inserted) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(by, ": value '", value, "' is already defined by ", it->second));
}

absl::Status DefineGraphValues(const Graph& graph, Definitions& defs) {
  for (const auto& [name, tensor] : graph.initializers) {
    FP_RETURN_IF_ERROR(Define(defs, name, "initializer"));
    FP_RETURN_IF_ERROR(
        CheckElementCount(tensor.shape(), absl::StrCat("initializer '", name, "' shape")));
  }
  for (const ValueInfo& in : graph.inputs) {
    if (in.name.empty()) return absl::InvalidArgumentError("graph input with an empty name");
    FP_RETURN_IF_ERROR(Define(defs, in.name, "graph input"));
    FP_RETURN_IF_ERROR(
        CheckElementCount(in.shape, absl::StrCat("graph input '", in.name, "' shape")));
  }
  return absl::OkStatus();
}

absl::Status CheckNodeNames(const Graph& graph) {
  absl::flat_hash_set<std::string> names;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const Node& node = graph.nodes[i];
    if (node.name.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("node ", i, " (", node.op_type, ") has an empty name"));
    }
    if (!names.insert(node.name).second) {
      return absl::InvalidArgumentError(absl::StrCat(node.Describe(), ": node name is not unique"));
    }
  }
  return absl::OkStatus();
}

// Inputs must be defined by earlier nodes or the graph; outputs are new.
absl::Status CheckNode(const Graph& graph, const Node& node, Definitions& defs) {
  const infer::OpSpec* spec = infer::FindOpSpec(node.op_type);
  if (spec == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(node.Describe(), ": op is not supported"));
  }
  FP_RETURN_IF_ERROR(infer::CheckArity(node, *spec));
  for (const std::string& in : node.inputs) {
    if (in.empty() || defs.contains(in)) continue;
    const int producer = graph.ProducerOf(in);
    if (producer >= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(node.Describe(), ": input '", in, "' is produced later by ",
                       graph.nodes[producer].Describe(), " (nodes are not in topological order)"));
    }
    return absl::InvalidArgumentError(
        absl::StrCat(node.Describe(), ": input '", in, "' is not defined"));
  }
  for (const std::string& out : node.outputs) {
    if (!out.empty()) FP_RETURN_IF_ERROR(Define(defs, out, node.Describe()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status VerifyGraph(const Graph& graph) {
  Definitions defs;
  FP_RETURN_IF_ERROR(DefineGraphValues(graph, defs));
  FP_RETURN_IF_ERROR(CheckNodeNames(graph));
  for (const Node& node : graph.nodes) FP_RETURN_IF_ERROR(CheckNode(graph, node, defs));
  for (const ValueInfo& out : graph.outputs) {
    if (!defs.contains(out.name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("graph output '", out.name, "' is not produced"));
    }
  }
  return absl::OkStatus();
}

}  // namespace fixpoint::ir
