// Canonical op forms (docs/IR_OPS.md): old and new ONNX forms of the same op
// import to the same IR node.
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "core/io/onnx_importer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/io/onnx_test_util.h"

namespace fixpoint::io {
namespace {

using ::testing::ElementsAre;
using testing::F32Tensor;
using testing::FindNode;
using ::testing::HasSubstr;
using testing::I64Tensor;
using testing::ModelBuilder;

using Ints = std::vector<int64_t>;
using Floats = std::vector<float>;

// Imports `m` and returns its only node of `op` (checked to exist).
ir::Node ImportOne(const ModelBuilder& m, const std::string& op) {
  auto g = m.Import();
  EXPECT_TRUE(g.ok()) << g.status();
  if (!g.ok()) return {};
  const ir::Node* n = FindNode(*g, op);
  EXPECT_NE(n, nullptr) << op;
  return n ? *n : ir::Node{};
}

Ints IntsOf(const ir::Node& n, const std::string& key) {
  auto v = n.GetInts(key, {-999});
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *v : Ints{};
}
Floats FloatsOf(const ir::Node& n, const std::string& key) {
  auto v = n.GetFloats(key, {-999});
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *v : Floats{};
}
std::string StringOf(const ir::Node& n, const std::string& key) {
  return n.GetString(key, "<absent>").value_or("<bad kind>");
}

TEST(OnnxNodeMappingTest, SqueezeUnsqueezeOpset11VsOpset13) {
  ModelBuilder old(11);
  old.Input("x", {2, 1, 3}).Output("y");
  testing::SetInts(old.Node("Squeeze", {"x"}, {"s"}, "sq"), "axes", {1});
  testing::SetInts(old.Node("Unsqueeze", {"s"}, {"y"}, "unsq"), "axes", {0});
  ModelBuilder now(13);
  now.Input("x", {2, 1, 3}).Output("y");
  now.Initializer(I64Tensor("ax1", {1}, {1})).Initializer(I64Tensor("ax0", {1}, {0}, true));
  now.Node("Squeeze", {"x", "ax1"}, {"s"}, "sq");
  now.Node("Unsqueeze", {"s", "ax0"}, {"y"}, "unsq");
  for (const ModelBuilder* m : {&old, &now}) {
    ir::Node sq = ImportOne(*m, "Squeeze");
    ir::Node unsq = ImportOne(*m, "Unsqueeze");
    EXPECT_EQ(sq.inputs.size(), 1u);
    EXPECT_THAT(IntsOf(sq, "axes"), ElementsAre(1));
    EXPECT_EQ(unsq.inputs.size(), 1u);
    EXPECT_THAT(IntsOf(unsq, "axes"), ElementsAre(0));
  }
}

TEST(OnnxNodeMappingTest, SliceOpset9VsOpset13) {
  ModelBuilder old(9);
  old.Input("x", {4, 6}).Output("y");
  auto* s = old.Node("Slice", {"x"}, {"y"}, "slice");
  testing::SetInts(s, "starts", {1});
  testing::SetInts(s, "ends", {-1});
  testing::SetInts(s, "axes", {1});
  ModelBuilder now(13);
  now.Input("x", {4, 6}).Output("y");
  now.Initializer(I64Tensor("st", {1}, {1})).Initializer(I64Tensor("en", {1}, {-1}));
  now.Initializer(I64Tensor("ax", {1}, {1}));
  now.Node("Slice", {"x", "st", "en", "ax"}, {"y"}, "slice");
  for (const ModelBuilder* m : {&old, &now}) {
    ir::Node n = ImportOne(*m, "Slice");
    EXPECT_EQ(n.inputs.size(), 1u);
    EXPECT_THAT(IntsOf(n, "starts"), ElementsAre(1));
    EXPECT_THAT(IntsOf(n, "ends"), ElementsAre(-1));
    EXPECT_THAT(IntsOf(n, "axes"), ElementsAre(1));
    EXPECT_THAT(IntsOf(n, "steps"), ElementsAre(1));
  }
}

TEST(OnnxNodeMappingTest, ClipOpset6VsOpset13) {
  ModelBuilder old(6 + 1);  // opset 7 still has Clip-6's attributes
  old.Input("x", {3}).Output("y");
  auto* c = old.Node("Clip", {"x"}, {"y"}, "clip");
  testing::SetFloat(c, "min", 0.0f);
  testing::SetFloat(c, "max", 6.0f);
  ModelBuilder now(13);
  now.Input("x", {3}).Output("y");
  now.Initializer(F32Tensor("lo", {}, {0.0f})).Initializer(F32Tensor("hi", {}, {6.0f}, true));
  now.Node("Clip", {"x", "lo", "hi"}, {"y"}, "clip");
  for (const ModelBuilder* m : {&old, &now}) {
    ir::Node n = ImportOne(*m, "Clip");
    EXPECT_EQ(n.inputs.size(), 1u);
    EXPECT_EQ(n.GetFloat("min", -1).value_or(-2), 0.0f);
    EXPECT_EQ(n.GetFloat("max", -1).value_or(-2), 6.0f);
  }
  ModelBuilder only_min(13);
  only_min.Input("x", {3}).Output("y");
  only_min.Initializer(F32Tensor("lo", {}, {1.0f}));
  only_min.Node("Clip", {"x", "lo", ""}, {"y"}, "clip");
  ir::Node n = ImportOne(only_min, "Clip");
  EXPECT_EQ(n.inputs.size(), 1u);
  EXPECT_TRUE(n.HasAttr("min"));
  EXPECT_FALSE(n.HasAttr("max"));  // absent = unbounded
}

TEST(OnnxNodeMappingTest, SoftmaxOpset11VsOpset13) {
  ModelBuilder old(11);
  old.Input("x", {2, 3, 4}).Output("y");
  old.Node("Softmax", {"x"}, {"y"}, "sm");
  ir::Node a = ImportOne(old, "Softmax");
  EXPECT_EQ(a.GetInt("axis", -7).value_or(0), 1);
  EXPECT_EQ(a.GetInt("coerce_2d", 0).value_or(0), 1);

  ModelBuilder now(13);
  now.Input("x", {2, 3, 4}).Output("y");
  now.Node("LogSoftmax", {"x"}, {"y"}, "sm");
  ir::Node b = ImportOne(now, "LogSoftmax");
  EXPECT_EQ(b.GetInt("axis", -7).value_or(0), -1);
  EXPECT_FALSE(b.HasAttr("coerce_2d"));
}

TEST(OnnxNodeMappingTest, ResizeOpset10VsOpset13) {
  ModelBuilder old(10);
  old.Input("x", {1, 1, 2, 2}).Output("y");
  old.Initializer(F32Tensor("scales", {4}, {1, 1, 2, 2}));
  testing::SetString(old.Node("Resize", {"x", "scales"}, {"y"}, "rs"), "mode", "nearest");
  ir::Node a = ImportOne(old, "Resize");
  EXPECT_EQ(a.inputs.size(), 1u);
  EXPECT_THAT(FloatsOf(a, "scales"), ElementsAre(1, 1, 2, 2));
  EXPECT_EQ(StringOf(a, "coordinate_transformation_mode"), "asymmetric");
  EXPECT_EQ(StringOf(a, "nearest_mode"), "floor");

  ModelBuilder now(13);
  now.Input("x", {1, 1, 2, 2}).Output("y");
  now.Initializer(F32Tensor("scales", {4}, {1, 1, 2, 2}));
  now.Node("Resize", {"x", "", "scales"}, {"y"}, "rs");
  ir::Node b = ImportOne(now, "Resize");
  EXPECT_EQ(b.inputs.size(), 1u);
  EXPECT_THAT(FloatsOf(b, "scales"), ElementsAre(1, 1, 2, 2));
  EXPECT_FALSE(b.HasAttr("sizes"));
  EXPECT_EQ(StringOf(b, "mode"), "nearest");
  EXPECT_EQ(StringOf(b, "coordinate_transformation_mode"), "half_pixel");
  EXPECT_EQ(StringOf(b, "nearest_mode"), "round_prefer_floor");

  ModelBuilder sizes(13);
  sizes.Input("x", {1, 1, 2, 2}).Output("y");
  sizes.Initializer(F32Tensor("roi", {0}, {})).Initializer(F32Tensor("sc", {0}, {}));
  sizes.Initializer(I64Tensor("sz", {4}, {1, 1, 3, 3}));
  sizes.Node("Resize", {"x", "roi", "sc", "sz"}, {"y"}, "rs");
  ir::Node c = ImportOne(sizes, "Resize");
  EXPECT_FALSE(c.HasAttr("scales"));  // empty scales = absent
  EXPECT_THAT(IntsOf(c, "sizes"), ElementsAre(1, 1, 3, 3));
}

TEST(OnnxNodeMappingTest, LegacyDownsampleRoundsUp) {
  ModelBuilder old(10);
  old.Input("x", {1, 1, 2, 4}).Output("y");
  old.Initializer(F32Tensor("scales", {4}, {1, 1, 0.6f, 0.6f}));
  old.Node("Resize", {"x", "scales"}, {"y"}, "rs");
  EXPECT_EQ(StringOf(ImportOne(old, "Resize"), "nearest_mode"), "ceil");
}

TEST(OnnxNodeMappingTest, UpsampleBecomesResize) {
  ModelBuilder v7(7);
  v7.Input("x", {1, 1, 2, 2}).Output("y");
  testing::SetFloats(v7.Node("Upsample", {"x"}, {"y"}, "up"), "scales", {1, 1, 2, 3});
  ModelBuilder v9(9);
  v9.Input("x", {1, 1, 2, 2}).Output("y");
  v9.Initializer(F32Tensor("scales", {4}, {1, 1, 2, 3}));
  v9.Node("Upsample", {"x", "scales"}, {"y"}, "up");
  for (const ModelBuilder* m : {&v7, &v9}) {
    ir::Node n = ImportOne(*m, "Resize");
    EXPECT_EQ(n.inputs.size(), 1u);
    EXPECT_THAT(FloatsOf(n, "scales"), ElementsAre(1, 1, 2, 3));
    EXPECT_EQ(StringOf(n, "mode"), "nearest");
    EXPECT_EQ(StringOf(n, "coordinate_transformation_mode"), "asymmetric");
  }
}

TEST(OnnxNodeMappingTest, ResizeCubicIsRefused) {
  ModelBuilder m(13);
  m.Input("x", {1, 1, 2, 2}).Output("y");
  m.Initializer(F32Tensor("scales", {4}, {1, 1, 2, 2}));
  testing::SetString(m.Node("Resize", {"x", "", "scales"}, {"y"}, "rs"), "mode", "cubic");
  auto g = m.Import();
  EXPECT_EQ(g.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(g.status().message(), HasSubstr("Resize 'rs': mode 'cubic' is not supported"));
}

TEST(OnnxNodeMappingTest, PadOpset2VsOpset11) {
  ModelBuilder old(7);
  old.Input("x", {2, 2}).Output("y");
  auto* p = old.Node("Pad", {"x"}, {"y"}, "pad");
  testing::SetInts(p, "pads", {0, 1, 0, 1});
  testing::SetFloat(p, "value", 2.5f);
  ModelBuilder now(11);
  now.Input("x", {2, 2}).Output("y");
  now.Initializer(I64Tensor("pads", {4}, {0, 1, 0, 1})).Initializer(F32Tensor("v", {}, {2.5f}));
  now.Node("Pad", {"x", "pads", "v"}, {"y"}, "pad");
  for (const ModelBuilder* m : {&old, &now}) {
    ir::Node n = ImportOne(*m, "Pad");
    EXPECT_EQ(n.inputs.size(), 1u);
    EXPECT_THAT(IntsOf(n, "pads"), ElementsAre(0, 1, 0, 1));
    EXPECT_EQ(n.GetFloat("value", 0).value_or(0), 2.5f);
    EXPECT_EQ(StringOf(n, "mode"), "constant");
  }
}

// Found by tests/fuzz: pads near INT64_MAX overflowed shape inference, and
// converting them through double was itself undefined.
TEST(OnnxNodeMappingTest, AbsurdPadsAreMalformed) {
  for (int64_t pad : {int64_t{1} << 62, INT64_MAX, -(int64_t{1} << 40)}) {
    ModelBuilder m(13);
    m.Input("x", {2, 2}).Output("y");
    m.Initializer(I64Tensor("pads", {4}, {0, pad, 0, 1}));
    m.Node("Pad", {"x", "pads"}, {"y"}, "pad");
    auto g = m.Import();
    ASSERT_EQ(g.status().code(), absl::StatusCode::kInvalidArgument) << pad;
    EXPECT_THAT(g.status().message(),
                HasSubstr(absl::StrCat("pad ", pad, " is out of range [-2^31, 2^31]")));
  }
}

TEST(OnnxNodeMappingTest, ReduceAxesOpset11VsOpset13) {
  ModelBuilder old(11);
  old.Input("x", {2, 3}).Output("y");
  auto* r = old.Node("ReduceSum", {"x"}, {"y"}, "sum");
  testing::SetInts(r, "axes", {1});
  testing::SetInt(r, "keepdims", 0);
  ModelBuilder now(13);
  now.Input("x", {2, 3}).Output("y");
  now.Initializer(I64Tensor("axes", {1}, {1}));
  testing::SetInt(now.Node("ReduceSum", {"x", "axes"}, {"y"}, "sum"), "keepdims", 0);
  for (const ModelBuilder* m : {&old, &now}) {
    ir::Node n = ImportOne(*m, "ReduceSum");
    EXPECT_EQ(n.inputs.size(), 1u);
    EXPECT_THAT(IntsOf(n, "axes"), ElementsAre(1));
    EXPECT_EQ(n.GetInt("keepdims", 1).value_or(1), 0);
    EXPECT_EQ(n.GetInt("noop_with_empty_axes", 1).value_or(1), 0);
  }
  ModelBuilder mean(13);
  mean.Input("x", {2, 3}).Output("y");
  mean.Node("ReduceMean", {"x"}, {"y"}, "mean");
  ir::Node n = ImportOne(mean, "ReduceMean");
  EXPECT_TRUE(IntsOf(n, "axes").empty());
  EXPECT_EQ(n.GetInt("keepdims", 0).value_or(0), 1);
}

TEST(OnnxNodeMappingTest, ShapeLikeInputsBecomeAttributes) {
  ModelBuilder m(13);
  m.Input("x", {2, 1}).Output("y").Output("z");
  m.Initializer(I64Tensor("eshape", {2}, {2, 3})).Initializer(I64Tensor("reps", {2}, {1, 2}));
  m.Initializer(I64Tensor("split", {2}, {2, 4})).Initializer(I64Tensor("cshape", {1}, {4}));
  m.Node("Expand", {"x", "eshape"}, {"e"}, "expand");
  m.Node("Tile", {"e", "reps"}, {"t"}, "tile");
  testing::SetInt(m.Node("Split", {"t", "split"}, {"y", "s2"}, "split"), "axis", 1);
  m.Node("ConstantOfShape", {"cshape"}, {"c"}, "cos");
  m.Node("Add", {"s2", "c"}, {"z"}, "add");
  auto g = m.Import();
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_THAT(IntsOf(*FindNode(*g, "Expand"), "shape"), ElementsAre(2, 3));
  EXPECT_THAT(IntsOf(*FindNode(*g, "Tile"), "repeats"), ElementsAre(1, 2));
  EXPECT_THAT(IntsOf(*FindNode(*g, "Split"), "split"), ElementsAre(2, 4));
  for (const ir::Node& n : g->nodes) EXPECT_LE(n.inputs.size(), n.op_type == "Add" ? 2u : 1u);
  // A rank-1 ConstantOfShape output is shape arithmetic: folded to a constant.
  EXPECT_EQ(FindNode(*g, "ConstantOfShape"), nullptr);
  EXPECT_TRUE(g->IsInitializer("c"));
}

TEST(OnnxNodeMappingTest, ConstantOfShapeKeepsLargerOutputs) {
  ModelBuilder m(13);
  m.Input("x", {2, 3}).Output("y");
  m.Initializer(I64Tensor("cshape", {2}, {2, 3}));
  m.Node("ConstantOfShape", {"cshape"}, {"c"}, "cos");
  m.Node("Add", {"x", "c"}, {"y"}, "add");
  ir::Node n = ImportOne(m, "ConstantOfShape");
  EXPECT_TRUE(n.inputs.empty());
  EXPECT_THAT(IntsOf(n, "shape"), ElementsAre(2, 3));
  EXPECT_TRUE(n.GetTensor("value").ok());
}

TEST(OnnxNodeMappingTest, CastTargetBecomesDTypeName) {
  ModelBuilder m(13);
  m.Input("x", {2}).Output("y", {2}, onnx::TensorProto::INT64);
  testing::SetInt(m.Node("Cast", {"x"}, {"y"}, "cast"), "to", onnx::TensorProto::INT64);
  EXPECT_EQ(StringOf(ImportOne(m, "Cast"), "to"), "i64");

  ModelBuilder d(13);
  d.Input("x", {2}).Output("y");
  testing::SetInt(d.Node("Cast", {"x"}, {"y"}, "cast"), "to", onnx::TensorProto::DOUBLE);
  auto g = d.Import();
  EXPECT_EQ(g.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(g.status().message(), HasSubstr("Cast 'cast': cast target: element type DOUBLE"));
}

TEST(OnnxNodeMappingTest, DropoutMask) {
  ModelBuilder unused(13);
  unused.Input("x", {2}).Output("y");
  unused.Node("Dropout", {"x"}, {"y", "mask"}, "drop");
  ir::Node n = ImportOne(unused, "Dropout");
  EXPECT_EQ(n.outputs.size(), 1u);

  ModelBuilder opset12(12);
  opset12.Input("x", {2}).Output("y");
  opset12.Initializer(F32Tensor("ratio", {}, {0.5f}));
  onnx::TensorProto off;
  off.set_data_type(onnx::TensorProto::BOOL);
  off.add_int32_data(0);
  off.set_name("train");
  opset12.Initializer(off);
  opset12.Node("Dropout", {"x", "ratio", "train"}, {"y"}, "drop");
  EXPECT_EQ(ImportOne(opset12, "Dropout").inputs.size(), 1u);

  ModelBuilder used(13);
  used.Input("x", {2}).Output("y").Output("m", {2}, onnx::TensorProto::BOOL);
  used.Node("Dropout", {"x"}, {"y", "m"}, "drop");
  auto g = used.Import();
  EXPECT_EQ(g.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(g.status().message(), HasSubstr("Dropout 'drop': output 1 ('m', mask) is used"));
}

TEST(OnnxNodeMappingTest, MaxPoolIndicesAndBatchNormTrainingOutputs) {
  ModelBuilder pool(13);
  pool.Input("x", {1, 1, 4, 4}).Output("y").Output("idx", {}, onnx::TensorProto::INT64);
  testing::SetInts(pool.Node("MaxPool", {"x"}, {"y", "idx"}, "pool"), "kernel_shape", {2, 2});
  EXPECT_THAT(pool.Import().status().message(), HasSubstr("MaxPool 'pool': output 1 ('idx'"));

  ModelBuilder bn(9);
  bn.Input("x", {1, 2, 2, 2}).Output("y").Output("mean_out");
  for (const char* name : {"s", "b", "m", "v"}) bn.Initializer(F32Tensor(name, {2}, {1, 1}));
  bn.Node("BatchNormalization", {"x", "s", "b", "m", "v"}, {"y", "mean_out", "var_out"}, "bn");
  auto g = bn.Import();
  EXPECT_EQ(g.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(g.status().message(), HasSubstr("BatchNormalization 'bn': output 1 ('mean_out'"));

  bn.graph()->mutable_output()->RemoveLast();
  ir::Node n = ImportOne(bn, "BatchNormalization");
  EXPECT_EQ(n.outputs.size(), 1u);
}

}  // namespace
}  // namespace fixpoint::io
