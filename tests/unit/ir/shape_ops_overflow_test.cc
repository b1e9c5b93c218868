// Dims that overflow int64 or exceed the 2^40 element limit in the ops of
// infer_shape_ops.cc (Reshape, Flatten, Tile, Expand, ConstantOfShape,
// DepthToSpace, SpaceToDepth): INVALID_ARGUMENT naming the node, op and dim;
// large shapes within the limit still infer.
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
using Ints = std::vector<int64_t>;

constexpr int64_t k20 = int64_t{1} << 20;
constexpr int64_t k21 = int64_t{1} << 21;
constexpr int64_t k32 = int64_t{1} << 32;
constexpr int64_t k40 = int64_t{1} << 40;
constexpr int64_t k62 = int64_t{1} << 62;

void ExpectInvalid(const absl::Status& status, const std::string& message) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_EQ(std::string(status.message()), message);
}

testing::ShapeResult Reshape(Shape in, Ints shape, int64_t allowzero = 0) {
  return InferOp("Reshape", {V(std::move(in))}, {{"shape", shape}, {"allowzero", allowzero}});
}

TEST(ReshapeOverflowTest, TargetProductIsChecked) {
  ExpectInvalid(Reshape({8}, {k40, 2}).status(),
                "Reshape 'n': attribute 'shape' up to shape[1]: 1099511627776 x 2 is more than "
                "2^40 (the element limit of a tensor)");
  // The fuzzer's reproducer: the product used to wrap around.
  ExpectInvalid(Reshape({8}, {k62, 4, -1}).status(),
                "Reshape 'n': attribute 'shape' up to shape[0]: 1 x 4611686018427387904 is more "
                "than 2^40 (the element limit of a tensor)");
  // 2^32 x 2^32 wraps to exactly 0, which used to match an empty input.
  ExpectInvalid(Reshape({0}, {k32, k32, 0}, 1).status(),
                "Reshape 'n': attribute 'shape' up to shape[1]: 4294967296 x 4294967296 is more "
                "than 2^40 (the element limit of a tensor)");
}

TEST(ReshapeOverflowTest, LargeValidShapes) {
  EXPECT_EQ(*Reshape({k20, k20}, {-1}), Shape({k40}));
  EXPECT_EQ(*Reshape({k40}, {k20, k20}), Shape({k20, k20}));
  EXPECT_EQ(*Reshape({kDyn, k40}, {0, k20, -1}), Shape({kDyn, k20, k20}));
}

TEST(FlattenOverflowTest, InputsBeyondTheLimitAreRefused) {
  ExpectInvalid(InferOp("Flatten", {V({k21, k21})}).status(),
                "Flatten 'n': input 0 ('in0') shape [2097152,2097152] has more than 2^40 "
                "elements (dims 0..1 multiply to 4398046511104)");
  EXPECT_EQ(*InferOp("Flatten", {V({k20, 2, k20 / 2})}), Shape({k20, k20}));
  EXPECT_EQ(*InferOp("Flatten", {V({2, k20, k20 / 2})}, {{"axis", int64_t{3}}}), Shape({k40, 1}));
}

TEST(TileOverflowTest, RepeatsTimesDim) {
  ExpectInvalid(InferOp("Tile", {V({k20})}, {{"repeats", Ints{k21}}}).status(),
                "Tile 'n': output dim 0: 1048576 x 2097152 is more than 2^40 (the element limit "
                "of a tensor)");
  ExpectInvalid(InferOp("Tile", {V({3, 4})}, {{"repeats", Ints{1, k62}}}).status(),
                "Tile 'n': output dim 1: 4 x 4611686018427387904 is more than 2^40 (the element "
                "limit of a tensor)");
  EXPECT_EQ(*InferOp("Tile", {V({k20})}, {{"repeats", Ints{k20}}}), Shape({k40}));
  EXPECT_EQ(*InferOp("Tile", {V({kDyn, 2})}, {{"repeats", Ints{k62, 0}}}), Shape({kDyn, 0}));
}

TEST(ExpandOverflowTest, OutputBeyondTheLimit) {
  ExpectInvalid(InferOp("Expand", {V({1})}, {{"shape", Ints{1 << 30, 1 << 30, 1 << 30}}}).status(),
                "Expand 'n': output 0 ('out0') shape [1073741824,1073741824,1073741824] has more "
                "than 2^40 elements (dims 0..1 multiply to 1152921504606846976)");
  EXPECT_EQ(*InferOp("Expand", {V({kDyn, 1})}, {{"shape", Ints{1, k40}}}), Shape({kDyn, k40}));
}

TEST(ConstantOfShapeOverflowTest, ShapeBeyondTheLimit) {
  Node node = MakeNode("ConstantOfShape", 0, {{"shape", Ints{k62, 4}}});
  ExpectInvalid(Infer(node, {}).status(),
                "ConstantOfShape 'n': output 0 ('out0') shape [4611686018427387904,4] has more "
                "than 2^40 elements (dims 0..0 multiply to 4611686018427387904)");
  Node large = MakeNode("ConstantOfShape", 0, {{"shape", Ints{k20, k20}}});
  auto out = Infer(large, {});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].shape, Shape({k20, k20}));
}

TEST(DepthSpaceOverflowTest, BlocksizeProducts) {
  std::map<std::string, Attribute> huge = {{"blocksize", k21}};
  ExpectInvalid(InferOp("DepthToSpace", {V({1, 4, 2, 2})}, huge).status(),
                "DepthToSpace 'n': blocksize x blocksize: 2097152 x 2097152 is more than 2^40 "
                "(the element limit of a tensor)");
  std::map<std::string, Attribute> b20 = {{"blocksize", k20}};
  // Zero channels divide by any blocksize; the spatial dims still grow.
  ExpectInvalid(InferOp("DepthToSpace", {V({1, 0, k21, 1})}, b20).status(),
                "DepthToSpace 'n': output dim 2: 2097152 x 1048576 is more than 2^40 (the element "
                "limit of a tensor)");
  ExpectInvalid(
      InferOp("SpaceToDepth", {V({1, k40 / 2, 0, 0})}, {{"blocksize", int64_t{2}}}).status(),
      "SpaceToDepth 'n': output dim 1: 549755813888 x 4 is more than 2^40 (the element "
      "limit of a tensor)");
  std::map<std::string, Attribute> b2 = {{"blocksize", int64_t{2}}};
  EXPECT_EQ(*InferOp("DepthToSpace", {V({1, 4, k20, k20 / 4})}, b2), Shape({1, 1, k21, k20 / 2}));
  EXPECT_EQ(*InferOp("SpaceToDepth", {V({1, k20 / 4, k20, 4})}, b2), Shape({1, k20, k20 / 2, 2}));
}

}  // namespace
}  // namespace fixpoint::ir
