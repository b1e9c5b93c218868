// Reference kernels of the elementwise unary ops and Clip. Float math runs in
// double and rounds once to f32.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <utility>

#include "core/runtime/cpu/ref/ref_kernels.h"
#include "core/util/status_macros.h"

namespace fixpoint::runtime::ref {
namespace {

// y = f(x) over f32, computed in double.
template <typename F>
RunFn FloatUnary(F f) {
  return [f](const KernelArgs& args) {
    const float* x = args.inputs[0].As<const float>();
    float* y = args.outputs[0].As<float>();
    const int64_t n = args.outputs[0].NumElements();
    for (int64_t i = 0; i < n; ++i) y[i] = static_cast<float>(f(static_cast<double>(x[i])));
    return absl::OkStatus();
  };
}

template <typename T, typename F>
RunFn TypedUnary(F f) {
  return [f](const KernelArgs& args) {
    const T* x = args.inputs[0].As<const T>();
    T* y = args.outputs[0].As<T>();
    const int64_t n = args.outputs[0].NumElements();
    for (int64_t i = 0; i < n; ++i) y[i] = f(x[i]);
    return absl::OkStatus();
  };
}

double Sigmoid(double x) {
  // Stable for large |x|.
  if (x >= 0) return 1.0 / (1.0 + std::exp(-x));
  const double e = std::exp(x);
  return e / (1.0 + e);
}

double Softplus(double x) { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }

double SignOf(double x) { return x > 0 ? 1.0 : (x < 0 ? -1.0 : x); }

// The f32 function of a unary op; NOT_FOUND for an op without one.
absl::StatusOr<RunFn> FloatFn(const KernelContext& ctx) {
  const ir::Node& n = ctx.node;
  const std::string& op = n.op_type;
  if (op == "Relu")
    return FloatUnary([](double x) { return std::isnan(x) ? x : std::max(x, 0.0); });
  if (op == "LeakyRelu") {
    FP_ASSIGN_OR_RETURN(const double a, n.GetFloat("alpha", 0.01f));
    return FloatUnary([a](double x) { return x >= 0 ? x : a * x; });
  }
  if (op == "Sigmoid") return FloatUnary(Sigmoid);
  if (op == "HardSigmoid") {
    FP_ASSIGN_OR_RETURN(const double a, n.GetFloat("alpha", 0.2f));
    FP_ASSIGN_OR_RETURN(const double b, n.GetFloat("beta", 0.5f));
    return FloatUnary([a, b](double x) { return std::clamp(a * x + b, 0.0, 1.0); });
  }
  if (op == "HardSwish") {
    return FloatUnary([](double x) { return x * std::clamp(x / 6.0 + 0.5, 0.0, 1.0); });
  }
  if (op == "Tanh") return FloatUnary([](double x) { return std::tanh(x); });
  if (op == "Exp") return FloatUnary([](double x) { return std::exp(x); });
  if (op == "Log") return FloatUnary([](double x) { return std::log(x); });
  if (op == "Abs") return FloatUnary([](double x) { return std::fabs(x); });
  if (op == "Neg") return FloatUnary([](double x) { return -x; });
  if (op == "Sqrt") return FloatUnary([](double x) { return std::sqrt(x); });
  if (op == "Reciprocal") return FloatUnary([](double x) { return 1.0 / x; });
  if (op == "Floor") return FloatUnary([](double x) { return std::floor(x); });
  if (op == "Ceil") return FloatUnary([](double x) { return std::ceil(x); });
  if (op == "Sign") return FloatUnary(SignOf);
  if (op == "Sin") return FloatUnary([](double x) { return std::sin(x); });
  if (op == "Cos") return FloatUnary([](double x) { return std::cos(x); });
  if (op == "Erf") return FloatUnary([](double x) { return std::erf(x); });
  if (op == "Elu") {
    FP_ASSIGN_OR_RETURN(const double a, n.GetFloat("alpha", 1.0f));
    return FloatUnary([a](double x) { return x > 0 ? x : a * std::expm1(x); });
  }
  if (op == "Selu") {
    FP_ASSIGN_OR_RETURN(const double a, n.GetFloat("alpha", 1.67326319217681884765625f));
    FP_ASSIGN_OR_RETURN(const double g, n.GetFloat("gamma", 1.05070102214813232421875f));
    return FloatUnary([a, g](double x) { return g * (x > 0 ? x : a * std::expm1(x)); });
  }
  if (op == "Softplus") return FloatUnary(Softplus);
  if (op == "Softsign") return FloatUnary([](double x) { return x / (1.0 + std::fabs(x)); });
  return absl::NotFoundError(op);
}

// Integer forms (Relu Abs Neg Sign) and Not over bool.
template <typename T>
absl::StatusOr<RunFn> TypedFn(const KernelContext& ctx) {
  const std::string& op = ctx.node.op_type;
  if constexpr (std::is_same_v<T, bool>) {
    if (op == "Not") return TypedUnary<bool>([](bool x) { return !x; });
  } else if constexpr (std::is_signed_v<T>) {
    if (op == "Relu") return TypedUnary<T>([](T x) { return x > 0 ? x : T{0}; });
    if (op == "Abs") return TypedUnary<T>([](T x) { return x < 0 ? WrapSub(T{0}, x) : x; });
    if (op == "Neg") return TypedUnary<T>([](T x) { return WrapSub(T{0}, x); });
    if (op == "Sign") return TypedUnary<T>([](T x) { return T((x > 0) - (x < 0)); });
  } else {
    if (op == "Relu" || op == "Abs") return TypedUnary<T>([](T x) { return x; });
    if (op == "Sign") return TypedUnary<T>([](T x) { return T(x > 0); });
  }
  return UnsupportedDType(ctx, ctx.input_infos[0].dtype);
}

}  // namespace

KernelOr CreateUnary(const KernelContext& ctx) {
  FP_RETURN_IF_ERROR(CheckArity(ctx, 1, 1));
  const ir::DType t = ctx.input_infos[0].dtype;
  if (ctx.output_infos[0].dtype != t || ctx.output_infos[0].shape != ctx.input_infos[0].shape) {
    return InvalidArg(ctx, "output must match the input's dtype and shape");
  }
  if (t == ir::DType::kF32) {
    absl::StatusOr<RunFn> fn = FloatFn(ctx);
    if (fn.ok()) return MakeKernel(*std::move(fn));
    if (!absl::IsNotFound(fn.status())) return fn.status();
    return UnsupportedDType(ctx, t);
  }
  return VisitDType(ctx, t, [&]<typename T>(Tag<T>) -> KernelOr {
    if constexpr (kIsFloat<T>) {
      return UnsupportedDType(ctx, t);
    } else {
      FP_ASSIGN_OR_RETURN(RunFn fn, TypedFn<T>(ctx));
      return MakeKernel(std::move(fn));
    }
  });
}

KernelOr CreateClip(const KernelContext& ctx) {
  FP_RETURN_IF_ERROR(CheckArity(ctx, 1, 1));
  const ir::DType t = ctx.input_infos[0].dtype;
  if (ctx.output_infos[0].dtype != t) return InvalidArg(ctx, "output dtype must match input");
  const bool has_min = ctx.node.HasAttr("min"), has_max = ctx.node.HasAttr("max");
  FP_ASSIGN_OR_RETURN(const float lo, ctx.node.GetFloat("min", 0.0f));
  FP_ASSIGN_OR_RETURN(const float hi, ctx.node.GetFloat("max", 0.0f));
  return VisitDType(ctx, t, [&]<typename T>(Tag<T>) -> KernelOr {
    if constexpr (!kIsNumeric<T>) {
      return UnsupportedDType(ctx, t);
    } else {
      // Integer bounds: the tightest representable values inside [lo, hi].
      const T tlo = has_min ? FromDouble<T>(kIsFloat<T> ? lo : std::ceil(lo))
                            : std::numeric_limits<T>::lowest();
      const T thi = has_max ? FromDouble<T>(kIsFloat<T> ? hi : std::floor(hi))
                            : std::numeric_limits<T>::max();
      // As numpy.clip: min(max(x, lo), hi), so hi wins when lo > hi; NaN passes.
      return MakeKernel(TypedUnary<T>([tlo, thi](T x) {
        const T a = x < tlo ? tlo : x;
        return thi < a ? thi : a;
      }));
    }
  });
}

}  // namespace fixpoint::runtime::ref
