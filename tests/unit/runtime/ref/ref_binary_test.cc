#include <gtest/gtest.h>

#include <limits>

#include "tests/unit/runtime/ref/ref_test_util.h"

namespace fixpoint::runtime::ref::testing {
namespace {

Tensor Bin(const std::string& op, const Tensor& a, const Tensor& b, Out out) {
  return Run1(MakeNode(op), {a, b}, out);
}

TEST(RefBinaryTest, BroadcastingShapes) {
  // [2,3] + [3]
  ExpectEq(
      Bin("Add", F32({2, 3}, {1, 2, 3, 4, 5, 6}), F32({3}, {10, 20, 30}), {DType::kF32, {2, 3}}),
      {11, 22, 33, 14, 25, 36});
  // [2,1] * [1,3]: both sides broadcast
  ExpectEq(Bin("Mul", F32({2, 1}, {1, 2}), F32({1, 3}, {3, 4, 5}), {DType::kF32, {2, 3}}),
           {3, 4, 5, 6, 8, 10});
  // [3] - scalar
  ExpectEq(Bin("Sub", F32({3}, {5, 6, 7}), F32({}, {1}), {DType::kF32, {3}}), {4, 5, 6});
  // scalar - [3]
  ExpectEq(Bin("Sub", F32({}, {1}), F32({3}, {5, 6, 7}), {DType::kF32, {3}}), {-4, -5, -6});
  // [2,1,2] + [3,1] -> [2,3,2]
  ExpectEq(
      Bin("Add", F32({2, 1, 2}, {1, 2, 3, 4}), F32({3, 1}, {10, 20, 30}), {DType::kF32, {2, 3, 2}}),
      {11, 12, 21, 22, 31, 32, 13, 14, 23, 24, 33, 34});
  // [2,3,1,2] + [3,2,1] middle broadcast both ways -> [2,3,2,2]
  const Tensor a = F32({2, 3, 1, 2}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  const Tensor b = F32({3, 2, 1}, {0, 100, 200, 300, 400, 500});
  std::vector<double> want;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 2; ++k)
        for (int l = 0; l < 2; ++l) want.push_back((i * 3 + j) * 2 + l + 100 * (j * 2 + k));
  ExpectEq(Bin("Add", a, b, {DType::kF32, {2, 3, 2, 2}}), want);
}

TEST(RefBinaryTest, MismatchedShapesAreInvalid) {
  auto k = CreateRef(MakeNode("Add"), {F32({2, 3}, std::vector<float>(6)), F32({2}, {1, 2})},
                     {{DType::kF32, {2, 3}}});
  EXPECT_EQ(k.status().code(), absl::StatusCode::kInvalidArgument);
  k = CreateRef(MakeNode("Add"), {F32({2}, {1, 2}), I32({2}, {1, 2})}, {{DType::kF32, {2}}});
  EXPECT_EQ(k.status().code(), absl::StatusCode::kInvalidArgument);
  k = CreateRef(MakeNode("Add"), {Bool({1}, {1}), Bool({1}, {1})}, {{DType::kBool, {1}}});
  EXPECT_EQ(k.status().code(), absl::StatusCode::kUnimplemented);
}

TEST(RefBinaryTest, IntegerArithmetic) {
  ExpectEq(Bin("Div", I32({4}, {7, -7, 7, -7}), I32({4}, {2, 2, -2, -2}), {DType::kI32, {4}}),
           {3, -3, -3, 3});  // truncates toward zero
  const int32_t kMin = std::numeric_limits<int32_t>::min();
  ExpectEq(Bin("Div", I32({1}, {kMin}), I32({1}, {-1}), {DType::kI32, {1}}), {double(kMin)});
  ExpectEq(Bin("Div", U8({2}, {200, 7}), U8({2}, {255, 2}), {DType::kU8, {2}}), {0, 3});
  ExpectEq(Bin("Add", I8({2}, {100, -100}), I8({2}, {100, -100}), {DType::kI8, {2}}), {-56, 56});
  ExpectEq(Bin("Sub", U8({1}, {1}), U8({1}, {2}), {DType::kU8, {1}}), {255});
  ExpectEq(Bin("Mul", I64({2}, {3, -4}), I64({1}, {1LL << 40}), {DType::kI64, {2}}),
           {3.0 * (1LL << 40), -4.0 * (1LL << 40)});
  ExpectEq(Bin("Mul", U8({1}, {16}), U8({1}, {17}), {DType::kU8, {1}}), {16});  // 272 mod 256
}

TEST(RefBinaryTest, IntegerDivisionByZeroFailsAtRunTime) {
  auto r = RunRef(MakeNode("Div"), {I64({2}, {1, 2}), I64({2}, {1, 0})}, {{DType::kI64, {2}}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(RefBinaryTest, FloatDivision) {
  ExpectNear(Bin("Div", F32({3}, {1, -3, 1}), F32({3}, {4, 2, 0}), {DType::kF32, {3}}),
             {0.25, -1.5, std::numeric_limits<double>::infinity()});
}

TEST(RefBinaryTest, PowWithMixedTypes) {
  ExpectNear(Bin("Pow", F32({3}, {2, 4, 9}), F32({3}, {3, 0.5f, 0.5f}), {DType::kF32, {3}}),
             {8, 2, 3});
  ExpectEq(Bin("Pow", F32({2}, {1.5f, -2}), I64({}, {2}), {DType::kF32, {2}}), {2.25, 4});
  ExpectEq(Bin("Pow", I32({2}, {2, 3}), I32({2}, {10, 3}), {DType::kI32, {2}}), {1024, 27});
  ExpectEq(Bin("Pow", I64({2}, {2, 4}), F32({1}, {0.5f}), {DType::kI64, {2}}), {1, 2});
}

TEST(RefBinaryTest, Comparisons) {
  const Tensor a = F32({3}, {1, 2, 3}), b = F32({3}, {2, 2, 2});
  const Out o{DType::kBool, {3}};
  ExpectEq(Bin("Less", a, b, o), {1, 0, 0});
  ExpectEq(Bin("LessOrEqual", a, b, o), {1, 1, 0});
  ExpectEq(Bin("Greater", a, b, o), {0, 0, 1});
  ExpectEq(Bin("GreaterOrEqual", a, b, o), {0, 1, 1});
  ExpectEq(Bin("Equal", a, b, o), {0, 1, 0});
  ExpectEq(Bin("Equal", I64({3}, {5, 6, 7}), I64({1}, {6}), o), {0, 1, 0});
  ExpectEq(Bin("Equal", Bool({3}, {1, 0, 0}), Bool({3}, {1, 1, 0}), o), {1, 0, 1});
  ExpectEq(Bin("Greater", I8({3}, {-1, 0, 1}), I8({}, {0}), o), {0, 0, 1});
}

TEST(RefBinaryTest, Logic) {
  const Tensor a = Bool({2, 2}, {1, 1, 0, 0}), b = Bool({2}, {1, 0});
  const Out o{DType::kBool, {2, 2}};
  ExpectEq(Bin("And", a, b, o), {1, 0, 0, 0});
  ExpectEq(Bin("Or", a, b, o), {1, 1, 1, 0});
  ExpectEq(Bin("Xor", a, b, o), {0, 1, 1, 0});
}

TEST(RefBinaryTest, VariadicOps) {
  ExpectEq(Run1(MakeNode("Sum"), {F32({2, 2}, {1, 2, 3, 4}), F32({2}, {10, 20}), F32({}, {100})},
                {DType::kF32, {2, 2}}),
           {111, 122, 113, 124});
  ExpectEq(Run1(MakeNode("Mean"), {F32({2}, {1, 2}), F32({2}, {3, 5})}, {DType::kF32, {2}}),
           {2, 3.5});
  ExpectNear(
      Run1(MakeNode("Max"), {F32({3}, {1, 5, NAN}), F32({3}, {3, 2, 1})}, {DType::kF32, {3}}),
      {3, 5, NAN});
  ExpectNear(
      Run1(MakeNode("Min"), {F32({3}, {1, 5, 1}), F32({3}, {3, 2, NAN})}, {DType::kF32, {3}}),
      {1, 2, NAN});
  // First input smaller than the output.
  ExpectEq(Run1(MakeNode("Max"), {I32({1}, {2}), I32({3}, {1, 3, 2})}, {DType::kI32, {3}}),
           {2, 3, 2});
  ExpectEq(Run1(MakeNode("Min"), {U8({2}, {7, 9})}, {DType::kU8, {2}}), {7, 9});
  ExpectEq(Run1(MakeNode("Sum"), {I64({2}, {1, 2}), I64({2}, {3, 4}), I64({2}, {5, 6})},
                {DType::kI64, {2}}),
           {9, 12});
}

TEST(RefBinaryTest, Where) {
  ExpectEq(Run1(MakeNode("Where"), {Bool({2, 1}, {1, 0}), F32({2}, {1, 2}), F32({}, {9})},
                {DType::kF32, {2, 2}}),
           {1, 2, 9, 9});
  ExpectEq(
      Run1(MakeNode("Where"), {Bool({3}, {0, 1, 0}), I64({3}, {1, 2, 3}), I64({3}, {-1, -2, -3})},
           {DType::kI64, {3}}),
      {-1, 2, -3});
}

TEST(RefBinaryTest, PRelu) {
  const Tensor x = F32({2, 2}, {-1, 2, -3, 4});
  ExpectEq(Bin("PRelu", x, F32({2}, {0.5f, 0.25f}), {DType::kF32, {2, 2}}), {-0.5, 2, -1.5, 4});
  ExpectNear(Bin("PRelu", x, F32({2, 1}, {0.1f, 0.2f}), {DType::kF32, {2, 2}}), {-0.1, 2, -0.6, 4});
  ExpectEq(Bin("PRelu", I32({2}, {-4, 4}), I32({1}, {2}), {DType::kI32, {2}}), {-8, 4});
}

}  // namespace
}  // namespace fixpoint::runtime::ref::testing
