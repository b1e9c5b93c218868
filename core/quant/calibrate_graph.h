// Calibration of a float graph: runs it on dataset batches with the runtime,
// which hands each tensor to calibrate to a CalibrationSession in place, as
// soon as it is computed. Memory is bounded by one batch's intermediate
// values plus the calibrators' summaries.
// Thread-compatible (the callbacks are called on the calling thread).
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
#include "core/runtime/session.h"

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
  // Threads per Run (runtime::SessionOptions::intra_op_threads; 0 = all).
  int threads = 0;
  // After each batch: (images done, images in total).
  std::function<void(int64_t, int64_t)> progress;
  // Checked before each batch; true aborts with CANCELLED.
  std::function<bool()> cancelled;
  // Optional second use of the same forward passes (bias correction's float
  // reference): for each batch that starts before `side_images`,
  // side_observe(k, value) for each of `side_tensors` (graph inputs or node
  // outputs, in place like the calibrated ones) and then
  // side_batch(images, graph outputs).
  int64_t side_images = 0;
  std::vector<std::string> side_tensors;
  std::function<absl::Status(size_t, const runtime::ObservedValue&)> side_observe;
  std::function<void(int64_t, std::vector<ir::Tensor>)> side_batch;
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
// the batch index.
absl::StatusOr<CalibrationResult> CalibrateGraph(const ir::Graph& graph,
                                                 const std::vector<std::string>& tensors,
                                                 const io::Dataset& dataset,
                                                 const CalibrateOptions& options);

}  // namespace fixpoint::quant

#endif  // FIXPOINT_CORE_QUANT_CALIBRATE_GRAPH_H_
