// oneDNN Conv kernel vs the reference over a sweep of geometries, both
// activation layouts, fused activations, concurrency, and refusals.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/runtime/cpu/onednn/onednn_kernels.h"
#include "core/runtime/kernel_registry.h"
#include "tests/unit/runtime/onednn/kernel_test_util.h"

namespace fixpoint::runtime::onednn_test {
namespace {

using ir::Shape;

struct ConvGeom {
  int64_t batch, c, m, group, h, w, kh, kw, stride, dilation;
  std::vector<int64_t> pads;  // top, left, bottom, right
  bool bias;
};

std::string Describe(const ConvGeom& g) {
  return absl::StrCat("N", g.batch, " C", g.c, " M", g.m, " g", g.group, " ", g.h, "x", g.w,
                      " k", g.kh, "x", g.kw, " s", g.stride, " d", g.dilation, " pads ",
                      g.pads[0], ",", g.pads[1], ",", g.pads[2], ",", g.pads[3],
                      g.bias ? " bias" : "");
}

int64_t OutDim(int64_t in, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t pe) {
  return (in + pb + pe - ((k - 1) * d + 1)) / s + 1;
}

KernelCase ConvCase(const ConvGeom& g, std::mt19937& rng) {
  KernelCase c = MakeCase("Conv");
  c.node.attrs["kernel_shape"] = std::vector<int64_t>{g.kh, g.kw};
  c.node.attrs["strides"] = std::vector<int64_t>{g.stride, g.stride};
  c.node.attrs["dilations"] = std::vector<int64_t>{g.dilation, g.dilation};
  c.node.attrs["pads"] = g.pads;
  c.node.attrs["group"] = g.group;
  c.Input(Random(Shape{g.batch, g.c, g.h, g.w}, rng));
  c.Input(Random(Shape{g.m, g.c / g.group, g.kh, g.kw}, rng), /*is_constant=*/true);
  if (g.bias) c.Input(Random(Shape{g.m}, rng), /*is_constant=*/true);
  c.Output(Shape{g.batch, g.m, OutDim(g.h, g.kh, g.stride, g.dilation, g.pads[0], g.pads[2]),
                 OutDim(g.w, g.kw, g.stride, g.dilation, g.pads[1], g.pads[3])});
  return c;
}

// Every channel/group/kernel/stride/dilation/padding combination once, with
// the batch cycling through 1, 3, 8 (a full product is slow to JIT).
std::vector<ConvGeom> Sweep() {
  std::vector<ConvGeom> out;
  const std::vector<std::vector<int64_t>> cmg = {
      {1, 4, 1}, {3, 8, 1}, {8, 16, 1}, {4, 4, 4}, {16, 16, 16}, {8, 16, 2}, {6, 12, 3}};
  const std::vector<std::vector<int64_t>> pads = {{0, 0, 0, 0}, {1, 1, 1, 1}, {0, 1, 1, 0}};
  const int64_t batches[] = {1, 3, 8};
  int i = 0;
  for (const auto& v : cmg) {
    for (int64_t k : {1, 3}) {
      for (int64_t stride : {1, 2}) {
        for (int64_t dil : {1, 2}) {
          for (const auto& p : pads) {
            if (k == 1 && dil == 2) continue;
            const bool bias = i % 2 == 0;
            out.push_back({batches[i++ % 3], v[0], v[1], v[2], 9, 8, k, k, stride, dil, p, bias});
          }
        }
      }
    }
  }
  out.push_back({2, 3, 5, 1, 7, 10, 2, 3, 1, 1, {1, 0, 0, 2}, true});  // non-square kernel
  out.push_back({1, 4, 6, 2, 5, 5, 5, 5, 3, 1, {2, 2, 2, 2}, true});
  for (int64_t batch : batches) {
    out.push_back({batch, 28, 64, 1, 13, 13, 3, 3, 1, 1, {0, 0, 0, 0}, true});  // seed_cnn conv2
  }
  return out;
}

TEST(OneDnnConvTest, MatchesReferenceOverSweepBothLayouts) {
  std::mt19937 rng(1);
  for (const ConvGeom& g : Sweep()) {
    SCOPED_TRACE(Describe(g));
    const KernelCase c = ConvCase(g, rng);
    auto ref = RunReference(c);
    ASSERT_TRUE(ref.ok()) << ref.status();
    for (onednn::ConvLayout layout : {onednn::ConvLayout::kPlain, onednn::ConvLayout::kBlocked}) {
      std::string impl;
      auto factory = layout == onednn::ConvLayout::kPlain
                         ? +[](const KernelContext& ctx) {
                             return onednn::CreateConvWithLayout(ctx, onednn::ConvLayout::kPlain);
                           }
                         : +[](const KernelContext& ctx) {
                             return onednn::CreateConvWithLayout(ctx, onednn::ConvLayout::kBlocked);
                           };
      auto out = RunKernel(factory, c, &impl);
      ASSERT_TRUE(out.ok()) << out.status();
      EXPECT_TRUE(AllClose((*out)[0], (*ref)[0])) << impl;
    }
  }
}

TEST(OneDnnConvTest, FusedActivations) {
  std::mt19937 rng(2);
  const std::vector<std::tuple<std::string, float, float>> acts = {
      {"Relu", 0, 0},        {"LeakyRelu", 0.1f, 0}, {"Clip", -0.5f, 0.75f},
      {"Clip", 0.0f, 6.0f},  {"Sigmoid", 0, 0},      {"Tanh", 0, 0},
      {"HardSigmoid", 0.2f, 0.5f}, {"HardSwish", 0, 0}};
  for (const auto& [act, alpha, beta] : acts) {
    for (int64_t batch : {1, 3}) {
      SCOPED_TRACE(absl::StrCat(act, " ", alpha, " ", beta, " N", batch));
      KernelCase c = ConvCase({batch, 3, 8, 1, 9, 9, 3, 3, 1, 1, {1, 1, 1, 1}, true}, rng);
      c.node.attrs["fused_activation"] = act;
      c.node.attrs["fused_alpha"] = alpha;
      c.node.attrs["fused_beta"] = beta;
      EXPECT_TRUE(MatchesReference(c));
    }
  }
}

TEST(OneDnnConvTest, Conv1dAndUnboundedClip) {
  std::mt19937 rng(3);
  KernelCase c = MakeCase("Conv");
  c.node.attrs["kernel_shape"] = std::vector<int64_t>{3};
  c.node.attrs["pads"] = std::vector<int64_t>{1, 0};
  c.node.attrs["fused_activation"] = std::string("Clip");
  c.node.attrs["fused_alpha"] = -std::numeric_limits<float>::infinity();
  c.node.attrs["fused_beta"] = 0.25f;
  c.Input(Random(Shape{2, 4, 11}, rng)).Input(Random(Shape{6, 4, 3}, rng), true);
  c.Output(Shape{2, 6, 10});
  EXPECT_TRUE(MatchesReference(c));
}

TEST(OneDnnConvTest, RefusesWhatItCannotDo) {
  std::mt19937 rng(4);
  KernelCase runtime_weights = ConvCase({1, 3, 4, 1, 5, 5, 3, 3, 1, 1, {0, 0, 0, 0}, false}, rng);
  runtime_weights.constant = {false, false};
  auto s = RunKernel(FindOneDnnKernel("Conv"), runtime_weights);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kUnimplemented) << s.status();

