#include "core/ir/dim_math.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace fixpoint::ir {

absl::Status CheckElementCount(const Shape& shape, absl::string_view what) {
  int64_t n = 1;
  bool zeros = false;
  for (int i = 0; i < shape.rank(); ++i) {
    const int64_t d = shape[i];
    zeros = zeros || d == 0;
    if (d <= 0) continue;  // dynamic or empty
    const std::optional<int64_t> next = CheckedMul(n, d);
    if (next && *next <= kMaxTensorElements) {
      n = *next;
      continue;
    }
    return absl::InvalidArgumentError(absl::StrCat(
        what, " ", shape.ToString(), " has more than 2^40 elements (dims 0..", i,
        zeros ? " without the zeros" : "",
        next ? absl::StrCat(" multiply to ", *next) : std::string(" overflow int64"), ")"));
  }
  return absl::OkStatus();
}

}  // namespace fixpoint::ir
