// "entropy": the clipping threshold that minimises the KL divergence between
// the observed distribution and its quantized version, TensorRT-style
// (Migacz, "8-bit Inference with TensorRT", GTC 2017; same algorithm as
// MXNet's and ONNX Runtime's entropy calibration):
//   for each candidate window of bins:
//     P = the window's counts, with the counts outside it added to its edge
//         bins (clipping);
//     Q = the window merged into L levels, each level's count spread evenly
//         over the bins of that level where P is non-zero;
//     smooth zero bins of P and Q (eps = 1e-4 count units moved onto each
//         zero bin, taken evenly from the non-zero bins), normalise, KL(P||Q);
//   keep the first candidate with the smallest divergence.
// Symmetric (s8): |x| histogram, windows [0, i*w) for i = 128 ... used bins,
//   L = 128; range [-t, t], t = min(i*w, max|x|).
// Asymmetric (u8): signed histogram, windows [-t, t] ∩ [min, max] (the
//   data range widened to include 0, as the u8 grid is) for t = k*w,
//   k = 1, 2, ...; only windows of >= 256 bins; L = 256; range = the window.
// Levels merge floor(j*m/L) .. floor((j+1)*m/L) - 1, spreading the remainder
// evenly (TensorRT/MXNet put it all into the last level). If no window is
// wide enough, the full observed range is returned.
// Exact zeros are left out of P and Q: 0 is a point of every candidate grid
// (u8 windows contain it, s8 is symmetric), so they quantize losslessly at
// any threshold. Kept in, a ReLU output's zero spike (often half of the
// values, all in bin [0, w)) dominates the divergence: any window wider
// than L bins merges the spike with its neighbours and Q spreads it over
// them, costing about p0 * log(bins per level), which no clipping error
// outweighs, so the narrowest window won (~1/10 of the range on
// resnet_small). NVIDIA's pytorch-quantization entropy calibrator does the
// same with bins[0] = bins[1].
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/quant/calibrator.h"
#include "core/quant/histogram_calibrator.h"
#include "core/util/status_macros.h"

namespace fixpoint::quant {
namespace {

constexpr int kSymmetricLevels = 128;
constexpr int kAsymmetricLevels = 256;
constexpr double kSmoothingEps = 1e-4;

// Moves mass onto zero bins so that KL stays finite. Returns false if the
// distribution is all zero. eps is capped at half the smallest non-zero
// entry so that no bin goes negative.
bool Smooth(std::vector<double>& d) {
  size_t zeros = 0;
  double min_nonzero = std::numeric_limits<double>::infinity();
  for (double v : d) {
    if (v == 0.0) {
      ++zeros;
    } else {
      min_nonzero = std::min(min_nonzero, v);
    }
  }
  const size_t nonzeros = d.size() - zeros;
  if (nonzeros == 0) return false;
  if (zeros == 0) return true;
  double eps = kSmoothingEps;
  double taken = eps * static_cast<double>(zeros) / static_cast<double>(nonzeros);
  if (taken > 0.5 * min_nonzero) {
    taken = 0.5 * min_nonzero;
    eps = taken * static_cast<double>(nonzeros) / static_cast<double>(zeros);
  }
  for (double& v : d) v = (v == 0.0) ? eps : v - taken;
  return true;
}

double SmoothedKl(std::vector<double>& p, std::vector<double>& q) {
  if (!Smooth(p) || !Smooth(q)) return std::numeric_limits<double>::infinity();
  double sum_p = 0.0;
  double sum_q = 0.0;
  for (size_t b = 0; b < p.size(); ++b) {
    sum_p += p[b];
    sum_q += q[b];
  }
  double kl = 0.0;
  for (size_t b = 0; b < p.size(); ++b) {
    const double pb = p[b] / sum_p;
    const double qb = q[b] / sum_q;
    kl += pb * std::log(pb / qb);
  }
  return kl;
}

// KL(P || Q) for one candidate window (see the file comment). `p` and `q`
// are scratch buffers.
double QuantizationKl(std::span<const double> window, double left_outliers, double right_outliers,
                      int levels, std::vector<double>& p, std::vector<double>& q) {
  const size_t m = window.size();
  p.assign(window.begin(), window.end());
  p.front() += left_outliers;
  p.back() += right_outliers;
  q.assign(m, 0.0);
  for (int j = 0; j < levels; ++j) {
    const size_t begin = j * m / levels;
    const size_t end = (j + 1) * m / levels;
    double level_count = 0.0;
    int nonzero = 0;
    for (size_t b = begin; b < end; ++b) {
      level_count += window[b];
      nonzero += p[b] != 0.0;
    }
    if (nonzero == 0) continue;
    for (size_t b = begin; b < end; ++b) {
      if (p[b] != 0.0) q[b] = level_count / nonzero;
    }
  }
  return SmoothedKl(p, q);
}

// One past the last non-zero element (0 if none).
size_t UsedEnd(std::span<const double> counts) {
  size_t end = counts.size();
  while (end > 0 && counts[end - 1] == 0.0) --end;
  return end;
}

class EntropyCalibrator final : public HistogramCalibrator {
 public:
  explicit EntropyCalibrator(const CalibratorOptions& options)
      : HistogramCalibrator(options) {}

