// ONNX export: every canonical-form op family, fused activations, a
// hand-built QDQ graph and the bundled models survive export -> import with
// identical outputs, and every exported model passes libonnx's checker and
// its strict shape inference (type checks on), a stand-in for "a standard
// runtime accepts it".
#include "core/io/onnx_exporter.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "core/io/onnx_importer.h"
#include "core/ir/shape_inference.h"
#include "core/runtime/session.h"
#include "core/transform/fuse_activations.h"
#include "core/transform/optimize.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "onnx/checker.h"
#include "onnx/onnx_pb.h"
#include "onnx/shape_inference/implementation.h"

namespace fixpoint::io {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

// libonnx's checker and strict shape inference; "" when both accept it.
std::string OnnxCheck(const std::string& bytes) {
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes)) return "does not parse";
  try {
    onnx::checker::check_model(model);
    onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(),
                                       onnx::ShapeInferenceOptions(true, 1, false));
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

onnx::ModelProto Parse(const std::string& bytes) {
  onnx::ModelProto m;
  EXPECT_TRUE(m.ParseFromString(bytes));
  return m;
}

std::vector<std::string> OpTypes(const onnx::ModelProto& m) {
  std::vector<std::string> ops;
  for (const auto& n : m.graph().node()) ops.push_back(n.op_type());
  return ops;
}

const onnx::TensorProto* FindInit(const onnx::ModelProto& m, const std::string& name) {
  for (const auto& t : m.graph().initializer()) {
    if (t.name() == name) return &t;
  }
  return nullptr;
}

// A random tensor for `info`, dynamic dims = 2.
ir::Tensor RandomTensor(const ir::ValueInfo& info, std::mt19937& rng) {
  std::vector<int64_t> dims = info.shape.dims();
  for (int64_t& d : dims) d = d == ir::kDynamicDim ? 2 : d;
  ir::Tensor t(info.dtype, ir::Shape(dims));
  std::uniform_real_distribution<float> uf(-3, 3);
  std::uniform_int_distribution<int> ui(-5, 5);
  for (int64_t i = 0; i < t.NumElements(); ++i) {
    switch (info.dtype) {
      case ir::DType::kF32: t.data<float>()[i] = uf(rng); break;
      case ir::DType::kI32: t.data<int32_t>()[i] = ui(rng); break;
      case ir::DType::kI64: t.data<int64_t>()[i] = ui(rng); break;
      case ir::DType::kI8: t.data<int8_t>()[i] = static_cast<int8_t>(ui(rng)); break;
      default: break;  // zeros
    }
  }
  return t;
}

absl::StatusOr<std::vector<ir::Tensor>> RunGraph(ir::Graph g, const std::vector<ir::Tensor>& inputs,
                                            bool use_onednn) {
  runtime::SessionOptions options;
  options.use_onednn = use_onednn;
  options.intra_op_threads = 1;
  auto session = runtime::Session::Create(std::move(g), options);
  if (!session.ok()) return session.status();
  std::vector<ir::TensorView> views;
  for (const ir::Tensor& t : inputs) views.push_back(t.view());
  return (*session)->Run(views);
}

// Max |a - b| over all outputs; +inf on a dtype/shape/count mismatch.
double MaxDiff(const std::vector<ir::Tensor>& a, const std::vector<ir::Tensor>& b) {
  if (a.size() != b.size()) return INFINITY;
  double diff = 0;
  for (size_t k = 0; k < a.size(); ++k) {
    if (a[k].dtype() != b[k].dtype() || a[k].shape() != b[k].shape()) return INFINITY;
    for (int64_t i = 0; i < a[k].NumElements(); ++i) {
      diff = std::max(diff, std::fabs(a[k].GetAsDouble(i) - b[k].GetAsDouble(i)));
    }
  }
  return diff;
}

