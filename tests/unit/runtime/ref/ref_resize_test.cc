#include <gtest/gtest.h>

#include <numeric>

#include "tests/unit/runtime/ref/ref_test_util.h"

namespace fixpoint::runtime::ref::testing {
namespace {

using Floats = std::vector<float>;
using Ints = std::vector<int64_t>;

Tensor Resize(const Tensor& x, std::map<std::string, ir::Attribute> attrs, Shape out) {
  return Run1(MakeNode("Resize", std::move(attrs)), {x}, {x.dtype(), out});
}

const Tensor& X22() {
  static const Tensor* t = new Tensor(F32({1, 1, 2, 2}, {1, 2, 3, 4}));
  return *t;
}
const Tensor& X24() {
  static const Tensor* t = new Tensor(F32({1, 1, 2, 4}, {1, 2, 3, 4, 5, 6, 7, 8}));
  return *t;
}
const Tensor& Row4() {
  static const Tensor* t = new Tensor(F32({4}, {1, 2, 3, 4}));
  return *t;
}

TEST(RefResizeTest, NearestUpAndDownWithScales) {
  ExpectEq(Resize(X22(), {{"scales", Floats{1, 1, 2, 3}}}, {1, 1, 4, 6}),
           {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4});
  ExpectEq(Resize(X24(), {{"scales", Floats{1, 1, 0.6f, 0.6f}}}, {1, 1, 1, 2}), {1, 3});
}

TEST(RefResizeTest, NearestModes) {
  auto nearest = [](const std::string& coord, const std::string& mode) {
    return Resize(
        Row4(),
        {{"sizes", Ints{8}}, {"coordinate_transformation_mode", coord}, {"nearest_mode", mode}},
        {8});
  };
  ExpectEq(nearest("half_pixel", "round_prefer_floor"), {1, 1, 2, 2, 3, 3, 4, 4});
  ExpectEq(nearest("half_pixel", "ceil"), {1, 2, 2, 3, 3, 4, 4, 4});
  ExpectEq(nearest("align_corners", "floor"), {1, 1, 1, 2, 2, 3, 3, 4});
  ExpectEq(nearest("asymmetric", "round_prefer_ceil"), {1, 2, 2, 3, 3, 4, 4, 4});
  ExpectEq(nearest("asymmetric", "round_prefer_floor"), {1, 1, 2, 2, 3, 3, 4, 4});
  // tf_half_pixel_for_nn: x = (o + 0.5) / scale.
  std::vector<float> v(16);
  std::iota(v.begin(), v.end(), 1.0f);
  ExpectEq(Resize(F32({1, 1, 4, 4}, v),
                  {{"sizes", Ints{1, 1, 3, 2}},
                   {"coordinate_transformation_mode", std::string("tf_half_pixel_for_nn")}},
                  {1, 1, 3, 2}),
           {6, 8, 10, 12, 14, 16});
}

TEST(RefResizeTest, NearestMovesAnyDType) {
  ExpectEq(Resize(I8({2}, {-1, 7}), {{"scales", Floats{2}}}, {4}), {-1, -1, 7, 7});
}

TEST(RefResizeTest, LinearHalfPixel) {
  const std::map<std::string, ir::Attribute> lin = {{"mode", std::string("linear")},
                                                    {"scales", Floats{1, 1, 2, 2}}};
  ExpectNear(Resize(X22(), lin, {1, 1, 4, 4}),
             {1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4});
  ExpectNear(Resize(X24(), {{"mode", std::string("linear")}, {"scales", Floats{1, 1, 0.6f, 0.6f}}},
                    {1, 1, 1, 2}),
             {2.6666665, 4.3333331});
}

TEST(RefResizeTest, LinearAlignCorners) {
  const std::string ac = "align_corners";
  ExpectNear(Resize(X22(),
                    {{"mode", std::string("linear")},
                     {"scales", Floats{1, 1, 2, 2}},
                     {"coordinate_transformation_mode", ac}},
                    {1, 1, 4, 4}),
             {1, 4.0 / 3, 5.0 / 3, 2, 5.0 / 3, 2, 7.0 / 3, 8.0 / 3, 7.0 / 3, 8.0 / 3, 3, 10.0 / 3,
              3, 10.0 / 3, 11.0 / 3, 4});
  // With scales, the resized length is scale * 4 = 2.4, not the output's 2.
  ExpectNear(Resize(X24(),
                    {{"mode", std::string("linear")},
                     {"scales", Floats{1, 1, 0.6f, 0.6f}},
                     {"coordinate_transformation_mode", ac}},
                    {1, 1, 1, 2}),
             {1, 3.142857});
}

TEST(RefResizeTest, LinearPytorchHalfPixelAndAsymmetric) {
  std::vector<float> v(16);
  std::iota(v.begin(), v.end(), 1.0f);
  ExpectNear(Resize(F32({1, 1, 4, 4}, v),
                    {{"mode", std::string("linear")},
                     {"sizes", Ints{1, 1, 3, 1}},
                     {"coordinate_transformation_mode", std::string("pytorch_half_pixel")}},
                    {1, 1, 3, 1}),
             {1.6666666, 7, 12.333333});
  ExpectEq(Resize(F32({4}, {0, 10, 20, 30}),
                  {{"mode", std::string("linear")},
                   {"scales", Floats{2}},
                   {"coordinate_transformation_mode", std::string("asymmetric")}},
                  {8}),
           {0, 5, 10, 15, 20, 25, 30, 30});
}

TEST(RefResizeTest, LinearThreeDimsIsSeparable) {
  std::vector<float> v(8);
  std::iota(v.begin(), v.end(), 0.0f);
  ExpectNear(Resize(F32({2, 2, 2}, v),
                    {{"mode", std::string("linear")},
                     {"sizes", Ints{3, 3, 3}},
                     {"coordinate_transformation_mode", std::string("align_corners")}},
                    {3, 3, 3}),
             {0, 0.5, 1,   1, 1.5, 2,   2, 2.5, 3,   2, 2.5, 3,   3, 3.5,
              4, 4,   4.5, 5, 4,   4.5, 5, 5,   5.5, 6, 6,   6.5, 7});
}

TEST(RefResizeTest, CubicIsUnimplemented) {
  auto k = CreateRef(MakeNode("Resize", {{"mode", std::string("cubic")}, {"scales", Floats{2}}}),
                     {Row4()}, {{DType::kF32, {8}}});
  EXPECT_EQ(k.status().code(), absl::StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace fixpoint::runtime::ref::testing
