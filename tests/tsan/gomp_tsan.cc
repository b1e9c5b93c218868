// ThreadSanitizer builds only (FP_TSAN). Debian's libgomp is not compiled
// with -fsanitize=thread, so TSan cannot see that an OpenMP parallel
// region's fork and join, and its barriers, order memory: oneDNN's kernels
// write, on pool threads, buffers that the caller allocated and later reads
// or frees, and each such access looks like a race. The test executables
// define GOMP_parallel and GOMP_barrier (the entry points libdnnl uses);
// the dynamic linker binds libdnnl's calls to these definitions, which
// report the fork, join and barrier edges of that region and call libgomp's
// own versions.
#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <cstdlib>

namespace {

using ParallelFn = void (*)(void (*)(void*), void*, unsigned, unsigned);
using BarrierFn = void (*)();

void* Real(const char* name, const char* version) {
  void* f = dlvsym(RTLD_NEXT, name, version);
  if (f == nullptr) std::abort();
  return f;
}

// One parallel region; its members' addresses are the TSan sync objects.
struct Region {
  void (*fn)(void*);
  void* data;
  char fork = 0, join = 0, barrier = 0;
};

// The region the calling thread runs in, for GOMP_barrier.
thread_local Region* current = nullptr;

void RegionBody(void* p) {
  Region* region = static_cast<Region*>(p);
  Region* outer = current;
  current = region;
  __tsan_acquire(&region->fork);  // everything the caller did before the fork
  region->fn(region->data);
  __tsan_release(&region->join);  // this thread's writes, for the caller after the join
  current = outer;
}

char unknown_region_barrier;

}  // namespace

extern "C" {

void GOMP_parallel(void (*fn)(void*), void* data, unsigned num_threads, unsigned flags) {
  static const auto real = reinterpret_cast<ParallelFn>(Real("GOMP_parallel", "GOMP_4.0"));
  Region region{fn, data};
  __tsan_release(&region.fork);
  real(RegionBody, &region, num_threads, flags);
  __tsan_acquire(&region.join);
}

void GOMP_barrier() {
  static const auto real = reinterpret_cast<BarrierFn>(Real("GOMP_barrier", "GOMP_1.0"));
  char* edge = current != nullptr ? &current->barrier : &unknown_region_barrier;
  __tsan_release(edge);
  real();
  __tsan_acquire(edge);
}

}  // extern "C"