  KernelCase int8 = MakeCase("Conv");
  int8.Input(ir::Tensor(ir::DType::kI8, Shape{1, 1, 4, 4}))
      .Input(ir::Tensor(ir::DType::kI8, Shape{1, 1, 1, 1}), true)
      .Output(Shape{1, 1, 4, 4});
  s = RunKernel(FindOneDnnKernel("Conv"), int8);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kUnimplemented) << s.status();

  KernelCase bad_act = ConvCase({1, 3, 4, 1, 5, 5, 3, 3, 1, 1, {0, 0, 0, 0}, false}, rng);
  bad_act.node.attrs["fused_activation"] = std::string("Gelu");
  s = RunKernel(FindOneDnnKernel("Conv"), bad_act);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << s.status();
}

// Several threads share one kernel (each with its own scratch and buffers).
TEST(OneDnnConvTest, ConcurrentRunsOfOneKernel) {
  std::mt19937 rng(5);
  const KernelCase c = ConvCase({4, 16, 32, 1, 14, 14, 3, 3, 1, 1, {1, 1, 1, 1}, true}, rng);
  const KernelContext ctx = c.Context();
  auto kernel = onednn::CreateConv(ctx);
  ASSERT_TRUE(kernel.ok()) << kernel.status();
  auto expected = RunReference(c);
  ASSERT_TRUE(expected.ok());
  constexpr int kThreads = 4, kIters = 25;
  std::vector<int> failures(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const Layout layout = (*kernel)->OutputLayout(0);
      const size_t floats = PhysicalBytes(layout, c.output_shapes[0], ir::DType::kF32) / 4;
      std::vector<float> out(floats);
      const ir::TensorView in_views[] = {c.inputs[0].view(), c.inputs[1].view(),
                                         c.inputs[2].view()};
      const ir::TensorView out_views[] = {{ir::DType::kF32, c.output_shapes[0], out.data()}};
      void* scratch = std::aligned_alloc(64, ((*kernel)->ScratchBytes() + 64) / 64 * 64);
      for (int i = 0; i < kIters; ++i) {
        std::fill(out.begin(), out.end(), -1.0f);
        const bool ran = (*kernel)->Run(KernelArgs{in_views, out_views, scratch}).ok();
        auto plain = PlainFromLayout(out.data(), layout, c.output_shapes[0]);
        if (!ran || !plain.ok() || !AllClose(*plain, (*expected)[0])) ++failures[t];
      }
      std::free(scratch);
    });
  }
  for (std::thread& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
}

