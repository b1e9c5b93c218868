// Internal: the per-shape binding of a Session (kernels, slots, memory plan).
// Immutable once built; shared by concurrent Run calls.
#ifndef FIXPOINT_CORE_RUNTIME_BOUND_PLAN_H_
#define FIXPOINT_CORE_RUNTIME_BOUND_PLAN_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/ir/graph.h"
#include "core/runtime/kernel.h"
#include "core/runtime/session.h"

namespace fixpoint::runtime {

// Where one value lives during a call.
struct Slot {
  enum class Kind { kInput, kConstant, kArena, kOutput };
  Kind kind = Kind::kArena;
  int index = 0;       // graph input or graph output index
  size_t offset = 0;   // arena offset
  ir::DType dtype = ir::DType::kF32;
  ir::Shape shape;
  // Constants are plain; inputs and outputs too unless the signature lets
  // them be channels-last (Session::RunLaidOut).
  Layout layout = Layout::kPlain;
  const ir::Tensor* constant = nullptr;
};

struct Step {
  std::unique_ptr<Kernel> kernel;
  std::vector<int> inputs;   // slot ids, -1 = absent
  std::vector<int> outputs;  // slot ids
  BoundNodeInfo info;
};

struct Session::BoundPlan {
  std::vector<Slot> slots;
  std::vector<Step> steps;
  std::vector<int> graph_outputs;  // slot ids
  // Every named value (graph inputs, constants, node outputs) -> the slot
  // its producer writes, for RunObserved.
  absl::flat_hash_map<std::string, int> value_slots;
  size_t arena_bytes = 0;
  size_t scratch_bytes = 0;
};

}  // namespace fixpoint::runtime

#endif  // FIXPOINT_CORE_RUNTIME_BOUND_PLAN_H_
