// Internal to core/transform: small rank-0/1 tensors whose elements are
// numbers, symbols (a dynamic dim) or unknown, and the arithmetic
// fold_shape_constants.cc applies to them. The per-number arithmetic
// (ApplyBinary) is shared with fold_constants.cc so both folders round and
// refuse alike. Thread-safe (value types, pure functions).
#ifndef FIXPOINT_CORE_TRANSFORM_FOLD_SHAPE_CONSTANTS_VALUES_H_
#define FIXPOINT_CORE_TRANSFORM_FOLD_SHAPE_CONSTANTS_VALUES_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/strings/string_view.h"
#include "core/ir/tensor.h"

namespace fixpoint::transform::fold {

// Largest value the folder tracks, elements.
inline constexpr int64_t kMaxElements = 1024;

// The arithmetic binary ops both folders evaluate.
enum class BinaryOp : uint8_t { kAdd, kSub, kMul, kDiv };
// "Add", "Sub", "Mul", "Div"; nullopt for anything else.
std::optional<BinaryOp> ParseBinaryOp(absl::string_view op);
// `a op b` rounded to what a tensor of `dtype` (f32, i32 or i64) holds;
// integer Div truncates toward zero. nullopt (do not fold) for an integer
// division by zero and for an integer result that is out of range or, for
// i64, not exact in a double (|x| >= 2^53). Operands are exact values of
// that dtype. For f32 the double result rounded once to float equals the
// float operation (53 >= 2 * 24 + 2 bits: double rounding is innocuous).
std::optional<double> ApplyBinary(BinaryOp op, double a, double b, ir::DType dtype);

// Writes v as element i of t (f32, i32, or i64 for any other dtype).
void StoreNumber(ir::Tensor& t, int64_t i, double v);

struct Elem {
  enum class Kind : uint8_t { kNumber, kSymbol, kUnknown };
  Kind kind = Kind::kUnknown;
  double number = 0;   // kNumber (exact for |x| < 2^53; shape values are small)
  int64_t symbol = 0;  // kSymbol: id of a dynamic dim, > 0

  static Elem Number(double v) { return {Kind::kNumber, v, 0}; }
  static Elem Symbol(int64_t s) { return {Kind::kSymbol, 0, s}; }
  static Elem Unknown() { return {}; }
  bool is_number() const { return kind == Kind::kNumber; }
  bool is_symbol() const { return kind == Kind::kSymbol; }
};

struct Value {
  ir::DType dtype = ir::DType::kI64;  // i64, i32 or f32
  bool scalar = false;                // rank 0 (else rank 1)
  std::vector<Elem> elems;

  bool AllNumbers() const;
  // The tensor of an all-number value.
  ir::Tensor ToTensor() const;
};

// A constant tensor as a value; nullopt unless rank <= 1, at most
// kMaxElements, dtype i64/i32/f32.
std::optional<Value> FromTensor(const ir::Tensor& t);

// Gather along axis 0 of rank-1 `data` with constant `indices`.
std::optional<Value> Gather(const Value& data, const ir::Tensor& indices);
// ONNX Slice of rank-1 `data` (axes must name axis 0 / -1).
std::optional<Value> Slice(const Value& data, const std::vector<int64_t>& starts,
                           const std::vector<int64_t>& ends, const std::vector<int64_t>& axes,
                           const std::vector<int64_t>& steps);
std::optional<Value> Concat(const std::vector<const Value*>& parts);
// Scalar -> [1] (axes [0] or [-1]).
std::optional<Value> Unsqueeze(const Value& v, const std::vector<int64_t>& axes);
// [1] -> scalar (axes empty, [0] or [-1]).
std::optional<Value> Squeeze(const Value& v, const std::vector<int64_t>& axes);
std::optional<Value> Cast(const Value& v, ir::DType to);
// op is "Add", "Sub", "Mul", "Div", with numpy broadcasting of rank <= 1.
std::optional<Value> Binary(absl::string_view op, const Value& a, const Value& b);
// Elementwise negation (a negated symbol is unknown).
std::optional<Value> Negate(const Value& v);
// op is "Floor" or "Ceil" (f32 only).
std::optional<Value> Rounding(absl::string_view op, const Value& v);

}  // namespace fixpoint::transform::fold

#endif  // FIXPOINT_CORE_TRANSFORM_FOLD_SHAPE_CONSTANTS_VALUES_H_