// seed_cnn-like shapes: impl and time per call for both layouts. Run with
// --gtest_also_run_disabled_tests --gtest_filter='*Benchmark*'.
TEST(OneDnnConvTest, DISABLED_BenchmarkSeedCnnShapes) {
  std::mt19937 rng(6);
  const std::vector<ConvGeom> shapes = {
      {1, 1, 28, 1, 28, 28, 3, 3, 1, 1, {0, 0, 0, 0}, true},
      {64, 1, 28, 1, 28, 28, 3, 3, 1, 1, {0, 0, 0, 0}, true},
      {1, 28, 64, 1, 13, 13, 3, 3, 1, 1, {0, 0, 0, 0}, true},
      {64, 28, 64, 1, 13, 13, 3, 3, 1, 1, {0, 0, 0, 0}, true}};
  for (const ConvGeom& g : shapes) {
    KernelCase c = ConvCase(g, rng);
    c.node.attrs["fused_activation"] = std::string("Relu");
    const KernelContext ctx = c.Context();
    for (onednn::ConvLayout layout : {onednn::ConvLayout::kPlain, onednn::ConvLayout::kBlocked}) {
      auto kernel = onednn::CreateConvWithLayout(ctx, layout);
      ASSERT_TRUE(kernel.ok()) << kernel.status();
      ir::Tensor out(ir::DType::kF32, c.output_shapes[0]);
      const ir::TensorView in_views[] = {c.inputs[0].view(), c.inputs[1].view(),
                                         c.inputs[2].view()};
      const ir::TensorView out_views[] = {out.view()};
      void* scratch = std::aligned_alloc(64, ((*kernel)->ScratchBytes() + 64) / 64 * 64);
      const KernelArgs args{in_views, out_views, scratch};
      for (int i = 0; i < 20; ++i) ASSERT_TRUE((*kernel)->Run(args).ok());
      // Best of several rounds: the machine is shared, and the minimum is the
      // least disturbed estimate.
      const int iters = g.batch == 1 ? 200 : 10;
      double us = 1e30;
      for (int round = 0; round < 15; ++round) {
        const auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < iters; ++i) (void)(*kernel)->Run(args);
        us = std::min(us, std::chrono::duration<double, std::micro>(
                              std::chrono::steady_clock::now() - t0).count() / iters);
      }
      const double flops = 2.0 * out.NumElements() * g.c / g.group * g.kh * g.kw;
      std::printf("%-48s %-8s %-34s %9.1f us  %6.1f GFLOP/s  scratch %zu\n",
                  Describe(g).c_str(), layout == onednn::ConvLayout::kPlain ? "plain" : "blocked",
                  (*kernel)->Impl().c_str(), us, flops / us / 1e3, (*kernel)->ScratchBytes());
      std::free(scratch);
    }
  }
}

}  // namespace
}  // namespace fixpoint::runtime::onednn_test
