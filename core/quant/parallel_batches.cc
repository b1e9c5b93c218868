#include "core/quant/parallel_batches.h"

#include <algorithm>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace fixpoint::quant {
namespace {

// What the workers share.
class Progress {
 public:
  explicit Progress(const ParallelBatchesOptions& options)
      : options_(options), lowest_failed_(options.batches) {}

  // Whether `batch` should run: not after cancellation, nor above a failed
  // batch. Calls options.cancelled.
  bool Start(int64_t batch) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    if (cancelled_ || batch > lowest_failed_) return false;
    if (options_.cancelled && options_.cancelled()) {
      cancelled_ = true;
      return false;
    }
    return true;
  }

  // Records how `batch` ended; false if the worker should stop.
  bool Finish(int64_t batch, absl::Status status) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    if (!status.ok()) {
      if (batch < lowest_failed_) {
        lowest_failed_ = batch;
        error_ = std::move(status);
      }
      return false;
    }
    if (options_.done) options_.done(batch);
    return true;
  }

  absl::Status Result() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    if (cancelled_) return absl::CancelledError("cancelled");
    return error_;
  }

 private:
  const ParallelBatchesOptions& options_;
  absl::Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  int64_t lowest_failed_ ABSL_GUARDED_BY(mu_);  // options.batches while none failed
  absl::Status error_ ABSL_GUARDED_BY(mu_);     // of lowest_failed_
};

}  // namespace

int ParallelBatchWorkers(const ParallelBatchesOptions& options) {
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(options.workers, options.batches)));
}

absl::Status RunParallelBatches(const ParallelBatchesOptions& options,
                                const std::function<absl::Status(int worker, int64_t batch)>& body) {
  const int workers = ParallelBatchWorkers(options);
  Progress progress(options);
  auto work = [&](int w) {
    for (int64_t b = w; b < options.batches; b += workers) {
      if (!progress.Start(b) || !progress.Finish(b, body(w, b))) return;
    }
  };
  std::vector<std::thread> threads;
  for (int w = 1; w < workers; ++w) threads.emplace_back(work, w);
  work(0);
  for (std::thread& t : threads) t.join();
  return progress.Result();
}

}  // namespace fixpoint::quant
