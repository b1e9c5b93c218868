// Scale/zero-point (ONNX Runtime conventions), QuantizeLinear/
// DequantizeLinear rounding and saturation, and the fix_pos helpers.
#include "core/quant/quant_params.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace fixpoint::quant {
namespace {

using ::testing::ElementsAre;

TEST(RoundHalfEvenTest, TiesGoToEven) {
  EXPECT_EQ(RoundHalfEven(0.5), 0.0);
  EXPECT_EQ(RoundHalfEven(1.5), 2.0);
  EXPECT_EQ(RoundHalfEven(2.5), 2.0);
  EXPECT_EQ(RoundHalfEven(3.5), 4.0);
  EXPECT_EQ(RoundHalfEven(-0.5), 0.0);
  EXPECT_EQ(RoundHalfEven(-1.5), -2.0);
  EXPECT_EQ(RoundHalfEven(-2.5), -2.0);
  EXPECT_EQ(RoundHalfEven(2.4999999), 2.0);
  EXPECT_EQ(RoundHalfEven(2.5000001), 3.0);
  EXPECT_EQ(RoundHalfEven(-2.5000001), -3.0);
}

TEST(QuantizeValueTest, RoundsHalfToEvenLikeQuantizeLinear) {
  const QuantParams s8{1.0f, 0, -128, 127};
  EXPECT_EQ(QuantizeValue(0.5f, s8), 0);
  EXPECT_EQ(QuantizeValue(1.5f, s8), 2);
  EXPECT_EQ(QuantizeValue(2.5f, s8), 2);
  EXPECT_EQ(QuantizeValue(-2.5f, s8), -2);
  EXPECT_EQ(QuantizeValue(-3.5f, s8), -4);
  // Division happens before rounding: 0.75 / 0.5 = 1.5 -> 2, 0.25 / 0.5 -> 0.
  const QuantParams half{0.5f, 0, -128, 127};
  EXPECT_EQ(QuantizeValue(0.75f, half), 2);
  EXPECT_EQ(QuantizeValue(0.25f, half), 0);
  EXPECT_EQ(QuantizeValue(1.25f, half), 2);
}

TEST(QuantizeValueTest, SaturatesS8) {
  const QuantParams s8{1.0f, 0, -128, 127};
  EXPECT_EQ(QuantizeValue(127.4f, s8), 127);
  EXPECT_EQ(QuantizeValue(127.5f, s8), 127);  // rounds to 128, saturates
  EXPECT_EQ(QuantizeValue(1e30f, s8), 127);
  EXPECT_EQ(QuantizeValue(-128.5f, s8), -128);
  EXPECT_EQ(QuantizeValue(-129.0f, s8), -128);
  EXPECT_EQ(QuantizeValue(-1e30f, s8), -128);
  EXPECT_EQ(QuantizeValue(std::numeric_limits<float>::infinity(), s8), 127);
  EXPECT_EQ(QuantizeValue(-std::numeric_limits<float>::infinity(), s8), -128);
  EXPECT_EQ(QuantizeValue(std::nanf(""), s8), 0);
}

TEST(QuantizeValueTest, ZeroPointAndSaturationU8) {
  const QuantParams u8{0.5f, 128, 0, 255};
  EXPECT_EQ(QuantizeValue(0.0f, u8), 128);
  EXPECT_EQ(QuantizeValue(0.25f, u8), 128);  // 0.5 -> 0
  EXPECT_EQ(QuantizeValue(0.75f, u8), 130);  // 1.5 -> 2
  EXPECT_EQ(QuantizeValue(-64.0f, u8), 0);
  EXPECT_EQ(QuantizeValue(-64.5f, u8), 0);  // -129 + 128 saturates
  EXPECT_EQ(QuantizeValue(63.5f, u8), 255);
  EXPECT_EQ(QuantizeValue(64.0f, u8), 255);  // 256 saturates
  EXPECT_EQ(DequantizeValue(130, u8), 1.0f);
  EXPECT_EQ(DequantizeValue(0, u8), -64.0f);
  EXPECT_EQ(DequantizeValue(255, u8), 63.5f);
}

TEST(ScaleZeroPointTest, AsymmetricU8) {
  auto p = ScaleZeroPoint(-1.0f, 3.0f, /*symmetric=*/false);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->scale, static_cast<float>(4.0 / 255.0));
  EXPECT_EQ(p->zero_point, 64);  // round(1 / (4/255)) = round(63.75)
  EXPECT_EQ(p->qmin, 0);
  EXPECT_EQ(p->qmax, 255);
  EXPECT_EQ(QuantizeValue(-1.0f, *p), 0);
  EXPECT_EQ(QuantizeValue(3.0f, *p), 255);
}

