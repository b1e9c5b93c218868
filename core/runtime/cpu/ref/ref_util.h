// Shared helpers of the reference ("oracle") kernels: a kernel wrapper around
// an immutable run function, error helpers, dtype dispatch, saturating
// conversions, broadcasting plans and index odometers.
// Thread-safe (pure functions and immutable values).
#ifndef FIXPOINT_CORE_RUNTIME_CPU_REF_REF_UTIL_H_
#define FIXPOINT_CORE_RUNTIME_CPU_REF_REF_UTIL_H_

#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "core/ir/graph.h"
#include "core/runtime/kernel.h"

namespace fixpoint::runtime::ref {

using KernelOr = absl::StatusOr<std::unique_ptr<Kernel>>;
// The body of a reference kernel. It captures only immutable, precomputed
// state, so calling it concurrently is safe.
using RunFn = std::function<absl::Status(const KernelArgs&)>;

// A kernel (Impl() "ref") that runs `fn` and needs `scratch_bytes` of scratch.
std::unique_ptr<Kernel> MakeKernel(RunFn fn, size_t scratch_bytes = 0);

template <typename... A>
absl::Status InvalidArg(const KernelContext& ctx, const A&... a) {
  return absl::InvalidArgumentError(absl::StrCat(ctx.node.Describe(), ": ", a...));
}
template <typename... A>
absl::Status Unimplemented(const KernelContext& ctx, const A&... a) {
  return absl::UnimplementedError(absl::StrCat(ctx.node.Describe(), ": ", a...));
}
// UNIMPLEMENTED: the reference kernel does not handle dtype `t`.
absl::Status UnsupportedDType(const KernelContext& ctx, ir::DType t);

// True when input i is present.
bool HasInput(const KernelContext& ctx, int i);
// INVALID_ARGUMENT unless inputs [0, min_inputs) are present, no input at or
// beyond max_inputs is present, and there are at least `min_outputs` outputs.
absl::Status CheckArity(const KernelContext& ctx, int min_inputs, int max_inputs,
                        int min_outputs = 1);
// INVALID_ARGUMENT unless input i has dtype `want`.
absl::Status CheckInputDType(const KernelContext& ctx, int i, ir::DType want);
// Maps axis in [-rank, rank) to [0, rank); INVALID_ARGUMENT otherwise.
absl::StatusOr<int> NormalizeAxis(const KernelContext& ctx, int64_t axis, int rank);
// Round half to even, independent of the FP environment (QuantizeLinear's
// and the integer ops' rounding); non-finite values pass through.
double RoundHalfEven(double x);
// Product of dims[begin, end).
int64_t Product(const std::vector<int64_t>& dims, int begin, int end);

// Advances a row-major multi-index over dims[0, n); false after the last one.
inline bool NextIndex(std::vector<int64_t>& idx, const std::vector<int64_t>& dims, int n) {
  for (int d = n - 1; d >= 0; --d) {
    if (++idx[d] < dims[d]) return true;
    idx[d] = 0;
  }
  return false;
}

template <typename T>
struct Tag {
  using type = T;
};
template <typename T>
inline constexpr bool kIsNumeric = !std::is_same_v<T, bool>;
template <typename T>
inline constexpr bool kIsFloat = std::is_floating_point_v<T>;

// Calls fn(Tag<T>{}) with T the element type of `t` (float, int8_t, uint8_t,
// int32_t, int64_t, bool). f16 has no arithmetic type here: UNIMPLEMENTED.
template <typename Fn>
auto VisitDType(const KernelContext& ctx, ir::DType t, Fn&& fn) -> decltype(fn(Tag<float>{})) {
  switch (t) {
    case ir::DType::kF32:
      return fn(Tag<float>{});
    case ir::DType::kI8:
      return fn(Tag<int8_t>{});
    case ir::DType::kU8:
      return fn(Tag<uint8_t>{});
    case ir::DType::kI32:
      return fn(Tag<int32_t>{});
    case ir::DType::kI64:
      return fn(Tag<int64_t>{});
    case ir::DType::kBool:
      return fn(Tag<bool>{});
    case ir::DType::kF16:
      break;
  }
  return UnsupportedDType(ctx, t);
}

// Calls fn(Tag<U>{}) with U an unsigned integer of `bytes` bytes (1, 2, 4, 8):
// for kernels that only move elements, whatever their dtype.
template <typename Fn>
auto VisitElementSize(size_t bytes, Fn&& fn) -> decltype(fn(Tag<uint8_t>{})) {
  switch (bytes) {
    case 2:
      return fn(Tag<uint16_t>{});
    case 4:
      return fn(Tag<uint32_t>{});
    case 8:
      return fn(Tag<uint64_t>{});
    default:
      return fn(Tag<uint8_t>{});
  }
}

// double -> T. Integers: truncation toward zero, saturated to T's range,
// NaN -> 0 (C++ leaves out-of-range conversions undefined). bool: nonzero.
template <typename T>
T FromDouble(double v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v != 0;
  } else if constexpr (kIsFloat<T>) {
    return static_cast<T>(v);
  } else {
    if (std::isnan(v)) return 0;
    if (v <= static_cast<double>(std::numeric_limits<T>::lowest())) {
      return std::numeric_limits<T>::lowest();
    }
    if (v >= static_cast<double>(std::numeric_limits<T>::max())) {
      return std::numeric_limits<T>::max();
    }
    return static_cast<T>(v);
  }
}

