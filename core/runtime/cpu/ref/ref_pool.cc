// Reference pooling: MaxPool (f32, i8, u8; dilations), AveragePool (f32;
// count_include_pad), 1-3 spatial dims, asymmetric pads; ceil_mode only
// changes the output size (taken from the output shape). GlobalAveragePool
// and GlobalMaxPool (f32). Sums accumulate in double.
#include <algorithm>
#include <limits>
#include <string>

#include "core/runtime/cpu/ref/ref_kernels.h"
#include "core/runtime/cpu/ref/ref_window.h"
#include "core/util/status_macros.h"

namespace fixpoint::runtime::ref {
namespace {

// Taps of one output position along one dim: kernel indices [k0, k1) hit the
// input; `padded` counts taps inside the padded input (count_include_pad).
struct Taps {
  int64_t k0, k1, padded;
};

Taps TapsOf(const Window& w, int d, int64_t o) {
  const int64_t start = o * w.stride[d] - w.pad_begin[d];
  const auto [k0, k1] = ValidRange(w.kernel[d], w.in[d], w.dilation[d], start);
  const auto [p0, p1] = ValidRange(w.kernel[d], w.in[d] + w.pad_begin[d] + w.pad_end[d],
                                   w.dilation[d], start + w.pad_begin[d]);
  return {k0, k1, p1 - p0};
}

// Calls fn(out_index, taps_d, taps_h, taps_w) for every output position.
template <typename Fn>
void ForEachOutput(const Window& w, Fn&& fn) {
  int64_t o = 0;
  for (int64_t od = 0; od < w.out[0]; ++od) {
    const Taps td = TapsOf(w, 0, od);
    for (int64_t oh = 0; oh < w.out[1]; ++oh) {
      const Taps th = TapsOf(w, 1, oh);
      for (int64_t ow = 0; ow < w.out[2]; ++ow) {
        fn(o++, td, th, TapsOf(w, 2, ow), od, oh, ow);
      }
    }
  }
}

// Calls visit(v) for each tap of an output position inside the input.
template <typename T, typename Visit>
void VisitTaps(const Window& w, const T* x, const Taps& td, const Taps& th, const Taps& tw,
               int64_t od, int64_t oh, int64_t ow, Visit&& visit) {
  for (int64_t kd = td.k0; kd < td.k1; ++kd) {
    const int64_t id = od * w.stride[0] - w.pad_begin[0] + kd * w.dilation[0];
    for (int64_t kh = th.k0; kh < th.k1; ++kh) {
      const int64_t ih = oh * w.stride[1] - w.pad_begin[1] + kh * w.dilation[1];
      const T* row = x + (id * w.in[1] + ih) * w.in[2];
      const int64_t iw0 = ow * w.stride[2] - w.pad_begin[2];
      for (int64_t kw = tw.k0; kw < tw.k1; ++kw) visit(row[iw0 + kw * w.dilation[2]]);
    }
  }
}

template <typename T>
absl::Status RunMaxPool(const Window& w, int64_t planes, const KernelArgs& args) {
  const T* x = args.inputs[0].As<const T>();
  T* y = args.outputs[0].As<T>();
  for (int64_t p = 0; p < planes; ++p) {
    const T* xp = x + p * w.InSize();
    T* yp = y + p * w.OutSize();
    ForEachOutput(w, [&](int64_t o, const Taps& td, const Taps& th, const Taps& tw, int64_t od,
                         int64_t oh, int64_t ow) {
      T m = std::numeric_limits<T>::lowest();
      if constexpr (kIsFloat<T>) m = -std::numeric_limits<T>::infinity();
      VisitTaps(w, xp, td, th, tw, od, oh, ow, [&](T v) { m = v > m ? v : m; });
      yp[o] = m;
    });
  }
  return absl::OkStatus();
}

absl::Status RunAvgPool(const Window& w, int64_t planes, bool include_pad, const KernelArgs& args) {
  const float* x = args.inputs[0].As<const float>();
  float* y = args.outputs[0].As<float>();
  for (int64_t p = 0; p < planes; ++p) {
    const float* xp = x + p * w.InSize();
    float* yp = y + p * w.OutSize();
    ForEachOutput(w, [&](int64_t o, const Taps& td, const Taps& th, const Taps& tw, int64_t od,
                         int64_t oh, int64_t ow) {
      double sum = 0;
      VisitTaps(w, xp, td, th, tw, od, oh, ow, [&](float v) { sum += v; });
      const int64_t count = include_pad ? td.padded * th.padded * tw.padded
                                        : (td.k1 - td.k0) * (th.k1 - th.k0) * (tw.k1 - tw.k0);
      yp[o] = count > 0 ? static_cast<float>(sum / static_cast<double>(count))
                        : std::numeric_limits<float>::quiet_NaN();
    });
  }
  return absl::OkStatus();
}

}  // namespace

KernelOr CreatePool(const KernelContext& ctx) {
  FP_RETURN_IF_ERROR(CheckArity(ctx, 1, 1));
  const bool is_max = ctx.node.op_type == "MaxPool";
  const ir::DType t = ctx.input_infos[0].dtype;
  const ir::Shape& x = ctx.input_infos[0].shape;
  const ir::Shape& y = ctx.output_infos[0].shape;
  if (ctx.output_infos[0].dtype != t) return InvalidArg(ctx, "output dtype must match input");
  if (x.rank() < 3 || y.rank() != x.rank() || y.dim(0) != x.dim(0) || y.dim(1) != x.dim(1)) {
    return InvalidArg(ctx, "X ", x.ToString(), " and Y ", y.ToString(), " do not match");
  }
  FP_ASSIGN_OR_RETURN(const std::vector<int64_t> kernel, ctx.node.GetInts("kernel_shape", {}));
  if (!is_max && ctx.node.HasAttr("dilations")) {
    FP_ASSIGN_OR_RETURN(const std::vector<int64_t> dil, ctx.node.GetInts("dilations", {}));
    if (std::any_of(dil.begin(), dil.end(), [](int64_t d) { return d != 1; })) {
      return Unimplemented(ctx, "AveragePool with dilations");
    }
  }
  FP_ASSIGN_OR_RETURN(const Window w, ResolveWindow(ctx, x, y, kernel, false));
  const int64_t planes = x.dim(0) * x.dim(1);
  if (!is_max) {
    if (t != ir::DType::kF32) return UnsupportedDType(ctx, t);
    FP_ASSIGN_OR_RETURN(const int64_t include_pad, ctx.node.GetInt("count_include_pad", 0));
    return MakeKernel([w, planes, include_pad](const KernelArgs& args) {
      return RunAvgPool(w, planes, include_pad != 0, args);
    });
  }
  switch (t) {
    case ir::DType::kF32:
      return MakeKernel(
          [w, planes](const KernelArgs& a) { return RunMaxPool<float>(w, planes, a); });
    case ir::DType::kI8:
      return MakeKernel(
          [w, planes](const KernelArgs& a) { return RunMaxPool<int8_t>(w, planes, a); });
    case ir::DType::kU8:
      return MakeKernel(
          [w, planes](const KernelArgs& a) { return RunMaxPool<uint8_t>(w, planes, a); });
    default:
      return UnsupportedDType(ctx, t);
  }
}

KernelOr CreateGlobalPool(const KernelContext& ctx) {
  FP_RETURN_IF_ERROR(CheckArity(ctx, 1, 1));
  FP_RETURN_IF_ERROR(CheckInputDType(ctx, 0, ir::DType::kF32));
  const ir::Shape& x = ctx.input_infos[0].shape;
  if (x.rank() < 2) return InvalidArg(ctx, "input rank must be >= 2");
  const int64_t planes = x.dim(0) * x.dim(1);
  const int64_t size = Product(x.dims(), 2, x.rank());
  if (ctx.output_infos[0].shape.NumElements() != planes) {
    return InvalidArg(ctx, "output must have N*C elements");
  }
  const bool is_max = ctx.node.op_type == "GlobalMaxPool";
  return MakeKernel([planes, size, is_max](const KernelArgs& args) {
    const float* x = args.inputs[0].As<const float>();
    float* y = args.outputs[0].As<float>();
    for (int64_t p = 0; p < planes; ++p) {
      const float* xp = x + p * size;
      if (is_max) {
        float m = -std::numeric_limits<float>::infinity();
        for (int64_t i = 0; i < size; ++i) m = xp[i] > m ? xp[i] : m;
        y[p] = m;
      } else {
        double s = 0;
        for (int64_t i = 0; i < size; ++i) s += xp[i];
        y[p] = static_cast<float>(s / static_cast<double>(size));
      }
    }
    return absl::OkStatus();
  });
}

}  // namespace fixpoint::runtime::ref
