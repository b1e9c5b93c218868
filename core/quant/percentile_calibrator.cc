// "percentile": clip at a percentile of the observed distribution, read from
// the streaming histogram (ORT's Percentile calibrator, with linear
// interpolation inside the bin instead of ORT's lower bin edge).
//  - symmetric: t = the `percentile`-th percentile of |x|; range [-t, t].
//  - asymmetric: (100 - percentile) / 2 percent cut from each tail of x.
// Interpolation assumes values spread uniformly within a bin; results are
// clamped to the observed [min, max].
#include <algorithm>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "core/quant/calibrator.h"
#include "core/quant/histogram_calibrator.h"
#include "core/util/status_macros.h"

namespace fixpoint::quant {
namespace {

// The value below which `target` of the counts lie; bin b covers
// [origin + b * width, origin + (b + 1) * width).
double Quantile(std::span<const double> counts, double origin, double width, double target) {
  double cumulative = 0.0;
  for (size_t b = 0; b < counts.size(); ++b) {
    if (counts[b] == 0.0) continue;
    if (cumulative + counts[b] >= target) {
      const double fraction = std::clamp((target - cumulative) / counts[b], 0.0, 1.0);
      return origin + (static_cast<double>(b) + fraction) * width;
    }
    cumulative += counts[b];
  }
  return origin + static_cast<double>(counts.size()) * width;
}

class PercentileCalibrator final : public HistogramCalibrator {
 public:
  explicit PercentileCalibrator(const CalibratorOptions& options)
      : HistogramCalibrator(options) {}

  absl::StatusOr<TensorRange> RangeFromHistogram() const override {
    const double total = static_cast<double>(histogram_.total_count());
    const double w = histogram_.bin_width();
    const double keep = options_.percentile / 100.0;
    if (options_.symmetric) {
      const std::vector<double> counts = histogram_.AbsCounts();
      const double t =
          std::min<double>(Quantile(counts, 0.0, w, keep * total), histogram_.abs_max());
      return TensorRange{static_cast<float>(-t), static_cast<float>(t), std::nullopt};
    }
    const std::vector<double> counts = histogram_.SignedCounts();
    const double cut = (1.0 - keep) / 2.0;
    const double origin = -histogram_.range();
    const double min = histogram_.min();
    const double max = histogram_.max();
    const double lo = std::clamp(Quantile(counts, origin, w, cut * total), min, max);
    // Both quantiles can share a bin (e.g. a point mass); keep lo <= hi.
    const double hi = std::clamp(Quantile(counts, origin, w, (1.0 - cut) * total), lo, max);
    return TensorRange{static_cast<float>(lo), static_cast<float>(hi), std::nullopt};
  }

  std::string Method() const override { return "percentile"; }

};

}  // namespace

absl::StatusOr<std::unique_ptr<Calibrator>> NewPercentileCalibrator(
    const CalibratorOptions& options) {
  FP_RETURN_IF_ERROR(ValidateHistogramOptions("percentile", options));
  if (!(options.percentile > 0.0 && options.percentile <= 100.0)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "percentile calibration: percentile %g is not in (0, 100]", options.percentile));
  }
  return std::make_unique<PercentileCalibrator>(options);
}

}  // namespace fixpoint::quant
