// Inference of QuantizeLinear and DequantizeLinear (ONNX opset-13 semantics,
// docs/IR_OPS.md): inputs X, scale, [zero_point]; attribute `axis` (default
// 1, negative allowed, left as written).
//
// scale is f32, a scalar (per tensor) or 1-D (per axis: its size is dim[axis]
// of X, or 1, which acts like a scalar); zero_point, when present, has
// scale's shape. `axis` is only checked against X's rank when scale is 1-D,
// so opset-10 models (no axis, scalar scale) of any rank are valid.
#include "core/ir/infer/infer_ops.h"

namespace fixpoint::ir::infer {
namespace {

using Outputs = std::vector<ValueInfo>;

constexpr int kScale = 1;
constexpr int kZeroPoint = 2;

// Scale and zero point shapes against X and `axis`.
absl::Status CheckQuantParams(const Node& node, const InferContext& ctx) {
  FP_RETURN_IF_ERROR(ExpectDType(node, ctx, kScale, DType::kF32));
  const Shape& x = In(ctx, 0).shape;
  const Shape& scale = In(ctx, kScale).shape;
  if (scale.rank() > 1) {
    return Invalid(node, "scale (input 1) must be a scalar or 1-D, has shape ", scale.ToString());
  }
  const ValueInfo* zp = OptionalInput(ctx, kZeroPoint);
  if (zp != nullptr && zp->shape != scale) {
    return Invalid(node, "zero_point shape ", zp->shape.ToString(), " differs from scale shape ",
                   scale.ToString());
  }
  if (scale.rank() == 0) return absl::OkStatus();
  FP_ASSIGN_OR_RETURN(int64_t axis_attr, node.GetInt("axis", 1));
  FP_ASSIGN_OR_RETURN(int axis, NormalizeAxis(node, axis_attr, x.rank()));
  if (scale[0] == 1 || IsDynamic(scale[0]) || IsDynamic(x[axis]) || scale[0] == x[axis]) {
    return absl::OkStatus();
  }
  return Invalid(node, "scale has ", scale[0], " elements but dim ", axis, " (axis ", axis_attr,
                 ") of input ", x.ToString(), " is ", x[axis]);
}

}  // namespace

// X f32 or i32; zero_point i8 or u8 (absent: the output is u8).
absl::StatusOr<Outputs> InferQuantizeLinear(Node& node, const InferContext& ctx) {
  const DType x = In(ctx, 0).dtype;
  if (x != DType::kF32 && x != DType::kI32) {
    return Invalid(node, "input 0 has dtype ", DTypeName(x), ", expected f32 or i32");
  }
  const ValueInfo* zp = OptionalInput(ctx, kZeroPoint);
  const DType out = zp != nullptr ? zp->dtype : DType::kU8;
  if (out != DType::kI8 && out != DType::kU8) {
    return Invalid(node, "zero_point has dtype ", DTypeName(out), ", expected i8 or u8");
  }
  FP_RETURN_IF_ERROR(CheckQuantParams(node, ctx));
  return Outputs{Out(out, In(ctx, 0).shape)};
}

// X i8, u8 or i32; zero_point of X's dtype. The output is f32.
absl::StatusOr<Outputs> InferDequantizeLinear(Node& node, const InferContext& ctx) {
  const DType x = In(ctx, 0).dtype;
  if (x != DType::kI8 && x != DType::kU8 && x != DType::kI32) {
    return Invalid(node, "input 0 has dtype ", DTypeName(x), ", expected i8, u8 or i32");
  }
  if (OptionalInput(ctx, kZeroPoint) != nullptr) {
    FP_RETURN_IF_ERROR(ExpectDType(node, ctx, kZeroPoint, x));
  }
  FP_RETURN_IF_ERROR(CheckQuantParams(node, ctx));
  return Outputs{Out(DType::kF32, In(ctx, 0).shape)};
}

}  // namespace fixpoint::ir::infer
