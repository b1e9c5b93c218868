#include <gtest/gtest.h>

#include <numeric>

#include "tests/unit/runtime/ref/ref_test_util.h"

namespace fixpoint::runtime::ref::testing {
namespace {

using Ints = std::vector<int64_t>;

std::vector<float> Iota(int n) {
  std::vector<float> v(n);
  std::iota(v.begin(), v.end(), 0.0f);
  return v;
}

TEST(RefLayoutTest, Transpose) {
  ExpectEq(Run1(MakeNode("Transpose"), {F32({2, 3}, {1, 2, 3, 4, 5, 6})}, {DType::kF32, {3, 2}}),
           {1, 4, 2, 5, 3, 6});
  ExpectEq(Run1(MakeNode("Transpose", {{"perm", Ints{0, 2, 1}}}),
                {I64({1, 2, 3}, {0, 1, 2, 3, 4, 5})}, {DType::kI64, {1, 3, 2}}),
           {0, 3, 1, 4, 2, 5});
  // [2,3,4] -> perm (2,0,1) -> [4,2,3]: out[k,i,j] = x[i,j,k] = 12i + 4j + k.
  std::vector<double> want;
  for (int k = 0; k < 4; ++k)
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 3; ++j) want.push_back(12 * i + 4 * j + k);
  std::vector<uint8_t> bytes(24);
  std::iota(bytes.begin(), bytes.end(), 0);
  ExpectEq(Run1(MakeNode("Transpose", {{"perm", Ints{2, 0, 1}}}), {U8({2, 3, 4}, bytes)},
                {DType::kU8, {4, 2, 3}}),
           want);
  auto bad = CreateRef(MakeNode("Transpose", {{"perm", Ints{0, 0}}}), {F32({1, 1}, {1})},
                       {{DType::kF32, {1, 1}}});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(RefLayoutTest, Slice) {
  const Tensor x = F32({3, 4}, Iota(12));
  ExpectEq(Run1(MakeNode("Slice", {{"starts", Ints{0, 1}}, {"ends", Ints{2, 3}}}), {x},
                {DType::kF32, {2, 2}}),
           {1, 2, 5, 6});
  // Negative step from the end, end far below the start.
  ExpectEq(Run1(MakeNode("Slice", {{"starts", Ints{-1}},
                                   {"ends", Ints{-1000}},
                                   {"axes", Ints{1}},
                                   {"steps", Ints{-2}}}),
                {x}, {DType::kF32, {3, 2}}),
           {3, 1, 7, 5, 11, 9});
  // Out-of-bounds ends clamp; negative axes.
  ExpectEq(Run1(MakeNode("Slice", {{"starts", Ints{1}}, {"ends", Ints{1000}}, {"axes", Ints{-2}}}),
                {x}, {DType::kF32, {2, 4}}),
           {4, 5, 6, 7, 8, 9, 10, 11});
  ExpectEq(
      Run1(
          MakeNode("Slice",
                   {{"starts", Ints{0}}, {"ends", Ints{4}}, {"axes", Ints{1}}, {"steps", Ints{3}}}),
          {x}, {DType::kF32, {3, 2}}),
      {0, 3, 4, 7, 8, 11});
  // Start beyond the end: empty.
  ExpectEq(Run1(MakeNode("Slice", {{"starts", Ints{10}}, {"ends", Ints{20}}, {"axes", Ints{0}}}),
                {x}, {DType::kF32, {0, 4}}),
           {});
}

TEST(RefLayoutTest, PadModes) {
  ExpectEq(Run1(MakeNode("Pad", {{"pads", Ints{0, 1, 1, 0}}, {"value", 9.0f}}),
                {F32({2, 2}, {1, 2, 3, 4})}, {DType::kF32, {3, 3}}),
           {9, 1, 2, 9, 3, 4, 9, 9, 9});
  const Tensor row = F32({1, 3}, {1, 2, 3});
  ExpectEq(Run1(MakeNode("Pad", {{"pads", Ints{0, 2, 0, 2}}, {"mode", std::string("reflect")}}),
                {row}, {DType::kF32, {1, 7}}),
           {3, 2, 1, 2, 3, 2, 1});
  ExpectEq(Run1(MakeNode("Pad", {{"pads", Ints{0, 2, 0, 2}}, {"mode", std::string("edge")}}), {row},
                {DType::kF32, {1, 7}}),
           {1, 1, 1, 2, 3, 3, 3});
  // Negative pads crop.
  ExpectEq(Run1(MakeNode("Pad", {{"pads", Ints{0, -1, 0, 1}}}), {row}, {DType::kF32, {1, 3}}),
           {2, 3, 0});
  ExpectEq(Run1(MakeNode("Pad", {{"pads", Ints{1, 1}}, {"value", 5.0f}}), {I32({1}, {-1})},
                {DType::kI32, {3}}),
           {5, -1, 5});
  ExpectEq(Run1(MakeNode("Pad", {{"pads", Ints{2, 0}}, {"mode", std::string("reflect")}}),
                {I64({1}, {4})}, {DType::kI64, {3}}),
           {4, 4, 4});
}

TEST(RefLayoutTest, ExpandAndTile) {
  ExpectEq(Run1(MakeNode("Expand", {{"shape", Ints{2, 1, 2}}}), {F32({3, 1}, {1, 2, 3})},
                {DType::kF32, {2, 3, 2}}),
           {1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3});
  ExpectEq(Run1(MakeNode("Expand", {{"shape", Ints{3}}}), {Bool({1}, {1})}, {DType::kBool, {3}}),
           {1, 1, 1});
  ExpectEq(Run1(MakeNode("Tile", {{"repeats", Ints{1, 2}}}), {F32({2, 2}, {1, 2, 3, 4})},
                {DType::kF32, {2, 4}}),
           {1, 2, 1, 2, 3, 4, 3, 4});
  ExpectEq(Run1(MakeNode("Tile", {{"repeats", Ints{2, 1}}}), {I32({1, 2}, {5, 6})},
                {DType::kI32, {2, 2}}),
           {5, 6, 5, 6});
}

TEST(RefLayoutTest, DepthToSpaceModes) {
  const Tensor x = F32({1, 8, 2, 3}, Iota(48));
  ExpectEq(
      Run1(MakeNode("DepthToSpace", {{"blocksize", int64_t{2}}}), {x}, {DType::kF32, {1, 2, 4, 6}}),
      {0, 12, 1, 13, 2, 14, 24, 36, 25, 37, 26, 38, 3, 15, 4,  16, 5,  17, 27, 39, 28, 40, 29, 41,
       6, 18, 7, 19, 8, 20, 30, 42, 31, 43, 32, 44, 9, 21, 10, 22, 11, 23, 33, 45, 34, 46, 35, 47});
  ExpectEq(Run1(MakeNode("DepthToSpace", {{"blocksize", int64_t{2}}, {"mode", std::string("CRD")}}),
                {x}, {DType::kF32, {1, 2, 4, 6}}),
           {0,  6,  1,  7,  2,  8,  12, 18, 13, 19, 14, 20, 3,  9,  4,  10,
            5,  11, 15, 21, 16, 22, 17, 23, 24, 30, 25, 31, 26, 32, 36, 42,
            37, 43, 38, 44, 27, 33, 28, 34, 29, 35, 39, 45, 40, 46, 41, 47});
}

TEST(RefLayoutTest, SpaceToDepthInvertsDepthToSpaceDcr) {
  ExpectEq(Run1(MakeNode("SpaceToDepth", {{"blocksize", int64_t{2}}}), {F32({1, 2, 2, 2}, Iota(8))},
                {DType::kF32, {1, 8, 1, 1}}),
           {0, 4, 1, 5, 2, 6, 3, 7});
  const Tensor x = F32({1, 8, 2, 3}, Iota(48));
  const Tensor y =
      Run1(MakeNode("DepthToSpace", {{"blocksize", int64_t{2}}}), {x}, {DType::kF32, {1, 2, 4, 6}});
  std::vector<double> want(48);
  std::iota(want.begin(), want.end(), 0.0);
  ExpectEq(
      Run1(MakeNode("SpaceToDepth", {{"blocksize", int64_t{2}}}), {y}, {DType::kF32, {1, 8, 2, 3}}),
      want);
}

}  // namespace
}  // namespace fixpoint::runtime::ref::testing
