// Vitis AI / DPU power-of-two calibration (real = q * 2^-fix_pos, q in
// [-128, 127]); see quant_params.h for the position rules.
// "pof2-nonoverflow": NonOverflowFixPos of the exact observed [min, max].
// "pof2-mindiffs": starting from that position, MinDiffsFixPos over it and
//   the next four finer ones, by the sum of squared quantize-dequantize
//   errors over everything observed. A non-overflow position of 127 (all
//   zero or tiny data) is returned as is, as Vitis does.
//
// The min-diffs errors are exact, not estimated, though the values are not
// stored: the streaming Histogram (histogram.h) with per-bin sums, n = 8192
// bins per side over [-2^r, 2^r), 2^r the smallest power of two above
// max|x|, so w = 2^(r - 13) (256 KiB per tensor). Claim: for every
// candidate c the rounding boundaries (j + 1/2) * 2^-c are bin edges, so
// each bin maps to a single level q and its error is exactly
// sum(x^2) - 2 q sum(x) + n q^2.
// Proof: 2^(r-1) <= max|x|, and the non-overflow p satisfies
// max|x| * 2^p <= 128.5, so p <= 8 - r and c <= p + 4 <= 12 - r, hence
// w = 2^(r-13) <= 2^-(c+1), and bin edges (multiples of w) include the odd
// multiples of 2^-(c+1). Values exactly on a boundary have the same error
// whichever way they round (half a step, also when saturating), so the
// rounding mode (DPU half-up or ONNX half-even) does not matter either.
// Only double-precision summation limits the result.
#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "core/quant/calibrator.h"
#include "core/quant/histogram.h"
#include "core/quant/value_scan.h"
#include "core/quant/quant_params.h"
#include "core/util/status_macros.h"

namespace fixpoint::quant {
namespace {

constexpr int kLogBinsPerSide = 13;
constexpr int kBinsPerSide = 1 << kLogBinsPerSide;

// Exact sum over observed x of (x - q(x) * 2^-c)^2, q(x) the int8 level at
// position c. Requires c <= 12 - r (see the file comment).
double SquaredError(const Histogram& histogram, int c) {
  if (histogram.range() == 0.0) return 0.0;  // all zero
  assert(c <= 12 - histogram.range_exponent());
  const std::vector<double> counts = histogram.SignedCounts();
  const std::vector<double>& sums = histogram.SignedSums();
  const double w = histogram.bin_width();
  const double step = std::ldexp(1.0, -c);
  double cross = 0.0;
  for (size_t j = 0; j < counts.size(); ++j) {
    if (counts[j] == 0.0) continue;
    const double mid = (static_cast<double>(j) - kBinsPerSide + 0.5) * w;
    // mid is never a rounding boundary, so plain rounding is exact.
    const double q = std::clamp(std::floor(mid / step + 0.5), -128.0, 127.0) * step;
    cross += counts[j] * q * q - 2.0 * q * sums[j];
  }
  return std::max(0.0, histogram.sum_squares() + cross);
}

class Pof2Calibrator final : public Calibrator {
 public:
  explicit Pof2Calibrator(bool min_diffs) : min_diffs_(min_diffs) {
    if (min_diffs_) histogram_ = std::make_unique<Histogram>(kBinsPerSide, /*track_sums=*/true);
  }

  absl::Status Observe(std::span<const float> values) override {
    const ValueScan scan = ScanValues(values);
    if (!scan.finite) return CheckFinite(Method(), values);  // names the value
    if (values.empty()) return absl::OkStatus();
    min_ = observed_ ? std::min(min_, scan.min) : scan.min;
    max_ = observed_ ? std::max(max_, scan.max) : scan.max;
    observed_ = true;
    if (histogram_ != nullptr) histogram_->Add(values, scan);
    return absl::OkStatus();
  }

  absl::Status Merge(const Calibrator& base) override {
    const auto* other = dynamic_cast<const Pof2Calibrator*>(&base);
    if (other == nullptr || other->min_diffs_ != min_diffs_) {
      return MergeMismatchError(Method(), base);
    }
    if (!other->observed_) return absl::OkStatus();
    if (histogram_ != nullptr) FP_RETURN_IF_ERROR(histogram_->Merge(*other->histogram_));
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
    int pos = NonOverflowFixPos(min_, max_);
    if (min_diffs_ && pos != kMaxFixPos) {
      pos = MinDiffsFixPos(pos, [this](int c) { return SquaredError(*histogram_, c); });
    }
    // [-127, 127] * 2^-pos; saturate at FLT_MAX for pos -122 (max|x| within
    // 0.4% of FLT_MAX), the one position where 127 * 2^-pos overflows float.
    const double limit =
        std::min<double>(127.0 * FixPosToScale(pos), std::numeric_limits<float>::max());
    return TensorRange{static_cast<float>(-limit), static_cast<float>(limit), pos};
  }

  std::string Method() const override { return min_diffs_ ? "pof2-mindiffs" : "pof2-nonoverflow"; }

 private:
  const bool min_diffs_;
  bool observed_ = false;
  float min_ = 0.0f;
  float max_ = 0.0f;
  std::unique_ptr<Histogram> histogram_;  // only for min-diffs
};

}  // namespace

absl::StatusOr<std::unique_ptr<Calibrator>> NewPof2NonOverflowCalibrator(
    const CalibratorOptions& /*options*/) {
  return std::make_unique<Pof2Calibrator>(/*min_diffs=*/false);
}

absl::StatusOr<std::unique_ptr<Calibrator>> NewPof2MinDiffsCalibrator(
    const CalibratorOptions& /*options*/) {
  return std::make_unique<Pof2Calibrator>(/*min_diffs=*/true);
}

}  // namespace fixpoint::quant
