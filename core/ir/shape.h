// Tensor shapes with an optional dynamic dimension (the batch, usually).
// Value type; thread-compatible.
#ifndef FIXPOINT_CORE_IR_SHAPE_H_
#define FIXPOINT_CORE_IR_SHAPE_H_

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace fixpoint::ir {

// A dimension whose size is only known at run time (ONNX dim_param, TF `?`).
inline constexpr int64_t kDynamicDim = -1;

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<int64_t> dims) : dims_(dims) {}
  explicit Shape(std::vector<int64_t> dims) : dims_(std::move(dims)) {}

  int rank() const { return static_cast<int>(dims_.size()); }
  int64_t dim(int i) const { return dims_[i]; }
  int64_t& operator[](int i) { return dims_[i]; }
  int64_t operator[](int i) const { return dims_[i]; }
  const std::vector<int64_t>& dims() const { return dims_; }
  std::vector<int64_t>& mutable_dims() { return dims_; }

  // True when no dimension is kDynamicDim.
  bool IsStatic() const;
  // Product of the dimensions (1 for a scalar, 0 if any is 0); -1 if any is
  // dynamic. Shapes that passed shape inference have at most
  // kMaxTensorElements (core/ir/dim_math.h); for any other shape a product
  // beyond int64 saturates at INT64_MAX, so "NumElements() > limit" still
  // refuses it.
  int64_t NumElements() const;
  // "[?,1,28,28]"; a scalar prints as "[]".
  std::string ToString() const;

  friend bool operator==(const Shape& a, const Shape& b) { return a.dims_ == b.dims_; }
  friend bool operator!=(const Shape& a, const Shape& b) { return !(a == b); }

 private:
  std::vector<int64_t> dims_;
};

// Row-major strides (in elements) of a static shape whose element count was
// checked (CheckElementCount in core/ir/dim_math.h, which every inferred
// shape passed): then no stride overflows.
std::vector<int64_t> RowMajorStrides(const Shape& shape);

}  // namespace fixpoint::ir

#endif  // FIXPOINT_CORE_IR_SHAPE_H_
