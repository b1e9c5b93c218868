// Reference Cast between every IR dtype (f32, f16, i8, u8, i32, i64, bool).
// Float -> integer truncates toward zero and saturates (NaN -> 0); integer ->
// integer wraps as C++ does; anything -> bool is "nonzero" (NaN -> true).
#include <string>

#include "core/runtime/cpu/ref/ref_kernels.h"
#include "core/util/status_macros.h"

namespace fixpoint::runtime::ref {
namespace {

// f16 storage, distinct from uint16_t for dispatch.
struct Half {
  uint16_t bits;
};

template <typename Fn>
KernelOr VisitCastType(const KernelContext& ctx, ir::DType t, Fn&& fn) {
  if (t == ir::DType::kF16) return fn(Tag<Half>{});
  return VisitDType(ctx, t, std::forward<Fn>(fn));
}

// Source element as a double (floats) or int64 (integers, bool).
template <typename S>
auto Load(const S& v) {
  if constexpr (std::is_same_v<S, Half>) {
    return static_cast<double>(ir::HalfToFloat(v.bits));
  } else if constexpr (std::is_same_v<S, bool>) {
    // Read the byte: tolerate non-canonical bool bytes.
    return static_cast<int64_t>(reinterpret_cast<const uint8_t&>(v) != 0);
  } else if constexpr (kIsFloat<S>) {
    return static_cast<double>(v);
  } else {
    return static_cast<int64_t>(v);
  }
}

template <typename D, typename V>
D Store(V v) {
  if constexpr (std::is_same_v<D, Half>) {
    return Half{ir::FloatToHalf(static_cast<float>(v))};
  } else if constexpr (std::is_same_v<D, bool>) {
    return v != 0;  // NaN != 0 too
  } else if constexpr (std::is_floating_point_v<V>) {
    return FromDouble<D>(v);
  } else {
    return static_cast<D>(v);  // integer -> integer/float: C++ (modular) conversion
  }
}

template <typename S, typename D>
RunFn CastFn() {
  return [](const KernelArgs& args) {
    const S* x = args.inputs[0].As<const S>();
    D* y = args.outputs[0].As<D>();
    const int64_t n = args.outputs[0].NumElements();
    for (int64_t i = 0; i < n; ++i) y[i] = Store<D>(Load(x[i]));
    return absl::OkStatus();
  };
}

}  // namespace

KernelOr CreateCast(const KernelContext& ctx) {
  FP_RETURN_IF_ERROR(CheckArity(ctx, 1, 1));
  FP_ASSIGN_OR_RETURN(const std::string to, ctx.node.GetString("to", ""));
  absl::StatusOr<ir::DType> parsed = ir::ParseDType(to);
  if (!parsed.ok()) return InvalidArg(ctx, "attribute 'to': ", parsed.status().message());
  const ir::DType dst = *parsed;
  if (ctx.output_infos[0].dtype != dst) {
    return InvalidArg(ctx, "output dtype ", ir::DTypeName(ctx.output_infos[0].dtype),
                      " differs from to='", to, "'");
  }
  const ir::DType src = ctx.input_infos[0].dtype;
  return VisitCastType(ctx, src, [&]<typename S>(Tag<S>) -> KernelOr {
    return VisitCastType(
        ctx, dst, [&]<typename D>(Tag<D>) -> KernelOr { return MakeKernel(CastFn<S, D>()); });
  });
}

}  // namespace fixpoint::runtime::ref
