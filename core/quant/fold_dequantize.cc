#include "core/quant/fold_dequantize.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"

namespace fixpoint::quant {
namespace {

bool AllInputsConstant(const ir::Graph& graph, const ir::Node& node) {
  for (const std::string& in : node.inputs) {
    if (!in.empty() && !graph.IsInitializer(in)) return false;
  }
  return !node.inputs.empty() && !node.inputs[0].empty();
}

// Element i of an integer tensor of dtype i8, u8 or i32.
int64_t IntAt(const ir::Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case ir::DType::kI8:
      return t.data<int8_t>()[i];
    case ir::DType::kU8:
      return t.data<uint8_t>()[i];
    default:
      return t.data<int32_t>()[i];
  }
}

// out[i] = f32(q[i] - z) * s for i in [begin, end).
template <typename T>
void DequantizeRun(const T* q, int64_t begin, int64_t end, int64_t z, float s, float* out) {
  for (int64_t i = begin; i < end; ++i) out[i] = static_cast<float>(q[i] - z) * s;
}

absl::StatusOr<ir::Tensor> Dequantize(const ir::Graph& graph, const ir::Node& node) {
  const ir::Tensor& x = *graph.FindInitializer(node.inputs[0]);
  const ir::Tensor& scale = *graph.FindInitializer(node.inputs[1]);
  const ir::Tensor* zp = node.HasInput(2) ? graph.FindInitializer(node.inputs[2]) : nullptr;
  const ir::DType d = x.dtype();
  if ((d != ir::DType::kI8 && d != ir::DType::kU8 && d != ir::DType::kI32) ||
      scale.dtype() != ir::DType::kF32 || scale.shape().rank() > 1 ||
      (zp != nullptr && (zp->dtype() != d || zp->NumElements() != scale.NumElements()))) {
    return absl::InvalidArgumentError(absl::StrCat(node.Describe(), ": unsupported operands"));
  }
  const int64_t channels = scale.NumElements();
  int64_t inner = std::max<int64_t>(1, x.NumElements());  // one run per channel
  if (channels > 1) {
    inner = 1;
    FP_ASSIGN_OR_RETURN(int64_t axis, node.GetInt("axis", 1));
    const int rank = x.shape().rank();
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank || x.shape()[axis] != channels) {
      return absl::InvalidArgumentError(absl::StrCat(node.Describe(), ": bad axis"));
    }
    for (int k = static_cast<int>(axis) + 1; k < rank; ++k) inner *= x.shape()[k];
  }
  ir::Tensor y(ir::DType::kF32, x.shape());
  float* out = y.data<float>();
  // Runs of `inner` elements share a channel.
  for (int64_t i = 0, c = 0; i < x.NumElements(); i += inner, c = (c + 1) % channels) {
    const int64_t z = zp != nullptr ? IntAt(*zp, c) : 0;
    const float s = scale.data<float>()[c];
    const int64_t end = std::min(x.NumElements(), i + inner);
    switch (d) {
      case ir::DType::kI8:
        DequantizeRun(x.data<int8_t>(), i, end, z, s, out);
        break;
      case ir::DType::kU8:
        DequantizeRun(x.data<uint8_t>(), i, end, z, s, out);
        break;
      default:
        DequantizeRun(x.data<int32_t>(), i, end, z, s, out);
        break;
    }
  }
  return y;
}

}  // namespace

absl::StatusOr<ir::Tensor> DequantizeConstant(const ir::Graph& graph, const ir::Node& node) {
  if (node.op_type != "DequantizeLinear" || !AllInputsConstant(graph, node)) {
    return absl::InvalidArgumentError(
        absl::StrCat(node.Describe(), ": not a DequantizeLinear of constants"));
  }
  return Dequantize(graph, node);
}

absl::Status FoldConstantDequantize(ir::Graph& graph) {
  absl::flat_hash_set<std::string> outputs;
  for (const ir::ValueInfo& v : graph.outputs) outputs.insert(v.name);
  std::map<std::string, ir::Tensor> folded;
  std::vector<ir::Node> kept;
  for (const ir::Node& n : graph.nodes) {
    if (n.op_type != "DequantizeLinear" || !AllInputsConstant(graph, n) ||
        outputs.contains(n.outputs[0])) {
      kept.push_back(n);
      continue;
    }
    FP_ASSIGN_OR_RETURN(ir::Tensor y, Dequantize(graph, n));
    folded.emplace(n.outputs[0], std::move(y));
  }
  graph.nodes = std::move(kept);
  absl::flat_hash_set<std::string> read;
  for (const ir::Node& n : graph.nodes) read.insert(n.inputs.begin(), n.inputs.end());
  for (auto it = graph.initializers.begin(); it != graph.initializers.end();) {
    it = read.contains(it->first) || outputs.contains(it->first) ? std::next(it)
                                                                 : graph.initializers.erase(it);
  }
  for (auto& [name, tensor] : folded) graph.initializers[name] = std::move(tensor);
  return absl::OkStatus();
}

}  // namespace fixpoint::quant
