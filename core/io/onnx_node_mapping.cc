// ONNX node -> canonical IR node. Two tables drive it: kInputRules (which
// inputs become which attributes, per opset range) and kFixups (per-op
// normalizations of attribute forms and defaults).
#include "core/io/onnx_node_mapping.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/io/onnx_proto_convert.h"
#include "core/ir/shape_inference.h"
#include "core/util/status_macros.h"

namespace fixpoint::io {
namespace {

constexpr int64_t kAnyOpset = std::numeric_limits<int64_t>::max();

enum class AttrKind { kNone, kInts, kFloats, kFloat, kDrop };

struct InputAttr {
  int index = -1;
  absl::string_view attr;
  AttrKind kind = AttrKind::kNone;  // kDrop: input ignored (Resize roi)
  bool required = false;
};

struct InputRule {
  absl::string_view op;
  int64_t min_opset;
  int64_t max_opset;
  InputAttr inputs[4];
};

// Inputs that are constants in practice and become attributes; all of a
// rule's inputs are trailing, so the node keeps the inputs before the first.
constexpr InputRule kInputRules[] = {
    {"Reshape", 5, kAnyOpset, {{1, "shape", AttrKind::kInts, true}}},
    {"Squeeze", 13, kAnyOpset, {{1, "axes", AttrKind::kInts, false}}},
    {"Unsqueeze", 13, kAnyOpset, {{1, "axes", AttrKind::kInts, true}}},
    {"Slice",
     10,
     kAnyOpset,
     {{1, "starts", AttrKind::kInts, true},
      {2, "ends", AttrKind::kInts, true},
      {3, "axes", AttrKind::kInts, false},
      {4, "steps", AttrKind::kInts, false}}},
    {"Clip",
     11,
     kAnyOpset,
     {{1, "min", AttrKind::kFloat, false}, {2, "max", AttrKind::kFloat, false}}},
    {"Pad",
     11,
     kAnyOpset,
     {{1, "pads", AttrKind::kInts, true}, {2, "value", AttrKind::kFloat, false}}},
    {"ReduceSum", 13, kAnyOpset, {{1, "axes", AttrKind::kInts, false}}},
    {"Resize", 10, 10, {{1, "scales", AttrKind::kFloats, true}}},
    {"Resize",
     11,
     kAnyOpset,
     {{1, "roi", AttrKind::kDrop, false},
      {2, "scales", AttrKind::kFloats, false},
      {3, "sizes", AttrKind::kInts, false}}},
    {"Upsample", 9, kAnyOpset, {{1, "scales", AttrKind::kFloats, true}}},
    {"Expand", 8, kAnyOpset, {{1, "shape", AttrKind::kInts, true}}},
    {"Tile", 6, kAnyOpset, {{1, "repeats", AttrKind::kInts, true}}},
    {"Split", 13, kAnyOpset, {{1, "split", AttrKind::kInts, false}}},
    {"ConstantOfShape", 9, kAnyOpset, {{0, "shape", AttrKind::kInts, true}}},
};

absl::Status Refuse(const ir::Node& node, absl::string_view why) {
  return absl::UnimplementedError(absl::StrCat(node.Describe(), ": ", why));
}
absl::Status Malformed(const ir::Node& node, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(node.Describe(), ": ", why));
}

bool IsUsed(const OnnxNodeContext& ctx, const std::string& value) {
  return !value.empty() && ctx.used_values != nullptr && ctx.used_values->count(value) > 0;
}

absl::StatusOr<ir::Attribute> TensorToAttr(const ir::Node& node, const InputAttr& in,
                                           const ir::Tensor& t) {
  const std::string what = absl::StrCat("input ", in.index, " ('", node.inputs[in.index],
                                        "') for attribute '", in.attr, "'");
  if (t.shape().rank() > 1) return Malformed(node, absl::StrCat(what, " must have rank <= 1"));
  const int64_t n = t.NumElements();
  switch (in.kind) {
    case AttrKind::kInts: {
      if (t.dtype() != ir::DType::kI64 && t.dtype() != ir::DType::kI32) {
        return Malformed(node,
                         absl::StrCat(what, " must be int64, not ", ir::DTypeName(t.dtype())));
      }
      std::vector<int64_t> v(static_cast<size_t>(n));
      // Copied, not through double: an int64 near INT64_MAX rounds to 2^63,
      // which does not convert back.
      if (t.dtype() == ir::DType::kI64) {
        std::copy_n(t.data<int64_t>(), n, v.begin());
      } else {
        std::copy_n(t.data<int32_t>(), n, v.begin());
      }
      return ir::Attribute(std::move(v));
    }
    case AttrKind::kFloats: {
      std::vector<float> v(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i) v[i] = static_cast<float>(t.GetAsDouble(i));
      return ir::Attribute(std::move(v));
    }
    default:
      if (n != 1) return Malformed(node, absl::StrCat(what, " must have one element, has ", n));
      return ir::Attribute(static_cast<float>(t.GetAsDouble(0)));
  }
}

absl::Status ApplyInputRule(ir::Node& node, const ir::Graph& graph, const InputRule& rule) {
  size_t keep = node.inputs.size();
  for (const InputAttr& in : rule.inputs) {
    if (in.kind == AttrKind::kNone) break;
    keep = std::min(keep, static_cast<size_t>(in.index));
    if (!node.HasInput(in.index)) {
      if (in.required)
        return Malformed(node, absl::StrCat("missing input ", in.index, " (", in.attr, ")"));
      continue;
    }
    if (in.kind == AttrKind::kDrop) continue;
    const ir::Tensor* t = graph.FindInitializer(node.inputs[in.index]);
    if (t == nullptr) {
      return Refuse(node, absl::StrCat("input ", in.index, " ('", node.inputs[in.index],
                                       "') must be a constant to become attribute '", in.attr,
                                       "', but it is computed at run time"));
    }
    if (node.HasAttr(std::string(in.attr))) {
      return Malformed(node, absl::StrCat("'", in.attr, "' given both as input and attribute"));
    }
    FP_ASSIGN_OR_RETURN(ir::Attribute a, TensorToAttr(node, in, *t));
    node.attrs[std::string(in.attr)] = std::move(a);
  }
  node.inputs.resize(keep);
  return absl::OkStatus();
}

// ---- per-op fixups ----------------------------------------------------------

using Fixup = absl::Status (*)(ir::Node&, const ir::Graph&, const OnnxNodeContext&);

template <typename T>
void SetDefault(ir::Node& node, const std::string& key, T value) {
  if (!node.HasAttr(key)) node.attrs[key] = std::move(value);
}

absl::Status FixSoftmax(ir::Node& node, const ir::Graph&, const OnnxNodeContext& ctx) {
  if (ctx.opset < 13) {
    SetDefault(node, "axis", int64_t{1});
    node.attrs["coerce_2d"] = int64_t{1};  // flatten to 2-D at axis (old semantics)
  } else {
    SetDefault(node, "axis", int64_t{-1});
  }
  return absl::OkStatus();
}

absl::Status FixCast(ir::Node& node, const ir::Graph&, const OnnxNodeContext&) {
  auto it = node.attrs.find("to");
  if (it == node.attrs.end()) return Malformed(node, "missing attribute 'to'");
  if (std::holds_alternative<std::string>(it->second)) return absl::OkStatus();
  FP_ASSIGN_OR_RETURN(int64_t to, node.GetInt("to", 0));
  auto dtype = DTypeFromOnnx(static_cast<int32_t>(to), "cast target");
  if (!dtype.ok()) return WithContext(dtype.status(), node.Describe());
  it->second = std::string(ir::DTypeName(*dtype));
  return absl::OkStatus();
}

absl::Status FixSlice(ir::Node& node, const ir::Graph&, const OnnxNodeContext&) {
  if (!node.HasAttr("starts") || !node.HasAttr("ends")) {
    return Malformed(node, "missing starts or ends");
  }
  FP_ASSIGN_OR_RETURN(std::vector<int64_t> starts, node.GetInts("starts", {}));
  FP_ASSIGN_OR_RETURN(std::vector<int64_t> ends, node.GetInts("ends", {}));
  std::vector<int64_t> axes(starts.size());
  for (size_t i = 0; i < axes.size(); ++i) axes[i] = static_cast<int64_t>(i);
  FP_ASSIGN_OR_RETURN(axes, node.GetInts("axes", axes));
  FP_ASSIGN_OR_RETURN(std::vector<int64_t> steps,
                      node.GetInts("steps", std::vector<int64_t>(starts.size(), 1)));
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size()) {
    return Malformed(node, "starts, ends, axes and steps differ in length");
  }
  node.attrs["axes"] = std::move(axes);
  node.attrs["steps"] = std::move(steps);
  return absl::OkStatus();
}

