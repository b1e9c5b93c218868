#include "core/runtime/cpu/ref/ref_window.h"

#include <algorithm>
#include <string>

#include "core/util/status_macros.h"

namespace fixpoint::runtime::ref {
namespace {

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Reads an ints attribute of nspatial (or 2*nspatial when `twice`) positive
// (non-negative when `allow_zero`) values, defaulting to `dflt` repeated.
absl::StatusOr<std::vector<int64_t>> SpatialInts(const KernelContext& ctx, const char* name,
                                                 int nsp, int64_t dflt, bool twice,
                                                 bool allow_zero) {
  const size_t want = static_cast<size_t>(twice ? 2 * nsp : nsp);
  FP_ASSIGN_OR_RETURN(std::vector<int64_t> v,
                      ctx.node.GetInts(name, std::vector<int64_t>(want, dflt)));
  if (v.size() != want) {
    return InvalidArg(ctx, "attribute '", name, "' has ", v.size(), " values, expected ", want);
  }
  for (int64_t e : v) {
    if (e < 0 || (e == 0 && !allow_zero)) {
      return InvalidArg(ctx, "attribute '", name, "' has invalid value ", e);
    }
  }
  return v;
}

// Begin pad from the total padding of one dim, by ONNX's auto_pad rules
// (floor division: a negative total means extra output at the end).
int64_t BeginPad(const std::string& auto_pad, int64_t total) {
  return auto_pad == "SAME_UPPER" ? FloorDiv(total, 2) : total - FloorDiv(total, 2);
}

}  // namespace

absl::StatusOr<Window> ResolveWindow(const KernelContext& ctx, const ir::Shape& x,
                                     const ir::Shape& y, const std::vector<int64_t>& kernel,
                                     bool transposed) {
  const int nsp = x.rank() - 2;
  if (nsp < 1 || nsp > 3) return Unimplemented(ctx, "only 1-3 spatial dims are supported");
  if (y.rank() != x.rank()) return InvalidArg(ctx, "output rank differs from input rank");
  if (static_cast<int>(kernel.size()) != nsp) return InvalidArg(ctx, "kernel rank mismatch");
  FP_ASSIGN_OR_RETURN(auto strides, SpatialInts(ctx, "strides", nsp, 1, false, false));
  FP_ASSIGN_OR_RETURN(auto dilations, SpatialInts(ctx, "dilations", nsp, 1, false, false));
  FP_ASSIGN_OR_RETURN(auto out_pad, SpatialInts(ctx, "output_padding", nsp, 0, false, true));
  FP_ASSIGN_OR_RETURN(const std::string auto_pad, ctx.node.GetString("auto_pad", "NOTSET"));
  const bool same = auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER";
  if (!same && auto_pad != "NOTSET" && auto_pad != "VALID") {
    return InvalidArg(ctx, "unknown auto_pad '", auto_pad, "'");
  }
  std::vector<int64_t> pads(2 * nsp, 0);
  if (auto_pad == "NOTSET" && ctx.node.HasAttr("pads")) {
    FP_ASSIGN_OR_RETURN(pads, ctx.node.GetInts("pads", {}));
    if (pads.size() != static_cast<size_t>(2 * nsp)) {
      return InvalidArg(ctx, "attribute 'pads' needs ", 2 * nsp, " values");
    }
  }
  // ConvTranspose with output_shape and no pads derives pads like SAME.
  const bool derive = same || (transposed && auto_pad == "NOTSET" && !ctx.node.HasAttr("pads") &&
                               ctx.node.HasAttr("output_shape"));
  Window w;
  w.nspatial = nsp;
  for (int i = 0; i < nsp; ++i) {
    const int d = 3 - nsp + i;
    w.in[d] = x.dim(2 + i);
    w.out[d] = y.dim(2 + i);
    w.kernel[d] = kernel[i];
    w.stride[d] = strides[i];
    w.dilation[d] = dilations[i];
    w.pad_begin[d] = pads[i];
    w.pad_end[d] = pads[nsp + i];
    if (derive) {
      const int64_t span = (kernel[i] - 1) * dilations[i] + 1;
      int64_t total = transposed ? strides[i] * (w.in[d] - 1) + out_pad[i] + span - w.out[d]
                                 : (w.out[d] - 1) * strides[i] + span - w.in[d];
      if (!transposed) total = std::max<int64_t>(total, 0);
      w.pad_begin[d] = BeginPad(transposed && !same ? "" : auto_pad, total);
      w.pad_end[d] = total - w.pad_begin[d];
    }
  }
  return w;
}

std::pair<int64_t, int64_t> ValidRange(int64_t out_len, int64_t in_len, int64_t stride,
                                       int64_t offset) {
  // o * stride + offset >= 0  <=>  o >= ceil(-offset / stride)
  const int64_t lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  // o * stride + offset <= in_len - 1
  const int64_t top = in_len - 1 - offset;
  const int64_t hi = top < 0 ? 0 : std::min(out_len, top / stride + 1);
  return {lo, std::max(lo, hi)};
}

}  // namespace fixpoint::runtime::ref
