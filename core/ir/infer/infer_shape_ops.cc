// Inference of ops that only rearrange or describe a shape: Reshape, Flatten,
// Squeeze, Unsqueeze, Transpose, Expand, Tile, Shape, Size, ConstantOfShape,
// DepthToSpace, SpaceToDepth.
#include <algorithm>

#include "core/ir/infer/infer_ops.h"

namespace fixpoint::ir::infer {
namespace {

using Outputs = std::vector<ValueInfo>;

absl::Status ExpectNonNegative(const Node& node, const std::string& key,
                               const std::vector<int64_t>& v) {
  for (int64_t x : v) {
    if (x < 0) return Invalid(node, "attribute '", key, "' has negative value ", x);
  }
  return absl::OkStatus();
}

// Product of x[begin, end), kDynamicDim if any of them is dynamic; checked
// as `what`.
absl::StatusOr<int64_t> DimProduct(const Node& node, const Shape& x, int begin, int end,
                                   absl::string_view what) {
  int64_t p = 1;
  for (int i = begin; i < end; ++i) {
    FP_ASSIGN_OR_RETURN(p, MulDims(node, p, x[i], what));
  }
  return p;
}

// Blocksize of DepthToSpace/SpaceToDepth on a 4-D input.
absl::StatusOr<int64_t> ReadBlocksize(const Node& node, const InferContext& ctx) {
  FP_RETURN_IF_ERROR(ExpectRank(node, ctx, 0, 4));
  FP_ASSIGN_OR_RETURN(int64_t b, node.GetInt("blocksize", 0));
  if (b <= 0) return Invalid(node, "attribute 'blocksize' must be positive, got ", b);
  return b;
}

// d / b when d is static (and must be divisible); dynamic otherwise.
absl::StatusOr<int64_t> DivideDim(const Node& node, const Shape& x, int i, int64_t b) {
  if (IsDynamic(x[i])) return kDynamicDim;
  if (x[i] % b != 0) {
    return Invalid(node, "dim ", i, " of ", x.ToString(), " is not divisible by ", b);
  }
  return x[i] / b;
}

}  // namespace

// 0 copies the input dim at the same index (unless allowzero=1); one -1 is
// inferred. Dims copied by 0 cancel out, so a copied dynamic batch still lets
// -1 be inferred.
absl::StatusOr<Outputs> InferReshape(Node& node, const InferContext& ctx) {
  const Shape& x = In(ctx, 0).shape;
  FP_ASSIGN_OR_RETURN(std::vector<int64_t> target, RequiredInts(node, "shape"));
  FP_ASSIGN_OR_RETURN(int64_t allowzero, node.GetInt("allowzero", 0));
  std::vector<int64_t> dims(target.size());
  std::vector<bool> copied(x.rank(), false);
  int infer_at = -1;
  int64_t known_out = 1;
  for (int i = 0; i < static_cast<int>(target.size()); ++i) {
    const int64_t t = target[i];
    if (t == -1) {
      if (infer_at >= 0) return Invalid(node, "attribute 'shape' has more than one -1");
      infer_at = i;
    } else if (t == 0 && allowzero == 0) {
      if (i >= x.rank()) return Invalid(node, "shape[", i, "]=0 but input is ", x.ToString());
      dims[i] = x[i];
      copied[i] = true;
    } else if (t < 0) {
      return Invalid(node, "attribute 'shape' has invalid value ", t);
    } else {
      dims[i] = t;
      FP_ASSIGN_OR_RETURN(
          known_out,
          MulDims(node, known_out, t, absl::StrCat("attribute 'shape' up to shape[", i, "]")));
    }
  }
  int64_t rest_in = 1;  // elements of the input outside the copied dims
  for (int j = 0; j < x.rank(); ++j) {
    if (copied[j]) continue;
    FP_ASSIGN_OR_RETURN(rest_in, MulDims(node, rest_in, x[j], "input elements"));
  }
  if (infer_at >= 0) {
    if (IsDynamic(rest_in)) {
      dims[infer_at] = kDynamicDim;
    } else if (known_out == 0 || rest_in % known_out != 0) {
      return Invalid(node, "cannot reshape ", x.ToString(), " to ", IntsToString(target));
    } else {
      dims[infer_at] = rest_in / known_out;
    }
  } else if (!IsDynamic(rest_in) && rest_in != known_out) {
    return Invalid(node, "cannot reshape ", x.ToString(), " to ", IntsToString(target));
  }
  return Outputs{Out(In(ctx, 0).dtype, Shape(std::move(dims)))};
}

absl::StatusOr<Outputs> InferFlatten(Node& node, const InferContext& ctx) {
  const Shape& x = In(ctx, 0).shape;
  FP_ASSIGN_OR_RETURN(int64_t axis, node.GetInt("axis", 1));
  if (axis < -x.rank() || axis > x.rank()) {
    return Invalid(node, "axis ", axis, " is out of range for rank ", x.rank());
  }
  const int a = static_cast<int>(axis < 0 ? axis + x.rank() : axis);
  FP_ASSIGN_OR_RETURN(int64_t outer, DimProduct(node, x, 0, a, "output dim 0"));
  FP_ASSIGN_OR_RETURN(int64_t inner, DimProduct(node, x, a, x.rank(), "output dim 1"));
  return Outputs{Out(In(ctx, 0).dtype, Shape({outer, inner}))};
}

// Without `axes`, squeezes every static 1; dynamic dims are kept.
absl::StatusOr<Outputs> InferSqueeze(Node& node, const InferContext& ctx) {
  const Shape& x = In(ctx, 0).shape;
  std::vector<bool> drop(x.rank(), false);
  if (node.HasAttr("axes")) {
    FP_ASSIGN_OR_RETURN(std::vector<int64_t> axes, node.GetInts("axes", {}));
    FP_ASSIGN_OR_RETURN(std::vector<int> normalized, NormalizeAxes(node, axes, x.rank()));
    for (int a : normalized) {
      if (x[a] != 1 && !IsDynamic(x[a])) {
        return Invalid(node, "cannot squeeze dim ", a, " of ", x.ToString());
      }
      drop[a] = true;
    }
  } else {
    for (int i = 0; i < x.rank(); ++i) drop[i] = x[i] == 1;
  }
  std::vector<int64_t> dims;
  for (int i = 0; i < x.rank(); ++i) {
    if (!drop[i]) dims.push_back(x[i]);
  }
  return Outputs{Out(In(ctx, 0).dtype, Shape(std::move(dims)))};
}

// `axes` index the output (rank + len(axes)).
absl::StatusOr<Outputs> InferUnsqueeze(Node& node, const InferContext& ctx) {
  const Shape& x = In(ctx, 0).shape;
  FP_ASSIGN_OR_RETURN(std::vector<int64_t> axes, RequiredInts(node, "axes"));
  const int out_rank = x.rank() + static_cast<int>(axes.size());
  FP_ASSIGN_OR_RETURN(std::vector<int> normalized, NormalizeAxes(node, axes, out_rank));
  std::vector<bool> inserted(out_rank, false);
  for (int a : normalized) inserted[a] = true;
  std::vector<int64_t> dims;
  int next = 0;
  for (int i = 0; i < out_rank; ++i) dims.push_back(inserted[i] ? 1 : x[next++]);
  return Outputs{Out(In(ctx, 0).dtype, Shape(std::move(dims)))};
}

absl::StatusOr<Outputs> InferTranspose(Node& node, const InferContext& ctx) {
  const Shape& x = In(ctx, 0).shape;
  std::vector<int64_t> reversed(x.rank());
  for (int i = 0; i < x.rank(); ++i) reversed[i] = x.rank() - 1 - i;
  FP_ASSIGN_OR_RETURN(std::vector<int64_t> perm, node.GetInts("perm", reversed));
  std::vector<bool> seen(x.rank(), false);
  bool ok = static_cast<int>(perm.size()) == x.rank();
  for (size_t i = 0; ok && i < perm.size(); ++i) {
    ok = perm[i] >= 0 && perm[i] < x.rank() && !seen[perm[i]];
    if (ok) seen[perm[i]] = true;
  }
  if (!ok)
    return Invalid(node, "perm ", IntsToString(perm), " is not a permutation of ", x.rank(),
                   " axes");
  std::vector<int64_t> dims;
  for (int64_t p : perm) dims.push_back(x[static_cast<int>(p)]);
  return Outputs{Out(In(ctx, 0).dtype, Shape(std::move(dims)))};
}

absl::StatusOr<Outputs> InferExpand(Node& node, const InferContext& ctx) {
  FP_ASSIGN_OR_RETURN(std::vector<int64_t> shape, RequiredInts(node, "shape"));
  FP_RETURN_IF_ERROR(ExpectNonNegative(node, "shape", shape));
  FP_ASSIGN_OR_RETURN(Shape y, Broadcast(node, In(ctx, 0).shape, Shape(shape)));
  return Outputs{Out(In(ctx, 0).dtype, std::move(y))};
}

absl::StatusOr<Outputs> InferTile(Node& node, const InferContext& ctx) {
  const Shape& x = In(ctx, 0).shape;
  FP_ASSIGN_OR_RETURN(std::vector<int64_t> repeats, RequiredInts(node, "repeats"));
  FP_RETURN_IF_ERROR(ExpectNonNegative(node, "repeats", repeats));
  if (static_cast<int>(repeats.size()) != x.rank()) {
    return Invalid(node, "attribute 'repeats' has ", repeats.size(), " values for input ",
                   x.ToString());
  }
  std::vector<int64_t> dims(x.rank());
  for (int i = 0; i < x.rank(); ++i) {
    if (repeats[i] == 0) continue;  // 0 even for a dynamic dim
    FP_ASSIGN_OR_RETURN(dims[i], MulDims(node, x[i], repeats[i], absl::StrCat("output dim ", i)));
  }
  return Outputs{Out(In(ctx, 0).dtype, Shape(std::move(dims)))};
}

// Opset-15 start/end: negative counts from the back; both clamp to [0, rank].
absl::StatusOr<Outputs> InferShapeOp(Node& node, const InferContext& ctx) {
  const int64_t rank = In(ctx, 0).shape.rank();
  FP_ASSIGN_OR_RETURN(int64_t start, node.GetInt("start", 0));
  FP_ASSIGN_OR_RETURN(int64_t end, node.GetInt("end", rank));
  auto clamp = [rank](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + rank : v, 0, rank); };
  const int64_t len = std::max<int64_t>(0, clamp(end) - clamp(start));
  return Outputs{Out(DType::kI64, Shape({len}))};
}

