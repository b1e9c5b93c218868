#include "core/transform/remove_identity.h"

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"

namespace fixpoint::transform {

absl::Status RemoveIdentityNodes(ir::Graph& graph, int* removed) {
  absl::flat_hash_set<std::string> graph_outputs;
  for (const ir::ValueInfo& out : graph.outputs) graph_outputs.insert(out.name);
  absl::flat_hash_map<std::string, std::string> replacement;
  std::vector<ir::Node> kept;
  int count = 0;
  for (ir::Node& node : graph.nodes) {
    for (std::string& in : node.inputs) {
      auto it = replacement.find(in);
      if (it != replacement.end()) in = it->second;
    }
    const bool no_op = node.op_type == "Identity" || node.op_type == "Dropout";
    const bool mask_used = node.outputs.size() > 1 && !node.outputs[1].empty();
    if (no_op && !mask_used && !node.inputs.empty() && !node.inputs[0].empty() &&
        !graph_outputs.contains(node.outputs[0])) {
      replacement[node.outputs[0]] = node.inputs[0];
      ++count;
      continue;
    }
    kept.push_back(std::move(node));
  }
  graph.nodes = std::move(kept);
  if (removed != nullptr) *removed = count;
  return absl::OkStatus();
}

}  // namespace fixpoint::transform
