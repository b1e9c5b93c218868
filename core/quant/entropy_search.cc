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
//
// Speed: computed bin by bin (the reference, EntropySearch(..., direct)),
// a candidate costs a logarithm per bin of its window, up to 8,192. The fast
// evaluation (KlFromSums) gets the same divergence from prefix sums over the
// bins and a pass over the L levels, one logarithm per level: with
// P' and Q' the smoothed distributions, S_p = sum P', S_q = sum Q',
//   KL = (sum_b P'_b log P'_b - sum_b P'_b log Q'_b) / S_p - log S_p + log S_q,
// where Q' is constant over a level's non-zero bins, so the second sum is one
// term per level; the first, over the non-zero bins of P' = P - tau
// (smoothing), is sum w log w - tau sum (log w + 1) + sum_k>=2 tau^k /
// (k (k - 1)) sum w^(1-k), a series in tau <= 0.01 over integer counts w >= 1
// (tau is 1e-4 times zero bins per non-zero bin; beyond 0.01 the candidate is
// computed bin by bin). Sums are in double: the two evaluations agree to
// about 1e-12 relative (EntropySearchTest).
#include "core/quant/entropy_search.h"

#include <immintrin.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <cmath>
#include <limits>
#include <optional>
#include <span>
#include <vector>

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

// Prefix sums over a run of counts for KlFromSums: counts, non-zero bins,
// and over the non-zero bins sum w log w, sum log w and sum w^-k.
class CountSums {
 public:
  static constexpr int kPowers = 9;

  explicit CountSums(std::span<const double> counts) : counts_(counts) {
    const size_t n = counts.size();
    for (auto* v : {&w_log_w_, &log_w_}) v->assign(n + 1, 0.0);
    before_.assign(n + 1, Before{});
    for (auto& v : inverse_powers_) v.assign(n + 1, 0.0);
    for (size_t j = 0; j < n; ++j) {
      const double w = counts[j];
      integral_ = integral_ && w >= 0 && w == std::floor(w);
      const bool nz = w != 0.0;
      before_[j + 1] = {before_[j].count + w, before_[j].nonzero + (nz ? 1 : 0)};
      const double lw = nz ? std::log(w) : 0.0;
      w_log_w_[j + 1] = w_log_w_[j] + (nz ? w * lw : 0.0);
      log_w_[j + 1] = log_w_[j] + lw;
      double inverse = nz ? 1.0 / w : 0.0, power = inverse;
      for (int k = 0; k < kPowers; ++k) {
        inverse_powers_[k][j + 1] = inverse_powers_[k][j] + power;
        power *= inverse;
      }
    }
  }

  // Whether every count is a non-negative integer (the series needs w >= 1).
  bool integral() const { return integral_; }
  double at(size_t j) const { return counts_[j]; }
  double Count(size_t a, size_t b) const { return before_[b].count - before_[a].count; }
  double Nonzero(size_t a, size_t b) const { return before_[b].nonzero - before_[a].nonzero; }
  // Prefix sums up to bin j (side by side: KlFromSums reads both at each
  // level boundary).
  struct Before {
    double count = 0;
    double nonzero = 0;
  };
  const Before& SumsBefore(size_t j) const { return before_[j]; }

  // sum over the non-zero counts w in [a, b) of (w - tau) log(w - tau), or
  // nullopt if tau > 0.01.
  std::optional<double> ShiftedEntropy(size_t a, size_t b, double tau) const {
    double sum = w_log_w_[b] - w_log_w_[a];
    if (tau == 0.0) return sum;
    if (tau > 0.01) return std::nullopt;
    sum -= tau * ((log_w_[b] - log_w_[a]) + Nonzero(a, b));
    double tau_k = tau;
    for (int k = 2; k <= kPowers + 1; ++k) {
      tau_k *= tau;
      sum += tau_k / (k * (k - 1.0)) * (inverse_powers_[k - 2][b] - inverse_powers_[k - 2][a]);
    }
    return sum;
  }

