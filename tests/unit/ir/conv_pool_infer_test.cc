// Shape inference and geometry canonicalization of Conv, ConvTranspose and
// the pools.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/ir/infer_test_util.h"

namespace fixpoint::ir {
namespace {

using ::fixpoint::ir::testing::Infer;
using ::fixpoint::ir::testing::InferShape;
using ::fixpoint::ir::testing::kDyn;
using ::fixpoint::ir::testing::MakeNode;
using ::fixpoint::ir::testing::V;
using ::testing::HasSubstr;
using Ints = std::vector<int64_t>;

Ints IntsAttr(const Node& node, const std::string& key) {
  return std::get<Ints>(node.attrs.at(key));
}

std::string StringAttr(const Node& node, const std::string& key) {
  return std::get<std::string>(node.attrs.at(key));
}

TEST(ConvInferTest, DynamicBatchAndCanonicalDefaults) {
  Node node = MakeNode("Conv", 3);
  auto shape = InferShape(node, {V({kDyn, 1, 28, 28}), V({8, 1, 3, 3}), V({8})});
  ASSERT_TRUE(shape.ok()) << shape.status();
  EXPECT_EQ(*shape, Shape({kDyn, 8, 26, 26}));
  EXPECT_EQ(IntsAttr(node, "kernel_shape"), Ints({3, 3}));
  EXPECT_EQ(IntsAttr(node, "strides"), Ints({1, 1}));
  EXPECT_EQ(IntsAttr(node, "dilations"), Ints({1, 1}));
  EXPECT_EQ(IntsAttr(node, "pads"), Ints({0, 0, 0, 0}));
  EXPECT_EQ(StringAttr(node, "auto_pad"), "NOTSET");
}

TEST(ConvInferTest, OutputNamesAndDType) {
  Node node = MakeNode("Conv", 2);
  node.outputs = {"y"};
  auto out = Infer(node, {V({2, 3, 5, 5}), V({4, 3, 1, 1})});
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0].name, "y");
  EXPECT_EQ((*out)[0].dtype, DType::kF32);
  EXPECT_EQ((*out)[0].shape, Shape({2, 4, 5, 5}));
}

