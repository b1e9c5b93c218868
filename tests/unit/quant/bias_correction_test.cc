// Empirical bias correction: a known mean shift injected through weight
// rounding is measured and removed (on the calibration images and on fresh
// ones), a node without bias gets one, a Conv with a fused Relu is corrected
// too, auto keeps a helpful correction and drops a useless one, and only
// correctable nodes are chosen.
#include "core/quant/bias_correction.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/ir/shape_inference.h"
#include "core/quant/calibrate_graph.h"
#include "core/quant/qdq_insert.h"
#include "core/quant/quant_plan.h"
#include "core/quant/quantizer.h"
#include "core/runtime/session.h"
#include "core/transform/fuse_activations.h"
#include "tests/unit/quant/channel_means.h"
#include "tests/unit/transform/transform_test_util.h"

namespace fixpoint::quant {
namespace {

using transform::testing::MakeNode;
using transform::testing::RandomF32;

// [n, 2, 4, 4]: channel 0 uniform in [0, 1], channel 1 uniform in [9.5, 10.5].
io::Dataset TwoChannelData(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  std::vector<float> v(n * 2 * 16);
  for (int64_t i = 0; i < n; ++i) {
    for (int k = 0; k < 16; ++k) {
      v[(i * 2) * 16 + k] = u(rng);
      v[(i * 2 + 1) * 16 + k] = 9.5f + u(rng);
    }
  }
  io::Dataset ds;
  ds.images = ir::Tensor::FromF32(ir::Shape{n, 2, 4, 4}, v);
  ds.source_path = "two-channel";
  return ds;
}

// x -> Conv 1x1 (W = [1, 0.0041]) -> y. Per-channel scale 1/127: 0.0041 * 127
// = 0.52 rounds to 1, so w1 grows by 1/127 - 0.0041 = 0.003774 and the mean
// output by that times E[x1] = 10: a 0.0377 shift that does not average out.
ir::Graph TinyConv(bool with_bias, bool relu) {
  ir::Graph g;
  g.inputs.push_back({"x", ir::DType::kF32, ir::Shape({ir::kDynamicDim, 2, 4, 4})});
  g.outputs.push_back({"y", ir::DType::kF32, {}});
  g.initializers["W"] = ir::Tensor::FromF32(ir::Shape{1, 2, 1, 1}, std::vector<float>{1.0f, 0.0041f});
  std::vector<std::string> inputs = {"x", "W"};
  if (with_bias) {
    g.initializers["b"] = ir::Tensor::FromF32(ir::Shape{1}, std::vector<float>{0.5f});
    inputs.push_back("b");
  }
  g.nodes.push_back(MakeNode("conv", "Conv", inputs, {relu ? "h" : "y"}));
  if (relu) g.nodes.push_back(MakeNode("relu", "Relu", {"h"}, {"y"}));
  return g;
}

std::vector<float> Output(const ir::Graph& g, const io::Dataset& data) {
  runtime::SessionOptions so;
  so.intra_op_threads = 1;
  auto s = runtime::Session::Create(g, so);
  EXPECT_TRUE(s.ok()) << s.status();
  const ir::TensorView in[] = {data.images.view()};
  auto out = (*s)->Run(in);
  EXPECT_TRUE(out.ok()) << out.status();
  const ir::Tensor& t = (*out)[0];
  return std::vector<float>(t.data<float>(), t.data<float>() + t.NumElements());
}

// Mean of (quantized - float) outputs of `g` quantized with or without the
// correction, over `eval`.
double MeanShift(const ir::Graph& g, const io::Dataset& calib, const io::Dataset& eval,
                 bool correct, QuantizeResult* result = nullptr) {
  QuantizeOptions o;
  o.method = "minmax";
  o.batch_size = 16;
  o.threads = 1;
  o.bias_correction = correct ? BiasCorrectionMode::kOn : BiasCorrectionMode::kOff;
  auto q = Quantize(g, calib, o);
  EXPECT_TRUE(q.ok()) << q.status();
  if (!q.ok()) return NAN;
  const std::vector<float> f = Output(g, eval);
  const std::vector<float> d = Output(q->graph, eval);
  double sum = 0;
  for (size_t i = 0; i < f.size(); ++i) sum += d[i] - f[i];
  if (result != nullptr) *result = *std::move(q);
  return sum / static_cast<double>(f.size());
}

TEST(BiasCorrectionTest, RemovesAnInjectedMeanShift) {
  const io::Dataset calib = TwoChannelData(64, 1);
  const io::Dataset fresh = TwoChannelData(64, 2);
  const ir::Graph g = TinyConv(/*with_bias=*/true, /*relu=*/false);
  // Without: the weight-rounding shift (input rounding is zero-mean here).
  EXPECT_NEAR(MeanShift(g, calib, calib, false), 0.0377, 0.003);
  EXPECT_NEAR(MeanShift(g, calib, fresh, false), 0.0377, 0.003);
  // With: gone up to the int32 bias step (s_in * s_w = 10.5/255 / 127 = 3.2e-4)
  // on the calibration images, and on fresh images up to sampling noise.
  QuantizeResult r;
  EXPECT_LT(std::abs(MeanShift(g, calib, calib, true, &r)), 2e-4);
  EXPECT_LT(std::abs(MeanShift(g, calib, fresh, true)), 2e-3);
  EXPECT_TRUE(r.bias_correction.applied);
  EXPECT_EQ(r.bias_correction.nodes, std::vector<std::string>{"conv"});
}

TEST(BiasCorrectionTest, AddsABiasWhereThereIsNone) {
  const io::Dataset calib = TwoChannelData(64, 3);
  const ir::Graph g = TinyConv(/*with_bias=*/false, /*relu=*/false);
  EXPECT_NEAR(MeanShift(g, calib, calib, false), 0.0377, 0.003);
  QuantizeResult r;
  EXPECT_LT(std::abs(MeanShift(g, calib, calib, true, &r)), 2e-4);
  EXPECT_EQ(r.graph.nodes.back().op_type, "Conv");
  EXPECT_TRUE(r.graph.nodes.back().HasInput(2));
}

// The preparation fuses the Relu into the Conv; the probe strips it and
// measures before it (every pre-activation is positive here, so the output
// shift equals the pre-activation shift).
TEST(BiasCorrectionTest, MeasuresBeforeAFusedActivation) {
  const io::Dataset calib = TwoChannelData(64, 4);
  const ir::Graph g = TinyConv(/*with_bias=*/true, /*relu=*/true);
  EXPECT_NEAR(MeanShift(g, calib, calib, false), 0.0377, 0.003);
  EXPECT_LT(std::abs(MeanShift(g, calib, calib, true)), 2e-4);
}

// auto keeps the correction when the output SQNR on the calibration images
// rises (here the shift is most of the output error)...
TEST(BiasCorrectionTest, AutoKeepsAHelpfulCorrection) {
  const io::Dataset calib = TwoChannelData(64, 7);
  QuantizeOptions o;
  o.method = "minmax";
  o.threads = 1;
  o.bias_correction = BiasCorrectionMode::kAuto;
  auto r = Quantize(TinyConv(true, false), calib, o);
  ASSERT_TRUE(r.ok()) << r.status();
  const BiasCorrectionReport& b = r->bias_correction;
  EXPECT_TRUE(b.applied);
  ASSERT_TRUE(b.calib_sqnr_without_db.has_value() && b.calib_sqnr_with_db.has_value());
  EXPECT_GT(*b.calib_sqnr_with_db, *b.calib_sqnr_without_db + 3);
  o.bias_correction = BiasCorrectionMode::kOn;
  auto on = Quantize(TinyConv(true, false), calib, o);
  ASSERT_TRUE(on.ok()) << on.status();
  EXPECT_EQ(on->graph.initializers.at("b_quantized").data<int32_t>()[0],
            r->graph.initializers.at("b_quantized").data<int32_t>()[0]);
}

// ... and drops it when it does not: an exactly representable Gemm (integer
// inputs 0..255 give scale 1, weights +-1 and 0 are exact) has no error to fix.
TEST(BiasCorrectionTest, AutoDropsACorrectionThatDoesNotHelp) {
  ir::Graph g;
  g.inputs.push_back({"x", ir::DType::kF32, ir::Shape({ir::kDynamicDim, 2})});
  g.outputs.push_back({"y", ir::DType::kF32, {}});
  g.initializers["W"] =
      ir::Tensor::FromF32(ir::Shape{2, 2}, std::vector<float>{1.0f, 0.0f, -1.0f, 1.0f});
  g.initializers["C"] = ir::Tensor::FromF32(ir::Shape{2}, std::vector<float>{0.0f, 0.0f});
  g.nodes.push_back(MakeNode("fc", "Gemm", {"x", "W", "C"}, {"y"}, {{"transB", int64_t{1}}}));
  std::vector<float> v;
  for (int i = 0; i < 64; ++i) {
    v.push_back(static_cast<float>(i * 4 % 256));
    v.push_back(static_cast<float>(255 - i * 3 % 256));
  }
  v[0] = 0.0f;
  v[1] = 255.0f;
  io::Dataset data;
  data.images = ir::Tensor::FromF32(ir::Shape{64, 2}, v);
  QuantizeOptions o;
  o.method = "minmax";
  o.threads = 1;
  auto r = Quantize(g, data, o);  // kAuto is the default
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->bias_correction.applied);
  EXPECT_TRUE(r->bias_correction.nodes.empty());
  ASSERT_TRUE(r->bias_correction.calib_sqnr_without_db.has_value());
  EXPECT_FALSE(*r->bias_correction.calib_sqnr_with_db > *r->bias_correction.calib_sqnr_without_db);
}

TEST(BiasCorrectionTest, ModeNamesRoundTrip) {
  for (BiasCorrectionMode m :
       {BiasCorrectionMode::kOff, BiasCorrectionMode::kOn, BiasCorrectionMode::kAuto}) {
    auto parsed = ParseBiasCorrectionMode(BiasCorrectionModeName(m));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, m);
  }
  EXPECT_EQ(ParseBiasCorrectionMode("yes").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(BiasCorrectionTest, ChoosesConvAndPlainGemmWithQuantizedWeights) {
  ir::Graph g;
  g.inputs.push_back({"x", ir::DType::kF32, ir::Shape({ir::kDynamicDim, 2})});
  g.outputs.push_back({"z", ir::DType::kF32, {}});
  g.initializers["W_quantized"] = ir::Tensor(ir::DType::kI8, ir::Shape{2, 2});
  g.initializers["s"] = ir::Tensor::FromF32(ir::Shape{}, std::vector<float>{0.1f});
  g.initializers["zp"] = ir::Tensor(ir::DType::kI8, ir::Shape{});
  g.initializers["F"] = ir::Tensor::FromF32(ir::Shape{2, 2}, std::vector<float>(4, 0.5f));
  g.nodes.push_back(MakeNode("dq", "DequantizeLinear", {"W_quantized", "s", "zp"}, {"W"}));
  g.nodes.push_back(MakeNode("plain", "Gemm", {"x", "W"}, {"y1"}));
  g.nodes.push_back(MakeNode("scaled", "Gemm", {"y1", "W"}, {"y2"}, {{"alpha", 2.0f}}));
  g.nodes.push_back(MakeNode("float_weight", "Gemm", {"y2", "F"}, {"z"}));
  EXPECT_EQ(BiasCorrectableNodes(g), std::vector<std::string>{"plain"});
}

TEST(BiasCorrectionTest, RejectsUnknownNodesAndBadBatch) {
  ir::Graph g = TinyConv(true, false);
  const io::Dataset calib = TwoChannelData(4, 5);
  const QdqRewrite identity = [](const ir::Graph& f) -> absl::StatusOr<ir::Graph> { return f; };
  BiasCorrectionOptions o;
  EXPECT_EQ(CorrectBiases(g, {"nope"}, identity, calib, o).status().code(),
            absl::StatusCode::kInvalidArgument);
  o.batch_size = 0;
  EXPECT_EQ(CorrectBiases(g, {"conv"}, identity, calib, o).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// With an identity "quantization" nothing moves: the correction is the
// measured difference, not a fixed adjustment.
TEST(BiasCorrectionTest, IdentityRewriteLeavesBiasUnchanged) {
  ir::Graph g = TinyConv(true, false);
  const io::Dataset calib = TwoChannelData(8, 6);
  const QdqRewrite identity = [](const ir::Graph& f) -> absl::StatusOr<ir::Graph> { return f; };
  auto r = CorrectBiases(g, {"conv"}, identity, calib, BiasCorrectionOptions{});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->corrected.size(), 1u);
  EXPECT_EQ(r->corrected[0].max_abs_shift, 0.0);
  EXPECT_EQ(g.initializers.at("b").data<float>()[0], 0.5f);
}

// x -> conv1+relu -> h1 -> conv2(stride 2)+relu -> h2
//                    h1 -> conv3 (1x1, stride 2) -> h3;  h2 + h3 -> relu
//   -> GlobalAveragePool -> Flatten -> Gemm -> y: strides, padding, a
// residual branch that reads the same input as conv2, and a Gemm.
ir::Graph ResidualNet(std::mt19937& rng) {
  using V = std::vector<int64_t>;
  ir::Graph g;
  g.inputs.push_back({"x", ir::DType::kF32, ir::Shape({ir::kDynamicDim, 3, 8, 8})});
  g.outputs.push_back({"y", ir::DType::kF32, {}});
  auto conv = [&](const std::string& name, int64_t out, int64_t in, int64_t k) {
    g.initializers[name + "_w"] = RandomF32(ir::Shape{out, in, k, k}, rng, -0.4f, 0.4f);
    g.initializers[name + "_b"] = RandomF32(ir::Shape{out}, rng, -0.1f, 0.1f);
  };
  conv("c1", 8, 3, 3);
  conv("c2", 8, 8, 3);
  conv("c3", 8, 8, 1);
  g.initializers["fc_w"] = RandomF32(ir::Shape{4, 8}, rng, -0.5f, 0.5f);
  g.initializers["fc_b"] = RandomF32(ir::Shape{4}, rng, -0.1f, 0.1f);
  g.nodes.push_back(MakeNode("c1", "Conv", {"x", "c1_w", "c1_b"}, {"a1"}, {{"pads", V{1, 1, 1, 1}}}));
  g.nodes.push_back(MakeNode("r1", "Relu", {"a1"}, {"h1"}));
  g.nodes.push_back(MakeNode("c2", "Conv", {"h1", "c2_w", "c2_b"}, {"a2"},
                             {{"pads", V{1, 1, 1, 1}}, {"strides", V{2, 2}}}));
  g.nodes.push_back(MakeNode("r2", "Relu", {"a2"}, {"h2"}));
  g.nodes.push_back(MakeNode("c3", "Conv", {"h1", "c3_w", "c3_b"}, {"h3"}, {{"strides", V{2, 2}}}));
  g.nodes.push_back(MakeNode("add", "Add", {"h2", "h3"}, {"s"}));
  g.nodes.push_back(MakeNode("r3", "Relu", {"s"}, {"h4"}));
  g.nodes.push_back(MakeNode("gap", "GlobalAveragePool", {"h4"}, {"p"}));
  g.nodes.push_back(MakeNode("flat", "Flatten", {"p"}, {"f"}));
  g.nodes.push_back(MakeNode("fc", "Gemm", {"f", "fc_w", "fc_b"}, {"y"}, {{"transB", int64_t{1}}}));
  return g;
}

// Per-channel mean of node `name`'s output before bias and activation in
// `g` run as written (QDQ simulation for a QDQ graph) on `data`.
std::vector<double> PreBiasMeans(ir::Graph g, const std::string& name, const io::Dataset& data) {
  ir::Node probe;
  for (const ir::Node& n : g.nodes) probe = n.name == name ? n : probe;
  probe.name = "probe";
  probe.inputs.resize(2);
  for (const char* key :
       {transform::kFusedActivation, transform::kFusedAlpha, transform::kFusedBeta}) {
    probe.attrs.erase(key);
  }
  probe.outputs = {"probe"};
  g.nodes.push_back(probe);
  g.outputs = {{"probe", ir::DType::kF32, {}}};
  runtime::SessionOptions so;
  so.intra_op_threads = 1;
  so.optimize = false;
  so.lower_qdq = false;
  auto s = runtime::Session::Create(g, so);
  EXPECT_TRUE(s.ok()) << s.status();
  if (!s.ok()) return {};
  const ir::TensorView in[] = {data.images.view()};
  auto out = (*s)->Run(in);
  EXPECT_TRUE(out.ok()) << out.status();
  if (!out.ok()) return {};
  return testing::ChannelMeans((*out)[0]);
}

// The one-pass, segmented correction gives the biases of the textbook
// algorithm: for each layer in graph order, quantize the graph with the
// earlier corrections, measure the layer's pre-bias mean in the QDQ
// simulation and in float, subtract the difference.
TEST(BiasCorrectionTest, MatchesLayerByLayerReference) {
  std::mt19937 rng(42);
  const ir::Graph net = ResidualNet(rng);
  io::Dataset calib;
  calib.images = RandomF32(ir::Shape{48, 3, 8, 8}, rng, 0.0f, 1.0f);
  calib.source_path = "random";
  auto prepared = PrepareForQuantization(net);
  ASSERT_TRUE(prepared.ok()) << prepared.status();
  auto plan = PlanActivations(*prepared, QuantSelection{});
  ASSERT_TRUE(plan.ok()) << plan.status();
  CalibrateOptions co;
  co.method = "minmax";
  co.threads = 1;
  auto calibrated = CalibrateGraph(*prepared, plan->calibrated, calib, co);
  ASSERT_TRUE(calibrated.ok()) << calibrated.status();
  auto activations =
      ChooseActivationParams(*plan, calibrated->ranges, ActivationScheme::kAsymmetricU8);
  ASSERT_TRUE(activations.ok()) << activations.status();
  const QdqRewrite to_qdq = [&](const ir::Graph& f) {
    return InsertQdq(f, *plan, *activations, QdqOptions{});
  };
  auto uncorrected = to_qdq(*prepared);
  ASSERT_TRUE(uncorrected.ok());
  const std::vector<std::string> nodes = BiasCorrectableNodes(*uncorrected);
  ASSERT_EQ(nodes, (std::vector<std::string>{"c1", "c2", "c3", "fc"}));

  ir::Graph reference = *prepared;
  for (const std::string& name : nodes) {
    auto qdq = to_qdq(reference);
    ASSERT_TRUE(qdq.ok());
    const std::vector<double> q = PreBiasMeans(*qdq, name, calib);
    const std::vector<double> f = PreBiasMeans(*prepared, name, calib);  // the float model's
    ASSERT_EQ(q.size(), f.size());
    for (ir::Node& n : reference.nodes) {
      if (n.name != name) continue;
      float* b = reference.initializers.at(n.inputs[2]).data<float>();
      for (size_t c = 0; c < q.size(); ++c) b[c] = static_cast<float>(b[c] - (q[c] - f[c]));
    }
  }

  ir::Graph corrected = *prepared;
  BiasCorrectionOptions o;
  o.batch_size = 16;  // three batches: sums across batches
  o.threads = 1;
  o.compare_outputs = true;
  auto r = CorrectBiases(corrected, nodes, to_qdq, calib, o);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->corrected.size(), nodes.size());
  EXPECT_GT(r->output_sqnr_with_db, r->output_sqnr_without_db);
  // The QDQ graph it returns is the rewrite of the corrected float graph.
  auto rewritten = to_qdq(corrected);
  ASSERT_TRUE(rewritten.ok()) << rewritten.status();
  ASSERT_EQ(r->qdq.nodes.size(), rewritten->nodes.size());
  ASSERT_EQ(r->qdq.initializers.size(), rewritten->initializers.size());
  for (const auto& [name, t] : rewritten->initializers) {
    const ir::Tensor* kept = r->qdq.FindInitializer(name);
    ASSERT_NE(kept, nullptr) << name;
    ASSERT_EQ(kept->ByteSize(), t.ByteSize()) << name;
    EXPECT_EQ(std::memcmp(kept->raw(), t.raw(), t.ByteSize()), 0) << name;
  }
  // The quantizer's way: the float reference gathered by the calibration
  // pass (in place, in the kernels' layouts) gives the same biases.
  FloatReference from_calibration = FloatReference::For(*prepared);
  CalibrateOptions side = co;
  side.batch_size = 16;
  side.float_reference = &from_calibration;
  side.float_reference_images = calib.size();
  ASSERT_TRUE(CalibrateGraph(*prepared, plan->calibrated, calib, side).ok());
  EXPECT_EQ(from_calibration.batch_sizes(), (std::vector<int64_t>{16, 16, 16}));
  ir::Graph via_reference = *prepared;
  o.float_reference = &from_calibration;
  auto r2 = CorrectBiases(via_reference, nodes, to_qdq, calib, o);
  ASSERT_TRUE(r2.ok()) << r2.status();
  EXPECT_NEAR(r2->output_sqnr_with_db, r->output_sqnr_with_db, 1e-3);
  EXPECT_NEAR(r2->output_sqnr_without_db, r->output_sqnr_without_db, 1e-3);
  // With two threads the uncorrected graph runs on a thread of its own,
  // beside the segments: the same comparison and biases.
  ir::Graph two_threads = *prepared;
  o.threads = 2;
  auto r3 = CorrectBiases(two_threads, nodes, to_qdq, calib, o);
  ASSERT_TRUE(r3.ok()) << r3.status();
  EXPECT_NEAR(r3->output_sqnr_with_db, r2->output_sqnr_with_db, 1e-3);
  EXPECT_NEAR(r3->output_sqnr_without_db, r2->output_sqnr_without_db, 1e-3);

  for (const std::string& name : nodes) {
    SCOPED_TRACE(name);
    const ir::Node* before = nullptr;
    const ir::Node* after = nullptr;
    for (const ir::Node& n : prepared->nodes) before = n.name == name ? &n : before;
    for (const ir::Node& n : reference.nodes) after = n.name == name ? &n : after;
    const ir::Tensor& original = prepared->initializers.at(before->inputs[2]);
    const ir::Tensor& want = reference.initializers.at(after->inputs[2]);
    const ir::Tensor& got = corrected.initializers.at(after->inputs[2]);
    double largest_shift = 0;
    for (int64_t c = 0; c < want.NumElements(); ++c) {
      largest_shift = std::max<double>(
          largest_shift, std::abs(want.data<float>()[c] - original.data<float>()[c]));
    }
    EXPECT_GT(largest_shift, 1e-4);  // there is something to correct
    const ir::Tensor& got2 = via_reference.initializers.at(after->inputs[2]);
    for (int64_t c = 0; c < want.NumElements(); ++c) {
      // The int8 kernels match the simulation up to rare 1-LSB differences.
      EXPECT_NEAR(got.data<float>()[c], want.data<float>()[c], 0.02 * largest_shift + 1e-6)
          << "channel " << c;
      EXPECT_NEAR(got2.data<float>()[c], got.data<float>()[c], 1e-6) << "channel " << c;
      EXPECT_NEAR(two_threads.initializers.at(after->inputs[2]).data<float>()[c],
                  got2.data<float>()[c], 1e-6)
          << "channel " << c;
    }
  }
}

// Values crossing a point of ResidualNet, per image as f32: at most h1
// (8x8x8, read again by c3) plus a2 or h2 (8x4x4) = 2,560 bytes.
TEST(BiasCorrectionTest, ImagesWithinAMemoryBudget) {
  std::mt19937 rng(1);
  ir::Graph g = ResidualNet(rng);
  ASSERT_TRUE(ir::InferShapes(g).ok());
  EXPECT_EQ(BiasCorrectionImagesWithin(g, 2560 * 10), 10);
  EXPECT_EQ(BiasCorrectionImagesWithin(g, 2560 * 10 - 1), 9);
  EXPECT_EQ(BiasCorrectionImagesWithin(g, 0), 1);
}

// A layer the float reference cannot summarize (a 3-D conv) is left as it
// is; the quantization still succeeds.
TEST(BiasCorrectionTest, SkipsLayersItCannotSummarize) {
  ir::Graph g;
  g.inputs.push_back({"x", ir::DType::kF32, ir::Shape({ir::kDynamicDim, 1, 4, 4, 4})});
  g.outputs.push_back({"y", ir::DType::kF32, {}});
  g.initializers["W"] = ir::Tensor::FromF32(ir::Shape{2, 1, 1, 1, 1}, std::vector<float>{1, 0.3f});
  g.initializers["b"] = ir::Tensor::FromF32(ir::Shape{2}, std::vector<float>{0.1f, 0.2f});
  g.nodes.push_back(MakeNode("conv3d", "Conv", {"x", "W", "b"}, {"y"}));
  std::mt19937 rng(3);
  io::Dataset data;
  data.images = RandomF32(ir::Shape{8, 1, 4, 4, 4}, rng, 0.0f, 1.0f);
  QuantizeOptions o;
  o.method = "minmax";
  o.threads = 1;
  o.bias_correction = BiasCorrectionMode::kOn;
  auto r = Quantize(g, data, o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->bias_correction.applied);
  EXPECT_TRUE(r->bias_correction.nodes.empty());
}

}  // namespace
}  // namespace fixpoint::quant
