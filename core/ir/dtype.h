// Element types of tensors in the IR. Thread-safe (pure functions).
#ifndef FIXPOINT_CORE_IR_DTYPE_H_
#define FIXPOINT_CORE_IR_DTYPE_H_

#include <cstddef>
#include <cstdint>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"

namespace fixpoint::ir {

enum class DType : uint8_t { kF32, kF16, kI8, kU8, kI32, kI64, kBool };

// Bytes per element.
size_t DTypeSize(DType t);
// Lower-case name: "f32", "f16", "i8", "u8", "i32", "i64", "bool".
absl::string_view DTypeName(DType t);
// Parses a name produced by DTypeName; INVALID_ARGUMENT otherwise.
absl::StatusOr<DType> ParseDType(absl::string_view name);

// IEEE half <-> float conversions (round to nearest even).
float HalfToFloat(uint16_t h);
uint16_t FloatToHalf(float f);

}  // namespace fixpoint::ir

#endif  // FIXPOINT_CORE_IR_DTYPE_H_
