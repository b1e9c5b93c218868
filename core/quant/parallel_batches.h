// Runs the batches of a pass over a dataset on several threads, as
// data-parallel workers that each keep their own state (a session, the
// calibrators' summaries) to merge afterwards. The assignment is static and
// deterministic: worker w of W runs batches w, w + W, w + 2W, ... in
// increasing order, so that per-worker summaries merged in worker order give
// the same result on every run. The calling thread is worker 0.
// Thread-safe; the hooks are called one at a time (under a mutex), so they
// need not be, but they run on the workers' threads.
#ifndef FIXPOINT_CORE_QUANT_PARALLEL_BATCHES_H_
#define FIXPOINT_CORE_QUANT_PARALLEL_BATCHES_H_

#include <cstdint>
#include <functional>

#include "absl/status/status.h"

namespace fixpoint::quant {

struct ParallelBatchesOptions {
  int64_t batches = 0;
  // Threads, at least 1; no more than `batches` are started.
  int workers = 1;
  // Checked before each batch; true stops every worker (batches already
  // running finish) and the run returns CANCELLED.
  std::function<bool()> cancelled;
  // After each batch that succeeded.
  std::function<void(int64_t batch)> done;
};

// The number of workers RunParallelBatches starts: min(workers, batches),
// at least 1.
int ParallelBatchWorkers(const ParallelBatchesOptions& options);

// Calls body(worker, batch) for every batch in [0, options.batches), with
// worker in [0, ParallelBatchWorkers(options)), concurrently across workers.
// Returns OK; CANCELLED ("cancelled") when `cancelled` said so (whatever
// else happened); else the error of the lowest-numbered batch that failed,
// as body returned it. After a failure no worker starts a batch above the
// failed one, but every batch below it still runs, so the reported batch is
// the one a sequential pass would have stopped at.
absl::Status RunParallelBatches(const ParallelBatchesOptions& options,
                                const std::function<absl::Status(int worker, int64_t batch)>& body);

}  // namespace fixpoint::quant

#endif  // FIXPOINT_CORE_QUANT_PARALLEL_BATCHES_H_
