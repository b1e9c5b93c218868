// Shape inference of shape-manipulating and data-selecting ops.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

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

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

testing::ShapeResult Reshape(Shape in, Ints shape, int64_t allowzero = 0) {
  return InferOp("Reshape", {V(std::move(in))}, {{"shape", shape}, {"allowzero", allowzero}});
}

TEST(ReshapeInferTest, ZeroCopiesAndMinusOneInfers) {
  EXPECT_EQ(*Reshape({2, 3, 4}, {4, -1}), Shape({4, 6}));
  EXPECT_EQ(*Reshape({2, 3, 4}, {-1}), Shape({24}));
  EXPECT_EQ(*Reshape({2, 3, 4}, {0, 0, -1, 2}), Shape({2, 3, 2, 2}));
  EXPECT_EQ(*Reshape({2, 3}, {0, 3}), Shape({2, 3}));
}

TEST(ReshapeInferTest, DynamicBatch) {
  // The copied dynamic batch cancels out, so -1 is still known.
  EXPECT_EQ(*Reshape({kDyn, 3, 4}, {0, -1}), Shape({kDyn, 12}));
  EXPECT_EQ(*Reshape({kDyn, 3, 4}, {-1, 12}), Shape({kDyn, 12}));
  EXPECT_EQ(*Reshape({kDyn, 3, 4}, {2, -1}), Shape({2, kDyn}));
  EXPECT_EQ(*Reshape({kDyn, 3, 4}, {0, 3, 2, 2}), Shape({kDyn, 3, 2, 2}));
}

TEST(ReshapeInferTest, AllowZeroKeepsLiteralZero) {
  EXPECT_EQ(*Reshape({0, 3}, {0, 3}, 1), Shape({0, 3}));
  EXPECT_FALSE(Reshape({2, 3}, {0, 3}, 1).ok());
}

TEST(ReshapeInferTest, Errors) {
  EXPECT_THAT(Reshape({2, 3, 4}, {5, -1}).status().message(),
              HasSubstr("cannot reshape [2,3,4] to [5,-1]"));
  EXPECT_THAT(Reshape({2, 3, 4}, {-1, -1}).status().message(), HasSubstr("more than one -1"));
  EXPECT_FALSE(Reshape({2, 3}, {7}).ok());
  EXPECT_FALSE(Reshape({}, {0}).ok());
  EXPECT_FALSE(InferOp("Reshape", {V({2})}).ok());
}

TEST(FlattenInferTest, Axes) {
  EXPECT_EQ(*InferOp("Flatten", {V({kDyn, 3, 4, 5})}), Shape({kDyn, 60}));
  EXPECT_EQ(*InferOp("Flatten", {V({kDyn, 3, 4, 5})}, {{"axis", int64_t{-1}}}), Shape({kDyn, 5}));
  EXPECT_EQ(*InferOp("Flatten", {V({kDyn, 3})}, {{"axis", int64_t{0}}}), Shape({1, kDyn}));
  EXPECT_EQ(*InferOp("Flatten", {V({2, 3, 4, 5})}, {{"axis", int64_t{2}}}), Shape({6, 20}));
  EXPECT_EQ(*InferOp("Flatten", {V({2, 3})}, {{"axis", int64_t{2}}}), Shape({6, 1}));
  EXPECT_FALSE(InferOp("Flatten", {V({2, 3})}, {{"axis", int64_t{3}}}).ok());
}

TEST(SqueezeInferTest, SqueezeAndUnsqueeze) {
  EXPECT_EQ(*InferOp("Squeeze", {V({1, 3, 1, kDyn})}, {{"axes", Ints{0, -2}}}), Shape({3, kDyn}));
  EXPECT_EQ(*InferOp("Squeeze", {V({1, 3, 1, kDyn})}), Shape({3, kDyn}));
  EXPECT_THAT(InferOp("Squeeze", {V({2, 3})}, {{"axes", Ints{1}}}).status().message(),
              HasSubstr("cannot squeeze dim 1 of [2,3]"));
  EXPECT_EQ(*InferOp("Unsqueeze", {V({3, 4})}, {{"axes", Ints{0, -1}}}), Shape({1, 3, 4, 1}));
  EXPECT_EQ(*InferOp("Unsqueeze", {V({kDyn, 4})}, {{"axes", Ints{1}}}), Shape({kDyn, 1, 4}));
  EXPECT_EQ(*InferOp("Unsqueeze", {V({})}, {{"axes", Ints{0}}}), Shape({1}));
  EXPECT_FALSE(InferOp("Unsqueeze", {V({3})}, {{"axes", Ints{0, 0}}}).ok());
  EXPECT_FALSE(InferOp("Unsqueeze", {V({3})}).ok());
}

