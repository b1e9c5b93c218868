// Inference of Gemm and MatMul (numpy semantics: 1-D promotion and batch
// broadcasting).
#include "core/ir/infer/infer_ops.h"

namespace fixpoint::ir::infer {
namespace {

using Outputs = std::vector<ValueInfo>;

absl::Status InnerDimMismatch(const Node& node, const Shape& a, const Shape& b) {
  return Invalid(node, "inner dimensions differ: ", a.ToString(), " x ", b.ToString());
}

}  // namespace

absl::StatusOr<Outputs> InferGemm(Node& node, const InferContext& ctx) {
  FP_RETURN_IF_ERROR(ExpectSameDTypes(node, ctx));
  FP_RETURN_IF_ERROR(ExpectRank(node, ctx, 0, 2));
  FP_RETURN_IF_ERROR(ExpectRank(node, ctx, 1, 2));
  FP_ASSIGN_OR_RETURN(int64_t trans_a, node.GetInt("transA", 0));
  FP_ASSIGN_OR_RETURN(int64_t trans_b, node.GetInt("transB", 0));
  const Shape& a = In(ctx, 0).shape;
  const Shape& b = In(ctx, 1).shape;
  const int64_t m = trans_a ? a[1] : a[0];
  const int64_t ka = trans_a ? a[0] : a[1];
  const int64_t kb = trans_b ? b[1] : b[0];
  const int64_t n = trans_b ? b[0] : b[1];
  if (ka != kb && !IsDynamic(ka) && !IsDynamic(kb)) return InnerDimMismatch(node, a, b);
  Shape y({m, n});
  if (const ValueInfo* c = OptionalInput(ctx, 2)) {
    // C broadcasts to [M, N] in one direction only.
    absl::StatusOr<Shape> bc = Broadcast(node, y, c->shape);
    bool ok = bc.ok() && c->shape.rank() <= 2;
    for (int i = 0; ok && i < 2; ++i) ok = (*bc)[i] == y[i] || IsDynamic(y[i]);
    if (!ok) {
      return Invalid(node, "C shape ", c->shape.ToString(), " does not broadcast to ",
                     y.ToString());
    }
  }
  return Outputs{Out(In(ctx, 0).dtype, std::move(y))};
}

absl::StatusOr<Outputs> InferMatMul(Node& node, const InferContext& ctx) {
  FP_RETURN_IF_ERROR(ExpectSameDTypes(node, ctx));
  FP_RETURN_IF_ERROR(ExpectMinRank(node, ctx, 0, 1));
  FP_RETURN_IF_ERROR(ExpectMinRank(node, ctx, 1, 1));
  const Shape& a0 = In(ctx, 0).shape;
  const Shape& b0 = In(ctx, 1).shape;
  // 1-D operands are promoted ([K] -> [1,K] for A, [K,1] for B) and the
  // promoted dim is removed from the result.
  Shape a = a0.rank() == 1 ? Shape({1, a0[0]}) : a0;
  Shape b = b0.rank() == 1 ? Shape({b0[0], 1}) : b0;
  const int64_t ka = a[a.rank() - 1];
  const int64_t kb = b[b.rank() - 2];
  if (ka != kb && !IsDynamic(ka) && !IsDynamic(kb)) return InnerDimMismatch(node, a0, b0);
  Shape a_batch(std::vector<int64_t>(a.dims().begin(), a.dims().end() - 2));
  Shape b_batch(std::vector<int64_t>(b.dims().begin(), b.dims().end() - 2));
  absl::StatusOr<Shape> batch = Broadcast(node, a_batch, b_batch);
  if (!batch.ok()) {
    return Invalid(node, "batch dimensions of ", a0.ToString(), " and ", b0.ToString(),
                   " are not broadcastable");
  }
  std::vector<int64_t> dims = batch->dims();
  if (a0.rank() > 1) dims.push_back(a[a.rank() - 2]);
  if (b0.rank() > 1) dims.push_back(b[b.rank() - 1]);
  return Outputs{Out(In(ctx, 0).dtype, Shape(std::move(dims)))};
}

}  // namespace fixpoint::ir::infer
