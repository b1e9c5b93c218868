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
// rounding) cannot hold the optimum and is dropped. Sums are double: the
// moment differences cancel by up to about 255^2, which leaves about 1e-11
// relative error, far below the 1e-9 the contract allows (long double was
// 5x slower and chose the same ranges on every test and model histogram).
#include "core/quant/mse_search.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <utility>
#include <vector>

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

using Real = double;

// Integrals of 1, x, x^2 against the continuous part of the density.
struct Moments {
  Real m0 = 0;
  Real m1 = 0;
  Real m2 = 0;
};

// integral over [a, b] of f(x) (x - c)^2, given the moments up to a and b;
// clamped at 0 against rounding.
Real Centered(const Moments& a, const Moments& b, double c) {
  const Real d0 = b.m0 - a.m0;
  const Real d1 = b.m1 - a.m1;
  const Real d2 = b.m2 - a.m2;
  const Real cc = c;
  return std::max<Real>(0, d2 - 2 * cc * d1 + cc * cc * d0);
}

// The histogram as NonEmptyBins describes it: uniform bins with prefix
// moments, plus the point masses.
class PrefixModel {
 public:
  explicit PrefixModel(const Histogram& h)
      : origin_(-h.range()), width_(h.bin_width()), min_(h.min()), max_(h.max()) {
    const std::vector<double> counts = h.SignedCounts();
    const size_t n = counts.size();
    lo_.assign(n, 0.0);
    hi_.assign(n, 0.0);
    density_.assign(n, 0);
    prefix_.assign(n + 1, Moments{});
    for (size_t j = 0; j < n; ++j) {
      Moments m = prefix_[j];
      if (counts[j] != 0.0) {
        const double lo = std::clamp(origin_ + static_cast<double>(j) * width_, min_, max_);
        const double hi = std::clamp(origin_ + static_cast<double>(j + 1) * width_, lo, max_);
        if (hi <= lo) {
          points_.push_back({lo, counts[j]});
        } else {
          lo_[j] = lo;
          hi_[j] = hi;
          density_[j] = static_cast<Real>(counts[j]) / (static_cast<Real>(hi) - lo);
          const Real l = lo;
          const Real u = hi;
          m.m0 += counts[j];
          m.m1 += counts[j] * (l + u) / 2;
          m.m2 += counts[j] * (l * l + l * u + u * u) / 3;
        }
      }
      prefix_[j + 1] = m;
    }
  }

  // Moments of the continuous part over (-inf, x].
  Moments At(double x) const {
    if (x <= min_) return Moments{};
    if (x >= max_) return prefix_.back();
    const double b = std::floor((x - origin_) / width_);
    const size_t j =
        static_cast<size_t>(std::clamp(b, 0.0, static_cast<double>(density_.size() - 1)));
    Moments m = prefix_[j];
    if (density_[j] == 0) return m;
    const Real l = lo_[j];
    const Real u = std::clamp<double>(x, lo_[j], hi_[j]);
    const Real d = density_[j] * (u - l);
    m.m0 += d;
    m.m1 += d * (u + l) / 2;
    m.m2 += d * (u * u + u * l + l * l) / 3;
    return m;
  }
  const Moments& Total() const { return prefix_.back(); }
  double min() const { return min_; }
  double max() const { return max_; }
  const std::vector<std::pair<double, double>>& points() const { return points_; }

 private:
  const double origin_;
  const double width_;
  const double min_;
  const double max_;
  std::vector<double> lo_;
  std::vector<double> hi_;
  std::vector<Real> density_;
  std::vector<Moments> prefix_;                    // prefix_[j] = moments of bins < j
  std::vector<std::pair<double, double>> points_;  // (x, count)
};

