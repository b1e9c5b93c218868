// OutputSqnr: 10·log10(Σ f² / Σ (q − f)²) over f32 outputs, accumulated over
// calls; +inf when equal; non-f32 outputs skipped; mismatches rejected.
#include "core/quant/output_error.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace fixpoint::quant {
namespace {

ir::Tensor F32(std::vector<float> v) {
  return ir::Tensor::FromF32(ir::Shape{static_cast<int64_t>(v.size())}, v);
}

TEST(OutputSqnrTest, AccumulatesSignalAndNoiseOverCalls) {
  OutputSqnr sqnr;
  EXPECT_TRUE(std::isinf(sqnr.Db()));
  const std::vector<ir::Tensor> f1 = {F32({3, 4})}, q1 = {F32({3, 4})};
  ASSERT_TRUE(sqnr.Add(f1, q1).ok());
  EXPECT_TRUE(std::isinf(sqnr.Db()));  // equal so far
  const std::vector<ir::Tensor> f2 = {F32({0, 0})}, q2 = {F32({0.5f, 0})};
  ASSERT_TRUE(sqnr.Add(f2, q2).ok());
  // Σ f² = 25, Σ (q − f)² = 0.25: 20 dB.
  EXPECT_NEAR(sqnr.Db(), 20.0, 1e-9);
}

TEST(OutputSqnrTest, SkipsNonFloatOutputsAndRejectsMismatches) {
  OutputSqnr sqnr;
  ir::Tensor labels(ir::DType::kI64, ir::Shape{2});
  const std::vector<ir::Tensor> f = {F32({1, 1}), labels}, q = {F32({1, 1}), labels};
  EXPECT_TRUE(sqnr.Add(f, q).ok());
  const std::vector<ir::Tensor> one = {F32({1, 1})};
  EXPECT_EQ(sqnr.Add(f, one).code(), absl::StatusCode::kInvalidArgument);
  const std::vector<ir::Tensor> shorter = {F32({1})};
  EXPECT_EQ(sqnr.Add(one, shorter).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace fixpoint::quant
