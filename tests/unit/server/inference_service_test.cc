// The inference service end to end: a real grpc::Server on 127.0.0.1:0 over
// a real ArtifactStore, called through the generated stub.
#include "server/services/inference_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/io/onnx_exporter.h"
#include "core/io/onnx_importer.h"
#include "core/runtime/session.h"
#include "tests/unit/server/test_server.h"

namespace fixpoint::server {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::ImageRequest;
using testing::Images;
using testing::OutputFloats;
using testing::TestServer;

class InferenceServiceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ModelManagerOptions options;
    options.load.batcher.max_batch_size = 8;
    options.load.batcher.max_queue_delay_us = 1000;
    server_ = new TestServer(options);
    server_->AddModel("seed_cnn", testing::ReadFile(testing::SeedCnnPath()));
    auto small = io::ExportOnnx(testing::SmallClassifier());
    ASSERT_TRUE(small.ok()) << small.status();
    server_->AddModel("small", *small);
    server_->readiness().set_ready(true);
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  // seed_cnn's probabilities for `images` straight from a Session.
  static std::vector<float> Direct(const std::vector<float> &images) {
    auto graph = io::ImportOnnxFile(testing::SeedCnnPath());
    EXPECT_TRUE(graph.ok()) << graph.status();
    auto session = runtime::Session::Create(std::move(*graph), {});
    EXPECT_TRUE(session.ok()) << session.status();
    const int64_t n = static_cast<int64_t>(images.size() / 784);
    ir::Tensor in = ir::Tensor::FromF32(ir::Shape{n, 1, 28, 28}, images);
    auto out = (*session)->Run(std::vector<ir::TensorView>{in.view()});
    EXPECT_TRUE(out.ok()) << out.status();
    const ir::Tensor &probs = (*out)[0];
    return std::vector<float>(probs.data<float>(), probs.data<float>() + probs.NumElements());
  }

  static grpc::Status Infer(const inference::ModelInferRequest &request,
                            inference::ModelInferResponse *response) {
    grpc::ClientContext context;
    return server_->stub().ModelInfer(&context, request, response);
  }

  static TestServer *server_;
};

TestServer *InferenceServiceTest::server_ = nullptr;

TEST_F(InferenceServiceTest, HealthAndServerMetadata) {
  grpc::ClientContext c1, c2, c3, c4;
  inference::ServerLiveResponse live;
  ASSERT_TRUE(server_->stub().ServerLive(&c1, {}, &live).ok());
  EXPECT_TRUE(live.live());
  inference::ServerReadyResponse ready;
  ASSERT_TRUE(server_->stub().ServerReady(&c2, {}, &ready).ok());
  EXPECT_TRUE(ready.ready());
  server_->readiness().set_ready(false);  // draining
  ASSERT_TRUE(server_->stub().ServerReady(&c3, {}, &ready).ok());
  EXPECT_FALSE(ready.ready());
  server_->readiness().set_ready(true);
  inference::ServerMetadataResponse meta;
  ASSERT_TRUE(server_->stub().ServerMetadata(&c4, {}, &meta).ok());
  EXPECT_EQ(meta.name(), "fixpointd");
  EXPECT_FALSE(meta.version().empty());
  EXPECT_THAT(meta.extensions(), ElementsAre("model_repository"));
}

