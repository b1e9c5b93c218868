// The registry and the contract every method shares: names, unknown
// methods, FAILED_PRECONDITION before data, NaN/Inf rejected without
// poisoning, empty batches, streaming equivalence.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/quant/calibrator.h"
#include "tests/unit/quant/calibrator_test_util.h"

namespace fixpoint::quant {
namespace {

using ::fixpoint::quant::testing::Batches;
using ::fixpoint::quant::testing::Calibrate;
using ::fixpoint::quant::testing::ExponentialQuantiles;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(CalibratorRegistryTest, ListsMethodsInTableOrder) {
  EXPECT_THAT(CalibrationMethods(),
              ElementsAre("minmax", "moving-average-minmax", "percentile", "entropy", "mse",
                          "pof2-nonoverflow", "pof2-mindiffs"));
}

TEST(CalibratorRegistryTest, EveryMethodReportsItsName) {
  for (const std::string& method : CalibrationMethods()) {
    auto calibrator = CreateCalibrator(method, {});
    ASSERT_TRUE(calibrator.ok()) << method << ": " << calibrator.status();
    EXPECT_EQ((*calibrator)->Method(), method);
  }
}

TEST(CalibratorRegistryTest, UnknownMethodListsTheKnownOnes) {
  auto calibrator = CreateCalibrator("kl", {});
  EXPECT_EQ(calibrator.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(calibrator.status().message(), HasSubstr("'kl'"));
  EXPECT_THAT(calibrator.status().message(), HasSubstr("pof2-mindiffs"));
}

class EveryMethodTest : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryMethodTest, NothingObservedIsFailedPrecondition) {
  auto calibrator = CreateCalibrator(GetParam(), {});
  ASSERT_TRUE(calibrator.ok());
  EXPECT_EQ((*calibrator)->Range().status().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE((*calibrator)->Observe({}).ok());  // an empty batch observes nothing
  EXPECT_EQ((*calibrator)->Range().status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT((*calibrator)->Range().status().message(), HasSubstr(GetParam()));
}

TEST_P(EveryMethodTest, NonFiniteValuesAreRejectedWithoutPoisoning) {
  const std::vector<float> good = ExponentialQuantiles(1000);
  auto reference = Calibrate(GetParam(), {}, {good});
  ASSERT_TRUE(reference.ok()) << reference.status();
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                    -std::numeric_limits<float>::infinity()}) {
    auto calibrator = CreateCalibrator(GetParam(), {});
    ASSERT_TRUE(calibrator.ok());
    ASSERT_TRUE((*calibrator)->Observe(good).ok());
    const std::vector<float> batch = {1000.0f, -1000.0f, bad, 3.0f};
    const absl::Status status = (*calibrator)->Observe(batch);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(status.message(), HasSubstr(GetParam()));
    EXPECT_THAT(status.message(), HasSubstr("index 2"));
    auto range = (*calibrator)->Range();
    ASSERT_TRUE(range.ok()) << range.status();
    EXPECT_EQ(*range, *reference) << "the rejected batch must leave no trace";
  }
}

TEST_P(EveryMethodTest, OneBatchOrManyGiveTheSameRange) {
  // Exponential bulk on [0, 12.2] with a negative tail and an outlier, in
  // ascending batches so that streaming histograms grow. Histograms merge
  // exactly, so every method but the moving average (which weights batches
  // by design) must return the identical range.
  std::vector<float> values = ExponentialQuantiles(50000);
  for (size_t i = 0; i < values.size(); i += 3) values[i] = -values[i] / 2;
  values.push_back(40.0f);
  for (bool symmetric : {false, true}) {
    CalibratorOptions options;
    options.symmetric = symmetric;
    auto one = Calibrate(GetParam(), options, {values});
    auto many = Calibrate(GetParam(), options, Batches(values, 4099));
    ASSERT_TRUE(one.ok() && many.ok());
    if (GetParam() == "moving-average-minmax") continue;
    EXPECT_EQ(*one, *many) << symmetric;
  }
}

INSTANTIATE_TEST_SUITE_P(AllMethods, EveryMethodTest, ::testing::ValuesIn(CalibrationMethods()),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace fixpoint::quant
