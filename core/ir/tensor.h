// Dense row-major tensors: `Tensor` owns its (64-byte aligned) bytes,
// `TensorView` borrows them. Thread-compatible: concurrent reads are safe.
#ifndef FIXPOINT_CORE_IR_TENSOR_H_
#define FIXPOINT_CORE_IR_TENSOR_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "core/ir/dtype.h"
#include "core/ir/shape.h"

namespace fixpoint::ir {

// Non-owning view. The viewed memory must outlive the view.
struct TensorView {
  DType dtype = DType::kF32;
  Shape shape;
  void* data = nullptr;

  int64_t NumElements() const { return shape.NumElements(); }
  size_t ByteSize() const { return static_cast<size_t>(NumElements()) * DTypeSize(dtype); }
  template <typename T>
  T* As() const { return static_cast<T*>(data); }
};

class Tensor {
 public:
  Tensor() = default;
  // Zero-filled tensor of a static shape.
  Tensor(DType dtype, Shape shape);
  Tensor(const Tensor& other);
  Tensor& operator=(const Tensor& other);
  Tensor(Tensor&&) noexcept = default;
  Tensor& operator=(Tensor&&) noexcept = default;

  // Copies `values` into a new f32/i64/... tensor; values.size() must equal
  // the shape's element count.
  static Tensor FromF32(Shape shape, std::span<const float> values);
  static Tensor FromI64(Shape shape, std::span<const int64_t> values);
  // Copies the bytes a view points at.
  static Tensor CopyOf(const TensorView& view);

  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int64_t NumElements() const { return shape_.NumElements(); }
  size_t ByteSize() const { return byte_size_; }
  bool empty() const { return data_ == nullptr; }

  void* raw() { return data_.get(); }
  const void* raw() const { return data_.get(); }
  template <typename T>
  T* data() { return reinterpret_cast<T*>(data_.get()); }
  template <typename T>
  const T* data() const { return reinterpret_cast<const T*>(data_.get()); }

  // A view sharing this tensor's memory (const_cast: views are untyped by
  // constness; callers that got a const Tensor must not write through it).
  TensorView view() const { return TensorView{dtype_, shape_, const_cast<std::byte*>(data_.get())}; }
  // Same bytes, new shape with equal element count (checked by the caller).
  void Reshape(Shape shape) { shape_ = std::move(shape); }

  // Element as double (any dtype); i is a flat row-major index.
  double GetAsDouble(int64_t i) const;
  // "f32[1,3] {1, 2, 3}" with at most `max_values` values.
  std::string DebugString(int max_values = 8) const;

 private:
  struct AlignedFree {
    void operator()(std::byte* p) const;
  };
  DType dtype_ = DType::kF32;
  Shape shape_;
  size_t byte_size_ = 0;
  std::unique_ptr<std::byte[], AlignedFree> data_;
};

}  // namespace fixpoint::ir

#endif  // FIXPOINT_CORE_IR_TENSOR_H_
