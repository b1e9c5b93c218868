// Overflow-checked arithmetic on tensor dimensions, and the largest tensor a
// shape may describe. Shapes come from untrusted models (declared input dims,
// Reshape targets, pads, ...), so dims are combined only through these.
// Thread-safe (pure functions).
#ifndef FIXPOINT_CORE_IR_DIM_MATH_H_
#define FIXPOINT_CORE_IR_DIM_MATH_H_

#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "core/ir/shape.h"

namespace fixpoint::ir {

// Largest element count of one tensor: 2^40 (4 TiB of f32), far beyond any
// real model yet small enough that a few such counts add, and any count
// times a dtype size multiplies, without overflowing int64 or size_t.
inline constexpr int64_t kMaxTensorElements = int64_t{1} << 40;

// a + b, a - b and a * b, or nullopt when the result does not fit in int64.
inline std::optional<int64_t> CheckedAdd(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) return std::nullopt;
  return r;
}
inline std::optional<int64_t> CheckedSub(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_sub_overflow(a, b, &r)) return std::nullopt;
  return r;
}
inline std::optional<int64_t> CheckedMul(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
  return r;
}

// OK when the product of the static dims of `shape`, zero and dynamic dims
// counted as 1, is at most kMaxTensorElements. Counting a zero as 1 refuses
// an empty [0, 2^62, 2^62] too: its strides, and any arithmetic on its other
// dims, would still overflow. Otherwise INVALID_ARGUMENT
// "<what> [..] has more than 2^40 elements (dims 0..k multiply to N)"
// (or "... overflow int64)"; "dims 0..k without the zeros" if some are 0).
absl::Status CheckElementCount(const Shape& shape, absl::string_view what);

}  // namespace fixpoint::ir

#endif  // FIXPOINT_CORE_IR_DIM_MATH_H_
