// The explicit table of calibration methods. Adding a method: write
// <method>_calibrator.cc defining its factory, then add one line to
// FP_CALIBRATION_METHODS below (it both declares the factory and lists it).
// No self-registering statics: static libraries would drop them.
#include <cmath>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/quant/calibrator.h"

namespace fixpoint::quant {

using CalibratorFactory = absl::StatusOr<std::unique_ptr<Calibrator>>(const CalibratorOptions&);

// X(name, factory): one line per method, in the order CalibrationMethods()
// reports them.
#define FP_CALIBRATION_METHODS(X)                              \
  X("minmax", NewMinMaxCalibrator)                             \
  X("moving-average-minmax", NewMovingAverageMinMaxCalibrator) \
  X("percentile", NewPercentileCalibrator)                     \
  X("entropy", NewEntropyCalibrator)                           \
  X("mse", NewMseCalibrator)                                   \
  X("pof2-nonoverflow", NewPof2NonOverflowCalibrator)          \
  X("pof2-mindiffs", NewPof2MinDiffsCalibrator)

// Factories are defined in the methods' own .cc files.
#define FP_DECLARE_CALIBRATOR_FACTORY(name, factory) CalibratorFactory factory;
FP_CALIBRATION_METHODS(FP_DECLARE_CALIBRATOR_FACTORY)
#undef FP_DECLARE_CALIBRATOR_FACTORY

namespace {

struct MethodEntry {
  const char* name;
  CalibratorFactory* factory;
};

#define FP_CALIBRATOR_ENTRY(name, factory) MethodEntry{name, &factory},
constexpr MethodEntry kMethods[] = {FP_CALIBRATION_METHODS(FP_CALIBRATOR_ENTRY)};
#undef FP_CALIBRATOR_ENTRY
#undef FP_CALIBRATION_METHODS

}  // namespace

absl::StatusOr<std::unique_ptr<Calibrator>> CreateCalibrator(absl::string_view method,
                                                             const CalibratorOptions& options) {
  for (const MethodEntry& entry : kMethods) {
    if (method == entry.name) return entry.factory(options);
  }
  return absl::InvalidArgumentError(
      absl::StrFormat("unknown calibration method '%s'; known methods: %s", method,
                      absl::StrJoin(CalibrationMethods(), ", ")));
}

std::vector<std::string> CalibrationMethods() {
  std::vector<std::string> names;
  for (const MethodEntry& entry : kMethods) names.emplace_back(entry.name);
  return names;
}

absl::Status CheckFinite(absl::string_view method, std::span<const float> values) {
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s calibration: value %g at index %d of the batch is not finite", method, values[i], i));
    }
  }
  return absl::OkStatus();
}

absl::Status MergeMismatchError(absl::string_view method, const Calibrator& other) {
  return absl::InvalidArgumentError(absl::StrFormat(
      "%s calibration: cannot merge a %s calibrator with other options", method, other.Method()));
}

}  // namespace fixpoint::quant