TEST(ConvInferTest, WeightRankErrorNamesNode) {
  Node node = MakeNode("Conv", 2);
  node.name = "conv1";
  auto shape = InferShape(node, {V({1, 1, 28, 28}), V({8, 1, 3})});
  EXPECT_EQ(shape.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(shape.status().message(), HasSubstr("Conv 'conv1': input 1 has rank 3, expected 4"));
}

TEST(ConvInferTest, AutoPadSameUpperAndLower) {
  for (const char* mode : {"SAME_UPPER", "SAME_LOWER"}) {
    Node node = MakeNode("Conv", 2, {{"auto_pad", std::string(mode)}, {"strides", Ints{2, 2}}});
    auto shape = InferShape(node, {V({kDyn, 3, 8, 8}), V({4, 3, 3, 3})});
    ASSERT_TRUE(shape.ok()) << shape.status();
    EXPECT_EQ(*shape, Shape({kDyn, 4, 4, 4}));
    // total padding 1 per dim: the odd one goes to the end (UPPER) or begin.
    const Ints want = std::string(mode) == "SAME_UPPER" ? Ints{0, 0, 1, 1} : Ints{1, 1, 0, 0};
    EXPECT_EQ(IntsAttr(node, "pads"), want) << mode;
    EXPECT_EQ(StringAttr(node, "auto_pad"), "NOTSET");
    // Canonical form re-infers to the same shape.
    EXPECT_EQ(*InferShape(node, {V({kDyn, 3, 8, 8}), V({4, 3, 3, 3})}), *shape);
  }
}

TEST(ConvInferTest, AutoPadValidDropsPads) {
  Node node = MakeNode(
      "Conv", 2,
      {{"auto_pad", std::string("VALID")}, {"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}});
  auto shape = InferShape(node, {V({1, 3, 8, 8}), V({4, 3, 3, 3})});
  ASSERT_TRUE(shape.ok()) << shape.status();
  EXPECT_EQ(*shape, Shape({1, 4, 3, 3}));
  EXPECT_EQ(IntsAttr(node, "pads"), Ints({0, 0, 0, 0}));
}

TEST(ConvInferTest, AutoPadSameNeedsStaticSpatialDims) {
  Node node = MakeNode("Conv", 2, {{"auto_pad", std::string("SAME_UPPER")}});
  auto shape = InferShape(node, {V({1, 3, kDyn, 8}), V({4, 3, 3, 3})});
  EXPECT_EQ(shape.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(shape.status().message(), HasSubstr("needs static spatial dims"));
}

TEST(ConvInferTest, DilationsPadsStrides) {
  Node node = MakeNode("Conv", 2, {{"dilations", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}});
  EXPECT_EQ(*InferShape(node, {V({2, 3, 10, 10}), V({6, 3, 3, 3})}), Shape({2, 6, 8, 8}));
  Node strided = MakeNode("Conv", 2, {{"strides", Ints{3, 2}}, {"pads", Ints{0, 1, 2, 1}}});
  // H: (11 + 2 - 3) / 3 + 1 = 4; W: (9 + 2 - 3) / 2 + 1 = 5.
  EXPECT_EQ(*InferShape(strided, {V({1, 1, 11, 9}), V({2, 1, 3, 3})}), Shape({1, 2, 4, 5}));
}

TEST(ConvInferTest, GroupsAndChannelErrors) {
  Node node = MakeNode("Conv", 2, {{"group", int64_t{2}}});
  EXPECT_EQ(*InferShape(node, {V({1, 4, 5, 5}), V({8, 2, 3, 3})}), Shape({1, 8, 3, 3}));
  Node bad = MakeNode("Conv", 2, {{"group", int64_t{2}}});
  auto shape = InferShape(bad, {V({1, 4, 5, 5}), V({8, 3, 3, 3})});
  EXPECT_THAT(shape.status().message(),
              HasSubstr("input channels 4 != weight channels 3 x group 2"));
}

TEST(ConvInferTest, KernelShapeMismatchAndBiasErrors) {
  Node node = MakeNode("Conv", 2, {{"kernel_shape", Ints{5, 5}}});
  EXPECT_THAT(InferShape(node, {V({1, 1, 8, 8}), V({2, 1, 3, 3})}).status().message(),
              HasSubstr("kernel_shape [5,5] does not match weight shape [2,1,3,3]"));
  Node bias = MakeNode("Conv", 3);
  EXPECT_THAT(InferShape(bias, {V({1, 1, 8, 8}), V({2, 1, 3, 3}), V({3})}).status().message(),
              HasSubstr("bias size"));
}

TEST(ConvInferTest, OneAndThreeSpatialDims) {
  Node conv1d = MakeNode("Conv", 2, {{"strides", Ints{2}}});
  EXPECT_EQ(*InferShape(conv1d, {V({kDyn, 2, 10}), V({4, 2, 3})}), Shape({kDyn, 4, 4}));
  Node conv3d = MakeNode("Conv", 2);
  EXPECT_EQ(*InferShape(conv3d, {V({1, 1, 4, 6, 8}), V({2, 1, 2, 2, 2})}), Shape({1, 2, 3, 5, 7}));
}

TEST(ConvInferTest, KernelLargerThanInputIsAnError) {
  Node node = MakeNode("Conv", 2);
  EXPECT_EQ(InferShape(node, {V({1, 1, 2, 2}), V({1, 1, 3, 3})}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ConvTransposeInferTest, StridesOutputPaddingAndGroups) {
  Node node = MakeNode("ConvTranspose", 2, {{"strides", Ints{2, 2}}});
  // 2 * (5 - 1) + 3 = 11.
  EXPECT_EQ(*InferShape(node, {V({kDyn, 4, 5, 5}), V({4, 2, 3, 3})}), Shape({kDyn, 2, 11, 11}));
  Node padded = MakeNode("ConvTranspose", 2,
                         {{"strides", Ints{2, 2}},
                          {"output_padding", Ints{1, 0}},
                          {"pads", Ints{1, 1, 1, 1}},
                          {"group", int64_t{2}}});
  EXPECT_EQ(*InferShape(padded, {V({1, 4, 5, 5}), V({4, 2, 3, 3})}), Shape({1, 4, 10, 9}));
}

TEST(ConvTransposeInferTest, OutputShapeResolvedToPads) {
  Node node =
      MakeNode("ConvTranspose", 2, {{"strides", Ints{2, 2}}, {"output_shape", Ints{10, 10}}});
  auto shape = InferShape(node, {V({1, 4, 5, 5}), V({4, 2, 3, 3})});
  ASSERT_TRUE(shape.ok()) << shape.status();
  EXPECT_EQ(*shape, Shape({1, 2, 10, 10}));
  // total padding 11 - 10 = 1; NOTSET puts the odd one at the beginning.
  EXPECT_EQ(IntsAttr(node, "pads"), Ints({1, 1, 0, 0}));
  EXPECT_FALSE(node.HasAttr("output_shape"));
  EXPECT_EQ(*InferShape(node, {V({1, 4, 5, 5}), V({4, 2, 3, 3})}), *shape);
}

TEST(ConvTransposeInferTest, OutputShapeLargerThanNaturalBecomesOutputPadding) {
  Node node =
      MakeNode("ConvTranspose", 2, {{"strides", Ints{2, 2}}, {"output_shape", Ints{1, 2, 13, 11}}});
  auto shape = InferShape(node, {V({1, 4, 5, 5}), V({4, 2, 3, 3})});
  ASSERT_TRUE(shape.ok()) << shape.status();
  EXPECT_EQ(*shape, Shape({1, 2, 13, 11}));
  EXPECT_EQ(IntsAttr(node, "pads"), Ints({0, 0, 0, 0}));
  EXPECT_EQ(IntsAttr(node, "output_padding"), Ints({2, 0}));
}

TEST(ConvTransposeInferTest, AutoPadSameUpper) {
  Node node = MakeNode("ConvTranspose", 2,
                       {{"strides", Ints{2, 2}}, {"auto_pad", std::string("SAME_UPPER")}});
  EXPECT_EQ(*InferShape(node, {V({1, 4, 5, 5}), V({4, 2, 3, 3})}), Shape({1, 2, 10, 10}));
  EXPECT_EQ(IntsAttr(node, "pads"), Ints({0, 0, 1, 1}));
  EXPECT_EQ(StringAttr(node, "auto_pad"), "NOTSET");
}

TEST(ConvTransposeInferTest, OutputShapeNeedsStaticSpatialDims) {
  Node node = MakeNode("ConvTranspose", 2, {{"output_shape", Ints{10, 10}}});
  EXPECT_THAT(InferShape(node, {V({1, 4, kDyn, 5}), V({4, 2, 3, 3})}).status().message(),
              HasSubstr("output_shape needs static spatial dims"));
}

TEST(PoolInferTest, MaxPoolDynamicBatchAndIndices) {
  Node node = MakeNode("MaxPool", 1, {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}}, 2);
  auto out = Infer(node, {V({kDyn, 3, 32, 31})});
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ((*out)[0].shape, Shape({kDyn, 3, 16, 15}));
  EXPECT_EQ((*out)[1].dtype, DType::kI64);
  EXPECT_EQ((*out)[1].shape, Shape({kDyn, 3, 16, 15}));
  EXPECT_EQ(IntsAttr(node, "dilations"), Ints({1, 1}));
}

TEST(PoolInferTest, CeilMode) {
  std::map<std::string, Attribute> attrs = {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}};
  EXPECT_EQ(*testing::InferOp("MaxPool", {V({1, 1, 5, 5})}, attrs), Shape({1, 1, 2, 2}));
  attrs["ceil_mode"] = int64_t{1};
  EXPECT_EQ(*testing::InferOp("MaxPool", {V({1, 1, 5, 5})}, attrs), Shape({1, 1, 3, 3}));
  // ceil would give 3 but the third window would start in the end padding.
  attrs["pads"] = Ints{0, 0, 1, 1};
  EXPECT_EQ(*testing::InferOp("AveragePool", {V({1, 1, 4, 4})}, attrs), Shape({1, 1, 2, 2}));
}

TEST(PoolInferTest, AveragePoolSameUpperKeepsOpset13Form) {
  Node node = MakeNode("AveragePool", 1,
                       {{"kernel_shape", Ints{3, 3}},
                        {"strides", Ints{2, 2}},
                        {"auto_pad", std::string("SAME_UPPER")}});
  EXPECT_EQ(*InferShape(node, {V({1, 1, 5, 6})}), Shape({1, 1, 3, 3}));
  // H: total 2 -> 1/1; W: total 1 -> 0/1.
  EXPECT_EQ(IntsAttr(node, "pads"), Ints({1, 0, 1, 1}));
  EXPECT_FALSE(node.HasAttr("dilations"));
}

TEST(PoolInferTest, DilatedMaxPoolAndMissingKernel) {
  EXPECT_EQ(*testing::InferOp("MaxPool", {V({1, 1, 10, 10})},
                              {{"kernel_shape", Ints{3, 3}}, {"dilations", Ints{2, 2}}}),
            Shape({1, 1, 6, 6}));
  EXPECT_THAT(testing::InferOp("MaxPool", {V({1, 1, 10, 10})}).status().message(),
              HasSubstr("missing attribute 'kernel_shape'"));
}

TEST(PoolInferTest, GlobalPools) {
  EXPECT_EQ(*testing::InferOp("GlobalAveragePool", {V({kDyn, 8, 7, 7})}), Shape({kDyn, 8, 1, 1}));
  EXPECT_EQ(*testing::InferOp("GlobalMaxPool", {V({2, 8, 7})}), Shape({2, 8, 1}));
  EXPECT_FALSE(testing::InferOp("GlobalMaxPool", {V({2, 8})}).ok());
}

}  // namespace
}  // namespace fixpoint::ir
