// "entropy" (TensorRT-style KL): keeps the whole range of a uniform
// distribution, clips a long tail with a few large outliers.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/quant/calibrator.h"
#include "tests/unit/quant/calibrator_test_util.h"

namespace fixpoint::quant {
namespace {

using ::fixpoint::quant::testing::Batches;
using ::fixpoint::quant::testing::Calibrate;
using ::fixpoint::quant::testing::ExponentialQuantiles;

CalibratorOptions Symmetric(bool symmetric) {
  CalibratorOptions options;
  options.symmetric = symmetric;
  return options;
}

// (j + 0.5) / N for j < N = 4096 * 8: max|x| < 1 gives T = 1 and bins of
// 1/4096, each holding exactly 8 values.
std::vector<float> UniformZeroToOne() {
  const int n = 4096 * 8;
  std::vector<float> values(n);
  for (int j = 0; j < n; ++j) values[j] = static_cast<float>((j + 0.5) / n);
  return values;
}

// Exponential bulk (max about 12.2) and five outliers at 100.
std::vector<float> BulkWithOutliers() {
  std::vector<float> values = ExponentialQuantiles(100000);
  for (int i = 0; i < 5; ++i) values.push_back(100.0f);
  return values;
}

TEST(EntropyCalibratorTest, UniformKeepsTheMaximum) {
  // Without clipping every level merges 32 bins of 8 values, so Q = P and
  // the divergence is 0; any clipping piles mass into the last bin.
  const std::vector<float> values = UniformZeroToOne();
  auto range = Calibrate("entropy", Symmetric(true), {values});
  ASSERT_TRUE(range.ok()) << range.status();
  EXPECT_EQ(range->max, values.back());
  EXPECT_EQ(range->min, -range->max);
}

TEST(EntropyCalibratorTest, UniformKeepsTheMaximumAsymmetric) {
  std::vector<float> values = UniformZeroToOne();
  for (float& v : values) v = 2 * v - 1;  // 4 values per bin on (-1, 1)
  auto range = Calibrate("entropy", Symmetric(false), {values});
  ASSERT_TRUE(range.ok()) << range.status();
  EXPECT_EQ(range->max, values.back());
  EXPECT_EQ(range->min, values.front());
}

TEST(EntropyCalibratorTest, ExactZerosDoNotNarrowTheRange) {
  // A ReLU output: the uniform values above plus as many exact zeros. The
  // zeros quantize exactly at any threshold, so the divergence is that of
  // the uniform part alone: 0 for the full window (each level merges 32 bins
  // of 8 values, Q = P) and positive for every narrower one, which piles
  // the clipped values into its last bin. Counting the zeros in bin [0, w)
  // instead made Q spread that spike of 32768 over the first level's bins,
  // so the full window no longer had divergence 0 (the old code returned
  // 0.999756, one bin short, for both schemes).
  std::vector<float> values = UniformZeroToOne();
  values.resize(2 * values.size(), 0.0f);
  for (bool symmetric : {true, false}) {
    auto range = Calibrate("entropy", Symmetric(symmetric), {values});
    ASSERT_TRUE(range.ok()) << range.status();
    EXPECT_EQ(range->max, values[values.size() / 2 - 1]) << symmetric;
    EXPECT_EQ(range->min, symmetric ? -range->max : 0.0f);
  }
}

TEST(EntropyCalibratorTest, ZeroSpikeOfAReluKeepsTheThresholdOfItsPositiveValues) {
  // Exponential values (max 12.2) and as many exact zeros: the histogram
  // differs from that of the exponential values alone only in bin [0, w),
  // by the zeros the divergence leaves out, so the threshold is the same.
  // The old code clipped this to 0.996 (s8) and 1.996 (u8), about a tenth of
  // what it chose without the zeros: resnet_small's u8 ReLU ranges.
  const std::vector<float> positive = ExponentialQuantiles(100000);
  std::vector<float> relu(positive.size(), 0.0f);
  relu.insert(relu.end(), positive.begin(), positive.end());
  for (bool symmetric : {true, false}) {
    auto without_zeros = Calibrate("entropy", Symmetric(symmetric), {positive});
    auto with_zeros = Calibrate("entropy", Symmetric(symmetric), {relu});
    ASSERT_TRUE(without_zeros.ok() && with_zeros.ok());
    EXPECT_EQ(*with_zeros, *without_zeros) << symmetric;
    EXPECT_GT(with_zeros->max, 9.0f) << symmetric;
  }
}

TEST(EntropyCalibratorTest, ClipsOutliersSymmetric) {
  // T = 128, w = 1/32; the threshold lands in the exponential tail, far
  // below the outliers.
  auto range = Calibrate("entropy", Symmetric(true), {BulkWithOutliers()});
  ASSERT_TRUE(range.ok()) << range.status();
  // Near the end of the bulk (max 12.2), far below the outliers at 100.
  EXPECT_GT(range->max, 9.0f);
  EXPECT_LT(range->max, 12.5f);
  EXPECT_EQ(range->min, -range->max);
}

TEST(EntropyCalibratorTest, ClipsOutliersAsymmetric) {
  auto range = Calibrate("entropy", Symmetric(false), {BulkWithOutliers()});
  ASSERT_TRUE(range.ok()) << range.status();
  EXPECT_GE(range->min, 0.0f);  // non-negative data: the window starts at min
  EXPECT_LT(range->min, 1e-4f);
  EXPECT_GT(range->max, 9.0f);
  EXPECT_LT(range->max, 12.5f);
}

TEST(EntropyCalibratorTest, StreamedEqualsOneShot) {
  const std::vector<float> values = BulkWithOutliers();  // ascending
  for (bool symmetric : {true, false}) {
    auto one = Calibrate("entropy", Symmetric(symmetric), {values});
    auto many = Calibrate("entropy", Symmetric(symmetric), Batches(values, 7919));
    ASSERT_TRUE(one.ok() && many.ok());
    EXPECT_EQ(*one, *many) << symmetric;  // the histograms are identical
  }
}

TEST(EntropyCalibratorTest, AllZeroGivesZeroRange) {
  auto range = Calibrate("entropy", Symmetric(true), {{0.0f, 0.0f}, {0.0f}});
  ASSERT_TRUE(range.ok()) << range.status();
  EXPECT_EQ(*range, (TensorRange{0.0f, 0.0f, std::nullopt}));
}

}  // namespace
}  // namespace fixpoint::quant
