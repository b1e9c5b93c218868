// oneDNN Softmax/LogSoftmax kernels vs the reference over axes, ranks and
// the coerce_2d (pre-opset-13) form.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/unit/runtime/onednn/kernel_test_util.h"

namespace fixpoint::runtime::onednn_test {
namespace {

using ir::Shape;

TEST(OneDnnSoftmaxTest, MatchesReferenceOverAxes) {
  std::mt19937 rng(51);
  const std::vector<Shape> shapes = {Shape{10}, Shape{1, 10}, Shape{8, 10}, Shape{3, 4, 5},
                                     Shape{2, 3, 4, 5}};
  for (const std::string op : {"Softmax", "LogSoftmax"}) {
    for (const Shape& shape : shapes) {
      for (int axis = -shape.rank(); axis < shape.rank(); ++axis) {
        for (int64_t coerce : {0, 1}) {
          SCOPED_TRACE(absl::StrCat(op, " ", shape.ToString(), " axis ", axis, " coerce_2d ",
                                    coerce));
          KernelCase c = MakeCase(op);
          c.node.attrs["axis"] = int64_t{axis};
          if (coerce) c.node.attrs["coerce_2d"] = coerce;
          c.Input(Random(shape, rng, -5.0f, 5.0f)).Output(shape);
          EXPECT_TRUE(MatchesReference(c));
        }
      }
    }
  }
}

TEST(OneDnnSoftmaxTest, DefaultAxes) {
  std::mt19937 rng(52);
  for (int64_t coerce : {0, 1}) {
    SCOPED_TRACE(coerce);
    KernelCase c = MakeCase("Softmax");
    if (coerce) c.node.attrs["coerce_2d"] = coerce;  // default axis 1, else -1
    c.Input(Random(Shape{2, 3, 4}, rng)).Output(Shape{2, 3, 4});
    EXPECT_TRUE(MatchesReference(c));
  }
}

}  // namespace
}  // namespace fixpoint::runtime::onednn_test
