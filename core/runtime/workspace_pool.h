// Working memory for a session's runs (the arena of intermediate values and
// the kernels' scratchpad), kept between runs. A run then writes pages an
// earlier run already faulted in: on this VM a first touch costs about
// 1.6 us per 4 KiB page, and a thread other than the main one gets its memory from
// a fresh malloc arena, so without the pool a worker thread faulted in its
// whole arena (3.7 MB for a 25-image resnet_small batch) again on most runs.
// Thread-safe.
#ifndef FIXPOINT_CORE_RUNTIME_WORKSPACE_POOL_H_
#define FIXPOINT_CORE_RUNTIME_WORKSPACE_POOL_H_

#include <cstddef>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace fixpoint::runtime {

class WorkspacePool {
 public:
  // 64-byte aligned bytes owned by the pool.
  struct Buffer {
    Buffer() = default;
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;
    ~Buffer();
    std::byte* data = nullptr;
    size_t capacity = 0;
  };

  // One run's workspace: back in the pool when the lease ends.
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    // arena_bytes and then scratch_bytes of Acquire, each 64-byte aligned;
    // null when that size was 0.
    std::byte* arena() const { return arena_; }
    std::byte* scratch() const { return scratch_; }

   private:
    friend class WorkspacePool;
    Lease(WorkspacePool* pool, std::unique_ptr<Buffer> buffer, size_t arena_bytes,
          size_t scratch_bytes);
    WorkspacePool* pool_;
    std::unique_ptr<Buffer> buffer_;
    std::byte* arena_;
    std::byte* scratch_;
  };

  // A workspace for one run: an idle buffer, the largest one, reallocated
  // when it is too small; a new buffer when none is idle. So the pool holds
  // at most one buffer per run in flight at once, each as large as the
  // largest run it served, until the pool ends (it gives no memory back
  // earlier). RESOURCE_EXHAUSTED when memory runs out.
  absl::StatusOr<Lease> Acquire(size_t arena_bytes, size_t scratch_bytes);

  // Readies `runs` buffers of these sizes for as many runs at once,
  // allocated (not touched) on the calling thread. RESOURCE_EXHAUSTED when
  // memory runs out.
  absl::Status Reserve(size_t arena_bytes, size_t scratch_bytes, int runs);

  // Buffers waiting for a run (for tests).
  size_t idle() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Return(std::unique_ptr<Buffer> buffer) ABSL_LOCKS_EXCLUDED(mu_);

  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<Buffer>> idle_ ABSL_GUARDED_BY(mu_);
};

}  // namespace fixpoint::runtime

#endif  // FIXPOINT_CORE_RUNTIME_WORKSPACE_POOL_H_
