// MseRangeExhaustive integrates every candidate bin by bin: O(bins) per
// candidate, O(bins^2) per tensor (~50 ms at 2048 bins).
//
// MseRange computes the same error from prefix sums of the zeroth, first and
// second moments of the piecewise-uniform density, so that the error of a
// level's interval [a, b) around its grid point q is
//   M2(a, b) - 2 q M1(a, b) + q^2 M0(a, b),
// O(levels) per candidate instead of O(bins). It also skips whole blocks of
// candidates by branch and bound. The error of a candidate is
//   E(t) = integral f(x) dist(x, G_t)^2 dx,
// G_t = {l * s_t : l in [kmin_t, kmax_t]} its grid (qdq(x) is the nearest
// grid point: round to the nearest level, saturate at the ends). For a block
// of candidates with scales in [s_lo, s_hi] and levels in [Kmin, Kmax], every
// G_t lies in U = union over l of [l s_lo, l s_hi] (ordered for l < 0), so
// integral f dist(x, U)^2 is a lower bound on every E(t) of the block; a
// block whose bound exceeds the best error found (times 1 + 1e-9, for
// rounding) cannot hold the optimum and is dropped. A candidate's evaluation
// also stops as soon as its partial sum exceeds the best error found; the
// choice (the first candidate of least error) is the same whatever the
// order of evaluation. Sums are double: the moment differences cancel by up
// to about 255^2, which leaves about 1e-11 relative error, far below the
// 1e-9 the contract allows (long double was 5x slower and chose the same
// ranges on every test and model histogram). With AVX2 the boundaries'
// moment lookups and the level terms are computed four at a time, with the
// one-at-a-time code's operations in its order (equal to the last bit); the
// terms are still summed one by one, in level order (the early exit and the
// choice are unchanged). That made the search 1.45x faster on resnet_small's
// histograms.
#include "core/quant/mse_search.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <utility>
#include <vector>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "core/quant/quant_params.h"
#include "core/util/status_macros.h"

namespace fixpoint::quant {
namespace {

// ---- shared candidate definition -------------------------------------

int64_t CandidateCount(const Histogram& h) {
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(h.abs_max() / h.bin_width())));
}

TensorRange Candidate(const Histogram& h, int64_t k, bool symmetric) {
  const double abs_max = h.abs_max();
  const float t = static_cast<float>(std::min(static_cast<double>(k) * h.bin_width(), abs_max));
  if (symmetric) return TensorRange{-t, t, std::nullopt};
  // [-t, t] ∩ [min, max] widened to include 0 (the u8 grid always does), so
  // that the window is never empty for one-signed data.
  return TensorRange{std::max(std::min(h.min(), 0.0f), -t), std::min(std::max(h.max(), 0.0f), t),
                     std::nullopt};
}

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

absl::StatusOr<QdqMap> MapForCandidate(const Histogram& h, int64_t k, bool symmetric) {
  const TensorRange c = Candidate(h, k, symmetric);
  FP_ASSIGN_OR_RETURN(const QuantParams params, ScaleZeroPoint(c.min, c.max, symmetric));
  return MapFor(params);
}

// ---- exhaustive reference ----------------------------------------------

// A non-empty bin: `count` values spread uniformly over [lo, hi] (a point
// mass if lo == hi).
struct Bin {
  double lo;
  double hi;
  double count;
};

