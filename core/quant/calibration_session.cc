#include "core/quant/calibration_session.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"

namespace fixpoint::quant {

absl::StatusOr<std::unique_ptr<CalibrationSession>> CalibrationSession::Create(
    absl::string_view method, const CalibratorOptions& options) {
  // Validates the method name and its options once, up front.
  FP_ASSIGN_OR_RETURN(std::unique_ptr<Calibrator> probe, CreateCalibrator(method, options));
  return std::unique_ptr<CalibrationSession>(
      new CalibrationSession(std::string(method), options, probe->DependsOnBatches()));
}

absl::Status CalibrationSession::Observe(absl::string_view tensor, std::span<const float> values) {
  auto it = calibrators_.find(tensor);
  if (it == calibrators_.end()) {
    FP_ASSIGN_OR_RETURN(std::unique_ptr<Calibrator> calibrator,
                        CreateCalibrator(method_, options_));
    it = calibrators_.emplace(std::string(tensor), std::move(calibrator)).first;
  }
  return WithContext(it->second->Observe(values), absl::StrCat("tensor '", tensor, "'"));
}

absl::Status CalibrationSession::Merge(CalibrationSession&& other) {
  if (other.method_ != method_ || !(other.options_ == options_)) {
    return absl::InvalidArgumentError(absl::StrCat(method_, " calibration: cannot merge a ",
                                                   other.method_, " session with other options"));
  }
  if (depends_on_batches_) {
    return absl::UnimplementedError(
        absl::StrCat(method_, " calibration depends on the order of the batches: no merge"));
  }
  for (auto& [name, calibrator] : other.calibrators_) {
    auto it = calibrators_.find(name);
    if (it == calibrators_.end()) {
      calibrators_.emplace(name, std::move(calibrator));
      continue;
    }
    FP_RETURN_IF_ERROR(
        WithContext(it->second->Merge(*calibrator), absl::StrCat("tensor '", name, "'")));
  }
  other.calibrators_.clear();
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, TensorRange>> CalibrationSession::Ranges() const {
  if (calibrators_.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(method_, " calibration: no tensor was observed"));
  }
  // The searches (mse, entropy, percentile) are independent per tensor and
  // run after the model: spread them over the cores.
  std::vector<std::pair<const std::string*, const Calibrator*>> work;
  for (const auto& [name, calibrator] : calibrators_) work.push_back({&name, calibrator.get()});
  std::vector<absl::StatusOr<TensorRange>> results(work.size(), absl::UnknownError("not run"));
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < work.size(); i = next++) results[i] = work[i].second->Range();
  };
  const size_t cores = std::max(1u, std::thread::hardware_concurrency());
  const size_t threads = std::min(work.size(), cores);
  std::vector<std::thread> helpers;
  for (size_t t = 1; t < threads; ++t) helpers.emplace_back(worker);
  worker();
  for (std::thread& t : helpers) t.join();
  std::map<std::string, TensorRange> ranges;
  for (size_t i = 0; i < work.size(); ++i) {
    if (!results[i].ok()) {
      return WithContext(results[i].status(), absl::StrCat("tensor '", *work[i].first, "'"));
    }
    ranges.emplace(*work[i].first, *results[i]);
  }
  return ranges;
}

}  // namespace fixpoint::quant
