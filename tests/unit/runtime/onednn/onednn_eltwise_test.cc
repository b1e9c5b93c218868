// oneDNN elementwise kernels vs the reference over shapes and attributes.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/runtime/kernel_registry.h"
#include "tests/unit/runtime/onednn/kernel_test_util.h"

namespace fixpoint::runtime::onednn_test {
namespace {

using ir::Shape;

struct EltwiseCase {
  std::string op;
  std::vector<std::pair<std::string, float>> attrs;
  float lo = -4.0f, hi = 4.0f;  // input range (positive for Sqrt/Log)
};

TEST(OneDnnEltwiseTest, MatchesReferenceOverOpsAndShapes) {
  std::mt19937 rng(31);
  const std::vector<EltwiseCase> ops = {
      {"Relu", {}},
      {"LeakyRelu", {}},
      {"LeakyRelu", {{"alpha", 0.3f}}},
      {"Sigmoid", {}},
      {"Tanh", {}},
      {"Exp", {}},
      {"Clip", {{"min", -1.0f}, {"max", 2.5f}}},
      {"Clip", {{"min", 0.0f}}},
      {"Clip", {{"max", 0.5f}}},
      {"Clip", {}},
      {"HardSigmoid", {}},
      {"HardSigmoid", {{"alpha", 0.5f}, {"beta", 0.25f}}},
      {"HardSwish", {}},
      {"Elu", {}},
      {"Elu", {{"alpha", 0.5f}}},
      {"Abs", {}},
      {"Neg", {}},
      {"Sqrt", {}, 0.01f, 9.0f},
  };
  const std::vector<Shape> shapes = {Shape{1}, Shape{7}, Shape{3, 5}, Shape{8, 4, 5, 5},
                                     Shape{1, 3, 17, 13}, Shape{}};
  for (const EltwiseCase& e : ops) {
    for (const Shape& shape : shapes) {
      std::string attrs;
      for (const auto& [k, v] : e.attrs) attrs += absl::StrCat(" ", k, "=", v);
      SCOPED_TRACE(absl::StrCat(e.op, attrs, " ", shape.ToString()));
      KernelCase c = MakeCase(e.op);
      for (const auto& [k, v] : e.attrs) c.node.attrs[k] = v;
      c.Input(Random(shape, rng, e.lo, e.hi)).Output(shape);
      EXPECT_TRUE(MatchesReference(c));
    }
  }
}

TEST(OneDnnEltwiseTest, RefusesOtherDtypesAndUnknownOps) {
  KernelCase c = MakeCase("Relu");
  c.Input(ir::Tensor(ir::DType::kI32, Shape{4})).Output(Shape{4});
  EXPECT_EQ(RunKernel(FindOneDnnKernel("Relu"), c).status().code(),
            absl::StatusCode::kUnimplemented);
  EXPECT_EQ(FindOneDnnKernel("Softplus"), nullptr);
}

}  // namespace
}  // namespace fixpoint::runtime::onednn_test

namespace fixpoint::runtime::onednn_test {
namespace {

// Fixed per-call cost (stream, memory objects) on a tiny tensor. Run with
// --gtest_also_run_disabled_tests --gtest_filter='*Benchmark*'.
TEST(OneDnnEltwiseTest, DISABLED_BenchmarkCallOverhead) {
  std::mt19937 rng(32);
  for (int64_t n : {16, 4096, 1 << 20}) {
    KernelCase c = MakeCase("Relu");
    c.Input(Random(Shape{n}, rng)).Output(Shape{n});
    const KernelContext ctx = c.Context();
    auto kernel = FindOneDnnKernel("Relu")(ctx);
    ASSERT_TRUE(kernel.ok());
    ir::Tensor out(ir::DType::kF32, Shape{n});
    const ir::TensorView in_views[] = {c.inputs[0].view()};
    const ir::TensorView out_views[] = {out.view()};
    const KernelArgs args{in_views, out_views, nullptr};
    const int iters = n < 100000 ? 20000 : 200;
    for (int i = 0; i < 100; ++i) ASSERT_TRUE((*kernel)->Run(args).ok());
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < iters; ++i) (void)(*kernel)->Run(args);
    const double us = std::chrono::duration<double, std::micro>(
                          std::chrono::steady_clock::now() - t0).count() / iters;
    std::printf("Relu n=%-8lld %-28s %8.2f us/call\n", static_cast<long long>(n),
                (*kernel)->Impl().c_str(), us);
  }
}

}  // namespace
}  // namespace fixpoint::runtime::onednn_test
