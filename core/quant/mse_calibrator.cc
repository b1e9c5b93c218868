// "mse": the clipping threshold that minimises the expected
// quantize-dequantize squared error, computed from the streaming histogram.
// Candidates t = k * w (k = 1 ... the bin holding max|x|, the last one
// clamped to max|x|):
//   symmetric:  range [-t, t], s8 parameters from ScaleZeroPoint;
//   asymmetric: range [-t, t] ∩ [min(min, 0), max(max, 0)], u8 parameters.
// For each candidate the exact QuantizeLinear/DequantizeLinear map (the
// float scale and zero point that would be deployed, saturation included)
// is integrated over every non-empty bin, assuming values are uniform within
// a bin (the bins holding min and max are trimmed to [min, max]); the
// integral is piecewise cubic between rounding boundaries, so no sampling is
// involved. The first candidate with the smallest error wins.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/quant/calibrator.h"
#include "core/quant/histogram_calibrator.h"
#include "core/quant/quant_params.h"
#include "core/util/status_macros.h"

namespace fixpoint::quant {
namespace {

// A non-empty bin: `count` values spread uniformly over [lo, hi] (a point
// mass if lo == hi).
struct Bin {
  double lo;
  double hi;
  double count;
};

// qdq(x) = clamp(round(x / scale), k_min, k_max) * scale, the affine map
// seen relative to the zero point (k = q - zero_point).
struct QdqMap {
  double scale;
  double k_min;
  double k_max;

  double Level(double x) const { return std::clamp(RoundHalfEven(x / scale), k_min, k_max); }
};

QdqMap MapFor(const QuantParams& params) {
  return QdqMap{params.scale, static_cast<double>(params.qmin - params.zero_point),
                static_cast<double>(params.qmax - params.zero_point)};
}

double Cube(double x) { return x * x * x; }

// count * mean of (x - qdq(x))^2 over the bin.
double BinError(const Bin& bin, const QdqMap& map) {
  if (bin.hi <= bin.lo) {
    const double d = bin.lo - map.Level(bin.lo) * map.scale;
    return bin.count * d * d;
  }
  double integral = 0.0;
  double x = bin.lo;
  double k = map.Level(bin.lo);
  while (x < bin.hi) {
    // Each level k covers up to the next rounding boundary (k + 0.5) * scale;
    // the top level extends to the end of the bin (saturation).
    double upper = k >= map.k_max ? bin.hi : std::min(bin.hi, (k + 0.5) * map.scale);
    upper = std::max(upper, x);
    const double q = k * map.scale;
    integral += Cube(upper - q) - Cube(x - q);
    x = upper;
    k += 1.0;
  }
  return bin.count * integral / (3.0 * (bin.hi - bin.lo));
}

class MseCalibrator final : public HistogramCalibrator {
 public:
  explicit MseCalibrator(const CalibratorOptions& options)
      : HistogramCalibrator(options) {}

  absl::StatusOr<TensorRange> RangeFromHistogram() const override {
    const std::vector<Bin> bins = NonEmptyBins();
    const double w = histogram_.bin_width();
    const double abs_max = histogram_.abs_max();
    const int64_t k_last = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(abs_max / w)));
    TensorRange best;
    double best_error = std::numeric_limits<double>::infinity();
    for (int64_t k = 1; k <= k_last; ++k) {
      const TensorRange candidate = Candidate(static_cast<float>(std::min(k * w, abs_max)));
      FP_ASSIGN_OR_RETURN(const QuantParams params,
                          ScaleZeroPoint(candidate.min, candidate.max, options_.symmetric));
      const QdqMap map = MapFor(params);
      double error = 0.0;
      for (const Bin& bin : bins) error += BinError(bin, map);
      if (error < best_error) {
        best_error = error;
        best = candidate;
      }
    }
    return best;
  }

  std::string Method() const override { return "mse"; }

 private:
  TensorRange Candidate(float t) const {
    if (options_.symmetric) return TensorRange{static_cast<float>(-t), static_cast<float>(t), std::nullopt};
    // [-t, t] ∩ [min, max] widened to include 0 (the u8 grid always does),
    // so that the window is never empty for one-signed data.
    return TensorRange{static_cast<float>(std::max(std::min(histogram_.min(), 0.0f), -t)),
                       static_cast<float>(std::min(std::max(histogram_.max(), 0.0f), t)),
                       std::nullopt};
  }

  std::vector<Bin> NonEmptyBins() const {
    const std::vector<double> counts = histogram_.SignedCounts();
    const double w = histogram_.bin_width();
    const double origin = -histogram_.range();
    const double min = histogram_.min();
    const double max = histogram_.max();
    std::vector<Bin> bins;
    for (size_t j = 0; j < counts.size(); ++j) {
      if (counts[j] == 0.0) continue;
      const double lo = std::clamp(origin + static_cast<double>(j) * w, min, max);
      const double hi = std::clamp(origin + static_cast<double>(j + 1) * w, lo, max);
      bins.push_back(Bin{lo, hi, counts[j]});
    }
    return bins;
  }

};

}  // namespace

absl::StatusOr<std::unique_ptr<Calibrator>> NewMseCalibrator(const CalibratorOptions& options) {
  FP_RETURN_IF_ERROR(ValidateHistogramOptions("mse", options));
  return std::make_unique<MseCalibrator>(options);
}

}  // namespace fixpoint::quant
