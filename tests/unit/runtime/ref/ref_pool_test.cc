#include <gtest/gtest.h>

#include <numeric>

#include "tests/unit/runtime/ref/ref_test_util.h"

namespace fixpoint::runtime::ref::testing {
namespace {

using Ints = std::vector<int64_t>;

// 1..16 as [1,1,4,4].
const Tensor& X16() {
  static const Tensor* x = [] {
    std::vector<float> v(16);
    std::iota(v.begin(), v.end(), 1.0f);
    return new Tensor(F32({1, 1, 4, 4}, v));
  }();
  return *x;
}

TEST(RefPoolTest, MaxAndAverage2x2Stride2) {
  const std::map<std::string, ir::Attribute> a = {{"kernel_shape", Ints{2, 2}},
                                                  {"strides", Ints{2, 2}}};
  ExpectEq(Run1(MakeNode("MaxPool", a), {X16()}, {DType::kF32, {1, 1, 2, 2}}), {6, 8, 14, 16});
  ExpectEq(Run1(MakeNode("AveragePool", a), {X16()}, {DType::kF32, {1, 1, 2, 2}}),
           {3.5, 5.5, 11.5, 13.5});
}

TEST(RefPoolTest, AveragePoolCountIncludePad) {
  const Tensor x = F32({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  std::map<std::string, ir::Attribute> a = {
      {"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}};
  ExpectEq(Run1(MakeNode("AveragePool", a), {x}, {DType::kF32, {1, 1, 2, 2}}), {3, 4, 6, 7});
  a["count_include_pad"] = int64_t{1};
  ExpectNear(Run1(MakeNode("AveragePool", a), {x}, {DType::kF32, {1, 1, 2, 2}}),
             {12.0 / 9, 16.0 / 9, 24.0 / 9, 28.0 / 9});
}

TEST(RefPoolTest, AsymmetricPads1D) {
  const Tensor x = F32({1, 1, 3}, {1, 2, 3});
  std::map<std::string, ir::Attribute> a = {{"kernel_shape", Ints{2}}, {"pads", Ints{1, 0}}};
  ExpectEq(Run1(MakeNode("AveragePool", a), {x}, {DType::kF32, {1, 1, 3}}), {1, 1.5, 2.5});
  a["count_include_pad"] = int64_t{1};
  ExpectEq(Run1(MakeNode("AveragePool", a), {x}, {DType::kF32, {1, 1, 3}}), {0.5, 1.5, 2.5});
  ExpectEq(Run1(MakeNode("MaxPool", a), {x}, {DType::kF32, {1, 1, 3}}), {1, 2, 3});
}

TEST(RefPoolTest, CeilMode) {
  std::map<std::string, ir::Attribute> a = {
      {"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"ceil_mode", int64_t{1}}};
  ExpectEq(Run1(MakeNode("MaxPool", a), {X16()}, {DType::kF32, {1, 1, 2, 2}}), {11, 12, 15, 16});
  ExpectEq(Run1(MakeNode("AveragePool", a), {X16()}, {DType::kF32, {1, 1, 2, 2}}),
           {6, 7.5, 12, 13.5});
  // Windows running past the end do not count the missing positions, even
  // with count_include_pad (there is no padding to include).
  a["count_include_pad"] = int64_t{1};
  ExpectEq(Run1(MakeNode("AveragePool", a), {X16()}, {DType::kF32, {1, 1, 2, 2}}),
           {6, 7.5, 12, 13.5});
}

TEST(RefPoolTest, MaxPoolPaddingNeverWins) {
  ExpectEq(Run1(MakeNode("MaxPool", {{"kernel_shape", Ints{2, 2}},
                                     {"strides", Ints{2, 2}},
                                     {"pads", Ints{1, 1, 1, 1}}}),
                {F32({1, 1, 2, 2}, {-1, -2, -3, -4})}, {DType::kF32, {1, 1, 2, 2}}),
           {-1, -2, -3, -4});
}

TEST(RefPoolTest, MaxPoolDilations) {
  ExpectEq(Run1(MakeNode("MaxPool", {{"kernel_shape", Ints{2, 2}}, {"dilations", Ints{2, 2}}}),
                {X16()}, {DType::kF32, {1, 1, 2, 2}}),
           {11, 12, 15, 16});
}

TEST(RefPoolTest, MaxPoolIntegerTypes) {
  const std::map<std::string, ir::Attribute> a = {{"kernel_shape", Ints{2, 2}}};
  ExpectEq(
      Run1(MakeNode("MaxPool", a), {U8({1, 1, 2, 2}, {1, 200, 3, 4})}, {DType::kU8, {1, 1, 1, 1}}),
      {200});
  ExpectEq(Run1(MakeNode("MaxPool", a), {I8({1, 1, 2, 2}, {-5, -3, -7, -128})},
                {DType::kI8, {1, 1, 1, 1}}),
           {-3});
}

TEST(RefPoolTest, OneAndThreeSpatialDims) {
  ExpectEq(Run1(MakeNode("AveragePool", {{"kernel_shape", Ints{2}}}),
                {F32({1, 1, 5}, {1, 2, 3, 4, 5})}, {DType::kF32, {1, 1, 4}}),
           {1.5, 2.5, 3.5, 4.5});
  std::vector<float> v(8);
  std::iota(v.begin(), v.end(), 0.0f);
  const Tensor x = F32({1, 1, 2, 2, 2}, v);
  ExpectEq(Run1(MakeNode("MaxPool", {{"kernel_shape", Ints{2, 2, 2}}}), {x},
                {DType::kF32, {1, 1, 1, 1, 1}}),
           {7});
  ExpectEq(Run1(MakeNode("AveragePool", {{"kernel_shape", Ints{1, 2, 2}}}), {x},
                {DType::kF32, {1, 1, 2, 1, 1}}),
           {1.5, 5.5});
}

TEST(RefPoolTest, ChannelsAndBatchAreIndependent) {
  ExpectEq(Run1(MakeNode("MaxPool", {{"kernel_shape", Ints{2}}, {"strides", Ints{2}}}),
                {F32({2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8})}, {DType::kF32, {2, 2, 1}}),
           {2, 4, 6, 8});
}

TEST(RefPoolTest, GlobalPools) {
  const Tensor x = F32({1, 2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  ExpectEq(Run1(MakeNode("GlobalAveragePool"), {x}, {DType::kF32, {1, 2, 1, 1}}), {2.5, 6.5});
  ExpectEq(Run1(MakeNode("GlobalMaxPool"), {x}, {DType::kF32, {1, 2, 1, 1}}), {4, 8});
}

}  // namespace
}  // namespace fixpoint::runtime::ref::testing
