// Calibration of a float graph: runs it on dataset batches with the runtime,
// which hands each tensor to calibrate to a CalibrationSession in place, as
// soon as it is computed. The batches are split over data-parallel workers
// (parallel_batches.h) that share the runtime session and keep calibrators
// of their own, merged at the end. Memory is bounded by one batch's
// intermediate values per worker plus the calibrators' summaries.
// Thread-compatible; the callbacks are called one at a time, from the worker
// threads.
#ifndef FIXPOINT_CORE_QUANT_CALIBRATE_GRAPH_H_
#define FIXPOINT_CORE_QUANT_CALIBRATE_GRAPH_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/io/dataset.h"
#include "core/ir/graph.h"
#include "core/quant/calibrator.h"
#include "core/quant/float_reference.h"

namespace fixpoint::quant {

struct CalibrateOptions {
  std::string method = "minmax";  // one of CalibrationMethods()
  CalibratorOptions calibrator;
  // The first `num_images` items of the dataset (0 or more than it has: all).
  int64_t num_images = 0;
  // Largest batch (memory is bounded by one batch's values); see
  // CalibrationBatchSize. Exactly this size for a method whose range depends
  // on the batches (Calibrator::DependsOnBatches).
  int batch_size = 32;
  // Threads in all (0 = all hardware threads): the batches are split over
  // min(threads, batches) workers, each running its batches on
  // threads / workers threads (runtime::SessionOptions::intra_op_threads);
  // one worker, with `threads` per Run, for a method whose range depends on
  // the batches. The workers' summaries merge exactly (counts, extremes);
  // sums (pof2-mindiffs' errors, the float reference's moments) up to the
  // order of double additions, which is fixed for a given thread count.
  int threads = 0;
  // After each batch: (images done, images in total), increasing.
  std::function<void(int64_t, int64_t)> progress;
  // Checked before each batch; true aborts with CANCELLED.
  std::function<bool()> cancelled;
  // Optional second use of the same forward passes: bias correction's float
  // reference, FloatReference::For(graph) with nothing recorded yet, fed the
  // batches that start before `float_reference_images`. Each worker feeds a
  // reference of its own; they are merged into this one in worker order
  // (FloatReference::Merge), so it ends with the batches in dataset order.
  FloatReference* float_reference = nullptr;
  int64_t float_reference_images = 0;
};

struct CalibrationResult {
  std::map<std::string, TensorRange> ranges;  // one per requested tensor
  int64_t images = 0;
  double seconds = 0;  // wall time: binding, runs, observing and Ranges()
};

// The size of the batches CalibrateGraph runs `images` images in, given the
// requested batch_size (at most that): the largest that splits the images
// into equal batches, up to twice the fewest batches of batch_size; else
// ceil(images / ceil(images / batch_size)), the last batch then smaller.
// (Each new batch shape binds the kernels again, a few ms.)
int64_t CalibrationBatchSize(int64_t images, int batch_size);

// Calibrates `tensors` (values of `graph`, which must have one f32 input;
// value_info inferred) on `dataset`. The graph is run as is (no further
// optimization). INVALID_ARGUMENT for an empty tensor list, a name that is not
// a value of the graph, an empty dataset, batch_size <= 0 or an unknown
// method; CANCELLED when `cancelled` says so; run and calibrator errors carry
// the batch index (of the first batch that failed, whatever the threads).
absl::StatusOr<CalibrationResult> CalibrateGraph(const ir::Graph& graph,
                                                 const std::vector<std::string>& tensors,
                                                 const io::Dataset& dataset,
                                                 const CalibrateOptions& options);

}  // namespace fixpoint::quant

#endif  // FIXPOINT_CORE_QUANT_CALIBRATE_GRAPH_H_
