// A streaming histogram with bounded memory for the histogram calibration
// methods (percentile, entropy, mse, pof2-mindiffs). Thread-compatible.
//
// Scheme: 2 * n equal bins over [-T, T), where T = 2^r is the smallest
// power of two strictly greater than max|x| seen so far; signed bin i
// (i in [-n, n)) covers [i * w, (i + 1) * w), w = T / n. When a value
// reaches T, T doubles and each pair of adjacent bins merges into one
// (0 stays a bin edge because n is even). Merging adds counts, never
// redistributes them (unlike PyTorch's HistogramObserver), and since
// floor(floor(x n / T) / 2) = floor(x n / 2T), a value binned early and
// merged later lands exactly where binning against the final T would put it:
// the histogram is identical however the data is split into batches or
// ordered, so every histogram method is batching-invariant. ONNX Runtime's
// HistogramCollector instead appends bins of the old width, so its memory
// grows with the range ratio; here it is fixed at 2 * n counters (plus 2 * n
// sums if tracked). The price of power-of-two ranges: between n / 2 and n
// bins cover [0, max|x|]; calibrators therefore use n = 2 * num_bins.
//
// With `track_sums`, each bin also keeps the sum of its values and the
// histogram the total sum of squares, which lets pof2-mindiffs compute
// quantization errors exactly (see pof2_calibrator.cc).
#ifndef FIXPOINT_CORE_QUANT_HISTOGRAM_H_
#define FIXPOINT_CORE_QUANT_HISTOGRAM_H_

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "core/quant/calibrator.h"
#include "core/quant/value_scan.h"

namespace fixpoint::quant {

class Histogram {
 public:
  // `bins_per_side` = n must be even and >= 2.
  explicit Histogram(int bins_per_side, bool track_sums = false);

  // Adds values, which must be finite: the caller checks (see CheckFinite)
  // so that the error can name the method; an infinite value would never
  // fit a range.
  void Add(std::span<const float> values);
  // The same, given ScanValues(values) (finite) from the caller.
  void Add(std::span<const float> values, const ValueScan& scan);
  // Adds everything `other` saw: afterwards this histogram equals one that
  // saw both sets of values (counts, zeros, min and max exactly; with
  // track_sums, sums added, so equal up to the order of double additions).
  // The narrower one is brought to the wider range by the pair merges Add
  // uses, so the result still equals binning every value against the final
  // range. INVALID_ARGUMENT unless both have the same bins_per_side and
  // track_sums.
  absl::Status Merge(const Histogram& other);

  int64_t total_count() const { return total_count_; }
  // Values exactly 0 (they sit in the bin [0, w)).
  int64_t zero_count() const { return zero_count_; }
  bool empty() const { return total_count_ == 0; }
  // Exact observed extremes; meaningful once !empty().
  float min() const { return min_; }
  float max() const { return max_; }
  float abs_max() const;
  int bins_per_side() const { return bins_per_side_; }
  // T = 2^range_exponent(); 0 while only zeros have been seen.
  double range() const { return range_; }
  int range_exponent() const { return range_exponent_; }
  // w = T / n; 0 while only zeros have been seen.
  double bin_width() const { return range_ / bins_per_side_; }

  // 2 * n counts; element j is signed bin j - n, covering
  // [(j - n) * w, (j - n + 1) * w).
  std::vector<double> SignedCounts() const;
  // n counts of |x|; element k covers [k * w, (k + 1) * w) (the negative
  // bin [-(k+1) w, -k w) folds onto it).
  std::vector<double> AbsCounts() const;
  // With track_sums: per signed bin, the sum of its values; and the sum of
  // all squares. Empty / 0 otherwise.
  const std::vector<double>& SignedSums() const { return sums_; }
  double sum_squares() const { return sum_squares_; }

 private:
  void DoubleRange();
  size_t Index(float x) const;
  // Counts `values` into counts_ (range_ > 0 and covering them), zeros
  // excepted: the caller adds those to bin [0, w) in one step.
  void CountNonZeros(std::span<const float> values);
  // The same, also adding to the per-bin sums and the sum of squares.
  void AddNonZerosWithSums(std::span<const float> values);
  // visit(array index, value) for each non-zero value, in order.
  template <typename Visit>
  void ForEachNonZero(std::span<const float> values, Visit visit);

  const int bins_per_side_;
  const bool track_sums_;
  // 2 * n, index j = bin j - n.
  std::vector<int64_t> counts_;
  std::vector<double> sums_;     // 2 * n if track_sums_
  double sum_squares_ = 0.0;
  double range_ = 0.0;
  int range_exponent_ = 0;
  int64_t pending_zeros_ = 0;  // zeros seen before the range was known
  int64_t total_count_ = 0;
  int64_t zero_count_ = 0;
  float min_ = 0.0f;
  float max_ = 0.0f;
};

// Histogram bins per side for calibrator options: 2 * num_bins, so that at
// least num_bins bins cover [0, max|x|].
int HistogramBinsPerSide(const CalibratorOptions& options);

// INVALID_ARGUMENT naming `method` unless options.num_bins is even and in
// [256, 8192] (the search methods are quadratic in it).
absl::Status ValidateHistogramOptions(absl::string_view method, const CalibratorOptions& options);

// FAILED_PRECONDITION "<method> calibration: no values observed".
absl::Status NothingObservedError(absl::string_view method);

}  // namespace fixpoint::quant

#endif  // FIXPOINT_CORE_QUANT_HISTOGRAM_H_
