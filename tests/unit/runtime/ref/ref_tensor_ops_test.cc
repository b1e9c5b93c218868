#include <gtest/gtest.h>

#include "tests/unit/runtime/ref/ref_test_util.h"

namespace fixpoint::runtime::ref::testing {
namespace {

using Ints = std::vector<int64_t>;

TEST(RefTensorOpsTest, ViewsCopyBytes) {
  const Tensor x = F32({2, 3}, {1, 2, 3, 4, 5, 6});
  ExpectEq(Run1(MakeNode("Reshape", {{"shape", Ints{3, 2}}}), {x}, {DType::kF32, {3, 2}}),
           {1, 2, 3, 4, 5, 6});
  ExpectEq(Run1(MakeNode("Flatten"), {x}, {DType::kF32, {2, 3}}), {1, 2, 3, 4, 5, 6});
  ExpectEq(Run1(MakeNode("Unsqueeze", {{"axes", Ints{0}}}), {x}, {DType::kF32, {1, 2, 3}}),
           {1, 2, 3, 4, 5, 6});
  ExpectEq(Run1(MakeNode("Squeeze"), {I64({1, 2}, {7, 8})}, {DType::kI64, {2}}), {7, 8});
  ExpectEq(Run1(MakeNode("Identity"), {Bool({2}, {1, 0})}, {DType::kBool, {2}}), {1, 0});
  auto bad = CreateRef(MakeNode("Reshape"), {x}, {{DType::kF32, {4}}});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(RefTensorOpsTest, DropoutIsIdentityWithTrueMask) {
  auto r =
      RunRef(MakeNode("Dropout"), {F32({2}, {1, 2})}, {{DType::kF32, {2}}, {DType::kBool, {2}}});
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectEq((*r)[0], {1, 2});
  ExpectEq((*r)[1], {1, 1});
}

TEST(RefTensorOpsTest, Concat) {
  const Tensor a = F32({2, 1}, {1, 2}), b = F32({2, 2}, {3, 4, 5, 6});
  ExpectEq(Run1(MakeNode("Concat", {{"axis", int64_t{1}}}), {a, b}, {DType::kF32, {2, 3}}),
           {1, 3, 4, 2, 5, 6});
  ExpectEq(Run1(MakeNode("Concat", {{"axis", int64_t{-1}}}), {b, a}, {DType::kF32, {2, 3}}),
           {3, 4, 1, 5, 6, 2});
  ExpectEq(Run1(MakeNode("Concat", {{"axis", int64_t{0}}}),
                {I64({1}, {1}), I64({2}, {2, 3}), I64({0}, {})}, {DType::kI64, {3}}),
           {1, 2, 3});
  auto bad = CreateRef(MakeNode("Concat", {{"axis", int64_t{0}}}), {a, b}, {{DType::kF32, {4, 1}}});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(RefTensorOpsTest, Split) {
  std::vector<float> v = {0, 1, 2, 3, 4, 5, 6, 7};
  auto r = RunRef(MakeNode("Split", {{"axis", int64_t{1}}, {"split", Ints{1, 3}}}),
                  {F32({2, 4}, v)}, {{DType::kF32, {2, 1}}, {DType::kF32, {2, 3}}});
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectEq((*r)[0], {0, 4});
  ExpectEq((*r)[1], {1, 2, 3, 5, 6, 7});
  r = RunRef(MakeNode("Split"), {U8({6}, {1, 2, 3, 4, 5, 6})},
             {{DType::kU8, {2}}, {DType::kU8, {2}}, {DType::kU8, {2}}});
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectEq((*r)[2], {5, 6});
}

TEST(RefTensorOpsTest, Gather) {
  const Tensor data = F32({3, 2}, {1, 2, 3, 4, 5, 6});
  ExpectEq(Run1(MakeNode("Gather"), {data, I64({2}, {2, 0})}, {DType::kF32, {2, 2}}), {5, 6, 1, 2});
  // axis 1, 2-D indices with a negative one -> [3,1,2]
  ExpectEq(Run1(MakeNode("Gather", {{"axis", int64_t{1}}}), {data, I64({1, 2}, {1, -2})},
                {DType::kF32, {3, 1, 2}}),
           {2, 1, 4, 3, 6, 5});
  ExpectEq(Run1(MakeNode("Gather"), {I8({3}, {-1, -2, -3}), I32({}, {1})}, {DType::kI8, {}}), {-2});
}

TEST(RefTensorOpsTest, GatherIndexOutOfRangeFailsAtRunTime) {
  auto r = RunRef(MakeNode("Gather"), {F32({2}, {1, 2}), I64({1}, {2})}, {{DType::kF32, {1}}});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  r = RunRef(MakeNode("Gather"), {F32({2}, {1, 2}), I64({1}, {-3})}, {{DType::kF32, {1}}});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(RefTensorOpsTest, ShapeSizeConstantOfShape) {
  const Tensor x = F32({2, 3, 4}, std::vector<float>(24));
  ExpectEq(Run1(MakeNode("Shape"), {x}, {DType::kI64, {3}}), {2, 3, 4});
  ExpectEq(Run1(MakeNode("Shape", {{"start", int64_t{1}}}), {x}, {DType::kI64, {2}}), {3, 4});
  ExpectEq(Run1(MakeNode("Shape", {{"end", int64_t{-1}}}), {x}, {DType::kI64, {2}}), {2, 3});
  ExpectEq(Run1(MakeNode("Shape", {{"start", int64_t{-1}}}), {x}, {DType::kI64, {1}}), {4});
  ExpectEq(Run1(MakeNode("Shape", {{"start", int64_t{-10}}, {"end", int64_t{10}}}), {x},
                {DType::kI64, {3}}),
           {2, 3, 4});
  ExpectEq(Run1(MakeNode("Size"), {x}, {DType::kI64, {}}), {24});
  ExpectEq(Run1(MakeNode("ConstantOfShape", {{"shape", Ints{2, 2}}}), {}, {DType::kF32, {2, 2}}),
           {0, 0, 0, 0});
  ExpectEq(Run1(MakeNode("ConstantOfShape", {{"value", I64({1}, {7})}}), {}, {DType::kI64, {3}}),
           {7, 7, 7});
}

}  // namespace
}  // namespace fixpoint::runtime::ref::testing
