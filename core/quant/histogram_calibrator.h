// Base for calibrators that stream values into a Histogram and choose a range
// from it (percentile, entropy, MSE). Thread-compatible.
#ifndef FIXPOINT_CORE_QUANT_HISTOGRAM_CALIBRATOR_H_
#define FIXPOINT_CORE_QUANT_HISTOGRAM_CALIBRATOR_H_

#include <optional>
#include <span>

#include "core/quant/calibrator.h"
#include "core/quant/histogram.h"
#include "core/quant/value_scan.h"
#include "core/util/status_macros.h"

namespace fixpoint::quant {

class HistogramCalibrator : public Calibrator {
 public:
  // Rejects non-finite values (naming the method), else adds them.
  absl::Status Observe(std::span<const float> values) final {
    const ValueScan scan = ScanValues(values);
    if (!scan.finite) return CheckFinite(Method(), values);  // names the value
    histogram_.Add(values, scan);
    return absl::OkStatus();
  }

  // Adds `other`'s histogram (Histogram::Merge): exact, so the range is
  // the one of a calibrator that saw both.
  absl::Status Merge(const Calibrator& base) final {
    const auto* other = dynamic_cast<const HistogramCalibrator*>(&base);
    if (other == nullptr || other->Method() != Method() || !(other->options_ == options_)) {
      return MergeMismatchError(Method(), base);
    }
    return histogram_.Merge(other->histogram_);
  }

  // FAILED_PRECONDITION before any value; [0, 0] for all-zero data; otherwise
  // what the method picks from the histogram.
  absl::StatusOr<TensorRange> Range() const final {
    if (histogram_.empty()) return NothingObservedError(Method());
    if (histogram_.range() == 0.0) return TensorRange{0.0f, 0.0f, std::nullopt};
    return RangeFromHistogram();
  }

 protected:
  explicit HistogramCalibrator(const CalibratorOptions& options)
      : options_(options), histogram_(HistogramBinsPerSide(options)) {}

  // Called with a non-empty histogram of a non-zero range.
  virtual absl::StatusOr<TensorRange> RangeFromHistogram() const = 0;

  const CalibratorOptions options_;
  Histogram histogram_;
};

}  // namespace fixpoint::quant

#endif  // FIXPOINT_CORE_QUANT_HISTOGRAM_CALIBRATOR_H_
