// Weight and bias quantization, checked against values computed by hand.
#include "core/quant/weight_quant.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "core/quant/quant_params.h"
#include "tests/unit/quant/pof2_reference.h"

namespace fixpoint::quant {
namespace {

// W [2, 1, 1, 2] = {{0.2, -0.8}, {0.04, 0.1}}.
ir::Tensor ConvWeight() {
  return ir::Tensor::FromF32(ir::Shape{2, 1, 1, 2}, std::vector<float>{0.2f, -0.8f, 0.04f, 0.1f});
}

std::vector<int> Values(const ir::Tensor& t) {
  std::vector<int> v;
  for (int64_t i = 0; i < t.NumElements(); ++i) v.push_back(static_cast<int>(t.GetAsDouble(i)));
  return v;
}

TEST(WeightQuantTest, PerChannelScalesAreMaxAbsOver127) {
  auto q = QuantizeWeight(ConvWeight(), 0, WeightScheme::kSymmetricPerChannel);
  ASSERT_TRUE(q.ok()) << q.status();
  ASSERT_EQ(q->scales.size(), 2u);
  EXPECT_FLOAT_EQ(q->scales[0], 0.8f / 127);
  EXPECT_FLOAT_EQ(q->scales[1], 0.1f / 127);
  EXPECT_EQ(q->axis, 0);
  EXPECT_EQ(q->values.dtype(), ir::DType::kI8);
  // 0.2 / (0.8/127) = 31.75; 0.04 / (0.1/127) = 50.8.
  EXPECT_EQ(Values(q->values), (std::vector<int>{32, -127, 51, 127}));
}

TEST(WeightQuantTest, PerChannelAlongAxisOne) {
  // Gemm with transB=0: B [K=2, N=2], channels are columns.
  const ir::Tensor b =
      ir::Tensor::FromF32(ir::Shape{2, 2}, std::vector<float>{0.2f, 0.04f, -0.8f, 0.1f});
  auto q = QuantizeWeight(b, 1, WeightScheme::kSymmetricPerChannel);
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_FLOAT_EQ(q->scales[0], 0.8f / 127);
  EXPECT_FLOAT_EQ(q->scales[1], 0.1f / 127);
  EXPECT_EQ(Values(q->values), (std::vector<int>{32, 51, -127, 127}));
}

TEST(WeightQuantTest, PerTensorUsesOneScale) {
  auto q = QuantizeWeight(ConvWeight(), 0, WeightScheme::kSymmetricPerTensor);
  ASSERT_TRUE(q.ok()) << q.status();
  ASSERT_EQ(q->scales.size(), 1u);
  EXPECT_FLOAT_EQ(q->scales[0], 0.8f / 127);
  // 0.04 * 127 / 0.8 = 6.35; 0.1 * 127 / 0.8 = 15.875.
  EXPECT_EQ(Values(q->values), (std::vector<int>{32, -127, 6, 16}));
}

TEST(WeightQuantTest, ZeroChannelGetsScaleOne) {
  const ir::Tensor w = ir::Tensor::FromF32(ir::Shape{2, 1}, std::vector<float>{0.0f, 0.5f});
  auto q = QuantizeWeight(w, 0, WeightScheme::kSymmetricPerChannel);
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->scales[0], 1.0f);
  EXPECT_EQ(Values(q->values), (std::vector<int>{0, 127}));
}

TEST(WeightQuantTest, Pof2NonOverflowPosition) {
  // max|w| = 0.8: 0.8 * 2^7 = 102.4 fits, 0.8 * 2^8 = 204.8 does not.
  auto q = QuantizeWeight(ConvWeight(), 0, WeightScheme::kPof2NonOverflow);
  ASSERT_TRUE(q.ok()) << q.status();
  ASSERT_TRUE(q->fix_pos.has_value());
  EXPECT_EQ(*q->fix_pos, 7);
  ASSERT_EQ(q->scales.size(), 1u);
  EXPECT_EQ(q->scales[0], 1.0f / 128);
  EXPECT_EQ(Values(q->values), (std::vector<int>{26, -102, 5, 13}));
  // Finer positions saturate -0.8 badly, so min-diffs keeps 7.
  auto md = QuantizeWeight(ConvWeight(), 0, WeightScheme::kPof2MinDiffs);
  ASSERT_TRUE(md.ok()) << md.status();
  EXPECT_EQ(*md->fix_pos, 7);
}

TEST(WeightQuantTest, Pof2MinDiffsPrefersAFinerPositionForAnOutlierFreeBulk) {
  // One value at 1.0 (non-overflow position 6 since 1.0 * 2^7 = 128 > 127.5)
  // and many at 0.011: position 6 rounds them to 1/64 (error 4.2e-3 in
  // total), position 7 to 1/128 (2.0e-3) at the price of saturating 1.0 to
  // 127/128 (6.1e-5); position 8 would halve 1.0.
  std::vector<float> v(200, 0.011f);
  v[0] = 1.0f;
  auto q = QuantizeWeight(ir::Tensor::FromF32(ir::Shape{200}, v), 0, WeightScheme::kPof2MinDiffs);
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(*q->fix_pos, 7);
}

TEST(WeightQuantTest, BiasIsInt32AtInputTimesWeightScale) {
  const float s_in = 4.0f / 255;  // the range [-1, 3] asymmetric
  const std::vector<float> s_w = {0.5f / 127, 0.25f / 127};
  const ir::Tensor b = ir::Tensor::FromF32(ir::Shape{2}, std::vector<float>{0.3f, -0.1f});
  auto q = QuantizeBias(b, s_in, s_w);
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->values.dtype(), ir::DType::kI32);
  // 0.3 / (4/255 * 0.5/127) = 4857.75; -0.1 / (4/255 * 0.25/127) = -3238.5 -> even.
  EXPECT_EQ(Values(q->values), (std::vector<int>{4858, -3238}));
  EXPECT_FLOAT_EQ(q->scales[0], s_in * s_w[0]);
  EXPECT_FLOAT_EQ(q->scales[1], s_in * s_w[1]);
}

