#include "core/transform/fold_shape_constants.h"

#include "core/transform/fold_shape_constants_values.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fixpoint::transform {
namespace {

using ::testing::ElementsAre;

ir::Node MakeNode(std::string name, std::string op, std::vector<std::string> inputs,
                  std::vector<std::string> outputs,
                  std::map<std::string, ir::Attribute> attrs = {}) {
  ir::Node n;
  n.name = std::move(name);
  n.op_type = std::move(op);
  n.inputs = std::move(inputs);
  n.outputs = std::move(outputs);
  n.attrs = std::move(attrs);
  return n;
}

ir::Tensor I64(std::vector<int64_t> dims, std::vector<int64_t> values) {
  return ir::Tensor::FromI64(ir::Shape(std::move(dims)), values);
}

std::vector<int64_t> Values(const ir::Tensor& t) {
  return std::vector<int64_t>(t.data<int64_t>(), t.data<int64_t>() + t.NumElements());
}

// x[?,3,4,4]: y = Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), [-1])).
ir::Graph FlattenGraph() {
  ir::Graph g;
  g.name = "flatten";
  g.inputs.push_back({"x", ir::DType::kF32, ir::Shape({ir::kDynamicDim, 3, 4, 4})});
  g.outputs.push_back({"y", ir::DType::kF32, {}});
  g.initializers["zero"] = I64({}, {0});
  g.initializers["tail"] = I64({1}, {-1});
  g.nodes.push_back(MakeNode("shape", "Shape", {"x"}, {"s"}));
  g.nodes.push_back(MakeNode("gather", "Gather", {"s", "zero"}, {"n"}, {{"axis", int64_t{0}}}));
  g.nodes.push_back(
      MakeNode("unsq", "Unsqueeze", {"n"}, {"n1"}, {{"axes", std::vector<int64_t>{0}}}));
  g.nodes.push_back(MakeNode("concat", "Concat", {"n1", "tail"}, {"t"}, {{"axis", int64_t{0}}}));
  g.nodes.push_back(MakeNode("reshape", "Reshape", {"x", "t"}, {"y"}));
  return g;
}

TEST(FoldShapeConstantsTest, DynamicBatchFlatten) {
  ir::Graph g = FlattenGraph();
  ASSERT_TRUE(FoldShapeConstants(g).ok());
  ASSERT_EQ(g.nodes.size(), 1u);
  const ir::Node& r = g.nodes[0];
  EXPECT_EQ(r.op_type, "Reshape");
  ASSERT_EQ(r.inputs.size(), 2u);
  const ir::Tensor* shape = g.FindInitializer(r.inputs[1]);
  ASSERT_NE(shape, nullptr);
  EXPECT_THAT(Values(*shape), ElementsAre(0, -1));
  // The shape-arithmetic constants went with their readers.
  EXPECT_EQ(g.initializers.size(), 1u);
  EXPECT_EQ(g.inputs.size(), 1u);
}

TEST(FoldShapeConstantsTest, StaticShapeFoldsToInitializer) {
  ir::Graph g = FlattenGraph();
  g.inputs[0].shape = ir::Shape({2, 3, 4, 4});
  ASSERT_TRUE(FoldShapeConstants(g).ok());
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].inputs[1], "t");
  EXPECT_THAT(Values(g.initializers.at("t")), ElementsAre(2, -1));
}

TEST(FoldShapeConstantsTest, GraphOutputsAreNotFolded) {
  ir::Graph g;
  g.inputs.push_back({"x", ir::DType::kF32, ir::Shape({2, 3})});
  g.outputs.push_back({"s", ir::DType::kI64, {}});
  g.nodes.push_back(MakeNode("shape", "Shape", {"x"}, {"s"}));
  ASSERT_TRUE(FoldShapeConstants(g).ok());
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_FALSE(g.IsInitializer("s"));
}

TEST(FoldShapeConstantsTest, DeadNodesAndInitializersAreRemoved) {
  ir::Graph g;
  g.inputs.push_back({"x", ir::DType::kF32, ir::Shape({2})});
  g.inputs.push_back({"unused", ir::DType::kF32, ir::Shape({2})});
  g.outputs.push_back({"y", ir::DType::kF32, {}});
  g.initializers["w"] = ir::Tensor(ir::DType::kF32, ir::Shape({2}));
  g.nodes.push_back(MakeNode("dead", "Add", {"x", "w"}, {"d"}));
  g.nodes.push_back(MakeNode("live", "Relu", {"x"}, {"y"}));
  ASSERT_TRUE(FoldShapeConstants(g).ok());
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].name, "live");
  EXPECT_TRUE(g.initializers.empty());
  EXPECT_EQ(g.inputs.size(), 2u);  // runtime inputs bind by position: kept
}

