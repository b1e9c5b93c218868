#include "core/transform/fold_shape_constants_values.h"

#include <algorithm>
#include <cmath>

namespace fixpoint::transform::fold {
namespace {

// Integers beyond this are not exact in a double: stop folding there.
constexpr double kMaxExact = 9007199254740992.0;  // 2^53

bool IsInteger(ir::DType t) { return t == ir::DType::kI64 || t == ir::DType::kI32; }

// Rounds a computed number to what a tensor of `dtype` holds.
std::optional<double> Narrow(double v, ir::DType dtype) {
  if (!std::isfinite(v) && IsInteger(dtype)) return std::nullopt;
  switch (dtype) {
    case ir::DType::kF32:
      return static_cast<double>(static_cast<float>(v));
    case ir::DType::kI32:
      if (v < -2147483648.0 || v > 2147483647.0) return std::nullopt;
      return std::trunc(v);
    default:
      if (std::fabs(v) >= kMaxExact) return std::nullopt;
      return std::trunc(v);
  }
}

int64_t NormalizeAxis(int64_t axis, int64_t rank) { return axis < 0 ? axis + rank : axis; }

// One element of Add/Sub/Mul/Div; nullopt gives up on the whole value.
std::optional<Elem> BinaryElem(absl::string_view op, const Elem& a, const Elem& b,
                               ir::DType dtype) {
  if (a.is_number() && b.is_number()) {
    std::optional<BinaryOp> parsed = ParseBinaryOp(op);
    if (!parsed) return std::nullopt;
    std::optional<double> n = ApplyBinary(*parsed, a.number, b.number, dtype);
    if (!n) return std::nullopt;
    return Elem::Number(*n);
  }
  const bool mul = op == "Mul";
  if (mul && ((a.is_number() && a.number == 0) || (b.is_number() && b.number == 0))) {
    return Elem::Number(0);
  }
  if (a.is_symbol() && b.is_number()) {
    const bool neutral = (op == "Add" || op == "Sub") ? b.number == 0 : b.number == 1;
    return neutral ? a : Elem::Unknown();
  }
  if (a.is_number() && b.is_symbol()) {
    const bool neutral = (op == "Add" && a.number == 0) || (mul && a.number == 1);
    return neutral ? b : Elem::Unknown();
  }
  if (a.is_symbol() && b.is_symbol() && a.symbol == b.symbol) {
    if (op == "Sub") return Elem::Number(0);
    if (op == "Div") return Elem::Number(1);
  }
  return Elem::Unknown();
}

}  // namespace

std::optional<BinaryOp> ParseBinaryOp(absl::string_view op) {
  if (op == "Add") return BinaryOp::kAdd;
  if (op == "Sub") return BinaryOp::kSub;
  if (op == "Mul") return BinaryOp::kMul;
  if (op == "Div") return BinaryOp::kDiv;
  return std::nullopt;
}

std::optional<double> ApplyBinary(BinaryOp op, double a, double b, ir::DType dtype) {
  double r = 0;
  switch (op) {
    case BinaryOp::kAdd:
      r = a + b;
      break;
    case BinaryOp::kSub:
      r = a - b;
      break;
    case BinaryOp::kMul:
      r = a * b;
      break;
    case BinaryOp::kDiv:
      if (b == 0 && IsInteger(dtype)) return std::nullopt;
      r = a / b;  // Narrow truncates integer quotients toward zero
      break;
  }
  return Narrow(r, dtype);
}

bool Value::AllNumbers() const {
  return std::all_of(elems.begin(), elems.end(), [](const Elem& e) { return e.is_number(); });
}

ir::Tensor Value::ToTensor() const {
  ir::Shape shape = scalar ? ir::Shape() : ir::Shape({static_cast<int64_t>(elems.size())});
  ir::Tensor t(dtype, std::move(shape));
  for (size_t i = 0; i < elems.size(); ++i) StoreNumber(t, static_cast<int64_t>(i), elems[i].number);
  return t;
}

void StoreNumber(ir::Tensor& t, int64_t i, double v) {
  switch (t.dtype()) {
    case ir::DType::kF32:
      t.data<float>()[i] = static_cast<float>(v);
      break;
    case ir::DType::kI32:
      t.data<int32_t>()[i] = static_cast<int32_t>(v);
      break;
    default:
      t.data<int64_t>()[i] = static_cast<int64_t>(v);
      break;
  }
}

std::optional<Value> FromTensor(const ir::Tensor& t) {
  const ir::DType d = t.dtype();
  if (t.shape().rank() > 1 || t.NumElements() > kMaxElements || t.NumElements() < 0) {
    return std::nullopt;
  }
  if (d != ir::DType::kI64 && d != ir::DType::kI32 && d != ir::DType::kF32) return std::nullopt;
  Value v{d, t.shape().rank() == 0, {}};
  for (int64_t i = 0; i < t.NumElements(); ++i) {
    if (d == ir::DType::kI64 && std::fabs(t.GetAsDouble(i)) >= kMaxExact) return std::nullopt;
    v.elems.push_back(Elem::Number(t.GetAsDouble(i)));
  }
  return v;
}

std::optional<Value> Gather(const Value& data, const ir::Tensor& indices) {
  auto idx = FromTensor(indices);
  if (data.scalar || !idx || !IsInteger(idx->dtype) || !idx->AllNumbers()) return std::nullopt;
  const int64_t n = static_cast<int64_t>(data.elems.size());
  Value out{data.dtype, idx->scalar, {}};
  for (const Elem& e : idx->elems) {
    const int64_t i = NormalizeAxis(static_cast<int64_t>(e.number), n);
    if (i < 0 || i >= n) return std::nullopt;
    out.elems.push_back(data.elems[i]);
  }
  return out;
}

std::optional<Value> Slice(const Value& data, const std::vector<int64_t>& starts,
                           const std::vector<int64_t>& ends, const std::vector<int64_t>& axes,
                           const std::vector<int64_t>& steps) {
  if (data.scalar || starts.size() != 1 || ends.size() != 1) return std::nullopt;
  if (!axes.empty() && (axes.size() != 1 || NormalizeAxis(axes[0], 1) != 0)) return std::nullopt;
  const int64_t step = steps.empty() ? 1 : steps[0];
  if (steps.size() > 1 || step == 0) return std::nullopt;
  const int64_t dim = static_cast<int64_t>(data.elems.size());
  int64_t start = starts[0] < 0 ? starts[0] + dim : starts[0];
  int64_t end = ends[0] < 0 ? ends[0] + dim : ends[0];
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
  } else {
    start = std::clamp<int64_t>(start, 0, dim - 1);
    end = std::clamp<int64_t>(end, -1, dim - 1);
  }
  Value out{data.dtype, false, {}};
  for (int64_t i = start; step > 0 ? i < end : i > end; i += step)
    out.elems.push_back(data.elems[i]);
  return out;
}

