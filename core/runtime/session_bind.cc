// Session::Bind — kernels and memory plan for one input-shape signature.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/ir/shape_inference.h"
#include "core/runtime/bound_plan.h"
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
  // The reference kernels do not know fused activations; apply them after.
  if (HasFusedActivation(ctx.node)) {
    ir::Node plain = ctx.node;
    StripFusedActivation(plain);
    KernelContext plain_ctx{plain, ctx.input_infos, ctx.output_infos, ctx.constants, ctx.opset};
    FP_ASSIGN_OR_RETURN(auto inner, ref(plain_ctx));
    return WrapWithFusedActivation(ctx.node, std::move(inner));
  }
  return ref(ctx);
}

// Builds slots for graph inputs and initializers; returns name -> slot id.
absl::flat_hash_map<std::string, int> SeedSlots(const ir::Graph& graph,
                                                std::span<const ir::Shape> input_shapes,
                                                std::vector<Slot>& slots) {
  absl::flat_hash_map<std::string, int> slot_of;
  for (size_t i = 0; i < graph.inputs.size(); ++i) {
    Slot s;
    s.kind = Slot::Kind::kInput;
    s.index = static_cast<int>(i);
    s.dtype = graph.inputs[i].dtype;
    s.shape = input_shapes[i];
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

}  // namespace

absl::StatusOr<std::shared_ptr<const Session::BoundPlan>> Session::Bind(
    std::span<const ir::Shape> input_shapes) const {
  auto plan = std::make_shared<BoundPlan>();
  absl::flat_hash_map<std::string, int> slot_of = SeedSlots(graph_, input_shapes, plan->slots);
  std::vector<int> producer_step(plan->slots.size(), -1);
  for (size_t n = 0; n < graph_.nodes.size(); ++n) {
    ir::Node node = graph_.nodes[n];
    ir::InferContext ictx;
    ictx.opset = graph_.opset;
    KernelContext kctx{node, {}, {}, {}, graph_.opset};
    Step step;
    for (const std::string& in : node.inputs) {
      if (in.empty()) {
        kctx.input_infos.push_back(ir::ValueInfo{});
        kctx.constants.push_back(nullptr);
        step.inputs.push_back(-1);
        continue;
      }
      auto it = slot_of.find(in);
      if (it == slot_of.end()) {
        return absl::InvalidArgumentError(
            absl::StrCat(node.Describe(), ": input '", in, "' is not produced"));
      }
      const Slot& s = plan->slots[it->second];
      kctx.input_infos.push_back(InfoOf(in, s));
      kctx.constants.push_back(s.constant);
      step.inputs.push_back(it->second);
    }
    for (size_t i = 0; i < kctx.input_infos.size(); ++i) {
      ictx.inputs.push_back(kctx.input_infos[i].name.empty() ? nullptr : &kctx.input_infos[i]);
      ictx.constants.push_back(kctx.constants[i]);
    }
    FP_ASSIGN_OR_RETURN(kctx.output_infos, ir::InferNodeOutputs(node, ictx));
    FP_ASSIGN_OR_RETURN(step.kernel, MakeKernel(kctx, options_.use_onednn));
    for (const ir::ValueInfo& out : kctx.output_infos) {
      Slot s;
      s.dtype = out.dtype;
      s.shape = out.shape;
      const int id = static_cast<int>(plan->slots.size());
      if (!out.name.empty()) slot_of[out.name] = id;
      plan->slots.push_back(std::move(s));
      producer_step.push_back(static_cast<int>(n));
      step.outputs.push_back(id);
    }
    plan->scratch_bytes = std::max(plan->scratch_bytes, step.kernel->ScratchBytes());
    step.info = BoundNodeInfo{node.name, node.op_type, step.kernel->Impl()};
    plan->steps.push_back(std::move(step));
  }
  // Graph outputs produced by nodes get their own per-call tensors.
  for (size_t i = 0; i < graph_.outputs.size(); ++i) {
    auto it = slot_of.find(graph_.outputs[i].name);
    if (it == slot_of.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("graph output '", graph_.outputs[i].name, "' is not produced"));
    }
    Slot& s = plan->slots[it->second];
    if (s.kind == Slot::Kind::kArena) {
      s.kind = Slot::Kind::kOutput;
      s.index = static_cast<int>(i);
    }
    plan->graph_outputs.push_back(it->second);
  }
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
    const size_t bytes = static_cast<size_t>(s.shape.NumElements()) * ir::DTypeSize(s.dtype);
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
