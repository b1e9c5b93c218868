// One test per structural rule of VerifyGraph.
#include "core/ir/verifier.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace fixpoint::ir {
namespace {

using ::testing::HasSubstr;

Node N(std::string op, std::string name, std::vector<std::string> in,
       std::vector<std::string> out) {
  Node node;
  node.op_type = std::move(op);
  node.name = std::move(name);
  node.inputs = std::move(in);
  node.outputs = std::move(out);
  return node;
}

// x, w -> Conv 'conv' -> c -> Relu 'relu' -> y.
Graph Valid() {
  Graph g;
  g.inputs = {ValueInfo{"x", DType::kF32, Shape({-1, 1, 4, 4})}};
  g.outputs = {ValueInfo{"y", DType::kF32, Shape()}};
  g.initializers["w"] = Tensor(DType::kF32, Shape({2, 1, 3, 3}));
  g.nodes.push_back(N("Conv", "conv", {"x", "w", ""}, {"c"}));
  g.nodes.push_back(N("Relu", "relu", {"c"}, {"y"}));
  return g;
}

void ExpectInvalid(const Graph& g, const std::string& fragment) {
  absl::Status status = VerifyGraph(g);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(status.message(), HasSubstr(fragment));
}

TEST(VerifierTest, AcceptsValidGraph) {
  absl::Status status = VerifyGraph(Valid());
  EXPECT_TRUE(status.ok()) << status;
}

TEST(VerifierTest, RejectsUndefinedInput) {
  Graph g = Valid();
  g.nodes[1].inputs = {"ghost"};
  ExpectInvalid(g, "Relu 'relu': input 'ghost' is not defined");
}

TEST(VerifierTest, RejectsNonTopologicalOrder) {
  Graph g = Valid();
  std::swap(g.nodes[0], g.nodes[1]);
  ExpectInvalid(g, "Relu 'relu': input 'c' is produced later by Conv 'conv'");
}

TEST(VerifierTest, RejectsTwoProducers) {
  Graph g = Valid();
  g.nodes.push_back(N("Relu", "relu2", {"c"}, {"y"}));
  ExpectInvalid(g, "Relu 'relu2': value 'y' is already defined by Relu 'relu'");
}

TEST(VerifierTest, RejectsNodeOverwritingGraphInputOrInitializer) {
  Graph g = Valid();
  g.nodes[1].outputs = {"w"};
  ExpectInvalid(g, "value 'w' is already defined by initializer");
  Graph h = Valid();
  h.inputs.push_back(ValueInfo{"w", DType::kF32, Shape()});
  ExpectInvalid(h, "graph input: value 'w' is already defined by initializer");
}

TEST(VerifierTest, RejectsEmptyAndDuplicateNodeNames) {
  Graph g = Valid();
  g.nodes[1].name = "";
  ExpectInvalid(g, "node 1 (Relu) has an empty name");
  Graph h = Valid();
  h.nodes[1].name = "conv";
  ExpectInvalid(h, "Relu 'conv': node name is not unique");
}

TEST(VerifierTest, RejectsUnproducedGraphOutput) {
  Graph g = Valid();
  g.outputs.push_back(ValueInfo{"z", DType::kF32, Shape()});
  ExpectInvalid(g, "graph output 'z' is not produced");
}

TEST(VerifierTest, RejectsUnsupportedOp) {
  Graph g = Valid();
  g.nodes[1].op_type = "Gelu";
  ExpectInvalid(g, "Gelu 'relu': op is not supported");
}

TEST(VerifierTest, RejectsInputCountOutsideArity) {
  Graph g = Valid();
  g.nodes[1].inputs = {"c", "c"};
  ExpectInvalid(g, "Relu 'relu': has 2 inputs, expected 1");
  Graph h = Valid();
  h.nodes[0].inputs = {"x"};
  ExpectInvalid(h, "Conv 'conv': has 1 inputs, expected 2 to 3");
  Graph k = Valid();
  k.nodes[0].inputs = {"x", "", "w"};
  ExpectInvalid(k, "Conv 'conv': required input 1 is absent");
}

TEST(VerifierTest, RejectsShapesBeyondTheElementLimit) {
  Graph g = Valid();
  g.inputs[0].shape = Shape({-1, 1, int64_t{1} << 40, 2});
  ExpectInvalid(g,
                "graph input 'x' shape [?,1,1099511627776,2] has more than 2^40 elements "
                "(dims 0..3 multiply to 2199023255552)");
  Graph h = Valid();
  h.initializers["w"] = Tensor(DType::kF32, Shape({2, 0, int64_t{1} << 41, 1}));
  ExpectInvalid(h, "initializer 'w' shape [2,0,2199023255552,1] has more than 2^40 elements");
}

TEST(VerifierTest, RejectsOutputCountOutsideArity) {
  Graph g = Valid();
  g.nodes[1].outputs = {"y", "y2"};
  ExpectInvalid(g, "Relu 'relu': has 2 outputs, expected 1");
}

}  // namespace
}  // namespace fixpoint::ir
