// FoldBatchNormForward: BN -> (MaxPool)* -> unpadded Conv, and BN -> MaxPool
// -> Flatten -> Gemm (transB 0/1) fold exactly; negative scales, padded
// convs and shared values are left alone.
#include "core/transform/fold_batchnorm_forward.h"

#include <random>
#include <string>

#include "core/ir/shape_inference.h"
#include "tests/unit/transform/transform_test_util.h"

namespace fixpoint::transform {
namespace {

using ir::DType;
using ir::Shape;
using testing::CompareGraphs;
using testing::MakeNode;
using testing::OpCounts;
using testing::RandomF32;

// x[?,3,10,10] -> Conv(6,3x3,pad 1) -> Relu -> BN -> MaxPool 2 -> tail.
ir::Graph Head(std::mt19937& rng, float scale_lo) {
  ir::Graph g;
  g.name = "fwd";
  g.inputs.push_back({"x", DType::kF32, Shape{ir::kDynamicDim, 3, 10, 10}});
  g.initializers["w1"] = RandomF32(Shape{6, 3, 3, 3}, rng);
  g.initializers["s"] = RandomF32(Shape{6}, rng, scale_lo, 2.0f);
  g.initializers["B"] = RandomF32(Shape{6}, rng);
  g.initializers["mean"] = RandomF32(Shape{6}, rng);
  g.initializers["var"] = RandomF32(Shape{6}, rng, 0.5f, 2.0f);
  g.nodes.push_back(MakeNode("c1", "Conv", {"x", "w1"}, {"a"},
                             {{"kernel_shape", std::vector<int64_t>{3, 3}},
                              {"pads", std::vector<int64_t>{1, 1, 1, 1}}}));
  g.nodes.push_back(MakeNode("r", "Relu", {"a"}, {"r"}));
  g.nodes.push_back(MakeNode("bn", "BatchNormalization", {"r", "s", "B", "mean", "var"}, {"n"}));
  g.nodes.push_back(MakeNode("pool", "MaxPool", {"n"}, {"p"},
                             {{"kernel_shape", std::vector<int64_t>{2, 2}},
                              {"strides", std::vector<int64_t>{2, 2}}}));
  return g;
}

void ConvTail(ir::Graph& g, std::mt19937& rng, int64_t pad) {
  g.initializers["w2"] = RandomF32(Shape{4, 6, 3, 3}, rng);
  g.initializers["b2"] = RandomF32(Shape{4}, rng);
  g.nodes.push_back(MakeNode("c2", "Conv", {"p", "w2", "b2"}, {"y"},
                             {{"kernel_shape", std::vector<int64_t>{3, 3}},
                              {"pads", std::vector<int64_t>{pad, pad, pad, pad}}}));
  const int64_t out = 5 + 2 * pad - 2;
  g.outputs.push_back({"y", DType::kF32, Shape{ir::kDynamicDim, 4, out, out}});
}

void GemmTail(ir::Graph& g, std::mt19937& rng, bool trans_b) {
  g.nodes.push_back(MakeNode("flat", "Flatten", {"p"}, {"f"}, {{"axis", int64_t{1}}}));
  g.initializers["fc"] = RandomF32(trans_b ? Shape{7, 150} : Shape{150, 7}, rng);
  g.initializers["fcb"] = RandomF32(Shape{7}, rng);
  g.nodes.push_back(MakeNode("gemm", "Gemm", {"f", "fc", "fcb"}, {"y"},
                             {{"transB", int64_t{trans_b}}, {"beta", 0.5f}}));
  g.outputs.push_back({"y", DType::kF32, Shape{ir::kDynamicDim, 7}});
}

int Fold(ir::Graph& g) {
  EXPECT_TRUE(ir::InferShapes(g).ok());
  int folded = -1;
  EXPECT_TRUE(FoldBatchNormForward(g, &folded).ok());
  return folded;
}

TEST(FoldBatchNormForwardTest, IntoUnpaddedConvThroughMaxPool) {
  std::mt19937 rng(1);
  ir::Graph g = Head(rng, 0.1f);
  ConvTail(g, rng, 0);
  const ir::Graph before = g;
  EXPECT_EQ(Fold(g), 1);
  EXPECT_EQ(OpCounts(g).count("BatchNormalization"), 0u);
  EXPECT_LE(CompareGraphs(before, g, 7), 1e-5);
}

TEST(FoldBatchNormForwardTest, ThroughFlattenIntoGemm) {
  for (bool trans_b : {false, true}) {
    std::mt19937 rng(2);
    ir::Graph g = Head(rng, 0.1f);
    GemmTail(g, rng, trans_b);
    const ir::Graph before = g;
    EXPECT_EQ(Fold(g), 1) << trans_b;
    EXPECT_LE(CompareGraphs(before, g, 8), 1e-5) << trans_b;
  }
}

TEST(FoldBatchNormForwardTest, LeavesNegativeScalesPaddedConvsAndSharedValues) {
  std::mt19937 rng(3);
  ir::Graph negative = Head(rng, -1.0f);  // some scales < 0: MaxPool does not commute
  negative.initializers["s"].data<float>()[0] = -0.5f;
  ConvTail(negative, rng, 0);
  EXPECT_EQ(Fold(negative), 0);

  ir::Graph padded = Head(rng, 0.1f);
  ConvTail(padded, rng, 1);
  EXPECT_EQ(Fold(padded), 0);

  ir::Graph shared = Head(rng, 0.1f);
  ConvTail(shared, rng, 0);
  shared.outputs.push_back({"p", DType::kF32, Shape{ir::kDynamicDim, 6, 5, 5}});
  EXPECT_EQ(Fold(shared), 0);
}

}  // namespace
}  // namespace fixpoint::transform