TEST(TransposeInferTest, PermAndDefault) {
  EXPECT_EQ(*InferOp("Transpose", {V({2, 3, 4})}), Shape({4, 3, 2}));
  EXPECT_EQ(*InferOp("Transpose", {V({kDyn, 3, 4})}, {{"perm", Ints{0, 2, 1}}}),
            Shape({kDyn, 4, 3}));
  EXPECT_THAT(InferOp("Transpose", {V({2, 3, 4})}, {{"perm", Ints{0, 0, 1}}}).status().message(),
              HasSubstr("perm [0,0,1] is not a permutation of 3 axes"));
}

TEST(ConcatInferTest, AxisAndDynamicDims) {
  std::map<std::string, Attribute> axis1 = {{"axis", int64_t{1}}};
  EXPECT_EQ(*InferOp("Concat", {V({kDyn, 3}), V({kDyn, 5})}, axis1), Shape({kDyn, 8}));
  EXPECT_EQ(*InferOp("Concat", {V({kDyn, 3}), V({kDyn, 5}), V({kDyn, 1})}, {{"axis", int64_t{-1}}}),
            Shape({kDyn, 9}));
  EXPECT_EQ(*InferOp("Concat", {V({2, 3}), V({kDyn, 3})}, {{"axis", int64_t{0}}}),
            Shape({kDyn, 3}));
  EXPECT_EQ(*InferOp("Concat", {V({kDyn, 3}), V({4, 5})}, axis1), Shape({4, 8}));
  EXPECT_THAT(InferOp("Concat", {V({2, 3}), V({2, 4})}, {{"axis", int64_t{0}}}).status().message(),
              HasSubstr("input 1 shape [2,4] differs from [2,3] outside axis 0"));
  EXPECT_FALSE(InferOp("Concat", {V({2, 3}), V({2, 3, 1})}, axis1).ok());
  EXPECT_FALSE(InferOp("Concat", {V({2, 3})}).ok());
}

testing::ShapeResult Slice(Shape in, Ints starts, Ints ends, Ints axes = {}, Ints steps = {}) {
  std::map<std::string, Attribute> attrs = {{"starts", starts}, {"ends", ends}};
  if (!axes.empty()) attrs["axes"] = axes;
  if (!steps.empty()) attrs["steps"] = steps;
  return InferOp("Slice", {V(std::move(in))}, attrs);
}

TEST(SliceInferTest, ClampingAndNegativeIndices) {
  EXPECT_EQ(*Slice({10}, {2}, {kMax}), Shape({8}));
  EXPECT_EQ(*Slice({10}, {-3}, {kMax}), Shape({3}));
  EXPECT_EQ(*Slice({10}, {0}, {-1}), Shape({9}));
  EXPECT_EQ(*Slice({10}, {kMin}, {100}), Shape({10}));
  EXPECT_EQ(*Slice({10}, {5}, {2}), Shape({0}));
  EXPECT_EQ(*Slice({10}, {1}, {100}, {0}, {3}), Shape({3}));
  EXPECT_EQ(*Slice({10}, {0}, {kMax}, {0}, {3}), Shape({4}));
  EXPECT_EQ(*Slice({7}, {1}, {6}, {0}, {2}), Shape({3}));
}

TEST(SliceInferTest, NegativeSteps) {
  EXPECT_EQ(*Slice({10}, {-1}, {kMin}, {0}, {-1}), Shape({10}));
  EXPECT_EQ(*Slice({10}, {8}, {1}, {0}, {-2}), Shape({4}));
  EXPECT_EQ(*Slice({10}, {kMax}, {kMin}, {0}, {kMin}), Shape({1}));
  EXPECT_EQ(*Slice({10}, {1}, {8}, {0}, {-1}), Shape({0}));
  EXPECT_EQ(*Slice({10}, {100}, {-100}, {0}, {-3}), Shape({4}));
}

