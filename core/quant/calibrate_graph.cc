#include "core/quant/calibrate_graph.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/quant/calibration_session.h"
#include "core/quant/observed_values.h"
#include "core/quant/parallel_batches.h"
#include "core/runtime/cpu/threading.h"
#include "core/runtime/session.h"
#include "core/util/status_macros.h"

namespace fixpoint::quant {
namespace {

// INVALID_ARGUMENT unless every name is an f32 activation of `graph`.
absl::Status CheckTensors(const ir::Graph& graph, const std::vector<std::string>& tensors) {
  for (const std::string& name : tensors) {
    const ir::ValueInfo* info = graph.FindValueInfo(name);
    if (info == nullptr || graph.IsInitializer(name) || info->dtype != ir::DType::kF32) {
      return absl::InvalidArgumentError(
          absl::StrCat("tensor '", name, "' to calibrate is not an f32 activation of the graph"));
    }
  }
  return absl::OkStatus();
}

// INVALID_ARGUMENT for a batch size <= 0 or an empty dataset.
absl::Status CheckSizes(const io::Dataset& dataset, const CalibrateOptions& options) {
  if (options.batch_size <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("calibration batch size ", options.batch_size, " is not positive"));
  }
  if (dataset.size() == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("calibration dataset '", dataset.source_path, "' is empty"));
  }
  return absl::OkStatus();
}

// What one worker of the pass owns. (The runtime session is shared: Run is
// thread-safe, and one session saves each further worker Create's graph
// copy and checks, 2 ms for seed_cnn.)
struct Worker {
  std::unique_ptr<CalibrationSession> calibration;
  FloatReference* callers_reference = nullptr;  // worker 0's
  std::optional<FloatReference> own_reference;  // the other workers'
  std::vector<float> scratch;                   // ObservedFloats' reordering buffer

  // The float reference this worker feeds, or null.
  FloatReference* reference() { return own_reference ? &*own_reference : callers_reference; }
};

// What the workers share, read-only while they run.
struct Pass {
  const runtime::Session& session;
  const io::Dataset& dataset;
  const std::vector<std::string>& tensors;
  int64_t total = 0;
  int64_t batch_size = 0;
  int64_t reference_images = 0;
  // With a float reference: the calibrated tensors, then its other ones;
  // side_of[k] is names[k]'s index in its tensors(), or -1.
  std::vector<std::string> names;
  std::vector<int> side_of;

  Pass(const runtime::Session& session, const io::Dataset& dataset,
       const std::vector<std::string>& tensors, const FloatReference* reference)
      : session(session),
        dataset(dataset),
        tensors(tensors),
        names(tensors),
        side_of(tensors.size(), -1) {
    for (size_t j = 0; reference != nullptr && j < reference->tensors().size(); ++j) {
      const std::string& name = reference->tensors()[j];
      const auto it = std::find(tensors.begin(), tensors.end(), name);
      if (it != tensors.end()) {
        side_of[it - tensors.begin()] = static_cast<int>(j);
      } else {
        names.push_back(name);
        side_of.push_back(static_cast<int>(j));
      }
    }
  }

  int64_t BatchImages(int64_t b) const { return std::min(batch_size, total - b * batch_size); }

  // Runs batch `b` on `worker`, observing in place: each tensor right after
  // the kernel that writes it, in whatever layout that kernel chose (no
  // extra graph outputs, so no copies and no forced plain layouts).
  absl::Status RunBatch(Worker& worker, int64_t b) const {
    const int64_t first = b * batch_size;
    const int64_t count = BatchImages(b);
    FP_ASSIGN_OR_RETURN(io::DatasetBatch batch, dataset.Items(first, count));
    FloatReference* const reference = worker.reference();
    const bool side = first < reference_images && reference != nullptr;
    auto outputs = session.RunObserved(
        std::vector<ir::TensorView>{batch.images}, side ? names : tensors,
        [&](size_t k, const runtime::ObservedValue& value) -> absl::Status {
          if (k < tensors.size()) {
            FP_RETURN_IF_ERROR(
                worker.calibration->Observe(tensors[k], ObservedFloats(value, worker.scratch)));
          }
          if (side && side_of[k] >= 0) return reference->Observe(side_of[k], value);
          return absl::OkStatus();
        });
    if (!outputs.ok()) return WithContext(outputs.status(), absl::StrCat("calibration batch ", b));
    if (side) reference->EndBatch(first, count, *std::move(outputs));
    return absl::OkStatus();
  }
};

