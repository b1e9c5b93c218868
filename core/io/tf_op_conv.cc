// Layout-aware NN ops: Conv2D, DepthwiseConv2dNative, MaxPool/AvgPool,
// FusedBatchNorm*, Pad/PadV2/MirrorPad and the reductions (Mean, ...).
// With data_format NHWC (TF's default) they work on the NCHW form of their
// input and produce NCHW values; with NCHW the TF tensor already is NCHW.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/io/tf_attr.h"
#include "core/io/tf_ops.h"
#include "core/util/status_macros.h"

namespace fixpoint::io {
namespace {

using tfproto::NodeDef;

// Strides, dilations and pooling windows beyond this are absurd (and could
// overflow the padding arithmetic).
constexpr int64_t kMaxWindow = int64_t{1} << 24;
// Pad paddings beyond this are absurd (shape inference adds them to dims).
constexpr int64_t kMaxPadding = int64_t{1} << 31;

absl::Status Invalid(const NodeDef& node, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(DescribeTf(node), ": ", why));
}
absl::Status Unsupported(const NodeDef& node, absl::string_view why) {
  return absl::UnimplementedError(absl::StrCat(DescribeTf(node), ": ", why));
}

// true for NHWC (the default), false for NCHW.
absl::StatusOr<bool> IsNhwc(const NodeDef& node) {
  // (Not FP_ASSIGN_OR_RETURN: GCC 12 warns falsely on the moved-from string.)
  const absl::StatusOr<std::string> f = TfAttrString(node, "data_format", "NHWC");
  if (!f.ok()) return f.status();
  if (*f == "NHWC") return true;
  if (*f == "NCHW") return false;
  return Unsupported(node, absl::StrCat("data_format '", *f, "' is not supported"));
}

// The H and W entries of a 4-entry attribute in data_format order; the N
// and C entries must be 1 and H, W at least 1.
absl::StatusOr<std::vector<int64_t>> Spatial(const NodeDef& node, absl::string_view key, bool nhwc,
                                             std::optional<std::vector<int64_t>> dflt) {
  FP_ASSIGN_OR_RETURN(std::vector<int64_t> v, TfAttrInts(node, key, std::move(dflt)));
  if (v.size() != 4) {
    return Invalid(node,
                   absl::StrCat("attribute '", key, "' has ", v.size(), " values, expected 4"));
  }
  const int h = nhwc ? 1 : 2, c = nhwc ? 3 : 1;
  const auto in_range = [](int64_t x) { return x >= 1 && x <= kMaxWindow; };
  if (v[0] != 1 || v[c] != 1 || !in_range(v[h]) || !in_range(v[h + 1])) {
    return Unsupported(
        node, absl::StrCat("attribute '", key, "' = [", absl::StrJoin(v, ","),
                           "] (batch/channel entries must be 1, others in 1..", kMaxWindow, ")"));
  }
  return std::vector<int64_t>{v[h], v[h + 1]};
}

struct Window {
  std::vector<int64_t> kernel, strides, dilations{1, 1};
  bool nhwc = true;
};

// ONNX pads [h_begin, w_begin, h_end, w_end] for TF padding of `node` over
// the NCHW input shape `x`.
absl::StatusOr<std::vector<int64_t>> Pads(const NodeDef& node, const ir::Shape& x,
                                          const Window& w) {
  FP_ASSIGN_OR_RETURN(std::string padding, TfAttrString(node, "padding"));
  if (padding == "VALID") return std::vector<int64_t>{0, 0, 0, 0};
  if (padding == "EXPLICIT") {
    FP_ASSIGN_OR_RETURN(std::vector<int64_t> e, TfAttrInts(node, "explicit_paddings"));
    const int h = w.nhwc ? 1 : 2;
    if (e.size() != 8 || *std::min_element(e.begin(), e.end()) < 0) {
      return Invalid(node, "explicit_paddings must hold 8 values >= 0");
    }
    return std::vector<int64_t>{e[2 * h], e[2 * h + 2], e[2 * h + 1], e[2 * h + 3]};
  }
  if (padding != "SAME") return Unsupported(node, absl::StrCat("padding '", padding, "'"));
  std::vector<int64_t> pads(4);
  for (int i = 0; i < 2; ++i) {
    const int64_t in = x[2 + i];
    if (in < 0) {
      return Invalid(node, absl::StrCat("SAME padding needs static spatial dims, input is ",
                                        x.ToString(), " (NCHW)"));
    }
    const int64_t s = w.strides[i];
    const int64_t out = (in + s - 1) / s;
    const int64_t total =
        std::max<int64_t>((out - 1) * s + (w.kernel[i] - 1) * w.dilations[i] + 1 - in, 0);
    pads[i] = total / 2;
    pads[2 + i] = total - total / 2;
  }
  return pads;
}

// The 4-D input in the layout the op computes in (NCHW).
absl::StatusOr<std::string> LayoutInput(TfConverter& cv, const NodeDef& node, const TfValue& x,
                                        bool nhwc) {
  FP_RETURN_IF_ERROR(cv.RequireTensor(node, x));
  auto ir = nhwc ? cv.AsNchw(x) : cv.AsTf(x);
  if (!ir.ok()) return WithContext(ir.status(), DescribeTf(node));
  if (const ir::ValueInfo* info = cv.Info(*ir); info->shape.rank() != 4) {
    return Invalid(node, absl::StrCat("input must be 4-D, got ", info->shape.ToString()));
  }
  return ir;
}

absl::StatusOr<ir::Shape> FilterShape(TfConverter& cv, const NodeDef& node, const TfValue& w) {
  FP_RETURN_IF_ERROR(cv.RequireTensor(node, w));
  FP_ASSIGN_OR_RETURN(ir::Shape s, cv.TfShape(w));
  if (s.rank() != 4 || !s.IsStatic()) {
    return Invalid(node, absl::StrCat("filter must be 4-D and static, got ", s.ToString()));
  }
  return s;
}

absl::Status EmitConv(TfConverter& cv, const NodeDef& node, const std::string& x,
                      const std::string& w, const Window& win, int64_t group) {
  const ir::Shape xs = cv.Info(x)->shape;
  FP_ASSIGN_OR_RETURN(std::vector<int64_t> pads, Pads(node, xs, win));
  FP_ASSIGN_OR_RETURN(std::string out, cv.Emit("Conv", node.name(), {x, w},
                                               {{"kernel_shape", win.kernel},
                                                {"strides", win.strides},
                                                {"dilations", win.dilations},
                                                {"pads", pads},
                                                {"group", group}},
                                               node.name()));
  DefineOutput(cv, node, out, win.nhwc);
  return absl::OkStatus();
}

// What Conv2D and DepthwiseConv2dNative share: the window attributes, the
// input in NCHW, and the filter with its TF shape [kh, kw, in, out-or-multiplier].
struct ConvOperands {
  Window win;
  std::string x;
  TfValue w;
  ir::Shape ws;
};

absl::StatusOr<ConvOperands> ReadConvOperands(TfConverter& cv, const NodeDef& node) {
  ConvOperands op;
  Window& win = op.win;
  FP_ASSIGN_OR_RETURN(win.nhwc, IsNhwc(node));
  FP_ASSIGN_OR_RETURN(win.strides, Spatial(node, "strides", win.nhwc, std::nullopt));
  FP_ASSIGN_OR_RETURN(win.dilations, Spatial(node, "dilations", win.nhwc, {{1, 1, 1, 1}}));
  FP_ASSIGN_OR_RETURN(TfValue x, cv.Input(node, 0));
  FP_ASSIGN_OR_RETURN(op.w, cv.Input(node, 1));
  FP_ASSIGN_OR_RETURN(op.x, LayoutInput(cv, node, x, win.nhwc));
  FP_ASSIGN_OR_RETURN(op.ws, FilterShape(cv, node, op.w));
  win.kernel = {op.ws[0], op.ws[1]};
  return op;
}

}  // namespace

