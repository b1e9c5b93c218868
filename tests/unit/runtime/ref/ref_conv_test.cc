#include <gtest/gtest.h>

#include <numeric>
#include <thread>

#include "tests/unit/runtime/ref/ref_test_util.h"

namespace fixpoint::runtime::ref::testing {
namespace {

using Ints = std::vector<int64_t>;

std::vector<float> Iota(int n, float start = 0) {
  std::vector<float> v(n);
  std::iota(v.begin(), v.end(), start);
  return v;
}

Tensor Ones(Shape s) { return F32(s, std::vector<float>(s.NumElements(), 1.0f)); }

// The ONNX backend-test input: 0..24 as [1,1,5,5], 3x3 ones kernel.
const Tensor& X5() {
  static const Tensor* x = new Tensor(F32({1, 1, 5, 5}, Iota(25)));
  return *x;
}

TEST(RefConvTest, BasicWithAndWithoutPadding) {
  ExpectEq(Run1(MakeNode("Conv", {{"kernel_shape", Ints{3, 3}}}), {X5(), Ones({1, 1, 3, 3})},
                {DType::kF32, {1, 1, 3, 3}}),
           {54, 63, 72, 99, 108, 117, 144, 153, 162});
  ExpectEq(Run1(MakeNode("Conv", {{"pads", Ints{1, 1, 1, 1}}}), {X5(), Ones({1, 1, 3, 3})},
                {DType::kF32, {1, 1, 5, 5}}),
           {12,  21, 27, 33,  24,  33,  54,  63, 72,  51,  63,  99, 108,
            117, 81, 93, 144, 153, 162, 111, 72, 111, 117, 123, 84});
}

TEST(RefConvTest, Strides) {
  ExpectEq(Run1(MakeNode("Conv", {{"pads", Ints{1, 1, 1, 1}}, {"strides", Ints{2, 2}}}),
                {X5(), Ones({1, 1, 3, 3})}, {DType::kF32, {1, 1, 3, 3}}),
           {12, 27, 24, 63, 108, 81, 72, 117, 84});
  ExpectEq(Run1(MakeNode("Conv", {{"strides", Ints{2, 2}}}), {X5(), Ones({1, 1, 3, 3})},
                {DType::kF32, {1, 1, 2, 2}}),
           {54, 72, 144, 162});
}

TEST(RefConvTest, StridesAndAsymmetricPadding) {
  ExpectEq(Run1(MakeNode("Conv", {{"pads", Ints{1, 0, 1, 0}}, {"strides", Ints{2, 2}}}),
                {F32({1, 1, 7, 5}, Iota(35)), Ones({1, 1, 3, 3})}, {DType::kF32, {1, 1, 4, 2}}),
           {21, 33, 99, 117, 189, 207, 171, 183});
}

TEST(RefConvTest, AutoPadWhenPadsAbsent) {
  // SAME_UPPER, stride 2 on 5x5: total pad 2 -> begin 1.
  ExpectEq(
      Run1(MakeNode("Conv", {{"auto_pad", std::string("SAME_UPPER")}, {"strides", Ints{2, 2}}}),
           {X5(), Ones({1, 1, 3, 3})}, {DType::kF32, {1, 1, 3, 3}}),
      {12, 27, 24, 63, 108, 81, 72, 117, 84});
  // 1-D, kernel 2, total pad 1: SAME_UPPER pads the end, SAME_LOWER the beginning.
  const Tensor x = F32({1, 1, 4}, {1, 2, 3, 4});
  ExpectEq(Run1(MakeNode("Conv", {{"auto_pad", std::string("SAME_UPPER")}}), {x, Ones({1, 1, 2})},
                {DType::kF32, {1, 1, 4}}),
           {3, 5, 7, 4});
  ExpectEq(Run1(MakeNode("Conv", {{"auto_pad", std::string("SAME_LOWER")}}), {x, Ones({1, 1, 2})},
                {DType::kF32, {1, 1, 4}}),
           {1, 3, 5, 7});
}

TEST(RefConvTest, Dilations) {
  ExpectEq(Run1(MakeNode("Conv", {{"dilations", Ints{2, 2}}}),
                {F32({1, 1, 4, 4}, Iota(16)), Ones({1, 1, 2, 2})}, {DType::kF32, {1, 1, 2, 2}}),
           {20, 24, 36, 40});
}

TEST(RefConvTest, DepthwiseWithBias) {
  const Tensor w = F32({2, 1, 2, 2}, {1, 0, 0, 1, 1, -1, 0, 0});
  ExpectEq(
      Run1(MakeNode("Conv", {{"group", int64_t{2}}}),
           {F32({1, 2, 3, 3}, Iota(18)), w, F32({2}, {0.5f, -1})}, {DType::kF32, {1, 2, 2, 2}}),
      {4.5, 6.5, 10.5, 12.5, -2, -2, -2, -2});
}

TEST(RefConvTest, GroupsOfTwoChannels) {
  ExpectEq(Run1(MakeNode("Conv", {{"group", int64_t{2}}}),
                {F32({1, 4, 2, 2}, Iota(16)), F32({2, 2, 1, 1}, {1, 2, 3, -1})},
                {DType::kF32, {1, 2, 2, 2}}),
           {8, 11, 14, 17, 12, 14, 16, 18});
}

TEST(RefConvTest, ManyChannelsBiasAndPadding) {
  std::vector<float> w = Iota(24, -12);
  for (float& v : w) v /= 4;
  ExpectEq(Run1(MakeNode("Conv", {{"pads", Ints{1, 1, 0, 0}}}),
                {F32({1, 2, 2, 2}, Iota(8)), F32({3, 2, 2, 2}, w), F32({3}, {1, 2, 3})},
                {DType::kF32, {1, 3, 2, 2}}),
           {-4, -13.5, -18, -48, 5, 7.5, 7, 9, 14, 28.5, 32, 66});
}

TEST(RefConvTest, BatchOfTwo) {
  ExpectEq(
      Run1(MakeNode("Conv"), {F32({2, 1, 1, 3}, {1, 2, 3, 10, 20, 30}), F32({1, 1, 1, 2}, {1, -1})},
           {DType::kF32, {2, 1, 1, 2}}),
      {-1, -1, -10, -10});
}

TEST(RefConvTest, OneAndThreeSpatialDims) {
  ExpectEq(Run1(MakeNode("Conv", {{"pads", Ints{1, 0}}}),
                {F32({1, 1, 5}, {1, 2, 3, 4, 5}), F32({1, 1, 2}, {2, 1}), F32({1}, {0.5f})},
                {DType::kF32, {1, 1, 5}}),
           {1.5, 4.5, 7.5, 10.5, 13.5});
  // 3-D: 3x3x3 input 0..26, 2x2x2 ones kernel, stride 1 -> 2x2x2.
  std::vector<double> want;
  for (int d = 0; d < 2; ++d)
    for (int h = 0; h < 2; ++h)
      for (int w = 0; w < 2; ++w) {
        double s = 0;
        for (int i = 0; i < 8; ++i) s += (d + i / 4) * 9 + (h + i / 2 % 2) * 3 + (w + i % 2);
        want.push_back(s);
      }
  ExpectEq(Run1(MakeNode("Conv"), {F32({1, 1, 3, 3, 3}, Iota(27)), Ones({1, 1, 2, 2, 2})},
                {DType::kF32, {1, 1, 2, 2, 2}}),
           want);
}

TEST(RefConvTest, RejectsMismatchedWeights) {
  auto k = CreateRef(MakeNode("Conv", {{"group", int64_t{2}}}), {X5(), Ones({1, 1, 3, 3})},
                     {{DType::kF32, {1, 1, 3, 3}}});
  EXPECT_EQ(k.status().code(), absl::StatusCode::kInvalidArgument);
  k = CreateRef(MakeNode("Conv", {{"kernel_shape", Ints{2, 2}}}), {X5(), Ones({1, 1, 3, 3})},
                {{DType::kF32, {1, 1, 3, 3}}});
  EXPECT_EQ(k.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(RefConvTest, ConcurrentRunsOfOneKernelAgree) {
  std::vector<float> x(2 * 3 * 9 * 9), w(4 * 3 * 3 * 3);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 7) % 11) - 5;
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>((i * 5) % 7) - 3;
  const std::vector<Tensor> in = {F32({2, 3, 9, 9}, x), F32({4, 3, 3, 3}, w)};
  const std::vector<Out> out = {{DType::kF32, {2, 4, 5, 5}}};
  auto k =
      CreateRef(MakeNode("Conv", {{"pads", Ints{1, 1, 1, 1}}, {"strides", Ints{2, 2}}}), in, out);
  ASSERT_TRUE(k.ok()) << k.status();
  auto want = RunKernel(**k, in, out);
  ASSERT_TRUE(want.ok());
  std::vector<std::thread> threads;
  std::vector<std::vector<double>> got(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int rep = 0; rep < 20; ++rep) {
        auto r = RunKernel(**k, in, out);
        if (r.ok()) got[t] = Values((*r)[0]);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(got[t], Values((*want)[0])) << "thread " << t;
}

const Tensor& X3() {
  static const Tensor* x = new Tensor(F32({1, 1, 3, 3}, Iota(9)));
  return *x;
}

TEST(RefConvTransposeTest, Basic1DAnd2D) {
  ExpectEq(Run1(MakeNode("ConvTranspose"), {F32({1, 1, 3}, {0, 1, 2}), Ones({1, 2, 3})},
                {DType::kF32, {1, 2, 5}}),
           {0, 1, 3, 3, 2, 0, 1, 3, 3, 2});
  const std::vector<double> plane = {0,  1,  3, 3,  2,  3,  8,  15, 12, 7,  9,  21, 36,
                                     27, 15, 9, 20, 33, 24, 13, 6,  13, 21, 15, 8};
  std::vector<double> want = plane;
  want.insert(want.end(), plane.begin(), plane.end());
  ExpectEq(Run1(MakeNode("ConvTranspose"), {X3(), Ones({1, 2, 3, 3})}, {DType::kF32, {1, 2, 5, 5}}),
           want);
}

TEST(RefConvTransposeTest, StridesWithOutputPadding) {
  const std::vector<double> rows[4] = {{0, 0, 1, 1, 3, 2, 2, 0},
                                       {3, 3, 7, 4, 9, 5, 5, 0},
                                       {6, 6, 13, 7, 15, 8, 8, 0},
                                       {0, 0, 0, 0, 0, 0, 0, 0}};
  std::vector<double> want;
  for (int c = 0; c < 2; ++c)
    for (int r = 0; r < 10; ++r)
      want.insert(want.end(), rows[r == 9 ? 3 : r / 3].begin(), rows[r == 9 ? 3 : r / 3].end());
  ExpectEq(
      Run1(MakeNode("ConvTranspose", {{"strides", Ints{3, 2}}, {"output_padding", Ints{1, 1}}}),
           {X3(), Ones({1, 2, 3, 3})}, {DType::kF32, {1, 2, 10, 8}}),
      want);
  // Same result from output_shape alone (pads derived).
  ExpectEq(Run1(MakeNode("ConvTranspose", {{"strides", Ints{3, 2}}, {"output_shape", Ints{10, 8}}}),
                {X3(), Ones({1, 2, 3, 3})}, {DType::kF32, {1, 2, 10, 8}}),
           want);
}

TEST(RefConvTransposeTest, Pads) {
  const std::vector<double> plane = {1, 1, 3, 1, 1,  3, 7,  4,  9, 7, 4,
                                     9, 7, 4, 9, 13, 7, 15, 13, 7, 15};
  std::vector<double> want = plane;
  want.insert(want.end(), plane.begin(), plane.end());
  ExpectEq(Run1(MakeNode("ConvTranspose", {{"strides", Ints{3, 2}}, {"pads", Ints{1, 2, 1, 2}}}),
                {X3(), Ones({1, 2, 3, 3})}, {DType::kF32, {1, 2, 7, 3}}),
           want);
}

TEST(RefConvTransposeTest, AutoPadSameUpper) {
  const std::vector<double> plane = {0, 0, 1, 1, 3, 2, 0, 0, 1,  1,  3,  2,  3, 3, 8,  5, 12, 7,
                                     3, 3, 7, 4, 9, 5, 9, 9, 20, 11, 24, 13, 6, 6, 13, 7, 15, 8};
  std::vector<double> want = plane;
  want.insert(want.end(), plane.begin(), plane.end());
  ExpectEq(Run1(MakeNode("ConvTranspose",
                         {{"auto_pad", std::string("SAME_UPPER")}, {"strides", Ints{2, 2}}}),
                {X3(), Ones({1, 2, 3, 3})}, {DType::kF32, {1, 2, 6, 6}}),
           want);
}

TEST(RefConvTransposeTest, Dilations) {
  ExpectEq(Run1(MakeNode("ConvTranspose", {{"dilations", Ints{2, 2}}}),
                {F32({1, 1, 3, 3}, {3, 8, 1, 9, 5, 7, 3, 2, 6}), F32({1, 1, 2, 2}, {7, 2, 1, 9})},
                {DType::kF32, {1, 1, 5, 5}}),
           {21, 56, 13, 16, 2,  63, 35, 67, 10, 14, 24, 22, 76,
            76, 21, 9,  5,  88, 45, 63, 3,  2,  33, 18, 54});
}

TEST(RefConvTransposeTest, GroupsAndBias) {
  ExpectEq(Run1(MakeNode("ConvTranspose", {{"group", int64_t{2}}}),
                {F32({1, 2, 2}, {1, 2, 3, 4}), F32({2, 1, 2}, {1, 1, 1, -1}), F32({2}, {0, 10})},
                {DType::kF32, {1, 2, 3}}),
           {1, 3, 2, 13, 11, 6});
}

}  // namespace
}  // namespace fixpoint::runtime::ref::testing
