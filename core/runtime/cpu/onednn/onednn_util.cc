#include "core/runtime/cpu/onednn/onednn_util.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <cstddef>
#include <unordered_map>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "core/transform/fuse_activations.h"
#include "core/util/status_macros.h"
#include "oneapi/dnnl/dnnl_debug.h"

namespace fixpoint::runtime::onednn {

const dnnl::engine& CpuEngine() {
  static const dnnl::engine* const engine = new dnnl::engine(dnnl::engine::kind::cpu, 0);
  return *engine;
}

absl::Status DnnlErrorToStatus(const dnnl::error& e, absl::string_view context, Stage stage) {
  const std::string msg =
      absl::StrCat(context, ": oneDNN ", dnnl_status2str(e.status), ": ", e.what());
  if (e.status == dnnl_out_of_memory) return absl::ResourceExhaustedError(msg);
  if (stage == Stage::kRun) return absl::InternalError(msg);
  // At creation oneDNN reports configurations it cannot do as unimplemented or
  // invalid_arguments (e.g. an unsupported broadcast); the reference kernel
  // then runs the node and judges whether it is malformed.
  if (e.status == dnnl_unimplemented || e.status == dnnl_invalid_arguments) {
    return absl::UnimplementedError(msg);
  }
  return absl::InternalError(msg);
}

absl::Status Unsupported(const ir::Node& node, absl::string_view why) {
  return absl::UnimplementedError(absl::StrCat(node.Describe(), ": oneDNN kernel: ", why));
}

absl::Status RequireF32(const KernelContext& ctx) {
  auto check = [&](const ir::ValueInfo& info, absl::string_view kind, size_t i) {
    if (info.dtype != ir::DType::kF32) {
      return Unsupported(ctx.node, absl::StrCat(kind, " ", i, " is ",
                                                ir::DTypeName(info.dtype), ", not f32"));
    }
    if (!info.shape.IsStatic() || info.shape.NumElements() <= 0) {
      return Unsupported(ctx.node, absl::StrCat(kind, " ", i, " has shape ",
                                                info.shape.ToString()));
    }
    return absl::OkStatus();
  };
  for (size_t i = 0; i < ctx.input_infos.size(); ++i) {
    if (ctx.input_infos[i].name.empty()) continue;  // absent optional input
    FP_RETURN_IF_ERROR(check(ctx.input_infos[i], "input", i));
  }
  if (ctx.output_infos.empty()) return Unsupported(ctx.node, "no outputs");
  for (size_t i = 0; i < ctx.output_infos.size(); ++i) {
    if (i > 0 && ctx.output_infos[i].name.empty()) continue;  // unused optional output
    FP_RETURN_IF_ERROR(check(ctx.output_infos[i], "output", i));
  }
  return absl::OkStatus();
}

Dims ToDims(const ir::Shape& shape) {
  if (shape.rank() == 0) return Dims{1};
  return Dims(shape.dims().begin(), shape.dims().end());
}

Desc PlainDesc(const Dims& dims) {
  Dims strides(dims.size(), 1);
  for (int i = static_cast<int>(dims.size()) - 2; i >= 0; --i) {
    strides[i] = strides[i + 1] * dims[i + 1];
  }
  return Desc(dims, dnnl::memory::data_type::f32, strides);
}

Desc StridedDesc(const Dims& dims, const Dims& strides) {
  return Desc(dims, dnnl::memory::data_type::f32, strides);
}

Desc LayoutDesc(const Dims& dims, Layout layout, dnnl::memory::data_type dt) {
  using tag = dnnl::memory::format_tag;
  switch (layout) {
    case Layout::kNhwc: return Desc(dims, dt, tag::nhwc);
    case Layout::kNChw8c: return Desc(dims, dt, tag::nChw8c);
    case Layout::kNChw16c: return Desc(dims, dt, tag::nChw16c);
    case Layout::kPlain: break;
  }
  Dims strides(dims.size(), 1);
  for (int i = static_cast<int>(dims.size()) - 2; i >= 0; --i) {
    strides[i] = strides[i + 1] * dims[i + 1];
  }
  return Desc(dims, dt, strides);
}

std::optional<Layout> LayoutOfDesc(const Desc& desc, const Dims& dims) {
  const dnnl::memory::data_type dt = desc.data_type();
  if (desc == LayoutDesc(dims, Layout::kPlain, dt)) return Layout::kPlain;
  if (dims.size() != 4) return std::nullopt;
  for (Layout l : {Layout::kNhwc, Layout::kNChw8c, Layout::kNChw16c}) {
    if (desc == LayoutDesc(dims, l, dt)) return l;
  }
  return std::nullopt;
}

std::optional<dnnl::memory::data_type> DnnlType(ir::DType dtype) {
  switch (dtype) {
    case ir::DType::kF32: return dnnl::memory::data_type::f32;
    case ir::DType::kI8: return dnnl::memory::data_type::s8;
    case ir::DType::kU8: return dnnl::memory::data_type::u8;
    case ir::DType::kI32: return dnnl::memory::data_type::s32;
    default: return std::nullopt;
  }
}

bool HasInt8DotProduct() {
  const dnnl::cpu_isa isa = dnnl::get_effective_cpu_isa();
  return isa == dnnl::cpu_isa::avx512_core_vnni || isa == dnnl::cpu_isa::avx512_core_bf16 ||
         isa == dnnl::cpu_isa::avx512_core_amx || isa == dnnl::cpu_isa::avx2_vnni;
}

dnnl::primitive_attr UserScratchpadAttr() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

std::string ImplName(const dnnl::primitive_desc_base& pd) {
  return absl::StrCat("onednn:", pd.impl_info_str());
}

absl::StatusOr<std::vector<EltwiseStep>> ActivationSteps(absl::string_view op, float alpha,
                                                         float beta) {
  using A = dnnl::algorithm;
  if (op == "Relu") return std::vector<EltwiseStep>{{A::eltwise_relu, 0.0f, 0.0f}};
  if (op == "LeakyRelu") return std::vector<EltwiseStep>{{A::eltwise_relu, alpha, 0.0f}};
  if (op == "Clip") return std::vector<EltwiseStep>{{A::eltwise_clip, alpha, beta}};
  if (op == "Sigmoid") return std::vector<EltwiseStep>{{A::eltwise_logistic, 0.0f, 0.0f}};
  if (op == "Tanh") return std::vector<EltwiseStep>{{A::eltwise_tanh, 0.0f, 0.0f}};
  // oneDNN 2.6 has no hardsigmoid: clip(alpha * x + beta, 0, 1).
  if (op == "HardSigmoid") {
    return std::vector<EltwiseStep>{{A::eltwise_linear, alpha, beta},
                                    {A::eltwise_clip, 0.0f, 1.0f}};
  }
  // 2.6's hardswish is x * relu6(x + 3) / 6, exactly ONNX's.
  if (op == "HardSwish") return std::vector<EltwiseStep>{{A::eltwise_hardswish, 0.0f, 0.0f}};
  if (op == "Elu") return std::vector<EltwiseStep>{{A::eltwise_elu, alpha, 0.0f}};
  if (op == "Exp") return std::vector<EltwiseStep>{{A::eltwise_exp, 0.0f, 0.0f}};
  if (op == "Abs") return std::vector<EltwiseStep>{{A::eltwise_abs, 0.0f, 0.0f}};
  if (op == "Sqrt") return std::vector<EltwiseStep>{{A::eltwise_sqrt, 0.0f, 0.0f}};
  if (op == "Log") return std::vector<EltwiseStep>{{A::eltwise_log, 0.0f, 0.0f}};
  if (op == "Neg") return std::vector<EltwiseStep>{{A::eltwise_linear, -1.0f, 0.0f}};
  return absl::UnimplementedError(absl::StrCat("no oneDNN eltwise for '", op, "'"));
}

absl::Status AppendFusedActivation(const ir::Node& node, dnnl::post_ops& ops) {
  if (!node.HasAttr(transform::kFusedActivation)) return absl::OkStatus();
  FP_ASSIGN_OR_RETURN(std::string act, node.GetString(transform::kFusedActivation, ""));
  FP_ASSIGN_OR_RETURN(float alpha, node.GetFloat(transform::kFusedAlpha, 0.0f));
  FP_ASSIGN_OR_RETURN(float beta, node.GetFloat(transform::kFusedBeta, 0.0f));
  if (act != "Relu" && act != "LeakyRelu" && act != "Clip" && act != "Sigmoid" &&
      act != "Tanh" && act != "HardSigmoid" && act != "HardSwish") {
    return absl::InvalidArgumentError(
        absl::StrCat(node.Describe(), ": unknown fused activation '", act, "'"));
  }
  FP_ASSIGN_OR_RETURN(std::vector<EltwiseStep> steps, ActivationSteps(act, alpha, beta));
  for (const EltwiseStep& s : steps) ops.append_eltwise(1.0f, s.alg, s.alpha, s.beta);
  return absl::OkStatus();
}

Binding Binding::Input(int arg, int index, const Desc& desc) {
  Binding b;
  b.arg = arg;
  b.source = Source::kInput;
  b.index = index;
  b.desc = desc;
  return b;
}

Binding Binding::Output(int arg, int index, const Desc& desc) {
  Binding b = Input(arg, index, desc);
  b.source = Source::kOutput;
  return b;
}

Binding Binding::Scratch(int arg, size_t offset, const Desc& desc) {
  Binding b;
  b.arg = arg;
  b.source = Source::kScratch;
  b.offset = offset;
  b.desc = desc;
  return b;
}

Binding Binding::Owned(int arg, dnnl::memory memory) {
  Binding b;
  b.arg = arg;
  b.source = Source::kOwned;
  b.owned = std::move(memory);
  return b;
}

namespace {

// The memory objects of one kernel's steps as one thread last bound them,
// plus that thread's stream. Creating dnnl::memory objects and a stream on
// every call was about a third of a batch-1 int8 run's CPU time; re-pointing
// existing ones at the call's buffers is a pointer store.
struct BoundSteps {
  dnnl::stream stream;
  std::vector<std::unordered_map<int, dnnl::memory>> args;  // one map per step
};

// This thread's BoundSteps of kernel `id`. Ids are never reused, so the entry
// of a destroyed kernel is never found again; the map is emptied when it grows
// past a bound so that such entries do not pile up.
BoundSteps& ThreadBoundSteps(uint64_t id) {
  constexpr size_t kMaxKernelsPerThread = 4096;
  thread_local absl::flat_hash_map<uint64_t, std::unique_ptr<BoundSteps>> by_kernel;
  auto it = by_kernel.find(id);
  if (it == by_kernel.end()) {
    if (by_kernel.size() >= kMaxKernelsPerThread) by_kernel.clear();
    it = by_kernel.emplace(id, std::make_unique<BoundSteps>()).first;
  }
  return *it->second;
}

uint64_t NextKernelId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

// Points memories[arg] at `data`, creating the memory object on first use.
void PointAt(std::unordered_map<int, dnnl::memory>& memories, int arg, const Desc& desc,
             void* data, const dnnl::stream& stream) {
  auto it = memories.find(arg);
  if (it == memories.end()) {
    memories.emplace(arg, dnnl::memory(desc, CpuEngine(), data));
  } else if (it->second.get_data_handle() != data) {
    it->second.set_data_handle(data, stream);
  }
}

}  // namespace

// Runs a fixed sequence of primitives. Immutable; Run is thread-safe because
// every primitive uses a user scratchpad taken from the call's scratch and
// each thread binds its own memory objects (ThreadBoundSteps).
class PrimitiveSequenceKernel : public Kernel {
 public:
  PrimitiveSequenceKernel(std::string context, std::string impl,
                          std::vector<SequenceBuilder::Step> steps, size_t scratchpad_bytes,
                          size_t buffer_bytes, std::vector<Layout> output_layouts)
      : id_(NextKernelId()),
        context_(std::move(context)),
        impl_(std::move(impl)),
        steps_(std::move(steps)),
        output_layouts_(std::move(output_layouts)),
        buffer_base_(AlignUp64(scratchpad_bytes)),
        scratch_bytes_(buffer_base_ + buffer_bytes) {}

