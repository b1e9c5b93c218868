// Inference of Conv, ConvTranspose, MaxPool, AveragePool and the global
// pools. Canonicalizes geometry in place: kernel_shape, strides, dilations and
// pads become explicit and auto_pad becomes "NOTSET" (docs/IR_OPS.md).
//
// Overflow: every geometry attribute and every kernel extent is at most
// kMaxTensorElements (2^40, checked when read), as is every input dim, so a
// sum of a few of them fits easily in int64; products go through MulDims and
// each output dim through CheckDim.
#include <algorithm>
#include <optional>
#include <string>

#include "core/ir/infer/infer_ops.h"

namespace fixpoint::ir::infer {
namespace {

using Outputs = std::vector<ValueInfo>;

// Sliding-window geometry over nspatial dims; pads holds all begins, then all
// ends (ONNX order).
struct Geometry {
  std::vector<int64_t> kernel, strides, dilations, pads;
  int nspatial() const { return static_cast<int>(kernel.size()); }
  // At most 2^40 + 1 (checked by ReadGeometry).
  int64_t Extent(int i) const { return (kernel[i] - 1) * dilations[i] + 1; }
};

// Each of `v` (attribute `key`) in [min_value, kMaxTensorElements].
absl::Status CheckRange(const Node& node, const std::string& key, const std::vector<int64_t>& v,
                        int64_t min_value) {
  for (int64_t x : v) {
    if (x < min_value) {
      return Invalid(node, "attribute '", key, "' = ", IntsToString(v),
                     ": values must be >= ", min_value);
    }
    if (x > kMaxTensorElements) {
      return Invalid(node, "attribute '", key, "' = ", IntsToString(v),
                     ": values must be <= 2^40 (the element limit of a tensor)");
    }
  }
  return absl::OkStatus();
}

// Attribute `key` (default `dflt`) with exactly `size` values, each in
// [min_value, kMaxTensorElements].
absl::StatusOr<std::vector<int64_t>> ReadInts(const Node& node, const std::string& key, size_t size,
                                              std::vector<int64_t> dflt, int64_t min_value) {
  FP_ASSIGN_OR_RETURN(std::vector<int64_t> v, node.GetInts(key, std::move(dflt)));
  if (v.size() != size) {
    return Invalid(node, "attribute '", key, "' has ", v.size(), " values, expected ", size);
  }
  FP_RETURN_IF_ERROR(CheckRange(node, key, v, min_value));
  return v;
}

// Reads the geometry; an empty default_kernel makes kernel_shape required.
absl::StatusOr<Geometry> ReadGeometry(const Node& node, int nsp,
                                      std::vector<int64_t> default_kernel) {
  if (default_kernel.empty() && !node.HasAttr("kernel_shape")) {
    return Invalid(node, "missing attribute 'kernel_shape'");
  }
  const std::vector<int64_t> ones(nsp, 1);
  Geometry g;
  FP_ASSIGN_OR_RETURN(g.kernel, ReadInts(node, "kernel_shape", nsp, std::move(default_kernel), 1));
  FP_ASSIGN_OR_RETURN(g.strides, ReadInts(node, "strides", nsp, ones, 1));
  FP_ASSIGN_OR_RETURN(g.dilations, ReadInts(node, "dilations", nsp, ones, 1));
  FP_ASSIGN_OR_RETURN(g.pads, ReadInts(node, "pads", 2 * nsp, std::vector<int64_t>(2 * nsp, 0), 0));
  for (int i = 0; i < nsp; ++i) {
    // Extent() = (kernel - 1) * dilation + 1; the + 1 cannot overflow a bounded product.
    FP_RETURN_IF_ERROR(MulDims(node, g.kernel[i] - 1, g.dilations[i],
                               absl::StrCat("spatial dim ", i,
                                            ": kernel extent (kernel_shape - 1)"
                                            " x dilation"))
                           .status());
  }
  return g;
}

void StoreGeometry(Node& node, const Geometry& g, bool store_dilations) {
  node.attrs["kernel_shape"] = g.kernel;
  node.attrs["strides"] = g.strides;
  if (store_dilations) node.attrs["dilations"] = g.dilations;
  node.attrs["pads"] = g.pads;
  node.attrs["auto_pad"] = std::string("NOTSET");
}

absl::Status NeedStaticSpatial(const Node& node, const Shape& x, absl::string_view why) {
  for (int i = 2; i < x.rank(); ++i) {
    if (IsDynamic(x[i])) {
      return Invalid(node, why, " needs static spatial dims, input shape ", x.ToString());
    }
  }
  return absl::OkStatus();
}

// Forward conv/pool: SAME_UPPER/SAME_LOWER/VALID -> explicit pads.
absl::Status ResolveAutoPad(const Node& node, const Shape& x, Geometry* g) {
  FP_ASSIGN_OR_RETURN(std::string auto_pad, node.GetString("auto_pad", "NOTSET"));
  const int nsp = g->nspatial();
  if (auto_pad == "NOTSET") return absl::OkStatus();
  if (auto_pad == "VALID") {
    std::fill(g->pads.begin(), g->pads.end(), 0);
    return absl::OkStatus();
  }
  if (auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER") {
    return Invalid(node, "unknown auto_pad '", auto_pad, "'");
  }
  FP_RETURN_IF_ERROR(NeedStaticSpatial(node, x, absl::StrCat("auto_pad ", auto_pad)));
  for (int i = 0; i < nsp; ++i) {
    const int64_t in = x[2 + i];
    const int64_t out = CeilDiv(in, g->strides[i]);
    // (out - 1) * stride < in, so total < extent <= 2^40.
    const int64_t total = std::max<int64_t>(0, (out - 1) * g->strides[i] + g->Extent(i) - in);
    const int64_t begin = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
    g->pads[i] = begin;
    g->pads[i + nsp] = total - begin;
  }
  return absl::OkStatus();
}

// floor (or ceil) ((in + pads - extent) / stride) + 1. With ceil_mode a last
// window starting in the end padding is dropped (ONNX's clarified pooling
// semantics, as PyTorch), so every window overlaps the input. The sums are of
// values <= 2^40 (see the top of the file); the result is checked.
absl::StatusOr<int64_t> SlidingOutDim(const Node& node, int i, int64_t in, const Geometry& g,
                                      bool ceil_mode) {
  if (IsDynamic(in)) return kDynamicDim;
  const int64_t begin = g.pads[i];
  const int64_t span = in + begin + g.pads[i + g.nspatial()] - g.Extent(i);
  if (span < 0) {
    return Invalid(node, "spatial dim ", i, ": padded size ", span + g.Extent(i),
                   " is smaller than the kernel extent ", g.Extent(i));
  }
  const int64_t s = g.strides[i];
  int64_t out = (ceil_mode ? CeilDiv(span, s) : span / s) + 1;
  // (out - 1) * s <= span + s - 1: no overflow.
  if (ceil_mode && (out - 1) * s >= in + begin) --out;
  return CheckDim(node, out, absl::StrCat("spatial dim ", i, " of the output"));
}

// W's spatial dims as the default kernel_shape (empty when any is dynamic).
std::vector<int64_t> KernelFromWeights(const Shape& w) {
  std::vector<int64_t> k(w.dims().begin() + 2, w.dims().end());
  for (int64_t d : k) {
    if (IsDynamic(d)) return {};
  }
  return k;
}

// Common checks of Conv/ConvTranspose: ranks, group, bias of `out_channels`.
absl::StatusOr<int64_t> CheckConvInputs(const Node& node, const InferContext& ctx) {
  FP_RETURN_IF_ERROR(ExpectMinRank(node, ctx, 0, 3));
  FP_RETURN_IF_ERROR(ExpectRank(node, ctx, 1, In(ctx, 0).shape.rank()));
  FP_ASSIGN_OR_RETURN(int64_t group, node.GetInt("group", 1));
  if (group < 1) return Invalid(node, "attribute 'group' must be >= 1, got ", group);
  return group;
}

absl::Status CheckBias(const Node& node, const InferContext& ctx, int64_t out_channels) {
  if (OptionalInput(ctx, 2) == nullptr) return absl::OkStatus();
  FP_RETURN_IF_ERROR(ExpectRank(node, ctx, 2, 1));
  return MergeDim(node, out_channels, In(ctx, 2).shape[0], "bias size vs output channels").status();
}

absl::Status CheckKernelMatchesWeights(const Node& node, const Geometry& g,
                                       const std::vector<int64_t>& wk, const Shape& w) {
  if (wk.empty() || g.kernel == wk) return absl::OkStatus();
  return Invalid(node, "kernel_shape ", IntsToString(g.kernel), " does not match weight shape ",
                 w.ToString());
}

// ConvTranspose's stride x (in - 1) for a static `in` (-stride when in is 0).
absl::StatusOr<int64_t> StridedSpan(const Node& node, int64_t stride, int64_t in,
                                    absl::string_view what) {
  if (in == 0) return -stride;
  return MulDims(node, stride, in - 1, absl::StrCat(what, ": stride x (in - 1)"));
}

// ConvTranspose: output_shape or SAME_* -> explicit pads. A target larger than
// the natural output becomes extra output_padding (pads stay >= 0).
absl::Status ResolveTransposePads(const Node& node, const Shape& x, Geometry* g,
                                  std::vector<int64_t>* out_pad) {
  FP_ASSIGN_OR_RETURN(std::string auto_pad, node.GetString("auto_pad", "NOTSET"));
  FP_ASSIGN_OR_RETURN(std::vector<int64_t> target, node.GetInts("output_shape", {}));
  const int nsp = g->nspatial();
  if (target.size() == static_cast<size_t>(x.rank()))
    target.erase(target.begin(), target.begin() + 2);
  if (!target.empty() && target.size() != static_cast<size_t>(nsp)) {
    return Invalid(node, "attribute 'output_shape' ", IntsToString(target),
                   " has wrong length for ", nsp, " spatial dims");
  }
  FP_RETURN_IF_ERROR(CheckRange(node, "output_shape", target, 0));
  const bool same = auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER";
  if (!same && auto_pad != "NOTSET" && auto_pad != "VALID") {
    return Invalid(node, "unknown auto_pad '", auto_pad, "'");
  }
  if (target.empty() && !same) {
    if (auto_pad == "VALID") std::fill(g->pads.begin(), g->pads.end(), 0);
    return absl::OkStatus();
  }
  FP_RETURN_IF_ERROR(NeedStaticSpatial(
      node, x, target.empty() ? absl::StrCat("auto_pad ", auto_pad) : "output_shape"));
  for (int i = 0; i < nsp; ++i) {
    const int64_t in = x[2 + i];
    const std::string what = absl::StrCat("spatial dim ", i, " of the output");
    int64_t want = 0;
    if (target.empty()) {
      FP_ASSIGN_OR_RETURN(want,
                          MulDims(node, in, g->strides[i], absl::StrCat(what, ": in x stride")));
    } else {
      want = target[i];
    }
    FP_ASSIGN_OR_RETURN(const int64_t strided, StridedSpan(node, g->strides[i], in, what));
    // Every term is within [-2^40, 2^40 + 1].
    int64_t total = strided + (*out_pad)[i] + g->Extent(i) - want;
    if (total < 0) {
      (*out_pad)[i] -= total;
      total = 0;
    }
    const int64_t begin = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
    g->pads[i] = begin;
    g->pads[i + nsp] = total - begin;
  }
  // The canonical attributes must read back within ReadInts' bounds.
  FP_RETURN_IF_ERROR(CheckRange(node, "output_padding", *out_pad, 0));
  return CheckRange(node, "pads", g->pads, 0);
}

}  // namespace

absl::StatusOr<Outputs> InferConv(Node& node, const InferContext& ctx) {
  FP_ASSIGN_OR_RETURN(int64_t group, CheckConvInputs(node, ctx));
  const Shape& x = In(ctx, 0).shape;
  const Shape& w = In(ctx, 1).shape;
  const std::vector<int64_t> wk = KernelFromWeights(w);
  FP_ASSIGN_OR_RETURN(Geometry g, ReadGeometry(node, x.rank() - 2, wk));
  FP_RETURN_IF_ERROR(CheckKernelMatchesWeights(node, g, wk, w));
  // Overflow of the product (group is unbounded) is a mismatch too.
  const std::optional<int64_t> w_channels = CheckedMul(w[1], group);
  if (!IsDynamic(x[1]) && !IsDynamic(w[1]) && (!w_channels || x[1] != *w_channels)) {
    return Invalid(node, "input channels ", x[1], " != weight channels ", w[1], " x group ", group,
                   " (input ", x.ToString(), ", weight ", w.ToString(), ")");
  }
  if (!IsDynamic(w[0]) && w[0] % group != 0) {
    return Invalid(node, "output channels ", w[0], " not divisible by group ", group);
  }
  FP_RETURN_IF_ERROR(CheckBias(node, ctx, w[0]));
  FP_RETURN_IF_ERROR(ResolveAutoPad(node, x, &g));
  StoreGeometry(node, g, /*store_dilations=*/true);
  std::vector<int64_t> dims = {x[0], w[0]};
  for (int i = 0; i < g.nspatial(); ++i) {
    FP_ASSIGN_OR_RETURN(int64_t d, SlidingOutDim(node, i, x[2 + i], g, false));
    dims.push_back(d);
  }
  return Outputs{Out(In(ctx, 0).dtype, Shape(std::move(dims)))};
}

absl::StatusOr<Outputs> InferConvTranspose(Node& node, const InferContext& ctx) {
  FP_ASSIGN_OR_RETURN(int64_t group, CheckConvInputs(node, ctx));
  const Shape& x = In(ctx, 0).shape;
  const Shape& w = In(ctx, 1).shape;
  const int nsp = x.rank() - 2;
  const std::vector<int64_t> wk = KernelFromWeights(w);
  FP_ASSIGN_OR_RETURN(Geometry g, ReadGeometry(node, nsp, wk));
  FP_RETURN_IF_ERROR(CheckKernelMatchesWeights(node, g, wk, w));
  FP_RETURN_IF_ERROR(MergeDim(node, x[1], w[0], "input channels vs weight dim 0").status());
  FP_ASSIGN_OR_RETURN(const int64_t out_channels,
                      MulDims(node, w[1], group, "output channels (weight dim 1 x group)"));
  FP_RETURN_IF_ERROR(CheckBias(node, ctx, out_channels));
  FP_ASSIGN_OR_RETURN(std::vector<int64_t> out_pad,
                      ReadInts(node, "output_padding", nsp, std::vector<int64_t>(nsp, 0), 0));
  FP_RETURN_IF_ERROR(ResolveTransposePads(node, x, &g, &out_pad));
  StoreGeometry(node, g, /*store_dilations=*/true);
  node.attrs["output_padding"] = out_pad;
  node.attrs.erase("output_shape");
  std::vector<int64_t> dims = {x[0], out_channels};
  for (int i = 0; i < nsp; ++i) {
    const int64_t in = x[2 + i];
    if (IsDynamic(in)) {
      dims.push_back(kDynamicDim);
      continue;
    }
    const std::string what = absl::StrCat("spatial dim ", i, " of the output");
    FP_ASSIGN_OR_RETURN(const int64_t strided, StridedSpan(node, g.strides[i], in, what));
    // Each term is <= 2^40 (see the top of the file).
    const int64_t d = strided + out_pad[i] + g.Extent(i) - g.pads[i] - g.pads[i + nsp];
    if (d <= 0) return Invalid(node, what, " would be ", d);
    FP_RETURN_IF_ERROR(CheckDim(node, d, what).status());
    dims.push_back(d);
  }
  return Outputs{Out(In(ctx, 0).dtype, Shape(std::move(dims)))};
}

// MaxPool (Y and, when listed, i64 Indices) and AveragePool.
absl::StatusOr<Outputs> InferPool(Node& node, const InferContext& ctx) {
  FP_RETURN_IF_ERROR(ExpectMinRank(node, ctx, 0, 3));
  const Shape& x = In(ctx, 0).shape;
  FP_ASSIGN_OR_RETURN(Geometry g, ReadGeometry(node, x.rank() - 2, {}));
  FP_ASSIGN_OR_RETURN(int64_t ceil_mode, node.GetInt("ceil_mode", 0));
  FP_RETURN_IF_ERROR(ResolveAutoPad(node, x, &g));
  const bool is_max = node.op_type == "MaxPool";
  // AveragePool has dilations only from opset 19; keep the opset-13 form.
  StoreGeometry(node, g, is_max || node.HasAttr("dilations"));
  std::vector<int64_t> dims = {x[0], x[1]};
  for (int i = 0; i < g.nspatial(); ++i) {
    FP_ASSIGN_OR_RETURN(int64_t d, SlidingOutDim(node, i, x[2 + i], g, ceil_mode != 0));
    dims.push_back(d);
  }
  Shape y(std::move(dims));
  Outputs out = {Out(In(ctx, 0).dtype, y)};
  if (is_max) out.push_back(Out(DType::kI64, y));
  return out;
}

absl::StatusOr<Outputs> InferGlobalPool(Node& node, const InferContext& ctx) {
  FP_RETURN_IF_ERROR(ExpectMinRank(node, ctx, 0, 3));
  const Shape& x = In(ctx, 0).shape;
  std::vector<int64_t> dims(x.rank(), 1);
  dims[0] = x[0];
  dims[1] = x[1];
  return Outputs{Out(In(ctx, 0).dtype, Shape(std::move(dims)))};
}

}  // namespace fixpoint::ir::infer
