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
// `requested` if positive, else HardwareThreads(): what a thread-count
// option of 0 ("all") resolves to.
int ThreadsOrAll(int requested);

// GOMP_SPINCOUNT this process's OpenMP runtime should run with unless the
// user chose a wait policy (OMP_WAIT_POLICY or GOMP_SPINCOUNT set).
inline constexpr const char* kBoundedSpinCount = "1000";

// libgomp's default wait (about 300,000 spins before sleeping) makes every
// kernel's barrier burn whole time slices when the cores are shared: with four
// busy processes on two cores resnet_small ran at 331 images/s (batch 64) and
// 6 (batch 1); with GOMP_SPINCOUNT=1000, 2,705 and 601, and no slower on an
// idle machine (11.4k vs 9.7k, 14.1k vs 13.4k). libgomp reads its settings
// when it is loaded, so this sets GOMP_SPINCOUNT=kBoundedSpinCount and
// re-executes the program (/proc/self/exe, same argv) when neither variable
// is set. Call first thing in main(), before any thread exists. Returns when
// nothing had to change, or when re-executing failed (the process then runs
// with libgomp's defaults).
void ReexecWithBoundedOpenMpSpin(char** argv);

}  // namespace fixpoint::runtime::cpu

#endif  // FIXPOINT_CORE_RUNTIME_CPU_THREADING_H_
