// The TF op table (TF op -> IR op + converter) and the converters of the
// layout-agnostic and tensor-shaping ops. An op whose result depends only on
// constants is folded first (tf_fold.cc) and never reaches its converter.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/io/tf_attr.h"
#include "core/io/tf_ops.h"
#include "core/io/tf_tensor.h"
#include "core/util/status_macros.h"

namespace fixpoint::io {
namespace {

using tfproto::NodeDef;

absl::Status Invalid(const NodeDef& node, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(DescribeTf(node), ": ", why));
}

absl::StatusOr<TfValue> TensorInput(TfConverter& cv, const NodeDef& node, int i) {
  FP_ASSIGN_OR_RETURN(TfValue v, cv.Input(node, i));
  FP_RETURN_IF_ERROR(cv.RequireTensor(node, v));
  return v;
}

int RankOf(TfConverter& cv, const TfValue& v) { return cv.Info(v.ir)->shape.rank(); }

absl::Status ConvertConst(TfConverter& cv, const NodeDef& node, absl::string_view) {
  const tfproto::AttrValue* a = FindTfAttr(node, "value");
  if (a == nullptr || !a->has_tensor()) return Invalid(node, "has no tensor 'value'");
  auto t = TensorFromTf(a->tensor(), DescribeTf(node), cv.ConstantBudget());
  if (!t.ok()) return t.status();
  cv.DefineConstant(node.name(), *std::move(t));
  return absl::OkStatus();
}

// Identity and friends are aliases: no IR node.
absl::Status ConvertIdentity(TfConverter& cv, const NodeDef& node, absl::string_view) {
  const int n = node.op() == "IdentityN" ? cv.NumInputs(node) : 1;
  for (int i = 0; i < n; ++i) {
    FP_ASSIGN_OR_RETURN(TfValue v, cv.Input(node, i));
    cv.Define(TfTensorKey(node.name(), i), std::move(v));
  }
  return absl::OkStatus();
}

absl::Status ConvertNotData(TfConverter&, const NodeDef& node, absl::string_view) {
  return Invalid(node, node.op() == "Placeholder" ? "a Placeholder that is not an input node"
                                                  : "produces no tensor");
}

absl::Status ConvertFoldOnly(TfConverter& cv, const NodeDef& node, absl::string_view) {
  std::vector<std::string> runtime;
  for (int i = 0; i < cv.NumInputs(node); ++i) {
    FP_ASSIGN_OR_RETURN(TfValue v, cv.Input(node, i));
    if (!v.shape_value && cv.Constant(v) == nullptr) runtime.push_back(v.ir);
  }
  return absl::UnimplementedError(absl::StrCat(
      DescribeTf(node),
      ": supported only when it can be folded at import time (constant or "
      "shape arithmetic inputs); ",
      runtime.empty()
          ? std::string("this form is not foldable")
          : absl::StrCat("it reads run-time values '", absl::StrJoin(runtime, "', '"), "'")));
}

absl::Status ConvertUnary(TfConverter& cv, const NodeDef& node, absl::string_view ir_op) {
  FP_ASSIGN_OR_RETURN(TfValue x, TensorInput(cv, node, 0));
  std::map<std::string, ir::Attribute> attrs;
  if (node.op() == "Relu6") {
    attrs = {{"min", 0.0f}, {"max", 6.0f}};
  } else if (node.op() == "LeakyRelu") {
    FP_ASSIGN_OR_RETURN(float alpha, TfAttrFloat(node, "alpha", 0.2f));
    attrs = {{"alpha", alpha}};
  } else if (node.op() == "Elu") {
    attrs = {{"alpha", 1.0f}};
  }
  FP_ASSIGN_OR_RETURN(std::string out,
                      cv.Emit(ir_op, node.name(), {x.ir}, std::move(attrs), node.name()));
  DefineOutput(cv, node, out, x.nchw);
  return absl::OkStatus();
}

absl::Status ConvertCast(TfConverter& cv, const NodeDef& node, absl::string_view) {
  FP_ASSIGN_OR_RETURN(TfValue x, TensorInput(cv, node, 0));
  FP_ASSIGN_OR_RETURN(int dst, TfAttrType(node, "DstT"));
  FP_ASSIGN_OR_RETURN(ir::DType to, DTypeFromTf(dst, DescribeTf(node)));
  FP_ASSIGN_OR_RETURN(
      std::string out,
      cv.Emit("Cast", node.name(), {x.ir}, {{"to", std::string(ir::DTypeName(to))}}, node.name()));
  DefineOutput(cv, node, out, x.nchw);
  return absl::OkStatus();
}

// Operand `v` of an elementwise op computed in NCHW. Operands of rank < 4
// broadcast against NHWC's trailing dims, so they are padded to 4-D and
// transposed like the data (constants at import time).
absl::StatusOr<std::string> NchwOperand(TfConverter& cv, const TfValue& v) {
  if (v.nchw) return v.ir;
  const ir::Shape s = cv.Info(v.ir)->shape;
  if (s.rank() == 4) return cv.AsNchw(v);
  if (s.NumElements() == 1) return v.ir;  // broadcasts the same in any layout
  std::vector<int64_t> pre(4 - s.rank(), 1);
  pre.insert(pre.end(), s.dims().begin(), s.dims().end());
  if (std::count(pre.begin(), pre.end(), ir::kDynamicDim) > 1) {
    return absl::UnimplementedError(
        absl::StrCat("cannot broadcast ", s.ToString(), " against an NHWC tensor"));
  }
  return cv.Relaid(v, Relayout{"nchw", pre, kToNchw, {}});
}

absl::Status EmitBinary(TfConverter& cv, const NodeDef& node, absl::string_view ir_op,
                        const TfValue& a, const TfValue& b) {
  const bool nchw = (a.nchw || b.nchw) && RankOf(cv, a) <= 4 && RankOf(cv, b) <= 4;
  std::string ai, bi;
  if (nchw) {
    auto x = NchwOperand(cv, a);
    auto y = x.ok() ? NchwOperand(cv, b) : x;
    if (!y.ok()) return WithContext(y.status(), DescribeTf(node));
    ai = *x;
    bi = *y;
  } else {
    FP_ASSIGN_OR_RETURN(ai, cv.AsTf(a));
    FP_ASSIGN_OR_RETURN(bi, cv.AsTf(b));
  }
  FP_ASSIGN_OR_RETURN(std::string out, cv.Emit(ir_op, node.name(), {ai, bi}, {}, node.name()));
  DefineOutput(cv, node, out, nchw);
  return absl::OkStatus();
}

absl::Status ConvertBinary(TfConverter& cv, const NodeDef& node, absl::string_view ir_op) {
  FP_ASSIGN_OR_RETURN(TfValue a, TensorInput(cv, node, 0));
  FP_ASSIGN_OR_RETURN(TfValue b, TensorInput(cv, node, 1));
  return EmitBinary(cv, node, ir_op, a, b);
}

absl::Status ConvertBiasAdd(TfConverter& cv, const NodeDef& node, absl::string_view) {
  FP_ASSIGN_OR_RETURN(TfValue x, TensorInput(cv, node, 0));
  FP_ASSIGN_OR_RETURN(TfValue bias, TensorInput(cv, node, 1));
  FP_ASSIGN_OR_RETURN(std::string format, TfAttrString(node, "data_format", "NHWC"));
  if (RankOf(cv, bias) != 1) return Invalid(node, "bias must be 1-D");
  if (format == "NHWC") return EmitBinary(cv, node, "Add", x, bias);
  if (format != "NCHW") {
    return absl::UnimplementedError(
        absl::StrCat(DescribeTf(node), ": data_format '", format, "' is not supported"));
  }
  // NCHW: the bias applies to dim 1, so it becomes [C, 1, ...].
  FP_ASSIGN_OR_RETURN(std::string xi, cv.AsTf(x));
  const int r = RankOf(cv, x);
  std::vector<int64_t> shape(std::max(r - 1, 1), 1);
  shape[0] = cv.Info(bias.ir)->shape[0];
  FP_ASSIGN_OR_RETURN(std::string bi,
                      cv.Relaid(bias, Relayout{absl::StrCat("c_r", r), shape, {}, {}}));
  FP_ASSIGN_OR_RETURN(std::string out, cv.Emit("Add", node.name(), {xi, bi}, {}, node.name()));
  DefineOutput(cv, node, out, false);
  return absl::OkStatus();
}

absl::Status ConvertMatMul(TfConverter& cv, const NodeDef& node, absl::string_view) {
  FP_ASSIGN_OR_RETURN(TfValue a, TensorInput(cv, node, 0));
  FP_ASSIGN_OR_RETURN(TfValue b, TensorInput(cv, node, 1));
  FP_ASSIGN_OR_RETURN(bool ta, TfAttrBool(node, "transpose_a", false));
  FP_ASSIGN_OR_RETURN(bool tb, TfAttrBool(node, "transpose_b", false));
  FP_ASSIGN_OR_RETURN(std::string ai, cv.AsTf(a));
  FP_ASSIGN_OR_RETURN(std::string bi, cv.AsTf(b));
  FP_ASSIGN_OR_RETURN(std::string out,
                      cv.Emit("Gemm", node.name(), {ai, bi},
                              {{"transA", int64_t{ta}}, {"transB", int64_t{tb}}}, node.name()));
  DefineOutput(cv, node, out, false);
  return absl::OkStatus();
}

absl::Status ConvertSoftmax(TfConverter& cv, const NodeDef& node, absl::string_view) {
  FP_ASSIGN_OR_RETURN(TfValue x, TensorInput(cv, node, 0));
  const int64_t axis = x.nchw ? 1 : RankOf(cv, x) - 1;  // TF: the last (channel) dim
  FP_ASSIGN_OR_RETURN(std::string out,
                      cv.Emit("Softmax", node.name(), {x.ir}, {{"axis", axis}}, node.name()));
  DefineOutput(cv, node, out, x.nchw);
  return absl::OkStatus();
}

absl::Status ConvertReshape(TfConverter& cv, const NodeDef& node, absl::string_view) {
  FP_ASSIGN_OR_RETURN(TfValue x, TensorInput(cv, node, 0));
  FP_ASSIGN_OR_RETURN(TfValue shape, cv.Input(node, 1));
  FP_ASSIGN_OR_RETURN(std::vector<int64_t> target, ReshapeTarget(cv, node, x, shape));
  // TF reshapes in NHWC element order: go back to it first.
  FP_ASSIGN_OR_RETURN(std::string xi, cv.AsTf(x));
  FP_ASSIGN_OR_RETURN(std::string out,
                      cv.Emit("Reshape", node.name(), {xi}, {{"shape", target}}, node.name()));
  DefineOutput(cv, node, out, false);
  return absl::OkStatus();
}

absl::Status ConvertSqueeze(TfConverter& cv, const NodeDef& node, absl::string_view) {
  FP_ASSIGN_OR_RETURN(TfValue x, TensorInput(cv, node, 0));
  FP_ASSIGN_OR_RETURN(std::vector<int64_t> axes, TfAttrInts(node, "squeeze_dims", {{}}));
  FP_ASSIGN_OR_RETURN(ir::Shape s, cv.TfShape(x));
  const int r = s.rank();
  std::vector<bool> removed(r, axes.empty());
  for (int64_t a : axes) {
    if (a < -r || a >= r) return Invalid(node, absl::StrCat("axis ", a, " out of range"));
    removed[a < 0 ? a + r : a] = true;
  }
  for (int i = 0; i < r; ++i) {
    if (removed[i] && s[i] != 1) {
      if (!axes.empty())
        return Invalid(node, absl::StrCat("dim ", i, " of ", s.ToString(), " is not 1"));
      removed[i] = false;  // squeeze-all only removes dims known to be 1
    }
  }
  const bool any = std::count(removed.begin(), removed.end(), true) > 0;
  const bool nchw = x.nchw && (!any || NchwKeepsTfOrder(removed));
  std::string xi = x.ir;
  if (!nchw) {
    FP_ASSIGN_OR_RETURN(xi, cv.AsTf(x));
  }
  std::vector<int64_t> ir_axes;
  for (int i = 0; i < r; ++i) {
    if (removed[i]) ir_axes.push_back(nchw ? kNchwPosOfNhwc[i] : i);
  }
  std::sort(ir_axes.begin(), ir_axes.end());
  FP_ASSIGN_OR_RETURN(std::string out,
                      cv.Emit("Squeeze", node.name(), {xi}, {{"axes", ir_axes}}, node.name()));
  DefineOutput(cv, node, out, nchw && !any);
  return absl::OkStatus();
}

absl::Status ConvertExpandDims(TfConverter& cv, const NodeDef& node, absl::string_view) {
  FP_ASSIGN_OR_RETURN(TfValue x, TensorInput(cv, node, 0));
  FP_ASSIGN_OR_RETURN(std::vector<int64_t> dim, ConstInts(cv, node, 1, "dim"));
  const int r = RankOf(cv, x);
  if (dim.size() != 1 || dim[0] < -r - 1 || dim[0] > r) {
    return Invalid(node, absl::StrCat("dim [", absl::StrJoin(dim, ","), "] out of range"));
  }
  FP_ASSIGN_OR_RETURN(std::string xi, cv.AsTf(x));
  const int64_t axis = dim[0] < 0 ? dim[0] + r + 1 : dim[0];
  FP_ASSIGN_OR_RETURN(
      std::string out,
      cv.Emit("Unsqueeze", node.name(), {xi}, {{"axes", std::vector<int64_t>{axis}}}, node.name()));
  DefineOutput(cv, node, out, false);
  return absl::OkStatus();
}

absl::Status ConvertTranspose(TfConverter& cv, const NodeDef& node, absl::string_view) {
  FP_ASSIGN_OR_RETURN(TfValue x, TensorInput(cv, node, 0));
  FP_ASSIGN_OR_RETURN(std::vector<int64_t> perm, ConstInts(cv, node, 1, "perm"));
  const int r = RankOf(cv, x);
  std::vector<int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i < static_cast<int>(sorted.size()); ++i) {
    if (sorted[i] != i || static_cast<int>(perm.size()) != r) {
      return Invalid(node, absl::StrCat("perm [", absl::StrJoin(perm, ","),
                                        "] is not a permutation of ", r, " dims"));
    }
  }
  // Output dim i is TF dim perm[i], which an NCHW-held input has at
  // kNchwPosOfNhwc[perm[i]].
  if (x.nchw) {
    for (int64_t& p : perm) p = kNchwPosOfNhwc[p];
  }
  FP_ASSIGN_OR_RETURN(std::string out,
                      cv.Emit("Transpose", node.name(), {x.ir}, {{"perm", perm}}, node.name()));
  DefineOutput(cv, node, out, false);
  return absl::OkStatus();
}

