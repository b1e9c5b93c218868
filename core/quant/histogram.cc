#include "core/quant/histogram.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "absl/strings/str_format.h"

namespace fixpoint::quant {

Histogram::Histogram(int bins_per_side, bool track_sums)
    : bins_per_side_(bins_per_side),
      track_sums_(track_sums),
      counts_(2 * static_cast<size_t>(bins_per_side), 0),
      sums_(track_sums ? 2 * static_cast<size_t>(bins_per_side) : 0, 0.0) {
  assert(bins_per_side >= 2 && bins_per_side % 2 == 0);
}

float Histogram::abs_max() const { return std::max(std::fabs(min_), std::fabs(max_)); }

void Histogram::Add(std::span<const float> values) {
  if (values.empty()) return;
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  min_ = total_count_ == 0 ? *lo : std::min(min_, *lo);
  max_ = total_count_ == 0 ? *hi : std::max(max_, *hi);
  total_count_ += static_cast<int64_t>(values.size());
  const double batch_abs_max = std::max(std::fabs(*lo), std::fabs(*hi));
  assert(std::isfinite(batch_abs_max));
  if (batch_abs_max > 0.0 && range_ == 0.0) {
    // abs_max = m * 2^e with m in [0.5, 1): 2^e is the smallest power of two
    // strictly above it.
    std::frexp(batch_abs_max, &range_exponent_);
    range_ = std::ldexp(1.0, range_exponent_);
    counts_[bins_per_side_] += pending_zeros_;  // bin [0, w)
    pending_zeros_ = 0;
  }
  if (range_ == 0.0) {
    pending_zeros_ += static_cast<int64_t>(values.size());
    return;
  }
  while (batch_abs_max >= range_) DoubleRange();
  for (float x : values) {
    const size_t j = Index(x);
    ++counts_[j];
    if (track_sums_) {
      sums_[j] += x;
      sum_squares_ += static_cast<double>(x) * x;
    }
  }
}

void Histogram::DoubleRange() {
  // Array index j is bin j - n; the merged bin floor((j - n) / 2) sits at
  // array index j / 2 + n / 2 (n even).
  const size_t half = static_cast<size_t>(bins_per_side_) / 2;
  std::vector<int64_t> counts(counts_.size(), 0);
  for (size_t j = 0; j < counts_.size(); ++j) counts[j / 2 + half] += counts_[j];
  counts_.swap(counts);
  if (track_sums_) {
    std::vector<double> sums(sums_.size(), 0.0);
    for (size_t j = 0; j < sums_.size(); ++j) sums[j / 2 + half] += sums_[j];
    sums_.swap(sums);
  }
  range_ *= 2.0;
  ++range_exponent_;
}

size_t Histogram::Index(float x) const {
  // x * n is exact in double and T is a power of two, so the quotient is
  // exact and binning is independent of when x arrived.
  const double bin = std::floor(static_cast<double>(x) * bins_per_side_ / range_);
  const double clamped = std::clamp(bin, static_cast<double>(-bins_per_side_),
                                    static_cast<double>(bins_per_side_ - 1));
  return static_cast<size_t>(static_cast<int64_t>(clamped) + bins_per_side_);
}

std::vector<double> Histogram::SignedCounts() const {
  std::vector<double> out(counts_.begin(), counts_.end());
  out[bins_per_side_] += static_cast<double>(pending_zeros_);
  return out;
}

std::vector<double> Histogram::AbsCounts() const {
  const std::vector<double> signed_counts = SignedCounts();
  std::vector<double> out(bins_per_side_, 0.0);
  for (int k = 0; k < bins_per_side_; ++k) {
    out[k] = signed_counts[bins_per_side_ + k] + signed_counts[bins_per_side_ - 1 - k];
  }
  return out;
}

int HistogramBinsPerSide(const CalibratorOptions& options) { return 2 * options.num_bins; }

absl::Status ValidateHistogramOptions(absl::string_view method, const CalibratorOptions& options) {
  if (options.num_bins < 256 || options.num_bins > 8192 || options.num_bins % 2 != 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s calibration: num_bins %d must be even and in [256, 8192]", method, options.num_bins));
  }
  return absl::OkStatus();
}

absl::Status NothingObservedError(absl::string_view method) {
  return absl::FailedPreconditionError(
      absl::StrFormat("%s calibration: no values observed", method));
}

}  // namespace fixpoint::quant
