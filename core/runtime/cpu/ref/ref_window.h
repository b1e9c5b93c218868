// Sliding-window geometry shared by the reference Conv, ConvTranspose and
// pooling kernels: attributes (kernel_shape, strides, dilations, pads,
// auto_pad, output_shape) resolved against concrete shapes, over 1-3 spatial
// dims normalized to exactly three. Thread-safe (pure).
#ifndef FIXPOINT_CORE_RUNTIME_CPU_REF_REF_WINDOW_H_
#define FIXPOINT_CORE_RUNTIME_CPU_REF_REF_WINDOW_H_

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "core/runtime/cpu/ref/ref_util.h"

namespace fixpoint::runtime::ref {

// Missing leading spatial dims have size 1, kernel 1, stride 1, dilation 1
// and no padding, so kernels loop over exactly three spatial dims.
struct Window {
  int nspatial = 0;
  std::array<int64_t, 3> in{1, 1, 1}, out{1, 1, 1}, kernel{1, 1, 1};
  std::array<int64_t, 3> stride{1, 1, 1}, dilation{1, 1, 1};
  std::array<int64_t, 3> pad_begin{0, 0, 0}, pad_end{0, 0, 0};

  int64_t InSize() const { return in[0] * in[1] * in[2]; }
  int64_t OutSize() const { return out[0] * out[1] * out[2]; }
  int64_t KernelSize() const { return kernel[0] * kernel[1] * kernel[2]; }
};

// Resolves the window of a node with input x [N, C, spatial...] and output y
// [N, M, spatial...]. `kernel` is the spatial kernel (from kernel_shape or the
// weights). Pads come from `pads`, or from auto_pad SAME_UPPER/SAME_LOWER
// (VALID: none) computed against y's size; `transposed` selects
// ConvTranspose's rules (also honouring output_padding/output_shape).
// INVALID_ARGUMENT naming the node on malformed attributes.
absl::StatusOr<Window> ResolveWindow(const KernelContext& ctx, const ir::Shape& x,
                                     const ir::Shape& y, const std::vector<int64_t>& kernel,
                                     bool transposed);

// The output positions o in [0, out_len) whose input position
// o * stride + offset lies in [0, in_len), as [first, last + 1).
std::pair<int64_t, int64_t> ValidRange(int64_t out_len, int64_t in_len, int64_t stride,
                                       int64_t offset);

}  // namespace fixpoint::runtime::ref

#endif  // FIXPOINT_CORE_RUNTIME_CPU_REF_REF_WINDOW_H_
