#include "core/quant/calibrate_graph.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <span>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/quant/calibration_session.h"
#include "core/quant/observed_values.h"
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
  if (options.batch_size <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("calibration batch size ", options.batch_size, " is not positive"));
  }
  if (dataset.size() == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("calibration dataset '", dataset.source_path, "' is empty"));
  }
  FP_ASSIGN_OR_RETURN(std::unique_ptr<CalibrationSession> calibration,
                      CalibrationSession::Create(options.method, options.calibrator));
  FP_RETURN_IF_ERROR(CheckTensors(graph, tensors));
  runtime::SessionOptions session_options;
  session_options.intra_op_threads = options.threads;
  session_options.optimize = false;  // the caller's graph is what gets calibrated
  FP_ASSIGN_OR_RETURN(std::unique_ptr<runtime::Session> session,
                      runtime::Session::Create(graph, session_options));

  const int64_t total =
      options.num_images > 0 ? std::min(options.num_images, dataset.size()) : dataset.size();
  CalibrationResult result;
  std::vector<float> scratch;
  // Equal batches change no range, except where the method averages per batch.
  const int64_t batch_size = calibration->depends_on_batches()
                                 ? options.batch_size
                                 : CalibrationBatchSize(total, options.batch_size);
  // With the side observation: the calibrated tensors, then the side's other
  // ones; side_of[k] is names[k]'s index in side_tensors, or -1.
  std::vector<std::string> names = tensors;
  std::vector<int> side_of(tensors.size(), -1);
  for (size_t j = 0; j < options.side_tensors.size(); ++j) {
    const auto it = std::find(tensors.begin(), tensors.end(), options.side_tensors[j]);
    if (it != tensors.end()) {
      side_of[it - tensors.begin()] = static_cast<int>(j);
    } else {
      names.push_back(options.side_tensors[j]);
      side_of.push_back(static_cast<int>(j));
    }
  }
  for (int64_t first = 0, b = 0; first < total; first += batch_size, ++b) {
    if (options.cancelled && options.cancelled()) {
      return absl::CancelledError(
          absl::StrCat("calibration cancelled after ", first, " of ", total, " images"));
    }
    const int64_t count = std::min<int64_t>(batch_size, total - first);
    FP_ASSIGN_OR_RETURN(io::DatasetBatch batch, dataset.Items(first, count));
    const bool side = first < options.side_images && options.side_observe;
    // Each tensor is observed in place, right after the kernel that writes
    // it, in whatever layout that kernel chose (no extra graph outputs, so
    // no copies and no forced plain layouts).
    auto outputs = session->RunObserved(
        std::vector<ir::TensorView>{batch.images}, side ? names : tensors,
        [&](size_t k, const runtime::ObservedValue& value) -> absl::Status {
          if (k < tensors.size()) {
            FP_RETURN_IF_ERROR(calibration->Observe(tensors[k], ObservedFloats(value, scratch)));
          }
          if (side && side_of[k] >= 0) return options.side_observe(side_of[k], value);
          return absl::OkStatus();
        });
    if (!outputs.ok()) {
      return WithContext(outputs.status(), absl::StrCat("calibration batch ", b));
    }
    if (side && options.side_batch) options.side_batch(count, *std::move(outputs));
    result.images += count;
    if (options.progress) options.progress(result.images, total);
  }
  FP_ASSIGN_OR_RETURN(result.ranges, calibration->Ranges());
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace fixpoint::quant