TEST(SliceInferTest, AxesStepsAndDynamicDims) {
  EXPECT_EQ(*Slice({kDyn, 8, 8}, {0, 2}, {4, kMax}, {1, -1}, {1, 2}), Shape({kDyn, 4, 3}));
  EXPECT_EQ(*Slice({kDyn, 8}, {1}, {3}), Shape({kDyn, 8}));
  EXPECT_THAT(Slice({10}, {0}, {5}, {0}, {0}).status().message(), HasSubstr("steps[0] is 0"));
  EXPECT_FALSE(Slice({10, 10}, {0, 0}, {5, 5}, {1, -1}).ok());
  EXPECT_FALSE(Slice({10}, {0}, {5, 6}).ok());
}

TEST(GatherInferTest, OutputShape) {
  EXPECT_EQ(*InferOp("Gather", {V({kDyn, 5, 6}), V({2, 3}, DType::kI64)}, {{"axis", int64_t{1}}}),
            Shape({kDyn, 2, 3, 6}));
  EXPECT_EQ(*InferOp("Gather", {V({5, 6}), V({}, DType::kI32)}), Shape({6}));
  EXPECT_EQ(*InferOp("Gather", {V({5, 6}), V({4}, DType::kI64)}, {{"axis", int64_t{-1}}}),
            Shape({5, 4}));
  EXPECT_FALSE(InferOp("Gather", {V({5, 6}), V({4})}).ok());
}

TEST(GatherInferTest, ConstantIndicesOutOfRange) {
  Node node = MakeNode("Gather", 2);
  Tensor indices = Tensor::FromI64(Shape({2}), std::vector<int64_t>{1, 5});
  auto out = Infer(node, {V({5, 6}), V({2}, DType::kI64)}, {nullptr, &indices});
  EXPECT_THAT(out.status().message(), HasSubstr("index 5 is out of range for axis of size 5"));
}

TEST(SplitInferTest, EqualAndExplicitParts) {
  Node node = MakeNode("Split", 1, {{"axis", int64_t{1}}}, 3);
  auto out = Infer(node, {V({kDyn, 6})});
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->size(), 3u);
  for (const ValueInfo& v : *out) EXPECT_EQ(v.shape, Shape({kDyn, 2}));
  EXPECT_EQ((*out)[2].name, "out2");

  Node parts = MakeNode("Split", 1, {{"axis", int64_t{-1}}, {"split", Ints{1, 5}}}, 2);
  out = Infer(parts, {V({kDyn, 6})});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].shape, Shape({kDyn, 1}));
  EXPECT_EQ((*out)[1].shape, Shape({kDyn, 5}));

  Node dynamic = MakeNode("Split", 1, {}, 2);
  out = Infer(dynamic, {V({kDyn, 6})});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[1].shape, Shape({kDyn, 6}));
}

TEST(SplitInferTest, Errors) {
  Node uneven = MakeNode("Split", 1, {}, 4);
  EXPECT_THAT(Infer(uneven, {V({6})}).status().message(), HasSubstr("does not split into 4"));
  Node sum = MakeNode("Split", 1, {{"split", Ints{2, 2}}}, 2);
  EXPECT_THAT(Infer(sum, {V({6})}).status().message(), HasSubstr("split sizes sum to 4"));
  Node count = MakeNode("Split", 1, {{"split", Ints{6}}}, 2);
  EXPECT_FALSE(Infer(count, {V({6})}).ok());
}

TEST(PadInferTest, PadsAndCrops) {
  EXPECT_EQ(*InferOp("Pad", {V({kDyn, 3, 4})}, {{"pads", Ints{0, 0, 1, 0, 1, 2}}}),
            Shape({kDyn, 4, 7}));
  EXPECT_EQ(
      *InferOp("Pad", {V({2, 4})}, {{"pads", Ints{0, -1, 0, -1}}, {"mode", std::string("edge")}}),
      Shape({2, 2}));
  EXPECT_FALSE(InferOp("Pad", {V({2, 4})}, {{"pads", Ints{0, 1}}}).ok());
  EXPECT_FALSE(
      InferOp("Pad", {V({2})}, {{"pads", Ints{0, 1}}, {"mode", std::string("wrap")}}).ok());
  EXPECT_FALSE(InferOp("Pad", {V({2})}, {{"pads", Ints{-2, -1}}}).ok());
}