absl::Status ConvertConv2D(TfConverter& cv, const NodeDef& node, absl::string_view) {
  FP_ASSIGN_OR_RETURN(ConvOperands op, ReadConvOperands(cv, node));
  const Window& win = op.win;
  const std::string& xi = op.x;
  const TfValue& w = op.w;
  const ir::Shape& ws = op.ws;  // [kh, kw, in/group, out]
  const int64_t c = cv.Info(xi)->shape[1];
  if (c > 0 && (ws[2] <= 0 || c % ws[2] != 0 || ws[3] % (c / ws[2]) != 0)) {
    return Invalid(node,
                   absl::StrCat("input has ", c, " channels but the filter is ", ws.ToString()));
  }
  const int64_t group = c > 0 ? c / ws[2] : 1;
  auto wi = cv.Relaid(w, Relayout{"oihw", {}, {3, 2, 0, 1}, {}});
  if (!wi.ok()) return WithContext(wi.status(), DescribeTf(node));
  return EmitConv(cv, node, xi, *wi, win, group);
}

absl::Status ConvertDepthwise(TfConverter& cv, const NodeDef& node, absl::string_view) {
  FP_ASSIGN_OR_RETURN(ConvOperands op, ReadConvOperands(cv, node));
  const Window& win = op.win;
  const std::string& xi = op.x;
  const TfValue& w = op.w;
  const ir::Shape& ws = op.ws;  // [kh, kw, in, multiplier]
  const int64_t c = cv.Info(xi)->shape[1];
  if (c != ws[2]) {
    return Invalid(node,
                   absl::StrCat("input has ", c, " channels but the filter is ", ws.ToString()));
  }
  // Output channel c*M + m of TF is group c's m-th output in ONNX.
  auto wi = cv.Relaid(w, Relayout{"dw", {}, {2, 3, 0, 1}, {ws[2] * ws[3], 1, ws[0], ws[1]}});
  if (!wi.ok()) return WithContext(wi.status(), DescribeTf(node));
  return EmitConv(cv, node, xi, *wi, win, ws[2]);
}