// Exports `g`, checks the model with libonnx, re-imports it and compares the
// outputs of both graphs on random inputs (reference and oneDNN kernels);
// `tolerance` 0 = bit-identical. Returns the exported model.
onnx::ModelProto ExpectRoundTrip(const ir::Graph& g, double tolerance = 0,
                                 const OnnxExportOptions& options = {}) {
  auto bytes = ExportOnnx(g, options);
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  if (!bytes.ok()) return {};
  EXPECT_EQ(OnnxCheck(*bytes), "");
  auto back = ImportOnnx(*bytes);
  EXPECT_TRUE(back.ok()) << back.status();
  if (!back.ok()) return {};
  std::mt19937 rng(7);
  std::vector<ir::Tensor> inputs;
  for (const ir::ValueInfo& in : g.inputs) inputs.push_back(RandomTensor(in, rng));
  for (bool onednn : {false, true}) {
    auto want = RunGraph(g, inputs, onednn);
    auto got = RunGraph(*back, inputs, onednn);
    EXPECT_TRUE(want.ok()) << want.status();
    EXPECT_TRUE(got.ok()) << got.status();
    if (want.ok() && got.ok()) {
      EXPECT_LE(MaxDiff(*want, *got), tolerance) << (onednn ? "onednn" : "reference");
    }
  }
  return Parse(*bytes);
}

// x -> op -> y, shapes inferred.
ir::Graph OneNode(const std::string& op, ir::Shape x_shape,
                  std::map<std::string, ir::Attribute> attrs,
                  ir::DType dtype = ir::DType::kF32,
                  std::vector<std::string> outputs = {"y"}) {
  ir::Graph g;
  g.name = "one_" + op;
  g.inputs.push_back({"x", dtype, std::move(x_shape)});
  ir::Node n;
  n.name = "n";
  n.op_type = op;
  n.inputs = {"x"};
  n.outputs = outputs;
  n.attrs = std::move(attrs);
  g.nodes.push_back(std::move(n));
  for (const std::string& out : outputs) g.outputs.push_back({out, dtype, {}});
  const absl::Status inferred = ir::InferShapes(g);
  EXPECT_TRUE(inferred.ok()) << inferred;
  for (ir::ValueInfo& out : g.outputs) out = *g.FindValueInfo(out.name);
  return g;
}

using Ints = std::vector<int64_t>;
using Floats = std::vector<float>;

struct FamilyCase {
  std::string label;
  ir::Graph graph;
  std::vector<std::string> onnx_ops;  // op types of the exported nodes
  int main_inputs;                    // inputs of the node named "n"
};

