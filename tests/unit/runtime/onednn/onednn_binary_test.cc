// oneDNN binary kernels vs the reference over numpy broadcasting shapes,
// including the operand swap for commutative ops and the refused cases.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/runtime/kernel_registry.h"
#include "tests/unit/runtime/onednn/kernel_test_util.h"

namespace fixpoint::runtime::onednn_test {
namespace {

using ir::Shape;

Shape Broadcast(const Shape& a, const Shape& b) {
  const int r = std::max(a.rank(), b.rank());
  std::vector<int64_t> out(r);
  for (int i = 0; i < r; ++i) {
    const int ia = i - (r - a.rank()), ib = i - (r - b.rank());
    const int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
    out[i] = std::max(da, db);
  }
  return Shape(out);
}

KernelCase BinaryCase(const std::string& op, const Shape& a, const Shape& b, std::mt19937& rng) {
  KernelCase c = MakeCase(op);
  // Divisors away from zero.
  c.Input(Random(a, rng, -2.0f, 2.0f));
  c.Input(op == "Div" ? Random(b, rng, 0.5f, 2.0f) : Random(b, rng, -2.0f, 2.0f));
  c.Output(Broadcast(a, b));
  return c;
}

TEST(OneDnnBinaryTest, MatchesReferenceWhereSecondOperandBroadcasts) {
  std::mt19937 rng(41);
  const std::vector<std::pair<Shape, Shape>> shapes = {
      {Shape{8}, Shape{8}},
      {Shape{3, 4}, Shape{3, 4}},
      {Shape{3, 4}, Shape{4}},
      {Shape{3, 4}, Shape{3, 1}},
      {Shape{3, 4}, Shape{}},
      {Shape{8, 16, 5, 5}, Shape{16, 1, 1}},
      {Shape{1, 16, 5, 5}, Shape{1, 16, 1, 1}},
      {Shape{3, 16, 5, 5}, Shape{1, 1, 5, 5}},
      {Shape{2, 3, 4, 5}, Shape{3, 1, 5}},
      {Shape{2, 3, 4, 5, 6}, Shape{1, 3, 1, 5, 1}},
  };
  for (const std::string op : {"Add", "Sub", "Mul", "Div", "Min", "Max"}) {
    for (const auto& [a, b] : shapes) {
      SCOPED_TRACE(absl::StrCat(op, " ", a.ToString(), " ", b.ToString()));
      EXPECT_TRUE(MatchesReference(BinaryCase(op, a, b, rng)));
    }
  }
}

TEST(OneDnnBinaryTest, FirstOperandBroadcastSwapsForCommutativeOps) {
  std::mt19937 rng(42);
  const std::vector<std::pair<Shape, Shape>> shapes = {
      {Shape{4}, Shape{3, 4}}, {Shape{}, Shape{2, 3}}, {Shape{16, 1, 1}, Shape{8, 16, 5, 5}}};
  for (const auto& [a, b] : shapes) {
    for (const std::string op : {"Add", "Mul", "Min", "Max"}) {
      SCOPED_TRACE(absl::StrCat(op, " ", a.ToString(), " ", b.ToString()));
      EXPECT_TRUE(MatchesReference(BinaryCase(op, a, b, rng)));
    }
    for (const std::string op : {"Sub", "Div"}) {
      SCOPED_TRACE(absl::StrCat(op, " ", a.ToString(), " ", b.ToString()));
      EXPECT_EQ(RunKernel(FindOneDnnKernel(op), BinaryCase(op, a, b, rng)).status().code(),
                absl::StatusCode::kUnimplemented);
    }
  }
}

TEST(OneDnnBinaryTest, TwoSidedBroadcastAndVariadicAreRefused) {
  std::mt19937 rng(43);
  EXPECT_EQ(RunKernel(FindOneDnnKernel("Add"), BinaryCase("Add", Shape{3, 1}, Shape{1, 4}, rng))
                .status()
                .code(),
            absl::StatusCode::kUnimplemented);
  KernelCase three = MakeCase("Max");
  three.Input(Random(Shape{4}, rng)).Input(Random(Shape{4}, rng)).Input(Random(Shape{4}, rng));
  three.Output(Shape{4});
  EXPECT_EQ(RunKernel(FindOneDnnKernel("Max"), three).status().code(),
            absl::StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace fixpoint::runtime::onednn_test