TEST_F(InferenceServiceTest, ModelReadyAndMetadata) {
  for (auto [name, version, want] :
       std::vector<std::tuple<std::string, std::string, bool>>{{"seed_cnn", "", true},
                                                               {"seed_cnn", "1", true},
                                                               {"seed_cnn", "2", false},
                                                               {"nope", "", false}}) {
    grpc::ClientContext c;
    inference::ModelReadyRequest request;
    request.set_name(name);
    request.set_version(version);
    inference::ModelReadyResponse response;
    ASSERT_TRUE(server_->stub().ModelReady(&c, request, &response).ok());
    EXPECT_EQ(response.ready(), want) << name << " " << version;
  }
  grpc::ClientContext c;
  inference::ModelMetadataRequest request;
  request.set_name("seed_cnn");
  inference::ModelMetadataResponse meta;
  ASSERT_TRUE(server_->stub().ModelMetadata(&c, request, &meta).ok());
  EXPECT_EQ(meta.name(), "seed_cnn");
  EXPECT_THAT(meta.versions(), ElementsAre("1"));
  EXPECT_EQ(meta.platform(), "onnx_onnxv1");
  ASSERT_EQ(meta.inputs_size(), 1);
  EXPECT_EQ(meta.inputs(0).name(), "input");
  EXPECT_EQ(meta.inputs(0).datatype(), "FP32");
  EXPECT_THAT(meta.inputs(0).shape(), ElementsAre(-1, 1, 28, 28));
  ASSERT_EQ(meta.outputs_size(), 1);
  EXPECT_EQ(meta.outputs(0).name(), "probs");
  EXPECT_EQ(meta.outputs(0).datatype(), "FP32");
  EXPECT_THAT(meta.outputs(0).shape(), ElementsAre(-1, 10));

  grpc::ClientContext c2;
  request.set_name("nope");
  EXPECT_EQ(server_->stub().ModelMetadata(&c2, request, &meta).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(InferenceServiceTest, RawAndTypedInferEqualADirectSessionRun) {
  const std::vector<float> images = Images(3);
  const std::vector<float> want = Direct(images);
  for (bool raw : {true, false}) {
    inference::ModelInferRequest request = ImageRequest("seed_cnn", images, raw);
    request.set_id(raw ? "raw-1" : "typed-1");
    inference::ModelInferResponse response;
    grpc::Status s = Infer(request, &response);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(response.model_name(), "seed_cnn");
    EXPECT_EQ(response.model_version(), "1");
    EXPECT_EQ(response.id(), request.id());
    ASSERT_EQ(response.outputs_size(), 1);
    EXPECT_EQ(response.outputs(0).name(), "probs");
    EXPECT_EQ(response.outputs(0).datatype(), "FP32");
    EXPECT_THAT(response.outputs(0).shape(), ElementsAre(3, 10));
    const std::vector<float> got = OutputFloats(response);
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5) << i;
  }
  // Naming the output explicitly, and by version number.
  inference::ModelInferRequest request = ImageRequest("seed_cnn", images, true);
  request.set_model_version("1");
  request.add_outputs()->set_name("probs");
  inference::ModelInferResponse response;
  ASSERT_TRUE(Infer(request, &response).ok());
  EXPECT_EQ(OutputFloats(response).size(), want.size());
}

struct BadRequest {
  std::string name;
  std::function<void(inference::ModelInferRequest *)> mutate;
  grpc::StatusCode code;
  std::string message;
};

TEST_F(InferenceServiceTest, BadRequestsNameTheProblem) {
  const std::vector<BadRequest> cases = {
      {"wrong shape", [](auto *r) { r->mutable_inputs(0)->set_shape(3, 27); },
       grpc::StatusCode::INVALID_ARGUMENT,
       "model 'seed_cnn' version 1: input 'input': shape [2,1,28,27] does not "
       "match the "
       "model's [-1,1,28,28] at dimension 3"},
      {"wrong datatype", [](auto *r) { r->mutable_inputs(0)->set_datatype("INT64"); },
       grpc::StatusCode::INVALID_ARGUMENT, "input 'input': model expects FP32, got INT64"},
      {"unknown datatype", [](auto *r) { r->mutable_inputs(0)->set_datatype("FLOAT"); },
       grpc::StatusCode::INVALID_ARGUMENT, "input 'input': unknown datatype 'FLOAT'"},
      {"byte count", [](auto *r) { r->mutable_raw_input_contents(0)->pop_back(); },
       grpc::StatusCode::INVALID_ARGUMENT,
       "input 'input': 6272 bytes expected for shape [2,1,28,28] FP32, got "
       "6271"},
      {"mixed raw and typed",
       [](auto *r) { r->mutable_inputs(0)->mutable_contents()->add_fp32_contents(0); },
       grpc::StatusCode::INVALID_ARGUMENT,
       "raw_input_contents is used, so input 'input' must not carry contents"},
      {"unknown input name", [](auto *r) { r->mutable_inputs(0)->set_name("image"); },
       grpc::StatusCode::INVALID_ARGUMENT, "the model has no input 'image' (inputs: 'input')"},
      {"unknown output", [](auto *r) { r->add_outputs()->set_name("logits"); },
       grpc::StatusCode::INVALID_ARGUMENT, "the model has no output 'logits' (outputs: 'probs')"},
      {"batch over the maximum", [](auto *r) { *r = ImageRequest("seed_cnn", Images(9), true); },
       grpc::StatusCode::INVALID_ARGUMENT,
       "a batch of 9 exceeds model 'seed_cnn' version 1's maximum batch size "
       "8"},
      {"unknown model", [](auto *r) { r->set_model_name("seed"); }, grpc::StatusCode::NOT_FOUND,
       "model 'seed' is not loaded"},
      {"unknown version", [](auto *r) { r->set_model_version("7"); }, grpc::StatusCode::NOT_FOUND,
       "model 'seed_cnn' has no loaded version 7 (ready: 1)"},
      {"unknown label", [](auto *r) { r->set_model_version("canary"); },
       grpc::StatusCode::NOT_FOUND, "canary"},
  };
  for (const BadRequest &c : cases) {
    inference::ModelInferRequest request = ImageRequest("seed_cnn", Images(2), true);
    c.mutate(&request);
    inference::ModelInferResponse response;
    grpc::Status s = Infer(request, &response);
    EXPECT_EQ(s.error_code(), c.code) << c.name << ": " << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr(c.message)) << c.name;
  }
  // Errors after the version resolved are counted with their code.
  EXPECT_GE(testing::MetricValue(server_->metrics(),
                                 "fixpoint_inference_requests_total{code=\"INVALID_ARGUMENT\","
                                 "model=\"seed_cnn\",precision=\"fp32\",version=\"1\"}"),
            8);
}

