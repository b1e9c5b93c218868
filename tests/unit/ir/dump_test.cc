#include "core/ir/dump.h"

#include <gtest/gtest.h>

#include "core/ir/shape_inference.h"

namespace fixpoint::ir {
namespace {

Graph Small() {
  Graph g;
  g.name = "tiny";
  g.inputs = {ValueInfo{"input", DType::kF32, Shape({kDynamicDim, 1, 28, 28})}};
  g.outputs = {ValueInfo{"out", DType::kF32, Shape()}};
  g.initializers["w"] = Tensor(DType::kF32, Shape({8, 1, 3, 3}));
  g.initializers["b"] = Tensor(DType::kF32, Shape({8}));
  Node conv;
  conv.name = "conv1";
  conv.op_type = "Conv";
  conv.inputs = {"input", "w", "b"};
  conv.outputs = {"c"};
  conv.attrs["strides"] = std::vector<int64_t>{1, 1};
  Node clip;
  clip.name = "clip";
  clip.op_type = "Clip";
  clip.inputs = {"c"};
  clip.outputs = {"out"};
  clip.attrs["min"] = 0.0f;
  clip.attrs["max"] = 6.5f;
  clip.attrs["tag"] = std::vector<std::string>{"a", "b"};
  clip.attrs["t"] = Tensor(DType::kI64, Shape({2}));
  g.nodes = {conv, clip};
  return g;
}

TEST(DumpTest, BeforeInferenceShowsDeclaredTypesOnly) {
  EXPECT_EQ(DumpGraph(Small()),
            "graph 'tiny' (opset 13)\n"
            "input %input: f32[?,1,28,28]\n"
            "init %b: f32[8]\n"
            "init %w: f32[8,1,3,3]\n"
            "%c = Conv 'conv1'(%input, %w, %b) {strides=[1,1]}\n"
            "%out = Clip 'clip'(%c) {max=6.5, min=0, t=i64[2], tag=[\"a\",\"b\"]}\n"
            "output %out: f32[]\n");
}

TEST(DumpTest, AfterInferenceShowsValueTypesAndCanonicalAttributes) {
  Graph g = Small();
  ASSERT_TRUE(InferShapes(g).ok());
  g.nodes[0].inputs[2] = "";
  EXPECT_EQ(DumpGraph(g),
            "graph 'tiny' (opset 13)\n"
            "input %input: f32[?,1,28,28]\n"
            "init %b: f32[8]\n"
            "init %w: f32[8,1,3,3]\n"
            "%c:f32[?,8,26,26] = Conv 'conv1'(%input, %w, _) {auto_pad=\"NOTSET\", "
            "dilations=[1,1], kernel_shape=[3,3], pads=[0,0,0,0], strides=[1,1]}\n"
            "%out:f32[?,8,26,26] = Clip 'clip'(%c) {max=6.5, min=0, t=i64[2], "
            "tag=[\"a\",\"b\"]}\n"
            "output %out: f32[?,8,26,26]\n");
}

}  // namespace
}  // namespace fixpoint::ir
