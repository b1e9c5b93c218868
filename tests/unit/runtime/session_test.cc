#include "core/runtime/session.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <memory>
#include <thread>

namespace fixpoint::runtime {
namespace {

using ir::DType;
using ir::Shape;
using ir::Tensor;

// x[?,4] -> Gemm(W[4,3], b[3], transB=0) -> Relu -> Identity -> Softmax(axis=1)
ir::Graph SmallClassifier() {
  ir::Graph g;
  g.name = "small";
  g.inputs.push_back({"x", DType::kF32, Shape{ir::kDynamicDim, 4}});
  g.outputs.push_back({"probs", DType::kF32, Shape{ir::kDynamicDim, 3}});
  std::vector<float> w = {0.5f, -1.f, 0.25f, 1.f, 0.5f, -0.5f, -0.25f, 0.75f, 1.f, 0.f, 1.f, -1.f};
  g.initializers["W"] = Tensor::FromF32(Shape{4, 3}, w);
  g.initializers["b"] = Tensor::FromF32(Shape{3}, std::vector<float>{0.1f, -0.2f, 0.3f});
  ir::Node gemm{"gemm", "Gemm", {"x", "W", "b"}, {"h"}, {}};
  ir::Node relu{"relu", "Relu", {"h"}, {"r"}, {}};
  ir::Node id{"id", "Identity", {"r"}, {"r2"}, {}};
  ir::Node softmax{"softmax", "Softmax", {"r2"}, {"probs"}, {{"axis", int64_t{1}}}};
  g.nodes = {gemm, relu, id, softmax};
  return g;
}

std::vector<float> Expected(const std::vector<float>& x, int batch) {
  const float w[4][3] = {{0.5f, -1.f, 0.25f}, {1.f, 0.5f, -0.5f}, {-0.25f, 0.75f, 1.f},
                         {0.f, 1.f, -1.f}};
  const float b[3] = {0.1f, -0.2f, 0.3f};
  std::vector<float> out;
  for (int n = 0; n < batch; ++n) {
    double h[3], sum = 0;
    for (int j = 0; j < 3; ++j) {
      h[j] = b[j];
      for (int k = 0; k < 4; ++k) h[j] += x[n * 4 + k] * w[k][j];
      h[j] = std::exp(std::max(0.0, h[j]));
      sum += h[j];
    }
    for (int j = 0; j < 3; ++j) out.push_back(static_cast<float>(h[j] / sum));
  }
  return out;
}

std::vector<float> Input(int batch, float seed) {
  std::vector<float> x(batch * 4);
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(seed + 0.7f * i) * 2.0f;
  return x;
}

// Values of a run of `session` on Input(batch, seed) off by more than 1e-5
// from Expected, or the whole batch if the run fails.
int Mismatches(const Session& session, int batch, float seed) {
  std::vector<float> x = Input(batch, seed);
  Tensor in = Tensor::FromF32(Shape{batch, 4}, x);
  auto out = session.Run(std::vector<ir::TensorView>{in.view()});
  if (!out.ok()) return batch * 3;
  std::vector<float> want = Expected(x, batch);
  int mismatches = 0;
  for (int i = 0; i < batch * 3; ++i) {
    if (std::fabs((*out)[0].data<float>()[i] - want[i]) > 1e-5) ++mismatches;
  }
  return mismatches;
}

class SessionTest : public ::testing::TestWithParam<bool> {
 protected:
  // SmallClassifier's session, one intra-op thread.
  std::unique_ptr<Session> SingleThreaded() {
    SessionOptions options;
    options.use_onednn = GetParam();
    options.intra_op_threads = 1;
    auto session = Session::Create(SmallClassifier(), options);
    EXPECT_TRUE(session.ok()) << session.status();
    return session.ok() ? *std::move(session) : nullptr;
  }
};

TEST_P(SessionTest, RunsAndMatchesHandComputedResult) {
  SessionOptions options;
  options.use_onednn = GetParam();
  auto session = Session::Create(SmallClassifier(), options);
  ASSERT_TRUE(session.ok()) << session.status();
  for (int batch : {1, 5, 2}) {
    std::vector<float> x = Input(batch, 0.3f * batch);
    Tensor in = Tensor::FromF32(Shape{batch, 4}, x);
    auto out = (*session)->Run(std::vector<ir::TensorView>{in.view()});
    ASSERT_TRUE(out.ok()) << out.status();
    ASSERT_EQ(out->size(), 1u);
    EXPECT_EQ((*out)[0].shape(), (Shape{batch, 3}));
    std::vector<float> want = Expected(x, batch);
    for (int i = 0; i < batch * 3; ++i) EXPECT_NEAR((*out)[0].data<float>()[i], want[i], 1e-5);
  }
}

TEST_P(SessionTest, ConcurrentRunsWithDifferentBatchesAgree) {
  const std::unique_ptr<Session> session = SingleThreaded();
  ASSERT_NE(session, nullptr);
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int iter = 0; iter < 50; ++iter) {
        mismatches += Mismatches(*session, 1 + (t + iter) % 4, t + 0.1f * iter);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST_P(SessionTest, PreparedSessionServesConcurrentRuns) {
  const std::unique_ptr<Session> session = SingleThreaded();
  ASSERT_NE(session, nullptr);
  const Shape batch{3, 4};
  ASSERT_TRUE(session->Prepare(std::span<const Shape>(&batch, 1), 2).ok());
  std::atomic<int> mismatches{0};
  std::thread other([&] { mismatches += Mismatches(*session, 3, 0.5f); });
  mismatches += Mismatches(*session, 3, 1.5f);
  other.join();
  EXPECT_EQ(mismatches.load(), 0);
  // Shapes the graph cannot take fail as a run would.
  const Shape wrong{3, 5};
  const absl::Status status = session->Prepare(std::span<const Shape>(&wrong, 1), 2);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "input 'x': expected shape [?,4], got [3,5]");
  EXPECT_EQ(session->Prepare({}, 2).code(), absl::StatusCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Kernels, SessionTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "onednn" : "reference"; });

TEST(SessionInputsTest, RejectsWrongShapeDtypeAndCount) {
  auto session = Session::Create(SmallClassifier(), {});
  ASSERT_TRUE(session.ok()) << session.status();
  Tensor wrong_shape(DType::kF32, Shape{2, 5});
  auto r1 = (*session)->Run(std::vector<ir::TensorView>{wrong_shape.view()});
  EXPECT_EQ(r1.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r1.status().message().find("input 'x': expected shape [?,4], got [2,5]"),
            std::string::npos) << r1.status();
  Tensor wrong_type(DType::kU8, Shape{2, 4});
  auto r2 = (*session)->Run(std::vector<ir::TensorView>{wrong_type.view()});
  EXPECT_EQ(r2.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r2.status().message().find("dtype"), std::string::npos);
  auto r3 = (*session)->Run(std::vector<ir::TensorView>{});
  EXPECT_EQ(r3.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(SessionOptimizeTest, FusesReluIntoGemmAndDropsIdentity) {
  auto session = Session::Create(SmallClassifier(), {});
  ASSERT_TRUE(session.ok()) << session.status();
  const ir::Graph& g = (*session)->graph();
  ASSERT_EQ(g.nodes.size(), 2u);
  EXPECT_EQ(g.nodes[0].op_type, "Gemm");
  EXPECT_TRUE(g.nodes[0].HasAttr("fused_activation"));
  EXPECT_EQ(g.nodes[1].op_type, "Softmax");
  EXPECT_EQ(g.nodes[1].inputs[0], g.nodes[0].outputs[0]);
}

}  // namespace
}  // namespace fixpoint::runtime
