// Inference of Reduce* (attribute `axes`) and ArgMax/ArgMin.
#include "core/ir/infer/infer_ops.h"

namespace fixpoint::ir::infer {
namespace {

using Outputs = std::vector<ValueInfo>;

// x with `reduced` dims set to 1 (keepdims) or removed.
Shape ReducedShape(const Shape& x, const std::vector<bool>& reduced, bool keepdims) {
  std::vector<int64_t> dims;
  for (int i = 0; i < x.rank(); ++i) {
    if (!reduced[i]) {
      dims.push_back(x[i]);
    } else if (keepdims) {
      dims.push_back(1);
    }
  }
  return Shape(std::move(dims));
}

}  // namespace

// Empty `axes` reduces every axis unless noop_with_empty_axes=1 (identity).
absl::StatusOr<Outputs> InferReduce(Node& node, const InferContext& ctx) {
  const ValueInfo& x = In(ctx, 0);
  FP_ASSIGN_OR_RETURN(std::vector<int64_t> axes, node.GetInts("axes", {}));
  FP_ASSIGN_OR_RETURN(int64_t keepdims, node.GetInt("keepdims", 1));
  FP_ASSIGN_OR_RETURN(int64_t noop, node.GetInt("noop_with_empty_axes", 0));
  if (axes.empty() && noop != 0) return Outputs{Out(x.dtype, x.shape)};
  std::vector<bool> reduced(x.shape.rank(), axes.empty());
  FP_ASSIGN_OR_RETURN(std::vector<int> normalized, NormalizeAxes(node, axes, x.shape.rank()));
  for (int a : normalized) reduced[a] = true;
  return Outputs{Out(x.dtype, ReducedShape(x.shape, reduced, keepdims != 0))};
}

absl::StatusOr<Outputs> InferArgReduce(Node& node, const InferContext& ctx) {
  const Shape& x = In(ctx, 0).shape;
  FP_ASSIGN_OR_RETURN(int64_t axis_attr, node.GetInt("axis", 0));
  FP_ASSIGN_OR_RETURN(int64_t keepdims, node.GetInt("keepdims", 1));
  FP_ASSIGN_OR_RETURN(int axis, NormalizeAxis(node, axis_attr, x.rank()));
  std::vector<bool> reduced(x.rank(), false);
  reduced[axis] = true;
  return Outputs{Out(DType::kI64, ReducedShape(x, reduced, keepdims != 0))};
}

}  // namespace fixpoint::ir::infer