absl::Status ConvertConcat(TfConverter& cv, const NodeDef& node, absl::string_view) {
  const int n = cv.NumInputs(node) - 1;
  if (n < 1) return Invalid(node, "needs at least one value and an axis");
  FP_ASSIGN_OR_RETURN(std::vector<int64_t> axis, ConstInts(cv, node, n, "axis"));
  std::vector<TfValue> in;
  bool nchw = false;
  for (int i = 0; i < n; ++i) {
    FP_ASSIGN_OR_RETURN(TfValue v, TensorInput(cv, node, i));
    nchw |= v.nchw;
    in.push_back(std::move(v));
  }
  const int r = RankOf(cv, in[0]);
  if (axis.size() != 1 || axis[0] < -r || axis[0] >= r) {
    return Invalid(node, absl::StrCat("axis [", absl::StrJoin(axis, ","), "] out of range"));
  }
  int64_t a = axis[0] < 0 ? axis[0] + r : axis[0];
  nchw = nchw && r == 4;
  std::vector<std::string> inputs;
  for (const TfValue& v : in) {
    auto ir = nchw ? cv.AsNchw(v) : cv.AsTf(v);
    if (!ir.ok()) return WithContext(ir.status(), DescribeTf(node));
    inputs.push_back(*ir);
  }
  if (nchw) a = kNchwPosOfNhwc[a];
  FP_ASSIGN_OR_RETURN(std::string out, cv.Emit("Concat", node.name(), std::move(inputs),
                                               {{"axis", a}}, node.name()));
  DefineOutput(cv, node, out, nchw);
  return absl::OkStatus();
}