TEST(ScaleZeroPointTest, RangeIsWidenedToIncludeZero) {
  auto positive = ScaleZeroPoint(1.0f, 3.0f, false);
  ASSERT_TRUE(positive.ok());
  EXPECT_EQ(positive->scale, static_cast<float>(3.0 / 255.0));
  EXPECT_EQ(positive->zero_point, 0);
  auto negative = ScaleZeroPoint(-3.0f, -1.0f, false);
  ASSERT_TRUE(negative.ok());
  EXPECT_EQ(negative->scale, static_cast<float>(3.0 / 255.0));
  EXPECT_EQ(negative->zero_point, 255);
  auto symmetric = ScaleZeroPoint(1.0f, 3.0f, true);
  ASSERT_TRUE(symmetric.ok());
  EXPECT_EQ(symmetric->scale, static_cast<float>(3.0 / 127.0));
}

TEST(ScaleZeroPointTest, ZeroPointRoundsHalfToEven) {
  // scale = 255 / 255 = 1, so -min / scale is exactly 2.5 and 3.5.
  auto a = ScaleZeroPoint(-2.5f, 252.5f, false);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->scale, 1.0f);
  EXPECT_EQ(a->zero_point, 2);
  auto b = ScaleZeroPoint(-3.5f, 251.5f, false);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->zero_point, 4);
}

TEST(ScaleZeroPointTest, SymmetricS8UsesAbsMaxOver127) {
  auto p = ScaleZeroPoint(-2.0f, 0.5f, /*symmetric=*/true);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->scale, static_cast<float>(2.0 / 127.0));
  EXPECT_EQ(p->zero_point, 0);
  EXPECT_EQ(p->qmin, -128);
  EXPECT_EQ(p->qmax, 127);
  EXPECT_EQ(QuantizeValue(-2.0f, *p), -127);
  EXPECT_EQ(QuantizeValue(2.0f, *p), 127);
  EXPECT_EQ(QuantizeValue(-2.02f, *p), -128);  // -128.27 rounds to -128
  EXPECT_EQ(QuantizeValue(-3.0f, *p), -128);
}

TEST(ScaleZeroPointTest, ZeroRangeGivesUnitScale) {
  for (bool symmetric : {false, true}) {
    auto p = ScaleZeroPoint(0.0f, 0.0f, symmetric);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->scale, 1.0f);
    EXPECT_EQ(p->zero_point, 0);
  }
}