std::vector<FamilyCase> Families() {
  const ir::Shape s234{-1, 3, 4};
  std::vector<FamilyCase> c;
  c.push_back({"reshape", OneNode("Reshape", s234, {{"shape", Ints{0, -1}}}), {"Reshape"}, 2});
  c.push_back({"squeeze", OneNode("Squeeze", {2, 1, 3}, {{"axes", Ints{1}}}), {"Squeeze"}, 2});
  c.push_back({"squeeze_all", OneNode("Squeeze", {2, 1, 3}, {}), {"Squeeze"}, 1});
  c.push_back(
      {"unsqueeze", OneNode("Unsqueeze", {2, 3}, {{"axes", Ints{0, 3}}}), {"Unsqueeze"}, 2});
  c.push_back({"slice",
               OneNode("Slice", {3, 4, 5},
                       {{"starts", Ints{0, 1}}, {"ends", Ints{2, 5}},
                        {"axes", Ints{0, 2}}, {"steps", Ints{1, 2}}}),
               {"Slice"}, 5});
  c.push_back({"clip", OneNode("Clip", s234, {{"min", -0.5f}, {"max", 1.0f}}), {"Clip"}, 3});
  c.push_back({"clip_max_only", OneNode("Clip", s234, {{"max", 1.0f}}), {"Clip"}, 3});
  c.push_back({"clip_int", OneNode("Clip", {6}, {{"min", -2.0f}, {"max", 3.0f}}, ir::DType::kI32),
               {"Clip"}, 3});
  c.push_back({"pad_constant",
               OneNode("Pad", {2, 3},
                       {{"pads", Ints{0, 1, 1, 2}}, {"value", 1.5f},
                        {"mode", std::string("constant")}}),
               {"Pad"}, 3});
  c.push_back({"pad_reflect",
               OneNode("Pad", {2, 4},
                       {{"pads", Ints{0, 1, 0, 2}}, {"value", 0.0f},
                        {"mode", std::string("reflect")}}),
               {"Pad"}, 2});
  c.push_back({"reduce_sum",
               OneNode("ReduceSum", s234,
                       {{"axes", Ints{1}}, {"keepdims", int64_t{0}},
                        {"noop_with_empty_axes", int64_t{0}}}),
               {"ReduceSum"}, 2});
  c.push_back({"reduce_sum_all",
               OneNode("ReduceSum", s234,
                       {{"axes", Ints{}}, {"keepdims", int64_t{1}},
                        {"noop_with_empty_axes", int64_t{0}}}),
               {"ReduceSum"}, 1});
  c.push_back({"reduce_mean",
               OneNode("ReduceMean", s234,
                       {{"axes", Ints{-1}}, {"keepdims", int64_t{1}},
                        {"noop_with_empty_axes", int64_t{0}}}),
               {"ReduceMean"}, 1});
  c.push_back({"resize_scales",
               OneNode("Resize", {1, 2, 3, 3},
                       {{"scales", Floats{1, 1, 2, 2}}, {"mode", std::string("nearest")},
                        {"coordinate_transformation_mode", std::string("asymmetric")},
                        {"nearest_mode", std::string("floor")}}),
               {"Resize"}, 3});
  c.push_back({"resize_sizes",
               OneNode("Resize", {1, 2, 3, 3},
                       {{"sizes", Ints{1, 2, 5, 7}}, {"mode", std::string("linear")},
                        {"coordinate_transformation_mode", std::string("half_pixel")},
                        {"nearest_mode", std::string("round_prefer_floor")}}),
               {"Resize"}, 4});
  c.push_back({"expand", OneNode("Expand", {3, 1}, {{"shape", Ints{2, 3, 4}}}), {"Expand"}, 2});
  c.push_back({"tile", OneNode("Tile", {2, 3}, {{"repeats", Ints{2, 1}}}), {"Tile"}, 2});
  c.push_back({"cast", OneNode("Cast", s234, {{"to", std::string("i32")}}), {"Cast"}, 1});
  c.push_back({"softmax_coerce_2d",
               OneNode("Softmax", s234, {{"axis", int64_t{1}}, {"coerce_2d", int64_t{1}}}),
               {"Flatten", "Softmax", "Reshape"}, 1});
  c.push_back({"logsoftmax_coerce_2d_last_axis",
               OneNode("LogSoftmax", s234, {{"axis", int64_t{2}}, {"coerce_2d", int64_t{1}}}),
               {"LogSoftmax"}, 1});
  c.push_back({"shape_start", OneNode("Shape", s234, {{"start", int64_t{1}}}),
               {"Shape", "Slice"}, 1});
  c.push_back({"reduce_max_noop",
               OneNode("ReduceMax", s234,
                       {{"axes", Ints{}}, {"keepdims", int64_t{1}},
                        {"noop_with_empty_axes", int64_t{1}}}),
               {"Identity"}, 1});
  return c;
}

TEST(OnnxExporterTest, CanonicalFormsBecomeOpset13InputsAndRoundTrip) {
  for (FamilyCase& c : Families()) {
    SCOPED_TRACE(c.label);
    onnx::ModelProto m = ExpectRoundTrip(c.graph);
    EXPECT_THAT(OpTypes(m), ElementsAreArray(c.onnx_ops));
    for (const auto& n : m.graph().node()) {
      EXPECT_EQ(n.domain(), "");
      for (const auto& a : n.attribute()) EXPECT_NE(a.name(), "coerce_2d");
      if (n.name() == "n") {
        EXPECT_EQ(n.input_size(), c.main_inputs);
      }
    }
  }
}

