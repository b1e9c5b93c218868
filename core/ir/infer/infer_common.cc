// Helpers shared by the per-family inference files.
#include <algorithm>

#include "absl/strings/str_join.h"
#include "core/ir/infer/infer_ops.h"

namespace fixpoint::ir::infer {

namespace {

constexpr absl::string_view kLimit = "more than 2^40 (the element limit of a tensor)";

// The checked result of `a <op> b` (nullopt = int64 overflow), bounded.
absl::StatusOr<int64_t> BoundedDim(const Node& node, std::optional<int64_t> r, int64_t a,
                                   absl::string_view op, int64_t b, absl::string_view what) {
  if (r && *r <= kMaxTensorElements) return *r;
  return Invalid(node, what, ": ", a, op, b, " is ", kLimit);
}

}  // namespace

absl::StatusOr<int64_t> AddDims(const Node& node, int64_t a, int64_t b, absl::string_view what) {
  if (IsDynamic(a) || IsDynamic(b)) return kDynamicDim;
  return BoundedDim(node, CheckedAdd(a, b), a, " + ", b, what);
}

absl::StatusOr<int64_t> MulDims(const Node& node, int64_t a, int64_t b, absl::string_view what) {
  if (IsDynamic(a) || IsDynamic(b)) return kDynamicDim;
  return BoundedDim(node, CheckedMul(a, b), a, " x ", b, what);
}

absl::StatusOr<int64_t> CheckDim(const Node& node, int64_t d, absl::string_view what) {
  if (d <= kMaxTensorElements) return d;
  return Invalid(node, what, " would be ", d, ", ", kLimit);
}

const ValueInfo* OptionalInput(const InferContext& ctx, int i) {
  return i < static_cast<int>(ctx.inputs.size()) ? ctx.inputs[i] : nullptr;
}

absl::Status ExpectRank(const Node& node, const InferContext& ctx, int i, int rank) {
  const int actual = In(ctx, i).shape.rank();
  if (actual == rank) return absl::OkStatus();
  return Invalid(node, "input ", i, " has rank ", actual, ", expected ", rank, " (shape ",
                 In(ctx, i).shape.ToString(), ")");
}

absl::Status ExpectMinRank(const Node& node, const InferContext& ctx, int i, int min_rank) {
  const int actual = In(ctx, i).shape.rank();
  if (actual >= min_rank) return absl::OkStatus();
  return Invalid(node, "input ", i, " has rank ", actual, ", expected at least ", min_rank,
                 " (shape ", In(ctx, i).shape.ToString(), ")");
}

absl::Status ExpectDType(const Node& node, const InferContext& ctx, int i, DType dtype) {
  if (In(ctx, i).dtype == dtype) return absl::OkStatus();
  return Invalid(node, "input ", i, " has dtype ", DTypeName(In(ctx, i).dtype), ", expected ",
                 DTypeName(dtype));
}

absl::Status ExpectSameDTypes(const Node& node, const InferContext& ctx) {
  const DType first = In(ctx, 0).dtype;
  for (size_t i = 1; i < ctx.inputs.size(); ++i) {
    if (ctx.inputs[i] != nullptr && ctx.inputs[i]->dtype != first) {
      return Invalid(node, "input ", i, " has dtype ", DTypeName(ctx.inputs[i]->dtype),
                     " but input 0 has ", DTypeName(first));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<int> NormalizeAxis(const Node& node, int64_t axis, int rank,
                                  absl::string_view what) {
  if (axis < -rank || axis >= rank) {
    return Invalid(node, what, " ", axis, " is out of range for rank ", rank);
  }
  return static_cast<int>(axis < 0 ? axis + rank : axis);
}

absl::StatusOr<std::vector<int>> NormalizeAxes(const Node& node, const std::vector<int64_t>& axes,
                                               int rank, absl::string_view what) {
  std::vector<int> result;
  std::vector<bool> seen(rank, false);
  for (int64_t a : axes) {
    FP_ASSIGN_OR_RETURN(int axis, NormalizeAxis(node, a, rank, what));
    if (seen[axis]) return Invalid(node, what, " repeat axis ", axis);
    seen[axis] = true;
    result.push_back(axis);
  }
  return result;
}

absl::StatusOr<Shape> Broadcast(const Node& node, const Shape& a, const Shape& b) {
  const int rank = std::max(a.rank(), b.rank());
  std::vector<int64_t> dims(rank);
  for (int i = 0; i < rank; ++i) {
    const int ia = i - (rank - a.rank());
    const int ib = i - (rank - b.rank());
    const int64_t da = ia >= 0 ? a[ia] : 1;
    const int64_t db = ib >= 0 ? b[ib] : 1;
    if (da == db || db == 1) {
      dims[i] = da;
    } else if (da == 1) {
      dims[i] = db;
    } else if (IsDynamic(da)) {
      dims[i] = db;
    } else if (IsDynamic(db)) {
      dims[i] = da;
    } else {
      return Invalid(node, "shapes ", a.ToString(), " and ", b.ToString(),
                     " are not broadcastable (dim ", i, ": ", da, " vs ", db, ")");
    }
  }
  return Shape(std::move(dims));
}

absl::StatusOr<Shape> BroadcastInputs(const Node& node, const InferContext& ctx) {
  Shape result = In(ctx, 0).shape;
  for (size_t i = 1; i < ctx.inputs.size(); ++i) {
    if (ctx.inputs[i] == nullptr) continue;
    FP_ASSIGN_OR_RETURN(result, Broadcast(node, result, ctx.inputs[i]->shape));
  }
  return result;
}

absl::StatusOr<int64_t> MergeDim(const Node& node, int64_t a, int64_t b, absl::string_view what) {
  if (a == b || IsDynamic(b)) return a;
  if (IsDynamic(a)) return b;
  return Invalid(node, what, ": ", a, " vs ", b);
}

absl::StatusOr<std::vector<int64_t>> RequiredInts(const Node& node, const std::string& key) {
  if (!node.HasAttr(key)) return Invalid(node, "missing attribute '", key, "'");
  return node.GetInts(key, {});
}

std::string IntsToString(const std::vector<int64_t>& v) {
  return absl::StrCat("[", absl::StrJoin(v, ","), "]");
}

}  // namespace fixpoint::ir::infer
