#include <gtest/gtest.h>

#include "tests/unit/runtime/ref/ref_test_util.h"

namespace fixpoint::runtime::ref::testing {
namespace {

TEST(RefNormTest, BatchNormalization) {
  ExpectNear(Run1(MakeNode("BatchNormalization"),
                  {F32({1, 2, 1, 2}, {-1, 0, 1, 2}), F32({2}, {1, 1.5f}), F32({2}, {0, 1}),
                   F32({2}, {0, 3}), F32({2}, {1, 1.5f})},
                  {DType::kF32, {1, 2, 1, 2}}),
             {-0.999995, 0, -1.44948158, -0.22474079});
  // Epsilon and a 2-D input.
  ExpectNear(
      Run1(MakeNode("BatchNormalization", {{"epsilon", 0.5f}}),
           {F32({2, 1}, {2, 4}), F32({1}, {2}), F32({1}, {1}), F32({1}, {1}), F32({1}, {0.5f})},
           {DType::kF32, {2, 1}}),
      {3, 7});
}

TEST(RefNormTest, BatchNormalizationTrainingIsUnimplemented) {
  auto k = CreateRef(MakeNode("BatchNormalization", {{"training_mode", int64_t{1}}}),
                     {F32({1, 1}, {1}), F32({1}, {1}), F32({1}, {0}), F32({1}, {0}), F32({1}, {1})},
                     {{DType::kF32, {1, 1}}});
  EXPECT_EQ(k.status().code(), absl::StatusCode::kUnimplemented);
}

TEST(RefNormTest, InstanceNormalization) {
  ExpectNear(Run1(MakeNode("InstanceNormalization"),
                  {F32({1, 2, 1, 3}, {1, 2, 3, 0, 0, 0}), F32({2}, {1, 2}), F32({2}, {0, 1})},
                  {DType::kF32, {1, 2, 1, 3}}),
             {-1.22473569, 0, 1.22473569, 1, 1, 1});
}

TEST(RefNormTest, Lrn) {
  const Tensor x = F32({1, 3, 1, 1}, {1, 2, 3});
  // alpha/size = 1, beta 1, bias 1: y = x / (1 + sum of squares in the window).
  ExpectNear(Run1(MakeNode("LRN", {{"size", int64_t{3}}, {"alpha", 3.0f}, {"beta", 1.0f}}), {x},
                  {DType::kF32, {1, 3, 1, 1}}),
             {1.0 / 6, 2.0 / 15, 3.0 / 14});
  // Even size: window [c, c + 1].
  ExpectNear(Run1(MakeNode("LRN", {{"size", int64_t{2}}, {"alpha", 2.0f}, {"beta", 1.0f}}), {x},
                  {DType::kF32, {1, 3, 1, 1}}),
             {1.0 / 6, 2.0 / 14, 3.0 / 10});
  // Defaults: alpha 1e-4, beta 0.75, bias 1.
  ExpectNear(Run1(MakeNode("LRN", {{"size", int64_t{1}}}), {F32({1, 1, 1, 1}, {10})},
                  {DType::kF32, {1, 1, 1, 1}}),
             {10 / std::pow(1.01, 0.75)});
}

}  // namespace
}  // namespace fixpoint::runtime::ref::testing
