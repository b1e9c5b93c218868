// oneDNN BatchNormalization (inference) vs the reference over ranks, batch
// sizes, epsilon, and constant vs runtime statistics.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/unit/runtime/onednn/kernel_test_util.h"

namespace fixpoint::runtime::onednn_test {
namespace {

using ir::Shape;

TEST(OneDnnBatchNormTest, MatchesReference) {
  std::mt19937 rng(61);
  const std::vector<std::vector<int64_t>> shapes = {
      {1, 4}, {3, 16}, {8, 3, 10}, {1, 8, 5, 5}, {3, 16, 7, 6}, {8, 5, 3, 4}, {2, 3, 2, 3, 4}};
  for (const auto& dims : shapes) {
    for (float eps : {1e-5f, 1e-3f}) {
      for (bool constant : {true, false}) {
        SCOPED_TRACE(absl::StrCat(Shape(dims).ToString(), " eps ", eps, " const ", constant));
        const int64_t ch = dims[1];
        KernelCase c = MakeCase("BatchNormalization");
        c.node.attrs["epsilon"] = eps;
        c.Input(Random(Shape(dims), rng, -3.0f, 3.0f));
        c.Input(Random(Shape{ch}, rng, 0.5f, 2.0f), constant);
        c.Input(Random(Shape{ch}, rng), constant);
        c.Input(Random(Shape{ch}, rng), constant);
        c.Input(Random(Shape{ch}, rng, 0.1f, 2.0f), constant);
        c.Output(Shape(dims));
        EXPECT_TRUE(MatchesReference(c));
      }
    }
  }
}

}  // namespace
}  // namespace fixpoint::runtime::onednn_test
