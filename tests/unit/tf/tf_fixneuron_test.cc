// Vitis AI FixNeuron nodes import as power-of-two QDQ pairs (int8 zero point,
// the canonical QuantizeLinear/DequantizeLinear form): the graphs verify, and
// run through the reference runtime to hand-computed values.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/io/tf_importer.h"
#include "tests/unit/tf/tf_test_util.h"

namespace fixpoint::io::testing {
namespace {

using ::testing::HasSubstr;

NodeDef* FixNeuron(GraphBuilder& b, const std::string& name, const std::string& input,
                   int64_t pos) {
  NodeDef* n = b.Node("FixNeuron", name, {input});
  GraphBuilder::Int(n, "bit_width", 8);
  GraphBuilder::Int(n, "quantize_pos", pos);
  GraphBuilder::Int(n, "method", 1);
  GraphBuilder::Int(n, "phase", 2);
  return n;
}

// quantize_eval_model.pb shape: x -> FixNeuron(4) -> Conv2D(FixNeuron(7)(w)) -> y
GraphBuilder QuantizedConv() {
  GraphBuilder b;
  b.Placeholder("x", {-1, 4, 4, 2});
  FixNeuron(b, "x/aquant", "x", 4);
  b.Const("w", FloatTensor({3, 3, 2, 3}, std::vector<float>(54, 0.5f)));
  FixNeuron(b, "w/wquant", "w", 7);
  b.Conv2D("y", "x/aquant", "w/wquant", "SAME");
  return b;
}

const ir::Node* ProducerNode(const ir::Graph& g, const std::string& value) {
  const int i = g.ProducerOf(value);
  return i < 0 ? nullptr : &g.nodes[i];
}

void ExpectPof2Params(const ir::Graph& g, const ir::Node& n, float scale) {
  ASSERT_EQ(n.inputs.size(), 3u) << n.Describe();
  const ir::Tensor* s = g.FindInitializer(n.inputs[1]);
  const ir::Tensor* zp = g.FindInitializer(n.inputs[2]);
  ASSERT_NE(s, nullptr);
  ASSERT_NE(zp, nullptr);
  EXPECT_EQ(s->dtype(), ir::DType::kF32);
  EXPECT_EQ(s->shape().rank(), 0);
  EXPECT_EQ(s->data<float>()[0], scale);
  EXPECT_EQ(zp->dtype(), ir::DType::kI8);
  EXPECT_EQ(zp->shape().rank(), 0);
  EXPECT_EQ(zp->data<int8_t>()[0], 0);
}

TEST(TfFixNeuronTest, ActivationsAndWeightsBecomePowerOfTwoQdq) {
  auto g = QuantizedConv().Import(Options({"x"}, {}, {"y"}));
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(CountOps(*g, "QuantizeLinear"), 2);  // the NHWC pairs are gone
  EXPECT_EQ(CountOps(*g, "DequantizeLinear"), 2);
  EXPECT_EQ(CountOps(*g, "Transpose"), 2);  // input, output

  const ir::Node* conv = ProducerNode(*g, "y/nchw");
  ASSERT_NE(conv, nullptr);
  ASSERT_EQ(conv->op_type, "Conv");
  // Activation: x -> Transpose(NHWC->NCHW) -> Q -> DQ -> Conv input 0 (the
  // layout change moves before the pair, so DQ feeds the Conv directly).
  const ir::Node* adq = ProducerNode(*g, conv->inputs[0]);
  ASSERT_NE(adq, nullptr);
  EXPECT_EQ(adq->op_type, "DequantizeLinear");
  const ir::Node* aq = ProducerNode(*g, adq->inputs[0]);
  ASSERT_NE(aq, nullptr);
  EXPECT_EQ(aq->op_type, "QuantizeLinear");
  const ir::Node* to_nchw = ProducerNode(*g, aq->inputs[0]);
  ASSERT_NE(to_nchw, nullptr);
  EXPECT_EQ(to_nchw->op_type, "Transpose");
  EXPECT_EQ(to_nchw->inputs[0], "x");
  ExpectPof2Params(*g, *adq, 1.0f / 16);
  ExpectPof2Params(*g, *aq, 1.0f / 16);

  // Weights: QDQ sits directly on the OIHW constant (re-laid out before Q).
  const ir::Node* wdq = ProducerNode(*g, conv->inputs[1]);
  ASSERT_NE(wdq, nullptr);
  EXPECT_EQ(wdq->op_type, "DequantizeLinear");
  const ir::Node* wq = ProducerNode(*g, wdq->inputs[0]);
  ASSERT_NE(wq, nullptr);
  EXPECT_EQ(wq->op_type, "QuantizeLinear");
  const ir::Tensor* w = g->FindInitializer(wq->inputs[0]);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->shape().ToString(), "[3,2,3,3]");
  ExpectPof2Params(*g, *wq, 1.0f / 128);
  // The QDQ pair on the HWIO original is gone.
  EXPECT_EQ(g->FindInitializer("w"), nullptr);
}

TEST(TfFixNeuronTest, NegativeQuantizePosScalesUp) {
  GraphBuilder b;
  b.Placeholder("x", {-1, 4});
  FixNeuron(b, "y", "x", -2);
  auto g = b.Import(Options({"x"}, {}, {"y"}));
  ASSERT_TRUE(g.ok()) << g.status();
  ASSERT_EQ(g->nodes.size(), 2u);
  EXPECT_EQ(g->nodes[1].outputs[0], "y");
  ExpectPof2Params(*g, g->nodes[0], 4.0f);
  EXPECT_EQ(g->value_info.at("y").shape.ToString(), "[?,4]");
}

// Activations at 2^-4: channel 0 is 0.5 / 16 (a tie: 0.5 -> 0), channel 1 is
// 2.5 / 16 (a tie: 2.5 -> 2, so 0.125). Weights 0.5 at 2^-7 are exact. Each
// spatial tap adds (0 + 0.125) * 0.5 = 0.0625 to every output channel; SAME
// padding gives 4 taps at corners, 6 on edges, 9 inside.
TEST(TfFixNeuronTest, QuantizedConvRunsWithRoundHalfEven) {
  auto g = QuantizedConv().Import(Options({"x"}, {}, {"y"}));
  ASSERT_TRUE(g.ok()) << g.status();
  std::vector<float> x;
  for (int i = 0; i < 16; ++i) x.insert(x.end(), {0.03125f, 0.15625f});
  auto out = RunRef(*g, {1, 4, 4, 2}, x);
  ASSERT_TRUE(out.ok()) << out.status();
  const ir::Tensor& y = (*out)[0];
  ASSERT_EQ(y.shape().ToString(), "[1,4,4,3]");
  const int rows[4] = {2, 3, 3, 2};  // taps along one spatial dim
  for (int h = 0; h < 4; ++h) {
    for (int w = 0; w < 4; ++w) {
      for (int c = 0; c < 3; ++c) {
        EXPECT_EQ(y.data<float>()[(h * 4 + w) * 3 + c], 0.0625f * rows[h] * rows[w])
            << h << "," << w << "," << c;
      }
    }
  }
  EXPECT_EQ(y.data<float>()[0], 0.25f);                  // corner
  EXPECT_EQ(y.data<float>()[(0 * 4 + 1) * 3], 0.375f);   // edge
  EXPECT_EQ(y.data<float>()[(1 * 4 + 1) * 3], 0.5625f);  // inside

  // 100 saturates to 127 / 16 = 7.9375: each tap adds 2 * 7.9375 * 0.5.
  auto sat = RunRef(*g, {1, 4, 4, 2}, std::vector<float>(32, 100.0f));
  ASSERT_TRUE(sat.ok()) << sat.status();
  EXPECT_EQ((*sat)[0].data<float>()[0], 31.75f);
  EXPECT_EQ((*sat)[0].data<float>()[(1 * 4 + 1) * 3 + 2], 71.4375f);
}

// Scale 4: x / 4 rounds half to even and saturates to [-128, 127].
TEST(TfFixNeuronTest, NegativeQuantizePosRuns) {
  GraphBuilder b;
  b.Placeholder("x", {-1, 4});
  FixNeuron(b, "y", "x", -2);
  auto g = b.Import(Options({"x"}, {}, {"y"}));
  ASSERT_TRUE(g.ok()) << g.status();
  auto out = RunRef(*g, {2, 4}, {2, 6, 10, 14, -6, -10, 1000, -1000});
  ASSERT_TRUE(out.ok()) << out.status();
  const ir::Tensor& y = (*out)[0];
  const std::vector<float> want = {0, 8, 8, 16, -8, -8, 508, -512};
  ASSERT_EQ(y.NumElements(), 8);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(y.data<float>()[i], want[i]) << i;
}

TEST(TfFixNeuronTest, BadAttributesArePrecise) {
  GraphBuilder b;
  b.Placeholder("x", {-1, 4});
  NodeDef* wide = FixNeuron(b, "wide", "x", 3);
  GraphBuilder::Int(wide, "bit_width", 16);
  NodeDef* nopos = b.Node("FixNeuron", "nopos", {"x"});
  TfImportOptions o = Options({"x"}, {}, {"wide"});
  auto g = b.Import(o);
  ASSERT_EQ(g.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(g.status().message(), HasSubstr("bit_width 16"));
  o.output_nodes = {nopos->name()};
  g = b.Import(o);
  ASSERT_EQ(g.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(g.status().message(), HasSubstr("no attribute 'quantize_pos'"));
}

}  // namespace
}  // namespace fixpoint::io::testing
