// Session::RunLaidOut: values passed between sessions channels-last, as the
// int8 convolutions write them, give what one session computes; listed
// outputs stay channels-last only in RunLaidOut; a channels-last input is
// converted for readers that need plain values; only rank-4 inputs can be
// channels-last.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/runtime/session.h"
#include "tests/unit/transform/transform_test_util.h"

namespace fixpoint::runtime {
namespace {

using ir::DType;
using ir::Shape;
using ir::Tensor;
using transform::testing::MakeNode;
using transform::testing::RandomF32;

constexpr int64_t kChannels = 16;

Tensor Scalar(float v) { return Tensor::FromF32(Shape{}, std::vector<float>{v}); }

Tensor RandomS8(const Shape& shape, std::mt19937& rng) {
  Tensor t(DType::kI8, shape);
  std::uniform_int_distribution<int> level(-127, 127);
  for (int64_t i = 0; i < t.NumElements(); ++i) t.data<int8_t>()[i] = static_cast<int8_t>(level(rng));
  return t;
}

// Adds DQ(in) -> Conv(3x3, DQ(int8 weight)) -> Q to `g`: "<name>_q", u8.
std::string AddQdqConv(ir::Graph& g, const std::string& name, const std::string& in,
                       int64_t in_channels, std::mt19937& rng) {
  g.initializers[name + "_w"] = RandomS8(Shape{kChannels, in_channels, 3, 3}, rng);
  g.initializers[name + "_ws"] = Scalar(0.01f);
  g.initializers[name + "_wz"] = Tensor(DType::kI8, Shape{});
  g.nodes.push_back(MakeNode(name + "_dqx", "DequantizeLinear", {in, "s", "z"}, {name + "_x"}));
  g.nodes.push_back(
      MakeNode(name + "_dqw", "DequantizeLinear", {name + "_w", name + "_ws", name + "_wz"},
               {name + "_wd"}));
  g.nodes.push_back(MakeNode(name, "Conv", {name + "_x", name + "_wd"}, {name + "_c"},
                             {{"pads", std::vector<int64_t>{1, 1, 1, 1}}}));
  g.nodes.push_back(MakeNode(name + "_q", "QuantizeLinear", {name + "_c", "s", "z"}, {name + "_q"}));
  return name + "_q";
}

// x -> Q -> conv1 -> "mid" (u8) -> conv2 -> DQ -> "y", whole; or its first
// part (x -> "mid") or its second ("mid" -> "y").
enum class Part { kWhole, kFirst, kSecond };
ir::Graph QdqChain(Part part) {
  std::mt19937 rng(7);
  ir::Graph g;
  g.initializers["s"] = Scalar(0.05f);
  g.initializers["z"] = Tensor(DType::kU8, Shape{});
  ir::Graph second;
  const Shape mid_shape{ir::kDynamicDim, kChannels, 8, 8};
  if (part != Part::kSecond) {
    g.inputs.push_back({"x", DType::kF32, Shape{ir::kDynamicDim, 3, 8, 8}});
    g.nodes.push_back(MakeNode("qx", "QuantizeLinear", {"x", "s", "z"}, {"xq"}));
  }
  std::mt19937 weights(11);
  const std::string first_out = AddQdqConv(g, "conv1", "xq", 3, weights);
  if (part == Part::kFirst) {
    g.outputs.push_back({first_out, DType::kU8, mid_shape});
    return g;
  }
  if (part == Part::kSecond) {
    g.nodes.clear();  // the first conv's constants stay, unread
    g.inputs.push_back({first_out, DType::kU8, mid_shape});
  }
  const std::string out = AddQdqConv(g, "conv2", first_out, kChannels, weights);
  g.nodes.push_back(MakeNode("dqy", "DequantizeLinear", {out, "s", "z"}, {"y"}));
  g.outputs.push_back({"y", DType::kF32, mid_shape});
  return g;
}

std::unique_ptr<Session> Make(ir::Graph g, std::vector<std::string> channels_last_outputs = {}) {
  SessionOptions options;
  options.intra_op_threads = 1;
  options.channels_last_outputs = std::move(channels_last_outputs);
  auto session = Session::Create(std::move(g), options);
  EXPECT_TRUE(session.ok()) << session.status();
  return session.ok() ? *std::move(session) : nullptr;
}

// The NCHW order of a channels-last [N, C, H, W] u8 tensor.
std::vector<uint8_t> PlainOrder(const Tensor& nhwc) {
  const Shape& s = nhwc.shape();
  const int64_t n = s[0], c = s[1], hw = s[2] * s[3];
  std::vector<uint8_t> plain(nhwc.NumElements());
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t i = 0; i < hw; ++i) {
      for (int64_t k = 0; k < c; ++k) {
        plain[(b * c + k) * hw + i] = nhwc.data<uint8_t>()[(b * hw + i) * c + k];
      }
    }
  }
  return plain;
}

