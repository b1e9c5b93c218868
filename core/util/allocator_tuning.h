// Process-wide tuning of glibc's malloc for a workload of large, short-lived
// buffers (activations, graph copies, quantized weights of a few MiB each).
#ifndef FIXPOINT_CORE_UTIL_ALLOCATOR_TUNING_H_
#define FIXPOINT_CORE_UTIL_ALLOCATOR_TUNING_H_

namespace fixpoint::util {

// By default glibc serves a block of 128 KiB or more with its own mmap and
// unmaps it on free (raising that threshold only as blocks are freed), and
// returns free memory at the top of the heap to the kernel beyond 128 KiB;
// memory it gets back is page-faulted and zeroed again on the next use. A
// quantization run allocates and frees such blocks all along (every batch,
// every QDQ rewrite): page faults were about a quarter of the samples of a
// 100-image seed_cnn run. This serves blocks below 32 MiB from the heap and
// lets each malloc arena (glibc keeps one per allocating thread, up to 8 per
// core) hold up to 256 MiB of free memory at its top for reuse: calibration
// with bias correction, seed_cnn at 100 images, 35 -> 30 ms (medians of 7).
// The cost: memory a process no longer uses stays mapped (a 1,000-image
// resnet_small quantization peaks at 142 instead of 112 MB resident). Call
// early in main(), before other threads exist; returns false if glibc
// refused a setting.
bool TuneAllocatorForLargeBuffers();

}  // namespace fixpoint::util

#endif  // FIXPOINT_CORE_UTIL_ALLOCATOR_TUNING_H_
