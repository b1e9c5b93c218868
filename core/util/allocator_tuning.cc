#include "core/util/allocator_tuning.h"

#include <malloc.h>

namespace fixpoint::util {

bool TuneAllocatorForLargeBuffers() {
  constexpr int kMmapThreshold = 32 << 20;  // glibc's largest allowed value
  constexpr int kTrimThreshold = 256 << 20;
  // Setting either one stops glibc's dynamic adjustment of both, so both are
  // set (the mmap threshold alone or the trim threshold alone measured
  // slower than the defaults).
  const bool mmap_ok = mallopt(M_MMAP_THRESHOLD, kMmapThreshold) == 1;
  const bool trim_ok = mallopt(M_TRIM_THRESHOLD, kTrimThreshold) == 1;
  return mmap_ok && trim_ok;
}

bool ShareOneMallocArena() { return mallopt(M_ARENA_MAX, 1) == 1; }

}  // namespace fixpoint::util