absl::Status ConvertPool(TfConverter& cv, const NodeDef& node, absl::string_view ir_op) {
  Window win;
  FP_ASSIGN_OR_RETURN(win.nhwc, IsNhwc(node));
  FP_ASSIGN_OR_RETURN(win.kernel, Spatial(node, "ksize", win.nhwc, std::nullopt));
  FP_ASSIGN_OR_RETURN(win.strides, Spatial(node, "strides", win.nhwc, std::nullopt));
  FP_ASSIGN_OR_RETURN(TfValue x, cv.Input(node, 0));
  FP_ASSIGN_OR_RETURN(std::string xi, LayoutInput(cv, node, x, win.nhwc));
  FP_ASSIGN_OR_RETURN(std::vector<int64_t> pads, Pads(node, cv.Info(xi)->shape, win));
  std::map<std::string, ir::Attribute> attrs = {
      {"kernel_shape", win.kernel}, {"strides", win.strides}, {"pads", pads}};
  // TF's average pooling divides by the number of real (unpadded) elements.
  if (ir_op == "AveragePool") attrs["count_include_pad"] = int64_t{0};
  FP_ASSIGN_OR_RETURN(std::string out,
                      cv.Emit(ir_op, node.name(), {xi}, std::move(attrs), node.name()));
  DefineOutput(cv, node, out, win.nhwc);
  return absl::OkStatus();
}

absl::Status ConvertFusedBatchNorm(TfConverter& cv, const NodeDef& node, absl::string_view) {
  FP_ASSIGN_OR_RETURN(bool training, TfAttrBool(node, "is_training", true));
  if (training) {
    return Unsupported(node, "is_training=true (training mode); freeze the graph for inference");
  }
  FP_ASSIGN_OR_RETURN(bool nhwc, IsNhwc(node));
  FP_ASSIGN_OR_RETURN(float eps, TfAttrFloat(node, "epsilon", 1e-4f));
  FP_ASSIGN_OR_RETURN(TfValue x, cv.Input(node, 0));
  FP_ASSIGN_OR_RETURN(std::string xi, LayoutInput(cv, node, x, nhwc));
  std::vector<std::string> inputs = {xi};
  for (int i = 1; i <= 4; ++i) {  // scale, offset, mean, variance
    FP_ASSIGN_OR_RETURN(TfValue v, cv.Input(node, i));
    FP_RETURN_IF_ERROR(cv.RequireTensor(node, v));
    inputs.push_back(v.ir);
  }
  FP_ASSIGN_OR_RETURN(std::string out, cv.Emit("BatchNormalization", node.name(), std::move(inputs),
                                               {{"epsilon", eps}}, node.name()));
  DefineOutput(cv, node, out, nhwc);
  return absl::OkStatus();
}

