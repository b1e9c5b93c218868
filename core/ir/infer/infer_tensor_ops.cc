// Inference of ops that select or combine tensor data: Concat, Slice,
// Gather, Split, Pad, Resize.
#include <algorithm>
#include <cmath>

#include "core/ir/infer/infer_ops.h"

namespace fixpoint::ir::infer {
namespace {

using Outputs = std::vector<ValueInfo>;

// Number of elements ONNX Slice selects from a static dim `d`; start/end are
// clamped as in the spec, so INT64_MAX/INT64_MIN mean "to the end".
int64_t SliceLength(int64_t start, int64_t end, int64_t step, int64_t d) {
  if (d == 0) return 0;
  if (start < 0) start += d;
  if (end < 0) end += d;
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, d);
    end = std::clamp<int64_t>(end, 0, d);
    return end > start ? 1 + (end - start - 1) / step : 0;
  }
  start = std::clamp<int64_t>(start, 0, d - 1);
  end = std::clamp<int64_t>(end, -1, d - 1);
  if (start <= end) return 0;
  // -step overflows for INT64_MIN; divide in unsigned.
  const uint64_t neg_step = 0 - static_cast<uint64_t>(step);
  return 1 + static_cast<int64_t>(static_cast<uint64_t>(start - end - 1) / neg_step);
}

// Element i of an i32 or i64 tensor, exactly (through double, an int64 near
// 2^63 would round out of range).
int64_t IndexAt(const Tensor& t, int64_t i) {
  return t.dtype() == DType::kI64 ? t.data<int64_t>()[i] : t.data<int32_t>()[i];
}

// Constant indices of Gather must lie in [-dim, dim).
absl::Status CheckGatherIndices(const Node& node, const Tensor* indices, int64_t dim) {
  if (indices == nullptr || IsDynamic(dim) || indices->empty()) return absl::OkStatus();
  if (indices->dtype() != DType::kI32 && indices->dtype() != DType::kI64) {
    return Invalid(node, "indices have dtype ", DTypeName(indices->dtype()),
                   ", expected i32 or i64");
  }
  for (int64_t i = 0; i < indices->NumElements(); ++i) {
    const int64_t v = IndexAt(*indices, i);
    if (v < -dim || v >= dim) {
      return Invalid(node, "index ", v, " is out of range for axis of size ", dim);
    }
  }
  return absl::OkStatus();
}

