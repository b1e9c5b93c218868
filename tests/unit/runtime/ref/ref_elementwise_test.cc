#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "tests/unit/runtime/ref/ref_test_util.h"

namespace fixpoint::runtime::ref::testing {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

Tensor Unary(const std::string& op, const Tensor& x,
             std::map<std::string, ir::Attribute> attrs = {}) {
  return Run1(MakeNode(op, std::move(attrs)), {x}, {x.dtype(), x.shape()});
}

const Tensor& X() {
  static const Tensor* x = new Tensor(F32({4}, {-2, -0.5f, 0, 1.5f}));
  return *x;
}

TEST(RefElementwiseTest, Activations) {
  ExpectEq(Unary("Relu", X()), {0, 0, 0, 1.5});
  ExpectNear(Unary("LeakyRelu", X(), {{"alpha", 0.1f}}), {-0.2, -0.05, 0, 1.5});
  ExpectNear(Unary("LeakyRelu", X()), {-0.02, -0.005, 0, 1.5});  // default alpha 0.01
  ExpectNear(Unary("Sigmoid", X()), {0.11920292, 0.37754067, 0.5, 0.81757448});
  ExpectNear(Unary("HardSigmoid", X()), {0.1, 0.4, 0.5, 0.8});
  ExpectNear(Unary("HardSigmoid", X(), {{"alpha", 0.5f}, {"beta", 0.25f}}), {0, 0, 0.25, 1});
  ExpectNear(Unary("HardSwish", X()), {-0.33333333, -0.20833333, 0, 1.125});
  ExpectNear(Unary("Tanh", X()), {-0.96402758, -0.46211716, 0, 0.90514825});
  ExpectNear(Unary("Elu", X()), {-0.86466472, -0.39346934, 0, 1.5});
  ExpectNear(Unary("Elu", X(), {{"alpha", 2.0f}}), {-1.72932944, -0.78693868, 0, 1.5});
  ExpectNear(Unary("Selu", X()), {-1.52016647, -0.69175819, 0, 1.57605153});
  ExpectNear(Unary("Softplus", X()), {0.12692801, 0.47407698, 0.69314718, 1.70141328});
  ExpectNear(Unary("Softsign", X()), {-2.0 / 3, -1.0 / 3, 0, 0.6});
}

TEST(RefElementwiseTest, MathFunctions) {
  ExpectNear(Unary("Exp", X()), {0.13533528, 0.60653066, 1, 4.48168907});
  ExpectNear(Unary("Erf", X()), {-0.99532227, -0.52049988, 0, 0.96610515});
  ExpectEq(Unary("Abs", X()), {2, 0.5, 0, 1.5});
  ExpectEq(Unary("Neg", X()), {2, 0.5, 0, -1.5});
  ExpectEq(Unary("Floor", X()), {-2, -1, 0, 1});
  ExpectEq(Unary("Ceil", X()), {-2, 0, 0, 2});
  ExpectEq(Unary("Sign", X()), {-1, -1, 0, 1});
  const Tensor pos = F32({3}, {0.25f, 1, 4});
  ExpectNear(Unary("Log", pos), {-1.38629436, 0, 1.38629436});
  ExpectEq(Unary("Sqrt", pos), {0.5, 1, 2});
  ExpectEq(Unary("Reciprocal", pos), {4, 1, 0.25});
  const Tensor angles = F32({2}, {0, 1.57079637f});
  ExpectNear(Unary("Sin", angles), {0, 1}, 1e-6);
  ExpectNear(Unary("Cos", angles), {1, 0}, 1e-6);
}

TEST(RefElementwiseTest, NaNPropagates) {
  const Tensor nan = F32({1}, {kNaN});
  for (const char* op : {"Relu", "Sigmoid", "Tanh", "Abs", "LeakyRelu", "Sign"}) {
    EXPECT_TRUE(std::isnan(Unary(op, nan).data<float>()[0])) << op;
  }
}

TEST(RefElementwiseTest, IntegerForms) {
  ExpectEq(Unary("Relu", I8({3}, {-3, 0, 5})), {0, 0, 5});
  ExpectEq(Unary("Abs", I32({3}, {-7, 7, std::numeric_limits<int32_t>::min()})),
           {7, 7, static_cast<double>(std::numeric_limits<int32_t>::min())});  // wraps
  ExpectEq(Unary("Neg", I64({2}, {5, -9})), {-5, 9});
  ExpectEq(Unary("Sign", I32({3}, {-4, 0, 9})), {-1, 0, 1});
  ExpectEq(Unary("Sign", U8({2}, {0, 200})), {0, 1});
  ExpectEq(Unary("Not", Bool({3}, {1, 0, 1})), {0, 1, 0});
}

TEST(RefElementwiseTest, UnsupportedDTypeIsUnimplemented) {
  auto k = CreateRef(MakeNode("Sigmoid"), {I32({1}, {1})}, {{DType::kI32, {1}}});
  EXPECT_EQ(k.status().code(), absl::StatusCode::kUnimplemented);
  k = CreateRef(MakeNode("Not"), {F32({1}, {1})}, {{DType::kF32, {1}}});
  EXPECT_EQ(k.status().code(), absl::StatusCode::kUnimplemented);
}

TEST(RefElementwiseTest, Clip) {
  const Tensor x = F32({4}, {-1, 0.5f, 2, kNaN});
  ExpectNear(Unary("Clip", x, {{"min", 0.0f}, {"max", 1.0f}}), {0, 0.5, 1, NAN});
  ExpectNear(Unary("Clip", x, {{"min", 0.0f}}), {0, 0.5, 2, NAN});
  ExpectNear(Unary("Clip", x, {{"max", 0.0f}}), {-1, 0, 0, NAN});
  ExpectNear(Unary("Clip", x), {-1, 0.5, 2, NAN});
  // As numpy.clip: when min > max every value becomes max.
  ExpectEq(Unary("Clip", F32({2}, {0, 5}), {{"min", 2.0f}, {"max", 1.0f}}), {1, 1});
  // Integer bounds round inward.
  ExpectEq(Unary("Clip", I8({5}, {-128, -2, 0, 3, 127}), {{"min", -2.5f}, {"max", 3.5f}}),
           {-2, -2, 0, 3, 3});
  ExpectEq(Unary("Clip", I8({2}, {-128, 127}), {{"min", -1000.0f}}), {-128, 127});
}

}  // namespace
}  // namespace fixpoint::runtime::ref::testing