std::vector<uint8_t> Bytes(const Tensor& t) {
  const auto* p = static_cast<const uint8_t*>(t.raw());
  return std::vector<uint8_t>(p, p + t.ByteSize());
}

TEST(SessionLaidOutTest, ChannelsLastBetweenSessionsComputesWhatOneSessionDoes) {
  std::mt19937 rng(1);
  const Tensor x = RandomF32(Shape{2, 3, 8, 8}, rng, -1.0f, 4.0f);
  const ir::TensorView x_view[] = {x.view()};
  auto whole = Make(QdqChain(Part::kWhole));
  auto first = Make(QdqChain(Part::kFirst), {"conv1_q"});
  auto second = Make(QdqChain(Part::kSecond));
  ASSERT_TRUE(whole && first && second);
  auto want = whole->Run(x_view);
  ASSERT_TRUE(want.ok()) << want.status();

  auto mid = first->RunLaidOut(std::vector<LaidOutView>{{x.view(), false}});
  ASSERT_TRUE(mid.ok()) << mid.status();
  // The int8 convolution writes NHWC on every ISA oneDNN has int8 kernels for.
  EXPECT_TRUE((*mid)[0].channels_last);
  // Run returns the same value plain.
  auto plain_mid = first->Run(x_view);
  ASSERT_TRUE(plain_mid.ok()) << plain_mid.status();
  const std::vector<uint8_t> mid_plain =
      (*mid)[0].channels_last ? PlainOrder((*mid)[0].tensor) : Bytes((*mid)[0].tensor);
  EXPECT_EQ(mid_plain, Bytes((*plain_mid)[0]));

  auto got = second->RunLaidOut(
      std::vector<LaidOutView>{{(*mid)[0].tensor.view(), (*mid)[0].channels_last}});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_FALSE((*got)[0].channels_last);  // "y" is not listed
  EXPECT_EQ(Bytes((*got)[0].tensor), Bytes((*want)[0]));
  // The same input given plain.
  auto from_plain = second->RunLaidOut(std::vector<LaidOutView>{{(*plain_mid)[0].view(), false}});
  ASSERT_TRUE(from_plain.ok()) << from_plain.status();
  EXPECT_EQ(Bytes((*from_plain)[0].tensor), Bytes((*want)[0]));
}

TEST(SessionLaidOutTest, AChannelsLastInputIsConvertedForPlainReaders) {
  // x [1, 2, 2, 3] -> Flatten -> y: Flatten reads plain values only.
  ir::Graph g;
  g.inputs.push_back({"x", DType::kU8, Shape{1, 2, 2, 3}});
  g.outputs.push_back({"y", DType::kU8, Shape{1, 12}});
  g.nodes.push_back(MakeNode("flat", "Flatten", {"x"}, {"y"}, {{"axis", int64_t{1}}}));
  auto session = Make(g);
  ASSERT_TRUE(session);
  Tensor nhwc(DType::kU8, Shape{1, 2, 2, 3});
  for (int64_t i = 0; i < 12; ++i) nhwc.data<uint8_t>()[i] = static_cast<uint8_t>(i);
  auto got = session->RunLaidOut(std::vector<LaidOutView>{{nhwc.view(), true}});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_FALSE((*got)[0].channels_last);
  EXPECT_EQ(Bytes((*got)[0].tensor), PlainOrder(nhwc));
}

TEST(SessionLaidOutTest, OnlyRank4InputsCanBeChannelsLast) {
  ir::Graph g;
  g.inputs.push_back({"x", DType::kF32, Shape{2, 3}});
  g.outputs.push_back({"y", DType::kF32, Shape{2, 3}});
  g.nodes.push_back(MakeNode("relu", "Relu", {"x"}, {"y"}));
  auto session = Make(g);
  ASSERT_TRUE(session);
  const Tensor x = Tensor::FromF32(Shape{2, 3}, std::vector<float>(6, 1.0f));
  auto got = session->RunLaidOut(std::vector<LaidOutView>{{x.view(), true}});
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(got.status().message().find("rank 4"), std::string::npos) << got.status();
}

}  // namespace
}  // namespace fixpoint::runtime
