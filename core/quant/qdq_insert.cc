#include "core/quant/qdq_insert.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/ir/shape_inference.h"
#include "core/ir/verifier.h"
#include "core/util/status_macros.h"

namespace fixpoint::quant {
namespace {

// Output-channel axis of the weight (input 1) of an active node of `graph`,
// or -1 if the node has no constant f32 weight.
absl::StatusOr<int> WeightAxis(const ir::Graph& graph, const ir::Node& node) {
  if (node.op_type != "Conv" && node.op_type != "Gemm" && node.op_type != "MatMul") return -1;
  const ir::Tensor* w = node.HasInput(1) ? graph.FindInitializer(node.inputs[1]) : nullptr;
  if (w == nullptr || w->dtype() != ir::DType::kF32) return -1;
  if (node.op_type == "Conv") return 0;
  if (node.op_type == "Gemm") {
    FP_ASSIGN_OR_RETURN(int64_t trans_b, node.GetInt("transB", 0));
    return trans_b != 0 ? 0 : 1;
  }
  return std::max(0, w->shape().rank() - 1);
}

// The scheme a weight gets: per channel needs two or more dimensions.
WeightScheme SchemeFor(WeightScheme asked, const ir::Tensor& weight) {
  if (asked == WeightScheme::kSymmetricPerChannel && weight.shape().rank() < 2) {
    return WeightScheme::kSymmetricPerTensor;
  }
  return asked;
}

ir::Tensor ScalarF32(float v) {
  ir::Tensor t(ir::DType::kF32, ir::Shape{});
  t.data<float>()[0] = v;
  return t;
}

// Scale initializer: a scalar for one value, else 1-D.
ir::Tensor ScaleTensor(const std::vector<float>& scales) {
  if (scales.size() == 1) return ScalarF32(scales[0]);
  return ir::Tensor::FromF32(ir::Shape{static_cast<int64_t>(scales.size())}, scales);
}

// Zero-point initializer of `dtype` (i8, u8 or i32), shaped like the scale.
ir::Tensor ZeroPointTensor(ir::DType dtype, size_t count, int32_t value) {
  ir::Tensor t = count == 1 ? ir::Tensor(dtype, ir::Shape{})
                            : ir::Tensor(dtype, ir::Shape{static_cast<int64_t>(count)});
  for (size_t i = 0; i < count; ++i) {
    switch (dtype) {
      case ir::DType::kU8:
        t.data<uint8_t>()[i] = static_cast<uint8_t>(value);
        break;
      case ir::DType::kI8:
        t.data<int8_t>()[i] = static_cast<int8_t>(value);
        break;
      default:
        t.data<int32_t>()[i] = value;
        break;
    }
  }
  return t;
}

// What a quantized weight turned into, for its bias.
struct WeightEntry {
  std::string dequantized;
  std::vector<float> scales;
};

class QdqBuilder {
 public:
  QdqBuilder(const ir::Graph& prepared, const ActivationPlan& plan,
             const std::map<std::string, ActivationQuant>& activations, const QdqOptions& options)
      : in_(prepared), plan_(plan), activations_(activations), options_(options) {
    for (const ir::ValueInfo& v : in_.inputs) used_values_.insert(v.name);
    for (const ir::ValueInfo& v : in_.outputs) used_values_.insert(v.name);
    for (const auto& [name, tensor] : in_.initializers) used_values_.insert(name);
    for (const ir::Node& n : in_.nodes) {
      used_nodes_.insert(n.name);
      used_values_.insert(n.inputs.begin(), n.inputs.end());
      used_values_.insert(n.outputs.begin(), n.outputs.end());
    }
  }

  absl::StatusOr<ir::Graph> Build() {
    out_ = in_;
    out_.nodes.clear();
    out_.value_info.clear();
    for (const ir::ValueInfo& v : in_.inputs) {
      if (plan_.IsQuantized(v.name)) FP_RETURN_IF_ERROR(QuantizeActivation(v.name));
    }
    for (size_t i = 0; i < in_.nodes.size(); ++i) {
      ir::Node node = in_.nodes[i];
      if (plan_.active_nodes.count(static_cast<int>(i)) > 0) {
        FP_RETURN_IF_ERROR(WithContext(RewriteActiveNode(node), node.Describe()));
      }
      out_.nodes.push_back(std::move(node));
      for (const std::string& output : in_.nodes[i].outputs) {
        if (!output.empty() && plan_.IsQuantized(output)) {
          FP_RETURN_IF_ERROR(QuantizeActivation(output));
        }
      }
    }
    DropUnreadConstants();
    FP_RETURN_IF_ERROR(ir::InferShapes(out_));
    FP_RETURN_IF_ERROR(ir::VerifyGraph(out_));
    return std::move(out_);
  }

 private:
  std::string NewName(absl::flat_hash_set<std::string>& used, const std::string& base) {
    std::string name = base;
    for (int i = 1; used.contains(name); ++i) name = absl::StrCat(base, "_", i);
    used.insert(name);
    return name;
  }
  std::string NewValue(const std::string& base) { return NewName(used_values_, base); }
  std::string NewNode(const std::string& base) { return NewName(used_nodes_, base); }

