// Reference kernels of the broadcasting ops: arithmetic, comparisons, logic,
// the variadic Sum/Mean/Max/Min, Where and PRelu. Integer arithmetic wraps;
// integer division truncates toward zero and refuses a zero divisor at run
// time (INVALID_ARGUMENT).
#include <cmath>
#include <string>
#include <utility>

#include "core/runtime/cpu/ref/ref_kernels.h"
#include "core/util/status_macros.h"

namespace fixpoint::runtime::ref {
namespace {

// y = op(a, b) over a two-input broadcast plan.
template <typename A, typename B, typename Y, typename Op>
void RunBinary(const BroadcastPlan& p, const A* a, const B* b, Y* y, Op op) {
  const int64_t sa = p.strides[0].back(), sb = p.strides[1].back();
  ForEachRow<2>(p, [&](const std::array<int64_t, 2>& off, int64_t o, int64_t n) {
    const A* ar = a + off[0];
    const B* br = b + off[1];
    Y* yr = y + o;
    if (sa == 1 && sb == 1) {
      for (int64_t i = 0; i < n; ++i) yr[i] = op(ar[i], br[i]);
    } else if (sa == 1) {
      const B bv = br[0];
      for (int64_t i = 0; i < n; ++i) yr[i] = op(ar[i], bv);
    } else if (sb == 1) {
      const A av = ar[0];
      for (int64_t i = 0; i < n; ++i) yr[i] = op(av, br[i]);
    } else {
      const Y v = op(ar[0], br[0]);
      for (int64_t i = 0; i < n; ++i) yr[i] = v;
    }
  });
}

template <typename A, typename B, typename Y, typename Op>
RunFn BinaryFn(BroadcastPlan p, Op op) {
  return [p = std::move(p), op](const KernelArgs& args) {
    RunBinary(p, args.inputs[0].As<const A>(), args.inputs[1].As<const B>(),
              args.outputs[0].As<Y>(), op);
    return absl::OkStatus();
  };
}

template <typename T>
T Add(T a, T b) {
  if constexpr (kIsFloat<T>)
    return a + b;
  else
    return WrapAdd(a, b);
}
template <typename T>
T Mul(T a, T b) {
  if constexpr (kIsFloat<T>)
    return a * b;
  else
    return WrapMul(a, b);
}
// Max/Min propagate NaN, as numpy.maximum does.
template <typename T>
T Max(T a, T b) {
  if constexpr (kIsFloat<T>) {
    if (std::isnan(b)) return b;
  }
  return a < b ? b : a;
}
template <typename T>
T Min(T a, T b) {
  if constexpr (kIsFloat<T>) {
    if (std::isnan(b)) return b;
  }
  return b < a ? b : a;
}

template <typename T>
RunFn IntDivFn(BroadcastPlan p, std::string where) {
  return [p = std::move(p), where](const KernelArgs& args) -> absl::Status {
    const T* b = args.inputs[1].As<const T>();
    const int64_t nb = args.inputs[1].NumElements();
    for (int64_t i = 0; i < nb; ++i) {
      if (b[i] == 0) return absl::InvalidArgumentError(where + ": integer division by zero");
    }
    RunBinary(p, args.inputs[0].As<const T>(), b, args.outputs[0].As<T>(), [](T x, T y) {
      if constexpr (std::is_signed_v<T>) {
        if (y == T(-1)) return WrapSub(T{0}, x);  // INT_MIN / -1 wraps
      }
      return static_cast<T>(x / y);
    });
    return absl::OkStatus();
  };
}

template <typename T>
KernelOr CreateArith(const KernelContext& ctx, BroadcastPlan p) {
  const std::string& op = ctx.node.op_type;
  if (op == "Add") return MakeKernel(BinaryFn<T, T, T>(std::move(p), Add<T>));
  if (op == "Mul") return MakeKernel(BinaryFn<T, T, T>(std::move(p), Mul<T>));
  if (op == "Sub") {
    return MakeKernel(BinaryFn<T, T, T>(std::move(p), [](T a, T b) {
      if constexpr (kIsFloat<T>)
        return a - b;
      else
        return WrapSub(a, b);
    }));
  }
  if (op == "Div") {
    if constexpr (kIsFloat<T>) {
      return MakeKernel(BinaryFn<T, T, T>(std::move(p), [](T a, T b) { return a / b; }));
    } else {
      return MakeKernel(IntDivFn<T>(std::move(p), ctx.node.Describe()));
    }
  }
  // Pow: the exponent may have another numeric dtype; the result has X's.
  return VisitDType(ctx, ctx.input_infos[1].dtype, [&]<typename E>(Tag<E>) -> KernelOr {
    if constexpr (!kIsNumeric<E>) {
      return UnsupportedDType(ctx, ctx.input_infos[1].dtype);
    } else {
      return MakeKernel(BinaryFn<T, E, T>(std::move(p), [](T a, E b) {
        return FromDouble<T>(std::pow(static_cast<double>(a), static_cast<double>(b)));
      }));
    }
  });
}

template <typename T>
KernelOr CreateCompare(const KernelContext& ctx, BroadcastPlan p) {
  const std::string& op = ctx.node.op_type;
  if (op == "Equal") return MakeKernel(BinaryFn<T, T, bool>(std::move(p), std::equal_to<T>()));
  if (op == "Less") return MakeKernel(BinaryFn<T, T, bool>(std::move(p), std::less<T>()));
  if (op == "Greater") return MakeKernel(BinaryFn<T, T, bool>(std::move(p), std::greater<T>()));
  if (op == "LessOrEqual") {
    return MakeKernel(BinaryFn<T, T, bool>(std::move(p), std::less_equal<T>()));
  }
  return MakeKernel(BinaryFn<T, T, bool>(std::move(p), std::greater_equal<T>()));
}

KernelOr CreateLogic(const KernelContext& ctx, BroadcastPlan p) {
  const std::string& op = ctx.node.op_type;
  if (op == "And")
    return MakeKernel(BinaryFn<bool, bool, bool>(std::move(p), std::logical_and<>()));
  if (op == "Or") return MakeKernel(BinaryFn<bool, bool, bool>(std::move(p), std::logical_or<>()));
  return MakeKernel(BinaryFn<bool, bool, bool>(std::move(p), std::not_equal_to<bool>()));
}

enum class Family { kArith, kCompare, kLogic };

absl::StatusOr<Family> FamilyOf(const KernelContext& ctx) {
  const std::string& op = ctx.node.op_type;
  for (const char* a : {"Add", "Sub", "Mul", "Div", "Pow"}) {
    if (op == a) return Family::kArith;
  }
  for (const char* c : {"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"}) {
    if (op == c) return Family::kCompare;
  }
  for (const char* l : {"And", "Or", "Xor"}) {
    if (op == l) return Family::kLogic;
  }
  return InvalidArg(ctx, "not a binary op");
}

std::vector<ir::Shape> InputShapes(const KernelContext& ctx) {
  std::vector<ir::Shape> shapes;
  for (const ir::ValueInfo& v : ctx.input_infos) shapes.push_back(v.shape);
  return shapes;
}

}  // namespace

KernelOr CreateBinary(const KernelContext& ctx) {
  FP_RETURN_IF_ERROR(CheckArity(ctx, 2, 2));
  FP_ASSIGN_OR_RETURN(const Family family, FamilyOf(ctx));
  const ir::DType t = ctx.input_infos[0].dtype;
  const bool is_pow = ctx.node.op_type == "Pow";
  if (!is_pow) FP_RETURN_IF_ERROR(CheckInputDType(ctx, 1, t));
  const ir::DType want_out = family == Family::kArith ? t : ir::DType::kBool;
  if (ctx.output_infos[0].dtype != want_out) {
    return InvalidArg(ctx, "output dtype must be ", ir::DTypeName(want_out));
  }
  FP_ASSIGN_OR_RETURN(BroadcastPlan p,
                      MakeBroadcastPlan(ctx, ctx.output_infos[0].shape, InputShapes(ctx)));
  if (family == Family::kLogic) {
    if (t != ir::DType::kBool) return UnsupportedDType(ctx, t);
    return CreateLogic(ctx, std::move(p));
  }
  return VisitDType(ctx, t, [&]<typename T>(Tag<T>) -> KernelOr {
    if constexpr (!kIsNumeric<T>) {
      if (ctx.node.op_type == "Equal") return CreateCompare<T>(ctx, std::move(p));
      return UnsupportedDType(ctx, t);
    } else {
      if (family == Family::kCompare) return CreateCompare<T>(ctx, std::move(p));
      return CreateArith<T>(ctx, std::move(p));
    }
  });
}

namespace {

// Sum/Mean/Max/Min: y = in0 broadcast, then y = op(y, in_k) for k >= 1.
template <typename T, typename Op>
RunFn FoldFn(std::vector<BroadcastPlan> plans, Op op, bool mean) {
  return [plans = std::move(plans), op, mean](const KernelArgs& args) {
    T* y = args.outputs[0].As<T>();
    const T* x0 = args.inputs[0].As<const T>();
    ForEachRow<1>(plans[0], [&](const std::array<int64_t, 1>& off, int64_t o, int64_t n) {
      const int64_t s = plans[0].strides[0].back();
      for (int64_t i = 0; i < n; ++i) y[o + i] = x0[off[0] + i * s];
    });
    for (size_t k = 1; k < plans.size(); ++k) {
      RunBinary(plans[k], static_cast<const T*>(y), args.inputs[k].As<const T>(), y, op);
    }
    if (mean) {
      const int64_t n = args.outputs[0].NumElements();
      for (int64_t i = 0; i < n; ++i) y[i] = static_cast<T>(y[i] / static_cast<T>(plans.size()));
    }
    return absl::OkStatus();
  };
}

}  // namespace

KernelOr CreateVariadic(const KernelContext& ctx) {
  const int n = static_cast<int>(ctx.input_infos.size());
  FP_RETURN_IF_ERROR(CheckArity(ctx, n, n));
  if (n < 1) return InvalidArg(ctx, "needs at least one input");
  const ir::DType t = ctx.input_infos[0].dtype;
  for (int i = 1; i < n; ++i) FP_RETURN_IF_ERROR(CheckInputDType(ctx, i, t));
  const ir::Shape& out = ctx.output_infos[0].shape;
  std::vector<BroadcastPlan> plans;
  FP_ASSIGN_OR_RETURN(BroadcastPlan p0, MakeBroadcastPlan(ctx, out, {ctx.input_infos[0].shape}));
  plans.push_back(std::move(p0));
  for (int i = 1; i < n; ++i) {
    FP_ASSIGN_OR_RETURN(BroadcastPlan p,
                        MakeBroadcastPlan(ctx, out, {out, ctx.input_infos[i].shape}));
    plans.push_back(std::move(p));
  }
  const std::string& op = ctx.node.op_type;
  return VisitDType(ctx, t, [&]<typename T>(Tag<T>) -> KernelOr {
    if constexpr (!kIsNumeric<T>) {
      return UnsupportedDType(ctx, t);
    } else {
      if (op == "Max") return MakeKernel(FoldFn<T>(std::move(plans), Max<T>, false));
      if (op == "Min") return MakeKernel(FoldFn<T>(std::move(plans), Min<T>, false));
      if (op == "Mean" && !kIsFloat<T>) return UnsupportedDType(ctx, t);
      return MakeKernel(FoldFn<T>(std::move(plans), Add<T>, op == "Mean"));
    }
  });
}

KernelOr CreateWhere(const KernelContext& ctx) {
  FP_RETURN_IF_ERROR(CheckArity(ctx, 3, 3));
  FP_RETURN_IF_ERROR(CheckInputDType(ctx, 0, ir::DType::kBool));
  const ir::DType t = ctx.input_infos[1].dtype;
  FP_RETURN_IF_ERROR(CheckInputDType(ctx, 2, t));
  FP_ASSIGN_OR_RETURN(BroadcastPlan p,
                      MakeBroadcastPlan(ctx, ctx.output_infos[0].shape, InputShapes(ctx)));
  return VisitElementSize(ir::DTypeSize(t), [&]<typename U>(Tag<U>) -> KernelOr {
    return MakeKernel([p](const KernelArgs& args) {
      const uint8_t* c = args.inputs[0].As<const uint8_t>();
      const U* x = args.inputs[1].As<const U>();
      const U* y = args.inputs[2].As<const U>();
      U* out = args.outputs[0].As<U>();
      const int64_t sc = p.strides[0].back(), sx = p.strides[1].back(), sy = p.strides[2].back();
      ForEachRow<3>(p, [&](const std::array<int64_t, 3>& off, int64_t o, int64_t n) {
        for (int64_t i = 0; i < n; ++i) {
          out[o + i] = c[off[0] + i * sc] ? x[off[1] + i * sx] : y[off[2] + i * sy];
        }
      });
      return absl::OkStatus();
    });
  });
}

KernelOr CreatePRelu(const KernelContext& ctx) {
  FP_RETURN_IF_ERROR(CheckArity(ctx, 2, 2));
  const ir::DType t = ctx.input_infos[0].dtype;
  FP_RETURN_IF_ERROR(CheckInputDType(ctx, 1, t));
  if (ctx.output_infos[0].shape != ctx.input_infos[0].shape) {
    return InvalidArg(ctx, "slope must broadcast to X's shape");
  }
  FP_ASSIGN_OR_RETURN(BroadcastPlan p,
                      MakeBroadcastPlan(ctx, ctx.output_infos[0].shape, InputShapes(ctx)));
  return VisitDType(ctx, t, [&]<typename T>(Tag<T>) -> KernelOr {
    if constexpr (!kIsNumeric<T>) {
      return UnsupportedDType(ctx, t);
    } else {
      return MakeKernel(BinaryFn<T, T, T>(std::move(p), [](T x, T s) {
        if constexpr (std::is_unsigned_v<T>)
          return x;
        else
          return x < 0 ? Mul(x, s) : x;
      }));
    }
  });
}

}  // namespace fixpoint::runtime::ref