std::optional<Value> Concat(const std::vector<const Value*>& parts) {
  if (parts.empty()) return std::nullopt;
  Value out{parts[0]->dtype, false, {}};
  for (const Value* p : parts) {
    if (p->scalar || p->dtype != out.dtype) return std::nullopt;
    out.elems.insert(out.elems.end(), p->elems.begin(), p->elems.end());
  }
  if (static_cast<int64_t>(out.elems.size()) > kMaxElements) return std::nullopt;
  return out;
}

std::optional<Value> Unsqueeze(const Value& v, const std::vector<int64_t>& axes) {
  if (!v.scalar || axes.size() != 1 || (axes[0] != 0 && axes[0] != -1)) return std::nullopt;
  Value out = v;
  out.scalar = false;
  return out;
}

std::optional<Value> Squeeze(const Value& v, const std::vector<int64_t>& axes) {
  if (v.scalar || v.elems.size() != 1) return std::nullopt;
  if (!axes.empty() && (axes.size() != 1 || (axes[0] != 0 && axes[0] != -1))) return std::nullopt;
  Value out = v;
  out.scalar = true;
  return out;
}

std::optional<Value> Cast(const Value& v, ir::DType to) {
  if (to != ir::DType::kI64 && to != ir::DType::kI32 && to != ir::DType::kF32) return std::nullopt;
  Value out{to, v.scalar, {}};
  for (const Elem& e : v.elems) {
    if (!e.is_number()) {
      out.elems.push_back(e);  // dims are integers: exact in every target type
      continue;
    }
    auto n = Narrow(e.number, to);
    if (!n) return std::nullopt;
    out.elems.push_back(Elem::Number(*n));
  }
  return out;
}

std::optional<Value> Binary(absl::string_view op, const Value& a, const Value& b) {
  if (a.dtype != b.dtype) return std::nullopt;
  const size_t na = a.elems.size(), nb = b.elems.size();
  if (na != nb && na != 1 && nb != 1) return std::nullopt;
  Value out{a.dtype, a.scalar && b.scalar, {}};
  const size_t n = std::max(na, nb);
  if (na == 0 || nb == 0) return out;  // [0] op [1] is [0]
  for (size_t i = 0; i < n; ++i) {
    auto e = BinaryElem(op, a.elems[na == 1 ? 0 : i], b.elems[nb == 1 ? 0 : i], a.dtype);
    if (!e) return std::nullopt;
    out.elems.push_back(*e);
  }
  return out;
}

std::optional<Value> Negate(const Value& v) {
  Value out = v;
  for (Elem& e : out.elems) e = e.is_number() ? Elem::Number(-e.number) : Elem::Unknown();
  return out;
}

std::optional<Value> Rounding(absl::string_view op, const Value& v) {
  if (v.dtype != ir::DType::kF32) return std::nullopt;
  Value out = v;
  for (Elem& e : out.elems) {
    if (e.is_number()) e.number = op == "Floor" ? std::floor(e.number) : std::ceil(e.number);
  }
  return out;
}

}  // namespace fixpoint::transform::fold
