#include <gtest/gtest.h>

#include "tests/unit/runtime/ref/ref_test_util.h"

namespace fixpoint::runtime::ref::testing {
namespace {

using Ints = std::vector<int64_t>;

// The ONNX reduce example data, [3,2,2].
const Tensor& X() {
  static const Tensor* t = new Tensor(F32({3, 2, 2}, {5, 1, 20, 2, 30, 1, 40, 2, 55, 1, 60, 2}));
  return *t;
}

Tensor Reduce(const std::string& op, std::map<std::string, ir::Attribute> attrs, Shape out,
              const Tensor& x = X()) {
  return Run1(MakeNode(op, std::move(attrs)), {x}, {x.dtype(), out});
}

TEST(RefReduceTest, EachOpAlongOneAxis) {
  const std::map<std::string, ir::Attribute> a = {{"axes", Ints{1}}};
  const Shape s{3, 1, 2};
  ExpectEq(Reduce("ReduceSum", a, s), {25, 3, 70, 3, 115, 3});
  ExpectEq(Reduce("ReduceMean", a, s), {12.5, 1.5, 35, 1.5, 57.5, 1.5});
  ExpectEq(Reduce("ReduceMax", a, s), {20, 2, 40, 2, 60, 2});
  ExpectEq(Reduce("ReduceMin", a, s), {5, 1, 30, 1, 55, 1});
  ExpectEq(Reduce("ReduceProd", a, s), {100, 2, 1200, 2, 3300, 2});
  ExpectEq(Reduce("ReduceSumSquare", a, s), {425, 5, 2500, 5, 6625, 5});
  ExpectNear(Reduce("ReduceLogSumExp", a, s),
             {20.0000003, 2.31326169, 40.0000454, 2.31326169, 60.0067153, 2.31326169}, 1e-4);
}

TEST(RefReduceTest, L1AndL2) {
  const Tensor x = F32({2, 2}, {-3, 4, 1, -1});
  ExpectEq(Reduce("ReduceL1", {{"axes", Ints{1}}, {"keepdims", int64_t{0}}}, {2}, x), {7, 2});
  ExpectNear(Reduce("ReduceL2", {{"axes", Ints{1}}, {"keepdims", int64_t{0}}}, {2}, x),
             {5, 1.41421356});
  ExpectNear(Reduce("ReduceL2", {{"axes", Ints{2}}, {"keepdims", int64_t{0}}}, {3, 2}),
             {5.09901951, 20.09975124, 30.01666204, 40.04996879, 55.00909016, 60.03332408});
}

TEST(RefReduceTest, DefaultAxesReduceEverything) {
  ExpectEq(Reduce("ReduceMax", {}, {1, 1, 1}), {60});
  ExpectEq(Reduce("ReduceMin", {{"keepdims", int64_t{0}}}, {}), {1});
  ExpectEq(Reduce("ReduceSum", {{"axes", Ints{}}}, {1, 1, 1}), {219});
}

TEST(RefReduceTest, NoopWithEmptyAxes) {
  ExpectEq(Reduce("ReduceSum", {{"noop_with_empty_axes", int64_t{1}}}, {3, 2, 2}),
           {5, 1, 20, 2, 30, 1, 40, 2, 55, 1, 60, 2});
}

TEST(RefReduceTest, SeveralAndNegativeAxes) {
  ExpectEq(Reduce("ReduceSum", {{"axes", Ints{0, 2}}, {"keepdims", int64_t{0}}}, {2}), {93, 126});
  ExpectEq(Reduce("ReduceSum", {{"axes", Ints{-2}}}, {3, 1, 2}), {25, 3, 70, 3, 115, 3});
  ExpectEq(Reduce("ReduceMean", {{"axes", Ints{-1, 0}}, {"keepdims", int64_t{1}}}, {1, 2, 1}),
           {93.0 / 6, 126.0 / 6});
}

TEST(RefReduceTest, IntegerTypes) {
  const Tensor x = I32({2, 3}, {1, -2, 3, 4, 5, -6});
  ExpectEq(Reduce("ReduceSum", {{"axes", Ints{1}}, {"keepdims", int64_t{0}}}, {2}, x), {2, 3});
  ExpectEq(Reduce("ReduceProd", {{"axes", Ints{0}}, {"keepdims", int64_t{0}}}, {3}, x),
           {4, -10, -18});
  ExpectEq(Reduce("ReduceMax", {}, {1, 1}, I8({2, 2}, {-128, -5, 7, 3})), {7});
  ExpectEq(Reduce("ReduceMin", {}, {1, 1}, U8({2, 2}, {200, 5, 7, 255})), {5});
  ExpectEq(Reduce("ReduceMean", {}, {1}, I64({2}, {1, 2})), {1});  // truncates
  ExpectEq(Reduce("ReduceL1", {}, {1}, I64({2}, {-1, 2})), {3});
}

TEST(RefReduceTest, NaNWinsMaxAndMin) {
  ExpectNear(Reduce("ReduceMax", {}, {1}, F32({3}, {1, NAN, 2})), {NAN});
  ExpectNear(Reduce("ReduceMin", {}, {1}, F32({3}, {1, 2, NAN})), {NAN});
}

TEST(RefReduceTest, SumsAccumulateInDouble) {
  ExpectEq(Reduce("ReduceSum", {}, {1}, F32({3}, {1e8f, 1, -1e8f})), {1});
}

TEST(RefArgMinMaxTest, AxisAndKeepdims) {
  const Tensor x = F32({2, 2}, {2, 1, 3, 10});
  ExpectEq(Run1(MakeNode("ArgMax"), {x}, {DType::kI64, {1, 2}}), {1, 1});
  ExpectEq(Run1(MakeNode("ArgMax", {{"axis", int64_t{1}}, {"keepdims", int64_t{0}}}), {x},
                {DType::kI64, {2}}),
           {0, 1});
  ExpectEq(Run1(MakeNode("ArgMin", {{"axis", int64_t{-1}}}), {x}, {DType::kI64, {2, 1}}), {1, 0});
}

TEST(RefArgMinMaxTest, SelectLastIndex) {
  const Tensor x = F32({2, 3}, {1, 3, 3, 5, 5, 1});
  ExpectEq(Run1(MakeNode("ArgMax", {{"axis", int64_t{1}}}), {x}, {DType::kI64, {2, 1}}), {1, 0});
  ExpectEq(Run1(MakeNode("ArgMax", {{"axis", int64_t{1}}, {"select_last_index", int64_t{1}}}), {x},
                {DType::kI64, {2, 1}}),
           {2, 1});
  const Tensor y = I8({2, 3}, {1, 1, 3, 5, 1, 1});
  ExpectEq(Run1(MakeNode("ArgMin", {{"axis", int64_t{1}}}), {y}, {DType::kI64, {2, 1}}), {0, 1});
  ExpectEq(Run1(MakeNode("ArgMin", {{"axis", int64_t{1}}, {"select_last_index", int64_t{1}}}), {y},
                {DType::kI64, {2, 1}}),
           {1, 2});
}

}  // namespace
}  // namespace fixpoint::runtime::ref::testing
