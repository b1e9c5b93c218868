// Reference QuantizeLinear / DequantizeLinear against hand-computed values:
// round half to even, saturation at both ends of u8 and s8, per-axis scales
// (axis 0, 1 and negative), and a sweep that must be bit-exact with
// quant::QuantizeValue / DequantizeValue.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

#include "core/quant/quant_params.h"
#include "tests/unit/runtime/ref/ref_test_util.h"

namespace fixpoint::runtime::ref::testing {
namespace {

using ::testing::HasSubstr;

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

ir::Node QNode(int64_t axis = 1) { return MakeNode("QuantizeLinear", {{"axis", axis}}); }
ir::Node DqNode(int64_t axis = 1) { return MakeNode("DequantizeLinear", {{"axis", axis}}); }

Tensor Scalar(float v) { return F32(Shape(), {v}); }

TEST(RefQuantTest, QuantizeRoundsHalfToEven) {
  const Tensor x = F32({8}, {2.5f, -2.5f, 3.5f, -3.5f, 0.5f, -0.5f, 1.5f, -1.5f});
  ExpectEq(Run1(QNode(), {x, Scalar(1), I8(Shape(), {0})}, {DType::kI8, {8}}),
           {2, -2, 4, -4, 0, 0, 2, -2});
  ExpectEq(Run1(QNode(), {x, Scalar(1), U8(Shape(), {128})}, {DType::kU8, {8}}),
           {130, 126, 132, 124, 128, 128, 130, 126});
  // Ties of the quotient x / scale: 5 / 2 = 2.5 -> 2, 7 / 2 = 3.5 -> 4.
  ExpectEq(Run1(QNode(), {F32({3}, {5, 7, -9}), Scalar(2), I8(Shape(), {0})}, {DType::kI8, {3}}),
           {2, 4, -4});
}

TEST(RefQuantTest, QuantizeSaturatesS8AtBothEnds) {
  // scale 2, zero point -1: q = round(x / 2) - 1 in [-128, 127].
  const Tensor x = F32({9}, {254, 256, 258, 300, -252, -254, -256, kInf, -kInf});
  ExpectEq(Run1(QNode(), {x, Scalar(2), I8(Shape(), {-1})}, {DType::kI8, {9}}),
           {126, 127, 127, 127, -127, -128, -128, 127, -128});
}

TEST(RefQuantTest, QuantizeSaturatesU8AtBothEnds) {
  // scale 0.5, zero point 10: q = round(2x) + 10 in [0, 255].
  const Tensor x = F32({8}, {122, 122.5f, 123, 200, -4.5f, -5, -10, kNaN});
  ExpectEq(Run1(QNode(), {x, Scalar(0.5f), U8(Shape(), {10})}, {DType::kU8, {8}}),
           {254, 255, 255, 255, 1, 0, 0, 10});
}

TEST(RefQuantTest, QuantizeWithoutZeroPointIsU8) {
  ExpectEq(Run1(QNode(), {F32({4}, {-1, 0.5f, 1.5f, 300}), Scalar(1)}, {DType::kU8, {4}}),
           {0, 0, 2, 255});
}

TEST(RefQuantTest, QuantizeI32Input) {
  ExpectEq(Run1(QNode(), {I32({4}, {5, 7, -1000, 1000}), Scalar(2), I8(Shape(), {1})},
                {DType::kI8, {4}}),
           {3, 5, -128, 127});
}

// x [2, 3, 2], scales {1, 2, 4} and zero points {0, 10, -10} along dim 1.
TEST(RefQuantTest, QuantizePerAxis1) {
  const Tensor x = F32({2, 3, 2}, {1.5f, -2.5f, 5, 7, 10, -18,  // n = 0
                                   200, -200, 3, -3, 2, 6});    // n = 1
  const Tensor scale = F32({3}, {1, 2, 4});
  const Tensor zp = I8({3}, {0, 10, -10});
  const std::vector<double> want = {2, -2, 12, 14, -8, -14, 127, -128, 12, 8, -10, -8};
  ExpectEq(Run1(QNode(1), {x, scale, zp}, {DType::kI8, {2, 3, 2}}), want);
  ExpectEq(Run1(QNode(-2), {x, scale, zp}, {DType::kI8, {2, 3, 2}}), want);
}

// x [3, 2], scales {1, 0.5, 0.25} and u8 zero points {0, 100, 255} along dim 0.
TEST(RefQuantTest, QuantizePerAxis0) {
  const Tensor x = F32({3, 2}, {0.5f, -1, 1.25f, 100, -0.375f, 1});
  ExpectEq(
      Run1(QNode(0), {x, F32({3}, {1, 0.5f, 0.25f}), U8({3}, {0, 100, 255})}, {DType::kU8, {3, 2}}),
      {0, 0, 102, 255, 253, 255});
}

TEST(RefQuantTest, QuantizeNegativeAxisPicksTheLastDim) {
  const Tensor x = F32({2, 2}, {1.5f, 25, -0.5f, -35});
  const Tensor scale = F32({2}, {1, 10});
  const Tensor zp = I8({2}, {0, 0});
  // axis -1: per column -> {1.5, 2.5, -0.5, -3.5} before rounding.
  ExpectEq(Run1(QNode(-1), {x, scale, zp}, {DType::kI8, {2, 2}}), {2, 2, 0, -4});
  // axis 0: per row -> {1.5, 25, -0.05, -3.5}.
  ExpectEq(Run1(QNode(0), {x, scale, zp}, {DType::kI8, {2, 2}}), {2, 25, 0, -4});
}

TEST(RefQuantTest, OneElementScaleActsAsScalar) {
  ExpectEq(Run1(QNode(), {F32({2, 3}, {1, 2, 3, 4, 5, 6}), F32({1}, {2}), I8({1}, {1})},
                {DType::kI8, {2, 3}}),
           {1, 2, 3, 3, 3, 4});
}

TEST(RefQuantTest, Dequantize) {
  ExpectEq(Run1(DqNode(), {I8({4}, {-128, -1, 0, 127}), Scalar(0.5f), I8(Shape(), {-1})},
                {DType::kF32, {4}}),
           {-63.5, 0, 0.5, 64});
  ExpectEq(
      Run1(DqNode(), {U8({3}, {0, 128, 255}), Scalar(2), U8(Shape(), {128})}, {DType::kF32, {3}}),
      {-256, 0, 254});
  ExpectEq(Run1(DqNode(), {I8({2}, {-128, 127}), Scalar(0.25f)}, {DType::kF32, {2}}), {-32, 31.75});
  ExpectEq(
      Run1(DqNode(), {I32({2}, {100, -5}), Scalar(0.5f), I32(Shape(), {4})}, {DType::kF32, {2}}),
      {48, -4.5});
}

TEST(RefQuantTest, DequantizePerAxis) {
  const Tensor x = I8({1, 2, 2}, {3, -1, 3, -3});
  const Tensor scale = F32({2}, {0.5f, 2});
  const Tensor zp = I8({2}, {1, -1});
  ExpectEq(Run1(DqNode(1), {x, scale, zp}, {DType::kF32, {1, 2, 2}}), {1, -1, 8, -4});
  // axis -1 pairs the scales with the last dim instead.
  ExpectEq(Run1(DqNode(-1), {x, scale, zp}, {DType::kF32, {1, 2, 2}}), {1, 0, 1, -4});
}

// Every int8 and uint8 grid point, the midpoints between them and a few
// values beyond the range, at several scales and zero points.
TEST(RefQuantTest, BitExactWithQuantParams) {
  std::vector<float> xs;
  for (int k = -600; k <= 600; ++k) xs.push_back(0.5f * static_cast<float>(k) * 0.37f);
  const int64_t n = static_cast<int64_t>(xs.size());
  for (float scale : {0.37f, 0.1f, 1.0f, 0.0078125f}) {
    for (int zp : {-128, -3, 0, 127}) {
      const quant::QuantParams s8{scale, zp, -128, 127};
      const Tensor q =
          Run1(QNode(), {F32({n}, xs), Scalar(scale), I8(Shape(), {static_cast<int8_t>(zp)})},
               {DType::kI8, {n}});
      const Tensor dq = Run1(DqNode(), {q, Scalar(scale), I8(Shape(), {static_cast<int8_t>(zp)})},
                             {DType::kF32, {n}});
      for (int64_t i = 0; i < n; ++i) {
        ASSERT_EQ(q.data<int8_t>()[i], quant::QuantizeValue(xs[i], s8)) << xs[i] << " " << scale;
        ASSERT_EQ(dq.data<float>()[i], quant::DequantizeValue(q.data<int8_t>()[i], s8));
      }
      const quant::QuantParams u8{scale, zp + 128, 0, 255};
      const Tensor qu = Run1(
          QNode(), {F32({n}, xs), Scalar(scale), U8(Shape(), {static_cast<uint8_t>(zp + 128)})},
          {DType::kU8, {n}});
      for (int64_t i = 0; i < n; ++i) {
        ASSERT_EQ(qu.data<uint8_t>()[i], quant::QuantizeValue(xs[i], u8)) << xs[i] << " " << scale;
      }
    }
  }
}

TEST(RefQuantTest, MalformedNodesAreInvalidAndNamed) {
  auto bad_size = CreateRef(QNode(1), {F32({2, 3}, std::vector<float>(6)), F32({2}, {1, 1})},
                            {{DType::kU8, {2, 3}}});
  ASSERT_EQ(bad_size.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_size.status().message(), HasSubstr("QuantizeLinear 'n'"));
  EXPECT_THAT(bad_size.status().message(), HasSubstr("scale has 2 elements, dim 1 of input is 3"));
  auto bad_axis = CreateRef(DqNode(3), {I8({2, 3}, std::vector<int8_t>(6)), F32({3}, {1, 1, 1})},
                            {{DType::kF32, {2, 3}}});
  ASSERT_EQ(bad_axis.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_axis.status().message(), HasSubstr("DequantizeLinear 'n': axis 3 out of range"));
  auto bad_zp =
      CreateRef(DqNode(), {U8({2}, {1, 2}), Scalar(1), I8(Shape(), {0})}, {{DType::kF32, {2}}});
  ASSERT_EQ(bad_zp.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_zp.status().message(), HasSubstr("input 2 has dtype i8, expected u8"));
  auto bad_out =
      CreateRef(QNode(), {F32({2}, {1, 2}), Scalar(1), I8(Shape(), {0})}, {{DType::kU8, {2}}});
  ASSERT_EQ(bad_out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_out.status().message(), HasSubstr("differs from the zero point's i8"));
}

}  // namespace
}  // namespace fixpoint::runtime::ref::testing
