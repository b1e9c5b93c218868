// SegmentedRun: any split of the node order computes what one session does;
// a recomputed DequantizeLinear is never kept (its int8 input is); values are
// forgotten once nothing later reads them; bad ends are rejected.
#include "core/quant/segmented_run.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "core/ir/shape_inference.h"
#include "tests/unit/transform/transform_test_util.h"

namespace fixpoint::quant {
namespace {

using transform::testing::MakeNode;
using transform::testing::RandomF32;

// x -> Q -> DQ -> Conv -> Relu -> h;  h + DQ(x) -> y (the DQ read twice,
// the second time two nodes after it).
ir::Graph QdqNet(std::mt19937& rng) {
  ir::Graph g;
  g.inputs.push_back({"x", ir::DType::kF32, ir::Shape({ir::kDynamicDim, 2, 4, 4})});
  g.outputs.push_back({"y", ir::DType::kF32, {}});
  g.initializers["s"] = ir::Tensor::FromF32(ir::Shape{}, std::vector<float>{0.02f});
  g.initializers["z"] = ir::Tensor(ir::DType::kU8, ir::Shape{});
  g.initializers["w"] = RandomF32(ir::Shape{2, 2, 3, 3}, rng, -0.5f, 0.5f);
  g.nodes.push_back(MakeNode("q", "QuantizeLinear", {"x", "s", "z"}, {"xq"}));
  g.nodes.push_back(MakeNode("dq", "DequantizeLinear", {"xq", "s", "z"}, {"xd"}));
  g.nodes.push_back(MakeNode("conv", "Conv", {"xd", "w"}, {"c"},
                             {{"pads", std::vector<int64_t>{1, 1, 1, 1}}}));
  g.nodes.push_back(MakeNode("relu", "Relu", {"c"}, {"h"}));
  g.nodes.push_back(MakeNode("add", "Add", {"h", "xd"}, {"y"}));
  EXPECT_TRUE(ir::InferShapes(g).ok());
  return g;
}

std::vector<float> Values(const ir::TensorView& v) {
  const float* p = static_cast<const float*>(v.data);
  return std::vector<float>(p, p + v.NumElements());
}

TEST(SegmentedRunTest, AnySplitComputesWhatOneRunDoes) {
  std::mt19937 rng(1);
  const ir::Graph g = QdqNet(rng);
  const ir::Tensor x = RandomF32(ir::Shape{3, 2, 4, 4}, rng, 0.0f, 4.0f);
  SegmentedRun whole(g, x.view(), 1);
  ASSERT_TRUE(whole.RunTo(5).ok());
  const std::vector<float> want = Values(whole.Outputs()[0]);
  for (const std::vector<int>& ends : std::vector<std::vector<int>>{{1, 5}, {2, 3, 5}, {1, 2, 3, 4, 5}}) {
    SegmentedRun run(g, x.view(), 1);
    for (int end : ends) ASSERT_TRUE(run.RunTo(end).ok()) << end;
    EXPECT_EQ(Values(run.Outputs()[0]), want);
  }
}

TEST(SegmentedRunTest, KeepsTheInt8InputOfARecomputedDequantizer) {
  std::mt19937 rng(2);
  const ir::Graph g = QdqNet(rng);
  const ir::Tensor x = RandomF32(ir::Shape{2, 2, 4, 4}, rng, 0.0f, 4.0f);
  SegmentedRun run(g, x.view(), 1);
  ASSERT_TRUE(run.RunTo(3).ok());  // Q, DQ and the Conv
  ASSERT_NE(run.RecomputedDequantizer("xd"), nullptr);
  EXPECT_EQ(run.RecomputedDequantizer("xd")->name, "dq");
  EXPECT_EQ(run.Find("xd"), nullptr);
  ASSERT_NE(run.Find("xq"), nullptr);  // the Add still reads DQ(xq)
  EXPECT_EQ(run.Find("xq")->view.dtype, ir::DType::kU8);
  EXPECT_EQ(run.Find("x"), nullptr);  // nothing after the Q reads x
  ASSERT_NE(run.Find("c"), nullptr);  // the Relu reads it next
  EXPECT_EQ(run.RecomputedDequantizer("c"), nullptr);
  ASSERT_TRUE(run.RunTo(4).ok());
  EXPECT_EQ(run.Find("c"), nullptr);  // read by nothing any more
  EXPECT_NE(run.Find("h"), nullptr);
  EXPECT_EQ(run.RunTo(3).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(run.RunTo(6).code(), absl::StatusCode::kInvalidArgument);
}

TEST(SegmentedRunTest, WidestCrossingBytesPerImage) {
  std::mt19937 rng(3);
  const ir::Graph g = QdqNet(rng);
  // Before the Add: h (2x4x4) and xd (2x4x4), 4 bytes each.
  EXPECT_EQ(WidestCrossingBytesPerImage(g), 2 * 32 * 4);
}

}  // namespace
}  // namespace fixpoint::quant
