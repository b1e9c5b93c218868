// The engine's layout propagation (Layout in core/runtime/kernel.h): oneDNN
// kernels hand non-plain activations to each other, every other reader and
// every graph output gets one plain conversion, and results equal the
// reference engine's.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

#include "core/runtime/session.h"
#include "tests/unit/transform/transform_test_util.h"

namespace fixpoint::runtime {
namespace {

using ir::DType;
using ir::Shape;
using ir::Tensor;
using transform::testing::RandomF32;

ir::Node ConvNode(const std::string& name, const std::string& in, const std::string& w,
                  const std::string& out) {
  return ir::Node{name, "Conv", {in, w}, {out},
                  {{"kernel_shape", std::vector<int64_t>{3, 3}},
                   {"pads", std::vector<int64_t>{1, 1, 1, 1}}}};
}

// x[?,3,9,9] -> Conv(c) -> Sigmoid -> MaxPool -> Conv(c) -> Add(residual,
// Relu fused by the optimizer) -> graph output "feat" and -> Flatten ->
// Gemm -> "logits". With c = 20 blocked layouts have padding (Sigmoid(0) !=
// 0 would expose dirty padding); "feat" is read by a non-oneDNN op and is a
// graph output at once.
ir::Graph LayoutGraph(std::mt19937& rng, int64_t c) {
  ir::Graph g;
  g.name = "layouts";
  g.inputs.push_back({"x", DType::kF32, Shape{ir::kDynamicDim, 3, 9, 9}});
  g.outputs.push_back({"feat", DType::kF32, Shape{ir::kDynamicDim, c, 4, 4}});
  g.outputs.push_back({"logits", DType::kF32, Shape{ir::kDynamicDim, 5}});
  g.initializers["w1"] = RandomF32(Shape{c, 3, 3, 3}, rng);
  g.initializers["w2"] = RandomF32(Shape{c, c, 3, 3}, rng);
  g.initializers["fc"] = RandomF32(Shape{5, c * 16}, rng);
  g.nodes = {
      ConvNode("c1", "x", "w1", "a"),
      ir::Node{"sig", "Sigmoid", {"a"}, {"s"}, {}},
      ir::Node{"pool", "MaxPool", {"s"}, {"p"},
               {{"kernel_shape", std::vector<int64_t>{2, 2}},
                {"strides", std::vector<int64_t>{2, 2}}}},
      ConvNode("c2", "p", "w2", "b"),
      ir::Node{"add", "Add", {"b", "p"}, {"sum"}, {}},
      ir::Node{"relu", "Relu", {"sum"}, {"feat"}, {}},
      ir::Node{"flat", "Flatten", {"feat"}, {"f"}, {{"axis", int64_t{1}}}},
      ir::Node{"fc", "Gemm", {"f", "fc"}, {"logits"}, {{"transB", int64_t{1}}}},
  };
  return g;
}

TEST(SessionLayoutTest, OneDnnLayoutsMatchReference) {
  std::mt19937 rng(3);
  const ir::Graph g = LayoutGraph(rng, 20);
  auto fast = Session::Create(g, SessionOptions{});
  SessionOptions ref_options;
  ref_options.use_onednn = false;
  auto ref = Session::Create(g, ref_options);
  ASSERT_TRUE(fast.ok()) << fast.status();
  ASSERT_TRUE(ref.ok()) << ref.status();
  for (int64_t batch : {1, 3}) {
    const Tensor x = RandomF32(Shape{batch, 3, 9, 9}, rng);
    const ir::TensorView in[] = {x.view()};
    auto got = (*fast)->Run(in);
    auto want = (*ref)->Run(in);
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_TRUE(want.ok()) << want.status();
    for (size_t o = 0; o < 2; ++o) {
      ASSERT_EQ((*got)[o].shape(), (*want)[o].shape());
      for (int64_t i = 0; i < (*want)[o].NumElements(); ++i) {
        const float a = (*got)[o].data<float>()[i], b = (*want)[o].data<float>()[i];
        ASSERT_NEAR(a, b, 1e-4f * (1.0f + std::fabs(b))) << "output " << o << " at " << i;
      }
    }
  }
}

TEST(SessionLayoutTest, NonPlainValuesAreConvertedOnceForPlainReaders) {
  std::mt19937 rng(4);
  // 16 channels: no block padding, so the residual Add stays non-plain on
  // every ISA (a padded Add is refused, see OneDnnLayoutTest).
  auto session = Session::Create(LayoutGraph(rng, 16), SessionOptions{});
  ASSERT_TRUE(session.ok()) << session.status();
  const Shape shapes[] = {Shape{2, 3, 9, 9}};
  auto bound = (*session)->DescribeBinding(shapes);
  ASSERT_TRUE(bound.ok()) << bound.status();
  int conversions = 0;
  std::string conv_impl;
  for (const BoundNodeInfo& b : *bound) {
    if (b.op_type == "Reorder") {
      ++conversions;
      // Only "feat" (read by Flatten and a graph output) may need one.
      EXPECT_EQ(b.node, "feat/to_plain");
    }
    if (b.node == "c2") conv_impl = b.impl;
  }
  EXPECT_LE(conversions, 1);
  EXPECT_NE(conv_impl.find("onednn"), std::string::npos);
}

}  // namespace
}  // namespace fixpoint::runtime
