// InputMoments: E[W x] per output channel from the input's sums must equal
// the mean of the node's actual bias-less output (reference kernels) for
// every Conv geometry — strides, pads, dilations, groups, 1-D — and Gemm
// layout, including an int8 input given with its scale and zero point; and
// moments merged from two halves of the batches equal those of all of them.
#include "core/quant/input_moments.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "core/ir/shape_inference.h"
#include "tests/unit/quant/channel_means.h"
#include "tests/unit/transform/transform_test_util.h"

namespace fixpoint::quant {
namespace {

using testing::ChannelMeans;
using transform::testing::MakeNode;
using transform::testing::RandomF32;
using transform::testing::RunReference;

struct Case {
  std::string name;
  ir::Shape x, w;
  std::map<std::string, ir::Attribute> attrs;
  std::string op = "Conv";
};

// Checks Means against the real output over two batches of inputs.
void ExpectMatchesOutputMean(const Case& c, uint32_t seed) {
  SCOPED_TRACE(c.name);
  std::mt19937 rng(seed);
  ir::Graph g;
  ir::Shape dynamic = c.x;
  g.inputs.push_back({"x", ir::DType::kF32, dynamic});
  g.outputs.push_back({"y", ir::DType::kF32, {}});
  g.initializers["w"] = RandomF32(c.w, rng);
  g.nodes.push_back(MakeNode("node", c.op, {"x", "w"}, {"y"}, c.attrs));
  ASSERT_TRUE(ir::InferShapes(g).ok());
  auto moments = InputMoments::For(g, g.nodes[0]);
  ASSERT_TRUE(moments.ok()) << moments.status();
  std::vector<ir::Tensor> outputs;
  for (int batch = 0; batch < 2; ++batch) {
    // Positive inputs (a ReLU's output) make a biased mean, as in practice.
    const ir::Tensor x = RandomF32(c.x, rng, 0.0f, 2.0f);
    ASSERT_TRUE(moments->Add(x.view()).ok());
    outputs.push_back(RunReference(g, {x})[0]);
  }
  std::vector<double> want(ChannelMeans(outputs[0]).size(), 0.0);
  for (const ir::Tensor& y : outputs) {
    const std::vector<double> m = ChannelMeans(y);
    for (size_t k = 0; k < m.size(); ++k) want[k] += m[k] / 2;
  }
  auto got = moments->Means(g.initializers.at("w"));
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), want.size());
  for (size_t k = 0; k < want.size(); ++k) EXPECT_NEAR((*got)[k], want[k], 1e-4) << "channel " << k;
}

TEST(InputMomentsTest, ConvGeometries) {
  using V = std::vector<int64_t>;
  const std::vector<Case> cases = {
      {"3x3 same", ir::Shape{3, 4, 9, 9}, ir::Shape{5, 4, 3, 3}, {{"pads", V{1, 1, 1, 1}}}},
      {"3x3 valid stride 2", ir::Shape{3, 4, 9, 8}, ir::Shape{5, 4, 3, 3}, {{"strides", V{2, 2}}}},
      {"asymmetric pads, stride 2x1", ir::Shape{2, 3, 7, 6}, ir::Shape{4, 3, 3, 2},
       {{"pads", V{2, 0, 1, 1}}, {"strides", V{2, 1}}}},
      {"dilation 2", ir::Shape{2, 3, 10, 10}, ir::Shape{4, 3, 3, 3},
       {{"dilations", V{2, 2}}, {"pads", V{2, 2, 2, 2}}}},
      {"groups", ir::Shape{2, 6, 8, 8}, ir::Shape{9, 2, 3, 3},
       {{"group", int64_t{3}}, {"pads", V{1, 1, 1, 1}}}},
      {"depthwise stride 2", ir::Shape{2, 4, 9, 9}, ir::Shape{4, 1, 3, 3},
       {{"group", int64_t{4}}, {"strides", V{2, 2}}, {"pads", V{1, 1, 1, 1}}}},
      {"1x1", ir::Shape{3, 8, 5, 5}, ir::Shape{6, 8, 1, 1}, {}},
      {"1-D", ir::Shape{3, 4, 20}, ir::Shape{5, 4, 5}, {{"pads", V{2, 1}}, {"strides", V{3}}}},
      {"auto_pad SAME_UPPER", ir::Shape{2, 3, 8, 7}, ir::Shape{4, 3, 4, 4},
       {{"auto_pad", std::string("SAME_UPPER")}, {"strides", V{2, 2}}}},
  };
  uint32_t seed = 1;
  for (const Case& c : cases) ExpectMatchesOutputMean(c, seed++);
}

