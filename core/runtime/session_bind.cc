// Session::Bind — kernels and memory plan for one input-shape signature.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/ir/shape_inference.h"
#include "core/runtime/bound_plan.h"
#include "core/runtime/cpu/threading.h"
#include "core/runtime/fused_activation.h"
#include "core/runtime/kernel_registry.h"
#include "core/runtime/memory_plan.h"
#include "core/util/status_macros.h"

namespace fixpoint::runtime {
namespace {

absl::StatusOr<std::unique_ptr<Kernel>> MakeKernel(const KernelContext& ctx, bool use_onednn) {
  if (use_onednn) {
    if (KernelFactory fast = FindOneDnnKernel(ctx.node.op_type)) {
      auto kernel = fast(ctx);
      if (kernel.ok()) return kernel;
      if (kernel.status().code() != absl::StatusCode::kUnimplemented) return kernel.status();
    }
  }
  KernelFactory ref = FindReferenceKernel(ctx.node.op_type);
  if (ref == nullptr) {
    return absl::UnimplementedError(
        absl::StrCat(ctx.node.Describe(), ": no kernel for op type ", ctx.node.op_type));
  }
  // The float reference kernels do not know fused activations; apply them
  // after. Integer ops apply theirs before requantizing.
  if (HasFusedActivation(ctx.node) && !IsIntegerOp(ctx.node.op_type)) {
    ir::Node plain = ctx.node;
    StripFusedActivation(plain);
    KernelContext plain_ctx{plain, ctx.input_infos, ctx.output_infos, ctx.constants, ctx.opset,
                            ctx.input_layouts};
    FP_ASSIGN_OR_RETURN(auto inner, ref(plain_ctx));
    return WrapWithFusedActivation(ctx.node, std::move(inner));
  }
  return ref(ctx);
}

// Builds slots for graph inputs and initializers; returns name -> slot id.
// Input i is channels-last if channels_last[i] (empty: none is).
absl::flat_hash_map<std::string, int> SeedSlots(const ir::Graph& graph,
                                                std::span<const ir::Shape> input_shapes,
                                                const std::vector<bool>& channels_last,
                                                std::vector<Slot>& slots) {
  absl::flat_hash_map<std::string, int> slot_of;
  for (size_t i = 0; i < graph.inputs.size(); ++i) {
    Slot s;
    s.kind = Slot::Kind::kInput;
    s.index = static_cast<int>(i);
    s.dtype = graph.inputs[i].dtype;
    s.shape = input_shapes[i];
    if (i < channels_last.size() && channels_last[i]) s.layout = Layout::kNhwc;
    slot_of[graph.inputs[i].name] = static_cast<int>(slots.size());
    slots.push_back(std::move(s));
  }
  for (const auto& [name, tensor] : graph.initializers) {
    Slot s;
    s.kind = Slot::Kind::kConstant;
    s.dtype = tensor.dtype();
    s.shape = tensor.shape();
    s.constant = &tensor;
    slot_of[name] = static_cast<int>(slots.size());
    slots.push_back(std::move(s));
  }
  return slot_of;
}

ir::ValueInfo InfoOf(const std::string& name, const Slot& s) {
  return ir::ValueInfo{name, s.dtype, s.shape};
}

// Builds the steps of one plan: kernels in node order plus the layout
// conversions their inputs and the graph outputs need.
class PlanBuilder {
 public:
  // `slots` holds the graph inputs and constants.
  PlanBuilder(std::vector<Slot> slots, bool use_onednn)
      : slots_(std::move(slots)), use_onednn_(use_onednn) {
    producer_step_.assign(slots_.size(), -1);
  }