absl::Status CheckResizeModes(const Node& node) {
  FP_ASSIGN_OR_RETURN(std::string mode, node.GetString("mode", "nearest"));
  FP_ASSIGN_OR_RETURN(std::string coord,
                      node.GetString("coordinate_transformation_mode", "half_pixel"));
  FP_ASSIGN_OR_RETURN(std::string nearest, node.GetString("nearest_mode", "round_prefer_floor"));
  if (mode == "cubic" || coord == "tf_crop_and_resize") {
    return absl::UnimplementedError(absl::StrCat(node.Describe(), ": mode '", mode,
                                                 "' / coordinate_transformation_mode '", coord,
                                                 "' is not supported"));
  }
  if (mode != "nearest" && mode != "linear") return Invalid(node, "unknown mode '", mode, "'");
  static constexpr absl::string_view kCoords[] = {
      "half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn"};
  if (std::find(std::begin(kCoords), std::end(kCoords), coord) == std::end(kCoords)) {
    return Invalid(node, "unknown coordinate_transformation_mode '", coord, "'");
  }
  static constexpr absl::string_view kNearest[] = {"round_prefer_floor", "round_prefer_ceil",
                                                   "floor", "ceil"};
  if (std::find(std::begin(kNearest), std::end(kNearest), nearest) == std::end(kNearest)) {
    return Invalid(node, "unknown nearest_mode '", nearest, "'");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Outputs> InferConcat(Node& node, const InferContext& ctx) {
  if (!node.HasAttr("axis")) return Invalid(node, "missing attribute 'axis'");
  FP_ASSIGN_OR_RETURN(int64_t axis_attr, node.GetInt("axis", 0));
  FP_RETURN_IF_ERROR(ExpectSameDTypes(node, ctx));
  const int rank = In(ctx, 0).shape.rank();
  FP_ASSIGN_OR_RETURN(int axis, NormalizeAxis(node, axis_attr, rank));
  std::vector<int64_t> dims = In(ctx, 0).shape.dims();
  for (int i = 1; i < static_cast<int>(ctx.inputs.size()); ++i) {
    if (ctx.inputs[i] == nullptr) return Invalid(node, "input ", i, " is absent");
    FP_RETURN_IF_ERROR(ExpectRank(node, ctx, i, rank));
    const Shape& s = In(ctx, i).shape;
    for (int d = 0; d < rank; ++d) {
      if (d == axis) {
        FP_ASSIGN_OR_RETURN(dims[d], AddDims(node, dims[d], s[d],
                                             absl::StrCat("output dim ", d, " (the concat axis)")));
        continue;
      }
      absl::StatusOr<int64_t> merged = MergeDim(node, dims[d], s[d], "");
      if (!merged.ok()) {
        return Invalid(node, "input ", i, " shape ", s.ToString(), " differs from ",
                       In(ctx, 0).shape.ToString(), " outside axis ", axis);
      }
      dims[d] = *merged;
    }
  }
  return Outputs{Out(In(ctx, 0).dtype, Shape(std::move(dims)))};
}

absl::StatusOr<Outputs> InferSlice(Node& node, const InferContext& ctx) {
  const Shape& x = In(ctx, 0).shape;
  FP_ASSIGN_OR_RETURN(std::vector<int64_t> starts, RequiredInts(node, "starts"));
  FP_ASSIGN_OR_RETURN(std::vector<int64_t> ends, RequiredInts(node, "ends"));
  std::vector<int64_t> default_axes(starts.size());
  for (size_t i = 0; i < starts.size(); ++i) default_axes[i] = static_cast<int64_t>(i);
  FP_ASSIGN_OR_RETURN(std::vector<int64_t> axes, node.GetInts("axes", default_axes));
  FP_ASSIGN_OR_RETURN(std::vector<int64_t> steps,
                      node.GetInts("steps", std::vector<int64_t>(starts.size(), 1)));
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size()) {
    return Invalid(node, "starts/ends/axes/steps have different lengths");
  }
  FP_ASSIGN_OR_RETURN(std::vector<int> normalized, NormalizeAxes(node, axes, x.rank()));
  std::vector<int64_t> dims = x.dims();
  for (size_t k = 0; k < starts.size(); ++k) {
    if (steps[k] == 0) return Invalid(node, "steps[", k, "] is 0");
    const int a = normalized[k];
    dims[a] = IsDynamic(x[a]) ? kDynamicDim : SliceLength(starts[k], ends[k], steps[k], x[a]);
  }
  return Outputs{Out(In(ctx, 0).dtype, Shape(std::move(dims)))};
}

// data.shape[:axis] + indices.shape + data.shape[axis+1:].
absl::StatusOr<Outputs> InferGather(Node& node, const InferContext& ctx) {
  const Shape& data = In(ctx, 0).shape;
  const Shape& indices = In(ctx, 1).shape;
  const DType index_type = In(ctx, 1).dtype;
  if (index_type != DType::kI32 && index_type != DType::kI64) {
    return Invalid(node, "indices have dtype ", DTypeName(index_type), ", expected i32 or i64");
  }
  FP_ASSIGN_OR_RETURN(int64_t axis_attr, node.GetInt("axis", 0));
  FP_ASSIGN_OR_RETURN(int axis, NormalizeAxis(node, axis_attr, data.rank()));
  const Tensor* constant = ctx.constants.size() > 1 ? ctx.constants[1] : nullptr;
  FP_RETURN_IF_ERROR(CheckGatherIndices(node, constant, data[axis]));
  std::vector<int64_t> dims(data.dims().begin(), data.dims().begin() + axis);
  dims.insert(dims.end(), indices.dims().begin(), indices.dims().end());
  dims.insert(dims.end(), data.dims().begin() + axis + 1, data.dims().end());
  return Outputs{Out(In(ctx, 0).dtype, Shape(std::move(dims)))};
}

// One output per node output; `split` absent = equal parts (must divide).
absl::StatusOr<Outputs> InferSplit(Node& node, const InferContext& ctx) {
  const Shape& x = In(ctx, 0).shape;
  FP_ASSIGN_OR_RETURN(int64_t axis_attr, node.GetInt("axis", 0));
  FP_ASSIGN_OR_RETURN(int axis, NormalizeAxis(node, axis_attr, x.rank()));
  const int64_t n = static_cast<int64_t>(node.outputs.size());
  const int64_t d = x[axis];
  std::vector<int64_t> parts(n, IsDynamic(d) ? kDynamicDim : d / n);
  if (node.HasAttr("split")) {
    FP_ASSIGN_OR_RETURN(parts, node.GetInts("split", {}));
    int64_t sum = 0;
    for (int64_t p : parts) {
      if (p < 0) return Invalid(node, "attribute 'split' has negative value ", p);
      FP_ASSIGN_OR_RETURN(sum, AddDims(node, sum, p, "sum of attribute 'split'"));
    }
    if (static_cast<int64_t>(parts.size()) != n) {
      return Invalid(node, "attribute 'split' has ", parts.size(), " values for ", n, " outputs");
    }
    if (!IsDynamic(d) && sum != d) {
      return Invalid(node, "split sizes sum to ", sum, " but axis ", axis, " of ", x.ToString(),
                     " has ", d);
    }
  } else if (!IsDynamic(d) && d % n != 0) {
    return Invalid(node, "axis ", axis, " of ", x.ToString(), " does not split into ", n,
                   " equal parts");
  }
  Outputs out;
  for (int64_t p : parts) {
    Shape s = x;
    s[axis] = p;
    out.push_back(Out(In(ctx, 0).dtype, std::move(s)));
  }
  return out;
}

// pads: 2*rank values (begins, then ends); negative pads crop.
absl::StatusOr<Outputs> InferPad(Node& node, const InferContext& ctx) {
  const Shape& x = In(ctx, 0).shape;
  FP_ASSIGN_OR_RETURN(std::vector<int64_t> pads, RequiredInts(node, "pads"));
  FP_ASSIGN_OR_RETURN(std::string mode, node.GetString("mode", "constant"));
  FP_RETURN_IF_ERROR(node.GetFloat("value", 0.0f).status());
  if (mode != "constant" && mode != "reflect" && mode != "edge") {
    return Invalid(node, "unknown mode '", mode, "'");
  }
  if (static_cast<int>(pads.size()) != 2 * x.rank()) {
    return Invalid(node, "attribute 'pads' has ", pads.size(), " values for input ", x.ToString());
  }
  for (int64_t p : pads) {
    // No real model pads or crops by more than a tensor can hold; the bound
    // keeps the sums below from overflowing.
    if (p < -kMaxTensorElements || p > kMaxTensorElements) {
      return Invalid(node, "attribute 'pads' has value ", p,
                     ", outside [-2^40, 2^40] (the element limit of a tensor)");
    }
  }
  std::vector<int64_t> dims(x.rank());
  for (int i = 0; i < x.rank(); ++i) {
    if (IsDynamic(x[i])) {
      dims[i] = kDynamicDim;
      continue;
    }
    const int64_t begin = pads[i], end = pads[i + x.rank()];
    // x, begin and end are all within [-2^40, 2^40]: the sum cannot overflow.
    const int64_t padded = x[i] + begin + end;
    if (padded < 0) {
      return Invalid(node, "pads crop dim ", i, " of ", x.ToString(), " below zero");
    }
    FP_ASSIGN_OR_RETURN(dims[i], CheckDim(node, padded,
                                          absl::StrCat("output dim ", i, " (", x[i], " + pads ",
                                                       begin, " + ", end, ")")));
  }
  return Outputs{Out(In(ctx, 0).dtype, Shape(std::move(dims)))};
}

// Exactly one of `scales` (out = floor(dim * scale), in float as ONNX) or
// `sizes`.
absl::StatusOr<Outputs> InferResize(Node& node, const InferContext& ctx) {
  const Shape& x = In(ctx, 0).shape;
  FP_RETURN_IF_ERROR(CheckResizeModes(node));
  const bool has_scales = node.HasAttr("scales");
  if (has_scales == node.HasAttr("sizes")) {
    return Invalid(node, "exactly one of attributes 'scales' and 'sizes' is required");
  }
  std::vector<int64_t> dims(x.rank());
  if (has_scales) {
    FP_ASSIGN_OR_RETURN(std::vector<float> scales, node.GetFloats("scales", {}));
    if (static_cast<int>(scales.size()) != x.rank()) {
      return Invalid(node, "attribute 'scales' has ", scales.size(), " values for input ",
                     x.ToString());
    }
    for (int i = 0; i < x.rank(); ++i) {
      if (!(scales[i] > 0)) return Invalid(node, "scales[", i, "] must be positive");
      if (IsDynamic(x[i])) {
        dims[i] = kDynamicDim;
        continue;
      }
      const float out = std::floor(static_cast<float>(x[i]) * scales[i]);
      // Checked in float: converting an out-of-range float (or inf) to int64 is undefined.
      if (!(out <= static_cast<float>(kMaxTensorElements))) {
        return Invalid(node, "output dim ", i, ": ", x[i], " x scales[", i, "] = ", scales[i],
                       " is more than 2^40 (the element limit of a tensor)");
      }
      dims[i] = static_cast<int64_t>(out);
    }
  } else {
    FP_ASSIGN_OR_RETURN(dims, node.GetInts("sizes", {}));
    if (static_cast<int>(dims.size()) != x.rank()) {
      return Invalid(node, "attribute 'sizes' has ", dims.size(), " values for input ",
                     x.ToString());
    }
    for (int64_t d : dims) {
      if (d < 0) return Invalid(node, "attribute 'sizes' has negative value ", d);
    }
  }
  return Outputs{Out(In(ctx, 0).dtype, Shape(std::move(dims)))};
}

}  // namespace fixpoint::ir::infer
