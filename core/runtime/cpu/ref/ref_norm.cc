// Reference BatchNormalization (inference), InstanceNormalization and LRN,
// f32 over [N, C, spatial...] inputs; statistics in double.
#include <algorithm>
#include <cmath>
#include <vector>

#include "core/runtime/cpu/ref/ref_kernels.h"
#include "core/util/status_macros.h"

namespace fixpoint::runtime::ref {
namespace {

// Checks X [N, C, ...] (f32, rank >= 2), Y like X, and `channel_inputs`
// further f32 inputs of shape [C] starting at input 1.
absl::Status CheckChannelwise(const KernelContext& ctx, int channel_inputs) {
  FP_RETURN_IF_ERROR(CheckArity(ctx, 1 + channel_inputs, 1 + channel_inputs));
  for (int i = 0; i <= channel_inputs; ++i) {
    FP_RETURN_IF_ERROR(CheckInputDType(ctx, i, ir::DType::kF32));
  }
  const ir::Shape& x = ctx.input_infos[0].shape;
  if (x.rank() < 2) return InvalidArg(ctx, "input rank must be >= 2");
  if (ctx.output_infos[0].shape != x) return InvalidArg(ctx, "output shape must match input");
  for (int i = 1; i <= channel_inputs; ++i) {
    if (ctx.input_infos[i].shape != ir::Shape{x.dim(1)}) {
      return InvalidArg(ctx, "input ", i, " must have shape [", x.dim(1), "]");
    }
  }
  return absl::OkStatus();
}

struct Planes {
  int64_t batch, channels, size;  // size: elements per (n, c) plane
};

Planes PlanesOf(const ir::Shape& x) { return {x.dim(0), x.dim(1), Product(x.dims(), 2, x.rank())}; }

}  // namespace

KernelOr CreateBatchNormalization(const KernelContext& ctx) {
  FP_RETURN_IF_ERROR(CheckChannelwise(ctx, 4));
  FP_ASSIGN_OR_RETURN(const int64_t training, ctx.node.GetInt("training_mode", 0));
  if (training != 0) return Unimplemented(ctx, "training_mode=1");
  FP_ASSIGN_OR_RETURN(const float eps, ctx.node.GetFloat("epsilon", 1e-5f));
  const Planes p = PlanesOf(ctx.input_infos[0].shape);
  return MakeKernel([p, eps](const KernelArgs& args) {
    const float* x = args.inputs[0].As<const float>();
    const float* scale = args.inputs[1].As<const float>();
    const float* bias = args.inputs[2].As<const float>();
    const float* mean = args.inputs[3].As<const float>();
    const float* var = args.inputs[4].As<const float>();
    float* y = args.outputs[0].As<float>();
    for (int64_t c = 0; c < p.channels; ++c) {
      const double a = scale[c] / std::sqrt(static_cast<double>(var[c]) + eps);
      const double b = bias[c] - mean[c] * a;
      for (int64_t n = 0; n < p.batch; ++n) {
        const int64_t off = (n * p.channels + c) * p.size;
        for (int64_t i = 0; i < p.size; ++i) y[off + i] = static_cast<float>(x[off + i] * a + b);
      }
    }
    return absl::OkStatus();
  });
}

KernelOr CreateInstanceNormalization(const KernelContext& ctx) {
  FP_RETURN_IF_ERROR(CheckChannelwise(ctx, 2));
  FP_ASSIGN_OR_RETURN(const float eps, ctx.node.GetFloat("epsilon", 1e-5f));
  const Planes p = PlanesOf(ctx.input_infos[0].shape);
  return MakeKernel([p, eps](const KernelArgs& args) {
    const float* x = args.inputs[0].As<const float>();
    const float* scale = args.inputs[1].As<const float>();
    const float* bias = args.inputs[2].As<const float>();
    float* y = args.outputs[0].As<float>();
    for (int64_t n = 0; n < p.batch; ++n) {
      for (int64_t c = 0; c < p.channels; ++c) {
        const int64_t off = (n * p.channels + c) * p.size;
        double mean = 0, var = 0;
        for (int64_t i = 0; i < p.size; ++i) mean += x[off + i];
        mean /= static_cast<double>(p.size);
        for (int64_t i = 0; i < p.size; ++i) var += (x[off + i] - mean) * (x[off + i] - mean);
        var /= static_cast<double>(p.size);
        const double a = scale[c] / std::sqrt(var + eps);
        for (int64_t i = 0; i < p.size; ++i) {
          y[off + i] = static_cast<float>((x[off + i] - mean) * a + bias[c]);
        }
      }
    }
    return absl::OkStatus();
  });
}

KernelOr CreateLrn(const KernelContext& ctx) {
  FP_RETURN_IF_ERROR(CheckChannelwise(ctx, 0));
  FP_ASSIGN_OR_RETURN(const float alpha, ctx.node.GetFloat("alpha", 1e-4f));
  FP_ASSIGN_OR_RETURN(const float beta, ctx.node.GetFloat("beta", 0.75f));
  FP_ASSIGN_OR_RETURN(const float bias, ctx.node.GetFloat("bias", 1.0f));
  FP_ASSIGN_OR_RETURN(const int64_t size, ctx.node.GetInt("size", 0));
  if (size < 1) return InvalidArg(ctx, "attribute 'size' must be >= 1");
  const Planes p = PlanesOf(ctx.input_infos[0].shape);
  // Channel window [c - before, c + after].
  const int64_t before = (size - 1) / 2, after = size - 1 - before;
  return MakeKernel([=](const KernelArgs& args) {
    const float* x = args.inputs[0].As<const float>();
    float* y = args.outputs[0].As<float>();
    for (int64_t n = 0; n < p.batch; ++n) {
      for (int64_t c = 0; c < p.channels; ++c) {
        const int64_t c0 = std::max<int64_t>(0, c - before);
        const int64_t c1 = std::min<int64_t>(p.channels - 1, c + after);
        const int64_t off = (n * p.channels + c) * p.size;
        for (int64_t i = 0; i < p.size; ++i) {
          double sq = 0;
          for (int64_t k = c0; k <= c1; ++k) {
            const double v = x[(n * p.channels + k) * p.size + i];
            sq += v * v;
          }
          const double d = std::pow(bias + alpha / static_cast<double>(size) * sq, beta);
          y[off + i] = static_cast<float>(x[off + i] / d);
        }
      }
    }
    return absl::OkStatus();
  });
}

}  // namespace fixpoint::runtime::ref
