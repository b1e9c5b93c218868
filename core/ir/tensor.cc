#include "core/ir/tensor.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

#include "absl/strings/str_cat.h"

namespace fixpoint::ir {
namespace {

constexpr size_t kAlign = 64;

std::byte* AllocateZeroed(size_t bytes) {
  if (bytes > SIZE_MAX - kAlign) throw std::bad_alloc();  // the rounding would wrap
  const size_t rounded = (bytes + kAlign - 1) / kAlign * kAlign;
  void* p = std::aligned_alloc(kAlign, rounded == 0 ? kAlign : rounded);
  if (p == nullptr) throw std::bad_alloc();
  std::memset(p, 0, rounded == 0 ? kAlign : rounded);
  return static_cast<std::byte*>(p);
}

}  // namespace

void Tensor::AlignedFree::operator()(std::byte* p) const { std::free(p); }

Tensor::Tensor(DType dtype, Shape shape) : dtype_(dtype), shape_(std::move(shape)) {
  const int64_t n = shape_.NumElements();
  // Inferred shapes are far below this; a byte count that does not fit size_t
  // (e.g. a saturated NumElements) is an allocation that cannot succeed.
  if (n > 0 && static_cast<uint64_t>(n) > SIZE_MAX / DTypeSize(dtype_)) throw std::bad_alloc();
  byte_size_ = n < 0 ? 0 : static_cast<size_t>(n) * DTypeSize(dtype_);
  data_.reset(AllocateZeroed(byte_size_));
}

Tensor::Tensor(const Tensor& other)
    : dtype_(other.dtype_), shape_(other.shape_), byte_size_(other.byte_size_) {
  if (other.data_) {
    data_.reset(AllocateZeroed(byte_size_));
    std::memcpy(data_.get(), other.data_.get(), byte_size_);
  }
}

Tensor& Tensor::operator=(const Tensor& other) {
  if (this != &other) {
    Tensor copy(other);
    *this = std::move(copy);
  }
  return *this;
}

Tensor Tensor::FromF32(Shape shape, std::span<const float> values) {
  Tensor t(DType::kF32, std::move(shape));
  std::memcpy(t.raw(), values.data(), std::min(t.ByteSize(), values.size_bytes()));
  return t;
}

Tensor Tensor::FromI64(Shape shape, std::span<const int64_t> values) {
  Tensor t(DType::kI64, std::move(shape));
  std::memcpy(t.raw(), values.data(), std::min(t.ByteSize(), values.size_bytes()));
  return t;
}

Tensor Tensor::CopyOf(const TensorView& view) {
  Tensor t(view.dtype, view.shape);
  if (t.ByteSize() > 0) std::memcpy(t.raw(), view.data, t.ByteSize());
  return t;
}

double Tensor::GetAsDouble(int64_t i) const {
  const std::byte* p = data_.get();
  switch (dtype_) {
    case DType::kF32: return reinterpret_cast<const float*>(p)[i];
    case DType::kF16: return HalfToFloat(reinterpret_cast<const uint16_t*>(p)[i]);
    case DType::kI8: return reinterpret_cast<const int8_t*>(p)[i];
    case DType::kU8: return reinterpret_cast<const uint8_t*>(p)[i];
    case DType::kI32: return reinterpret_cast<const int32_t*>(p)[i];
    case DType::kI64: return static_cast<double>(reinterpret_cast<const int64_t*>(p)[i]);
    case DType::kBool: return reinterpret_cast<const uint8_t*>(p)[i] != 0;
  }
  return 0;
}

std::string Tensor::DebugString(int max_values) const {
  std::string s = absl::StrCat(DTypeName(dtype_), shape_.ToString(), " {");
  const int64_t n = NumElements();
  for (int64_t i = 0; i < n && i < max_values; ++i) {
    absl::StrAppend(&s, i ? ", " : "", GetAsDouble(i));
  }
  if (n > max_values) absl::StrAppend(&s, ", ...");
  return s + "}";
}

}  // namespace fixpoint::ir
