// "minmax" and "moving-average-minmax" against hand-computed ranges.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/quant/calibrator.h"
#include "tests/unit/quant/calibrator_test_util.h"

namespace fixpoint::quant {
namespace {

using ::fixpoint::quant::testing::Batches;
using ::fixpoint::quant::testing::Calibrate;
using ::fixpoint::quant::testing::Linspace;
using ::testing::HasSubstr;

const std::vector<std::vector<float>> kThreeBatches = {{1, -2, 3}, {0.5f, 4}, {-3, 0}};

TEST(MinMaxCalibratorTest, MinAndMaxOverSeveralBatches) {
  auto range = Calibrate("minmax", {}, kThreeBatches);
  ASSERT_TRUE(range.ok()) << range.status();
  EXPECT_EQ(*range, (TensorRange{-3.0f, 4.0f, std::nullopt}));
}

TEST(MinMaxCalibratorTest, SymmetricUsesTheLargerMagnitude) {
  CalibratorOptions options;
  options.symmetric = true;
  auto range = Calibrate("minmax", options, kThreeBatches);
  ASSERT_TRUE(range.ok()) << range.status();
  EXPECT_EQ(*range, (TensorRange{-4.0f, 4.0f, std::nullopt}));
}

TEST(MinMaxCalibratorTest, OneBatchOrManyGiveExactlyTheSameRange) {
  std::vector<float> values = Linspace(-3.25, 17.5, 10001);
  values[4321] = -9.75f;  // extremes in the middle of a batch
  auto one = Calibrate("minmax", {}, {values});
  auto many = Calibrate("minmax", {}, Batches(values, 7));
  ASSERT_TRUE(one.ok() && many.ok());
  EXPECT_EQ(*one, *many);
  EXPECT_EQ(*one, (TensorRange{-9.75f, 17.5f, std::nullopt}));
}

TEST(MovingAverageMinMaxCalibratorTest, AveragesPerBatchExtremes) {
  // Batch extremes: (-2, 3), (0.5, 4), (-3, 0). With c = 0.5:
  //   after batch 2: min = -2 + 0.5 * (0.5 + 2) = -0.75, max = 3.5;
  //   after batch 3: min = -0.75 + 0.5 * (-3 + 0.75) = -1.875,
  //                  max = 3.5 + 0.5 * (0 - 3.5) = 1.75.
  CalibratorOptions options;
  options.averaging_constant = 0.5;
  auto range = Calibrate("moving-average-minmax", options, kThreeBatches);
  ASSERT_TRUE(range.ok()) << range.status();
  EXPECT_EQ(*range, (TensorRange{-1.875f, 1.75f, std::nullopt}));
  options.symmetric = true;
  range = Calibrate("moving-average-minmax", options, kThreeBatches);
  ASSERT_TRUE(range.ok()) << range.status();
  EXPECT_EQ(*range, (TensorRange{-1.875f, 1.875f, std::nullopt}));
}

TEST(MovingAverageMinMaxCalibratorTest, DefaultConstantIsOnePercent) {
  // min: -2 -> -2 + 0.01 * 2.5 = -1.975 -> -1.975 + 0.01 * (-1.025) = -1.98525
  // max:  3 -> 3 + 0.01 * 1 = 3.01 -> 3.01 + 0.01 * (-3.01) = 2.9799
  auto range = Calibrate("moving-average-minmax", {}, kThreeBatches);
  ASSERT_TRUE(range.ok()) << range.status();
  EXPECT_FLOAT_EQ(range->min, -1.98525f);
  EXPECT_FLOAT_EQ(range->max, 2.9799f);
}

TEST(MovingAverageMinMaxCalibratorTest, FirstBatchIsTakenAsIs) {
  auto range = Calibrate("moving-average-minmax", {}, {{-1.5f, 2.25f, 0.0f}});
  ASSERT_TRUE(range.ok()) << range.status();
  EXPECT_EQ(*range, (TensorRange{-1.5f, 2.25f, std::nullopt}));
}

TEST(MovingAverageMinMaxCalibratorTest, RejectsConstantOutsideZeroOne) {
  for (double c : {0.0, -0.1, 1.5}) {
    CalibratorOptions options;
    options.averaging_constant = c;
    auto calibrator = CreateCalibrator("moving-average-minmax", options);
    EXPECT_EQ(calibrator.status().code(), absl::StatusCode::kInvalidArgument) << c;
    EXPECT_THAT(calibrator.status().message(), HasSubstr("averaging_constant"));
  }
  CalibratorOptions one;
  one.averaging_constant = 1.0;  // c = 1: the last batch's extremes
  auto range = Calibrate("moving-average-minmax", one, kThreeBatches);
  ASSERT_TRUE(range.ok());
  EXPECT_EQ(*range, (TensorRange{-3.0f, 0.0f, std::nullopt}));
}

// Only moving-average-minmax depends on the batch split, so calibration keeps
// its batch size (the others may run equal batches: calibrate_graph.h).
TEST(MinMaxCalibratorTest, OnlyTheMovingAverageDependsOnBatches) {
  for (const std::string& method : CalibrationMethods()) {
    auto calibrator = CreateCalibrator(method, CalibratorOptions{});
    ASSERT_TRUE(calibrator.ok()) << method;
    EXPECT_EQ((*calibrator)->DependsOnBatches(), method == "moving-average-minmax") << method;
  }
}

}  // namespace
}  // namespace fixpoint::quant
