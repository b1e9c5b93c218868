// Inference of elementwise ops (unary, broadcasting binary/variadic, logical,
// Where, PRelu, Clip, Cast, Dropout), the softmax family and normalizations.
#include "core/ir/infer/infer_ops.h"

namespace fixpoint::ir::infer {
namespace {

using Outputs = std::vector<ValueInfo>;

Outputs SameAsInput0(const InferContext& ctx) { return {Out(In(ctx, 0).dtype, In(ctx, 0).shape)}; }

// Input i is a 1-D per-channel tensor of `channels` elements.
absl::Status ExpectPerChannel(const Node& node, const InferContext& ctx, int i, int64_t channels) {
  FP_RETURN_IF_ERROR(ExpectRank(node, ctx, i, 1));
  return MergeDim(node, channels, In(ctx, i).shape[0],
                  absl::StrCat("input ", i, " size vs channels"))
      .status();
}

}  // namespace

absl::StatusOr<Outputs> InferUnary(Node& /*node*/, const InferContext& ctx) {
  return SameAsInput0(ctx);
}

absl::StatusOr<Outputs> InferNot(Node& node, const InferContext& ctx) {
  FP_RETURN_IF_ERROR(ExpectDType(node, ctx, 0, DType::kBool));
  return SameAsInput0(ctx);
}

absl::StatusOr<Outputs> InferBroadcastSameType(Node& node, const InferContext& ctx) {
  FP_RETURN_IF_ERROR(ExpectSameDTypes(node, ctx));
  FP_ASSIGN_OR_RETURN(Shape shape, BroadcastInputs(node, ctx));
  return Outputs{Out(In(ctx, 0).dtype, std::move(shape))};
}

absl::StatusOr<Outputs> InferPow(Node& node, const InferContext& ctx) {
  // Base and exponent may differ in type (T, T1); the result has the base's.
  FP_ASSIGN_OR_RETURN(Shape shape, BroadcastInputs(node, ctx));
  return Outputs{Out(In(ctx, 0).dtype, std::move(shape))};
}

absl::StatusOr<Outputs> InferCompare(Node& node, const InferContext& ctx) {
  FP_RETURN_IF_ERROR(ExpectSameDTypes(node, ctx));
  FP_ASSIGN_OR_RETURN(Shape shape, BroadcastInputs(node, ctx));
  return Outputs{Out(DType::kBool, std::move(shape))};
}

absl::StatusOr<Outputs> InferLogical(Node& node, const InferContext& ctx) {
  FP_RETURN_IF_ERROR(ExpectDType(node, ctx, 0, DType::kBool));
  FP_RETURN_IF_ERROR(ExpectDType(node, ctx, 1, DType::kBool));
  FP_ASSIGN_OR_RETURN(Shape shape, BroadcastInputs(node, ctx));
  return Outputs{Out(DType::kBool, std::move(shape))};
}

absl::StatusOr<Outputs> InferWhere(Node& node, const InferContext& ctx) {
  FP_RETURN_IF_ERROR(ExpectDType(node, ctx, 0, DType::kBool));
  FP_RETURN_IF_ERROR(ExpectDType(node, ctx, 2, In(ctx, 1).dtype));
  FP_ASSIGN_OR_RETURN(Shape shape, BroadcastInputs(node, ctx));
  return Outputs{Out(In(ctx, 1).dtype, std::move(shape))};
}

// Slope must broadcast to X in one direction: the output has X's shape.
absl::StatusOr<Outputs> InferPRelu(Node& node, const InferContext& ctx) {
  FP_RETURN_IF_ERROR(ExpectSameDTypes(node, ctx));
  const Shape& x = In(ctx, 0).shape;
  const Shape& slope = In(ctx, 1).shape;
  bool ok = slope.rank() <= x.rank();
  for (int i = 0; ok && i < slope.rank(); ++i) {
    const int64_t s = slope[i];
    const int64_t d = x[x.rank() - slope.rank() + i];
    ok = s == 1 || s == d || IsDynamic(s) || IsDynamic(d);
  }
  if (!ok) {
    return Invalid(node, "slope shape ", slope.ToString(), " does not broadcast to input shape ",
                   x.ToString());
  }
  return SameAsInput0(ctx);
}

absl::StatusOr<Outputs> InferClip(Node& node, const InferContext& ctx) {
  // Validates the attribute kinds (floats) now rather than in a kernel.
  FP_RETURN_IF_ERROR(node.GetFloat("min", 0.0f).status());
  FP_RETURN_IF_ERROR(node.GetFloat("max", 0.0f).status());
  return SameAsInput0(ctx);
}

absl::StatusOr<Outputs> InferCast(Node& node, const InferContext& ctx) {
  if (!node.HasAttr("to")) return Invalid(node, "missing attribute 'to'");
  FP_ASSIGN_OR_RETURN(std::string to, node.GetString("to", ""));
  absl::StatusOr<DType> dtype = ParseDType(to);
  if (!dtype.ok()) return Invalid(node, "attribute 'to': ", dtype.status().message());
  return Outputs{Out(*dtype, In(ctx, 0).shape)};
}

// Output 1 (mask) is bool; the importer refuses graphs that read it.
absl::StatusOr<Outputs> InferDropout(Node& /*node*/, const InferContext& ctx) {
  return Outputs{Out(In(ctx, 0).dtype, In(ctx, 0).shape), Out(DType::kBool, In(ctx, 0).shape)};
}

// Softmax, LogSoftmax, Hardmax: opset-13 default axis -1; with coerce_2d
// (older opsets) the default is 1.
absl::StatusOr<Outputs> InferSoftmax(Node& node, const InferContext& ctx) {
  FP_ASSIGN_OR_RETURN(int64_t coerce_2d, node.GetInt("coerce_2d", 0));
  FP_ASSIGN_OR_RETURN(int64_t axis, node.GetInt("axis", coerce_2d ? 1 : -1));
  const int rank = In(ctx, 0).shape.rank();
  FP_RETURN_IF_ERROR(NormalizeAxis(node, axis, rank).status());
  return SameAsInput0(ctx);
}

absl::StatusOr<Outputs> InferBatchNorm(Node& node, const InferContext& ctx) {
  FP_ASSIGN_OR_RETURN(int64_t training, node.GetInt("training_mode", 0));
  if (training != 0) return Invalid(node, "training_mode=1 is not supported");
  FP_RETURN_IF_ERROR(ExpectMinRank(node, ctx, 0, 2));
  const int64_t channels = In(ctx, 0).shape[1];
  for (int i = 1; i <= 4; ++i) FP_RETURN_IF_ERROR(ExpectPerChannel(node, ctx, i, channels));
  return SameAsInput0(ctx);
}

absl::StatusOr<Outputs> InferInstanceNorm(Node& node, const InferContext& ctx) {
  FP_RETURN_IF_ERROR(ExpectMinRank(node, ctx, 0, 3));
  const int64_t channels = In(ctx, 0).shape[1];
  for (int i = 1; i <= 2; ++i) FP_RETURN_IF_ERROR(ExpectPerChannel(node, ctx, i, channels));
  return SameAsInput0(ctx);
}

absl::StatusOr<Outputs> InferLRN(Node& node, const InferContext& ctx) {
  FP_RETURN_IF_ERROR(ExpectMinRank(node, ctx, 0, 3));
  FP_ASSIGN_OR_RETURN(int64_t size, node.GetInt("size", 0));
  if (size <= 0) return Invalid(node, "attribute 'size' must be positive, got ", size);
  return SameAsInput0(ctx);
}

}  // namespace fixpoint::ir::infer
