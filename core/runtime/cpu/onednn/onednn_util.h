// Shared plumbing of the oneDNN fp32 kernels: the CPU engine, IR → oneDNN
// conversions, dnnl::error → absl::Status, fused-activation post-ops, and
// `PrimitiveSequenceKernel`, the one Kernel class every oneDNN op builds (a
// fixed list of primitives whose arguments are bound to the call's inputs,
// outputs, scratch regions or kernel-owned constants).
// Thread-safe: everything here is immutable after construction; Run creates
// its own stream and carves all mutable state out of the caller's scratch.
#ifndef FIXPOINT_CORE_RUNTIME_CPU_ONEDNN_ONEDNN_UTIL_H_
#define FIXPOINT_CORE_RUNTIME_CPU_ONEDNN_ONEDNN_UTIL_H_

#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/ir/graph.h"
#include "core/runtime/kernel.h"
#include "oneapi/dnnl/dnnl.hpp"

namespace fixpoint::runtime::onednn {

using Dims = dnnl::memory::dims;
using Desc = dnnl::memory::desc;

// The process's CPU engine. A stateless, thread-safe handle created on first
// use; shared deliberately (every primitive must name one engine, and CPU
// engines carry no per-model state), the one exception to "no globals".
const dnnl::engine& CpuEngine();

// Where an error happened: creating a kernel (oneDNN refusing a configuration
// becomes UNIMPLEMENTED so the engine falls back to the reference kernel) or
// running one (INTERNAL).
enum class Stage { kCreate, kRun };

// "<context>: oneDNN <status>: <what>" with a code chosen by stage and status.
absl::Status DnnlErrorToStatus(const dnnl::error& e, absl::string_view context, Stage stage);

// Calls fn() and turns any exception into a Status naming `context`; fn
// returns absl::Status or absl::StatusOr<T>. No exception escapes.
template <typename Fn>
auto CatchDnnl(absl::string_view context, Stage stage, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const dnnl::error& e) {
    return DnnlErrorToStatus(e, context, stage);
  } catch (const std::exception& e) {
    return absl::InternalError(std::string(context) + ": " + e.what());
  }
}

// UNIMPLEMENTED naming the node.
absl::Status Unsupported(const ir::Node& node, absl::string_view why);

// UNIMPLEMENTED unless every present input and output is f32 with at least
// one element (empty tensors and other dtypes go to the reference kernels).
absl::Status RequireF32(const KernelContext& ctx);

// Shape → dims; a scalar becomes {1}.
Dims ToDims(const ir::Shape& shape);
// Plain row-major f32 descriptor of `dims`.
Desc PlainDesc(const Dims& dims);
// Row-major f32 descriptor of `dims` over strides of `dims` (for views).
Desc StridedDesc(const Dims& dims, const Dims& strides);
// Descriptor of `dims` in `layout` (blocked layouts need rank 4).
Desc LayoutDesc(const Dims& dims, Layout layout,
                dnnl::memory::data_type dt = dnnl::memory::data_type::f32);
// Which Layout `desc` is (over `dims`, of desc's data type), or nullopt for
// any other format.
std::optional<Layout> LayoutOfDesc(const Desc& desc, const Dims& dims);
// oneDNN data type of an IR dtype (f32, i8, u8, i32); nullopt otherwise.
std::optional<dnnl::memory::data_type> DnnlType(ir::DType dtype);
// HasInt8DotProduct is declared in onednn_kernels.h.
// Attributes with scratchpad_mode::user (required for concurrent Run).
dnnl::primitive_attr UserScratchpadAttr();
// "onednn:" + the primitive descriptor's implementation name.
std::string ImplName(const dnnl::primitive_desc_base& pd);

// One elementwise operation in oneDNN terms.
struct EltwiseStep {
  dnnl::algorithm alg;
  float alpha = 0.0f;
  float beta = 0.0f;
};
// The oneDNN steps computing activation `op` (ONNX name: Relu, LeakyRelu,
// Clip, Sigmoid, Tanh, HardSigmoid, HardSwish, Elu, Exp, Abs, Sqrt, Log, Neg)
// with the op's alpha/beta (LeakyRelu/Elu alpha; Clip min/max; HardSigmoid
// alpha/beta). UNIMPLEMENTED for anything else.
absl::StatusOr<std::vector<EltwiseStep>> ActivationSteps(absl::string_view op, float alpha,
                                                         float beta);
// Appends eltwise post-ops for the node's `fused_activation`/`fused_alpha`/
// `fused_beta` attributes (nothing when absent); INVALID_ARGUMENT for an
// unknown activation.
absl::Status AppendFusedActivation(const ir::Node& node, dnnl::post_ops& ops);

// Where a primitive argument's memory comes from at Run time.
struct Binding {
  enum class Source { kInput, kOutput, kScratch, kOwned };
  int arg = 0;  // DNNL_ARG_*
  Source source = Source::kInput;
  int index = 0;      // kInput/kOutput: tensor index
  size_t offset = 0;  // kScratch: byte offset into the call's scratch
  Desc desc;          // all but kOwned
  dnnl::memory owned;  // kOwned: immutable memory held by the kernel

  static Binding Input(int arg, int index, const Desc& desc);
  static Binding Output(int arg, int index, const Desc& desc);
  static Binding Scratch(int arg, size_t offset, const Desc& desc);
  static Binding Owned(int arg, dnnl::memory memory);
};

// Builds a PrimitiveSequenceKernel. Scratch layout: [scratchpad shared by all
// steps | buffers reserved with ReserveBuffer], each 64-byte aligned.
class SequenceBuilder {
 public:
  explicit SequenceBuilder(const ir::Node& node);

  // Reserves a scratch buffer for `desc` and returns its offset.
  size_t ReserveBuffer(const Desc& desc);
  // Appends a primitive run after the previous ones. `pd` must have been
  // created with UserScratchpadAttr().
  void AddStep(const dnnl::primitive& primitive, const dnnl::primitive_desc_base& pd,
               std::vector<Binding> bindings);
  // The kernel, named `impl` (usually ImplName of the main primitive), writing
  // output i in output_layouts[i] (kPlain where absent).
  std::unique_ptr<Kernel> Build(std::string impl, std::vector<Layout> output_layouts = {}) &&;

 private:
  struct Step {
    dnnl::primitive primitive;
    Desc scratchpad;
    std::vector<Binding> bindings;
  };
  friend class PrimitiveSequenceKernel;

  std::string context_;
  std::vector<Step> steps_;
  size_t scratchpad_bytes_ = 0;
  size_t buffer_bytes_ = 0;  // relative to the end of the scratchpad
};

// Rounds up to a multiple of 64.
inline size_t AlignUp64(size_t n) { return (n + 63) / 64 * 64; }

}  // namespace fixpoint::runtime::onednn

#endif  // FIXPOINT_CORE_RUNTIME_CPU_ONEDNN_ONEDNN_UTIL_H_
