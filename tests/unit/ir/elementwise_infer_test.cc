// Shape inference of elementwise ops, broadcasting, the softmax family and
// normalizations.
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

TEST(ElementwiseInferTest, UnaryOpsKeepDTypeAndShape) {
  for (const char* op :
       {"Relu", "LeakyRelu", "Sigmoid",    "HardSigmoid", "HardSwish", "Tanh", "Exp", "Log", "Abs",
        "Neg",  "Sqrt",      "Reciprocal", "Floor",       "Ceil",      "Sign", "Sin", "Cos", "Erf",
        "Elu",  "Selu",      "Softplus",   "Softsign",    "Identity",  "Clip"}) {
    Node node = MakeNode(op, 1);
    auto out = Infer(node, {V({kDyn, 3, 4}, DType::kI8)});
    ASSERT_TRUE(out.ok()) << op << ": " << out.status();
    EXPECT_EQ((*out)[0].dtype, DType::kI8) << op;
    EXPECT_EQ((*out)[0].shape, Shape({kDyn, 3, 4})) << op;
  }
}

TEST(ElementwiseInferTest, NotRequiresBool) {
  EXPECT_EQ(*InferOp("Not", {V({2}, DType::kBool)}), Shape({2}));
  EXPECT_THAT(InferOp("Not", {V({2})}).status().message(),
              HasSubstr("input 0 has dtype f32, expected bool"));
}

TEST(ElementwiseInferTest, NumpyBroadcasting) {
  EXPECT_EQ(*InferOp("Add", {V({2, 3, 4}), V({4})}), Shape({2, 3, 4}));
  EXPECT_EQ(*InferOp("Mul", {V({2, 1, 4}), V({3, 1})}), Shape({2, 3, 4}));
  EXPECT_EQ(*InferOp("Sub", {V({}), V({5, 1})}), Shape({5, 1}));
  EXPECT_EQ(*InferOp("Div", {V({1, 0}), V({3, 1})}), Shape({3, 0}));
}

TEST(ElementwiseInferTest, BroadcastingWithDynamicDims) {
  EXPECT_EQ(*InferOp("Add", {V({kDyn, 3}), V({1, 3})}), Shape({kDyn, 3}));
  EXPECT_EQ(*InferOp("Add", {V({kDyn, 3}), V({5, 3})}), Shape({5, 3}));
  EXPECT_EQ(*InferOp("Add", {V({kDyn, 3}), V({kDyn, 1})}), Shape({kDyn, 3}));
  EXPECT_EQ(*InferOp("Add", {V({3}), V({kDyn, 1})}), Shape({kDyn, 3}));
}

TEST(ElementwiseInferTest, BroadcastErrorNamesNodeAndShapes) {
  Node node = MakeNode("Add", 2);
  node.name = "add7";
  auto out = Infer(node, {V({2, 3}), V({4, 3})});
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(out.status().message(),
              HasSubstr("Add 'add7': shapes [2,3] and [4,3] are not broadcastable"));
}

TEST(ElementwiseInferTest, MismatchedDTypesAreRejected) {
  EXPECT_THAT(InferOp("Add", {V({2}), V({2}, DType::kI64)}).status().message(),
              HasSubstr("input 1 has dtype i64 but input 0 has f32"));
  // Pow's exponent may have another type.
  Node pow = MakeNode("Pow", 2);
  auto out = Infer(pow, {V({2, 2}), V({}, DType::kI64)});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].dtype, DType::kF32);
}

TEST(ElementwiseInferTest, VariadicOps) {
  for (const char* op : {"Sum", "Mean", "Min", "Max"}) {
    EXPECT_EQ(*InferOp(op, {V({3, 1}), V({1, 4}), V({kDyn, 1, 1})}), Shape({kDyn, 3, 4})) << op;
    EXPECT_EQ(*InferOp(op, {V({3, 1})}), Shape({3, 1})) << op;
  }
}

