// Folding constant DequantizeLinear: values equal the reference kernel's bit
// for bit (per tensor and per axis, i8/u8/i32), activations' DQ and graph
// outputs stay, unread quantized constants go.
#include "core/quant/fold_dequantize.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "core/runtime/session.h"
#include "tests/unit/transform/transform_test_util.h"

namespace fixpoint::quant {
namespace {

using transform::testing::MakeNode;
using transform::testing::RandomF32;

// x[?,3,4,4] -> Q/DQ -> Conv(DQ(W i8, per-channel axis 0), DQ(b i32)) -> y.
ir::Graph QdqConv() {
  std::mt19937 rng(3);
  ir::Graph g;
  g.inputs.push_back({"x", ir::DType::kF32, ir::Shape({ir::kDynamicDim, 3, 4, 4})});
  g.outputs.push_back({"y", ir::DType::kF32, {}});
  ir::Tensor w(ir::DType::kI8, ir::Shape{2, 3, 3, 3});
  for (int64_t i = 0; i < w.NumElements(); ++i) w.data<int8_t>()[i] = static_cast<int8_t>(i * 37 % 255 - 127);
  g.initializers["W_q"] = w;
  g.initializers["W_s"] = ir::Tensor::FromF32(ir::Shape{2}, std::vector<float>{0.013f, 0.0071f});
  g.initializers["W_zp"] = ir::Tensor(ir::DType::kI8, ir::Shape{2});
  ir::Tensor b(ir::DType::kI32, ir::Shape{2});
  b.data<int32_t>()[0] = 123456;
  b.data<int32_t>()[1] = -98765;
  g.initializers["b_q"] = b;
  g.initializers["b_s"] = ir::Tensor::FromF32(ir::Shape{2}, std::vector<float>{1e-5f, 3e-6f});
  g.initializers["x_s"] = ir::Tensor::FromF32(ir::Shape{}, std::vector<float>{0.01f});
  ir::Tensor zp(ir::DType::kU8, ir::Shape{});
  zp.data<uint8_t>()[0] = 7;
  g.initializers["x_zp"] = zp;
  g.nodes.push_back(MakeNode("xq", "QuantizeLinear", {"x", "x_s", "x_zp"}, {"x_q"}));
  g.nodes.push_back(MakeNode("xdq", "DequantizeLinear", {"x_q", "x_s", "x_zp"}, {"x_d"}));
  g.nodes.push_back(
      MakeNode("wdq", "DequantizeLinear", {"W_q", "W_s", "W_zp"}, {"W"}, {{"axis", int64_t{0}}}));
  g.nodes.push_back(MakeNode("bdq", "DequantizeLinear", {"b_q", "b_s"}, {"b"}, {{"axis", int64_t{0}}}));
  g.nodes.push_back(MakeNode("conv", "Conv", {"x_d", "W", "b"}, {"y"}));
  return g;
}

std::vector<float> RunReference(const ir::Graph& g, const ir::Tensor& x) {
  runtime::SessionOptions so;
  so.intra_op_threads = 1;
  so.lower_qdq = false;
  so.use_onednn = false;
  auto s = runtime::Session::Create(g, so);
  EXPECT_TRUE(s.ok()) << s.status();
  const ir::TensorView in[] = {x.view()};
  auto out = (*s)->Run(in);
  EXPECT_TRUE(out.ok()) << out.status();
  return std::vector<float>((*out)[0].data<float>(), (*out)[0].data<float>() + (*out)[0].NumElements());
}

TEST(FoldDequantizeTest, FoldsConstantsBitExactly) {
  const ir::Graph g = QdqConv();
  ir::Graph folded = g;
  ASSERT_TRUE(FoldConstantDequantize(folded).ok());
  // Weight and bias DQ folded; the activation's Q/DQ kept.
  ASSERT_EQ(folded.nodes.size(), 3u);
  EXPECT_EQ(folded.nodes[1].name, "xdq");
  EXPECT_FALSE(folded.IsInitializer("W_q"));
  EXPECT_FALSE(folded.IsInitializer("b_q"));
  const ir::Tensor& w = folded.initializers.at("W");
  EXPECT_EQ(w.shape(), ir::Shape({2, 3, 3, 3}));
  for (int64_t i = 0; i < w.NumElements(); ++i) {
    const float s = i < 27 ? 0.013f : 0.0071f;
    ASSERT_EQ(w.data<float>()[i], static_cast<float>(g.initializers.at("W_q").data<int8_t>()[i]) * s);
  }
  EXPECT_EQ(folded.initializers.at("b").data<float>()[1], static_cast<float>(-98765) * 3e-6f);
  // Same outputs as the unfolded graph on the reference kernels.
  std::mt19937 rng(4);
  const ir::Tensor x = RandomF32({2, 3, 4, 4}, rng, -1.0f, 1.0f);
  EXPECT_EQ(RunReference(g, x), RunReference(folded, x));
}

TEST(FoldDequantizeTest, KeepsAGraphOutput) {
  ir::Graph g = QdqConv();
  g.outputs.push_back({"W", ir::DType::kF32, {}});
  ASSERT_TRUE(FoldConstantDequantize(g).ok());
  EXPECT_EQ(g.nodes.size(), 4u);
}

TEST(FoldDequantizeTest, RejectsAMismatchedAxis) {
  ir::Graph g = QdqConv();
  g.nodes[2].attrs["axis"] = int64_t{1};  // 3 channels on axis 1, 2 scales
  EXPECT_EQ(FoldConstantDequantize(g).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(g.nodes.size(), 5u);
}

TEST(FoldDequantizeTest, DequantizesOneConstantAlongAMiddleAxis) {
  ir::Graph g;
  ir::Tensor q(ir::DType::kU8, ir::Shape{2, 3, 2});
  for (int64_t i = 0; i < q.NumElements(); ++i) q.data<uint8_t>()[i] = static_cast<uint8_t>(40 * i);
  ir::Tensor zp(ir::DType::kU8, ir::Shape{3});
  for (int c = 0; c < 3; ++c) zp.data<uint8_t>()[c] = static_cast<uint8_t>(10 + c);
  g.initializers["q"] = q;
  g.initializers["s"] = ir::Tensor::FromF32(ir::Shape{3}, std::vector<float>{0.5f, 0.25f, 2.0f});
  g.initializers["zp"] = zp;
  g.nodes.push_back(MakeNode("dq", "DequantizeLinear", {"q", "s", "zp"}, {"y"}, {{"axis", int64_t{1}}}));
  auto y = DequantizeConstant(g, g.nodes[0]);
  ASSERT_TRUE(y.ok()) << y.status();
  for (int64_t i = 0; i < q.NumElements(); ++i) {
    const int64_t c = (i / 2) % 3;
    const float s = g.initializers.at("s").data<float>()[c];
    EXPECT_EQ(y->data<float>()[i], static_cast<float>(40 * i % 256 - (10 + c)) * s) << i;
  }
  // The activation's dequantizer reads a computed value: not a constant.
  const ir::Graph conv = QdqConv();
  EXPECT_EQ(DequantizeConstant(conv, conv.nodes[1]).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace fixpoint::quant
