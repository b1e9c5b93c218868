// Canonical IR node -> ONNX node(s) at the target opset (13..17): the inverse
// of onnx_node_mapping.cc. Three tables drive it: kAttrInputs (attributes
// that are inputs in ONNX), kOnnxAttrs (the attributes each op has in ONNX at
// opset 13, plus a few gated by a later opset) and the per-op rewrites in
// LowerNode. Nodes that need more than one ONNX node (coerce_2d softmax,
// HardSwish before opset 14, fused activations) are composed here too.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/io/onnx_export_internal.h"
#include "core/io/onnx_proto_convert.h"
#include "core/transform/fuse_activations.h"
#include "core/util/status_macros.h"

namespace fixpoint::io {
namespace {

enum class InKind { kNone, kInts, kFloats, kScalarOfX };

struct AttrInput {
  int index = -1;
  const char* attr = nullptr;
  InKind kind = InKind::kNone;
};

struct AttrInputRule {
  absl::string_view op;
  AttrInput inputs[4];
};

// Attributes that opset 13 takes as (constant) inputs. Inputs before the
// first listed index are the node's own; unlisted indices are absent (Resize
// roi).
constexpr AttrInputRule kAttrInputs[] = {
    {"Reshape", {{1, "shape", InKind::kInts}}},
    {"Squeeze", {{1, "axes", InKind::kInts}}},
    {"Unsqueeze", {{1, "axes", InKind::kInts}}},
    {"Slice",
     {{1, "starts", InKind::kInts},
      {2, "ends", InKind::kInts},
      {3, "axes", InKind::kInts},
      {4, "steps", InKind::kInts}}},
    {"Clip", {{1, "min", InKind::kScalarOfX}, {2, "max", InKind::kScalarOfX}}},
    {"Pad", {{1, "pads", InKind::kInts}, {2, "value", InKind::kScalarOfX}}},
    {"ReduceSum", {{1, "axes", InKind::kInts}}},
    {"Resize", {{2, "scales", InKind::kFloats}, {3, "sizes", InKind::kInts}}},
    {"Expand", {{1, "shape", InKind::kInts}}},
    {"Tile", {{1, "repeats", InKind::kInts}}},
    {"Split", {{1, "split", InKind::kInts}}},
    {"ConstantOfShape", {{0, "shape", InKind::kInts}}},
};

struct OnnxAttrs {
  absl::string_view op;
  absl::string_view names;  // space-separated, at opset 13
};

// Every IR op (core/ir/infer/op_table.cc) with its ONNX attributes.
constexpr OnnxAttrs kOnnxAttrs[] = {
    {"Abs", ""}, {"Add", ""}, {"And", ""},
    {"ArgMax", "axis keepdims select_last_index"},
    {"ArgMin", "axis keepdims select_last_index"},
    {"AveragePool", "auto_pad ceil_mode count_include_pad kernel_shape pads strides"},
    {"BatchNormalization", "epsilon momentum"},
    {"Cast", "to"}, {"Ceil", ""}, {"Clip", ""}, {"Concat", "axis"},
    {"ConstantOfShape", "value"},
    {"Conv", "auto_pad dilations group kernel_shape pads strides"},
    {"ConvTranspose",
     "auto_pad dilations group kernel_shape output_padding output_shape pads strides"},
    {"Cos", ""}, {"DepthToSpace", "blocksize mode"}, {"DequantizeLinear", "axis"},
    {"Div", ""}, {"Dropout", "seed"}, {"Elu", "alpha"}, {"Equal", ""}, {"Erf", ""},
    {"Exp", ""}, {"Expand", ""}, {"Flatten", "axis"}, {"Floor", ""}, {"Gather", "axis"},
    {"Gemm", "alpha beta transA transB"}, {"GlobalAveragePool", ""}, {"GlobalMaxPool", ""},
    {"Greater", ""}, {"GreaterOrEqual", ""}, {"HardSigmoid", "alpha beta"},
    {"HardSwish", ""}, {"Hardmax", "axis"}, {"Identity", ""},
    {"InstanceNormalization", "epsilon"}, {"LRN", "alpha beta bias size"},
    {"LeakyRelu", "alpha"}, {"Less", ""}, {"LessOrEqual", ""}, {"Log", ""},
    {"LogSoftmax", "axis"}, {"MatMul", ""}, {"Max", ""},
    {"MaxPool", "auto_pad ceil_mode dilations kernel_shape pads storage_order strides"},
    {"Mean", ""}, {"Min", ""}, {"Mul", ""}, {"Neg", ""}, {"Not", ""}, {"Or", ""},
    {"PRelu", ""}, {"Pad", "mode"}, {"Pow", ""}, {"QuantizeLinear", "axis"},
    {"Reciprocal", ""}, {"ReduceL1", "axes keepdims"}, {"ReduceL2", "axes keepdims"},
    {"ReduceLogSumExp", "axes keepdims"}, {"ReduceMax", "axes keepdims"},
    {"ReduceMean", "axes keepdims"}, {"ReduceMin", "axes keepdims"},
    {"ReduceProd", "axes keepdims"}, {"ReduceSum", "keepdims noop_with_empty_axes"},
    {"ReduceSumSquare", "axes keepdims"}, {"Relu", ""}, {"Reshape", ""},
    {"Resize",
     "coordinate_transformation_mode cubic_coeff_a exclude_outside extrapolation_value mode "
     "nearest_mode"},
    {"Selu", "alpha gamma"}, {"Shape", ""}, {"Sigmoid", ""}, {"Sign", ""}, {"Sin", ""},
    {"Size", ""}, {"Slice", ""}, {"Softmax", "axis"}, {"Softplus", ""}, {"Softsign", ""},
    {"SpaceToDepth", "blocksize"}, {"Split", "axis"}, {"Sqrt", ""}, {"Squeeze", ""},
    {"Sub", ""}, {"Sum", ""}, {"Tanh", ""}, {"Tile", ""}, {"Transpose", "perm"},
    {"Unsqueeze", ""}, {"Where", ""}, {"Xor", ""},
};

// Attributes added by later opsets that we write when the target has them.
struct LaterAttr {
  absl::string_view op;
  absl::string_view attr;
  int64_t since;
};
constexpr LaterAttr kLaterAttrs[] = {
    {"Reshape", "allowzero", 14},
    {"Shape", "start", 15},
    {"Shape", "end", 15},
};

// Input dtypes an op accepts only from a later opset (its type constraint
// widened then).
struct LaterType {
  absl::string_view op;
  ir::DType dtype;
  int64_t since;
};
constexpr LaterType kLaterTypes[] = {
    {"Add", ir::DType::kI8, 14}, {"Add", ir::DType::kU8, 14},
    {"Sub", ir::DType::kI8, 14}, {"Sub", ir::DType::kU8, 14},
    {"Mul", ir::DType::kI8, 14}, {"Mul", ir::DType::kU8, 14},
    {"Div", ir::DType::kI8, 14}, {"Div", ir::DType::kU8, 14},
    {"Relu", ir::DType::kI8, 14}, {"Relu", ir::DType::kI32, 14},
    {"Relu", ir::DType::kI64, 14},
};

absl::Status Refuse(const ir::Node& node, absl::string_view why) {
  return absl::UnimplementedError(absl::StrCat(node.Describe(), ": ", why));
}

const OnnxAttrs* FindOnnxAttrs(absl::string_view op) {
  for (const OnnxAttrs& o : kOnnxAttrs) {
    if (o.op == op) return &o;
  }
  return nullptr;
}

bool IsOnnxAttr(absl::string_view op, const std::string& attr, int64_t opset) {
  const OnnxAttrs* o = FindOnnxAttrs(op);
  if (o != nullptr) {
    for (absl::string_view a : absl::StrSplit(o->names, ' ', absl::SkipEmpty())) {
      if (a == attr) return true;
    }
  }
  for (const LaterAttr& l : kLaterAttrs) {
    if (l.op == op && l.attr == attr && opset >= l.since) return true;
  }
  return false;
}

ir::DType DTypeOf(const ExportContext& ctx, const std::string& value) {
  const ir::ValueInfo* info = ctx.Info(value);
  // Values the lowering itself adds (a fused host's pre-activation output)
  // have no info; fusion hosts are f32.
  return info != nullptr ? info->dtype : ir::DType::kF32;
}

ir::Tensor Scalar(ir::DType dtype, double v) {
  ir::Tensor t(dtype, ir::Shape());
  switch (dtype) {
    case ir::DType::kF32: *t.data<float>() = static_cast<float>(v); break;
    case ir::DType::kF16: *t.data<uint16_t>() = ir::FloatToHalf(static_cast<float>(v)); break;
    case ir::DType::kI8: *t.data<int8_t>() = static_cast<int8_t>(v); break;
    case ir::DType::kU8: *t.data<uint8_t>() = static_cast<uint8_t>(v); break;
    case ir::DType::kI32: *t.data<int32_t>() = static_cast<int32_t>(v); break;
    case ir::DType::kI64: *t.data<int64_t>() = static_cast<int64_t>(v); break;
    case ir::DType::kBool: *t.data<uint8_t>() = v != 0; break;
  }
  return t;
}

ir::Tensor Ints(const std::vector<int64_t>& v) {
  return ir::Tensor::FromI64(ir::Shape({static_cast<int64_t>(v.size())}), v);
}

// The constant tensor an attribute becomes.
absl::StatusOr<ir::Tensor> AttrTensor(const ir::Node& node, const AttrInput& in,
                                      const ExportContext& ctx) {
  switch (in.kind) {
    case InKind::kInts: {
      FP_ASSIGN_OR_RETURN(std::vector<int64_t> v, node.GetInts(in.attr, {}));
      return Ints(v);
    }
    case InKind::kFloats: {
      FP_ASSIGN_OR_RETURN(std::vector<float> v, node.GetFloats(in.attr, {}));
      return ir::Tensor::FromF32(ir::Shape({static_cast<int64_t>(v.size())}), v);
    }
    default: {
      FP_ASSIGN_OR_RETURN(float v, node.GetFloat(in.attr, 0.0f));
      return Scalar(DTypeOf(ctx, node.inputs[0]), v);
    }
  }
}

// Attributes -> initializer inputs per kAttrInputs.
absl::Status AttrsToInputs(ir::Node& node, ExportContext& ctx) {
  for (const AttrInputRule& rule : kAttrInputs) {
    if (rule.op != node.op_type) continue;
    std::vector<std::string> inputs(node.inputs.begin(),
                                    node.inputs.begin() + std::min<size_t>(node.inputs.size(),
                                                                           rule.inputs[0].index));
    for (const AttrInput& in : rule.inputs) {
      if (in.kind == InKind::kNone) break;
      if (!node.HasAttr(in.attr)) continue;
      FP_ASSIGN_OR_RETURN(ir::Tensor t, AttrTensor(node, in, ctx));
      inputs.resize(std::max<size_t>(inputs.size(), in.index + 1));
      inputs[in.index] = ctx.AddInitializer(absl::StrCat(node.name, "_", in.attr), t);
      node.attrs.erase(in.attr);
    }
    node.inputs = std::move(inputs);
    break;
  }
  return absl::OkStatus();
}

// Writes `node` as one ONNX node after checking that every attribute left
// exists in ONNX at the target opset.
absl::Status Emit(const ir::Node& node, ExportContext& ctx) {
  if (FindOnnxAttrs(node.op_type) == nullptr) {
    return Refuse(node, "op has no ONNX export");
  }
  std::vector<std::string> foreign;
  for (const auto& [key, value] : node.attrs) {
    if (!IsOnnxAttr(node.op_type, key, ctx.opset())) foreign.push_back(key);
  }
  if (!foreign.empty()) {
    return Refuse(node, absl::StrCat("attribute(s) ", absl::StrJoin(foreign, ", "),
                                     " have no ONNX form at opset ", ctx.opset()));
  }
  onnx::NodeProto* out = ctx.AddNode(node.op_type, node.name, node.inputs, node.outputs);
  for (const auto& [key, value] : node.attrs) AttributeToProto(key, value, out->add_attribute());
  return absl::OkStatus();
}

ir::Node MakeNode(const std::string& op, std::string name, std::vector<std::string> inputs,
                  std::vector<std::string> outputs) {
  ir::Node n;
  n.op_type = op;
  n.name = std::move(name);
  n.inputs = std::move(inputs);
  n.outputs = std::move(outputs);
  return n;
}

// Old-semantics (opset < 13) Softmax/LogSoftmax/Hardmax: the op over the 2-D
// flattening at `axis`, i.e. Flatten(axis) -> op(axis=1) -> Reshape back.
absl::Status EmitCoerced2d(ir::Node node, ExportContext& ctx) {
  const ir::ValueInfo* x = ctx.Info(node.inputs[0]);
  if (x == nullptr) return Refuse(node, "coerce_2d needs the input's shape");
  const int rank = x->shape.rank();
  FP_ASSIGN_OR_RETURN(int64_t axis, node.GetInt("axis", 1));
  if (axis < 0) axis += rank;
  node.attrs.erase("coerce_2d");
  if (axis >= rank - 1) {  // the flattening leaves the last axis alone
    node.attrs["axis"] = int64_t{rank == 0 ? 0 : rank - 1};
    return Emit(node, ctx);
  }
  std::vector<int64_t> dims = x->shape.dims();
  int dynamic = 0;
  for (int64_t& d : dims) {
    if (d == ir::kDynamicDim) {
      d = -1;
      ++dynamic;
    }
  }
  if (dynamic > 1) {
    return Refuse(node, absl::StrCat("coerce_2d over input ", x->shape.ToString(),
                                     " (more than one dynamic dim) has no opset-13 form"));
  }
  const std::string flat = ctx.NewValueName(absl::StrCat(node.outputs[0], "_2d"));
  const std::string flat_out = ctx.NewValueName(absl::StrCat(node.outputs[0], "_2d_out"));
  ir::Node flatten =
      MakeNode("Flatten", ctx.NewNodeName(node.name + "_flatten"), {node.inputs[0]}, {flat});
  flatten.attrs["axis"] = axis;
  FP_RETURN_IF_ERROR(Emit(flatten, ctx));
  ir::Node op = MakeNode(node.op_type, node.name, {flat}, {flat_out});
  op.attrs = node.attrs;
  op.attrs["axis"] = int64_t{1};
  FP_RETURN_IF_ERROR(Emit(op, ctx));
  ir::Node reshape =
      MakeNode("Reshape", ctx.NewNodeName(node.name + "_reshape"), {flat_out}, node.outputs);
  reshape.attrs["shape"] = dims;
  FP_RETURN_IF_ERROR(AttrsToInputs(reshape, ctx));
  return Emit(reshape, ctx);
}

// HardSwish(x) = x * HardSigmoid(x; 1/6, 1/2), for opsets before 14.
absl::Status EmitHardSwish(const ir::Node& node, ExportContext& ctx) {
  if (ctx.opset() >= 14) return Emit(node, ctx);
  const std::string gate = ctx.NewValueName(absl::StrCat(node.outputs[0], "_gate"));
  ir::Node hs = MakeNode("HardSigmoid", ctx.NewNodeName(node.name + "_gate"), {node.inputs[0]},
                         {gate});
  hs.attrs["alpha"] = 1.0f / 6.0f;
  hs.attrs["beta"] = 0.5f;
  FP_RETURN_IF_ERROR(Emit(hs, ctx));
  return Emit(MakeNode("Mul", node.name, {node.inputs[0], gate}, node.outputs), ctx);
}

// Shape with opset-15 start/end: Shape then Slice before opset 15.
absl::Status EmitShape(ir::Node node, ExportContext& ctx) {
  if (ctx.opset() >= 15 || (!node.HasAttr("start") && !node.HasAttr("end"))) {
    return Emit(node, ctx);
  }
  FP_ASSIGN_OR_RETURN(int64_t start, node.GetInt("start", 0));
  FP_ASSIGN_OR_RETURN(int64_t end, node.GetInt("end", std::numeric_limits<int64_t>::max()));
  const std::string full = ctx.NewValueName(absl::StrCat(node.outputs[0], "_full"));
  FP_RETURN_IF_ERROR(Emit(MakeNode("Shape", node.name, node.inputs, {full}), ctx));
  ir::Node slice = MakeNode("Slice", ctx.NewNodeName(node.name + "_slice"), {full}, node.outputs);
  slice.attrs["starts"] = std::vector<int64_t>{start};
  slice.attrs["ends"] = std::vector<int64_t>{end};
  slice.attrs["axes"] = std::vector<int64_t>{0};
  FP_RETURN_IF_ERROR(AttrsToInputs(slice, ctx));
  return Emit(slice, ctx);
}

bool IsReduce(const std::string& op) { return op.rfind("Reduce", 0) == 0; }

// Opset-13 Reduce*: axes is an input of ReduceSum only, and only ReduceSum
// has noop_with_empty_axes; the others reduce all axes when none are given.
absl::Status FixReduce(ir::Node& node, bool* as_identity) {
  FP_ASSIGN_OR_RETURN(std::vector<int64_t> axes, node.GetInts("axes", {}));
  FP_ASSIGN_OR_RETURN(int64_t noop, node.GetInt("noop_with_empty_axes", 0));
  if (axes.empty()) node.attrs.erase("axes");
  if (node.op_type == "ReduceSum") {
    if (noop == 0) node.attrs.erase("noop_with_empty_axes");
    return absl::OkStatus();
  }
  node.attrs.erase("noop_with_empty_axes");
  *as_identity = axes.empty() && noop != 0;
  return absl::OkStatus();
}

absl::Status FixCast(ir::Node& node) {
  auto it = node.attrs.find("to");
  if (it == node.attrs.end() || !std::holds_alternative<std::string>(it->second)) {
    return absl::OkStatus();
  }
  auto dtype = ir::ParseDType(std::get<std::string>(it->second));
  if (!dtype.ok()) return WithContext(dtype.status(), node.Describe());
  it->second = int64_t{OnnxFromDType(*dtype)};
  return absl::OkStatus();
}

absl::Status FixReshape(ir::Node& node, int64_t opset) {
  FP_ASSIGN_OR_RETURN(int64_t allowzero, node.GetInt("allowzero", 0));
  if (opset >= 14 && allowzero != 0) return absl::OkStatus();
  FP_ASSIGN_OR_RETURN(std::vector<int64_t> shape, node.GetInts("shape", {}));
  if (allowzero != 0 && std::count(shape.begin(), shape.end(), 0) > 0) {
    return Refuse(node, "allowzero=1 with a 0 in shape needs opset 14");
  }
  node.attrs.erase("allowzero");
  return absl::OkStatus();
}

absl::Status CheckTypeSupported(const ir::Node& node, const ExportContext& ctx) {
  if (node.inputs.empty() || node.inputs[0].empty()) return absl::OkStatus();
  const ir::DType dtype = DTypeOf(ctx, node.inputs[0]);
  for (const LaterType& t : kLaterTypes) {
    if (t.op == node.op_type && t.dtype == dtype && ctx.opset() < t.since) {
      return Refuse(node, absl::StrCat("input type ", ir::DTypeName(dtype), " needs opset ",
                                       t.since));
    }
  }
  return absl::OkStatus();
}

// One node without fused activation.
absl::Status LowerNode(ir::Node node, ExportContext& ctx) {
  const std::string& op = node.op_type;
  FP_RETURN_IF_ERROR(CheckTypeSupported(node, ctx));
  if (op == "Softmax" || op == "LogSoftmax" || op == "Hardmax") {
    FP_ASSIGN_OR_RETURN(int64_t coerce, node.GetInt("coerce_2d", 0));
    if (coerce != 0) return EmitCoerced2d(std::move(node), ctx);
    node.attrs.erase("coerce_2d");
  } else if (op == "HardSwish") {
    return EmitHardSwish(node, ctx);
  } else if (op == "Shape") {
    return EmitShape(std::move(node), ctx);
  } else if (op == "Cast") {
    FP_RETURN_IF_ERROR(FixCast(node));
  } else if (op == "Reshape") {
    FP_RETURN_IF_ERROR(FixReshape(node, ctx.opset()));
  } else if (op == "Pad") {
    FP_ASSIGN_OR_RETURN(std::string mode, node.GetString("mode", "constant"));
    if (mode != "constant") node.attrs.erase("value");
  } else if (op == "BatchNormalization") {
    node.attrs.erase("training_mode");  // the importer admits only 0 (inference)
  } else if (op == "Dropout") {
    node.attrs.erase("ratio");  // opset < 12 attribute; the identity at inference
  } else if (IsReduce(op)) {
    bool as_identity = false;
    FP_RETURN_IF_ERROR(FixReduce(node, &as_identity));
    if (as_identity) return Emit(MakeNode("Identity", node.name, node.inputs, node.outputs), ctx);
  }
  FP_RETURN_IF_ERROR(AttrsToInputs(node, ctx));
  return Emit(node, ctx);
}

// The standard activation node a fused_activation stands for, canonical form.
absl::StatusOr<ir::Node> Activation(const ir::Node& host, const std::string& act,
                                    ExportContext& ctx) {
  FP_ASSIGN_OR_RETURN(float alpha, host.GetFloat(transform::kFusedAlpha, 0.0f));
  FP_ASSIGN_OR_RETURN(float beta, host.GetFloat(transform::kFusedBeta, 0.0f));
  ir::Node n = MakeNode(act, ctx.NewNodeName(absl::StrCat(host.name, "_", act)), {}, {});
  if (act == "LeakyRelu") {
    n.attrs["alpha"] = alpha;
  } else if (act == "HardSigmoid") {
    n.attrs["alpha"] = alpha;
    n.attrs["beta"] = beta;
  } else if (act == "Clip") {
    if (!std::isinf(alpha)) n.attrs["min"] = alpha;
    if (!std::isinf(beta)) n.attrs["max"] = beta;
  } else if (act != "Relu" && act != "Sigmoid" && act != "Tanh" && act != "HardSwish") {
    return Refuse(host, absl::StrCat("unknown fused_activation '", act, "'"));
  }
  return n;
}

}  // namespace

absl::Status ExportNode(const ir::Node& node, ExportContext& ctx) {
  if (!node.HasAttr(transform::kFusedActivation)) return LowerNode(node, ctx);
  FP_ASSIGN_OR_RETURN(std::string act, node.GetString(transform::kFusedActivation, ""));
  FP_ASSIGN_OR_RETURN(ir::Node activation, Activation(node, act, ctx));
  if (node.outputs.size() != 1) return Refuse(node, "fused activation on a multi-output node");
  ir::Node host = node;
  host.attrs.erase(transform::kFusedActivation);
  host.attrs.erase(transform::kFusedAlpha);
  host.attrs.erase(transform::kFusedBeta);
  const std::string pre = ctx.NewValueName(absl::StrCat(node.outputs[0], "_pre_", act));
  host.outputs[0] = pre;
  activation.inputs = {pre};
  activation.outputs = node.outputs;
  FP_RETURN_IF_ERROR(LowerNode(std::move(host), ctx));
  return LowerNode(std::move(activation), ctx);
}

}  // namespace fixpoint::io