TEST(InputMomentsTest, GemmLayouts) {
  ExpectMatchesOutputMean({"transB", ir::Shape{7, 5}, ir::Shape{3, 5}, {{"transB", int64_t{1}}}, "Gemm"}, 11);
  ExpectMatchesOutputMean({"plain", ir::Shape{7, 5}, ir::Shape{5, 3}, {}, "Gemm"}, 12);
  ExpectMatchesOutputMean({"transA", ir::Shape{5, 7}, ir::Shape{5, 3}, {{"transA", int64_t{1}}}, "Gemm"}, 13);
  // Means sums four outputs at a time, then the rest one by one.
  ExpectMatchesOutputMean({"transB, 4 + 2 outputs", ir::Shape{7, 5}, ir::Shape{6, 5}, {{"transB", int64_t{1}}}, "Gemm"}, 14);
  ExpectMatchesOutputMean({"plain, 4 + 4 + 1 outputs", ir::Shape{7, 5}, ir::Shape{5, 9}, {}, "Gemm"}, 15);
}

// u8 values q with scale s and zero point z count as (q - z) * s.
// x -> Conv(w, pads 1) -> y, shapes inferred; w drawn from `rng`. Empty
// (no nodes) if shape inference fails.
ir::Graph PaddedConv(const ir::Shape& x, const ir::Shape& w, std::mt19937& rng) {
  ir::Graph g;
  g.inputs.push_back({"x", ir::DType::kF32, x});
  g.outputs.push_back({"y", ir::DType::kF32, {}});
  g.initializers["w"] = RandomF32(w, rng);
  g.nodes.push_back(MakeNode("conv", "Conv", {"x", "w"}, {"y"},
                             {{"pads", std::vector<int64_t>{1, 1, 1, 1}}}));
  const absl::Status inferred = ir::InferShapes(g);
  EXPECT_TRUE(inferred.ok()) << inferred;
  if (!inferred.ok()) g.nodes.clear();
  return g;
}

TEST(InputMomentsTest, QuantizedInputEqualsItsDequantizedValues) {
  std::mt19937 rng(5);
  const ir::Graph g = PaddedConv(ir::Shape{2, 2, 4, 4}, ir::Shape{3, 2, 3, 3}, rng);
  ASSERT_FALSE(g.nodes.empty());
  auto from_q = InputMoments::For(g, g.nodes[0]);
  auto from_f = InputMoments::For(g, g.nodes[0]);
  ASSERT_TRUE(from_q.ok() && from_f.ok());
  ir::Tensor q(ir::DType::kU8, ir::Shape{2, 2, 4, 4});
  ir::Tensor f(ir::DType::kF32, ir::Shape{2, 2, 4, 4});
  const float scale = 0.05f;
  const int32_t zero = 17;
  for (int64_t i = 0; i < q.NumElements(); ++i) {
    q.data<uint8_t>()[i] = static_cast<uint8_t>((i * 37) % 256);
    f.data<float>()[i] = static_cast<float>(q.data<uint8_t>()[i] - zero) * scale;
  }
  ASSERT_TRUE(from_q->AddQuantized(q.view(), scale, zero).ok());
  ASSERT_TRUE(from_f->Add(f.view()).ok());
  auto a = from_q->Means(g.initializers.at("w"));
  auto b = from_f->Means(g.initializers.at("w"));
  ASSERT_TRUE(a.ok() && b.ok());
  for (size_t k = 0; k < a->size(); ++k) EXPECT_NEAR((*a)[k], (*b)[k], 1e-5);
}