// `workers` workers; worker 0 feeds `calibration` and the caller's float
// reference, the others their own.
absl::StatusOr<std::vector<Worker>> CreateWorkers(const ir::Graph& graph,
                                                  const CalibrateOptions& options, int workers,
                                                  std::unique_ptr<CalibrationSession> calibration) {
  std::vector<Worker> state(workers);
  state[0].calibration = std::move(calibration);
  state[0].callers_reference = options.float_reference;
  for (int w = 1; w < workers; ++w) {
    FP_ASSIGN_OR_RETURN(state[w].calibration,
                        CalibrationSession::Create(options.method, options.calibrator));
    if (options.float_reference != nullptr) state[w].own_reference = FloatReference::For(graph);
  }
  return state;
}

}  // namespace

int64_t CalibrationBatchSize(int64_t images, int batch_size) {
  if (images <= 0 || batch_size <= 0) return std::max(batch_size, 1);
  const int64_t fewest = (images + batch_size - 1) / batch_size;
  // Every new batch shape binds its kernels again (oneDNN primitive creation,
  // 2-3 ms for resnet_small), so prefer equal batches: the fewest that divide
  // the images, up to twice the fewest batches.
  for (int64_t batches = fewest; batches <= 2 * fewest && batches <= images; ++batches) {
    if (images % batches == 0) return images / batches;
  }
  return (images + fewest - 1) / fewest;
}

absl::StatusOr<CalibrationResult> CalibrateGraph(const ir::Graph& graph,
                                                 const std::vector<std::string>& tensors,
                                                 const io::Dataset& dataset,
                                                 const CalibrateOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  if (tensors.empty()) return absl::InvalidArgumentError("no tensor to calibrate");
  FP_RETURN_IF_ERROR(CheckSizes(dataset, options));
  FP_ASSIGN_OR_RETURN(std::unique_ptr<CalibrationSession> calibration,
                      CalibrationSession::Create(options.method, options.calibrator));
  FP_RETURN_IF_ERROR(CheckTensors(graph, tensors));

  const int64_t total =
      options.num_images > 0 ? std::min(options.num_images, dataset.size()) : dataset.size();
  // Equal batches change no range, except where the method averages per
  // batch; that average is sequential, so it also gets one worker.
  const bool sequential = calibration->depends_on_batches();
  const int64_t batch_size =
      sequential ? options.batch_size : CalibrationBatchSize(total, options.batch_size);
  const int threads = runtime::cpu::ThreadsOrAll(options.threads);
  ParallelBatchesOptions parallel;
  parallel.batches = (total + batch_size - 1) / batch_size;
  parallel.workers = sequential ? 1 : threads;
  const int workers = ParallelBatchWorkers(parallel);
  runtime::SessionOptions session_options;
  session_options.intra_op_threads = workers == 1 ? options.threads : std::max(1, threads / workers);
  session_options.optimize = false;  // the caller's graph is what gets calibrated
  FP_ASSIGN_OR_RETURN(std::unique_ptr<runtime::Session> session,
                      runtime::Session::Create(graph, session_options));
  // Bind once, and ready every worker's working memory, here: a worker on a
  // thread of its own would otherwise fault in fresh pages for it (about
  // 1,000 for a 25-image resnet_small batch).
  {
    std::vector<int64_t> dims(dataset.images.shape().dims().begin(),
                              dataset.images.shape().dims().end());
    dims[0] = std::min(batch_size, total);  // the first batch's shape
    const ir::Shape batch_shape(dims);
    FP_RETURN_IF_ERROR(WithContext(
        session->Prepare(std::span<const ir::Shape>(&batch_shape, 1), workers),
        "calibration batch 0"));
  }
  FP_ASSIGN_OR_RETURN(std::vector<Worker> state,
                      CreateWorkers(graph, options, workers, std::move(calibration)));
  Pass pass(*session, dataset, tensors, options.float_reference);
  pass.total = total;
  pass.batch_size = batch_size;
  pass.reference_images = options.float_reference_images;

  CalibrationResult result;
  parallel.cancelled = options.cancelled;
  parallel.done = [&](int64_t b) {
    result.images += pass.BatchImages(b);
    if (options.progress) options.progress(result.images, pass.total);
  };
  const absl::Status run = RunParallelBatches(
      parallel, [&](int w, int64_t b) { return pass.RunBatch(state[w], b); });
  if (absl::IsCancelled(run)) {
    return absl::CancelledError(absl::StrCat("calibration cancelled after ", result.images,
                                             " of ", pass.total, " images"));
  }
  FP_RETURN_IF_ERROR(run);
  // In worker order, so that sums come out the same on every run.
  for (int w = 1; w < workers; ++w) {
    FP_RETURN_IF_ERROR(state[0].calibration->Merge(std::move(*state[w].calibration)));
    if (state[w].own_reference) {
      FP_RETURN_IF_ERROR(options.float_reference->Merge(*std::move(state[w].own_reference)));
    }
  }
  FP_ASSIGN_OR_RETURN(result.ranges, state[0].calibration->Ranges());
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace fixpoint::quant
