// UploadModel with format TF_GRAPHDEF: the Vitis AI flow's frozen graph and
// vai_q_tensorflow's node names become a float ONNX version that serves the
// same outputs as the in-process import; a wrong node name is refused.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "core/io/tf_importer.h"
#include "core/runtime/session.h"
#include "tests/integration/client_util.h"
#include "tests/integration/server_process.h"
#include "core/util/sha256.h"

namespace fixpoint::testing {
namespace {

namespace fs = std::filesystem;

constexpr char kGraph[] = "/../shared/fixtures/tf/dnndk_mnist_frozen_graph.pb";

v1::UploadModelHeader TfHeader(const std::string& bytes, const std::string& input) {
  v1::UploadModelHeader h;
  h.set_name("dnndk");
  h.set_format(v1::MODEL_FORMAT_TF_GRAPHDEF);
  h.set_size_bytes(static_cast<int64_t>(bytes.size()));
  h.set_sha256(util::Sha256Hex(bytes));
  h.add_input_nodes(input);
  h.add_input_shapes("?,28,28,1");
  h.add_output_nodes("dense_1/BiasAdd");
  return h;
}

TEST(TfUpload, FrozenGraphServesLikeTheInProcessImport) {
  const std::string path = std::string(FP_SOURCE_DIR) + kGraph;
  if (!fs::exists(path)) GTEST_SKIP() << "fixture missing: " << path;
  const std::string store = ::testing::TempDir() + "/fp_it_tf_" + std::to_string(getpid());
  fs::remove_all(store);
  auto server = ServerProcess::Start(store, {"--intra_op_threads=1"});
  ASSERT_TRUE(server.ok()) << server.status();
  Stubs s = Connect((*server)->grpc_address());
  const std::string bytes = ReadFile(path);

  v1::ModelVersion bad;
  grpc::Status refused = UploadModel(s, TfHeader(bytes, "no_such_node"), bytes, &bad);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << refused.error_message();
  EXPECT_NE(refused.error_message().find("no_such_node"), std::string::npos)
      << refused.error_message();

  v1::ModelVersion v;
  grpc::Status up = UploadModel(s, TfHeader(bytes, "images_in"), bytes, &v);
  ASSERT_TRUE(up.ok()) << up.error_message();
  EXPECT_EQ(v.source_format(), "tf_graphdef");
  ASSERT_EQ(v.inputs_size(), 1);
  ASSERT_TRUE(WaitModelReady(s, "dnndk", "1"));

  std::vector<float> image(28 * 28);
  for (size_t i = 0; i < image.size(); ++i) image[i] = float((i * 37) % 256) / 255.0f;
  inference::ModelInferRequest r;
  r.set_model_name("dnndk");
  auto* in = r.add_inputs();
  in->set_name(v.inputs(0).name());
  in->set_datatype("FP32");
  std::vector<int64_t> shape(v.inputs(0).shape().begin(), v.inputs(0).shape().end());
  shape[0] = 1;
  for (int64_t d : shape) in->add_shape(d);
  r.add_raw_input_contents(std::string(reinterpret_cast<const char*>(image.data()),
                                       image.size() * sizeof(float)));
  inference::ModelInferResponse out;
  auto c = Context();
  grpc::Status infer = s.infer->ModelInfer(c.get(), r, &out);
  ASSERT_TRUE(infer.ok()) << infer.error_message();

  io::TfImportOptions options;
  options.input_nodes = {"images_in"};
  options.input_shapes = {"?,28,28,1"};
  options.output_nodes = {"dense_1/BiasAdd"};
  auto graph = io::ImportTfGraphDefFile(path, options);
  ASSERT_TRUE(graph.ok()) << graph.status();
  auto session = runtime::Session::Create(*std::move(graph), {});
  ASSERT_TRUE(session.ok()) << session.status();
  ir::TensorView view{ir::DType::kF32, ir::Shape(shape), image.data()};
  auto expected = (*session)->Run({&view, 1});
  ASSERT_TRUE(expected.ok()) << expected.status();
  const std::string& raw = out.raw_output_contents(0);
  ASSERT_EQ(raw.size(), (*expected)[0].ByteSize());
  const float* got = reinterpret_cast<const float*>(raw.data());
  const float* want = (*expected)[0].data<float>();
  for (int64_t k = 0; k < (*expected)[0].NumElements(); ++k) {
    EXPECT_NEAR(got[k], want[k], 1e-5f * std::max(1.0f, std::abs(want[k]))) << k;
  }
}

}  // namespace
}  // namespace fixpoint::testing
