// Sliding-window geometry (Conv, MaxPool, AveragePool) read from a node's
// ONNX attributes into the form oneDNN wants. Thread-safe (pure functions).
#ifndef FIXPOINT_CORE_RUNTIME_CPU_ONEDNN_ONEDNN_WINDOW_H_
#define FIXPOINT_CORE_RUNTIME_CPU_ONEDNN_ONEDNN_WINDOW_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "core/ir/graph.h"

namespace fixpoint::runtime::onednn {

struct Window {
  std::vector<int64_t> kernel;
  std::vector<int64_t> strides;
  std::vector<int64_t> dilations;  // ONNX convention: 1 = dense
  std::vector<int64_t> pad_begin;
  std::vector<int64_t> pad_end;  // as the node says (before any ceil_mode extension)

  // Effective kernel extent of spatial dim i: (k - 1) * d + 1.
  int64_t Extent(size_t i) const { return (kernel[i] - 1) * dilations[i] + 1; }
  // oneDNN's dilation convention: 0 = dense.
  std::vector<int64_t> DnnlDilations() const;
};

// Reads kernel_shape (or takes `weight_kernel` when the attribute is absent;
// both must agree when present), strides, dilations, pads and auto_pad
// (SAME_UPPER/SAME_LOWER/VALID resolved against `out_spatial`) of `node`.
// INVALID_ARGUMENT naming the node when sizes disagree with the spatial rank.
absl::StatusOr<Window> ParseWindow(const ir::Node& node, const std::vector<int64_t>& in_spatial,
                                   const std::vector<int64_t>& out_spatial,
                                   const std::vector<int64_t>& weight_kernel);

// The end padding that makes floor-mode window arithmetic produce exactly
// `out_spatial` (covers ceil_mode): (out - 1) * stride + extent - in - begin.
std::vector<int64_t> EndPadForOutput(const Window& w, const std::vector<int64_t>& in_spatial,
                                     const std::vector<int64_t>& out_spatial);

}  // namespace fixpoint::runtime::onednn

#endif  // FIXPOINT_CORE_RUNTIME_CPU_ONEDNN_ONEDNN_WINDOW_H_
