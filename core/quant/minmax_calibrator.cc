// "minmax": the exact [min, max] over all batches.
// "moving-average-minmax": an exponential moving average of the per-batch
// min and max (PyTorch MovingAverageMinMaxObserver / ORT CalibMovingAverage):
// the first batch sets them, each later batch does
// min += c * (batch_min - min), max += c * (batch_max - max).
// With `symmetric`, both return [-a, a], a = max(|min|, |max|).
#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "core/quant/calibrator.h"
#include "core/quant/value_scan.h"
#include "core/util/status_macros.h"

namespace fixpoint::quant {
namespace {

TensorRange MaybeSymmetric(double min, double max, bool symmetric) {
  if (!symmetric)
    return TensorRange{static_cast<float>(min), static_cast<float>(max), std::nullopt};
  const float a = static_cast<float>(std::max(std::fabs(min), std::fabs(max)));
  return TensorRange{-a, a, std::nullopt};
}

class MinMaxCalibrator final : public Calibrator {
 public:
  MinMaxCalibrator(bool moving_average, const CalibratorOptions& options)
      : moving_average_(moving_average),
        symmetric_(options.symmetric),
        averaging_constant_(options.averaging_constant) {}

  absl::Status Observe(std::span<const float> values) override {
    const ValueScan scan = ScanValues(values);
    if (!scan.finite) return CheckFinite(Method(), values);  // names the value
    if (values.empty()) return absl::OkStatus();
    if (!observed_) {
      min_ = scan.min;
      max_ = scan.max;
      observed_ = true;
    } else if (moving_average_) {
      // Double keeps the average from drifting over thousands of batches.
      min_ += averaging_constant_ * (scan.min - min_);
      max_ += averaging_constant_ * (scan.max - max_);
    } else {
      min_ = std::min<double>(min_, scan.min);
      max_ = std::max<double>(max_, scan.max);
    }
    return absl::OkStatus();
  }

  absl::Status Merge(const Calibrator& base) override {
    const auto* other = dynamic_cast<const MinMaxCalibrator*>(&base);
    if (other == nullptr || other->moving_average_ != moving_average_ ||
        other->symmetric_ != symmetric_ || other->averaging_constant_ != averaging_constant_) {
      return MergeMismatchError(Method(), base);
    }
    if (moving_average_) {
      return absl::UnimplementedError(
          "moving-average-minmax calibration: the average depends on the order of the batches, "
          "so it cannot be merged");
    }
    if (!other->observed_) return absl::OkStatus();
    min_ = observed_ ? std::min(min_, other->min_) : other->min_;
    max_ = observed_ ? std::max(max_, other->max_) : other->max_;
    observed_ = true;
    return absl::OkStatus();
  }

  absl::StatusOr<TensorRange> Range() const override {
    if (!observed_) {
      return absl::FailedPreconditionError(
          absl::StrFormat("%s calibration: no values observed", Method()));
    }
    return MaybeSymmetric(min_, max_, symmetric_);
  }

  std::string Method() const override {
    return moving_average_ ? "moving-average-minmax" : "minmax";
  }

  bool DependsOnBatches() const override { return moving_average_; }

 private:
  const bool moving_average_;
  const bool symmetric_;
  const double averaging_constant_;
  bool observed_ = false;
  double min_ = 0.0;
  double max_ = 0.0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Calibrator>> NewMinMaxCalibrator(const CalibratorOptions& options) {
  return std::make_unique<MinMaxCalibrator>(/*moving_average=*/false, options);
}

absl::StatusOr<std::unique_ptr<Calibrator>> NewMovingAverageMinMaxCalibrator(
    const CalibratorOptions& options) {
  const double c = options.averaging_constant;
  if (!(c > 0.0 && c <= 1.0)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "moving-average-minmax calibration: averaging_constant %g is not in (0, 1]", c));
  }
  return std::make_unique<MinMaxCalibrator>(/*moving_average=*/true, options);
}

}  // namespace fixpoint::quant
