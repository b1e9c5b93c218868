// Per-op conversions checked by running the imported graph (reference
// kernels) against values computed here in TF's NHWC terms.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "core/io/tf_importer.h"
#include "tests/unit/tf/tf_test_util.h"

namespace fixpoint::io::testing {
namespace {

using ::testing::ElementsAreArray;
using ::testing::FloatNear;
using ::testing::Pointwise;

std::vector<float> Iota(int n, float start = 1) {
  std::vector<float> v(n);
  std::iota(v.begin(), v.end(), start);
  return v;
}

std::vector<float> Values(const ir::Tensor& t) {
  return std::vector<float>(t.data<float>(), t.data<float>() + t.NumElements());
}

// Imports `b` with input x (shape `shape`, batch 1) and output `out`, runs it.
std::vector<float> ImportAndRun(const GraphBuilder& b, std::vector<int64_t> shape,
                                const std::vector<float>& x, const std::string& out = "y",
                                std::string* out_shape = nullptr) {
  auto g = b.Import(Options({"x"}, {}, {out}));
  EXPECT_TRUE(g.ok()) << g.status();
  if (!g.ok()) return {};
  auto y = RunRef(*g, ir::Shape(shape), x);
  EXPECT_TRUE(y.ok()) << y.status();
  if (!y.ok()) return {};
  if (out_shape != nullptr) *out_shape = (*y)[0].shape().ToString();
  return Values((*y)[0]);
}

// A 1x1 identity convolution: makes an NCHW-held value inside the importer.
void IdentityConv(GraphBuilder& b, const std::string& name, const std::string& x, int c) {
  std::vector<float> eye(c * c, 0.0f);
  for (int i = 0; i < c; ++i) eye[i * c + i] = 1.0f;
  b.Const(name + "/w", FloatTensor({1, 1, c, c}, eye));
  b.Conv2D(name, x, name + "/w", "VALID");
}

TEST(TfOpMappingTest, DepthwiseConvMatchesNhwcLoop) {
  constexpr int H = 3, W = 4, C = 2, M = 2, K = 2;
  GraphBuilder b;
  b.Placeholder("x", {1, H, W, C});
  std::vector<float> f(K * K * C * M);
  for (size_t i = 0; i < f.size(); ++i) f[i] = static_cast<float>(i) - 7.0f;
  b.Const("f", FloatTensor({K, K, C, M}, f));
  NodeDef* n = b.Node("DepthwiseConv2dNative", "y", {"x", "f"});
  GraphBuilder::Str(n, "padding", "VALID");
  GraphBuilder::Ints(n, "strides", {1, 1, 1, 1});
  const std::vector<float> x = Iota(H * W * C);
  std::vector<float> want;
  for (int i = 0; i + K <= H; ++i) {
    for (int j = 0; j + K <= W; ++j) {
      for (int c = 0; c < C; ++c) {
        for (int m = 0; m < M; ++m) {
          float s = 0;
          for (int ki = 0; ki < K; ++ki) {
            for (int kj = 0; kj < K; ++kj) {
              s += x[((i + ki) * W + j + kj) * C + c] * f[((ki * K + kj) * C + c) * M + m];
            }
          }
          want.push_back(s);
        }
      }
    }
  }
  EXPECT_THAT(ImportAndRun(b, {1, H, W, C}, x), ElementsAreArray(want));
}

TEST(TfOpMappingTest, SamePoolingExcludesPadding) {
  for (const char* op : {"AvgPool", "MaxPool"}) {
    GraphBuilder b;
    b.Placeholder("x", {1, 3, 3, 2});
    NodeDef* n = b.Node(op, "y", {"x"});
    GraphBuilder::Str(n, "padding", "SAME");
    GraphBuilder::Ints(n, "ksize", {1, 2, 2, 1});
    GraphBuilder::Ints(n, "strides", {1, 2, 2, 1});
    std::vector<float> x;
    for (float v : Iota(9)) x.insert(x.end(), {v, 10 * v});  // channel 1 = 10 x channel 0
    const bool avg = std::string(op) == "AvgPool";
    // Windows: {1,2,4,5}, {3,6}, {7,8}, {9} (the padded row/column at the end).
    const std::vector<float> c0 =
        avg ? std::vector<float>{3, 4.5, 7.5, 9} : std::vector<float>{5, 6, 8, 9};
    std::vector<float> want;
    for (float v : c0) want.insert(want.end(), {v, 10 * v});
    EXPECT_THAT(ImportAndRun(b, {1, 3, 3, 2}, x), Pointwise(FloatNear(1e-5f), want)) << op;
  }
}

TEST(TfOpMappingTest, MeanOverSpatialDimsWithAndWithoutKeepDims) {
  for (bool keep : {false, true}) {
    GraphBuilder b;
    b.Placeholder("x", {1, 2, 2, 3});
    IdentityConv(b, "conv", "x", 3);
    b.Const("axes", IntTensor({2}, {1, 2}));
    NodeDef* n = b.Node("Mean", "y", {"conv", "axes"});
    GraphBuilder::Bool(n, "keep_dims", keep);
    std::string shape;
    // Pixels (0,1,2), (3,4,5), (6,7,8), (9,10,11): channel means 4.5, 5.5, 6.5.
    EXPECT_THAT(ImportAndRun(b, {1, 2, 2, 3}, Iota(12, 0), "y", &shape),
                ElementsAreArray({4.5f, 5.5f, 6.5f}));
    EXPECT_EQ(shape, keep ? "[1,1,1,3]" : "[1,3]");
  }
}

TEST(TfOpMappingTest, ConcatOnChannelsMixesLayouts) {
  GraphBuilder b;
  b.Placeholder("x", {1, 1, 2, 2});
  IdentityConv(b, "conv", "x", 2);
  b.Const("axis", IntTensor({}, {-1}));
  b.Node("ConcatV2", "y", {"conv", "x", "axis"});
  EXPECT_THAT(ImportAndRun(b, {1, 1, 2, 2}, {1, 2, 3, 4}),
              ElementsAreArray({1, 2, 1, 2, 3, 4, 3, 4}));
}

TEST(TfOpMappingTest, PadOfNchwValueUsesNhwcPaddings) {
  GraphBuilder b;
  b.Placeholder("x", {1, 1, 2, 2});
  IdentityConv(b, "conv", "x", 2);
  b.Const("p", IntTensor({4, 2}, {0, 0, 1, 0, 0, 1, 0, 0}));  // H: 1 before, W: 1 after
  b.Node("Pad", "y", {"conv", "p"});
  std::string shape;
  EXPECT_THAT(ImportAndRun(b, {1, 1, 2, 2}, {1, 2, 3, 4}, "y", &shape),
              ElementsAreArray({0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 0, 0}));
  EXPECT_EQ(shape, "[1,2,3,2]");
}

// Found while fuzzing: paddings that overflow shape inference, and a scalar's
// empty paddings (which crashed the range check).
TEST(TfOpMappingTest, AbsurdAndEmptyPaddingsArePrecise) {
  GraphBuilder huge;
  huge.Placeholder("x", {-1, 4});
  tfproto::TensorProto p;
  p.set_dtype(tfproto::DT_INT64);
  SetShape(p.mutable_tensor_shape(), {2, 2});
  for (int64_t v : {int64_t{0}, int64_t{0}, int64_t{1} << 62, int64_t{1} << 62}) p.add_int64_val(v);
  huge.Const("p", p);
  huge.Node("Pad", "y", {"x", "p"});
  auto g = huge.Import(Options({"x"}, {}, {"y"}));
  ASSERT_EQ(g.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(g.status().message(), ::testing::HasSubstr("Pad 'y': paddings [0,0,"));
  EXPECT_THAT(g.status().message(), ::testing::HasSubstr("exceed 2147483648"));

  GraphBuilder scalar;
  scalar.Placeholder("x", {});
  scalar.Const("p", IntTensor({0, 2}, {}));
  scalar.Node("Pad", "y", {"x", "p"});
  auto s = scalar.Import(Options({"x"}, {}, {"y"}));  // padding a scalar is the identity
  EXPECT_TRUE(s.ok()) << s.status();
}

TEST(TfOpMappingTest, FusedBatchNormPerChannel) {
  GraphBuilder b;
  b.Placeholder("x", {1, 1, 2, 2});
  b.Const("scale", FloatTensor({2}, {2, 1}));
  b.Const("offset", FloatTensor({2}, {1, 0}));
  b.Const("mean", FloatTensor({2}, {1, 10}));
  b.Const("var", FloatTensor({2}, {4, 1}));
  NodeDef* n = b.Node("FusedBatchNormV3", "y", {"x", "scale", "offset", "mean", "var"});
  GraphBuilder::Bool(n, "is_training", false);
  (*n->mutable_attr())["epsilon"].set_f(0.0f);
  // c0: (x-1)/2*2+1 = x; c1: x-10.
  EXPECT_THAT(ImportAndRun(b, {1, 1, 2, 2}, {1, 2, 3, 4}),
              Pointwise(FloatNear(1e-5f), std::vector<float>{1, -8, 3, -6}));
}

TEST(TfOpMappingTest, ActivationsMatchTfDefinitions) {
  const std::vector<float> x = {-2, -0.5, 0.5, 7};
  struct Case {
    const char* op;
    std::vector<float> want;
  };
  const float e2 = std::exp(-2.0f) - 1, e05 = std::exp(-0.5f) - 1;
  for (const Case& c : {Case{"Relu6", {0, 0, 0.5, 6}}, Case{"LeakyRelu", {-0.4f, -0.1f, 0.5, 7}},
                        Case{"Elu", {e2, e05, 0.5, 7}}, Case{"Relu", {0, 0, 0.5, 7}}}) {
    GraphBuilder b;
    b.Placeholder("x", {-1, 4});
    b.Node(c.op, "y", {"x"});
    EXPECT_THAT(ImportAndRun(b, {1, 4}, x), Pointwise(FloatNear(1e-5f), c.want)) << c.op;
  }
}

TEST(TfOpMappingTest, MatMulTransposeBBecomesGemm) {
  GraphBuilder b;
  b.Placeholder("x", {-1, 3});
  b.Const("w", FloatTensor({2, 3}, {1, 0, 1, 0, 2, 0}));
  NodeDef* n = b.Node("MatMul", "y", {"x", "w"});
  GraphBuilder::Bool(n, "transpose_b", true);
  EXPECT_THAT(ImportAndRun(b, {1, 3}, {1, 2, 3}), ElementsAreArray({4, 4}));
}

TEST(TfOpMappingTest, SqueezeExpandDimsTranspose) {
  GraphBuilder b;
  b.Placeholder("x", {1, 1, 1, 3});
  IdentityConv(b, "conv", "x", 3);
  NodeDef* sq = b.Node("Squeeze", "sq", {"conv"});
  GraphBuilder::Ints(sq, "squeeze_dims", {1, 2});
  b.Const("dim", IntTensor({}, {-1}));
  b.Node("ExpandDims", "ex", {"sq", "dim"});  // [1,3,1]
  b.Const("perm", IntTensor({3}, {2, 1, 0}));
  b.Node("Transpose", "y", {"ex", "perm"});  // [1,3,1]
  std::string shape;
  EXPECT_THAT(ImportAndRun(b, {1, 1, 1, 3}, {1, 2, 3}, "y", &shape), ElementsAreArray({1, 2, 3}));
  EXPECT_EQ(shape, "[1,3,1]");
}

TEST(TfOpMappingTest, TransposeOfNchwValueComposesPerms) {
  GraphBuilder b;
  b.Placeholder("x", {1, 2, 1, 3});
  IdentityConv(b, "conv", "x", 3);
  b.Const("perm", IntTensor({4}, {0, 3, 1, 2}));  // NHWC -> NCHW in the user's graph
  b.Node("Transpose", "y", {"conv", "perm"});
  std::string shape;
  EXPECT_THAT(ImportAndRun(b, {1, 2, 1, 3}, {1, 2, 3, 4, 5, 6}, "y", &shape),
              ElementsAreArray({1, 4, 2, 5, 3, 6}));
  EXPECT_EQ(shape, "[1,3,2,1]");
}

TEST(TfOpMappingTest, ElementwiseConstantsBroadcastLikeNhwc) {
  GraphBuilder b;
  b.Placeholder("x", {1, 2, 1, 2});
  IdentityConv(b, "conv", "x", 2);
  b.Const("per_channel", FloatTensor({2}, {1, 10}));
  b.Node("Mul", "m", {"conv", "per_channel"});
  b.Const("per_row", FloatTensor({2, 1, 1}, {100, 200}));  // [H,W,C] broadcast
  b.Node("AddV2", "a", {"m", "per_row"});
  b.Const("two", FloatTensor({}, {2}));
  b.Node("RealDiv", "d", {"a", "two"});
  b.Const("cap", FloatTensor({1, 1, 1, 2}, {60, 1000}));
  b.Node("Minimum", "y", {"d", "cap"});
  // x = (1,2),(3,4): m = (1,20),(3,40); a = (101,120),(203,240); d = (50.5,60),(101.5,120)
  EXPECT_THAT(ImportAndRun(b, {1, 2, 1, 2}, {1, 2, 3, 4}),
              ElementsAreArray(std::vector<float>{50.5f, 60, 60, 120}));
}

TEST(TfOpMappingTest, SoftmaxOfNchwValueIsOverChannels) {
  GraphBuilder b;
  b.Placeholder("x", {1, 1, 2, 2});
  IdentityConv(b, "conv", "x", 2);
  b.Node("Softmax", "y", {"conv"});
  const float a = 1 / (1 + std::exp(1.0f)), c = 1 - a;
  EXPECT_THAT(ImportAndRun(b, {1, 1, 2, 2}, {0, -1, 5, 6}),
              Pointwise(FloatNear(1e-6f), std::vector<float>{c, a, a, c}));
}

TEST(TfOpMappingTest, NchwDataFormatConvAndBiasAdd) {
  GraphBuilder b;
  b.Placeholder("x", {1, 2, 1, 2});  // NCHW
  b.Const("w", FloatTensor({1, 1, 2, 1}, {1, 10}));
  NodeDef* conv = b.Conv2D("conv", "x", "w", "VALID");
  GraphBuilder::Str(conv, "data_format", "NCHW");
  b.Const("bias", FloatTensor({1}, {0.5}));
  NodeDef* add = b.Node("BiasAdd", "y", {"conv", "bias"});
  GraphBuilder::Str(add, "data_format", "NCHW");
  std::string shape;
  // out[w] = x[c0,w] + 10 x[c1,w] + 0.5
  EXPECT_THAT(ImportAndRun(b, {1, 2, 1, 2}, {1, 2, 3, 4}, "y", &shape),
              ElementsAreArray({31.5f, 42.5f}));
  EXPECT_EQ(shape, "[1,1,1,2]");
}

TEST(TfOpMappingTest, ConstantSubgraphsAreFolded) {
  GraphBuilder b;
  b.Placeholder("x", {-1, 1, 1, 2});
  b.Const("w0", FloatTensor({1, 1, 2, 2}, {1, 2, 3, 4}));
  b.Const("k", FloatTensor({}, {2}));
  b.Node("Mul", "w", {"w0", "k"});
  b.Const("var", FloatTensor({2}, {3, 15}));
  b.Const("eps", FloatTensor({}, {1}));
  b.Node("AddV2", "var_eps", {"var", "eps"});
  b.Node("Rsqrt", "inv", {"var_eps"});  // (0.5, 0.25)
  b.Conv2D("conv", "x", "w", "VALID");
  b.Node("Mul", "y", {"conv", "inv"});
  auto g = b.Import(Options({"x"}, {}, {"y"}));
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(g->nodes.size(), 4u);  // Transpose, Conv, Mul, Transpose
  auto y = RunRef(*g, ir::Shape{1, 1, 1, 2}, {1, 1});
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_THAT(Values((*y)[0]), ElementsAreArray({4, 3}));  // (2+6)*0.5, (4+8)*0.25
}

}  // namespace
}  // namespace fixpoint::io::testing
