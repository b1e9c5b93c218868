#include <gtest/gtest.h>

#include <limits>

#include "tests/unit/runtime/ref/ref_test_util.h"

namespace fixpoint::runtime::ref::testing {
namespace {

Tensor Cast(const Tensor& x, DType to) {
  return Run1(MakeNode("Cast", {{"to", std::string(ir::DTypeName(to))}}), {x}, {to, x.shape()});
}

TEST(RefCastTest, FloatToIntegerTruncatesAndSaturates) {
  const Tensor x =
      F32({6}, {-1.7f, 2.9f, 300, -300, std::numeric_limits<float>::quiet_NaN(), -0.5f});
  ExpectEq(Cast(x, DType::kI8), {-1, 2, 127, -128, 0, 0});
  ExpectEq(Cast(x, DType::kU8), {0, 2, 255, 0, 0, 0});
  ExpectEq(Cast(x, DType::kI32), {-1, 2, 300, -300, 0, 0});
  ExpectEq(Cast(F32({1}, {1e20f}), DType::kI64),
           {static_cast<double>(std::numeric_limits<int64_t>::max())});
}

TEST(RefCastTest, ToBoolIsNonzero) {
  ExpectEq(Cast(F32({4}, {0, -0.0f, 2, std::numeric_limits<float>::quiet_NaN()}), DType::kBool),
           {0, 0, 1, 1});
  ExpectEq(Cast(I64({3}, {0, -5, 1LL << 40}), DType::kBool), {0, 1, 1});
}

TEST(RefCastTest, IntegerToIntegerWraps) {
  ExpectEq(Cast(I64({2}, {4294967297LL, -1}), DType::kI32), {1, -1});
  ExpectEq(Cast(U8({2}, {200, 7}), DType::kI8), {-56, 7});
  ExpectEq(Cast(I32({2}, {-1, 256}), DType::kU8), {255, 0});
}

TEST(RefCastTest, BoolToNumbers) {
  ExpectEq(Cast(Bool({2}, {1, 0}), DType::kF32), {1, 0});
  ExpectEq(Cast(Bool({2}, {1, 0}), DType::kI64), {1, 0});
}

TEST(RefCastTest, Float16BothWays) {
  const Tensor h = Cast(F32({4}, {1.5f, 65504, 1e6f, 0.1f}), DType::kF16);
  const uint16_t* bits = h.data<uint16_t>();
  EXPECT_EQ(bits[0], 0x3E00);
  EXPECT_EQ(bits[1], 0x7BFF);
  EXPECT_EQ(bits[2], 0x7C00);  // overflow -> inf
  EXPECT_EQ(bits[3], 0x2E66);
  ExpectEq(Cast(Make<uint16_t>(DType::kF16, {3}, {0x3C00, 0xC000, 0x3800}), DType::kF32),
           {1, -2, 0.5});
  ExpectEq(Cast(Make<uint16_t>(DType::kF16, {2}, {0x4500, 0xC500}), DType::kI32), {5, -5});
  ExpectEq(Cast(I32({1}, {3}), DType::kF16), {3});
}

TEST(RefCastTest, IdentityCastCopies) {
  ExpectEq(Cast(I64({2}, {1LL << 60, -3}), DType::kI64), {static_cast<double>(1LL << 60), -3});
}

TEST(RefCastTest, UnknownTargetIsInvalid) {
  auto k = CreateRef(MakeNode("Cast", {{"to", std::string("f64")}}), {F32({1}, {1})},
                     {{DType::kF32, {1}}});
  EXPECT_EQ(k.status().code(), absl::StatusCode::kInvalidArgument);
  k = CreateRef(MakeNode("Cast", {{"to", std::string("i8")}}), {F32({1}, {1})},
                {{DType::kF32, {1}}});  // output dtype disagrees with `to`
  EXPECT_EQ(k.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace fixpoint::runtime::ref::testing
