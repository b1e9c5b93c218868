// Graph-level shape inference, the supported-op table and arity checks.
#include "core/ir/shape_inference.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "tests/unit/ir/infer_test_util.h"

namespace fixpoint::ir {
namespace {

using ::fixpoint::ir::testing::Infer;
using ::fixpoint::ir::testing::kDyn;
using ::fixpoint::ir::testing::MakeNode;
using ::fixpoint::ir::testing::V;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using Ints = std::vector<int64_t>;

Node N(std::string op, std::string name, std::vector<std::string> in, std::vector<std::string> out,
       std::map<std::string, Attribute> attrs = {}) {
  Node node;
  node.op_type = std::move(op);
  node.name = std::move(name);
  node.inputs = std::move(in);
  node.outputs = std::move(out);
  node.attrs = std::move(attrs);
  return node;
}

// x -> Conv(SAME_UPPER) -> Relu -> MaxPool -> Flatten -> Gemm -> Softmax -> y.
Graph SmallCnn() {
  Graph g;
  g.name = "small_cnn";
  g.inputs = {ValueInfo{"x", DType::kF32, Shape({kDyn, 1, 28, 28})}};
  g.outputs = {ValueInfo{"y", DType::kF32, Shape({kDyn, 10})}};
  g.initializers["w"] = Tensor(DType::kF32, Shape({8, 1, 3, 3}));
  g.initializers["b"] = Tensor(DType::kF32, Shape({8}));
  g.initializers["fc_w"] = Tensor(DType::kF32, Shape({10, 8 * 14 * 14}));
  g.initializers["fc_b"] = Tensor(DType::kF32, Shape({10}));
  g.nodes.push_back(
      N("Conv", "conv1", {"x", "w", "b"}, {"c"}, {{"auto_pad", std::string("SAME_UPPER")}}));
  g.nodes.push_back(N("Relu", "relu1", {"c"}, {"r"}));
  g.nodes.push_back(
      N("MaxPool", "pool1", {"r"}, {"p"}, {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}}));
  g.nodes.push_back(N("Flatten", "flat", {"p"}, {"f"}));
  g.nodes.push_back(N("Gemm", "fc", {"f", "fc_w", "fc_b"}, {"logits"}, {{"transB", int64_t{1}}}));
  g.nodes.push_back(N("Softmax", "softmax", {"logits"}, {"y"}));
  return g;
}

Shape ShapeOf(const Graph& g, const std::string& value) {
  const ValueInfo* info = g.FindValueInfo(value);
  return info == nullptr ? Shape({-99}) : info->shape;
}

TEST(InferShapesTest, FillsEveryValue) {
  Graph g = SmallCnn();
  ASSERT_TRUE(InferShapes(g).ok());
  EXPECT_EQ(g.value_info.size(), 11u);
  EXPECT_EQ(ShapeOf(g, "x"), Shape({kDyn, 1, 28, 28}));
  EXPECT_EQ(ShapeOf(g, "w"), Shape({8, 1, 3, 3}));
  EXPECT_EQ(ShapeOf(g, "c"), Shape({kDyn, 8, 28, 28}));
  EXPECT_EQ(ShapeOf(g, "r"), Shape({kDyn, 8, 28, 28}));
  EXPECT_EQ(ShapeOf(g, "p"), Shape({kDyn, 8, 14, 14}));
  EXPECT_EQ(ShapeOf(g, "f"), Shape({kDyn, 1568}));
  EXPECT_EQ(ShapeOf(g, "logits"), Shape({kDyn, 10}));
  EXPECT_EQ(ShapeOf(g, "y"), Shape({kDyn, 10}));
  EXPECT_EQ(g.value_info.at("y").name, "y");
  // Conv was canonicalized in place.
  EXPECT_EQ(std::get<Ints>(g.nodes[0].attrs.at("pads")), Ints({1, 1, 1, 1}));
  EXPECT_EQ(std::get<std::string>(g.nodes[0].attrs.at("auto_pad")), "NOTSET");
}

TEST(InferShapesTest, ErrorsArePrefixedWithTheNode) {
  Graph g = SmallCnn();
  g.initializers["w"] = Tensor(DType::kF32, Shape({8, 1, 3}));
  absl::Status status = InferShapes(g);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              StartsWith("Conv 'conv1': input 1 has rank 3, expected 4"));
  EXPECT_TRUE(g.value_info.empty());
}

