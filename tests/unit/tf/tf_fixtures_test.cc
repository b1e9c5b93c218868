// The real frozen graphs of ../shared/fixtures/tf/ import with the node names
// of the fixtures' README and run; truncated, misnamed, cyclic and
// unsupported variants of them are refused with precise errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <random>

#include "absl/strings/str_cat.h"
#include "core/io/onnx_exporter.h"
#include "core/io/onnx_importer.h"
#include "core/io/tf_importer.h"
#include "tests/unit/tf/tf_test_util.h"

namespace fixpoint::io::testing {
namespace {

std::string Fixture(const std::string& name) {
  return std::string(FP_SHARED_DIR) + "/fixtures/tf/" + name;
}

std::vector<float> RandomInput(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  std::vector<float> x(n);
  for (float& v : x) v = u(rng);
  return x;
}

struct FixtureCase {
  std::string file, input, shape, output;
  ir::Shape input_shape;  // with the dynamic batch
  int convs;
  int pools;
  bool softmax;
};

class TfFixtureTest : public ::testing::TestWithParam<FixtureCase> {};

TEST_P(TfFixtureTest, ImportsWithReadmeNodeNames) {
  const FixtureCase& c = GetParam();
  auto g = ImportTfGraphDefFile(Fixture(c.file), Options({c.input}, {c.shape}, {c.output}));
  ASSERT_TRUE(g.ok()) << g.status();
  ASSERT_EQ(g->inputs.size(), 1u);
  EXPECT_EQ(g->inputs[0].name, c.input);
  EXPECT_EQ(g->inputs[0].shape.ToString(), c.input_shape.ToString());
  ASSERT_EQ(g->outputs.size(), 1u);
  EXPECT_EQ(g->outputs[0].name, c.output);
  EXPECT_EQ(g->outputs[0].shape.ToString(), "[?,10]");
  EXPECT_EQ(CountOps(*g, "Conv"), c.convs);
  EXPECT_EQ(CountOps(*g, "MaxPool"), c.pools);
  EXPECT_EQ(CountOps(*g, "Gemm"), 2);
  EXPECT_EQ(CountOps(*g, "Reshape"), 1);  // the folded dynamic flatten
  EXPECT_EQ(CountOps(*g, "Softmax"), c.softmax ? 1 : 0);
  // One Transpose after the input, one before the flatten; nothing unfolded.
  EXPECT_EQ(CountOps(*g, "Transpose"), 2);
  EXPECT_EQ(CountOps(*g, "Shape") + CountOps(*g, "Slice") + CountOps(*g, "Concat"), 0);
  for (const ir::Node& n : g->nodes) {
    if (n.op_type == "Reshape") {
      EXPECT_EQ(std::get<std::vector<int64_t>>(n.attrs.at("shape")), (std::vector<int64_t>{0, -1}));
    }
  }
}

TEST_P(TfFixtureTest, RunsWithRandomInputOnBothBackends) {
  const FixtureCase& c = GetParam();
  auto g = ImportTfGraphDefFile(Fixture(c.file), Options({c.input}, {c.shape}, {c.output}));
  ASSERT_TRUE(g.ok()) << g.status();
  constexpr int kBatch = 3;
  ir::Shape shape = c.input_shape;
  shape[0] = kBatch;
  const std::vector<float> x = RandomInput(shape.NumElements(), 7);
  auto ref = RunRef(*g, shape, x, /*use_onednn=*/false);
  ASSERT_TRUE(ref.ok()) << ref.status();
  auto dnn = RunRef(*g, shape, x, /*use_onednn=*/true);
  ASSERT_TRUE(dnn.ok()) << dnn.status();
  ASSERT_EQ(ref->size(), 1u);
  const ir::Tensor& y = (*ref)[0];
  ASSERT_EQ(y.shape().ToString(), "[3,10]");
  for (int n = 0; n < kBatch; ++n) {
    double sum = 0;
    for (int k = 0; k < 10; ++k) {
      const float v = y.data<float>()[n * 10 + k];
      ASSERT_TRUE(std::isfinite(v));
      EXPECT_NEAR(v, (*dnn)[0].data<float>()[n * 10 + k], 1e-4f * (1 + std::fabs(v)));
      sum += v;
    }
    if (c.softmax) {
      EXPECT_NEAR(sum, 1.0, 1e-5);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, TfFixtureTest,
    ::testing::Values(FixtureCase{"dnndk_mnist_frozen_graph.pb", "images_in", "?,28,28,1",
                                  "dense_1/BiasAdd", ir::Shape{ir::kDynamicDim, 28, 28, 1}, 2, 1,
                                  false},
                      FixtureCase{"keras_cnn3_softmax_frozen_graph.pb", "conv2d_input", "?,32,32,3",
                                  "dense_1/Softmax", ir::Shape{ir::kDynamicDim, 32, 32, 3}, 3, 3,
                                  true}),
    [](const auto& info) { return info.index == 0 ? std::string("Mnist") : "KerasCnn3"; });

// Issue 5 item 4: an imported frozen graph exports as a standard float ONNX
// model (what the store keeps as version 1) that re-imports and computes the
// same outputs.
TEST_P(TfFixtureTest, ExportsToOnnxAndReimportsWithSameOutputs) {
  const FixtureCase& c = GetParam();
  auto g = ImportTfGraphDefFile(Fixture(c.file), Options({c.input}, {c.shape}, {c.output}));
  ASSERT_TRUE(g.ok()) << g.status();
  auto bytes = ExportOnnx(*g);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  auto back = ImportOnnx(*bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->inputs[0].name, c.input);
  EXPECT_EQ(back->outputs[0].name, c.output);
  ir::Shape shape = c.input_shape;
  shape[0] = 2;
  const std::vector<float> x = RandomInput(shape.NumElements(), 9);
  auto a = RunRef(*g, shape, x, /*use_onednn=*/false);
  auto b = RunRef(*back, shape, x, /*use_onednn=*/false);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ((*a)[0].NumElements(), (*b)[0].NumElements());
  for (int64_t i = 0; i < (*a)[0].NumElements(); ++i) {
    EXPECT_EQ((*a)[0].data<float>()[i], (*b)[0].data<float>()[i]) << i;
  }
}

TEST(TfFixtureTest, ShapeAttributeIsUsedWhenNoInputShapeIsGiven) {
  auto g = ImportTfGraphDefFile(Fixture("dnndk_mnist_frozen_graph.pb"),
                                Options({"images_in"}, {}, {"dense_1/BiasAdd"}));
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(g->inputs[0].shape.ToString(), "[?,28,28,1]");
}

TEST(TfFixtureTest, IntermediateOutputIsTransposedBackToNhwc) {
  auto g = ImportTfGraphDefFile(
      Fixture("dnndk_mnist_frozen_graph.pb"),
      Options({"images_in"}, {"?,28,28,1"}, {"max_pooling2d/MaxPool", "dense_1/BiasAdd"}));
  ASSERT_TRUE(g.ok()) << g.status();
  ASSERT_EQ(g->outputs.size(), 2u);
  EXPECT_EQ(g->outputs[0].name, "max_pooling2d/MaxPool");
  EXPECT_EQ(g->outputs[0].shape.ToString(), "[?,13,13,16]");
}

std::string ReadFixture(const std::string& name) {
  std::ifstream f(Fixture(name), std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

NodeDef* FindTfNode(GraphDef& def, const std::string& name) {
  for (NodeDef& n : *def.mutable_node()) {
    if (n.name() == name) return &n;
  }
  return nullptr;
}

// The bad inputs of the acceptance criteria, made from the real MNIST graph:
// each is refused with a precise error, never a crash.
TEST(TfFixtureTest, TruncatedRealGraphIsMalformedProtobuf) {
  const std::string bytes = ReadFixture("dnndk_mnist_frozen_graph.pb");
  ASSERT_GT(bytes.size(), 1000000u);
  const TfImportOptions options = Options({"images_in"}, {"?,28,28,1"}, {"dense_1/BiasAdd"});
  // Cuts inside a node's name, inside the conv kernel's tensor_content, in the
  // middle of the dense weights and just before the end.
  for (size_t n : {size_t{5}, size_t{300}, size_t{2000}, bytes.size() / 2, bytes.size() - 1}) {
    auto g = ImportTfGraphDef(bytes.substr(0, n), options);
    ASSERT_FALSE(g.ok()) << n;
    EXPECT_EQ(g.status().code(), absl::StatusCode::kInvalidArgument) << n;
    EXPECT_THAT(g.status().message(),
                ::testing::HasSubstr(absl::StrCat("malformed protobuf: ", n,
                                                  " bytes are not a "
                                                  "valid tensorflow.GraphDef (truncated")))
        << n;
  }
}

TEST(TfFixtureTest, MisnamedNodesOfRealGraphSuggestTheRightOnes) {
  auto in = ImportTfGraphDefFile(Fixture("dnndk_mnist_frozen_graph.pb"),
                                 Options({"images"}, {"?,28,28,1"}, {"dense_1/BiasAdd"}));
  ASSERT_EQ(in.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(in.status().message(), ::testing::HasSubstr("dnndk_mnist_frozen_graph.pb"));
  EXPECT_THAT(in.status().message(),
              ::testing::HasSubstr("input node 'images' is not in the graph (Placeholder "
                                   "nodes: 'images_in')"))
      << in.status();
  auto out = ImportTfGraphDefFile(Fixture("keras_cnn3_softmax_frozen_graph.pb"),
                                  Options({"conv2d_input"}, {}, {"dense_1/softmax"}));
  ASSERT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(out.status().message(),
              ::testing::HasSubstr("output node 'dense_1/softmax' is not in the graph"));
  EXPECT_THAT(out.status().message(), ::testing::HasSubstr("'dense_1/Softmax'"));
}

TEST(TfFixtureTest, CycleInRealGraphIsReportedWithItsPath) {
  GraphDef def;
  ASSERT_TRUE(def.ParseFromString(ReadFixture("dnndk_mnist_frozen_graph.pb")));
  NodeDef* conv = FindTfNode(def, "conv2d_1/Conv2D");
  ASSERT_NE(conv, nullptr);
  ASSERT_EQ(conv->input(0), "max_pooling2d/MaxPool");
  conv->set_input(0, "conv2d_1/Relu");  // which reads conv2d_1/BiasAdd, which reads conv
  auto g = ImportTfGraphDef(def.SerializeAsString(),
                            Options({"images_in"}, {"?,28,28,1"}, {"dense_1/BiasAdd"}));
  ASSERT_EQ(g.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(g.status().message(), ::testing::HasSubstr("the graph has a cycle: "));
  // In data-flow order, from any node of the cycle.
  EXPECT_THAT(g.status().message(), ::testing::HasSubstr("conv2d_1/Relu -> conv2d_1/Conv2D"))
      << g.status();
}

TEST(TfFixtureTest, UnsupportedOpInRealGraphIsNamedWithItsNode) {
  GraphDef def;
  ASSERT_TRUE(def.ParseFromString(ReadFixture("keras_cnn3_softmax_frozen_graph.pb")));
  NodeDef* relu = FindTfNode(def, "conv2d_1/Relu");
  ASSERT_NE(relu, nullptr);
  relu->set_op("Gelu");
  auto g = ImportTfGraphDef(def.SerializeAsString(),
                            Options({"conv2d_input"}, {"?,32,32,3"}, {"dense_1/Softmax"}));
  ASSERT_EQ(g.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(g.status().message(), "unsupported TensorFlow ops: Gelu (node 'conv2d_1/Relu')");
}

TEST(TfFixtureTest, MissingFileIsNotFound) {
  auto g = ImportTfGraphDefFile(Fixture("no_such.pb"), Options({"x"}, {}, {"y"}));
  EXPECT_EQ(g.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace fixpoint::io::testing