absl::StatusOr<Outputs> InferSize(Node& /*node*/, const InferContext& /*ctx*/) {
  return Outputs{Out(DType::kI64, Shape())};
}

// Output dtype is that of the one-element `value` tensor (default f32 0).
absl::StatusOr<Outputs> InferConstantOfShape(Node& node, const InferContext& /*ctx*/) {
  FP_ASSIGN_OR_RETURN(std::vector<int64_t> shape, RequiredInts(node, "shape"));
  FP_RETURN_IF_ERROR(ExpectNonNegative(node, "shape", shape));
  DType dtype = DType::kF32;
  if (node.HasAttr("value")) {
    FP_ASSIGN_OR_RETURN(const Tensor* value, node.GetTensor("value"));
    if (value->NumElements() != 1) {
      return Invalid(node, "attribute 'value' must have one element, has shape ",
                     value->shape().ToString());
    }
    dtype = value->dtype();
  }
  return Outputs{Out(dtype, Shape(std::move(shape)))};
}

absl::StatusOr<Outputs> InferDepthToSpace(Node& node, const InferContext& ctx) {
  FP_ASSIGN_OR_RETURN(int64_t b, ReadBlocksize(node, ctx));
  FP_ASSIGN_OR_RETURN(std::string mode, node.GetString("mode", "DCR"));
  if (mode != "DCR" && mode != "CRD") return Invalid(node, "unknown mode '", mode, "'");
  const Shape& x = In(ctx, 0).shape;
  FP_ASSIGN_OR_RETURN(int64_t b2, MulDims(node, b, b, "blocksize x blocksize"));
  FP_ASSIGN_OR_RETURN(int64_t c, DivideDim(node, x, 1, b2));
  FP_ASSIGN_OR_RETURN(int64_t h, MulDims(node, x[2], b, "output dim 2"));
  FP_ASSIGN_OR_RETURN(int64_t w, MulDims(node, x[3], b, "output dim 3"));
  return Outputs{Out(In(ctx, 0).dtype, Shape({x[0], c, h, w}))};
}

absl::StatusOr<Outputs> InferSpaceToDepth(Node& node, const InferContext& ctx) {
  FP_ASSIGN_OR_RETURN(int64_t b, ReadBlocksize(node, ctx));
  const Shape& x = In(ctx, 0).shape;
  FP_ASSIGN_OR_RETURN(int64_t h, DivideDim(node, x, 2, b));
  FP_ASSIGN_OR_RETURN(int64_t w, DivideDim(node, x, 3, b));
  FP_ASSIGN_OR_RETURN(int64_t b2, MulDims(node, b, b, "blocksize x blocksize"));
  FP_ASSIGN_OR_RETURN(int64_t c, MulDims(node, x[1], b2, "output dim 1"));
  return Outputs{Out(In(ctx, 0).dtype, Shape({x[0], c, h, w}))};
}

}  // namespace fixpoint::ir::infer