// E(t) for one candidate's map: one interval per level that holds data.
Real FastError(const PrefixModel& model, const QdqMap& map) {
  const double l_lo = map.Level(model.min());
  const double l_hi = map.Level(model.max());
  Real error = 0;
  Moments prev;
  for (double l = l_lo; l <= l_hi; l += 1.0) {
    const Moments next = l == l_hi ? model.Total() : model.At((l + 0.5) * map.scale);
    error += Centered(prev, next, l * map.scale);
    prev = next;
  }
  for (const auto& [x, count] : model.points()) {
    const double d = x - map.Level(x) * map.scale;
    error += count * d * d;
  }
  return error;
}

// A lower bound on E(t) over candidates whose maps lie in `maps` (see the
// file comment).
Real BlockBound(const PrefixModel& model, std::span<const QdqMap> maps) {
  double s_lo = maps.front().scale, s_hi = s_lo;
  double k_lo = maps.front().k_min, k_hi = maps.front().k_max;
  for (const QdqMap& m : maps) {
    s_lo = std::min(s_lo, m.scale);
    s_hi = std::max(s_hi, m.scale);
    k_lo = std::min(k_lo, m.k_min);
    k_hi = std::max(k_hi, m.k_max);
  }
  // Merged intervals of U in increasing order.
  std::vector<std::pair<double, double>> u;
  for (double l = k_lo; l <= k_hi; l += 1.0) {
    const double a = l < 0 ? l * s_hi : l * s_lo;
    const double b = l < 0 ? l * s_lo : l * s_hi;
    if (!u.empty() && a <= u.back().second) {
      u.back().second = std::max(u.back().second, b);
    } else {
      u.push_back({a, b});
    }
  }
  Real bound = 0;
  Moments at_end = model.At(u.front().first);
  bound += Centered(Moments{}, at_end, u.front().first);
  for (size_t i = 0; i + 1 < u.size(); ++i) {
    const double e = u[i].second;
    const double a = u[i + 1].first;
    if (a <= model.min() || e >= model.max()) continue;  // no data in the gap
    const double mid = e + (a - e) / 2;
    const Moments me = model.At(e);
    const Moments mm = model.At(mid);
    const Moments ma = model.At(a);
    bound += Centered(me, mm, e) + Centered(mm, ma, a);
  }
  bound += Centered(model.At(u.back().second), model.Total(), u.back().second);
  for (const auto& [x, count] : model.points()) {
    double d = std::numeric_limits<double>::infinity();
    for (const auto& [a, b] : u) d = std::min(d, x < a ? a - x : (x > b ? x - b : 0.0));
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
  const int64_t k_last = CandidateCount(histogram);
  std::vector<QdqMap> maps(k_last + 1);  // maps[k], k >= 1
  for (int64_t k = 1; k <= k_last; ++k) {
    FP_ASSIGN_OR_RETURN(maps[k], MapForCandidate(histogram, k, symmetric));
  }
  constexpr Real kNotEvaluated = -1;
  std::vector<Real> errors(k_last + 1, kNotEvaluated);
  Real best = std::numeric_limits<Real>::infinity();
  auto evaluate = [&](int64_t k) {
    if (errors[k] != kNotEvaluated) return;
    errors[k] = FastError(model, maps[k]);
    best = std::min(best, errors[k]);
  };
  // A coarse pass first, so that bounds prune from the start.
  const int64_t step = std::max<int64_t>(1, k_last / 32);
  for (int64_t k = step; k <= k_last; k += step) evaluate(k);
  evaluate(k_last);
  constexpr int64_t kLeafBlock = 8;
  std::vector<std::pair<int64_t, int64_t>> blocks = {{1, k_last}};
  while (!blocks.empty()) {
    const auto [lo, hi] = blocks.back();
    blocks.pop_back();
    if (hi - lo < kLeafBlock) {
      for (int64_t k = lo; k <= hi; ++k) evaluate(k);
      continue;
    }
    const std::span<const QdqMap> block(maps.data() + lo, static_cast<size_t>(hi - lo + 1));
    if (BlockBound(model, block) > best * (1 + 1e-9)) continue;
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