absl::Status ConvertPad(TfConverter& cv, const NodeDef& node, absl::string_view) {
  FP_ASSIGN_OR_RETURN(TfValue x, cv.Input(node, 0));
  FP_RETURN_IF_ERROR(cv.RequireTensor(node, x));
  FP_ASSIGN_OR_RETURN(std::vector<int64_t> p, ConstInts(cv, node, 1, "paddings"));
  const int r = cv.Info(x.ir)->shape.rank();
  // any_of, not *min_element: a scalar has no paddings.
  if (static_cast<int>(p.size()) != 2 * r ||
      std::any_of(p.begin(), p.end(), [](int64_t v) { return v < 0; })) {
    return Unsupported(
        node, absl::StrCat("paddings [", absl::StrJoin(p, ","), "] must be ", r, "x2 values >= 0"));
  }
  if (std::any_of(p.begin(), p.end(), [](int64_t v) { return v > kMaxPadding; })) {
    return Invalid(node,
                   absl::StrCat("paddings [", absl::StrJoin(p, ","), "] exceed ", kMaxPadding));
  }
  std::vector<int64_t> pads(2 * r);
  for (int i = 0; i < r; ++i) {  // IR dim i holds TF dim tf
    const int tf = x.nchw ? static_cast<int>(kToNchw[i]) : i;
    pads[i] = p[2 * tf];
    pads[r + i] = p[2 * tf + 1];
  }
  std::string mode = "constant";
  float value = 0;
  if (node.op() == "MirrorPad") {
    FP_ASSIGN_OR_RETURN(std::string m, TfAttrString(node, "mode"));
    if (m != "REFLECT") return Unsupported(node, absl::StrCat("mode '", m, "'"));
    mode = "reflect";
  } else if (node.op() == "PadV2") {
    FP_ASSIGN_OR_RETURN(TfValue c, cv.Input(node, 2));
    const ir::Tensor* t = cv.Constant(c);
    if (t == nullptr || t->NumElements() != 1) {
      return Unsupported(node, "constant_values must be a constant scalar");
    }
    value = static_cast<float>(t->GetAsDouble(0));
  }
  FP_ASSIGN_OR_RETURN(std::string out,
                      cv.Emit("Pad", node.name(), {x.ir},
                              {{"pads", pads}, {"mode", mode}, {"value", value}}, node.name()));
  DefineOutput(cv, node, out, x.nchw);
  return absl::OkStatus();
}

absl::Status ConvertReduce(TfConverter& cv, const NodeDef& node, absl::string_view ir_op) {
  FP_ASSIGN_OR_RETURN(TfValue x, cv.Input(node, 0));
  FP_RETURN_IF_ERROR(cv.RequireTensor(node, x));
  FP_ASSIGN_OR_RETURN(std::vector<int64_t> axes, ConstInts(cv, node, 1, "reduction indices"));
  FP_ASSIGN_OR_RETURN(bool keep, TfAttrBool(node, "keep_dims", false));
  const int r = cv.Info(x.ir)->shape.rank();
  std::vector<bool> reduced(r, false);
  for (int64_t a : axes) {
    if (a < -r || a >= r) return Invalid(node, absl::StrCat("axis ", a, " out of range"));
    reduced[a < 0 ? a + r : a] = true;
  }
  bool nchw = x.nchw;
  std::vector<int64_t> ir_axes;
  for (int i = 0; i < r; ++i) {
    if (reduced[i]) ir_axes.push_back(nchw ? kNchwPosOfNhwc[i] : i);
  }
  std::sort(ir_axes.begin(), ir_axes.end());
  // Without keep_dims the kept dims must come out in TF's order: in NCHW
  // that holds unless both C and a spatial dim survive.
  const bool noop = axes.empty();
  if (nchw && !keep && !noop && !NchwKeepsTfOrder(reduced)) nchw = false;
  std::string xi = x.ir;
  if (!nchw) {
    FP_ASSIGN_OR_RETURN(xi, cv.AsTf(x));
    ir_axes.clear();
    for (int i = 0; i < r; ++i) {
      if (reduced[i]) ir_axes.push_back(i);
    }
  }
  std::string out;
  if (ir_op == "ReduceMean" && nchw && keep && ir_axes == std::vector<int64_t>{2, 3}) {
    FP_ASSIGN_OR_RETURN(out, cv.Emit("GlobalAveragePool", node.name(), {xi}, {}, node.name()));
  } else {
    FP_ASSIGN_OR_RETURN(out, cv.Emit(ir_op, node.name(), {xi},
                                     {{"axes", ir_axes},
                                      {"keepdims", int64_t{keep ? 1 : 0}},
                                      {"noop_with_empty_axes", int64_t{1}}},
                                     node.name()));
  }
  DefineOutput(cv, node, out, nchw && (keep || noop));
  return absl::OkStatus();
}

}  // namespace fixpoint::io
