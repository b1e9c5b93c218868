#include "core/ir/shape.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace fixpoint::ir {

bool Shape::IsStatic() const {
  for (int64_t d : dims_) {
    if (d < 0) return false;
  }
  return true;
}

int64_t Shape::NumElements() const {
  int64_t n = 1;
  bool zero = false, saturated = false;
  for (int64_t d : dims_) {
    if (d < 0) return -1;
    zero = zero || d == 0;
    if (!saturated && __builtin_mul_overflow(n, d, &n)) saturated = true;
  }
  if (zero) return 0;
  return saturated ? std::numeric_limits<int64_t>::max() : n;
}

std::string Shape::ToString() const {
  return absl::StrCat(
      "[",
      absl::StrJoin(dims_, ",",
                    [](std::string* out, int64_t d) {
                      absl::StrAppend(out, d < 0 ? std::string("?") : absl::StrCat(d));
                    }),
      "]");
}

std::vector<int64_t> RowMajorStrides(const Shape& shape) {
  std::vector<int64_t> strides(shape.rank(), 1);
  for (int i = shape.rank() - 2; i >= 0; --i) strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

}  // namespace fixpoint::ir
