#include "core/quant/calibration_session.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"

namespace fixpoint::quant {

absl::StatusOr<std::unique_ptr<CalibrationSession>> CalibrationSession::Create(
    absl::string_view method, const CalibratorOptions& options) {
  // Validates the method name and its options once, up front.
  FP_ASSIGN_OR_RETURN(std::unique_ptr<Calibrator> probe, CreateCalibrator(method, options));
  (void)probe;
  return std::unique_ptr<CalibrationSession>(new CalibrationSession(std::string(method), options));
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

absl::StatusOr<std::map<std::string, TensorRange>> CalibrationSession::Ranges() const {
  if (calibrators_.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(method_, " calibration: no tensor was observed"));
  }
  std::map<std::string, TensorRange> ranges;
  for (const auto& [name, calibrator] : calibrators_) {
    absl::StatusOr<TensorRange> range = calibrator->Range();
    if (!range.ok()) return WithContext(range.status(), absl::StrCat("tensor '", name, "'"));
    ranges.emplace(name, *range);
  }
  return ranges;
}

}  // namespace fixpoint::quant