std::vector<Bin> NonEmptyBins(const Histogram& h) {
  const std::vector<double> counts = h.SignedCounts();
  const double w = h.bin_width();
  const double origin = -h.range();
  const double min = h.min();
  const double max = h.max();
  std::vector<Bin> bins;
  for (size_t j = 0; j < counts.size(); ++j) {
    if (counts[j] == 0.0) continue;
    const double lo = std::clamp(origin + static_cast<double>(j) * w, min, max);
    const double hi = std::clamp(origin + static_cast<double>(j + 1) * w, lo, max);
    bins.push_back(Bin{lo, hi, counts[j]});
  }
  return bins;
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

double ExhaustiveError(const std::vector<Bin>& bins, const QdqMap& map) {
  double error = 0.0;
  for (const Bin& bin : bins) error += BinError(bin, map);
  return error;
}

// ---- prefix-moment model -----------------------------------------------

// Integrals of 1, x, x^2 against the continuous part of the density.
struct Moments {
  double m0 = 0;
  double m1 = 0;
  double m2 = 0;
};

// integral over [a, b] of f(x) (x - c)^2, given the moments up to a and b
// (differences d0, d1, d2); clamped at 0 against rounding.
double Centered(double d0, double d1, double d2, double c) {
  return std::max(0.0, d2 - 2 * c * d1 + c * c * d0);
}

// The histogram as NonEmptyBins describes it: uniform bins with prefix
// moments, plus the point masses.
class PrefixModel {
 public:
  explicit PrefixModel(const Histogram& h)
      : origin_(-h.range()), width_(h.bin_width()), min_(h.min()), max_(h.max()) {
    const std::vector<double> counts = h.SignedCounts();
    const size_t n = counts.size();
    bins_.assign(n, Bin{});
    Moments m;
    for (size_t j = 0; j < n; ++j) {
      Bin& bin = bins_[j];
      bin.m0 = m.m0;
      bin.m1 = m.m1;
      bin.m2 = m.m2;
      if (counts[j] == 0.0) continue;
      const double lo = std::clamp(origin_ + static_cast<double>(j) * width_, min_, max_);
      const double hi = std::clamp(origin_ + static_cast<double>(j + 1) * width_, lo, max_);
      if (hi <= lo) {
        points_.push_back({lo, counts[j]});
        continue;
      }
      bin.lo = lo;
      bin.hi = hi;
      bin.density = counts[j] / (hi - lo);
      m.m0 += counts[j];
      m.m1 += counts[j] * (lo + hi) / 2;
      m.m2 += counts[j] * (lo * lo + lo * hi + hi * hi) / 3;
    }
    total_ = m;
    int exponent = 0;
    if (std::frexp(width_, &exponent) == 0.5) inverse_width_ = std::ldexp(1.0, 1 - exponent);
  }

  // Moments of the continuous part over (-inf, x].
  inline Moments At(double x) const;
  // At(xs[i]) for i < n, as columns: m0[i], m1[i], m2[i]. The same
  // operations in the same order as At, four lanes at a time: equal to the
  // last bit.
  void AtMany(const double* xs, size_t n, double* m0, double* m1, double* m2) const;

  const Moments& Total() const { return total_; }
  double min() const { return min_; }
  double max() const { return max_; }
  const std::vector<std::pair<double, double>>& points() const { return points_; }

 private:
  // Bin j: the moments of the bins before it, then its extent (trimmed to
  // [min, max]) and density; 0 for an empty bin or a point mass. One record
  // per bin: a lookup touches one or two cache lines.
  struct Bin {
    double m0 = 0, m1 = 0, m2 = 0;
    double lo = 0, hi = 0, density = 0;
  };
  static_assert(sizeof(Bin) == 6 * sizeof(double));

#if defined(__AVX2__)
  // Four bins' records as columns.
  struct BinColumns {
    __m256d m0, m1, m2, lo, hi, density;
  };
  // The records of bins index[0..3] (m0 m1 m2 lo | hi density each),
  // transposed: two loads per bin and eight shuffles, no gathers.
  BinColumns LoadBins(const int32_t* index) const {
    const double* r0 = &bins_[index[0]].m0;
    const double* r1 = &bins_[index[1]].m0;
    const double* r2 = &bins_[index[2]].m0;
    const double* r3 = &bins_[index[3]].m0;
    const __m256d a0 = _mm256_loadu_pd(r0), a1 = _mm256_loadu_pd(r1);
    const __m256d a2 = _mm256_loadu_pd(r2), a3 = _mm256_loadu_pd(r3);
    const __m256d t0 = _mm256_unpacklo_pd(a0, a1), t1 = _mm256_unpackhi_pd(a0, a1);
    const __m256d t2 = _mm256_unpacklo_pd(a2, a3), t3 = _mm256_unpackhi_pd(a2, a3);
    const __m256d h02 = _mm256_set_m128d(_mm_loadu_pd(r2 + 4), _mm_loadu_pd(r0 + 4));
    const __m256d h13 = _mm256_set_m128d(_mm_loadu_pd(r3 + 4), _mm_loadu_pd(r1 + 4));
    return BinColumns{_mm256_permute2f128_pd(t0, t2, 0x20), _mm256_permute2f128_pd(t1, t3, 0x20),
                      _mm256_permute2f128_pd(t0, t2, 0x31), _mm256_permute2f128_pd(t1, t3, 0x31),
                      _mm256_unpacklo_pd(h02, h13),         _mm256_unpackhi_pd(h02, h13)};
  }
#endif
  // (x - origin) / width, as a product when 1 / width is exact.
  double BinPosition(double x) const {
    return inverse_width_ != 0 ? (x - origin_) * inverse_width_ : (x - origin_) / width_;
  }
  static constexpr double kThird = 1.0 / 3;

  const double origin_;
  const double width_;
  double inverse_width_ = 0;  // 1 / width_ if exact (width_ a power of two), else 0
  const double min_;
  const double max_;
  std::vector<Bin> bins_;
  Moments total_;
  std::vector<std::pair<double, double>> points_;  // (x, count)
};

inline Moments PrefixModel::At(double x) const {
  if (x <= min_) return Moments{};
  if (x >= max_) return total_;
  const double b = std::floor(BinPosition(x));
  const Bin& bin =
      bins_[static_cast<size_t>(std::clamp(b, 0.0, static_cast<double>(bins_.size() - 1)))];
  const double u = std::clamp(x, bin.lo, bin.hi);
  const double d = bin.density * (u - bin.lo);
  return Moments{bin.m0 + d, bin.m1 + d * (u + bin.lo) * 0.5,
                 bin.m2 + d * (u * u + u * bin.lo + bin.lo * bin.lo) * kThird};
}

void PrefixModel::AtMany(const double* xs, size_t n, double* m0, double* m1,
                         double* m2) const {
  size_t i = 0;
#if defined(__AVX2__)
  // No FMA: At's products and sums round one at a time (this file is built
  // with -ffp-contract=off, core/CMakeLists.txt), so these do too.
  const __m256d origin = _mm256_set1_pd(origin_);
  const __m256d inverse_width = _mm256_set1_pd(inverse_width_);
  const __m256d width = _mm256_set1_pd(width_);
  const __m256d last_bin = _mm256_set1_pd(static_cast<double>(bins_.size() - 1));
  const __m256d zero = _mm256_setzero_pd();
  const __m256d half = _mm256_set1_pd(0.5);
  const __m256d third = _mm256_set1_pd(kThird);
  const __m256d min = _mm256_set1_pd(min_);
  const __m256d max = _mm256_set1_pd(max_);
  const __m256d total0 = _mm256_set1_pd(total_.m0);
  const __m256d total1 = _mm256_set1_pd(total_.m1);
  const __m256d total2 = _mm256_set1_pd(total_.m2);
  const bool exact_inverse = inverse_width_ != 0;
  alignas(32) int32_t index[4];
  for (; i + 4 <= n; i += 4) {
    const __m256d x = _mm256_loadu_pd(xs + i);
    const __m256d offset = _mm256_sub_pd(x, origin);
    const __m256d position = exact_inverse ? _mm256_mul_pd(offset, inverse_width)
                                           : _mm256_div_pd(offset, width);
    const __m256d b = _mm256_min_pd(_mm256_max_pd(_mm256_floor_pd(position), zero), last_bin);
    _mm_store_si128(reinterpret_cast<__m128i*>(index), _mm256_cvttpd_epi32(b));
    const BinColumns c = LoadBins(index);
    const __m256d bin_m0 = c.m0, bin_m1 = c.m1, bin_m2 = c.m2;
    const __m256d lo = c.lo, hi = c.hi, density = c.density;
    const __m256d u = _mm256_min_pd(_mm256_max_pd(x, lo), hi);
    const __m256d d = _mm256_mul_pd(density, _mm256_sub_pd(u, lo));
    __m256d s0 = _mm256_add_pd(bin_m0, d);
    __m256d s1 = _mm256_add_pd(bin_m1, _mm256_mul_pd(_mm256_mul_pd(d, _mm256_add_pd(u, lo)), half));
    const __m256d quadratic = _mm256_add_pd(
        _mm256_add_pd(_mm256_mul_pd(u, u), _mm256_mul_pd(u, lo)), _mm256_mul_pd(lo, lo));
    __m256d s2 = _mm256_add_pd(bin_m2, _mm256_mul_pd(_mm256_mul_pd(d, quadratic), third));
    // x >= max: the totals; x <= min (checked first in At): nothing.
    const __m256d above = _mm256_cmp_pd(x, max, _CMP_GE_OQ);
    const __m256d below = _mm256_cmp_pd(x, min, _CMP_LE_OQ);
    s0 = _mm256_blendv_pd(_mm256_blendv_pd(s0, total0, above), zero, below);
    s1 = _mm256_blendv_pd(_mm256_blendv_pd(s1, total1, above), zero, below);
    s2 = _mm256_blendv_pd(_mm256_blendv_pd(s2, total2, above), zero, below);
    _mm256_storeu_pd(m0 + i, s0);
    _mm256_storeu_pd(m1 + i, s1);
    _mm256_storeu_pd(m2 + i, s2);
  }
#endif
  for (; i < n; ++i) {
    const Moments m = At(xs[i]);
    m0[i] = m.m0;
    m1[i] = m.m1;
    m2[i] = m.m2;
  }
}


// Errors and bounds of candidates against one model, with scratch space
// kept between calls. Each gathers its moment lookups into one loop of
// independent loads before summing (measured ~1.3x faster than alternating
// lookups and sums). Thread-compatible.
class Evaluator {
 public:
  explicit Evaluator(const PrefixModel& model) : model_(model) {}

  // E(t) for one candidate's map: one interval per level that holds data,
  // level l covering up to its rounding boundary (l + 0.5) * scale, the top
  // one to the end. Every term is >= 0, and rounding is monotone, so a
  // float sum of them never decreases as terms are added: once the top
  // level's term plus the levels summed so far exceed `limit`, so does
  // E(t), and the evaluation stops, returning that partial sum (> limit).
  // At or below `limit` the result does not depend on it (same terms, same
  // order).
  double Error(const QdqMap& map, double limit);
  // A lower bound on E(t) over candidates whose maps lie in `maps` (see the
  // file comment).
  double Bound(std::span<const QdqMap> maps);

 private:
  // at(i) = model_.At(xs_[i]) for every i.
  void LookUp() {
    const size_t n = xs_.size();
    at_m0_.resize(n);
    at_m1_.resize(n);
    at_m2_.resize(n);
    model_.AtMany(xs_.data(), n, at_m0_.data(), at_m1_.data(), at_m2_.data());
  }
  Moments at(size_t i) const { return Moments{at_m0_[i], at_m1_[i], at_m2_[i]}; }
  // Boundaries looked up (and summed) at a time between checks of the limit.
  static constexpr size_t kChunk = 32;
  // integral over [a, b] of f(x) (x - c)^2, given the moments up to a and b.
  static double Between(const Moments& a, const Moments& b, double c) {
    return Centered(b.m0 - a.m0, b.m1 - a.m1, b.m2 - a.m2, c);
  }
  // terms_[i] = Between(moments before boundary i, at boundary i, level
  // (l_lo + first + i) * scale) for i < count, from the chunk's columns
  // (index 0: the moments before the chunk; i + 1: at its boundary i).
  void ChunkTerms(size_t count, double l_lo, size_t first, double scale);

  const PrefixModel& model_;
  std::vector<double> xs_;
  std::vector<double> at_m0_, at_m1_, at_m2_;
  // One chunk's columns, 3 lanes of padding read (never summed) by ChunkTerms.
  static constexpr size_t kColumn = kChunk + 4;
  double m0_[kColumn] = {}, m1_[kColumn] = {}, m2_[kColumn] = {};
  double terms_[kChunk + 3] = {};
  std::vector<std::pair<double, double>> u_;
};

void Evaluator::ChunkTerms(size_t count, double l_lo, size_t first, double scale) {
  size_t i = 0;
#if defined(__AVX2__)
  // Between's operations in its order, four terms at a time, no FMA.
  const __m256d lanes = _mm256_setr_pd(0, 1, 2, 3);
  const __m256d vl_lo = _mm256_set1_pd(l_lo);
  const __m256d vscale = _mm256_set1_pd(scale);
  const __m256d two = _mm256_set1_pd(2.0);
  for (; i < count; i += 4) {
    const __m256d d0 = _mm256_sub_pd(_mm256_loadu_pd(m0_ + i + 1), _mm256_loadu_pd(m0_ + i));
    const __m256d d1 = _mm256_sub_pd(_mm256_loadu_pd(m1_ + i + 1), _mm256_loadu_pd(m1_ + i));
    const __m256d d2 = _mm256_sub_pd(_mm256_loadu_pd(m2_ + i + 1), _mm256_loadu_pd(m2_ + i));
    const __m256d level = _mm256_add_pd(
        _mm256_set1_pd(static_cast<double>(first + i)), lanes);  // exact: small integers
    const __m256d c = _mm256_mul_pd(_mm256_add_pd(vl_lo, level), vscale);
    const __m256d v = _mm256_add_pd(_mm256_sub_pd(d2, _mm256_mul_pd(_mm256_mul_pd(two, c), d1)),
                                    _mm256_mul_pd(_mm256_mul_pd(c, c), d0));
    // max(v, 0) is 0 for v <= 0 and NaN, as Centered's std::max(0.0, v).
    _mm256_storeu_pd(terms_ + i, _mm256_max_pd(v, _mm256_setzero_pd()));
  }
#endif
  for (; i < count; ++i) {
    terms_[i] = Between(Moments{m0_[i], m1_[i], m2_[i]},
                        Moments{m0_[i + 1], m1_[i + 1], m2_[i + 1]},
                        (l_lo + static_cast<double>(first + i)) * scale);
  }
}

double Evaluator::Error(const QdqMap& map, double limit) {
  const double l_lo = map.Level(model_.min());
  const double l_hi = map.Level(model_.max());
  const size_t boundaries = static_cast<size_t>(l_hi - l_lo);
  auto boundary = [&](size_t i) { return (l_lo + static_cast<double>(i) + 0.5) * map.scale; };
  // The top level's term first, alone: clipping puts most of a narrow
  // candidate's error there. It is also the sum's last level term.
  const Moments below_top = boundaries > 0 ? model_.At(boundary(boundaries - 1)) : Moments{};
  const double top = Between(below_top, model_.Total(), l_hi * map.scale);
  if (top > limit) return top;
  double error = 0;
  m0_[0] = m1_[0] = m2_[0] = 0;  // the moments below the first boundary: none
  for (size_t first = 0; first < boundaries; first += kChunk) {
    const size_t count = std::min(kChunk, boundaries - first);
    xs_.resize(count);
    for (size_t i = 0; i < count; ++i) xs_[i] = boundary(first + i);
    model_.AtMany(xs_.data(), count, m0_ + 1, m1_ + 1, m2_ + 1);
    ChunkTerms(count, l_lo, first, map.scale);
    for (size_t i = 0; i < count; ++i) error += terms_[i];
    m0_[0] = m0_[count];
    m1_[0] = m1_[count];
    m2_[0] = m2_[count];
    if (error + top > limit) return error + top;
  }
  error += top;
  for (const auto& [x, count] : model_.points()) {
    const double d = x - map.Level(x) * map.scale;
    error += count * d * d;
  }
  return error;
}

double Evaluator::Bound(std::span<const QdqMap> maps) {
  double s_lo = maps.front().scale, s_hi = s_lo;
  double k_lo = maps.front().k_min, k_hi = maps.front().k_max;
  for (const QdqMap& m : maps) {
    s_lo = std::min(s_lo, m.scale);
    s_hi = std::max(s_hi, m.scale);
    k_lo = std::min(k_lo, m.k_min);
    k_hi = std::max(k_hi, m.k_max);
  }
  // Merged intervals of U in increasing order.
  u_.clear();
  for (double l = k_lo; l <= k_hi; l += 1.0) {
    const double a = l < 0 ? l * s_hi : l * s_lo;
    const double b = l < 0 ? l * s_lo : l * s_hi;
    if (!u_.empty() && a <= u_.back().second) {
      u_.back().second = std::max(u_.back().second, b);
    } else {
      u_.push_back({a, b});
    }
  }
  // Looked up: U's start; per gap (e, a) its ends and middle; U's end.
  // Outside [min, max] there are no moments, so a gap there adds exactly 0.
  xs_.clear();
  xs_.push_back(u_.front().first);
  for (size_t i = 0; i + 1 < u_.size(); ++i) {
    const double e = u_[i].second;
    const double a = u_[i + 1].first;
    xs_.insert(xs_.end(), {e, e + (a - e) / 2, a});
  }
  xs_.push_back(u_.back().second);
  LookUp();
  double bound = Between(Moments{}, at(0), xs_.front());
  for (size_t e = 1; e + 2 < xs_.size(); e += 3) {  // e, the middle, a
    bound += Between(at(e), at(e + 1), xs_[e]) + Between(at(e + 1), at(e + 2), xs_[e + 2]);
  }
  bound += Between(at(xs_.size() - 1), model_.Total(), xs_.back());
  for (const auto& [x, count] : model_.points()) {
    double d = std::numeric_limits<double>::infinity();
    for (const auto& [a, b] : u_) d = std::min(d, x < a ? a - x : (x > b ? x - b : 0.0));
    bound += count * d * d;
  }
  return bound;
}

}  // namespace

