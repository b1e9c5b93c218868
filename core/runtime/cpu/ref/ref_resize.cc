// Reference Resize: "nearest" (every nearest_mode; any dtype, as an index map)
// and "linear" (f32, N-D as separable 1-D passes in double scratch), with the
// coordinate_transformation_modes half_pixel, pytorch_half_pixel,
// align_corners, asymmetric and tf_half_pixel_for_nn. Coordinates follow the
// ONNX reference implementation: with `scales`, the resized length used by
// align_corners/pytorch_half_pixel is scale * input length (not the floored
// output length); out-of-range source positions clamp to the edge.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "core/runtime/cpu/ref/ref_index_map.h"
#include "core/runtime/cpu/ref/ref_kernels.h"
#include "core/util/status_macros.h"

namespace fixpoint::runtime::ref {
namespace {

struct AxisScale {
  int64_t in, out;
  double scale;       // output / input
  double scaled_len;  // "length_resized" of the coordinate formulas
};

absl::StatusOr<std::vector<AxisScale>> AxisScales(const KernelContext& ctx) {
  const ir::Shape& x = ctx.input_infos[0].shape;
  const ir::Shape& y = ctx.output_infos[0].shape;
  if (y.rank() != x.rank()) return InvalidArg(ctx, "output rank differs from input rank");
  FP_ASSIGN_OR_RETURN(const std::vector<float> scales, ctx.node.GetFloats("scales", {}));
  if (!scales.empty() && static_cast<int>(scales.size()) != x.rank()) {
    return InvalidArg(ctx, "scales needs one value per dim");
  }
  std::vector<AxisScale> axes;
  for (int d = 0; d < x.rank(); ++d) {
    AxisScale a{x.dim(d), y.dim(d), 1.0, static_cast<double>(y.dim(d))};
    if (a.in == 0 && a.out > 0) return InvalidArg(ctx, "cannot resize an empty dim");
    if (!scales.empty()) {
      if (!(scales[d] > 0)) return InvalidArg(ctx, "scales must be positive");
      a.scale = scales[d];
      a.scaled_len = a.scale * static_cast<double>(a.in);
    } else if (a.in > 0) {
      a.scale = static_cast<double>(a.out) / static_cast<double>(a.in);
    }
    axes.push_back(a);
  }
  return axes;
}

absl::StatusOr<double> SourceCoord(const KernelContext& ctx, const std::string& mode,
                                   const AxisScale& a, int64_t o) {
  const double x = static_cast<double>(o);
  if (mode == "half_pixel") return (x + 0.5) / a.scale - 0.5;
  if (mode == "pytorch_half_pixel") return a.scaled_len > 1 ? (x + 0.5) / a.scale - 0.5 : 0.0;
  if (mode == "align_corners") {
    return a.scaled_len == 1 ? 0.0 : x * static_cast<double>(a.in - 1) / (a.scaled_len - 1);
  }
  if (mode == "asymmetric") return x / a.scale;
  if (mode == "tf_half_pixel_for_nn") return (x + 0.5) / a.scale;
  return Unimplemented(ctx, "coordinate_transformation_mode '", mode, "'");
}

absl::StatusOr<int64_t> NearestIndex(const KernelContext& ctx, const std::string& mode, double x,
                                     int64_t in) {
  const double fl = std::floor(x), frac = x - fl;
  double r;
  if (frac == 0) {
    r = x;
  } else if (mode == "round_prefer_floor") {
    r = frac <= 0.5 ? fl : fl + 1;
  } else if (mode == "round_prefer_ceil") {
    r = frac < 0.5 ? fl : fl + 1;
  } else if (mode == "floor") {
    r = fl;
  } else if (mode == "ceil") {
    r = fl + 1;
  } else {
    return InvalidArg(ctx, "unknown nearest_mode '", mode, "'");
  }
  return static_cast<int64_t>(std::clamp(r, 0.0, static_cast<double>(in - 1)));
}

KernelOr CreateNearest(const KernelContext& ctx, const std::vector<AxisScale>& axes,
                       const std::string& coord_mode) {
  FP_ASSIGN_OR_RETURN(const std::string nearest_mode,
                      ctx.node.GetString("nearest_mode", "round_prefer_floor"));
  const std::vector<int64_t> strides = ir::RowMajorStrides(ctx.input_infos[0].shape);
  IndexMap m;
  for (size_t d = 0; d < axes.size(); ++d) {
    std::vector<int64_t> t(axes[d].out);
    for (int64_t o = 0; o < axes[d].out; ++o) {
      FP_ASSIGN_OR_RETURN(const double x, SourceCoord(ctx, coord_mode, axes[d], o));
      FP_ASSIGN_OR_RETURN(const int64_t i, NearestIndex(ctx, nearest_mode, x, axes[d].in));
      t[o] = i * strides[d];
    }
    m.tables.push_back(std::move(t));
  }
  return MakeIndexMapKernel(ctx, std::move(m));
}

// One separable linear pass: dim `len_in` -> `len_out` between `outer` and
// `inner` blocks; output j blends source i0[j] and i1[j] by w[j].
struct LinearPass {
  int64_t outer, in, out, inner;
  std::vector<int64_t> i0, i1;
  std::vector<double> w;
};

template <typename Src, typename Dst>
void RunPass(const LinearPass& p, const Src* src, Dst* dst) {
  for (int64_t o = 0; o < p.outer; ++o) {
    const Src* s = src + o * p.in * p.inner;
    Dst* d = dst + o * p.out * p.inner;
    for (int64_t j = 0; j < p.out; ++j) {
      const Src* a = s + p.i0[j] * p.inner;
      const Src* b = s + p.i1[j] * p.inner;
      const double w = p.w[j];
      for (int64_t i = 0; i < p.inner; ++i) {
        d[j * p.inner + i] = static_cast<Dst>((1.0 - w) * a[i] + w * b[i]);
      }
    }
  }
}

absl::Status RunLinear(const std::vector<LinearPass>& passes, const KernelArgs& args) {
  const float* x = args.inputs[0].As<const float>();
  float* y = args.outputs[0].As<float>();
  if (passes.empty()) {
    if (args.outputs[0].ByteSize() > 0) std::memcpy(y, x, args.outputs[0].ByteSize());
    return absl::OkStatus();
  }
  double* buf[2] = {static_cast<double*>(args.scratch), nullptr};
  int64_t max_count = 0;
  for (const LinearPass& p : passes) max_count = std::max(max_count, p.outer * p.out * p.inner);
  buf[1] = buf[0] + max_count;
  const size_t last = passes.size() - 1;
  for (size_t k = 0; k < passes.size(); ++k) {
    const double* src = k == 0 ? nullptr : buf[(k - 1) % 2];
    if (k == 0 && k == last)
      RunPass(passes[k], x, y);
    else if (k == 0)
      RunPass(passes[k], x, buf[0]);
    else if (k == last)
      RunPass(passes[k], src, y);
    else
      RunPass(passes[k], src, buf[k % 2]);
  }
  return absl::OkStatus();
}

KernelOr CreateLinear(const KernelContext& ctx, const std::vector<AxisScale>& axes,
                      const std::string& coord_mode) {
  if (ctx.input_infos[0].dtype != ir::DType::kF32)
    return UnsupportedDType(ctx, ctx.input_infos[0].dtype);
  std::vector<int64_t> dims = ctx.input_infos[0].shape.dims();
  std::vector<LinearPass> passes;
  int64_t max_count = 0;
  for (int d = static_cast<int>(axes.size()) - 1; d >= 0; --d) {
    LinearPass p{Product(dims, 0, d),
                 axes[d].in,
                 axes[d].out,
                 Product(dims, d + 1, static_cast<int>(dims.size())),
                 {},
                 {},
                 {}};
    bool identity = p.in == p.out;
    for (int64_t o = 0; o < p.out; ++o) {
      FP_ASSIGN_OR_RETURN(const double x, SourceCoord(ctx, coord_mode, axes[d], o));
      const double xc = std::clamp(x, 0.0, static_cast<double>(p.in - 1));
      const int64_t i0 = static_cast<int64_t>(std::floor(xc));
      p.i0.push_back(i0);
      p.i1.push_back(std::min(i0 + 1, p.in - 1));
      p.w.push_back(xc - static_cast<double>(i0));
      identity = identity && i0 == o && p.w.back() == 0;
    }
    if (identity) continue;
    dims[d] = p.out;
    max_count = std::max(max_count, p.outer * p.out * p.inner);
    passes.push_back(std::move(p));
  }
  if (ctx.output_infos[0].shape.dims() != dims) return InvalidArg(ctx, "output shape mismatch");
  const size_t scratch =
      passes.size() > 1 ? 2 * static_cast<size_t>(max_count) * sizeof(double) : 0;
  return MakeKernel([passes](const KernelArgs& args) { return RunLinear(passes, args); }, scratch);
}

}  // namespace

KernelOr CreateResize(const KernelContext& ctx) {
  FP_RETURN_IF_ERROR(CheckArity(ctx, 1, 1));
  FP_ASSIGN_OR_RETURN(const std::string mode, ctx.node.GetString("mode", "nearest"));
  FP_ASSIGN_OR_RETURN(const std::string coord_mode,
                      ctx.node.GetString("coordinate_transformation_mode", "half_pixel"));
  FP_ASSIGN_OR_RETURN(const std::vector<AxisScale> axes, AxisScales(ctx));
  if (mode == "nearest") return CreateNearest(ctx, axes, coord_mode);
  if (mode == "linear") return CreateLinear(ctx, axes, coord_mode);
  return Unimplemented(ctx, "mode '", mode, "'");
}

}  // namespace fixpoint::runtime::ref
