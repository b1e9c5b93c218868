// "percentile" against numbers computed by hand from the binning. With the
// default 2048 bins the histogram has 4096 bins per side over the power of
// two above max|x|: for 0..9999, T = 16384 and w = 4, so bin k holds the
// integers 4k .. 4k + 3, and interpolation treats each integer v as spread
// over [v, v + 1) - which makes the results the exact percentiles.
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
using ::testing::HasSubstr;

std::vector<float> ZeroTo(int last) {
  std::vector<float> values(last + 1);
  for (int i = 0; i <= last; ++i) values[i] = static_cast<float>(i);
  return values;
}

CalibratorOptions Options(double percentile, bool symmetric) {
  CalibratorOptions options;
  options.percentile = percentile;
  options.symmetric = symmetric;
  return options;
}

TEST(PercentileCalibratorTest, SymmetricOnZeroTo9999) {
  // 99.99%: 9999 of 10000 values; bin 2499 (9996..9999) starts after 9996,
  // 3 of its 4 are needed -> 9996 + 3/4 * 4 = 9999.
  auto range = Calibrate("percentile", Options(99.99, true), {ZeroTo(9999)});
  ASSERT_TRUE(range.ok()) << range.status();
  EXPECT_DOUBLE_EQ(range->max, 9999.0);
  EXPECT_EQ(range->min, -range->max);
  EXPECT_FALSE(range->fix_pos.has_value());
  // 99.9%: 9990 values; bin 2497 (9988..9991), 2 of 4 -> 9990.
  range = Calibrate("percentile", Options(99.9, true), {ZeroTo(9999)});
  ASSERT_TRUE(range.ok()) << range.status();
  EXPECT_DOUBLE_EQ(range->max, 9990.0);
}

TEST(PercentileCalibratorTest, SymmetricOnZeroTo99999) {
  // T = 131072, w = 32. 99.99%: 99990 values; bin 3124 (99968..99999)
  // starts after 99968, 22 of its 32 are needed -> 99968 + 22 = 99990.
  auto range = Calibrate("percentile", Options(99.99, true), {ZeroTo(99999)});
  ASSERT_TRUE(range.ok()) << range.status();
  EXPECT_DOUBLE_EQ(range->max, 99990.0);
}

TEST(PercentileCalibratorTest, Median) {
  // 5000 values: bin 1249 (4996..4999) completes them -> 5000.
  auto range = Calibrate("percentile", Options(50, true), {ZeroTo(9999)});
  ASSERT_TRUE(range.ok()) << range.status();
  EXPECT_DOUBLE_EQ(range->max, 5000.0);
}

TEST(PercentileCalibratorTest, HundredIsTheMaximum) {
  auto range = Calibrate("percentile", Options(100, true), {ZeroTo(9999)});
  ASSERT_TRUE(range.ok()) << range.status();
  EXPECT_EQ(range->max, 9999.0f);
}

TEST(PercentileCalibratorTest, AsymmetricCutsHalfFromEachTail) {
  // 0.005% per tail = 0.5 values: lower 0.5/4 of bin [0, 4) -> 0.5; upper
  // 9999.5 values -> 9996 + 3.5 = 9999.5, clamped to the maximum 9999.
  auto range = Calibrate("percentile", Options(99.99, false), {ZeroTo(9999)});
  ASSERT_TRUE(range.ok()) << range.status();
  EXPECT_EQ(*range, (TensorRange{0.5f, 9999.0f, std::nullopt}));
}

TEST(PercentileCalibratorTest, AsymmetricOnSignedData) {
  // -5000..4999: T = 8192, w = 2; 10% per tail = 1000 values. Lower: bin
  // [-4002, -4000) has 998 values below it and both of its values are
  // needed -> -4000. Upper: 9000 values; bin [3998, 4000) has 8998 below,
  // needs both -> 4000.
  std::vector<float> values(10000);
  for (int i = 0; i < 10000; ++i) values[i] = static_cast<float>(i - 5000);
  auto range = Calibrate("percentile", Options(80, false), {values});
  ASSERT_TRUE(range.ok()) << range.status();
  EXPECT_EQ(*range, (TensorRange{-4000.0f, 4000.0f, std::nullopt}));
}

TEST(PercentileCalibratorTest, StreamedEqualsOneShot) {
  // Ascending batches of 1000 grow T from 1024 to 16384 by merging; the
  // histogram ends up identical, so is the result.
  for (bool symmetric : {true, false}) {
    auto one = Calibrate("percentile", Options(99.9, symmetric), {ZeroTo(9999)});
    auto many = Calibrate("percentile", Options(99.9, symmetric), Batches(ZeroTo(9999), 1000));
    ASSERT_TRUE(one.ok() && many.ok());
    EXPECT_EQ(*one, *many) << symmetric;
  }
}

TEST(PercentileCalibratorTest, PointMassGivesThatPoint) {
  auto range = Calibrate("percentile", Options(99.99, false), {{2.5f, 2.5f, 2.5f}});
  ASSERT_TRUE(range.ok()) << range.status();
  EXPECT_EQ(*range, (TensorRange{2.5f, 2.5f, std::nullopt}));
}

TEST(PercentileCalibratorTest, RejectsBadOptions) {
  for (double p : {0.0, -1.0, 100.5}) {
    auto c = CreateCalibrator("percentile", Options(p, true));
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << p;
    EXPECT_THAT(c.status().message(), HasSubstr("percentile"));
  }
  for (int bins : {100, 2047, 16384}) {
    CalibratorOptions options;
    options.num_bins = bins;
    auto c = CreateCalibrator("percentile", options);
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << bins;
    EXPECT_THAT(c.status().message(), HasSubstr("num_bins"));
  }
}

}  // namespace
}  // namespace fixpoint::quant