absl::StatusOr<TensorRange> MseRangeExhaustive(const Histogram& histogram, bool symmetric) {
  const std::vector<Bin> bins = NonEmptyBins(histogram);
  const int64_t k_last = CandidateCount(histogram);
  int64_t best_k = 1;
  double best_error = std::numeric_limits<double>::infinity();
  for (int64_t k = 1; k <= k_last; ++k) {
    FP_ASSIGN_OR_RETURN(const QdqMap map, MapForCandidate(histogram, k, symmetric));
    const double error = ExhaustiveError(bins, map);
    if (error < best_error) {
      best_error = error;
      best_k = k;
    }
  }
  return Candidate(histogram, best_k, symmetric);
}

absl::StatusOr<double> MseOfRange(const Histogram& histogram, const TensorRange& range,
                                  bool symmetric) {
  FP_ASSIGN_OR_RETURN(const QuantParams params, ScaleZeroPoint(range.min, range.max, symmetric));
  return ExhaustiveError(NonEmptyBins(histogram), MapFor(params));
}

absl::StatusOr<TensorRange> MseRange(const Histogram& histogram, bool symmetric) {
  const PrefixModel model(histogram);
  Evaluator evaluator(model);
  const int64_t k_last = CandidateCount(histogram);
  std::vector<QdqMap> maps(k_last + 1);  // maps[k], k >= 1
  for (int64_t k = 1; k <= k_last; ++k) {
    FP_ASSIGN_OR_RETURN(maps[k], MapForCandidate(histogram, k, symmetric));
  }
  constexpr double kNotEvaluated = -1;
  std::vector<double> errors(k_last + 1, kNotEvaluated);
  double best = std::numeric_limits<double>::infinity();
  auto evaluate = [&](int64_t k) {
    if (errors[k] != kNotEvaluated) return;
    // A candidate above the best so far is never chosen (ties go to the
    // first): its evaluation may stop there.
    errors[k] = evaluator.Error(maps[k], best);
    best = std::min(best, errors[k]);
  };
  // A coarse pass first, so that bounds prune from the start.
  const int64_t step = std::max<int64_t>(1, k_last / 16);
  for (int64_t k = step; k <= k_last; k += step) evaluate(k);
  evaluate(k_last);
  constexpr int64_t kLeafBlock = 16;
  std::vector<std::pair<int64_t, int64_t>> blocks = {{1, k_last}};
  while (!blocks.empty()) {
    const auto [lo, hi] = blocks.back();
    blocks.pop_back();
    if (hi - lo < kLeafBlock) {
      for (int64_t k = lo; k <= hi; ++k) evaluate(k);
      continue;
    }
    const std::span<const QdqMap> block(maps.data() + lo, static_cast<size_t>(hi - lo + 1));
    if (evaluator.Bound(block) > best * (1 + 1e-9)) continue;
    const int64_t mid = lo + (hi - lo) / 2;
    blocks.push_back({mid + 1, hi});
    blocks.push_back({lo, mid});
  }
  int64_t best_k = 1;
  for (int64_t k = 1; k <= k_last; ++k) {
    if (errors[k] != kNotEvaluated && errors[k] == best) {
      best_k = k;
      break;
    }
  }
  return Candidate(histogram, best_k, symmetric);
}

}  // namespace fixpoint::quant
