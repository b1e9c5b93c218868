// "mse" against the analytic optimum. For a density f and symmetric s8
// with step s = t / 127, the expected error is about
//   E(t) = s^2 / 12 (rounding, inside the range) + integral_t (x - t)^2 f(x)
// so dE/dt = 0 gives t / (6 * 127^2) = integral_t 2 (x - t) f(x) dx.
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
using ::fixpoint::quant::testing::Linspace;

CalibratorOptions Symmetric(bool symmetric) {
  CalibratorOptions options;
  options.symmetric = symmetric;
  return options;
}

TEST(MseCalibratorTest, UniformOnZeroOneClipsJustBelowTheMaximum) {
  // f = 1 on [0, 1]: t / 96774 = (1 - t)^2 -> 1 - t = 0.0032146.
  auto range = Calibrate("mse", Symmetric(true), {Linspace(0.0, 1.0, 200001)});
  ASSERT_TRUE(range.ok()) << range.status();
  const double w = 1.0 / 2048;
  EXPECT_NEAR(range->max, 1.0 - 0.0032146, 1.5 * w);
  EXPECT_LT(range->max, 1.0 - 4 * w);  // genuinely below the maximum
  EXPECT_EQ(range->min, -range->max);
}

TEST(MseCalibratorTest, UniformOnMinusOneOneSymmetric) {
  // f = 1/2 on [-1, 1]: the positive side clips at 127 s = t, the negative
  // one at -128 s (beyond -1 here), so t / 96774 = (1 - t)^2 / 2 ->
  // 1 - t = 0.0045462.
  auto range = Calibrate("mse", Symmetric(true), {Linspace(-1.0, 1.0, 400001)});
  ASSERT_TRUE(range.ok()) << range.status();
  EXPECT_NEAR(range->max, 1.0 - 0.0045462, 1.5 / 2048);
}

TEST(MseCalibratorTest, UniformAsymmetricKeepsAboutTheFullRange) {
  // u8 over [0, t]: step t / 255, so t / (6 * 255^2) = (1 - t)^2 ->
  // 1 - t = 0.0016012.
  auto range = Calibrate("mse", Symmetric(false), {Linspace(0.0, 1.0, 200001)});
  ASSERT_TRUE(range.ok()) << range.status();
  EXPECT_EQ(range->min, 0.0f);
  EXPECT_NEAR(range->max, 1.0 - 0.0016012, 1.5 / 2048);
}

TEST(MseCalibratorTest, ClipsASingleOutlier) {
  // 100000 exponential values (max 12.2) and one at 100. Rounding costs
  // 100000 (t/127)^2 / 12, clipping the outlier (100 - t)^2:
  // t (100000 / 96774 + 2) = 200 -> t = 65.9.
  std::vector<float> values = ExponentialQuantiles(100000);
  values.push_back(100.0f);
  auto range = Calibrate("mse", Symmetric(true), {values});
  ASSERT_TRUE(range.ok()) << range.status();
  EXPECT_NEAR(range->max, 65.9, 2.0);
}

TEST(MseCalibratorTest, StreamedEqualsOneShot) {
  std::vector<float> values = ExponentialQuantiles(100000);
  values.push_back(100.0f);
  for (bool symmetric : {true, false}) {
    auto one = Calibrate("mse", Symmetric(symmetric), {values});
    auto many = Calibrate("mse", Symmetric(symmetric), Batches(values, 6007));
    ASSERT_TRUE(one.ok() && many.ok());
    EXPECT_EQ(*one, *many) << symmetric;  // the histograms are identical
  }
}

TEST(MseCalibratorTest, OneSignedDataKeepsItsRangeWidenedToZero) {
  auto range = Calibrate("mse", Symmetric(false), {{-3.0f, -3.0f}});
  ASSERT_TRUE(range.ok()) << range.status();
  EXPECT_EQ(*range, (TensorRange{-3.0f, 0.0f, std::nullopt}));
  range = Calibrate("mse", Symmetric(false), {{2.0f, 3.0f}});
  ASSERT_TRUE(range.ok()) << range.status();
  EXPECT_EQ(*range, (TensorRange{0.0f, 3.0f, std::nullopt}));
}

}  // namespace
}  // namespace fixpoint::quant