 private:
  std::span<const double> counts_;
  bool integral_ = true;
  std::vector<Before> before_;
  std::vector<double> w_log_w_, log_w_;
  std::vector<double> inverse_powers_[kPowers];  // [k]: sum w^-(k+1)
};

// (x - tau) log(x - tau) for one count.
double ShiftedEntropyOf(double x, double tau) { return (x - tau) * std::log(x - tau); }

// Natural logarithms of four doubles: glibc's libmvec AVX2 variant (the one
// GCC calls when it vectorizes log; within 2 ulp of std::log over 16 million
// arguments, 3.4x faster here).
extern "C" __m256d _ZGVdN4v_log(__m256d);

// The four lanes added in a fixed order, and their minimum.
double Sum(__m256d v) {
  alignas(32) double d[4];
  _mm256_store_pd(d, v);
  return (d[0] + d[1]) + (d[2] + d[3]);
}
double Min(__m256d v) {
  alignas(32) double d[4];
  _mm256_store_pd(d, v);
  return std::min(std::min(d[0], d[1]), std::min(d[2], d[3]));
}

// QuantizationKl of window [begin, end) of the counts, from the sums; nullopt
// where the series does not apply (then compute it bin by bin). The window
// holds at least `kLevels` bins; kLevels a power of two, so the level
// boundaries j * m / kLevels are shifts.
template <int kLevels>
std::optional<double> KlFromSums(const CountSums& s, size_t begin, size_t end,
                                 double left_outliers, double right_outliers) {
  static_assert(kLevels % 4 == 0 && (kLevels & (kLevels - 1)) == 0);
  constexpr int kShift = std::countr_zero(static_cast<unsigned>(kLevels));
  if (!s.integral()) return std::nullopt;
  const size_t m = end - begin;
  assert(m >= kLevels);
  const double p_first = s.at(begin) + left_outliers;
  const double p_last = s.at(end - 1) + right_outliers;
  // P: the window with the outliers on its edge bins.
  const double interior_nonzero = s.Nonzero(begin + 1, end - 1);
  const double p_nonzero = interior_nonzero + (p_first != 0.0) + (p_last != 0.0);
  const double p_zeros = static_cast<double>(m) - p_nonzero;
  if (p_nonzero == 0.0) return std::numeric_limits<double>::infinity();
  const double sum_p = s.Count(begin, end) + left_outliers + right_outliers;
  double tau_p = 0.0, eps_p = 0.0;
  if (p_zeros > 0) {
    eps_p = kSmoothingEps;
    tau_p = eps_p * p_zeros / p_nonzero;
    if (tau_p > 0.5) return std::nullopt;  // the cap at half the smallest count may apply
  }
  // Per level: P's count and its non-zero bins, from the prefix sums at the
  // level boundaries. On the stack: this runs for every candidate.
  alignas(32) std::array<double, kLevels> p_count, nonzero;
  {
    const CountSums::Before* before = &s.SumsBefore(begin);
    CountSums::Before previous = before[0];
    for (int j = 0; j < kLevels; ++j) {
      const CountSums::Before& next = before[((j + 1) * m) >> kShift];
      p_count[j] = next.count - previous.count;
      nonzero[j] = next.nonzero - previous.nonzero;
      previous = next;
    }
  }
  // The outliers sit on the first level's first bin and the last level's
  // last bin (a level holds at least one bin); they count for P, not for Q.
  nonzero[0] += (p_first != 0.0) - (s.at(begin) != 0.0);
  nonzero[kLevels - 1] += (p_last != 0.0) - (s.at(end - 1) != 0.0);
  // Q spreads each level's count (without outliers) evenly over the level's
  // non-zero bins of P: share per bin, 0 where the level count is 0 (Q is
  // then zero on those bins too). Four levels at a time.
  alignas(32) std::array<double, kLevels> share;
  const __m256d zero = _mm256_setzero_pd();
  __m256d q_zeros4 = zero, sum_q4 = zero;
  __m256d q_min4 = _mm256_set1_pd(std::numeric_limits<double>::infinity());
  for (int j = 0; j < kLevels; j += 4) {
    const __m256d c = _mm256_load_pd(&p_count[j]);
    const __m256d n = _mm256_load_pd(&nonzero[j]);
    const __m256d has = _mm256_cmp_pd(n, zero, _CMP_GT_OQ);
    const __m256d sh = _mm256_and_pd(has, _mm256_div_pd(c, n));
    _mm256_store_pd(&share[j], sh);
    const __m256d positive = _mm256_cmp_pd(sh, zero, _CMP_GT_OQ);
    q_zeros4 = _mm256_add_pd(q_zeros4, _mm256_andnot_pd(positive, _mm256_and_pd(has, n)));
    sum_q4 = _mm256_add_pd(sum_q4, _mm256_and_pd(positive, _mm256_mul_pd(sh, n)));
    q_min4 = _mm256_min_pd(q_min4, _mm256_blendv_pd(q_min4, sh, positive));
  }
  const double q_zeros = p_zeros + Sum(q_zeros4);
  const double sum_q = Sum(sum_q4);
  const double q_min = Min(q_min4);
  p_count[0] += left_outliers;
  p_count[kLevels - 1] += right_outliers;
  const double q_nonzero = static_cast<double>(m) - q_zeros;
  if (q_nonzero == 0.0) return std::numeric_limits<double>::infinity();
  double tau_q = 0.0, eps_q = 0.0;
  if (q_zeros > 0) {
    eps_q = kSmoothingEps;
    tau_q = eps_q * q_zeros / q_nonzero;
    if (tau_q > 0.5 * q_min) {
      tau_q = 0.5 * q_min;
      eps_q = tau_q * q_nonzero / q_zeros;
    }
  }
  // sum P' log P': the interior's non-zero counts by the series, the edge
  // bins directly, the zero bins at eps_p.
  const std::optional<double> interior = s.ShiftedEntropy(begin + 1, end - 1, tau_p);
  if (!interior) return std::nullopt;
  double p_log_p = *interior;
  for (double edge : {p_first, p_last}) {
    if (edge != 0.0) p_log_p += ShiftedEntropyOf(edge, tau_p);
  }
  if (p_zeros > 0) p_log_p += p_zeros * eps_p * std::log(eps_p);
  // sum P' log Q': per level (weight 0 where P has no non-zero bin), and the
  // zero bins of P (Q is zero there too).
  const __m256d tau_q4 = _mm256_set1_pd(tau_q), eps_q4 = _mm256_set1_pd(eps_q);
  const __m256d tau_p4 = _mm256_set1_pd(tau_p);
  __m256d p_log_q4 = zero;
  for (int j = 0; j < kLevels; j += 4) {
    const __m256d sh = _mm256_load_pd(&share[j]);
    const __m256d n = _mm256_load_pd(&nonzero[j]);
    const __m256d positive = _mm256_cmp_pd(sh, zero, _CMP_GT_OQ);
    const __m256d q = _mm256_blendv_pd(eps_q4, _mm256_sub_pd(sh, tau_q4), positive);
    const __m256d weight = _mm256_fnmadd_pd(n, tau_p4, _mm256_load_pd(&p_count[j]));
    const __m256d has = _mm256_cmp_pd(n, zero, _CMP_GT_OQ);
    p_log_q4 = _mm256_add_pd(p_log_q4, _mm256_and_pd(has, _mm256_mul_pd(weight, _ZGVdN4v_log(q))));
  }
  double p_log_q = Sum(p_log_q4);
  if (p_zeros > 0) p_log_q += p_zeros * eps_p * std::log(eps_q);
  return (p_log_p - p_log_q) / sum_p - std::log(sum_p) + std::log(sum_q);
}

