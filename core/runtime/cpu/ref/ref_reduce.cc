// Reference Reduce* (f32, i8, u8, i32, i64; axes, keepdims,
// noop_with_empty_axes) and ArgMax/ArgMin (axis, keepdims,
// select_last_index). Float reductions accumulate in double; integer sums
// and products in wrapping int64; Max/Min propagate NaN as numpy does.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "core/runtime/cpu/ref/ref_kernels.h"
#include "core/util/status_macros.h"

namespace fixpoint::runtime::ref {
namespace {

enum class Op { kSum, kMean, kMax, kMin, kProd, kL1, kL2, kSumSquare, kLogSumExp };

absl::StatusOr<Op> ParseOp(const KernelContext& ctx) {
  static const std::pair<const char*, Op> kOps[] = {{"ReduceSum", Op::kSum},
                                                    {"ReduceMean", Op::kMean},
                                                    {"ReduceMax", Op::kMax},
                                                    {"ReduceMin", Op::kMin},
                                                    {"ReduceProd", Op::kProd},
                                                    {"ReduceL1", Op::kL1},
                                                    {"ReduceL2", Op::kL2},
                                                    {"ReduceSumSquare", Op::kSumSquare},
                                                    {"ReduceLogSumExp", Op::kLogSumExp}};
  for (const auto& [name, op] : kOps) {
    if (ctx.node.op_type == name) return op;
  }
  return InvalidArg(ctx, "not a reduction");
}

// Input dims split into kept (output order) and reduced, each merged where
// contiguous. Both lists have at least one (possibly size-1) dim.
struct ReduceGeometry {
  std::vector<int64_t> kept_dims, kept_strides, red_dims, red_strides;
  int64_t red_count = 1;
  Op op = Op::kSum;
};

void AppendMerged(std::vector<int64_t>& dims, std::vector<int64_t>& strides, int64_t d, int64_t s) {
  if (d == 1) return;
  if (!dims.empty() && strides.back() == s * d) {
    dims.back() *= d;
    strides.back() = s;
  } else {
    dims.push_back(d);
    strides.push_back(s);
  }
}

ReduceGeometry MakeGeometry(const ir::Shape& x, const std::vector<bool>& reduced) {
  ReduceGeometry g;
  const std::vector<int64_t> strides = ir::RowMajorStrides(x);
  for (int d = 0; d < x.rank(); ++d) {
    if (reduced[d]) {
      AppendMerged(g.red_dims, g.red_strides, x.dim(d), strides[d]);
      g.red_count *= x.dim(d);
    } else {
      AppendMerged(g.kept_dims, g.kept_strides, x.dim(d), strides[d]);
    }
  }
  for (auto* v : {&g.kept_dims, &g.kept_strides, &g.red_dims, &g.red_strides}) {
    if (v->empty()) v->push_back(v == &g.kept_dims || v == &g.red_dims ? 1 : 0);
  }
  return g;
}

// Calls fn(v) for every element reduced into the output element at `base`.
template <typename T, typename Fn>
void VisitReduced(const ReduceGeometry& g, const T* base, Fn&& fn) {
  if (g.red_count == 0) return;
  const int r = static_cast<int>(g.red_dims.size());
  const int64_t n = g.red_dims[r - 1], s = g.red_strides[r - 1];
  std::vector<int64_t> idx(r, 0);
  do {
    const T* p = base;
    for (int d = 0; d + 1 < r; ++d) p += idx[d] * g.red_strides[d];
    for (int64_t i = 0; i < n; ++i) fn(p[i * s]);
  } while (NextIndex(idx, g.red_dims, r - 1));
}

// Max or Min; NaN wins once seen.
template <typename T>
T ReduceExtreme(const ReduceGeometry& g, const T* base) {
  const bool is_max = g.op == Op::kMax;
  T m = is_max ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max();
  if constexpr (kIsFloat<T>) m = is_max ? -INFINITY : INFINITY;
  [[maybe_unused]] bool nan = false;
  VisitReduced(g, base, [&](T v) {
    if constexpr (kIsFloat<T>) {
      if (std::isnan(v)) nan = true;
    }
    if (is_max ? v > m : v < m) m = v;
  });
  if constexpr (kIsFloat<T>) {
    if (nan) return std::numeric_limits<T>::quiet_NaN();
  }
  return m;
}

template <typename T>
T ReduceOne(const ReduceGeometry& g, const T* base) {
  using Acc = std::conditional_t<kIsFloat<T>, double, int64_t>;
  auto out = [](Acc a) { return static_cast<T>(a); };
  Acc s = 0;
  switch (g.op) {
    case Op::kSum:
    case Op::kMean:
      if constexpr (kIsFloat<T>) {
        VisitReduced(g, base, [&](T v) { s += v; });
      } else {
        VisitReduced(g, base, [&](T v) { s = WrapAdd<int64_t>(s, v); });
      }
      if (g.op == Op::kSum) return out(s);
      if constexpr (!kIsFloat<T>) {
        if (g.red_count == 0) return 0;
      }
      return out(s / static_cast<Acc>(g.red_count));
    case Op::kSumSquare:
    case Op::kL1:
      VisitReduced(g, base, [&](T v) {
        const Acc a = static_cast<Acc>(v);
        if constexpr (kIsFloat<T>) {
          s += g.op == Op::kL1 ? std::fabs(a) : a * a;
        } else {
          s = WrapAdd(s, g.op == Op::kL1 ? (a < 0 ? WrapSub<int64_t>(0, a) : a) : WrapMul(a, a));
        }
      });
      return out(s);
    case Op::kProd: {
      Acc p = 1;
      if constexpr (kIsFloat<T>) {
        VisitReduced(g, base, [&](T v) { p *= v; });
      } else {
        VisitReduced(g, base, [&](T v) { p = WrapMul<int64_t>(p, v); });
      }
      return out(p);
    }
    case Op::kMax:
    case Op::kMin:
      return ReduceExtreme(g, base);
    case Op::kL2:
    case Op::kLogSumExp:
      break;
  }
  double mx = -INFINITY, d = 0;
  if (g.op == Op::kL2) {
    VisitReduced(g, base, [&](T v) { d += static_cast<double>(v) * static_cast<double>(v); });
    return FromDouble<T>(std::sqrt(d));
  }
  VisitReduced(g, base, [&](T v) { mx = std::max(mx, static_cast<double>(v)); });
  VisitReduced(g, base, [&](T v) { d += std::exp(static_cast<double>(v) - mx); });
  return FromDouble<T>(mx + std::log(d));
}

template <typename T>
RunFn ReduceFn(ReduceGeometry g) {
  return [g = std::move(g)](const KernelArgs& args) {
    const T* x = args.inputs[0].As<const T>();
    T* y = args.outputs[0].As<T>();
    if (args.outputs[0].NumElements() == 0) return absl::OkStatus();
    const int r = static_cast<int>(g.kept_dims.size());
    std::vector<int64_t> idx(r, 0);
    int64_t o = 0;
    do {
      int64_t base = 0;
      for (int d = 0; d < r; ++d) base += idx[d] * g.kept_strides[d];
      y[o++] = ReduceOne(g, x + base);
    } while (NextIndex(idx, g.kept_dims, r));
    return absl::OkStatus();
  };
}

// Which input dims a reduction covers; empty when it is a no-op.
absl::StatusOr<std::vector<bool>> ReducedDims(const KernelContext& ctx, int rank) {
  FP_ASSIGN_OR_RETURN(const std::vector<int64_t> axes, ctx.node.GetInts("axes", {}));
  FP_ASSIGN_OR_RETURN(const int64_t noop, ctx.node.GetInt("noop_with_empty_axes", 0));
  if (axes.empty() && noop != 0) return std::vector<bool>();
  std::vector<bool> reduced(rank, axes.empty());
  for (int64_t a : axes) {
    FP_ASSIGN_OR_RETURN(const int d, NormalizeAxis(ctx, a, rank));
    reduced[d] = true;
  }
  return reduced;
}

}  // namespace

KernelOr CreateReduce(const KernelContext& ctx) {
  FP_RETURN_IF_ERROR(CheckArity(ctx, 1, 1));
  FP_ASSIGN_OR_RETURN(const Op op, ParseOp(ctx));
  const ir::DType t = ctx.input_infos[0].dtype;
  const ir::Shape& x = ctx.input_infos[0].shape;
  if (ctx.output_infos[0].dtype != t) return InvalidArg(ctx, "output dtype must match input");
  FP_ASSIGN_OR_RETURN(const std::vector<bool> reduced, ReducedDims(ctx, x.rank()));
  int64_t kept = 1;
  for (int d = 0; d < x.rank(); ++d) kept *= reduced.empty() || !reduced[d] ? x.dim(d) : 1;
  if (ctx.output_infos[0].shape.NumElements() != kept) {
    return InvalidArg(ctx, "output shape ", ctx.output_infos[0].shape.ToString(),
                      " does not match the reduction of ", x.ToString());
  }
  if (reduced.empty()) {  // noop_with_empty_axes: identity
    return MakeKernel([](const KernelArgs& args) {
      const size_t bytes = args.outputs[0].ByteSize();
      if (bytes > 0) std::memcpy(args.outputs[0].data, args.inputs[0].data, bytes);
      return absl::OkStatus();
    });
  }
  ReduceGeometry g = MakeGeometry(x, reduced);
  g.op = op;
  return VisitDType(ctx, t, [&]<typename T>(Tag<T>) -> KernelOr {
    if constexpr (!kIsNumeric<T>) {
      return UnsupportedDType(ctx, t);
    } else {
      return MakeKernel(ReduceFn<T>(std::move(g)));
    }
  });
}

namespace {

struct ArgGeometry {
  int64_t outer = 1, n = 1, inner = 1;
  bool is_max = true, last = false;
};

template <typename T>
RunFn ArgFn(ArgGeometry g) {
  return [g](const KernelArgs& args) {
    const T* x = args.inputs[0].As<const T>();
    int64_t* y = args.outputs[0].As<int64_t>();
    for (int64_t o = 0; o < g.outer; ++o) {
      for (int64_t i = 0; i < g.inner; ++i) {
        const T* p = x + o * g.n * g.inner + i;
        int64_t best = 0;
        for (int64_t j = 1; j < g.n; ++j) {
          const T v = p[j * g.inner], b = p[best * g.inner];
          const bool better = g.is_max ? (g.last ? v >= b : v > b) : (g.last ? v <= b : v < b);
          if (better) best = j;
        }
        y[o * g.inner + i] = best;
      }
    }
    return absl::OkStatus();
  };
}

}  // namespace

KernelOr CreateArgMinMax(const KernelContext& ctx) {
  FP_RETURN_IF_ERROR(CheckArity(ctx, 1, 1));
  const ir::Shape& x = ctx.input_infos[0].shape;
  if (ctx.output_infos[0].dtype != ir::DType::kI64) return InvalidArg(ctx, "output must be i64");
  FP_ASSIGN_OR_RETURN(const int64_t axis_attr, ctx.node.GetInt("axis", 0));
  FP_ASSIGN_OR_RETURN(const int axis, NormalizeAxis(ctx, axis_attr, x.rank()));
  FP_ASSIGN_OR_RETURN(const int64_t last, ctx.node.GetInt("select_last_index", 0));
  ArgGeometry g;
  g.outer = Product(x.dims(), 0, axis);
  g.n = x.dim(axis);
  g.inner = Product(x.dims(), axis + 1, x.rank());
  g.is_max = ctx.node.op_type == "ArgMax";
  g.last = last != 0;
  if (g.n == 0) return InvalidArg(ctx, "cannot reduce an empty axis");
  if (ctx.output_infos[0].shape.NumElements() != g.outer * g.inner) {
    return InvalidArg(ctx, "output shape does not match");
  }
  const ir::DType t = ctx.input_infos[0].dtype;
  return VisitDType(ctx, t, [&]<typename T>(Tag<T>) -> KernelOr {
    if constexpr (!kIsNumeric<T>) {
      return UnsupportedDType(ctx, t);
    } else {
      return MakeKernel(ArgFn<T>(g));
    }
  });
}

}  // namespace fixpoint::runtime::ref