TEST(OnnxExporterTest, SplitAndConstantOfShape) {
  ir::Graph g = OneNode("Split", {2, 5}, {{"axis", int64_t{1}}, {"split", Ints{2, 3}}},
                        ir::DType::kF32, {"y", "z"});
  onnx::ModelProto m = ExpectRoundTrip(g);
  ASSERT_EQ(m.graph().node_size(), 1);
  EXPECT_EQ(m.graph().node(0).input_size(), 2);  // split is an input in opset 13

  ir::Graph c = OneNode("Relu", {2, 3}, {});
  c.nodes[0].op_type = "Add";
  ir::Node cos;
  cos.name = "fill";
  cos.op_type = "ConstantOfShape";
  cos.outputs = {"ones"};
  cos.attrs["shape"] = Ints{2, 3};
  cos.attrs["value"] = ir::Tensor::FromF32(ir::Shape({1}), std::vector<float>{1.0f});
  c.nodes.insert(c.nodes.begin(), cos);
  c.nodes[1].inputs = {"x", "ones"};
  ASSERT_TRUE(ir::InferShapes(c).ok());
  m = ExpectRoundTrip(c);
  EXPECT_THAT(OpTypes(m), ElementsAre("ConstantOfShape", "Add"));
}

TEST(OnnxExporterTest, CastToIsTheTensorProtoEnum) {
  onnx::ModelProto m = ExpectRoundTrip(OneNode("Cast", {4}, {{"to", std::string("i64")}}));
  ASSERT_EQ(m.graph().node(0).attribute_size(), 1);
  EXPECT_EQ(m.graph().node(0).attribute(0).i(), onnx::TensorProto::INT64);
}

TEST(OnnxExporterTest, HardSwishBeforeOpset14IsComposed) {
  ir::Graph g = OneNode("HardSwish", {2, 8}, {});
  // HardSigmoid(1/6, 1/2) * x rounds differently from x * relu6(x + 3) / 6.
  EXPECT_THAT(OpTypes(ExpectRoundTrip(g, 1e-6)), ElementsAre("HardSigmoid", "Mul"));
  OnnxExportOptions o14;
  o14.opset = 14;
  EXPECT_THAT(OpTypes(ExpectRoundTrip(g, 0, o14)), ElementsAre("HardSwish"));
}

// x -> Conv(W, B) -> act -> y, then FuseActivations.
ir::Graph FusedConv(const std::string& act, std::map<std::string, ir::Attribute> act_attrs) {
  ir::Graph g;
  g.name = "fused";
  g.inputs.push_back({"x", ir::DType::kF32, {-1, 2, 5, 5}});
  std::mt19937 rng(3);
  g.initializers["W"] = RandomTensor({"W", ir::DType::kF32, {3, 2, 3, 3}}, rng);
  g.initializers["B"] = RandomTensor({"B", ir::DType::kF32, {3}}, rng);
  ir::Node conv;
  conv.name = "conv1";
  conv.op_type = "Conv";
  conv.inputs = {"x", "W", "B"};
  conv.outputs = {"c"};
  conv.attrs["pads"] = Ints{1, 1, 1, 1};
  ir::Node a;
  a.name = "act";
  a.op_type = act;
  a.inputs = {"c"};
  a.outputs = {"y"};
  a.attrs = std::move(act_attrs);
  g.nodes = {conv, a};
  g.outputs.push_back({"y", ir::DType::kF32, {}});
  EXPECT_TRUE(ir::InferShapes(g).ok());
  g.outputs[0] = *g.FindValueInfo("y");
  int fused = 0;
  EXPECT_TRUE(transform::FuseActivations(g, &fused).ok());
  EXPECT_EQ(fused, 1);
  return g;
}

