#include <gtest/gtest.h>

#include "tests/unit/runtime/ref/ref_test_util.h"

namespace fixpoint::runtime::ref::testing {
namespace {

// A·B = [[22, 28], [49, 64]].
const Tensor& A() {
  static const Tensor* t = new Tensor(F32({2, 3}, {1, 2, 3, 4, 5, 6}));
  return *t;
}
const Tensor& B() {
  static const Tensor* t = new Tensor(F32({3, 2}, {1, 2, 3, 4, 5, 6}));
  return *t;
}
const Out kY{DType::kF32, {2, 2}};

TEST(RefGemmTest, DefaultAndTransposes) {
  ExpectEq(Run1(MakeNode("Gemm"), {A(), B()}, kY), {22, 28, 49, 64});
  ExpectEq(
      Run1(MakeNode("Gemm", {{"transA", int64_t{1}}}), {F32({3, 2}, {1, 4, 2, 5, 3, 6}), B()}, kY),
      {22, 28, 49, 64});
  ExpectEq(
      Run1(MakeNode("Gemm", {{"transB", int64_t{1}}}), {A(), F32({2, 3}, {1, 3, 5, 2, 4, 6})}, kY),
      {22, 28, 49, 64});
  ExpectEq(Run1(MakeNode("Gemm", {{"transA", int64_t{1}}, {"transB", int64_t{1}}}),
                {F32({3, 2}, {1, 4, 2, 5, 3, 6}), F32({2, 3}, {1, 3, 5, 2, 4, 6})}, kY),
           {22, 28, 49, 64});
}

TEST(RefGemmTest, AlphaBetaAndBiasBroadcast) {
  ExpectEq(
      Run1(MakeNode("Gemm", {{"alpha", 0.5f}, {"beta", 2.0f}}), {A(), B(), F32({2}, {1, -1})}, kY),
      {13, 12, 26.5, 30});
  ExpectEq(Run1(MakeNode("Gemm"), {A(), B(), F32({}, {10})}, kY), {32, 38, 59, 74});
  ExpectEq(Run1(MakeNode("Gemm"), {A(), B(), F32({1}, {10})}, kY), {32, 38, 59, 74});
  ExpectEq(Run1(MakeNode("Gemm"), {A(), B(), F32({2, 1}, {1, 2})}, kY), {23, 29, 51, 66});
  ExpectEq(Run1(MakeNode("Gemm"), {A(), B(), F32({1, 2}, {1, 2})}, kY), {23, 30, 50, 66});
  ExpectEq(Run1(MakeNode("Gemm", {{"beta", 0.0f}}), {A(), B(), F32({2, 2}, {1, 2, 3, 4})}, kY),
           {22, 28, 49, 64});
  ExpectEq(Run1(MakeNode("Gemm", {{"alpha", 2.0f}, {"beta", -1.0f}}),
                {A(), B(), F32({2, 2}, {1, 2, 3, 4})}, kY),
           {43, 54, 95, 124});
}

TEST(RefGemmTest, RejectsBadShapes) {
  auto k = CreateRef(MakeNode("Gemm"), {A(), A()}, {kY});
  EXPECT_EQ(k.status().code(), absl::StatusCode::kInvalidArgument);
  k = CreateRef(MakeNode("Gemm"), {A(), B(), F32({3}, {1, 2, 3})}, {kY});
  EXPECT_EQ(k.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(RefMatMulTest, TwoDAndVectorPromotion) {
  ExpectEq(Run1(MakeNode("MatMul"), {A(), B()}, kY), {22, 28, 49, 64});
  ExpectEq(Run1(MakeNode("MatMul"), {F32({3}, {1, 2, 3}), B()}, {DType::kF32, {2}}), {22, 28});
  ExpectEq(Run1(MakeNode("MatMul"), {A(), F32({3}, {1, 1, 1})}, {DType::kF32, {2}}), {6, 15});
  ExpectEq(Run1(MakeNode("MatMul"), {F32({3}, {1, 2, 3}), F32({3}, {4, 5, 6})}, {DType::kF32, {}}),
           {32});
}

TEST(RefMatMulTest, BatchBroadcasting) {
  const Tensor eye2 = F32({2, 2, 2}, {1, 0, 0, 1, 2, 0, 0, 2});
  const Tensor m = F32({2, 2}, {1, 2, 3, 4});
  ExpectEq(Run1(MakeNode("MatMul"), {eye2, m}, {DType::kF32, {2, 2, 2}}), {1, 2, 3, 4, 2, 4, 6, 8});
  ExpectEq(Run1(MakeNode("MatMul"), {m, eye2}, {DType::kF32, {2, 2, 2}}), {1, 2, 3, 4, 2, 4, 6, 8});
  // [2,1,1,2] x [3,2,1] -> [2,3,1,1]
  ExpectEq(Run1(MakeNode("MatMul"),
                {F32({2, 1, 1, 2}, {1, 1, 2, 2}), F32({3, 2, 1}, {1, 10, 2, 20, 3, 30})},
                {DType::kF32, {2, 3, 1, 1}}),
           {11, 22, 33, 22, 44, 66});
}

TEST(RefMatMulTest, AccumulatesInDouble) {
  // In f32, 1e8 + 1 - 1e8 = 0; the oracle gets 1.
  ExpectEq(Run1(MakeNode("MatMul"), {F32({1, 3}, {1e8f, 1, -1e8f}), F32({3, 1}, {1, 1, 1})},
                {DType::kF32, {1, 1}}),
           {1});
}

}  // namespace
}  // namespace fixpoint::runtime::ref::testing
