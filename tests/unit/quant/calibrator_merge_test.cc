// Calibrator::Merge and CalibrationSession::Merge, for data-parallel
// calibration: a calibrator that saw batches A and C merged with one that saw
// B proposes exactly the range of one that saw A, B and C, for every method
// (but moving-average-minmax, which cannot merge), symmetric or not, across
// ranges several powers of two apart, all-zero batches and negative data.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "core/quant/calibration_session.h"
#include "core/quant/calibrator.h"
#include "tests/unit/quant/calibrator_test_util.h"

namespace fixpoint::quant {
namespace {

using ::fixpoint::quant::testing::ExponentialQuantiles;
using ::fixpoint::quant::testing::Linspace;

using Batches = std::vector<std::vector<float>>;

std::vector<float> Scaled(std::vector<float> v, float factor) {
  for (float& x : v) x *= factor;
  return v;
}

// Named splits of batches between two calibrators.
struct Split {
  const char* name;
  Batches first;
  Batches second;
};

std::vector<Split> Splits() {
  const std::vector<float> a = Linspace(-0.3, 0.9, 1000);
  const std::vector<float> b = Scaled(ExponentialQuantiles(2000), 12.0f);  // up to ~100
  const std::vector<float> c = Linspace(-7.0, 0.5, 700);
  const std::vector<float> negative = Scaled(ExponentialQuantiles(900), -0.01f);
  const std::vector<float> zeros(64, 0.0f);
  return {
      {"a_c_then_b", {a, c}, {b}},
      {"b_then_a_c", {b}, {a, c}},
      {"wide_then_narrow", {b, zeros}, {Scaled(a, 1.0f / 64)}},
      {"narrow_then_wide", {Scaled(a, 1.0f / 64)}, {zeros, b}},
      {"negative_only", {negative}, {Scaled(negative, 300.0f)}},
      {"zeros_then_data", {zeros, zeros}, {c}},
      {"data_then_zeros", {c}, {zeros}},
      {"nothing_then_data", {}, {a, b}},
      {"data_then_nothing", {a, b}, {}},
  };
}

struct MergeCase {
  std::string method;
  bool symmetric;
};

void PrintTo(const MergeCase& c, std::ostream* os) {
  *os << c.method << (c.symmetric ? " symmetric" : " asymmetric");
}

class MergeTest : public ::testing::TestWithParam<MergeCase> {};

TEST_P(MergeTest, EqualsSeeingEveryBatch) {
  CalibratorOptions options;
  options.symmetric = GetParam().symmetric;
  for (const Split& split : Splits()) {
    SCOPED_TRACE(split.name);
    auto all = CreateCalibrator(GetParam().method, options);
    auto first = CreateCalibrator(GetParam().method, options);
    auto second = CreateCalibrator(GetParam().method, options);
    ASSERT_TRUE(all.ok() && first.ok() && second.ok());
    // One calibrator sees the batches interleaved as a worker pool runs them.
    const size_t n = std::max(split.first.size(), split.second.size());
    for (size_t i = 0; i < n; ++i) {
      if (i < split.first.size()) {
        ASSERT_TRUE((*all)->Observe(split.first[i]).ok());
        ASSERT_TRUE((*first)->Observe(split.first[i]).ok());
      }
      if (i < split.second.size()) {
        ASSERT_TRUE((*all)->Observe(split.second[i]).ok());
        ASSERT_TRUE((*second)->Observe(split.second[i]).ok());
      }
    }
    ASSERT_TRUE((*first)->Merge(**second).ok());
    auto want = (*all)->Range();
    auto got = (*first)->Range();
    ASSERT_TRUE(want.ok()) << want.status();
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, *want) << got->min << " " << got->max << " vs " << want->min << " "
                           << want->max;
  }
}

TEST_P(MergeTest, NothingMergedWithNothingIsStillNothing) {
  CalibratorOptions options;
  options.symmetric = GetParam().symmetric;
  auto first = CreateCalibrator(GetParam().method, options);
  auto second = CreateCalibrator(GetParam().method, options);
  ASSERT_TRUE(first.ok() && second.ok());
  ASSERT_TRUE((*first)->Merge(**second).ok());
  EXPECT_EQ((*first)->Range().status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_P(MergeTest, RefusesAnotherMethodOrOptions) {
  CalibratorOptions options;
  options.symmetric = GetParam().symmetric;
  auto calibrator = CreateCalibrator(GetParam().method, options);
  ASSERT_TRUE(calibrator.ok());
  const std::string other_method = GetParam().method == "entropy" ? "mse" : "entropy";
  auto other = CreateCalibrator(other_method, options);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ((*calibrator)->Merge(**other).code(), absl::StatusCode::kInvalidArgument);
  if (GetParam().method.rfind("pof2-", 0) == 0) return;  // they ignore the options
  CalibratorOptions different = options;
  different.symmetric = !options.symmetric;
  auto differently = CreateCalibrator(GetParam().method, different);
  ASSERT_TRUE(differently.ok());
  EXPECT_EQ((*calibrator)->Merge(**differently).code(), absl::StatusCode::kInvalidArgument);
}

std::vector<MergeCase> Cases() {
  std::vector<MergeCase> cases;
  for (const std::string& method : CalibrationMethods()) {
    if (method == "moving-average-minmax") continue;
    cases.push_back({method, false});
    cases.push_back({method, true});
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Methods, MergeTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<MergeCase>& info) {
                           std::string name = info.param.method;
                           for (char& ch : name) ch = ch == '-' ? '_' : ch;
                           return name + (info.param.symmetric ? "_symmetric" : "_asymmetric");
                         });

TEST(MergeTest, MovingAverageCannotMerge) {
  auto first = CreateCalibrator("moving-average-minmax", CalibratorOptions{});
  auto second = CreateCalibrator("moving-average-minmax", CalibratorOptions{});
  ASSERT_TRUE(first.ok() && second.ok());
  ASSERT_TRUE((*second)->Observe(std::vector<float>{1.0f}).ok());
  EXPECT_EQ((*first)->Merge(**second).code(), absl::StatusCode::kUnimplemented);
}

TEST(CalibrationSessionMergeTest, MergesPerTensorAndTakesOverNewTensors) {
  auto all = CalibrationSession::Create("entropy", CalibratorOptions{});
  auto first = CalibrationSession::Create("entropy", CalibratorOptions{});
  auto second = CalibrationSession::Create("entropy", CalibratorOptions{});
  ASSERT_TRUE(all.ok() && first.ok() && second.ok());
  const std::vector<float> a = Linspace(-1.0, 3.0, 4000);
  const std::vector<float> b = Scaled(ExponentialQuantiles(3000), 5.0f);
  for (auto* s : {&*all, &*first}) {
    ASSERT_TRUE((*s)->Observe("x", a).ok());
    ASSERT_TRUE((*s)->Observe("y", b).ok());
  }
  for (auto* s : {&*all, &*second}) {
    ASSERT_TRUE((*s)->Observe("x", b).ok());
    ASSERT_TRUE((*s)->Observe("z", a).ok());  // only the second saw z
  }
  ASSERT_TRUE((*first)->Merge(std::move(**second)).ok());
  auto want = (*all)->Ranges();
  auto got = (*first)->Ranges();
  ASSERT_TRUE(want.ok() && got.ok());
  EXPECT_EQ(*got, *want);
  EXPECT_EQ(got->size(), 3u);
}

TEST(CalibrationSessionMergeTest, RefusesAnotherMethodOrOptionsAndMovingAverages) {
  auto session = CalibrationSession::Create("minmax", CalibratorOptions{});
  auto other = CalibrationSession::Create("percentile", CalibratorOptions{});
  CalibratorOptions symmetric;
  symmetric.symmetric = true;
  auto other_options = CalibrationSession::Create("minmax", symmetric);
  ASSERT_TRUE(session.ok() && other.ok() && other_options.ok());
  EXPECT_EQ((*session)->Merge(std::move(**other)).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*session)->Merge(std::move(**other_options)).code(),
            absl::StatusCode::kInvalidArgument);
  auto moving = CalibrationSession::Create("moving-average-minmax", CalibratorOptions{});
  auto moving2 = CalibrationSession::Create("moving-average-minmax", CalibratorOptions{});
  ASSERT_TRUE(moving.ok() && moving2.ok());
  EXPECT_EQ((*moving)->Merge(std::move(**moving2)).code(), absl::StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace fixpoint::quant
