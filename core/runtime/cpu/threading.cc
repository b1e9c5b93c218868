#include "core/runtime/cpu/threading.h"

#include <omp.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>

namespace fixpoint::runtime::cpu {

void SetIntraOpThreadsForThisThread(int n) {
  n = ThreadsOrAll(n);
  if (omp_get_max_threads() != n) omp_set_num_threads(n);
}

void ReexecWithBoundedOpenMpSpin(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr || std::getenv("GOMP_SPINCOUNT") != nullptr) {
    return;
  }
  if (setenv("GOMP_SPINCOUNT", kBoundedSpinCount, /*overwrite=*/0) != 0) return;
  execv("/proc/self/exe", argv);
}

int HardwareThreads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

int ThreadsOrAll(int requested) { return requested > 0 ? requested : HardwareThreads(); }

}  // namespace fixpoint::runtime::cpu
