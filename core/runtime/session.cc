#include "core/runtime/session.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/ir/shape_inference.h"
#include "core/ir/verifier.h"
#include "core/runtime/bound_plan.h"
#include "core/runtime/cpu/threading.h"
#include "core/transform/lower_qdq.h"
#include "core/transform/optimize.h"
#include "core/util/status_macros.h"

namespace fixpoint::runtime {

namespace {

// "[1,3,8,8];[4]", a channels-last input marked "/nhwc", then "|laid out"
// when channels_last_outputs may stay so.
std::string SignatureKey(const std::vector<ir::Shape>& shapes,
                         const std::vector<bool>& channels_last, bool laid_out_outputs) {
  std::string key;
  for (size_t i = 0; i < shapes.size(); ++i) {
    absl::StrAppend(&key, i > 0 ? ";" : "", shapes[i].ToString(),
                    i < channels_last.size() && channels_last[i] ? "/nhwc" : "");
  }
  if (laid_out_outputs) absl::StrAppend(&key, "|laid out");
  return key;
}

std::vector<LaidOutView> PlainViews(std::span<const ir::TensorView> inputs) {
  std::vector<LaidOutView> views;
  views.reserve(inputs.size());
  for (const ir::TensorView& v : inputs) views.push_back(LaidOutView{v, false});
  return views;
}

absl::StatusOr<std::vector<ir::Tensor>> Tensors(
    absl::StatusOr<std::vector<LaidOutTensor>> laid_out) {
  if (!laid_out.ok()) return laid_out.status();
  std::vector<ir::Tensor> tensors;
  tensors.reserve(laid_out->size());
  for (LaidOutTensor& t : *laid_out) tensors.push_back(std::move(t.tensor));
  return tensors;
}

// INVALID_ARGUMENT naming input `want` unless `got` is static and matches
// its static dimensions.
absl::Status CheckShape(const ir::ValueInfo& want, const ir::Shape& got) {
  bool match = got.rank() == want.shape.rank() && got.IsStatic();
  for (int d = 0; match && d < want.shape.rank(); ++d) {
    match = want.shape[d] == ir::kDynamicDim || want.shape[d] == got[d];
  }
  if (match) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("input '", want.name, "': expected shape ",
                                                 want.shape.ToString(), ", got ",
                                                 got.ToString()));
}

}  // namespace

Session::Session(ir::Graph graph, const SessionOptions& options)
    : graph_(std::move(graph)), options_(options) {}

Session::~Session() = default;

absl::StatusOr<std::unique_ptr<Session>> Session::Create(ir::Graph graph,
                                                         const SessionOptions& options) {
  FP_RETURN_IF_ERROR(ir::VerifyGraph(graph));
  FP_RETURN_IF_ERROR(ir::InferShapes(graph));
  if (options.optimize) {
    FP_RETURN_IF_ERROR(transform::OptimizeForInference(graph));
    FP_RETURN_IF_ERROR(ir::InferShapes(graph));
  }
  if (options.lower_qdq) {
    FP_RETURN_IF_ERROR(transform::LowerQdqToIntegerOps(graph));
    FP_RETURN_IF_ERROR(ir::InferShapes(graph));
  }
  FP_RETURN_IF_ERROR(ir::VerifyGraph(graph));
  return std::unique_ptr<Session>(new Session(std::move(graph), options));
}

