// The quantizer end to end on small hand-built graphs: which tensors get
// Q/DQ, what the consumers read, shared parameters of pass-through ops,
// selections, hand-computed weights and biases, closeness to float,
// progress and cancellation.
#include "core/quant/quantizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/ir/verifier.h"
#include "core/runtime/session.h"
#include "tests/unit/transform/transform_test_util.h"

namespace fixpoint::quant {
namespace {

using transform::testing::MakeNode;
using transform::testing::RandomF32;

const ir::Node* FindNode(const ir::Graph& g, const std::string& name) {
  for (const ir::Node& n : g.nodes) {
    if (n.name == name) return &n;
  }
  return nullptr;
}

const ir::Node* FindOp(const ir::Graph& g, const std::string& op) {
  for (const ir::Node& n : g.nodes) {
    if (n.op_type == op) return &n;
  }
  return nullptr;
}

int CountOp(const ir::Graph& g, const std::string& op) {
  return static_cast<int>(std::count_if(g.nodes.begin(), g.nodes.end(),
                                        [&](const ir::Node& n) { return n.op_type == op; }));
}

const QuantizedTensorInfo* FindRow(const QuantizeResult& r, const std::string& name) {
  for (const QuantizedTensorInfo& t : r.tensors) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

io::Dataset RandomDataset(ir::Shape shape, uint32_t seed, float lo = 0.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  io::Dataset ds;
  ds.images = RandomF32(shape, rng, lo, hi);
  ds.source_path = "random";
  return ds;
}

// x[?,1,8,8] -> Conv(4x1x3x3, b) -> Relu -> MaxPool 2x2 -> Flatten -> Gemm(10, transB) -> Softmax.
ir::Graph ConvPoolGemm() {
  std::mt19937 rng(7);
  ir::Graph g;
  g.inputs.push_back({"x", ir::DType::kF32, ir::Shape({ir::kDynamicDim, 1, 8, 8})});
  g.outputs.push_back({"probs", ir::DType::kF32, {}});
  g.initializers["W"] = RandomF32({4, 1, 3, 3}, rng, -0.5f, 0.5f);
  g.initializers["b"] = RandomF32({4}, rng, -0.1f, 0.1f);
  g.initializers["W2"] = RandomF32({10, 36}, rng, -0.3f, 0.3f);
  g.initializers["b2"] = RandomF32({10}, rng, -0.1f, 0.1f);
  g.nodes.push_back(MakeNode("conv", "Conv", {"x", "W", "b"}, {"h0"}));
  g.nodes.push_back(MakeNode("relu", "Relu", {"h0"}, {"h"}));
  g.nodes.push_back(MakeNode(
      "pool", "MaxPool", {"h"}, {"p"},
      {{"kernel_shape", std::vector<int64_t>{2, 2}}, {"strides", std::vector<int64_t>{2, 2}}}));
  g.nodes.push_back(MakeNode("flatten", "Flatten", {"p"}, {"f"}));
  g.nodes.push_back(
      MakeNode("fc", "Gemm", {"f", "W2", "b2"}, {"logits"}, {{"transB", int64_t{1}}}));
  g.nodes.push_back(MakeNode("softmax", "Softmax", {"logits"}, {"probs"}, {{"axis", int64_t{1}}}));
  return g;
}

QuantizeOptions SmallOptions(const std::string& method = "minmax") {
  QuantizeOptions o;
  o.method = method;
  o.calibrator.num_bins = 256;
  o.num_images = 0;
  o.batch_size = 8;
  o.threads = 1;
  return o;
}

// Runs `g` on `input` with the default runtime (oneDNN, optimized).
std::vector<ir::Tensor> RunGraph(const ir::Graph& g, const ir::Tensor& input) {
  auto session = runtime::Session::Create(g, runtime::SessionOptions{});
  EXPECT_TRUE(session.ok()) << session.status();
  if (!session.ok()) return {};
  auto out = (*session)->Run(std::vector<ir::TensorView>{input.view()});
  EXPECT_TRUE(out.ok()) << out.status();
  return out.ok() ? *std::move(out) : std::vector<ir::Tensor>{};
}

double MaxAbsDiff(const ir::Tensor& a, const ir::Tensor& b) {
  double d = 0;
  for (int64_t i = 0; i < a.NumElements(); ++i) {
    d = std::max(d, std::fabs(a.GetAsDouble(i) - b.GetAsDouble(i)));
  }
  return d;
}

double MaxAbs(const ir::Tensor& a) {
  double m = 0;
  for (int64_t i = 0; i < a.NumElements(); ++i) m = std::max(m, std::fabs(a.GetAsDouble(i)));
  return m;
}

TEST(QuantizerTest, ConvReluMaxPoolGemmStructure) {
  const io::Dataset data = RandomDataset({32, 1, 8, 8}, 1);
  auto r = Quantize(ConvPoolGemm(), data, SmallOptions());
  ASSERT_TRUE(r.ok()) << r.status();
  const ir::Graph& g = r->graph;
  EXPECT_TRUE(ir::VerifyGraph(g).ok());
  EXPECT_EQ(r->calib_images, 32);
  // Activations x, h (Conv with fused Relu), p, f; Gemm's output feeds Softmax.
  EXPECT_EQ(CountOp(g, "QuantizeLinear"), 4);
  EXPECT_EQ(CountOp(g, "DequantizeLinear"), 4 + 4);  // + W, b, W2, b2
  for (const char* t : {"x", "h", "p", "f"}) {
    ASSERT_NE(FindNode(g, std::string(t) + "/QuantizeLinear"), nullptr) << t;
    ASSERT_NE(FindNode(g, std::string(t) + "/DequantizeLinear"), nullptr) << t;
  }
  EXPECT_EQ(FindNode(g, "logits/QuantizeLinear"), nullptr);
  const ir::Node* conv = FindOp(g, "Conv");
  ASSERT_NE(conv, nullptr);
  EXPECT_THAT(conv->inputs,
              ::testing::ElementsAre("x_dequantized", "W_dequantized", "b_dequantized"));
  EXPECT_EQ(FindOp(g, "MaxPool")->inputs[0], "h_dequantized");
  EXPECT_EQ(FindOp(g, "Flatten")->inputs[0], "p_dequantized");
  EXPECT_THAT(FindOp(g, "Gemm")->inputs,
              ::testing::ElementsAre("f_dequantized", "W2_dequantized", "b2_dequantized"));
  EXPECT_EQ(FindOp(g, "Softmax")->inputs[0], "logits");
  EXPECT_EQ(g.initializers.count("W"), 0u);  // float weights are gone
  EXPECT_EQ(g.initializers.at("W_quantized").dtype(), ir::DType::kI8);
  EXPECT_EQ(g.initializers.at("W_scale").shape(), ir::Shape({4}));
  EXPECT_EQ(std::get<int64_t>(FindNode(g, "W/DequantizeLinear")->attrs.at("axis")), 0);
  EXPECT_EQ(g.initializers.at("b_quantized").dtype(), ir::DType::kI32);
  EXPECT_EQ(g.initializers.at("x_zero_point").dtype(), ir::DType::kU8);
  EXPECT_EQ(g.initializers.at("x_scale").shape(), ir::Shape({}));

  // Pass-through ops share h's parameters; the table is in graph order.
  ASSERT_EQ(r->tensors.size(), 4u);
  EXPECT_EQ(r->tensors[0].name, "x");
  EXPECT_EQ(r->tensors[1].name, "h");
  for (const char* t : {"p", "f"}) {
    const QuantizedTensorInfo* row = FindRow(*r, t);
    ASSERT_NE(row, nullptr);
    EXPECT_EQ(row->params_from, "h");
    EXPECT_EQ(row->scale, r->tensors[1].scale);
    EXPECT_EQ(row->zero_point, r->tensors[1].zero_point);
  }
  // Relu output: asymmetric range [0, max] gives zero point 0.
  EXPECT_EQ(r->tensors[1].zero_point, 0);
  EXPECT_EQ(r->tensors[1].calibrated_min, 0.0f);
}

TEST(QuantizerTest, QdqOutputsAreCloseToFloat) {
  const io::Dataset data = RandomDataset({64, 1, 8, 8}, 2);
  const ir::Graph g = ConvPoolGemm();
  auto r = Quantize(g, data, SmallOptions());
  ASSERT_TRUE(r.ok()) << r.status();
  std::mt19937 rng(3);
  const ir::Tensor input = RandomF32({16, 1, 8, 8}, rng, 0.0f, 1.0f);
  const auto want = RunGraph(g, input);
  const auto got = RunGraph(r->graph, input);
  ASSERT_EQ(want.size(), 1u);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_LT(MaxAbsDiff(want[0], got[0]), 0.02);  // probabilities
  EXPECT_GT(MaxAbsDiff(want[0], got[0]), 0.0);   // it is quantized
}

// x -> Conv a (Relu) ; x -> Conv b ; Add(a, b) -> Relu -> Conv c -> y.
ir::Graph Residual() {
  std::mt19937 rng(11);
  ir::Graph g;
  g.inputs.push_back({"x", ir::DType::kF32, ir::Shape({ir::kDynamicDim, 2, 5, 5})});
  g.outputs.push_back({"y", ir::DType::kF32, {}});
  const std::vector<int64_t> pads = {1, 1, 1, 1};
  g.initializers["Wa"] = RandomF32({2, 2, 3, 3}, rng, -0.4f, 0.4f);
  g.initializers["Wb"] = RandomF32({2, 2, 1, 1}, rng, -0.8f, 0.8f);
  g.initializers["Wc"] = RandomF32({3, 2, 1, 1}, rng, -0.8f, 0.8f);
  g.nodes.push_back(MakeNode("conv_a", "Conv", {"x", "Wa"}, {"a0"}, {{"pads", pads}}));
  g.nodes.push_back(MakeNode("relu_a", "Relu", {"a0"}, {"a"}));
  g.nodes.push_back(MakeNode("conv_b", "Conv", {"x", "Wb"}, {"b"}));
  g.nodes.push_back(MakeNode("add", "Add", {"a", "b"}, {"s0"}));
  g.nodes.push_back(MakeNode("relu_s", "Relu", {"s0"}, {"s"}));
  g.nodes.push_back(MakeNode("conv_c", "Conv", {"s", "Wc"}, {"y"}));
  return g;
}

TEST(QuantizerTest, ResidualAddQuantizesBothInputs) {
  const io::Dataset data = RandomDataset({16, 2, 5, 5}, 4, -1.0f, 1.0f);
  auto r = Quantize(Residual(), data, SmallOptions());
  ASSERT_TRUE(r.ok()) << r.status();
  const ir::Graph& g = r->graph;
  const ir::Node* add = FindOp(g, "Add");
  ASSERT_NE(add, nullptr);
  EXPECT_THAT(add->inputs, ::testing::ElementsAre("a_dequantized", "b_dequantized"));
  // x is read by two Convs through one Q/DQ pair.
  EXPECT_EQ(CountOp(g, "QuantizeLinear"), 4);  // x, a, b, s
  for (const ir::Node& n : g.nodes) {
    if (n.op_type == "Conv") {
      EXPECT_THAT(n.inputs[0], ::testing::EndsWith("_dequantized"));
    }
  }
  // On images it was calibrated on (no clipping): only rounding errors.
  const ir::Tensor input = ir::Tensor::CopyOf(data.Items(0, 4)->images);
  const auto want = RunGraph(Residual(), input);
  const auto got = RunGraph(g, input);
  ASSERT_EQ(got.size(), 1u);
  // Three int8 layers: within 3% of the output's magnitude.
  EXPECT_LT(MaxAbsDiff(want[0], got[0]), 0.03 * MaxAbs(want[0]));
}

TEST(QuantizerTest, ExcludedNodeKeepsItsInputsFloat) {
  const io::Dataset data = RandomDataset({16, 1, 8, 8}, 6);
  QuantizeOptions o = SmallOptions();
  o.selection.exclude_nodes = {"fc"};
  auto r = Quantize(ConvPoolGemm(), data, o);
  ASSERT_TRUE(r.ok()) << r.status();
  const ir::Node* gemm = FindOp(r->graph, "Gemm");
  EXPECT_THAT(gemm->inputs, ::testing::ElementsAre("f", "W2", "b2"));
  EXPECT_EQ(FindRow(*r, "f"), nullptr);
  EXPECT_NE(FindRow(*r, "p"), nullptr);  // Flatten still reads it

  // By op type: MaxPool's input is no longer quantized on its behalf; its
  // output is then calibrated on its own.
  o.selection.exclude_nodes.clear();
  o.selection.exclude_op_types = {"MaxPool"};
  auto by_type = Quantize(ConvPoolGemm(), data, o);
  ASSERT_TRUE(by_type.ok()) << by_type.status();
  EXPECT_EQ(FindRow(*by_type, "h"), nullptr);
  EXPECT_EQ(FindOp(by_type->graph, "MaxPool")->inputs[0], "h");
  ASSERT_NE(FindRow(*by_type, "p"), nullptr);
  EXPECT_EQ(FindRow(*by_type, "p")->params_from, "");
  EXPECT_EQ(FindRow(*by_type, "f")->params_from, "p");

  o.selection.exclude_nodes = {"nope"};
  EXPECT_EQ(Quantize(ConvPoolGemm(), data, o).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(QuantizerTest, RegionSelectsNodesBetweenInputsAndOutputs) {
  const io::Dataset data = RandomDataset({16, 1, 8, 8}, 8);
  QuantizeOptions o = SmallOptions();
  o.selection.output_nodes = {"h"};  // only the Conv (h = Conv+Relu after fusion)
  auto head = Quantize(ConvPoolGemm(), data, o);
  ASSERT_TRUE(head.ok()) << head.status();
  ASSERT_EQ(head->tensors.size(), 1u);
  EXPECT_EQ(head->tensors[0].name, "x");
  EXPECT_EQ(FindOp(head->graph, "MaxPool")->inputs[0], "h");
  EXPECT_EQ(FindOp(head->graph, "Gemm")->inputs[1], "W2");
  EXPECT_EQ(FindOp(head->graph, "Conv")->inputs[1], "W_dequantized");

  o.selection.output_nodes.clear();
  o.selection.input_nodes = {"pool"};  // a node name: the region starts at its output
  auto tail = Quantize(ConvPoolGemm(), data, o);
  ASSERT_TRUE(tail.ok()) << tail.status();
  EXPECT_EQ(FindRow(*tail, "x"), nullptr);
  EXPECT_EQ(FindOp(tail->graph, "Conv")->inputs[1], "W");
  ASSERT_NE(FindRow(*tail, "p"), nullptr);
  EXPECT_EQ(FindRow(*tail, "p")->params_from, "");
  EXPECT_EQ(FindRow(*tail, "f")->params_from, "p");
  EXPECT_EQ(FindOp(tail->graph, "Gemm")->inputs[0], "f_dequantized");
}

// x[?,2] -> Gemm(W [[0.5, -0.3], [0.1, 0.25]], transB, C [0.3, -0.1]) -> y.
TEST(QuantizerTest, GemmBiasAndWeightsAsComputedByHand) {
  ir::Graph g;
  g.inputs.push_back({"x", ir::DType::kF32, ir::Shape({ir::kDynamicDim, 2})});
  g.outputs.push_back({"y", ir::DType::kF32, {}});
  g.initializers["W"] =
      ir::Tensor::FromF32(ir::Shape{2, 2}, std::vector<float>{0.5f, -0.3f, 0.1f, 0.25f});
  g.initializers["C"] = ir::Tensor::FromF32(ir::Shape{2}, std::vector<float>{0.3f, -0.1f});
  g.nodes.push_back(MakeNode("fc", "Gemm", {"x", "W", "C"}, {"y"}, {{"transB", int64_t{1}}}));
  io::Dataset data;
  data.images = ir::Tensor::FromF32(ir::Shape{2, 2}, std::vector<float>{-1.0f, 3.0f, 0.5f, 0.25f});
  QuantizeOptions o = SmallOptions();
  o.bias_correction = BiasCorrectionMode::kOff;  // the hand computation is of the uncorrected bias
  auto r = Quantize(g, data, o);
  ASSERT_TRUE(r.ok()) << r.status();
  const ir::Graph& q = r->graph;
  // Input range [-1, 3]: scale 4/255, zero point round(1 / (4/255)) = round(63.75).
  ASSERT_EQ(r->tensors.size(), 1u);
  EXPECT_FLOAT_EQ(r->tensors[0].scale, 4.0f / 255);
  EXPECT_EQ(r->tensors[0].zero_point, 64);
  EXPECT_EQ(q.initializers.at("x_zero_point").data<uint8_t>()[0], 64);
  // Row scales 0.5/127 and 0.25/127; -0.3 * 127/0.5 = -76.2, 0.1 * 127/0.25 = 50.8.
  const ir::Tensor& wq = q.initializers.at("W_quantized");
  EXPECT_EQ(std::vector<int>(wq.data<int8_t>(), wq.data<int8_t>() + 4),
            (std::vector<int>{127, -76, 51, 127}));
  EXPECT_FLOAT_EQ(q.initializers.at("W_scale").data<float>()[0], 0.5f / 127);
  EXPECT_FLOAT_EQ(q.initializers.at("W_scale").data<float>()[1], 0.25f / 127);
  EXPECT_EQ(q.initializers.at("W_zero_point").dtype(), ir::DType::kI8);
  // 0.3 / (4/255 * 0.5/127) = 4857.75 -> 4858; -0.1 / (4/255 * 0.25/127) = -3238.5 -> -3238.
  const ir::Tensor& bq = q.initializers.at("C_quantized");
  EXPECT_EQ(bq.data<int32_t>()[0], 4858);
  EXPECT_EQ(bq.data<int32_t>()[1], -3238);
  EXPECT_FLOAT_EQ(q.initializers.at("C_scale").data<float>()[0], (4.0f / 255) * (0.5f / 127));
  EXPECT_EQ(q.initializers.at("C_zero_point").dtype(), ir::DType::kI32);
  EXPECT_EQ(std::get<int64_t>(FindNode(q, "C/DequantizeLinear")->attrs.at("axis")), 0);

  // transB = 0: the weight's channels are its columns (axis 1).
  g.initializers["W"] =
      ir::Tensor::FromF32(ir::Shape{2, 2}, std::vector<float>{0.5f, 0.1f, -0.3f, 0.25f});
  g.nodes[0].attrs.erase("transB");
  auto t = Quantize(g, data, o);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(std::get<int64_t>(FindNode(t->graph, "W/DequantizeLinear")->attrs.at("axis")), 1);
  EXPECT_EQ(t->graph.initializers.at("C_quantized").data<int32_t>()[1], -3238);
}

TEST(QuantizerTest, PerTensorWeightsOption) {
  const io::Dataset data = RandomDataset({8, 1, 8, 8}, 9);
  QuantizeOptions o = SmallOptions();
  o.per_channel_weights = false;
  auto r = Quantize(ConvPoolGemm(), data, o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->graph.initializers.at("W_scale").shape(), ir::Shape({}));
  EXPECT_FALSE(FindNode(r->graph, "W/DequantizeLinear")->HasAttr("axis"));
  EXPECT_EQ(r->graph.initializers.at("b_scale").shape(), ir::Shape({}));
}

TEST(QuantizerTest, SymmetricActivationsUseInt8ZeroPoints) {
  const io::Dataset data = RandomDataset({8, 1, 8, 8}, 10);
  QuantizeOptions o = SmallOptions();
  o.symmetric_activations = true;
  auto r = Quantize(ConvPoolGemm(), data, o);
  ASSERT_TRUE(r.ok()) << r.status();
  for (const QuantizedTensorInfo& t : r->tensors) {
    EXPECT_EQ(t.dtype, ir::DType::kI8) << t.name;
    EXPECT_EQ(t.zero_point, 0) << t.name;
  }
  EXPECT_EQ(r->graph.initializers.at("x_zero_point").dtype(), ir::DType::kI8);
}

TEST(QuantizerTest, Pof2UsesPowerOfTwoScalesEverywhere) {
  const io::Dataset data = RandomDataset({16, 1, 8, 8}, 12);
  for (const char* method : {"pof2-nonoverflow", "pof2-mindiffs"}) {
    auto r = Quantize(ConvPoolGemm(), data, SmallOptions(method));
    ASSERT_TRUE(r.ok()) << method << ": " << r.status();
    for (const QuantizedTensorInfo& t : r->tensors) {
      ASSERT_TRUE(t.fix_pos.has_value()) << t.name;
      EXPECT_EQ(t.scale, std::ldexp(1.0f, -*t.fix_pos)) << t.name;
      EXPECT_EQ(t.dtype, ir::DType::kI8);
    }
    for (const char* w : {"W_scale", "W2_scale"}) {
      const ir::Tensor& s = r->graph.initializers.at(w);
      ASSERT_EQ(s.shape(), ir::Shape({})) << w;
      int exponent = 0;
      EXPECT_EQ(std::frexp(s.data<float>()[0], &exponent), 0.5f) << w;
    }
    std::mt19937 rng(13);
    const ir::Tensor input = RandomF32({8, 1, 8, 8}, rng, 0.0f, 1.0f);
    EXPECT_LT(MaxAbsDiff(RunGraph(ConvPoolGemm(), input)[0], RunGraph(r->graph, input)[0]), 0.05)
        << method;
  }
}

TEST(QuantizerTest, EveryMethodProducesARunnableGraph) {
  const io::Dataset data = RandomDataset({16, 1, 8, 8}, 14);
  for (const std::string& method : CalibrationMethods()) {
    auto r = Quantize(ConvPoolGemm(), data, SmallOptions(method));
    ASSERT_TRUE(r.ok()) << method << ": " << r.status();
    std::mt19937 rng(15);
    const ir::Tensor input = RandomF32({4, 1, 8, 8}, rng, 0.0f, 1.0f);
    EXPECT_EQ(RunGraph(r->graph, input).size(), 1u) << method;
  }
}

// With two threads the weights are quantized on a thread of their own while
// the model is calibrated; the graph must be the one a single thread builds.
TEST(QuantizerTest, WeightsQuantizedAheadGiveTheSameGraph) {
  const io::Dataset data = RandomDataset({16, 1, 8, 8}, 17);
  for (const char* method : {"minmax", "mse", "pof2-mindiffs", "pof2-nonoverflow"}) {
    for (bool per_channel : {true, false}) {
      for (BiasCorrectionMode bc : {BiasCorrectionMode::kOff, BiasCorrectionMode::kAuto}) {
        SCOPED_TRACE(testing::Message() << method << (per_channel ? " per channel" : " per tensor")
                                        << " bias correction " << BiasCorrectionModeName(bc));
        QuantizeOptions one = SmallOptions(method);
        one.per_channel_weights = per_channel;
        one.bias_correction = bc;
        QuantizeOptions two = one;
        two.threads = 2;
        auto a = Quantize(ConvPoolGemm(), data, one);
        auto b = Quantize(ConvPoolGemm(), data, two);
        ASSERT_TRUE(a.ok()) << a.status();
        ASSERT_TRUE(b.ok()) << b.status();
        ASSERT_EQ(a->graph.nodes.size(), b->graph.nodes.size());
        ASSERT_EQ(a->graph.initializers.size(), b->graph.initializers.size());
        for (const auto& [name, t] : a->graph.initializers) {
          auto it = b->graph.initializers.find(name);
          ASSERT_NE(it, b->graph.initializers.end()) << name;
          ASSERT_EQ(it->second.shape(), t.shape()) << name;
          ASSERT_EQ(it->second.dtype(), t.dtype()) << name;
          EXPECT_EQ(std::memcmp(it->second.raw(), t.raw(), t.ByteSize()), 0) << name;
        }
      }
    }
  }
}

TEST(QuantizerTest, WeightQuantizedAheadReportsABadWeight) {
  const io::Dataset data = RandomDataset({8, 1, 8, 8}, 18);
  ir::Graph g = ConvPoolGemm();
  g.initializers.at("W2").data<float>()[3] = std::numeric_limits<float>::infinity();
  for (int threads : {1, 2}) {
    QuantizeOptions o = SmallOptions();
    o.threads = threads;
    auto r = Quantize(g, data, o);
    ASSERT_FALSE(r.ok()) << threads;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
    EXPECT_THAT(r.status().message(), testing::HasSubstr("fc")) << r.status();
  }
}

TEST(QuantizerTest, ReportsProgressPerBatch) {
  const io::Dataset data = RandomDataset({10, 1, 8, 8}, 16);
  QuantizeOptions o = SmallOptions();
  o.batch_size = 4;
  std::vector<std::pair<int64_t, int64_t>> seen;
  o.progress = [&](int64_t done, int64_t total) { seen.emplace_back(done, total); };
  auto r = Quantize(ConvPoolGemm(), data, o);
  ASSERT_TRUE(r.ok()) << r.status();
  // Equal batches (CalibrationBatchSize): 10 images at most 4 at a time run
  // as 5 x 2, not 4, 4, 2.
  EXPECT_THAT(seen, ::testing::ElementsAre(
                        std::pair<int64_t, int64_t>{2, 10}, std::pair<int64_t, int64_t>{4, 10},
                        std::pair<int64_t, int64_t>{6, 10}, std::pair<int64_t, int64_t>{8, 10},
                        std::pair<int64_t, int64_t>{10, 10}));
  EXPECT_EQ(r->calib_images, 10);

  o.num_images = 7;  // prime: 4 + 3
  seen.clear();
  ASSERT_TRUE(Quantize(ConvPoolGemm(), data, o).ok());
  EXPECT_THAT(seen, ::testing::ElementsAre(std::pair<int64_t, int64_t>{4, 7},
                                           std::pair<int64_t, int64_t>{7, 7}));
}

TEST(QuantizerTest, CancellationAbortsWithCancelled) {
  const io::Dataset data = RandomDataset({20, 1, 8, 8}, 17);
  QuantizeOptions o = SmallOptions();
  o.batch_size = 4;
  int checks = 0;
  int batches = 0;
  o.cancelled = [&] { return ++checks > 2; };
  o.progress = [&](int64_t, int64_t) { ++batches; };
  auto r = Quantize(ConvPoolGemm(), data, o);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(batches, 2);
}

TEST(QuantizerTest, BadOptionsAreInvalidArgument) {
  const io::Dataset data = RandomDataset({4, 1, 8, 8}, 18);
  QuantizeOptions o = SmallOptions("no-such-method");
  EXPECT_EQ(Quantize(ConvPoolGemm(), data, o).status().code(), absl::StatusCode::kInvalidArgument);
  o = SmallOptions();
  o.batch_size = 0;
  EXPECT_EQ(Quantize(ConvPoolGemm(), data, o).status().code(), absl::StatusCode::kInvalidArgument);
  o = SmallOptions();
  o.selection.exclude_op_types = {"Conv", "MaxPool", "Flatten", "Gemm"};
  EXPECT_EQ(Quantize(ConvPoolGemm(), data, o).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace fixpoint::quant