TEST(OnnxExporterTest, FusedActivationsAreUnfused) {
  struct Act {
    std::string op;
    std::map<std::string, ir::Attribute> attrs;
    int inputs;
  };
  const std::vector<Act> acts = {
      {"Relu", {}, 1},
      {"LeakyRelu", {{"alpha", 0.2f}}, 1},
      {"Clip", {{"min", 0.0f}, {"max", 6.0f}}, 3},
      {"Clip", {{"max", 1.0f}}, 3},
      {"Sigmoid", {}, 1},
      {"Tanh", {}, 1},
      {"HardSigmoid", {{"alpha", 0.3f}, {"beta", 0.4f}}, 1},
  };
  for (const Act& act : acts) {
    SCOPED_TRACE(act.op);
    ir::Graph g = FusedConv(act.op, act.attrs);
    ASSERT_TRUE(g.nodes[0].HasAttr(transform::kFusedActivation));
    onnx::ModelProto m = ExpectRoundTrip(g);
    ASSERT_THAT(OpTypes(m), ElementsAre("Conv", act.op));
    const auto& conv = m.graph().node(0);
    const auto& a = m.graph().node(1);
    EXPECT_EQ(conv.name(), "conv1");
    EXPECT_EQ(a.output(0), "y");  // the original output name
    EXPECT_EQ(a.input(0), conv.output(0));
    EXPECT_NE(conv.output(0), "y");
    EXPECT_EQ(a.input_size(), act.inputs);
    for (const auto& attr : conv.attribute()) EXPECT_THAT(attr.name(), ::testing::Not(HasSubstr("fused")));
  }
}

// x -> Q -> DQ -> Conv(DQ(W i8, per channel, axis 0), DQ(B i32)) -> Relu -> y.
ir::Graph QdqConv() {
  ir::Graph g;
  g.name = "qdq";
  g.inputs.push_back({"x", ir::DType::kF32, {-1, 2, 6, 6}});
  std::mt19937 rng(11);
  const float sx = 0.05f;
  const std::vector<float> sw = {0.02f, 0.03f, 0.01f};
  g.initializers["sx"] = ir::Tensor::FromF32(ir::Shape(), std::vector<float>{sx});
  g.initializers["zx"] = ir::Tensor(ir::DType::kI8, ir::Shape());
  g.initializers["Wq"] = RandomTensor({"Wq", ir::DType::kI8, {3, 2, 3, 3}}, rng);
  g.initializers["sw"] = ir::Tensor::FromF32(ir::Shape({3}), sw);
  g.initializers["zw"] = ir::Tensor(ir::DType::kI8, ir::Shape({3}));
  g.initializers["Bq"] = RandomTensor({"Bq", ir::DType::kI32, {3}}, rng);
  std::vector<float> sb;
  for (float s : sw) sb.push_back(s * sx);
  g.initializers["sb"] = ir::Tensor::FromF32(ir::Shape({3}), sb);
  g.initializers["zb"] = ir::Tensor(ir::DType::kI32, ir::Shape({3}));
  auto node = [&g](const std::string& op, const std::string& name,
                   std::vector<std::string> in, std::string out) -> ir::Node& {
    ir::Node n;
    n.op_type = op;
    n.name = name;
    n.inputs = std::move(in);
    n.outputs = {std::move(out)};
    g.nodes.push_back(std::move(n));
    return g.nodes.back();
  };
  node("QuantizeLinear", "q_x", {"x", "sx", "zx"}, "xq");
  node("DequantizeLinear", "dq_x", {"xq", "sx", "zx"}, "xd");
  node("DequantizeLinear", "dq_w", {"Wq", "sw", "zw"}, "wd").attrs["axis"] = int64_t{0};
  node("DequantizeLinear", "dq_b", {"Bq", "sb", "zb"}, "bd").attrs["axis"] = int64_t{0};
  node("Conv", "conv", {"xd", "wd", "bd"}, "c").attrs["pads"] = Ints{1, 1, 1, 1};
  node("Relu", "relu", {"c"}, "y");
  g.outputs.push_back({"y", ir::DType::kF32, {}});
  EXPECT_TRUE(ir::InferShapes(g).ok());
  g.outputs[0] = *g.FindValueInfo("y");
  return g;
}