  size_t ScratchBytes() const override { return scratch_bytes_; }
  std::string Impl() const override { return impl_; }
  Layout OutputLayout(size_t i) const override {
    return i < output_layouts_.size() ? output_layouts_[i] : Layout::kPlain;
  }

  absl::Status Run(const KernelArgs& args) const override {
    return CatchDnnl(context_, Stage::kRun, [&]() -> absl::Status {
      auto* scratch = static_cast<std::byte*>(args.scratch);
      if (scratch_bytes_ > 0 && scratch == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(context_, ": no scratch given"));
      }
      BoundSteps& bound = ThreadBoundSteps(id_);
      if (bound.args.empty()) {
        bound.stream = dnnl::stream(CpuEngine());
        bound.args.resize(steps_.size());
      }
      for (size_t i = 0; i < steps_.size(); ++i) {
        const SequenceBuilder::Step& step = steps_[i];
        std::unordered_map<int, dnnl::memory>& memories = bound.args[i];
        for (const Binding& b : step.bindings) {
          FP_RETURN_IF_ERROR(Bind(b, args, scratch, bound.stream, memories));
        }
        if (step.scratchpad.get_size() > 0) {
          PointAt(memories, DNNL_ARG_SCRATCHPAD, step.scratchpad, scratch, bound.stream);
        }
        step.primitive.execute(bound.stream, memories);
      }
      bound.stream.wait();
      return absl::OkStatus();
    });
  }

