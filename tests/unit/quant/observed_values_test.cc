// Calibration's in-place view of intermediate values: RunObserved on the
// oneDNN engine (in whatever layouts its kernels choose) must hand over
// exactly the multiset of values the reference engine computes for each
// tensor; blocked layouts padded to the block must leave the padding out.
#include "core/quant/observed_values.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "core/runtime/session.h"
#include "tests/unit/transform/transform_test_util.h"

namespace fixpoint::quant {
namespace {

using ir::DType;
using ir::Shape;
using ir::Tensor;
using transform::testing::RandomF32;

ir::Node Conv(const std::string& name, const std::string& in, const std::string& w,
              const std::string& out) {
  return ir::Node{
      name,
      "Conv",
      {in, w},
      {out},
      {{"kernel_shape", std::vector<int64_t>{3, 3}}, {"pads", std::vector<int64_t>{1, 1, 1, 1}}}};
}

// x[?,3,9,9] -> Conv(c) -> Sigmoid -> MaxPool -> Conv(c) -> Add -> Relu.
// Sigmoid(0) != 0, so counting padding lanes would show.
ir::Graph Net(std::mt19937& rng, int64_t c) {
  ir::Graph g;
  g.name = "observed";
  g.inputs.push_back({"x", DType::kF32, Shape{ir::kDynamicDim, 3, 9, 9}});
  g.outputs.push_back({"out", DType::kF32, Shape{ir::kDynamicDim, c, 4, 4}});
  g.initializers["w1"] = RandomF32(Shape{c, 3, 3, 3}, rng);
  g.initializers["w2"] = RandomF32(Shape{c, c, 3, 3}, rng);
  g.nodes = {
      Conv("c1", "x", "w1", "a"),
      ir::Node{"sig", "Sigmoid", {"a"}, {"s"}, {}},
      ir::Node{
          "pool",
          "MaxPool",
          {"s"},
          {"p"},
          {{"kernel_shape", std::vector<int64_t>{2, 2}}, {"strides", std::vector<int64_t>{2, 2}}}},
      Conv("c2", "p", "w2", "b"),
      ir::Node{"add", "Add", {"b", "p"}, {"sum"}, {}},
      ir::Node{"relu", "Relu", {"sum"}, {"out"}, {}},
  };
  return g;
}

std::vector<float> Sorted(std::span<const float> values) {
  std::vector<float> v(values.begin(), values.end());
  std::sort(v.begin(), v.end());
  return v;
}

TEST(ObservedValuesTest, InPlaceValuesEqualTheReferenceEnginesTensors) {
  const std::vector<std::string> names = {"x", "a", "s", "p", "b", "sum", "out"};
  for (int64_t c : {16, 20}) {
    std::mt19937 rng(5);
    const ir::Graph g = Net(rng, c);
    // The reference engine with every tensor as a graph output.
    ir::Graph probed = g;
    probed.outputs.clear();
    const Shape shapes[] = {{ir::kDynamicDim, 3, 9, 9}, {ir::kDynamicDim, c, 9, 9},
                            {ir::kDynamicDim, c, 9, 9}, {ir::kDynamicDim, c, 4, 4},
                            {ir::kDynamicDim, c, 4, 4}, {ir::kDynamicDim, c, 4, 4},
                            {ir::kDynamicDim, c, 4, 4}};
    for (size_t k = 0; k < names.size(); ++k) {
      probed.outputs.push_back({names[k], DType::kF32, shapes[k]});
    }
    runtime::SessionOptions reference_options;
    reference_options.use_onednn = false;
    runtime::SessionOptions fast_options;
    fast_options.optimize = false;  // as calibration runs it
    auto reference = runtime::Session::Create(probed, reference_options);
    auto fast = runtime::Session::Create(g, fast_options);
    ASSERT_TRUE(reference.ok() && fast.ok());

    const Tensor x = RandomF32(Shape{3, 3, 9, 9}, rng);
    auto expected = (*reference)->Run(std::vector<ir::TensorView>{x.view()});
    ASSERT_TRUE(expected.ok()) << expected.status();
    std::vector<std::vector<float>> seen(names.size());
    std::vector<float> scratch;
    auto run = (*fast)->RunObserved(std::vector<ir::TensorView>{x.view()}, names,
                                    [&](size_t k, const runtime::ObservedValue& value) {
                                      seen[k] = Sorted(ObservedFloats(value, scratch));
                                      return absl::OkStatus();
                                    });
    ASSERT_TRUE(run.ok()) << run.status();
    for (size_t k = 0; k < names.size(); ++k) {
      const Tensor& want = (*expected)[k];
      const std::vector<float> w =
          Sorted({want.data<float>(), static_cast<size_t>(want.NumElements())});
      ASSERT_EQ(seen[k].size(), w.size()) << c << " " << names[k];
      for (size_t i = 0; i < w.size(); ++i) {
        ASSERT_NEAR(seen[k][i], w[i], 1e-4f) << c << " " << names[k] << " " << i;
      }
    }
  }
}

TEST(ObservedValuesTest, BlockedPaddingIsLeftOut) {
  // N = 2, C = 11, H x W = 3 in nChw8c: 2 channel blocks, the second with
  // 3 real lanes and 5 padding lanes (filled with NaN here). Real element
  // (n, c, p) holds n * 1000 + c * 10 + p. On this engine the kernels may
  // prefer channels-last, so the blocked case is also built by hand.
  const int64_t n = 2, c = 11, spatial = 3, block = 8, blocks = 2;
  std::vector<float> buffer(n * blocks * spatial * block, std::nanf(""));
  std::vector<float> want;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t ch = 0; ch < c; ++ch) {
      for (int64_t p = 0; p < spatial; ++p) {
        const float v = static_cast<float>(i * 1000 + ch * 10 + p);
        buffer[((i * blocks + ch / block) * spatial + p) * block + ch % block] = v;
        want.push_back(v);
      }
    }
  }
  runtime::ObservedValue value;
  value.view = ir::TensorView{DType::kF32, Shape{n, c, 1, spatial}, buffer.data()};
  value.channel_block = static_cast<int>(block);
  std::vector<float> scratch;
  EXPECT_EQ(Sorted(ObservedFloats(value, scratch)), Sorted(want));
  // A multiple of the block has no padding: the buffer itself.
  value.view.shape = Shape{n, 16, 1, spatial};
  EXPECT_EQ(ObservedFloats(value, scratch).data(), buffer.data());
}

TEST(ObservedValuesTest, UnknownNameAndObserverErrorsEndTheRun) {
  std::mt19937 rng(1);
  auto session = runtime::Session::Create(Net(rng, 8), runtime::SessionOptions{});
  ASSERT_TRUE(session.ok());
  const Tensor x = RandomF32(Shape{1, 3, 9, 9}, rng);
  const std::vector<ir::TensorView> inputs = {x.view()};
  auto ok = [](size_t, const runtime::ObservedValue&) { return absl::OkStatus(); };
  const std::vector<std::string> unknown = {"nope"};
  EXPECT_EQ((*session)->RunObserved(inputs, unknown, ok).status().code(),
            absl::StatusCode::kInvalidArgument);
  const std::vector<std::string> names = {"b"};
  auto run = (*session)->RunObserved(inputs, names, [](size_t, const runtime::ObservedValue&) {
    return absl::DataLossError("observer says no");
  });
  EXPECT_EQ(run.status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace fixpoint::quant