TEST(OnnxExporterTest, QdqGraphRoundTripsWithRawInitializers) {
  onnx::ModelProto m = ExpectRoundTrip(QdqConv());
  EXPECT_THAT(OpTypes(m), ElementsAre("QuantizeLinear", "DequantizeLinear", "DequantizeLinear",
                                      "DequantizeLinear", "Conv", "Relu"));
  const onnx::NodeProto* dq_w = &m.graph().node(2);
  EXPECT_THAT(std::vector<std::string>(dq_w->input().begin(), dq_w->input().end()),
              ElementsAre("Wq", "sw", "zw"));
  ASSERT_EQ(dq_w->attribute_size(), 1);
  EXPECT_EQ(dq_w->attribute(0).name(), "axis");
  EXPECT_EQ(dq_w->attribute(0).i(), 0);
  const onnx::TensorProto* w = FindInit(m, "Wq");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->data_type(), onnx::TensorProto::INT8);
  EXPECT_EQ(w->raw_data().size(), 3u * 2 * 3 * 3);
  const onnx::TensorProto* b = FindInit(m, "Bq");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->data_type(), onnx::TensorProto::INT32);
  EXPECT_EQ(b->raw_data().size(), 3u * 4);
  EXPECT_EQ(b->int32_data_size(), 0);
  // The dynamic batch dim is a dim_param.
  EXPECT_EQ(m.graph().input(0).type().tensor_type().shape().dim(0).dim_param(), "batch");
  EXPECT_EQ(m.graph().output(0).type().tensor_type().shape().dim(0).dim_param(), "batch");
}