// The calibration pass hands values over in the kernels' layouts: channels-last
// and channel blocks (padding lanes hold garbage and must be left out).
TEST(InputMomentsTest, ObservedLayoutsEqualPlain) {
  std::mt19937 rng(9);
  const ir::Graph g = PaddedConv(ir::Shape{2, 5, 3, 4}, ir::Shape{3, 5, 3, 3}, rng);
  ASSERT_FALSE(g.nodes.empty());
  const ir::Tensor x = RandomF32(ir::Shape{2, 5, 3, 4}, rng, 0.0f, 1.0f);
  auto at = [&](int64_t n, int64_t c, int64_t h, int64_t w) {
    return x.data<float>()[((n * 5 + c) * 3 + h) * 4 + w];
  };
  std::vector<float> nhwc(2 * 3 * 4 * 5);
  std::vector<float> blocked(2 * 1 * 3 * 4 * 8, 999.0f);  // nChw8c, 5 of 8 lanes real
  for (int64_t n = 0; n < 2; ++n) {
    for (int64_t c = 0; c < 5; ++c) {
      for (int64_t h = 0; h < 3; ++h) {
        for (int64_t w = 0; w < 4; ++w) {
          nhwc[((n * 3 + h) * 4 + w) * 5 + c] = at(n, c, h, w);
          blocked[((n * 3 + h) * 4 + w) * 8 + c] = at(n, c, h, w);
        }
      }
    }
  }
  auto plain = InputMoments::For(g, g.nodes[0]);
  auto last = InputMoments::For(g, g.nodes[0]);
  auto block = InputMoments::For(g, g.nodes[0]);
  ASSERT_TRUE(plain.ok() && last.ok() && block.ok());
  ASSERT_TRUE(plain->AddObserved(runtime::ObservedValue{x.view(), 0, false}).ok());
  const ir::TensorView nhwc_view{ir::DType::kF32, x.shape(), nhwc.data()};
  ASSERT_TRUE(last->AddObserved(runtime::ObservedValue{nhwc_view, 0, true}).ok());
  const ir::TensorView blocked_view{ir::DType::kF32, x.shape(), blocked.data()};
  ASSERT_TRUE(block->AddObserved(runtime::ObservedValue{blocked_view, 8, false}).ok());
  auto want = plain->Means(g.initializers.at("w"));
  auto got_last = last->Means(g.initializers.at("w"));
  auto got_block = block->Means(g.initializers.at("w"));
  ASSERT_TRUE(want.ok() && got_last.ok() && got_block.ok());
  for (size_t k = 0; k < want->size(); ++k) {
    EXPECT_NEAR((*got_last)[k], (*want)[k], 1e-6);
    EXPECT_NEAR((*got_block)[k], (*want)[k], 1e-6);
  }
}