struct TfOpRule {
  absl::string_view tf_op;
  absl::string_view ir_op;
  TfConvertFn convert;
};

// Every TF op the importer knows, sorted by TF op type.
constexpr TfOpRule kRules[] = {
    {"Abs", "Abs", ConvertUnary},
    {"Add", "Add", ConvertBinary},
    {"AddV2", "Add", ConvertBinary},
    {"AvgPool", "AveragePool", ConvertPool},
    {"BiasAdd", "Add", ConvertBiasAdd},
    {"Cast", "Cast", ConvertCast},
    {"ConcatV2", "Concat", ConvertConcat},
    {"Const", "", ConvertConst},
    {"Conv2D", "Conv", ConvertConv2D},
    {"DepthwiseConv2dNative", "Conv", ConvertDepthwise},
    {"Elu", "Elu", ConvertUnary},
    {"Exp", "Exp", ConvertUnary},
    {"ExpandDims", "Unsqueeze", ConvertExpandDims},
    {"Fill", "", ConvertFoldOnly},
    {"FixNeuron", "", ConvertFixNeuron},
    {"FloorDiv", "", ConvertFoldOnly},
    {"FusedBatchNorm", "BatchNormalization", ConvertFusedBatchNorm},
    {"FusedBatchNormV2", "BatchNormalization", ConvertFusedBatchNorm},
    {"FusedBatchNormV3", "BatchNormalization", ConvertFusedBatchNorm},
    {"Identity", "", ConvertIdentity},
    {"IdentityN", "", ConvertIdentity},
    {"LeakyRelu", "LeakyRelu", ConvertUnary},
    {"Log", "Log", ConvertUnary},
    {"MatMul", "Gemm", ConvertMatMul},
    {"Max", "ReduceMax", ConvertReduce},
    {"MaxPool", "MaxPool", ConvertPool},
    {"Maximum", "Max", ConvertBinary},
    {"Mean", "ReduceMean", ConvertReduce},
    {"Min", "ReduceMin", ConvertReduce},
    {"Minimum", "Min", ConvertBinary},
    {"MirrorPad", "Pad", ConvertPad},
    {"Mul", "Mul", ConvertBinary},
    {"Neg", "Neg", ConvertUnary},
    {"NoOp", "", ConvertNotData},
    {"Pack", "", ConvertFoldOnly},
    {"Pad", "Pad", ConvertPad},
    {"PadV2", "Pad", ConvertPad},
    {"Placeholder", "", ConvertNotData},
    {"PlaceholderWithDefault", "", ConvertIdentity},
    {"Prod", "ReduceProd", ConvertReduce},
    {"RealDiv", "Div", ConvertBinary},
    {"Reciprocal", "Reciprocal", ConvertUnary},
    {"Relu", "Relu", ConvertUnary},
    {"Relu6", "Clip", ConvertUnary},
    {"Reshape", "Reshape", ConvertReshape},
    {"Rsqrt", "", ConvertFoldOnly},
    {"Shape", "", ConvertFoldOnly},
    {"Sigmoid", "Sigmoid", ConvertUnary},
    {"Snapshot", "", ConvertIdentity},
    {"Softmax", "Softmax", ConvertSoftmax},
    {"Softplus", "Softplus", ConvertUnary},
    {"Sqrt", "Sqrt", ConvertUnary},
    {"Squeeze", "Squeeze", ConvertSqueeze},
    {"StopGradient", "", ConvertIdentity},
    {"StridedSlice", "", ConvertFoldOnly},
    {"Sub", "Sub", ConvertBinary},
    {"Sum", "ReduceSum", ConvertReduce},
    {"Tanh", "Tanh", ConvertUnary},
    {"Transpose", "Transpose", ConvertTranspose},
};