  // Adds a step for `node` (a copy: shape inference may normalize it) reading
  // the slots `inputs` (-1 = absent); returns the slot ids of its outputs.
  absl::StatusOr<std::vector<int>> AddNode(ir::Node node, std::vector<int> inputs,
                                           int64_t opset) {
    KernelContext kctx{node, {}, {}, {}, opset, {}};
    for (size_t i = 0; i < inputs.size(); ++i) {
      const Slot* s = inputs[i] >= 0 ? &slots_[inputs[i]] : nullptr;
      kctx.input_infos.push_back(s ? InfoOf(node.inputs[i], *s) : ir::ValueInfo{});
      kctx.constants.push_back(s ? s->constant : nullptr);
      kctx.input_layouts.push_back(s ? s->layout : Layout::kPlain);
    }
    ir::InferContext ictx;
    ictx.opset = opset;
    for (size_t i = 0; i < kctx.input_infos.size(); ++i) {
      ictx.inputs.push_back(inputs[i] < 0 ? nullptr : &kctx.input_infos[i]);
      ictx.constants.push_back(kctx.constants[i]);
    }
    FP_ASSIGN_OR_RETURN(kctx.output_infos, ir::InferNodeOutputs(node, ictx));
    std::unique_ptr<Kernel> kernel;
    FP_ASSIGN_OR_RETURN(kernel, MakeLayoutAwareKernel(kctx));
    if (kernel == nullptr) {
      // Readers that need plain inputs get converted copies.
      for (size_t i = 0; i < inputs.size(); ++i) {
        if (kctx.InputLayout(i) == Layout::kPlain) continue;
        FP_ASSIGN_OR_RETURN(inputs[i], PlainSlotFor(inputs[i], node.inputs[i]));
        kctx.input_layouts[i] = Layout::kPlain;
      }
      FP_ASSIGN_OR_RETURN(kernel, MakeKernel(kctx, use_onednn_));
    }
    Step step;
    step.inputs = std::move(inputs);
    for (size_t i = 0; i < kctx.output_infos.size(); ++i) {
      Slot s;
      s.dtype = kctx.output_infos[i].dtype;
      s.shape = kctx.output_infos[i].shape;
      s.layout = kernel->OutputLayout(i);
      step.outputs.push_back(NewSlot(std::move(s)));
    }
    step.info = BoundNodeInfo{node.name, node.op_type, kernel->Impl()};
    step.kernel = std::move(kernel);
    std::vector<int> outputs = step.outputs;
    AddStep(std::move(step));
    return outputs;
  }

  // A slot holding `slot`'s value in the plain layout (the slot itself when
  // it is plain; otherwise one conversion, shared by all readers).
  absl::StatusOr<int> PlainSlotFor(int slot, const std::string& name) {
    if (slots_[slot].layout == Layout::kPlain) return slot;
    auto it = plain_copy_.find(slot);
    if (it != plain_copy_.end()) return it->second;
    const Slot& from = slots_[slot];
    ir::Node node;  // names the conversion in errors and DescribeBinding
    node.name = absl::StrCat(name, "/to_plain");
    node.op_type = "Reorder";
    FP_ASSIGN_OR_RETURN(std::unique_ptr<Kernel> kernel,
                        MakeToPlainKernel(node, InfoOf(name, from), from.layout));
    Slot copy;
    copy.dtype = from.dtype;
    copy.shape = from.shape;
    Step step;
    step.inputs = {slot};
    step.outputs = {NewSlot(std::move(copy))};
    step.info = BoundNodeInfo{node.name, node.op_type, kernel->Impl()};
    step.kernel = std::move(kernel);
    const int plain = step.outputs[0];
    AddStep(std::move(step));
    plain_copy_[slot] = plain;
    return plain;
  }

  std::vector<Slot>& slots() { return slots_; }
  std::vector<Step>& steps() { return steps_; }
  size_t scratch_bytes() const { return scratch_bytes_; }
  // The step that writes each slot (-1 for inputs and constants).
  const std::vector<int>& producer_step() const { return producer_step_; }

 private:
  // The layout-aware oneDNN kernel for blocked inputs; nullptr when no input
  // is blocked or the kernel cannot read these layouts.
  absl::StatusOr<std::unique_ptr<Kernel>> MakeLayoutAwareKernel(const KernelContext& kctx) {
    bool blocked = false;
    for (Layout l : kctx.input_layouts) blocked |= l != Layout::kPlain;
    if (!blocked || !use_onednn_ || !OneDnnReadsBlockedLayouts(kctx.node.op_type)) {
      return std::unique_ptr<Kernel>();
    }
    auto kernel = FindOneDnnKernel(kctx.node.op_type)(kctx);
    if (kernel.ok() || kernel.status().code() != absl::StatusCode::kUnimplemented) return kernel;
    return std::unique_ptr<Kernel>();
  }

  int NewSlot(Slot s) {
    slots_.push_back(std::move(s));
    producer_step_.push_back(static_cast<int>(steps_.size()));
    return static_cast<int>(slots_.size()) - 1;
  }

  void AddStep(Step step) {
    scratch_bytes_ = std::max(scratch_bytes_, step.kernel->ScratchBytes());
    steps_.push_back(std::move(step));
  }