TEST(InputMomentsTest, QuantizedChannelsLastEqualsPlainExactly) {
  // Bias correction's segments hand int8 inputs over as the int8 kernels
  // wrote them (NHWC): the moments must be exactly those of the plain form.
  std::mt19937 rng(10);
  const ir::Graph g = PaddedConv(ir::Shape{3, 5, 3, 4}, ir::Shape{3, 5, 3, 3}, rng);
  ASSERT_FALSE(g.nodes.empty());
  const ir::Shape shape{3, 5, 3, 4};
  ir::Tensor q(ir::DType::kU8, shape), q_nhwc(ir::DType::kU8, shape);
  std::uniform_int_distribution<int> level(0, 255);
  for (int64_t i = 0; i < q.NumElements(); ++i) q.data<uint8_t>()[i] = static_cast<uint8_t>(level(rng));
  for (int64_t n = 0; n < 3; ++n) {
    for (int64_t c = 0; c < 5; ++c) {
      for (int64_t i = 0; i < 12; ++i) {
        q_nhwc.data<uint8_t>()[(n * 12 + i) * 5 + c] = q.data<uint8_t>()[(n * 5 + c) * 12 + i];
      }
    }
  }
  auto plain = InputMoments::For(g, g.nodes[0]);
  auto last = InputMoments::For(g, g.nodes[0]);
  ASSERT_TRUE(plain.ok() && last.ok());
  ASSERT_TRUE(plain->AddQuantized(q.view(), 0.02f, 7).ok());
  ASSERT_TRUE(last->AddObserved(runtime::ObservedValue{q_nhwc.view(), 0, true}, 0.02f, 7).ok());
  auto want = plain->Means(g.initializers.at("w"));
  auto got = last->Means(g.initializers.at("w"));
  ASSERT_TRUE(want.ok() && got.ok());
  EXPECT_EQ(*got, *want);
  // Blocked int8 layouts are not something a kernel writes: refused.
  EXPECT_EQ(last->AddObserved(runtime::ObservedValue{q.view(), 8, false}, 0.02f, 7).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(InputMomentsTest, RejectsWhatItCannotSummarize) {
  ir::Graph g;
  g.inputs.push_back({"x", ir::DType::kF32, ir::Shape{2, 2, 4, 4, 4}});
  g.outputs.push_back({"y", ir::DType::kF32, {}});
  g.initializers["w"] = ir::Tensor::FromF32(ir::Shape{1, 2, 1, 1, 1}, std::vector<float>{1, 1});
  g.nodes.push_back(MakeNode("conv3d", "Conv", {"x", "w"}, {"y"}));
  ASSERT_TRUE(ir::InferShapes(g).ok());
  EXPECT_EQ(InputMoments::For(g, g.nodes[0]).status().code(), absl::StatusCode::kInvalidArgument);

  ir::Graph two_d;
  two_d.inputs.push_back({"x", ir::DType::kF32, ir::Shape{2, 2, 4, 4}});
  two_d.outputs.push_back({"y", ir::DType::kF32, {}});
  two_d.initializers["w"] = ir::Tensor::FromF32(ir::Shape{1, 2, 1, 1}, std::vector<float>{1, 1});
  two_d.nodes.push_back(MakeNode("conv", "Conv", {"x", "w"}, {"y"}));
  ASSERT_TRUE(ir::InferShapes(two_d).ok());
  auto m = InputMoments::For(two_d, two_d.nodes[0]);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->Means(two_d.initializers.at("w")).status().code(),
            absl::StatusCode::kFailedPrecondition);  // nothing added yet
  ir::Tensor wrong(ir::DType::kF32, ir::Shape{2, 3, 4, 4});
  EXPECT_EQ(m->Add(wrong.view()).code(), absl::StatusCode::kInvalidArgument);
  ir::Tensor f(ir::DType::kF32, ir::Shape{2, 2, 4, 4});
  EXPECT_EQ(m->AddQuantized(f.view(), 0.5f, 3).code(), absl::StatusCode::kInvalidArgument);
}

// Data-parallel passes sum batches on several threads and merge: the same
// means up to the order of double additions; another geometry is refused.
TEST(InputMomentsTest, MergeEqualsAddingEverything) {
  std::mt19937 rng(21);
  const ir::Graph g = PaddedConv(ir::Shape{3, 4, 7, 7}, ir::Shape{5, 4, 3, 3}, rng);
  ASSERT_FALSE(g.nodes.empty());
  auto all = InputMoments::For(g, g.nodes[0]);
  auto even = InputMoments::For(g, g.nodes[0]);
  auto odd = InputMoments::For(g, g.nodes[0]);
  ASSERT_TRUE(all.ok() && even.ok() && odd.ok());
  for (int batch = 0; batch < 5; ++batch) {
    const ir::Tensor x = RandomF32(ir::Shape{3, 4, 7, 7}, rng, 0.0f, 2.0f);
    ASSERT_TRUE(all->Add(x.view()).ok());
    ASSERT_TRUE((batch % 2 == 0 ? *even : *odd).Add(x.view()).ok());
  }
  ASSERT_TRUE(even->Merge(*odd).ok());
  auto want = all->Means(g.initializers.at("w"));
  auto got = even->Means(g.initializers.at("w"));
  ASSERT_TRUE(want.ok() && got.ok());
  ASSERT_EQ(got->size(), want->size());
  for (size_t k = 0; k < want->size(); ++k) {
    EXPECT_NEAR((*got)[k], (*want)[k], 1e-12 * std::abs((*want)[k])) << "channel " << k;
  }

  ir::Graph gemm;
  gemm.inputs.push_back({"x", ir::DType::kF32, ir::Shape{2, 4}});
  gemm.outputs.push_back({"y", ir::DType::kF32, {}});
  gemm.initializers["w"] = RandomF32(ir::Shape{4, 3}, rng);
  gemm.nodes.push_back(MakeNode("fc", "Gemm", {"x", "w"}, {"y"}));
  ASSERT_TRUE(ir::InferShapes(gemm).ok());
  auto other = InputMoments::For(gemm, gemm.nodes[0]);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(even->Merge(*other).code(), absl::StatusCode::kInvalidArgument);
  auto unchanged = even->Means(g.initializers.at("w"));
  ASSERT_TRUE(unchanged.ok());
  EXPECT_EQ(*unchanged, *got);
}

}  // namespace
}  // namespace fixpoint::quant
