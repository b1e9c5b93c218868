// The fast MSE search (prefix moments, branch and bound) against the
// exhaustive reference on random histograms: the same range, or where they
// differ, a range whose error (computed the reference way) ties the
// reference optimum to 1e-9 relative.
#include "core/quant/mse_search.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "core/quant/histogram.h"
#include "tests/unit/quant/random_values.h"

namespace fixpoint::quant {
namespace {

TEST(MseSearchTest, FastSearchMatchesTheExhaustiveOneOnRandomHistograms) {
  std::mt19937 rng(20261125);
  int identical = 0;
  int cases = 0;
  for (int trial = 0; trial < 120; ++trial) {
    const std::vector<float> values = RandomValues(rng);
    Histogram histogram(512);  // num_bins 256: keeps the reference quick
    histogram.Add(values);
    for (bool symmetric : {true, false}) {
      ++cases;
      auto fast = MseRange(histogram, symmetric);
      auto exhaustive = MseRangeExhaustive(histogram, symmetric);
      ASSERT_TRUE(fast.ok() && exhaustive.ok());
      if (*fast == *exhaustive) {
        ++identical;
        continue;
      }
      auto fast_error = MseOfRange(histogram, *fast, symmetric);
      auto best_error = MseOfRange(histogram, *exhaustive, symmetric);
      ASSERT_TRUE(fast_error.ok() && best_error.ok());
      EXPECT_LE(*fast_error, *best_error * (1 + 1e-9))
          << "trial " << trial << " symmetric " << symmetric << ": fast [" << fast->min << ", "
          << fast->max << "] vs exhaustive [" << exhaustive->min << ", " << exhaustive->max << "]";
    }
  }
  std::printf("identical ranges: %d of %d\n", identical, cases);
  EXPECT_GE(identical, cases * 9 / 10);  // differences are rare rounding ties
}

TEST(MseSearchTest, FullSizeHistogramOfReluData) {
  // The production size (num_bins 2048) on a ReLU-like tensor.
  std::mt19937 rng(7);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<float> values(200000);
  for (float& v : values) v = static_cast<float>(std::max(0.0, normal(rng)));
  Histogram histogram(4096);
  histogram.Add(values);
  for (bool symmetric : {true, false}) {
    auto fast = MseRange(histogram, symmetric);
    auto exhaustive = MseRangeExhaustive(histogram, symmetric);
    ASSERT_TRUE(fast.ok() && exhaustive.ok());
    if (*fast == *exhaustive) continue;
    auto fast_error = MseOfRange(histogram, *fast, symmetric);
    auto best_error = MseOfRange(histogram, *exhaustive, symmetric);
    ASSERT_TRUE(fast_error.ok() && best_error.ok());
    EXPECT_LE(*fast_error, *best_error * (1 + 1e-9)) << symmetric;
  }
}

}  // namespace
}  // namespace fixpoint::quant