constexpr bool IsStrictlySorted() {
  for (size_t i = 1; i < std::size(kRules); ++i) {
    if (kRules[i - 1].tf_op.compare(kRules[i].tf_op) >= 0) return false;
  }
  return true;
}
static_assert(IsStrictlySorted(), "kRules must be sorted by tf_op without duplicates");

const TfOpRule* FindRule(absl::string_view op) {
  const TfOpRule* end = std::end(kRules);
  const TfOpRule* it =
      std::lower_bound(std::begin(kRules), end, op,
                       [](const TfOpRule& r, absl::string_view o) { return r.tf_op < o; });
  return it != end && it->tf_op == op ? it : nullptr;
}

}  // namespace

bool IsKnownTfOp(absl::string_view op) { return FindRule(op) != nullptr; }

void DefineOutput(TfConverter& cv, const NodeDef& node, const std::string& ir, bool nchw) {
  cv.Define(node.name(), TfValue::Of(ir, nchw));
}

absl::Status ConvertTfNode(TfConverter& cv, const NodeDef& node) {
  const TfOpRule* rule = FindRule(node.op());
  if (rule == nullptr) {
    return absl::UnimplementedError(absl::StrCat(DescribeTf(node), ": unsupported op"));
  }
  FP_ASSIGN_OR_RETURN(bool folded, TryFoldTfNode(cv, node));
  if (folded) return absl::OkStatus();
  return rule->convert(cv, node, rule->ir_op);
}

}  // namespace fixpoint::io
