#include "core/transform/fold_constants.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/transform/transform_test_util.h"

namespace fixpoint::transform {
namespace {

using testing::CompareGraphs;
using ::testing::ElementsAre;
using testing::MakeNode;
using testing::OpCounts;
using testing::RandomF32;
using testing::RunReference;

std::vector<float> F32Values(const ir::Tensor& t) {
  return std::vector<float>(t.data<float>(), t.data<float>() + t.NumElements());
}

bool BitEqual(const ir::Tensor& a, const ir::Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() &&
         std::memcmp(a.raw(), b.raw(), a.ByteSize()) == 0;
}

// Runs `g` before and after FoldConstants on random inputs; the outputs must
// be bit-identical (the folder reproduces the reference kernels exactly).
void ExpectBitIdenticalAfterFolding(const ir::Graph& before, const ir::Graph& after,
                                    uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<ir::Tensor> inputs = testing::RandomInputs(before, rng);
  std::vector<ir::Tensor> want = RunReference(before, inputs);
  std::vector<ir::Tensor> got = RunReference(after, inputs);
  ASSERT_EQ(got.size(), want.size());
  for (size_t k = 0; k < want.size(); ++k) {
    EXPECT_TRUE(BitEqual(got[k], want[k]))
        << "output " << k << ": " << got[k].DebugString() << " vs " << want[k].DebugString();
  }
}

// x[?,2,5,5] -> Conv(x, Transpose(Wt, perm)) with Wt stored as [3,3,2,4] (HWIO).
TEST(FoldConstantsTest, TransposedConvWeightsBecomeAnInitializer) {
  std::mt19937 rng(1);
  ir::Graph g;
  g.inputs.push_back({"x", ir::DType::kF32, ir::Shape({ir::kDynamicDim, 2, 5, 5})});
  g.outputs.push_back({"y", ir::DType::kF32, {}});
  g.initializers["Wt"] = RandomF32({3, 3, 2, 4}, rng);
  g.nodes.push_back(
      MakeNode("t", "Transpose", {"Wt"}, {"W"}, {{"perm", std::vector<int64_t>{3, 2, 0, 1}}}));
  g.nodes.push_back(MakeNode("conv", "Conv", {"x", "W"}, {"y"}));
  ir::Graph after = g;
  int folded = 0;
  ASSERT_TRUE(FoldConstants(after, &folded).ok());
  EXPECT_EQ(folded, 1);
  ASSERT_EQ(after.nodes.size(), 1u);
  EXPECT_EQ(after.nodes[0].inputs[1], "W");
  EXPECT_EQ(after.initializers.count("Wt"), 0u);  // only the Transpose read it
  const ir::Tensor& w = after.initializers.at("W");
  ASSERT_EQ(w.shape(), ir::Shape({4, 2, 3, 3}));
  const ir::Tensor& wt = g.initializers.at("Wt");
  // W[o][i][h][v] == Wt[h][v][i][o].
  for (int o = 0; o < 4; ++o) {
    for (int i = 0; i < 2; ++i) {
      for (int hv = 0; hv < 9; ++hv) {
        ASSERT_EQ(w.data<float>()[(o * 2 + i) * 9 + hv], wt.data<float>()[(hv * 2 + i) * 4 + o]);
      }
    }
  }
  EXPECT_EQ(after.value_info.at("W").shape, w.shape());
  ExpectBitIdenticalAfterFolding(g, after, 2);
}

TEST(FoldConstantsTest, DefaultTransposeReversesDims) {
  ir::Graph g;
  g.inputs.push_back({"x", ir::DType::kF32, ir::Shape({2, 3})});
  g.outputs.push_back({"y", ir::DType::kF32, {}});
  g.initializers["c"] = ir::Tensor::FromF32({3, 2}, std::vector<float>{1, 2, 3, 4, 5, 6});
  g.nodes.push_back(MakeNode("t", "Transpose", {"c"}, {"ct"}));
  g.nodes.push_back(MakeNode("add", "Add", {"x", "ct"}, {"y"}));
  ir::Graph after = g;
  ASSERT_TRUE(FoldConstants(after).ok());
  ASSERT_EQ(after.nodes.size(), 1u);
  EXPECT_THAT(F32Values(after.initializers.at("ct")), ElementsAre(1, 3, 5, 2, 4, 6));
  ExpectBitIdenticalAfterFolding(g, after, 3);
}

// f16-stored weights: Cast to f32 folds, the Gemm reads the f32 initializer.
TEST(FoldConstantsTest, CastOfHalfWeightsFolds) {
  std::mt19937 rng(5);
  ir::Graph g;
  g.inputs.push_back({"a", ir::DType::kF32, ir::Shape({ir::kDynamicDim, 4})});
  g.outputs.push_back({"y", ir::DType::kF32, {}});
  ir::Tensor w16(ir::DType::kF16, ir::Shape({4, 3}));
  const ir::Tensor w32 = RandomF32({4, 3}, rng);
  for (int i = 0; i < 12; ++i) w16.data<uint16_t>()[i] = ir::FloatToHalf(w32.data<float>()[i]);
  g.initializers["W16"] = w16;
  g.nodes.push_back(MakeNode("cast", "Cast", {"W16"}, {"W"}, {{"to", std::string("f32")}}));
  g.nodes.push_back(MakeNode("gemm", "Gemm", {"a", "W"}, {"y"}));
  ir::Graph after = g;
  ASSERT_TRUE(FoldConstants(after).ok());
  ASSERT_EQ(after.nodes.size(), 1u);
  EXPECT_EQ(after.initializers.at("W").dtype(), ir::DType::kF32);
  EXPECT_EQ(after.initializers.count("W16"), 0u);
  ExpectBitIdenticalAfterFolding(g, after, 6);
}

// Cast float -> int truncates toward zero and saturates, NaN -> 0, as the
// reference kernel does; checked against it through an i32 Add.
TEST(FoldConstantsTest, CastToIntegerMatchesReferenceKernel) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  ir::Graph g;
  g.inputs.push_back({"x", ir::DType::kI32, ir::Shape({6})});
  g.outputs.push_back({"y", ir::DType::kI32, {}});
  g.initializers["c"] =
      ir::Tensor::FromF32({6}, std::vector<float>{2.7f, -2.7f, 3e9f, -3e9f, nan, 0.5f});
  g.nodes.push_back(MakeNode("cast", "Cast", {"c"}, {"ci"}, {{"to", std::string("i32")}}));
  g.nodes.push_back(MakeNode("add", "Add", {"x", "ci"}, {"y"}));
  ir::Graph after = g;
  ASSERT_TRUE(FoldConstants(after).ok());
  ASSERT_EQ(after.nodes.size(), 1u);
  const ir::Tensor& ci = after.initializers.at("ci");
  EXPECT_THAT(std::vector<int32_t>(ci.data<int32_t>(), ci.data<int32_t>() + 6),
              ElementsAre(2, -2, std::numeric_limits<int32_t>::max(),
                          std::numeric_limits<int32_t>::min(), 0, 0));
  ir::Tensor x(ir::DType::kI32, ir::Shape({6}));
  for (int i = 0; i < 6; ++i) x.data<int32_t>()[i] = i - 3;
  auto want = RunReference(g, {x});
  auto got = RunReference(after, {x});
  ASSERT_EQ(want.size(), 1u);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(BitEqual(got[0], want[0]));
}

// Reshape -> Unsqueeze -> Squeeze -> Flatten of a constant, and a Concat:
// a chain folds completely, intermediate initializers disappear.
TEST(FoldConstantsTest, LayoutChainFoldsCompletely) {
  std::mt19937 rng(8);
  ir::Graph g;
  g.inputs.push_back({"x", ir::DType::kF32, ir::Shape({ir::kDynamicDim, 12})});
  g.outputs.push_back({"y", ir::DType::kF32, {}});
  g.initializers["c"] = RandomF32({2, 12}, rng);
  g.initializers["d"] = RandomF32({2, 3, 4}, rng);
  g.nodes.push_back(
      MakeNode("r", "Reshape", {"c"}, {"r"}, {{"shape", std::vector<int64_t>{2, 3, -1}}}));
  g.nodes.push_back(MakeNode("cat", "Concat", {"r", "d"}, {"cat"}, {{"axis", int64_t{-1}}}));
  g.nodes.push_back(
      MakeNode("u", "Unsqueeze", {"cat"}, {"u"}, {{"axes", std::vector<int64_t>{1}}}));
  g.nodes.push_back(MakeNode("s", "Squeeze", {"u"}, {"s"}, {{"axes", std::vector<int64_t>{1}}}));
  g.nodes.push_back(MakeNode("f", "Flatten", {"s"}, {"f"}, {{"axis", int64_t{2}}}));  // [6, 8]
  g.nodes.push_back(
      MakeNode("r2", "Reshape", {"f"}, {"w"}, {{"shape", std::vector<int64_t>{12, -1}}}));
  g.nodes.push_back(MakeNode("mm", "MatMul", {"x", "w"}, {"y"}));
  ir::Graph after = g;
  int folded = 0;
  ASSERT_TRUE(FoldConstants(after, &folded).ok());
  EXPECT_EQ(folded, 6);
  ASSERT_EQ(after.nodes.size(), 1u);
  EXPECT_EQ(after.nodes[0].op_type, "MatMul");
  ASSERT_EQ(after.initializers.size(), 1u);
  const ir::Tensor& w = after.initializers.at("w");
  ASSERT_EQ(w.shape(), ir::Shape({12, 4}));
  // Concat on the last axis: row (i, j) is c's 4 values then d's 4 values.
  const ir::Tensor& c = g.initializers.at("c");
  const ir::Tensor& d = g.initializers.at("d");
  for (int ij = 0; ij < 6; ++ij) {
    for (int k = 0; k < 4; ++k) {
      EXPECT_EQ(w.data<float>()[ij * 8 + k], c.data<float>()[ij * 4 + k]);
      EXPECT_EQ(w.data<float>()[ij * 8 + 4 + k], d.data<float>()[ij * 4 + k]);
    }
  }
  ExpectBitIdenticalAfterFolding(g, after, 9);
}

// Constant scale arithmetic with broadcasting: W * (g / sqrt(v + eps)) etc.
TEST(FoldConstantsTest, BroadcastArithmeticMatchesReferenceBitForBit) {
  std::mt19937 rng(12);
  ir::Graph g;
  g.inputs.push_back({"x", ir::DType::kF32, ir::Shape({ir::kDynamicDim, 3, 6, 6})});
  g.outputs.push_back({"y", ir::DType::kF32, {}});
  g.initializers["W"] = RandomF32({4, 3, 3, 3}, rng);
  g.initializers["gamma"] = RandomF32({4, 1, 1, 1}, rng, -2.0f, 2.0f);
  g.initializers["var"] = RandomF32({4, 1, 1, 1}, rng, 0.1f, 3.0f);
  g.initializers["eps"] = ir::Tensor::FromF32({}, std::vector<float>{1e-3f});
  g.initializers["shift"] = RandomF32({3, 1}, rng);
  g.nodes.push_back(MakeNode("add_eps", "Add", {"var", "eps"}, {"ve"}));
  g.nodes.push_back(MakeNode("sqrt", "Sqrt", {"ve"}, {"sd"}));
  g.nodes.push_back(MakeNode("recip", "Reciprocal", {"sd"}, {"inv"}));
  g.nodes.push_back(MakeNode("mul_g", "Mul", {"gamma", "inv"}, {"s"}));
  g.nodes.push_back(MakeNode("mul_w", "Mul", {"W", "s"}, {"Ws"}));
  g.nodes.push_back(MakeNode("sub", "Sub", {"Ws", "shift"}, {"Wd"}));  // [3,1] broadcasts
  g.nodes.push_back(MakeNode("div", "Div", {"Wd", "gamma"}, {"Wq"}));
  g.nodes.push_back(MakeNode("neg", "Neg", {"Wq"}, {"Wn"}));
  g.nodes.push_back(MakeNode("abs", "Abs", {"Wn"}, {"Wa"}));
  g.nodes.push_back(MakeNode("relu", "Relu", {"Wd"}, {"Wr"}));
  g.nodes.push_back(MakeNode("add", "Add", {"Wa", "Wr"}, {"Wf"}));
  g.nodes.push_back(MakeNode("floor", "Floor", {"Wf"}, {"Wfl"}));
  g.nodes.push_back(MakeNode("ceil", "Ceil", {"Wf"}, {"Wc"}));
  g.nodes.push_back(MakeNode("add2", "Add", {"Wfl", "Wc"}, {"Wi"}));
  g.nodes.push_back(MakeNode("add3", "Add", {"Wi", "Wf"}, {"Wend"}));
  g.nodes.push_back(MakeNode("conv", "Conv", {"x", "Wend"}, {"y"}));
  ir::Graph after = g;
  int folded = 0;
  ASSERT_TRUE(FoldConstants(after, &folded).ok());
  EXPECT_EQ(folded, 15);
  ASSERT_EQ(after.nodes.size(), 1u);
  EXPECT_EQ(after.initializers.size(), 1u);
  EXPECT_EQ(after.initializers.at("Wend").shape(), ir::Shape({4, 3, 3, 3}));
  ExpectBitIdenticalAfterFolding(g, after, 13);
}

TEST(FoldConstantsTest, IntegerArithmeticTruncatesAndRefusesDivisionByZero) {
  ir::Graph g;
  g.inputs.push_back({"x", ir::DType::kI64, ir::Shape({4})});
  g.outputs.push_back({"y", ir::DType::kI64, {}});
  g.outputs.push_back({"z", ir::DType::kI64, {}});
  g.initializers["a"] = ir::Tensor::FromI64({4}, std::vector<int64_t>{7, -7, 9, -9});
  g.initializers["b"] = ir::Tensor::FromI64({}, std::vector<int64_t>{2});
  g.initializers["zero"] = ir::Tensor::FromI64({4}, std::vector<int64_t>{1, 0, 1, 1});
  g.nodes.push_back(MakeNode("div", "Div", {"a", "b"}, {"q"}));
  g.nodes.push_back(MakeNode("div0", "Div", {"a", "zero"}, {"q0"}));
  g.nodes.push_back(MakeNode("add", "Add", {"x", "q"}, {"y"}));
  g.nodes.push_back(MakeNode("add0", "Add", {"x", "q0"}, {"z"}));
  int folded = 0;
  ASSERT_TRUE(FoldConstants(g, &folded).ok());
  EXPECT_EQ(folded, 1);
  const ir::Tensor& q = g.initializers.at("q");
  EXPECT_THAT(std::vector<int64_t>(q.data<int64_t>(), q.data<int64_t>() + 4),
              ElementsAre(3, -3, 4, -4));
  EXPECT_EQ(OpCounts(g).at("Div"), 1);       // the division by zero is left to run time
  EXPECT_EQ(g.initializers.count("a"), 1u);  // still read by div0
  EXPECT_EQ(g.initializers.count("b"), 0u);
}

TEST(FoldConstantsTest, WhatIsNotFolded) {
  std::mt19937 rng(3);
  ir::Graph g;
  g.inputs.push_back({"x", ir::DType::kF32, ir::Shape({4, 4})});
  g.outputs.push_back({"out_const", ir::DType::kF32, {}});
  g.outputs.push_back({"y", ir::DType::kF32, {}});
  g.initializers["c"] = RandomF32({4, 4}, rng);
  g.initializers["col"] = RandomF32({64, 1}, rng);
  g.initializers["row"] = RandomF32({1, 64}, rng);
  // A graph output stays produced by its node.
  g.nodes.push_back(MakeNode("neg_out", "Neg", {"c"}, {"out_const"}));
  // Reads a runtime input.
  g.nodes.push_back(MakeNode("neg_x", "Neg", {"x"}, {"nx"}));
  // Not in the folded op set.
  g.nodes.push_back(MakeNode("exp", "Exp", {"c"}, {"ec"}));
  // Would grow the constants (64 + 64 elements -> 64 x 64).
  g.nodes.push_back(MakeNode("grow", "Add", {"col", "row"}, {"big"}));
  g.nodes.push_back(MakeNode("rs", "ReduceSum", {"big"}, {"bs"},
                             {{"axes", std::vector<int64_t>{}}, {"keepdims", int64_t{0}}}));
  g.nodes.push_back(MakeNode("add", "Add", {"nx", "ec"}, {"s1"}));
  g.nodes.push_back(MakeNode("y", "Add", {"s1", "bs"}, {"y"}));
  const ir::Graph before = g;
  int folded = -1;
  ASSERT_TRUE(FoldConstants(g, &folded).ok());
  EXPECT_EQ(folded, 0);
  EXPECT_EQ(g.nodes.size(), before.nodes.size());
  EXPECT_EQ(g.initializers.size(), before.initializers.size());
}

}  // namespace
}  // namespace fixpoint::transform