TEST(InferShapesTest, UnknownInputIsNamed) {
  Graph g = SmallCnn();
  g.nodes[1].inputs = {"nope"};
  absl::Status status = InferShapes(g);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), StartsWith("Relu 'relu1': input 'nope' is not known"));
}

TEST(InferShapesTest, UnsupportedOpIsUnimplemented) {
  Graph g = SmallCnn();
  g.nodes[1].op_type = "Gelu";
  EXPECT_EQ(InferShapes(g).code(), absl::StatusCode::kUnimplemented);
}

TEST(InferShapesTest, InitializerShadowsGraphInputOfSameName) {
  Graph g = SmallCnn();
  g.inputs.push_back(ValueInfo{"b", DType::kF32, Shape({99})});
  ASSERT_TRUE(InferShapes(g).ok());
  EXPECT_EQ(ShapeOf(g, "b"), Shape({8}));
}

TEST(InferShapesTest, ShapesBeyondTheElementLimitAreRefused) {
  Graph input = SmallCnn();
  input.inputs[0].shape = Shape({int64_t{1} << 62, 1, 28, 28});
  absl::Status status = InferShapes(input);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "graph input 'x' shape [4611686018427387904,1,28,28] has more than 2^40 elements "
            "(dims 0..0 multiply to 4611686018427387904)");
  EXPECT_TRUE(input.value_info.empty());
  // Empty, yet refused: its strides would overflow.
  Graph initializer = SmallCnn();
  initializer.initializers["b"] = Tensor(DType::kF32, Shape({0, int64_t{1} << 62, 1 << 30}));
  EXPECT_THAT(std::string(InferShapes(initializer).message()),
              StartsWith("initializer 'b' shape [0,4611686018427387904,1073741824] has more "
                         "than 2^40 elements"));
  // A node output: the conv's 8 channels of the 2^40-element input image.
  Graph output = SmallCnn();
  output.inputs[0].shape = Shape({kDyn, 1, 1 << 21, 1 << 19});
  EXPECT_THAT(std::string(InferShapes(output).message()),
              StartsWith("Conv 'conv1': output 0 ('c') shape [?,8,2097152,524288] has more than "
                         "2^40 elements (dims 0..3 multiply to 8796093022208)"));
}

TEST(InferShapesTest, LargeShapesWithinTheLimitAreAccepted) {
  Graph g;
  g.inputs = {ValueInfo{"x", DType::kF32, Shape({kDyn, 1 << 20, 1 << 20})}};
  g.outputs = {ValueInfo{"y", DType::kF32, Shape()}};
  g.nodes.push_back(N("Flatten", "flat", {"x"}, {"y"}));
  ASSERT_TRUE(InferShapes(g).ok());
  EXPECT_EQ(ShapeOf(g, "y"), Shape({kDyn, int64_t{1} << 40}));
}

TEST(InferNodeOutputsTest, InputsAndOutputsBeyondTheElementLimit) {
  // Inputs are checked even when the caller is not InferShapes (constant
  // folding, Session binding concrete batch sizes).
  Node relu = MakeNode("Relu", 1);
  EXPECT_EQ(Infer(relu, {V({3, int64_t{1} << 40})}).status().message(),
            "Relu 'n': input 0 ('in0') shape [3,1099511627776] has more than 2^40 elements "
            "(dims 0..1 multiply to 3298534883328)");
  Node expand = MakeNode("Expand", 1, {{"shape", Ints{4, int64_t{1} << 39}}});
  EXPECT_EQ(Infer(expand, {V({1})}).status().message(),
            "Expand 'n': output 0 ('out0') shape [4,549755813888] has more than 2^40 elements "
            "(dims 0..1 multiply to 2199023255552)");
}

