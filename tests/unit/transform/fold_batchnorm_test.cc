#include "core/transform/fold_batchnorm.h"

#include <cstring>
#include <ostream>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "core/transform/fuse_activations.h"
#include "gtest/gtest.h"
#include "tests/unit/transform/transform_test_util.h"

namespace fixpoint::transform {
namespace {

using testing::CompareGraphs;
using testing::MakeNode;
using testing::RandomF32;

constexpr double kTolerance = 1e-5;

// Adds BN(x) -> y with random parameters over `channels` (scale of both
// signs, epsilon 1e-3 so that a wrong default would show).
void AddBatchNorm(ir::Graph& g, const std::string& x, const std::string& y, int64_t channels,
                  std::mt19937& rng, const std::string& prefix = "bn") {
  g.initializers[prefix + "_scale"] = RandomF32({channels}, rng, -1.5f, 1.5f);
  g.initializers[prefix + "_B"] = RandomF32({channels}, rng);
  g.initializers[prefix + "_mean"] = RandomF32({channels}, rng);
  g.initializers[prefix + "_var"] = RandomF32({channels}, rng, 0.05f, 2.0f);
  g.nodes.push_back(
      MakeNode(prefix, "BatchNormalization",
               {x, prefix + "_scale", prefix + "_B", prefix + "_mean", prefix + "_var"}, {y},
               {{"epsilon", 1e-3f}}));
}

struct ConvCase {
  std::string name;
  std::string op;  // Conv or ConvTranspose
  int spatial;     // 1, 2 or 3
  int64_t cin, cout, group;
  bool bias;
};

// x[?, cin, 5...] -> op(x, W, [b]) -> h -> BN -> y -> Relu -> z.
ir::Graph ConvBnGraph(const ConvCase& c, uint32_t seed) {
  std::mt19937 rng(seed);
  ir::Graph g;
  g.name = c.name;
  std::vector<int64_t> x_dims = {ir::kDynamicDim, c.cin};
  std::vector<int64_t> w_dims = c.op == "Conv" ? std::vector<int64_t>{c.cout, c.cin / c.group}
                                               : std::vector<int64_t>{c.cin, c.cout / c.group};
  std::vector<int64_t> pads, strides;
  for (int k = 0; k < c.spatial; ++k) {
    x_dims.push_back(5);
    w_dims.push_back(3);
    pads.insert(pads.begin() + k, 1);  // begins then ends
    pads.push_back(k % 2);
    strides.push_back(k == 0 ? 2 : 1);
  }
  g.inputs.push_back({"x", ir::DType::kF32, ir::Shape(x_dims)});
  g.outputs.push_back({"z", ir::DType::kF32, {}});
  g.initializers["W"] = RandomF32(ir::Shape(w_dims), rng);
  std::vector<std::string> ins = {"x", "W"};
  if (c.bias) {
    g.initializers["b"] = RandomF32({c.cout}, rng);
    ins.push_back("b");
  }
  g.nodes.push_back(MakeNode("conv", c.op, ins, {"h"},
                             {{"group", c.group}, {"pads", pads}, {"strides", strides}}));
  AddBatchNorm(g, "h", "y", c.cout, rng);
  g.nodes.push_back(MakeNode("relu", "Relu", {"y"}, {"z"}));
  return g;
}

void PrintTo(const ConvCase& c, std::ostream* os) { *os << c.name; }

class FoldBatchNormConvTest : public ::testing::TestWithParam<ConvCase> {};

TEST_P(FoldBatchNormConvTest, FoldsIntoProducerAndKeepsOutputs) {
  const ir::Graph before = ConvBnGraph(GetParam(), 7);
  ir::Graph after = before;
  int folded = 0;
  ASSERT_TRUE(FoldBatchNorm(after, &folded).ok());
  EXPECT_EQ(folded, 1);
  ASSERT_EQ(after.nodes.size(), 2u);
  const ir::Node& conv = after.nodes[0];
  EXPECT_EQ(conv.op_type, GetParam().op);
  EXPECT_EQ(conv.name, "conv");
  EXPECT_EQ(conv.outputs, std::vector<std::string>{"y"});  // the BN's output name is kept
  ASSERT_EQ(conv.inputs.size(), 3u);
  EXPECT_EQ(conv.inputs[0], "x");
  EXPECT_NE(conv.inputs[1], "W");
  ASSERT_NE(after.FindInitializer(conv.inputs[1]), nullptr);
  ASSERT_NE(after.FindInitializer(conv.inputs[2]), nullptr);
  EXPECT_EQ(after.FindInitializer(conv.inputs[1])->shape(), before.initializers.at("W").shape());
  EXPECT_EQ(after.FindInitializer(conv.inputs[2])->shape(), ir::Shape({GetParam().cout}));
  EXPECT_EQ(after.nodes[1].op_type, "Relu");
  // The old weights and BN parameters are unread, so gone.
  EXPECT_EQ(after.initializers.size(), 2u);
  EXPECT_LE(CompareGraphs(before, after, 11), kTolerance);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, FoldBatchNormConvTest,
    ::testing::Values(ConvCase{"conv2d", "Conv", 2, 3, 4, 1, true},
                      ConvCase{"conv2d_nobias", "Conv", 2, 3, 4, 1, false},
                      ConvCase{"conv2d_group2", "Conv", 2, 4, 6, 2, true},
                      ConvCase{"depthwise", "Conv", 2, 6, 6, 6, false},
                      ConvCase{"depthwise_x2", "Conv", 2, 3, 6, 3, true},
                      ConvCase{"conv1d", "Conv", 1, 3, 5, 1, true},
                      ConvCase{"conv3d_group", "Conv", 3, 4, 4, 2, false},
                      ConvCase{"convt2d", "ConvTranspose", 2, 3, 4, 1, true},
                      ConvCase{"convt2d_nobias", "ConvTranspose", 2, 3, 5, 1, false},
                      ConvCase{"convt2d_group2", "ConvTranspose", 2, 4, 6, 2, true},
                      ConvCase{"convt2d_group3", "ConvTranspose", 2, 6, 3, 3, false},
                      ConvCase{"convt1d", "ConvTranspose", 1, 2, 3, 1, true},
                      ConvCase{"convt3d_group", "ConvTranspose", 3, 4, 6, 2, true}),
    [](const auto& info) { return info.param.name; });

struct GemmCase {
  std::string name;
  int64_t trans_b;
  std::vector<int64_t> c_dims;  // shape of C when has_c ({} = scalar)
  bool has_c;
  float alpha, beta;
};

// a[?, 6] -> Gemm(a, B, [C]) -> h[?, 5] -> BN -> y.
ir::Graph GemmBnGraph(const GemmCase& c, uint32_t seed) {
  std::mt19937 rng(seed);
  ir::Graph g;
  g.inputs.push_back({"a", ir::DType::kF32, ir::Shape({ir::kDynamicDim, 6})});
  g.outputs.push_back({"y", ir::DType::kF32, {}});
  g.initializers["B"] = RandomF32(c.trans_b ? ir::Shape({5, 6}) : ir::Shape({6, 5}), rng);
  std::vector<std::string> ins = {"a", "B"};
  if (c.has_c) {
    g.initializers["C"] = RandomF32(ir::Shape(c.c_dims), rng);
    ins.push_back("C");
  }
  g.nodes.push_back(MakeNode("gemm", "Gemm", ins, {"h"},
                             {{"transB", c.trans_b}, {"alpha", c.alpha}, {"beta", c.beta}}));
  AddBatchNorm(g, "h", "y", 5, rng);
  return g;
}

void PrintTo(const GemmCase& c, std::ostream* os) { *os << c.name; }

class FoldBatchNormGemmTest : public ::testing::TestWithParam<GemmCase> {};

TEST_P(FoldBatchNormGemmTest, FoldsIntoGemmAndKeepsOutputs) {
  const ir::Graph before = GemmBnGraph(GetParam(), 3);
  ir::Graph after = before;
  int folded = 0;
  ASSERT_TRUE(FoldBatchNorm(after, &folded).ok());
  EXPECT_EQ(folded, 1);
  ASSERT_EQ(after.nodes.size(), 1u);
  const ir::Node& gemm = after.nodes[0];
  EXPECT_EQ(gemm.op_type, "Gemm");
  EXPECT_EQ(gemm.outputs, std::vector<std::string>{"y"});
  ASSERT_EQ(gemm.inputs.size(), 3u);
  EXPECT_EQ(after.FindInitializer(gemm.inputs[2])->shape(), ir::Shape({5}));
  EXPECT_EQ(std::get<float>(gemm.attrs.at("beta")), 1.0f);
  EXPECT_EQ(std::get<float>(gemm.attrs.at("alpha")), GetParam().alpha);
  EXPECT_EQ(after.initializers.size(), 2u);
  EXPECT_LE(CompareGraphs(before, after, 5, 2, 3), kTolerance);
}

INSTANTIATE_TEST_SUITE_P(
    Layouts, FoldBatchNormGemmTest,
    ::testing::Values(GemmCase{"transB0_biasN", 0, {5}, true, 1.0f, 1.0f},
                      GemmCase{"transB1_biasN", 1, {5}, true, 1.0f, 1.0f},
                      GemmCase{"transB0_nobias", 0, {}, false, 1.0f, 1.0f},
                      GemmCase{"transB1_row_alpha_beta", 1, {1, 5}, true, 0.5f, -2.0f},
                      GemmCase{"transB0_scalar_beta", 0, {}, true, 1.5f, 0.25f},
                      GemmCase{"transB1_one_beta0", 1, {1, 1}, true, 1.0f, 0.0f}),
    [](const auto& info) { return info.param.name; });

TEST(FoldBatchNormTest, GemmBiasPerRowIsNotFolded) {
  ir::Graph g = GemmBnGraph({"rows", 0, {3, 1}, true, 1.0f, 1.0f}, 1);
  g.inputs[0].shape = ir::Shape({3, 6});
  int folded = -1;
  ASSERT_TRUE(FoldBatchNorm(g, &folded).ok());
  EXPECT_EQ(folded, 0);
  EXPECT_EQ(g.nodes.size(), 2u);
}

// Conv weights shared with a second Conv: the fold writes new initializers
// and leaves the shared ones (and the other Conv's output) as they were.
TEST(FoldBatchNormTest, SharedWeightsAreNotMutated) {
  ir::Graph before = ConvBnGraph({"shared", "Conv", 2, 3, 4, 1, true}, 9);
  before.nodes.push_back(MakeNode(
      "conv2", "Conv", {"x", "W", "b"}, {"h2"},
      {{"pads", std::vector<int64_t>{1, 1, 0, 1}}, {"strides", std::vector<int64_t>{2, 1}}}));
  before.outputs.push_back({"h2", ir::DType::kF32, {}});
  const ir::Tensor w_copy = before.initializers.at("W");
  ir::Graph after = before;
  int folded = 0;
  ASSERT_TRUE(FoldBatchNorm(after, &folded).ok());
  EXPECT_EQ(folded, 1);
  ASSERT_EQ(after.nodes.size(), 3u);
  EXPECT_NE(after.nodes[0].inputs[1], "W");
  EXPECT_EQ(after.nodes[2].inputs, (std::vector<std::string>{"x", "W", "b"}));
  const ir::Tensor& w = after.initializers.at("W");
  ASSERT_EQ(w.ByteSize(), w_copy.ByteSize());
  EXPECT_EQ(std::memcmp(w.raw(), w_copy.raw(), w.ByteSize()), 0);
  EXPECT_EQ(after.initializers.count("bn_scale"), 0u);
  EXPECT_LE(CompareGraphs(before, after, 2), kTolerance);
}

void ExpectUnchanged(ir::Graph g) {
  const size_t nodes = g.nodes.size(), inits = g.initializers.size();
  int folded = -1;
  ASSERT_TRUE(FoldBatchNorm(g, &folded).ok());
  EXPECT_EQ(folded, 0);
  EXPECT_EQ(g.nodes.size(), nodes);
  EXPECT_EQ(g.initializers.size(), inits);
  int bns = 0;
  for (const ir::Node& n : g.nodes) bns += n.op_type == "BatchNormalization";
  EXPECT_EQ(bns, 1);
}

TEST(FoldBatchNormTest, ProducerWithAnotherReaderIsNotFolded) {
  ir::Graph g = ConvBnGraph({"two_readers", "Conv", 2, 3, 4, 1, true}, 1);
  g.nodes.push_back(MakeNode("side", "Relu", {"h"}, {"side_out"}));
  g.outputs.push_back({"side_out", ir::DType::kF32, {}});
  ExpectUnchanged(g);
}

TEST(FoldBatchNormTest, ProducerOutputThatIsAGraphOutputIsNotFolded) {
  ir::Graph g = ConvBnGraph({"graph_out", "Conv", 2, 3, 4, 1, true}, 1);
  g.outputs.push_back({"h", ir::DType::kF32, {}});
  ExpectUnchanged(g);
}

TEST(FoldBatchNormTest, ProducerWithFusedActivationIsNotFolded) {
  ir::Graph g = ConvBnGraph({"fused", "Conv", 2, 3, 4, 1, true}, 1);
  g.nodes[0].attrs[kFusedActivation] = std::string("Relu");
  ExpectUnchanged(g);
}

TEST(FoldBatchNormTest, RuntimeWeightsAreNotFolded) {
  ir::Graph g = ConvBnGraph({"runtime_w", "Conv", 2, 3, 4, 1, true}, 1);
  g.inputs.push_back({"W", ir::DType::kF32, g.initializers.at("W").shape()});
  g.initializers.erase("W");
  ExpectUnchanged(g);
}

TEST(FoldBatchNormTest, RuntimeBatchNormParametersAreNotFolded) {
  ir::Graph g = ConvBnGraph({"runtime_mean", "Conv", 2, 3, 4, 1, true}, 1);
  g.inputs.push_back({"bn_mean", ir::DType::kF32, ir::Shape({4})});
  g.initializers.erase("bn_mean");
  ExpectUnchanged(g);
}

TEST(FoldBatchNormTest, TrainingModeIsNotFolded) {
  ir::Graph g = ConvBnGraph({"training", "Conv", 2, 3, 4, 1, true}, 1);
  g.nodes[1].attrs["training_mode"] = int64_t{1};
  ExpectUnchanged(g);
}

// BN after a Relu (seed_cnn's pattern) or on a graph input: no foldable
// producer; left as is, outputs untouched.
TEST(FoldBatchNormTest, BatchNormWithoutFoldableProducerIsLeft) {
  ir::Graph g = ConvBnGraph({"after_relu", "Conv", 2, 3, 4, 1, true}, 1);
  g.nodes[0].outputs[0] = "h0";
  g.nodes.insert(g.nodes.begin() + 1, MakeNode("relu0", "Relu", {"h0"}, {"h"}));
  ExpectUnchanged(g);

  std::mt19937 rng(4);
  ir::Graph on_input;
  on_input.inputs.push_back({"x", ir::DType::kF32, ir::Shape({2, 3, 4})});
  on_input.outputs.push_back({"y", ir::DType::kF32, {}});
  AddBatchNorm(on_input, "x", "y", 3, rng);
  ExpectUnchanged(on_input);
}

TEST(FoldBatchNormTest, MatMulIsNotAProducerWeFold) {
  std::mt19937 rng(4);
  ir::Graph g;
  g.inputs.push_back({"a", ir::DType::kF32, ir::Shape({2, 6})});
  g.outputs.push_back({"y", ir::DType::kF32, {}});
  g.initializers["B"] = RandomF32({6, 5}, rng);
  g.nodes.push_back(MakeNode("mm", "MatMul", {"a", "B"}, {"h"}));
  AddBatchNorm(g, "h", "y", 5, rng);
  ExpectUnchanged(g);
}

TEST(FoldBatchNormTest, ChannelCountMismatchIsNotFolded) {
  ir::Graph g = ConvBnGraph({"mismatch", "Conv", 2, 3, 4, 1, true}, 1);
  std::mt19937 rng(4);
  for (const char* p : {"bn_scale", "bn_B", "bn_mean", "bn_var"}) {
    g.initializers[p] = RandomF32({3}, rng, 0.5f, 1.0f);
  }
  ExpectUnchanged(g);
}

TEST(FoldBatchNormTest, BadEpsilonKindIsAnError) {
  ir::Graph g = ConvBnGraph({"bad_eps", "Conv", 2, 3, 4, 1, true}, 1);
  g.nodes[1].attrs["epsilon"] = std::string("tiny");
  absl::Status s = FoldBatchNorm(g);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find("bn"), std::string::npos) << s;
}

// Two BNs in a chain Conv -> BN -> BN: the second folds into the Conv that
// now produces the first BN's output.
TEST(FoldBatchNormTest, ChainedBatchNormsBothFold) {
  std::mt19937 rng(21);
  ir::Graph before = ConvBnGraph({"chain", "Conv", 2, 3, 4, 1, true}, 21);
  before.nodes[2].inputs[0] = "y2";  // Relu now reads the second BN
  AddBatchNorm(before, "y", "y2", 4, rng, "bn2");
  std::swap(before.nodes[2], before.nodes[3]);  // topological order: bn2 before relu
  ir::Graph after = before;
  int folded = 0;
  ASSERT_TRUE(FoldBatchNorm(after, &folded).ok());
  EXPECT_EQ(folded, 2);
  ASSERT_EQ(after.nodes.size(), 2u);
  EXPECT_EQ(after.nodes[0].outputs[0], "y2");
  EXPECT_EQ(after.initializers.size(), 2u);
  EXPECT_LE(CompareGraphs(before, after, 8), kTolerance);
}

}  // namespace
}  // namespace fixpoint::transform