TEST(ElementwiseInferTest, ComparisonsAndLogicalProduceBool) {
  for (const char* op : {"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"}) {
    Node node = MakeNode(op, 2);
    auto out = Infer(node, {V({kDyn, 4}), V({4})});
    ASSERT_TRUE(out.ok()) << op << ": " << out.status();
    EXPECT_EQ((*out)[0].dtype, DType::kBool) << op;
    EXPECT_EQ((*out)[0].shape, Shape({kDyn, 4})) << op;
  }
  for (const char* op : {"And", "Or", "Xor"}) {
    Node node = MakeNode(op, 2);
    auto out = Infer(node, {V({2, 1}, DType::kBool), V({3}, DType::kBool)});
    ASSERT_TRUE(out.ok()) << op << ": " << out.status();
    EXPECT_EQ((*out)[0].shape, Shape({2, 3})) << op;
    EXPECT_FALSE(InferOp(op, {V({2}), V({2})}).ok()) << op;
  }
}

TEST(ElementwiseInferTest, Where) {
  Node node = MakeNode("Where", 3);
  auto out = Infer(node, {V({kDyn, 1}, DType::kBool), V({1, 5}, DType::kI32), V({5}, DType::kI32)});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].dtype, DType::kI32);
  EXPECT_EQ((*out)[0].shape, Shape({kDyn, 5}));
  EXPECT_FALSE(InferOp("Where", {V({2}), V({2}), V({2})}).ok());
}

TEST(ElementwiseInferTest, PReluSlopeBroadcastsToInput) {
  EXPECT_EQ(*InferOp("PRelu", {V({kDyn, 8, 4, 4}), V({8, 1, 1})}), Shape({kDyn, 8, 4, 4}));
  EXPECT_THAT(InferOp("PRelu", {V({2, 8}), V({3, 8})}).status().message(),
              HasSubstr("slope shape [3,8] does not broadcast to input shape [2,8]"));
}

TEST(ElementwiseInferTest, CastDropoutAndClip) {
  Node cast = MakeNode("Cast", 1, {{"to", std::string("i64")}});
  auto out = Infer(cast, {V({kDyn, 2})});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].dtype, DType::kI64);
  EXPECT_EQ((*out)[0].shape, Shape({kDyn, 2}));
  EXPECT_FALSE(InferOp("Cast", {V({2})}, {{"to", std::string("f64")}}).ok());
  EXPECT_FALSE(InferOp("Cast", {V({2})}).ok());

  Node dropout = MakeNode("Dropout", 1, {}, 2);
  out = Infer(dropout, {V({3, 4})});
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ((*out)[1].dtype, DType::kBool);

  // Clip's min/max are attributes now; inputs 1 and 2 are refused.
  EXPECT_EQ(InferOp("Clip", {V({2}), V({}), V({})}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(InferOp("Clip", {V({2})}, {{"min", int64_t{0}}}).ok());
}

TEST(ElementwiseInferTest, SoftmaxFamilyAxis) {
  for (const char* op : {"Softmax", "LogSoftmax", "Hardmax"}) {
    EXPECT_EQ(*InferOp(op, {V({kDyn, 10})}), Shape({kDyn, 10})) << op;
    EXPECT_EQ(*InferOp(op, {V({2, 3, 4})}, {{"axis", int64_t{-3}}}), Shape({2, 3, 4})) << op;
    EXPECT_THAT(InferOp(op, {V({2, 3})}, {{"axis", int64_t{2}}}).status().message(),
                HasSubstr("axis 2 is out of range for rank 2"));
    EXPECT_EQ(*InferOp(op, {V({2, 3, 4})}, {{"coerce_2d", int64_t{1}}}), Shape({2, 3, 4}));
  }
}

TEST(ElementwiseInferTest, Normalizations) {
  EXPECT_EQ(*InferOp("BatchNormalization", {V({kDyn, 3, 8, 8}), V({3}), V({3}), V({3}), V({3})}),
            Shape({kDyn, 3, 8, 8}));
  EXPECT_THAT(InferOp("BatchNormalization", {V({1, 3, 8, 8}), V({3}), V({4}), V({3}), V({3})})
                  .status()
                  .message(),
              HasSubstr("input 2 size vs channels: 3 vs 4"));
  EXPECT_EQ(*InferOp("InstanceNormalization", {V({2, 3, 5}), V({3}), V({3})}), Shape({2, 3, 5}));
  EXPECT_EQ(*InferOp("LRN", {V({kDyn, 3, 5, 5})}, {{"size", int64_t{3}}}), Shape({kDyn, 3, 5, 5}));
  EXPECT_FALSE(InferOp("LRN", {V({1, 3, 5, 5})}).ok());
}

}  // namespace
}  // namespace fixpoint::ir
