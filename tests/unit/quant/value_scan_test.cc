// The one-pass batch scan (vectorized) against plain loops: min, max, zero
// count and finiteness, wherever in the batch (vector body or scalar tail)
// the special values sit.
#include "core/quant/value_scan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace fixpoint::quant {
namespace {

TEST(ValueScanTest, MatchesPlainLoops) {
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  for (size_t n : {1, 7, 8, 9, 64, 1001}) {
    std::vector<float> values(n);
    int64_t zeros = 0;
    for (size_t i = 0; i < n; ++i) {
      values[i] = i % 3 == 0 ? (i % 2 ? -0.0f : 0.0f) : normal(rng);
      zeros += values[i] == 0.0f;
    }
    const ValueScan scan = ScanValues(values);
    EXPECT_TRUE(scan.finite);
    EXPECT_EQ(scan.min, *std::min_element(values.begin(), values.end())) << n;
    EXPECT_EQ(scan.max, *std::max_element(values.begin(), values.end())) << n;
    EXPECT_EQ(scan.zeros, zeros) << n;
  }
}

TEST(ValueScanTest, FindsNonFiniteValuesAnywhere) {
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                    -std::numeric_limits<float>::infinity()}) {
    for (size_t at : {0, 5, 8, 16, 20}) {  // vector lanes and the tail
      std::vector<float> values(21, 1.0f);
      values[at] = bad;
      EXPECT_FALSE(ScanValues(values).finite) << bad << " at " << at;
    }
  }
  const std::vector<float> largest = {std::numeric_limits<float>::max(),
                                      -std::numeric_limits<float>::max()};
  EXPECT_TRUE(ScanValues(largest).finite);
}

}  // namespace
}  // namespace fixpoint::quant
