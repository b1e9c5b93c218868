// The streaming histogram: binning, |x| folding, exact growth by merging
// bin pairs, zeros before the range is known, merging two histograms.
#include "core/quant/histogram.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
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

TEST(HistogramTest, VectorBinningEqualsScalarBinning) {
  // Without sums Add() bins eight values at a time (zeros counted in bulk);
  // with sums it bins one by one. Bin edges, zeros, negative zeros, tiny and
  // extreme values, odd lengths (the scalar tail) and a non-power-of-two bin
  // count must land identically.
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> unit(-1.0, 1.0);
  for (int bins_per_side : {4, 600, 4096}) {
    Histogram vector_binned(bins_per_side);
    Histogram scalar_binned(bins_per_side, /*track_sums=*/true);
    for (int batch = 0; batch < 20; ++batch) {
      std::vector<float> values;
      const double magnitude = std::ldexp(1.0, batch - 10);
      for (int i = 0; i < 1000 + batch; ++i) {
        const double u = unit(rng);
        if (i % 5 == 0) {
          values.push_back(i % 10 == 0 ? 0.0f : -0.0f);
        } else if (i % 7 == 0) {  // an exact bin edge
          values.push_back(static_cast<float>(std::round(u * bins_per_side) / bins_per_side *
                                              magnitude));
        } else if (i % 11 == 0) {
          values.push_back(static_cast<float>(u * 1e-30));
        } else {
          values.push_back(static_cast<float>(u * magnitude));
        }
      }
      vector_binned.Add(values);
      scalar_binned.Add(values);
      ASSERT_EQ(vector_binned.SignedCounts(), scalar_binned.SignedCounts())
          << bins_per_side << " batch " << batch;
      ASSERT_EQ(vector_binned.zero_count(), scalar_binned.zero_count());
    }
    EXPECT_EQ(vector_binned.min(), scalar_binned.min());
    EXPECT_EQ(vector_binned.max(), scalar_binned.max());
  }
}

TEST(HistogramTest, CountsExactZeros) {
  Histogram h(4);
  h.Add(std::vector<float>{0.0f, -0.0f});  // before the range is known
  h.Add(std::vector<float>{0.0f, 0.6f, 1e-30f, -0.5f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.3f});
  EXPECT_EQ(h.zero_count(), 8);
  EXPECT_EQ(h.SignedCounts()[4], 9);  // the zeros and 1e-30 in [0, w)
}

// Everything a merge must carry over, compared with a histogram that saw
// all the values; sums up to the order of additions.
void ExpectSameHistogram(const Histogram& got, const Histogram& want) {
  EXPECT_EQ(got.range(), want.range());
  EXPECT_EQ(got.range_exponent(), want.range_exponent());
  EXPECT_EQ(got.SignedCounts(), want.SignedCounts());
  EXPECT_EQ(got.total_count(), want.total_count());
  EXPECT_EQ(got.zero_count(), want.zero_count());
  EXPECT_EQ(got.empty(), want.empty());
  if (!want.empty()) {
    EXPECT_EQ(got.min(), want.min());
    EXPECT_EQ(got.max(), want.max());
  }
  ASSERT_EQ(got.SignedSums().size(), want.SignedSums().size());
  for (size_t j = 0; j < want.SignedSums().size(); ++j) {
    EXPECT_NEAR(got.SignedSums()[j], want.SignedSums()[j],
                1e-12 * (1 + std::fabs(want.SignedSums()[j])))
        << j;
  }
  EXPECT_NEAR(got.sum_squares(), want.sum_squares(), 1e-12 * want.sum_squares());
}

TEST(HistogramTest, MergeEqualsSeeingEverything) {
  // Ranges 2^0, 2^6 and 2^3, negative data, zeros before and after the
  // range is known, a batch of zeros only.
  const std::vector<float> a = Linspace(-0.9, 0.7, 501);
  std::vector<float> b = Linspace(-40.0, 3.0, 777);
  b.push_back(0.0f);
  const std::vector<float> c = Linspace(-5.0, -0.01, 333);
  const std::vector<float> zeros(17, 0.0f);
  const std::vector<std::vector<std::vector<float>>> splits[] = {
      {{a, c}, {b}}, {{b}, {a, c}}, {{zeros, a}, {zeros, b}}, {{zeros}, {c, zeros}},
      {{c}, {zeros}}, {{zeros}, {zeros}}, {{}, {a}}, {{a}, {}}, {{}, {}}};
  for (bool sums : {false, true}) {
    for (const auto& split : splits) {
      Histogram all(256, sums), first(256, sums), second(256, sums);
      for (const auto& batch : split[0]) {
        first.Add(batch);
        all.Add(batch);
      }
      for (const auto& batch : split[1]) {
        second.Add(batch);
        all.Add(batch);
      }
      ASSERT_TRUE(first.Merge(second).ok());
      SCOPED_TRACE(::testing::Message() << "sums " << sums << ", batches " << split[0].size()
                                        << " + " << split[1].size());
      ExpectSameHistogram(first, all);
      // Zeros seen before the range was known are still counted.
      EXPECT_EQ(first.SignedCounts()[256], all.SignedCounts()[256]);
    }
  }
}

TEST(HistogramTest, MergeRefusesAnotherShape) {
  Histogram h(4), wider(8), with_sums(4, /*track_sums=*/true);
  EXPECT_EQ(h.Merge(wider).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(h.Merge(with_sums).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace fixpoint::quant