TEST(ExpandTileInferTest, Shapes) {
  EXPECT_EQ(*InferOp("Expand", {V({3, 1})}, {{"shape", Ints{2, 1, 4}}}), Shape({2, 3, 4}));
  EXPECT_EQ(*InferOp("Expand", {V({kDyn, 1})}, {{"shape", Ints{1, 5}}}), Shape({kDyn, 5}));
  EXPECT_FALSE(InferOp("Expand", {V({3, 2})}, {{"shape", Ints{4}}}).ok());
  EXPECT_EQ(*InferOp("Tile", {V({kDyn, 2})}, {{"repeats", Ints{2, 3}}}), Shape({kDyn, 6}));
  EXPECT_FALSE(InferOp("Tile", {V({2, 2})}, {{"repeats", Ints{2}}}).ok());
}

TEST(ResizeInferTest, ScalesAndSizes) {
  EXPECT_EQ(
      *InferOp("Resize", {V({kDyn, 3, 4, 5})}, {{"scales", std::vector<float>{1, 1, 2, 1.5f}}}),
      Shape({kDyn, 3, 8, 7}));
  EXPECT_EQ(*InferOp("Resize", {V({kDyn, 3, 4, 5})},
                     {{"sizes", Ints{1, 3, 10, 10}}, {"mode", std::string("linear")}}),
            Shape({1, 3, 10, 10}));
  EXPECT_FALSE(InferOp("Resize", {V({1, 3, 4, 5})}).ok());
  EXPECT_FALSE(InferOp("Resize", {V({1, 2})}, {{"scales", std::vector<float>{1}}}).ok());
  EXPECT_EQ(InferOp("Resize", {V({1, 2})},
                    {{"scales", std::vector<float>{1, 2}}, {"mode", std::string("cubic")}})
                .status()
                .code(),
            absl::StatusCode::kUnimplemented);
}

TEST(ShapeSizeInferTest, ShapeStartEndAndSize) {
  Node node = MakeNode("Shape", 1);
  auto out = Infer(node, {V({kDyn, 3, 4})});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].dtype, DType::kI64);
  EXPECT_EQ((*out)[0].shape, Shape({3}));
  EXPECT_EQ(*InferOp("Shape", {V({kDyn, 3, 4})}, {{"start", int64_t{1}}}), Shape({2}));
  EXPECT_EQ(*InferOp("Shape", {V({kDyn, 3, 4})}, {{"end", int64_t{-1}}}), Shape({2}));
  EXPECT_EQ(*InferOp("Shape", {V({kDyn, 3, 4})}, {{"start", int64_t{-10}}, {"end", int64_t{10}}}),
            Shape({3}));
  EXPECT_EQ(*InferOp("Shape", {V({kDyn, 3, 4})}, {{"start", int64_t{2}}, {"end", int64_t{1}}}),
            Shape({0}));
  Node size = MakeNode("Size", 1);
  out = Infer(size, {V({kDyn, 3})});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].dtype, DType::kI64);
  EXPECT_EQ((*out)[0].shape, Shape());
}

TEST(ConstantOfShapeInferTest, ValueDType) {
  Node node = MakeNode(
      "ConstantOfShape", 0,
      {{"shape", Ints{2, 3}}, {"value", Tensor::FromI64(Shape({1}), std::vector<int64_t>{7})}});
  auto out = Infer(node, {});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].dtype, DType::kI64);
  EXPECT_EQ((*out)[0].shape, Shape({2, 3}));
  Node dflt = MakeNode("ConstantOfShape", 0, {{"shape", Ints{}}});
  out = Infer(dflt, {});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].dtype, DType::kF32);
  EXPECT_EQ((*out)[0].shape, Shape());
}

TEST(DepthSpaceInferTest, BothDirections) {
  std::map<std::string, Attribute> b2 = {{"blocksize", int64_t{2}}};
  EXPECT_EQ(*InferOp("DepthToSpace", {V({kDyn, 8, 3, 4})}, b2), Shape({kDyn, 2, 6, 8}));
  EXPECT_FALSE(InferOp("DepthToSpace", {V({1, 6, 3, 4})}, b2).ok());
  EXPECT_EQ(*InferOp("SpaceToDepth", {V({kDyn, 2, 6, 8})}, b2), Shape({kDyn, 8, 3, 4}));
  EXPECT_THAT(InferOp("SpaceToDepth", {V({1, 2, 5, 8})}, b2).status().message(),
              HasSubstr("dim 2 of [1,2,5,8] is not divisible by 2"));
}

}  // namespace
}  // namespace fixpoint::ir
