// Offsets of intermediate tensors in one per-call arena, reusing the bytes of
// values whose last reader has run. Thread-safe (pure).
#ifndef FIXPOINT_CORE_RUNTIME_MEMORY_PLAN_H_
#define FIXPOINT_CORE_RUNTIME_MEMORY_PLAN_H_

#include <cstddef>
#include <vector>

namespace fixpoint::runtime {

// One buffer's lifetime in steps: written at `first` (its producer step),
// last read at `last` (inclusive; last >= first).
struct BufferLifetime {
  size_t bytes = 0;
  int first = 0;
  int last = 0;
};

struct MemoryPlan {
  std::vector<size_t> offsets;  // per buffer, 64-byte aligned
  size_t arena_bytes = 0;       // total arena size
};

// Greedy best-fit placement: buffers whose lifetimes overlap never share
// bytes; a buffer produced at step s may reuse bytes of buffers whose last
// read is before s (never those read at s, since kernels' outputs must not
// alias their inputs).
MemoryPlan PlanMemory(const std::vector<BufferLifetime>& buffers);

}  // namespace fixpoint::runtime

#endif  // FIXPOINT_CORE_RUNTIME_MEMORY_PLAN_H_
