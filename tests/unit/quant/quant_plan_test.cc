// PlanActivations on small graphs: which tensors are calibrated, which share
// parameters, and how selections restrict the active nodes.
#include "core/quant/quant_plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "core/ir/shape_inference.h"
#include "tests/unit/transform/transform_test_util.h"

namespace fixpoint::quant {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;
using transform::testing::MakeNode;
using transform::testing::RandomF32;

// x -> Sigmoid s -> MaxPool p -> Transpose t -> Flatten f -> MatMul(f, x2) m -> Softmax y
ir::Graph Chain() {
  std::mt19937 rng(1);
  ir::Graph g;
  g.inputs.push_back({"x", ir::DType::kF32, ir::Shape({1, 2, 4, 4})});
  g.inputs.push_back({"x2", ir::DType::kF32, ir::Shape({8, 3})});
  g.outputs.push_back({"y", ir::DType::kF32, {}});
  g.nodes.push_back(MakeNode("sig", "Sigmoid", {"x"}, {"s"}));
  g.nodes.push_back(MakeNode(
      "pool", "MaxPool", {"s"}, {"p"},
      {{"kernel_shape", std::vector<int64_t>{2, 2}}, {"strides", std::vector<int64_t>{2, 2}}}));
  g.nodes.push_back(
      MakeNode("tr", "Transpose", {"p"}, {"t"}, {{"perm", std::vector<int64_t>{0, 1, 3, 2}}}));
  g.nodes.push_back(MakeNode("flat", "Flatten", {"t"}, {"f"}));
  g.nodes.push_back(MakeNode("mm", "MatMul", {"f", "x2"}, {"m"}));
  g.nodes.push_back(MakeNode("softmax", "Softmax", {"m"}, {"y"}, {{"axis", int64_t{1}}}));
  EXPECT_TRUE(ir::InferShapes(g).ok());
  return g;
}

TEST(QuantPlanTest, PassThroughChainsShareTheRootsParameters) {
  auto plan = PlanActivations(Chain(), {});
  ASSERT_TRUE(plan.ok()) << plan.status();
  // x only feeds Sigmoid (not quantizable); m only feeds Softmax.
  EXPECT_THAT(plan->calibrated, ElementsAre("x2", "s"));
  EXPECT_THAT(plan->shared, ElementsAre(Pair("f", "s"), Pair("p", "s"), Pair("t", "s")));
  EXPECT_FALSE(plan->IsQuantized("x"));
  EXPECT_FALSE(plan->IsQuantized("m"));
  EXPECT_TRUE(plan->IsQuantized("t"));
  EXPECT_THAT(plan->active_nodes, ElementsAre(1, 2, 3, 4));
}

TEST(QuantPlanTest, ExcludingAPassThroughOpBreaksTheChain) {
  QuantSelection selection;
  selection.exclude_op_types = {"Transpose"};
  auto plan = PlanActivations(Chain(), selection);
  ASSERT_TRUE(plan.ok()) << plan.status();
  // p is read only by the excluded Transpose; t is calibrated on its own.
  EXPECT_THAT(plan->calibrated, ElementsAre("x2", "s", "t"));
  EXPECT_THAT(plan->shared, ElementsAre(Pair("f", "t")));
}

TEST(QuantPlanTest, RegionByTensorNames) {
  QuantSelection selection;
  selection.input_nodes = {"p"};
  selection.output_nodes = {"t"};
  auto plan = PlanActivations(Chain(), selection);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->active_nodes, ElementsAre(2));  // the Transpose
  EXPECT_THAT(plan->calibrated, ElementsAre("p"));
  EXPECT_TRUE(plan->shared.empty());  // f is read by Flatten, outside the region
}

TEST(QuantPlanTest, UnknownNamesAreInvalidArgument) {
  QuantSelection selection;
  selection.output_nodes = {"nowhere"};
  auto plan = PlanActivations(Chain(), selection);
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(plan.status().message(), ::testing::HasSubstr("'nowhere'"));
}

TEST(QuantPlanTest, ConstantsAndBiasesAreNotActivations) {
  std::mt19937 rng(2);
  ir::Graph g;
  g.inputs.push_back({"x", ir::DType::kF32, ir::Shape({1, 4})});
  g.inputs.push_back({"bias", ir::DType::kF32, ir::Shape({3})});
  g.outputs.push_back({"z", ir::DType::kF32, {}});
  g.initializers["W"] = RandomF32({3, 4}, rng);
  g.initializers["k"] = RandomF32({1, 3}, rng);
  g.nodes.push_back(MakeNode("fc", "Gemm", {"x", "W", "bias"}, {"y"}, {{"transB", int64_t{1}}}));
  g.nodes.push_back(MakeNode("add", "Add", {"y", "k"}, {"z"}));
  ASSERT_TRUE(ir::InferShapes(g).ok());
  auto plan = PlanActivations(g, {});
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->calibrated, ElementsAre("x", "y"));  // not W, bias, k
}

}  // namespace
}  // namespace fixpoint::quant
