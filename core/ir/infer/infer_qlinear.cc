// Inference of the integer ops the runtime lowers QDQ patterns to
// (docs/IR_OPS.md): QLinearConv (ONNX) and QGemm (ONNX Runtime's contrib
// op, here in the default domain). Geometry is Conv's / Gemm's: the float
// inference runs on f32 stand-ins of the integer tensors.
#include "core/ir/infer/infer_ops.h"

namespace fixpoint::ir::infer {
namespace {

using Outputs = std::vector<ValueInfo>;

bool IsInt8(DType t) { return t == DType::kI8 || t == DType::kU8; }

// A scale (f32, scalar or 1-D) and its zero point (int8 or u8 for
// activations and weights, same shape as the scale). Returns the zp dtype.
absl::StatusOr<DType> CheckScaleZp(const Node& node, const InferContext& ctx, int scale, int zp,
                                  bool per_channel_ok) {
  const ValueInfo* s = OptionalInput(ctx, scale);
  const ValueInfo* z = OptionalInput(ctx, zp);
  if (s == nullptr || z == nullptr) {
    return Invalid(node, "inputs ", scale, " and ", zp, " (scale, zero point) are required");
  }
  if (s->dtype != DType::kF32) return Invalid(node, "input ", scale, " (scale) must be f32");
  if (s->shape.rank() > (per_channel_ok ? 1 : 0)) {
    return Invalid(node, "input ", scale, " (scale) has shape ", s->shape.ToString(),
                   per_channel_ok ? ", expected a scalar or 1-D" : ", expected a scalar");
  }
  if (!IsInt8(z->dtype) || z->shape != s->shape) {
    return Invalid(node, "input ", zp, " (zero point) must be i8/u8 shaped like the scale");
  }
  return z->dtype;
}

// Output: y's zero point dtype when y_scale/y_zero_point are present, else f32.
absl::StatusOr<DType> OutputDType(const Node& node, const InferContext& ctx, int y_scale,
                                  int y_zp) {
  if (OptionalInput(ctx, y_scale) == nullptr && OptionalInput(ctx, y_zp) == nullptr) {
    return DType::kF32;
  }
  return CheckScaleZp(node, ctx, y_scale, y_zp, /*per_channel_ok=*/false);
}

absl::Status CheckInt8Input(const Node& node, const InferContext& ctx, int i, DType zp_dtype) {
  if (In(ctx, i).dtype != zp_dtype) {
    return Invalid(node, "input ", i, " has dtype ", DTypeName(In(ctx, i).dtype),
                   " but its zero point is ", DTypeName(zp_dtype));
  }
  return absl::OkStatus();
}

absl::Status CheckBias(const Node& node, const InferContext& ctx, int i) {
  const ValueInfo* b = OptionalInput(ctx, i);
  if (b != nullptr && b->dtype != DType::kI32) {
    return Invalid(node, "input ", i, " (bias) must be i32");
  }
  return absl::OkStatus();
}

ValueInfo AsF32(const ValueInfo& v) { return ValueInfo{v.name, DType::kF32, v.shape}; }

}  // namespace

// x, x_scale, x_zero_point, w, w_scale, w_zero_point, [y_scale], [y_zero_point], [B],
// [post_shift] (fixpoint: f32 [M], added after the fused activation).
absl::StatusOr<Outputs> InferQLinearConv(Node& node, const InferContext& ctx) {
  if (const ValueInfo* shift = OptionalInput(ctx, 9)) {
    const int64_t m = In(ctx, 3).shape[0];
    if (shift->dtype != DType::kF32 || shift->shape.rank() != 1 ||
        (!IsDynamic(m) && shift->shape[0] != m)) {
      return Invalid(node, "input 9 (post_shift) must be f32 [", m, "]");
    }
  }
  FP_ASSIGN_OR_RETURN(DType x_zp, CheckScaleZp(node, ctx, 1, 2, false));
  FP_ASSIGN_OR_RETURN(DType w_zp, CheckScaleZp(node, ctx, 4, 5, true));
  FP_RETURN_IF_ERROR(CheckInt8Input(node, ctx, 0, x_zp));
  FP_RETURN_IF_ERROR(CheckInt8Input(node, ctx, 3, w_zp));
  FP_RETURN_IF_ERROR(CheckBias(node, ctx, 8));
  FP_ASSIGN_OR_RETURN(DType y, OutputDType(node, ctx, 6, 7));
  const ValueInfo x = AsF32(In(ctx, 0)), w = AsF32(In(ctx, 3));
  std::optional<ValueInfo> b;
  if (const ValueInfo* bias = OptionalInput(ctx, 8)) b = AsF32(*bias);
  InferContext conv;
  conv.opset = ctx.opset;
  conv.inputs = {&x, &w};
  if (b) conv.inputs.push_back(&*b);
  conv.constants.assign(conv.inputs.size(), nullptr);
  FP_ASSIGN_OR_RETURN(Outputs out, InferConv(node, conv));
  out[0].dtype = y;
  return out;
}

// A, a_scale, a_zero_point, B, b_scale, b_zero_point, [C], [y_scale], [y_zero_point].
absl::StatusOr<Outputs> InferQGemm(Node& node, const InferContext& ctx) {
  FP_ASSIGN_OR_RETURN(DType a_zp, CheckScaleZp(node, ctx, 1, 2, false));
  FP_ASSIGN_OR_RETURN(DType b_zp, CheckScaleZp(node, ctx, 4, 5, true));
  FP_RETURN_IF_ERROR(CheckInt8Input(node, ctx, 0, a_zp));
  FP_RETURN_IF_ERROR(CheckInt8Input(node, ctx, 3, b_zp));
  FP_RETURN_IF_ERROR(CheckBias(node, ctx, 6));
  FP_ASSIGN_OR_RETURN(DType y, OutputDType(node, ctx, 7, 8));
  FP_ASSIGN_OR_RETURN(int64_t trans_a, node.GetInt("transA", 0));
  if (trans_a != 0) return Invalid(node, "transA must be 0");
  const ValueInfo a = AsF32(In(ctx, 0)), b = AsF32(In(ctx, 3));
  std::optional<ValueInfo> c;
  if (const ValueInfo* bias = OptionalInput(ctx, 6)) c = AsF32(*bias);
  InferContext gemm;
  gemm.opset = ctx.opset;
  gemm.inputs = {&a, &b};
  if (c) gemm.inputs.push_back(&*c);
  gemm.constants.assign(gemm.inputs.size(), nullptr);
  FP_ASSIGN_OR_RETURN(Outputs out, InferGemm(node, gemm));
  out[0].dtype = y;
  return out;
}

// A, A_scale, A_zero_point, B, B_scale, B_zero_point, C_scale, C_zero_point
// (ONNX Runtime's contrib QLinearAdd): per-tensor parameters, numpy
// broadcasting of A and B, output dtype = C_zero_point's.
absl::StatusOr<Outputs> InferQLinearAdd(Node& node, const InferContext& ctx) {
  FP_ASSIGN_OR_RETURN(DType a_zp, CheckScaleZp(node, ctx, 1, 2, false));
  FP_ASSIGN_OR_RETURN(DType b_zp, CheckScaleZp(node, ctx, 4, 5, false));
  FP_ASSIGN_OR_RETURN(DType y, CheckScaleZp(node, ctx, 6, 7, false));
  FP_RETURN_IF_ERROR(CheckInt8Input(node, ctx, 0, a_zp));
  FP_RETURN_IF_ERROR(CheckInt8Input(node, ctx, 3, b_zp));
  FP_ASSIGN_OR_RETURN(Shape shape, Broadcast(node, In(ctx, 0).shape, In(ctx, 3).shape));
  return Outputs{Out(y, std::move(shape))};
}

}  // namespace fixpoint::ir::infer
