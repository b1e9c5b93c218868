// Shape arithmetic exported by PyTorch/TF (Shape -> Gather -> Unsqueeze ->
// Concat -> Reshape) imports as a Reshape with a constant shape attribute.
#include "absl/strings/str_cat.h"
#include "core/io/onnx_importer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/io/onnx_test_util.h"

namespace fixpoint::io {
namespace {

using ::testing::ElementsAre;
using testing::FindNode;
using ::testing::HasSubstr;
using testing::I64Tensor;
using testing::ModelBuilder;

// x[N,3,4,4] -> Relu -> r; shape = Concat(Unsqueeze(Gather(Shape(src), 0)), tail);
// y = Reshape(data, shape). `src` and `data` name values of the model.
ModelBuilder FlattenModel(int64_t opset, const std::string& src, const std::string& data,
                          std::vector<int64_t> tail = {-1}) {
  ModelBuilder m(opset, "flatten");
  m.Input("x", {-1, 3, 4, 4}).Output("y");
  m.Node("Relu", {"x"}, {"r"}, "relu");
  testing::SetInts(m.Node("Transpose", {"x"}, {"t"}, "transpose"), "perm", {1, 0, 2, 3});
  m.Node("Shape", {src}, {"shape_of"}, "shape");
  m.Constant("zero", I64Tensor("", {}, {0}));
  m.Node("Gather", {"shape_of", "zero"}, {"n"}, "gather");
  if (opset >= 13) {
    m.Constant("axes0", I64Tensor("", {1}, {0}));
    m.Node("Unsqueeze", {"n", "axes0"}, {"n1"}, "unsqueeze");
  } else {
    testing::SetInts(m.Node("Unsqueeze", {"n"}, {"n1"}, "unsqueeze"), "axes", {0});
  }
  m.Constant("tail", I64Tensor("", {static_cast<int64_t>(tail.size())}, tail));
  testing::SetInt(m.Node("Concat", {"n1", "tail"}, {"target"}, "concat"), "axis", 0);
  m.Node("Reshape", {data, "target"}, {"y"}, "reshape");
  return m;
}

void ExpectOnlyReshapeLeft(const ir::Graph& g) {
  for (const char* op : {"Shape", "Gather", "Unsqueeze", "Concat"}) {
    EXPECT_EQ(FindNode(g, op), nullptr) << op << " should be folded away";
  }
}

TEST(OnnxFoldTest, DynamicBatchFlattenBecomesZeroMinusOne) {
  for (int64_t opset : {11, 13}) {
    auto g = FlattenModel(opset, "r", "r").Import();
    ASSERT_TRUE(g.ok()) << "opset " << opset << ": " << g.status();
    const ir::Node* r = FindNode(*g, "Reshape");
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->inputs.size(), 1u);
    EXPECT_THAT(*r->GetInts("shape", {}), ElementsAre(0, -1));
    ExpectOnlyReshapeLeft(*g);
    EXPECT_EQ(g->outputs[0].shape, ir::Shape({ir::kDynamicDim, 48}));
    EXPECT_EQ(g->nodes.size(), 2u);  // Relu, Reshape (Transpose was dead)
  }
}

TEST(OnnxFoldTest, SymbolFollowsElementwiseOps) {
  // Shape of x, Reshape of Relu(x): Relu keeps the batch dim.
  auto g = FlattenModel(13, "x", "r").Import();
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_THAT(*FindNode(*g, "Reshape")->GetInts("shape", {}), ElementsAre(0, -1));
}

TEST(OnnxFoldTest, OnlyUnknownBecomesMinusOne) {
  // Reshape of Transpose(x) (batch moved to dim 1) to [N, 48]: N is not at
  // the same position, but it is the only unknown.
  auto g = FlattenModel(13, "x", "t", {48}).Import();
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_THAT(*FindNode(*g, "Reshape")->GetInts("shape", {}), ElementsAre(-1, 48));
  ExpectOnlyReshapeLeft(*g);
}

TEST(OnnxFoldTest, TwoUnknownsAreRefused) {
  // [N, -1] for Transpose(x): N is neither copyable nor the only unknown.
  auto g = FlattenModel(13, "x", "t").Import();
  EXPECT_EQ(g.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(g.status().message(),
              HasSubstr("model 'flatten': Reshape 'reshape': input 1 ('target') must be a "
                        "constant to become attribute 'shape'"));
}

TEST(OnnxFoldTest, ProductOfStaticDims) {
  // PyTorch's x.view(x.size(0), x.size(1) * x.size(2) * x.size(3)).
  ModelBuilder m(13, "view");
  m.Input("x", {-1, 3, 4, 4}).Output("y");
  m.Node("Shape", {"x"}, {"s"}, "shape");
  std::vector<std::string> dims;
  for (int i = 0; i < 4; ++i) {
    const std::string idx = absl::StrCat("i", i), d = absl::StrCat("d", i);
    m.Constant(idx, I64Tensor("", {}, {i}));
    m.Node("Gather", {"s", idx}, {d});
    dims.push_back(d);
  }
  m.Node("Mul", {"d1", "d2"}, {"p12"});
  m.Node("Mul", {"p12", "d3"}, {"p123"});
  m.Constant("ax", I64Tensor("", {1}, {0}));
  m.Node("Unsqueeze", {"d0", "ax"}, {"u0"});
  m.Node("Unsqueeze", {"p123", "ax"}, {"u1"});
  testing::SetInt(m.Node("Concat", {"u0", "u1"}, {"target"}), "axis", 0);
  m.Node("Reshape", {"x", "target"}, {"y"}, "reshape");
  auto g = m.Import();
  ASSERT_TRUE(g.ok()) << g.status();
  ASSERT_EQ(g->nodes.size(), 1u);
  EXPECT_THAT(*g->nodes[0].GetInts("shape", {}), ElementsAre(0, 48));
}

TEST(OnnxFoldTest, StaticShapeChainFoldsCompletely) {
  ModelBuilder m(13, "static");
  m.Input("x", {2, 3, 4}).Output("y");
  m.Node("Shape", {"x"}, {"s"});
  m.Constant("st", I64Tensor("", {1}, {1}));
  m.Constant("en", I64Tensor("", {1}, {3}));
  m.Node("Slice", {"s", "st", "en"}, {"hw"});  // [3, 4]
  m.Constant("two", I64Tensor("", {}, {2}));
  m.Node("Mul", {"hw", "two"}, {"hw2"});  // [6, 8]
  testing::SetInt(m.Node("Cast", {"hw2"}, {"hwf"}), "to", onnx::TensorProto::FLOAT);
  testing::SetInt(m.Node("Cast", {"hwf"}, {"hwi"}), "to", onnx::TensorProto::INT64);
  m.Node("Div", {"hwi", "two"}, {"half"});  // [3, 4]
  m.Constant("lead", I64Tensor("", {1}, {2}));
  testing::SetInt(m.Node("Concat", {"lead", "half"}, {"target"}), "axis", 0);
  m.Node("Expand", {"x", "target"}, {"y"}, "expand");
  auto g = m.Import();
  ASSERT_TRUE(g.ok()) << g.status();
  ASSERT_EQ(g->nodes.size(), 1u);
  EXPECT_THAT(*g->nodes[0].GetInts("shape", {}), ElementsAre(2, 3, 4));
  EXPECT_TRUE(g->initializers.empty());
}

TEST(OnnxFoldTest, ExpandOfOwnShapeIsIdentityShape) {
  ModelBuilder m(13, "expand");
  m.Input("x", {-1, 3}).Output("y");
  m.Node("Shape", {"x"}, {"s"});
  m.Node("Expand", {"x", "s"}, {"y"}, "expand");
  auto g = m.Import();
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_THAT(*FindNode(*g, "Expand")->GetInts("shape", {}), ElementsAre(1, 3));
}

}  // namespace
}  // namespace fixpoint::io