  // Adds a DequantizeLinear of constant `quantized` values; returns its output.
  std::string AddConstantDequantize(const std::string& base, ir::Tensor quantized,
                                    const std::vector<float>& scales, int axis) {
    const std::string q = NewValue(base + "_quantized");
    const std::string s = NewValue(base + "_scale");
    const std::string zp = NewValue(base + "_zero_point");
    out_.initializers[zp] = ZeroPointTensor(quantized.dtype(), scales.size(), 0);
    out_.initializers[q] = std::move(quantized);
    out_.initializers[s] = ScaleTensor(scales);
    ir::Node dq;
    dq.name = NewNode(base + "/DequantizeLinear");
    dq.op_type = "DequantizeLinear";
    dq.inputs = {q, s, zp};
    dq.outputs = {NewValue(base + "_dequantized")};
    if (scales.size() > 1) dq.attrs["axis"] = int64_t{axis};
    out_.nodes.push_back(dq);
    return dq.outputs[0];
  }

  absl::Status QuantizeActivation(const std::string& t) {
    auto it = activations_.find(t);
    if (it == activations_.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("quantized tensor '", t, "' has no quantization parameters"));
    }
    const ActivationQuant& a = it->second;
    const std::string s = NewValue(t + "_scale");
    const std::string zp = NewValue(t + "_zero_point");
    out_.initializers[s] = ScalarF32(a.params.scale);
    out_.initializers[zp] = ZeroPointTensor(a.zero_point_dtype, 1, a.params.zero_point);
    ir::Node q;
    q.name = NewNode(t + "/QuantizeLinear");
    q.op_type = "QuantizeLinear";
    q.inputs = {t, s, zp};
    q.outputs = {NewValue(t + "_quantized")};
    ir::Node dq;
    dq.name = NewNode(t + "/DequantizeLinear");
    dq.op_type = "DequantizeLinear";
    dq.inputs = {q.outputs[0], s, zp};
    dq.outputs = {NewValue(t + "_dequantized")};
    dequantized_[t] = dq.outputs[0];
    out_.nodes.push_back(std::move(q));
    out_.nodes.push_back(std::move(dq));
    return absl::OkStatus();
  }

  absl::StatusOr<const WeightEntry*> QuantizeWeightInput(const ir::Node& node, int axis) {
    const std::string& name = node.inputs[1];
    const std::string key = absl::StrCat(name, "@", axis);
    auto it = weights_.find(key);
    if (it != weights_.end()) return &it->second;
    const ir::Tensor& w = *in_.FindInitializer(name);
    const WeightScheme scheme = SchemeFor(options_.weights, w);
    QuantizedWeight q;
    if (options_.weight_cache != nullptr) {
      FP_ASSIGN_OR_RETURN(const QuantizedWeight* cached,
                          options_.weight_cache->Quantize(name, w, axis, scheme));
      q = *cached;  // the graph owns its copy
    } else {
      FP_ASSIGN_OR_RETURN(q, QuantizeWeight(w, axis, scheme));
    }
    WeightEntry entry;
    entry.scales = q.scales;
    entry.dequantized = AddConstantDequantize(name, std::move(q.values), q.scales, axis);
    replaced_.insert(name);
    return &weights_.emplace(key, std::move(entry)).first->second;
  }

  // Whether input 2 of Conv/Gemm can become int32 at scale s_in * s_w.
  // `node` still has its original inputs.
  absl::StatusOr<bool> BiasQuantizable(const ir::Node& node, const WeightEntry& weight,
                                       int axis) const {
    if (!options_.quantize_bias || !node.HasInput(2)) return false;
    if (node.op_type != "Conv" && node.op_type != "Gemm") return false;
    const ir::Tensor* b = in_.FindInitializer(node.inputs[2]);
    if (b == nullptr || b->dtype() != ir::DType::kF32 || b->shape().rank() != 1) return false;
    const int64_t channels = in_.FindInitializer(node.inputs[1])->shape()[axis];
    if (b->shape()[0] != channels) return false;
    if (weight.scales.size() != 1 && static_cast<int64_t>(weight.scales.size()) != channels) {
      return false;
    }
    if (node.op_type == "Gemm") {
      FP_ASSIGN_OR_RETURN(float alpha, node.GetFloat("alpha", 1.0f));
      FP_ASSIGN_OR_RETURN(float beta, node.GetFloat("beta", 1.0f));
      if (alpha != 1.0f || beta != 1.0f) return false;
    }
    return node.HasInput(0) && dequantized_.contains(node.inputs[0]);
  }