absl::Status FixReduce(ir::Node& node, const ir::Graph&, const OnnxNodeContext&) {
  SetDefault(node, "axes", std::vector<int64_t>{});
  SetDefault(node, "keepdims", int64_t{1});
  SetDefault(node, "noop_with_empty_axes", int64_t{0});
  return absl::OkStatus();
}

// Opset-10 Resize and Upsample: x_in = x_out / scale; nearest rounds down when
// upsampling and up when downsampling (ONNX Runtime's and the reference's
// behaviour), which is "floor" or "ceil" in the opset-11 vocabulary.
absl::Status FixLegacyResize(ir::Node& node) {
  FP_ASSIGN_OR_RETURN(std::vector<float> scales, node.GetFloats("scales", {}));
  const bool down = std::any_of(scales.begin(), scales.end(), [](float s) { return s < 1; });
  const bool up = std::any_of(scales.begin(), scales.end(), [](float s) { return s > 1; });
  if (down && up) return Refuse(node, "opset-10 Resize that both up- and downsamples");
  node.attrs["coordinate_transformation_mode"] = std::string("asymmetric");
  node.attrs["nearest_mode"] = std::string(down ? "ceil" : "floor");
  return absl::OkStatus();
}

absl::Status FixResize(ir::Node& node, const ir::Graph&, const OnnxNodeContext& ctx) {
  SetDefault(node, "mode", std::string("nearest"));
  FP_ASSIGN_OR_RETURN(std::string mode, node.GetString("mode", ""));
  if (mode != "nearest" && mode != "linear") {
    return Refuse(node, absl::StrCat("mode '", mode, "' is not supported"));
  }
  auto scales = node.attrs.find("scales");  // empty scales = absent (opset 11+)
  if (scales != node.attrs.end()) {
    auto* v = std::get_if<std::vector<float>>(&scales->second);
    if (v != nullptr && v->empty()) node.attrs.erase(scales);
  }
  auto sizes = node.attrs.find("sizes");
  if (sizes != node.attrs.end()) {
    auto* v = std::get_if<std::vector<int64_t>>(&sizes->second);
    if (v != nullptr && v->empty()) node.attrs.erase(sizes);
  }
  if (node.HasAttr("scales") == node.HasAttr("sizes")) {
    return Malformed(node, "needs exactly one of scales and sizes");
  }
  if (ctx.opset < 11) return FixLegacyResize(node);
  SetDefault(node, "coordinate_transformation_mode", std::string("half_pixel"));
  SetDefault(node, "nearest_mode", std::string("round_prefer_floor"));
  FP_ASSIGN_OR_RETURN(std::string ctm, node.GetString("coordinate_transformation_mode", ""));
  if (ctm == "tf_crop_and_resize") return Refuse(node, "tf_crop_and_resize is not supported");
  return absl::OkStatus();
}

