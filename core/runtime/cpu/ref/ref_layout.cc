// Reference layout ops, all expressed as index maps (ref_index_map.h) and so
// valid for every dtype: Transpose, Slice, Pad (constant/reflect/edge,
// negative pads crop), Expand, Tile, DepthToSpace (DCR/CRD), SpaceToDepth.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "core/runtime/cpu/ref/ref_index_map.h"
#include "core/runtime/cpu/ref/ref_kernels.h"
#include "core/util/status_macros.h"

namespace fixpoint::runtime::ref {
namespace {

// table[o] = (start + o * step) * stride for o in [0, n).
std::vector<int64_t> Affine(int64_t n, int64_t start, int64_t step, int64_t stride) {
  std::vector<int64_t> t(n);
  for (int64_t o = 0; o < n; ++o) t[o] = (start + o * step) * stride;
  return t;
}

// One element of dtype t holding `v` (converted as Cast would).
std::vector<std::byte> ElementBytes(ir::DType t, double v) {
  std::vector<std::byte> b(ir::DTypeSize(t));
  auto put = [&](auto x) { std::memcpy(b.data(), &x, sizeof x); };
  switch (t) {
    case ir::DType::kF32:
      put(static_cast<float>(v));
      break;
    case ir::DType::kF16:
      put(ir::FloatToHalf(static_cast<float>(v)));
      break;
    case ir::DType::kI8:
      put(FromDouble<int8_t>(v));
      break;
    case ir::DType::kU8:
      put(FromDouble<uint8_t>(v));
      break;
    case ir::DType::kI32:
      put(FromDouble<int32_t>(v));
      break;
    case ir::DType::kI64:
      put(FromDouble<int64_t>(v));
      break;
    case ir::DType::kBool:
      put(static_cast<uint8_t>(v != 0));
      break;
  }
  return b;
}

}  // namespace

KernelOr CreateTranspose(const KernelContext& ctx) {
  FP_RETURN_IF_ERROR(CheckArity(ctx, 1, 1));
  const ir::Shape& x = ctx.input_infos[0].shape;
  const int r = x.rank();
  std::vector<int64_t> reversed(r);
  for (int d = 0; d < r; ++d) reversed[d] = r - 1 - d;
  FP_ASSIGN_OR_RETURN(const std::vector<int64_t> perm, ctx.node.GetInts("perm", reversed));
  std::vector<bool> seen(r, false);
  if (static_cast<int>(perm.size()) != r) return InvalidArg(ctx, "perm must have ", r, " entries");
  for (int64_t p : perm) {
    if (p < 0 || p >= r || seen[p]) return InvalidArg(ctx, "perm is not a permutation");
    seen[p] = true;
  }
  const std::vector<int64_t> strides = ir::RowMajorStrides(x);
  IndexMap m;
  for (int d = 0; d < r; ++d) m.tables.push_back(Affine(x.dim(perm[d]), 0, 1, strides[perm[d]]));
  return MakeIndexMapKernel(ctx, std::move(m));
}

KernelOr CreateSlice(const KernelContext& ctx) {
  FP_RETURN_IF_ERROR(CheckArity(ctx, 1, 1));
  const ir::Shape& x = ctx.input_infos[0].shape;
  const int r = x.rank();
  FP_ASSIGN_OR_RETURN(const std::vector<int64_t> starts, ctx.node.GetInts("starts", {}));
  FP_ASSIGN_OR_RETURN(const std::vector<int64_t> ends, ctx.node.GetInts("ends", {}));
  std::vector<int64_t> all_axes(starts.size());
  for (size_t i = 0; i < all_axes.size(); ++i) all_axes[i] = static_cast<int64_t>(i);
  FP_ASSIGN_OR_RETURN(const std::vector<int64_t> axes, ctx.node.GetInts("axes", all_axes));
  FP_ASSIGN_OR_RETURN(const std::vector<int64_t> steps,
                      ctx.node.GetInts("steps", std::vector<int64_t>(starts.size(), 1)));
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size()) {
    return InvalidArg(ctx, "starts, ends, axes and steps must have equal lengths");
  }
  std::vector<int64_t> start(r, 0), step(r, 1), len(x.dims());
  std::vector<bool> seen(r, false);
  for (size_t i = 0; i < starts.size(); ++i) {
    FP_ASSIGN_OR_RETURN(const int a, NormalizeAxis(ctx, axes[i], r));
    if (seen[a]) return InvalidArg(ctx, "axis ", axes[i], " repeated");
    seen[a] = true;
    if (steps[i] == 0) return InvalidArg(ctx, "steps must be nonzero");
    const int64_t dim = x.dim(a);
    int64_t s = starts[i] < 0 ? starts[i] + dim : starts[i];
    int64_t e = ends[i] < 0 ? ends[i] + dim : ends[i];
    if (steps[i] > 0) {
      s = std::clamp<int64_t>(s, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
      len[a] = e > s ? (e - s + steps[i] - 1) / steps[i] : 0;
    } else {
      s = std::clamp<int64_t>(s, 0, dim - 1);
      e = std::clamp<int64_t>(e, -1, dim - 1);
      len[a] = s > e ? (s - e - steps[i] - 1) / -steps[i] : 0;
    }
    start[a] = s;
    step[a] = steps[i];
  }
  const std::vector<int64_t> strides = ir::RowMajorStrides(x);
  IndexMap m;
  for (int d = 0; d < r; ++d) m.tables.push_back(Affine(len[d], start[d], step[d], strides[d]));
  return MakeIndexMapKernel(ctx, std::move(m));
}

namespace {

// Input index of padded position i (already shifted by the begin pad) in a
// dim of size n, or -1 for the constant fill.
int64_t PadSource(int64_t i, int64_t n, const std::string& mode) {
  if (i >= 0 && i < n) return i;
  if (mode == "edge") return i < 0 ? 0 : n - 1;
  if (mode == "reflect") {
    if (n == 1) return 0;
    const int64_t period = 2 * (n - 1);
    int64_t j = i % period;
    if (j < 0) j += period;
    return j < n ? j : period - j;
  }
  return -1;
}

}  // namespace

KernelOr CreatePad(const KernelContext& ctx) {
  FP_RETURN_IF_ERROR(CheckArity(ctx, 1, 1));
  const ir::ValueInfo& in = ctx.input_infos[0];
  const int r = in.shape.rank();
  FP_ASSIGN_OR_RETURN(const std::vector<int64_t> pads,
                      ctx.node.GetInts("pads", std::vector<int64_t>(2 * r, 0)));
  FP_ASSIGN_OR_RETURN(const std::string mode, ctx.node.GetString("mode", "constant"));
  FP_ASSIGN_OR_RETURN(const float value, ctx.node.GetFloat("value", 0.0f));
  if (pads.size() != static_cast<size_t>(2 * r))
    return InvalidArg(ctx, "pads needs ", 2 * r, " values");
  if (mode != "constant" && mode != "reflect" && mode != "edge") {
    return InvalidArg(ctx, "unknown mode '", mode, "'");
  }
  const std::vector<int64_t> strides = ir::RowMajorStrides(in.shape);
  IndexMap m;
  m.fill = ElementBytes(in.dtype, value);
  for (int d = 0; d < r; ++d) {
    const int64_t n = in.shape.dim(d), out = n + pads[d] + pads[r + d];
    if (out < 0) return InvalidArg(ctx, "pads remove more than dim ", d, " holds");
    if (n == 0 && out > 0 && mode != "constant")
      return InvalidArg(ctx, "cannot ", mode, "-pad an empty dim");
    std::vector<int64_t> t(out);
    for (int64_t o = 0; o < out; ++o) {
      const int64_t i = PadSource(o - pads[d], n, mode);
      t[o] = i < 0 ? -1 : i * strides[d];
    }
    m.tables.push_back(std::move(t));
  }
  return MakeIndexMapKernel(ctx, std::move(m));
}

KernelOr CreateExpand(const KernelContext& ctx) {
  FP_RETURN_IF_ERROR(CheckArity(ctx, 1, 1));
  const ir::Shape& x = ctx.input_infos[0].shape;
  const ir::Shape& y = ctx.output_infos[0].shape;
  if (y.rank() < x.rank()) return InvalidArg(ctx, "output rank below input rank");
  const std::vector<int64_t> strides = ir::RowMajorStrides(x);
  IndexMap m;
  for (int d = 0; d < y.rank(); ++d) {
    const int xd = d - (y.rank() - x.rank());
    const int64_t in_dim = xd >= 0 ? x.dim(xd) : 1;
    if (in_dim != 1 && in_dim != y.dim(d)) {
      return InvalidArg(ctx, x.ToString(), " does not broadcast to ", y.ToString());
    }
    m.tables.push_back(Affine(y.dim(d), 0, in_dim == 1 ? 0 : 1, xd >= 0 ? strides[xd] : 0));
  }
  return MakeIndexMapKernel(ctx, std::move(m));
}

KernelOr CreateTile(const KernelContext& ctx) {
  FP_RETURN_IF_ERROR(CheckArity(ctx, 1, 1));
  const ir::Shape& x = ctx.input_infos[0].shape;
  FP_ASSIGN_OR_RETURN(const std::vector<int64_t> repeats, ctx.node.GetInts("repeats", {}));
  if (static_cast<int>(repeats.size()) != x.rank())
    return InvalidArg(ctx, "repeats must have one value per dim");
  const std::vector<int64_t> strides = ir::RowMajorStrides(x);
  IndexMap m;
  for (int d = 0; d < x.rank(); ++d) {
    if (repeats[d] < 0) return InvalidArg(ctx, "negative repeat");
    std::vector<int64_t> t(x.dim(d) * repeats[d]);
    for (int64_t o = 0; o < static_cast<int64_t>(t.size()); ++o) t[o] = (o % x.dim(d)) * strides[d];
    m.tables.push_back(std::move(t));
  }
  return MakeIndexMapKernel(ctx, std::move(m));
}

namespace {

struct BlockGeometry {
  int64_t n, c, h, w, b;
};

absl::StatusOr<BlockGeometry> BlockOf(const KernelContext& ctx) {
  FP_RETURN_IF_ERROR(CheckArity(ctx, 1, 1));
  const ir::Shape& x = ctx.input_infos[0].shape;
  if (x.rank() != 4) return InvalidArg(ctx, "input must be 4-D");
  FP_ASSIGN_OR_RETURN(const int64_t b, ctx.node.GetInt("blocksize", 0));
  if (b < 1) return InvalidArg(ctx, "blocksize must be >= 1");
  return BlockGeometry{x.dim(0), x.dim(1), x.dim(2), x.dim(3), b};
}

}  // namespace

KernelOr CreateDepthToSpace(const KernelContext& ctx) {
  FP_ASSIGN_OR_RETURN(const BlockGeometry g, BlockOf(ctx));
  FP_ASSIGN_OR_RETURN(const std::string mode, ctx.node.GetString("mode", "DCR"));
  if (mode != "DCR" && mode != "CRD") return InvalidArg(ctx, "unknown mode '", mode, "'");
  if (g.c % (g.b * g.b) != 0) return InvalidArg(ctx, "channels not divisible by blocksize^2");
  const int64_t oc = g.c / (g.b * g.b), hw = g.h * g.w;
  // Output viewed as [N, C', H, b, W, b]; DCR reads channel (bh*b + bw)*C' + c,
  // CRD reads c*b*b + bh*b + bw.
  const bool dcr = mode == "DCR";
  IndexMap m;
  m.tables = {Affine(g.n, 0, 1, g.c * hw), Affine(oc, 0, 1, (dcr ? 1 : g.b * g.b) * hw),
              Affine(g.h, 0, 1, g.w),      Affine(g.b, 0, 1, (dcr ? g.b * oc : g.b) * hw),
              Affine(g.w, 0, 1, 1),        Affine(g.b, 0, 1, (dcr ? oc : 1) * hw)};
  return MakeIndexMapKernel(ctx, std::move(m));
}

KernelOr CreateSpaceToDepth(const KernelContext& ctx) {
  FP_ASSIGN_OR_RETURN(const BlockGeometry g, BlockOf(ctx));
  if (g.h % g.b != 0 || g.w % g.b != 0) return InvalidArg(ctx, "H and W must divide by blocksize");
  // Output viewed as [N, b, b, C, H/b, W/b]: Y[n, bh, bw, c, h, w] = X[n, c, h*b + bh, w*b + bw].
  IndexMap m;
  m.tables = {Affine(g.n, 0, 1, g.c * g.h * g.w),
              Affine(g.b, 0, 1, g.w),
              Affine(g.b, 0, 1, 1),
              Affine(g.c, 0, 1, g.h * g.w),
              Affine(g.h / g.b, 0, 1, g.b * g.w),
              Affine(g.w / g.b, 0, 1, g.b)};
  return MakeIndexMapKernel(ctx, std::move(m));
}

}  // namespace fixpoint::runtime::ref