TEST(OnnxExporterTest, ModelHeaderAndOptions) {
  OnnxExportOptions o;
  o.producer_version = "1.2.3";
  o.doc_string = "quantized by fixpoint";
  o.metadata_props = {{"fixpoint.calibration", "entropy"}, {"fixpoint.version", "7"}};
  auto bytes = ExportOnnx(OneNode("Relu", {2}, {}), o);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  onnx::ModelProto m = Parse(*bytes);
  EXPECT_EQ(m.ir_version(), 8);
  ASSERT_EQ(m.opset_import_size(), 1);
  EXPECT_EQ(m.opset_import(0).domain(), "");
  EXPECT_EQ(m.opset_import(0).version(), 13);
  EXPECT_EQ(m.producer_name(), "fixpoint");
  EXPECT_EQ(m.producer_version(), "1.2.3");
  EXPECT_EQ(m.doc_string(), "quantized by fixpoint");
  ASSERT_EQ(m.metadata_props_size(), 2);
  EXPECT_EQ(m.metadata_props(0).key(), "fixpoint.calibration");
  EXPECT_EQ(m.metadata_props(1).value(), "7");
  EXPECT_EQ(m.graph().node(0).name(), "n");

  // The checker is live: a non-ONNX attribute is caught.
  auto* a = m.mutable_graph()->mutable_node(0)->add_attribute();
  a->set_name("fused_activation");
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s("Relu");
  EXPECT_NE(OnnxCheck(m.SerializeAsString()), "");

  o.opset = 12;
  EXPECT_EQ(ExportOnnx(OneNode("Relu", {2}, {}), o).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(OnnxExporterTest, UnexpressibleIsUnimplementedListingNodes) {
  ir::Graph g = OneNode("Relu", {2}, {});
  g.nodes[0].attrs["my_hint"] = int64_t{1};
  auto bytes = ExportOnnx(g);
  ASSERT_EQ(bytes.status().code(), absl::StatusCode::kUnimplemented) << bytes.status();
  EXPECT_THAT(bytes.status().message(), HasSubstr("Relu 'n': attribute(s) my_hint"));

  bytes = ExportOnnx(OneNode("Relu", {2}, {}, ir::DType::kI32));
  ASSERT_EQ(bytes.status().code(), absl::StatusCode::kUnimplemented) << bytes.status();
  EXPECT_THAT(bytes.status().message(), HasSubstr("Relu 'n': input type i32 needs opset 14"));

  ir::Graph s = OneNode("Softmax", {-1, 3, -1}, {{"axis", int64_t{1}}, {"coerce_2d", int64_t{1}}});
  bytes = ExportOnnx(s);
  ASSERT_EQ(bytes.status().code(), absl::StatusCode::kUnimplemented) << bytes.status();
  EXPECT_THAT(bytes.status().message(), HasSubstr("Softmax 'n': coerce_2d"));
}

TEST(OnnxExporterTest, ConstantOutputBecomesConstantNode) {
  ir::Graph g = OneNode("Relu", {2}, {});
  g.initializers["k"] = ir::Tensor::FromF32(ir::Shape({2}), std::vector<float>{1, 2});
  g.outputs.push_back({"k", ir::DType::kF32, {2}});
  ASSERT_TRUE(ir::InferShapes(g).ok());
  onnx::ModelProto m = ExpectRoundTrip(g);
  EXPECT_THAT(OpTypes(m), ElementsAre("Constant", "Relu"));
}

TEST(OnnxExporterTest, ExportFileIsAtomicAndReadable) {
  const std::string dir = ::testing::TempDir() + "/fp_export_test";
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/model.onnx";
  { std::ofstream(path) << "old"; }
  ASSERT_TRUE(ExportOnnxFile(OneNode("Relu", {2}, {}), path).ok());
  auto g = ImportOnnxFile(path);
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(g->nodes[0].op_type, "Relu");
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) ++files, (void)e;
  EXPECT_EQ(files, 1);  // no temporary left behind
  // A refused graph leaves the old file alone.
  ir::Graph bad = OneNode("Relu", {2}, {});
  bad.nodes[0].attrs["my_hint"] = int64_t{1};
  EXPECT_FALSE(ExportOnnxFile(bad, path).ok());
  EXPECT_TRUE(ImportOnnxFile(path).ok());
  EXPECT_FALSE(ExportOnnxFile(OneNode("Relu", {2}, {}), dir + "/no/such/dir/m.onnx").ok());
  std::filesystem::remove_all(dir);
}

// Bundled models: import -> OptimizeForInference (BN folded, activations
// fused) -> export -> import give the original's outputs.
TEST(OnnxExporterTest, BundledModelsOptimizedRoundTrip) {
  for (const char* name : {"seed_cnn", "resnet_small"}) {
    SCOPED_TRACE(name);
    auto original = ImportOnnxFile(std::string(FP_SOURCE_DIR) + "/models/" + name + ".onnx");
    ASSERT_TRUE(original.ok()) << original.status();
    ir::Graph optimized = *original;
    ASSERT_TRUE(transform::OptimizeForInference(optimized).ok());
    int fused = 0;
    for (const ir::Node& n : optimized.nodes) fused += n.HasAttr(transform::kFusedActivation);
    EXPECT_GT(fused, 0);
    auto bytes = ExportOnnx(optimized);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    EXPECT_EQ(OnnxCheck(*bytes), "");
    auto back = ImportOnnx(*bytes);
    ASSERT_TRUE(back.ok()) << back.status();
    std::mt19937 rng(5);
    std::vector<ir::Tensor> inputs;
    for (const ir::ValueInfo& in : original->inputs) inputs.push_back(RandomTensor(in, rng));
    for (bool onednn : {false, true}) {
      auto want = RunGraph(*original, inputs, onednn);
      auto got = RunGraph(*back, inputs, onednn);
      ASSERT_TRUE(want.ok()) << want.status();
      ASSERT_TRUE(got.ok()) << got.status();
      // The session folds the original's BN itself, so the arithmetic is the same.
      EXPECT_EQ(MaxDiff(*want, *got), 0) << (onednn ? "onednn" : "reference");
    }
  }
}

}  // namespace
}  // namespace fixpoint::io
