#include "core/runtime/cpu/threading.h"

#include <omp.h>

#include <thread>

namespace fixpoint::runtime::cpu {

void SetIntraOpThreadsForThisThread(int n) {
  if (n <= 0) n = HardwareThreads();
  if (omp_get_max_threads() != n) omp_set_num_threads(n);
}

int HardwareThreads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

}  // namespace fixpoint::runtime::cpu
