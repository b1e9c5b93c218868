#include "core/transform/optimize.h"

#include <iostream>
#include <random>
#include <string>

#include "core/io/onnx_importer.h"
#include "core/ir/shape_inference.h"
#include "core/transform/fuse_activations.h"
#include "gtest/gtest.h"
#include "tests/unit/transform/transform_test_util.h"

namespace fixpoint::transform {
namespace {

using testing::CompareGraphs;
using testing::MakeNode;
using testing::OpCounts;
using testing::RandomF32;

constexpr double kTolerance = 1e-5;

std::string Counts(const ir::Graph& g) {
  std::string s = std::to_string(g.nodes.size()) + " nodes {";
  for (const auto& [op, n] : OpCounts(g)) s += " " + op + ":" + std::to_string(n);
  return s + " }";
}

// x -> Conv(W as Cast of f16) -> BN -> Relu -> Identity -> Conv -> y: after
// optimization two Convs remain, the first with a fused Relu.
TEST(OptimizeForInferenceTest, ConvBatchNormReluBecomesOneConv) {
  std::mt19937 rng(31);
  ir::Graph g;
  g.inputs.push_back({"x", ir::DType::kF32, ir::Shape({ir::kDynamicDim, 3, 6, 6})});
  g.outputs.push_back({"y", ir::DType::kF32, {}});
  ir::Tensor w16(ir::DType::kF16, ir::Shape({4, 3, 3, 3}));
  for (int i = 0; i < w16.NumElements(); ++i) {
    w16.data<uint16_t>()[i] = ir::FloatToHalf(std::uniform_real_distribution<float>(-1, 1)(rng));
  }
  g.initializers["W16"] = w16;
  g.initializers["b"] = RandomF32({4}, rng);
  g.initializers["scale"] = RandomF32({4}, rng, 0.5f, 1.5f);
  g.initializers["B"] = RandomF32({4}, rng);
  g.initializers["mean"] = RandomF32({4}, rng);
  g.initializers["var"] = RandomF32({4}, rng, 0.1f, 1.0f);
  g.initializers["W2"] = RandomF32({2, 4, 1, 1}, rng);
  g.nodes.push_back(MakeNode("cast", "Cast", {"W16"}, {"W"}, {{"to", std::string("f32")}}));
  g.nodes.push_back(MakeNode("conv", "Conv", {"x", "W", "b"}, {"h"}));
  g.nodes.push_back(
      MakeNode("bn", "BatchNormalization", {"h", "scale", "B", "mean", "var"}, {"n"}));
  g.nodes.push_back(MakeNode("relu", "Relu", {"n"}, {"r"}));
  g.nodes.push_back(MakeNode("id", "Identity", {"r"}, {"r2"}));
  g.nodes.push_back(MakeNode("conv2", "Conv", {"r2", "W2"}, {"y"}));
  ASSERT_TRUE(ir::InferShapes(g).ok());
  ir::Graph after = g;
  ASSERT_TRUE(OptimizeForInference(after).ok());
  ASSERT_EQ(after.nodes.size(), 2u) << Counts(after);
  EXPECT_EQ(after.nodes[0].op_type, "Conv");
  ASSERT_TRUE(after.nodes[0].HasAttr(kFusedActivation));
  EXPECT_EQ(std::get<std::string>(after.nodes[0].attrs.at(kFusedActivation)), "Relu");
  EXPECT_EQ(after.nodes[0].outputs[0], after.nodes[1].inputs[0]);
  EXPECT_EQ(after.nodes[1].op_type, "Conv");
  EXPECT_EQ(after.initializers.size(), 3u);  // W', b', W2
  ASSERT_TRUE(ir::InferShapes(after).ok());
  EXPECT_LE(CompareGraphs(g, after, 32), kTolerance);
}

// Conv -> Relu -> BN (seed_cnn's pattern): the Relu fuses into the Conv, the
// BN has no foldable producer and stays.
TEST(OptimizeForInferenceTest, UnfoldableBatchNormSurvivesAndOutputsMatch) {
  std::mt19937 rng(33);
  ir::Graph g;
  g.inputs.push_back({"x", ir::DType::kF32, ir::Shape({ir::kDynamicDim, 3, 4, 4})});
  g.outputs.push_back({"y", ir::DType::kF32, {}});
  g.initializers["W"] = RandomF32({3, 3, 3, 3}, rng);
  for (const char* p : {"s", "B", "m"}) g.initializers[p] = RandomF32({3}, rng);
  g.initializers["v"] = RandomF32({3}, rng, 0.2f, 1.0f);
  g.nodes.push_back(
      MakeNode("conv", "Conv", {"x", "W"}, {"h"}, {{"pads", std::vector<int64_t>{1, 1, 1, 1}}}));
  g.nodes.push_back(MakeNode("relu", "Relu", {"h"}, {"r"}));
  g.nodes.push_back(MakeNode("bn", "BatchNormalization", {"r", "s", "B", "m", "v"}, {"y"}));
  ASSERT_TRUE(ir::InferShapes(g).ok());
  ir::Graph after = g;
  ASSERT_TRUE(OptimizeForInference(after).ok());
  EXPECT_EQ(OpCounts(after), (std::map<std::string, int>{{"BatchNormalization", 1}, {"Conv", 1}}));
  EXPECT_EQ(std::get<std::string>(after.nodes[0].attrs.at(kFusedActivation)), "Relu");
  ASSERT_TRUE(ir::InferShapes(after).ok());
  EXPECT_LE(CompareGraphs(g, after, 34), kTolerance);
}

// BNs OptimizeForInference must fold: those right after a Conv /
// ConvTranspose / Gemm with initializer weights whose output only the BN reads.
int FoldableBatchNorms(const ir::Graph& g) {
  int n = 0;
  for (const ir::Node& bn : g.nodes) {
    if (bn.op_type != "BatchNormalization") continue;
    const int p = g.ProducerOf(bn.inputs[0]);
    if (p < 0) continue;
    const ir::Node& host = g.nodes[p];
    const bool host_ok =
        (host.op_type == "Conv" || host.op_type == "ConvTranspose" || host.op_type == "Gemm") &&
        g.IsInitializer(host.inputs[1]) && !host.HasAttr(kFusedActivation);
    bool graph_output = false;
    for (const ir::ValueInfo& out : g.outputs) graph_output |= out.name == bn.inputs[0];
    if (host_ok && !graph_output && g.ConsumersOf(bn.inputs[0]).size() == 1) ++n;
  }
  return n;
}

class OptimizeModelTest : public ::testing::TestWithParam<std::string> {};

TEST_P(OptimizeModelTest, OutputsMatchUnoptimizedGraph) {
  const std::string path = std::string(FP_SOURCE_DIR) + "/models/" + GetParam() + ".onnx";
  absl::StatusOr<ir::Graph> imported = io::ImportOnnxFile(path);
  ASSERT_TRUE(imported.ok()) << imported.status();
  const ir::Graph& before = *imported;
  ir::Graph after = before;
  ASSERT_TRUE(OptimizeForInference(after).ok());
  ASSERT_TRUE(ir::InferShapes(after).ok());
  std::cout << "[ model    ] " << GetParam() << " before: " << Counts(before) << "\n"
            << "[ model    ] " << GetParam() << " after:  " << Counts(after) << "\n";
  const auto ops_before = OpCounts(before);
  const auto ops_after = OpCounts(after);
  auto count = [](const std::map<std::string, int>& m, const std::string& op) {
    auto it = m.find(op);
    return it == m.end() ? 0 : it->second;
  };
  // Every BN of both models folds: backwards into its Conv, or (seed_cnn's
  // Conv -> ReLU -> BN -> MaxPool) forwards into the next Conv / Gemm.
  EXPECT_EQ(count(ops_after, "BatchNormalization"), 0);
  EXPECT_EQ(FoldableBatchNorms(after), 0);
  EXPECT_EQ(count(ops_after, "Conv"), count(ops_before, "Conv"));
  EXPECT_EQ(count(ops_after, "Identity") + count(ops_after, "Dropout"), 0);
  const double err = CompareGraphs(before, after, 41, /*trials=*/3, /*batch=*/3);
  std::cout << "[ model    ] " << GetParam() << " max relative error: " << err << "\n";
  EXPECT_LE(err, kTolerance);
}

INSTANTIATE_TEST_SUITE_P(Bundled, OptimizeModelTest, ::testing::Values("seed_cnn", "resnet_small"));

// The exporter already folded resnet_small's BNs into its Convs; put a BN
// with random statistics back after every Conv (as an unfolded export would
// have it) and check that all of them fold and the outputs stay the same.
TEST(OptimizeResnetWithBatchNormsTest, FoldsEveryBatchNormAndKeepsOutputs) {
  absl::StatusOr<ir::Graph> imported =
      io::ImportOnnxFile(std::string(FP_SOURCE_DIR) + "/models/resnet_small.onnx");
  ASSERT_TRUE(imported.ok()) << imported.status();
  ir::Graph before;
  before.name = imported->name;
  before.opset = imported->opset;
  before.inputs = imported->inputs;
  before.outputs = imported->outputs;
  before.initializers = imported->initializers;
  std::mt19937 rng(51);
  int inserted = 0;
  for (const ir::Node& n : imported->nodes) {
    before.nodes.push_back(n);
    if (n.op_type != "Conv") continue;
    const int64_t c = imported->initializers.at(n.inputs[1]).shape()[0];
    const std::string bn = n.name + "_bn", out = n.outputs[0];
    before.nodes.back().outputs[0] = out + "_prebn";
    before.initializers[bn + "_scale"] = RandomF32({c}, rng, 0.5f, 1.5f);
    before.initializers[bn + "_B"] = RandomF32({c}, rng, -0.2f, 0.2f);
    before.initializers[bn + "_mean"] = RandomF32({c}, rng, -0.2f, 0.2f);
    before.initializers[bn + "_var"] = RandomF32({c}, rng, 0.5f, 1.5f);
    before.nodes.push_back(
        MakeNode(bn, "BatchNormalization",
                 {out + "_prebn", bn + "_scale", bn + "_B", bn + "_mean", bn + "_var"}, {out}));
    ++inserted;
  }
  ASSERT_TRUE(ir::InferShapes(before).ok());
  ir::Graph after = before;
  ASSERT_TRUE(OptimizeForInference(after).ok());
  ASSERT_TRUE(ir::InferShapes(after).ok());
  std::cout << "[ model    ] resnet_small+BN before: " << Counts(before) << "\n"
            << "[ model    ] resnet_small+BN after:  " << Counts(after) << "\n";
  EXPECT_EQ(inserted, 9);
  EXPECT_EQ(OpCounts(after).count("BatchNormalization"), 0u);
  EXPECT_EQ(OpCounts(after).at("Conv"), 9);
  EXPECT_EQ(after.initializers.size(), imported->initializers.size());
  const double err = CompareGraphs(before, after, 52, /*trials=*/3, /*batch=*/3);
  std::cout << "[ model    ] resnet_small+BN max relative error: " << err << "\n";
  EXPECT_LE(err, kTolerance);
}

}  // namespace
}  // namespace fixpoint::transform
