// CalibrationSession: one calibrator per tensor name, errors name the
// tensor, ranges come back sorted by name.
#include "core/quant/calibration_session.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
#include <vector>

namespace fixpoint::quant {
namespace {

using ::testing::HasSubstr;

TEST(CalibrationSessionTest, KeepsOneCalibratorPerTensor) {
  auto session = CalibrationSession::Create("minmax", {});
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_EQ((*session)->method(), "minmax");
  const std::vector<float> a1 = {1, 2}, b1 = {-5, 0}, a2 = {-1, 0.5f};
  ASSERT_TRUE((*session)->Observe("conv1", a1).ok());
  ASSERT_TRUE((*session)->Observe("act0", b1).ok());
  ASSERT_TRUE((*session)->Observe("conv1", a2).ok());
  auto ranges = (*session)->Ranges();
  ASSERT_TRUE(ranges.ok()) << ranges.status();
  ASSERT_EQ(ranges->size(), 2u);
  EXPECT_EQ(ranges->begin()->first, "act0");  // sorted by name
  EXPECT_EQ(ranges->at("act0"), (TensorRange{-5.0f, 0.0f, std::nullopt}));
  EXPECT_EQ(ranges->at("conv1"), (TensorRange{-1.0f, 2.0f, std::nullopt}));
}

TEST(CalibrationSessionTest, RejectsUnknownMethodAndBadOptionsUpFront) {
  EXPECT_EQ(CalibrationSession::Create("nope", {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  CalibratorOptions options;
  options.num_bins = 3;
  EXPECT_EQ(CalibrationSession::Create("entropy", options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(CalibrationSessionTest, ErrorsNameTheTensor) {
  auto session = CalibrationSession::Create("entropy", {});
  ASSERT_TRUE(session.ok());
  const std::vector<float> bad = {1.0f, std::numeric_limits<float>::quiet_NaN()};
  const absl::Status status = (*session)->Observe("fc/out", bad);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("tensor 'fc/out'"));
  EXPECT_THAT(status.message(), HasSubstr("entropy"));
  auto ranges = (*session)->Ranges();
  EXPECT_EQ(ranges.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(ranges.status().message(), HasSubstr("tensor 'fc/out'"));
}

TEST(CalibrationSessionTest, NoTensorsIsFailedPrecondition) {
  auto session = CalibrationSession::Create("pof2-mindiffs", {});
  ASSERT_TRUE(session.ok());
  EXPECT_EQ((*session)->Ranges().status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(CalibrationSessionTest, Pof2RangesCarryFixPos) {
  auto session = CalibrationSession::Create("pof2-nonoverflow", {});
  ASSERT_TRUE(session.ok());
  const std::vector<float> values = {0.99f, -0.25f};
  ASSERT_TRUE((*session)->Observe("x", values).ok());
  auto ranges = (*session)->Ranges();
  ASSERT_TRUE(ranges.ok());
  EXPECT_EQ(ranges->at("x").fix_pos, 7);
}

}  // namespace
}  // namespace fixpoint::quant
