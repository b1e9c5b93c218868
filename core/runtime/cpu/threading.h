// Intra-op thread control for the CPU kernels (oneDNN here uses OpenMP, whose
// thread count is a per-calling-thread setting). Thread-safe.
#ifndef FIXPOINT_CORE_RUNTIME_CPU_THREADING_H_
#define FIXPOINT_CORE_RUNTIME_CPU_THREADING_H_

namespace fixpoint::runtime::cpu {

// Sets the number of threads kernels launched from the calling thread use;
// n <= 0 means all hardware threads.
void SetIntraOpThreadsForThisThread(int n);
// Number of hardware threads.
int HardwareThreads();

}  // namespace fixpoint::runtime::cpu

#endif  // FIXPOINT_CORE_RUNTIME_CPU_THREADING_H_
