// Hand-built GraphDefs: padding and layout results against hand-computed
// values, graph selection (Identity chains, control inputs, ports) and the
// precise errors for bad inputs.
#include "core/io/tf_importer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <numeric>

#include "tests/unit/tf/tf_test_util.h"

namespace fixpoint::io::testing {
namespace {

using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

std::vector<float> Iota(int n, float start = 1) {
  std::vector<float> v(n);
  std::iota(v.begin(), v.end(), start);
  return v;
}

std::vector<float> Values(const ir::Tensor& t) {
  return std::vector<float>(t.data<float>(), t.data<float>() + t.NumElements());
}

const ir::Node* FindNode(const ir::Graph& g, const std::string& name) {
  for (const ir::Node& n : g.nodes) {
    if (n.name == name) return &n;
  }
  return nullptr;
}

// x[1,s,s,1] -> Conv2D(ones 3x3, SAME, stride) -> y
GraphBuilder SameConv(int size, int stride) {
  GraphBuilder b;
  b.Placeholder("x", {-1, size, size, 1});
  b.Const("w", FloatTensor({3, 3, 1, 1}, std::vector<float>(9, 1.0f)));
  b.Conv2D("y", "x", "w", "SAME", {1, stride, stride, 1});
  return b;
}

TEST(TfImporterTest, SamePaddingConvMatchesHandComputedSums) {
  auto g = SameConv(3, 1).Import(Options({"x"}, {"?,3,3,1"}, {"y"}));
  ASSERT_TRUE(g.ok()) << g.status();
  auto y = RunRef(*g, ir::Shape{1, 3, 3, 1}, Iota(9));
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_THAT(Values((*y)[0]), ElementsAreArray({12, 21, 16, 27, 45, 33, 24, 39, 28}));
}

TEST(TfImporterTest, SamePaddingWithStrideTwoPadsAtTheEnd) {
  // in 4, k 3, s 2: out 2, pad total 1 -> begin 0, end 1 (TF puts the extra at the end).
  auto g = SameConv(4, 2).Import(Options({"x"}, {"?,4,4,1"}, {"y"}));
  ASSERT_TRUE(g.ok()) << g.status();
  const ir::Node* conv = FindNode(*g, "y");
  ASSERT_NE(conv, nullptr);
  EXPECT_EQ(std::get<std::vector<int64_t>>(conv->attrs.at("pads")),
            (std::vector<int64_t>{0, 0, 1, 1}));
  auto y = RunRef(*g, ir::Shape{1, 4, 4, 1}, Iota(16));
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_THAT(Values((*y)[0]), ElementsAreArray({54, 45, 72, 54}));
}

TEST(TfImporterTest, ExplicitPaddingUsesTheGivenPads) {
  GraphBuilder b = SameConv(3, 1);
  NodeDef* conv = b.def().mutable_node(2);
  GraphBuilder::Str(conv, "padding", "EXPLICIT");
  GraphBuilder::Ints(conv, "explicit_paddings", {0, 0, 1, 0, 0, 1, 0, 0});  // H before, W after
  auto g = b.Import(Options({"x"}, {"?,3,3,1"}, {"y"}));
  ASSERT_TRUE(g.ok()) << g.status();
  auto y = RunRef(*g, ir::Shape{1, 3, 3, 1}, Iota(9));
  ASSERT_TRUE(y.ok()) << y.status();
  // Output 2x2: rows -1..1 / 0..2, cols 0..2 / 1..3 (col 3 padded).
  EXPECT_THAT(Values((*y)[0]), ElementsAreArray({21, 16, 45, 33}));
}

TEST(TfImporterTest, SamePaddingNeedsStaticSpatialDims) {
  auto g = SameConv(3, 1).Import(Options({"x"}, {"?,?,3,1"}, {"y"}));
  ASSERT_EQ(g.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(g.status().message(), HasSubstr("SAME padding needs static spatial dims"));
}

TEST(TfImporterTest, MultiChannelConvMatchesNhwcLoop) {
  constexpr int H = 4, W = 5, C = 2, O = 3, K = 2;
  GraphBuilder b;
  b.Placeholder("x", {-1, H, W, C});
  std::vector<float> w(K * K * C * O);
  for (size_t i = 0; i < w.size(); ++i) w[i] = 0.25f * static_cast<float>(i % 7) - 0.5f;
  b.Const("w", FloatTensor({K, K, C, O}, w));
  b.Conv2D("y", "x", "w", "VALID");
  auto g = b.Import(Options({"x"}, {}, {"y"}));
  ASSERT_TRUE(g.ok()) << g.status();
  const std::vector<float> x = Iota(H * W * C, -10);
  auto y = RunRef(*g, ir::Shape{1, H, W, C}, x);
  ASSERT_TRUE(y.ok()) << y.status();
  ASSERT_EQ((*y)[0].shape().ToString(), "[1,3,4,3]");
  std::vector<float> want;
  for (int i = 0; i + K <= H; ++i) {
    for (int j = 0; j + K <= W; ++j) {
      for (int o = 0; o < O; ++o) {
        float s = 0;
        for (int ki = 0; ki < K; ++ki) {
          for (int kj = 0; kj < K; ++kj) {
            for (int c = 0; c < C; ++c) {
              s += x[((i + ki) * W + (j + kj)) * C + c] * w[((ki * K + kj) * C + c) * O + o];
            }
          }
        }
        want.push_back(s);
      }
    }
  }
  EXPECT_THAT(Values((*y)[0]), ElementsAreArray(want));
}

TEST(TfImporterTest, FlattenAfterConvKeepsNhwcElementOrder) {
  auto g = ConvThenDynamicFlatten().Import(Options({"x"}, {"?,2,2,3"}, {"y"}));
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(g->outputs[0].shape.ToString(), "[?,12]");
  EXPECT_EQ(CountOps(*g, "Shape"), 0);
  const ir::Node* reshape = FindNode(*g, "y");
  ASSERT_NE(reshape, nullptr);
  EXPECT_EQ(std::get<std::vector<int64_t>>(reshape->attrs.at("shape")),
            (std::vector<int64_t>{0, -1}));
  const std::vector<float> x = Iota(2 * 12, 0);
  auto y = RunRef(*g, ir::Shape{2, 2, 2, 3}, x);
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_THAT(Values((*y)[0]), ElementsAreArray(x));  // identity conv + NHWC flatten
}

TEST(TfImporterTest, ControlInputsAndTheirNodesAreDropped) {
  GraphBuilder b;
  b.Placeholder("x", {-1, 4});
  b.Node("NoOp", "init");
  b.Node("Assert", "check", {"x"});  // unsupported, but only a control dependency
  b.Node("Relu", "y", {"x", "^init", "^check"});
  auto g = b.Import(Options({"x"}, {"?,4"}, {"y"}));
  ASSERT_TRUE(g.ok()) << g.status();
  ASSERT_EQ(g->nodes.size(), 1u);
  EXPECT_EQ(g->nodes[0].op_type, "Relu");
  EXPECT_EQ(g->nodes[0].inputs, (std::vector<std::string>{"x"}));
}

TEST(TfImporterTest, IdentityChainsAreFollowedAndOutputsKeepTheirNames) {
  GraphBuilder b;
  b.Placeholder("x", {-1, 1, 1, 2});
  b.Const("w", FloatTensor({1, 1, 2, 2}, {1, 2, 3, 4}));
  b.Node("Identity", "w/read", {"w"});
  b.Node("Identity", "w/read2", {"w/read"});
  b.Node("Identity", "x/id", {"x"});
  b.Conv2D("conv", "x/id", "w/read2", "VALID");
  b.Node("Identity", "out/a", {"conv"});
  b.Node("Identity", "out", {"out/a"});
  auto g = b.Import(Options({"x"}, {}, {"out"}));
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(CountOps(*g, "Identity"), 0);
  ASSERT_EQ(g->outputs.size(), 1u);
  EXPECT_EQ(g->outputs[0].name, "out");
  EXPECT_EQ(g->outputs[0].shape.ToString(), "[?,1,1,2]");
  auto y = RunRef(*g, ir::Shape{1, 1, 1, 2}, {1, 10});
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_THAT(Values((*y)[0]), ElementsAreArray({31, 42}));
}

TEST(TfImporterTest, OutputPortsAreNamedNodeColonPort) {
  GraphBuilder b;
  b.Placeholder("x", {-1, 3});
  b.Node("Relu", "r", {"x"});
  b.Node("IdentityN", "pair", {"x", "r"});
  b.Node("Neg", "y", {"pair:1"});
  auto g = b.Import(Options({"x"}, {}, {"y", "pair:1"}));
  ASSERT_TRUE(g.ok()) << g.status();
  ASSERT_EQ(g->outputs.size(), 2u);
  EXPECT_EQ(g->outputs[1].name, "pair:1");
  auto y = RunRef(*g, ir::Shape{1, 3}, {-1, 2, -3});
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_THAT(Values((*y)[0]), ElementsAreArray({0, -2, 0}));
  EXPECT_THAT(Values((*y)[1]), ElementsAreArray({0, 2, 0}));
}

TEST(TfImporterTest, Tf2FrozenFunctionNamesAreJustNames) {
  GraphBuilder b;
  b.Placeholder("input_1", {-1, 2});
  const std::string p = "StatefulPartitionedCall/sequential/dense/";
  b.Const(p + "MatMul/ReadVariableOp", FloatTensor({2, 2}, {1, 0, 0, 1}));
  b.Node("MatMul", p + "MatMul", {"input_1", p + "MatMul/ReadVariableOp"});
  b.Const(p + "BiasAdd/ReadVariableOp", FloatTensor({2}, {0, 1}));
  b.Node("BiasAdd", p + "BiasAdd", {p + "MatMul", p + "BiasAdd/ReadVariableOp"});
  b.Node("Softmax", p + "Softmax", {p + "BiasAdd"});
  b.Node("NoOp", "NoOp", {"^" + p + "Softmax"});
  b.Node("Identity", "Identity", {p + "Softmax", "^NoOp"});
  auto g = b.Import(Options({"input_1"}, {"?,2"}, {"Identity"}));
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(g->outputs[0].name, "Identity");
  EXPECT_EQ(CountOps(*g, "Softmax"), 1);
  auto y = RunRef(*g, ir::Shape{1, 2}, {1, 0});
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_THAT(Values((*y)[0]),
              ::testing::Pointwise(::testing::FloatNear(1e-6f), std::vector<float>{0.5f, 0.5f}));
}

TEST(TfImporterTest, TruncatedGraphDefIsMalformedProtobuf) {
  const std::string bytes = ConvThenDynamicFlatten().Bytes();
  auto g = ImportTfGraphDef(bytes.substr(0, bytes.size() / 2), Options({"x"}, {}, {"y"}));
  ASSERT_EQ(g.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(g.status().message(), HasSubstr("malformed protobuf"));
  // Every prefix is refused (or imported) without a crash.
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto p = ImportTfGraphDef(bytes.substr(0, n), Options({"x"}, {}, {"y"}));
    if (!p.ok()) {
      EXPECT_FALSE(p.status().message().empty());
    }
  }
}

TEST(TfImporterTest, UnknownInputNameSuggestsCloseNames) {
  auto g = ConvThenDynamicFlatten().Import(Options({"xx"}, {}, {"y"}));
  ASSERT_EQ(g.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(g.status().message(), HasSubstr("input node 'xx' is not in the graph"));
  EXPECT_THAT(g.status().message(), HasSubstr("did you mean 'x'"));
}

TEST(TfImporterTest, UnknownOutputNameSuggestsCloseNames) {
  auto g = ConvThenDynamicFlatten().Import(Options({"x"}, {}, {"flatten/shap"}));
  ASSERT_EQ(g.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(g.status().message(), HasSubstr("output node 'flatten/shap' is not in the graph"));
  EXPECT_THAT(g.status().message(), HasSubstr("'flatten/shape'"));
}

TEST(TfImporterTest, CycleIsReportedWithItsPath) {
  GraphBuilder b;
  b.Placeholder("x", {-1, 2});
  b.Node("Add", "a", {"x", "r"});
  b.Node("Relu", "r", {"a"});
  auto g = b.Import(Options({"x"}, {}, {"r"}));
  ASSERT_EQ(g.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(g.status().message(), HasSubstr("cycle: r -> a -> r"));
}

TEST(TfImporterTest, UnsupportedOpsAreListedInOneError) {
  GraphBuilder b;
  b.Placeholder("x", {-1, 2});
  b.Node("Foo", "f1", {"x"});
  b.Node("Foo", "f2", {"f1"});
  b.Node("Bar", "b1", {"f2"});
  b.Node("Relu", "y", {"b1"});
  auto g = b.Import(Options({"x"}, {}, {"y"}));
  ASSERT_EQ(g.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(g.status().message(),
            "unsupported TensorFlow ops: Bar (node 'b1'), Foo (nodes 'f1', 'f2')");
}

TEST(TfImporterTest, AbsurdSizesAreRefused) {
  GraphBuilder b;
  b.Placeholder("x", {-1, 2});
  tfproto::TensorProto huge;
  huge.set_dtype(tfproto::DT_FLOAT);
  SetShape(huge.mutable_tensor_shape(), {int64_t{1} << 40, int64_t{1} << 40});
  huge.add_float_val(1.0f);
  b.Const("c", huge);
  b.Node("Add", "y", {"x", "c"});
  auto g = b.Import(Options({"x"}, {}, {"y"}));
  ASSERT_EQ(g.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(g.status().message(), HasSubstr("larger than the limit"));

  auto shape = b.Import(Options({"x"}, {"?,100000000000000"}, {"x"}));
  EXPECT_EQ(shape.status().code(), absl::StatusCode::kInvalidArgument);

  // A splat constant of a few bytes in the file may not expand without bound.
  GraphBuilder splat;
  splat.Placeholder("x", {-1, 2});
  tfproto::TensorProto big;
  big.set_dtype(tfproto::DT_FLOAT);
  SetShape(big.mutable_tensor_shape(), {200000000, 2});
  big.add_float_val(0.0f);
  splat.Const("c", big);
  splat.Node("Add", "y", {"x", "c"});
  auto s = splat.Import(Options({"x"}, {}, {"y"}));
  ASSERT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.status().message(), HasSubstr("Const 'c': shape [200000000,2] is larger"));

  TfImportOptions small = Options({"x"}, {}, {"y"});
  small.max_bytes = 10;
  EXPECT_THAT(b.Import(small).status().message(), HasSubstr("more than the limit of 10"));
}

TEST(TfImporterTest, OptionErrorsArePrecise) {
  GraphBuilder b;
  b.Placeholder("x", {-1, 2});
  b.Placeholder("keep_prob", {});
  b.Node("Mul", "y", {"x", "keep_prob"});
  b.Node("NoOp", "done");
  b.Node("Relu", "z", {"x"});
  auto status = [&b](TfImportOptions o) { return b.Import(o).status(); };
  EXPECT_THAT(status(Options({"x"}, {}, {"y"})).message(),
              HasSubstr("Placeholder 'keep_prob', which is not an input node"));
  EXPECT_THAT(status(Options({"x", "keep_prob"}, {"?,2"}, {"y"})).message(),
              HasSubstr("2 input nodes but 1 input shapes"));
  EXPECT_THAT(status(Options({"x", "keep_prob"}, {}, {"z"})).message(),
              HasSubstr("input node 'keep_prob' does not feed any of the output nodes"));
  EXPECT_THAT(status(Options({"x"}, {"?,3"}, {"z"})).message(),
              HasSubstr("does not match its declared shape [?,2]"));
  EXPECT_THAT(status(Options({"x"}, {"?,two"}, {"z"})).message(),
              HasSubstr("'two' is not a dimension"));
  EXPECT_THAT(status(Options({"x"}, {}, {"done"})).message(), HasSubstr("is a NoOp"));
  EXPECT_THAT(status(Options({"x"}, {}, {"z:1"})).message(), HasSubstr("node 'z' has no output 1"));
  EXPECT_THAT(status(Options({"x"}, {}, {})).message(), HasSubstr("no output nodes"));
}

TEST(TfImporterTest, TrainingModeBatchNormIsUnimplemented) {
  GraphBuilder b;
  b.Placeholder("x", {-1, 2, 2, 1});
  for (const char* c : {"scale", "offset", "mean", "var"}) b.Const(c, FloatTensor({1}, {1}));
  NodeDef* bn = b.Node("FusedBatchNormV3", "bn", {"x", "scale", "offset", "mean", "var"});
  GraphBuilder::Bool(bn, "is_training", true);
  auto g = b.Import(Options({"x"}, {}, {"bn"}));
  ASSERT_EQ(g.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(g.status().message(), HasSubstr("is_training=true"));
}

TEST(TfImporterTest, NonConstantShapeArithmeticIsRefusedPrecisely) {
  GraphBuilder b;
  b.Placeholder("x", {-1, 4});
  b.Node("Shape", "s", {"x"});
  b.Node("Cast", "f", {"s"});
  GraphBuilder::Type(b.def().mutable_node(2), "DstT", tfproto::DT_FLOAT);
  b.Node("Mul", "y", {"x", "f"});
  auto g = b.Import(Options({"x"}, {}, {"y"}));
  ASSERT_EQ(g.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(g.status().message(), HasSubstr("dynamic dimension"));
}

}  // namespace
}  // namespace fixpoint::io::testing