  absl::Status RewriteActiveNode(ir::Node& node) {
    const ir::Node before = node;
    const std::vector<std::string>& original = before.inputs;
    for (size_t k = 0; k < node.inputs.size(); ++k) {
      auto it = dequantized_.find(node.inputs[k]);
      if (it != dequantized_.end() && IsActivationSlot(node, static_cast<int>(k))) {
        node.inputs[k] = it->second;
      }
    }
    FP_ASSIGN_OR_RETURN(int axis, WeightAxis(in_, before));
    if (axis < 0) return absl::OkStatus();
    FP_ASSIGN_OR_RETURN(const WeightEntry* weight, QuantizeWeightInput(before, axis));
    FP_ASSIGN_OR_RETURN(bool bias, BiasQuantizable(before, *weight, axis));
    node.inputs[1] = weight->dequantized;
    if (!bias) return absl::OkStatus();
    const float input_scale = activations_.at(original[0]).params.scale;
    FP_ASSIGN_OR_RETURN(QuantizedBias q, QuantizeBias(*in_.FindInitializer(original[2]),
                                                      input_scale, weight->scales));
    node.inputs[2] = AddConstantDequantize(original[2], std::move(q.values), q.scales, 0);
    replaced_.insert(original[2]);
    return absl::OkStatus();
  }

  // Float weights and biases that every reader now reads quantized.
  void DropUnreadConstants() {
    absl::flat_hash_set<std::string> read;
    for (const ir::Node& n : out_.nodes) read.insert(n.inputs.begin(), n.inputs.end());
    for (const ir::ValueInfo& v : out_.outputs) read.insert(v.name);
    for (const std::string& name : replaced_) {
      if (!read.contains(name)) out_.initializers.erase(name);
    }
  }

  const ir::Graph& in_;
  const ActivationPlan& plan_;
  const std::map<std::string, ActivationQuant>& activations_;
  const QdqOptions& options_;
  ir::Graph out_;
  absl::flat_hash_set<std::string> used_values_;
  absl::flat_hash_set<std::string> used_nodes_;
  absl::flat_hash_map<std::string, std::string> dequantized_;  // T -> T_dequantized
  absl::flat_hash_map<std::string, WeightEntry> weights_;      // "W@axis" -> entry
  absl::flat_hash_set<std::string> replaced_;
};

}  // namespace

absl::Status QuantizeWeightsInto(const ir::Graph& prepared, const ActivationPlan& plan,
                                 const QdqOptions& options) {
  if (options.weight_cache == nullptr) {
    return absl::InvalidArgumentError("QuantizeWeightsInto needs options.weight_cache");
  }
  for (int i : plan.active_nodes) {
    if (i < 0 || i >= static_cast<int>(prepared.nodes.size())) continue;
    const ir::Node& node = prepared.nodes[i];
    absl::StatusOr<int> axis = WeightAxis(prepared, node);
    if (!axis.ok()) return WithContext(axis.status(), node.Describe());
    if (*axis < 0) continue;
    const ir::Tensor& w = *prepared.FindInitializer(node.inputs[1]);
    FP_RETURN_IF_ERROR(WithContext(
        options.weight_cache->Quantize(node.inputs[1], w, *axis, SchemeFor(options.weights, w))
            .status(),
        node.Describe()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, ActivationQuant>> ChooseActivationParams(
    const ActivationPlan& plan, const std::map<std::string, TensorRange>& ranges,
    ActivationScheme scheme) {
  std::map<std::string, ActivationQuant> result;
  for (const std::string& name : plan.calibrated) {
    auto it = ranges.find(name);
    if (it == ranges.end()) {
      return absl::InvalidArgumentError(absl::StrCat("tensor '", name, "' was not calibrated"));
    }
    const TensorRange& range = it->second;
    ActivationQuant a;
    a.name = name;
    a.min = range.min;
    a.max = range.max;
    a.zero_point_dtype =
        scheme == ActivationScheme::kAsymmetricU8 ? ir::DType::kU8 : ir::DType::kI8;
    if (scheme == ActivationScheme::kPof2) {
      if (!range.fix_pos.has_value()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "tensor '", name, "': power-of-two quantization needs a pof2 calibration method"));
      }
      a.fix_pos = std::clamp(*range.fix_pos, -127, kMaxFixPos);
      a.params = Pof2Params(*a.fix_pos);
    } else {
      absl::StatusOr<QuantParams> params =
          ScaleZeroPoint(range.min, range.max, scheme == ActivationScheme::kSymmetricS8);
      if (!params.ok()) return WithContext(params.status(), absl::StrCat("tensor '", name, "'"));
      a.params = *params;
    }
    result.emplace(name, std::move(a));
  }
  for (const auto& [name, root] : plan.shared) {
    auto it = result.find(root);
    if (it == result.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("tensor '", name, "' shares parameters with uncalibrated '", root, "'"));
    }
    ActivationQuant a = it->second;
    a.name = name;
    a.params_from = root;
    result.emplace(name, std::move(a));
  }
  return result;
}

absl::StatusOr<ir::Graph> InsertQdq(const ir::Graph& prepared, const ActivationPlan& plan,
                                    const std::map<std::string, ActivationQuant>& activations,
                                    const QdqOptions& options) {
  return QdqBuilder(prepared, plan, activations, options).Build();
}

}  // namespace fixpoint::quant