TEST(InferNodeOutputsTest, ArityIsChecked) {
  Node conv = MakeNode("Conv", 1);
  EXPECT_THAT(Infer(conv, {V({1, 1, 4, 4})}).status().message(),
              HasSubstr("Conv 'n': has 1 inputs, expected 2 to 3"));
  Node add = MakeNode("Add", 3);
  EXPECT_THAT(Infer(add, {V({1}), V({1}), V({1})}).status().message(),
              HasSubstr("has 3 inputs, expected 2"));
  Node concat = MakeNode("Concat", 0, {{"axis", int64_t{0}}});
  EXPECT_THAT(Infer(concat, {}).status().message(), HasSubstr("expected at least 1"));
  Node relu = MakeNode("Relu", 1, {}, 2);
  EXPECT_THAT(Infer(relu, {V({1})}).status().message(), HasSubstr("has 2 outputs, expected 1"));
}

TEST(InferNodeOutputsTest, AbsentOptionalInputsAndOutputs) {
  // Trailing absent inputs do not count; an absent required one is an error.
  Node conv = MakeNode("Conv", 3);
  conv.inputs[2] = "";
  auto out = Infer(conv, {V({1, 1, 4, 4}), V({2, 1, 3, 3}), V({})});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].shape, Shape({1, 2, 2, 2}));
  Node gemm = MakeNode("Gemm", 3);
  gemm.inputs[1] = "";
  EXPECT_THAT(Infer(gemm, {V({2, 2}), V({2, 2}), V({2})}).status().message(),
              HasSubstr("required input 1 is absent"));
  // MaxPool listing an unused Indices output gets an unnamed i64 info.
  Node pool = MakeNode("MaxPool", 1, {{"kernel_shape", Ints{2}}}, 2);
  pool.outputs[1] = "";
  out = Infer(pool, {V({1, 1, 4})});
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ((*out)[1].name, "");
  EXPECT_EQ((*out)[1].dtype, DType::kI64);
}

TEST(InferNodeOutputsTest, MissingInputInfoIsAnError) {
  Node relu = MakeNode("Relu", 1);
  InferContext ctx;  // no input infos at all
  EXPECT_THAT(InferNodeOutputs(relu, ctx).status().message(),
              HasSubstr("input 0 ('in0') has no known type"));
}

TEST(SupportedOpsTest, SortedUniqueAndConsistent) {
  std::vector<absl::string_view> ops = SupportedOps();
  EXPECT_EQ(ops.size(), 94u);
  EXPECT_TRUE(std::is_sorted(ops.begin(), ops.end()));
  EXPECT_EQ(std::adjacent_find(ops.begin(), ops.end()), ops.end());
  for (absl::string_view op : ops) EXPECT_TRUE(IsSupportedOp(op)) << op;
  for (absl::string_view op : {"", "Upsample", "QLinearMatMul", "Constant", "conv", "Zzz"}) {
    EXPECT_FALSE(IsSupportedOp(op)) << op;
  }
}

// Every op named in the table of docs/IR_OPS.md is supported.
TEST(SupportedOpsTest, CoversEveryDocumentedOp) {
  std::ifstream file(FP_SOURCE_DIR "/docs/IR_OPS.md");
  ASSERT_TRUE(file.good());
  std::stringstream text;
  text << file.rdbuf();
  bool in_table = false;
  int documented = 0;
  for (absl::string_view line : absl::StrSplit(text.str(), '\n')) {
    if (absl::StartsWith(line, "| op |")) {
      in_table = true;
      continue;
    }
    if (!in_table || !absl::StartsWith(line, "| ") || absl::StartsWith(line, "|---")) continue;
    std::vector<absl::string_view> cells = absl::StrSplit(line, '|');
    ASSERT_GE(cells.size(), 3u);
    for (absl::string_view token : absl::StrSplit(cells[1], ' ', absl::SkipEmpty())) {
      const absl::string_view op = token.substr(0, token.find('('));
      EXPECT_TRUE(IsSupportedOp(op)) << op;
      ++documented;
    }
  }
  EXPECT_EQ(static_cast<size_t>(documented), SupportedOps().size());
}

}  // namespace
}  // namespace fixpoint::ir