// Wrapping integer arithmetic (two's complement, no signed-overflow UB).
template <typename T>
T WrapAdd(T a, T b) {
  using U = std::make_unsigned_t<T>;
  return static_cast<T>(static_cast<U>(static_cast<U>(a) + static_cast<U>(b)));
}
template <typename T>
T WrapSub(T a, T b) {
  using U = std::make_unsigned_t<T>;
  return static_cast<T>(static_cast<U>(static_cast<U>(a) - static_cast<U>(b)));
}
template <typename T>
T WrapMul(T a, T b) {
  using U = std::make_unsigned_t<T>;
  // uint8/uint16 promote to int; widen to keep the product in range.
  using W = std::conditional_t<(sizeof(T) < sizeof(unsigned)), unsigned, U>;
  return static_cast<T>(
      static_cast<U>(static_cast<W>(static_cast<U>(a)) * static_cast<W>(static_cast<U>(b))));
}

// Numpy-style broadcasting of K inputs to one output shape, with adjacent
// dimensions merged where every input agrees on broadcast-or-not. The last
// dimension's stride of each input is 0 (broadcast) or 1.
struct BroadcastPlan {
  std::vector<int64_t> dims;                  // merged output dims (>= 1 dim)
  std::vector<std::vector<int64_t>> strides;  // [input][dim]; 0 = broadcast
  int64_t count = 0;                          // output elements
};

// INVALID_ARGUMENT unless every input broadcasts to `out`.
absl::StatusOr<BroadcastPlan> MakeBroadcastPlan(const KernelContext& ctx, const ir::Shape& out,
                                                const std::vector<ir::Shape>& inputs);

// Calls row(offsets, out_offset, n) for each innermost row of the plan, with
// offsets[k] the element offset of the row's first element in input k.
template <size_t K, typename Row>
void ForEachRow(const BroadcastPlan& p, Row&& row) {
  if (p.count == 0) return;
  const int r = static_cast<int>(p.dims.size());
  const int64_t n = p.dims[r - 1];
  std::vector<int64_t> idx(r, 0);
  int64_t out = 0;
  do {
    std::array<int64_t, K> off{};
    for (size_t k = 0; k < K; ++k) {
      for (int d = 0; d + 1 < r; ++d) off[k] += idx[d] * p.strides[k][d];
    }
    row(off, out, n);
    out += n;
  } while (NextIndex(idx, p.dims, r - 1));
}

}  // namespace fixpoint::runtime::ref

#endif  // FIXPOINT_CORE_RUNTIME_CPU_REF_REF_UTIL_H_