absl::Status FixUpsample(ir::Node& node, const ir::Graph&, const OnnxNodeContext&) {
  node.op_type = "Resize";
  absl::StatusOr<std::string> mode = node.GetString("mode", "nearest");
  if (!mode.ok()) return mode.status();
  if (*mode == "bilinear") *mode = "linear";  // Upsample-1's name
  if (*mode != "nearest" && *mode != "linear") {
    return Refuse(node, absl::StrCat("mode '", *mode, "' is not supported"));
  }
  node.attrs["mode"] = *mode;
  if (!node.HasAttr("scales")) return Malformed(node, "missing scales");
  node.inputs.resize(1);
  return FixLegacyResize(node);
}

// Keeps output 0 only; refuses when a dropped output is read.
absl::Status KeepFirstOutput(ir::Node& node, const OnnxNodeContext& ctx, absl::string_view what) {
  for (size_t i = 1; i < node.outputs.size(); ++i) {
    if (IsUsed(ctx, node.outputs[i])) {
      return Refuse(node, absl::StrCat("output ", i, " ('", node.outputs[i], "', ", what,
                                       ") is used; only output 0 is supported"));
    }
  }
  if (node.outputs.size() > 1) node.outputs.resize(1);
  return absl::OkStatus();
}

absl::Status FixDropout(ir::Node& node, const ir::Graph& graph, const OnnxNodeContext& ctx) {
  if (node.HasInput(2)) {  // opset 12+: training_mode, fine when a constant false
    const ir::Tensor* t = graph.FindInitializer(node.inputs[2]);
    if (t == nullptr || t->NumElements() != 1 || t->GetAsDouble(0) != 0) {
      return Refuse(node, "training_mode that is not a constant false (inference only)");
    }
  }
  node.inputs.resize(std::min<size_t>(node.inputs.size(), 1));
  node.attrs.erase("is_test");
  return KeepFirstOutput(node, ctx, "mask");
}

absl::Status FixMaxPool(ir::Node& node, const ir::Graph&, const OnnxNodeContext& ctx) {
  return KeepFirstOutput(node, ctx, "indices");
}