TEST(ScaleZeroPointTest, RejectsBadRanges) {
  EXPECT_EQ(ScaleZeroPoint(std::nanf(""), 1.0f, false).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ScaleZeroPoint(0.0f, std::numeric_limits<float>::infinity(), true).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ScaleZeroPoint(2.0f, 1.0f, false).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(FixPosTest, ScaleConversions) {
  EXPECT_EQ(FixPosToScale(7), 1.0 / 128.0);
  EXPECT_EQ(FixPosToScale(0), 1.0);
  EXPECT_EQ(FixPosToScale(-3), 8.0);
  EXPECT_EQ(FixPosToScale(-128), std::ldexp(1.0, 128));
  EXPECT_EQ(*ScaleToFixPos(1.0 / 128.0), 7);
  EXPECT_EQ(*ScaleToFixPos(8.0), -3);
  EXPECT_EQ(*ScaleToFixPos(0.01), 7);  // -log2(0.01) = 6.64
  EXPECT_EQ(*ScaleToFixPos(1e-300), 127);
  EXPECT_EQ(ScaleToFixPos(0.0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ScaleToFixPos(-1.0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ScaleToFixPos(std::numeric_limits<double>::infinity()).status().code(),
            absl::StatusCode::kInvalidArgument);
  const QuantParams p = Pof2Params(7);
  EXPECT_EQ(p, (QuantParams{1.0f / 128.0f, 0, -128, 127}));
  EXPECT_EQ(QuantizeValue(0.99609375f, p), 127);  // 127.5 -> 128 -> saturates
  EXPECT_EQ(QuantizeValue(-1.0f, p), -128);
}

// The Vitis rule: the largest p with max * 2^p <= 127.5 and
// min * 2^p >= -128.5.
TEST(NonOverflowFixPosTest, VitisRule) {
  EXPECT_EQ(NonOverflowFixPos(-0.5f, 1.0f), 6);   // 1.0 * 2^7 = 128 > 127.5
  EXPECT_EQ(NonOverflowFixPos(-0.5f, 0.99f), 7);  // 0.99 * 128 = 126.7
  EXPECT_EQ(NonOverflowFixPos(0.0f, 3.5f), 5);    // 3.5 * 32 = 112; * 64 = 224
  EXPECT_EQ(NonOverflowFixPos(0.0f, 127.0f), 0);
  EXPECT_EQ(NonOverflowFixPos(0.0f, 128.0f), -1);
  EXPECT_EQ(NonOverflowFixPos(0.0f, 0.001f), 16);  // 65.5 at 16, 131 at 17
  // The negative side may reach -128 (guard -128.5), the positive side 127.
  EXPECT_EQ(NonOverflowFixPos(-1.0f, 0.5f), 7);  // -1 * 128 = -128
  EXPECT_EQ(NonOverflowFixPos(-128.0f, 0.0f), 0);
  EXPECT_EQ(NonOverflowFixPos(-128.5f, 0.0f), 0);
  EXPECT_EQ(NonOverflowFixPos(-128.6f, 0.0f), -1);
  // Exactly on the guard and one ulp above it.
  EXPECT_EQ(NonOverflowFixPos(0.0f, 0.99609375f), 7);  // 127.5 / 128
  EXPECT_EQ(NonOverflowFixPos(0.0f, std::nextafter(0.99609375f, 2.0f)), 6);
  // Both signs non-zero but only one positive/negative.
  EXPECT_EQ(NonOverflowFixPos(0.25f, 0.5f), 7);    // min > 0 is ignored
  EXPECT_EQ(NonOverflowFixPos(-0.5f, -0.25f), 8);  // -0.5 * 256 = -128
  // All zero and tiny -> 127; huge -> -121.
  EXPECT_EQ(NonOverflowFixPos(0.0f, 0.0f), 127);
  EXPECT_EQ(NonOverflowFixPos(0.0f, 1e-40f), 127);
  EXPECT_EQ(NonOverflowFixPos(-3e38f, 3e38f), -121);
}

TEST(MinDiffsFixPosTest, TriesThatPositionAndTheNextFourFinerOnes) {
  std::vector<int> tried;
  // Strictly decreasing error: the best of all would be far finer.
  const int pos = MinDiffsFixPos(3, [&](int p) {
    tried.push_back(p);
    return 100.0 - p;
  });
  EXPECT_EQ(pos, 7);
  EXPECT_THAT(tried, ElementsAre(3, 4, 5, 6, 7));
}

TEST(MinDiffsFixPosTest, PicksTheMinimumAndKeepsTheCoarserOnTies) {
  EXPECT_EQ(MinDiffsFixPos(0, [](int p) { return std::fabs(p - 2.0); }), 2);
  EXPECT_EQ(MinDiffsFixPos(0, [](int p) { return p == 1 || p == 3 ? 1.0 : 5.0; }), 1);
  EXPECT_EQ(MinDiffsFixPos(0, [](int) { return 1.0; }), 0);
}

TEST(MinDiffsFixPosTest, StopsAtTheLargestPosition) {
  std::vector<int> tried;
  EXPECT_EQ(MinDiffsFixPos(125,
                           [&](int p) {
                             tried.push_back(p);
                             return -p;
                           }),
            127);
  EXPECT_THAT(tried, ElementsAre(125, 126, 127));
}

}  // namespace
}  // namespace fixpoint::quant