  absl::StatusOr<TensorRange> RangeFromHistogram() const override {
    return options_.symmetric ? SymmetricRange() : AsymmetricRange();
  }

  std::string Method() const override { return "entropy"; }

 private:
  TensorRange SymmetricRange() const {
    std::vector<double> counts = histogram_.AbsCounts();
    counts[0] -= static_cast<double>(histogram_.zero_count());
    const size_t used = UsedEnd(counts);
    double outside = 0.0;  // counts in [i, used)
    for (size_t b = kSymmetricLevels; b < used; ++b) outside += counts[b];
    std::vector<double> p, q;
    size_t best = used;
    double best_kl = std::numeric_limits<double>::infinity();
    for (size_t i = kSymmetricLevels; i <= used; ++i) {
      const std::span<const double> window(counts.data(), i);
      const double kl = QuantizationKl(window, 0.0, outside, kSymmetricLevels, p, q);
      if (kl < best_kl) {
        best_kl = kl;
        best = i;
      }
      if (i < used) outside -= counts[i];
    }
    const double t = std::min<double>(best * histogram_.bin_width(), histogram_.abs_max());
    return TensorRange{static_cast<float>(-t), static_cast<float>(t), std::nullopt};
  }

  TensorRange AsymmetricRange() const {
    std::vector<double> counts = histogram_.SignedCounts();
    const size_t n = histogram_.bins_per_side();
    counts[n] -= static_cast<double>(histogram_.zero_count());  // bin [0, w)
    // Occupied bins, widened to reach 0 like the u8 grid: [lo, hi).
    size_t lo = 0;
    while (lo < n && counts[lo] == 0.0) ++lo;
    const size_t hi = std::max(UsedEnd(counts), n);
    std::vector<double> prefix(counts.size() + 1, 0.0);
    for (size_t j = 0; j < counts.size(); ++j) prefix[j + 1] = prefix[j] + counts[j];
    const size_t k_max = std::max(n - lo, hi - n);
    std::vector<double> p, q;
    size_t best = k_max;
    double best_kl = std::numeric_limits<double>::infinity();
    for (size_t k = 1; k <= k_max; ++k) {
      const size_t begin = std::max(lo, n - std::min(k, n));
      const size_t end = std::min(hi, n + k);
      if (end < begin + kAsymmetricLevels) continue;
      const std::span<const double> window(counts.data() + begin, end - begin);
      const double kl = QuantizationKl(window, prefix[begin], prefix.back() - prefix[end],
                                       kAsymmetricLevels, p, q);
      if (kl < best_kl) {
        best_kl = kl;
        best = k;
      }
    }
    const double t = best * histogram_.bin_width();
    return TensorRange{static_cast<float>(std::max<double>(std::min(histogram_.min(), 0.0f), -t)),
                       static_cast<float>(std::min<double>(std::max(histogram_.max(), 0.0f), t)),
                       std::nullopt};
  }

};

}  // namespace

absl::StatusOr<std::unique_ptr<Calibrator>> NewEntropyCalibrator(const CalibratorOptions& options) {
  FP_RETURN_IF_ERROR(ValidateHistogramOptions("entropy", options));
  return std::make_unique<EntropyCalibrator>(options);
}

}  // namespace fixpoint::quant
