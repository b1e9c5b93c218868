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

// Makes every thread allocate from the main malloc arena. glibc gives each
// new thread an arena of its own whose pages are all fresh, so a short-lived
// helper thread faults in its working memory (about 1.6 us a page on this
// VM) while memory the main thread freed, already faulted in, sits unused:
// bias correction's uncorrected comparison, on a thread of its own, took
// about 950 faults for a 100-image resnet_small run. With one arena,
// calibration with bias correction at 100 images went 0.0377 -> 0.0347 s
// (resnet_small) and 0.0231 -> 0.0217 s (seed_cnn), medians of 15 and 11
// interleaved runs (set through GLIBC_TUNABLES; through this call on a
// busier VM, resnet_small 0.0465 -> 0.0445 s, medians of 21). Small blocks
// still come from each thread's own cache (tcache) without the arena's
// lock. For a one-shot process such as the `fixpoint` command; fixpointd
// keeps glibc's arenas, which its long-lived threads keep warm, and whose
// serving path was not measured with one. Call early in main(); returns
// false if glibc refused.
bool ShareOneMallocArena();

}  // namespace fixpoint::util

#endif  // FIXPOINT_CORE_UTIL_ALLOCATOR_TUNING_H_
