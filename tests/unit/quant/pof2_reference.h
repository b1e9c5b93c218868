// The reference for pof2-mindiffs, shared by the calibrator and weight tests:
// Vitis AI's quantize-dequantize error over the raw values, in double, and
// the position it picks.
#ifndef FIXPOINT_TESTS_UNIT_QUANT_POF2_REFERENCE_H_
#define FIXPOINT_TESTS_UNIT_QUANT_POF2_REFERENCE_H_

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/quant/quant_params.h"

namespace fixpoint::quant {

inline double BruteForceError(const std::vector<float>& values, int pos) {
  double error = 0.0;
  for (float x : values) {
    const double q = std::clamp(RoundHalfEven(std::ldexp(double{x}, pos)), -128.0, 127.0);
    const double d = x - std::ldexp(q, -pos);
    error += d * d;
  }
  return error;
}

inline int BruteForceMinDiffs(const std::vector<float>& values) {
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  const int start = NonOverflowFixPos(*lo, *hi);
  if (start == kMaxFixPos) return start;
  return MinDiffsFixPos(start, [&](int pos) { return BruteForceError(values, pos); });
}

}  // namespace fixpoint::quant

#endif  // FIXPOINT_TESTS_UNIT_QUANT_POF2_REFERENCE_H_