absl::Status Session::CheckInputs(std::span<const LaidOutView> inputs) const {
  if (inputs.size() != graph_.inputs.size()) {
    return absl::InvalidArgumentError(absl::StrCat("expected ", graph_.inputs.size(),
                                                   " inputs, got ", inputs.size()));
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    const ir::ValueInfo& want = graph_.inputs[i];
    const ir::TensorView& got = inputs[i].view;
    if (inputs[i].channels_last && got.shape.rank() != 4) {
      return absl::InvalidArgumentError(absl::StrCat("input '", want.name, "' of shape ",
                                                     got.shape.ToString(),
                                                     " cannot be channels-last (rank 4 only)"));
    }
    if (got.dtype != want.dtype) {
      return absl::InvalidArgumentError(absl::StrCat("input '", want.name, "': expected dtype ",
                                                     ir::DTypeName(want.dtype), ", got ",
                                                     ir::DTypeName(got.dtype)));
    }
    FP_RETURN_IF_ERROR(CheckShape(want, got.shape));
    if (got.data == nullptr && got.NumElements() > 0) {
      return absl::InvalidArgumentError(absl::StrCat("input '", want.name, "': no data"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const Session::BoundPlan>> Session::GetPlan(
    const Signature& signature) const {
  const std::string key =
      SignatureKey(signature.shapes, signature.channels_last, signature.laid_out_outputs);
  {
    absl::MutexLock lock(&mu_);
    auto it = plans_.find(key);
    if (it != plans_.end()) return it->second;
  }
  // Bind outside the lock: binding creates primitives and may take a while.
  FP_ASSIGN_OR_RETURN(std::shared_ptr<const BoundPlan> plan, Bind(signature));
  absl::MutexLock lock(&mu_);
  if (static_cast<int>(plans_.size()) >= options_.max_cached_shapes) plans_.clear();
  auto [it, inserted] = plans_.emplace(key, std::move(plan));
  return it->second;
}

}  // namespace fixpoint::runtime

namespace fixpoint::runtime {

absl::StatusOr<std::vector<ir::Tensor>> Session::Run(
    std::span<const ir::TensorView> inputs) const {
  return RunObserved(inputs, {}, [](size_t, const ObservedValue&) { return absl::OkStatus(); });
}

absl::StatusOr<std::vector<ir::Tensor>> Session::RunObserved(
    std::span<const ir::TensorView> inputs, std::span<const std::string> observed,
    absl::FunctionRef<absl::Status(size_t, const ObservedValue&)> observer) const {
  return Tensors(RunImpl(PlainViews(inputs), /*laid_out_outputs=*/false, observed, observer));
}

absl::StatusOr<std::vector<LaidOutTensor>> Session::RunLaidOut(
    std::span<const LaidOutView> inputs) const {
  return RunImpl(inputs, /*laid_out_outputs=*/true, {},
                 [](size_t, const ObservedValue&) { return absl::OkStatus(); });
}

absl::StatusOr<std::vector<LaidOutTensor>> Session::RunImpl(
    std::span<const LaidOutView> inputs, bool laid_out_outputs,
    std::span<const std::string> observed,
    absl::FunctionRef<absl::Status(size_t, const ObservedValue&)> observer) const {
  FP_RETURN_IF_ERROR(CheckInputs(inputs));
  Signature signature;
  const bool any_channels_last = std::any_of(
      inputs.begin(), inputs.end(), [](const LaidOutView& in) { return in.channels_last; });
  for (const LaidOutView& in : inputs) {
    signature.shapes.push_back(in.view.shape);
    if (any_channels_last) signature.channels_last.push_back(in.channels_last);
  }
  signature.laid_out_outputs = laid_out_outputs && !options_.channels_last_outputs.empty();
  FP_ASSIGN_OR_RETURN(std::shared_ptr<const BoundPlan> plan, GetPlan(signature));
  cpu::SetIntraOpThreadsForThisThread(options_.intra_op_threads);

  FP_ASSIGN_OR_RETURN(WorkspacePool::Lease workspace,
                      workspaces_.Acquire(plan->arena_bytes, plan->scratch_bytes));
  std::vector<ir::Tensor> outputs(graph_.outputs.size());
  std::vector<ir::TensorView> views(plan->slots.size());
  for (size_t id = 0; id < plan->slots.size(); ++id) {
    const Slot& s = plan->slots[id];
    switch (s.kind) {
      case Slot::Kind::kInput: views[id] = inputs[s.index].view; break;
      case Slot::Kind::kConstant: views[id] = s.constant->view(); break;
      case Slot::Kind::kArena: views[id] = {s.dtype, s.shape, workspace.arena() + s.offset}; break;
      case Slot::Kind::kOutput:
        outputs[s.index] = ir::Tensor(s.dtype, s.shape);
        views[id] = outputs[s.index].view();
        break;
    }
  }
  // observe_at[slot] = index into `observed`, or -1.
  std::vector<int> observe_at(observed.empty() ? 0 : plan->slots.size(), -1);
  for (size_t k = 0; k < observed.size(); ++k) {
    auto it = plan->value_slots.find(observed[k]);
    if (it == plan->value_slots.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("value '", observed[k], "' to observe is not in the graph"));
    }
    observe_at[it->second] = static_cast<int>(k);
  }
  auto observe = [&](int slot) -> absl::Status {
    if (observe_at.empty() || observe_at[slot] < 0) return absl::OkStatus();
    const Layout layout = plan->slots[slot].layout;
    const int block = layout == Layout::kNChw8c ? 8 : layout == Layout::kNChw16c ? 16 : 0;
    return observer(static_cast<size_t>(observe_at[slot]),
                    ObservedValue{views[slot], block, layout == Layout::kNhwc});
  };
  for (size_t id = 0; id < plan->slots.size(); ++id) {
    const Slot::Kind kind = plan->slots[id].kind;
    if (kind == Slot::Kind::kInput || kind == Slot::Kind::kConstant) {
      FP_RETURN_IF_ERROR(observe(static_cast<int>(id)));
    }
  }
  std::vector<ir::TensorView> in_views, out_views;
  for (const Step& step : plan->steps) {
    in_views.clear();
    out_views.clear();
    for (int in : step.inputs) in_views.push_back(in >= 0 ? views[in] : ir::TensorView{});
    for (int out : step.outputs) out_views.push_back(views[out]);
    absl::Status status = step.kernel->Run(KernelArgs{in_views, out_views, workspace.scratch()});
    if (!status.ok()) {
      return WithContext(status, absl::StrCat(step.info.op_type, " '", step.info.node, "'"));
    }
    for (int out : step.outputs) FP_RETURN_IF_ERROR(observe(out));
  }
  // Outputs that are graph inputs or constants (or appear twice) are copies.
  std::vector<LaidOutTensor> laid_out(outputs.size());
  for (size_t i = 0; i < plan->graph_outputs.size(); ++i) {
    const Slot& s = plan->slots[plan->graph_outputs[i]];
    if (s.kind != Slot::Kind::kOutput || s.index != static_cast<int>(i)) {
      outputs[i] = ir::Tensor::CopyOf(views[plan->graph_outputs[i]]);
    }
    laid_out[i] = LaidOutTensor{std::move(outputs[i]), s.layout == Layout::kNhwc};
  }
  return laid_out;
}

absl::Status Session::Prepare(std::span<const ir::Shape> input_shapes,
                              int concurrent_runs) const {
  if (input_shapes.size() != graph_.inputs.size()) {
    return absl::InvalidArgumentError(absl::StrCat("expected ", graph_.inputs.size(),
                                                   " inputs, got ", input_shapes.size()));
  }
  for (size_t i = 0; i < input_shapes.size(); ++i) {
    FP_RETURN_IF_ERROR(CheckShape(graph_.inputs[i], input_shapes[i]));
  }
  Signature signature;
  signature.shapes.assign(input_shapes.begin(), input_shapes.end());
  FP_ASSIGN_OR_RETURN(std::shared_ptr<const BoundPlan> plan, GetPlan(signature));
  return workspaces_.Reserve(plan->arena_bytes, plan->scratch_bytes, concurrent_runs);
}

absl::StatusOr<std::vector<BoundNodeInfo>> Session::DescribeBinding(
    std::span<const ir::Shape> input_shapes) const {
  Signature signature;
  signature.shapes.assign(input_shapes.begin(), input_shapes.end());
  FP_ASSIGN_OR_RETURN(std::shared_ptr<const BoundPlan> plan, GetPlan(signature));
  std::vector<BoundNodeInfo> result;
  for (const Step& step : plan->steps) result.push_back(step.info);
  return result;
}

}  // namespace fixpoint::runtime
