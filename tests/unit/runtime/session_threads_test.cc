// Per-thread execution state of a Session: SessionOptions::intra_op_threads
// must hold for every kernel, including the oneDNN primitives created while the
// first Run binds the plan (they keep the thread count of the thread that
// created them); and kernels that keep per-thread memory objects between
// calls must re-point them at each call's buffers.
#include <gtest/gtest.h>

#include <filesystem>
#include <vector>

#include "core/runtime/cpu/threading.h"
#include "core/runtime/session.h"

namespace fixpoint::runtime {
namespace {

// Threads of this process (an OpenMP team adds its workers here on first use).
int ProcessThreads() {
  int n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

// x[?,16,28,28] -> Conv 16->16 3x3 pad 1: large enough that oneDNN splits it
// across every thread it was told to use.
ir::Graph ConvGraph() {
  ir::Graph g;
  g.name = "conv";
  g.inputs.push_back({"x", ir::DType::kF32, ir::Shape{ir::kDynamicDim, 16, 28, 28}});
  g.outputs.push_back({"y", ir::DType::kF32, ir::Shape{ir::kDynamicDim, 16, 28, 28}});
  g.initializers["W"] = ir::Tensor::FromF32(ir::Shape{16, 16, 3, 3},
                                            std::vector<float>(16 * 16 * 9, 0.01f));
  g.nodes.push_back({"conv",
                     "Conv",
                     {"x", "W"},
                     {"y"},
                     {{"pads", std::vector<int64_t>{1, 1, 1, 1}},
                      {"kernel_shape", std::vector<int64_t>{3, 3}}}});
  return g;
}

TEST(SessionThreadsTest, OneIntraOpThreadNeverStartsATeam) {
  if (cpu::HardwareThreads() < 2) GTEST_SKIP() << "needs at least two hardware threads";
  // Leave this thread at OpenMP's default (all cores), as a fresh caller is.
  cpu::SetIntraOpThreadsForThisThread(0);
  const int before = ProcessThreads();
  SessionOptions options;
  options.intra_op_threads = 1;
  auto session = Session::Create(ConvGraph(), options);
  ASSERT_TRUE(session.ok()) << session.status();
  ir::Tensor x = ir::Tensor::FromF32(ir::Shape{8, 16, 28, 28},
                                     std::vector<float>(8 * 16 * 28 * 28, 0.5f));
  const std::vector<ir::TensorView> inputs = {x.view()};
  for (int i = 0; i < 3; ++i) {
    auto out = (*session)->Run(inputs);
    ASSERT_TRUE(out.ok()) << out.status();
  }
  EXPECT_EQ(ProcessThreads(), before) << "a 1-thread session started OpenMP workers";
}

TEST(SessionThreadsTest, EveryCallReadsAndWritesItsOwnBuffers) {
  SessionOptions ref_options;
  ref_options.use_onednn = false;
  auto fast = Session::Create(ConvGraph(), SessionOptions{});
  auto ref = Session::Create(ConvGraph(), ref_options);
  ASSERT_TRUE(fast.ok()) << fast.status();
  ASSERT_TRUE(ref.ok()) << ref.status();
  std::vector<ir::Tensor> xs;
  for (int k = 0; k < 3; ++k) {
    std::vector<float> v(2 * 16 * 28 * 28);
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>((i * (k + 3)) % 17) - 8.0f;
    xs.push_back(ir::Tensor::FromF32(ir::Shape{2, 16, 28, 28}, v));
  }
  // Alternate inputs (and so buffers) on one thread, twice round.
  for (int round = 0; round < 2; ++round) {
    for (const ir::Tensor& x : xs) {
      const std::vector<ir::TensorView> in = {x.view()};
      auto got = (*fast)->Run(in);
      auto want = (*ref)->Run(in);
      ASSERT_TRUE(got.ok()) << got.status();
      ASSERT_TRUE(want.ok()) << want.status();
      const ir::Tensor& g = (*got)[0];
      const ir::Tensor& w = (*want)[0];
      for (int64_t i = 0; i < w.NumElements(); ++i) {
        ASSERT_NEAR(g.data<float>()[i], w.data<float>()[i], 1e-4f) << "round " << round << " at " << i;
      }
    }
  }
}

}  // namespace
}  // namespace fixpoint::runtime