TEST(FoldShapeConstantsTest, CanonicalizeHookSeesEveryKeptNodeAndCanFail) {
  ir::Graph g = FlattenGraph();
  std::vector<std::string> seen;
  FoldShapeOptions options;
  options.canonicalize = [&](ir::Node& node, ir::Graph&) {
    seen.push_back(node.name);
    return absl::OkStatus();
  };
  ASSERT_TRUE(FoldShapeConstants(g, options).ok());
  EXPECT_THAT(seen, ElementsAre("shape", "gather", "unsq", "concat", "reshape"));

  ir::Graph h = FlattenGraph();
  options.canonicalize = [](ir::Node& node, ir::Graph&) {
    return node.op_type == "Reshape" ? absl::UnimplementedError("no") : absl::OkStatus();
  };
  EXPECT_EQ(FoldShapeConstants(h, options).code(), absl::StatusCode::kUnimplemented);
}

TEST(FoldShapeConstantsTest, UnresolvableShapeIsLeftAlone) {
  // [N, -1, N]: the last N is not a copy of data dim 2, and -1 is taken.
  ir::Graph g = FlattenGraph();
  g.nodes[3].inputs = {"n1", "tail", "n1"};
  ASSERT_TRUE(FoldShapeConstants(g).ok());
  EXPECT_EQ(g.nodes.back().inputs[1], "t");
  EXPECT_FALSE(g.IsInitializer("t"));
}

// ---- value arithmetic --------------------------------------------------------

using fold::Elem;
using fold::Value;

Value Numbers(std::vector<double> v, ir::DType dtype = ir::DType::kI64) {
  Value out{dtype, false, {}};
  for (double x : v) out.elems.push_back(Elem::Number(x));
  return out;
}

TEST(FoldShapeValuesTest, SliceFollowsOnnxClamping) {
  const Value v = Numbers({10, 20, 30, 40});
  auto rev = fold::Slice(v, {-1}, {INT64_MIN}, {0}, {-1});
  ASSERT_TRUE(rev);
  EXPECT_EQ(rev->ToTensor().data<int64_t>()[0], 40);
  EXPECT_EQ(rev->elems.size(), 4u);
  auto mid = fold::Slice(v, {1}, {INT64_MAX}, {}, {2});
  ASSERT_TRUE(mid);
  ASSERT_EQ(mid->elems.size(), 2u);
  EXPECT_EQ(mid->elems[1].number, 40);
  EXPECT_FALSE(fold::Slice(v, {0}, {1}, {1}, {}));  // axis 1 of a vector
}

TEST(FoldShapeValuesTest, IntegerDivisionTruncates) {
  auto q = fold::Binary("Div", Numbers({7, -7}), Numbers({2}));
  ASSERT_TRUE(q);
  EXPECT_EQ(q->elems[0].number, 3);
  EXPECT_EQ(q->elems[1].number, -3);
  EXPECT_FALSE(fold::Binary("Div", Numbers({1}), Numbers({0})));
  EXPECT_FALSE(fold::Binary("Add", Numbers({1, 2}), Numbers({1, 2, 3})));
}

TEST(FoldShapeValuesTest, SymbolArithmetic) {
  Value n{ir::DType::kI64, true, {Elem::Symbol(7)}};
  auto same = fold::Binary("Mul", n, Value{ir::DType::kI64, true, {Elem::Number(1)}});
  ASSERT_TRUE(same);
  EXPECT_TRUE(same->elems[0].is_symbol());
  auto one = fold::Binary("Div", n, n);
  ASSERT_TRUE(one);
  EXPECT_TRUE(one->elems[0].is_number());
  EXPECT_EQ(one->elems[0].number, 1);
  auto unknown = fold::Binary("Mul", n, Value{ir::DType::kI64, true, {Elem::Number(3)}});
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->elems[0].kind, Elem::Kind::kUnknown);
  auto as_float = fold::Cast(n, ir::DType::kF32);
  ASSERT_TRUE(as_float);
  EXPECT_TRUE(as_float->elems[0].is_symbol());
}

TEST(FoldShapeValuesTest, CastTruncatesAndRoundsToFloat) {
  auto f = fold::Cast(Numbers({2.75, -2.75}, ir::DType::kF32), ir::DType::kI64);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->elems[0].number, 2);
  EXPECT_EQ(f->elems[1].number, -2);
  auto floor = fold::Rounding("Floor", Numbers({-2.5}, ir::DType::kF32));
  ASSERT_TRUE(floor);
  EXPECT_EQ(floor->elems[0].number, -3);
}

}  // namespace
}  // namespace fixpoint::transform
