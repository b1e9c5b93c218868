// Internal to core/ir: the op table (op type -> arity + inference function)
// shared by shape_inference.cc and verifier.cc, the per-op inference
// functions (grouped by family in infer_*.cc) and their common helpers.
// Not a public API. Thread-safe (pure functions, constant data).
#ifndef FIXPOINT_CORE_IR_INFER_INFER_OPS_H_
#define FIXPOINT_CORE_IR_INFER_INFER_OPS_H_

#include <climits>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/ir/dim_math.h"
#include "core/ir/graph.h"
#include "core/ir/shape_inference.h"
#include "core/util/status_macros.h"

namespace fixpoint::ir::infer {

// Output infos (dtype and shape; the caller fills the names) of `node`. The
// caller has checked the arity: inputs [0, min_inputs) are present and
// non-null in ctx. May canonicalize the node's attributes.
using InferFn = absl::StatusOr<std::vector<ValueInfo>> (*)(Node& node, const InferContext& ctx);

inline constexpr int kVariadic = INT_MAX;

// One row of the op table. Input count = index of the last present input + 1
// (trailing absent optional inputs do not count).
struct OpSpec {
  absl::string_view op_type;
  int min_inputs;
  int max_inputs;
  int min_outputs;
  int max_outputs;
  InferFn infer;
};

// The supported ops, sorted by op_type.
absl::Span<const OpSpec> OpTable();
// The row of `op_type`, or nullptr when unsupported.
const OpSpec* FindOpSpec(absl::string_view op_type);
// Number of inputs of `node` up to and including the last present one.
int PresentInputCount(const Node& node);
// INVALID_ARGUMENT naming the node unless its input and output counts are
// within spec's bounds and inputs [0, min_inputs) are present.
absl::Status CheckArity(const Node& node, const OpSpec& spec);

// ---- Helpers (infer_common.cc) ----

// INVALID_ARGUMENT "<node.Describe()>: <pieces...>".
template <typename... Args>
absl::Status Invalid(const Node& node, const Args&... pieces) {
  return absl::InvalidArgumentError(absl::StrCat(node.Describe(), ": ", pieces...));
}

inline bool IsDynamic(int64_t d) { return d < 0; }

// Dims are combined only through the checked helpers below. InferNodeOutputs
// refuses inputs and outputs over kMaxTensorElements (core/ir/dim_math.h),
// so every dim an inference function sees is at most 2^40; that is what
// makes the unchecked sums of a few dims and bounded attributes safe where
// a function relies on it (each such place says so).

// a + b and a * b of two dims >= 0 (or dynamic); kDynamicDim when either is
// dynamic. INVALID_ARGUMENT "<node>: <what>: a + b is more than 2^40 (the
// element limit of a tensor)" when the result, exact or not, exceeds
// kMaxTensorElements. `what` names the dim, e.g. "output dim 1".
absl::StatusOr<int64_t> AddDims(const Node& node, int64_t a, int64_t b, absl::string_view what);
absl::StatusOr<int64_t> MulDims(const Node& node, int64_t a, int64_t b, absl::string_view what);
// `d` (an int64 already computed without overflow) unless it exceeds
// kMaxTensorElements: then INVALID_ARGUMENT "<node>: <what> would be <d>,
// more than 2^40 (...)".
absl::StatusOr<int64_t> CheckDim(const Node& node, int64_t d, absl::string_view what);
// ceil(a / b) for a >= 0, b > 0; never overflows.
inline int64_t CeilDiv(int64_t a, int64_t b) { return a / b + (a % b != 0 ? 1 : 0); }

// Input i of ctx, or nullptr when absent (also beyond ctx.inputs).
const ValueInfo* OptionalInput(const InferContext& ctx, int i);
// Input i, which the arity check guarantees is present.
inline const ValueInfo& In(const InferContext& ctx, int i) { return *ctx.inputs[i]; }

// A nameless output info.
inline ValueInfo Out(DType dtype, Shape shape) { return ValueInfo{"", dtype, std::move(shape)}; }

// "input 1 has rank 3, expected 4" unless input i has rank `rank`.
absl::Status ExpectRank(const Node& node, const InferContext& ctx, int i, int rank);
// ... unless input i has rank >= min_rank.
absl::Status ExpectMinRank(const Node& node, const InferContext& ctx, int i, int min_rank);
// ... unless input i has dtype `dtype`.
absl::Status ExpectDType(const Node& node, const InferContext& ctx, int i, DType dtype);
// ... unless all present inputs share input 0's dtype.
absl::Status ExpectSameDTypes(const Node& node, const InferContext& ctx);

// Maps axis in [-rank, rank) to [0, rank); INVALID_ARGUMENT naming `what`.
absl::StatusOr<int> NormalizeAxis(const Node& node, int64_t axis, int rank,
                                  absl::string_view what = "axis");
// Normalizes every axis; rejects duplicates.
absl::StatusOr<std::vector<int>> NormalizeAxes(const Node& node, const std::vector<int64_t>& axes,
                                               int rank, absl::string_view what = "axes");

// Numpy multidirectional broadcast of a and b; a dynamic dim against a static
// one takes the static one (unless that is 1).
absl::StatusOr<Shape> Broadcast(const Node& node, const Shape& a, const Shape& b);
// Broadcast of every present input's shape.
absl::StatusOr<Shape> BroadcastInputs(const Node& node, const InferContext& ctx);
// Two dims that must be equal; a dynamic one yields to a static one.
absl::StatusOr<int64_t> MergeDim(const Node& node, int64_t a, int64_t b, absl::string_view what);

// Attribute `key` as ints; INVALID_ARGUMENT when absent.
absl::StatusOr<std::vector<int64_t>> RequiredInts(const Node& node, const std::string& key);
// "[1,-1,0]" (unlike Shape::ToString, -1 stays -1).
std::string IntsToString(const std::vector<int64_t>& v);

// ---- Per-op inference ----
// infer_elementwise.cc
absl::StatusOr<std::vector<ValueInfo>> InferUnary(Node& node, const InferContext& ctx);
absl::StatusOr<std::vector<ValueInfo>> InferNot(Node& node, const InferContext& ctx);
absl::StatusOr<std::vector<ValueInfo>> InferBroadcastSameType(Node& node, const InferContext& ctx);
absl::StatusOr<std::vector<ValueInfo>> InferPow(Node& node, const InferContext& ctx);
absl::StatusOr<std::vector<ValueInfo>> InferCompare(Node& node, const InferContext& ctx);
absl::StatusOr<std::vector<ValueInfo>> InferLogical(Node& node, const InferContext& ctx);
absl::StatusOr<std::vector<ValueInfo>> InferWhere(Node& node, const InferContext& ctx);
absl::StatusOr<std::vector<ValueInfo>> InferPRelu(Node& node, const InferContext& ctx);
absl::StatusOr<std::vector<ValueInfo>> InferClip(Node& node, const InferContext& ctx);
absl::StatusOr<std::vector<ValueInfo>> InferCast(Node& node, const InferContext& ctx);
absl::StatusOr<std::vector<ValueInfo>> InferDropout(Node& node, const InferContext& ctx);
absl::StatusOr<std::vector<ValueInfo>> InferSoftmax(Node& node, const InferContext& ctx);
absl::StatusOr<std::vector<ValueInfo>> InferBatchNorm(Node& node, const InferContext& ctx);
absl::StatusOr<std::vector<ValueInfo>> InferInstanceNorm(Node& node, const InferContext& ctx);
absl::StatusOr<std::vector<ValueInfo>> InferLRN(Node& node, const InferContext& ctx);
// infer_conv_pool.cc
absl::StatusOr<std::vector<ValueInfo>> InferConv(Node& node, const InferContext& ctx);
absl::StatusOr<std::vector<ValueInfo>> InferConvTranspose(Node& node, const InferContext& ctx);
absl::StatusOr<std::vector<ValueInfo>> InferPool(Node& node, const InferContext& ctx);
absl::StatusOr<std::vector<ValueInfo>> InferGlobalPool(Node& node, const InferContext& ctx);
// infer_matmul.cc
absl::StatusOr<std::vector<ValueInfo>> InferGemm(Node& node, const InferContext& ctx);
absl::StatusOr<std::vector<ValueInfo>> InferMatMul(Node& node, const InferContext& ctx);
// infer_reduce.cc
absl::StatusOr<std::vector<ValueInfo>> InferReduce(Node& node, const InferContext& ctx);
absl::StatusOr<std::vector<ValueInfo>> InferArgReduce(Node& node, const InferContext& ctx);
// infer_shape_ops.cc
absl::StatusOr<std::vector<ValueInfo>> InferReshape(Node& node, const InferContext& ctx);
absl::StatusOr<std::vector<ValueInfo>> InferFlatten(Node& node, const InferContext& ctx);
absl::StatusOr<std::vector<ValueInfo>> InferSqueeze(Node& node, const InferContext& ctx);
absl::StatusOr<std::vector<ValueInfo>> InferUnsqueeze(Node& node, const InferContext& ctx);
absl::StatusOr<std::vector<ValueInfo>> InferTranspose(Node& node, const InferContext& ctx);
absl::StatusOr<std::vector<ValueInfo>> InferExpand(Node& node, const InferContext& ctx);
absl::StatusOr<std::vector<ValueInfo>> InferTile(Node& node, const InferContext& ctx);
absl::StatusOr<std::vector<ValueInfo>> InferShapeOp(Node& node, const InferContext& ctx);
absl::StatusOr<std::vector<ValueInfo>> InferSize(Node& node, const InferContext& ctx);
absl::StatusOr<std::vector<ValueInfo>> InferConstantOfShape(Node& node, const InferContext& ctx);
absl::StatusOr<std::vector<ValueInfo>> InferDepthToSpace(Node& node, const InferContext& ctx);
absl::StatusOr<std::vector<ValueInfo>> InferSpaceToDepth(Node& node, const InferContext& ctx);
// infer_tensor_ops.cc
absl::StatusOr<std::vector<ValueInfo>> InferConcat(Node& node, const InferContext& ctx);
absl::StatusOr<std::vector<ValueInfo>> InferSlice(Node& node, const InferContext& ctx);
absl::StatusOr<std::vector<ValueInfo>> InferGather(Node& node, const InferContext& ctx);
absl::StatusOr<std::vector<ValueInfo>> InferSplit(Node& node, const InferContext& ctx);
absl::StatusOr<std::vector<ValueInfo>> InferPad(Node& node, const InferContext& ctx);
absl::StatusOr<std::vector<ValueInfo>> InferResize(Node& node, const InferContext& ctx);
// infer_quant.cc
// QLinearConv and QGemm (infer_qlinear.cc).
absl::StatusOr<std::vector<ValueInfo>> InferQLinearConv(Node& node, const InferContext& ctx);
absl::StatusOr<std::vector<ValueInfo>> InferQGemm(Node& node, const InferContext& ctx);
absl::StatusOr<std::vector<ValueInfo>> InferQLinearAdd(Node& node, const InferContext& ctx);
absl::StatusOr<std::vector<ValueInfo>> InferQuantizeLinear(Node& node, const InferContext& ctx);
absl::StatusOr<std::vector<ValueInfo>> InferDequantizeLinear(Node& node, const InferContext& ctx);

}  // namespace fixpoint::ir::infer

#endif  // FIXPOINT_CORE_IR_INFER_INFER_OPS_H_
