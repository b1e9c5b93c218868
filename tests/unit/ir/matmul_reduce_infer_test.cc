// Shape inference of Gemm, MatMul, Reduce* and ArgMax/ArgMin.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/ir/infer_test_util.h"

namespace fixpoint::ir {
namespace {

using ::fixpoint::ir::testing::Infer;
using ::fixpoint::ir::testing::InferOp;
using ::fixpoint::ir::testing::kDyn;
using ::fixpoint::ir::testing::MakeNode;
using ::fixpoint::ir::testing::V;
using ::testing::HasSubstr;
using Ints = std::vector<int64_t>;

TEST(GemmInferTest, Transposes) {
  EXPECT_EQ(*InferOp("Gemm", {V({kDyn, 4}), V({4, 5})}), Shape({kDyn, 5}));
  EXPECT_EQ(*InferOp("Gemm", {V({4, 3}), V({4, 5})}, {{"transA", int64_t{1}}}), Shape({3, 5}));
  EXPECT_EQ(*InferOp("Gemm", {V({kDyn, 4}), V({5, 4}), V({5})}, {{"transB", int64_t{1}}}),
            Shape({kDyn, 5}));
  EXPECT_EQ(*InferOp("Gemm", {V({4, 3}), V({5, 4}), V({3, 1})},
                     {{"transA", int64_t{1}}, {"transB", int64_t{1}}}),
            Shape({3, 5}));
}

TEST(GemmInferTest, Errors) {
  EXPECT_THAT(InferOp("Gemm", {V({3, 4}), V({5, 6})}).status().message(),
              HasSubstr("inner dimensions differ: [3,4] x [5,6]"));
  EXPECT_THAT(InferOp("Gemm", {V({3, 4}), V({4, 5}), V({2, 5})}).status().message(),
              HasSubstr("C shape [2,5] does not broadcast to [3,5]"));
  EXPECT_THAT(InferOp("Gemm", {V({3, 4, 1}), V({4, 5})}).status().message(),
              HasSubstr("input 0 has rank 3, expected 2"));
}

TEST(MatMulInferTest, OneDimensionalPromotion) {
  EXPECT_EQ(*InferOp("MatMul", {V({2, 3}), V({3, 4})}), Shape({2, 4}));
  EXPECT_EQ(*InferOp("MatMul", {V({3}), V({3, 4})}), Shape({4}));
  EXPECT_EQ(*InferOp("MatMul", {V({2, 3}), V({3})}), Shape({2}));
  EXPECT_EQ(*InferOp("MatMul", {V({3}), V({3})}), Shape());
  EXPECT_EQ(*InferOp("MatMul", {V({3}), V({kDyn, 3, 4})}), Shape({kDyn, 4}));
}

TEST(MatMulInferTest, BatchBroadcast) {
  EXPECT_EQ(*InferOp("MatMul", {V({kDyn, 3, 4}), V({4, 5})}), Shape({kDyn, 3, 5}));
  EXPECT_EQ(*InferOp("MatMul", {V({kDyn, 1, 2, 3}), V({5, 3, 4})}), Shape({kDyn, 5, 2, 4}));
  EXPECT_EQ(*InferOp("MatMul", {V({7, 1, 2, 3}), V({1, 6, 3, 4})}), Shape({7, 6, 2, 4}));
  EXPECT_THAT(InferOp("MatMul", {V({2, 2, 3}), V({3, 3, 4})}).status().message(),
              HasSubstr("batch dimensions of [2,2,3] and [3,3,4] are not broadcastable"));
  EXPECT_THAT(InferOp("MatMul", {V({2, 3}), V({4, 5})}).status().message(),
              HasSubstr("inner dimensions differ: [2,3] x [4,5]"));
  EXPECT_FALSE(InferOp("MatMul", {V({}), V({3})}).ok());
}

TEST(ReduceInferTest, AxesAndKeepdims) {
  for (const char* op : {"ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd",
                         "ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSumExp"}) {
    EXPECT_EQ(*InferOp(op, {V({kDyn, 3, 4})}, {{"axes", Ints{1}}}), Shape({kDyn, 1, 4})) << op;
    EXPECT_EQ(*InferOp(op, {V({kDyn, 3, 4})}, {{"axes", Ints{1}}, {"keepdims", int64_t{0}}}),
              Shape({kDyn, 4}))
        << op;
    EXPECT_EQ(*InferOp(op, {V({kDyn, 3, 4})}, {{"axes", Ints{-1, 0}}}), Shape({1, 3, 1})) << op;
  }
}

TEST(ReduceInferTest, EmptyAxes) {
  EXPECT_EQ(*InferOp("ReduceSum", {V({kDyn, 3, 4})}), Shape({1, 1, 1}));
  EXPECT_EQ(*InferOp("ReduceSum", {V({kDyn, 3, 4})}, {{"keepdims", int64_t{0}}}), Shape());
  EXPECT_EQ(*InferOp("ReduceSum", {V({kDyn, 3, 4})},
                     {{"axes", Ints{}}, {"noop_with_empty_axes", int64_t{1}}}),
            Shape({kDyn, 3, 4}));
}

TEST(ReduceInferTest, Errors) {
  EXPECT_THAT(InferOp("ReduceMax", {V({2, 3})}, {{"axes", Ints{1, -1}}}).status().message(),
              HasSubstr("repeat axis 1"));
  EXPECT_THAT(InferOp("ReduceMax", {V({2, 3})}, {{"axes", Ints{2}}}).status().message(),
              HasSubstr("axes 2 is out of range for rank 2"));
}

TEST(ArgReduceInferTest, I64Output) {
  for (const char* op : {"ArgMax", "ArgMin"}) {
    Node node = MakeNode(op, 1, {{"axis", int64_t{1}}});
    auto out = Infer(node, {V({kDyn, 3, 4})});
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_EQ((*out)[0].dtype, DType::kI64);
    EXPECT_EQ((*out)[0].shape, Shape({kDyn, 1, 4}));
    EXPECT_EQ(*InferOp(op, {V({kDyn, 3, 4})}, {{"axis", int64_t{-1}}, {"keepdims", int64_t{0}}}),
              Shape({kDyn, 3}));
    EXPECT_EQ(*InferOp(op, {V({5, 3})}), Shape({1, 3}));
    EXPECT_FALSE(InferOp(op, {V({5, 3})}, {{"axis", int64_t{2}}}).ok());
  }
}

}  // namespace
}  // namespace fixpoint::ir