// A candidate's KL: from the sums, or bin by bin (direct, or where the sums
// do not apply). `p` and `q` are scratch buffers.
double CandidateKl(const CountSums& s, std::span<const double> counts, size_t begin, size_t end,
                   double left_outliers, double right_outliers, int levels, bool direct,
                   std::vector<double>& p, std::vector<double>& q) {
  if (!direct) {
    const std::optional<double> kl =
        levels == kSymmetricLevels
            ? KlFromSums<kSymmetricLevels>(s, begin, end, left_outliers, right_outliers)
            : KlFromSums<kAsymmetricLevels>(s, begin, end, left_outliers, right_outliers);
    if (kl) return *kl;
  }
  return QuantizationKl(counts.subspan(begin, end - begin), left_outliers, right_outliers, levels,
                        p, q);
}

EntropyChoice SymmetricSearch(const Histogram& histogram, bool direct) {
  std::vector<double> counts = histogram.AbsCounts();
  counts[0] -= static_cast<double>(histogram.zero_count());
  const size_t used = UsedEnd(counts);
  const CountSums sums(counts);
  double outside = 0.0;  // counts in [i, used)
  for (size_t b = kSymmetricLevels; b < used; ++b) outside += counts[b];
  std::vector<double> p, q;
  size_t best = used;
  double best_kl = std::numeric_limits<double>::infinity();
  for (size_t i = kSymmetricLevels; i <= used; ++i) {
    const double kl = CandidateKl(sums, counts, 0, i, 0.0, outside, kSymmetricLevels, direct, p, q);
    if (kl < best_kl) {
      best_kl = kl;
      best = i;
    }
    if (i < used) outside -= counts[i];
  }
  const double t = std::min<double>(best * histogram.bin_width(), histogram.abs_max());
  return {TensorRange{static_cast<float>(-t), static_cast<float>(t), std::nullopt}, best_kl};
}

