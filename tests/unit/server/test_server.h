// A real fixpointd inference stack for tests: an ArtifactStore in a temp
// dir, Metrics, a ModelManager, the InferenceService on a grpc::Server bound
// to 127.0.0.1:0, and a stub talking to it through a real channel.
#ifndef FIXPOINT_TESTS_UNIT_SERVER_TEST_SERVER_H_
#define FIXPOINT_TESTS_UNIT_SERVER_TEST_SERVER_H_

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/store/artifact_store.h"
#include "inference/grpc_service.grpc.pb.h"
#include "server/metrics/metrics.h"
#include "server/services/inference_service.h"
#include "server/services/readiness.h"
#include "server/serving/model_manager.h"
#include "tests/unit/server/server_test_util.h"

namespace fixpoint::server::testing {

inline std::string SeedCnnPath() { return std::string(FP_SOURCE_DIR) + "/models/seed_cnn.onnx"; }

inline std::string ReadFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// `n` deterministic 28x28 images in [0, 1], flattened.
inline std::vector<float> Images(int64_t n, int64_t first = 0) {
  std::vector<float> v(static_cast<size_t>(n) * 784);
  for (size_t i = 0; i < v.size(); ++i) {
    const int64_t image = first + static_cast<int64_t>(i / 784), p = static_cast<int64_t>(i % 784);
    v[i] = static_cast<float>((image * 37 + p * 11 + (p / 28) * (p % 28)) % 256) / 255.0f;
  }
  return v;
}

class TestServer {
 public:
  explicit TestServer(ModelManagerOptions options) {
    dir_ = MakeTempDir();
    auto store = store::ArtifactStore::Open(dir_);
    EXPECT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    auto manager = ModelManager::Create(store_.get(), metrics_, options);
    EXPECT_TRUE(manager.ok()) << manager.status();
    manager_ = std::move(*manager);
    service_ = std::make_unique<InferenceService>(*manager_, readiness_);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    EXPECT_NE(server_, nullptr);
    EXPECT_GT(port, 0);
    channel_ =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
    stub_ = inference::GRPCInferenceService::NewStub(channel_);
  }

  // The shutdown order main.cc follows: RPCs first, then the manager.
  ~TestServer() {
    server_->Shutdown();
    manager_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Stores a float model and loads it; returns its version info.
  store::VersionInfo AddModel(const std::string &name, const std::string &onnx_bytes) {
    store::FloatModel m;
    m.onnx_bytes = onnx_bytes;
    auto v = store_->AddFloatVersion(name, m);
    EXPECT_TRUE(v.ok()) << v.status();
    absl::Status loaded = manager_->LoadModel(name);
    EXPECT_TRUE(loaded.ok()) << loaded;
    return *v;
  }

  inference::GRPCInferenceService::Stub &stub() { return *stub_; }
  store::ArtifactStore &store() { return *store_; }
  ModelManager &manager() { return *manager_; }
  Metrics &metrics() { return metrics_; }
  Readiness &readiness() { return readiness_; }

 private:
  std::string dir_;
  Metrics metrics_;
  Readiness readiness_;
  std::unique_ptr<store::ArtifactStore> store_;
  std::unique_ptr<ModelManager> manager_;
  std::unique_ptr<InferenceService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<inference::GRPCInferenceService::Stub> stub_;
};

// An FP32 request for seed_cnn's "input" with `images` (n x 784) as raw
// contents or as fp32_contents.
inline inference::ModelInferRequest ImageRequest(const std::string &model,
                                                 const std::vector<float> &images, bool raw) {
  inference::ModelInferRequest r;
  r.set_model_name(model);
  auto *in = r.add_inputs();
  in->set_name("input");
  in->set_datatype("FP32");
  for (int64_t d :
       {static_cast<int64_t>(images.size() / 784), int64_t{1}, int64_t{28}, int64_t{28}}) {
    in->add_shape(d);
  }
  if (raw) {
    r.add_raw_input_contents(
        std::string(reinterpret_cast<const char *>(images.data()), images.size() * sizeof(float)));
  } else {
    for (float v : images) in->mutable_contents()->add_fp32_contents(v);
  }
  return r;
}

// The response's first output as floats.
inline std::vector<float> OutputFloats(const inference::ModelInferResponse &r, int index = 0) {
  if (r.raw_output_contents_size() <= index) return {};
  const std::string &bytes = r.raw_output_contents(index);
  std::vector<float> v(bytes.size() / sizeof(float));
  std::memcpy(v.data(), bytes.data(), v.size() * sizeof(float));
  return v;
}

}  // namespace fixpoint::server::testing

#endif  // FIXPOINT_TESTS_UNIT_SERVER_TEST_SERVER_H_
