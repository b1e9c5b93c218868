#include <gtest/gtest.h>

#include "tests/unit/runtime/ref/ref_test_util.h"

namespace fixpoint::runtime::ref::testing {
namespace {

const Tensor& X23() {
  static const Tensor* t = new Tensor(F32({2, 3}, {0, 1, 2, 3, 3, 3}));
  return *t;
}
constexpr double kThird = 1.0 / 3;

TEST(RefSoftmaxTest, LastAxisByDefault) {
  const std::vector<double> want = {0.09003057, 0.24472847, 0.66524096, kThird, kThird, kThird};
  ExpectNear(Run1(MakeNode("Softmax"), {X23()}, {DType::kF32, {2, 3}}), want);
  ExpectNear(Run1(MakeNode("Softmax", {{"axis", int64_t{-1}}}), {X23()}, {DType::kF32, {2, 3}}),
             want);
}

TEST(RefSoftmaxTest, AxisZero) {
  ExpectNear(Run1(MakeNode("Softmax", {{"axis", int64_t{0}}}), {X23()}, {DType::kF32, {2, 3}}),
             {0.04742587, 0.11920292, 0.26894142, 0.95257413, 0.88079708, 0.73105858});
}

TEST(RefSoftmaxTest, LogSoftmax) {
  ExpectNear(Run1(MakeNode("LogSoftmax"), {X23()}, {DType::kF32, {2, 3}}),
             {-2.40760596, -1.40760596, -0.40760596, -1.09861229, -1.09861229, -1.09861229});
}

TEST(RefSoftmaxTest, LargeNumbersAreStable) {
  ExpectNear(Run1(MakeNode("Softmax"), {F32({2}, {1000, 1001})}, {DType::kF32, {2}}),
             {0.26894142, 0.73105858});
  ExpectNear(Run1(MakeNode("LogSoftmax"), {F32({2}, {1000, 1001})}, {DType::kF32, {2}}),
             {-1.31326169, -0.31326169});
}

TEST(RefSoftmaxTest, Hardmax) {
  ExpectEq(Run1(MakeNode("Hardmax"), {F32({2, 3}, {1, 3, 3, 0, -1, -2})}, {DType::kF32, {2, 3}}),
           {0, 1, 0, 1, 0, 0});
  ExpectEq(Run1(MakeNode("Hardmax", {{"axis", int64_t{0}}}), {F32({2, 3}, {1, 3, 3, 0, -1, 4})},
                {DType::kF32, {2, 3}}),
           {1, 1, 0, 0, 0, 1});
}

TEST(RefSoftmaxTest, Coerce2DVersusSingleAxis) {
  const Tensor x = F32({2, 2, 2}, {0, 1, 2, 3, 0, 0, 0, 0});
  // Opset < 13: flatten to [2, 4] at axis 1.
  ExpectNear(Run1(MakeNode("Softmax", {{"axis", int64_t{1}}, {"coerce_2d", int64_t{1}}}), {x},
                  {DType::kF32, {2, 2, 2}}),
             {0.0320586, 0.08714432, 0.23688282, 0.64391426, 0.25, 0.25, 0.25, 0.25});
  // coerce_2d without axis defaults to axis 1.
  ExpectNear(Run1(MakeNode("Softmax", {{"coerce_2d", int64_t{1}}}), {x}, {DType::kF32, {2, 2, 2}}),
             {0.0320586, 0.08714432, 0.23688282, 0.64391426, 0.25, 0.25, 0.25, 0.25});
  // Opset 13: along axis 1 only.
  ExpectNear(Run1(MakeNode("Softmax", {{"axis", int64_t{1}}}), {x}, {DType::kF32, {2, 2, 2}}),
             {0.11920292, 0.11920292, 0.88079708, 0.88079708, 0.5, 0.5, 0.5, 0.5});
}

}  // namespace
}  // namespace fixpoint::runtime::ref::testing