TEST(WeightQuantTest, BiasSaturatesAndChecksSizes) {
  const ir::Tensor b = ir::Tensor::FromF32(ir::Shape{2}, std::vector<float>{1e6f, -1e6f});
  auto q = QuantizeBias(b, 1e-6f, std::vector<float>{1e-6f});
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->values.data<int32_t>()[0], 2147483647);
  EXPECT_EQ(q->values.data<int32_t>()[1], -2147483647 - 1);
  EXPECT_EQ(QuantizeBias(b, 1.0f, std::vector<float>{1, 2, 3}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(WeightQuantTest, CacheReusesOnlyIdenticalValues) {
  WeightQuantCache cache;
  ir::Tensor w = ConvWeight();
  auto first = cache.Quantize("w", w, 0, WeightScheme::kSymmetricPerChannel);
  ASSERT_TRUE(first.ok());
  const std::vector<float> first_scales = (*first)->scales;
  // The same values in another tensor (a copied graph): the cached result.
  const ir::Tensor copy = w;
  auto again = cache.Quantize("w", copy, 0, WeightScheme::kSymmetricPerChannel);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *first);
  EXPECT_EQ(Values((*again)->values), (std::vector<int>{32, -127, 51, 127}));
  EXPECT_EQ((*again)->scales, first_scales);
  // Other values under the same name, or another scheme: quantized afresh.
  w.data<float>()[0] = -0.4f;
  auto changed = cache.Quantize("w", w, 0, WeightScheme::kSymmetricPerChannel);
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(Values((*changed)->values), (std::vector<int>{-64, -127, 51, 127}));
  auto per_tensor = cache.Quantize("w", w, 0, WeightScheme::kSymmetricPerTensor);
  ASSERT_TRUE(per_tensor.ok());
  EXPECT_EQ((*per_tensor)->scales.size(), 1u);
  // Another shape of the same bytes: quantized afresh.
  ir::Tensor reshaped = w;
  reshaped.Reshape(ir::Shape{w.NumElements()});
  auto flat = cache.Quantize("w", reshaped, 0, WeightScheme::kSymmetricPerTensor);
  ASSERT_TRUE(flat.ok());
  EXPECT_EQ((*flat)->values.shape(), (ir::Shape{w.NumElements()}));
}

// Random weights of `n` values: normal, every eighth one 8x larger, and
// some exact ties for a power-of-two scale, (k + 0.5) / 128.
std::vector<float> RandomWeights(int64_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.05f);
  std::vector<float> v(n);
  for (float& x : v) x = normal(rng);
  // The outliers sit in the upper half of each group of eight, so that the
  // position's trade-off (rounding the bulk vs saturating them) depends on
  // both halves of the vector code's lanes.
  for (int64_t i = 4; i < n; i += 8) v[i] *= 8.0f;
  for (int64_t i = 5; i < n; i += 31) v[i] = (static_cast<float>(i % 9) - 4.5f) / 128.0f;
  return v;
}

// The vectorised paths (eight values at a time, then a scalar tail) against
// the one-value definitions, on sizes that are not multiples of eight: every
// quantized value is QuantizeValue of its weight, and pof2-mindiffs picks
// the position a plain double-precision search picks.
TEST(WeightQuantTest, VectorisedPathsMatchTheOneValueDefinitions) {
  for (const int64_t inner : {1, 7, 37, 1003}) {
    const std::vector<float> v = RandomWeights(6 * inner, static_cast<unsigned>(inner));
    const ir::Tensor w = ir::Tensor::FromF32(ir::Shape{6, inner}, v);
    for (const WeightScheme scheme : {WeightScheme::kSymmetricPerChannel,
                                      WeightScheme::kSymmetricPerTensor,
                                      WeightScheme::kPof2NonOverflow, WeightScheme::kPof2MinDiffs}) {
      SCOPED_TRACE(testing::Message() << "inner " << inner << " scheme " << static_cast<int>(scheme));
      auto q = QuantizeWeight(w, 0, scheme);
      ASSERT_TRUE(q.ok()) << q.status();
      for (int64_t i = 0; i < w.NumElements(); ++i) {
        const float scale = q->scales.size() == 1 ? q->scales[0] : q->scales[i / inner];
        QuantParams params;
        params.scale = scale;
        params.zero_point = 0;
        params.qmin = q->fix_pos ? -128 : -127;
        params.qmax = 127;
        ASSERT_EQ(q->values.data<int8_t>()[i], QuantizeValue(v[i], params)) << "element " << i;
      }
      if (scheme != WeightScheme::kPof2MinDiffs) continue;
      const int expected = BruteForceMinDiffs(v);
      ASSERT_TRUE(q->fix_pos.has_value());
      EXPECT_EQ(*q->fix_pos, expected);
    }
  }
}

}  // namespace
}  // namespace fixpoint::quant