  std::vector<Slot> slots_;
  std::vector<Step> steps_;
  size_t scratch_bytes_ = 0;
  const bool use_onednn_;
  std::vector<int> producer_step_;
  absl::flat_hash_map<int, int> plain_copy_;
};

}  // namespace

absl::StatusOr<std::shared_ptr<const Session::BoundPlan>> Session::Bind(
    const Signature& signature) const {
  // oneDNN primitives fix their thread count when they are created, from the
  // creating thread's OpenMP setting: bind with the count Run will use, or a
  // 1-thread session still runs every kernel on a team of all cores.
  cpu::SetIntraOpThreadsForThisThread(options_.intra_op_threads);
  std::vector<Slot> seeded;
  absl::flat_hash_map<std::string, int> slot_of =
      SeedSlots(graph_, signature.shapes, signature.channels_last, seeded);
  PlanBuilder builder(std::move(seeded), options_.use_onednn);
  for (const ir::Node& node : graph_.nodes) {
    std::vector<int> inputs;
    for (const std::string& in : node.inputs) {
      if (in.empty()) {
        inputs.push_back(-1);
        continue;
      }
      auto it = slot_of.find(in);
      if (it == slot_of.end()) {
        return absl::InvalidArgumentError(
            absl::StrCat(node.Describe(), ": input '", in, "' is not produced"));
      }
      inputs.push_back(it->second);
    }
    FP_ASSIGN_OR_RETURN(std::vector<int> outputs,
                        builder.AddNode(node, std::move(inputs), graph_.opset));
    for (size_t i = 0; i < outputs.size() && i < node.outputs.size(); ++i) {
      if (!node.outputs[i].empty()) slot_of[node.outputs[i]] = outputs[i];
    }
  }
  // Graph outputs produced by nodes get their own per-call tensors, plain,
  // or channels-last where the signature lets a listed output stay so.
  std::vector<int> graph_outputs;
  for (size_t i = 0; i < graph_.outputs.size(); ++i) {
    const std::string& name = graph_.outputs[i].name;
    auto it = slot_of.find(name);
    if (it == slot_of.end()) {
      return absl::InvalidArgumentError(absl::StrCat("graph output '", name, "' is not produced"));
    }
    const bool may_stay =
        signature.laid_out_outputs && builder.slots()[it->second].layout == Layout::kNhwc &&
        std::find(options_.channels_last_outputs.begin(), options_.channels_last_outputs.end(),
                  name) != options_.channels_last_outputs.end();
    int id = it->second;
    if (!may_stay) {
      FP_ASSIGN_OR_RETURN(id, builder.PlainSlotFor(it->second, name));
    }
    Slot& s = builder.slots()[id];
    if (s.kind == Slot::Kind::kArena) {
      s.kind = Slot::Kind::kOutput;
      s.index = static_cast<int>(i);
    }
    graph_outputs.push_back(id);
  }
  auto plan = std::make_shared<BoundPlan>();
  plan->slots = std::move(builder.slots());
  plan->steps = std::move(builder.steps());
  plan->graph_outputs = std::move(graph_outputs);
  plan->value_slots = std::move(slot_of);
  plan->scratch_bytes = builder.scratch_bytes();
  const std::vector<int>& producer_step = builder.producer_step();
  // Lifetimes of arena slots: from the producing step to the last reader.
  std::vector<int> last_use(plan->slots.size(), -1);
  for (size_t n = 0; n < plan->steps.size(); ++n) {
    for (int in : plan->steps[n].inputs) {
      if (in >= 0) last_use[in] = static_cast<int>(n);
    }
  }
  std::vector<BufferLifetime> lifetimes;
  std::vector<int> arena_slots;
  for (size_t id = 0; id < plan->slots.size(); ++id) {
    const Slot& s = plan->slots[id];
    if (s.kind != Slot::Kind::kArena) continue;
    const size_t bytes = PhysicalBytes(s.layout, s.shape, s.dtype);
    lifetimes.push_back({bytes, producer_step[id], std::max(producer_step[id], last_use[id])});
    arena_slots.push_back(static_cast<int>(id));
  }
  MemoryPlan memory = PlanMemory(lifetimes);
  for (size_t i = 0; i < arena_slots.size(); ++i) {
    plan->slots[arena_slots[i]].offset = memory.offsets[i];
  }
  plan->arena_bytes = memory.arena_bytes;
  return std::shared_ptr<const BoundPlan>(std::move(plan));
}

}  // namespace fixpoint::runtime
