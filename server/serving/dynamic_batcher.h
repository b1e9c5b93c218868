// DynamicBatcher: one model version's request queue. Requests whose items
// have the same shape are concatenated along dimension 0 (up to a maximum
// batch size, waiting at most a queue delay for company), run as one
// runtime::Session call on a worker thread, and split back; each request is
// completed through its own callback on that worker thread, never on the
// caller's. The queue is bounded: a full queue rejects at once.
// Per request it copies the inputs once (into the worker's reused batch
// buffer) and hands out views of its rows of the outputs: no per-request
// tensor allocations.
// Thread-safe. Callbacks run without the batcher's lock held.
#ifndef FIXPOINT_SERVER_SERVING_DYNAMIC_BATCHER_H_
#define FIXPOINT_SERVER_SERVING_DYNAMIC_BATCHER_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/ir/tensor.h"
#include "core/runtime/session.h"
#include "server/metrics/metrics.h"

namespace fixpoint::server {

struct BatcherOptions {
  // Items (sum of dimension 0) per executed batch; 1 runs requests alone.
  int max_batch_size = 32;
  // How long the oldest queued request may wait for others to join it.
  int64_t max_queue_delay_us = 500;
  // Requests waiting (not yet running); one more is RESOURCE_EXHAUSTED.
  int max_queue_size = 256;
  // Threads running batches. Batch formation is serialized; runs overlap.
  int workers = 1;
};

// Receives a request's outputs (in the session's output order, dimension 0
// = the request's own batch) as views that are valid only during the call,
// or the error of its run.
using InferDone = absl::AnyInvocable<void(absl::StatusOr<std::span<const ir::TensorView>>)>;
// The same with outputs copied into tensors the callee owns.
using InferTensorsDone = absl::AnyInvocable<void(absl::StatusOr<std::vector<ir::Tensor>>)>;

class DynamicBatcher {
 public:
  // Starts options.workers threads running batches on `session`. `labels`
  // name the version in metrics and messages; `metrics` must outlive the
  // batcher. INVALID_ARGUMENT for options out of range.
  static absl::StatusOr<std::unique_ptr<DynamicBatcher>> Create(
      std::shared_ptr<const runtime::Session> session, const BatcherOptions& options,
      const VersionLabels& labels, Metrics& metrics);
  // Stop().
  ~DynamicBatcher();

  DynamicBatcher(const DynamicBatcher&) = delete;
  DynamicBatcher& operator=(const DynamicBatcher&) = delete;

  // Queues one request: `inputs` in the session's input order, already
  // checked against the model's dtypes and shapes. The viewed bytes must
  // stay valid and unchanged until `done` has been called; `keep_alive`
  // (tensors some views may point into) is held until then. On OK, `done`
  // is called exactly once, later, on a worker thread. Otherwise `done` is
  // not called: RESOURCE_EXHAUSTED when the queue is full, INVALID_ARGUMENT
  // when the inputs disagree on dimension 0 or the request alone exceeds
  // the maximum batch size, UNAVAILABLE once Stop() began.
  absl::Status Submit(std::vector<ir::TensorView> inputs, InferDone done,
                      std::vector<ir::Tensor> keep_alive = {});
  // Submit with owned inputs and outputs copied out (tests and tools).
  absl::Status Submit(std::vector<ir::Tensor> inputs, InferTensorsDone done);

  // Stops accepting, runs every queued request (without waiting for the
  // queue delay), then joins the workers. Idempotent. Must not be called
  // from a `done` callback (it would join its own thread).
  void Stop();

  // Whether requests can be merged: every input and output of the session's
  // graph has a dynamic dimension 0 and max_batch_size > 1.
  bool batching() const { return batching_; }
  const BatcherOptions& options() const { return options_; }

 private:
  struct Pending {
    std::vector<ir::TensorView> inputs;
    std::vector<ir::Tensor> keep_alive;
    InferDone done;
    int64_t items = 1;  // dimension 0
    absl::Time enqueued;
  };
  // Per worker thread: the batch and its input buffers, reused from batch
  // to batch (no allocations per batch once they have grown).
  struct Scratch {
    std::vector<Pending> batch;
    std::vector<ir::Tensor> inputs;  // raw bytes (u8), grown as needed
    std::vector<ir::TensorView> views;
    std::vector<ir::TensorView> rows;
    std::vector<double> queue_seconds;
  };

  DynamicBatcher(std::shared_ptr<const runtime::Session> session, const BatcherOptions& options,
                 const VersionLabels& labels, Metrics& metrics, bool batching);
  void WorkerLoop();
  // A worker may start forming a batch, or exit (stopping, nothing queued).
  bool CanForm() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The forming worker stops waiting for company.
  bool BatchFullOrStopping() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Moves the oldest request and the compatible ones after it that fit
  // into `batch` (empty on entry).
  void TakeBatch(std::vector<Pending>& batch) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Runs scratch.batch and completes its requests, leaving it empty.
  void RunBatch(Scratch& scratch);
  // RunBatch's work: one session run, then every request's callback.
  void RunAndComplete(std::vector<Pending>& batch, Scratch& scratch);
  std::string Describe() const;  // "model 'm' version 2"

  const std::shared_ptr<const runtime::Session> session_;
  const BatcherOptions options_;
  const VersionLabels labels_;
  const VersionMetrics metrics_;
  const bool batching_;

  mutable absl::Mutex mu_;
  std::deque<Pending> queue_ ABSL_GUARDED_BY(mu_);
  int64_t queued_items_ ABSL_GUARDED_BY(mu_) = 0;
  bool forming_ ABSL_GUARDED_BY(mu_) = false;  // a worker is waiting for company
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  absl::Mutex join_mu_;  // serializes Stop()'s joins
  std::vector<std::thread> workers_ ABSL_GUARDED_BY(join_mu_);
};

}  // namespace fixpoint::server

#endif  // FIXPOINT_SERVER_SERVING_DYNAMIC_BATCHER_H_
