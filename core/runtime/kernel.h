// The kernel contract: one node bound to concrete input shapes. A backend
// (reference or oneDNN) provides a factory per op type; the engine calls it once
// per distinct input-shape signature (in practice, per batch size) and caches
// the result. Kernels are immutable after creation and Run is thread-safe:
// all per-call state lives in the caller-provided scratch.
#ifndef FIXPOINT_CORE_RUNTIME_KERNEL_H_
#define FIXPOINT_CORE_RUNTIME_KERNEL_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/ir/graph.h"

namespace fixpoint::runtime {

// Physical layout of a value between two kernels. The IR's logical layout is
// dense row-major (kPlain). The others are oneDNN formats of rank-4 f32
// activations [N, C, H, W]: channels-last (kNhwc) and channel blocks of 8 or
// 16 (kNChw8c / kNChw16c, dim 1 padded up to the block with zeros). Only
// layout-aware kernels (FindOneDnnKernel's table says which) ever see a
// non-plain input; the engine converts to kPlain for every other reader and
// for graph outputs.
enum class Layout : uint8_t { kPlain, kNhwc, kNChw8c, kNChw16c };

// "plain", "nhwc", "nChw8c", "nChw16c".
const char* LayoutName(Layout layout);
// Bytes a value of `shape` and `dtype` occupies in `layout`.
size_t PhysicalBytes(Layout layout, const ir::Shape& shape, ir::DType dtype);

// What a kernel factory sees. Shapes are concrete (no kDynamicDim). For an
// absent optional input, input_infos[i].name is empty. constants[i] is the
// value of input i when it is an initializer (weights), else nullptr.
struct KernelContext {
  const ir::Node& node;
  std::vector<ir::ValueInfo> input_infos;
  std::vector<ir::ValueInfo> output_infos;
  std::vector<const ir::Tensor*> constants;
  int64_t opset = 13;
  // Layout of each input; empty means all kPlain. Non-plain entries reach
  // layout-aware factories only, which return UNIMPLEMENTED for a layout
  // they cannot read (the engine then converts the input to kPlain).
  std::vector<Layout> input_layouts;

  Layout InputLayout(size_t i) const {
    return i < input_layouts.size() ? input_layouts[i] : Layout::kPlain;
  }
};

// Buffers of one call. inputs[i].data is nullptr for an absent input.
// outputs are preallocated with output_infos' shapes (contents undefined) and
// never alias inputs. scratch holds ScratchBytes() bytes, 64-byte aligned.
struct KernelArgs {
  std::span<const ir::TensorView> inputs;
  std::span<const ir::TensorView> outputs;
  void* scratch = nullptr;
};

class Kernel {
 public:
  virtual ~Kernel() = default;
  // Per-call scratch this kernel needs.
  virtual size_t ScratchBytes() const { return 0; }
  // Computes outputs from inputs. Thread-safe.
  virtual absl::Status Run(const KernelArgs& args) const = 0;
  // Implementation name for logs and benchmarks, e.g. "ref" or
  // "onednn:jit:avx2".
  virtual std::string Impl() const = 0;
  // Layout in which Run writes output i (buffers are PhysicalBytes-sized).
  virtual Layout OutputLayout(size_t i) const {
    (void)i;
    return Layout::kPlain;
  }
};

// Creates a kernel. A fast backend returns UNIMPLEMENTED for a configuration
// it does not handle (the engine then uses the reference kernel);
// INVALID_ARGUMENT means the node itself is malformed.
using KernelFactory = absl::StatusOr<std::unique_ptr<Kernel>> (*)(const KernelContext&);

}  // namespace fixpoint::runtime

#endif  // FIXPOINT_CORE_RUNTIME_KERNEL_H_