TEST_F(InferenceServiceTest, RepositoryIndexLoadAndUnload) {
  auto index = [](bool ready_only) {
    grpc::ClientContext c;
    inference::RepositoryIndexRequest request;
    request.set_ready(ready_only);
    inference::RepositoryIndexResponse response;
    EXPECT_TRUE(server_->stub().RepositoryIndex(&c, request, &response).ok());
    std::vector<std::string> rows;
    for (const auto &m : response.models()) {
      rows.push_back(absl::StrCat(m.name(), "/", m.version(), " ", m.state(),
                                  m.reason().empty() ? "" : " ", m.reason()));
    }
    return rows;
  };
  auto unload = [](const std::string &name) {
    grpc::ClientContext c;
    inference::RepositoryModelUnloadRequest request;
    request.set_model_name(name);
    inference::RepositoryModelUnloadResponse response;
    return server_->stub().RepositoryModelUnload(&c, request, &response);
  };
  auto load = [](const std::string &name, bool with_parameter = false) {
    grpc::ClientContext c;
    inference::RepositoryModelLoadRequest request;
    request.set_model_name(name);
    if (with_parameter) (*request.mutable_parameters())["config"].set_string_param("{}");
    inference::RepositoryModelLoadResponse response;
    return server_->stub().RepositoryModelLoad(&c, request, &response);
  };
  EXPECT_THAT(index(false), ElementsAre("seed_cnn/1 READY", "small/1 READY"));
  ASSERT_TRUE(unload("small").ok());
  EXPECT_THAT(index(false), ElementsAre("seed_cnn/1 READY", "small/1 UNAVAILABLE unloaded"));
  EXPECT_THAT(index(true), ElementsAre("seed_cnn/1 READY"));
  grpc::Status again = unload("small");
  EXPECT_EQ(again.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(again.error_message(), HasSubstr("model 'small' is not loaded"));
  EXPECT_EQ(load("nope").error_code(), grpc::StatusCode::NOT_FOUND);
  grpc::Status param = load("small", true);
  EXPECT_EQ(param.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(param.error_message(), HasSubstr("takes no parameters; got 'config'"));
  ASSERT_TRUE(load("small").ok());
  EXPECT_THAT(index(true), ElementsAre("seed_cnn/1 READY", "small/1 READY"));
}

}  // namespace
}  // namespace fixpoint::server