absl::Status FixBatchNorm(ir::Node& node, const ir::Graph&, const OnnxNodeContext& ctx) {
  if (node.GetInt("training_mode", 0).value_or(1) != 0) {
    return Refuse(node, "training_mode is not supported (inference only)");
  }
  if (node.GetInt("spatial", 1).value_or(0) != 1) {
    return Refuse(node, "spatial=0 (per-activation statistics) is not supported");
  }
  node.attrs.erase("spatial");
  return KeepFirstOutput(node, ctx, "training statistics");
}

absl::Status FixConstantOfShape(ir::Node& node, const ir::Graph&, const OnnxNodeContext&) {
  if (!node.HasAttr("value")) {
    node.attrs["value"] = ir::Tensor(ir::DType::kF32, ir::Shape({1}));
  }
  FP_ASSIGN_OR_RETURN(const ir::Tensor* value, node.GetTensor("value"));
  if (value->NumElements() != 1) return Malformed(node, "value must have one element");
  return absl::OkStatus();
}

absl::Status FixPad(ir::Node& node, const ir::Graph&, const OnnxNodeContext&) {
  if (!node.HasAttr("pads")) return Malformed(node, "missing pads");
  // Shape inference adds pads to dims in int64; no real pad is this large.
  constexpr int64_t kMaxPad = int64_t{1} << 31;
  FP_ASSIGN_OR_RETURN(std::vector<int64_t> pads, node.GetInts("pads", {}));
  for (int64_t p : pads) {
    if (p < -kMaxPad || p > kMaxPad) {
      return Malformed(node, absl::StrCat("pad ", p, " is out of range [-2^31, 2^31]"));
    }
  }
  SetDefault(node, "mode", std::string("constant"));
  SetDefault(node, "value", 0.0f);
  return absl::OkStatus();
}

absl::Status FixUnsqueeze(ir::Node& node, const ir::Graph&, const OnnxNodeContext&) {
  if (!node.HasAttr("axes")) return Malformed(node, "missing axes");
  return absl::OkStatus();
}

absl::Status FixSplit(ir::Node& node, const ir::Graph&, const OnnxNodeContext&) {
  SetDefault(node, "axis", int64_t{0});
  return absl::OkStatus();
}

// QuantizeLinear / DequantizeLinear keep scale and zero point as inputs, but
// only constant ones: quantization parameters are fixed when a model is
// exported, and kernels may specialize on them.
absl::Status FixQdq(ir::Node& node, const ir::Graph& graph, const OnnxNodeContext&) {
  for (int i : {1, 2}) {
    if (!node.HasInput(i) || graph.FindInitializer(node.inputs[i]) != nullptr) continue;
    return Refuse(
        node, absl::StrCat("input ", i, " ('", node.inputs[i], "') must be a constant (",
                           i == 1 ? "scale" : "zero point", "), but it is computed at run time"));
  }
  return absl::OkStatus();
}

struct OpFixup {
  absl::string_view op;
  Fixup fn;
};

constexpr OpFixup kFixups[] = {
    {"Softmax", FixSoftmax},
    {"LogSoftmax", FixSoftmax},
    {"Hardmax", FixSoftmax},
    {"Cast", FixCast},
    {"Slice", FixSlice},
    {"ReduceMean", FixReduce},
    {"ReduceSum", FixReduce},
    {"ReduceMax", FixReduce},
    {"ReduceMin", FixReduce},
    {"ReduceProd", FixReduce},
    {"ReduceL1", FixReduce},
    {"ReduceL2", FixReduce},
    {"ReduceSumSquare", FixReduce},
    {"ReduceLogSumExp", FixReduce},
    {"Resize", FixResize},
    {"Upsample", FixUpsample},
    {"Dropout", FixDropout},
    {"MaxPool", FixMaxPool},
    {"BatchNormalization", FixBatchNorm},
    {"ConstantOfShape", FixConstantOfShape},
    {"Pad", FixPad},
    {"Unsqueeze", FixUnsqueeze},
    {"Split", FixSplit},
    {"QuantizeLinear", FixQdq},
    {"DequantizeLinear", FixQdq},
};

}  // namespace

bool IsImportableOnnxOp(absl::string_view op_type) {
  return op_type == "Constant" || op_type == "Upsample" || ir::IsSupportedOp(op_type);
}

absl::Status CanonicalizeOnnxNode(ir::Node& node, const ir::Graph& graph,
                                  const OnnxNodeContext& ctx) {
  for (const InputRule& rule : kInputRules) {
    if (rule.op == node.op_type && ctx.opset >= rule.min_opset && ctx.opset <= rule.max_opset) {
      FP_RETURN_IF_ERROR(ApplyInputRule(node, graph, rule));
      break;
    }
  }
  for (const OpFixup& f : kFixups) {
    if (f.op == node.op_type) return f.fn(node, graph, ctx);
  }
  return absl::OkStatus();
}

}  // namespace fixpoint::io