 private:
  // Points memories[b.arg] at the buffer `b` names for this call, creating
  // the memory object on the thread's first call.
  absl::Status Bind(const Binding& b, const KernelArgs& args, std::byte* scratch,
                    const dnnl::stream& stream,
                    std::unordered_map<int, dnnl::memory>& memories) const {
    if (b.source == Binding::Source::kOwned) {
      // Constant, never re-pointed (set_data_handle would write its padding).
      if (!memories.contains(b.arg)) {
        memories.emplace(b.arg,
                         dnnl::memory(b.owned.get_desc(), CpuEngine(), b.owned.get_data_handle()));
      }
      return absl::OkStatus();
    }
    void* data = nullptr;
    switch (b.source) {
      case Binding::Source::kScratch:
        data = scratch + buffer_base_ + b.offset;
        break;
      case Binding::Source::kInput:
        if (b.index < static_cast<int>(args.inputs.size())) data = args.inputs[b.index].data;
        break;
      case Binding::Source::kOutput:
        if (b.index < static_cast<int>(args.outputs.size())) data = args.outputs[b.index].data;
        break;
      case Binding::Source::kOwned:
        break;
    }
    if (data == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(context_, ": missing buffer for tensor ", b.index));
    }
    PointAt(memories, b.arg, b.desc, data, stream);
    return absl::OkStatus();
  }

  const uint64_t id_;
  const std::string context_;
  const std::string impl_;
  const std::vector<SequenceBuilder::Step> steps_;
  const std::vector<Layout> output_layouts_;
  const size_t buffer_base_;
  const size_t scratch_bytes_;
};

SequenceBuilder::SequenceBuilder(const ir::Node& node) : context_(node.Describe()) {}

size_t SequenceBuilder::ReserveBuffer(const Desc& desc) {
  const size_t offset = buffer_bytes_;
  buffer_bytes_ += AlignUp64(desc.get_size());
  return offset;
}

void SequenceBuilder::AddStep(const dnnl::primitive& primitive,
                              const dnnl::primitive_desc_base& pd,
                              std::vector<Binding> bindings) {
  Step step{primitive, pd.scratchpad_desc(), std::move(bindings)};
  scratchpad_bytes_ = std::max(scratchpad_bytes_, step.scratchpad.get_size());
  steps_.push_back(std::move(step));
}

std::unique_ptr<Kernel> SequenceBuilder::Build(std::string impl,
                                               std::vector<Layout> output_layouts) && {
  return std::make_unique<PrimitiveSequenceKernel>(std::move(context_), std::move(impl),
                                                   std::move(steps_), scratchpad_bytes_,
                                                   buffer_bytes_, std::move(output_layouts));
}

}  // namespace fixpoint::runtime::onednn
