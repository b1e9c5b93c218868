// Tensor names, input shape options and subgraph selection.
#include "core/io/tf_graph_select.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/tf/tf_test_util.h"

namespace fixpoint::io {
namespace {

using testing::GraphBuilder;
using ::testing::HasSubstr;
using testing::Options;

TEST(TfGraphSelectTest, ParsesTensorNames) {
  auto a = ParseTfTensorName("conv/Relu");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->node, "conv/Relu");
  EXPECT_EQ(a->port, 0);
  EXPECT_FALSE(a->control);
  auto b = ParseTfTensorName("split:2");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->node, "split");
  EXPECT_EQ(b->port, 2);
  auto c = ParseTfTensorName("^init");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->control);
  EXPECT_EQ(c->node, "init");
  EXPECT_FALSE(ParseTfTensorName("x:y").ok());
  EXPECT_FALSE(ParseTfTensorName(":1").ok());
  EXPECT_FALSE(ParseTfTensorName("").ok());
  EXPECT_EQ(TfTensorKey("split", 2), "split:2");
  EXPECT_EQ(TfTensorKey("x", 0), "x");
}

TEST(TfGraphSelectTest, ParsesInputShapes) {
  EXPECT_EQ(ParseTfInputShape("?,28,28,1")->ToString(), "[?,28,28,1]");
  EXPECT_EQ(ParseTfInputShape(" [-1, 32, 32, 3] ")->ToString(), "[?,32,32,3]");
  EXPECT_EQ(ParseTfInputShape("None,10")->ToString(), "[?,10]");
  EXPECT_EQ(ParseTfInputShape("")->rank(), 0);
  EXPECT_FALSE(ParseTfInputShape("[1,2").ok());
  EXPECT_FALSE(ParseTfInputShape("1,,2").ok());
  EXPECT_FALSE(ParseTfInputShape("1,-3").ok());
}

TEST(TfGraphSelectTest, SelectsOnlyWhatTheOutputsNeedInTopologicalOrder) {
  GraphBuilder b;
  b.Node("Relu", "late", {"mid"});  // listed before its producer
  b.Placeholder("x", {-1, 2});
  b.Node("Relu", "mid", {"x"});
  b.Node("Sigmoid", "unused", {"x"});
  b.Node("Relu", "pre", {"x"});
  b.Node("Relu", "past_input", {"pre"});
  auto sel = SelectTfSubgraph(b.def(), Options({"past_input"}, {"?,2"}, {"late"}));
  ASSERT_FALSE(sel.ok());  // 'late' then depends on Placeholder x, which is not an input
  sel = SelectTfSubgraph(b.def(), Options({"x"}, {}, {"late"}));
  ASSERT_TRUE(sel.ok()) << sel.status();
  ASSERT_EQ(sel->nodes.size(), 2u);
  EXPECT_EQ(sel->nodes[0]->name(), "mid");
  EXPECT_EQ(sel->nodes[1]->name(), "late");
  ASSERT_EQ(sel->inputs.size(), 1u);
  EXPECT_EQ(sel->inputs[0].info.shape.ToString(), "[?,2]");
}

TEST(TfGraphSelectTest, AnInnerNodeCanBeTheInput) {
  GraphBuilder b;
  b.Placeholder("x", {-1, 2});
  b.Node("Relu", "mid", {"x"});
  b.Node("Relu", "y", {"mid"});
  auto sel = SelectTfSubgraph(b.def(), Options({"mid"}, {"?,2"}, {"y"}));
  ASSERT_TRUE(sel.ok()) << sel.status();
  ASSERT_EQ(sel->nodes.size(), 1u);
  EXPECT_EQ(sel->inputs[0].node, "mid");
}

TEST(TfGraphSelectTest, WithoutInputNodesThePlaceholdersAreTheInputs) {
  GraphBuilder b;
  b.Placeholder("a", {2});
  b.Placeholder("b", {2});
  b.Placeholder("unused", {2});
  b.Node("Add", "y", {"a", "b"});
  auto sel = SelectTfSubgraph(b.def(), Options({}, {}, {"y"}));
  ASSERT_TRUE(sel.ok()) << sel.status();
  ASSERT_EQ(sel->inputs.size(), 2u);
  EXPECT_EQ(sel->inputs[1].node, "b");
}

TEST(TfGraphSelectTest, StructuralErrors) {
  GraphBuilder dup;
  dup.Placeholder("x", {2});
  dup.Placeholder("x", {2});
  EXPECT_THAT(SelectTfSubgraph(dup.def(), Options({"x"}, {}, {"x"})).status().message(),
              HasSubstr("two nodes are named 'x'"));
  GraphBuilder dangling;
  dangling.Placeholder("x", {2});
  dangling.Node("Relu", "y", {"ghost"});
  EXPECT_THAT(SelectTfSubgraph(dangling.def(), Options({"x"}, {}, {"y"})).status().message(),
              HasSubstr("Relu 'y' reads 'ghost', which is not in the graph"));
  GraphBuilder noop;
  noop.Placeholder("x", {2});
  noop.Node("NoOp", "n");
  noop.Node("Add", "y", {"x", "n"});
  EXPECT_THAT(SelectTfSubgraph(noop.def(), Options({"x"}, {}, {"y"})).status().message(),
              HasSubstr("reads 'n', a NoOp, which produces no tensor"));
  GraphBuilder unshaped;
  unshaped.Node("Placeholder", "x");
  unshaped.Node("Relu", "y", {"x"});
  EXPECT_THAT(SelectTfSubgraph(unshaped.def(), Options({"x"}, {}, {"y"})).status().message(),
              HasSubstr("has no known shape; give its input shape"));
}

TEST(TfGraphSelectTest, DeepChainsDoNotOverflowTheStack) {
  GraphBuilder b;
  b.Placeholder("x", {2});
  std::string prev = "x";
  for (int i = 0; i < 100000; ++i) {
    const std::string name = "r" + std::to_string(i);
    b.Node("Relu", name, {prev});
    prev = name;
  }
  auto sel = SelectTfSubgraph(b.def(), Options({"x"}, {}, {prev}));
  ASSERT_TRUE(sel.ok()) << sel.status();
  EXPECT_EQ(sel->nodes.size(), 100000u);
}

}  // namespace
}  // namespace fixpoint::io
