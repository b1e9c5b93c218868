// Reference Conv and ConvTranspose (f32, 1-3 spatial dims, groups, strides,
// dilations, asymmetric pads). Direct loops accumulating one output plane in
// double scratch: for every (input channel, kernel tap) the valid output range
// is computed once, so the innermost loop has no bounds checks.
#include <algorithm>
#include <vector>

#include "core/runtime/cpu/ref/ref_kernels.h"
#include "core/runtime/cpu/ref/ref_window.h"
#include "core/util/status_macros.h"

namespace fixpoint::runtime::ref {
namespace {

struct ConvGeometry {
  Window w;
  int64_t batch = 0, in_channels = 0, out_channels = 0, group = 1;
  bool has_bias = false;
};

// Common validation. For Conv, W is [M, C/group, k...]; for ConvTranspose
// [C, M/group, k...].
absl::StatusOr<ConvGeometry> ResolveConv(const KernelContext& ctx, bool transposed) {
  FP_RETURN_IF_ERROR(CheckArity(ctx, 2, 3));
  for (int i = 0; i < 3; ++i) {
    if (HasInput(ctx, i)) FP_RETURN_IF_ERROR(CheckInputDType(ctx, i, ir::DType::kF32));
  }
  if (ctx.output_infos[0].dtype != ir::DType::kF32)
    return UnsupportedDType(ctx, ctx.output_infos[0].dtype);
  const ir::Shape& x = ctx.input_infos[0].shape;
  const ir::Shape& wt = ctx.input_infos[1].shape;
  const ir::Shape& y = ctx.output_infos[0].shape;
  if (x.rank() < 3 || wt.rank() != x.rank() || y.rank() != x.rank()) {
    return InvalidArg(ctx, "X, W and Y must have equal rank >= 3");
  }
  ConvGeometry g;
  FP_ASSIGN_OR_RETURN(g.group, ctx.node.GetInt("group", 1));
  g.batch = x.dim(0);
  g.in_channels = x.dim(1);
  g.out_channels = y.dim(1);
  if (g.group < 1 || g.in_channels % g.group != 0 || g.out_channels % g.group != 0) {
    return InvalidArg(ctx, "group ", g.group, " does not divide the channels");
  }
  const bool w_ok = transposed
                        ? wt.dim(0) == g.in_channels && wt.dim(1) * g.group == g.out_channels
                        : wt.dim(0) == g.out_channels && wt.dim(1) * g.group == g.in_channels;
  if (!w_ok || y.dim(0) != g.batch) {
    return InvalidArg(ctx, "W ", wt.ToString(), " does not fit X ", x.ToString(), ", Y ",
                      y.ToString(), ", group ", g.group);
  }
  std::vector<int64_t> kernel(wt.dims().begin() + 2, wt.dims().end());
  FP_ASSIGN_OR_RETURN(const std::vector<int64_t> ks, ctx.node.GetInts("kernel_shape", kernel));
  if (ks != kernel) return InvalidArg(ctx, "kernel_shape disagrees with W's shape");
  g.has_bias = HasInput(ctx, 2);
  if (g.has_bias && ctx.input_infos[2].shape != ir::Shape{g.out_channels}) {
    return InvalidArg(ctx, "B must have shape [", g.out_channels, "]");
  }
  FP_ASSIGN_OR_RETURN(g.w, ResolveWindow(ctx, x, y, kernel, transposed));
  return g;
}

void StoreAcc(const double* acc, int64_t n, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = static_cast<float>(acc[i]);
}

// acc[out plane] += wv * x[in plane] for one kernel tap (kd, kh, kw) of Conv.
void ConvTap(const Window& w, const float* x, double wv, int64_t kd, int64_t kh, int64_t kw,
             double* acc) {
  const auto [d0, d1] =
      ValidRange(w.out[0], w.in[0], w.stride[0], kd * w.dilation[0] - w.pad_begin[0]);
  const auto [h0, h1] =
      ValidRange(w.out[1], w.in[1], w.stride[1], kh * w.dilation[1] - w.pad_begin[1]);
  const int64_t offw = kw * w.dilation[2] - w.pad_begin[2];
  const auto [w0, w1] = ValidRange(w.out[2], w.in[2], w.stride[2], offw);
  const int64_t sw = w.stride[2];
  for (int64_t od = d0; od < d1; ++od) {
    const int64_t id = od * w.stride[0] + kd * w.dilation[0] - w.pad_begin[0];
    for (int64_t oh = h0; oh < h1; ++oh) {
      const int64_t ih = oh * w.stride[1] + kh * w.dilation[1] - w.pad_begin[1];
      const float* xr = x + (id * w.in[1] + ih) * w.in[2];
      double* ar = acc + (od * w.out[1] + oh) * w.out[2];
      for (int64_t ow = w0; ow < w1; ++ow) ar[ow] += wv * xr[ow * sw + offw];
    }
  }
}

// acc[out plane] += wv * x[in plane] for one kernel tap of ConvTranspose:
// input position i feeds output position i * stride + k * dilation - pad.
void ConvTransposeTap(const Window& w, const float* x, double wv, int64_t kd, int64_t kh,
                      int64_t kw, double* acc) {
  const int64_t offd = kd * w.dilation[0] - w.pad_begin[0];
  const int64_t offh = kh * w.dilation[1] - w.pad_begin[1];
  const int64_t offw = kw * w.dilation[2] - w.pad_begin[2];
  const auto [d0, d1] = ValidRange(w.in[0], w.out[0], w.stride[0], offd);
  const auto [h0, h1] = ValidRange(w.in[1], w.out[1], w.stride[1], offh);
  const auto [w0, w1] = ValidRange(w.in[2], w.out[2], w.stride[2], offw);
  const int64_t sw = w.stride[2];
  for (int64_t id = d0; id < d1; ++id) {
    const int64_t od = id * w.stride[0] + offd;
    for (int64_t ih = h0; ih < h1; ++ih) {
      const int64_t oh = ih * w.stride[1] + offh;
      const float* xr = x + (id * w.in[1] + ih) * w.in[2];
      double* ar = acc + (od * w.out[1] + oh) * w.out[2];
      for (int64_t iw = w0; iw < w1; ++iw) ar[iw * sw + offw] += wv * xr[iw];
    }
  }
}

// Runs Conv (transposed = false) or ConvTranspose over all (n, m) planes.
absl::Status RunConv(const ConvGeometry& g, bool transposed, const KernelArgs& args) {
  const Window& w = g.w;
  const float* x = args.inputs[0].As<const float>();
  const float* wt = args.inputs[1].As<const float>();
  const float* bias = g.has_bias ? args.inputs[2].As<const float>() : nullptr;
  float* y = args.outputs[0].As<float>();
  double* acc = static_cast<double*>(args.scratch);
  const int64_t cg = g.in_channels / g.group, mg = g.out_channels / g.group;
  const int64_t ksize = w.KernelSize(), in_size = w.InSize(), out_size = w.OutSize();
  for (int64_t n = 0; n < g.batch; ++n) {
    for (int64_t m = 0; m < g.out_channels; ++m) {
      const int64_t grp = m / mg;
      std::fill(acc, acc + out_size, bias ? static_cast<double>(bias[m]) : 0.0);
      for (int64_t c = 0; c < cg; ++c) {
        const int64_t ic = grp * cg + c;
        const float* xp = x + (n * g.in_channels + ic) * in_size;
        const float* wp = wt + (transposed ? ic * mg + m % mg : m * cg + c) * ksize;
        for (int64_t kd = 0, k = 0; kd < w.kernel[0]; ++kd) {
          for (int64_t kh = 0; kh < w.kernel[1]; ++kh) {
            for (int64_t kw = 0; kw < w.kernel[2]; ++kw, ++k) {
              if (transposed) {
                ConvTransposeTap(w, xp, wp[k], kd, kh, kw, acc);
              } else {
                ConvTap(w, xp, wp[k], kd, kh, kw, acc);
              }
            }
          }
        }
      }
      StoreAcc(acc, out_size, y + (n * g.out_channels + m) * out_size);
    }
  }
  return absl::OkStatus();
}

KernelOr CreateConvImpl(const KernelContext& ctx, bool transposed) {
  FP_ASSIGN_OR_RETURN(ConvGeometry g, ResolveConv(ctx, transposed));
  const size_t scratch = static_cast<size_t>(g.w.OutSize()) * sizeof(double);
  return MakeKernel(
      [g, transposed](const KernelArgs& args) { return RunConv(g, transposed, args); }, scratch);
}

}  // namespace

KernelOr CreateConv(const KernelContext& ctx) { return CreateConvImpl(ctx, false); }

KernelOr CreateConvTranspose(const KernelContext& ctx) { return CreateConvImpl(ctx, true); }

}  // namespace fixpoint::runtime::ref
