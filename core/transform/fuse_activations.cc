#include "core/transform/fuse_activations.h"

#include <limits>

#include "absl/container/flat_hash_map.h"
#include "core/util/status_macros.h"

namespace fixpoint::transform {
namespace {

bool IsFusionHost(const ir::Node& n) {
  return (n.op_type == "Conv" || n.op_type == "Gemm" || n.op_type == "MatMul" ||
          n.op_type == "Add") &&
         !n.HasAttr(kFusedActivation);
}

bool IsFusableActivation(const std::string& op) {
  return op == "Relu" || op == "LeakyRelu" || op == "Clip" || op == "Sigmoid" ||
         op == "Tanh" || op == "HardSigmoid" || op == "HardSwish";
}

// alpha/beta of the activation in the fused_* convention.
absl::Status ActivationParams(const ir::Node& act, float* alpha, float* beta) {
  *alpha = 0.0f;
  *beta = 0.0f;
  if (act.op_type == "LeakyRelu") {
    FP_ASSIGN_OR_RETURN(*alpha, act.GetFloat("alpha", 0.01f));
  } else if (act.op_type == "Clip") {
    FP_ASSIGN_OR_RETURN(*alpha, act.GetFloat("min", -std::numeric_limits<float>::infinity()));
    FP_ASSIGN_OR_RETURN(*beta, act.GetFloat("max", std::numeric_limits<float>::infinity()));
  } else if (act.op_type == "HardSigmoid") {
    FP_ASSIGN_OR_RETURN(*alpha, act.GetFloat("alpha", 0.2f));
    FP_ASSIGN_OR_RETURN(*beta, act.GetFloat("beta", 0.5f));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status FuseActivations(ir::Graph& graph, int* fused) {
  int count = 0;
  absl::flat_hash_map<std::string, int> readers;
  for (const ir::Node& n : graph.nodes) {
    for (const std::string& in : n.inputs) {
      if (!in.empty()) ++readers[in];
    }
  }
  for (const ir::ValueInfo& out : graph.outputs) ++readers[out.name];
  std::vector<bool> removed(graph.nodes.size(), false);
  absl::flat_hash_map<std::string, int> producer;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    for (const std::string& out : graph.nodes[i].outputs) producer[out] = static_cast<int>(i);
  }
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    ir::Node& act = graph.nodes[i];
    if (!IsFusableActivation(act.op_type) || act.inputs.empty()) continue;
    auto p = producer.find(act.inputs[0]);
    if (p == producer.end() || removed[p->second]) continue;
    ir::Node& host = graph.nodes[p->second];
    if (!IsFusionHost(host) || host.outputs.size() != 1 || readers[host.outputs[0]] != 1) {
      continue;
    }
    const ir::ValueInfo* info = graph.FindValueInfo(host.outputs[0]);
    if (info != nullptr && info->dtype != ir::DType::kF32) continue;
    float alpha, beta;
    FP_RETURN_IF_ERROR(ActivationParams(act, &alpha, &beta));
    host.attrs[kFusedActivation] = act.op_type;
    host.attrs[kFusedAlpha] = alpha;
    host.attrs[kFusedBeta] = beta;
    host.outputs[0] = act.outputs[0];
    producer[act.outputs[0]] = p->second;
    removed[i] = true;
    ++count;
  }
  std::vector<ir::Node> kept;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    if (!removed[i]) kept.push_back(std::move(graph.nodes[i]));
  }
  graph.nodes = std::move(kept);
  if (fused != nullptr) *fused = count;
  return absl::OkStatus();
}

}  // namespace fixpoint::transform
