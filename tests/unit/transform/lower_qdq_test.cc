// LowerQdqToIntegerOps: which QDQ patterns become QLinearConv / QGemm /
// integer pass-through ops, which are left alone, and that the lowered graph
// (integer reference kernels) matches the QDQ simulation (float ops between
// DQ and Q) within quantization rounding.
#include "core/transform/lower_qdq.h"

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "core/ir/shape_inference.h"
#include "tests/unit/transform/transform_test_util.h"

namespace fixpoint::transform {
namespace {

using ir::DType;
using ir::Shape;
using ir::Tensor;
using testing::MakeNode;
using testing::RandomF32;

Tensor Scalar(DType t, double v) {
  Tensor s(t, Shape{});
  if (t == DType::kF32) s.data<float>()[0] = static_cast<float>(v);
  if (t == DType::kU8) s.data<uint8_t>()[0] = static_cast<uint8_t>(v);
  if (t == DType::kI8) s.data<int8_t>()[0] = static_cast<int8_t>(v);
  return s;
}

// Adds Q -> DQ on `v` with (scale, zp u8); returns the DQ output name.
std::string AddQdq(ir::Graph& g, const std::string& v, float scale, int zp) {
  g.initializers[v + "_s"] = Scalar(DType::kF32, scale);
  g.initializers[v + "_z"] = Scalar(DType::kU8, zp);
  g.nodes.push_back(MakeNode(v + "/q", "QuantizeLinear", {v, v + "_s", v + "_z"}, {v + "_q"}));
  g.nodes.push_back(MakeNode(v + "/dq", "DequantizeLinear", {v + "_q", v + "_s", v + "_z"},
                             {v + "_dq"}));
  return v + "_dq";
}

// Per-channel int8 weights (axis `axis`) with their DQ; returns its output.
std::string AddWeight(ir::Graph& g, const std::string& name, const Tensor& w, int axis,
                      int64_t channels, std::mt19937& rng, int weight_zp = 0) {
  Tensor q(DType::kI8, w.shape());
  Tensor s(DType::kF32, Shape{channels});
  Tensor z(DType::kI8, Shape{channels});
  std::uniform_int_distribution<int> dist(-127, 127);
  for (int64_t i = 0; i < q.NumElements(); ++i) q.data<int8_t>()[i] = static_cast<int8_t>(dist(rng));
  for (int64_t c = 0; c < channels; ++c) {
    s.data<float>()[c] = 0.004f + 0.001f * static_cast<float>(c);
    z.data<int8_t>()[c] = static_cast<int8_t>(weight_zp);
  }
  g.initializers[name + "_q"] = std::move(q);
  g.initializers[name + "_s"] = std::move(s);
  g.initializers[name + "_z"] = std::move(z);
  g.nodes.push_back(MakeNode(name + "/dq", "DequantizeLinear",
                             {name + "_q", name + "_s", name + "_z"}, {name + "_dq"},
                             {{"axis", int64_t{axis}}}));
  return name + "_dq";
}

// x[?,3,8,8] -Q/DQ-> Conv(8, fused Relu, float bias) -Q/DQ-> MaxPool -Q/DQ->
// Flatten -Q/DQ-> Gemm(transB=1, 5 outputs) -> "y" (f32).
ir::Graph QdqNet(std::mt19937& rng, int weight_zp = 0) {
  ir::Graph g;
  g.name = "qdq";
  g.inputs.push_back({"x", DType::kF32, Shape{ir::kDynamicDim, 3, 8, 8}});
  g.outputs.push_back({"y", DType::kF32, Shape{ir::kDynamicDim, 5}});
  const std::string x = AddQdq(g, "x", 1.0f / 255, 0);
  const std::string w = AddWeight(g, "w", RandomF32(Shape{8, 3, 3, 3}, rng), 0, 8, rng, weight_zp);
  g.initializers["b"] = RandomF32(Shape{8}, rng, -0.2f, 0.2f);
  g.nodes.push_back(MakeNode("conv", "Conv", {x, w, "b"}, {"c"},
                             {{"kernel_shape", std::vector<int64_t>{3, 3}},
                              {"pads", std::vector<int64_t>{1, 1, 1, 1}},
                              {"fused_activation", std::string("Relu")}}));
  const std::string c = AddQdq(g, "c", 0.01f, 0);
  g.nodes.push_back(MakeNode("pool", "MaxPool", {c}, {"p"},
                             {{"kernel_shape", std::vector<int64_t>{2, 2}},
                              {"strides", std::vector<int64_t>{2, 2}}}));
  const std::string p = AddQdq(g, "p", 0.01f, 0);
  g.nodes.push_back(MakeNode("flat", "Flatten", {p}, {"f"}, {{"axis", int64_t{1}}}));
  const std::string f = AddQdq(g, "f", 0.01f, 0);
  const std::string fc = AddWeight(g, "fc", RandomF32(Shape{5, 128}, rng), 0, 5, rng);
  g.nodes.push_back(MakeNode("gemm", "Gemm", {f, fc}, {"y"}, {{"transB", int64_t{1}}}));
  return g;
}

int Count(const ir::Graph& g, const std::string& op) {
  int n = 0;
  for (const ir::Node& node : g.nodes) n += node.op_type == op;
  return n;
}

TEST(LowerQdqTest, LowersConvGemmAndPassThroughOps) {
  std::mt19937 rng(1);
  ir::Graph g = QdqNet(rng);
  ASSERT_TRUE(ir::InferShapes(g).ok());
  LowerQdqStats stats;
  ASSERT_TRUE(LowerQdqToIntegerOps(g, &stats).ok());
  EXPECT_EQ(stats.convs, 1);
  EXPECT_EQ(stats.gemms, 1);
  EXPECT_EQ(stats.pass_through, 2);  // MaxPool and Flatten on u8
  EXPECT_EQ(Count(g, "QLinearConv"), 1);
  EXPECT_EQ(Count(g, "QGemm"), 1);
  EXPECT_EQ(Count(g, "DequantizeLinear"), 0);
  EXPECT_EQ(Count(g, "QuantizeLinear"), 1);  // the graph input's
  ASSERT_TRUE(ir::InferShapes(g).ok());
  EXPECT_EQ(g.FindValueInfo("c_q")->dtype, DType::kU8);
  EXPECT_EQ(g.FindValueInfo("y")->dtype, DType::kF32);
  EXPECT_EQ(g.FindInitializer("w_dq"), nullptr);
}

TEST(LowerQdqTest, LeavesAsymmetricWeightsAlone) {
  std::mt19937 rng(2);
  ir::Graph g = QdqNet(rng, /*weight_zp=*/3);
  ASSERT_TRUE(ir::InferShapes(g).ok());
  LowerQdqStats stats;
  ASSERT_TRUE(LowerQdqToIntegerOps(g, &stats).ok());
  EXPECT_EQ(stats.convs, 0);
  EXPECT_EQ(Count(g, "Conv"), 1);
}

// Integer execution vs the float simulation of the same QDQ graph: equal up
// to a rounding flip of one LSB in an intermediate tensor.
TEST(LowerQdqTest, IntegerRunMatchesQdqSimulation) {
  std::mt19937 rng(3);
  const ir::Graph g = QdqNet(rng);
  runtime::SessionOptions sim;
  sim.use_onednn = false;
  sim.lower_qdq = false;
  runtime::SessionOptions integer;
  integer.use_onednn = false;
  auto a = runtime::Session::Create(g, sim);
  auto b = runtime::Session::Create(g, integer);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  const Tensor x = RandomF32(Shape{4, 3, 8, 8}, rng, 0.0f, 1.0f);
  const ir::TensorView in[] = {x.view()};
  auto ya = (*a)->Run(in);
  auto yb = (*b)->Run(in);
  ASSERT_TRUE(ya.ok()) << ya.status();
  ASSERT_TRUE(yb.ok()) << yb.status();
  // One LSB of "f" (0.01) times the largest |row| of the fc weights bounds
  // the effect of a flipped rounding; no difference is expected otherwise.
  double max_diff = 0, max_abs = 0;
  for (int64_t i = 0; i < (*ya)[0].NumElements(); ++i) {
    max_diff = std::max<double>(max_diff, std::fabs((*ya)[0].data<float>()[i] -
                                                    (*yb)[0].data<float>()[i]));
    max_abs = std::max<double>(max_abs, std::fabs((*ya)[0].data<float>()[i]));
  }
  EXPECT_GT(max_abs, 0.01);
  EXPECT_LE(max_diff, 0.01 * 0.008 * 127 * 2) << "max |y| " << max_abs;
}

// Conv -> ReLU -> BN -> Q (seed_cnn's layer): the BN folds into the
// QLinearConv's requantization (w_scale * a, post_shift b).
TEST(LowerQdqTest, FoldsBatchNormBetweenConvAndQuantize) {
  std::mt19937 rng(4);
  ir::Graph g;
  g.name = "conv_bn";
  g.inputs.push_back({"x", DType::kF32, Shape{ir::kDynamicDim, 3, 6, 6}});
  g.outputs.push_back({"y", DType::kF32, Shape{ir::kDynamicDim, 8, 4, 4}});
  const std::string x = AddQdq(g, "x", 1.0f / 255, 0);
  const std::string w = AddWeight(g, "w", RandomF32(Shape{8, 3, 3, 3}, rng), 0, 8, rng);
  g.nodes.push_back(MakeNode("conv", "Conv", {x, w}, {"c"},
                             {{"kernel_shape", std::vector<int64_t>{3, 3}},
                              {"fused_activation", std::string("Relu")}}));
  g.initializers["s"] = RandomF32(Shape{8}, rng, 0.5f, 2.0f);
  g.initializers["B"] = RandomF32(Shape{8}, rng);
  g.initializers["mean"] = RandomF32(Shape{8}, rng);
  g.initializers["var"] = RandomF32(Shape{8}, rng, 0.5f, 2.0f);
  g.nodes.push_back(MakeNode("bn", "BatchNormalization", {"c", "s", "B", "mean", "var"}, {"n"}));
  g.initializers["n_s"] = Scalar(DType::kF32, 0.02);
  g.initializers["n_z"] = Scalar(DType::kU8, 100);
  g.nodes.push_back(MakeNode("n/q", "QuantizeLinear", {"n", "n_s", "n_z"}, {"n_q"}));
  g.nodes.push_back(MakeNode("n/dq", "DequantizeLinear", {"n_q", "n_s", "n_z"}, {"y"}));

  ir::Graph lowered = g;
  ASSERT_TRUE(ir::InferShapes(lowered).ok());
  LowerQdqStats stats;
  ASSERT_TRUE(LowerQdqToIntegerOps(lowered, &stats).ok());
  EXPECT_EQ(stats.convs, 1);
  EXPECT_EQ(stats.batchnorms, 1);
  EXPECT_EQ(Count(lowered, "BatchNormalization"), 0);

  runtime::SessionOptions sim;
  sim.use_onednn = false;
  sim.lower_qdq = false;
  for (bool onednn : {false, true}) {
    runtime::SessionOptions integer;
    integer.use_onednn = onednn;
    auto a = runtime::Session::Create(g, sim);
    auto b = runtime::Session::Create(g, integer);
    ASSERT_TRUE(a.ok() && b.ok());
    const Tensor x_in = RandomF32(Shape{2, 3, 6, 6}, rng, 0.0f, 1.0f);
    const ir::TensorView in[] = {x_in.view()};
    auto ya = (*a)->Run(in);
    auto yb = (*b)->Run(in);
    ASSERT_TRUE(ya.ok() && yb.ok());
    int64_t off = 0;
    for (int64_t i = 0; i < (*ya)[0].NumElements(); ++i) {
      const float d = std::fabs((*ya)[0].data<float>()[i] - (*yb)[0].data<float>()[i]);
      ASSERT_LE(d, 0.02f * 1.001f) << "more than one step at " << i;  // one LSB of n
      off += d > 0;
    }
    EXPECT_LE(off, (*ya)[0].NumElements() / 20) << "onednn " << onednn;
  }
}

// A residual DQ + DQ -> Add(+Relu) -> Q becomes QLinearAdd; the integer run
// stays within one output step of the QDQ simulation.
TEST(LowerQdqTest, LowersResidualAdd) {
  std::mt19937 rng(5);
  ir::Graph g;
  g.name = "add";
  g.inputs.push_back({"a", DType::kF32, Shape{ir::kDynamicDim, 4, 3, 3}});
  g.inputs.push_back({"b", DType::kF32, Shape{ir::kDynamicDim, 4, 3, 3}});
  g.outputs.push_back({"y", DType::kF32, Shape{ir::kDynamicDim, 4, 3, 3}});
  const std::string a = AddQdq(g, "a", 0.01f, 100);
  const std::string b = AddQdq(g, "b", 0.02f, 128);
  g.nodes.push_back(MakeNode("add", "Add", {a, b}, {"s"}, {{"fused_activation", std::string("Relu")}}));
  g.initializers["s_s"] = Scalar(DType::kF32, 0.015);
  g.initializers["s_z"] = Scalar(DType::kU8, 0);
  g.nodes.push_back(MakeNode("s/q", "QuantizeLinear", {"s", "s_s", "s_z"}, {"s_q"}));
  g.nodes.push_back(MakeNode("s/dq", "DequantizeLinear", {"s_q", "s_s", "s_z"}, {"y"}));
  ir::Graph lowered = g;
  ASSERT_TRUE(ir::InferShapes(lowered).ok());
  LowerQdqStats stats;
  ASSERT_TRUE(LowerQdqToIntegerOps(lowered, &stats).ok());
  EXPECT_EQ(stats.adds, 1);
  EXPECT_EQ(Count(lowered, "QLinearAdd"), 1);
  runtime::SessionOptions sim;
  sim.use_onednn = false;
  sim.lower_qdq = false;
  auto s1 = runtime::Session::Create(g, sim);
  auto s2 = runtime::Session::Create(g, runtime::SessionOptions{});
  ASSERT_TRUE(s1.ok() && s2.ok());
  const Tensor xa = RandomF32(Shape{2, 4, 3, 3}, rng, -1.0f, 1.5f);
  const Tensor xb = RandomF32(Shape{2, 4, 3, 3}, rng, -2.0f, 2.0f);
  const ir::TensorView in[] = {xa.view(), xb.view()};
  auto y1 = (*s1)->Run(in);
  auto y2 = (*s2)->Run(in);
  ASSERT_TRUE(y1.ok() && y2.ok());
  for (int64_t i = 0; i < (*y1)[0].NumElements(); ++i) {
    EXPECT_LE(std::fabs((*y1)[0].data<float>()[i] - (*y2)[0].data<float>()[i]), 0.015f * 1.001f);
  }
}

}  // namespace
}  // namespace fixpoint::transform
