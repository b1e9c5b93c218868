// "pof2-nonoverflow" and "pof2-mindiffs" (Vitis AI / DPU fix_pos).
// Rule (quant_anchors.md, from vai_q_onnx quant_utils.py): non-overflow
// scale = max(min / -128.5, max / 127.5), pos = floor(log2(1 / scale)),
// clamped to [-128, 127], all zero -> 127; min-diffs tries pos .. pos + 4
// and keeps the smallest sum of squared quantize-dequantize errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/quant/calibrator.h"
#include "core/quant/quant_params.h"
#include "tests/unit/quant/calibrator_test_util.h"
#include "tests/unit/quant/pof2_reference.h"

namespace fixpoint::quant {
namespace {

using ::fixpoint::quant::testing::Batches;
using ::fixpoint::quant::testing::Calibrate;
using ::fixpoint::quant::testing::Linspace;

int FixPosOf(absl::string_view method, const std::vector<std::vector<float>>& batches) {
  auto range = Calibrate(method, {}, batches);
  EXPECT_TRUE(range.ok()) << range.status();
  if (!range.ok() || !range->fix_pos.has_value()) return -1000;
  return *range->fix_pos;
}

TEST(Pof2NonOverflowTest, PositiveMaximumNeedsMaxTimes2PowPosAtMost127_5) {
  struct Case {
    float max_abs;
    int fix_pos;
  };
  // 1.0: 1 * 2^7 = 128 > 127.5 -> 6.   0.99: 0.99 * 128 = 126.7 -> 7.
  // 3.5: 3.5 * 32 = 112, * 64 = 224 -> 5.   127.0 -> 0.
  // 0.001: 0.001 * 2^16 = 65.5, * 2^17 = 131.1 -> 16.
  for (const Case& c :
       {Case{1.0f, 6}, Case{0.99f, 7}, Case{3.5f, 5}, Case{127.0f, 0}, Case{0.001f, 16}}) {
    EXPECT_EQ(FixPosOf("pof2-nonoverflow", {{c.max_abs, -c.max_abs / 2, 0.0f}}), c.fix_pos)
        << c.max_abs;
  }
}

TEST(Pof2NonOverflowTest, NegativeMinimumMayReachMinus128) {
  // The guard is -128.5: -1.0 * 2^7 = -128 fits, so -1.0 gets 7 where +1.0
  // gets 6; -128.0 gets 0 where +128.0 gets -1.
  EXPECT_EQ(FixPosOf("pof2-nonoverflow", {{-1.0f, 0.5f}}), 7);
  EXPECT_EQ(FixPosOf("pof2-nonoverflow", {{-0.99f, 0.5f}}), 7);
  EXPECT_EQ(FixPosOf("pof2-nonoverflow", {{-3.5f}}), 5);
  EXPECT_EQ(FixPosOf("pof2-nonoverflow", {{-127.0f}}), 0);
  EXPECT_EQ(FixPosOf("pof2-nonoverflow", {{-128.0f, 1.0f}}), 0);
  EXPECT_EQ(FixPosOf("pof2-nonoverflow", {{128.0f, -1.0f}}), -1);
  EXPECT_EQ(FixPosOf("pof2-nonoverflow", {{-0.001f}}), 16);
}

TEST(Pof2NonOverflowTest, RangeIsTheInt8GridAtThatPosition) {
  auto range = Calibrate("pof2-nonoverflow", {}, {{3.5f, -1.0f}, {0.25f}});
  ASSERT_TRUE(range.ok()) << range.status();
  EXPECT_EQ(*range, (TensorRange{-127.0f / 32, 127.0f / 32, 5}));
  // Symmetric s8 parameters of that range are exactly the power of two.
  auto params = ScaleZeroPoint(range->min, range->max, /*symmetric=*/true);
  ASSERT_TRUE(params.ok());
  EXPECT_EQ(params->scale, 1.0f / 32);
  EXPECT_EQ(params->zero_point, 0);
}

TEST(Pof2NonOverflowTest, MaxOverAllBatches) {
  EXPECT_EQ(FixPosOf("pof2-nonoverflow", {{0.1f}, {0.99f}, {-0.5f}}), 7);
  EXPECT_EQ(FixPosOf("pof2-nonoverflow", {{0.1f}, {1.0f}, {-0.5f}}), 6);
}

TEST(Pof2Test, AllZeroIs127ForBothMethods) {
  for (absl::string_view method : {"pof2-nonoverflow", "pof2-mindiffs"}) {
    EXPECT_EQ(FixPosOf(method, {{0.0f, 0.0f}, {0.0f}}), 127) << method;
    EXPECT_EQ(FixPosOf(method, {{1e-40f, -1e-40f}}), 127) << method;
  }
}

TEST(Pof2MinDiffsTest, OutlierMakesAFinerPositionWin) {
  // 1001 values on [-1, 1] and one at 8: non-overflow is 3 (8 * 8 = 64,
  // 8 * 16 = 128 > 127.5). At 4 the outlier clips to 127/16 = 7.94 (error
  // 0.004) while the bulk's rounding error drops 4x (1.3 -> 0.33); at 5 the
  // clip to 3.97 costs 16. So 4.
  std::vector<float> values = Linspace(-1.0, 1.0, 1001);
  values.push_back(8.0f);
  EXPECT_EQ(FixPosOf("pof2-nonoverflow", {values}), 3);
  EXPECT_EQ(FixPosOf("pof2-mindiffs", {values}), 4);
  EXPECT_EQ(BruteForceMinDiffs(values), 4);
  EXPECT_LT(BruteForceError(values, 4), BruteForceError(values, 3));
  EXPECT_LT(BruteForceError(values, 4), BruteForceError(values, 5));
}

TEST(Pof2MinDiffsTest, WithoutOutliersStaysAtNonOverflow) {
  const std::vector<float> values = Linspace(-1.0, 0.99, 1001);
  EXPECT_EQ(FixPosOf("pof2-mindiffs", {values}), 7);
  EXPECT_EQ(BruteForceMinDiffs(values), 7);
}

TEST(Pof2MinDiffsTest, SearchesOnlyTheNonOverflowPositionAndFourFinerOnes) {
  // 4e6 values on [-0.03, 0.03] and one at 1.0: non-overflow is 6. Each
  // finer step quarters the bulk's rounding error (81 at 6, 0.32 at 10,
  // 0.08 at 11) while the outlier's clip error creeps up (0.77 at 10, 0.88
  // at 11), so the error keeps falling past 10 - but 10 is the last
  // candidate.
  std::vector<float> values = Linspace(-0.03, 0.03, 4000000);
  values.push_back(1.0f);
  int global_best = 6;
  for (int pos = 7; pos <= 16; ++pos) {
    if (BruteForceError(values, pos) < BruteForceError(values, global_best)) global_best = pos;
  }
  ASSERT_GT(global_best, 10);  // the data really wants a finer position
  EXPECT_EQ(FixPosOf("pof2-nonoverflow", {values}), 6);
  EXPECT_EQ(FixPosOf("pof2-mindiffs", Batches(values, 500000)), 10);
}

// Deterministic pseudo-random data (64-bit LCG), several shapes.
std::vector<float> PseudoRandom(uint64_t seed, size_t n) {
  uint64_t state = seed * 0x9E3779B97F4A7C15ull + 1;
  auto uniform = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<double>(state >> 11) / 9007199254740992.0;  // [0, 1)
  };
  const double scale = std::ldexp(1.0, static_cast<int>(seed % 17) - 8) * (1 + uniform());
  const double skew = (seed % 3) * 0.5;  // 0: symmetric, 1: positive-heavy
  std::vector<float> values(n);
  for (float& v : values) {
    const double u = uniform() * 2 - 1 + skew * uniform();
    v = static_cast<float>(scale * u * u * u);  // peaked at 0, long tails
  }
  if (seed % 4 == 0) values[n / 2] = static_cast<float>(scale * 6);  // an outlier
  return values;
}

TEST(Pof2MinDiffsTest, MatchesBruteForceOverStreamedBatches) {
  // The moment histogram makes the streamed error exact, so the choice must
  // equal Vitis's algorithm run on all values at once. Ascending-magnitude
  // batches force the histogram to grow several times.
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    std::vector<float> values = PseudoRandom(seed, 20000);
    const int expected = BruteForceMinDiffs(values);
    EXPECT_EQ(FixPosOf("pof2-mindiffs", {values}), expected) << "seed " << seed;
    std::sort(values.begin(), values.end(),
              [](float a, float b) { return std::fabs(a) < std::fabs(b); });
    EXPECT_EQ(FixPosOf("pof2-mindiffs", Batches(values, 997)), expected) << "seed " << seed;
  }
}

}  // namespace
}  // namespace fixpoint::quant
