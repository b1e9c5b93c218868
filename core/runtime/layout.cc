// Layout names and physical sizes (see Layout in kernel.h).
#include "core/runtime/kernel.h"

namespace fixpoint::runtime {

const char* LayoutName(Layout layout) {
  switch (layout) {
    case Layout::kPlain: return "plain";
    case Layout::kNhwc: return "nhwc";
    case Layout::kNChw8c: return "nChw8c";
    case Layout::kNChw16c: return "nChw16c";
  }
  return "?";
}

size_t PhysicalBytes(Layout layout, const ir::Shape& shape, ir::DType dtype) {
  const size_t elem = ir::DTypeSize(dtype);
  if (layout == Layout::kPlain || layout == Layout::kNhwc || shape.rank() < 2) {
    return static_cast<size_t>(shape.NumElements()) * elem;
  }
  const int64_t block = layout == Layout::kNChw8c ? 8 : 16;
  const int64_t channels = shape[1];
  if (channels == 0) return 0;
  const int64_t padded = (channels + block - 1) / block * block;
  return static_cast<size_t>(shape.NumElements() / channels * padded) * elem;
}

}  // namespace fixpoint::runtime
