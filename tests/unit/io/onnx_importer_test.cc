// Model-level behaviour of the ONNX importer: parsing, opsets, inputs and
// initializers, Constant nodes, node names, refusals.
#include "core/io/onnx_importer.h"

#include <filesystem>
#include <fstream>
#include <set>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/io/onnx_test_util.h"

namespace fixpoint::io {
namespace {

using testing::F32Tensor;
using testing::FindNode;
using ::testing::HasSubstr;
using testing::I64Tensor;
using testing::ModelBuilder;
using ::testing::StartsWith;

// x[N,4] -> Relu -> Add(bias) -> y, bias from an initializer.
ModelBuilder ReluAddModel(bool raw_bias) {
  ModelBuilder m(13);
  m.Input("x", {-1, 4}).Output("y", {-1, 4});
  m.Initializer(F32Tensor("bias", {4}, {1, 2, 3, 4}, raw_bias));
  m.Node("Relu", {"x"}, {"r"}, "relu");
  m.Node("Add", {"r", "bias"}, {"y"}, "add");
  return m;
}

TEST(OnnxImporterTest, ImportsSmallModel) {
  auto g = ReluAddModel(false).Import();
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(g->name, "test_model");
  EXPECT_EQ(g->opset, 13);
  ASSERT_EQ(g->inputs.size(), 1u);
  EXPECT_EQ(g->inputs[0].name, "x");
  EXPECT_EQ(g->inputs[0].shape, ir::Shape({ir::kDynamicDim, 4}));
  ASSERT_EQ(g->nodes.size(), 2u);
  EXPECT_EQ(g->nodes[0].name, "relu");
  ASSERT_TRUE(g->IsInitializer("bias"));
  EXPECT_EQ(g->outputs[0].shape, ir::Shape({ir::kDynamicDim, 4}));
}

TEST(OnnxImporterTest, MissingDimIsDynamic) {
  ModelBuilder m = ReluAddModel(false);
  m.graph()
      ->mutable_input(0)
      ->mutable_type()
      ->mutable_tensor_type()
      ->mutable_shape()
      ->mutable_dim(0)
      ->clear_dim_param();
  auto g = m.Import();
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(g->inputs[0].shape, ir::Shape({ir::kDynamicDim, 4}));
}

TEST(OnnxImporterTest, RawAndTypedInitializersGiveSameGraph) {
  auto raw = ReluAddModel(true).Import();
  auto typed = ReluAddModel(false).Import();
  ASSERT_TRUE(raw.ok()) << raw.status();
  ASSERT_TRUE(typed.ok()) << typed.status();
  const ir::Tensor& a = raw->initializers.at("bias");
  const ir::Tensor& b = typed->initializers.at("bias");
  ASSERT_EQ(a.shape(), b.shape());
  for (int i = 0; i < 4; ++i) EXPECT_EQ(a.data<float>()[i], b.data<float>()[i]);
}

TEST(OnnxImporterTest, GraphInputWithInitializerIsAnInitializer) {
  ModelBuilder m = ReluAddModel(false);
  testing::SetType(m.graph()->add_input(), "bias", onnx::TensorProto::FLOAT, {4});
  auto g = m.Import();
  ASSERT_TRUE(g.ok()) << g.status();
  ASSERT_EQ(g->inputs.size(), 1u);
  EXPECT_TRUE(g->IsInitializer("bias"));
}

TEST(OnnxImporterTest, ConstantInputsAreFrozen) {
  ModelBuilder m(13);
  m.Input("x", {2, 6}).Input("shape", {2}, onnx::TensorProto::INT64).Output("y");
  m.Node("Reshape", {"x", "shape"}, {"y"}, "reshape");
  // Without the option the runtime shape input cannot become an attribute.
  auto refused = m.Import();
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(refused.status().message(),
              HasSubstr("Reshape 'reshape': input 1 ('shape') must be a constant"));

  OnnxImportOptions options;
  options.constant_inputs["shape"] =
      ir::Tensor::FromI64(ir::Shape({2}), std::vector<int64_t>{3, 4});
  auto g = m.Import(options);
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(g->inputs.size(), 1u);
  const ir::Node* r = FindNode(*g, "Reshape");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->inputs.size(), 1u);
  EXPECT_EQ(*r->GetInts("shape", {}), (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(g->outputs[0].shape, ir::Shape({3, 4}));

  options.constant_inputs["nope"] = options.constant_inputs["shape"];
  EXPECT_THAT(m.Import(options).status().message(),
              HasSubstr("constant input 'nope' is not an input of the graph"));
  options.constant_inputs.erase("nope");
  options.constant_inputs["shape"] = ir::Tensor::FromF32(ir::Shape({2}), std::vector<float>{3, 4});
  EXPECT_EQ(m.Import(options).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(OnnxImporterTest, ConstantNodeForms) {
  ModelBuilder m(13);
  m.Input("x", {2, 3}).Output("y");
  m.Constant("c_tensor", F32Tensor("", {3}, {1, 2, 3}));
  auto* f = m.Node("Constant", {}, {"c_float"});
  testing::SetFloat(f, "value_float", 2.0f);
  auto* fs = m.Node("Constant", {}, {"c_floats"});
  testing::SetFloats(fs, "value_floats", {1, 1, 1});
  auto* i = m.Node("Constant", {}, {"c_ints"});
  testing::SetInts(i, "value_ints", {3, 2});
  m.Node("Add", {"x", "c_tensor"}, {"a"}, "add");
  m.Node("Mul", {"a", "c_float"}, {"b"}, "mul");
  m.Node("Sub", {"b", "c_floats"}, {"c"}, "sub");
  m.Node("Reshape", {"c", "c_ints"}, {"r"}, "reshape");
  auto* k = m.Node("Constant", {}, {"c_int"});
  testing::SetInt(k, "value_int", 1);
  m.Node("Gather", {"r", "c_int"}, {"y"}, "gather");
  auto g = m.Import();
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(FindNode(*g, "Constant"), nullptr);
  EXPECT_EQ(g->initializers.at("c_float").shape().rank(), 0);
  EXPECT_EQ(g->initializers.at("c_floats").shape(), ir::Shape({3}));
  EXPECT_EQ(g->initializers.at("c_int").dtype(), ir::DType::kI64);
  EXPECT_EQ(g->outputs[0].shape, ir::Shape({2}));
  EXPECT_EQ(*FindNode(*g, "Reshape")->GetInts("shape", {}), (std::vector<int64_t>{3, 2}));
  // The folded-away shape constant is not kept as an unused initializer.
  EXPECT_FALSE(g->IsInitializer("c_ints"));

  ModelBuilder s(13);
  s.Input("x", {1}).Output("y");
  auto* str = s.Node("Constant", {}, {"k"}, "kstr");
  testing::SetString(str, "value_string", "hello");
  s.Node("Add", {"x", "k"}, {"y"});
  auto refused = s.Import();
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(refused.status().message(), HasSubstr("Constant 'kstr'"));
}

TEST(OnnxImporterTest, EmptyAndDuplicateNodeNamesBecomeUnique) {
  ModelBuilder m(13);
  m.Input("x", {2}).Output("y");
  m.Node("Relu", {"x"}, {"a"});
  m.Node("Relu", {"a"}, {"b"}, "Relu_1");  // clashes with a generated name
  m.Node("Relu", {"b"}, {"c"}, "dup");
  m.Node("Relu", {"c"}, {"y"}, "dup");
  auto g = m.Import();
  ASSERT_TRUE(g.ok()) << g.status();
  std::set<std::string> names;
  for (const ir::Node& n : g->nodes) {
    EXPECT_FALSE(n.name.empty());
    names.insert(n.name);
  }
  EXPECT_EQ(names.size(), 4u);
  EXPECT_EQ(g->nodes[0].name, "Relu_0");
  EXPECT_EQ(g->nodes[3].name, "dup_1");
}

TEST(OnnxImporterTest, UnsupportedOpsAreListedInOneError) {
  ModelBuilder m(13);
  m.Input("x", {2, 3}).Output("y");
  m.Node("LSTM", {"x"}, {"l"}, "lstm_1");
  m.Node("NonZero", {"l"}, {"n1"}, "nz");
  m.Node("NonZero", {"n1"}, {"n2"}, "nz2");
  m.Node("Relu", {"n2"}, {"r"}, "relu");
  auto* custom = m.Node("FusedConv", {"r"}, {"y"}, "fc");
  custom->set_domain("com.microsoft");
  auto g = m.Import();
  EXPECT_EQ(g.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(g.status().message(),
            "model 'test_model': unsupported ops: LSTM (node 'lstm_1'), NonZero (nodes 'nz', "
            "'nz2'), com.microsoft.FusedConv (node 'fc')");
}

TEST(OnnxImporterTest, MalformedAndTruncatedBytes) {
  auto garbage = ImportOnnx("this is not a protobuf \xff\xff\xff");
  EXPECT_EQ(garbage.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(garbage.status().message(), HasSubstr("malformed protobuf"));

  const std::string bytes = ReluAddModel(true).Bytes();
  for (size_t cut : {bytes.size() / 2, bytes.size() - 3, size_t{5}}) {
    auto g = ImportOnnx(absl::string_view(bytes).substr(0, cut));
    EXPECT_FALSE(g.ok()) << "cut at " << cut;
    EXPECT_EQ(g.status().code(), absl::StatusCode::kInvalidArgument) << g.status();
  }
  EXPECT_THAT(ImportOnnx("").status().message(), HasSubstr("no graph"));
}

TEST(OnnxImporterTest, TruncatedFile) {
  const std::string bytes = ReluAddModel(true).Bytes();
  const std::string path =
      (std::filesystem::temp_directory_path() / "fp_onnx_truncated.onnx").string();
  {
    std::ofstream out(path, std::ios::binary);
    out << bytes.substr(0, bytes.size() - 10);
  }
  auto g = ImportOnnxFile(path);
  EXPECT_EQ(g.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(g.status().message()), StartsWith("'" + path + "'"));
  std::filesystem::remove(path);
  EXPECT_EQ(ImportOnnxFile(path).status().code(), absl::StatusCode::kNotFound);
}

TEST(OnnxImporterTest, SizeLimit) {
  OnnxImportOptions options;
  options.max_bytes = 10;
  auto g = ReluAddModel(false).Import(options);
  EXPECT_EQ(g.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(g.status().message(), HasSubstr("more than the limit of 10"));
}

TEST(OnnxImporterTest, InitializerRawDataSizeMismatch) {
  ModelBuilder m = ReluAddModel(true);
  m.graph()->mutable_initializer(0)->mutable_raw_data()->resize(12);
  auto g = m.Import();
  EXPECT_EQ(g.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(g.status().message(),
              HasSubstr("initializer: tensor 'bias': raw_data has 12 bytes but f32[4] needs 16"));
}

TEST(OnnxImporterTest, UnsupportedOpsets) {
  for (int64_t opset : {6, 18}) {
    auto g = [&] {
      ModelBuilder m = ReluAddModel(false);
      m.model().mutable_opset_import(0)->set_version(opset);
      return m.Import();
    }();
    EXPECT_EQ(g.status().code(), absl::StatusCode::kUnimplemented);
    EXPECT_THAT(
        g.status().message(),
        HasSubstr(absl::StrCat("opset ", opset, " of the default domain is not supported")));
  }
  ModelBuilder m = ReluAddModel(false);
  m.model().mutable_opset_import(0)->set_domain("ai.onnx.ml");
  EXPECT_THAT(m.Import().status().message(), HasSubstr("imports no opset of the default domain"));
  m.model().mutable_opset_import(0)->set_domain("ai.onnx");
  EXPECT_TRUE(m.Import().ok());
}

TEST(OnnxImporterTest, UnsupportedDtypeIsNamed) {
  ModelBuilder m(13);
  m.Input("x", {2}, onnx::TensorProto::DOUBLE).Output("y", {2}, onnx::TensorProto::DOUBLE);
  m.Node("Relu", {"x"}, {"y"});
  auto g = m.Import();
  EXPECT_EQ(g.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(g.status().message(), HasSubstr("value 'x': element type DOUBLE is not supported"));

  ModelBuilder w = ReluAddModel(false);
  onnx::TensorProto* bias = w.graph()->mutable_initializer(0);
  bias->clear_float_data();
  bias->set_data_type(onnx::TensorProto::DOUBLE);
  for (int i = 0; i < 4; ++i) bias->add_double_data(1.0);
  EXPECT_THAT(w.Import().status().message(),
              HasSubstr("tensor 'bias': element type DOUBLE is not supported"));
}

TEST(OnnxImporterTest, NodesOutOfOrderAreSorted) {
  ModelBuilder m(13);
  m.Input("x", {2}).Output("y");
  m.Node("Relu", {"a"}, {"y"}, "second");
  m.Node("Neg", {"x"}, {"a"}, "first");
  auto g = m.Import();
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(g->nodes[0].name, "first");

  ModelBuilder cyc(13);
  cyc.Input("x", {2}).Output("y");
  cyc.Node("Add", {"x", "b"}, {"a"}, "n1");
  cyc.Node("Relu", {"a"}, {"b"}, "n2");
  cyc.Node("Relu", {"b"}, {"y"}, "n3");
  EXPECT_THAT(cyc.Import().status().message(), HasSubstr("cycle"));
}

TEST(OnnxImporterTest, DeadNodesAreDroppedNotRefused) {
  ModelBuilder m(13);
  m.Input("x", {2, 6}).Input("shape", {2}, onnx::TensorProto::INT64).Output("y");
  m.Node("Reshape", {"x", "shape"}, {"unused"}, "dead_reshape");
  m.Node("Relu", {"x"}, {"y"}, "relu");
  auto g = m.Import();
  ASSERT_TRUE(g.ok()) << g.status();
  ASSERT_EQ(g->nodes.size(), 1u);
  EXPECT_EQ(g->inputs.size(), 2u);  // inputs bind by position: kept
}

TEST(OnnxImporterTest, ExternalInitializerIsRefused) {
  ModelBuilder m = ReluAddModel(false);
  onnx::TensorProto* bias = m.graph()->mutable_initializer(0);
  bias->clear_float_data();
  bias->set_data_location(onnx::TensorProto::EXTERNAL);
  EXPECT_EQ(m.Import().status().code(), absl::StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace fixpoint::io