EntropyChoice AsymmetricSearch(const Histogram& histogram, bool direct) {
  std::vector<double> counts = histogram.SignedCounts();
  const size_t n = histogram.bins_per_side();
  counts[n] -= static_cast<double>(histogram.zero_count());  // bin [0, w)
  // Occupied bins, widened to reach 0 like the u8 grid: [lo, hi).
  size_t lo = 0;
  while (lo < n && counts[lo] == 0.0) ++lo;
  const size_t hi = std::max(UsedEnd(counts), n);
  std::vector<double> prefix(counts.size() + 1, 0.0);
  for (size_t j = 0; j < counts.size(); ++j) prefix[j + 1] = prefix[j] + counts[j];
  const CountSums sums(counts);
  const size_t k_max = std::max(n - lo, hi - n);
  std::vector<double> p, q;
  size_t best = k_max;
  double best_kl = std::numeric_limits<double>::infinity();
  for (size_t k = 1; k <= k_max; ++k) {
    const size_t begin = std::max(lo, n - std::min(k, n));
    const size_t end = std::min(hi, n + k);
    if (end < begin + kAsymmetricLevels) continue;
    const double kl = CandidateKl(sums, counts, begin, end, prefix[begin],
                                  prefix.back() - prefix[end], kAsymmetricLevels, direct, p, q);
    if (kl < best_kl) {
      best_kl = kl;
      best = k;
    }
  }
  const double t = best * histogram.bin_width();
  return {TensorRange{static_cast<float>(std::max<double>(std::min(histogram.min(), 0.0f), -t)),
                      static_cast<float>(std::min<double>(std::max(histogram.max(), 0.0f), t)),
                      std::nullopt},
          best_kl};
}

}  // namespace

EntropyChoice EntropySearch(const Histogram& histogram, bool symmetric, bool direct) {
  return symmetric ? SymmetricSearch(histogram, direct) : AsymmetricSearch(histogram, direct);
}

}  // namespace fixpoint::quant
