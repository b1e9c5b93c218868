// Reference QuantizeLinear and DequantizeLinear (ONNX opset-13 semantics,
// docs/IR_OPS.md), per tensor or per axis. Scale and zero point are read from
// the inputs at run time, so they need not be initializers here.
//   Q:  y = saturate(round_half_even(x / scale) + zero_point) to the range of
//       zero_point's dtype (u8 when absent). x / scale is computed in f32 for
//       f32 x (as ONNX's reference does) and in double for i32 x (numpy's
//       promotion); a NaN quotient (NaN x, 0 / 0) gives zero_point.
//   DQ: y = f32(x - zero_point) * scale, in f32.
// For i8/u8 these are bit-exact with quant::QuantizeValue / DequantizeValue
// (runtime/ may not depend on quant/, so the arithmetic is repeated here).
// Rounding does not depend on the floating-point environment.
#include <cmath>
#include <cstdint>

#include "core/runtime/cpu/ref/ref_kernels.h"
#include "core/util/status_macros.h"

namespace fixpoint::runtime::ref {
namespace {

constexpr int kScale = 1;
constexpr int kZeroPoint = 2;

// X as [outer, channels, inner] with one scale per channel; channels == 1
// for a per-tensor scale (scalar or one element).
struct AxisPlan {
  int64_t outer = 1;
  int64_t channels = 1;
  int64_t inner = 1;
};

// INVALID_ARGUMENT unless scale is f32 and a scalar or 1-D of size 1 or
// dim[axis], and a present zero point has scale's shape and dtype `zp_dtype`.
absl::StatusOr<AxisPlan> PlanAxis(const KernelContext& ctx, ir::DType zp_dtype) {
  FP_RETURN_IF_ERROR(CheckInputDType(ctx, kScale, ir::DType::kF32));
  const ir::Shape& x = ctx.input_infos[0].shape;
  const ir::Shape& scale = ctx.input_infos[kScale].shape;
  if (HasInput(ctx, kZeroPoint)) {
    FP_RETURN_IF_ERROR(CheckInputDType(ctx, kZeroPoint, zp_dtype));
    if (ctx.input_infos[kZeroPoint].shape != scale) {
      return InvalidArg(ctx, "zero_point shape ", ctx.input_infos[kZeroPoint].shape.ToString(),
                        " differs from scale shape ", scale.ToString());
    }
  }
  if (ctx.output_infos[0].shape != x) return InvalidArg(ctx, "output shape must match input");
  AxisPlan p;
  if (scale.rank() > 1) return InvalidArg(ctx, "scale must be a scalar or 1-D");
  if (scale.rank() == 0) {
    p.inner = x.NumElements();
    return p;
  }
  FP_ASSIGN_OR_RETURN(const int64_t axis_attr, ctx.node.GetInt("axis", 1));
  FP_ASSIGN_OR_RETURN(const int axis, NormalizeAxis(ctx, axis_attr, x.rank()));
  if (scale.dim(0) == 1) {
    p.inner = x.NumElements();
  } else if (scale.dim(0) == x.dim(axis)) {
    p = {Product(x.dims(), 0, axis), x.dim(axis), Product(x.dims(), axis + 1, x.rank())};
  } else {
    return InvalidArg(ctx, "scale has ", scale.dim(0), " elements, dim ", axis, " of input is ",
                      x.dim(axis));
  }
  return p;
}

// Calls body(c, begin, end) for each run [begin, end) of elements of X that
// share channel c.
template <typename Body>
void ForEachChannelRun(const AxisPlan& p, Body&& body) {
  for (int64_t o = 0; o < p.outer; ++o) {
    for (int64_t c = 0; c < p.channels; ++c) {
      const int64_t begin = (o * p.channels + c) * p.inner;
      body(c, begin, begin + p.inner);
    }
  }
}

// Round half to even, for finite and infinite x alike.
template <typename Q, typename X>
Q QuantizeOne(X x, float scale, int32_t zero_point) {
  double quotient;
  if constexpr (std::is_same_v<X, float>) {
    quotient = x / scale;  // f32 division, then exact widening
  } else {
    quotient = static_cast<double>(x) / static_cast<double>(scale);
  }
  if (std::isnan(quotient)) return static_cast<Q>(zero_point);
  return FromDouble<Q>(RoundHalfEven(quotient) + zero_point);  // saturates
}

template <typename X, typename Q>
RunFn QuantizeFn(AxisPlan plan) {
  return [plan](const KernelArgs& args) {
    const X* x = args.inputs[0].As<const X>();
    const float* scale = args.inputs[kScale].As<const float>();
    const Q* zp = args.inputs.size() > kZeroPoint ? args.inputs[kZeroPoint].As<const Q>() : nullptr;
    Q* y = args.outputs[0].As<Q>();
    ForEachChannelRun(plan, [&](int64_t c, int64_t begin, int64_t end) {
      const float s = scale[c];
      const int32_t z = zp != nullptr ? zp[c] : 0;
      for (int64_t i = begin; i < end; ++i) y[i] = QuantizeOne<Q>(x[i], s, z);
    });
    return absl::OkStatus();
  };
}

template <typename X>
RunFn DequantizeFn(AxisPlan plan) {
  return [plan](const KernelArgs& args) {
    const X* x = args.inputs[0].As<const X>();
    const float* scale = args.inputs[kScale].As<const float>();
    const X* zp = args.inputs.size() > kZeroPoint ? args.inputs[kZeroPoint].As<const X>() : nullptr;
    float* y = args.outputs[0].As<float>();
    ForEachChannelRun(plan, [&](int64_t c, int64_t begin, int64_t end) {
      const float s = scale[c];
      const int64_t z = zp != nullptr ? zp[c] : 0;
      for (int64_t i = begin; i < end; ++i) {
        y[i] = static_cast<float>(static_cast<int64_t>(x[i]) - z) * s;
      }
    });
    return absl::OkStatus();
  };
}

}  // namespace

KernelOr CreateQuantizeLinear(const KernelContext& ctx) {
  FP_RETURN_IF_ERROR(CheckArity(ctx, 2, 3));
  const ir::DType x = ctx.input_infos[0].dtype;
  const ir::DType q =
      HasInput(ctx, kZeroPoint) ? ctx.input_infos[kZeroPoint].dtype : ir::DType::kU8;
  if (ctx.output_infos[0].dtype != q) {
    return InvalidArg(ctx, "output dtype ", ir::DTypeName(ctx.output_infos[0].dtype),
                      " differs from the zero point's ", ir::DTypeName(q));
  }
  FP_ASSIGN_OR_RETURN(const AxisPlan plan, PlanAxis(ctx, q));
  auto with_x = [&]<typename Q>(Tag<Q>) -> KernelOr {
    if (x == ir::DType::kF32) return MakeKernel(QuantizeFn<float, Q>(plan));
    if (x == ir::DType::kI32) return MakeKernel(QuantizeFn<int32_t, Q>(plan));
    return UnsupportedDType(ctx, x);
  };
  if (q == ir::DType::kI8) return with_x(Tag<int8_t>{});
  if (q == ir::DType::kU8) return with_x(Tag<uint8_t>{});
  return UnsupportedDType(ctx, q);
}

KernelOr CreateDequantizeLinear(const KernelContext& ctx) {
  FP_RETURN_IF_ERROR(CheckArity(ctx, 2, 3));
  const ir::DType x = ctx.input_infos[0].dtype;
  if (ctx.output_infos[0].dtype != ir::DType::kF32) return InvalidArg(ctx, "output must be f32");
  FP_ASSIGN_OR_RETURN(const AxisPlan plan, PlanAxis(ctx, x));
  switch (x) {
    case ir::DType::kI8:
      return MakeKernel(DequantizeFn<int8_t>(plan));
    case ir::DType::kU8:
      return MakeKernel(DequantizeFn<uint8_t>(plan));
    case ir::DType::kI32:
      return MakeKernel(DequantizeFn<int32_t>(plan));
    default:
      return UnsupportedDType(ctx, x);
  }
}

}  // namespace fixpoint::runtime::ref
