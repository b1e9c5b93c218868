// The streaming histogram: binning, |x| folding, exact growth by merging
// bin pairs, zeros before the range is known.
#include "core/quant/histogram.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "tests/unit/quant/calibrator_test_util.h"

namespace fixpoint::quant {
namespace {

using ::fixpoint::quant::testing::Batches;
using ::fixpoint::quant::testing::Linspace;
using ::testing::ElementsAre;

TEST(HistogramTest, RangeIsThePowerOfTwoAboveMaxAbs) {
  Histogram h(4);  // T = 1, w = 0.25, signed bins -4..3
  h.Add(std::vector<float>{-0.75f, -0.5f, 0.0f, 0.25f, 0.7f});
  EXPECT_EQ(h.range(), 1.0);
  EXPECT_EQ(h.range_exponent(), 0);
  EXPECT_EQ(h.bin_width(), 0.25);
  EXPECT_EQ(h.total_count(), 5);
  EXPECT_EQ(h.min(), -0.75f);
  EXPECT_EQ(h.max(), 0.7f);
  // [-1,-.75) [-.75,-.5) [-.5,-.25) [-.25,0) [0,.25) [.25,.5) [.5,.75) [.75,1)
  EXPECT_THAT(h.SignedCounts(), ElementsAre(0, 1, 1, 0, 1, 1, 1, 0));
  // |x|: [0,.25) <- 0; [.25,.5) <- .25, -.5; [.5,.75) <- .7, -.75
  EXPECT_THAT(h.AbsCounts(), ElementsAre(1, 2, 2, 0));

  Histogram exact_power(4);
  exact_power.Add(std::vector<float>{1.0f});  // strictly above: T = 2
  EXPECT_EQ(exact_power.range(), 2.0);
  EXPECT_THAT(exact_power.SignedCounts(), ElementsAre(0, 0, 0, 0, 0, 0, 1, 0));
}

TEST(HistogramTest, GrowsByMergingBinPairs) {
  Histogram h(4);
  h.Add(std::vector<float>{-0.75f, -0.5f, 0.0f, 0.25f, 0.7f});
  h.Add(std::vector<float>{1.5f});  // T doubles to 2, w = 0.5
  EXPECT_EQ(h.range(), 2.0);
  EXPECT_EQ(h.total_count(), 6);
  // [-2,-1.5) [-1.5,-1) [-1,-.5) [-.5,0) [0,.5) [.5,1) [1,1.5) [1.5,2)
  EXPECT_THAT(h.SignedCounts(), ElementsAre(0, 0, 1, 1, 2, 1, 0, 1));
}

TEST(HistogramTest, RangeStaysBelowTwiceTheMaximum) {
  Histogram h(256);
  for (float m : {1.0f, 3.0f, 7.0f, 100.0f}) h.Add(std::vector<float>{m, -m / 2});
  EXPECT_EQ(h.range(), 128.0);  // 2 -> 4 -> 8 -> 128
  EXPECT_EQ(h.total_count(), 8);
  double sum = 0;
  for (double c : h.SignedCounts()) sum += c;
  EXPECT_EQ(sum, 8);
}

TEST(HistogramTest, AValueEqualToTheRangeGrowsIt) {
  // T = 1 after the first batch; 1.0 must double it (bins are half-open),
  // exactly as if both values had come together.
  Histogram streamed(4), together(4);
  streamed.Add(std::vector<float>{0.75f});
  streamed.Add(std::vector<float>{1.0f});
  together.Add(std::vector<float>{0.75f, 1.0f});
  EXPECT_EQ(streamed.range(), 2.0);
  EXPECT_EQ(streamed.SignedCounts(), together.SignedCounts());
  EXPECT_THAT(streamed.SignedCounts(), ElementsAre(0, 0, 0, 0, 0, 1, 1, 0));
}

TEST(HistogramTest, ZerosBeforeTheFirstNonZeroLandInTheZeroBin) {
  Histogram h(4);
  h.Add(std::vector<float>{0.0f, 0.0f});
  EXPECT_EQ(h.range(), 0.0);
  EXPECT_THAT(h.SignedCounts(), ElementsAre(0, 0, 0, 0, 2, 0, 0, 0));
  h.Add(std::vector<float>{2.0f, -1.0f});  // T = 4, w = 1
  EXPECT_EQ(h.range(), 4.0);
  EXPECT_THAT(h.SignedCounts(), ElementsAre(0, 0, 0, 1, 2, 0, 1, 0));
}

TEST(HistogramTest, IdenticalHoweverTheDataIsBatchedOrOrdered) {
  std::vector<float> values = Linspace(-2.0, 5.0, 3001);
  for (size_t i = 0; i < values.size(); i += 7) values[i] *= 37.0f;  // spikes
  Histogram one(256, /*track_sums=*/true);
  one.Add(values);
  std::vector<float> by_magnitude = values;
  std::sort(by_magnitude.begin(), by_magnitude.end(),
            [](float a, float b) { return std::fabs(a) < std::fabs(b); });
  for (size_t batch_size : {1, 13, 500}) {
    Histogram many(256, /*track_sums=*/true);
    for (const auto& batch : Batches(by_magnitude, batch_size)) many.Add(batch);
    EXPECT_EQ(many.range(), one.range()) << batch_size;
    EXPECT_EQ(many.SignedCounts(), one.SignedCounts()) << batch_size;
    // Sums match up to the order of floating-point additions.
    for (size_t j = 0; j < one.SignedSums().size(); ++j) {
      EXPECT_NEAR(many.SignedSums()[j], one.SignedSums()[j],
                  1e-9 * (1 + std::fabs(one.SignedSums()[j])));
    }
    EXPECT_NEAR(many.sum_squares(), one.sum_squares(), 1e-9 * one.sum_squares());
  }
}

TEST(HistogramTest, SumsPerBin) {
  Histogram h(4, /*track_sums=*/true);
  h.Add(std::vector<float>{-0.75f, -0.5f, 0.0f, 0.25f, 0.3f, 0.7f});
  EXPECT_THAT(h.SignedSums(),
              ElementsAre(0.0, -0.75, -0.5, 0.0, 0.0, 0.25 + double{0.3f}, double{0.7f}, 0.0));
  EXPECT_DOUBLE_EQ(h.sum_squares(), 0.5625 + 0.25 + 0.0625 + double{0.3f} * double{0.3f} +
                                        double{0.7f} * double{0.7f});
  Histogram plain(4);
  plain.Add(std::vector<float>{1.0f});
  EXPECT_TRUE(plain.SignedSums().empty());
}

}  // namespace
}  // namespace fixpoint::quant
